"""CSV exports for staff: UTF-8 with BOM (Excel keeps Cyrillic), formula injection defused.

Times are the clinic's wall clock (with their UTC offset), and the header names the zone.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.services.clinic_time import to_clinic
from bot.services.common import StaffMember
from storage.models import ConsultationRequest, Review
from storage.repositories import AuditRepository, RequestRepository, ReviewRepository

logger = logging.getLogger(__name__)

Row = TypeVar("Row")

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

REQUEST_COLUMNS = (
    "id",
    "created_at",
    "status",
    "service",
    "name",
    "phone",
    "preferred_time",
    "complaint",
    "locale",
    "consent_version",
    "consented_at",
)
REVIEW_COLUMNS = ("id", "created_at", "status", "rating", "author", "text")
TIME_COLUMNS = frozenset({"created_at", "consented_at"})


def _header(columns: Sequence[str], zone: ZoneInfo) -> list[str]:
    """Column names, the time columns saying which clock they use: `created_at (Europe/Moscow)`."""
    return [f"{name} ({zone.key})" if name in TIME_COLUMNS else name for name in columns]


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    return to_clinic(moment, zone).isoformat(timespec="seconds")


def safe_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text, never evaluates (`=HYPERLINK(...)` and kin)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


async def _write(
    rows: AsyncIterator[Row],
    path: Path,
    columns: Sequence[str],
    cells: Callable[[Row], Sequence[object]],
) -> int:
    """`columns` is the header row as written."""
    """Stream rows into `path`, one at a time; returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        async for row in rows:
            writer.writerow(safe_cell(value) for value in cells(row))
            count += 1
    return count


async def write_requests(
    rows: AsyncIterator[ConsultationRequest],
    path: Path,
    service_name: Callable[[str | None], str],
    zone: ZoneInfo,
) -> int:
    def cells(request: ConsultationRequest) -> Sequence[object]:
        return (
            request.id,
            _moment(request.created_at, zone),
            request.status.value,
            service_name(request.service_id),
            request.name,
            request.phone,
            request.preferred_time,
            request.complaint,
            request.locale,
            request.consent_version,
            _moment(request.consented_at, zone),
        )

    return await _write(rows, path, _header(REQUEST_COLUMNS, zone), cells)


async def write_reviews(rows: AsyncIterator[Review], path: Path, zone: ZoneInfo) -> int:
    def cells(review: Review) -> Sequence[object]:
        return (
            review.id,
            _moment(review.created_at, zone),
            review.status.value,
            review.rating,
            review.author,
            review.text,
        )

    return await _write(rows, path, _header(REVIEW_COLUMNS, zone), cells)


ExportDelivery = Callable[[Path, int], Awaitable[None]]
"""Hands the written file (and its row count) to whoever asked for it."""


async def export_for_staff(
    kind: str,
    request_repo: RequestRepository,
    review_repo: ReviewRepository,
    audit_repo: AuditRepository,
    *,
    start: datetime,
    end: datetime,
    folder: Path,
    file_date: date,
    service_name: Callable[[str | None], str],
    deliver: ExportDelivery,
    staff: StaffMember,
    zone: ZoneInfo,
) -> int:
    """Write the requests or reviews created in [start, end) to a CSV file in `folder`,
    deliver it, and record the export in the audit log; returns the number of rows."""
    path = folder / f"{kind}-{file_date:%Y-%m-%d}.csv"
    if kind == "requests":
        count = await write_requests(
            request_repo.iter_requests(start, end), path, service_name, zone
        )
    elif kind == "reviews":
        count = await write_reviews(review_repo.iter_reviews(start, end), path, zone)
    else:
        raise ValueError(f"nothing to export as {kind!r}")
    await deliver(path, count)
    # The period as the clinic's days, both ends included, as the staff member typed it.
    first = to_clinic(start, zone).date()
    last = to_clinic(end, zone).date() - timedelta(days=1)
    await audit_repo.add_audit(staff.id, staff.name, f"export:{kind}", f"{first}..{last}")
    logger.info("Staff exported %d %s", count, kind)
    return count

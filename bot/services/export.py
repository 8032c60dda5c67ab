"""CSV exports for staff: UTF-8 with BOM (Excel keeps Cyrillic), formula injection defused.

Sent zipped, and split into numbered zips when one would be over the Bot API's upload limit.

Times are the clinic's wall clock (with their UTC offset), and the header names the zone.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
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
    "source",  # the deep link's ?start= the patient came by (empty: none)
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
    """Stream rows into `path`, one at a time, under the header row `columns`;
    returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        async for row in rows:
            writer.writerow(safe_cell(value) for value in cells(row))
            count += 1
    return count


def _request_cells(
    request: ConsultationRequest, *, service_name: Callable[[str | None], str], zone: ZoneInfo
) -> Sequence[object]:
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
        request.source or "",
    )


def _review_cells(review: Review, *, zone: ZoneInfo) -> Sequence[object]:
    return (
        review.id,
        _moment(review.created_at, zone),
        review.status.value,
        review.rating,
        review.author,
        review.text,
    )


async def write_requests(
    rows: AsyncIterator[ConsultationRequest],
    path: Path,
    service_name: Callable[[str | None], str],
    zone: ZoneInfo,
) -> int:
    """All rows in one plain CSV file (the storage benchmark measures this)."""
    cells = partial(_request_cells, service_name=service_name, zone=zone)
    return await _write(rows, path, _header(REQUEST_COLUMNS, zone), cells)


async def write_reviews(rows: AsyncIterator[Review], path: Path, zone: ZoneInfo) -> int:
    """All rows in one plain CSV file."""
    return await _write(
        rows, path, _header(REVIEW_COLUMNS, zone), partial(_review_cells, zone=zone)
    )


# Telegram's Bot API refuses uploads over 50 MB; the default stays under it in any reading
# of "MB" and leaves room for the multipart request around the file.
DEFAULT_EXPORT_MAX_BYTES = 49_000_000
# More files than this is no longer "an export" a person can handle in a chat.
MAX_EXPORT_PARTS = 10
# What a part's size may still grow by once its rows are in: deflate holds back at most one
# block (16383 symbols of up to 48 bits each, plus the block's code tables) ...
COMPRESSOR_RESERVE = 128 * 1024
# ... and the zip closes with a central directory entry and an end record.
ZIP_TRAILER = 512


def _deflate_bound(size: int) -> int:
    """The most `size` bytes can grow to when deflated (zlib's deflateBound, rounded up)."""
    return size + (size >> 12) + (size >> 14) + 64


@dataclass(frozen=True)
class ExportPart:
    """One file to send: a zip holding one CSV with the header and whole rows."""

    path: Path
    rows: int


class ExportTooLargeError(Exception):
    """The export would take more than the allowed number of files.

    `last_whole_day` is the last clinic day whose rows all fit (None when not even the
    first day does): a period ending then is a narrower export that can be sent.
    """

    def __init__(self, max_parts: int, last_whole_day: date | None) -> None:
        super().__init__(f"the export needs more than {max_parts} files")
        self.max_parts = max_parts
        self.last_whole_day = last_whole_day


def _csv_line(cells: Iterable[object]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue().encode("utf-8")


class _ZipPart:
    """A zip being written straight to disk, with an upper bound on its final size."""

    def __init__(self, path: Path, entry_name: str, head: bytes) -> None:
        self.path = path
        self.rows = 0
        self._fed = 0
        self._file = path.open("wb")
        self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_DEFLATED)
        # zip64 so that an entry past 2 GiB (a very compressible part) is still valid.
        self._entry = self._zip.open(entry_name, "w", force_zip64=True)
        self._feed(head)

    def _feed(self, data: bytes) -> None:
        self._entry.write(data)
        self._fed += len(data)

    def size_with(self, line: bytes) -> int:
        """The most this file can weigh when closed if `line` is added now.

        What is on disk already, plus what the compressor may still emit: never more than
        the whole content deflated from scratch, nor than its held-back block and the line.
        """
        pending = min(
            _deflate_bound(self._fed + len(line)),
            COMPRESSOR_RESERVE + _deflate_bound(len(line)),
        )
        return self._file.tell() + pending + ZIP_TRAILER

    def add(self, line: bytes) -> None:
        self._feed(line)
        self.rows += 1

    def close(self) -> None:
        try:
            self._entry.close()
            self._zip.close()
        finally:
            self._file.close()


Pause = Callable[[], Awaitable[None]]
"""Awaited between slices of an export's work, so that it can give way to patients
(`bot.reports.ReportPacing`)."""

PAUSE_EVERY_ROWS = 64


async def write_zip_parts(
    rows: AsyncIterator[Row],
    folder: Path,
    stem: str,
    columns: Sequence[str],
    cells: Callable[[Row], Sequence[object]],
    day_of: Callable[[Row], date],
    *,
    max_bytes: int,
    max_parts: int = MAX_EXPORT_PARTS,
    pause: Pause | None = None,
) -> list[ExportPart]:
    """Stream rows into zipped CSVs in `folder`, each file at most `max_bytes`.

    One file is `<stem>.zip`; more are `<stem>.part1.zip`, `<stem>.part2.zip`, ... (parts
    are only known to be needed once the first is full, so the CSV in the first is always
    `<stem>.csv`, later ones `<stem>.part2.csv`, ...: unpacked together they never collide).
    Every CSV starts with the BOM and the header; a row is never split between files. Raises
    ExportTooLargeError (leaving no files behind) when more than `max_parts` would be needed
    or a single row cannot fit in a file at all.
    """
    head = "\ufeff".encode() + _csv_line(columns)
    parts: list[_ZipPart] = []

    def start_part() -> _ZipPart:
        number = len(parts) + 1
        entry = f"{stem}.csv" if number == 1 else f"{stem}.part{number}.csv"
        part = _ZipPart(folder / f"{stem}.writing{number}.zip", entry, head)
        parts.append(part)
        return part

    last_day_started: date | None = None
    last_whole_day: date | None = None
    written = 0
    try:
        current = start_part()
        async for row in rows:
            day = day_of(row)
            if last_day_started is not None and day != last_day_started:
                last_whole_day = max(last_whole_day or last_day_started, last_day_started)
            last_day_started = day
            line = _csv_line(safe_cell(value) for value in cells(row))
            if current.size_with(line) > max_bytes:
                if current.rows == 0 or len(parts) == max_parts:
                    raise ExportTooLargeError(max_parts, last_whole_day)
                current.close()
                current = start_part()
                if current.size_with(line) > max_bytes:
                    raise ExportTooLargeError(max_parts, last_whole_day)
            current.add(line)
            written += 1
            if pause is not None and written % PAUSE_EVERY_ROWS == 0:
                await pause()
        current.close()
    except BaseException:
        for part in parts:
            part.close()
            part.path.unlink(missing_ok=True)
        raise
    if len(parts) == 1:
        names = [f"{stem}.zip"]
    else:
        names = [f"{stem}.part{number}.zip" for number in range(1, len(parts) + 1)]
    return [
        ExportPart(part.path.rename(folder / name), part.rows)
        for part, name in zip(parts, names, strict=True)
    ]


ExportDelivery = Callable[[Sequence[ExportPart], int], Awaitable[None]]
"""Hands the written files (and the total row count) to whoever asked for them."""


async def export_for_staff(
    kind: str,
    request_repo: RequestRepository,
    review_repo: ReviewRepository,
    audit_repo: AuditRepository,
    *,
    start: datetime,
    end: datetime,
    folder: Path,
    service_name: Callable[[str | None], str],
    deliver: ExportDelivery,
    staff: StaffMember,
    zone: ZoneInfo,
    max_bytes: int = DEFAULT_EXPORT_MAX_BYTES,
    max_parts: int = MAX_EXPORT_PARTS,
    pause: Pause | None = None,
) -> int:
    """Write the requests or reviews created in [start, end) as zipped CSVs in `folder`,
    deliver them, and record the export in the audit log; returns the number of rows.

    Raises ExportTooLargeError, having sent nothing, when the period needs too many files."""
    # The period as the clinic's days, both ends included, as the staff member typed it.
    first = to_clinic(start, zone).date()
    last = to_clinic(end, zone).date() - timedelta(days=1)
    stem = f"{kind}-{first}-{last}"

    def day_of(row: ConsultationRequest | Review) -> date:
        return to_clinic(row.created_at, zone).date()

    if kind == "requests":
        parts = await write_zip_parts(
            request_repo.iter_requests(start, end),
            folder,
            stem,
            _header(REQUEST_COLUMNS, zone),
            partial(_request_cells, service_name=service_name, zone=zone),
            day_of,
            max_bytes=max_bytes,
            max_parts=max_parts,
            pause=pause,
        )
    elif kind == "reviews":
        parts = await write_zip_parts(
            review_repo.iter_reviews(start, end),
            folder,
            stem,
            _header(REVIEW_COLUMNS, zone),
            partial(_review_cells, zone=zone),
            day_of,
            max_bytes=max_bytes,
            max_parts=max_parts,
            pause=pause,
        )
    else:
        raise ValueError(f"nothing to export as {kind!r}")
    count = sum(part.rows for part in parts)
    await deliver(parts, count)
    await audit_repo.add_audit(staff.id, staff.name, f"export:{kind}", f"{first}..{last}")
    logger.info("Staff exported %d %s in %d file(s)", count, kind, len(parts))
    return count

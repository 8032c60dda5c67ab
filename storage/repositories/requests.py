"""Consultation requests and the history of their statuses; /stats and the export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Executable, bindparam, select, update

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert
from storage.models import (
    ConsultationRequest,
    NewRequest,
    RequestEvent,
    RequestStatus,
    Stats,
    StatusChange,
)
from storage.repositories._records import (
    event_of,
    insert_outbox_row,
    newer_or_older,
    page_of,
    request_of,
)
from storage.repositories.sources import latest_source_of
from storage.repositories.stats import window_stats
from storage.schema import consents, request_events, requests
from storage.types import CardRenderer

STREAM_ROWS = 64
"""Rows fetched at a time by the exports' cursors. Between two fetches the export turns
these rows into zipped CSV without giving the event loop back: 64 rows are ~3 ms of it,
256 were ~30 ms, and patients' updates (each a few database round trips, their writes one
after another) waited for seconds behind a large export (bench/export_load.py)."""


# Statements of a booking's confirmation and of a manager's press, built once with their
# values given at execution: building one per call cost more than running it (~0.1 ms of
# SQLAlchemy's Python each).
_GET_REQUEST = select(requests).where(requests.c.id == bindparam("request_id"))
_REQUEST_STATUS = select(requests.c.status).where(requests.c.id == bindparam("request_id"))
_SET_STATUS_IF = (
    update(requests)
    .where(requests.c.id == bindparam("request_id"), requests.c.status == bindparam("expected"))
    .values(status=bindparam("new_status"))
)
_INSERT_EVENT = request_events.insert()
_EVENTS = (
    select(request_events)
    .where(request_events.c.request_id == bindparam("request_id"))
    .order_by(request_events.c.id)
)
_LAST_EVENT = (
    select(request_events)
    .where(request_events.c.request_id == bindparam("request_id"))
    .order_by(request_events.c.id.desc())
    .limit(1)
)
_REQUEST_OF_FORM = select(requests.c.id).where(requests.c.form_token == bindparam("form_token"))


@cache
def _insert_request(dialect: str) -> Executable:
    """ON CONFLICT DO NOTHING: a concurrent insert of the same form waits for the first
    one's commit, then inserts nothing (and RETURNING gives no row). The request takes
    where the patient came from (the deep link they opened latest)."""
    return (
        upsert(dialect, requests)
        .values(source=latest_source_of(bindparam("source_of")))
        .on_conflict_do_nothing(index_elements=[requests.c.form_token])
        .returning(requests.c.id)
    )


@cache
def _insert_consent(dialect: str) -> Executable:
    return upsert(dialect, consents).on_conflict_do_nothing(
        index_elements=[consents.c.user_id, consents.c.version]
    )


class RequestRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def create_request(self, request: NewRequest, card: CardRenderer) -> int:
        """The request, the patient's consent and the manager chat's card, all or nothing.

        A request of the same booking form (`form_token`) already stored is returned as it
        is: no second request, no second card, whichever instance got the Confirm first.
        """
        now = self._clock()

        def insert(connection: Connection) -> int:
            dialect = connection.dialect.name
            inserted = connection.scalar(
                _insert_request(dialect),
                {
                    "user_id": request.user_id,
                    "locale": request.locale,
                    "service_id": request.service_id,
                    "name": request.name,
                    "phone": request.phone,
                    "preferred_time": request.preferred_time,
                    "complaint": request.complaint,
                    "consent_version": request.consent_version,
                    "consented_at": request.consented_at,
                    "status": RequestStatus.NEW.value,
                    "created_at": now,
                    "form_token": request.form_token,
                    "source_of": request.user_id,
                },
            )
            if inserted is None:
                existing = connection.execute(_REQUEST_OF_FORM, {"form_token": request.form_token})
                return int(existing.scalar_one())
            request_id = int(inserted)
            connection.execute(
                _insert_consent(dialect),
                {
                    "user_id": request.user_id,
                    "version": request.consent_version,
                    "at": request.consented_at,
                },
            )
            insert_outbox_row(connection, card(request_id), now)
            return request_id

        return await self._database.write(insert)

    async def request_of_form(self, form_token: str) -> int | None:
        """The request a booking form made, if it made one (`form_token` is unique)."""
        row = await self._database.lookup_one(_REQUEST_OF_FORM, {"form_token": form_token})
        return int(row.id) if row is not None else None

    async def get_request(self, request_id: int) -> ConsultationRequest | None:
        row = await self._database.lookup_one(_GET_REQUEST, {"request_id": request_id})
        return request_of(row) if row is not None else None

    async def change_request_status(
        self,
        request_id: int,
        expected: RequestStatus,
        new: RequestStatus,
        staff_id: int,
        staff_name: str,
    ) -> StatusChange | None:
        """Compare-and-set: applied only if the request still has the status the card showed.

        Of two managers pressing at once, the first wins; the second learns who it was. The
        UPDATE locks the row, so a concurrent one waits and then finds the status changed.
        """
        now = self._clock()

        def compare_and_set(connection: Connection) -> StatusChange | None:
            changed = connection.execute(
                _SET_STATUS_IF,
                {"request_id": request_id, "expected": expected.value, "new_status": new.value},
            )
            applied = changed.rowcount > 0
            if applied:
                connection.execute(
                    _INSERT_EVENT,
                    {
                        "request_id": request_id,
                        "status": new.value,
                        "staff_id": staff_id,
                        "staff_name": staff_name,
                        "at": now,
                    },
                )
            the_request = {"request_id": request_id}
            current = connection.scalar(_REQUEST_STATUS, the_request)
            if current is None:
                return None
            last = connection.execute(_LAST_EVENT, the_request).first()
            return StatusChange(
                applied=applied,
                current=RequestStatus(current),
                last_event=event_of(last) if last is not None else None,
            )

        return await self._database.write(compare_and_set)

    async def request_events(self, request_id: int) -> list[RequestEvent]:
        rows = await self._database.lookup(_EVENTS, {"request_id": request_id})
        return [event_of(row) for row in rows]

    async def list_requests(
        self,
        status: RequestStatus | None,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 10,
    ) -> list[ConsultationRequest]:
        async with self._database.read() as connection:
            rows = await page_of(
                connection,
                requests,
                status.value if status else None,
                before_id,
                after_id,
                limit,
            )
        return [request_of(row) for row in rows]

    async def has_newer_or_older(
        self, status: str | None, ids: tuple[int, int]
    ) -> tuple[bool, bool]:
        """Whether requests exist above the newest and below the oldest id shown."""
        async with self._database.read() as connection:
            return await newer_or_older(connection, requests, status, ids)

    async def stats(self, since: datetime) -> Stats:
        """Requests and reviews created since `since`, from the daily aggregates: as fast
        for ten years as for a week, and equal to counting the rows (storage/repositories/
        stats.py)."""
        async with self._database.read(snapshot=True) as connection:
            return await window_stats(connection, since)

    async def iter_requests(
        self, start: datetime, end: datetime
    ) -> AsyncIterator[ConsultationRequest]:
        """Rows one by one from a cursor: an export never holds the whole table in memory."""
        async with self._database.read(snapshot=True) as connection:
            rows = await connection.stream(
                select(requests)
                .where(requests.c.created_at >= start, requests.c.created_at < end)
                .order_by(requests.c.id)
                .execution_options(yield_per=STREAM_ROWS)
            )
            # A partition at a time: each step of an async result is a greenlet switch.
            async for partition in rows.partitions():
                for row in partition:
                    yield request_of(row)

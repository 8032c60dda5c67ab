"""Requests nobody took in time: the reminders raised in the manager chat, and take times.

A reminder is queued in the transaction that counts it (compare-and-set on `reminders`), so
that however many instances run the job, each reminder is posted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert
from storage.models import OutboxMessage, RequestStatus
from storage.repositories._records import insert_outbox_row
from storage.schema import request_escalations, request_events, requests


@dataclass(frozen=True, slots=True)
class WaitingRequest:
    """A new request nobody has taken yet, and how many reminders it already had."""

    id: int
    user_id: int
    created_at: datetime
    reminders: int


@dataclass(frozen=True, slots=True)
class FirstTake:
    """When a request was first taken (🙋), and by whom."""

    request_id: int
    created_at: datetime
    taken_at: datetime
    staff_id: int
    staff_name: str


class EscalationRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def waiting_requests(
        self, created_since: datetime, *, below: int, limit: int = 500
    ) -> list[WaitingRequest]:
        """New, untaken requests since `created_since` with fewer than `below` reminders."""
        reminders = func.coalesce(request_escalations.c.reminders, 0)
        query = (
            select(requests.c.id, requests.c.user_id, requests.c.created_at, reminders)
            .select_from(
                requests.outerjoin(
                    request_escalations, request_escalations.c.request_id == requests.c.id
                )
            )
            .where(
                requests.c.status == RequestStatus.NEW.value,
                requests.c.erased_at.is_(None),
                requests.c.created_at >= created_since,
                reminders < below,
            )
            .order_by(requests.c.id)
            .limit(limit)
        )
        async with self._database.read() as connection:
            rows = await connection.execute(query)
            return [WaitingRequest(int(row[0]), int(row[1]), row[2], int(row[3])) for row in rows]

    async def raise_again(
        self, request_id: int, *, had: int, reminders: int, message: OutboxMessage
    ) -> bool:
        """Count the reminder and queue its message, both or neither; False if the request
        was taken meanwhile, or another instance counted this reminder first."""
        now = self._clock()
        async with self._database.transaction() as connection:
            status = await connection.scalar(
                select(requests.c.status).where(requests.c.id == request_id)
            )
            if status != RequestStatus.NEW.value:
                return False
            if had == 0:
                counted = await connection.scalar(
                    upsert(connection.dialect.name, request_escalations)
                    .values(request_id=request_id, reminders=reminders, last_at=now)
                    .on_conflict_do_nothing(index_elements=[request_escalations.c.request_id])
                    .returning(request_escalations.c.request_id)
                )
                applied = counted is not None
            else:
                result = await connection.execute(
                    update(request_escalations)
                    .where(
                        request_escalations.c.request_id == request_id,
                        request_escalations.c.reminders == had,
                    )
                    .values(reminders=reminders, last_at=now)
                )
                applied = result.rowcount == 1
            if applied:
                await connection.run_sync(insert_outbox_row, message, now)
            return applied

    async def reminders_of(self, request_id: int) -> int:
        async with self._database.read() as connection:
            count = await connection.scalar(
                select(request_escalations.c.reminders).where(
                    request_escalations.c.request_id == request_id
                )
            )
        return int(count or 0)

    async def first_takes(self, created_since: datetime) -> list[FirstTake]:
        """The first 🙋 of each request created since `created_since`, in request order."""
        first = (
            select(func.min(request_events.c.id).label("event_id"))
            .where(request_events.c.status == RequestStatus.TAKEN.value)
            .group_by(request_events.c.request_id)
            .subquery()
        )
        query = (
            select(
                requests.c.id,
                requests.c.created_at,
                request_events.c.at,
                request_events.c.staff_id,
                request_events.c.staff_name,
            )
            .select_from(
                request_events.join(first, first.c.event_id == request_events.c.id).join(
                    requests, and_(requests.c.id == request_events.c.request_id)
                )
            )
            .where(requests.c.created_at >= created_since)
            .order_by(requests.c.id)
        )
        async with self._database.read() as connection:
            rows = await connection.execute(query)
            return [
                FirstTake(int(row[0]), row[1], row[2], int(row[3]), str(row[4])) for row in rows
            ]

"""The outbox of messages to the manager chat, and the pacing of sends into a chat.

Rows are claimed with a lease (`storage.dialects.claim_outbox`): several instances on one
PostgreSQL database drain one outbox, each row sent by one of them; on SQLite the same
claim runs in the single writer's transaction.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import claim_outbox, lease_is_free, lock_send_log, upsert_updating
from storage.models import ConsultationRequest, OutboxMessage, OutboxRow, PendingMessage
from storage.repositories._records import insert_outbox_row, pending_of, request_of
from storage.schema import manager_messages, outbox, requests, send_log

logger = logging.getLogger(__name__)

OUTBOX_LEASE = timedelta(seconds=120)
"""How long a claimed outbox row is reserved for the instance that claimed it.

Every `mark_outbox_sent`/`mark_outbox_failed` of that instance renews its other claims, so
the lease only has to outlast the longest pause between two deliveries (pacing waits up to
a minute for a slot in the manager chat); a process that dies leaves its rows to the
others once the lease has run out.
"""

SEND_LOG_CLOCK_TOLERANCE = timedelta(seconds=1)
"""How far ahead of this instance's clock another instance's send may be stamped and still
count; anything later was stamped before the clock was set back, and is dropped."""


@dataclass(frozen=True, slots=True)
class DigestedRow:
    """An outbox row delivered in a digest (or as a card): its chat and message, its card."""

    chat_id: int
    message_id: int
    kind: str
    ref_id: int
    patient_id: int | None
    text: str


def _link(
    connection: Connection,
    chat_id: int,
    message_id: int,
    patient_id: int,
    kind: str,
    ref_id: int,
    text: str,
    now: datetime,
) -> None:
    """Remember what a manager-chat message shows, so that its buttons and replies work."""
    connection.execute(
        upsert_updating(
            connection.dialect.name,
            manager_messages,
            ("chat_id", "message_id"),
            ("patient_id", "kind", "ref_id", "text", "created_at"),
        ),
        {
            "chat_id": chat_id,
            "message_id": message_id,
            "patient_id": patient_id,
            "kind": kind,
            "ref_id": ref_id,
            "text": text,
            "created_at": now,
        },
    )


def _marked_sent(rows: ColumnElement[bool]) -> Update:
    """The UPDATE that records `rows` as delivered in message `sent_message_id` at
    `sent_time`, their claims given up."""
    return (
        update(outbox)
        .where(rows)
        .values(
            status="sent",
            message_id=bindparam("sent_message_id"),
            sent_at=bindparam("sent_time"),
            attempts=outbox.c.attempts + 1,
            last_error=None,
            lease_owner=None,
            lease_until=None,
        )
    )


# The statements of every card's delivery, built once: building them per call cost more
# than running them (~0.1 ms of SQLAlchemy's Python each).
_LEASE_IS_FREE = lease_is_free(bindparam("now"), bindparam("owner"))
_ANY_DUE = (
    select(outbox.c.id)
    .where(
        outbox.c.status == "pending", outbox.c.next_attempt_at <= bindparam("now"), _LEASE_IS_FREE
    )
    .limit(1)
)
_FIRST_FREE = (
    select(outbox.c.next_attempt_at)
    .where(outbox.c.status == "pending", _LEASE_IS_FREE)
    .order_by(outbox.c.id)
    .limit(1)
)
_OTHERS_LEASE_ENDS = select(func.min(outbox.c.lease_until)).where(
    outbox.c.status == "pending",
    outbox.c.lease_until > bindparam("now"),
    outbox.c.lease_owner != bindparam("owner"),
)
_MARK_SENT = _marked_sent(outbox.c.id == bindparam("outbox_id")).returning(
    outbox.c.chat_id, outbox.c.patient_id, outbox.c.kind, outbox.c.ref_id, outbox.c.text
)
_MARK_DIGESTED = _marked_sent(outbox.c.id.in_(bindparam("outbox_ids", expanding=True)))
_RENEW_CLAIMS = (
    update(outbox)
    .where(outbox.c.lease_owner == bindparam("owner"), outbox.c.status == "pending")
    .values(lease_until=bindparam("until"))
)
_SENDS_IN_WINDOW = select(func.count(), func.min(send_log.c.at)).where(
    send_log.c.chat_id == bindparam("chat_id"),
    send_log.c.at > bindparam("since"),
    send_log.c.at <= bindparam("until"),
)


def _instance_name() -> str:
    """Who holds an outbox lease: readable for whoever looks at the table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class OutboxRepository:
    def __init__(
        self,
        database: Database,
        *,
        clock: Clock = utc_now,
        lease: timedelta = OUTBOX_LEASE,
        owner: str | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._lease = lease
        self._owner = owner or _instance_name()

    @property
    def owner(self) -> str:
        """This instance's name in `outbox.lease_owner`."""
        return self._owner

    async def enqueue(self, message: OutboxMessage) -> None:
        """A message to the manager chat that belongs to no new row (a patient's relay)."""
        async with self._database.transaction() as connection:
            await connection.run_sync(insert_outbox_row, message, self._clock())

    async def due_outbox(self, now: datetime, limit: int) -> list[PendingMessage]:
        """Claim and return pending rows in the order they were written, up to the first not due.

        Rows under another instance's live lease are skipped (they are being delivered); the
        first free row that is not due yet stops the claim, so that a failing message keeps
        the rows behind it waiting. This instance's own claims stay claimable by it: calling
        again before marking returns the same rows.

        Ordering: a single instance sends in id order. With several, each sends its claims
        in id order and a failure holds every instance up (see `mark_outbox_failed`), but
        claims of different instances are sent concurrently, so their messages may
        interleave in the chat.
        """
        # Most passes find nothing: a read on the loop's thread says so, instead of a write
        # transaction (BEGIN IMMEDIATE and the claim) in aiosqlite's thread. A row written
        # right after it wakes the sender again.
        due = await self._database.lookup_one(_ANY_DUE, {"now": now, "owner": self._owner})
        if due is None:
            return []
        until = now + self._lease
        rows = await self._database.write(
            lambda connection: claim_outbox(connection, now, self._owner, limit, until)
        )
        return [pending_of(row) for row in sorted(rows, key=lambda row: int(row.id))]

    async def next_outbox_attempt(self) -> datetime | None:
        """When `due_outbox` may next return something: the first free row's attempt time,
        or earlier, when another instance's lease runs out."""
        now = self._clock()
        # Two reads on the loop's thread (`Database.lookup`): a hint for how long to sleep,
        # which a row written in between only shortens (its writer wakes the sender).
        parameters = {"now": now, "owner": self._owner}
        first_free = await self._database.lookup_one(_FIRST_FREE, parameters)
        lease_ends = await self._database.lookup_one(_OTHERS_LEASE_ENDS, parameters)
        moments = [row[0] for row in (first_free, lease_ends) if row is not None and row[0]]
        return min(moments) if moments else None

    async def mark_outbox_sent(self, outbox_id: int, message_id: int | None) -> None:
        """Mark delivered and remember the message, so replies to it reach the patient."""
        now = self._clock()

        def mark(connection: Connection) -> None:
            row = connection.execute(
                _MARK_SENT,
                {"outbox_id": outbox_id, "sent_message_id": message_id, "sent_time": now},
            ).first()
            if message_id is not None and row is not None and row.patient_id is not None:
                _link(
                    connection,
                    row.chat_id,
                    message_id,
                    row.patient_id,
                    row.kind,
                    row.ref_id,
                    row.text,
                    now,
                )
            self._renew_claims(connection, now)

        await self._database.write(mark)

    async def mark_outbox_digested(self, outbox_ids: Sequence[int], message_id: int) -> None:
        """Rows delivered as lines of one digest (`message_id`): sent, and linked to no
        patient, since the digest shows many; each opens its own card on demand
        (`digested_row`, `link_card`)."""
        now = self._clock()

        def mark(connection: Connection) -> None:
            connection.execute(
                _MARK_DIGESTED,
                {"outbox_ids": list(outbox_ids), "sent_message_id": message_id, "sent_time": now},
            )
            self._renew_claims(connection, now)

        await self._database.write(mark)

    async def digested_row(self, outbox_id: int) -> DigestedRow | None:
        """A delivered row: where it went and the card it holds (for a digest's button)."""
        async with self._database.read() as connection:
            row = (
                await connection.execute(
                    select(
                        outbox.c.chat_id,
                        outbox.c.message_id,
                        outbox.c.kind,
                        outbox.c.ref_id,
                        outbox.c.patient_id,
                        outbox.c.text,
                    ).where(outbox.c.id == outbox_id, outbox.c.status == "sent")
                )
            ).first()
        if row is None or row.message_id is None:
            return None
        return DigestedRow(
            chat_id=row.chat_id,
            message_id=row.message_id,
            kind=row.kind,
            ref_id=row.ref_id,
            patient_id=row.patient_id,
            text=row.text,
        )

    async def link_card(
        self, chat_id: int, message_id: int, patient_id: int, kind: str, ref_id: int, text: str
    ) -> None:
        """A card posted outside the outbox (opened from a digest) linked like any other:
        its buttons act on its request and replies to it reach the patient."""
        now = self._clock()
        await self._database.write(
            lambda connection: _link(
                connection, chat_id, message_id, patient_id, kind, ref_id, text, now
            )
        )

    async def digest_requests(self, request_ids: Sequence[int]) -> list[ConsultationRequest]:
        """The requests a digest lists, in the order asked."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(requests).where(requests.c.id.in_(list(request_ids)))
            )
            found = {int(row.id): request_of(row) for row in rows}
        return [found[request_id] for request_id in request_ids if request_id in found]

    async def digests_listing(self, request_ids: Sequence[int]) -> list[tuple[int, int]]:
        """The digests (chat, message) that list any of these requests; opened cards, linked
        to their patient like any card, are not among them."""
        card = (
            select(manager_messages.c.message_id)
            .where(
                manager_messages.c.chat_id == outbox.c.chat_id,
                manager_messages.c.message_id == outbox.c.message_id,
            )
            .exists()
        )
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(outbox.c.chat_id, outbox.c.message_id)
                .where(
                    outbox.c.kind == "request",
                    outbox.c.status == "sent",
                    outbox.c.ref_id.in_(list(request_ids)),
                    outbox.c.message_id.is_not(None),
                    ~card,
                )
                .distinct()
            )
            return sorted((int(row.chat_id), int(row.message_id)) for row in rows)

    async def digest_rows(self, chat_id: int, message_id: int) -> list[tuple[int, int]]:
        """The rows one digest lists, in its order: (outbox id, request id)."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(outbox.c.id, outbox.c.ref_id)
                .where(
                    outbox.c.chat_id == chat_id,
                    outbox.c.message_id == message_id,
                    outbox.c.kind == "request",
                    outbox.c.status == "sent",
                )
                .order_by(outbox.c.id)
            )
            return [(int(row.id), int(row.ref_id)) for row in rows]

    async def send_window(
        self, chat_id: int, limit: int, window_seconds: float
    ) -> tuple[int, float]:
        """How many of `limit` sends per `window_seconds` into `chat_id` are free now (all
        processes together, as `reserve_send_slot` counts them), and in how many seconds
        the next taken one frees up (0 when none is taken)."""
        now = self._clock()
        row = await self._database.lookup_one(
            _SENDS_IN_WINDOW,
            {
                "chat_id": chat_id,
                "since": now - timedelta(seconds=window_seconds),
                "until": now + SEND_LOG_CLOCK_TOLERANCE,
            },
        )
        assert row is not None  # an aggregate without GROUP BY has one row
        taken, oldest = row
        if not taken:
            return limit, 0.0
        frees_in = max((oldest - now).total_seconds() + window_seconds, 0.0)
        return max(limit - int(taken), 0), frees_in

    async def mark_outbox_failed(
        self, outbox_id: int, error: str, next_attempt_at: datetime
    ) -> None:
        """Postpone a row; the caller's pass ends here, as `OutboxSender.deliver_due`'s does.

        The row and this instance's claims behind it are given back, so every instance
        stops at the failed row until it is due again, and the order is kept.
        """
        now = self._clock()

        def postpone(connection: Connection) -> None:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == outbox_id)
                .values(
                    attempts=outbox.c.attempts + 1,
                    last_error=error[:500],
                    next_attempt_at=next_attempt_at,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            connection.execute(
                update(outbox)
                .where(
                    outbox.c.lease_owner == self._owner,
                    outbox.c.status == "pending",
                    outbox.c.id > outbox_id,
                )
                .values(lease_owner=None, lease_until=None)
            )
            self._renew_claims(connection, now)

        await self._database.write(postpone)

    def _renew_claims(self, connection: Connection, now: datetime) -> None:
        """Progress proves this instance alive: its remaining claims get a fresh lease."""
        connection.execute(_RENEW_CLAIMS, {"owner": self._owner, "until": now + self._lease})

    async def release_claims(self) -> None:
        """Give back this instance's claims (when it stops), so that nobody waits for them."""
        try:
            async with self._database.transaction() as connection:
                await connection.execute(
                    update(outbox)
                    .where(outbox.c.lease_owner == self._owner, outbox.c.status == "pending")
                    .values(lease_owner=None, lease_until=None)
                )
        except (SQLAlchemyError, OSError) as error:
            logger.warning("Could not release outbox claims: %s", error)

    async def pending_outbox_count(self) -> int:
        async with self._database.read() as connection:
            count = await connection.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
            )
        return int(count or 0)

    async def outbox_overview(self, limit: int) -> tuple[int, list[OutboxRow]]:
        """How many rows wait, and the oldest of them with their last error."""
        # One statement, one snapshot: a row delivered meanwhile cannot make the count
        # disagree with the rows.
        async with self._database.read() as connection:
            rows = (
                await connection.execute(
                    select(
                        outbox.c.id,
                        outbox.c.kind,
                        outbox.c.ref_id,
                        outbox.c.attempts,
                        outbox.c.last_error,
                        outbox.c.created_at,
                        func.count().over().label("total"),
                    )
                    .where(outbox.c.status == "pending")
                    .order_by(outbox.c.id)
                    .limit(max(limit, 1))
                )
            ).all()
        count = int(rows[0].total) if rows else 0
        return count, [
            OutboxRow(
                id=row.id,
                kind=row.kind,
                ref_id=row.ref_id,
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def reserve_send_slot(self, chat_id: int, limit: int, window_seconds: float) -> float:
        """Take a slot among `limit` sends per `window_seconds` into `chat_id`, for every
        process together.

        Returns 0 when the slot is taken, else how many seconds to wait before asking again.
        """
        now = self._clock()
        async with self._database.transaction() as connection:
            await lock_send_log(connection, chat_id)
            await connection.execute(
                send_log.delete().where(
                    send_log.c.chat_id == chat_id,
                    # Sends stamped in the future (the clock was set back) would hold the
                    # slots for as long as the clock jumped; another instance's clock a
                    # little ahead still counts.
                    (send_log.c.at <= now - timedelta(seconds=window_seconds))
                    | (send_log.c.at > now + SEND_LOG_CLOCK_TOLERANCE),
                )
            )
            taken, oldest = (
                await connection.execute(
                    select(func.count(), func.min(send_log.c.at)).where(
                        send_log.c.chat_id == chat_id
                    )
                )
            ).one()
            if int(taken) < limit:
                await connection.execute(send_log.insert().values(chat_id=chat_id, at=now))
                return 0.0
        wait: float = (oldest - now).total_seconds() + window_seconds
        return max(wait, 0.001)

    async def mark_outbox_dropped(self, outbox_id: int, error: str) -> None:
        """A message to a patient who blocked the bot: never sent, never retried."""
        async with self._database.transaction() as connection:
            await connection.execute(
                update(outbox)
                .where(outbox.c.id == outbox_id)
                .values(
                    status="dropped",
                    attempts=outbox.c.attempts + 1,
                    last_error=error[:500],
                    lease_owner=None,
                    lease_until=None,
                )
            )

"""PostgreSQL backend of the repository (asyncpg, a connection pool).

The same calls with the same meaning as `storage/sqlite.py`; what differs is what several
bot processes on one database need: migrations under an advisory lock, compare-and-set and
erasures as single locking statements, and an outbox whose rows are claimed with a lease.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from bot.clock import Clock, utc_now
from storage.base import CardRenderer
from storage.models import (
    CLOSED_STATUSES,
    AuditEntry,
    Consent,
    ConsultationRequest,
    Erasure,
    ManagerMessage,
    NewRequest,
    NewReview,
    OutboxMessage,
    OutboxRow,
    PendingMessage,
    PersonalData,
    RatingSummary,
    RequestEvent,
    RequestStatus,
    Review,
    ReviewStatus,
    Stats,
    StatusChange,
)
from storage.pg_migrations import MIGRATION_LOCK, MIGRATIONS, SCHEMA_VERSION_TABLE

if TYPE_CHECKING:
    from asyncpg.cursor import CursorFactory
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]

# Advisory-lock class of the send log (two 32-bit keys: this class and the chat).
SEND_LOG_LOCK = 0x636C6974
logger = logging.getLogger(__name__)

OUTBOX_LEASE = timedelta(seconds=120)
"""How long a claimed outbox row is reserved for the instance that claimed it.

Every `mark_outbox_sent`/`mark_outbox_failed` of that instance renews its other claims, so
the lease only has to outlast the longest pause between two deliveries (pacing waits up to
a minute for a slot in the manager chat); a process that dies leaves its rows to the
others once the lease has run out.
"""

STREAM_PREFETCH = 100
"""Rows fetched at a time by the server-side cursors of the exports."""

CLOSE_TIMEOUT_SECONDS = 10.0

_PAGED_TABLES = frozenset({"requests", "reviews"})

# A row another instance holds under a live lease is not ours to send; $1 = now, $2 = owner.
_FREE = "(lease_until IS NULL OR lease_until <= $1 OR lease_owner = $2)"

_CLAIM = f"""
WITH candidates AS MATERIALIZED (
    SELECT id, next_attempt_at FROM outbox
    WHERE status = 'pending' AND {_FREE}
    ORDER BY id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    SELECT id FROM candidates
    WHERE NOT EXISTS (
        SELECT 1 FROM candidates AS blocker
        WHERE blocker.id <= candidates.id AND blocker.next_attempt_at > $1
    )
)
UPDATE outbox SET lease_owner = $2, lease_until = $4
FROM claimed WHERE outbox.id = claimed.id
RETURNING outbox.*
"""


def _utc(moment: datetime) -> datetime:
    """Aware UTC, as SQLite stores it (a naive time is taken as local, like `astimezone`)."""
    return moment.astimezone(UTC)


def _affected(status: str) -> int:
    """The row count of asyncpg's command tag, e.g. 'UPDATE 1'."""
    return int(status.rsplit(" ", 1)[-1])


def _request(row: asyncpg.Record) -> ConsultationRequest:
    return ConsultationRequest(
        id=row["id"],
        user_id=row["user_id"],
        locale=row["locale"],
        service_id=row["service_id"],
        name=row["name"],
        phone=row["phone"],
        preferred_time=row["preferred_time"],
        complaint=row["complaint"],
        consent_version=row["consent_version"],
        consented_at=row["consented_at"],
        status=RequestStatus(row["status"]),
        created_at=row["created_at"],
    )


def _review(row: asyncpg.Record) -> Review:
    return Review(
        id=row["id"],
        user_id=row["user_id"],
        author=row["author"],
        rating=row["rating"],
        text=row["text"],
        status=ReviewStatus(row["status"]),
        created_at=row["created_at"],
    )


def _event(row: asyncpg.Record) -> RequestEvent:
    return RequestEvent(
        request_id=row["request_id"],
        status=RequestStatus(row["status"]),
        staff_id=row["staff_id"],
        staff_name=row["staff_name"],
        at=row["at"],
    )


def _manager_message(row: asyncpg.Record) -> ManagerMessage:
    return ManagerMessage(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        patient_id=row["patient_id"],
        kind=row["kind"],
        ref_id=row["ref_id"],
        text=row["text"],
    )


def _pending(row: asyncpg.Record) -> PendingMessage:
    return PendingMessage(
        id=row["id"],
        message=OutboxMessage(
            kind=row["kind"],
            ref_id=row["ref_id"],
            chat_id=row["chat_id"],
            thread_id=row["thread_id"],
            text=row["text"],
            reply_markup=row["reply_markup"],
            patient_id=row["patient_id"],
            thread_under_patient=row["thread_under_patient"],
            copy_chat_id=row["copy_chat_id"],
            copy_message_id=row["copy_message_id"],
        ),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
    )


class PostgresRepository:
    """A pool of connections; several processes may share the database."""

    def __init__(
        self,
        dsn: str,
        *,
        clock: Clock = utc_now,
        lease: timedelta = OUTBOX_LEASE,
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        self._dsn = dsn
        self._clock = clock
        self._lease = lease
        self._min_size = min_size
        self._max_size = max_size
        self._pool: Pool | None = None
        # Who holds an outbox lease: readable for whoever looks at the table.
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"

    @property
    def owner(self) -> str:
        """This instance's name in `outbox.lease_owner`."""
        return self._owner

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(
            self._dsn, min_size=self._min_size, max_size=self._max_size
        )
        try:
            await self._migrate(pool)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        """Give back this instance's outbox claims, so that nobody waits for their lease."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        try:
            await pool.execute(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL "
                "WHERE lease_owner = $1 AND status = 'pending'",
                self._owner,
            )
        except (asyncpg.PostgresError, OSError) as error:
            logger.warning("Could not release outbox claims: %s", error)
        finally:
            try:
                # A caller that left an export half-read still holds a connection.
                await asyncio.wait_for(pool.close(), timeout=CLOSE_TIMEOUT_SECONDS)
            except TimeoutError:
                pool.terminate()

    @property
    def _db(self) -> Pool:
        if self._pool is None:
            raise RuntimeError("repository is not open")
        return self._pool

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Connection]:
        async with self._db.acquire() as db, db.transaction():
            yield db

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[Connection]:
        """A read-only transaction that sees one moment of the database throughout."""
        async with (
            self._db.acquire() as db,
            db.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield db

    async def schema_version(self) -> int:
        return int(await self._db.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))

    async def _migrate(self, pool: Pool) -> None:
        """Apply the missing versions; the advisory lock makes concurrent starts wait in turn."""
        async with pool.acquire() as db:
            await db.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await db.execute(SCHEMA_VERSION_TABLE)
                current = int(
                    await db.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                )
                for version, script in enumerate(MIGRATIONS, start=1):
                    if version <= current:
                        continue
                    async with db.transaction():
                        await db.execute(script)
                        await db.execute(
                            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                            version,
                            _utc(self._clock()),
                        )
                    logger.info("Database migrated to schema version %d", version)
            finally:
                await db.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    # --- users -----------------------------------------------------------------------------

    async def get_user_locale(self, user_id: int) -> str | None:
        locale = await self._db.fetchval("SELECT locale FROM users WHERE id = $1", user_id)
        return str(locale) if locale is not None else None

    async def set_user_locale(self, user_id: int, locale: str) -> None:
        now = _utc(self._clock())
        await self._db.execute(
            "INSERT INTO users (id, locale, created_at, updated_at) VALUES ($1, $2, $3, $3) "
            "ON CONFLICT (id) DO UPDATE SET locale = EXCLUDED.locale, "
            "updated_at = EXCLUDED.updated_at",
            user_id,
            locale,
            now,
        )

    # --- requests --------------------------------------------------------------------------

    async def create_request(self, request: NewRequest, card: CardRenderer) -> int:
        async with self._transaction() as db:
            request_id = int(
                await db.fetchval(
                    "INSERT INTO requests (user_id, locale, service_id, name, phone, "
                    "preferred_time, complaint, consent_version, consented_at, status, "
                    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                    "RETURNING id",
                    request.user_id,
                    request.locale,
                    request.service_id,
                    request.name,
                    request.phone,
                    request.preferred_time,
                    request.complaint,
                    request.consent_version,
                    _utc(request.consented_at),
                    RequestStatus.NEW.value,
                    _utc(self._clock()),
                )
            )
            await db.execute(
                "INSERT INTO consents (user_id, version, at) VALUES ($1, $2, $3) "
                "ON CONFLICT (user_id, version) DO NOTHING",
                request.user_id,
                request.consent_version,
                _utc(request.consented_at),
            )
            await self._enqueue(db, card(request_id))
        return request_id

    async def get_request(self, request_id: int) -> ConsultationRequest | None:
        row = await self._db.fetchrow("SELECT * FROM requests WHERE id = $1", request_id)
        return _request(row) if row is not None else None

    # --- reviews ---------------------------------------------------------------------------

    async def _insert_review(self, db: Connection, review: NewReview, status: ReviewStatus) -> int:
        return int(
            await db.fetchval(
                "INSERT INTO reviews (user_id, author, rating, text, locale, status, created_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                review.user_id,
                review.author,
                review.rating,
                review.text,
                review.locale,
                status.value,
                _utc(self._clock()),
            )
        )

    async def create_review(self, review: NewReview, card: CardRenderer) -> int:
        async with self._transaction() as db:
            review_id = await self._insert_review(db, review, ReviewStatus.PENDING)
            await self._enqueue(db, card(review_id))
        return review_id

    async def seed_reviews(self, reviews: Sequence[NewReview]) -> bool:
        """Publish the clinic's own reviews on the first start only, never again.

        The mark is written first: of two processes starting together, the second waits for
        the first one's transaction and then finds the mark.
        """
        async with self._transaction() as db:
            marked = await db.fetchval(
                "INSERT INTO meta (key, value) VALUES ('reviews_seeded', '1') "
                "ON CONFLICT (key) DO NOTHING RETURNING key"
            )
            if marked is None:
                return False
            for review in reviews:
                await self._insert_review(db, review, ReviewStatus.PUBLISHED)
        return True

    async def published_reviews(self, offset: int, limit: int) -> list[Review]:
        rows = await self._db.fetch(
            "SELECT * FROM reviews WHERE status = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            ReviewStatus.PUBLISHED.value,
            limit,
            offset,
        )
        return [_review(row) for row in rows]

    async def get_review(self, review_id: int) -> Review | None:
        row = await self._db.fetchrow("SELECT * FROM reviews WHERE id = $1", review_id)
        return _review(row) if row is not None else None

    async def set_review_status(self, review_id: int, status: ReviewStatus) -> bool:
        result = await self._db.execute(
            "UPDATE reviews SET status = $1 WHERE id = $2", status.value, review_id
        )
        return _affected(result) > 0

    async def rating_summary(self) -> RatingSummary:
        row = await self._db.fetchrow(
            "SELECT COUNT(*) AS count, AVG(rating) AS average FROM reviews WHERE status = $1",
            ReviewStatus.PUBLISHED.value,
        )
        assert row is not None
        count = int(row["count"])
        return RatingSummary(count=count, average=float(row["average"]) if count else None)

    # --- outbox ----------------------------------------------------------------------------

    async def _enqueue(self, db: Connection, message: OutboxMessage) -> None:
        now = _utc(self._clock())
        if message.patient_id is not None:
            await db.execute(
                "INSERT INTO patients (user_id, display_name) VALUES ($1, $2) "
                "ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name",
                message.patient_id,
                message.patient_name,
            )
        await db.execute(
            "INSERT INTO outbox (kind, ref_id, chat_id, thread_id, text, reply_markup, "
            "patient_id, thread_under_patient, copy_chat_id, copy_message_id, "
            "next_attempt_at, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            message.kind,
            message.ref_id,
            message.chat_id,
            message.thread_id,
            message.text,
            message.reply_markup,
            message.patient_id,
            message.thread_under_patient,
            message.copy_chat_id,
            message.copy_message_id,
            now,
        )

    async def enqueue(self, message: OutboxMessage) -> None:
        """A message to the manager chat that belongs to no new row (a patient's relay)."""
        async with self._transaction() as db:
            await self._enqueue(db, message)

    async def due_outbox(self, now: datetime, limit: int) -> list[PendingMessage]:
        """Claim and return pending rows in the order they were written, up to the first not due.

        One statement locks the candidates `FOR UPDATE SKIP LOCKED` and leases them to this
        instance until `now` + the lease, so that another instance running the same call at
        the same time gets other rows, or none. Rows under another instance's live lease are
        skipped (they are being delivered); the first free row that is not due yet stops the
        claim, as in SQLite, so that a failing message keeps the rows behind it waiting.
        This instance's own claims stay claimable by it: calling again before marking returns
        the same rows, as SQLite does.

        Ordering: a single instance sends in id order, exactly like SQLite. With several,
        each sends its claims in id order and a failure holds every instance up (see
        `mark_outbox_failed`), but claims of different instances are sent concurrently, so
        their messages may interleave in the chat.
        """
        moment = _utc(now)
        rows = await self._db.fetch(_CLAIM, moment, self._owner, limit, moment + self._lease)
        return [_pending(row) for row in sorted(rows, key=lambda row: int(row["id"]))]

    async def next_outbox_attempt(self) -> datetime | None:
        """When `due_outbox` may next return something: the first free row's attempt time,
        or earlier, when another instance's lease runs out."""
        moment: datetime | None = await self._db.fetchval(
            "SELECT LEAST("
            f"(SELECT next_attempt_at FROM outbox WHERE status = 'pending' AND {_FREE} "
            "ORDER BY id LIMIT 1), "
            "(SELECT MIN(lease_until) FROM outbox WHERE status = 'pending' "
            "AND lease_until > $1 AND lease_owner <> $2))",
            _utc(self._clock()),
            self._owner,
        )
        return moment

    async def _renew_claims(self, db: Connection) -> None:
        """Progress proves this instance alive: its remaining claims get a fresh lease."""
        await db.execute(
            "UPDATE outbox SET lease_until = $2 WHERE lease_owner = $1 AND status = 'pending'",
            self._owner,
            _utc(self._clock()) + self._lease,
        )

    async def mark_outbox_sent(self, outbox_id: int, message_id: int | None) -> None:
        """Mark delivered and remember the message, so replies to it reach the patient."""
        now = _utc(self._clock())
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'sent', message_id = $1, sent_at = $2, "
                "attempts = attempts + 1, last_error = NULL, lease_owner = NULL, "
                "lease_until = NULL WHERE id = $3",
                message_id,
                now,
                outbox_id,
            )
            if message_id is not None:
                await db.execute(
                    "INSERT INTO manager_messages "
                    "(chat_id, message_id, patient_id, kind, ref_id, text, created_at) "
                    "SELECT chat_id, $1, patient_id, kind, ref_id, text, $2 FROM outbox "
                    "WHERE id = $3 AND patient_id IS NOT NULL "
                    "ON CONFLICT (chat_id, message_id) DO UPDATE SET "
                    "patient_id = EXCLUDED.patient_id, kind = EXCLUDED.kind, "
                    "ref_id = EXCLUDED.ref_id, text = EXCLUDED.text, "
                    "created_at = EXCLUDED.created_at",
                    message_id,
                    now,
                    outbox_id,
                )
            await self._renew_claims(db)

    async def mark_outbox_failed(
        self, outbox_id: int, error: str, next_attempt_at: datetime
    ) -> None:
        """Postpone a row; the caller's pass ends here, as `OutboxSender.deliver_due`'s does.

        The row and this instance's claims behind it are given back, so every instance
        stops at the failed row until it is due again, and the order is kept.
        """
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1, "
                "next_attempt_at = $2, lease_owner = NULL, lease_until = NULL WHERE id = $3",
                error[:500],
                _utc(next_attempt_at),
                outbox_id,
            )
            await db.execute(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL "
                "WHERE lease_owner = $1 AND status = 'pending' AND id > $2",
                self._owner,
                outbox_id,
            )
            await self._renew_claims(db)

    async def outbox_overview(self, limit: int) -> tuple[int, list[OutboxRow]]:
        """How many rows wait, and the oldest of them with their last error."""
        # One statement, one snapshot: a row delivered meanwhile cannot make the count
        # disagree with the rows.
        rows = await self._db.fetch(
            "SELECT id, kind, ref_id, attempts, last_error, created_at, "
            "count(*) OVER () AS total FROM outbox "
            "WHERE status = 'pending' ORDER BY id LIMIT $1",
            max(limit, 1),
        )
        count = int(rows[0]["total"]) if rows else 0
        return count, [
            OutboxRow(
                id=row["id"],
                kind=row["kind"],
                ref_id=row["ref_id"],
                attempts=row["attempts"],
                last_error=row["last_error"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def pending_outbox_count(self) -> int:
        return int(await self._db.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"))

    # --- forms in progress (aiogram FSM) ---------------------------------------------------

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]:
        row = await self._db.fetchrow("SELECT state, data FROM fsm WHERE key = $1", key)
        if row is None:
            return None, {}
        data = json.loads(row["data"])
        return row["state"], data if isinstance(data, dict) else {}

    async def save_fsm_state(self, key: str, state: str | None) -> None:
        await self._db.execute(
            "INSERT INTO fsm (key, state, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, "
            "updated_at = EXCLUDED.updated_at",
            key,
            state,
            _utc(self._clock()),
        )

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO fsm (key, data, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, "
            "updated_at = EXCLUDED.updated_at",
            key,
            json.dumps(data, ensure_ascii=False),
            _utc(self._clock()),
        )

    # --- managers: statuses, moderation, links to patients, topics, bans -------------------

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
        async with self._transaction() as db:
            result = await db.execute(
                "UPDATE requests SET status = $1 WHERE id = $2 AND status = $3",
                new.value,
                request_id,
                expected.value,
            )
            applied = _affected(result) > 0
            if applied:
                await db.execute(
                    "INSERT INTO request_events (request_id, status, staff_id, staff_name, at) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    request_id,
                    new.value,
                    staff_id,
                    staff_name,
                    _utc(self._clock()),
                )
            row = await db.fetchrow("SELECT status FROM requests WHERE id = $1", request_id)
            if row is None:
                return None
            last = await db.fetchrow(
                "SELECT * FROM request_events WHERE request_id = $1 ORDER BY id DESC LIMIT 1",
                request_id,
            )
        return StatusChange(
            applied=applied,
            current=RequestStatus(row["status"]),
            last_event=_event(last) if last is not None else None,
        )

    async def request_events(self, request_id: int) -> list[RequestEvent]:
        rows = await self._db.fetch(
            "SELECT * FROM request_events WHERE request_id = $1 ORDER BY id", request_id
        )
        return [_event(row) for row in rows]

    async def moderate_review(
        self, review_id: int, status: ReviewStatus, staff_name: str
    ) -> Review | None:
        row = await self._db.fetchrow(
            "UPDATE reviews SET status = $1, moderated_by = $2, moderated_at = $3 "
            "WHERE id = $4 RETURNING *",
            status.value,
            staff_name,
            _utc(self._clock()),
            review_id,
        )
        return _review(row) if row is not None else None

    async def manager_message(self, chat_id: int, message_id: int) -> ManagerMessage | None:
        row = await self._db.fetchrow(
            "SELECT * FROM manager_messages WHERE chat_id = $1 AND message_id = $2",
            chat_id,
            message_id,
        )
        return _manager_message(row) if row is not None else None

    async def card_message(self, chat_id: int, kind: str, ref_id: int) -> ManagerMessage | None:
        row = await self._db.fetchrow(
            "SELECT * FROM manager_messages WHERE chat_id = $1 AND kind = $2 AND ref_id = $3 "
            "ORDER BY message_id DESC LIMIT 1",
            chat_id,
            kind,
            ref_id,
        )
        return _manager_message(row) if row is not None else None

    async def latest_manager_message(self, patient_id: int, chat_id: int) -> ManagerMessage | None:
        row = await self._db.fetchrow(
            "SELECT * FROM manager_messages WHERE patient_id = $1 AND chat_id = $2 "
            "ORDER BY message_id DESC LIMIT 1",
            patient_id,
            chat_id,
        )
        return _manager_message(row) if row is not None else None

    async def patient_topic(self, patient_id: int) -> tuple[int | None, str]:
        row = await self._db.fetchrow(
            "SELECT topic_id, display_name FROM patients WHERE user_id = $1", patient_id
        )
        return (row["topic_id"], row["display_name"]) if row is not None else (None, "")

    async def set_patient_topic(self, patient_id: int, topic_id: int | None) -> None:
        await self._db.execute(
            "INSERT INTO patients (user_id, topic_id) VALUES ($1, $2) "
            "ON CONFLICT (user_id) DO UPDATE SET topic_id = EXCLUDED.topic_id",
            patient_id,
            topic_id,
        )

    async def set_banned(self, patient_id: int, banned_by: int | None) -> None:
        """Ban (`banned_by` = the staff member) or lift the ban (`None`)."""
        banned_at = _utc(self._clock()) if banned_by is not None else None
        await self._db.execute(
            "INSERT INTO patients (user_id, banned_by, banned_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (user_id) DO UPDATE SET banned_by = EXCLUDED.banned_by, "
            "banned_at = EXCLUDED.banned_at",
            patient_id,
            banned_by,
            banned_at,
        )

    async def is_banned(self, patient_id: int) -> bool:
        banned_at = await self._db.fetchval(
            "SELECT banned_at FROM patients WHERE user_id = $1", patient_id
        )
        return banned_at is not None

    # --- staff tools -----------------------------------------------------------------------

    async def add_audit(self, staff_id: int, staff_name: str, action: str, target: str) -> None:
        await self._db.execute(
            "INSERT INTO audit (staff_id, staff_name, action, target, at) "
            "VALUES ($1, $2, $3, $4, $5)",
            staff_id,
            staff_name,
            action,
            target,
            _utc(self._clock()),
        )

    async def latest_audit(self, limit: int) -> list[AuditEntry]:
        rows = await self._db.fetch("SELECT * FROM audit ORDER BY id DESC LIMIT $1", limit)
        return [
            AuditEntry(
                staff_id=row["staff_id"],
                staff_name=row["staff_name"],
                action=row["action"],
                target=row["target"],
                at=row["at"],
            )
            for row in rows
        ]

    async def _page(
        self,
        table: str,
        status: str | None,
        before_id: int | None,
        after_id: int | None,
        limit: int,
    ) -> list[asyncpg.Record]:
        """Keyset pagination, newest first: fast at any depth, unlike OFFSET."""
        if table not in _PAGED_TABLES:
            raise ValueError(f"not a paged table: {table!r}")
        where = ["TRUE"]
        params: list[object] = []
        if status is not None:
            params.append(status)
            where.append(f"status = ${len(params)}")
        order = "DESC"
        if before_id is not None:
            params.append(before_id)
            where.append(f"id < ${len(params)}")
        elif after_id is not None:
            params.append(after_id)
            where.append(f"id > ${len(params)}")
            order = "ASC"
        params.append(limit)
        query = (
            f"SELECT * FROM {table} WHERE {' AND '.join(where)} "
            f"ORDER BY id {order} LIMIT ${len(params)}"
        )
        rows = list(await self._db.fetch(query, *params))
        return rows if order == "DESC" else rows[::-1]

    async def list_requests(
        self,
        status: RequestStatus | None,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 10,
    ) -> list[ConsultationRequest]:
        rows = await self._page(
            "requests", status.value if status else None, before_id, after_id, limit
        )
        return [_request(row) for row in rows]

    async def list_reviews(
        self,
        status: ReviewStatus | None,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 10,
    ) -> list[Review]:
        rows = await self._page(
            "reviews", status.value if status else None, before_id, after_id, limit
        )
        return [_review(row) for row in rows]

    async def has_newer_or_older(
        self, table: str, status: str | None, ids: tuple[int, int]
    ) -> tuple[bool, bool]:
        """Whether rows exist above the newest and below the oldest id shown."""
        if table not in _PAGED_TABLES:
            raise ValueError(f"not a paged table: {table!r}")
        newest, oldest = ids
        status_filter = " AND status = $3" if status is not None else ""
        row = await self._db.fetchrow(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id > $1{status_filter}) AS newer, "
            f"EXISTS (SELECT 1 FROM {table} WHERE id < $2{status_filter}) AS older",
            *((newest, oldest, status) if status is not None else (newest, oldest)),
        )
        assert row is not None
        return bool(row["newer"]), bool(row["older"])

    async def stats(self, since: datetime) -> Stats:
        start = _utc(since)
        async with self._snapshot() as db:
            per_day = [
                (str(row[0]), int(row[1]))
                for row in await db.fetch(
                    "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, "
                    "COUNT(*) FROM requests WHERE created_at >= $1 GROUP BY day ORDER BY day",
                    start,
                )
            ]
            per_status = {
                str(row[0]): int(row[1])
                for row in await db.fetch(
                    "SELECT status, COUNT(*) FROM requests WHERE created_at >= $1 GROUP BY status",
                    start,
                )
            }
            per_service = {
                str(row[0]): int(row[1])
                for row in await db.fetch(
                    "SELECT COALESCE(service_id, ''), COUNT(*) FROM requests "
                    "WHERE created_at >= $1 GROUP BY service_id ORDER BY COUNT(*) DESC",
                    start,
                )
            }
            reviews = await db.fetchrow(
                "SELECT COUNT(*) AS count, AVG(rating) AS average FROM reviews "
                "WHERE created_at >= $1",
                start,
            )
        assert reviews is not None
        return Stats(
            since=since,
            total=sum(per_status.values()),
            per_day=per_day,
            per_status=per_status,
            per_service=per_service,
            reviews_count=int(reviews["count"]),
            reviews_average=float(reviews["average"]) if reviews["count"] else None,
        )

    @asynccontextmanager
    async def _cursor(self, query: str, *args: object) -> AsyncIterator[CursorFactory[Any]]:
        """A server-side cursor; it lives in a read-only transaction on a connection of its own."""
        async with self._snapshot() as db:
            yield db.cursor(query, *args, prefetch=STREAM_PREFETCH)

    async def iter_requests(
        self, start: datetime, end: datetime
    ) -> AsyncIterator[ConsultationRequest]:
        """Rows one by one from a cursor: an export never holds the whole table in memory."""
        async with self._cursor(
            "SELECT * FROM requests WHERE created_at >= $1 AND created_at < $2 ORDER BY id",
            _utc(start),
            _utc(end),
        ) as rows:
            async for row in rows:
                yield _request(row)

    async def iter_reviews(self, start: datetime, end: datetime) -> AsyncIterator[Review]:
        async with self._cursor(
            "SELECT * FROM reviews WHERE created_at >= $1 AND created_at < $2 ORDER BY id",
            _utc(start),
            _utc(end),
        ) as rows:
            async for row in rows:
                yield _review(row)

    # --- patients' data rights -------------------------------------------------------------

    async def consent_of(self, user_id: int, version: str) -> datetime | None:
        at: datetime | None = await self._db.fetchval(
            "SELECT at FROM consents WHERE user_id = $1 AND version = $2", user_id, version
        )
        return at

    async def personal_data(self, user_id: int) -> PersonalData:
        async with self._snapshot() as db:
            requests = [
                _request(row)
                for row in await db.fetch(
                    "SELECT * FROM requests WHERE user_id = $1 AND erased_at IS NULL ORDER BY id",
                    user_id,
                )
            ]
            reviews = [
                _review(row)
                for row in await db.fetch(
                    "SELECT * FROM reviews WHERE user_id = $1 AND erased_at IS NULL ORDER BY id",
                    user_id,
                )
            ]
            consents = [
                Consent(version=row["version"], at=row["at"])
                for row in await db.fetch(
                    "SELECT version, at FROM consents WHERE user_id = $1 ORDER BY at, version",
                    user_id,
                )
            ]
            locale = await db.fetchval("SELECT locale FROM users WHERE id = $1", user_id)
        return PersonalData(
            locale=str(locale) if locale is not None else None,
            requests=requests,
            reviews=reviews,
            consents=consents,
        )

    async def _erase_requests(self, db: Connection, where: str, *args: object) -> list[int]:
        """Blank the personal fields of matching requests and of the cards that showed them.

        One UPDATE picks and locks the rows, so a concurrent erasure skips what this one did.
        `where` numbers its parameters from $2 ($1 is the time of erasure).
        """
        rows = await db.fetch(
            "UPDATE requests SET name = '', phone = '', preferred_time = '', complaint = NULL, "
            f"erased_at = $1 WHERE erased_at IS NULL AND {where} RETURNING id",
            _utc(self._clock()),
            *args,
        )
        ids = sorted(int(row["id"]) for row in rows)
        if ids:
            await db.execute(
                "UPDATE outbox SET text = '' WHERE kind = 'request' AND ref_id = ANY($1::bigint[])",
                ids,
            )
            await db.execute(
                "UPDATE manager_messages SET text = '' "
                "WHERE kind = 'request' AND ref_id = ANY($1::bigint[])",
                ids,
            )
        return ids

    async def forget(self, user_id: int, notice: Callable[[int], OutboxMessage]) -> Erasure:
        """Erase a patient's personal data, keeping anonymous rows for the statistics.

        Pending messages about the patient are dropped; `notice` renders the manager chat's
        note that a request was erased, written in the same transaction.
        """
        async with self._transaction() as db:
            cards = [
                _manager_message(row)
                for row in await db.fetch(
                    "SELECT * FROM manager_messages WHERE patient_id = $1 "
                    "ORDER BY chat_id, message_id",
                    user_id,
                )
            ]
            request_ids = await self._erase_requests(db, "user_id = $2", user_id)
            reviews = await db.fetch(
                "UPDATE reviews SET author = NULL, text = NULL, erased_at = $2 "
                "WHERE user_id = $1 AND erased_at IS NULL RETURNING id",
                user_id,
                _utc(self._clock()),
            )
            review_ids = sorted(int(row["id"]) for row in reviews)
            await db.execute(
                "DELETE FROM outbox WHERE patient_id = $1 AND status = 'pending'", user_id
            )
            await db.execute("UPDATE outbox SET text = '' WHERE patient_id = $1", user_id)
            await db.execute("UPDATE manager_messages SET text = '' WHERE patient_id = $1", user_id)
            await db.execute("UPDATE patients SET display_name = '' WHERE user_id = $1", user_id)
            await db.execute("DELETE FROM fsm WHERE key LIKE $1", f"%:{user_id}:{user_id}:%")
            for request_id in request_ids:
                await self._enqueue(db, notice(request_id))
        return Erasure(request_ids=request_ids, review_ids=review_ids, cards=cards)

    async def erase_expired(self, cutoff: datetime) -> list[int]:
        """Retention: blank closed requests and patients' messages created before `cutoff`."""
        closed = sorted(status.value for status in CLOSED_STATUSES)
        async with self._transaction() as db:
            # Patients' own messages to the clinic expire the same way.
            await db.execute(
                "UPDATE outbox SET text = '' WHERE kind = 'relay' AND status = 'sent' "
                "AND created_at < $1",
                _utc(cutoff),
            )
            await db.execute(
                "UPDATE manager_messages SET text = '' WHERE kind = 'relay' AND created_at < $1",
                _utc(cutoff),
            )
            return await self._erase_requests(
                db, "status = ANY($2::text[]) AND created_at < $3", closed, _utc(cutoff)
            )

    # --- pacing shared by every process ----------------------------------------------------

    async def reserve_send_slot(self, chat_id: int, limit: int, window_seconds: float) -> float:
        """Take a slot among `limit` sends per `window_seconds` into `chat_id`, for all
        instances together: a transaction-scoped advisory lock per chat serialises them."""
        now = _utc(self._clock())
        start = now - timedelta(seconds=window_seconds)
        async with self._transaction() as db:
            await db.execute("SELECT pg_advisory_xact_lock($1, $2)", SEND_LOG_LOCK, chat_id % 2**31)
            await db.execute("DELETE FROM send_log WHERE chat_id = $1 AND at <= $2", chat_id, start)
            row = await db.fetchrow(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM send_log WHERE chat_id = $1", chat_id
            )
            assert row is not None
            if int(row["n"]) < limit:
                await db.execute("INSERT INTO send_log (chat_id, at) VALUES ($1, $2)", chat_id, now)
                return 0.0
        oldest: datetime = row["oldest"]
        return max((oldest - now).total_seconds() + window_seconds, 0.001)

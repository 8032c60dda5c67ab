"""SQLite backend of the repository (aiosqlite, WAL mode)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.base import CardRenderer
from storage.migrations import MIGRATIONS
from storage.models import (
    ConsultationRequest,
    ManagerMessage,
    NewRequest,
    NewReview,
    OutboxMessage,
    OutboxRow,
    PendingMessage,
    RatingSummary,
    RequestEvent,
    RequestStatus,
    Review,
    ReviewStatus,
    StatusChange,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _to_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_text(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SqliteRepository:
    """One connection per process; writes are serialised by a lock and explicit transactions."""

    def __init__(self, path: Path | str, *, clock: Clock = utc_now) -> None:
        self._path = Path(path)
        self._clock = clock
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        return self._path

    async def open(self) -> None:
        if self._db is not None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self._path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        self._db = db
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("repository is not open")
        return self._db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            db = self._conn
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            else:
                await db.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self._transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {version}")
            logger.info("Database migrated to schema version %d", version)

    # --- users -----------------------------------------------------------------------------

    async def get_user_locale(self, user_id: int) -> str | None:
        async with self._conn.execute("SELECT locale FROM users WHERE id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return str(row["locale"]) if row else None

    async def set_user_locale(self, user_id: int, locale: str) -> None:
        now = _to_text(self._clock())
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO users (id, locale, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET locale = excluded.locale, "
                "updated_at = excluded.updated_at",
                (user_id, locale, now, now),
            )

    # --- requests --------------------------------------------------------------------------

    async def create_request(self, request: NewRequest, card: CardRenderer) -> int:
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO requests (user_id, locale, service_id, name, phone, preferred_time, "
                "complaint, consent_version, consented_at, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.user_id,
                    request.locale,
                    request.service_id,
                    request.name,
                    request.phone,
                    request.preferred_time,
                    request.complaint,
                    request.consent_version,
                    _to_text(request.consented_at),
                    RequestStatus.NEW.value,
                    _to_text(self._clock()),
                ),
            )
            request_id = cursor.lastrowid
            assert request_id is not None
            await self._enqueue(db, card(request_id))
        return request_id

    async def get_request(self, request_id: int) -> ConsultationRequest | None:
        async with self._conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
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
            consented_at=_from_text(row["consented_at"]),
            status=RequestStatus(row["status"]),
            created_at=_from_text(row["created_at"]),
        )

    # --- reviews ---------------------------------------------------------------------------

    async def _insert_review(
        self, db: aiosqlite.Connection, review: NewReview, status: ReviewStatus
    ) -> int:
        cursor = await db.execute(
            "INSERT INTO reviews (user_id, author, rating, text, locale, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                review.user_id,
                review.author,
                review.rating,
                review.text,
                review.locale,
                status.value,
                _to_text(self._clock()),
            ),
        )
        review_id = cursor.lastrowid
        assert review_id is not None
        return review_id

    async def create_review(self, review: NewReview, card: CardRenderer) -> int:
        async with self._transaction() as db:
            review_id = await self._insert_review(db, review, ReviewStatus.PENDING)
            await self._enqueue(db, card(review_id))
        return review_id

    async def seed_reviews(self, reviews: Sequence[NewReview]) -> bool:
        """Publish the clinic's own reviews on the first start only, never again."""
        async with self._transaction() as db:
            async with db.execute("SELECT 1 FROM meta WHERE key = 'reviews_seeded'") as cursor:
                if await cursor.fetchone():
                    return False
            for review in reviews:
                await self._insert_review(db, review, ReviewStatus.PUBLISHED)
            await db.execute("INSERT INTO meta (key, value) VALUES ('reviews_seeded', '1')")
        return True

    @staticmethod
    def _review(row: aiosqlite.Row) -> Review:
        return Review(
            id=row["id"],
            user_id=row["user_id"],
            author=row["author"],
            rating=row["rating"],
            text=row["text"],
            status=ReviewStatus(row["status"]),
            created_at=_from_text(row["created_at"]),
        )

    async def published_reviews(self, offset: int, limit: int) -> list[Review]:
        async with self._conn.execute(
            "SELECT * FROM reviews WHERE status = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (ReviewStatus.PUBLISHED.value, limit, offset),
        ) as cursor:
            rows = await cursor.fetchall()
        return [self._review(row) for row in rows]

    async def get_review(self, review_id: int) -> Review | None:
        async with self._conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)) as cur:
            row = await cur.fetchone()
        return self._review(row) if row else None

    async def set_review_status(self, review_id: int, status: ReviewStatus) -> bool:
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE reviews SET status = ? WHERE id = ?", (status.value, review_id)
            )
        return cursor.rowcount > 0

    async def rating_summary(self) -> RatingSummary:
        async with self._conn.execute(
            "SELECT COUNT(*), AVG(rating) FROM reviews WHERE status = ?",
            (ReviewStatus.PUBLISHED.value,),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        count = int(row[0])
        return RatingSummary(count=count, average=float(row[1]) if count else None)

    # --- outbox ----------------------------------------------------------------------------

    async def _enqueue(self, db: aiosqlite.Connection, message: OutboxMessage) -> None:
        now = _to_text(self._clock())
        if message.patient_id is not None:
            await db.execute(
                "INSERT INTO patients (user_id, display_name) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name",
                (message.patient_id, message.patient_name),
            )
        await db.execute(
            "INSERT INTO outbox (kind, ref_id, chat_id, thread_id, text, reply_markup, "
            "patient_id, thread_under_patient, copy_chat_id, copy_message_id, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.kind,
                message.ref_id,
                message.chat_id,
                message.thread_id,
                message.text,
                message.reply_markup,
                message.patient_id,
                int(message.thread_under_patient),
                message.copy_chat_id,
                message.copy_message_id,
                now,
                now,
            ),
        )

    async def enqueue(self, message: OutboxMessage) -> None:
        """A message to the manager chat that belongs to no new row (a patient's relay)."""
        async with self._transaction() as db:
            await self._enqueue(db, message)

    async def due_outbox(self, now: datetime, limit: int) -> list[PendingMessage]:
        """Pending rows in the order they were written, stopping at the first not yet due.

        Stopping there (rather than skipping it) keeps the manager chat in order.
        """
        async with self._conn.execute(
            "SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,)
        ) as cursor:
            rows = await cursor.fetchall()
        due: list[PendingMessage] = []
        for row in rows:
            next_attempt = _from_text(row["next_attempt_at"])
            if next_attempt > now:
                break
            due.append(
                PendingMessage(
                    id=row["id"],
                    message=OutboxMessage(
                        kind=row["kind"],
                        ref_id=row["ref_id"],
                        chat_id=row["chat_id"],
                        thread_id=row["thread_id"],
                        text=row["text"],
                        reply_markup=row["reply_markup"],
                        patient_id=row["patient_id"],
                        thread_under_patient=bool(row["thread_under_patient"]),
                        copy_chat_id=row["copy_chat_id"],
                        copy_message_id=row["copy_message_id"],
                    ),
                    attempts=row["attempts"],
                    next_attempt_at=next_attempt,
                    last_error=row["last_error"],
                )
            )
        return due

    async def next_outbox_attempt(self) -> datetime | None:
        async with self._conn.execute(
            "SELECT next_attempt_at FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1"
        ) as cursor:
            row = await cursor.fetchone()
        return _from_text(row[0]) if row else None

    async def mark_outbox_sent(self, outbox_id: int, message_id: int | None) -> None:
        """Mark delivered and remember the message, so replies to it reach the patient."""
        now = _to_text(self._clock())
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, "
                "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                (message_id, now, outbox_id),
            )
            if message_id is not None:
                await db.execute(
                    "INSERT OR REPLACE INTO manager_messages "
                    "(chat_id, message_id, patient_id, kind, ref_id, text, created_at) "
                    "SELECT chat_id, ?, patient_id, kind, ref_id, text, ? FROM outbox "
                    "WHERE id = ? AND patient_id IS NOT NULL",
                    (message_id, now, outbox_id),
                )

    async def mark_outbox_failed(
        self, outbox_id: int, error: str, next_attempt_at: datetime
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                (error[:500], _to_text(next_attempt_at), outbox_id),
            )

    async def outbox_overview(self, limit: int) -> tuple[int, list[OutboxRow]]:
        """How many rows wait, and the oldest of them with their last error."""
        count = await self.pending_outbox_count()
        async with self._conn.execute(
            "SELECT id, kind, ref_id, attempts, last_error, created_at FROM outbox "
            "WHERE status = 'pending' ORDER BY id LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return count, [
            OutboxRow(
                id=row["id"],
                kind=row["kind"],
                ref_id=row["ref_id"],
                attempts=row["attempts"],
                last_error=row["last_error"],
                created_at=_from_text(row["created_at"]),
            )
            for row in rows
        ]

    async def pending_outbox_count(self) -> int:
        async with self._conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # --- forms in progress (aiogram FSM) ---------------------------------------------------

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]:
        async with self._conn.execute("SELECT state, data FROM fsm WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None, {}
        data = json.loads(row["data"])
        return row["state"], data if isinstance(data, dict) else {}

    async def save_fsm_state(self, key: str, state: str | None) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO fsm (key, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at",
                (key, state, _to_text(self._clock())),
            )

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO fsm (key, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                (key, json.dumps(data, ensure_ascii=False), _to_text(self._clock())),
            )

    # --- managers: statuses, moderation, links to patients, topics, bans -------------------

    async def _last_event(self, request_id: int) -> RequestEvent | None:
        async with self._conn.execute(
            "SELECT * FROM request_events WHERE request_id = ? ORDER BY id DESC LIMIT 1",
            (request_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return self._event(row) if row else None

    @staticmethod
    def _event(row: aiosqlite.Row) -> RequestEvent:
        return RequestEvent(
            request_id=row["request_id"],
            status=RequestStatus(row["status"]),
            staff_id=row["staff_id"],
            staff_name=row["staff_name"],
            at=_from_text(row["at"]),
        )

    async def change_request_status(
        self,
        request_id: int,
        expected: RequestStatus,
        new: RequestStatus,
        staff_id: int,
        staff_name: str,
    ) -> StatusChange | None:
        """Compare-and-set: applied only if the request still has the status the card showed.

        Of two managers pressing at once, the first wins; the second learns who it was.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE requests SET status = ? WHERE id = ? AND status = ?",
                (new.value, request_id, expected.value),
            )
            applied = cursor.rowcount > 0
            if applied:
                await db.execute(
                    "INSERT INTO request_events (request_id, status, staff_id, staff_name, at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (request_id, new.value, staff_id, staff_name, _to_text(self._clock())),
                )
        request = await self.get_request(request_id)
        if request is None:
            return None
        return StatusChange(
            applied=applied, current=request.status, last_event=await self._last_event(request_id)
        )

    async def request_events(self, request_id: int) -> list[RequestEvent]:
        async with self._conn.execute(
            "SELECT * FROM request_events WHERE request_id = ? ORDER BY id", (request_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [self._event(row) for row in rows]

    async def moderate_review(
        self, review_id: int, status: ReviewStatus, staff_name: str
    ) -> Review | None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE reviews SET status = ?, moderated_by = ?, moderated_at = ? WHERE id = ?",
                (status.value, staff_name, _to_text(self._clock()), review_id),
            )
        return await self.get_review(review_id)

    async def manager_message(self, chat_id: int, message_id: int) -> ManagerMessage | None:
        async with self._conn.execute(
            "SELECT * FROM manager_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        ) as cursor:
            row = await cursor.fetchone()
        return self._manager_message(row) if row else None

    async def card_message(self, chat_id: int, kind: str, ref_id: int) -> ManagerMessage | None:
        async with self._conn.execute(
            "SELECT * FROM manager_messages WHERE chat_id = ? AND kind = ? AND ref_id = ? "
            "ORDER BY message_id DESC LIMIT 1",
            (chat_id, kind, ref_id),
        ) as cursor:
            row = await cursor.fetchone()
        return self._manager_message(row) if row else None

    async def latest_manager_message(self, patient_id: int, chat_id: int) -> ManagerMessage | None:
        async with self._conn.execute(
            "SELECT * FROM manager_messages WHERE patient_id = ? AND chat_id = ? "
            "ORDER BY message_id DESC LIMIT 1",
            (patient_id, chat_id),
        ) as cursor:
            row = await cursor.fetchone()
        return self._manager_message(row) if row else None

    @staticmethod
    def _manager_message(row: aiosqlite.Row) -> ManagerMessage:
        return ManagerMessage(
            chat_id=row["chat_id"],
            message_id=row["message_id"],
            patient_id=row["patient_id"],
            kind=row["kind"],
            ref_id=row["ref_id"],
            text=row["text"],
        )

    async def patient_topic(self, patient_id: int) -> tuple[int | None, str]:
        async with self._conn.execute(
            "SELECT topic_id, display_name FROM patients WHERE user_id = ?", (patient_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return (row["topic_id"], row["display_name"]) if row else (None, "")

    async def set_patient_topic(self, patient_id: int, topic_id: int | None) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO patients (user_id, topic_id) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET topic_id = excluded.topic_id",
                (patient_id, topic_id),
            )

    async def set_banned(self, patient_id: int, banned_by: int | None) -> None:
        """Ban (`banned_by` = the staff member) or lift the ban (`None`)."""
        banned_at = _to_text(self._clock()) if banned_by is not None else None
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO patients (user_id, banned_by, banned_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET banned_by = excluded.banned_by, "
                "banned_at = excluded.banned_at",
                (patient_id, banned_by, banned_at),
            )

    async def is_banned(self, patient_id: int) -> bool:
        async with self._conn.execute(
            "SELECT banned_at FROM patients WHERE user_id = ?", (patient_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row and row["banned_at"])

"""SQLite backend of the repository (aiosqlite, WAL mode)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import Clock, utc_now
from storage.base import CardRenderer
from storage.migrations import MIGRATIONS
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

logger = logging.getLogger(__name__)


def _to_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_text(value: str) -> datetime:
    return datetime.fromisoformat(value)


_FORM_BATCH_ROWS = 500  # 4 parameters a row, well under SQLite's 32,766


@dataclass(frozen=True)
class _FormWrite:
    """A form's new state and/or data (JSON), waiting for the next group commit."""

    state_set: bool = False
    state: str | None = None
    data: str | None = None

    def then(self, later: _FormWrite) -> _FormWrite:
        """Both writes as one: what `later` sets wins, the rest stays as `self` set it."""
        state_from = later if later.state_set else self
        return _FormWrite(
            state_from.state_set,
            state_from.state,
            later.data if later.data is not None else self.data,
        )


class SqliteRepository:
    """One connection per process; writes are serialised by a lock and explicit transactions."""

    def __init__(self, path: Path | str, *, clock: Clock = utc_now) -> None:
        self._path = Path(path)
        self._clock = clock
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # Read-through caches of what every update asks (locale, form, ban), kept exact:
        # the methods below are the only writers of these rows in the process, and they
        # update the cache after their commit. Bounded; the oldest entries go first.
        self._cache_limit = 10_000
        self._locales: dict[int, str | None] = {}
        self._bans: dict[int, bool] = {}
        self._forms: dict[str, tuple[str | None, str]] = {}  # key -> (state, data as JSON)
        self._forms_generation = 0  # bumped by forget(): a read in flight must not cache
        self._form_queue: dict[str, _FormWrite] = {}
        self._form_flush: asyncio.Task[None] | None = None

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
        # Erased personal data must not linger in free pages of the file.
        await db.execute("PRAGMA secure_delete=ON")
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
        if user_id in self._locales:
            return self._locales[user_id]
        rows = await self._conn.execute_fetchall(
            "SELECT locale FROM users WHERE id = ?", (user_id,)
        )
        row = next(iter(rows), None)
        locale = str(row["locale"]) if row is not None else None
        if len(self._locales) >= self._cache_limit:
            del self._locales[next(iter(self._locales))]
        # setdefault: a set_user_locale that finished meanwhile has the newer value.
        return self._locales.setdefault(user_id, locale)

    async def set_user_locale(self, user_id: int, locale: str) -> None:
        now = _to_text(self._clock())
        # One statement commits atomically on its own (autocommit): no BEGIN/COMMIT trips.
        async with self._write_lock:
            await self._conn.execute(
                "INSERT INTO users (id, locale, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET locale = excluded.locale, "
                "updated_at = excluded.updated_at",
                (user_id, locale, now, now),
            )
            self._locales[user_id] = locale

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
            await db.execute(
                "INSERT OR IGNORE INTO consents (user_id, version, at) VALUES (?, ?, ?)",
                (request.user_id, request.consent_version, _to_text(request.consented_at)),
            )
            await self._enqueue(db, card(request_id))
        return request_id

    async def get_request(self, request_id: int) -> ConsultationRequest | None:
        async with self._conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)) as cur:
            row = await cur.fetchone()
        return self._request(row) if row else None

    @staticmethod
    def _request(row: aiosqlite.Row) -> ConsultationRequest:
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
        # One statement, one snapshot: a row delivered meanwhile cannot make the count
        # disagree with the rows.
        rows = await self._conn.execute_fetchall(
            "SELECT id, kind, ref_id, attempts, last_error, created_at, "
            "count(*) OVER () AS total FROM outbox "
            "WHERE status = 'pending' ORDER BY id LIMIT ?",
            (max(limit, 1),),
        )
        rows = list(rows)
        count = rows[0]["total"] if rows else 0
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
        cached = self._forms.get(key)
        if cached is None:
            generation = self._forms_generation
            rows = await self._conn.execute_fetchall(
                "SELECT state, data FROM fsm WHERE key = ?", (key,)
            )
            row = next(iter(rows), None)
            # No row reads the same as an empty form: (None, "{}").
            cached = (row["state"], row["data"]) if row is not None else (None, "{}")
            if generation == self._forms_generation:
                if len(self._forms) >= self._cache_limit:
                    del self._forms[next(iter(self._forms))]
                cached = self._forms.setdefault(key, cached)
        state, text = cached
        data = json.loads(text)  # a fresh dict each time: callers may change it
        return state, data if isinstance(data, dict) else {}

    async def save_fsm_state(self, key: str, state: str | None) -> None:
        cached = self._forms.get(key)
        if cached is not None and cached[0] == state:
            return  # nothing would change but updated_at, which nothing reads
        await self._write_form(key, _FormWrite(state_set=True, state=state))

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False)
        cached = self._forms.get(key)
        if cached is not None and cached[1] == text:
            return  # nothing would change but updated_at, which nothing reads
        await self._write_form(key, _FormWrite(data=text))

    async def _write_form(self, key: str, write: _FormWrite) -> None:
        """Group commit: the form writes of all updates in flight go in one statement.

        Each caller returns once its write is committed, as with a write of its own; under
        load one transaction (and one trip to the database thread) serves many updates.
        """
        queued = self._form_queue.get(key)
        self._form_queue[key] = queued.then(write) if queued is not None else write
        if self._form_flush is None:
            self._form_flush = asyncio.get_running_loop().create_task(self._flush_forms())
        await asyncio.shield(self._form_flush)

    async def _flush_forms(self) -> None:
        async with self._write_lock:  # while it waits, more writes join the batch
            batch, self._form_queue = self._form_queue, {}
            self._form_flush = None  # writes from now on go to the next batch
            items = list(batch.items())
            for start in range(0, len(items), _FORM_BATCH_ROWS):
                chunk = items[start : start + _FORM_BATCH_ROWS]
                now = _to_text(self._clock())
                await self._conn.execute(
                    "INSERT INTO fsm (key, state, data, updated_at) VALUES "
                    + ", ".join("(?, ?, coalesce(?, '{}'), ?)" for _ in chunk)
                    + " ON CONFLICT (key) DO UPDATE SET "
                    # Only what was set changes: aiogram writes state and data separately.
                    "state = CASE WHEN excluded.key IN (SELECT value FROM json_each(?)) "
                    "THEN excluded.state ELSE fsm.state END, "
                    "data = CASE WHEN excluded.key IN (SELECT value FROM json_each(?)) "
                    "THEN excluded.data ELSE fsm.data END, "
                    "updated_at = excluded.updated_at",
                    [
                        *(
                            value
                            for key, write in chunk
                            for value in (key, write.state, write.data, now)
                        ),
                        json.dumps([key for key, write in chunk if write.state_set]),
                        json.dumps([key for key, write in chunk if write.data is not None]),
                    ],
                )
            for key, write in items:
                cached = self._forms.get(key)
                if cached is not None:
                    self._forms[key] = (
                        write.state if write.state_set else cached[0],
                        write.data if write.data is not None else cached[1],
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
        self._bans[patient_id] = banned_at is not None

    async def is_banned(self, patient_id: int) -> bool:
        if patient_id in self._bans:
            return self._bans[patient_id]
        rows = await self._conn.execute_fetchall(
            "SELECT banned_at FROM patients WHERE user_id = ?", (patient_id,)
        )
        row = next(iter(rows), None)
        if len(self._bans) >= self._cache_limit:
            del self._bans[next(iter(self._bans))]
        # setdefault: a set_banned that finished meanwhile has the newer value.
        return self._bans.setdefault(patient_id, bool(row and row["banned_at"]))

    # --- staff tools -----------------------------------------------------------------------

    async def add_audit(self, staff_id: int, staff_name: str, action: str, target: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO audit (staff_id, staff_name, action, target, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (staff_id, staff_name, action, target, _to_text(self._clock())),
            )

    async def latest_audit(self, limit: int) -> list[AuditEntry]:
        async with self._conn.execute(
            "SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            AuditEntry(
                staff_id=row["staff_id"],
                staff_name=row["staff_name"],
                action=row["action"],
                target=row["target"],
                at=_from_text(row["at"]),
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
    ) -> list[aiosqlite.Row]:
        """Keyset pagination, newest first: fast at any depth, unlike OFFSET."""
        where = ["1 = 1"]
        params: list[object] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        order = "DESC"
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        elif after_id is not None:
            where.append("id > ?")
            params.append(after_id)
            order = "ASC"
        query = f"SELECT * FROM {table} WHERE {' AND '.join(where)} ORDER BY id {order} LIMIT ?"
        async with self._conn.execute(query, (*params, limit)) as cursor:
            rows = list(await cursor.fetchall())
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
        return [self._request(row) for row in rows]

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
        return [self._review(row) for row in rows]

    async def has_newer_or_older(
        self, table: str, status: str | None, ids: tuple[int, int]
    ) -> tuple[bool, bool]:
        """Whether rows exist above the newest and below the oldest id shown."""
        newest, oldest = ids
        flags = []
        for condition, value in (("id > ?", newest), ("id < ?", oldest)):
            query = f"SELECT 1 FROM {table} WHERE {condition}"
            params: list[object] = [value]
            if status is not None:
                query += " AND status = ?"
                params.append(status)
            async with self._conn.execute(query + " LIMIT 1", params) as cursor:
                flags.append(await cursor.fetchone() is not None)
        return flags[0], flags[1]

    async def stats(self, since: datetime) -> Stats:
        start = _to_text(since)
        # One pass over the period through the created_at index, summed up here. (Grouping
        # by status in SQL let the planner walk the whole table in status order instead:
        # half a second at a million rows.)
        rows = await self._conn.execute_fetchall(
            "SELECT substr(created_at, 1, 10), status, COALESCE(service_id, ''), COUNT(*) "
            "FROM requests WHERE created_at >= ? GROUP BY 1, 2, 3",
            (start,),
        )
        days: dict[str, int] = {}
        per_status: dict[str, int] = {}
        services: dict[str, int] = {}
        for day, status, service, count in rows:
            days[str(day)] = days.get(str(day), 0) + int(count)
            per_status[str(status)] = per_status.get(str(status), 0) + int(count)
            services[str(service)] = services.get(str(service), 0) + int(count)
        per_day = sorted(days.items())
        per_status = dict(sorted(per_status.items()))
        # Most requested first; equal counts in the order of the service id.
        per_service = dict(sorted(sorted(services.items()), key=lambda item: -item[1]))
        reviews = await self._conn.execute_fetchall(
            "SELECT COUNT(*), AVG(rating) FROM reviews WHERE created_at >= ?", (start,)
        )
        row = next(iter(reviews), None)
        assert row is not None
        return Stats(
            since=since,
            total=sum(per_status.values()),
            per_day=per_day,
            per_status=per_status,
            per_service=per_service,
            reviews_count=int(row[0]),
            reviews_average=float(row[1]) if row[0] else None,
        )

    async def iter_requests(
        self, start: datetime, end: datetime
    ) -> AsyncIterator[ConsultationRequest]:
        """Rows one by one from a cursor: an export never holds the whole table in memory."""
        async with self._conn.execute(
            "SELECT * FROM requests WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (_to_text(start), _to_text(end)),
        ) as cursor:
            cursor.iter_chunk_size = 256  # rows per trip to the database thread (default 64)
            async for row in cursor:
                yield self._request(row)

    async def iter_reviews(self, start: datetime, end: datetime) -> AsyncIterator[Review]:
        async with self._conn.execute(
            "SELECT * FROM reviews WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (_to_text(start), _to_text(end)),
        ) as cursor:
            cursor.iter_chunk_size = 256
            async for row in cursor:
                yield self._review(row)

    # --- patients' data rights -------------------------------------------------------------

    async def consent_of(self, user_id: int, version: str) -> datetime | None:
        async with self._conn.execute(
            "SELECT at FROM consents WHERE user_id = ? AND version = ?", (user_id, version)
        ) as cursor:
            row = await cursor.fetchone()
        return _from_text(row[0]) if row else None

    async def personal_data(self, user_id: int) -> PersonalData:
        async with self._conn.execute(
            "SELECT * FROM requests WHERE user_id = ? AND erased_at IS NULL ORDER BY id",
            (user_id,),
        ) as cursor:
            requests = [self._request(row) for row in await cursor.fetchall()]
        async with self._conn.execute(
            "SELECT * FROM reviews WHERE user_id = ? AND erased_at IS NULL ORDER BY id",
            (user_id,),
        ) as cursor:
            reviews = [self._review(row) for row in await cursor.fetchall()]
        async with self._conn.execute(
            "SELECT version, at FROM consents WHERE user_id = ? ORDER BY at", (user_id,)
        ) as cursor:
            consents = [
                Consent(version=row[0], at=_from_text(row[1])) for row in await cursor.fetchall()
            ]
        return PersonalData(
            locale=await self.get_user_locale(user_id),
            requests=requests,
            reviews=reviews,
            consents=consents,
        )

    async def _erase_requests(
        self, db: aiosqlite.Connection, where: str, params: tuple[object, ...]
    ) -> list[int]:
        """Blank the personal fields of matching requests and of the cards that showed them."""
        async with db.execute(
            f"SELECT id FROM requests WHERE erased_at IS NULL AND {where}", params
        ) as cursor:
            ids = [int(row[0]) for row in await cursor.fetchall()]
        now = _to_text(self._clock())
        for request_id in ids:
            await db.execute(
                "UPDATE requests SET name = '', phone = '', preferred_time = '', complaint = NULL, "
                "erased_at = ? WHERE id = ?",
                (now, request_id),
            )
            await db.execute(
                "UPDATE outbox SET text = '' WHERE kind = 'request' AND ref_id = ?", (request_id,)
            )
            await db.execute(
                "UPDATE manager_messages SET text = '' WHERE kind = 'request' AND ref_id = ?",
                (request_id,),
            )
        return ids

    async def forget(self, user_id: int, notice: Callable[[int], OutboxMessage]) -> Erasure:
        """Erase a patient's personal data, keeping anonymous rows for the statistics.

        Pending messages about the patient are dropped; `notice` renders the manager chat's
        note that a request was erased, written in the same transaction.
        """
        async with self._transaction() as db:
            async with db.execute(
                "SELECT * FROM manager_messages WHERE patient_id = ?", (user_id,)
            ) as cursor:
                cards = [self._manager_message(row) for row in await cursor.fetchall()]
            request_ids = await self._erase_requests(db, "user_id = ?", (user_id,))
            async with db.execute(
                "SELECT id FROM reviews WHERE user_id = ? AND erased_at IS NULL", (user_id,)
            ) as cursor:
                review_ids = [int(row[0]) for row in await cursor.fetchall()]
            await db.execute(
                "UPDATE reviews SET author = NULL, text = NULL, erased_at = ? "
                "WHERE user_id = ? AND erased_at IS NULL",
                (_to_text(self._clock()), user_id),
            )
            await db.execute(
                "DELETE FROM outbox WHERE patient_id = ? AND status = 'pending'", (user_id,)
            )
            await db.execute("UPDATE outbox SET text = '' WHERE patient_id = ?", (user_id,))
            await db.execute(
                "UPDATE manager_messages SET text = '' WHERE patient_id = ?", (user_id,)
            )
            await db.execute("UPDATE patients SET display_name = '' WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM fsm WHERE key LIKE ?", (f"%:{user_id}:{user_id}:%",))
            for request_id in request_ids:
                await self._enqueue(db, notice(request_id))
        self._forms_generation += 1
        self._forms.clear()
        return Erasure(request_ids=request_ids, review_ids=review_ids, cards=cards)

    async def erase_expired(self, cutoff: datetime) -> list[int]:
        """Retention: blank closed requests and patients' messages created before `cutoff`."""
        closed = sorted(status.value for status in CLOSED_STATUSES)
        marks = ", ".join("?" for _ in closed)
        async with self._transaction() as db:
            # Patients' own messages to the clinic expire the same way.
            await db.execute(
                "UPDATE outbox SET text = '' WHERE kind = 'relay' AND status = 'sent' "
                "AND created_at < ?",
                (_to_text(cutoff),),
            )
            await db.execute(
                "UPDATE manager_messages SET text = '' WHERE kind = 'relay' AND created_at < ?",
                (_to_text(cutoff),),
            )
            return await self._erase_requests(
                db, f"status IN ({marks}) AND created_at < ?", (*closed, _to_text(cutoff))
            )

    # --- pacing shared by every process ----------------------------------------------------

    async def reserve_send_slot(self, chat_id: int, limit: int, window_seconds: float) -> float:
        """Take a slot among `limit` sends per `window_seconds` into `chat_id`.

        Returns 0 when the slot is taken, else how many seconds to wait before asking again.
        """
        now = self._clock()
        start = _to_text(now - timedelta(seconds=window_seconds))
        async with self._transaction() as db:
            await db.execute("DELETE FROM send_log WHERE chat_id = ? AND at <= ?", (chat_id, start))
            async with db.execute(
                "SELECT COUNT(*), MIN(at) FROM send_log WHERE chat_id = ?", (chat_id,)
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            if int(row[0]) < limit:
                await db.execute(
                    "INSERT INTO send_log (chat_id, at) VALUES (?, ?)", (chat_id, _to_text(now))
                )
                return 0.0
        oldest = _from_text(row[1])
        return max((oldest - now).total_seconds() + window_seconds, 0.001)

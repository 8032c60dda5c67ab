"""The repositories on real databases: the same tests prove SQLite and PostgreSQL equal.

Every test runs twice, on a SQLite file and on a fresh database of a throwaway PostgreSQL
server (`tests/pg.py`; skipped without Debian's postgresql locally, a failure under CI).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest

from bot.clock import ManualClock, utc_now
from storage import CardRenderer, Storage, open_storage
from storage.database import sqlalchemy_url
from storage.migrate import head_revision
from storage.models import (
    AuditEntry,
    NewRequest,
    NewReview,
    OutboxMessage,
    PatientProfile,
    RequestStatus,
    ReviewStatus,
)

pytest_plugins = ("tests.pg",)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CHAT = -100


class Clock:
    """A frozen clock that a test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Backend:
    """One database of one backend; every storage opened here opens that same database."""

    name: str
    url: str

    @asynccontextmanager
    async def opened(self, clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Storage]:
        storage = await open_storage(self.url, clock=clock)
        try:
            yield storage
        finally:
            await storage.close()


@pytest.fixture(params=["sqlite", "postgres"])
def repository_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path}/nested/dir/clinic.db")
    return Backend("postgres", request.getfixturevalue("postgres_dsn"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def repo(repository_factory: Backend, clock: Clock) -> AsyncIterator[Storage]:
    async with repository_factory.opened(clock) as repository:
        yield repository


def _request(
    name: str = "Анна", *, user_id: int = 10, service_id: str | None = "consult"
) -> NewRequest:
    return NewRequest(
        user_id=user_id,
        locale="ru",
        service_id=service_id,
        name=name,
        phone="+79161234567",
        preferred_time="утром",
        complaint="болит",
        consent_version="v1",
        consented_at=NOW,
    )


def _review(rating: int = 5, *, user_id: int | None = 9, text: str = "x") -> NewReview:
    return NewReview(user_id=user_id, author="Света", rating=rating, text=text, locale="ru")


def _card(kind: str, patient_id: int | None = None) -> CardRenderer:
    def render(ref_id: int) -> OutboxMessage:
        return OutboxMessage(
            kind=kind,
            ref_id=ref_id,
            chat_id=CHAT,
            thread_id=None,
            text=f"#{ref_id}",
            patient_id=patient_id,
            patient_name="Анна" if patient_id is not None else "",
        )

    return render


async def _send_all(repo: Storage, first_message_id: int = 1000) -> list[int]:
    """Deliver every due row as the sender would; the manager chat's ids count up."""
    sent = []
    for offset, pending in enumerate(await repo.outbox.due_outbox(NOW + timedelta(days=999), 100)):
        await repo.outbox.mark_outbox_sent(pending.id, first_message_id + offset)
        sent.append(first_message_id + offset)
    return sent


# --- schema --------------------------------------------------------------------------------


async def test_schema_is_migrated_to_the_head_revision(repository_factory: Backend) -> None:
    for _ in range(2):  # opening again applies nothing twice
        async with repository_factory.opened() as storage:
            assert await storage.database.schema_revision() == head_revision()
            assert storage.database.dialect == repository_factory.name.replace(
                "postgres", "postgresql"
            )

    if repository_factory.name == "sqlite":
        path = Path(repository_factory.url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (head_revision(),)
            ]
            # Times are the ISO text the bot always wrote (existing rows keep sorting).
            columns = {row[1]: row[2] for row in raw.execute("PRAGMA table_info(requests)")}
            assert columns["created_at"] == "TEXT" and columns["id"] == "INTEGER"
            sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'requests'").fetchone()
            assert "AUTOINCREMENT" in sql[0]
    else:
        raw = await asyncpg.connect(repository_factory.url)
        try:
            assert await raw.fetchval("SELECT version_num FROM alembic_version") == head_revision()
            # Times carry their zone and Telegram ids fit 64 bits everywhere.
            types = {
                (row["table_name"], row["column_name"]): row["data_type"]
                for row in await raw.fetch(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                )
            }
            assert "timestamp without time zone" not in types.values()
            for column in [
                ("users", "id"),
                ("requests", "user_id"),
                ("outbox", "chat_id"),
                ("manager_messages", "message_id"),
                ("patients", "topic_id"),
                ("audit", "staff_id"),
            ]:
                assert types[column] == "bigint", column
        finally:
            await raw.close()


async def test_sqlite_connections_have_the_pragmas(tmp_path: Path) -> None:
    backend = Backend("sqlite", f"sqlite:///{tmp_path}/clinic.db")
    async with backend.opened() as storage, storage.database.read() as connection:
        pragmas = {
            name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
        secure_delete = (await connection.exec_driver_sql("PRAGMA secure_delete")).scalar()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
    assert secure_delete == 1


def test_unknown_database_urls_are_refused() -> None:
    for url in ("mysql://x/y", "sqlite:///", "sqlite://relative.db", "postgresql", "sqlite:///?x"):
        with pytest.raises(ValueError, match="unsupported DATABASE_URL"):
            sqlalchemy_url(url)
    for url in ("postgres://u@h/db", "postgresql://u@h/db", "postgresql+asyncpg://u@h/db"):
        assert sqlalchemy_url(url) == "postgresql+asyncpg://u@h/db"
    assert sqlalchemy_url("sqlite:///data/clinic.db") == "sqlite+aiosqlite:///data/clinic.db"
    assert sqlalchemy_url("sqlite+aiosqlite:////abs.db") == "sqlite+aiosqlite:////abs.db"


async def test_unknown_database_urls_are_refused_by_open_storage() -> None:
    with pytest.raises(ValueError, match="unsupported DATABASE_URL scheme: mysql"):
        await open_storage("mysql://x/y")


async def test_a_long_read_does_not_block_writers(repository_factory: Backend) -> None:
    """An export in progress (a read on its own connection) and patients' writes together."""
    async with repository_factory.opened() as repo:
        for n in range(3):
            await repo.requests.create_request(_request(f"n{n}"), _card("request"))
        rows = repo.requests.iter_requests(NOW - timedelta(days=999), NOW + timedelta(days=999))
        first = await anext(rows)
        # The export holds its cursor; a patient's request is written meanwhile.
        new_id = await asyncio.wait_for(
            repo.requests.create_request(_request("during"), _card("request")), timeout=10
        )
        rest = [row.id async for row in rows]
        assert [first.id, *rest] == [1, 2, 3]  # the export's snapshot
        assert (await repo.requests.get_request(new_id)).name == "during"  # type: ignore[union-attr]


# --- requests, reviews and their cards ------------------------------------------------------


async def test_request_and_its_card_are_written_together(repo: Storage) -> None:
    request_id = await repo.requests.create_request(_request(), _card("request"))
    stored = await repo.requests.get_request(request_id)
    assert stored is not None and stored.name == "Анна" and stored.phone == "+79161234567"
    assert stored.consent_version == "v1" and stored.consented_at == NOW
    assert stored.created_at == NOW and stored.status == RequestStatus.NEW
    assert stored.complaint == "болит" and stored.service_id == "consult"
    due = await repo.outbox.due_outbox(NOW, 10)
    assert [(p.message.kind, p.message.ref_id, p.message.text) for p in due] == [
        ("request", request_id, f"#{request_id}")
    ]
    assert due[0].attempts == 0 and due[0].last_error is None and due[0].next_attempt_at == NOW
    assert await repo.requests.get_request(request_id + 1) is None


async def test_failing_card_rolls_back_the_request(repo: Storage) -> None:
    def broken(_: int) -> OutboxMessage:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        await repo.requests.create_request(_request(), broken)
    assert await repo.requests.list_requests(None) == []
    assert await repo.outbox.pending_outbox_count() == 0
    assert await repo.patients.consent_of(10, "v1") is None
    # The repository stays usable after the rollback. (PostgreSQL's sequence does not roll
    # back, so the id may skip the number the failed insert took: ids are only unique.)
    request_id = await repo.requests.create_request(_request(), _card("request"))
    assert [r.id for r in await repo.requests.list_requests(None)] == [request_id]
    assert await repo.outbox.pending_outbox_count() == 1


async def test_times_come_back_as_aware_utc(repo: Storage) -> None:
    moscow = timezone(timedelta(hours=3))
    request = NewRequest(
        10, "ru", None, "Анна", "+7916", "утром", None, "v1", NOW.astimezone(moscow)
    )
    request_id = await repo.requests.create_request(request, _card("request"))
    stored = await repo.requests.get_request(request_id)
    assert stored is not None
    for moment in (stored.consented_at, stored.created_at):
        assert moment == NOW and moment.utcoffset() == timedelta(0)
    assert stored.service_id is None and stored.complaint is None


async def test_outbox_keeps_order_and_backoff(repo: Storage) -> None:
    for _ in range(3):
        await repo.requests.create_request(_request(), _card("request"))
    first, *_ = await repo.outbox.due_outbox(NOW, 10)
    await repo.outbox.mark_outbox_failed(first.id, "502", NOW + timedelta(seconds=30))
    # The first row is not due: nothing behind it may overtake it.
    assert await repo.outbox.due_outbox(NOW, 10) == []
    assert await repo.outbox.next_outbox_attempt() == NOW + timedelta(seconds=30)
    later = await repo.outbox.due_outbox(NOW + timedelta(seconds=31), 10)
    assert [p.message.ref_id for p in later] == [1, 2, 3]
    assert later[0].attempts == 1 and later[0].last_error == "502"
    assert later[0].next_attempt_at == NOW + timedelta(seconds=30)
    await repo.outbox.mark_outbox_sent(later[0].id, 555)
    assert await repo.outbox.pending_outbox_count() == 2
    assert [p.message.ref_id for p in await repo.outbox.due_outbox(NOW, 1)] == [2]
    assert await repo.outbox.next_outbox_attempt() == NOW


async def test_outbox_overview_and_long_errors(repo: Storage, clock: Clock) -> None:
    assert await repo.outbox.outbox_overview(5) == (0, [])
    assert await repo.outbox.next_outbox_attempt() is None
    for _ in range(3):
        await repo.requests.create_request(_request(), _card("request"))
        clock.advance(seconds=1)
    first, *_ = await repo.outbox.due_outbox(NOW + timedelta(minutes=1), 10)
    await repo.outbox.mark_outbox_failed(first.id, "E" * 900, NOW + timedelta(minutes=5))
    count, rows = await repo.outbox.outbox_overview(2)
    assert count == 3
    assert [(r.kind, r.ref_id, r.attempts) for r in rows] == [("request", 1, 1), ("request", 2, 0)]
    assert rows[0].last_error == "E" * 500 and rows[1].last_error is None
    assert [r.created_at for r in rows] == [NOW, NOW + timedelta(seconds=1)]


async def test_enqueued_relays_keep_their_fields(repo: Storage) -> None:
    message = OutboxMessage(
        kind="relay",
        ref_id=0,
        chat_id=CHAT,
        thread_id=77,
        text="подпись",
        reply_markup='{"inline_keyboard": []}',
        patient_id=5_000_000_000,
        thread_under_patient=True,
        copy_chat_id=5_000_000_000,
        copy_message_id=42,
        patient_name="Ян",
    )
    await repo.outbox.enqueue(message)
    (pending,) = await repo.outbox.due_outbox(NOW, 10)
    # The display name lives with the patient, not in the outbox row.
    assert pending.message == OutboxMessage(**{**_fields(message), "patient_name": ""})
    assert await repo.patients.patient_topic(5_000_000_000) == (None, "Ян")


def _fields(message: OutboxMessage) -> dict[str, object]:
    return {name: getattr(message, name) for name in OutboxMessage.__slots__}


async def test_data_survives_reopen(repository_factory: Backend) -> None:
    async with repository_factory.opened() as repo:
        await repo.patients.set_user_locale(7, "en")
        await repo.requests.create_request(_request("Ivan"), _card("request"))
        await repo.forms.save_fsm_state("k", "BookingForm:name")
        await repo.forms.save_fsm_data("k", {"service": "consult"})

    async with repository_factory.opened() as again:
        assert await again.patients.get_user_locale(7) == "en"
        assert (await again.requests.get_request(1)).name == "Ivan"  # type: ignore[union-attr]
        assert await again.forms.load_fsm("k") == ("BookingForm:name", {"service": "consult"})
        assert await again.outbox.pending_outbox_count() == 1
        assert await again.database.schema_revision() == head_revision()


async def test_reviews_seeded_once_and_summarised(repository_factory: Backend) -> None:
    seed = [
        NewReview(user_id=None, author="Света", rating=5, text="a", locale="ru"),
        NewReview(user_id=None, author=None, rating=4, text="b", locale="ru"),
    ]
    seeded = []
    for _ in range(2):
        async with repository_factory.opened() as repo:
            seeded.append(await repo.reviews.seed_reviews(seed))
    assert seeded == [True, False]

    async with repository_factory.opened() as repo:
        summary = await repo.reviews.rating_summary()
        assert summary.count == 2 and summary.average == pytest.approx(4.5)
        pending_id = await repo.reviews.create_review(
            NewReview(user_id=9, author=None, rating=1, text="x", locale="en"),
            _card("review"),
        )
        # A new review waits for moderation: not counted, not listed.
        assert (await repo.reviews.rating_summary()).count == 2
        assert (await repo.reviews.get_review(pending_id)).status == ReviewStatus.PENDING  # type: ignore[union-attr]
        page = await repo.reviews.published_reviews(offset=0, limit=1)
        assert [r.text for r in page] == ["b"]
        assert [r.text for r in await repo.reviews.published_reviews(offset=1, limit=5)] == ["a"]
        due = await repo.outbox.due_outbox(utc_now() + timedelta(days=1), 10)
        assert [p.message.kind for p in due] == ["review"]


async def test_rating_summary_of_nothing(repo: Storage) -> None:
    summary = await repo.reviews.rating_summary()
    assert summary.count == 0 and summary.average is None
    assert await repo.reviews.published_reviews(0, 10) == []


# --- users and forms in progress ------------------------------------------------------------


async def test_user_locale_is_upserted(repo: Storage) -> None:
    assert await repo.patients.get_user_locale(5_000_000_000) is None
    await repo.patients.set_user_locale(5_000_000_000, "ru")
    await repo.patients.set_user_locale(5_000_000_000, "en")
    assert await repo.patients.get_user_locale(5_000_000_000) == "en"


async def test_fsm_rows_keep_state_and_data_apart(repo: Storage) -> None:
    assert await repo.forms.load_fsm("bot:1:1:1") == (None, {})
    await repo.forms.save_fsm_data(
        "bot:1:1:1", {"name": "Анна", "items": [1, 2], "nested": {"a": None}}
    )
    assert await repo.forms.load_fsm("bot:1:1:1") == (
        None,
        {"name": "Анна", "items": [1, 2], "nested": {"a": None}},
    )
    await repo.forms.save_fsm_state("bot:1:1:1", "BookingForm:phone")
    await repo.forms.save_fsm_data("bot:1:1:1", {})
    assert await repo.forms.load_fsm("bot:1:1:1") == ("BookingForm:phone", {})
    await repo.forms.save_fsm_state("bot:1:1:1", None)
    assert await repo.forms.load_fsm("bot:1:1:1") == (None, {})


async def test_a_form_and_its_users_profile_are_read_together(repo: Storage) -> None:
    key = "bot:3:3:default"
    assert await repo.forms.load_fsm_and_profile(key, 3) == (
        None,
        {},
        PatientProfile(locale=None, banned=False),
    )
    await repo.forms.save_fsm_state(key, "BookingForm:phone")
    await repo.forms.save_fsm_data(key, {"name": "Анна"})
    await repo.patients.set_user_locale(3, "en")
    await repo.patients.set_banned(3, banned_by=1)
    assert await repo.forms.load_fsm_and_profile(key, 3) == (
        "BookingForm:phone",
        {"name": "Анна"},
        PatientProfile(locale="en", banned=True),
    )
    # The same as the two reads apart; another user's profile is that user's.
    assert await repo.forms.load_fsm(key) == ("BookingForm:phone", {"name": "Анна"})
    assert await repo.patients.profile(3) == PatientProfile(locale="en", banned=True)
    assert (await repo.forms.load_fsm_and_profile(key, 4))[2] == PatientProfile(None, False)


async def test_forms_written_at_once_are_all_committed_each_as_written(
    repository_factory: Backend,
) -> None:
    """Many patients' form steps at the same moment, each its own write."""
    keys = [f"bot:{n}:{n}:" for n in range(1, 301)]
    async with repository_factory.opened() as repo:
        await repo.forms.save_fsm_data(keys[0], {"name": "before"})

        async def step(n: int, key: str) -> None:
            if n % 3 == 0:
                await repo.forms.save_fsm_state(key, "BookingForm:phone")
            elif n % 3 == 1:
                await repo.forms.save_fsm_data(key, {"name": f"Пациент {n}"})
            else:  # what aiogram does on one step: the state, then the data
                await asyncio.gather(
                    repo.forms.save_fsm_state(key, "BookingForm:time"),
                    repo.forms.save_fsm_data(key, {"phone": f"+7916{n:07d}"}),
                )

        await asyncio.gather(*(step(n, key) for n, key in enumerate(keys)))
        # A second process sees every one of them, none mixed with another's.
        async with repository_factory.opened() as fresh:
            for n, key in enumerate(keys):
                expected = {
                    0: ("BookingForm:phone", {"name": "before"} if n == 0 else {}),
                    1: (None, {"name": f"Пациент {n}"}),
                    2: ("BookingForm:time", {"phone": f"+7916{n:07d}"}),
                }[n % 3]
                assert await fresh.forms.load_fsm(key) == expected, key


# --- managers: statuses, moderation, links to patients, topics, bans ------------------------


async def test_status_change_is_compare_and_set(repo: Storage, clock: Clock) -> None:
    request_id = await repo.requests.create_request(_request(), _card("request"))
    clock.advance(minutes=1)
    taken = await repo.requests.change_request_status(
        request_id, RequestStatus.NEW, RequestStatus.TAKEN, 1, "Ольга"
    )
    assert taken is not None and taken.applied and taken.current == RequestStatus.TAKEN
    assert taken.last_event is not None and taken.last_event.staff_name == "Ольга"
    assert taken.last_event.at == NOW + timedelta(minutes=1)
    # A second manager pressed on the same old card: refused, told who was faster.
    late = await repo.requests.change_request_status(
        request_id, RequestStatus.NEW, RequestStatus.CALLED, 2, "Пётр"
    )
    assert late is not None and not late.applied and late.current == RequestStatus.TAKEN
    assert late.last_event == taken.last_event
    clock.advance(minutes=1)
    await repo.requests.change_request_status(
        request_id, RequestStatus.TAKEN, RequestStatus.BOOKED, 2, "П"
    )
    events = await repo.requests.request_events(request_id)
    assert [(e.status, e.staff_id, e.at) for e in events] == [
        (RequestStatus.TAKEN, 1, NOW + timedelta(minutes=1)),
        (RequestStatus.BOOKED, 2, NOW + timedelta(minutes=2)),
    ]
    assert await repo.requests.request_events(request_id + 1) == []
    assert (
        await repo.requests.change_request_status(
            999, RequestStatus.NEW, RequestStatus.TAKEN, 1, "x"
        )
        is None
    )


async def test_simultaneous_status_changes_apply_once(repo: Storage) -> None:
    request_id = await repo.requests.create_request(_request(), _card("request"))
    changes = await asyncio.gather(
        *(
            repo.requests.change_request_status(
                request_id, RequestStatus.NEW, RequestStatus.TAKEN, staff, f"staff {staff}"
            )
            for staff in range(5)
        )
    )
    assert sum(1 for change in changes if change is not None and change.applied) == 1
    assert len(await repo.requests.request_events(request_id)) == 1


async def test_moderation_records_who_and_returns_the_review(repo: Storage, clock: Clock) -> None:
    review_id = await repo.reviews.create_review(_review(4), _card("review"))
    clock.advance(hours=1)
    published = await repo.reviews.moderate_review(review_id, ReviewStatus.PUBLISHED, "Ольга")
    assert published is not None and published.status == ReviewStatus.PUBLISHED
    assert published.created_at == NOW and published.rating == 4 and published.author == "Света"
    assert (await repo.reviews.rating_summary()).count == 1
    assert await repo.reviews.moderate_review(review_id + 1, ReviewStatus.HIDDEN, "Ольга") is None
    assert await repo.reviews.set_review_status(review_id, ReviewStatus.HIDDEN)
    assert not await repo.reviews.set_review_status(review_id + 1, ReviewStatus.HIDDEN)
    assert (await repo.reviews.rating_summary()).count == 0


async def test_sent_cards_link_manager_messages_to_patients(repo: Storage) -> None:
    first = await repo.requests.create_request(_request(), _card("request", patient_id=10))
    second = await repo.requests.create_request(_request(), _card("request", patient_id=10))
    await repo.reviews.create_review(_review(), _card("review"))  # no patient: no link
    due = await repo.outbox.due_outbox(NOW, 10)
    await repo.outbox.mark_outbox_sent(due[0].id, 501)
    await repo.outbox.mark_outbox_sent(due[1].id, 502)
    await repo.outbox.mark_outbox_sent(due[2].id, 503)
    assert await repo.outbox.pending_outbox_count() == 0

    linked = await repo.conversations.manager_message(CHAT, 501)
    assert linked is not None
    assert (linked.patient_id, linked.kind, linked.ref_id, linked.text) == (
        10,
        "request",
        first,
        f"#{first}",
    )
    assert await repo.conversations.manager_message(CHAT, 503) is None
    assert await repo.conversations.manager_message(CHAT + 1, 501) is None
    latest = await repo.conversations.latest_manager_message(10, CHAT)
    assert latest is not None and latest.message_id == 502 and latest.ref_id == second
    assert await repo.conversations.latest_manager_message(10, CHAT + 1) is None
    card = await repo.conversations.card_message(CHAT, "request", first)
    assert card is not None and card.message_id == 501
    assert await repo.conversations.card_message(CHAT, "review", first) is None

    # The same chat message id again (edited card re-sent) replaces the link.
    await repo.outbox.enqueue(
        OutboxMessage("relay", second, CHAT, None, "ответ", patient_id=11, patient_name="Ян")
    )
    (relay,) = await repo.outbox.due_outbox(NOW, 10)
    await repo.outbox.mark_outbox_sent(relay.id, 501)
    replaced = await repo.conversations.manager_message(CHAT, 501)
    assert replaced is not None and (replaced.patient_id, replaced.kind) == (11, "relay")
    # Sent without a message id (nothing to link).
    await repo.outbox.enqueue(OutboxMessage("relay", 1, CHAT, None, "x", patient_id=12))
    (unlinked,) = await repo.outbox.due_outbox(NOW, 10)
    await repo.outbox.mark_outbox_sent(unlinked.id, None)
    assert await repo.conversations.latest_manager_message(12, CHAT) is None
    assert await repo.outbox.pending_outbox_count() == 0


async def test_patient_topics_and_bans(repo: Storage) -> None:
    assert await repo.patients.patient_topic(10) == (None, "")
    assert not await repo.patients.is_banned(10)
    await repo.requests.create_request(_request(), _card("request", patient_id=10))
    assert await repo.patients.patient_topic(10) == (None, "Анна")
    await repo.patients.set_patient_topic(10, 9_000_000_000)
    assert await repo.patients.patient_topic(10) == (9_000_000_000, "Анна")
    await repo.patients.set_patient_topic(10, None)
    assert await repo.patients.patient_topic(10) == (None, "Анна")

    await repo.patients.set_banned(10, 1)
    await repo.patients.set_banned(20, 1)  # a patient never seen before
    assert await repo.patients.is_banned(10) and await repo.patients.is_banned(20)
    assert await repo.patients.patient_topic(20) == (None, "")
    await repo.patients.set_banned(10, None)
    assert not await repo.patients.is_banned(10) and await repo.patients.is_banned(20)


# --- staff tools ----------------------------------------------------------------------------


async def test_audit_newest_first(repo: Storage, clock: Clock) -> None:
    for action in ("ban", "unban", "export"):
        await repo.audit.add_audit(1, "Ольга", action, "user 10")
        clock.advance(seconds=1)
    assert await repo.audit.latest_audit(2) == [
        AuditEntry(1, "Ольга", "export", "user 10", NOW + timedelta(seconds=2)),
        AuditEntry(1, "Ольга", "unban", "user 10", NOW + timedelta(seconds=1)),
    ]


async def test_keyset_pages_both_ways_with_a_status_filter(repo: Storage) -> None:
    ids = [
        await repo.requests.create_request(_request(f"n{i}"), _card("request")) for i in range(7)
    ]
    assert ids == list(range(1, 8))
    for request_id in (2, 4, 5, 7):
        await repo.requests.change_request_status(
            request_id, RequestStatus.NEW, RequestStatus.BOOKED, 1, "x"
        )

    async def page(status: RequestStatus | None, **where: int) -> list[int]:
        return [r.id for r in await repo.requests.list_requests(status, limit=3, **where)]

    assert await page(None) == [7, 6, 5]
    assert await page(None, before_id=5) == [4, 3, 2]
    assert await page(None, before_id=2) == [1]
    assert await page(None, after_id=1) == [4, 3, 2]  # the page just above, newest first
    assert await page(None, after_id=6) == [7]
    assert await page(RequestStatus.BOOKED) == [7, 5, 4]
    assert await page(RequestStatus.BOOKED, before_id=4) == [2]
    assert await page(RequestStatus.BOOKED, after_id=2) == [7, 5, 4]
    assert await page(RequestStatus.NEW, after_id=3) == [6]
    assert await page(RequestStatus.SPAM) == []

    assert await repo.requests.has_newer_or_older(None, (6, 4)) == (True, True)
    assert await repo.requests.has_newer_or_older(None, (7, 1)) == (False, False)
    assert await repo.requests.has_newer_or_older("booked", (7, 4)) == (False, True)
    assert await repo.requests.has_newer_or_older("new", (6, 3)) == (False, True)
    assert await repo.requests.has_newer_or_older("new", (3, 1)) == (True, False)

    for rating in (5, 4, 3):
        await repo.reviews.create_review(_review(rating), _card("review"))
    await repo.reviews.moderate_review(2, ReviewStatus.PUBLISHED, "x")
    assert [r.id for r in await repo.reviews.list_reviews(None, limit=2)] == [3, 2]
    assert [r.id for r in await repo.reviews.list_reviews(None, before_id=2)] == [1]
    assert [r.id for r in await repo.reviews.list_reviews(None, after_id=1, limit=1)] == [2]
    assert [r.id for r in await repo.reviews.list_reviews(ReviewStatus.PENDING)] == [3, 1]
    assert await repo.reviews.has_newer_or_older("pending", (3, 3)) == (False, True)


async def test_stats_count_since_a_moment(repo: Storage, clock: Clock) -> None:
    clock.now = NOW - timedelta(days=10)
    await repo.requests.create_request(
        _request(service_id="old"), _card("request")
    )  # before `since`
    await repo.reviews.create_review(_review(1), _card("review"))
    clock.now = NOW - timedelta(days=1, hours=-11)  # 23:00 UTC the day before
    await repo.requests.create_request(_request(service_id="consult"), _card("request"))
    await repo.requests.create_request(_request(service_id=None), _card("request"))
    clock.now = NOW
    for _ in range(2):
        await repo.requests.create_request(_request(service_id="consult"), _card("request"))
    await repo.requests.change_request_status(4, RequestStatus.NEW, RequestStatus.BOOKED, 1, "x")
    await repo.reviews.create_review(_review(5), _card("review"))
    await repo.reviews.create_review(_review(4), _card("review"))

    since = NOW - timedelta(days=7)
    stats = await repo.requests.stats(since)
    assert stats.since == since and stats.total == 4
    assert stats.per_day == [("2026-11-24", 2), ("2026-11-25", 2)]
    assert stats.per_status == {"new": 3, "booked": 1}
    assert stats.per_service == {"consult": 3, "": 1}
    assert stats.reviews_count == 2 and stats.reviews_average == pytest.approx(4.5)
    assert stats.conversion == pytest.approx(0.25)

    empty = await repo.requests.stats(NOW + timedelta(days=1))
    assert (empty.total, empty.per_day, empty.per_status, empty.per_service) == (0, [], {}, {})
    assert empty.reviews_count == 0 and empty.reviews_average is None and empty.conversion is None


async def test_exports_stream_a_time_range(repo: Storage, clock: Clock) -> None:
    for day in range(5):
        clock.now = NOW + timedelta(days=day)
        await repo.requests.create_request(_request(f"n{day}"), _card("request"))
        await repo.reviews.create_review(_review(text=f"r{day}"), _card("review"))
    start, end = NOW + timedelta(days=1), NOW + timedelta(days=3)
    assert [r.name async for r in repo.requests.iter_requests(start, end)] == ["n1", "n2"]
    assert [r.text async for r in repo.reviews.iter_reviews(start, end)] == ["r1", "r2"]
    everything = [r.id async for r in repo.requests.iter_requests(NOW, NOW + timedelta(days=9))]
    assert everything == [1, 2, 3, 4, 5]

    # An export given up half-way gives its connection back.
    for _ in range(15):
        rows = repo.requests.iter_requests(NOW, NOW + timedelta(days=9))
        async for _row in rows:
            break
        await rows.aclose()  # type: ignore[attr-defined]
    assert await repo.outbox.pending_outbox_count() == 10


# --- patients' data rights ------------------------------------------------------------------


async def test_consents_and_personal_data(repo: Storage, clock: Clock) -> None:
    assert await repo.patients.consent_of(10, "v1") is None
    empty = await repo.patients.personal_data(10)
    assert (empty.locale, empty.requests, empty.reviews, empty.consents) == (None, [], [], [])

    await repo.patients.set_user_locale(10, "ru")
    await repo.requests.create_request(_request("Первая"), _card("request"))
    await repo.requests.create_request(
        _request("Вторая"), _card("request")
    )  # same consent: kept once
    later = NOW + timedelta(days=3)
    await repo.requests.create_request(
        NewRequest(10, "ru", None, "Третья", "+7", "вечер", None, "v2", later), _card("request")
    )
    await repo.requests.create_request(_request("Чужая", user_id=11), _card("request"))
    await repo.reviews.create_review(_review(user_id=10, text="спасибо"), _card("review"))

    assert await repo.patients.consent_of(10, "v1") == NOW
    assert await repo.patients.consent_of(10, "v2") == later
    assert await repo.patients.consent_of(11, "v2") is None
    data = await repo.patients.personal_data(10)
    assert data.locale == "ru"
    assert [r.name for r in data.requests] == ["Первая", "Вторая", "Третья"]
    assert [r.text for r in data.reviews] == ["спасибо"]
    assert [(c.version, c.at) for c in data.consents] == [("v1", NOW), ("v2", later)]


async def test_forget_erases_a_patient_and_keeps_anonymous_rows(
    repo: Storage, clock: Clock
) -> None:
    mine = await repo.requests.create_request(_request("Анна"), _card("request", patient_id=10))
    other = await repo.requests.create_request(_request("Чужая", user_id=11), _card("request", 11))
    review = await repo.reviews.create_review(
        _review(5, user_id=10, text="секрет"), _card("review")
    )
    await _send_all(repo)  # cards 1000 (mine), 1001 (other), 1002 (review: no patient)
    await repo.outbox.enqueue(OutboxMessage("relay", 0, CHAT, None, "Анна пишет", patient_id=10))
    await repo.forms.save_fsm_state("bot:10:10:default", "BookingForm:phone")
    await repo.forms.save_fsm_state("bot:11:11:default", "BookingForm:phone")
    await repo.patients.set_user_locale(10, "ru")

    def notice(request_id: int) -> OutboxMessage:
        return OutboxMessage("erased", request_id, CHAT, None, f"#{request_id} erased")

    erasure = await repo.patients.forget(10, notice)
    assert erasure.request_ids == [mine] and erasure.review_ids == [review]
    assert [(c.message_id, c.kind, c.ref_id) for c in erasure.cards] == [(1000, "request", mine)]

    erased = await repo.requests.get_request(mine)
    assert erased is not None
    assert (erased.name, erased.phone, erased.preferred_time, erased.complaint) == (
        "",
        "",
        "",
        None,
    )
    assert erased.status == RequestStatus.NEW and erased.service_id == "consult"  # statistics
    gone = await repo.reviews.get_review(review)
    assert gone is not None and (gone.author, gone.text, gone.rating) == (None, None, 5)
    card = await repo.conversations.manager_message(CHAT, 1000)
    assert card is not None and card.text == ""
    assert await repo.patients.patient_topic(10) == (None, "")
    assert await repo.forms.load_fsm("bot:10:10:default") == (None, {})
    assert await repo.forms.load_fsm("bot:11:11:default") == ("BookingForm:phone", {})
    # The patient's pending relay is dropped; the staff's notice takes its place.
    assert [(p.message.kind, p.message.ref_id) for p in await repo.outbox.due_outbox(NOW, 10)] == [
        ("erased", mine)
    ]
    data = await repo.patients.personal_data(10)
    assert (data.requests, data.reviews) == ([], [])
    assert (await repo.requests.get_request(other)).name == "Чужая"  # type: ignore[union-attr]
    assert (await repo.conversations.manager_message(CHAT, 1001)).text == f"#{other}"  # type: ignore[union-attr]
    assert (await repo.requests.stats(NOW - timedelta(days=1))).total == 2

    again = await repo.patients.forget(10, notice)
    assert (again.request_ids, again.review_ids) == ([], [])


async def test_a_returning_patient_is_offered_the_contact_of_the_latest_request(
    repo: Storage,
) -> None:
    assert await repo.patients.latest_contact(10) is None
    await repo.requests.create_request(_request("Анна"), _card("request", patient_id=10))
    newer = replace(_request("Анна Петровна"), phone="+79167654321")
    await repo.requests.create_request(newer, _card("request", patient_id=10))
    await repo.requests.create_request(_request("Чужая", user_id=11), _card("request", 11))
    assert await repo.patients.latest_contact(10) == ("Анна Петровна", "+79167654321")

    def notice(request_id: int) -> OutboxMessage:
        return OutboxMessage("erased", request_id, CHAT, None, f"#{request_id} erased")

    await repo.patients.forget(10, notice)
    assert await repo.patients.latest_contact(10) is None  # erased: nothing to offer
    assert await repo.patients.latest_contact(11) == ("Чужая", "+79161234567")


async def test_retention_erases_old_closed_requests(repo: Storage, clock: Clock) -> None:
    clock.now = NOW - timedelta(days=400)
    old_closed = await repo.requests.create_request(_request("a"), _card("request", patient_id=10))
    old_open = await repo.requests.create_request(_request("b"), _card("request", patient_id=10))
    old_spam = await repo.requests.create_request(_request("c"), _card("request", patient_id=10))
    await repo.requests.change_request_status(
        old_closed, RequestStatus.NEW, RequestStatus.BOOKED, 1, "x"
    )
    await repo.requests.change_request_status(
        old_spam, RequestStatus.NEW, RequestStatus.SPAM, 1, "x"
    )
    clock.now = NOW - timedelta(days=10)
    recent = await repo.requests.create_request(_request("d"), _card("request", patient_id=10))
    await repo.requests.change_request_status(
        recent, RequestStatus.NEW, RequestStatus.CANCELLED, 1, "x"
    )
    await _send_all(repo)
    clock.now = NOW

    assert await repo.patients.erase_expired(NOW - timedelta(days=365)) == [old_closed, old_spam]
    names = {
        i: (await repo.requests.get_request(i)).name  # type: ignore[union-attr]
        for i in (old_closed, old_open, old_spam, recent)
    }
    assert names == {old_closed: "", old_open: "b", old_spam: "", recent: "d"}
    assert (await repo.conversations.manager_message(CHAT, 1000)).text == ""  # type: ignore[union-attr]
    assert (await repo.conversations.manager_message(CHAT, 1001)).text == f"#{old_open}"  # type: ignore[union-attr]
    assert await repo.patients.erase_expired(NOW - timedelta(days=365)) == []


async def test_send_slots_are_shared_by_every_repository(
    repository_factory: Backend, clock: Clock
) -> None:
    """Two processes on one database share one manager-chat budget."""
    async with (
        repository_factory.opened(clock) as first,
        repository_factory.opened(clock) as second,
    ):
        taken = [
            await repo.outbox.reserve_send_slot(CHAT, 3, 60.0) for repo in (first, second, first)
        ]
        assert taken == [0.0, 0.0, 0.0]
        wait = await second.outbox.reserve_send_slot(CHAT, 3, 60.0)
        assert wait == pytest.approx(60.0)
        # Another chat has a budget of its own.
        assert await first.outbox.reserve_send_slot(CHAT - 1, 3, 60.0) == 0.0
        clock.advance(seconds=30)
        assert await first.outbox.reserve_send_slot(CHAT, 3, 60.0) == pytest.approx(30.0)
        clock.advance(seconds=30.5)
        assert await second.outbox.reserve_send_slot(CHAT, 3, 60.0) == 0.0


async def test_retention_erases_old_patient_messages(repo: Storage, clock: Clock) -> None:
    def relay(text: str) -> OutboxMessage:
        return OutboxMessage(
            kind="relay",
            ref_id=1,
            chat_id=CHAT,
            thread_id=None,
            text=text,
            patient_id=10,
            thread_under_patient=True,
            patient_name="Анна",
        )

    clock.now = NOW - timedelta(days=400)
    await repo.outbox.enqueue(relay("старый вопрос, мой телефон +79160000000"))
    (old_id,) = await _send_all(repo)
    clock.now = NOW - timedelta(days=5)
    await repo.outbox.enqueue(relay("свежий вопрос"))
    (recent_id,) = await _send_all(repo, first_message_id=2000)
    clock.now = NOW
    await repo.patients.erase_expired(NOW - timedelta(days=365))
    assert (await repo.conversations.manager_message(CHAT, old_id)).text == ""  # type: ignore[union-attr]
    kept = await repo.conversations.manager_message(CHAT, recent_id)
    assert kept is not None
    assert kept.text == "свежий вопрос"


async def test_a_clock_stepped_back_does_not_stall_the_send_slots(
    repository_factory: Backend,
) -> None:
    """Sends stamped before the clock was set back 10 minutes hold up no card for 11 minutes."""
    clock = ManualClock(NOW)
    async with repository_factory.opened(clock) as repo:
        for _ in range(3):
            assert await repo.outbox.reserve_send_slot(CHAT, 3, 60.0) == 0.0
        assert await repo.outbox.reserve_send_slot(CHAT, 3, 60.0) == pytest.approx(60.0)
        clock.advance(timedelta(minutes=-10))
        assert await repo.outbox.reserve_send_slot(CHAT, 3, 60.0) == 0.0


async def test_send_slots_of_a_clock_slightly_ahead_still_count(
    repository_factory: Backend,
) -> None:
    """Another instance's clock half a second ahead: its sends share the budget all the same."""
    ahead = ManualClock(NOW + timedelta(milliseconds=500))
    behind = ManualClock(NOW)
    async with (
        repository_factory.opened(ahead) as first,
        repository_factory.opened(behind) as second,
    ):
        for _ in range(3):
            assert await first.outbox.reserve_send_slot(CHAT, 3, 60.0) == 0.0
        assert await second.outbox.reserve_send_slot(CHAT, 3, 60.0) == pytest.approx(60.5)


async def test_one_booking_form_makes_one_request(repository_factory: Backend) -> None:
    """Confirm pressed twice, the presses handled at once by two instances: one request,
    one card, and both get its number."""
    form = replace(_request("Анна"), form_token="form-1")
    async with repository_factory.opened() as first, repository_factory.opened() as second:
        ids = await asyncio.gather(
            first.requests.create_request(form, _card("request", patient_id=10)),
            second.requests.create_request(form, _card("request", patient_id=10)),
        )
        assert ids[0] == ids[1]
        assert [r.id for r in await first.requests.list_requests(None)] == [ids[0]]
        assert await first.outbox.pending_outbox_count() == 1
        # Another form of the same patient is another request; so are forms without a token.
        other = replace(form, form_token="form-2")
        assert await first.requests.create_request(other, _card("request", 10)) != ids[0]
        untokened = _request("Анна")
        one = await first.requests.create_request(untokened, _card("request", 10))
        two = await second.requests.create_request(untokened, _card("request", 10))
        assert one != two
        assert await first.outbox.pending_outbox_count() == 4

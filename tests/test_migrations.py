"""Schema migrations (Alembic) and the carry-over of the previous release's databases.

`tests/data/legacy_v5.sqlite` and `tests/data/legacy_postgres.sql` were written by the
release before SQLAlchemy (`tests/data/make_legacy.py`), with the same rows at the same times.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, select

from storage import DatabaseTooNewError, Storage, open_storage, upgrade_database
from storage.database import HEAD_REVISION
from storage.legacy import LegacyDatabaseError
from storage.migrate import BASELINE as BASELINE_REVISION
from storage.migrate import head_revision
from storage.models import NewRequest, OutboxMessage, RequestStatus, ReviewStatus
from storage.schema import metadata

pytest_plugins = ("tests.pg",)

DATA = Path(__file__).parent / "data"
LEGACY_START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # make_legacy.START
CHAT = -1001

LEGACY_COUNTS = {
    "users": 3,
    "requests": 6,
    "reviews": 4,
    "outbox": 10,
    "fsm": 1,
    "meta": 1,
    "request_events": 6,
    "manager_messages": 5,
    "patients": 3,
    "audit": 2,
    "consents": 3,
    "send_log": 1,
    # Revision 0003: the visit loop starts with no appointments.
    "appointments": 0,
    "visit_messages": 0,
    # Revision 0004: no escalations or reply templates yet.
    "request_escalations": 0,
    "reply_templates": 0,
    # Revision 0005: no staff overrides yet.
    "content_overrides": 0,
    # Revision 0006 counts the carried-over requests and reviews per day and status.
    "request_days": 6,
    "review_days": 1,
}


async def _counts(storage: Storage) -> dict[str, int]:
    async with storage.database.read() as connection:
        return {
            name: int(await connection.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in metadata.tables.items()
        }


async def _schema_differences(storage: Storage) -> list[Any]:
    """What the database lacks or has more of than `storage/schema.py` (Alembic's compare)."""

    def compare(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with storage.database.read() as connection:
        return await connection.run_sync(compare)


# --- fresh databases ------------------------------------------------------------------------


def test_the_head_revision_is_known_without_alembic() -> None:
    """`open_storage` skips Alembic for a database at HEAD_REVISION: it must be the head."""
    assert head_revision() == HEAD_REVISION


async def test_a_fresh_database_gets_the_whole_schema_at_head(database_url: str) -> None:
    storage = await open_storage(database_url)
    try:
        assert await storage.database.schema_revision() == head_revision()
        # The migrations build exactly what schema.py declares: tables, columns, indexes.
        assert await _schema_differences(storage) == []
        assert set((await _counts(storage)).values()) == {0}
    finally:
        await storage.close()


async def test_upgrade_database_is_idempotent(database_url: str) -> None:
    assert await upgrade_database(database_url) == head_revision()
    assert await upgrade_database(database_url) == head_revision()
    storage = await open_storage(database_url)
    try:
        assert await storage.database.schema_revision() == head_revision()
    finally:
        await storage.close()


async def test_a_database_of_a_newer_release_is_refused(database_url: str) -> None:
    storage = await open_storage(database_url)
    try:
        async with storage.database.transaction() as connection:
            await connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    finally:
        await storage.close()
    with pytest.raises(DatabaseTooNewError, match="'f00d'"):
        await open_storage(database_url)
    with pytest.raises(DatabaseTooNewError, match="'f00d'"):
        await upgrade_database(database_url)


async def test_instances_starting_together_migrate_once(postgres_dsn: str) -> None:
    storages = await asyncio.gather(*(open_storage(postgres_dsn) for _ in range(4)))
    try:
        for storage in storages:
            assert await storage.database.schema_revision() == head_revision()
    finally:
        for storage in storages:
            await storage.close()


# --- databases of the previous release ------------------------------------------------------


async def _check_carried_over(storage: Storage) -> None:
    """Every row of make_legacy.py readable through the repositories, with its values."""
    assert await storage.database.schema_revision() == head_revision()
    assert await _counts(storage) == LEGACY_COUNTS

    requests = await storage.requests.list_requests(None, limit=100)
    assert [request.id for request in requests] == [6, 5, 4, 3, 2, 1]
    first = requests[-1]
    assert (first.name, first.phone, first.service_id, first.complaint) == (
        "Patient 0",
        "+79160000000",
        None,
        None,
    )
    assert first.consented_at == LEGACY_START
    assert LEGACY_START < first.created_at < LEGACY_START + timedelta(hours=1)
    assert first.created_at.utcoffset() == timedelta(0)
    assert [request.status for request in requests] == [
        RequestStatus.BOOKED,
        RequestStatus.TAKEN,
        RequestStatus.NEW,
        RequestStatus.BOOKED,
        RequestStatus.TAKEN,
        RequestStatus.NEW,
    ]
    events = await storage.requests.request_events(3)
    assert [(e.status, e.staff_name) for e in events] == [
        (RequestStatus.TAKEN, "Olga"),
        (RequestStatus.BOOKED, "Olga"),
    ]
    assert requests[3].created_at < events[0].at < events[1].at
    reviews = await storage.reviews.list_reviews(None, limit=10)
    assert [(r.id, r.status, r.author) for r in reviews] == [
        (4, ReviewStatus.HIDDEN, "Author 2"),
        (3, ReviewStatus.PUBLISHED, "Author 1"),
        (2, ReviewStatus.PENDING, "Author 0"),
        (1, ReviewStatus.PUBLISHED, "Clinic"),
    ]
    assert (await storage.reviews.rating_summary()).count == 2
    assert not await storage.reviews.seed_reviews([])  # meta 'reviews_seeded' kept

    count, waiting = await storage.outbox.outbox_overview(10)
    assert count == 5 and [row.id for row in waiting] == [6, 7, 8, 9, 10]
    assert (waiting[0].attempts, waiting[0].last_error) == (1, "Too Many Requests")
    card = await storage.conversations.manager_message(CHAT, 5000)
    assert card is not None and (card.patient_id, card.ref_id, card.text) == (
        101,
        1,
        "request #1 from Patient 0",
    )
    assert await storage.patients.patient_topic(101) == (4242, "Author 0")
    assert await storage.patients.is_banned(103) and not await storage.patients.is_banned(101)
    assert await storage.patients.get_user_locale(102) == "en"
    assert await storage.patients.consent_of(101, "v1") == LEGACY_START
    assert [(a.action, a.target) for a in await storage.audit.latest_audit(5)] == [
        ("export", "requests"),
        ("ban", "103"),
    ]
    assert await storage.forms.load_fsm("1:101:101:::default") == (
        "Form:phone",
        {"name": "Patient 0"},
    )

    # The outbox continues where it stopped: the failed row first, its relay intact.
    due = await storage.outbox.due_outbox(LEGACY_START + timedelta(days=1), 10)
    assert [pending.id for pending in due] == [6, 7, 8, 9, 10]
    relay = due[-1].message
    assert (relay.kind, relay.thread_under_patient, relay.copy_message_id) == ("relay", True, 55)
    for offset, pending in enumerate(due):
        await storage.outbox.mark_outbox_sent(pending.id, 6000 + offset)
    assert await storage.outbox.pending_outbox_count() == 0

    # New rows get new ids.
    def card_of(ref_id: int) -> OutboxMessage:
        return OutboxMessage("request", ref_id, CHAT, None, f"#{ref_id}", patient_id=104)

    request = NewRequest(104, "ru", None, "New", "+7", "now", None, "v2", LEGACY_START)
    assert await storage.requests.create_request(request, card_of) == 7
    (pending,) = await storage.outbox.due_outbox(datetime.now(UTC) + timedelta(days=1), 10)
    assert pending.id == 11
    assert await storage.outbox.reserve_send_slot(CHAT, 20, 60.0) == 0.0
    # Nothing of the schema is missing or left over.
    structural = [
        difference
        for difference in await _schema_differences(storage)
        if not _harmless_on_legacy_sqlite(difference)
    ]
    assert structural == []


def _harmless_on_legacy_sqlite(difference: Any) -> bool:
    """SQLite's reflection of the old DDL: primary keys read as nullable, and the old
    INTEGER flag column that SQLAlchemy's Boolean reads the same way (0/1)."""
    if not isinstance(difference, list) or len(difference) != 1:
        return False
    kind, _schema, table, column, *_ = difference[0]
    if kind == "modify_nullable":
        return column in {"id", "key", "user_id"}
    return kind == "modify_type" and (table, column) == ("outbox", "thread_under_patient")


async def test_a_sqlite_database_of_the_previous_release_is_carried_over(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    shutil.copy(DATA / "legacy_v5.sqlite", path)
    storage = await open_storage(f"sqlite:///{path}")
    try:
        await _check_carried_over(storage)
    finally:
        await storage.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)
        ]
    # Opening again finds it at head and changes nothing.
    again = await open_storage(f"sqlite:///{path}")
    try:
        assert (await _counts(again))["requests"] == 7
    finally:
        await again.close()


async def test_an_older_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    shutil.copy(DATA / "legacy_v5.sqlite", path)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 3")
    with pytest.raises(LegacyDatabaseError, match="version 3"):
        await open_storage(f"sqlite:///{path}")
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        assert "alembic_version" not in tables
        assert raw.execute("SELECT COUNT(*) FROM requests").fetchone() == (6,)


async def test_a_sqlite_file_with_tables_but_no_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE requests (id INTEGER PRIMARY KEY)")
    with pytest.raises(LegacyDatabaseError, match="requests"):
        await open_storage(f"sqlite:///{path}")


def _load_dump(dsn: str) -> None:
    from tests.pg import find_bindir  # loaded as a plugin first (pytest_plugins)

    bindir = find_bindir()
    assert bindir is not None  # postgres_dsn skipped already otherwise
    done = subprocess.run(
        [
            str(bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            dsn,
            "-f",
            str(DATA / "legacy_postgres.sql"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


async def _raw(dsn: str, query: Callable[[asyncpg.Connection[Any]], Any]) -> Any:
    connection = await asyncpg.connect(dsn)
    try:
        return await query(connection)
    finally:
        await connection.close()


async def test_a_postgres_database_of_the_previous_release_is_carried_over(
    postgres_dsn: str,
) -> None:
    _load_dump(postgres_dsn)
    storage = await open_storage(postgres_dsn)
    try:
        await _check_carried_over(storage)
    finally:
        await storage.close()
    tables = await _raw(
        postgres_dsn,
        lambda raw: raw.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"),
    )
    assert "schema_version" not in {row["tablename"] for row in tables}
    assert await upgrade_database(postgres_dsn) == head_revision()


async def test_an_older_postgres_database_is_refused_untouched(postgres_dsn: str) -> None:
    _load_dump(postgres_dsn)
    await _raw(
        postgres_dsn, lambda raw: raw.execute("DELETE FROM schema_version WHERE version = 2")
    )
    with pytest.raises(LegacyDatabaseError, match="version 1"):
        await open_storage(postgres_dsn)
    assert await _raw(postgres_dsn, lambda raw: raw.fetchval("SELECT COUNT(*) FROM requests")) == 6


async def test_a_database_at_the_baseline_gets_the_form_token(database_url: str) -> None:
    """Revision 0002 on a database of the first Alembic release: its requests stay, and
    from then on a booking form makes one request however often it is confirmed."""
    from alembic import command

    from storage.database import Database
    from storage.migrate import alembic_config

    database = Database.connect(database_url)
    try:
        async with database.transaction() as connection:
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(sync), BASELINE_REVISION)
            )
            await connection.exec_driver_sql(
                "INSERT INTO requests (user_id, locale, name, phone, preferred_time, "
                "consent_version, consented_at, created_at) VALUES "
                "(104, 'ru', 'Old', '+7', 'now', 'v1', '2026-10-01T09:00:00.000000+00:00', "
                "'2026-10-01T09:00:00.000000+00:00')"
            )
        assert await database.schema_revision() == BASELINE_REVISION
    finally:
        await database.close()

    storage = await open_storage(database_url)
    try:
        assert await storage.database.schema_revision() == head_revision() == HEAD_REVISION
        assert await _schema_differences(storage) == []
        (old,) = await storage.requests.list_requests(None)
        assert (old.id, old.name) == (1, "Old")

        def card_of(ref_id: int) -> OutboxMessage:
            return OutboxMessage("request", ref_id, CHAT, None, f"#{ref_id}", patient_id=104)

        form = NewRequest(104, "ru", None, "New", "+7", "now", None, "v2", LEGACY_START, "f")
        assert await storage.requests.create_request(form, card_of) == 2
        assert await storage.requests.create_request(form, card_of) == 2
        assert await storage.outbox.pending_outbox_count() == 1
    finally:
        await storage.close()

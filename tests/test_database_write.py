"""`Database.write`: a write transaction of statements run one after another, inline on the
event loop's thread on SQLite when nobody else writes, through the async driver otherwise."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from storage import Storage, open_storage
from storage.schema import audit

pytest_plugins = ("tests.pg",)

AT = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    opened = await open_storage(database_url)
    try:
        yield opened
    finally:
        await opened.close()


def _add(action: str) -> Callable[[Connection], int]:
    def body(connection: Connection) -> int:
        connection.execute(
            audit.insert().values(staff_id=1, staff_name="Anna", action=action, target="t", at=AT)
        )
        return len(connection.execute(select(audit.c.id)).all())

    return body


async def _actions(storage: Storage) -> list[str]:
    rows = await storage.database.lookup(select(audit.c.action).order_by(audit.c.id))
    return [row.action for row in rows]


async def test_a_write_commits_its_statements_and_returns_the_body_result(
    storage: Storage,
) -> None:
    assert await storage.database.write(_add("first")) == 1
    assert await storage.database.write(_add("second")) == 2
    assert await _actions(storage) == ["first", "second"]


async def test_a_failing_body_leaves_nothing_written(storage: Storage) -> None:
    def body(connection: Connection) -> None:
        connection.execute(
            audit.insert().values(staff_id=1, staff_name="Anna", action="half", target="t", at=AT)
        )
        raise RuntimeError("the second statement failed")

    with pytest.raises(RuntimeError):
        await storage.database.write(body)
    assert await _actions(storage) == []
    # The connection is usable afterwards: no transaction was left open on it.
    await storage.database.write(_add("after"))
    assert await _actions(storage) == ["after"]


async def test_a_write_waits_for_another_process_holding_the_sqlite_lock(
    tmp_path: Path,
) -> None:
    """The inline connection never waits for a lock (it would stop the event loop): when
    another writer holds the database the write goes through aiosqlite, which waits for it,
    and lands once the other writer commits."""
    path = tmp_path / "clinic.db"
    storage = await open_storage(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO audit (staff_id, staff_name, action, target, at) "
            "VALUES (2, 'Oleg', 'other', 't', '2026-12-05 10:00:00.000000')"
        )
        write = asyncio.create_task(storage.database.write(_add("ours")))
        await asyncio.sleep(0.2)
        assert not write.done()  # waiting for the other writer, not failed
        other.execute("COMMIT")
        assert await write == 2
        assert await _actions(storage) == ["other", "ours"]
    finally:
        other.close()
        await storage.close()

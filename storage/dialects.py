"""THE place for what truly differs between SQLite and PostgreSQL; everything else is written once.

- SQLite's connection set-up: its pragmas, BEGIN IMMEDIATE for writers, and the inline
  connection of `Database.lookup`/`write_one`/`write` on the event loop's thread (with its
  pragmas, and the BEGIN IMMEDIATE of `write`);
- the upsert construct (both have `on_conflict_do_update`/`_do_nothing`, from different modules);
- PostgreSQL's advisory locks (migrations, the send log); SQLite's BEGIN IMMEDIATE serialises
  every writer instead;
- a request's day in UTC, for /stats;
- SQLite's write-ahead log emptied after an erasure (PostgreSQL has no such file to clear);
- the outbox claim: PostgreSQL leases rows with `FOR UPDATE SKIP LOCKED`, so that several
  instances drain one outbox; SQLite, one writer at a time, reads and leases in its write
  transaction, with the same result.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Engine,
    Executable,
    Row,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool

from storage.schema import UtcDateTime, outbox

POSTGRESQL = "postgresql"
SQLITE = "sqlite"

SQLITE_BUSY_TIMEOUT_MS = 5000

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    # Erased personal data must not linger in free pages of the file.
    "PRAGMA secure_delete=ON",
)

SQLITE_INLINE_PRAGMAS = (
    # `Database.lookup` and `write_one` run on the event loop's thread: they must never wait
    # (another writer: they go the usual way) nor checkpoint the log (the other connections do).
    "PRAGMA busy_timeout=0",
    "PRAGMA wal_autocheckpoint=0",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
)

WRITE = "clinic_write"
"""Execution option of the connections `Database.transaction` hands out (SQLite: BEGIN
IMMEDIATE)."""

NO_TRANSACTION = "clinic_no_transaction"
"""Execution option of a connection whose statements run outside any transaction (SQLite's
checkpoint refuses to run inside one)."""


_BEGIN_WRITE = "BEGIN IMMEDIATE"


def prepare_sqlite(engine: AsyncEngine) -> None:
    """SQLite: our pragmas on every connection, and transactions begun by us (SQLAlchemy's
    recipe for pysqlite/aiosqlite): BEGIN IMMEDIATE for writes, so that a writer takes the
    lock at once instead of failing halfway when another one holds it."""
    event.listen(engine.sync_engine, "connect", _configured_with(SQLITE_PRAGMAS))

    @event.listens_for(engine.sync_engine, "begin")
    def begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(NO_TRANSACTION, False):
            return
        connection.exec_driver_sql(_BEGIN_WRITE if options.get(WRITE, False) else "BEGIN")


def sqlite_inline_engine(url: URL) -> Engine:
    """The synchronous connection of `Database.lookup`, `write_one` and `write` (one, used by
    the event loop's thread)."""
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        poolclass=StaticPool,
        # Only the event loop's thread uses it; a pool of one needs no thread check.
        connect_args={"check_same_thread": False},
    )

    # Each statement alone, committed as it ends (`write` begins its own transaction): no
    # snapshot is kept between two.
    event.listen(engine, "connect", _configured_with(SQLITE_INLINE_PRAGMAS))
    return engine


def _configured_with(pragmas: Sequence[str]) -> Callable[[Any, Any], None]:
    """A "connect" listener: the driver emits no BEGIN of its own, and `pragmas` are set."""

    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return configure


def begin_sqlite_write(connection: Connection) -> None:
    """Start a write transaction on the inline connection (`Database.write`), taking the
    write lock at once, as every other SQLite writer of clinic-bot does."""
    connection.exec_driver_sql(_BEGIN_WRITE)


def sqlite_is_busy(error: OperationalError) -> bool:
    return isinstance(error.orig, sqlite3.OperationalError) and any(
        word in str(error.orig) for word in ("locked", "busy")
    )


MIGRATION_LOCK = 0x636C696E6963_01
"""Key of PostgreSQL's advisory lock held while migrating ("clinic" + 1); the key of the
release before SQLAlchemy, so that old and new instances starting together wait in turn."""

SEND_LOG_LOCK = 0x636C6974
"""Advisory-lock class of the send log (two 32-bit keys: this class and the chat)."""


def upsert(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """`INSERT … ON CONFLICT`: the same API on both backends, from each one's module."""
    if dialect == POSTGRESQL:
        return postgresql.insert(table)
    return sqlite.insert(table)


@functools.cache
def upsert_updating(
    dialect: str, table: Table, conflict: tuple[str, ...], updated: tuple[str, ...]
) -> Executable:
    """`INSERT … ON CONFLICT (conflict) DO UPDATE SET` each `updated` column to the inserted
    value, built once per dialect and table: the values are given at execution, by column
    name."""
    statement = upsert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in conflict],
        set_={name: statement.excluded[name] for name in updated},
    )


async def lock_for_migration(connection: AsyncConnection) -> None:
    """Several instances starting together migrate one after the other.

    Held until the migration's transaction ends (a transaction-level lock): the next
    instance gets it only once the migration is committed, and sees it done. (It conflicts
    with the session lock of the same key that the previous release took.)
    """
    if connection.dialect.name == POSTGRESQL:
        await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))


async def lock_send_log(connection: AsyncConnection, chat_id: int) -> None:
    """Serialise the send-log transactions of one chat across instances (PostgreSQL); on
    SQLite the write transaction (BEGIN IMMEDIATE) already excludes every other writer."""
    if connection.dialect.name == POSTGRESQL:
        await connection.execute(select(func.pg_advisory_xact_lock(SEND_LOG_LOCK, chat_id % 2**31)))


CHECKPOINT_BUSY_MS = 100
"""How long one checkpoint attempt waits for readers and writers: the caller retries, and a
writer waiting behind a checkpoint must not wait for long."""


async def checkpoint_wal(connection: AsyncConnection) -> bool:
    """SQLite: copy the write-ahead log into the database file and truncate it, so that
    erased rows survive in neither; True when done (always on PostgreSQL).

    `connection` must be outside any transaction. False while another connection reads an
    older snapshot or writes: the log may then not be reset, and the caller tries again.
    """
    if connection.dialect.name != SQLITE:
        return True
    restore = f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
    await connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
    try:
        # (busy, frames in the log, frames copied): busy is 1 when it could not finish.
        outcome = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    except BaseException:
        # Cancelled (a stop) or failed: the connection may be unusable now, and an error of
        # the restore must not replace the one raised here (a swallowed cancellation left a
        # stopping bot waiting forever for its retention job).
        with contextlib.suppress(Exception):
            await connection.exec_driver_sql(restore)
        raise
    await connection.exec_driver_sql(restore)
    return int(outcome[0]) == 0


def utc_day(dialect: str, column: ColumnElement[Any]) -> ColumnElement[str]:
    """'YYYY-MM-DD' of a stored time, in UTC."""
    if dialect == POSTGRESQL:
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite stores UTC ISO text: the day is its first ten characters.
    return func.substr(column, 1, 10)


def lease_is_free(
    now: datetime | BindParameter[datetime], owner: str | BindParameter[str]
) -> ColumnElement[bool]:
    """A row another instance holds under a live lease is not ours to send."""
    return or_(
        outbox.c.lease_until.is_(None), outbox.c.lease_until <= now, outbox.c.lease_owner == owner
    )


_POSTGRES_CLAIM = (
    text(
        """
WITH candidates AS MATERIALIZED (
    SELECT id, next_attempt_at FROM outbox
    WHERE status = 'pending'
      AND (lease_until IS NULL OR lease_until <= :now OR lease_owner = :owner)
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    SELECT id FROM candidates
    WHERE NOT EXISTS (
        SELECT 1 FROM candidates AS blocker
        WHERE blocker.id <= candidates.id AND blocker.next_attempt_at > :now
    )
)
UPDATE outbox SET lease_owner = :owner, lease_until = :until
FROM claimed WHERE outbox.id = claimed.id
RETURNING """
        # Named, not outbox.*: the result's columns are matched to `outbox.c` by position.
        + ", ".join(f"outbox.{column.name}" for column in outbox.c)
    )
    .bindparams(
        # Times through the column type, as on every other statement.
        bindparam("now", type_=UtcDateTime()),
        bindparam("until", type_=UtcDateTime()),
        bindparam("owner"),
        bindparam("limit"),
    )
    .columns(*outbox.c)
)


# SQLite's claim in two statements, built once (a claim runs for every card).
_SQLITE_CLAIM_CANDIDATES = (
    select(outbox.c.id, outbox.c.next_attempt_at)
    .where(outbox.c.status == "pending", lease_is_free(bindparam("now"), bindparam("owner")))
    .order_by(outbox.c.id)
    .limit(bindparam("limit"))
)
_SQLITE_CLAIM = (
    update(outbox)
    .where(outbox.c.id.in_(bindparam("claimed", expanding=True)))
    .values(lease_owner=bindparam("new_owner"), lease_until=bindparam("until"))
    .returning(*outbox.c)
)


def claim_outbox(
    connection: Connection, now: datetime, owner: str, limit: int, until: datetime
) -> Sequence[Row[Any]]:
    """Lease to `owner` the pending rows in id order up to the first not yet due, skipping
    rows under another owner's live lease; `connection` is in a write transaction (a
    `Database.write` body)."""
    if connection.dialect.name == POSTGRESQL:
        parameters = {"now": now, "owner": owner, "limit": limit, "until": until}
        return connection.execute(_POSTGRES_CLAIM, parameters).all()
    candidates = connection.execute(
        _SQLITE_CLAIM_CANDIDATES, {"now": now, "owner": owner, "limit": limit}
    ).all()
    claimed: list[int] = []
    for row in candidates:
        if row.next_attempt_at > now:
            break  # a row not yet due holds the ones behind it: the chat keeps its order
        claimed.append(row.id)
    if not claimed:
        return []
    return connection.execute(
        _SQLITE_CLAIM, {"claimed": claimed, "new_owner": owner, "until": until}
    ).all()

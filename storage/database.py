"""The database connection of clinic-bot: an SQLAlchemy `AsyncEngine` and its transactions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Executable, Row, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.dialects import (
    NO_TRANSACTION,
    POSTGRESQL,
    SQLITE,
    WRITE,
    begin_sqlite_write,
    checkpoint_wal,
    prepare_sqlite,
    sqlite_inline_engine,
    sqlite_is_busy,
    upsert,
)
from storage.schema import meta

logger = logging.getLogger(__name__)

T = TypeVar("T")

_VERSIONS = "alembic_version"

CHECKPOINT_ATTEMPTS = 20
CHECKPOINT_RETRY_SECONDS = 0.05
"""After an erasure the write-ahead log is checkpointed; a reader in the middle of a query
holds an older snapshot and makes an attempt fail, so it is retried a while."""

HEAD_REVISION = "0006"
"""The newest migration in `storage/migrations/versions` (a test keeps them equal):
a database already there is opened without loading Alembic (~12 MB, with Mako)."""

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")
_SQLITE_SCHEMES = ("sqlite:///", "sqlite+aiosqlite:///")


class DatabaseTooNewError(RuntimeError):
    """The database was migrated by a newer release of clinic-bot than this one."""


def sqlalchemy_url(database_url: str) -> str:
    """The SQLAlchemy URL of a `DATABASE_URL`, with the async driver of its backend.

    Accepted: `sqlite:///path` (`sqlite+aiosqlite:///path`), `postgresql://…`
    (`postgres://…`, `postgresql+asyncpg://…`); anything else is a ValueError.
    """
    for scheme in _SQLITE_SCHEMES:
        path = database_url.removeprefix(scheme)
        if database_url.startswith(scheme) and path and not path.startswith("?"):
            return f"sqlite+aiosqlite:///{path}"
    for scheme in _POSTGRES_SCHEMES:
        if database_url.startswith(scheme) and database_url != scheme:
            return "postgresql+asyncpg://" + database_url.removeprefix(scheme)
    raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]}")


class Database:
    """Transactions for writes, read connections for queries, for either backend.

    On SQLite several pooled connections read beside one writer (WAL): an export does not
    hold patients up. Writes of this process wait for each other on a lock (SQLite allows one
    writer); other processes are waited for by busy_timeout.
    """

    def __init__(self, engine: AsyncEngine, *, inline_engine: Engine | None = None) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        if self.dialect == POSTGRESQL:
            # One statement needs no transaction round trips; a snapshot sees one moment.
            self._reader = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._snapshot = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            # SQLite reads in a deferred transaction: a snapshot anyway, and cheap.
            self._reader = self._snapshot = engine
        self._inline_engine = inline_engine
        self._inline: Connection | None = None
        self._write_lock = asyncio.Lock() if self.dialect == SQLITE else None

    @classmethod
    def connect(cls, database_url: str, **engine_options: Any) -> Database:
        """A `Database` for a `DATABASE_URL` (see `sqlalchemy_url`); connects on first use."""
        url = make_url(sqlalchemy_url(database_url))
        if url.get_backend_name() == SQLITE and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **engine_options)
        if url.get_backend_name() != SQLITE:
            return cls(engine)
        prepare_sqlite(engine)
        return cls(engine, inline_engine=sqlite_inline_engine(url))

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        lock: AbstractAsyncContextManager[Any] = self._write_lock or nullcontext()
        async with lock, self._writer.begin() as connection:
            yield connection

    @asynccontextmanager
    async def read(self, *, snapshot: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection for queries; with `snapshot`, all of them see one moment."""
        async with (self._snapshot if snapshot else self._reader).connect() as connection:
            yield connection

    async def lookup(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """The rows of a small query by key (a patient's language, a form's state): the reads
        every update makes.

        On SQLite it runs on the event loop's own thread, on a connection that never waits for
        a lock: an indexed read of one row takes microseconds there, while each trip to
        aiosqlite's worker thread costs ~0.1 ms of CPU and an update made a dozen of them. If
        that connection meets a lock (a checkpoint truncating the log), the read goes the usual
        way. On PostgreSQL it is one statement on an autocommit connection.
        """
        if self._inline_engine is not None:
            try:
                with self._on_loop_thread() as connection:
                    return connection.execute(statement, parameters).all()
            except OperationalError as error:
                if not sqlite_is_busy(error):
                    raise
        async with self._reader.connect() as connection:
            return (await connection.execute(statement, parameters)).all()

    async def write_one(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> None:
        """One statement that is a whole change by itself (a form's state saved by key).

        On SQLite, when no transaction of this process is under way, it runs on the event
        loop's thread as a statement of its own (atomic, committed as it ends): ~50 µs instead
        of ~1.5 ms in aiosqlite's thread for BEGIN, the statement and COMMIT, and forms write
        twice a step. That connection never waits for a lock and never checkpoints the log (a
        checkpoint writes the file and syncs it): when another writer holds the database it
        goes the usual way, in a transaction. PostgreSQL: a transaction.
        """
        if self._writes_inline():
            try:
                with self._on_loop_thread() as connection:
                    connection.execute(statement, parameters)
                return
            except OperationalError as error:
                if not sqlite_is_busy(error):
                    raise
        async with self.transaction() as connection:
            await connection.execute(statement, parameters)

    async def write(self, body: Callable[[Connection], T]) -> T:
        """A write transaction whose statements follow each other without waiting for
        anything else: `body` runs them on a synchronous `Connection` and returns a result.

        On SQLite, when no transaction of this process is under way, it runs on the event
        loop's thread (`BEGIN IMMEDIATE`, the statements, `COMMIT`) on the connection of
        `write_one`: the outbox marks a card sent and a manager's press changes a status in
        ~0.1 ms instead of ~1-2 ms of CPU in trips to aiosqlite's thread. If another writer
        holds the database, it is rolled back and goes the usual way. Otherwise, and on
        PostgreSQL, `body` runs in `transaction()` through SQLAlchemy's `run_sync`. `body` may
        run twice (after a rollback): it must only read and write through `connection`.
        """
        if self._writes_inline():
            try:
                with self._on_loop_thread() as connection:
                    begin_sqlite_write(connection)
                    return body(connection)
            except OperationalError as error:
                if not sqlite_is_busy(error):
                    raise
        async with self.transaction() as connection:
            return await connection.run_sync(body)

    def _writes_inline(self) -> bool:
        """SQLite, and no write transaction of this process under way (it holds the lock)."""
        return self._inline_engine is not None and not (
            self._write_lock is not None and self._write_lock.locked()
        )

    @contextmanager
    def _on_loop_thread(self) -> Iterator[Connection]:
        """SQLite's connection of `lookup`, `write_one` and `write` (kept open: taking it
        from its pool for each statement cost more than most of the statements), committed
        when the block ends and rolled back if it raises."""
        assert self._inline_engine is not None
        if self._inline is None or self._inline.closed:
            self._inline = self._inline_engine.connect()
        connection = self._inline
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()

    async def lookup_one(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Row[*tuple[Any, ...]] | None:
        """The first row of `lookup`, or None."""
        rows = await self.lookup(statement, parameters)
        return rows[0] if rows else None

    async def clear_write_ahead_log(self) -> bool:
        """After an erasure, once committed: SQLite keeps the erased rows' old pages in its
        write-ahead log (`clinic.db-wal`) until a checkpoint, ~1,000 writes later; this
        checkpoints and truncates it now. Nothing to do on PostgreSQL.

        False (and a warning) when readers kept older snapshots throughout the retries: the
        next erasure's checkpoint, or any later one, clears the log then.
        """
        if self.dialect != SQLITE:
            return True
        outside = self._engine.execution_options(**{NO_TRANSACTION: True})
        lock: AbstractAsyncContextManager[Any] = self._write_lock or nullcontext()
        for _ in range(CHECKPOINT_ATTEMPTS):
            # Under the write lock: no writer of this process is half-way when it runs.
            async with lock, outside.connect() as connection:
                if await checkpoint_wal(connection):
                    return True
            await asyncio.sleep(CHECKPOINT_RETRY_SECONDS)
        logger.warning(
            "Erased data may stay in the SQLite write-ahead log until the next checkpoint: "
            "other connections kept reading older snapshots"
        )
        return False

    async def schema_revision(self) -> str | None:
        """The Alembic revision of the database (None before the first migration)."""
        async with self.read() as connection:
            if not await connection.run_sync(lambda sync: inspect(sync).has_table(_VERSIONS)):
                return None
            revision = await connection.scalar(text(f"SELECT version_num FROM {_VERSIONS}"))
        return str(revision) if revision is not None else None

    async def check_writable(self) -> None:
        """Write one row (`meta.write_check`): raises when the database accepts reads only.

        A read-only file or a full disk lets every query through and fails every update, so
        health is a write, not a SELECT.
        """
        statement = upsert(self.dialect, meta).values(key="write_check", value="ok")
        async with self.transaction() as connection:
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[meta.c.key], set_={"value": statement.excluded.value}
                )
            )

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._inline_engine is not None:
            self._inline_engine.dispose()
        await self._engine.dispose()

"""Schema migrations (Alembic), applied at start and by `clinic-bot db upgrade`.

No alembic.ini: the configuration is built here, with the migrations of
`storage/migrations` and the connection passed to its `env.py`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.database import Database, DatabaseTooNewError
from storage.dialects import lock_for_migration
from storage.legacy import adopt_legacy_schema

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision this release's code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _upgrade(connection: Connection) -> str:
    config = alembic_config(connection)
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in known:
        raise DatabaseTooNewError(
            f"the database is at schema revision {current!r}, unknown to this release of "
            f"clinic-bot (its newest is {head_revision()!r}): run the newer release"
        )
    if current is None and adopt_legacy_schema(connection):
        logger.info("Database of the previous release carried over to revision %s", BASELINE)
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")
    revision = MigrationContext.configure(connection).get_current_revision()
    assert revision is not None
    if revision != current:
        logger.info("Database migrated to schema revision %s", revision)
    return revision


async def migrate(database: Database) -> str:
    """Bring the database to this release's head revision; returns it.

    One transaction (both backends' DDL is transactional): a failure leaves the database
    as it was. On PostgreSQL it holds an advisory lock, so that several instances starting
    together migrate once; on SQLite BEGIN IMMEDIATE excludes other writers.
    """
    async with database.transaction() as connection:
        await lock_for_migration(connection)
        return await connection.run_sync(_upgrade)

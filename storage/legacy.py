"""Databases of the release before SQLAlchemy, brought to the Alembic baseline in place.

That release versioned SQLite with `PRAGMA user_version` (last: 5) and PostgreSQL with a
`schema_version` table (last: 2). Their schemas are the baseline (revision 0001) but for
a few additions, made here; then `storage.migrate` stamps the baseline. No row is touched.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from storage.schema import metadata

LAST_SQLITE_VERSION = 5
LAST_POSTGRES_VERSION = 2

# What SQLite's version 5 lacks of the baseline: the outbox lease (several instances), the
# indexes PostgreSQL had, and the pending-rows index made partial as PostgreSQL's.
_SQLITE_ADDITIONS = (
    "ALTER TABLE outbox ADD COLUMN lease_owner TEXT",
    "ALTER TABLE outbox ADD COLUMN lease_until TEXT",
    "DROP INDEX outbox_pending",
    "CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending'",
    "CREATE INDEX outbox_ref ON outbox (kind, ref_id)",
    "CREATE INDEX outbox_patient ON outbox (patient_id)",
    "CREATE INDEX reviews_user ON reviews (user_id)",
    "CREATE INDEX manager_messages_ref ON manager_messages (kind, ref_id)",
)


class LegacyDatabaseError(RuntimeError):
    """A database this release cannot carry over."""


def adopt_legacy_schema(connection: Connection) -> bool:
    """Bring a database of the previous release to the baseline; False if it is not one.

    `connection` is in the migration's transaction and holds the migration lock.
    """
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables:
        return False
    if connection.dialect.name == "sqlite":
        version = int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())
        if version == 0:
            _refuse_unknown_tables(tables)
            return False
        if version != LAST_SQLITE_VERSION:
            raise LegacyDatabaseError(
                f"SQLite database at schema version {version}: this release carries over "
                f"version {LAST_SQLITE_VERSION} only. Start the previous release of clinic-bot "
                "on it once (it migrates to version 5), then this one."
            )
        for statement in _SQLITE_ADDITIONS:
            connection.exec_driver_sql(statement)
        # user_version stays 5: the previous release still opens the file after a rollback.
        return True
    if "schema_version" not in tables:
        _refuse_unknown_tables(tables)
        return False
    found = connection.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    if found != LAST_POSTGRES_VERSION:
        raise LegacyDatabaseError(
            f"PostgreSQL database at schema version {found}: this release carries over "
            f"version {LAST_POSTGRES_VERSION} only. Start the previous release of clinic-bot "
            "on it once, then this one."
        )
    connection.execute(text("DROP TABLE schema_version"))
    return True


def _refuse_unknown_tables(tables: set[str]) -> None:
    ours = tables & set(metadata.tables)
    if ours:
        raise LegacyDatabaseError(
            f"the database has clinic-bot tables ({', '.join(sorted(ours))}) but no schema "
            "version: refusing to guess what it holds"
        )

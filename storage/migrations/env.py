"""Alembic environment: migrate the connection `storage.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through storage.migrate (clinic-bot db upgrade)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters tables by copying them (Alembic's batch mode).
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

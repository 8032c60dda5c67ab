"""Staff edits without a deploy (prices, hours, phones, announcement) and patients' sources.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

`content_overrides` holds what staff changed over the files in `content/` (one row per
changed value, keyed like `price:consult` or `phone:main`); deleting a row returns to the
file. Where patients come from: the `?start=<source>` of the deep link they opened, first and
latest on `users`, and on each request the patient's latest source when it was sent.
Frozen: the types are spelt out here, not imported from `storage/schema.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.Text().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "content_overrides",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", ID, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    # Nullable columns: a plain ALTER TABLE ADD COLUMN on SQLite too, no table copy.
    op.add_column("users", sa.Column("first_source", sa.Text()))
    op.add_column("users", sa.Column("latest_source", sa.Text()))
    op.add_column("users", sa.Column("latest_source_at", TIME))
    op.add_column("requests", sa.Column("source", sa.Text()))


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

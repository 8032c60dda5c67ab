"""Clinic operations: escalation of untaken requests, reply templates, replies under a card.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

`request_escalations` counts the reminders queued for a request nobody took in time;
`reply_templates` holds the managers' short answers; the outbox can post a message as a
reply to a given message (an escalation under its request card). "Received out of hours" is
computed from a request's `created_at` and the clinic's hours, not stored. Frozen: the types
are spelt out here, not imported from `storage/schema.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.Text().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "request_escalations",
        sa.Column("request_id", ID, sa.ForeignKey("requests.id"), primary_key=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("last_at", TIME, nullable=False),
    )
    op.create_table(
        "reply_templates",
        sa.Column("id", ID, sa.Identity(always=True), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", ID, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("reply_templates_name", "reply_templates", ["name"], unique=True)
    # Nullable: a plain ALTER TABLE ADD COLUMN on SQLite too, no table copy.
    op.add_column("outbox", sa.Column("reply_to_message_id", ID))


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

"""Baseline: the schema of the release before SQLAlchemy, SQLite's and PostgreSQL's united.

Revision ID: 0001
Revises:
Create Date: 2026-12-04

Databases of that release are brought to this revision by `storage/legacy.py` and stamped.
Frozen: the types are spelt out here, not imported from `storage/schema.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Telegram ids: BIGINT; on SQLite INTEGER (64-bit anyway, and the rowid for a primary key).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Aware UTC times: TIMESTAMPTZ; on SQLite ISO-8601 text.
TIME = sa.Text().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=True), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", ID, primary_key=True, autoincrement=False),
        sa.Column("locale", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "requests",
        _id(),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("locale", sa.Text(), nullable=False),
        sa.Column("service_id", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("preferred_time", sa.Text(), nullable=False),
        sa.Column("complaint", sa.Text()),
        sa.Column("consent_version", sa.Text(), nullable=False),
        sa.Column("consented_at", TIME, nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'new'")),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("erased_at", TIME),
        sqlite_autoincrement=True,
    )
    op.create_index("requests_user", "requests", ["user_id"])
    op.create_index("requests_status", "requests", ["status", "id"])
    op.create_index("requests_created", "requests", ["created_at"])
    op.create_table(
        "reviews",
        _id(),
        sa.Column("user_id", ID),
        sa.Column("author", sa.Text()),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("locale", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("moderated_by", sa.Text()),
        sa.Column("moderated_at", TIME),
        sa.Column("erased_at", TIME),
        sa.CheckConstraint("rating BETWEEN 1 AND 5"),
        sqlite_autoincrement=True,
    )
    op.create_index("reviews_status", "reviews", ["status", "id"])
    op.create_index("reviews_user", "reviews", ["user_id"])
    op.create_index("reviews_created", "reviews", ["created_at"])
    op.create_table(
        "outbox",
        _id(),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ref_id", ID, nullable=False),
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("thread_id", ID),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_markup", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("message_id", ID),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("sent_at", TIME),
        sa.Column("patient_id", ID),
        sa.Column(
            "thread_under_patient", sa.Boolean(), nullable=False, server_default=sa.text("FALSE")
        ),
        sa.Column("copy_chat_id", ID),
        sa.Column("copy_message_id", ID),
        sa.Column("lease_owner", sa.Text()),
        sa.Column("lease_until", TIME),
        sqlite_autoincrement=True,
    )
    pending = sa.text("status = 'pending'")
    op.create_index(
        "outbox_pending", "outbox", ["id"], postgresql_where=pending, sqlite_where=pending
    )
    op.create_index("outbox_ref", "outbox", ["kind", "ref_id"])
    op.create_index("outbox_patient", "outbox", ["patient_id"])
    op.create_table(
        "fsm",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("state", sa.Text()),
        sa.Column("data", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "request_events",
        _id(),
        sa.Column("request_id", ID, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("staff_id", ID, nullable=False),
        sa.Column("staff_name", sa.Text(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("request_events_request", "request_events", ["request_id", "id"])
    op.create_table(
        "manager_messages",
        sa.Column("chat_id", ID, primary_key=True),
        sa.Column("message_id", ID, primary_key=True),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ref_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index(
        "manager_messages_patient", "manager_messages", ["patient_id", "chat_id", "message_id"]
    )
    op.create_index("manager_messages_ref", "manager_messages", ["kind", "ref_id"])
    op.create_table(
        "patients",
        sa.Column("user_id", ID, primary_key=True, autoincrement=False),
        sa.Column("display_name", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("topic_id", ID),
        sa.Column("banned_by", ID),
        sa.Column("banned_at", TIME),
    )
    op.create_table(
        "audit",
        _id(),
        sa.Column("staff_id", ID, nullable=False),
        sa.Column("staff_name", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "consents",
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("version", sa.Text(), primary_key=True),
        sa.Column("at", TIME, nullable=False),
    )
    op.create_table(
        "send_log",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("send_log_chat", "send_log", ["chat_id", "at"])


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

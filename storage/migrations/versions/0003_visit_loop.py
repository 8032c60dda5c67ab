"""Appointments and the messages of the visit loop (confirmation, reminders, follow-up).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

A booked request gets an appointment (`appointments`); its reminders and follow-up wait in
`visit_messages` until due, and are then moved into the outbox. New tables only: nothing
existing changes. Frozen: the types are spelt out here, not imported from `storage/schema.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.Text().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=True), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "appointments",
        _id(),
        sa.Column("request_id", ID, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("branch_id", sa.Text()),
        sa.Column("doctor", sa.Text()),
        sa.Column("state", sa.Text(), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("move_wish", sa.Text()),
        sa.Column("visit_status", sa.Text()),
        sa.Column("score", sa.Integer()),
        sa.Column("feedback", sa.Text()),
        sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("appointments_request", "appointments", ["request_id"], unique=True)
    op.create_index("appointments_starts", "appointments", ["starts_at"])
    op.create_index("appointments_patient", "appointments", ["patient_id"])
    op.create_table(
        "visit_messages",
        _id(),
        sa.Column("appointment_id", ID, sa.ForeignKey("appointments.id"), nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'scheduled'")),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "visit_messages_due",
        "visit_messages",
        ["due_at"],
        postgresql_where=sa.text("status = 'scheduled'"),
        sqlite_where=sa.text("status = 'scheduled'"),
    )
    op.create_index("visit_messages_appointment", "visit_messages", ["appointment_id"])
    op.create_index("visit_messages_patient", "visit_messages", ["patient_id"])


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

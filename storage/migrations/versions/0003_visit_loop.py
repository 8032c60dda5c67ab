"""Appointments and the messages of the visit loop (confirmation, reminders, follow-up).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Filled in by the visit-loop work (issue 14).
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

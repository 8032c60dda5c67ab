"""Clinic operations: escalation of untaken requests, out-of-hours marks, reply templates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

Filled in by the clinic-operations work (issue 15, first half).
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

"""Reporting: daily aggregates for /stats and the manager-chat digests.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Filled in by the performance work (issue 16).
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

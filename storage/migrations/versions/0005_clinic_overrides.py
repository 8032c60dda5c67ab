"""Staff edits without a deploy (prices, hours, phones, announcement) and patients' sources.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Filled in by the clinic-operations work (issue 15, second half).
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

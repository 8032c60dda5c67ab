"""Requests remember the booking form they came from: one form, one request.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

A patient pressing Confirm twice, the presses handled by two instances, made two requests;
`requests.form_token` is unique, so the second finds the first. Existing rows keep NULL
(a unique index admits any number of NULLs on both backends). Databases carried over from
the release before SQLAlchemy reach it the same way: stamped 0001, then upgraded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column is a plain ALTER TABLE ADD COLUMN on SQLite too: no table copy.
    op.add_column("requests", sa.Column("form_token", sa.Text()))
    op.create_index("requests_form_token", "requests", ["form_token"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

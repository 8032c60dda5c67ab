"""Reporting: daily aggregates for /stats.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

/stats over ten years counted a million requests on every call (1.8 s). `request_days` and
`review_days` hold the counts per UTC day, and database triggers keep them in the same
transaction as every insert, status change or deletion of a request or review, whatever
code writes it (the bot, an operator's SQL, a bulk load): the aggregates cannot drift from
the rows. The rows already stored are counted in once, here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE_DAY = "substr({row}.created_at, 1, 10)"
_POSTGRES_DAY = "to_char({row}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _request_change(day: str, row: str, sign: str) -> str:
    """Add (`sign` '+') or take away ('-') one request of `row` (NEW or OLD) in its day."""
    if sign == "+":
        return (
            "INSERT INTO request_days (day, status, service_id, total) "
            f"VALUES ({day.format(row=row)}, {row}.status, coalesce({row}.service_id, ''), 1) "
            "ON CONFLICT (day, status, service_id) "
            "DO UPDATE SET total = request_days.total + 1;"
        )
    return (
        "UPDATE request_days SET total = total - 1 "
        f"WHERE day = {day.format(row=row)} AND status = {row}.status "
        f"AND service_id = coalesce({row}.service_id, '');"
    )


def _review_change(day: str, row: str, sign: str) -> str:
    if sign == "+":
        return (
            "INSERT INTO review_days (day, total, rating_sum) "
            f"VALUES ({day.format(row=row)}, 1, {row}.rating) "
            "ON CONFLICT (day) DO UPDATE SET total = review_days.total + 1, "
            "rating_sum = review_days.rating_sum + excluded.rating_sum;"
        )
    return (
        f"UPDATE review_days SET total = total - 1, rating_sum = rating_sum - {row}.rating "
        f"WHERE day = {day.format(row=row)};"
    )


# What an update must change to move a row to another aggregate.
_REQUEST_KEYS = ("status", "service_id", "created_at")
_REVIEW_KEYS = ("rating", "created_at")


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, change, keys in (
        ("requests", _request_change, _REQUEST_KEYS),
        ("reviews", _review_change, _REVIEW_KEYS),
    ):
        moved = " OR ".join(f"OLD.{key} IS NOT NEW.{key}" for key in keys)
        statements += [
            f"CREATE TRIGGER {table}_days_insert AFTER INSERT ON {table} "
            f"BEGIN {change(_SQLITE_DAY, 'NEW', '+')} END",
            f"CREATE TRIGGER {table}_days_delete AFTER DELETE ON {table} "
            f"BEGIN {change(_SQLITE_DAY, 'OLD', '-')} END",
            f"CREATE TRIGGER {table}_days_update AFTER UPDATE OF {', '.join(keys)} ON {table} "
            f"WHEN {moved} "
            f"BEGIN {change(_SQLITE_DAY, 'OLD', '-')} {change(_SQLITE_DAY, 'NEW', '+')} END",
        ]
    return statements


def _postgres_triggers() -> list[str]:
    statements = []
    for table, change, keys in (
        ("requests", _request_change, _REQUEST_KEYS),
        ("reviews", _review_change, _REVIEW_KEYS),
    ):
        moved = " OR ".join(f"OLD.{key} IS DISTINCT FROM NEW.{key}" for key in keys)
        statements += [
            f"""
CREATE FUNCTION {table}_days_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {change(_POSTGRES_DAY, "OLD", "-")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {change(_POSTGRES_DAY, "NEW", "+")}
    END IF;
    RETURN NULL;
END
$$""",
            f"CREATE TRIGGER {table}_days_insert_delete AFTER INSERT OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_days_apply()",
            f"CREATE TRIGGER {table}_days_update AFTER UPDATE OF {', '.join(keys)} ON {table} "
            f"FOR EACH ROW WHEN ({moved}) EXECUTE FUNCTION {table}_days_apply()",
        ]
    return statements


def upgrade() -> None:
    op.create_table(
        "request_days",
        sa.Column("day", sa.Text(), primary_key=True),
        sa.Column("status", sa.Text(), primary_key=True),
        sa.Column("service_id", sa.Text(), primary_key=True),
        sa.Column("total", sa.Integer(), nullable=False),
    )
    op.create_table(
        "review_days",
        sa.Column("day", sa.Text(), primary_key=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    day = (_POSTGRES_DAY if postgres else _SQLITE_DAY).format(row="requests")
    op.execute(
        "INSERT INTO request_days (day, status, service_id, total) "
        f"SELECT {day}, status, coalesce(service_id, ''), count(*) FROM requests "
        f"GROUP BY {day}, status, coalesce(service_id, '')"
    )
    day = (_POSTGRES_DAY if postgres else _SQLITE_DAY).format(row="reviews")
    op.execute(
        "INSERT INTO review_days (day, total, rating_sum) "
        f"SELECT {day}, count(*), sum(rating) FROM reviews GROUP BY {day}"
    )
    for statement in _postgres_triggers() if postgres else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("clinic-bot migrates forward only; restore a backup instead")

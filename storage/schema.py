"""Every table of clinic-bot, defined once for SQLite and PostgreSQL.

Names of tables, columns and indexes are those of the databases written before SQLAlchemy
(SQLite schema version 5 and PostgreSQL's `schema_version` 2), so that they carry over
(`storage/legacy.py`). The migrations in `storage/migrations/versions` create this
schema; a change here needs a new migration there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Dialect,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.types import TypeDecorator, TypeEngine

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC time: TIMESTAMPTZ on PostgreSQL; on SQLite the TEXT the bot always wrote,
    `2026-11-25T12:00:00.000000+00:00`, which sorts in time order (the created_at indexes)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        moment = value.astimezone(UTC)  # a naive time is taken as local, like astimezone
        if dialect.name == "postgresql":
            return moment
        return moment.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        # What the bot wrote is UTC already (and parsed as such): no new object per row.
        return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


TelegramId = BigInteger().with_variant(Integer(), "sqlite")
"""Telegram ids need 64 bits; on SQLite every INTEGER has them (and a primary key must be
spelt INTEGER to be the rowid)."""


def _id() -> Column[int]:
    """An id the database assigns: IDENTITY on PostgreSQL, AUTOINCREMENT on SQLite."""
    return Column("id", TelegramId, Identity(always=True), primary_key=True)


users = Table(
    "users",
    metadata,
    Column("id", TelegramId, primary_key=True, autoincrement=False),
    Column("locale", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Where the patient came from: the `?start=` of the deep links they opened (revision 0005).
    Column("first_source", Text),
    Column("latest_source", Text),
    Column("latest_source_at", UtcDateTime),
)

requests = Table(
    "requests",
    metadata,
    _id(),
    Column("user_id", TelegramId, nullable=False),
    Column("locale", Text, nullable=False),
    Column("service_id", Text),
    Column("name", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("preferred_time", Text, nullable=False),
    Column("complaint", Text),
    Column("consent_version", Text, nullable=False),
    Column("consented_at", UtcDateTime, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'new'")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("erased_at", UtcDateTime),
    # The booking form the request came from: a second Confirm of that form finds its
    # request instead of making another. NULL for requests written before revision 0002.
    Column("form_token", Text),
    # The patient's latest source when the request was sent (revision 0005).
    Column("source", Text),
    Index("requests_user", "user_id"),
    Index("requests_status", "status", "id"),
    Index("requests_created", "created_at"),
    Index("requests_form_token", "form_token", unique=True),
    sqlite_autoincrement=True,
)

reviews = Table(
    "reviews",
    metadata,
    _id(),
    Column("user_id", TelegramId),
    Column("author", Text),
    Column("rating", Integer, nullable=False),
    Column("text", Text),
    Column("locale", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("moderated_by", Text),
    Column("moderated_at", UtcDateTime),
    Column("erased_at", UtcDateTime),
    CheckConstraint("rating BETWEEN 1 AND 5"),
    Index("reviews_status", "status", "id"),
    Index("reviews_user", "user_id"),
    Index("reviews_created", "created_at"),
    sqlite_autoincrement=True,
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("kind", Text, nullable=False),
    Column("ref_id", TelegramId, nullable=False),
    Column("chat_id", TelegramId, nullable=False),
    Column("thread_id", TelegramId),
    Column("text", Text, nullable=False),
    Column("reply_markup", Text),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text),
    Column("message_id", TelegramId),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("patient_id", TelegramId),
    Column("thread_under_patient", Boolean, nullable=False, server_default=text("FALSE")),
    Column("copy_chat_id", TelegramId),
    Column("copy_message_id", TelegramId),
    # The instance delivering the row and until when; NULL while nobody holds it.
    Column("lease_owner", Text),
    Column("lease_until", UtcDateTime),
    # Posted as a reply to this message of the chat (an escalation under its card; rev. 0004).
    Column("reply_to_message_id", TelegramId),
    # Only the pending rows: the sent ones, nearly all of the table, stay out of it.
    Index(
        "outbox_pending",
        "id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index("outbox_ref", "kind", "ref_id"),
    Index("outbox_patient", "patient_id"),
    sqlite_autoincrement=True,
)

fsm = Table(
    "fsm",
    metadata,
    Column("key", Text, primary_key=True),
    Column("state", Text),
    Column("data", Text, nullable=False, server_default=text("'{}'")),
    Column("updated_at", UtcDateTime, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

request_events = Table(
    "request_events",
    metadata,
    _id(),
    Column("request_id", TelegramId, ForeignKey("requests.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("staff_id", TelegramId, nullable=False),
    Column("staff_name", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("request_events_request", "request_id", "id"),
    sqlite_autoincrement=True,
)

manager_messages = Table(
    "manager_messages",
    metadata,
    Column("chat_id", TelegramId, primary_key=True),
    Column("message_id", TelegramId, primary_key=True),
    Column("patient_id", TelegramId, nullable=False),
    Column("kind", Text, nullable=False),
    Column("ref_id", TelegramId, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("manager_messages_patient", "patient_id", "chat_id", "message_id"),
    Index("manager_messages_ref", "kind", "ref_id"),
)

patients = Table(
    "patients",
    metadata,
    Column("user_id", TelegramId, primary_key=True, autoincrement=False),
    Column("display_name", Text, nullable=False, server_default=text("''")),
    Column("topic_id", TelegramId),
    Column("banned_by", TelegramId),
    Column("banned_at", UtcDateTime),
)

audit = Table(
    "audit",
    metadata,
    _id(),
    Column("staff_id", TelegramId, nullable=False),
    Column("staff_name", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

consents = Table(
    "consents",
    metadata,
    Column("user_id", TelegramId, primary_key=True),
    Column("version", Text, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)

send_log = Table(
    "send_log",
    metadata,
    # BIGSERIAL on PostgreSQL, as the release before SQLAlchemy created it.
    Column("id", TelegramId, primary_key=True, autoincrement=True),
    Column("chat_id", TelegramId, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("send_log_chat", "chat_id", "at"),
    sqlite_autoincrement=True,
)


# --- visit loop (revision 0003) --------------------------------------------------------------

# A request booked by a manager has one appointment: when and where, what the patient answered
# (`state`: pending, confirmed, move, cancelled), and after it whether they came and how it was.
# `revision` grows with each change by a manager; the calendar file's SEQUENCE follows it.
appointments = Table(
    "appointments",
    metadata,
    _id(),
    Column("request_id", TelegramId, ForeignKey("requests.id"), nullable=False),
    Column("patient_id", TelegramId, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("branch_id", Text),
    Column("doctor", Text),
    Column("state", Text, nullable=False, server_default=text("'pending'")),
    Column("move_wish", Text),
    Column("visit_status", Text),
    Column("score", Integer),
    Column("feedback", Text),
    Column("revision", Integer, nullable=False, server_default=text("0")),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("appointments_request", "request_id", unique=True),
    Index("appointments_starts", "starts_at"),
    Index("appointments_patient", "patient_id"),
    sqlite_autoincrement=True,
)

# Reminders and the follow-up of an appointment, kept here until due: then moved into the
# outbox in the transaction that marks them queued (each sent once). `status`: scheduled,
# queued, cancelled (the visit changed), dropped (no longer made sense when due).
visit_messages = Table(
    "visit_messages",
    metadata,
    _id(),
    Column("appointment_id", TelegramId, ForeignKey("appointments.id"), nullable=False),
    Column("patient_id", TelegramId, nullable=False),
    Column("kind", Text, nullable=False),
    Column("offset_minutes", Integer, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'scheduled'")),
    Column("revision", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(
        "visit_messages_due",
        "due_at",
        postgresql_where=text("status = 'scheduled'"),
        sqlite_where=text("status = 'scheduled'"),
    ),
    Index("visit_messages_appointment", "appointment_id"),
    Index("visit_messages_patient", "patient_id"),
    sqlite_autoincrement=True,
)


# --- clinic operations: escalation, out of hours, templates (revision 0004) -------------------

# A new request nobody took in time is raised again in the manager chat, twice at most:
# `reminders` says how many were queued (each queued once: compare-and-set on it).
request_escalations = Table(
    "request_escalations",
    metadata,
    Column("request_id", TelegramId, ForeignKey("requests.id"), primary_key=True),
    Column("reminders", Integer, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
)

# Short answers managers send from a request card (📋), with {name}, {service},
# {clinic_phone} filled in for the patient. Plain text: escaped when sent.
reply_templates = Table(
    "reply_templates",
    metadata,
    _id(),
    Column("name", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_by", TelegramId, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("reply_templates_name", "name", unique=True),
    sqlite_autoincrement=True,
)

# --- clinic overrides and patients' sources (revision 0005) ----------------------------------

# What staff changed over the files in content/ without a deploy: one row per changed value,
# keyed like `price:consult`, `name:en:consult`, `phone:main`, `hours:main:mon`,
# `announcement`. Deleting a row returns to the file's value.
content_overrides = Table(
    "content_overrides",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", TelegramId, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# --- reporting: daily aggregates, digests (revision 0006) -------------------------------------

# /stats reads these instead of counting every request of its window. Database triggers
# (revision 0006) keep them in the transaction of every insert, status change or deletion
# of a request or review, whichever code writes it: they cannot drift from the rows.
# `day` is the UTC day of `created_at`, 'YYYY-MM-DD'; a service-less request counts under ''.
request_days = Table(
    "request_days",
    metadata,
    Column("day", Text, primary_key=True),
    Column("status", Text, primary_key=True),
    Column("service_id", Text, primary_key=True),
    Column("total", Integer, nullable=False),
)

review_days = Table(
    "review_days",
    metadata,
    Column("day", Text, primary_key=True),
    Column("total", Integer, nullable=False),
    Column("rating_sum", Integer, nullable=False),
)

"""All SQL of clinic-bot lives in this package (SQLAlchemy Core, Alembic migrations).

`open_storage(url)` returns a `Storage`: the `Database` and one repository per area
(`storage.repositories`), for SQLite (default) and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from bot.clock import Clock, utc_now
from storage.database import HEAD_REVISION, Database, DatabaseTooNewError
from storage.dialects import sqlite_is_busy
from storage.legacy import LegacyDatabaseError
from storage.repositories import (
    AppointmentRepository,
    AuditRepository,
    ConversationRepository,
    EscalationRepository,
    FormRepository,
    OutboxRepository,
    OverrideRepository,
    PatientRepository,
    RequestRepository,
    ReviewRepository,
    SourceRepository,
    TemplateRepository,
)
from storage.types import CardRenderer

__all__ = [
    "AppointmentRepository",
    "AuditRepository",
    "CardRenderer",
    "ConversationRepository",
    "Database",
    "DatabaseTooNewError",
    "FormRepository",
    "LegacyDatabaseError",
    "OutboxRepository",
    "OverrideRepository",
    "PatientRepository",
    "RequestRepository",
    "ReviewRepository",
    "SourceRepository",
    "Storage",
    "make_storage",
    "open_storage",
    "upgrade_database",
]


@dataclass(frozen=True, slots=True)
class Storage:
    """The database and its repositories, one per area of the bot."""

    database: Database
    patients: PatientRepository
    requests: RequestRepository
    reviews: ReviewRepository
    outbox: OutboxRepository
    conversations: ConversationRepository
    audit: AuditRepository
    forms: FormRepository
    appointments: AppointmentRepository
    overrides: OverrideRepository
    sources: SourceRepository
    escalations: EscalationRepository
    templates: TemplateRepository

    def workflow_data(self) -> dict[str, object]:
        """The repositories by the names handlers take them as (aiogram injects by name)."""
        return {
            "patient_repo": self.patients,
            "request_repo": self.requests,
            "review_repo": self.reviews,
            "outbox_repo": self.outbox,
            "conversation_repo": self.conversations,
            "audit_repo": self.audit,
            "appointment_repo": self.appointments,
            "override_repo": self.overrides,
            "source_repo": self.sources,
            "escalation_repo": self.escalations,
            "template_repo": self.templates,
        }

    async def close(self) -> None:
        """Give back this instance's outbox claims, then close every connection."""
        try:
            await self.outbox.release_claims()
        finally:
            await self.database.close()


def make_storage(database: Database, *, clock: Clock = utc_now) -> Storage:
    """The repositories over an open, migrated `database`."""
    return Storage(
        database=database,
        patients=PatientRepository(database, clock=clock),
        requests=RequestRepository(database, clock=clock),
        reviews=ReviewRepository(database, clock=clock),
        outbox=OutboxRepository(database, clock=clock),
        conversations=ConversationRepository(database),
        audit=AuditRepository(database, clock=clock),
        forms=FormRepository(database, clock=clock),
        appointments=AppointmentRepository(database, clock=clock),
        overrides=OverrideRepository(database, clock=clock),
        sources=SourceRepository(database, clock=clock),
        escalations=EscalationRepository(database, clock=clock),
        templates=TemplateRepository(database, clock=clock),
    )


STARTUP_LOCK_ATTEMPTS = 12
STARTUP_LOCK_RETRY_SECONDS = 0.5
"""A start or `db upgrade` that finds the SQLite file locked (each attempt waits SQLite's
5 s busy timeout first) tries again this many times: about a minute in all."""


async def open_storage(database_url: str, *, clock: Clock = utc_now) -> Storage:
    """Connect to `DATABASE_URL`, migrate it to this release's schema, and return the storage.

    Raises ValueError for an unsupported URL, `DatabaseTooNewError` for a database of a newer
    release, `LegacyDatabaseError` for one of an old release it cannot carry over.
    """
    database = Database.connect(database_url)
    try:
        await _at_head(database)
    except BaseException:
        await database.close()
        raise
    return make_storage(database, clock=clock)


async def upgrade_database(database_url: str) -> str:
    """`clinic-bot db upgrade`: migrate the database of `database_url`; its revision after."""
    database = Database.connect(database_url)
    try:
        return await _at_head(database)
    finally:
        await database.close()


async def _at_head(database: Database) -> str:
    """Migrate `database` to this release's head revision unless it is there; the revision.

    Instances starting together on one SQLite file: one migrates, holding the file for as
    long as that takes on a busy machine; the others wait for it rather than fail after
    SQLite's 5 s.
    """
    for attempt in itertools.count(1):
        try:
            revision = await database.schema_revision()
            if revision == HEAD_REVISION:
                return revision
            from storage.migrate import migrate  # Alembic only when there is work for it

            return await migrate(database)
        except OperationalError as error:
            if not sqlite_is_busy(error) or attempt == STARTUP_LOCK_ATTEMPTS:
                raise
            await asyncio.sleep(STARTUP_LOCK_RETRY_SECONDS)
    raise AssertionError("unreachable")  # itertools.count never ends

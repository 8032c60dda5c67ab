"""Rows to records, written once per record type, and what several repositories write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, ScalarSelect, Table, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import upsert_updating
from storage.models import (
    ConsultationRequest,
    ManagerMessage,
    OutboxMessage,
    PatientProfile,
    PendingMessage,
    RequestEvent,
    RequestStatus,
    Review,
    ReviewStatus,
)
from storage.schema import outbox, patients, users

PROFILE_COLUMNS: tuple[ScalarSelect[Any], ScalarSelect[Any]] = (
    select(users.c.locale).where(users.c.id == bindparam("user_id")).scalar_subquery(),
    select(patients.c.banned_at)
    .where(patients.c.user_id == bindparam("user_id"))
    .scalar_subquery(),
)
"""A user's language and ban, as columns of a select: read alone or with the user's form."""


def profile_of(locale: str | None, banned_at: datetime | None) -> PatientProfile:
    return PatientProfile(
        locale=str(locale) if locale is not None else None, banned=banned_at is not None
    )


def request_of(row: Row[Any]) -> ConsultationRequest:
    return ConsultationRequest(
        id=row.id,
        user_id=row.user_id,
        locale=row.locale,
        service_id=row.service_id,
        name=row.name,
        phone=row.phone,
        preferred_time=row.preferred_time,
        complaint=row.complaint,
        consent_version=row.consent_version,
        consented_at=row.consented_at,
        status=RequestStatus(row.status),
        created_at=row.created_at,
        source=row.source,
    )


def review_of(row: Row[Any]) -> Review:
    return Review(
        id=row.id,
        user_id=row.user_id,
        author=row.author,
        rating=row.rating,
        text=row.text,
        status=ReviewStatus(row.status),
        created_at=row.created_at,
        locale=row.locale,
    )


def event_of(row: Row[Any]) -> RequestEvent:
    return RequestEvent(
        request_id=row.request_id,
        status=RequestStatus(row.status),
        staff_id=row.staff_id,
        staff_name=row.staff_name,
        at=row.at,
    )


def manager_message_of(row: Row[Any]) -> ManagerMessage:
    return ManagerMessage(
        chat_id=row.chat_id,
        message_id=row.message_id,
        patient_id=row.patient_id,
        kind=row.kind,
        ref_id=row.ref_id,
        text=row.text,
    )


def pending_of(row: Row[Any]) -> PendingMessage:
    return PendingMessage(
        id=row.id,
        message=OutboxMessage(
            kind=row.kind,
            ref_id=row.ref_id,
            chat_id=row.chat_id,
            thread_id=row.thread_id,
            text=row.text,
            reply_markup=row.reply_markup,
            patient_id=row.patient_id,
            thread_under_patient=bool(row.thread_under_patient),
            copy_chat_id=row.copy_chat_id,
            copy_message_id=row.copy_message_id,
            reply_to_message_id=row.reply_to_message_id,
        ),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
    )


_INSERT_OUTBOX = outbox.insert()
"""Built once, its values given at execution: building a statement per call cost more
than running it (~0.1 ms of SQLAlchemy's Python each)."""


def insert_outbox_row(connection: Connection, message: OutboxMessage, now: datetime) -> None:
    """A message to the manager chat, in the caller's transaction (an async one calls it
    through `run_sync`); the patient's display name is remembered for forum topics."""
    if message.patient_id is not None:
        connection.execute(
            upsert_updating(connection.dialect.name, patients, ("user_id",), ("display_name",)),
            {"user_id": message.patient_id, "display_name": message.patient_name},
        )
    connection.execute(
        _INSERT_OUTBOX,
        {
            "kind": message.kind,
            "ref_id": message.ref_id,
            "chat_id": message.chat_id,
            "thread_id": message.thread_id,
            "text": message.text,
            "reply_markup": message.reply_markup,
            "patient_id": message.patient_id,
            "thread_under_patient": message.thread_under_patient,
            "copy_chat_id": message.copy_chat_id,
            "copy_message_id": message.copy_message_id,
            "reply_to_message_id": message.reply_to_message_id,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


async def page_of(
    connection: AsyncConnection,
    table: Table,
    status: str | None,
    before_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[Row[Any]]:
    """Keyset pagination, newest first: fast at any depth, unlike OFFSET."""
    query = select(table)
    if status is not None:
        query = query.where(table.c.status == status)
    if before_id is not None:
        query = query.where(table.c.id < before_id).order_by(table.c.id.desc())
    elif after_id is not None:
        query = query.where(table.c.id > after_id).order_by(table.c.id)
    else:
        query = query.order_by(table.c.id.desc())
    rows = list((await connection.execute(query.limit(limit))).all())
    return rows[::-1] if before_id is None and after_id is not None else rows


async def newer_or_older(
    connection: AsyncConnection, table: Table, status: str | None, ids: tuple[int, int]
) -> tuple[bool, bool]:
    """Whether rows exist above the newest and below the oldest id shown."""
    newest, oldest = ids
    matching = [table.c.status == status] if status is not None else []
    row = (
        await connection.execute(
            select(
                exists().where(table.c.id > newest, *matching),
                exists().where(table.c.id < oldest, *matching),
            )
        )
    ).one()
    return bool(row[0]), bool(row[1])

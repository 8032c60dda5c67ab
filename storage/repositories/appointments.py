"""Appointments of booked requests and their scheduled messages (reminders, follow-up).

A scheduled message waits in `visit_messages` until it is due; the job then moves it into the
outbox in one transaction that also marks it queued, so each is sent once, by one instance,
however many run: the compare-and-set on `status` lets only one of them queue it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.models import (
    Appointment,
    AppointmentState,
    DayAppointment,
    DueVisitMessage,
    OutboxMessage,
    RequestStatus,
    ScheduledVisitMessage,
    VisitMessageStatus,
    VisitStats,
    VisitStatus,
)
from storage.repositories._records import insert_outbox_row
from storage.schema import appointments, requests, users, visit_messages

REMINDER = "reminder"
FOLLOW_UP = "follow_up"


def appointment_of(row: Row[Any]) -> Appointment:
    return Appointment(
        id=row.id,
        request_id=row.request_id,
        patient_id=row.patient_id,
        starts_at=row.starts_at,
        branch_id=row.branch_id,
        doctor=row.doctor,
        state=AppointmentState(row.state),
        move_wish=row.move_wish,
        visit_status=VisitStatus(row.visit_status) if row.visit_status else None,
        score=row.score,
        feedback=row.feedback,
        revision=row.revision,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


_FOR_REQUEST = select(appointments).where(appointments.c.request_id == bindparam("request_id"))
"""Built once: a request card shows its appointment at every status press."""


class AppointmentRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    # --- managers ---------------------------------------------------------------------------

    async def set_appointment(
        self,
        *,
        request_id: int,
        patient_id: int,
        starts_at: datetime,
        branch_id: str | None,
        doctor: str | None,
        changed_by: str,
        plan: Callable[[datetime], Sequence[ScheduledVisitMessage]],
    ) -> Appointment:
        """Set (or change) the appointment of a request and schedule its messages anew.

        The messages still scheduled for the previous time are cancelled in the same
        transaction. Of two managers changing it at once the later transaction wins, whole.
        `plan` is given the visit's time and returns what to schedule.
        """
        now = self._clock()
        async with self._database.transaction() as connection:
            changed = await connection.execute(
                update(appointments)
                .where(appointments.c.request_id == request_id)
                .values(
                    starts_at=starts_at,
                    branch_id=branch_id,
                    doctor=doctor,
                    state=AppointmentState.PENDING.value,
                    move_wish=None,
                    visit_status=None,
                    score=None,
                    feedback=None,
                    revision=appointments.c.revision + 1,
                    changed_by=changed_by,
                    changed_at=now,
                )
            )
            if changed.rowcount == 0:
                await connection.execute(
                    appointments.insert().values(
                        request_id=request_id,
                        patient_id=patient_id,
                        starts_at=starts_at,
                        branch_id=branch_id,
                        doctor=doctor,
                        state=AppointmentState.PENDING.value,
                        revision=0,
                        changed_by=changed_by,
                        changed_at=now,
                        created_at=now,
                    )
                )
            appointment = await _appointment_where(
                connection, appointments.c.request_id == request_id
            )
            assert appointment is not None
            await _cancel_scheduled(connection, appointment.id)
            for message in plan(starts_at):
                await connection.execute(
                    visit_messages.insert().values(
                        appointment_id=appointment.id,
                        patient_id=appointment.patient_id,
                        kind=message.kind,
                        offset_minutes=message.offset_minutes,
                        due_at=message.due_at,
                        status=VisitMessageStatus.SCHEDULED.value,
                        revision=appointment.revision,
                        created_at=now,
                    )
                )
        return appointment

    async def get(self, appointment_id: int) -> Appointment | None:
        row = await self._database.lookup_one(
            select(appointments).where(appointments.c.id == appointment_id)
        )
        return appointment_of(row) if row is not None else None

    async def for_request(self, request_id: int) -> Appointment | None:
        row = await self._database.lookup_one(_FOR_REQUEST, {"request_id": request_id})
        return appointment_of(row) if row is not None else None

    async def between(self, start: datetime, end: datetime) -> list[DayAppointment]:
        """Appointments from `start` (inclusive) to `end`, earliest first: /today, /tomorrow."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(appointments, requests.c.name, requests.c.phone, requests.c.status)
                .join(requests, requests.c.id == appointments.c.request_id)
                .where(appointments.c.starts_at >= start, appointments.c.starts_at < end)
                .order_by(appointments.c.starts_at, appointments.c.id)
            )
            return [
                DayAppointment(
                    appointment=appointment_of(row),
                    name=row.name,
                    phone=row.phone,
                    request_status=RequestStatus(row.status),
                )
                for row in rows
            ]

    async def visit_stats(self, since: datetime, until: datetime) -> VisitStats:
        """Visits due from `since` to `until` (not cancelled): how many came, how many not."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(appointments.c.visit_status, func.count())
                .join(requests, requests.c.id == appointments.c.request_id)
                .where(
                    appointments.c.starts_at >= since,
                    appointments.c.starts_at < until,
                    appointments.c.state != AppointmentState.CANCELLED.value,
                    requests.c.status == RequestStatus.BOOKED.value,
                )
                .group_by(appointments.c.visit_status)
            )
            counts = {status: int(count) for status, count in rows}
        return VisitStats(
            booked=sum(counts.values()),
            came=counts.get(VisitStatus.CAME.value, 0),
            missed=counts.get(VisitStatus.MISSED.value, 0),
        )

    async def of_patient(self, patient_id: int) -> list[Appointment]:
        """A patient's appointments, oldest first (/mydata)."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(appointments)
                .where(appointments.c.patient_id == patient_id)
                .order_by(appointments.c.id)
            )
            return [appointment_of(row) for row in rows]

    # --- the patient's answers --------------------------------------------------------------

    async def answer(
        self,
        appointment_id: int,
        patient_id: int,
        state: AppointmentState,
        *,
        move_wish: str | None = None,
        cancel_kinds: Sequence[str] = (),
    ) -> Appointment | None:
        """The patient confirms, asks to move or cancels; scheduled messages of `cancel_kinds`
        are cancelled with it. None when it is not this patient's appointment."""
        async with self._database.transaction() as connection:
            values: dict[str, Any] = {"state": state.value}
            if state is AppointmentState.MOVE:
                values["move_wish"] = move_wish
            changed = await connection.execute(
                update(appointments)
                .where(
                    appointments.c.id == appointment_id,
                    appointments.c.patient_id == patient_id,
                )
                .values(**values)
            )
            if changed.rowcount == 0:
                return None
            if cancel_kinds:
                await _cancel_scheduled(connection, appointment_id, cancel_kinds)
            return await _appointment_where(connection, appointments.c.id == appointment_id)

    async def record_visit(
        self,
        appointment_id: int,
        patient_id: int,
        visit_status: VisitStatus,
        score: int | None,
    ) -> Appointment | None:
        """ "Did you come?": came (with the stars) or did not; a later answer replaces it."""
        async with self._database.transaction() as connection:
            changed = await connection.execute(
                update(appointments)
                .where(
                    appointments.c.id == appointment_id,
                    appointments.c.patient_id == patient_id,
                )
                .values(visit_status=visit_status.value, score=score)
            )
            if changed.rowcount == 0:
                return None
            return await _appointment_where(connection, appointments.c.id == appointment_id)

    async def record_feedback(
        self, appointment_id: int, patient_id: int, feedback: str
    ) -> Appointment | None:
        async with self._database.transaction() as connection:
            changed = await connection.execute(
                update(appointments)
                .where(
                    appointments.c.id == appointment_id,
                    appointments.c.patient_id == patient_id,
                )
                .values(feedback=feedback)
            )
            if changed.rowcount == 0:
                return None
            return await _appointment_where(connection, appointments.c.id == appointment_id)

    # --- scheduled messages -----------------------------------------------------------------

    async def scheduled(self, appointment_id: int) -> list[ScheduledVisitMessage]:
        """The messages still waiting for their time, earliest first."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(visit_messages)
                .where(
                    visit_messages.c.appointment_id == appointment_id,
                    visit_messages.c.status == VisitMessageStatus.SCHEDULED.value,
                )
                .order_by(visit_messages.c.due_at, visit_messages.c.id)
            )
            return [
                ScheduledVisitMessage(
                    kind=row.kind, due_at=row.due_at, offset_minutes=row.offset_minutes
                )
                for row in rows
            ]

    async def due_messages(self, now: datetime, limit: int = 100) -> list[DueVisitMessage]:
        """Scheduled messages due at `now`, earliest first, with their appointment."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(
                    visit_messages.c.id.label("message_id"),
                    visit_messages.c.kind,
                    visit_messages.c.offset_minutes,
                    visit_messages.c.due_at,
                    appointments,
                    requests.c.status.label("request_status"),
                    requests.c.erased_at,
                    func.coalesce(users.c.locale, requests.c.locale).label("locale"),
                )
                .join(appointments, appointments.c.id == visit_messages.c.appointment_id)
                .join(requests, requests.c.id == appointments.c.request_id)
                .outerjoin(users, users.c.id == appointments.c.patient_id)
                .where(
                    visit_messages.c.status == VisitMessageStatus.SCHEDULED.value,
                    visit_messages.c.due_at <= now,
                )
                .order_by(visit_messages.c.due_at, visit_messages.c.id)
                .limit(limit)
            )
            return [
                DueVisitMessage(
                    id=row.message_id,
                    kind=row.kind,
                    offset_minutes=row.offset_minutes,
                    due_at=row.due_at,
                    appointment=appointment_of(row),
                    request_status=RequestStatus(row.request_status),
                    request_erased=row.erased_at is not None,
                    locale=row.locale,
                )
                for row in rows
            ]

    async def queue(self, message_id: int, outbox_message: OutboxMessage) -> bool:
        """Move a due message into the outbox; False when another pass (or instance) did, or
        it was cancelled meanwhile."""
        async with self._database.transaction() as connection:
            if not await _take(connection, message_id, VisitMessageStatus.QUEUED):
                return False
            await connection.run_sync(insert_outbox_row, outbox_message, self._clock())
        return True

    async def drop(self, message_id: int) -> bool:
        """A due message that no longer makes sense (a reminder after the visit's time)."""
        async with self._database.transaction() as connection:
            return await _take(connection, message_id, VisitMessageStatus.DROPPED)

    async def postpone(self, message_id: int, due_at: datetime) -> None:
        """A late message that would now fall in quiet hours waits for their end."""
        async with self._database.transaction() as connection:
            await connection.execute(
                update(visit_messages)
                .where(
                    visit_messages.c.id == message_id,
                    visit_messages.c.status == VisitMessageStatus.SCHEDULED.value,
                )
                .values(due_at=due_at)
            )

    async def cancel_patient_messages(self, patient_id: int) -> int:
        """Nothing more for a patient who blocked the bot; how many were cancelled."""
        async with self._database.transaction() as connection:
            cancelled = await connection.execute(
                update(visit_messages)
                .where(
                    visit_messages.c.patient_id == patient_id,
                    visit_messages.c.status == VisitMessageStatus.SCHEDULED.value,
                )
                .values(status=VisitMessageStatus.CANCELLED.value)
            )
        return int(cancelled.rowcount)


async def _appointment_where(connection: AsyncConnection, condition: Any) -> Appointment | None:
    row = (await connection.execute(select(appointments).where(condition))).first()
    return appointment_of(row) if row is not None else None


async def _cancel_scheduled(
    connection: AsyncConnection, appointment_id: int, kinds: Sequence[str] = ()
) -> None:
    condition = and_(
        visit_messages.c.appointment_id == appointment_id,
        visit_messages.c.status == VisitMessageStatus.SCHEDULED.value,
    )
    if kinds:
        condition = and_(condition, visit_messages.c.kind.in_(list(kinds)))
    await connection.execute(
        update(visit_messages).where(condition).values(status=VisitMessageStatus.CANCELLED.value)
    )


async def _take(connection: AsyncConnection, message_id: int, status: VisitMessageStatus) -> bool:
    """Compare-and-set from scheduled: the UPDATE locks the row, so of two passes one wins."""
    taken = await connection.execute(
        update(visit_messages)
        .where(
            visit_messages.c.id == message_id,
            visit_messages.c.status == VisitMessageStatus.SCHEDULED.value,
        )
        .values(status=status.value)
    )
    return taken.rowcount > 0

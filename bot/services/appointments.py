"""Appointments: a manager sets or changes one after ✅ Booked; the patient answers it.

Setting an appointment schedules its reminders and follow-up (`reminder_plan`) and cancels
those of the previous time, in one transaction. The patient's answers (I'll come, move,
cancel) are recorded here; what the managers and the patient are told is the handlers' part.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.clinic_time import QuietHours
from bot.services.common import StaffMember
from bot.services.reminder_plan import plan_messages
from bot.settings import Settings
from storage.models import (
    Appointment,
    AppointmentState,
    ConsultationRequest,
    RequestStatus,
    ScheduledVisitMessage,
)
from storage.repositories import AppointmentRepository, AuditRepository, RequestRepository
from storage.repositories.appointments import FOLLOW_UP, REMINDER

logger = logging.getLogger(__name__)

VISIT_LENGTH = timedelta(hours=1)
"""How long a visit is in the patient's calendar."""


@dataclass(frozen=True)
class VisitRules:
    """When the messages around a visit go out (REMINDERS, QUIET_HOURS, FOLLOW_UP_AFTER)."""

    reminders: tuple[timedelta, ...]
    follow_up_after: timedelta
    quiet: QuietHours | None
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> VisitRules:
        return cls(
            reminders=settings.reminders,
            follow_up_after=settings.follow_up_after,
            quiet=settings.quiet_hours,
            zone=settings.clinic_zone,
        )

    def planner(self, now: datetime) -> Callable[[datetime], list[ScheduledVisitMessage]]:
        """What to schedule for a visit at a given time, planned at `now`."""

        def plan(visit_at: datetime) -> list[ScheduledVisitMessage]:
            return [
                ScheduledVisitMessage(
                    kind=message.kind.value,
                    due_at=message.due_at,
                    offset_minutes=int(message.offset.total_seconds() // 60),
                )
                for message in plan_messages(
                    visit_at=visit_at,
                    now=now,
                    reminders=self.reminders,
                    follow_up_after=self.follow_up_after,
                    quiet=self.quiet,
                    zone=self.zone,
                )
            ]

        return plan


async def set_appointment(
    appointment_repo: AppointmentRepository,
    audit_repo: AuditRepository,
    *,
    request: ConsultationRequest,
    starts_at: datetime,
    branch_id: str | None,
    doctor: str | None,
    staff: StaffMember,
    rules: VisitRules,
    now: datetime,
) -> Appointment:
    """Set or change the appointment of a booked request; its messages are scheduled anew."""
    appointment = await appointment_repo.set_appointment(
        request_id=request.id,
        patient_id=request.user_id,
        starts_at=starts_at,
        branch_id=branch_id,
        doctor=doctor,
        changed_by=staff.name,
        plan=rules.planner(now),
    )
    action = "appointment:set" if appointment.revision == 0 else "appointment:changed"
    await audit_repo.add_audit(staff.id, staff.name, action, f"request {request.id}")
    logger.info("Appointment of request %d set (revision %d)", request.id, appointment.revision)
    return appointment


async def confirm_visit(
    appointment_repo: AppointmentRepository, *, appointment_id: int, patient_id: int
) -> Appointment | None:
    """ "✅ I'll come"."""
    return await appointment_repo.answer(appointment_id, patient_id, AppointmentState.CONFIRMED)


async def ask_to_move(
    appointment_repo: AppointmentRepository,
    *,
    appointment_id: int,
    patient_id: int,
    wish: str,
) -> Appointment | None:
    """ "↪️ Move": the patient's preferred time is kept for the managers; the reminders of a
    time the patient will not keep stop (the follow-up stays: a manager may not move it)."""
    return await appointment_repo.answer(
        appointment_id,
        patient_id,
        AppointmentState.MOVE,
        move_wish=wish,
        cancel_kinds=(REMINDER,),
    )


async def cancel_visit(
    appointment_repo: AppointmentRepository,
    request_repo: RequestRepository,
    *,
    appointment_id: int,
    patient_id: int,
    by_patient: str,
) -> Appointment | None:
    """ "✖️ Cancel", confirmed: nothing more is sent about it, and the request is cancelled
    with `by_patient` (the reason, in the clinic's language) as who did it."""
    appointment = await appointment_repo.answer(
        appointment_id,
        patient_id,
        AppointmentState.CANCELLED,
        cancel_kinds=(REMINDER, FOLLOW_UP),
    )
    if appointment is None:
        return None
    await request_repo.change_request_status(
        appointment.request_id,
        expected=RequestStatus.BOOKED,
        new=RequestStatus.CANCELLED,
        staff_id=patient_id,
        staff_name=by_patient,
    )
    logger.info("Appointment %d cancelled by the patient", appointment.id)
    return appointment

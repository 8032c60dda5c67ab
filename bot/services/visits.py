"""Around the visit: the job that sends due reminders and follow-ups, and the patient's
answer to "Did you come? How was it?".

The job moves each due message into the outbox (sent once, paced, retried), or drops it
when it no longer makes sense: the visit was cancelled or moved away, the request is no
longer booked or was erased, a reminder's visit time has come, a follow-up is days late.
A late message that would now land in quiet hours waits for their end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, utc_now
from bot.services.appointments import VisitRules
from bot.services.common import Wake
from bot.services.reminder_plan import MessageKind, when_to_send
from storage.models import (
    Appointment,
    AppointmentState,
    DueVisitMessage,
    OutboxMessage,
    RequestStatus,
    VisitStatus,
)
from storage.repositories import AppointmentRepository

logger = logging.getLogger(__name__)

BATCH = 100
VISIT_MESSAGES_SECONDS = 30.0
"""How often the job looks for due messages: a reminder goes out at most this late."""
LOW_SCORE = 3
"""A score of 1 to LOW_SCORE alerts the managers; above it invites a public review."""

VisitMessageView = Callable[[DueVisitMessage], OutboxMessage]
"""Renders a due reminder or follow-up as the outbox row to the patient's chat."""


def send_time(due: DueVisitMessage, now: datetime, rules: VisitRules) -> datetime | None:
    """When a due message should go out (`now` or later), or None to drop it."""
    appointment = due.appointment
    if due.request_erased or due.request_status is not RequestStatus.BOOKED:
        return None
    if appointment.state is AppointmentState.CANCELLED:
        return None
    kind = MessageKind(due.kind)
    if kind is MessageKind.REMINDER and appointment.state is AppointmentState.MOVE:
        return None
    if kind is MessageKind.FOLLOW_UP and appointment.visit_status is not None:
        return None
    return when_to_send(
        kind,
        due.due_at,
        appointment.starts_at,
        now,
        quiet=rules.quiet,
        zone=rules.zone,
    )


class VisitMessagesJob:
    """One pass: every due message queued, postponed or dropped (`jobs.add` runs it)."""

    def __init__(
        self,
        appointment_repo: AppointmentRepository,
        *,
        rules: VisitRules,
        render: VisitMessageView,
        wake: Wake,
        clock: Clock = utc_now,
    ) -> None:
        self._appointments = appointment_repo
        self._rules = rules
        self._render = render
        self._wake = wake
        self._clock = clock

    async def run_once(self) -> int:
        """How many messages were queued for sending."""
        now = self._clock()
        queued = dropped = 0
        while True:
            batch = await self._appointments.due_messages(now, BATCH)
            for due in batch:
                moment = send_time(due, now, self._rules)
                if moment is None:
                    dropped += await self._appointments.drop(due.id)
                elif moment > now:
                    await self._appointments.postpone(due.id, moment)
                else:
                    queued += await self._appointments.queue(due.id, self._render(due))
            if len(batch) < BATCH:
                break
        if queued:
            self._wake()
        if queued or dropped:
            logger.info("Visit messages: %d queued, %d dropped", queued, dropped)
        return queued


@dataclass(frozen=True)
class VisitAnswer:
    """What the patient's answer to the follow-up leads to."""

    appointment: Appointment
    alert_managers: bool  # a low score: someone should call them back
    invite_review: bool  # a high score: publish it as a review?


async def record_visit(
    appointment_repo: AppointmentRepository,
    *,
    appointment_id: int,
    patient_id: int,
    score: int | None,
) -> VisitAnswer | None:
    """Stars (1-5) mean the patient came; None means they did not. None: not theirs."""
    if score is not None and not 1 <= score <= 5:
        raise ValueError("a score is 1 to 5 stars")
    status = VisitStatus.CAME if score is not None else VisitStatus.MISSED
    appointment = await appointment_repo.record_visit(appointment_id, patient_id, status, score)
    if appointment is None:
        return None
    return VisitAnswer(
        appointment=appointment,
        alert_managers=score is not None and score <= LOW_SCORE,
        invite_review=score is not None and score > LOW_SCORE,
    )


async def record_feedback(
    appointment_repo: AppointmentRepository,
    *,
    appointment_id: int,
    patient_id: int,
    text: str,
) -> Appointment | None:
    """What went wrong, in the patient's words (after a low score)."""
    return await appointment_repo.record_feedback(appointment_id, patient_id, text)

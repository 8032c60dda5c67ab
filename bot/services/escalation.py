"""No request left waiting: a new request nobody took in time is raised again, twice at most.

A request not taken (🙋) within `TAKE_WITHIN_MINUTES` of working time gets a reminder in the
manager chat, posted as a reply to its card; a second one after twice that time; never more.
Working time stops while the clinic is closed (`out_of_hours.working_time`), and nothing is
posted while it is closed: a request sent at 23:00 is raised at opening + the allowance.

The job queues its reminders in the outbox (each counted and queued in one transaction, so
once across instances); `/stats` reads how long the first take took, per day and manager.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content import ClinicDetails
from bot.i18n import Translator
from bot.services.common import ManagerChat, Wake
from bot.services.out_of_hours import closed_at, working_time
from storage.models import OutboxMessage
from storage.repositories import (
    ConversationRepository,
    EscalationRepository,
    FirstTake,
    PatientRepository,
)

logger = logging.getLogger(__name__)

ESCALATION_SECONDS = 30.0
"""How often the job looks for requests waiting too long."""

MAX_REMINDERS = 2
LOOKBACK = timedelta(days=7)
"""Older untaken requests are not raised any more (e.g. a backlog from before an upgrade)."""

ReminderText = Callable[[int, int], str]
"""Renders a reminder (HTML, the clinic's language): (request number, reminder 1 or 2)."""


def reminders_due(worked: timedelta, take_within: timedelta) -> int:
    """How many reminders a request waiting `worked` of working time should have had."""
    return min(MAX_REMINDERS, int(worked / take_within))


class EscalationJob:
    """One pass: every new request over its allowance gets its next reminder, once."""

    def __init__(
        self,
        escalation_repo: EscalationRepository,
        conversation_repo: ConversationRepository,
        patient_repo: PatientRepository,
        *,
        clinic: Callable[[], ClinicDetails],
        zone: ZoneInfo,
        take_within: timedelta,
        managers: ManagerChat,
        render: ReminderText,
        wake: Wake,
        clock: Clock,
    ) -> None:
        self._escalations = escalation_repo
        self._conversations = conversation_repo
        self._patients = patient_repo
        self._clinic = clinic
        self._zone = zone
        self._take_within = take_within
        self._managers = managers
        self._render = render
        self._wake = wake
        self._clock = clock

    async def run_once(self) -> int:
        """Queue the reminders due now; returns how many were queued."""
        now = self._clock()
        clinic = self._clinic()
        if closed_at(clinic, now, self._zone) is not None:
            return 0  # never at night: the working-time clock has stopped anyway
        queued = 0
        waiting = await self._escalations.waiting_requests(now - LOOKBACK, below=MAX_REMINDERS)
        for request in waiting:
            worked = working_time(clinic, request.created_at, now, self._zone)
            due = reminders_due(worked, self._take_within)
            if due <= request.reminders:
                continue
            # One message even when both are due (the bot was down): the latest one.
            card = await self._conversations.card_message(
                self._managers.chat_id, "request", request.id
            )
            _, patient_name = await self._patients.patient_topic(request.user_id)
            message = OutboxMessage(
                kind="escalation",
                ref_id=request.id,
                chat_id=self._managers.chat_id,
                thread_id=self._managers.thread_id,
                text=self._render(request.id, due),
                patient_id=request.user_id,
                reply_to_message_id=card.message_id if card is not None else None,
                patient_name=patient_name or "",
            )
            if await self._escalations.raise_again(
                request.id, had=request.reminders, reminders=due, message=message
            ):
                queued += 1
                logger.info("Request %d raised again (reminder %d)", request.id, due)
        if queued:
            self._wake()
        return queued


@dataclass(frozen=True, slots=True)
class TakeTimes:
    """Median working time to the first 🙋, per clinic day and per manager, in minutes."""

    per_day: list[tuple[date, float, int]]  # (day, median minutes, requests)
    per_manager: list[tuple[str, float, int]]  # (manager's name, median minutes, requests)


def take_times(takes: Sequence[FirstTake], clinic: ClinicDetails, zone: ZoneInfo) -> TakeTimes:
    """Medians of the working time each request waited for its first take."""
    by_day: dict[date, list[float]] = {}
    by_manager: dict[int, tuple[str, list[float]]] = {}
    for take in takes:
        minutes = working_time(clinic, take.created_at, take.taken_at, zone).total_seconds() / 60
        day = take.created_at.astimezone(zone).date()
        by_day.setdefault(day, []).append(minutes)
        _, values = by_manager.setdefault(take.staff_id, (take.staff_name, []))
        values.append(minutes)
        by_manager[take.staff_id] = (take.staff_name, values)  # their latest name
    return TakeTimes(
        per_day=[(day, median(values), len(values)) for day, values in sorted(by_day.items())],
        per_manager=sorted(
            ((name, median(values), len(values)) for name, values in by_manager.values()),
            key=lambda row: (row[1], row[0]),
        ),
    )


def mention(staff: str, label: str) -> str:
    """An on-duty staff member as the reminder names them: `@username` as it is, a numeric
    id as a link (`label`, already HTML) that notifies them."""
    if staff.startswith("@"):
        return staff
    return f'<a href="tg://user?id={int(staff)}">{label}</a>'


def reminder_text(
    t: Translator, request_id: int, reminder: int, take_within_minutes: int, on_duty: Sequence[str]
) -> str:
    """The reminder posted under a request's card, naming the on-duty staff if any."""
    key = "escalation-reminder" if reminder < MAX_REMINDERS else "escalation-reminder-second"
    text = t(key, number=str(request_id), minutes=take_within_minutes * reminder)
    if on_duty:
        label = t("escalation-on-duty-link")
        text += "\n" + t("escalation-on-duty", staff=", ".join(mention(s, label) for s in on_duty))
    return text

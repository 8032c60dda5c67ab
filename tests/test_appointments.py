"""Appointments and their scheduled messages on SQLite and PostgreSQL, and the services that
decide what a patient gets when: each test says what a patient or a manager would notice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.services.appointments import (
    VisitRules,
    ask_to_move,
    cancel_visit,
    confirm_visit,
    set_appointment,
)
from bot.services.clinic_time import QuietHours
from bot.services.common import StaffMember
from bot.services.visits import VisitMessagesJob, record_feedback, record_visit
from storage import Storage, open_storage
from storage.models import (
    AppointmentState,
    DueVisitMessage,
    NewRequest,
    OutboxMessage,
    RequestStatus,
    VisitStatus,
)

pytest_plugins = ("tests.pg",)

MOSCOW = ZoneInfo("Europe/Moscow")
# Thursday 3 December 2026, 12:00 in Moscow.
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
# Saturday 5 December 2026, 14:30 in Moscow.
VISIT = datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
PATIENT = 501
MANAGER = StaffMember(901, "Мария")
RULES = VisitRules(
    reminders=(timedelta(hours=24), timedelta(hours=2)),
    follow_up_after=timedelta(hours=2),
    quiet=QuietHours.parse("21:00-09:00"),
    zone=MOSCOW,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def storage(database_url: str, clock: ManualClock) -> AsyncIterator[Storage]:
    opened = await open_storage(database_url, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


async def _booked_request(storage: Storage, user_id: int = PATIENT) -> int:
    def card(request_id: int) -> OutboxMessage:
        return OutboxMessage(
            kind="request", ref_id=request_id, chat_id=-100, thread_id=None, text="card"
        )

    request_id = await storage.requests.create_request(
        NewRequest(
            user_id=user_id,
            locale="ru",
            service_id=None,
            name="Анна",
            phone="+79161234567",
            preferred_time="утром",
            complaint=None,
            consent_version="v1",
            consented_at=NOW,
        ),
        card,
    )
    change = await storage.requests.change_request_status(
        request_id, RequestStatus.NEW, RequestStatus.BOOKED, MANAGER.id, MANAGER.name
    )
    assert change is not None and change.applied
    return request_id


async def _appoint(storage: Storage, request_id: int, starts_at: datetime = VISIT) -> int:
    request = await storage.requests.get_request(request_id)
    assert request is not None
    appointment = await set_appointment(
        storage.appointments,
        storage.audit,
        request=request,
        starts_at=starts_at,
        branch_id="main",
        doctor="Иванова И. И.",
        staff=MANAGER,
        rules=RULES,
        now=NOW,
    )
    return appointment.id


def _render(due: DueVisitMessage) -> OutboxMessage:
    return OutboxMessage(
        kind=f"visit-{due.kind}",
        ref_id=due.appointment.id,
        chat_id=due.appointment.patient_id,
        thread_id=None,
        text=f"{due.kind} {due.offset_minutes} {due.locale}",
    )


def _job(storage: Storage, clock: ManualClock, woken: list[int] | None = None) -> VisitMessagesJob:
    return VisitMessagesJob(
        storage.appointments,
        rules=RULES,
        render=_render,
        wake=lambda: (woken if woken is not None else []).append(1),
        clock=clock,
    )


async def _patient_outbox(storage: Storage) -> list[str]:
    """Texts of the rows waiting in the outbox for the patient's chat."""
    pending = await storage.outbox.due_outbox(NOW + timedelta(days=999), 100)
    return [row.message.text for row in pending if row.message.chat_id == PATIENT]


# --- storage ---------------------------------------------------------------------------------


async def test_an_appointment_schedules_both_reminders_and_the_follow_up(
    storage: Storage,
) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    appointment = await storage.appointments.for_request(request_id)
    assert appointment is not None and appointment.id == appointment_id
    assert appointment.starts_at == VISIT
    assert appointment.state is AppointmentState.PENDING
    assert (appointment.doctor, appointment.branch_id, appointment.revision) == (
        "Иванова И. И.",
        "main",
        0,
    )
    scheduled = await storage.appointments.scheduled(appointment_id)
    assert [(m.kind, m.due_at) for m in scheduled] == [
        ("reminder", VISIT - timedelta(hours=24)),
        ("reminder", VISIT - timedelta(hours=2)),
        ("follow_up", VISIT + timedelta(hours=2)),
    ]


async def test_changing_an_appointment_replaces_its_reminders(storage: Storage) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    later = VISIT + timedelta(days=2)
    again = await _appoint(storage, request_id, later)
    assert again == appointment_id  # one appointment per request
    appointment = await storage.appointments.get(appointment_id)
    assert appointment is not None
    assert (appointment.starts_at, appointment.revision) == (later, 1)
    scheduled = await storage.appointments.scheduled(appointment_id)
    assert [m.due_at for m in scheduled] == [
        later - timedelta(hours=24),
        later - timedelta(hours=2),
        later + timedelta(hours=2),
    ]
    audit = await storage.audit.latest_audit(10)
    assert [entry.action for entry in audit][:2] == ["appointment:changed", "appointment:set"]


async def test_a_due_reminder_is_queued_once_even_by_two_instances(
    storage: Storage, database_url: str, clock: ManualClock
) -> None:
    request_id = await _booked_request(storage)
    await _appoint(storage, request_id)
    clock.set(VISIT - timedelta(hours=24))
    second = await open_storage(database_url, clock=clock)
    try:
        woken: list[int] = []
        counts = await asyncio.gather(
            _job(storage, clock, woken).run_once(), _job(second, clock, woken).run_once()
        )
    finally:
        await second.close()
    assert sorted(counts) == [0, 1]
    assert woken == [1]
    assert await _patient_outbox(storage) == ["reminder 1440 ru"]
    assert await _job(storage, clock).run_once() == 0  # nothing twice
    assert await _patient_outbox(storage) == ["reminder 1440 ru"]


async def test_nothing_is_queued_before_its_time(storage: Storage, clock: ManualClock) -> None:
    request_id = await _booked_request(storage)
    await _appoint(storage, request_id)
    clock.set(VISIT - timedelta(hours=24, minutes=1))
    assert await _job(storage, clock).run_once() == 0
    assert await _patient_outbox(storage) == []


async def test_a_reminder_late_past_the_visit_is_dropped_and_the_follow_up_still_comes(
    storage: Storage, clock: ManualClock
) -> None:
    """The bot was down for the whole day before the visit."""
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    clock.set(VISIT + timedelta(hours=2, minutes=5))
    assert await _job(storage, clock).run_once() == 1
    assert await _patient_outbox(storage) == ["follow_up 120 ru"]
    assert await storage.appointments.scheduled(appointment_id) == []


async def test_a_late_reminder_falling_in_quiet_hours_waits_for_the_morning(
    storage: Storage, clock: ManualClock
) -> None:
    request_id = await _booked_request(storage)
    # Monday 7 December, 14:00 in Moscow: the day before at 14:00 was missed by the bot.
    visit = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    appointment_id = await _appoint(storage, request_id, visit)
    clock.set(datetime(2026, 12, 6, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    assert await _job(storage, clock).run_once() == 0
    waiting = await storage.appointments.scheduled(appointment_id)
    morning = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    assert waiting[0].due_at == morning
    clock.set(morning)
    assert await _job(storage, clock).run_once() == 1
    assert await _patient_outbox(storage) == ["reminder 1440 ru"]


async def test_a_cancelled_request_gets_no_reminder(storage: Storage, clock: ManualClock) -> None:
    request_id = await _booked_request(storage)
    await _appoint(storage, request_id)
    await storage.requests.change_request_status(
        request_id, RequestStatus.BOOKED, RequestStatus.CANCELLED, MANAGER.id, MANAGER.name
    )
    clock.set(VISIT + timedelta(days=1))
    assert await _job(storage, clock).run_once() == 0
    assert await _patient_outbox(storage) == []


async def test_the_patients_answers_are_theirs_only(storage: Storage) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    assert (
        await confirm_visit(storage.appointments, appointment_id=appointment_id, patient_id=999)
    ) is None
    confirmed = await confirm_visit(
        storage.appointments, appointment_id=appointment_id, patient_id=PATIENT
    )
    assert confirmed is not None and confirmed.state is AppointmentState.CONFIRMED


async def test_asking_to_move_stops_the_reminders_but_not_the_follow_up(
    storage: Storage,
) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    moved = await ask_to_move(
        storage.appointments,
        appointment_id=appointment_id,
        patient_id=PATIENT,
        wish="в понедельник вечером",
    )
    assert moved is not None
    assert (moved.state, moved.move_wish) == (AppointmentState.MOVE, "в понедельник вечером")
    assert [m.kind for m in await storage.appointments.scheduled(appointment_id)] == ["follow_up"]


async def test_cancelling_cancels_the_request_by_the_patient(storage: Storage) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    cancelled = await cancel_visit(
        storage.appointments,
        storage.requests,
        appointment_id=appointment_id,
        patient_id=PATIENT,
        by_patient="пациент",
    )
    assert cancelled is not None and cancelled.state is AppointmentState.CANCELLED
    assert await storage.appointments.scheduled(appointment_id) == []
    request = await storage.requests.get_request(request_id)
    assert request is not None and request.status is RequestStatus.CANCELLED
    events = await storage.requests.request_events(request_id)
    assert (events[-1].status, events[-1].staff_id, events[-1].staff_name) == (
        RequestStatus.CANCELLED,
        PATIENT,
        "пациент",
    )


async def test_follow_up_answers_decide_alert_or_review_and_feed_the_stats(
    storage: Storage, clock: ManualClock
) -> None:
    first = await _appoint(storage, await _booked_request(storage))
    second = await _appoint(storage, await _booked_request(storage, user_id=502))
    third = await _appoint(storage, await _booked_request(storage, user_id=503))
    low = await record_visit(
        storage.appointments, appointment_id=first, patient_id=PATIENT, score=2
    )
    assert low is not None and (low.alert_managers, low.invite_review) == (True, False)
    high = await record_visit(storage.appointments, appointment_id=second, patient_id=502, score=5)
    assert high is not None and (high.alert_managers, high.invite_review) == (False, True)
    missed = await record_visit(
        storage.appointments, appointment_id=third, patient_id=503, score=None
    )
    assert missed is not None and missed.appointment.visit_status is VisitStatus.MISSED
    with pytest.raises(ValueError, match="1 to 5"):
        await record_visit(storage.appointments, appointment_id=first, patient_id=PATIENT, score=6)
    answered = await record_feedback(
        storage.appointments, appointment_id=first, patient_id=PATIENT, text="долго ждала"
    )
    assert answered is not None and answered.feedback == "долго ждала"
    stats = await storage.appointments.visit_stats(NOW, VISIT + timedelta(days=1))
    assert (stats.booked, stats.came, stats.missed) == (3, 2, 1)
    assert stats.came_share == pytest.approx(2 / 3)


async def test_forget_removes_the_patients_scheduled_and_queued_visit_messages(
    storage: Storage, clock: ManualClock
) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    await ask_to_move(
        storage.appointments, appointment_id=appointment_id, patient_id=PATIENT, wish="позже"
    )
    clock.set(VISIT + timedelta(hours=2))
    assert await _job(storage, clock).run_once() == 1  # the follow-up waits in the outbox

    def notice(ref_id: int) -> OutboxMessage:
        return OutboxMessage(kind="erasure", ref_id=ref_id, chat_id=-100, thread_id=None, text="x")

    await storage.patients.forget(PATIENT, notice)
    assert await _patient_outbox(storage) == []
    assert await storage.appointments.scheduled(appointment_id) == []
    kept = await storage.appointments.get(appointment_id)
    assert kept is not None and kept.move_wish is None  # what they wrote is gone


async def test_a_blocked_patient_gets_nothing_further(storage: Storage, clock: ManualClock) -> None:
    request_id = await _booked_request(storage)
    appointment_id = await _appoint(storage, request_id)
    assert await storage.appointments.cancel_patient_messages(PATIENT) == 3
    clock.set(VISIT + timedelta(hours=2))
    assert await _job(storage, clock).run_once() == 0
    assert await storage.appointments.scheduled(appointment_id) == []


async def test_today_lists_the_days_appointments_in_time_order(storage: Storage) -> None:
    late = await _appoint(storage, await _booked_request(storage), VISIT + timedelta(hours=3))
    early = await _appoint(storage, await _booked_request(storage, user_id=502), VISIT)
    await _appoint(storage, await _booked_request(storage, user_id=503), VISIT + timedelta(days=1))
    day_start = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # 5 December 00:00 in Moscow
    listed = await storage.appointments.between(day_start, day_start + timedelta(days=1))
    assert [item.appointment.id for item in listed] == [early, late]
    assert listed[0].name == "Анна"

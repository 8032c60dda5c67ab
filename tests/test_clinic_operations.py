"""Clinic operations without Telegram: working time and closures, reminders due, take times,
templates' rules and rendering, the settings, and the storage on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.clock import ManualClock
from bot.content import Branch, ClinicDetails
from bot.preview.emulator import TEST_TOKEN
from bot.services import templates
from bot.services.common import ManagerChat
from bot.services.escalation import EscalationJob, mention, reminders_due, take_times
from bot.services.opening_hours import OpeningPeriod, OpenUntil
from bot.services.out_of_hours import (
    ClosedNow,
    NextDay,
    clinic_status,
    closed_at,
    closed_notice,
    working_time,
)
from bot.settings import Settings
from storage import Storage, open_storage
from storage.models import NewRequest, OutboxMessage, RequestStatus
from storage.repositories import FirstTake

pytest_plugins = ("tests.pg",)

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
HOLIDAY = date(2026, 11, 25)  # a Wednesday


def moscow(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


def branch(branch_id: str, hours: dict[int, str]) -> Branch:
    return Branch(
        id=branch_id,
        address={"ru": "адрес"},
        phone="+74951234567",
        hours={day: OpeningPeriod.parse(text) for day, text in hours.items()},
        latitude=55.0,
        longitude=37.0,
    )


WEEKDAYS = branch("main", {day: "09:00-20:00" for day in range(5)})
# A night branch: Friday 20:00 to Saturday 02:00.
NIGHT = branch("night", {4: "20:00-02:00"})
CLINIC = ClinicDetails("ООО", "адрес", branches=(WEEKDAYS,), holidays=frozenset({HOLIDAY}))
TWO_BRANCHES = ClinicDetails("ООО", "адрес", branches=(WEEKDAYS, NIGHT))


# --------------------------------------------------------------------------- hours


def test_closed_at_night_opens_tomorrow_and_after_midnight_today() -> None:
    late = closed_at(CLINIC, moscow(11, 23, 23, 30), MOSCOW)
    assert late is not None and late.day(moscow(11, 23, 23, 30)) == NextDay.TOMORROW
    early = closed_at(CLINIC, moscow(11, 24, 0, 30), MOSCOW)
    assert early is not None and early.day(moscow(11, 24, 0, 30)) == NextDay.TODAY
    assert closed_at(CLINIC, moscow(11, 24, 12), MOSCOW) is None


def test_a_holiday_moves_the_next_opening_past_it() -> None:
    closed = closed_at(CLINIC, moscow(11, 24, 21), MOSCOW)
    assert closed is not None and closed.opens == datetime(2026, 11, 26, 9, 0, tzinfo=MOSCOW)
    assert closed_notice(closed, moscow(11, 24, 21), "ru") == (
        "hours-closed-later",
        {"time": "9:00", "date": "Чт 26.11"},
    )
    assert closed_notice(closed, moscow(11, 24, 21), "en")[1]["date"] == "Thu 26 Nov"


def test_no_hours_listed_is_never_closed_and_counts_wall_time() -> None:
    bare = ClinicDetails("ООО", "адрес")
    assert clinic_status(bare, moscow(11, 23, 3), MOSCOW) is None
    assert closed_at(bare, moscow(11, 23, 3), MOSCOW) is None
    assert working_time(bare, moscow(11, 23, 3), moscow(11, 23, 4), MOSCOW) == timedelta(hours=1)


def test_closed_with_no_opening_within_a_year() -> None:
    shut = ClinicDetails("ООО", "адрес", branches=(branch("x", {}),))
    closed = closed_at(shut, moscow(11, 23, 12), MOSCOW)
    assert closed == ClosedNow(None)
    assert closed_notice(closed, moscow(11, 23, 12), "ru") == ("hours-closed-unknown", {})
    assert working_time(shut, moscow(11, 23, 12), moscow(11, 30, 12), MOSCOW) == timedelta(0)


def test_the_clinic_is_open_while_any_branch_is() -> None:
    # Friday 22:00: the main branch is closed, the night branch open until 02:00.
    status = clinic_status(TWO_BRANCHES, moscow(11, 27, 22), MOSCOW)
    assert isinstance(status, OpenUntil)
    assert status.until == datetime(2026, 11, 28, 2, 0, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (moscow(11, 23, 12), moscow(11, 23, 12, 15), 15),  # in hours: wall time
        (moscow(11, 23, 19, 55), moscow(11, 24, 9, 10), 15),  # across the night
        (moscow(11, 24, 19, 50), moscow(11, 26, 9, 10), 20),  # across a holiday
        (moscow(11, 27, 19, 0), moscow(11, 30, 9, 30), 60 + 30),  # across a weekend
        (moscow(11, 23, 22), moscow(11, 23, 23), 0),  # closed all along
        (moscow(11, 23, 13), moscow(11, 23, 12), 0),  # end before start
    ],
)
def test_working_time(start: datetime, end: datetime, minutes: int) -> None:
    assert working_time(CLINIC, start, end, MOSCOW) == timedelta(minutes=minutes)


def test_working_time_runs_through_a_period_across_midnight() -> None:
    # Friday 19:00 to Saturday 03:00: one hour of the day branch, then 20:00-02:00 at night.
    worked = working_time(TWO_BRANCHES, moscow(11, 27, 19), moscow(11, 28, 3), MOSCOW)
    assert worked == timedelta(hours=7)


# --------------------------------------------------------------------------- escalation


@pytest.mark.parametrize(
    ("worked", "expected"), [(14, 0), (15, 1), (29, 1), (30, 2), (45, 2), (600, 2)]
)
def test_reminders_due(worked: int, expected: int) -> None:
    assert reminders_due(timedelta(minutes=worked), timedelta(minutes=15)) == expected


def test_take_times_are_medians_of_working_time_per_day_and_manager() -> None:
    def take(request_id: int, created: datetime, minutes: int, staff: int, name: str) -> FirstTake:
        return FirstTake(request_id, created, created + timedelta(minutes=minutes), staff, name)

    takes = [
        take(1, moscow(11, 23, 10), 4, 1, "Мария"),
        take(2, moscow(11, 23, 11), 10, 2, "Олег"),
        take(3, moscow(11, 23, 12), 6, 1, "Мария"),
        # Sent at 19:50, taken at 9:10 the next morning: 20 minutes of working time.
        take(4, moscow(11, 23, 19, 50), 13 * 60 + 20, 2, "Олег"),
    ]
    result = take_times(takes, CLINIC, MOSCOW)
    assert result.per_day == [(date(2026, 11, 23), 8.0, 4)]
    assert result.per_manager == [("Мария", 5.0, 2), ("Олег", 15.0, 2)]


def test_mention_of_a_username_and_of_an_id() -> None:
    assert mention("@duty_anna", "дежурный") == "@duty_anna"
    assert mention("4242", "дежурный") == '<a href="tg://user?id=4242">дежурный</a>'


# --------------------------------------------------------------------------- templates


def test_template_rules() -> None:
    assert templates.name_problem("greet") is None
    assert templates.name_problem("привет-2") is None
    assert templates.name_problem("<b>") == templates.TemplateProblem.NAME
    assert templates.name_problem("x" * 33) == templates.TemplateProblem.NAME
    assert templates.text_problem("  ") == templates.TemplateProblem.EMPTY
    assert templates.text_problem("x" * 1001) == templates.TemplateProblem.TOO_LONG
    assert templates.text_problem("Звоните {phone}") == templates.TemplateProblem.PLACEHOLDER
    assert templates.unknown_placeholders("{phone} {name} {}") == ["phone", ""]
    assert templates.text_problem("Hello, {name}: {service}, {clinic_phone}") is None


def test_render_escapes_the_template_and_every_value() -> None:
    rendered = templates.render(
        "Hi {name} <3 & {service} {clinic_phone} {other}",
        {"name": "<b>Анна</b>", "service": "A&B", "clinic_phone": "+7 495"},
    )
    assert rendered == "Hi &lt;b&gt;Анна&lt;/b&gt; &lt;3 &amp; A&amp;B +7 495 {other}"


# --------------------------------------------------------------------------- settings


def settings(**values: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, bot_token=TEST_TOKEN, manager_chat_id=-100, **values
    )


def test_settings_defaults_and_on_duty_staff() -> None:
    assert settings().take_within_minutes == 15
    assert settings().on_duty_staff == ()
    assert settings(on_duty_staff="@duty_anna, 4242 ,").on_duty_staff == ("@duty_anna", "4242")
    for bad in ("anna", "@a", "@bad-name"):
        with pytest.raises(ValidationError):
            settings(on_duty_staff=bad)
    with pytest.raises(ValidationError):
        settings(take_within_minutes=0)


# --------------------------------------------------------------------------- storage


@pytest.fixture(params=["sqlite", "postgres"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Storage, ManualClock]]:
    url = (
        f"sqlite:///{tmp_path}/clinic.db"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_dsn")
    )
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    opened = await open_storage(url, clock=clock)
    try:
        yield opened, clock
    finally:
        await opened.close()


def _request(user_id: int) -> NewRequest:
    return NewRequest(
        user_id=user_id,
        locale="ru",
        service_id=None,
        name="Анна",
        phone="+79161234567",
        preferred_time="утром",
        complaint=None,
        consent_version="v1",
        consented_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


def _card(request_id: int) -> OutboxMessage:
    return OutboxMessage(kind="request", ref_id=request_id, chat_id=-100, thread_id=None, text="c")


def _reminder(request_id: int) -> OutboxMessage:
    return OutboxMessage(
        kind="escalation",
        ref_id=request_id,
        chat_id=-100,
        thread_id=None,
        text="r",
        patient_id=10,
        reply_to_message_id=77,
        patient_name="Анна",
    )


async def test_each_reminder_is_counted_and_queued_once(
    storage: tuple[Storage, ManualClock],
) -> None:
    repo, clock = storage
    request_id = await repo.requests.create_request(_request(10), _card)
    since = clock() - timedelta(days=7)
    [waiting] = await repo.escalations.waiting_requests(since, below=2)
    assert (waiting.id, waiting.reminders) == (request_id, 0)

    assert await repo.escalations.raise_again(
        request_id, had=0, reminders=1, message=_reminder(request_id)
    )
    # A second instance with the same stale view counts nothing and queues nothing.
    assert not await repo.escalations.raise_again(
        request_id, had=0, reminders=1, message=_reminder(request_id)
    )
    assert await repo.escalations.reminders_of(request_id) == 1
    pending = await repo.outbox.due_outbox(clock(), 10)
    reminders = [p.message for p in pending if p.message.kind == "escalation"]
    assert len(reminders) == 1 and reminders[0].reply_to_message_id == 77

    assert await repo.escalations.raise_again(
        request_id, had=1, reminders=2, message=_reminder(request_id)
    )
    assert await repo.escalations.waiting_requests(since, below=2) == []


async def test_a_taken_request_is_not_raised_and_its_first_take_is_kept(
    storage: tuple[Storage, ManualClock],
) -> None:
    repo, clock = storage
    request_id = await repo.requests.create_request(_request(10), _card)
    clock.advance(timedelta(minutes=7))
    await repo.requests.change_request_status(
        request_id,
        expected=RequestStatus.NEW,
        new=RequestStatus.TAKEN,
        staff_id=1,
        staff_name="Мария",
    )
    await repo.requests.change_request_status(
        request_id,
        expected=RequestStatus.TAKEN,
        new=RequestStatus.CALLED,
        staff_id=2,
        staff_name="Олег",
    )
    since = clock() - timedelta(days=7)
    assert await repo.escalations.waiting_requests(since, below=2) == []
    assert not await repo.escalations.raise_again(
        request_id, had=0, reminders=1, message=_reminder(request_id)
    )
    [take] = await repo.escalations.first_takes(since)
    assert (take.request_id, take.staff_name) == (request_id, "Мария")
    assert take.taken_at - take.created_at == timedelta(minutes=7)


async def test_templates_are_stored_by_name_and_audited(
    storage: tuple[Storage, ManualClock],
) -> None:
    repo, _ = storage
    assert await repo.templates.add_template("greet", "Hi {name}", staff_id=1, staff_name="Мария")
    assert not await repo.templates.add_template("greet", "x", staff_id=1, staff_name="Мария")
    assert await repo.templates.edit_template(
        "greet", "Hello {name}", staff_id=2, staff_name="Олег"
    )
    assert not await repo.templates.edit_template("nope", "x", staff_id=2, staff_name="Олег")
    [stored] = await repo.templates.list_templates()
    assert (stored.name, stored.text) == ("greet", "Hello {name}")
    assert await repo.templates.get_template(stored.id) == stored
    assert await repo.templates.remove_template("greet", staff_id=1, staff_name="Мария")
    assert not await repo.templates.remove_template("greet", staff_id=1, staff_name="Мария")
    assert await repo.templates.list_templates() == []
    actions = [(entry.action, entry.target) for entry in await repo.audit.latest_audit(10)]
    assert sorted(actions) == [
        ("template:add", "template greet"),
        ("template:edit", "template greet"),
        ("template:remove", "template greet"),
    ]


async def test_the_escalation_job_raises_an_untaken_request_twice_in_working_time_only(
    storage: tuple[Storage, ManualClock],
) -> None:
    repo, clock = storage
    clock.set(moscow(11, 23, 19, 0))  # Monday, an hour before closing
    request_id = await repo.requests.create_request(_request(10), _card)
    woken: list[bool] = []
    job = EscalationJob(
        repo.escalations,
        repo.conversations,
        repo.patients,
        clinic=lambda: CLINIC,
        zone=MOSCOW,
        take_within=timedelta(minutes=30),
        managers=ManagerChat(-100, None),
        render=lambda number, reminder: f"№ {number}: reminder {reminder}",
        wake=lambda: woken.append(True),
        clock=clock,
    )

    assert await job.run_once() == 0  # not yet over its allowance
    clock.advance(timedelta(minutes=31))
    assert await job.run_once() == 1
    assert await job.run_once() == 0  # once, however often the job runs
    # Closed from 20:00: the night is not working time, and nothing is posted in it.
    clock.set(moscow(11, 24, 8, 0))
    assert await job.run_once() == 0
    clock.set(moscow(11, 24, 9, 1))  # 60 minutes of working time: the second reminder
    assert await job.run_once() == 1
    clock.advance(timedelta(hours=5))
    assert await job.run_once() == 0  # never a third
    assert woken == [True, True]
    queued = [
        pending.message
        for pending in await repo.outbox.due_outbox(clock(), 10)
        if pending.message.kind == "escalation"
    ]
    assert [(message.ref_id, message.text) for message in queued] == [
        (request_id, f"№ {request_id}: reminder 1"),
        (request_id, f"№ {request_id}: reminder 2"),
    ]

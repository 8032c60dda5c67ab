"""The visit loop's time rules: settings, typed appointment times, suggestions, the
reminder plan, late messages and the .ics file. Fixed moments only: no wall clock."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from pydantic import ValidationError

from bot.services.calendar import (
    LABELS_EN,
    appointment_ics,
    escape_text,
    ics_filename,
    labels_for,
)
from bot.services.clinic_time import (
    AppointmentProblem,
    QuietHours,
    SlotGrid,
    day_slots,
    format_clock,
    format_day,
    format_duration,
    format_moment,
    next_working_days,
    parse_appointment,
    parse_duration,
    parse_offsets,
    to_clinic,
    to_utc,
)
from bot.services.reminder_plan import (
    MessageKind,
    PlannedMessage,
    plan_messages,
    still_makes_sense,
    when_to_send,
)
from bot.settings import Settings, describe_errors

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
ROOT = Path(__file__).resolve().parent.parent
MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
# Friday 4 December 2026, 15:00 in Moscow.
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
NIGHT = QuietHours(time(21, 0), time(9, 0))
HOUR = timedelta(hours=1)
VISIT_VARIABLES = ("CLINIC_TIMEZONE", "REMINDERS", "QUIET_HOURS", "FOLLOW_UP_AFTER")


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Moscow wall time as the UTC moment storage would hold."""
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


# ---- settings ----


@pytest.fixture
def base_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in VISIT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("MANAGER_CHAT_ID", "-1")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def test_visit_settings_defaults(base_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.clinic_timezone == "Europe/Moscow"
    assert settings.clinic_zone == MOSCOW
    assert settings.reminders == (timedelta(hours=24), timedelta(hours=2))
    assert settings.quiet_hours == NIGHT
    assert settings.follow_up_after == timedelta(hours=2)


def test_visit_settings_parse(base_env: pytest.MonkeyPatch) -> None:
    base_env.setenv("CLINIC_TIMEZONE", " Europe/Berlin ")
    base_env.setenv("REMINDERS", "2h, 1d,24h ,90m")
    base_env.setenv("QUIET_HOURS", "13:00-14:30")
    base_env.setenv("FOLLOW_UP_AFTER", "1h30m")
    settings = Settings()
    assert settings.clinic_zone == BERLIN
    # Largest first, "1d" and "24h" are the same reminder.
    assert settings.reminders == (timedelta(days=1), timedelta(hours=2), timedelta(minutes=90))
    assert settings.quiet_hours == QuietHours(time(13, 0), time(14, 30))
    assert settings.follow_up_after == timedelta(minutes=90)


def test_empty_reminders_and_quiet_hours_mean_none(base_env: pytest.MonkeyPatch) -> None:
    base_env.setenv("REMINDERS", "")
    base_env.setenv("QUIET_HOURS", " ")
    settings = Settings()
    assert settings.reminders == ()
    assert settings.quiet_hours is None


def test_visit_settings_from_dotenv(base_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "CLINIC_TIMEZONE=Asia/Yekaterinburg\nREMINDERS=1d\nQUIET_HOURS=22:00-08:00\n", "utf-8"
    )
    settings = Settings()
    assert settings.clinic_zone == ZoneInfo("Asia/Yekaterinburg")
    assert settings.reminders == (timedelta(days=1),)
    assert settings.quiet_hours == QuietHours(time(22, 0), time(8, 0))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLINIC_TIMEZONE", "Mars/Olympus"),
        ("CLINIC_TIMEZONE", ""),
        ("CLINIC_TIMEZONE", "../etc/passwd"),
        ("REMINDERS", "2"),
        ("REMINDERS", "24h,soon"),
        ("REMINDERS", "0h"),
        ("REMINDERS", "-2h"),
        ("QUIET_HOURS", "21:00"),
        ("QUIET_HOURS", "25:00-09:00"),
        ("QUIET_HOURS", "09:00-09:00"),
        ("QUIET_HOURS", "9pm-9am"),
        ("FOLLOW_UP_AFTER", "0m"),
        ("FOLLOW_UP_AFTER", "later"),
        ("FOLLOW_UP_AFTER", ""),
    ],
)
def test_bad_visit_setting_names_the_variable(
    base_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    base_env.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    lines = describe_errors(caught.value)
    assert len(lines) == 1
    assert lines[0].startswith(f"Configuration error: {variable} is invalid; expected ")


def test_unknown_timezone_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in VISIT_VARIABLES}
    env.update(
        BOT_TOKEN=TOKEN,
        MANAGER_CHAT_ID="-1",
        CLINIC_TIMEZONE="Mars/Olympus",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: CLINIC_TIMEZONE is invalid; expected an IANA timezone name, "
        "like Europe/Moscow or Asia/Yekaterinburg."
    ]


def test_durations() -> None:
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration(" 90M ") == timedelta(minutes=90)
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("1h 30m") == timedelta(minutes=90)
    for bad in ("", "2", "h", "2 hours", "1.5h", "0m", "999999h"):
        with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the contract
            parse_duration(bad)
    assert parse_offsets("2h,,24h") == (timedelta(hours=24), timedelta(hours=2))
    assert [format_duration(d) for d in parse_offsets("24h,2h,90m")] == ["1d", "2h", "90m"]


# ---- local time: conversions and formats ----


def test_stored_utc_is_shown_in_clinic_time() -> None:
    moment = datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    assert format_moment(moment, MOSCOW, "ru") == "05.12.2026 14:30"
    assert format_moment(moment, MOSCOW, "en") == "5 Dec 2026, 14:30"
    assert format_moment(moment, BERLIN, "ru") == "05.12.2026 12:30"
    assert format_moment(datetime(2027, 1, 1, 6, 5, tzinfo=UTC), MOSCOW, "en") == (
        "1 Jan 2027, 09:05"
    )
    assert to_clinic(moment, MOSCOW).hour == 14
    assert format_clock(moment, MOSCOW) == "14:30"
    assert to_utc(datetime(2026, 12, 5, 14, 30), MOSCOW) == moment
    assert format_day(date(2026, 12, 5), "ru") == "Сб 05.12"
    assert format_day(date(2026, 12, 7), "en") == "Mon 7 Dec"
    with pytest.raises(ValueError, match="aware"):
        to_clinic(datetime(2026, 12, 5, 11, 30), MOSCOW)


def test_daylight_saving_rules_in_berlin() -> None:
    # 29.03.2026 02:30 does not exist: moved forward by the skipped hour (03:30 CEST).
    skipped = to_utc(datetime(2026, 3, 29, 2, 30), BERLIN)
    assert skipped == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert format_moment(skipped, BERLIN, "ru") == "29.03.2026 03:30"
    # 25.10.2026 02:30 happens twice: the first time, still summer time (+02:00).
    repeated = to_utc(datetime(2026, 10, 25, 2, 30), BERLIN)
    assert repeated == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


# ---- what a manager types ----


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("05.12 14:30", msk(2026, 12, 5, 14, 30)),
        ("5.12 9:00", msk(2026, 12, 5, 9, 0)),
        ("05.12.2026 14:30", msk(2026, 12, 5, 14, 30)),
        ("05.12.26 14:30", msk(2026, 12, 5, 14, 30)),
        ("2026-12-05 14:30", msk(2026, 12, 5, 14, 30)),
        ("2026-12-05T14:30", msk(2026, 12, 5, 14, 30)),
        ("05.12, 14:30", msk(2026, 12, 5, 14, 30)),
        ("  05.12   14:30 ", msk(2026, 12, 5, 14, 30)),
        # Today, later than now.
        ("04.12 18:00", msk(2026, 12, 4, 18, 0)),
        # Without a year: the next such date, so a day already past this year is next year's.
        ("03.12 10:00", msk(2027, 12, 3, 10, 0)),
        ("10.01 10:00", msk(2027, 1, 10, 10, 0)),
    ],
)
def test_typed_appointment_times(typed: str, expected: datetime) -> None:
    assert parse_appointment(typed, now=NOW, zone=MOSCOW) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("04.12 10:00", AppointmentProblem.IN_THE_PAST),  # today, but earlier
        ("04.12 15:00", AppointmentProblem.IN_THE_PAST),  # exactly now
        ("03.12.2026 10:00", AppointmentProblem.IN_THE_PAST),
        ("2025-12-05 10:00", AppointmentProblem.IN_THE_PAST),
        ("31.04 10:00", AppointmentProblem.IMPOSSIBLE_DATE),
        ("29.02.2027 10:00", AppointmentProblem.IMPOSSIBLE_DATE),
        ("29.02 10:00", AppointmentProblem.IMPOSSIBLE_DATE),  # the next 29.02 is in 2027: none
        ("32.12 10:00", AppointmentProblem.IMPOSSIBLE_DATE),
        ("05.13 10:00", AppointmentProblem.IMPOSSIBLE_DATE),
        ("2026-00-05 10:00", AppointmentProblem.IMPOSSIBLE_DATE),
        ("05.12 24:00", AppointmentProblem.IMPOSSIBLE_TIME),
        ("05.12 9:60", AppointmentProblem.IMPOSSIBLE_TIME),
        ("05.12.2062 10:00", AppointmentProblem.TOO_FAR),
        ("", AppointmentProblem.GARBAGE),
        ("tomorrow at ten", AppointmentProblem.GARBAGE),
        ("05.12", AppointmentProblem.GARBAGE),
        ("14:30", AppointmentProblem.GARBAGE),
        ("05/12 14:30", AppointmentProblem.GARBAGE),
        ("05.12 1430", AppointmentProblem.GARBAGE),
        ("05.12 14:30 please", AppointmentProblem.GARBAGE),
        ("005.12 14:30", AppointmentProblem.GARBAGE),
    ],
)
def test_refused_appointment_times(typed: str, problem: AppointmentProblem) -> None:
    assert parse_appointment(typed, now=NOW, zone=MOSCOW) is problem


def test_typed_times_across_daylight_saving_in_berlin() -> None:
    march = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert (
        parse_appointment("29.03.2026 02:30", now=march, zone=BERLIN)
        is AppointmentProblem.NONEXISTENT_TIME
    )
    assert parse_appointment("29.03 03:30", now=march, zone=BERLIN) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    assert parse_appointment("25.10.2026 02:30", now=march, zone=BERLIN) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # The same wall time in winter and summer is a different UTC moment.
    assert parse_appointment("30.03 10:00", now=march, zone=BERLIN) == datetime(
        2026, 3, 30, 8, 0, tzinfo=UTC
    )
    assert parse_appointment("27.03 10:00", now=march, zone=BERLIN) == datetime(
        2026, 3, 27, 9, 0, tzinfo=UTC
    )


# ---- quick picks ----


def test_next_working_days_skip_weekends_and_closed_dates() -> None:
    # Friday 15:00: today still has slots.
    assert next_working_days(now=NOW, zone=MOSCOW, count=5) == [
        date(2026, 12, 4),
        date(2026, 12, 7),
        date(2026, 12, 8),
        date(2026, 12, 9),
        date(2026, 12, 10),
    ]
    closed = {date(2026, 12, 7), date(2026, 12, 9)}
    assert next_working_days(now=NOW, zone=MOSCOW, count=3, closed=closed) == [
        date(2026, 12, 4),
        date(2026, 12, 8),
        date(2026, 12, 10),
    ]


def test_today_is_not_offered_after_its_last_slot() -> None:
    friday_evening = msk(2026, 12, 4, 18, 0)
    assert next_working_days(now=friday_evening, zone=MOSCOW, count=2) == [
        date(2026, 12, 7),
        date(2026, 12, 8),
    ]
    saturday = msk(2026, 12, 5, 10, 0)
    six_days = {0, 1, 2, 3, 4, 5}
    assert next_working_days(now=saturday, zone=MOSCOW, count=2, weekdays=six_days) == [
        date(2026, 12, 5),
        date(2026, 12, 7),
    ]
    assert next_working_days(now=saturday, zone=MOSCOW, count=2, weekdays=()) == []


def test_day_slots_are_local_and_not_in_the_past() -> None:
    today = day_slots(date(2026, 12, 4), now=NOW, zone=MOSCOW)
    assert [slot.strftime("%H:%M") for slot in today] == ["16:00", "17:00", "18:00"]
    assert all(slot.tzinfo is MOSCOW for slot in today)
    monday = day_slots(date(2026, 12, 7), now=NOW, zone=MOSCOW)
    assert len(monday) == 10
    assert monday[0] == msk(2026, 12, 7, 9, 0)
    assert monday[-1] == msk(2026, 12, 7, 18, 0)
    half_hours = SlotGrid(first=time(10, 0), last=time(12, 0), step=timedelta(minutes=30))
    assert [
        slot.strftime("%H:%M")
        for slot in day_slots(date(2026, 12, 7), now=NOW, zone=MOSCOW, grid=half_hours)
    ] == ["10:00", "10:30", "11:00", "11:30", "12:00"]
    assert day_slots(date(2026, 12, 3), now=NOW, zone=MOSCOW) == []
    with pytest.raises(ValueError, match="positive"):
        SlotGrid(step=timedelta(0))


def test_day_slots_on_daylight_saving_days() -> None:
    night = SlotGrid(first=time(0, 0), last=time(4, 0))
    march = datetime(2026, 3, 1, tzinfo=UTC)
    spring = day_slots(date(2026, 3, 29), now=march, zone=BERLIN, grid=night)
    assert [slot.strftime("%H:%M") for slot in spring] == ["00:00", "01:00", "03:00", "04:00"]
    autumn = day_slots(date(2026, 10, 25), now=march, zone=BERLIN, grid=night)
    assert [slot.strftime("%H:%M") for slot in autumn] == [
        "00:00",
        "01:00",
        "02:00",
        "03:00",
        "04:00",
    ]
    assert autumn[2].astimezone(UTC) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)


# ---- the reminder plan ----


def _plan(
    visit_at: datetime,
    *,
    now: datetime = NOW,
    reminders: tuple[timedelta, ...] = (24 * HOUR, 2 * HOUR),
    quiet: QuietHours | None = NIGHT,
    zone: ZoneInfo = MOSCOW,
    merge_within: timedelta = timedelta(0),
) -> list[tuple[str, datetime]]:
    planned = plan_messages(
        visit_at=visit_at,
        now=now,
        reminders=reminders,
        follow_up_after=2 * HOUR,
        quiet=quiet,
        zone=zone,
        merge_within=merge_within,
    )
    return [(message.key, message.due_at) for message in planned]


def test_plan_for_a_visit_days_ahead() -> None:
    assert _plan(msk(2026, 12, 8, 14, 0)) == [
        ("reminder-1d", msk(2026, 12, 7, 14, 0)),
        ("reminder-2h", msk(2026, 12, 8, 12, 0)),
        ("follow_up", msk(2026, 12, 8, 16, 0)),
    ]


def test_visit_booked_for_in_three_hours_gets_only_the_two_hour_reminder() -> None:
    assert _plan(NOW + 3 * HOUR) == [
        ("reminder-2h", NOW + HOUR),
        ("follow_up", NOW + 5 * HOUR),
    ]
    # Booked for in 90 minutes: no reminder at all, the confirmation is enough.
    assert _plan(NOW + 90 * timedelta(minutes=1)) == [
        ("follow_up", NOW + 210 * timedelta(minutes=1))
    ]


def test_morning_reminder_in_quiet_hours_moves_to_their_end() -> None:
    # Visit 10:00: the 2 h reminder would be 08:00, inside 21:00-09:00: sent at 09:00.
    assert _plan(msk(2026, 12, 8, 10, 0)) == [
        ("reminder-1d", msk(2026, 12, 7, 10, 0)),
        ("reminder-2h", msk(2026, 12, 8, 9, 0)),
        ("follow_up", msk(2026, 12, 8, 12, 0)),
    ]


def test_moved_reminder_too_close_to_the_visit_is_skipped() -> None:
    # Visit 09:20: the 2 h reminder (07:20) would move to 09:00, only 20 minutes before.
    assert _plan(msk(2026, 12, 8, 9, 20)) == [
        ("reminder-1d", msk(2026, 12, 7, 9, 20)),
        ("follow_up", msk(2026, 12, 8, 11, 20)),
    ]
    # A visit at 08:00 (inside quiet hours): its 2 h reminder cannot be sent before it.
    assert _plan(msk(2026, 12, 8, 8, 0)) == [
        ("reminder-1d", msk(2026, 12, 7, 9, 0)),
        ("follow_up", msk(2026, 12, 8, 10, 0)),
    ]


def test_evening_reminder_crosses_midnight_and_merges() -> None:
    # Visit Tuesday 10:00 with a 12 h reminder: 22:00 on Monday is quiet; the period ends
    # at 09:00 on Tuesday (not Monday), where the 2 h reminder already is: one message.
    reminders = (24 * HOUR, 12 * HOUR, 2 * HOUR)
    assert _plan(msk(2026, 12, 8, 10, 0), reminders=reminders) == [
        ("reminder-1d", msk(2026, 12, 7, 10, 0)),
        ("reminder-2h", msk(2026, 12, 8, 9, 0)),
        ("follow_up", msk(2026, 12, 8, 12, 0)),
    ]


def test_reminders_close_together_merge_only_when_asked() -> None:
    # Visit 11:00: 3 h (08:00, moved to 09:00) and 90 min (09:30).
    reminders = (3 * HOUR, timedelta(minutes=90))
    visit = msk(2026, 12, 8, 11, 0)
    assert [key for key, _ in _plan(visit, reminders=reminders)] == [
        "reminder-3h",
        "reminder-90m",
        "follow_up",
    ]
    assert _plan(visit, reminders=reminders, merge_within=timedelta(minutes=30)) == [
        ("reminder-90m", msk(2026, 12, 8, 9, 30)),
        ("follow_up", msk(2026, 12, 8, 13, 0)),
    ]


def test_follow_up_after_an_evening_visit_waits_for_the_morning() -> None:
    assert _plan(msk(2026, 12, 8, 20, 0))[-1] == ("follow_up", msk(2026, 12, 9, 9, 0))
    # Without quiet hours it goes at 22:00, and night reminders stay where they are.
    assert _plan(msk(2026, 12, 8, 20, 0), quiet=None)[-1] == ("follow_up", msk(2026, 12, 8, 22))
    assert _plan(msk(2026, 12, 8, 8, 0), quiet=None)[1] == ("reminder-2h", msk(2026, 12, 8, 6))


def test_no_reminders_configured_leaves_the_follow_up() -> None:
    planned = plan_messages(
        visit_at=msk(2026, 12, 8, 14, 0),
        now=NOW,
        reminders=(),
        follow_up_after=2 * HOUR,
        quiet=NIGHT,
        zone=MOSCOW,
    )
    assert planned == [
        PlannedMessage(MessageKind.FOLLOW_UP, msk(2026, 12, 8, 16, 0), 2 * HOUR),
    ]


def test_plan_across_the_spring_change_in_berlin() -> None:
    march = datetime(2026, 3, 20, tzinfo=UTC)
    visit = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # Sunday 10:00 CEST, the change's day
    assert _plan(visit, now=march, zone=BERLIN) == [
        # 24 h of real time before: Saturday 09:00 CET, just outside the quiet hours.
        ("reminder-1d", datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),
        # 08:00 CEST is quiet; their end is 09:00 summer time, i.e. 07:00 UTC.
        ("reminder-2h", datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        ("follow_up", datetime(2026, 3, 29, 10, 0, tzinfo=UTC)),
    ]


# ---- late messages (the bot was down) ----


def test_reminder_after_the_visit_time_is_dropped() -> None:
    visit = msk(2026, 12, 8, 14, 0)
    due = msk(2026, 12, 8, 12, 0)
    assert still_makes_sense(MessageKind.REMINDER, due, visit, msk(2026, 12, 8, 13, 59))
    assert not still_makes_sense(MessageKind.REMINDER, due, visit, visit)
    assert not still_makes_sense(MessageKind.REMINDER, due, visit, msk(2026, 12, 9, 10, 0))


def test_follow_up_more_than_three_days_late_is_dropped() -> None:
    visit = msk(2026, 12, 8, 14, 0)
    due = msk(2026, 12, 8, 16, 0)
    assert still_makes_sense(MessageKind.FOLLOW_UP, due, visit, due + timedelta(days=3))
    assert not still_makes_sense(
        MessageKind.FOLLOW_UP, due, visit, due + timedelta(days=3, minutes=1)
    )


def test_when_to_send_a_late_message() -> None:
    visit = msk(2026, 12, 9, 12, 0)
    due = msk(2026, 12, 8, 20, 50)

    def send(kind: MessageKind, due_at: datetime, visit_at: datetime, now: datetime) -> object:
        return when_to_send(kind, due_at, visit_at, now, quiet=NIGHT, zone=MOSCOW)

    # Not due yet: at its time; due and outside quiet hours: now.
    assert send(MessageKind.REMINDER, due, visit, msk(2026, 12, 8, 20, 0)) == due
    assert send(MessageKind.REMINDER, due, visit, msk(2026, 12, 8, 20, 55)) == msk(
        2026, 12, 8, 20, 55
    )
    # Back up at 23:00: the reminder waits for 09:00.
    assert send(MessageKind.REMINDER, due, visit, msk(2026, 12, 8, 23, 0)) == msk(2026, 12, 9, 9, 0)
    # ...unless the visit is before then.
    early_visit = msk(2026, 12, 9, 9, 10)
    assert send(MessageKind.REMINDER, due, early_visit, msk(2026, 12, 8, 23, 0)) is None
    assert send(MessageKind.REMINDER, due, visit, msk(2026, 12, 9, 12, 0)) is None
    # A follow-up late into the night goes in the morning, unless that exceeds its grace.
    follow_up_due = msk(2026, 12, 6, 16, 0)
    assert send(MessageKind.FOLLOW_UP, follow_up_due, visit, msk(2026, 12, 7, 23, 0)) == msk(
        2026, 12, 8, 9, 0
    )
    assert send(MessageKind.FOLLOW_UP, follow_up_due, visit, msk(2026, 12, 9, 8, 0)) == msk(
        2026, 12, 9, 9, 0
    )
    # Due at 23:00 (planned before QUIET_HOURS was set), back up 2 days 23 hours later:
    # the morning would be more than 3 days late.
    night_due = msk(2026, 12, 6, 23, 0)
    assert send(MessageKind.FOLLOW_UP, night_due, visit, msk(2026, 12, 9, 22, 0)) is None


# ---- the .ics file ----

AWKWARD_NAME = 'Иванова, Анна; "Аня" \\ пациентка\nвторая строка\r\nтретья'


def _ics(**changes: object) -> bytes:
    arguments: dict[str, object] = {
        "request_id": 42,
        "starts_at": datetime(2026, 12, 5, 13, 30, tzinfo=UTC),
        "duration": timedelta(minutes=45),
        "zone": BERLIN,
        "summary": f"Приём: {AWKWARD_NAME}",
        "address": "Berlin, Hauptstraße 1; 2. Etage",
        "stamp": datetime(2026, 12, 4, 12, 0, tzinfo=UTC),
        "doctor": "Dr. Müller, Kardiologie",
        "bring": "passport, insurance card; old results " * 3,
    }
    arguments.update(changes)
    return appointment_ics(**arguments)  # type: ignore[arg-type]


def _event(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, icalendar.Event)
    return event


def test_ics_round_trip_keeps_times_and_texts() -> None:
    data = _ics()
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["PRODID"]).startswith("-//")
    event = _event(data)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert start == datetime(2026, 12, 5, 14, 30, tzinfo=BERLIN)
    assert start.utcoffset() == HOUR
    assert end == datetime(2026, 12, 5, 15, 15, tzinfo=BERLIN)
    assert event.decoded("DTSTAMP") == datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    # CRLF and lone CR become plain newlines; everything else survives as typed.
    assert str(event["SUMMARY"]) == f"Приём: {AWKWARD_NAME}".replace("\r\n", "\n")
    assert str(event["LOCATION"]) == "Berlin, Hauptstraße 1; 2. Etage"
    assert str(event["DESCRIPTION"]) == (
        "Врач: Dr. Müller, Kardiologie\nВзять с собой: "
        + ("passport, insurance card; old results " * 3).strip()
    )
    assert str(event["UID"]) == "appointment-42@clinic-bot.local"


def test_ics_timezone_describes_the_zone() -> None:
    for starts_at in (
        datetime(2026, 12, 5, 13, 30, tzinfo=UTC),
        datetime(2026, 7, 5, 12, 30, tzinfo=UTC),
    ):
        data = _ics(starts_at=starts_at)
        timezones = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
        assert len(timezones) == 1
        assert str(timezones[0]["TZID"]) == "Europe/Berlin"
        assert isinstance(timezones[0], icalendar.Timezone)
        described = timezones[0].to_tz()
        for moment in (starts_at, starts_at + timedelta(days=150), starts_at - timedelta(days=150)):
            local = moment.astimezone(BERLIN).replace(tzinfo=None)
            assert (
                local.replace(tzinfo=described).utcoffset() == moment.astimezone(BERLIN).utcoffset()
            )
    # Each change starts at the local time in force before it (RFC 5545 3.6.5):
    # 02:00 CET in spring, 03:00 CEST in autumn.
    data = _ics()
    assert b"BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\n" in data
    assert b"BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\n" in data
    summer = _event(_ics(starts_at=datetime(2026, 7, 5, 12, 30, tzinfo=UTC)))
    assert summer.decoded("DTSTART") == datetime(2026, 7, 5, 14, 30, tzinfo=BERLIN)
    assert summer.decoded("DTSTART").utcoffset() == 2 * HOUR


def test_ics_in_moscow() -> None:
    data = _ics(zone=MOSCOW, labels=LABELS_EN, doctor=None, bring="  ")
    event = _event(data)
    assert event.decoded("DTSTART") == datetime(2026, 12, 5, 16, 30, tzinfo=MOSCOW)
    assert b"DTSTART;TZID=Europe/Moscow:20261205T163000\r\n" in data
    assert b"TZOFFSETTO:+0300\r\n" in data
    assert "DESCRIPTION" not in event
    with_doctor = _event(_ics(zone=MOSCOW, labels=labels_for("en"), bring=None))
    assert str(with_doctor["DESCRIPTION"]) == "Doctor: Dr. Müller, Kardiologie"


def test_ics_is_strict_rfc_5545_text() -> None:
    data = _ics(summary="🦷 " * 60 + "Ж" * 80)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    assert any(line.startswith(b" ") for line in lines)
    assert str(_event(data)["SUMMARY"]) == "🦷 " * 60 + "Ж" * 80
    names = [line.split(b":")[0].split(b";")[0] for line in lines if not line.startswith(b" ")]
    for required in (b"PRODID", b"VERSION", b"METHOD", b"UID", b"DTSTAMP", b"DTSTART"):
        assert required in names
    assert b"DTSTAMP:20261204T120000Z\r\n" in data


def test_ics_uid_is_stable_per_request_and_updates_with_sequence() -> None:
    first = _event(_ics(stamp=datetime(2026, 12, 4, tzinfo=UTC)))
    moved = _event(
        _ics(
            starts_at=datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
            stamp=datetime(2026, 12, 5, tzinfo=UTC),
            sequence=1,
        )
    )
    other = _event(_ics(request_id=43, uid_domain="clinic.example"))
    assert str(first["UID"]) == str(moved["UID"])
    assert moved.decoded("SEQUENCE") == 1
    assert str(other["UID"]) == "appointment-43@clinic.example"
    assert ics_filename(42) == "appointment-42.ics"


def test_ics_drops_control_characters_and_refuses_naive_times() -> None:
    event = _event(_ics(summary="Bell\x07 and\ttab"))
    assert str(event["SUMMARY"]) == "Bell and\ttab"
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    with pytest.raises(ValueError, match="aware"):
        _ics(starts_at=datetime(2026, 12, 5, 14, 30))
    with pytest.raises(ValueError, match="domain"):
        _ics(uid_domain="bad domain")

"""Open now or when: the clinic's hours read on its own wall clock, at fixed moments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.opening_hours import (
    ClosedForNow,
    OpeningPeriod,
    OpensAt,
    OpenUntil,
    format_clock,
    hours_on,
    status_at,
)

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_20 = {day: OpeningPeriod.parse("09:00-20:00") for day in range(5)}


def moscow(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Moscow wall time as the UTC moment the bot's clock would give."""
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


def local(status: object) -> tuple[str, str]:
    if isinstance(status, OpenUntil):
        return "open until", f"{status.until:%a %H:%M}"
    if isinstance(status, OpensAt):
        return "opens", f"{status.at:%a %H:%M}"
    return "closed", ""


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday 4 Dec 2026
        (moscow(2026, 12, 4, 12), ("open until", "Fri 20:00")),
        (moscow(2026, 12, 4, 9), ("open until", "Fri 20:00")),  # opening minute counts
        (moscow(2026, 12, 4, 8, 59), ("opens", "Fri 09:00")),
        (moscow(2026, 12, 4, 20), ("opens", "Mon 09:00")),  # closing minute is closed
        (moscow(2026, 12, 5, 12), ("opens", "Mon 09:00")),  # Saturday
        (moscow(2026, 12, 3, 22), ("opens", "Fri 09:00")),  # Thursday evening: tomorrow
    ],
)
def test_weekday_hours(moment: datetime, expected: tuple[str, str]) -> None:
    assert local(status_at(moment, WEEKDAYS_9_TO_20, (), MOSCOW)) == expected


def test_the_answer_is_in_the_clinics_time_not_utc() -> None:
    # 05:30 UTC is 08:30 in Moscow: still closed, opens at 09:00 local (06:00 UTC)
    status = status_at(datetime(2026, 12, 4, 5, 30, tzinfo=UTC), WEEKDAYS_9_TO_20, (), MOSCOW)
    assert isinstance(status, OpensAt)
    assert status.at.tzinfo == MOSCOW
    assert status.at.astimezone(UTC) == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


def test_hours_across_midnight_belong_to_the_day_they_start() -> None:
    night = {4: OpeningPeriod.parse("20:00-02:00")}  # Friday night
    assert local(status_at(moscow(2026, 12, 4, 23), night, (), MOSCOW)) == (
        "open until",
        "Sat 02:00",
    )
    # Saturday 01:00 is still Friday's opening
    assert local(status_at(moscow(2026, 12, 5, 1), night, (), MOSCOW)) == (
        "open until",
        "Sat 02:00",
    )
    assert local(status_at(moscow(2026, 12, 5, 2), night, (), MOSCOW)) == ("opens", "Fri 20:00")
    assert local(status_at(moscow(2026, 12, 4, 19), night, (), MOSCOW)) == ("opens", "Fri 20:00")


def test_touching_periods_read_as_one_opening() -> None:
    hours = {4: OpeningPeriod.parse("18:00-00:00"), 5: OpeningPeriod.parse("00:00-03:00")}
    assert local(status_at(moscow(2026, 12, 4, 19), hours, (), MOSCOW)) == (
        "open until",
        "Sat 03:00",
    )


def test_holidays_close_the_day_and_push_the_next_opening() -> None:
    holidays = {date(2026, 12, 31), date(2027, 1, 1)}  # Thursday, Friday
    # New Year's Eve at noon: closed; the weekend follows, so Monday 4 Jan
    status = status_at(moscow(2026, 12, 31, 12), WEEKDAYS_9_TO_20, holidays, MOSCOW)
    assert isinstance(status, OpensAt)
    assert status.at.date() == date(2027, 1, 4)
    assert format_clock(status.at) == "9:00"
    # the evening before a holiday closes as usual and opens after it
    status = status_at(moscow(2026, 12, 30, 19), WEEKDAYS_9_TO_20, holidays, MOSCOW)
    assert isinstance(status, OpenUntil)
    assert format_clock(status.until) == "20:00"
    assert hours_on(date(2026, 12, 31), WEEKDAYS_9_TO_20, holidays) is None
    assert hours_on(date(2026, 12, 30), WEEKDAYS_9_TO_20, holidays) == WEEKDAYS_9_TO_20[2]


def test_a_holiday_closes_a_night_opening_that_would_start_on_it() -> None:
    night = {3: OpeningPeriod.parse("20:00-02:00")}  # Thursday night
    status = status_at(moscow(2026, 12, 31, 21), night, {date(2026, 12, 31)}, MOSCOW)
    assert isinstance(status, OpensAt)
    assert status.at.date() == date(2027, 1, 7)


def test_no_hours_at_all_is_closed_without_a_date() -> None:
    assert isinstance(status_at(moscow(2026, 12, 4, 12), {}, (), MOSCOW), ClosedForNow)


def test_daylight_saving_change_keeps_the_wall_clock() -> None:
    # Berlin moves to summer time on Sunday 29 March 2026; Monday opens at 09:00 local
    status = status_at(datetime(2026, 3, 28, 20, 0, tzinfo=UTC), WEEKDAYS_9_TO_20, (), BERLIN)
    assert isinstance(status, OpensAt)
    assert f"{status.at:%Y-%m-%d %H:%M}" == "2026-03-30 09:00"
    assert status.at.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["09:00", "9-20", "25:00-26:00", "09:00-09:00", "09:60-20:00"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|not a time of day|same time"):
        OpeningPeriod.parse(text)

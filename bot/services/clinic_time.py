"""The clinic's wall clock: stored UTC moments shown, typed and suggested in local time.

Everything stored is an aware UTC datetime; people read and type the clinic's local time
(`CLINIC_TIMEZONE`). The rules for local times that a daylight-saving change makes odd:

- a local time that does not exist (the hour skipped in spring, e.g. 02:30 on the last
  Sunday of March in Europe/Berlin): `to_utc` moves it forward by the gap (02:30 becomes
  03:30 summer time, the PEP 495 reading); `parse_appointment` refuses it with
  `AppointmentProblem.NONEXISTENT_TIME`, because a typed appointment there is a mistake;
  slot suggestions leave it out;
- a local time that happens twice (the hour repeated in autumn): the first occurrence, i.e.
  still summer time (`fold=0`), everywhere.

Formats for people (no locale library, so they never depend on the host):

- ru: `05.12.2026 14:30`, days as `Сб 05.12`;
- en: `5 Dec 2026, 14:30`, days as `Sat 5 Dec`.

Any locale other than "ru" gets the English forms.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

MONDAY_TO_FRIDAY: frozenset[int] = frozenset(range(5))  # date.weekday() numbers
MAX_LOOKAHEAD_DAYS = 366

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RU_WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")

_DURATION_PART = re.compile(r"(\d{1,5})\s*([dhm])")
_DURATION = re.compile(r"(?:\d{1,5}\s*[dhm]\s*)+")
_UNITS: Mapping[str, timedelta] = MappingProxyType(
    {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


# ---- durations and quiet hours (the settings' value types) ----


def parse_duration(text: str) -> timedelta:
    """A positive duration written as `24h`, `90m`, `1d` or `1h30m` (units d, h, m).

    Raises ValueError for anything else, including zero and bare numbers (a bare `2`
    could mean hours or days).
    """
    cleaned = text.strip().lower()
    if not _DURATION.fullmatch(cleaned):
        raise ValueError(f"not a duration: {text!r}")
    total = timedelta(0)
    for amount, unit in _DURATION_PART.findall(cleaned):
        total += int(amount) * _UNITS[unit]
    if total <= timedelta(0):
        raise ValueError("a duration must be positive")
    return total


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Comma-separated durations (`24h,2h`), largest first, duplicates (`24h,1d`) once.

    An empty text means none. Raises ValueError when a part is not a duration.
    """
    parts = [part for part in text.split(",") if part.strip()]
    return tuple(sorted({parse_duration(part) for part in parts}, reverse=True))


def format_duration(duration: timedelta) -> str:
    """The shortest exact form: `1d`, `2h`, `90m` (`24h` and `1d` both give `1d`)."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_clock(text: str) -> time:
    """`9:00` or `21:00` as a time of day; raises ValueError otherwise."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a time of day: {text!r}")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return time(hour, minute)


@dataclass(frozen=True)
class QuietHours:
    """A daily period, in the clinic's local time, when patients get no messages.

    `start` is inside the period, `end` is not; the period crosses midnight when
    `end <= start` (21:00-09:00). A start equal to the end is refused by `parse`.
    """

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """`21:00-09:00` as quiet hours, empty as None; raises ValueError otherwise."""
        if not text.strip():
            return None
        start_text, separator, end_text = text.partition("-")
        if not separator:
            raise ValueError(f"not a period: {text!r}")
        start, end = parse_clock(start_text), parse_clock(end_text)
        if start == end:
            raise ValueError("quiet hours must start and end at different times")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local_time: time) -> bool:
        if self.start < self.end:
            return self.start <= local_time < self.end
        return local_time >= self.start or local_time < self.end

    def release(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` if it is outside the quiet hours, else the end of that quiet period.

        Works on the local wall clock (a period ending at 09:00 ends at 09:00 local on
        both sides of a daylight-saving change) and returns UTC.
        """
        local = to_clinic(moment, zone)
        if not self.contains(local.time().replace(tzinfo=None)):
            return moment.astimezone(UTC)
        end_day = local.date()
        if local.time() >= self.end:  # in the evening part of a period crossing midnight
            end_day += timedelta(days=1)
        return to_utc(datetime.combine(end_day, self.end), zone)


# ---- conversions and formats ----


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")


def to_clinic(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware moment (stored UTC) as the clinic's local time, tzinfo=zone."""
    _require_aware(moment)
    return moment.astimezone(zone)


def is_nonexistent(wall: datetime, zone: ZoneInfo) -> bool:
    """True when the naive local time `wall` is skipped by a daylight-saving change."""
    local = wall.replace(tzinfo=zone, fold=0)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall.replace(fold=0)


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time in the clinic as an aware UTC moment.

    A repeated (autumn) time gives its first occurrence; a skipped (spring) time is moved
    forward by the gap. An aware `wall` is simply converted.
    """
    if wall.tzinfo is not None:
        _require_aware(wall)
        return wall.astimezone(UTC)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def format_moment(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """`05.12.2026 14:30` (ru) or `5 Dec 2026, 14:30` (en), in the clinic's local time."""
    local = to_clinic(moment, zone)
    if locale == "ru":
        return f"{local:%d.%m.%Y %H:%M}"
    return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def format_day(day: date, locale: str) -> str:
    """A short day label for a button: `Сб 05.12` (ru) or `Sat 5 Dec` (en)."""
    if locale == "ru":
        return f"{_RU_WEEKDAYS[day.weekday()]} {day:%d.%m}"
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}"


def format_clock(moment: datetime, zone: ZoneInfo) -> str:
    """`09:00`: the local time of day, the same in every locale."""
    return f"{to_clinic(moment, zone):%H:%M}"


# ---- what a manager types ----


class AppointmentProblem(StrEnum):
    GARBAGE = "garbage"  # not a date and a time in a shape we know
    IMPOSSIBLE_DATE = "impossible_date"  # 31.04, 29.02.2027, 13th month
    IMPOSSIBLE_TIME = "impossible_time"  # 24:00, 9:60
    NONEXISTENT_TIME = "nonexistent_time"  # skipped by a daylight-saving change
    IN_THE_PAST = "in_the_past"
    TOO_FAR = "too_far"  # more than `max_ahead` away: most likely a typo in the year


_DAY_MONTH = r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})(?:\.(?P<year>\d{4}|\d{2}))?"
_ISO_DATE = r"(?P<iso_year>\d{4})-(?P<iso_month>\d{1,2})-(?P<iso_day>\d{1,2})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
_APPOINTMENT = re.compile(rf"(?:{_DAY_MONTH}|{_ISO_DATE})(?:\s*,\s*|\s+|T){_TIME}")


def parse_appointment(
    text: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    max_ahead: timedelta = timedelta(days=MAX_LOOKAHEAD_DAYS),
) -> datetime | AppointmentProblem:
    """The UTC moment of an appointment typed in the clinic's local time, or why not.

    Accepted: `05.12 14:30`, `5.12 9:00`, `05.12.2026 14:30`, `05.12.26 14:30`,
    `2026-12-05 14:30` (also `2026-12-05T14:30`, and a comma after the date). A date
    without a year is this year's if that day has not passed yet (today counts), else next
    year's. Refused: moments at or before `now`, later than `now + max_ahead`, dates and
    times that do not exist, and anything else.
    """
    _require_aware(now)
    match = _APPOINTMENT.fullmatch(text.strip())
    if match is None:
        return AppointmentProblem.GARBAGE
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        return AppointmentProblem.IMPOSSIBLE_TIME
    today = to_clinic(now, zone).date()
    if match["iso_year"] is not None:
        year, month, day = int(match["iso_year"]), int(match["iso_month"]), int(match["iso_day"])
    else:
        month, day = int(match["month"]), int(match["day"])
        if match["year"] is None:
            year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
        else:
            year = int(match["year"])
            if year < 100:
                year += 2000
    try:
        wall = datetime(year, month, day, hour, minute)
    except ValueError:
        return AppointmentProblem.IMPOSSIBLE_DATE
    if is_nonexistent(wall, zone):
        return AppointmentProblem.NONEXISTENT_TIME
    moment = to_utc(wall, zone)
    if moment <= now:
        return AppointmentProblem.IN_THE_PAST
    if moment > now + max_ahead:
        return AppointmentProblem.TOO_FAR
    return moment


# ---- quick-pick suggestions ----


@dataclass(frozen=True)
class SlotGrid:
    """Appointment times offered on a day: `first` to `last` inclusive, every `step`."""

    first: time = time(9, 0)
    last: time = time(18, 0)
    step: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.step <= timedelta(0):
            raise ValueError("the step between slots must be positive")
        if self.last < self.first:
            raise ValueError("the last slot must not be before the first")

    def walls(self, day: date) -> list[datetime]:
        """The naive local wall times of the grid on `day`."""
        moments: list[datetime] = []
        wall = datetime.combine(day, self.first)
        end = datetime.combine(day, self.last)
        while wall <= end:
            moments.append(wall)
            wall += self.step
        return moments


def day_slots(
    day: date, *, now: datetime, zone: ZoneInfo, grid: SlotGrid | None = None
) -> list[datetime]:
    """The grid's times on `day` still in the future, as local aware datetimes (tzinfo=zone).

    Times skipped by a daylight-saving change are left out; a repeated time appears once
    (its first occurrence).
    """
    _require_aware(now)
    slots: list[datetime] = []
    for wall in (grid or SlotGrid()).walls(day):
        if is_nonexistent(wall, zone):
            continue
        if to_utc(wall, zone) > now:
            slots.append(wall.replace(tzinfo=zone, fold=0))
    return slots


def next_working_days(
    *,
    now: datetime,
    zone: ZoneInfo,
    count: int = 5,
    closed: Collection[date] = (),
    weekdays: Collection[int] = MONDAY_TO_FRIDAY,
    grid: SlotGrid | None = None,
) -> list[date]:
    """The next `count` local working days that still have a free-to-offer slot.

    Working days are `weekdays` (date.weekday(): 0 = Monday), minus `closed` dates; today
    counts only while some slot of the grid is still ahead. Looks at most a year ahead.
    """
    _require_aware(now)
    days: list[date] = []
    today = to_clinic(now, zone).date()
    for ahead in range(MAX_LOOKAHEAD_DAYS + 1):
        if len(days) >= count:
            break
        day = today + timedelta(days=ahead)
        if day.weekday() not in weekdays or day in closed:
            continue
        if ahead == 0 and not day_slots(day, now=now, zone=zone, grid=grid):
            continue
        days.append(day)
    return days

"""Is a branch open right now, and if not, when does it open: the clinic's wall clock.

Hours are written per weekday in the clinic's local time (`mon = "09:00-20:00"`); a day
without hours is closed, and so is every date in the holiday list. A period whose end is not
after its start crosses midnight (`"20:00-02:00"` on Friday ends at 02:00 on Saturday) and
belongs to the day it starts on: a holiday closes the periods that start on it. Periods that
touch (Friday until 00:00, Saturday from 00:00) read as one opening.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.clinic_time import parse_clock, to_clinic, to_utc

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Keys of the `hours` table, in `date.weekday()` order."""

LOOKAHEAD_DAYS = 366  # a clinic closed for longer than a year is "closed", without a date


@dataclass(frozen=True, slots=True)
class OpeningPeriod:
    """One day's opening, local wall times; `end <= start` means it ends the next day."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> OpeningPeriod:
        """`09:00-20:00` (or `20:00-02:00` across midnight); ValueError otherwise."""
        start_text, separator, end_text = text.partition("-")
        if not separator:
            raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
        start, end = parse_clock(start_text), parse_clock(end_text)
        if start == end:
            raise ValueError(f"{text!r} opens and closes at the same time")
        return cls(start, end)

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class OpenUntil:
    """Open now; closes at `until` (local time, tzinfo = the clinic's zone)."""

    until: datetime


@dataclass(frozen=True, slots=True)
class OpensAt:
    """Closed now; opens at `at` (local time, tzinfo = the clinic's zone)."""

    at: datetime


@dataclass(frozen=True, slots=True)
class ClosedForNow:
    """Closed, with no opening within a year (no hours at all, or a long holiday list)."""


OpeningStatus = OpenUntil | OpensAt | ClosedForNow


def _intervals(
    first_day: date,
    days: int,
    hours: Mapping[int, OpeningPeriod],
    holidays: Collection[date],
    zone: ZoneInfo,
) -> Iterator[tuple[datetime, datetime]]:
    """UTC (start, end) of every opening starting on `first_day` and the `days` after it, in
    order, made as they are asked for: the status needs the next few days, not a year's."""
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        period = hours.get(day.weekday())
        if period is None or day in holidays:
            continue
        end_day = day + timedelta(days=1) if period.crosses_midnight else day
        start = to_utc(datetime.combine(day, period.start), zone)
        end = to_utc(datetime.combine(end_day, period.end), zone)
        if end > start:  # a daylight-saving change could swallow a very short period
            yield start, end


def status_at(
    moment: datetime,
    hours: Mapping[int, OpeningPeriod],
    holidays: Collection[date],
    zone: ZoneInfo,
) -> OpeningStatus:
    """Whether a branch with these weekly `hours` (date.weekday() -> period) is open at `moment`.

    `moment` is an aware datetime (stored UTC); the answer's times are local to `zone`.
    """
    today = to_clinic(moment, zone).date()
    # yesterday's period may still run past midnight
    intervals = _intervals(today - timedelta(days=1), LOOKAHEAD_DAYS, hours, holidays, zone)
    for start, end in intervals:
        if start <= moment < end:
            # Openings that run on without a break (a night shift after a day one) extend it.
            for next_start, next_end in intervals:
                if next_start > end:
                    break
                end = max(end, next_end)
            return OpenUntil(to_clinic(end, zone))
        if start > moment:
            return OpensAt(to_clinic(start, zone))
    return ClosedForNow()


def hours_on(
    day: date, hours: Mapping[int, OpeningPeriod], holidays: Collection[date]
) -> OpeningPeriod | None:
    """The period a branch opens for on `day`, or None if it is closed that day."""
    if day in holidays:
        return None
    return hours.get(day.weekday())


def format_clock(moment: time | datetime) -> str:
    """`9:00`, `20:00`: how people write a time of day in both our languages."""
    return f"{moment.hour}:{moment.minute:02d}"

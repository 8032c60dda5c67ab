"""Whether the clinic is open, when it opens next, and how much working time has passed.

The clinic is open while any of its branches is (hours from `clinic.toml`, with staff's
overrides, in the clinic's timezone; holidays close every branch). A clinic without branches
lists no hours: it counts as always open, so nobody is told "we're closed" on a guess.

"Working time" is wall time with the closed hours left out: the clock of a request waiting
to be taken stops at night, on a holiday, and starts again when the clinic opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.content import ClinicDetails
from bot.services.clinic_time import format_day
from bot.services.opening_hours import (
    OpensAt,
    OpenUntil,
    format_clock,
    status_at,
)

MAX_STEPS = 1000
"""Openings walked through at most when adding up working time (years of them)."""


class NextDay(StrEnum):
    """How the day of the next opening reads to the patient."""

    TODAY = "today"
    TOMORROW = "tomorrow"
    LATER = "later"


@dataclass(frozen=True, slots=True)
class ClosedNow:
    """The clinic is closed at the moment asked about; `opens` is local (None: not within a
    year)."""

    opens: datetime | None

    def day(self, now: datetime) -> NextDay:
        if self.opens is None:
            return NextDay.LATER
        today = now.astimezone(self.opens.tzinfo).date()
        if self.opens.date() == today:
            return NextDay.TODAY
        if self.opens.date() == today + timedelta(days=1):
            return NextDay.TOMORROW
        return NextDay.LATER


def clinic_status(
    clinic: ClinicDetails, moment: datetime, zone: ZoneInfo
) -> OpenUntil | ClosedNow | None:
    """Open (until when, local), closed (opening when), or None: the clinic lists no hours."""
    if not clinic.branches:
        return None
    statuses = [status_at(moment, b.hours, clinic.holidays, zone) for b in clinic.branches]
    open_until = [s.until for s in statuses if isinstance(s, OpenUntil)]
    if open_until:
        return OpenUntil(max(open_until))
    opening = [s.at for s in statuses if isinstance(s, OpensAt)]
    return ClosedNow(min(opening) if opening else None)


def closed_at(clinic: ClinicDetails, moment: datetime, zone: ZoneInfo) -> ClosedNow | None:
    """The clinic's closure at `moment`, or None while it is open (or lists no hours)."""
    status = clinic_status(clinic, moment, zone)
    return status if isinstance(status, ClosedNow) else None


def working_time(
    clinic: ClinicDetails, start: datetime, end: datetime, zone: ZoneInfo
) -> timedelta:
    """The opening hours between `start` and `end` (wall time when no hours are listed)."""
    if end <= start:
        return timedelta(0)
    if not clinic.branches:
        return end - start
    total = timedelta(0)
    moment = start
    for _ in range(MAX_STEPS):
        if moment >= end:
            break
        status = clinic_status(clinic, moment, zone)
        if isinstance(status, OpenUntil):
            until = min(status.until, end)
            total += until - moment
            moment = until
        elif isinstance(status, ClosedNow) and status.opens is not None:
            moment = status.opens
        else:  # closed for a year and more: no working time left in the window
            break
    return total


def closed_notice(closed: ClosedNow, now: datetime, locale: str) -> tuple[str, dict[str, str]]:
    """The Fluent key and arguments of "we're closed now; we'll be back {day} after {time}"."""
    if closed.opens is None:
        return "hours-closed-unknown", {}
    day = closed.day(now)
    arguments = {"time": format_clock(closed.opens)}
    if day == NextDay.LATER:
        arguments["date"] = format_day(closed.opens.date(), locale)
    return f"hours-closed-{day.value}", arguments

"""What time it is: the one source of "now" for everything time-driven.

Services, storage and the delivery loop take a `Clock` instead of calling `datetime.now`,
so that tests (and the preview page) can move time forward without sleeping. Times are
aware and in UTC; only what a person reads is converted to the clinic's timezone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current moment, timezone-aware, in UTC."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: for tests and the preview's time controls."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or utc_now()).astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

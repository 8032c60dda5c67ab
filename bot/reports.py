"""Reports give way to patients: a large export works in the gaps of their updates.

An export reads on its own connection (`Database.read`: a pooled connection; SQLite's WAL
lets it read beside the writer), but it turns rows into zipped CSV in the event loop that
handles patients too. Flat out, each of its slices delays every database round trip of a
patient's update, and the writes, one at a time on SQLite, queue up behind each other: a
200,000-row export held patients' replies up for seconds (bench/export_load.py). So
between slices the export checks whether other updates are being handled and, if so,
pauses long enough to take at most `share` of the time; with nobody waiting it runs at full
speed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.middlewares import UpdatesInFlight

REPORT_SHARE = 0.1


class ReportPacing:
    """Awaited by a report between two slices of its work (`export_for_staff`'s `pause`)."""

    def __init__(
        self,
        updates_in_flight: UpdatesInFlight,
        *,
        share: float = REPORT_SHARE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._in_flight = updates_in_flight
        self._rest_per_work = (1.0 - share) / share
        self._sleep = sleep
        self._monotonic = monotonic
        self._resumed: float | None = None

    async def __call__(self) -> None:
        now = self._monotonic()
        worked = 0.0 if self._resumed is None else now - self._resumed
        # The report's own update is one of those in flight.
        if self._in_flight.running > 1:
            await self._sleep(worked * self._rest_per_work)
        else:
            await self._sleep(0)
        self._resumed = self._monotonic()

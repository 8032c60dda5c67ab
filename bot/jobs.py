"""Time-driven work (retention, reminders, escalations, ...) run every few seconds or hours.

Each job is a plain async function that does one pass and returns; `PeriodicJobs` runs every
registered job in its own loop while the bot runs. A job that has something to tell someone
queues it in the outbox (which paces, retries and sends once across instances), so no job
holds the `Bot`. Tests skip the loops: they set a `ManualClock` and call `run_all_once()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

JobPass = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    interval_seconds: float
    run_once: JobPass


class PeriodicJobs:
    """The bot's periodic jobs; started with the dispatcher and stopped before the outbox."""

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, name: str, interval_seconds: float, run_once: JobPass) -> None:
        if any(job.name == name for job in self._jobs):
            raise ValueError(f"a job named {name!r} is already registered")
        self._jobs.append(Job(name, interval_seconds, run_once))

    @property
    def names(self) -> list[str]:
        return [job.name for job in self._jobs]

    async def run_all_once(self) -> None:
        """One pass of every job, in the order they were added (what a test drives)."""
        for job in self._jobs:
            await job.run_once()

    def start(self) -> None:
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._loop(job), name=f"job:{job.name}") for job in self._jobs
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @staticmethod
    async def _loop(job: Job) -> None:
        while True:
            try:
                await job.run_once()
            except Exception:
                # Logged and tried again at the next interval: one bad pass stops nothing.
                logger.exception("Periodic job %s failed", job.name)
            await asyncio.sleep(job.interval_seconds)

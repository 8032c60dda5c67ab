"""Retention: personal data of closed requests is erased after RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.clock import Clock, utc_now
from storage.repositories import PatientRepository

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 60 * 60


class RetentionTask:
    """Runs at start and then once a day."""

    def __init__(
        self,
        patient_repo: PatientRepository,
        days: int,
        *,
        clock: Clock = utc_now,
        interval_seconds: float = DAY_SECONDS,
    ) -> None:
        self._patients = patient_repo
        self._days = days
        self._clock = clock
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> list[int]:
        cutoff = self._clock() - timedelta(days=self._days)
        erased = await self._patients.erase_expired(cutoff)
        if erased:
            logger.info("Retention erased personal data of %d closed requests", len(erased))
        return erased

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("Retention run failed")
            await asyncio.sleep(self._interval)

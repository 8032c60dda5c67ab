"""Retention: personal data of closed requests is erased after RETENTION_DAYS."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock, utc_now
from storage.repositories import PatientRepository

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 60 * 60


class RetentionTask:
    """One pass erases what has expired; the bot runs it at start and then once a day
    (`bot.jobs`)."""

    def __init__(
        self,
        patient_repo: PatientRepository,
        days: int,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._patients = patient_repo
        self._days = days
        self._clock = clock

    async def run_once(self) -> list[int]:
        cutoff = self._clock() - timedelta(days=self._days)
        erased = await self._patients.erase_expired(cutoff)
        if erased:
            logger.info("Retention erased personal data of %d closed requests", len(erased))
        return erased

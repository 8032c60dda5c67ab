"""Prometheus metrics and the health check, one registry per application (tests run many)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage.repositories import OutboxRepository


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "clinic_bot_updates",
            "Updates handled, by type",
            ["type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "clinic_bot_handler_seconds",
            "Time spent handling one update",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "clinic_bot_outbox_pending",
            "Messages waiting for the manager chat",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "clinic_bot_outbox_oldest_age_seconds",
            "Age of the oldest message waiting for the manager chat",
            registry=self.registry,
        )
        self.send_errors = Counter(
            "clinic_bot_send_errors",
            "Failed deliveries to the manager chat, by Telegram error code",
            ["code"],
            registry=self.registry,
        )

    async def refresh(self, outbox_repo: OutboxRepository) -> tuple[int, float]:
        count, rows = await outbox_repo.outbox_overview(limit=1)
        age = (datetime.now(UTC) - rows[0].created_at).total_seconds() if rows else 0.0
        self.outbox_pending.set(count)
        self.outbox_oldest_age.set(age)
        return count, age

    async def render(self, outbox_repo: OutboxRepository) -> bytes:
        await self.refresh(outbox_repo)
        return generate_latest(self.registry)


class MetricsMiddleware(BaseMiddleware):
    """Counts every update by type and times its handling (outer middleware on updates)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        self._metrics.updates.labels(type=kind).inc()
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self._metrics.latency.observe(time.perf_counter() - started)

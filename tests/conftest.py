"""Fixtures: a fake Telegram Bot API server on 127.0.0.1 and the real bot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application
from bot.outbox import OutboxTiming
from bot.preview.emulator import TEST_TOKEN, FakeTelegramServer
from bot.settings import Settings
from storage import Storage

MANAGER_CHAT_ID = -1001234567890


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer()
    await server.start()
    server.group(MANAGER_CHAT_ID, "Clinic managers")
    try:
        yield server
    finally:
        await server.stop()


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path, telegram: FakeTelegramServer) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": TEST_TOKEN,
            "manager_chat_id": MANAGER_CHAT_ID,
            "telegram_api_url": telegram.base_url,
            "database_url": f"sqlite:///{tmp_path}/data/clinic.db",
            # Tests type faster than any patient; flood protection has its own test.
            "throttle_limit": 10_000,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


# The real sender with its delays shrunk, so an outage of minutes takes a second.
FAST_OUTBOX = OutboxTiming(
    poll_seconds=0.2,
    retry_base_seconds=0.05,
    max_backoff_seconds=0.4,
    per_chat_limit=20,
    per_chat_window_seconds=1.0,
)


class RunningBot:
    """The real application, long polling the fake server; can be stopped and started again."""

    def __init__(
        self, settings: Settings, server: FakeTelegramServer, timing: OutboxTiming = FAST_OUTBOX
    ) -> None:
        self.settings = settings
        self.timing = timing
        self.server = server
        self.app: Application | None = None
        self._task: Any = None

    @property
    def storage(self) -> Storage:
        assert self.app is not None
        return self.app.storage

    async def start(self) -> None:
        import asyncio

        since = self.server.mark()
        self.app = await Application.create(self.settings, timing=self.timing)
        self._task = asyncio.create_task(self.app.run_polling(handle_signals=False))
        # aiogram calls getMe after the startup hooks (commands, seeding) and right before
        # polling; updates sent from now on are queued until getUpdates collects them.
        await self.server.wait_for_call("getMe", since=since, timeout=10)

    async def stop(self) -> None:
        if self.app is None:
            return
        await self.app.stop()
        await self._task
        await self.app.close()
        self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def clinic(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[RunningBot]:
    running = RunningBot(make_settings(), telegram)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()

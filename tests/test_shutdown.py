"""A restart loses no update in flight: a handler running when the bot is told to stop
finishes, and its answer reaches the patient, before the connection to Telegram closes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest

from bot import app as app_module
from bot.app import Application
from bot.preview.emulator import FakeTelegramServer
from tests.conftest import FAST_OUTBOX, RunningBot, SettingsFactory
from tests.e2e import patient
from tests.servers import free_port

SECRET = "s3cret-token_42"


def _update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_780_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Web"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Web", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_stop_lets_a_running_handler_finish_and_answer(
    clinic: RunningBot, telegram: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    user = await patient(telegram, 5100, "Ivan", language_code="en")
    # Telegram asks the bot to wait a second before answering this patient: the handler
    # is in the middle of its work (waiting to retry) when the stop comes.
    telegram.fail("sendMessage", retry_after=1, chat_id=user.id)
    since = telegram.mark()
    telegram.send_text(user, "/help")
    await telegram.wait_for_call(
        "sendMessage",
        lambda call: call.params.get("chat_id") == user.id and not call.ok,
        since=since,
    )
    caplog.set_level(logging.INFO)

    await clinic.stop()

    delivered = [
        call
        for call in telegram.calls[since:]
        if call.method == "sendMessage" and call.ok and call.params.get("chat_id") == user.id
    ]
    assert len(delivered) == 1
    failures = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert failures == []


async def test_stop_in_webhook_mode_lets_a_running_handler_finish(
    make_settings: SettingsFactory, telegram: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = make_settings(
        webhook_url=f"https://127.0.0.1:{port}", webhook_secret=SECRET, web_port=port
    )
    app = await Application.create(settings, timing=FAST_OUTBOX)
    serving = asyncio.create_task(app.run_webhook(handle_signals=False))
    try:
        await telegram.wait_for_call("setWebhook", timeout=10)
        user = telegram.private_user(5200, "Web", language_code="en")
        telegram.fail("sendMessage", retry_after=1, chat_id=user.id)
        since = telegram.mark()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/webhook",
                json=_update(1, user.id, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response,
        ):
            assert response.status == 200  # aiogram answers at once, handles in background
        await telegram.wait_for_call(
            "sendMessage",
            lambda call: call.params.get("chat_id") == user.id and not call.ok,
            since=since,
        )
        caplog.set_level(logging.INFO)
        await app.stop()
        await serving
        # Answered by the time the bot has stopped, not by a task left behind.
        delivered = [
            call
            for call in telegram.calls[since:]
            if call.method == "sendMessage" and call.ok and call.params.get("chat_id") == user.id
        ]
        assert len(delivered) == 1
        assert "Hello, Web!" in delivered[0].params["text"]
    finally:
        await app.close()
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


async def test_a_handler_that_outlasts_the_grace_period_does_not_hold_the_stop(
    clinic: RunningBot,
    telegram: FakeTelegramServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "SHUTDOWN_GRACE_SECONDS", 0.1)
    user = await patient(telegram, 5300, "Ivan", language_code="en")
    telegram.fail("sendMessage", retry_after=2, chat_id=user.id)
    since = telegram.mark()
    telegram.send_text(user, "/help")
    await telegram.wait_for_call(
        "sendMessage",
        lambda call: call.params.get("chat_id") == user.id and not call.ok,
        since=since,
    )
    await clinic.stop()
    assert "still being handled" in caplog.text

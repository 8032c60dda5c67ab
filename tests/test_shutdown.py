"""A restart loses no update in flight: a handler running when the bot is told to stop
finishes, and its answer reaches the patient, before the connection to Telegram closes."""

from __future__ import annotations

import logging

import pytest

from bot.preview.emulator import FakeTelegramServer
from tests.conftest import RunningBot
from tests.e2e import patient


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

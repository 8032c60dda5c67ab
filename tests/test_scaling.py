"""Beyond one machine: webhook mode, Redis-backed forms, flood protection, health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Application, run
from bot.preview.emulator import FakeTelegramServer
from tests.conftest import FAST_OUTBOX, RunningBot, SettingsFactory
from tests.e2e import patient, press, say, tap
from tests.servers import free_port, redis_server

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
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]
            if text.startswith("/")
            else [],
        },
    }


@pytest.fixture
async def webhook_bot(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[tuple[Application, str]]:
    port = free_port()
    settings = make_settings(
        webhook_url=f"https://127.0.0.1:{port}", webhook_secret=SECRET, web_port=port
    )
    app = await Application.create(settings, timing=FAST_OUTBOX)
    task = asyncio.create_task(app.run_webhook(handle_signals=False))
    await telegram.wait_for_call("setWebhook", timeout=10)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        await app.stop()
        await task
        await app.close()


async def test_webhook_checks_telegrams_secret(
    webhook_bot: tuple[Application, str], telegram: FakeTelegramServer
) -> None:
    _, base = webhook_bot
    registered = telegram.calls_of("setWebhook")[-1].params
    assert registered["url"] == base.replace("http:", "https:") + "/webhook"
    assert registered["secret_token"] == SECRET
    telegram.private_user(4242, "Web", language_code="en")
    async with aiohttp.ClientSession() as http:
        wrong_secrets = ("wrong", "s3cret-token_42\u00e9", "секрет")  # non-ASCII: 401, not 500
        for headers in ({}, *({"X-Telegram-Bot-Api-Secret-Token": s} for s in wrong_secrets)):
            async with http.post(
                f"{base}/webhook", json=_update(1, 4242, "/start"), headers=headers
            ) as response:
                assert response.status == 401
        since = telegram.mark()
        async with http.post(
            f"{base}/webhook",
            json=_update(2, 4242, "/start"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response:
            assert response.status == 200
        await telegram.wait_for_message(4242, "Hello, Web!", since=since)
        # No wait for nothing to happen: the refused /starts came first and would have been
        # answered by now; the only greeting the user has is the accepted one's.
        greetings = [
            call
            for call in telegram.calls_of("sendMessage")
            if call.params["chat_id"] == 4242 and "Hello, Web!" in str(call.params.get("text"))
        ]
        assert len(greetings) == 1

        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
            health = await response.json()
        assert health["database"] == "ok"
        assert health["outbox_pending"] == 0
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            exposition = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(exposition)}
    updates = {
        sample.labels["type"]: sample.value
        for sample in families["clinic_bot_updates"].samples
        if sample.name == "clinic_bot_updates_total"
    }
    assert updates == {"message": 1.0}  # the refused ones were never processed
    assert "clinic_bot_handler_seconds" in families
    assert "clinic_bot_outbox_pending" in families
    assert "clinic_bot_outbox_oldest_age_seconds" in families
    assert "clinic_bot_send_errors" in families


async def test_drop_webhook_removes_it_and_exits(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    await asyncio.wait_for(run(make_settings(), drop_webhook=True), timeout=10)
    assert telegram.calls_of("deleteWebhook")
    assert not telegram.calls_of("getUpdates")


async def test_metrics_port_in_polling_mode(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    port = free_port()
    running = RunningBot(make_settings(metrics_port=port), telegram)
    await running.start()
    try:
        user = await patient(telegram, 31, "Макс")
        assert user
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
        families = {f.name for f in text_string_to_metric_families(text)}
        assert "clinic_bot_updates" in families
        # A failed delivery to the manager chat is counted by its code.
        telegram.fail("sendMessage", status=502, times=1, chat_id=-1001234567890)
        await say(telegram, user, "Вопрос врачу", "Передали")
        await telegram.wait_for_message(-1001234567890, "Вопрос врачу")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            text = await response.text()
        errors = {
            sample.labels["code"]: sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "clinic_bot_send_errors"
            for sample in family.samples
            if sample.name == "clinic_bot_send_errors_total"
        }
        assert errors == {"5xx": 1.0}
    finally:
        await running.stop()


async def test_flood_is_answered_once_then_dropped(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    running = RunningBot(make_settings(throttle_limit=3, throttle_window_seconds=60), telegram)
    await running.start()
    try:
        user = telegram.private_user(32, "Спамер")
        since = telegram.mark()
        for _ in range(8):
            telegram.send_text(user, "/help")
        # The notice answers the 4th message; only then is "nothing more" worth checking.
        await telegram.wait_for_message(32, "слишком часто", since=since, timeout=30)
        await telegram.wait_idle()
        replies = [
            c.params["text"]
            for c in telegram.calls[since:]
            if c.method == "sendMessage" and c.params["chat_id"] == 32
        ]
        assert sum("Что я умею" in text for text in replies) == 3
        assert sum("слишком часто" in text for text in replies) == 1
        assert len(replies) == 4
    finally:
        await running.stop()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


async def test_form_started_on_one_instance_is_finished_on_another(
    make_settings: SettingsFactory, telegram: FakeTelegramServer, tmp_path: Path, redis_url: str
) -> None:
    first = RunningBot(
        make_settings(redis_url=redis_url, database_url=f"sqlite:///{tmp_path}/a.db"), telegram
    )
    second = RunningBot(
        make_settings(redis_url=redis_url, database_url=f"sqlite:///{tmp_path}/b.db"), telegram
    )
    await first.start()
    user = await patient(telegram, 33, "Нина")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, "Нина", "Ваш телефон")
    await first.stop()
    # Another process, another database: only Redis carries the form across.
    await second.start()
    try:
        await say(telegram, user, "+7 916 555-44-33", "Когда вам удобно")
        await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
        await press(telegram, user, "⏭ Пропустить", "Согласие")
        summary = await press(telegram, user, "✅ Согласен(на)", "Проверьте")
        assert "Имя: Нина" in summary["text"]
        assert "Массаж стопы" in summary["text"]
        await press(telegram, user, "✅ Подтвердить", "№ 1")
        stored = await second.storage.requests.get_request(1)
        assert stored is not None
        assert stored.name == "Нина"
    finally:
        await second.stop()

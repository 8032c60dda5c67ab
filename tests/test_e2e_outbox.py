"""The manager-chat outbox against an unreliable Bot API server: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from bot.outbox import OutboxSender
from bot.preview.emulator import FakeTelegramServer
from storage.models import NewRequest, OutboxMessage
from tests.conftest import MANAGER_CHAT_ID, RunningBot
from tests.e2e import manager_cards, outbox_drained, patient, press, say, tap


async def _book(telegram: FakeTelegramServer, user_id: int, name: str) -> None:
    user = await patient(telegram, user_id, name)
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, name, "Ваш телефон")
    await say(telegram, user, "+7 916 000-00-01", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    await press(telegram, user, "⏭ Пропустить", "Согласие")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    await press(telegram, user, "✅ Подтвердить", "принята")


async def _store_request(clinic: RunningBot, name: str) -> int:
    request = NewRequest(
        user_id=1,
        locale="ru",
        service_id=None,
        name=name,
        phone="+79160000001",
        preferred_time="утром",
        complaint=None,
        consent_version="v",
        consented_at=datetime.now(UTC),
    )

    def card(request_id: int) -> OutboxMessage:
        return OutboxMessage("request", request_id, MANAGER_CHAT_ID, None, f"card {name}")

    request_id = await clinic.storage.requests.create_request(request, card)
    assert clinic.app is not None
    outbox: OutboxSender = clinic.app.dispatcher["outbox"]
    outbox.wake()
    return request_id


class ManagerChatOutage:
    """Answers every send into the manager chat with an error while `down` is set."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        self.down = True
        self.refused = 0
        self._status = status
        self._description = description
        self._retry_after = retry_after

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if not self.down or method.lower() != "sendmessage":
            return None
        if params.get("chat_id") != MANAGER_CHAT_ID:
            return None
        self.refused += 1
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self._status,
            "description": self._description,
        }
        if self._retry_after is not None:
            body["parameters"] = {"retry_after": self._retry_after}
        return self._status, body


async def _wait_for_cards(telegram: FakeTelegramServer, count: int, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(manager_cards(telegram, MANAGER_CHAT_ID)) < count:
        assert loop.time() < deadline, manager_cards(telegram, MANAGER_CHAT_ID)
        await asyncio.sleep(0.05)


async def test_patient_is_answered_during_an_outage_and_card_follows(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    outage = ManagerChatOutage(502, "Bad Gateway")
    telegram.responder = outage
    await _book(telegram, 801, "Анна")  # the patient gets a number while the chat is down
    while outage.refused < 4:  # retried, with backoff, not given up
        await asyncio.sleep(0.05)
    assert manager_cards(telegram, MANAGER_CHAT_ID) == []
    outage.down = False
    await _wait_for_cards(telegram, 1)
    await telegram.wait_idle()
    cards = manager_cards(telegram, MANAGER_CHAT_ID)
    assert len(cards) == 1
    assert "Анна" in cards[0]["text"]
    await outbox_drained(clinic.storage.outbox)


class RefusedOnceWithRetryAfter:
    """Refuses the first card with "retry after N s" and, like a strict Telegram, answers
    any post into the manager chat that arrives before those N seconds have passed with
    another 429, counting it (by the times the server receives the requests)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.refused = 0
        self.early = 0
        self._closed_until: float | None = None

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method.lower() != "sendmessage" or params.get("chat_id") != MANAGER_CHAT_ID:
            return None
        now = time.monotonic()
        if self._closed_until is None:
            self._closed_until = now + self.retry_after
        elif now >= self._closed_until:
            return None
        else:
            self.early += 1
        self.refused += 1
        body = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {self.retry_after}",
            "parameters": {"retry_after": self.retry_after},
        }
        return 429, body


async def test_retry_after_is_honoured(clinic: RunningBot, telegram: FakeTelegramServer) -> None:
    telegram.responder = strict = RefusedOnceWithRetryAfter(retry_after=1)
    await _store_request(clinic, "Пётр")
    await _wait_for_cards(telegram, 1)
    await telegram.wait_idle()

    # Refused once, then not one request before Telegram's retry_after had passed.
    assert strict.refused == 1
    assert strict.early == 0
    cards = manager_cards(telegram, MANAGER_CHAT_ID)
    assert [card["text"] for card in cards] == ["card Пётр"]
    await outbox_drained(clinic.storage.outbox)


async def test_order_is_kept_after_an_outage(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    outage = ManagerChatOutage(500, "Internal Server Error")
    telegram.responder = outage
    for name in ("первая", "вторая", "третья"):
        await _store_request(clinic, name)
    while outage.refused < 3:
        await asyncio.sleep(0.05)
    outage.down = False
    await _wait_for_cards(telegram, 3)
    assert [c["text"] for c in manager_cards(telegram, MANAGER_CHAT_ID)] == [
        "card первая",
        "card вторая",
        "card третья",
    ]


async def test_pending_cards_are_delivered_after_restart(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    outage = ManagerChatOutage(403, "Forbidden: bot was kicked from the supergroup chat")
    telegram.responder = outage
    await _book(telegram, 802, "Мария")
    while outage.refused < 1:
        await asyncio.sleep(0.05)
    await clinic.stop()
    outage.down = False  # the clinic added the bot back while it was stopped
    await clinic.start()
    await _wait_for_cards(telegram, 1)
    await telegram.wait_idle()
    cards = manager_cards(telegram, MANAGER_CHAT_ID)
    assert len(cards) == 1
    assert "Мария" in cards[0]["text"]


async def test_network_failure_is_retried(clinic: RunningBot, telegram: FakeTelegramServer) -> None:
    telegram.fail("sendMessage", status=504, times=2, chat_id=MANAGER_CHAT_ID)
    await _store_request(clinic, "Олег")
    await _wait_for_cards(telegram, 1)
    await outbox_drained(clinic.storage.outbox)

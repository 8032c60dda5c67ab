"""Delivery to the manager chat under load, outages, a lost chat and restarts, time compressed.

FAST_OUTBOX allows 20 messages per 1.0 s into one chat: Telegram's 20 per minute, 60x faster.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.outbox import OutboxSender
from bot.preview.emulator import ApiCall, FakeTelegramServer
from storage.models import NewRequest, OutboxMessage
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory

# Compressed Telegram limit for one group, as FAST_OUTBOX paces it.
LIMIT = 20
WINDOW = 1.0
# Arrival times at the server jitter by a few ms against the bot's own clock (they share one
# event loop); a window this much shorter keeps the check strict but not flaky.
JITTER = 0.03
KICKED = "Forbidden: bot was kicked from the supergroup chat"
SENDS = ("sendmessage", "copymessage")

Reply = tuple[int, dict[str, Any]]


# --------------------------------------------------------------------------- helpers


def _outbox(clinic: RunningBot) -> OutboxSender:
    assert clinic.app is not None
    outbox: OutboxSender = clinic.app.dispatcher["outbox"]
    return outbox


async def _store(clinic: RunningBot, number: int) -> int:
    """A request written as the booking form writes it: the row and its card together."""
    request = NewRequest(
        user_id=1,
        locale="ru",
        service_id=None,
        name=f"Пациент {number}",
        phone="+79160000001",
        preferred_time="утром",
        complaint=None,
        consent_version="v",
        consented_at=datetime.now(UTC),
    )

    def card(request_id: int) -> OutboxMessage:
        return OutboxMessage("request", request_id, MANAGER_CHAT_ID, None, f"card {number}")

    request_id = await clinic.repository.create_request(request, card)
    _outbox(clinic).wake()
    return request_id


def _error(status: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


def _is_card_send(method: str, params: dict[str, Any]) -> bool:
    return method.lower() in SENDS and params.get("chat_id") == MANAGER_CHAT_ID


def accepted_cards(telegram: FakeTelegramServer) -> list[ApiCall]:
    return [
        call
        for call in telegram.calls
        if call.ok
        and call.method.lower() in SENDS
        and call.params.get("chat_id") == MANAGER_CHAT_ID
    ]


def card_numbers(telegram: FakeTelegramServer) -> list[int]:
    numbers = []
    for call in accepted_cards(telegram):
        found = re.fullmatch(r"card (\d+)", str(call.params.get("text")))
        if found:
            numbers.append(int(found.group(1)))
    return numbers


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def busiest_window(times: list[float], window: float) -> int:
    """The largest number of events inside any half-open interval of `window` seconds."""
    times = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class GroupLimit:
    """Telegram's per-group limit, compressed: the 21st send inside WINDOW gets a 429."""

    def __init__(self) -> None:
        self.refused = 0
        self._accepted: deque[float] = deque()

    def check(self) -> Reply | None:
        now = time.monotonic()
        while self._accepted and now - self._accepted[0] >= WINDOW - JITTER:
            self._accepted.popleft()
        if len(self._accepted) >= LIMIT:
            self.refused += 1
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        self._accepted.append(now)
        return None


# --------------------------------------------------------------------------- load


async def test_burst_of_100_with_retry_after_arrives_once_in_order(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    limit = GroupLimit()
    attempts = 0
    injected: list[float] = []

    def responder(method: str, params: dict[str, Any]) -> Reply | None:
        nonlocal attempts
        if not _is_card_send(method, params):
            return None
        attempts += 1
        if attempts % 10 == 0:
            injected.append(time.monotonic())
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        return limit.check()

    telegram.responder = responder
    started = time.monotonic()
    for number in range(1, 101):
        await _store(clinic, number)
    await wait_until(lambda: len(accepted_cards(telegram)) >= 100, "100 cards", timeout=25)
    await telegram.wait_idle()

    assert card_numbers(telegram) == list(range(1, 101))  # all, once each, in order
    assert await clinic.repository.pending_outbox_count() == 0
    assert len(injected) >= 10
    assert limit.refused == 0  # the bot paced itself; the compressed group limit never fired
    sends = accepted_cards(telegram)
    assert busiest_window([c.at for c in sends], WINDOW - JITTER) <= LIMIT
    # After every 429 nothing was sent into the chat before retry_after had passed.
    for refused_at in injected:
        following = [c.at for c in sends if c.at > refused_at]
        if following:
            assert following[0] - refused_at >= 0.95
    assert time.monotonic() - started < 20


async def test_pacing_keeps_under_the_group_limit(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    limit = GroupLimit()
    telegram.responder = lambda method, params: (
        limit.check() if _is_card_send(method, params) else None
    )
    started = time.monotonic()
    for number in range(1, 51):
        await _store(clinic, number)
    await wait_until(lambda: len(accepted_cards(telegram)) >= 50, "50 cards")
    elapsed = time.monotonic() - started

    assert card_numbers(telegram) == list(range(1, 51))
    assert limit.refused == 0
    times = [c.at for c in accepted_cards(telegram)]
    assert busiest_window(times, WINDOW - JITTER) <= LIMIT
    # The limit really was binding: 50 cards at 20 per second need two waits.
    assert busiest_window(times, WINDOW * 3) > LIMIT
    assert elapsed >= 2 * WINDOW - JITTER


# --------------------------------------------------------------------------- outages


async def test_long_502_outage_while_requests_keep_coming(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    down = True
    refused: list[float] = []

    def responder(method: str, params: dict[str, Any]) -> Reply | None:
        if down and _is_card_send(method, params):
            refused.append(time.monotonic())
            return _error(502, "Bad Gateway")
        return None

    await _store(clinic, 1)
    await wait_until(lambda: card_numbers(telegram) == [1], "the first card")
    telegram.responder = responder
    # "Five minutes" down (1.5 s at FAST_OUTBOX's backoff) while a request arrives every 0.1 s.
    for number in range(2, 17):
        await _store(clinic, number)
        await asyncio.sleep(0.1)
    down = False
    await wait_until(lambda: len(card_numbers(telegram)) >= 16, "16 cards")
    await telegram.wait_idle()

    assert card_numbers(telegram) == list(range(1, 17))
    assert await clinic.repository.pending_outbox_count() == 0
    # Retried with backoff (capped at 0.4 s), not hammered: new rows did not add attempts.
    assert 3 <= len(refused) <= 12
    gaps = [b - a for a, b in itertools.pairwise(refused)]
    assert all(gap >= 0.04 for gap in gaps)


async def test_lost_manager_chat_alerts_admins_once_and_recovers(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    admin = telegram.private_user(555, "Главврач")
    down = True
    refused = 0

    def responder(method: str, params: dict[str, Any]) -> Reply | None:
        nonlocal refused
        if down and method.lower() in SENDS and params.get("chat_id") == MANAGER_CHAT_ID:
            refused += 1
            return _error(403, KICKED)
        return None

    telegram.responder = responder
    clinic = RunningBot(make_settings(admin_ids=(555,)), telegram)
    await clinic.start()
    try:
        for number in (1, 2, 3):
            await _store(clinic, number)
        await wait_until(lambda: refused >= 6, "six refused attempts")

        alerts = [m for m in telegram.chat_messages(admin.id) if "⚠️" in m.get("text", "")]
        assert len(alerts) == 1
        assert "чат менеджеров" in alerts[0]["text"]
        assert "kicked" in alerts[0]["text"]
        # Sent at the first refusal, when one to three of the rows had been written.
        assert re.search(r"В очереди: [123]\.", alerts[0]["text"])
        assert card_numbers(telegram) == []
        count, rows = await clinic.repository.outbox_overview(limit=10)
        assert count == 3
        assert rows[0].attempts >= 5
        assert KICKED in (rows[0].last_error or "")

        # The admin asks privately what is waiting.
        since = telegram.mark()
        telegram.send_text(admin, "/outbox")
        overview = await telegram.wait_for_message(admin.id, since=since)
        assert "В очереди на доставку: 3" in overview["text"]
        assert "request № 1" in overview["text"]
        assert "kicked" in overview["text"]

        # The bot is added back: everything goes out, in order, and the alert is not repeated.
        down = False
        await wait_until(lambda: len(card_numbers(telegram)) >= 3, "3 cards")
        await telegram.wait_idle()
        assert card_numbers(telegram) == [1, 2, 3]
        alerts = [m for m in telegram.chat_messages(admin.id) if "⚠️" in m.get("text", "")]
        assert len(alerts) == 1
        since = telegram.mark()
        telegram.send_text(admin, "/outbox")
        emptied = await telegram.wait_for_message(admin.id, since=since)
        assert "Очередь пуста" in emptied["text"]
    finally:
        await clinic.stop()


async def test_outbox_command_in_the_manager_chat(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = telegram.group(MANAGER_CHAT_ID, "Clinic managers")
    maria = telegram.private_user(901, "Мария")
    telegram.chat_members[(MANAGER_CHAT_ID, maria.id)] = "member"
    # Cards fail for a while (a 502 keeps them pending), the chat itself still works.
    telegram.responder = lambda method, params: (
        _error(502, "Bad Gateway")
        if _is_card_send(method, params) and str(params.get("text", "")).startswith("card")
        else None
    )
    await _store(clinic, 1)
    await _store(clinic, 2)
    await wait_until(
        lambda: any(not c.ok for c in telegram.calls_of("sendMessage")), "a refused card"
    )
    since = telegram.mark()
    telegram.send_text(maria, "/outbox", chat=group)
    overview = await telegram.wait_for_message(MANAGER_CHAT_ID, "В очереди", since=since)
    assert "В очереди на доставку: 2" in overview["text"]
    assert "Bad Gateway" in overview["text"]

    telegram.responder = None
    await wait_until(lambda: card_numbers(telegram) == [1, 2], "2 cards")
    await telegram.wait_idle()
    since = telegram.mark()
    telegram.send_text(maria, "/outbox", chat=group)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Очередь пуста", since=since)


# --------------------------------------------------------------------------- restarts


async def test_restart_mid_send_loses_nothing_and_repeats_nothing(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    stopping: list[asyncio.Task[None]] = []
    seen = 0

    def responder(method: str, params: dict[str, Any]) -> Reply | None:
        nonlocal seen
        if _is_card_send(method, params):
            seen += 1
            if seen == 7:
                # A deploy stops the bot while Telegram is posting card 7.
                stopping.append(asyncio.get_running_loop().create_task(clinic.stop()))
        return None

    telegram.responder = responder
    for number in range(1, 41):
        await _store(clinic, number)
    await wait_until(lambda: bool(stopping) and stopping[0].done(), "the stop")
    stopping[0].result()
    assert card_numbers(telegram) == list(range(1, 8))  # stopped mid-way, card 7 in flight
    await clinic.start()
    await wait_until(lambda: set(card_numbers(telegram)) == set(range(1, 41)), "all 40 cards")
    await telegram.wait_idle()

    numbers = card_numbers(telegram)
    assert len(numbers) - len(set(numbers)) <= 1
    # A graceful stop lets the card in flight be recorded as sent: none is posted twice.
    assert numbers == list(range(1, 41))
    assert await clinic.repository.pending_outbox_count() == 0


async def test_killed_mid_send_repeats_at_most_the_one_in_flight(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    outbox = _outbox(clinic)
    killed: list[asyncio.Task[None]] = []
    seen = 0

    def responder(method: str, params: dict[str, Any]) -> Reply | None:
        nonlocal seen
        if _is_card_send(method, params):
            seen += 1
            if seen == 7:
                # The process dies while Telegram is posting card 7: no grace at all.
                killed.append(asyncio.get_running_loop().create_task(outbox.stop(grace=0)))
        return None

    telegram.responder = responder
    for number in range(1, 31):
        await _store(clinic, number)
    await wait_until(lambda: bool(killed) and killed[0].done(), "the kill")
    await clinic.stop()
    assert card_numbers(telegram) == list(range(1, 8))
    await clinic.start()
    await wait_until(lambda: set(card_numbers(telegram)) == set(range(1, 31)), "all 30 cards")
    await telegram.wait_idle()

    numbers = card_numbers(telegram)
    assert len(numbers) - len(set(numbers)) <= 1
    # Card 7 reached the chat but was never marked sent: it alone is repeated, in place.
    assert numbers == [*range(1, 8), *range(7, 31)]

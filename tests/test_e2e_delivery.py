"""Delivery to the manager chat under load, outages, a lost chat and restarts, time compressed.

The bot here paces 20 messages per 1.0 s into one chat: Telegram's 20 per minute, 60x faster.
No assertion depends on timing. Compressed 60 times, the margin of the bot's pace is a few
tenths of a second, which a loaded machine can eat between taking a slot and the request
reaching Telegram; so whether a compressed-time Telegram would have refused a post is not
asserted. What is asserted is the pace itself: every slot the bot took in the database, kept
by a trigger, one for each post into the manager chat, and no window of the pace holding more
than Telegram's limit of them. Where time must pass by a known amount, a `ManualClock` moves
instead of the wall clock.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BufferedInputFile
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.clock import ManualClock
from bot.outbox import OutboxSender
from bot.pacing import SendPace, SendPacingMiddleware
from bot.preview.emulator import TEST_TOKEN, ApiCall, FakeTelegramServer
from storage import OutboxRepository, open_storage
from storage.models import NewRequest, OutboxMessage
from tests.conftest import FAST_OUTBOX, MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import outbox_drained

# The compressed Telegram limit for one group, as the emulated Telegram enforces it.
LIMIT = 20
WINDOW = 1.0
# The bot counts its windows this much longer than Telegram's. In production a tenth of a
# minute (6 s) dwarfs any delay between taking a slot and Telegram receiving the request;
# compressed 60 times, a tenth is 0.1 s, which a loaded machine's scheduling can eat. A
# larger share keeps the compressed test as far from that edge as production is.
PACE_MARGIN = 0.3
PACED = replace(FAST_OUTBOX, pace_margin=PACE_MARGIN)
KICKED = "Forbidden: bot was kicked from the supergroup chat"
SENDS = ("sendmessage", "copymessage")
# Every Bot API method that posts a message into a chat, as Telegram counts them.
POSTS = frozenset(
    {
        "sendmessage",
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
        "sendphoto",
        "senddocument",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendvideonote",
        "sendsticker",
        "sendvenue",
        "sendlocation",
        "sendcontact",
        "sendpoll",
        "senddice",
        "sendmediagroup",
        "createforumtopic",
    }
)

UNEMULATED_POSTS = ("forwardmessage", "sendvenue")

Reply = tuple[int, dict[str, Any]]


@pytest.fixture
async def clinic(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[RunningBot]:
    running = RunningBot(make_settings(), telegram, timing=PACED)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


# --------------------------------------------------------------------------- helpers


def _outbox(clinic: RunningBot) -> OutboxSender:
    assert clinic.app is not None
    outbox: OutboxSender = clinic.app.dispatcher["outbox"]
    return outbox


def _request(number: int, user_id: int = 1) -> NewRequest:
    return NewRequest(
        user_id=user_id,
        locale="ru",
        service_id=None,
        name=f"Пациент {number}",
        phone="+79160000001",
        preferred_time="утром",
        complaint=None,
        consent_version="v",
        consented_at=datetime.now(UTC),
    )


async def _store(clinic: RunningBot, number: int) -> int:
    """A request written as the booking form writes it: the row and its card together."""

    def card(request_id: int) -> OutboxMessage:
        return OutboxMessage("request", request_id, MANAGER_CHAT_ID, None, f"card {number}")

    request_id = await clinic.storage.requests.create_request(_request(number), card)
    _outbox(clinic).wake()
    return request_id


def _error(status: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


def _is_card_send(method: str, params: dict[str, Any]) -> bool:
    return method.lower() in SENDS and params.get("chat_id") == MANAGER_CHAT_ID


def _is_group_post(method: str, params: dict[str, Any]) -> bool:
    return method.lower() in POSTS and params.get("chat_id") == MANAGER_CHAT_ID


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


def group_posts(telegram: FakeTelegramServer, since: int) -> list[ApiCall]:
    """Every post into the manager chat Telegram received since `since`, refused or not."""
    return [call for call in telegram.calls[since:] if _is_group_post(call.method, call.params)]


# Every slot the bot takes in the send log (which forgets them after a window), kept.
KEEP_SEND_LOG = (
    "CREATE TABLE send_log_kept (chat_id INTEGER NOT NULL, at TEXT NOT NULL)",
    """CREATE TRIGGER keep_send_log AFTER INSERT ON send_log
    BEGIN
        INSERT INTO send_log_kept (chat_id, at) VALUES (NEW.chat_id, NEW.at);
    END""",
)


async def keep_send_slots(clinic: RunningBot) -> None:
    async with clinic.storage.database.transaction() as connection:
        for statement in KEEP_SEND_LOG:
            await connection.execute(text(statement))


async def slots_taken(clinic: RunningBot) -> list[datetime]:
    """When the bot took each slot into the manager chat since `keep_send_slots`, in order."""
    async with clinic.storage.database.transaction() as connection:
        rows = await connection.execute(
            text("SELECT at FROM send_log_kept WHERE chat_id = :chat"),
            {"chat": MANAGER_CHAT_ID},
        )
        return sorted(datetime.fromisoformat(row.at) for row in rows)


def assert_paced(slots: list[datetime]) -> None:
    """At most Telegram's LIMIT slots in any window the bot counts (WINDOW, a margin longer)."""
    window = timedelta(seconds=WINDOW * (1 + PACE_MARGIN))
    for first, last in zip(slots, slots[LIMIT:], strict=False):
        assert last - first >= window, (first, last)


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


class SlidingLimit:
    """At most `limit` events in any `window` seconds of `clock`; `take` says whether one fits."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.taken: list[float] = []
        self._recent: deque[float] = deque()

    def take(self) -> bool:
        now = self.clock()
        while self._recent and now - self._recent[0] >= self.window:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            return False
        self._recent.append(now)
        self.taken.append(now)
        return True


class RetryAfterWatch:
    """Refuses chosen card sends with a 429 and counts any post into the manager chat that
    arrives before its `retry_after` has passed (answering it with another 429).

    Not a question of speed: the bot learns of the 429 only after it was given, so a bot that
    waits out `retry_after` arrives after it has passed however slow the machine is."""

    def __init__(self, every: int, retry_after: int = 1) -> None:
        self.every = every
        self.retry_after = retry_after
        self.injected = 0
        self.early = 0
        self._attempts = 0
        self._closed_until = 0.0

    def __call__(self, method: str, params: dict[str, Any]) -> Reply | None:
        if not _is_group_post(method, params):
            return None
        now = time.monotonic()
        if now < self._closed_until:
            self.early += 1
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        self._attempts += 1
        if self._attempts % self.every:
            return None
        self.injected += 1
        self._closed_until = now + self.retry_after
        return _error(429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after)


# --------------------------------------------------------------------------- load


async def test_burst_of_100_with_retry_after_arrives_once_in_order(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    await keep_send_slots(clinic)
    since = telegram.mark()
    # Every 25th card is refused with "retry after 1 s", as Telegram does when it is busy.
    watch = RetryAfterWatch(every=25)
    telegram.responder = watch
    for number in range(1, 101):
        await _store(clinic, number)
    await wait_until(lambda: len(accepted_cards(telegram)) >= 100, "100 cards", timeout=60)
    await telegram.wait_idle()

    assert card_numbers(telegram) == list(range(1, 101))  # all, once each, in order
    await outbox_drained(clinic.storage.outbox)  # recorded as sent, not only posted
    assert watch.injected >= 3
    # Nothing was posted into the chat before Telegram's retry_after had passed ...
    assert watch.early == 0
    posts = group_posts(telegram, since)
    assert len([post for post in posts if not post.ok]) == watch.injected
    # ... and the bot paced itself: every post, repeats included, took a slot of the chat's
    # pace, and no window the bot counts holds more than Telegram's limit of them.
    slots = await slots_taken(clinic)
    assert len(slots) == len(posts)
    assert_paced(slots)


async def test_every_message_into_the_manager_chat_counts_towards_its_pace(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    """Cards, answers to staff commands and confirmations share the group's 20 a minute."""
    group = telegram.group(MANAGER_CHAT_ID, "Clinic managers")
    maria = telegram.private_user(901, "Мария")
    telegram.chat_members[(MANAGER_CHAT_ID, maria.id)] = "member"
    await keep_send_slots(clinic)
    since = telegram.mark()
    for number in range(1, 41):
        await _store(clinic, number)
    # Meanwhile a manager asks what is waiting, again and again, in the same chat.
    for _ in range(30):
        telegram.send_text(maria, "/outbox", chat=group)
    await wait_until(lambda: len(accepted_cards(telegram)) >= 70, "40 cards and 30 answers")
    await telegram.wait_idle()

    assert card_numbers(telegram) == list(range(1, 41))
    answers = [m for m in telegram.chat_messages(MANAGER_CHAT_ID) if "черед" in m.get("text", "")]
    assert len(answers) == 30
    # All 70 took a slot of the chat's pace: the answers were counted with the cards ...
    assert len(group_posts(telegram, since)) == 70
    slots = await slots_taken(clinic)
    assert len(slots) == 70
    # ... so no window the bot counts holds more than Telegram's limit of them.
    assert_paced(slots)


async def test_a_burst_of_100_posts_of_every_kind_keeps_telegrams_limits(
    telegram: FakeTelegramServer, tmp_path: Path
) -> None:
    """Telegram's real limits (20 a minute into the group, 30 a second in all) on a clock that
    moves only when the bot waits: every kind of post counts, edits do not."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def seconds() -> float:
        return clock().timestamp()

    group_limit = SlidingLimit(20, 60.0, seconds)
    overall_limit = SlidingLimit(30, 1.0, seconds)
    refused: list[str] = []
    message_ids: list[int] = []

    def telegram_limits(method: str, params: dict[str, Any]) -> Reply | None:
        if method.lower() not in POSTS:
            return None
        if not overall_limit.take() or (
            params.get("chat_id") == MANAGER_CHAT_ID and not group_limit.take()
        ):
            refused.append(method)
            return _error(429, "Too Many Requests: retry after 5", retry_after=5)
        if method.lower() in UNEMULATED_POSTS:
            # Posts the clinic bot never makes, so the emulator does not know them.
            chat = {"id": params["chat_id"], "type": "supergroup", "title": "Clinic managers"}
            message_ids.append(len(message_ids) + 10_000)
            return 200, {
                "ok": True,
                "result": {"message_id": message_ids[-1], "date": 0, "chat": chat},
            }
        return None

    async def let_time_pass(wait: float) -> None:
        clock.advance(timedelta(seconds=wait))
        await asyncio.sleep(0)

    storage = await open_storage(f"sqlite:///{tmp_path}/pace.db", clock=clock)
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    session.middleware(
        SendPacingMiddleware(
            storage.outbox.reserve_send_slot,
            MANAGER_CHAT_ID,
            SendPace(),
            sleep=let_time_pass,
            monotonic=lambda: clock().timestamp(),
        )
    )
    bot = Bot(TEST_TOKEN, session=session)
    patient = telegram.private_user(701, "Анна")
    from_patient = telegram.send_text(patient, "фото анализов")["message_id"]
    telegram.responder = telegram_limits

    def group_posts() -> Iterator[Any]:
        kinds = [
            lambda: bot.send_message(MANAGER_CHAT_ID, "card"),
            lambda: bot.copy_message(MANAGER_CHAT_ID, patient.id, from_patient),
            lambda: bot.forward_message(MANAGER_CHAT_ID, patient.id, from_patient),
            lambda: bot.send_document(
                MANAGER_CHAT_ID, BufferedInputFile(b"id;name\n", "export.csv")
            ),
            lambda: bot.send_venue(MANAGER_CHAT_ID, 55.75, 37.61, "Клиника", "Тверская, 1"),
        ]
        for index in range(100):
            yield kinds[index % len(kinds)]()

    try:
        started = clock()
        first = await bot.send_message(MANAGER_CHAT_ID, "first")
        posts = group_posts()
        for _ in range(19):
            await next(posts)
        # Twenty posts fit one minute: no wait so far, and editing them posts nothing new.
        assert clock() == started
        for number in range(10):
            await bot.edit_message_text(
                f"first, edit {number}", chat_id=MANAGER_CHAT_ID, message_id=first.message_id
            )
        assert clock() == started
        # The 21st waits for the minute, counted a tenth longer than Telegram's.
        await next(posts)
        assert clock() - started >= timedelta(seconds=66)
        for post in posts:
            await post
        # Forty answers to patients in one go keep to 30 a second overall: the 31st waits
        # for a second after Telegram answered the first.
        moment = clock()
        for number in range(40):
            await bot.send_message(patient.id, f"ответ {number}")
        assert clock() - moment >= timedelta(seconds=1)
    finally:
        await bot.session.close()
        await storage.close()

    assert refused == []
    assert [c for c in telegram.calls if not c.ok] == []
    assert len([c for c in telegram.calls if _is_group_post(c.method, c.params)]) == 101


# --------------------------------------------------------------------------- outages


async def test_long_502_outage_while_requests_keep_coming(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    # Backoff doubling from 0.05 s up to 1 s: "minutes" of outage in a few seconds.
    clinic = RunningBot(
        make_settings(),
        telegram,
        timing=replace(PACED, retry_base_seconds=0.05, max_backoff_seconds=1.0),
    )
    await clinic.start()
    down = True
    refused: list[str] = []

    def responder(method: str, params: dict[str, Any]) -> Reply | None:
        if down and _is_card_send(method, params):
            refused.append(str(params.get("text")))
            return _error(502, "Bad Gateway")
        return None

    try:
        await _store(clinic, 1)
        await wait_until(lambda: card_numbers(telegram) == [1], "the first card")
        telegram.responder = responder
        await _store(clinic, 2)
        await wait_until(lambda: len(refused) >= 3, "three refused attempts")
        # Fifteen requests arrive during the outage, each waking the sender.
        before = len(refused)
        for number in range(3, 18):
            await _store(clinic, number)
        during = len(refused) - before
        down = False
        await wait_until(lambda: len(card_numbers(telegram)) >= 17, "17 cards")
        await telegram.wait_idle()

        assert card_numbers(telegram) == list(range(1, 18))
        await outbox_drained(clinic.storage.outbox)
        # Only the head of the queue was tried, and the new rows did not add attempts:
        # a wake does not cut a backoff short.
        assert set(refused) == {"card 2"}
        assert during < 15
    finally:
        await clinic.stop()


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
        count, rows = await clinic.storage.outbox.outbox_overview(limit=10)
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
    # Stopped mid-way: card 7 was in flight (and the stop may let a card or two more go out
    # before it reaches the sender); whatever went out went in order.
    before = card_numbers(telegram)
    assert before == list(range(1, len(before) + 1)) and 7 <= len(before) < 40, before
    await clinic.start()
    await wait_until(lambda: set(card_numbers(telegram)) == set(range(1, 41)), "all 40 cards")
    await telegram.wait_idle()

    numbers = card_numbers(telegram)
    assert len(numbers) - len(set(numbers)) <= 1
    # A graceful stop lets the card in flight be recorded as sent: none is posted twice.
    assert numbers == list(range(1, 41))
    await outbox_drained(clinic.storage.outbox)


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
    # Card 7 reached the chat; whether the dying process recorded it (the record is written
    # right after Telegram's answer, with nothing to wait for in between on SQLite) or not
    # (then it alone is repeated, in place), every card arrives, in order.
    assert numbers in (list(range(1, 31)), [*range(1, 8), *range(7, 31)]), numbers


class SlowToRecord:
    """The outbox of a database that is slow to write: marking a card sent fails with
    "database is locked" (past busy_timeout) the first `failures` times."""

    def __init__(self, outbox: OutboxRepository, failures: int) -> None:
        self._outbox = outbox
        self.failures_left = failures
        self.calls = 0

    async def mark_outbox_sent(self, outbox_id: int, message_id: int | None) -> None:
        self.calls += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise OperationalError(
                "UPDATE outbox", None, sqlite3.OperationalError("database is locked")
            )
        await self._outbox.mark_outbox_sent(outbox_id, message_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._outbox, name)


async def test_a_card_telegram_accepted_is_not_posted_again_when_recording_it_fails(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    assert clinic.app is not None
    patient = telegram.private_user(702, "Борис")
    # The clinic's sender makes way for one whose database is slow to record deliveries.
    await _outbox(clinic).stop()
    slow = SlowToRecord(clinic.storage.outbox, failures=4)
    sender = OutboxSender(
        cast(OutboxRepository, slow),
        clinic.storage.patients,
        clinic.storage.conversations,
        timing=PACED,
    )

    def card(request_id: int) -> OutboxMessage:
        return OutboxMessage(
            "request", request_id, MANAGER_CHAT_ID, None, "card 1", patient_id=patient.id
        )

    await clinic.storage.requests.create_request(_request(1, user_id=patient.id), card)
    sender.start(clinic.app.bot)
    try:
        await wait_until(lambda: slow.calls >= 5, "the card recorded as sent")
        await telegram.wait_idle()
    finally:
        await sender.stop()

    assert card_numbers(telegram) == [1]  # posted once, though recording it failed 4 times
    assert len(telegram.calls_of("sendMessage")) == 1
    assert await clinic.storage.outbox.pending_outbox_count() == 0
    # And it is linked: a manager's reply to it reaches the patient.
    group = telegram.group(MANAGER_CHAT_ID, "Clinic managers")
    maria = telegram.private_user(901, "Мария")
    telegram.chat_members[(MANAGER_CHAT_ID, maria.id)] = "member"
    posted = accepted_cards(telegram)[0].result
    assert posted is not None
    since = telegram.mark()
    telegram.send_text(
        maria, "Ждём вас завтра в 10:00", chat=group, reply_to_message_id=posted["message_id"]
    )
    await telegram.wait_for_call(
        "copyMessage", lambda call: call.params.get("chat_id") == patient.id, since=since
    )


async def test_a_stop_waits_for_the_accepted_card_to_be_recorded(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    assert clinic.app is not None
    await _outbox(clinic).stop()
    slow = SlowToRecord(clinic.storage.outbox, failures=3)
    sender = OutboxSender(
        cast(OutboxRepository, slow),
        clinic.storage.patients,
        clinic.storage.conversations,
        timing=PACED,
    )
    await _store(clinic, 1)
    sender.start(clinic.app.bot)
    # A deploy stops the bot right after Telegram accepted the card, while the database
    # still refuses to record it.
    await wait_until(lambda: slow.calls >= 1, "the first attempt to record the card")
    await sender.stop()

    assert slow.calls == 4  # the stop waited for the retries rather than cancel them
    assert await clinic.storage.outbox.pending_outbox_count() == 0
    # So the restarted sender has nothing to post again.
    _outbox(clinic).start(clinic.app.bot)
    _outbox(clinic).wake()
    await telegram.wait_idle()
    assert card_numbers(telegram) == [1]

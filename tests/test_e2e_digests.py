"""A burst of bookings reaches the manager chat as digests, within Telegram's group limit.

Real time: the emulator refuses a 21st post into the group within 60 s with a 429, as
Telegram does, and the bot keeps its own pace of 20 a minute (66 s counted). Nothing here
asserts how long anything took: the burst must be entirely visible, without a single 429,
in booking order, and a request listed in a digest must open as its card and be taken like
any other.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import keyboards, views
from bot.outbox import OutboxSender, OutboxTiming
from bot.preview.emulator import FakeTelegramServer
from bot.services.common import Card, ManagerChat
from bot.services.phone import display_phone
from bot.services.requests import submit_request
from storage.models import NewRequest, RequestStatus
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import patient, press, say
from tests.test_e2e_managers import book, button_data, managers, staff_member

BURST = 100
# Telegram's pace, unshrunk: 20 posts a minute into the group.
REAL_PACE = OutboxTiming(
    poll_seconds=0.2,
    retry_base_seconds=0.05,
    max_backoff_seconds=0.4,
    per_chat_limit=20,
    per_chat_window_seconds=60.0,
)
CARD = re.compile(r"Заявка на консультацию № (\d+)")
DIGEST_LINE = re.compile(r"^№ (\d+) · ", re.MULTILINE)


@pytest.fixture
async def paced_clinic(make_settings: SettingsFactory, telegram: FakeTelegramServer) -> Any:
    telegram.group_limit_per_minute = 20
    running = RunningBot(make_settings(), telegram, timing=REAL_PACE)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def _chat_posts(telegram: FakeTelegramServer) -> list[dict[str, Any]]:
    """Every message the bot posted into the manager chat, in order."""
    return [
        call.message
        for call in telegram.calls
        if call.ok
        and call.method.lower() == "sendmessage"
        and call.params.get("chat_id") == MANAGER_CHAT_ID
        and call.message is not None
    ]


def _numbers_shown(telegram: FakeTelegramServer) -> list[int]:
    """The request numbers the manager chat shows, in the order they appeared (a card's own
    number; a digest's lines), each once: an opened card repeats one already listed."""
    shown: list[int] = []
    for message in _chat_posts(telegram):
        text = str(message.get("text", ""))
        card = CARD.search(text)
        found = [int(number) for number in DIGEST_LINE.findall(text)] or (
            [int(card.group(1))] if card else []
        )
        shown += [number for number in found if number not in shown]
    return shown


def _too_many_requests(telegram: FakeTelegramServer) -> int:
    return sum(1 for call in telegram.calls if call.error_code == 429)


async def _burst(clinic: RunningBot, count: int) -> list[int]:
    """`count` patients confirm their bookings at once, each rendered and stored as the
    booking form does it."""
    assert clinic.app is not None
    dispatcher = clinic.app.dispatcher
    clinic_t = dispatcher["clinic_t"]
    content = dispatcher["content"].for_locale("ru")
    outbox: OutboxSender = dispatcher["outbox"]
    settings = clinic.settings

    async def one(index: int) -> int:
        def card(request_id: int, request: NewRequest) -> Card:
            return Card(
                text=views.request_card(
                    clinic_t, content, request_id, request, f"Пациент {index}", settings.clinic_zone
                ),
                reply_markup=keyboards.request_card(
                    clinic_t, request_id, RequestStatus.NEW
                ).model_dump_json(exclude_none=True),
            )

        return await submit_request(
            clinic.storage.requests,
            user_id=5000 + index,
            patient_name=f"Пациент {index}",
            locale="ru",
            service_id="massage",
            name=f"Имя <{index}> & Co",
            phone=f"+791600{index:05d}",
            preferred_time="утром",
            complaint=None,
            consent_version="v1",
            consented_at=datetime.now(UTC),
            render_card=card,
            managers=ManagerChat(MANAGER_CHAT_ID),
            wake=outbox.wake,
        )

    return [await one(index) for index in range(count)]


async def _until_shown(telegram: FakeTelegramServer, count: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(_numbers_shown(telegram)) < count:
        assert loop.time() < deadline, f"shown: {_numbers_shown(telegram)}"
        await asyncio.sleep(0.1)


async def test_a_burst_arrives_as_digests_that_open_into_cards(
    paced_clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")

    # A single booking, in a calm chat, arrives as its own card.
    anna = await patient(telegram, 801, "Анна")
    single = await book(telegram, paced_clinic, anna, "Анна")
    assert CARD.search(single["text"]) is not None
    assert "№ 1" in single["text"]

    ids = await _burst(paced_clinic, BURST)
    assert ids == list(range(2, BURST + 2))
    # Generous: the pace allows 20 posts per 66 s, and the burst needs far fewer.
    await _until_shown(telegram, BURST + 1, timeout=150)
    posts = _chat_posts(telegram)
    assert _numbers_shown(telegram) == list(range(1, BURST + 2))  # all, once, in order
    assert _too_many_requests(telegram) == 0
    digests = [post for post in posts if DIGEST_LINE.search(str(post["text"]))]
    assert digests, "a burst of 100 must not go card by card"
    assert len(posts) <= 20  # within one minute's pace of the group
    # Each line: number, service, name, time, phone; what the patient typed is escaped
    # (the emulator parses the HTML as Telegram does, and shows it as typed).
    lines = [row for row in str(digests[0]["text"]).splitlines() if DIGEST_LINE.match(row)]
    number = int(DIGEST_LINE.findall(lines[0])[0])
    index = number - 2
    phone = display_phone(f"+791600{index:05d}")
    assert lines[0] == f"№ {number} · Массаж стопы · Имя <{index}> & Co · утром · {phone}"

    # Any listed request opens as the normal card, linked, and can be taken.
    for digest in (digests[0], digests[-1]):
        numbers = [int(number) for number in DIGEST_LINE.findall(str(digest["text"]))]
        for number in (numbers[0], numbers[-1]):
            since = telegram.mark()
            telegram.press(maria, digest, button_data(telegram, digest, f"№ {number}"), chat=group)
            card = await telegram.wait_for_message(
                MANAGER_CHAT_ID, f"Заявка на консультацию № {number}", since=since, timeout=90
            )
            assert card["reply_to_message"]["message_id"] == digest["message_id"]
            assert "Пациент" in card["text"]
            since = telegram.mark()
            telegram.press(maria, card, button_data(telegram, card, "🙋 Взять"), chat=group)
            taken = await telegram.wait_for_message(
                MANAGER_CHAT_ID, "Статус: взята в работу", since=since
            )
            assert taken["message_id"] == card["message_id"]
            request = await paced_clinic.storage.requests.get_request(number)
            assert request is not None and request.status == RequestStatus.TAKEN
    assert _too_many_requests(telegram) == 0


async def test_an_opened_card_is_answered_like_any_card(
    paced_clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    ids = await _burst(paced_clinic, 40)
    await _until_shown(telegram, 40, timeout=150)
    assert _numbers_shown(telegram) == ids
    digest = next(post for post in _chat_posts(telegram) if DIGEST_LINE.search(str(post["text"])))
    number = int(DIGEST_LINE.findall(str(digest["text"]))[1])
    owner = await patient(telegram, 5000 + number - 1, "Пациент")

    since = telegram.mark()
    telegram.press(maria, digest, button_data(telegram, digest, f"№ {number}"), chat=group)
    card = await telegram.wait_for_message(
        MANAGER_CHAT_ID, f"Заявка на консультацию № {number}", since=since, timeout=90
    )
    # A second press does not post it again.
    since = telegram.mark()
    query = telegram.press(maria, digest, button_data(telegram, digest, f"№ {number}"), chat=group)
    answer = await telegram.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query, since=since
    )
    assert "уже есть в чате" in str(answer.params.get("text"))

    # A manager's reply to the opened card reaches the patient of that request.
    since = telegram.mark()
    telegram.send_text(
        maria, "Перезвоним через час", chat=group, reply_to_message_id=card["message_id"]
    )
    await telegram.wait_for_message(owner.id, "Перезвоним через час", since=since)
    assert _too_many_requests(telegram) == 0


async def test_a_patient_who_erases_their_data_disappears_from_the_digest(
    paced_clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    ids = await _burst(paced_clinic, 40)
    await _until_shown(telegram, 40, timeout=150)
    digest = next(post for post in _chat_posts(telegram) if DIGEST_LINE.search(str(post["text"])))
    number = int(DIGEST_LINE.findall(str(digest["text"]))[0])
    assert number in ids
    name = f"Имя <{number - 1}> & Co"
    assert name in digest["text"]

    owner = await patient(telegram, 5000 + number - 1, "Пациент")
    await say(telegram, owner, "/forget", "Удалить ваши персональные данные?")
    since = telegram.mark()
    await press(telegram, owner, "🗑 Да, удалить мои данные", "удалены")
    edited = await telegram.wait_for_call(
        "editMessageText",
        lambda call: call.params.get("message_id") == digest["message_id"],
        since=since,
    )
    assert edited.ok
    shown = next(
        message
        for message in telegram.chat_messages(MANAGER_CHAT_ID)
        if message["message_id"] == digest["message_id"]
    )
    assert name not in shown["text"]
    assert f"№ {number} · данные пациента удалены" in shown["text"]
    # The other requests stay listed, with their buttons.
    others = [int(found) for found in DIGEST_LINE.findall(str(digest["text"]))[1:]]
    assert f"Имя <{others[0] - 1}> & Co" in shown["text"]
    assert [text for text, _ in telegram.inline_buttons(shown)] == [
        text for text, _ in telegram.inline_buttons(digest)
    ]

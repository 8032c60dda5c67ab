"""The manager chat's edges: long messages, anonymous admins, bad staff input, membership
changes, and what managers read (clinic time, readable phones)."""

from __future__ import annotations

import re
from typing import Any

from bot.preview.emulator import FakeTelegramServer, FakeUser
from tests.conftest import MANAGER_CHAT_ID, RunningBot
from tests.e2e import outbox_drained, patient
from tests.test_e2e_managers import book, linked, managers

TEXT_LIMIT = 4096


def _body(message: dict[str, Any]) -> str:
    """The patient's words in a relayed message: everything after its header."""
    _, separator, body = str(message["text"]).partition("\n\n")
    assert separator, message["text"]
    return body


def _last_id(telegram: FakeTelegramServer, chat_id: int) -> int:
    return max((int(m["message_id"]) for m in telegram.chat_messages(chat_id)), default=0)


async def _relayed(
    telegram: FakeTelegramServer, clinic: RunningBot, user: FakeUser, text: str
) -> list[dict[str, Any]]:
    """The patient writes `text`; returns the manager-chat messages that carried it."""
    before = _last_id(telegram, MANAGER_CHAT_ID)
    since = telegram.mark()
    telegram.send_text(user, text)
    await telegram.wait_for_message(user.id, "Передали", since=since)
    await outbox_drained(clinic.storage.outbox)
    return [
        message
        for message in telegram.chat_messages(MANAGER_CHAT_ID)
        if message["message_id"] > before
    ]


# --------------------------------------------------------------------------- long messages


async def test_long_patient_messages_reach_the_managers_whole(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    managers(telegram)
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    for text in (
        "ж" * 2501,  # longer than a Fluent placeable may be
        "&" * 1500,  # five times longer once escaped
        ("a & b < c > d " * 400)[:TEXT_LIMIT],  # Telegram's longest message, all of it markup
        "&" * TEXT_LIMIT,
    ):
        parts = await _relayed(telegram, clinic, anna, text)
        assert parts, f"nothing arrived for a message of {len(text)} characters"
        # Parts are cut at a space where there is one, and Telegram trims a message's
        # edges: every character arrives, the spaces at the cuts aside.
        received = "".join(_body(part) for part in parts)
        assert re.sub(r"\s", "", received) == re.sub(r"\s", "", text)
        assert len(received) >= len(text.strip()) - len(parts)
        for part in parts:
            assert part["reply_to_message"]["message_id"] == card["message_id"]
            await linked(clinic, part)  # a reply to any part reaches Anna
        if len(parts) > 1:
            assert [re.search(r"\((часть \d+ из \d+)\)", p["text"]) is not None for p in parts] == [
                True
            ] * len(parts)
        # The patient got no error, only the usual confirmation.
        answers = [m.get("text", "") for m in telegram.chat_messages(anna.id)[-2:]]
        assert not any("пошло не так" in answer for answer in answers)
    # Messages of the last two sizes cannot fit in one: they were split.
    assert len(parts) >= 2

"""Small steps of a patient's conversation, shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.preview.emulator import FakeTelegramServer, FakeUser
from storage import OutboxRepository


async def say(server: FakeTelegramServer, user: FakeUser, text: str, expect: str) -> dict[str, Any]:
    """Send a text and wait for the bot's message containing `expect`."""
    since = server.mark()
    server.send_text(user, text)
    return await server.wait_for_message(user.id, expect, since=since)


async def tap(
    server: FakeTelegramServer, user: FakeUser, button: str, expect: str
) -> dict[str, Any]:
    """Tap a reply-keyboard button and wait for the answer containing `expect`."""
    since = server.mark()
    server.tap_reply_button(user, button)
    return await server.wait_for_message(user.id, expect, since=since)


async def press(
    server: FakeTelegramServer, user: FakeUser, button: str, expect: str
) -> dict[str, Any]:
    """Press an inline button of the latest message that has it, and wait for `expect`."""
    since = server.mark()
    server.press_button(user, button)
    return await server.wait_for_message(user.id, expect, since=since)


def reply_keyboard(server: FakeTelegramServer, chat_id: int) -> list[str]:
    """Texts of the reply keyboard the bot last sent to this chat."""
    for call in reversed(server.calls_of("sendMessage")):
        markup = call.params.get("reply_markup")
        if (
            call.params.get("chat_id") == chat_id
            and isinstance(markup, dict)
            and "keyboard" in markup
        ):
            return [button["text"] for row in markup["keyboard"] for button in row]
    return []


def manager_cards(server: FakeTelegramServer, chat_id: int) -> list[dict[str, Any]]:
    return [
        call.params
        for call in server.calls_of("sendMessage")
        if call.ok and call.params.get("chat_id") == chat_id
    ]


async def patient(
    server: FakeTelegramServer, user_id: int, first_name: str, **details: Any
) -> FakeUser:
    """A patient who has opened the bot with /start and sees the main menu."""
    user = server.private_user(user_id, first_name, **details)
    since = server.mark()
    server.send_text(user, "/start")
    await server.wait_for_call(
        "sendMessage", lambda call: call.params.get("chat_id") == user_id, since=since
    )
    return user


async def outbox_drained(outbox: OutboxRepository, timeout: float = 5.0) -> None:
    """Until the outbox has recorded every delivery (a card arrives before it is marked sent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await outbox.pending_outbox_count():
        assert asyncio.get_running_loop().time() < deadline, "the outbox did not drain"
        await asyncio.sleep(0.02)


SAVED_DETAILS_OFFERS = ("Записать вас как", "Book as")
NAME_QUESTIONS = ("Как вас зовут?", "What is your name?")


async def choose_service_and_type_name(
    server: FakeTelegramServer, user: FakeUser, service: str, timeout: float = 5.0
) -> dict[str, Any]:
    """Press a service button and get to the name question; a returning patient, who is
    offered the saved name and phone first, taps "Change"."""
    start = server.mark()
    server.press_button(user, service)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for index, call in enumerate(server.calls[start:], start):
            message = call.message
            if not call.ok or message is None or message["chat"]["id"] != user.id:
                continue
            text = str(message.get("text", ""))
            if any(question in text for question in NAME_QUESTIONS):
                return message
            if any(offer in text for offer in SAVED_DETAILS_OFFERS):
                start = index + 1
                russian = SAVED_DETAILS_OFFERS[0] in text
                server.press_button(user, "✏️ Изменить" if russian else "✏️ Change")
                break
        else:
            start = len(server.calls)
        assert asyncio.get_running_loop().time() < deadline, "no name question"
        await asyncio.sleep(0.02)

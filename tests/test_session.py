"""The JSON session against a recording HTTP server on 127.0.0.1, and the dispatch tuning."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction, ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiohttp import web

from bot.emulator import TEST_TOKEN
from bot.session import JsonSession
from bot.tuning import inline_sync_filters

MESSAGE = {
    "message_id": 7,
    "date": 1_700_000_000,
    "chat": {"id": 42, "type": "private"},
    "text": "Hello",
}


@dataclass
class Recorder:
    """What the fake Bot API received, and what it answers next."""

    requests: list[tuple[str, str, bytes]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            (request.match_info["method"], request.content_type, await request.read())
        )
        status, body = self.answers.pop(0) if self.answers else (200, {"ok": True, "result": True})
        return web.json_response(body, status=status)


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, Bot]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = JsonSession(api=TelegramAPIServer.from_base(f"http://127.0.0.1:{port}"))
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield recorder, bot
    finally:
        await session.close()
        await runner.cleanup()


async def test_a_call_goes_as_json_and_its_answer_is_a_bound_model(
    recorder: tuple[Recorder, Bot],
) -> None:
    server, bot = recorder
    server.answers.append((200, {"ok": True, "result": MESSAGE}))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Prices", callback_data="pr")]]
    )

    sent = await bot.send_message(42, "<b>Hi</b>", reply_markup=keyboard)

    method, content_type, body = server.requests[0]
    assert (method, content_type) == ("sendMessage", "application/json")
    assert json.loads(body) == {
        "chat_id": 42,
        "text": "<b>Hi</b>",
        "parse_mode": "HTML",  # the bot's default, resolved
        "reply_markup": {"inline_keyboard": [[{"text": "Prices", "callback_data": "pr"}]]},
    }
    assert isinstance(sent, Message)
    assert (sent.message_id, sent.text) == (7, "Hello")
    assert sent.bot is bot  # so that sent.edit_text() and friends work


async def test_empty_values_are_left_out_as_aiogram_does_but_empty_lists_are_sent(
    recorder: tuple[Recorder, Bot],
) -> None:
    server, bot = recorder

    await bot.answer_callback_query("q1", show_alert=False)
    await bot.set_my_commands([])

    assert json.loads(server.requests[0][2]) == {"callback_query_id": "q1"}
    assert json.loads(server.requests[1][2]) == {"commands": []}


async def test_dates_and_enums_are_sent_as_the_bot_api_expects_them(
    recorder: tuple[Recorder, Bot],
) -> None:
    server, bot = recorder
    until = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    await bot.ban_chat_member(-100, 5, until_date=until)
    await bot.send_chat_action(42, ChatAction.TYPING)

    assert json.loads(server.requests[0][2]) == {
        "chat_id": -100,
        "user_id": 5,
        "until_date": int(until.timestamp()),
    }
    assert json.loads(server.requests[1][2]) == {"chat_id": 42, "action": "typing"}


async def test_uploads_still_go_as_multipart(recorder: tuple[Recorder, Bot]) -> None:
    server, bot = recorder
    server.answers.append((200, {"ok": True, "result": MESSAGE}))

    await bot.send_document(42, BufferedInputFile(b"a;b\n", filename="requests.csv"))

    method, content_type, body = server.requests[0]
    assert (method, content_type) == ("sendDocument", "multipart/form-data")
    assert b'filename="requests.csv"' in body


async def test_errors_raise_aiogram_s_exceptions(recorder: tuple[Recorder, Bot]) -> None:
    server, bot = recorder
    server.answers.append(
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"})
    )
    server.answers.append(
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            },
        )
    )

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(42, "x" * 5000)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(42, "again")
    assert retry.value.retry_after == 7


async def test_synchronous_filters_run_on_the_event_loop_thread() -> None:
    checked_on: list[int] = []
    handled: list[str] = []

    def sync_filter(message: Message) -> bool:
        checked_on.append(threading.get_ident())
        return True

    router = Router()
    router.message.filter(F.chat.type == "private")

    @router.message(F.text == "hi", sync_filter)
    async def greet(message: Message) -> None:
        handled.append(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    changed = inline_sync_filters(dispatcher)
    update = Update.model_validate(
        {
            "update_id": 1,
            "message": {
                **MESSAGE,
                "text": "hi",
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
            },
        }
    )
    await dispatcher.feed_update(Bot(TEST_TOKEN), update)
    other = update.model_copy(update={"message": update.message.model_copy(update={"text": "bye"})})  # type: ignore[union-attr]
    await dispatcher.feed_update(Bot(TEST_TOKEN), other)

    assert changed == 3  # the router's chat filter, the magic filter and the function
    assert handled == ["hi"]  # filters still decide
    assert checked_on == [threading.get_ident()]

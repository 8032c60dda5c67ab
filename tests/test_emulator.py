"""Tests of the Telegram Bot API emulator itself, driven by a real aiogram Bot/Dispatcher.

Why: every end-to-end test of the clinic bot trusts the emulator to behave like
Telegram; these tests pin that behaviour (validation, errors, long polling).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.preview.emulator import (
    TEST_TOKEN,
    BotApiError,
    FakeTelegramServer,
    parse_html,
)

GROUP_ID = -1001000000001
FORUM_ID = -1001000000002


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as fake:
        yield fake


def make_bot(server: FakeTelegramServer) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(
        token=TEST_TOKEN,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


@pytest_asyncio.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    instance = make_bot(server)
    try:
        yield instance
    finally:
        await instance.session.close()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


# --------------------------------------------------------------------------- basics


def test_token_has_telegram_shape() -> None:
    digits, _, secret = TEST_TOKEN.partition(":")
    assert digits.isdigit()
    assert len(secret) == 35


@pytest.mark.asyncio
async def test_get_me_and_calls_are_recorded(server: FakeTelegramServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == server.bot_id
    assert me.username == "clinic_test_bot"
    assert me.is_bot
    [call] = server.calls_of("getme")
    assert call.ok
    assert call.method == "getMe"
    assert server.mark() == 1


@pytest.mark.asyncio
async def test_send_message_html_stores_plain_text_and_raw_html(
    server: FakeTelegramServer, bot: Bot
) -> None:
    user = server.private_user(101, "Анна")
    raw = f"<b>Здравствуйте</b>, {html.escape('<Анна> & Co')}!"
    sent = await bot.send_message(user.id, raw)

    assert sent.text == "Здравствуйте, <Анна> & Co!"
    assert sent.from_user is not None
    assert sent.from_user.id == server.bot_id
    assert sent.entities is not None
    assert sent.entities[0].type == "bold"
    assert (sent.entities[0].offset, sent.entities[0].length) == (0, 12)

    stored = server.last_message(user.id)
    assert stored["text"] == "Здравствуйте, <Анна> & Co!"
    assert stored["html"] == raw
    call = server.calls_of("sendMessage")[0]
    assert call.params["chat_id"] == user.id  # numeric ids decoded to int
    assert call.params["parse_mode"] == "HTML"
    assert call.result["html"] == raw  # tests see the raw markup...
    assert "html" not in (sent.model_extra or {})  # ...aiogram never does (not on the wire)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("line<br>break", 'Unsupported start tag "br"'),
        ("a < b", 'Unsupported start tag ""'),
        ("<b>bold</i>", "Unmatched end tag"),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("Tom & Jerry", 'unescaped "&"'),
    ],
)
async def test_bad_html_is_rejected_like_telegram(
    server: FakeTelegramServer, bot: Bot, text: str, detail: str
) -> None:
    user = server.private_user(102)
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.send_message(user.id, text)
    assert raised.value.message.startswith("Bad Request: can't parse entities: ")
    assert detail in raised.value.message
    assert server.chat_messages(user.id) == []
    assert server.calls[-1].error_code == 400


@pytest.mark.asyncio
async def test_lenient_ampersand_matches_real_telegram(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.html_strict_ampersand = False
    user = server.private_user(103)
    sent = await bot.send_message(user.id, "Tom & Jerry &amp; &#33; &nbsp;")
    assert sent.text == "Tom & Jerry & ! &nbsp;"


def test_html_parser_entities() -> None:
    text, entities = parse_html(
        '  <a href="https://x.org/?a=1&amp;b=2">link</a> <pre><code class="language-py">'
        "x = 1</code></pre> <tg-spoiler>s</tg-spoiler> 👍<i>i</i>  "
    )
    assert text == "link x = 1 s 👍i"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://x.org/?a=1&b=2"},
        {"type": "pre", "offset": 5, "length": 5, "language": "py"},
        {"type": "spoiler", "offset": 11, "length": 1},
        {"type": "italic", "offset": 15, "length": 1},  # 👍 is two UTF-16 units
    ]
    with pytest.raises(
        BotApiError, match='Unmatched end tag at byte offset 30, expected "</i>"'
    ) as err:
        parse_html("<b>Приём: <i>завтра</b>")
    assert err.value.status == 400


@pytest.mark.asyncio
async def test_length_and_emptiness_limits(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(104)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    # The limit applies after entity parsing: markup does not count.
    ok = await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>")
    assert len(ok.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "<b> </b>")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(
            user.id, BufferedInputFile(b"%PDF", filename="r.pdf"), caption="c" * 1025
        )


@pytest.mark.asyncio
async def test_callback_data_over_64_bytes_is_invalid(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(105)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "menu", reply_markup=keyboard(("Go", "я" * 33)))
    await bot.send_message(user.id, "menu", reply_markup=keyboard(("Go", "x" * 64)))


@pytest.mark.asyncio
async def test_unknown_chat_blocked_user_and_unknown_method(
    server: FakeTelegramServer, bot: Bot
) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "hi")
    user = server.private_user(106)
    server.blocked_users.add(user.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hi")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.base_url}/bot{TEST_TOKEN}/noSuchMethod") as response,
    ):
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }
    assert server.calls[-1].method == "noSuchMethod"


@pytest.mark.asyncio
async def test_what_the_bot_never_uses_fails_loudly(server: FakeTelegramServer, bot: Bot) -> None:
    # Only HTML and the methods the bot calls are emulated: anything else must not pass
    # unchecked, or a test would trust a message Telegram might refuse.
    user = server.private_user(107)
    with pytest.raises(TelegramBadRequest, match="the emulator parses HTML only"):
        await bot.send_message(user.id, "*Цена*: 1\\.500", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(TelegramNotFound):
        await bot.send_photo(user.id, BufferedInputFile(b"jpg", filename="p.jpg"))
    assert server.chat_messages(user.id) == []


# --------------------------------------------------------------------------- edits


@pytest.mark.asyncio
async def test_edits_and_not_modified(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(107)
    markup = keyboard(("Yes", "yes"))
    sent = await bot.send_message(user.id, "Question?", reply_markup=markup)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="Question?", chat_id=user.id, message_id=sent.message_id, reply_markup=markup
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=user.id, message_id=sent.message_id, reply_markup=markup
        )
    # Editing the text without reply_markup removes the keyboard, as in Telegram.
    edited = await bot.edit_message_text(
        text="<i>Answered</i>", chat_id=user.id, message_id=sent.message_id
    )
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    state = server.chat_messages(user.id)
    assert [m["text"] for m in state] == ["Answered"]
    assert state[0]["html"] == "<i>Answered</i>"
    assert "edit_date" in state[0]

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=user.id, message_id=9999)
    assert await bot.delete_message(user.id, sent.message_id)
    assert server.chat_messages(user.id) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)


# --------------------------------------------------------------------------- failures


@pytest.mark.asyncio
async def test_injected_429_surfaces_as_retry_after(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(108)
    other = server.private_user(109)
    server.fail("sendMessage", retry_after=7, chat_id=user.id)

    await bot.send_message(other.id, "not affected")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(user.id, "hi")
    assert raised.value.retry_after == 7
    await bot.send_message(user.id, "hi again")  # times=1: the next one succeeds
    assert [c.ok for c in server.calls_of("sendMessage")] == [True, False, True]
    assert server.calls_of("sendMessage")[1].error_code == 429


@pytest.mark.asyncio
async def test_injected_502_surfaces_as_server_error(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(110)
    server.fail("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(user.id, "hi")
    await bot.send_message(user.id, "hi")


@pytest.mark.asyncio
async def test_responder_overrides_answers(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(111)

    def responder(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method.lower() == "sendmessage" and params["text"] == "boom":
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: kicked"}
        return None

    server.responder = responder
    with pytest.raises(TelegramForbiddenError, match="kicked"):
        await bot.send_message(user.id, "boom")
    await bot.send_message(user.id, "fine")
    assert [m["text"] for m in server.chat_messages(user.id)] == ["fine"]


@pytest.mark.asyncio
async def test_group_rate_limit(server: FakeTelegramServer, bot: Bot) -> None:
    server.group(GROUP_ID)
    server.group_limit_per_minute = 2
    await bot.send_message(GROUP_ID, "1")
    await bot.send_message(GROUP_ID, "2")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(GROUP_ID, "3")
    assert 58 <= raised.value.retry_after <= 60
    user = server.private_user(112)
    await bot.send_message(user.id, "private chats are not limited")


# --------------------------------------------------------------------------- polling


def echo_router() -> Router:
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"echo: <b>{html.escape(message.text or '')}</b>",
            reply_markup=keyboard(("Like", "like"), ("Dislike", "dislike")),
        )

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(f"phone {message.contact.phone_number}")

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer(f"got {query.data}")
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"you chose {query.data}")

    return router


@pytest.mark.asyncio
async def test_dispatcher_polling_echo_and_buttons(server: FakeTelegramServer) -> None:
    bot = make_bot(server)
    dp = Dispatcher()
    dp.include_router(echo_router())
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    try:
        user = server.private_user(201, "Ivan")
        since = server.mark()
        sent = server.send_text(user, "hello <world>")
        assert sent["text"] == "hello <world>"
        reply = await server.wait_for_message(user.id, "echo: hello <world>", since=since)
        assert reply["html"] == "echo: <b>hello &lt;world&gt;</b>"
        assert server.inline_buttons(reply) == [("Like", "like"), ("Dislike", "dislike")]

        since = server.mark()
        query_id = server.press(user, reply, "like")
        answer = await server.wait_for_call("answerCallbackQuery", since=since)
        assert answer.ok
        assert answer.params["callback_query_id"] == query_id
        assert server.callback_answer(query_id) == {
            "text": "got like",
            "show_alert": False,
            "url": None,
        }
        edited = await server.wait_for_message(user.id, "you chose like", since=since)
        assert edited["message_id"] == reply["message_id"]

        server.send_text(user, "/start")
        await server.wait_for_message(user.id, "echo: /start")
        since = server.mark()
        server.press_button(user, "Dislike")  # presses the latest message with that button
        await server.wait_for_message(user.id, "you chose dislike", since=since)
        with pytest.raises(AssertionError, match="no inline button 'Nope'"):
            server.press_button(user, "Nope")

        await server.wait_idle()
        assert all(call.ok for call in server.calls)
        polls = server.calls_of("getUpdates")
        assert polls[0].params["timeout"] == 5
        assert polls[0].params["allowed_updates"] == ["callback_query", "message"]
        # The held long poll is listed on arrival (so tests can see the bot is polling).
        held = await server.wait_for_call("getUpdates", lambda c: not c.done, timeout=1)
        assert held.result is None
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()
    # The client went away: the server drops the held poll instead of waiting it out.
    await server.wait_for_call("getUpdates", lambda c: c is held and c.done, timeout=2)
    assert held.description == "abandoned: the client disconnected"


@pytest.mark.asyncio
async def test_reply_keyboard_contact_button(server: FakeTelegramServer) -> None:
    bot = make_bot(server)
    dp = Dispatcher()
    dp.include_router(echo_router())
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    try:
        user = server.private_user(202)
        user.phone_number = "+79990001122"
        markup = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text="📱 Share phone", request_contact=True)],
                [KeyboardButton(text="Prices")],
            ],
            resize_keyboard=True,
        )
        sent = await bot.send_message(user.id, "Choose", reply_markup=markup)
        assert sent.reply_markup is None  # Telegram echoes only inline keyboards
        assert server.reply_keyboard(user.id) == [["📱 Share phone"], ["Prices"]]

        since = server.mark()
        message = server.tap_reply_button(user, "📱 Share phone")
        assert message["contact"]["user_id"] == user.id
        await server.wait_for_message(user.id, "phone +79990001122", since=since)
        since = server.mark()
        server.tap_reply_button(user, "Prices")
        await server.wait_for_message(user.id, "echo: Prices", since=since)
        with pytest.raises(AssertionError, match="no button 'Nope'"):
            server.tap_reply_button(user, "Nope")

        await bot.send_message(user.id, "bye", reply_markup=ReplyKeyboardRemove())
        assert server.reply_keyboard(user.id) is None
        with pytest.raises(AssertionError, match="no reply keyboard"):
            server.tap_reply_button(user, "Prices")
        await server.wait_idle()
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()


@pytest.mark.asyncio
async def test_get_updates_is_real_long_polling(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(203)
    # A poll far longer than the test: it can only end this soon by the update's arrival.
    poll = asyncio.create_task(bot.get_updates(timeout=60))
    await asyncio.sleep(0.2)
    assert not poll.done()  # held open while the queue is empty
    server.send_text(user, "/start")
    updates = await asyncio.wait_for(poll, timeout=30)
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start"
    assert message.entities is not None
    assert message.entities[0].type == "bot_command"

    # Not confirmed yet: delivered again; confirmed by offset: gone.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []

    # An empty queue: held open for the poll's timeout, then answered with nothing.
    empty = asyncio.create_task(bot.get_updates(timeout=1))
    await asyncio.sleep(0.2)
    assert not empty.done()
    assert await empty == []


@pytest.mark.asyncio
async def test_allowed_updates_filter(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(204)
    sent = await bot.send_message(user.id, "menu", reply_markup=keyboard(("A", "a")))
    server.press(user, sent.message_id, "a")
    server.send_text(user, "text")
    updates = await bot.get_updates(allowed_updates=["message"], timeout=0)
    assert [u.event_type for u in updates] == ["message"]


@pytest.mark.asyncio
async def test_get_updates_conflicts_with_webhook(server: FakeTelegramServer, bot: Bot) -> None:
    assert await bot.set_webhook("https://clinic.example/hook")
    assert server.webhook["url"] == "https://clinic.example/hook"
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await bot.get_updates(timeout=0)
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("http://clinic.example/hook")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert server.webhook["url"] == ""
    assert await bot.get_updates(timeout=0) == []


@pytest.mark.asyncio
async def test_updates_built_by_helpers_are_valid_for_aiogram(
    server: FakeTelegramServer, bot: Bot
) -> None:
    user = server.private_user(205, "Пётр", username="petr")
    group = server.group(GROUP_ID)
    first = server.send_text(user, "first")
    server.send_text(user, "reply", reply_to_message_id=first["message_id"])
    server.send_photo(user, caption="снимок")
    server.send_sticker(user)
    server.send_contact(user, "+70000000000", own=False)
    server.send_text(user, "in group", chat=group)
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message is not None]
    assert len(messages) == 6
    assert messages[1].reply_to_message is not None
    assert messages[1].reply_to_message.text == "first"
    assert messages[2].photo is not None
    assert messages[2].caption == "снимок"
    assert messages[3].sticker is not None
    assert messages[4].contact is not None
    assert messages[4].contact.user_id is None
    assert messages[5].chat.type == "supergroup"
    assert messages[5].from_user is not None
    assert messages[5].from_user.username == "petr"


# --------------------------------------------------------------------------- files & copies


@pytest.mark.asyncio
async def test_send_document_stores_bytes(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(301)
    payload = b"%PDF-1.4 fake report \x00\x01"
    sent = await bot.send_document(
        user.id,
        BufferedInputFile(payload, filename="report.pdf"),
        caption="<b>Ваш отчёт</b>",
    )
    assert sent.document is not None
    assert sent.document.file_name == "report.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.caption == "Ваш отчёт"
    stored = server.file_of(server.last_message(user.id))
    assert stored.content == payload
    assert stored.file_name == "report.pdf"
    upload = server.calls_of("sendDocument")[0].params["document"]
    assert upload.filename == "report.pdf"
    assert upload.content == payload

    message = await server.wait_for_message(user.id, "Ваш отчёт")
    assert message["caption_html"] == "<b>Ваш отчёт</b>"


@pytest.mark.asyncio
async def test_copy_into_group_and_resend_by_file_id(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(302, "Анна")
    server.group(GROUP_ID)
    photo = server.send_photo(user, caption="мой снимок")
    text = server.send_text(user, "вопрос врачу")

    copied = await bot.copy_message(GROUP_ID, user.id, photo["message_id"])
    await bot.copy_message(GROUP_ID, user.id, text["message_id"])
    group_messages = server.chat_messages(GROUP_ID)
    assert group_messages[0]["message_id"] == copied.message_id
    assert group_messages[0]["caption"] == "мой снимок"
    assert group_messages[0]["photo"] == photo["photo"]
    assert group_messages[1]["text"] == "вопрос врачу"
    assert await server.wait_for_message(GROUP_ID, "мой снимок")  # copies are found too
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(GROUP_ID, user.id, 999)

    # The bot can re-send a user's photo as a document by file_id; an unknown id is refused.
    resent = await bot.send_document(GROUP_ID, photo["photo"][-1]["file_id"])
    assert resent.document is not None
    assert server.file_of(server.last_message(GROUP_ID)).content == server.file_of(photo).content
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(GROUP_ID, "no-such-file-id")


@pytest.mark.asyncio
async def test_reply_parameters(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(303)
    question = server.send_text(user, "когда приём?")
    answer = await bot.send_message(
        user.id, "завтра", reply_parameters=ReplyParameters(message_id=question["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "когда приём?"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(user.id, "x", reply_to_message_id=999)


# --------------------------------------------------------------------------- forum & chats


@pytest.mark.asyncio
async def test_forum_topics(server: FakeTelegramServer, bot: Bot) -> None:
    forum = server.group(FORUM_ID, "Managers", is_forum=True)
    server.group(GROUP_ID, "Plain group")
    topic = await bot.create_forum_topic(FORUM_ID, "Заявка №1")
    assert topic.name == "Заявка №1"

    inside = await bot.send_message(FORUM_ID, "card", message_thread_id=topic.message_thread_id)
    assert inside.message_thread_id == topic.message_thread_id
    assert inside.is_topic_message
    assert server.chat_messages(FORUM_ID, thread_id=topic.message_thread_id)[0]["text"] == "card"

    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(FORUM_ID, "lost", message_thread_id=99999)
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(GROUP_ID, "nope")

    # A manager replies inside the topic; Telegram marks it as a reply to the topic root.
    manager = server.private_user(900, "Manager")
    reply = server.send_text(manager, "беру", chat=forum, message_thread_id=topic.message_thread_id)
    assert reply["reply_to_message"]["forum_topic_created"]["name"] == "Заявка №1"

    assert await bot.edit_forum_topic(FORUM_ID, topic.message_thread_id, name="Заявка №1 ✓")
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(FORUM_ID, topic.message_thread_id, name="Заявка №1 ✓")
    assert await bot.delete_forum_topic(FORUM_ID, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(FORUM_ID, "late", message_thread_id=topic.message_thread_id)


@pytest.mark.asyncio
async def test_chat_member_statuses(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(401, "Ivan", username="ivan")
    server.group(GROUP_ID)
    server.chat_members[(GROUP_ID, user.id)] = "administrator"

    assert (await bot.get_chat_member(GROUP_ID, user.id)).status == "administrator"
    assert (await bot.get_chat_member(user.id, user.id)).status == "member"
    assert (await bot.get_chat_member(GROUP_ID, 555)).status == "left"
    server.chat_members[(GROUP_ID, 555)] = "kicked"
    assert (await bot.get_chat_member(GROUP_ID, 555)).status == "kicked"
    assert (await bot.get_chat_member(GROUP_ID, server.bot_id)).status == "administrator"


@pytest.mark.asyncio
async def test_commands_are_stored_per_scope_and_language(
    server: FakeTelegramServer, bot: Bot
) -> None:
    ru = [BotCommand(command="start", description="Начать")]
    en = [BotCommand(command="start", description="Start")]
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(ru, scope=scope)
    assert await bot.set_my_commands(en, scope=scope, language_code="en")
    private = {"type": "all_private_chats"}
    assert [c["description"] for c in server.my_commands(private)] == ["Начать"]
    assert [c["description"] for c in server.my_commands(private, "en")] == ["Start"]
    assert server.my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])


# --------------------------------------------------------------------------- callbacks & waits


@pytest.mark.asyncio
async def test_callback_answer_after_max_age_is_too_old(
    server: FakeTelegramServer, bot: Bot
) -> None:
    user = server.private_user(501)
    sent = await bot.send_message(user.id, "menu", reply_markup=keyboard(("A", "a")))
    fresh = server.press(user, sent.message_id, "a")
    assert await bot.answer_callback_query(fresh, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(fresh)  # a query can be answered once

    server.callback_query_max_age = 0.05
    stale = server.press(user, server.last_message(user.id), "a")
    await asyncio.sleep(0.1)
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.answer_callback_query(stale)
    assert raised.value.message == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


@pytest.mark.asyncio
async def test_wait_helpers_fail_with_a_listing(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(502)
    await bot.send_message(user.id, "something else")
    with pytest.raises(AssertionError, match=r"#0 sendMessage\(chat_id=502"):
        await server.wait_for_message(user.id, "never", timeout=0.2)
    with pytest.raises(AssertionError, match="no deleteMessage call"):
        await server.wait_for_call("deleteMessage", timeout=0.1)
    server.send_text(user, "nobody polls")
    with pytest.raises(AssertionError, match="1 undelivered update"):
        await server.wait_idle(timeout=0.3)


@pytest.mark.asyncio
async def test_wait_for_call_wakes_on_new_calls(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.private_user(503)
    since = server.mark()
    waiter = asyncio.create_task(
        server.wait_for_call("sendMessage", lambda c: c.params["text"] == "2", since=since)
    )
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await bot.send_message(user.id, "1")
    await bot.send_message(user.id, "2")
    call = await asyncio.wait_for(waiter, 1)
    assert call.result["text"] == "2"

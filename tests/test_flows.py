"""Flow tests: updates fed straight into the real dispatcher, Telegram replaced by a recording
session. Faster and narrower than the end-to-end tests; no network at all."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, ChatMemberLeft, Message, Update, User

from bot.app import create_dispatcher
from bot.content import CONTENT_DIR, load_content
from bot.i18n import load_translations
from bot.outbox import OutboxSender, OutboxTiming
from bot.preview.emulator import TEST_TOKEN
from bot.settings import Settings
from storage import Storage, open_storage

MANAGERS = -100777


class RecordingSession(BaseSession):
    """Answers every call like Telegram would, and keeps the calls for the test."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.fail_with: Exception | None = None
        # Telegram refusing only one kind of call, e.g. every message edit.
        self.refuse: dict[type[TelegramMethod[Any]], Exception] = {}
        self._ids = itertools.count(1000)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append(method)
        if type(method) in self.refuse:
            raise self.refuse[type(method)]
        if isinstance(method, SendMessage | EditMessageText):
            chat_id = int(method.chat_id or 0)
            result: Any = Message(
                message_id=getattr(method, "message_id", None) or next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
                text=method.text,
            )
            return result  # type: ignore[no-any-return]
        if isinstance(method, GetChatMember):
            # Patients are not members of the manager chat.
            left: Any = ChatMemberLeft(user=User(id=method.user_id, is_bot=False, first_name="?"))
            return left  # type: ignore[no-any-return]
        return True  # type: ignore[return-value]

    async def close(self) -> None:
        return None

    def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError

    def texts(self, chat_id: int) -> list[str]:
        return [
            str(call.text)
            for call in self.calls
            if isinstance(call, SendMessage | EditMessageText) and call.chat_id == chat_id
        ]


class Conversation:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session: RecordingSession,
        storage: Storage,
    ) -> None:
        self.dispatcher = dispatcher
        self.storage = storage
        self.bot = bot
        self.session = session
        self.user = User(id=42, is_bot=False, first_name="Анна", language_code="ru")
        self._update_ids = itertools.count(1)

    async def text(self, text: str) -> None:
        message = Message(
            message_id=next(self._update_ids),
            date=datetime.now(UTC),
            chat=Chat(id=self.user.id, type="private"),
            from_user=self.user,
            text=text,
        )
        await self.dispatcher.feed_update(
            self.bot, Update(update_id=next(self._update_ids), message=message)
        )

    async def press(self, button_text: str) -> None:
        """Press the button with this text on the latest message that showed it."""
        for call in reversed(self.session.calls):
            markup = getattr(call, "reply_markup", None)
            rows = getattr(markup, "inline_keyboard", None) or []
            for row in rows:
                for button in row:
                    if button.text == button_text:
                        message = Message(
                            message_id=getattr(call, "message_id", None) or 1,
                            date=datetime.now(UTC),
                            chat=Chat(id=self.user.id, type="private"),
                            text="…",
                        )
                        query = CallbackQuery(
                            id=str(next(self._update_ids)),
                            from_user=self.user,
                            chat_instance="ci",
                            message=message,
                            data=button.callback_data,
                        )
                        await self.dispatcher.feed_update(
                            self.bot,
                            Update(update_id=next(self._update_ids), callback_query=query),
                        )
                        return
        raise AssertionError(f"no button {button_text!r}")


@pytest.fixture
async def conversation(tmp_path: Path) -> AsyncIterator[Conversation]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TEST_TOKEN,
        manager_chat_id=MANAGERS,
        database_url=f"sqlite:///{tmp_path}/flows.db",
    )
    storage = await open_storage(settings.database_url)
    translations = load_translations(CONTENT_DIR, ("ru", "en"), "ru")
    dispatcher = create_dispatcher(
        settings, storage=storage, content=load_content(), translations=translations
    )
    session = RecordingSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield Conversation(dispatcher, bot, session, storage)
    finally:
        await storage.close()


async def test_start_and_prices(conversation: Conversation) -> None:
    await conversation.text("/start")
    await conversation.text("💳 Цены")
    texts = conversation.session.texts(42)
    assert texts[0].startswith("Здравствуйте, Анна!")
    assert "от 6 500 ₽" in texts[1]
    assert "от 5 900 ₽" in texts[1]


async def test_booking_flow_stores_request_and_queues_card(conversation: Conversation) -> None:
    await conversation.text("/book")
    await conversation.press("Одно занятие")
    await conversation.text("Анна <script>")
    await conversation.text("8 916 123 45 67")
    await conversation.press("☀️ Днём (12:00–17:00)")
    await conversation.text("Болит колено")
    await conversation.press("✅ Согласен(на)")
    await conversation.press("✅ Подтвердить")
    texts = conversation.session.texts(42)
    assert any("Ваша заявка <b>№ 1</b> принята" in text for text in texts)
    assert any(isinstance(c, EditMessageReplyMarkup) for c in conversation.session.calls)
    assert any(isinstance(c, AnswerCallbackQuery) for c in conversation.session.calls)
    storage = conversation.storage
    stored = await storage.requests.get_request(1)
    assert stored is not None
    assert stored.phone == "+79161234567"
    assert stored.name == "Анна <script>"
    # The card waits in the outbox until a sender delivers it.
    assert await storage.outbox.pending_outbox_count() == 1
    sender = OutboxSender(
        storage.outbox,
        storage.patients,
        storage.conversations,
        timing=OutboxTiming(retry_base_seconds=0.01),
    )
    assert await sender.deliver_due(conversation.bot) == 1
    card = conversation.session.texts(MANAGERS)[0]
    assert "Анна &lt;script&gt;" in card
    assert "Одно занятие" in card


async def test_network_error_keeps_the_card_for_later(conversation: Conversation) -> None:
    await conversation.text("/book")
    await conversation.press("🤔 Не знаю, нужна консультация")
    await conversation.text("Анна")
    await conversation.text("+7 916 123 45 67")
    await conversation.text("после обеда")
    await conversation.press("⏭ Пропустить")
    await conversation.press("✅ Согласен(на)")
    await conversation.press("✅ Подтвердить")
    storage = conversation.storage
    sender = OutboxSender(
        storage.outbox,
        storage.patients,
        storage.conversations,
        timing=OutboxTiming(retry_base_seconds=0.01),
    )
    conversation.session.fail_with = TelegramNetworkError(
        method=SendMessage(chat_id=MANAGERS, text="x"), message="connection reset"
    )
    assert await sender.deliver_due(conversation.bot) == 0
    count, rows = await storage.outbox.outbox_overview(limit=5)
    assert count == 1
    assert rows[0].attempts == 1
    assert "connection reset" in (rows[0].last_error or "")
    conversation.session.fail_with = None
    import asyncio

    await asyncio.sleep(0.05)  # past the backoff
    assert await sender.deliver_due(conversation.bot) == 1
    assert await storage.outbox.pending_outbox_count() == 0


def _answers(session: RecordingSession) -> list[AnswerCallbackQuery]:
    return [call for call in session.calls if isinstance(call, AnswerCallbackQuery)]


def _first_section() -> str:
    return load_content().for_locale("ru").sections[0].title


async def test_every_button_press_is_answered_once(conversation: Conversation) -> None:
    await conversation.text("/start")
    await conversation.text("📖 Об остеопорозе")
    await conversation.press(_first_section())
    await conversation.press("🏠 Главное меню")
    answers = _answers(conversation.session)
    assert len(answers) == 2
    assert all(answer.text is None and not answer.show_alert for answer in answers)


async def test_a_failed_button_gets_one_answer_the_apology(conversation: Conversation) -> None:
    await conversation.text("📖 Об остеопорозе")
    conversation.session.refuse[EditMessageText] = TelegramBadRequest(
        method=EditMessageText(text="x"), message="Bad Request: something unexpected"
    )
    await conversation.press(_first_section())
    [answer] = _answers(conversation.session)
    assert answer.show_alert
    assert "что-то пошло не так" in str(answer.text)


def _routers(router: Router) -> Iterator[Router]:
    yield router
    for sub_router in router.sub_routers:
        yield from _routers(sub_router)


async def test_no_handler_or_filter_is_sent_to_a_thread(conversation: Conversation) -> None:
    """aiogram runs a plain function (a bare magic filter, a `State` given as a filter) in a
    worker thread for every update that reaches it: ~0.1 ms of CPU each, several per update.
    Every handler and filter of the bot is a coroutine (`bot.filters`, `StateFilter`)."""
    sync = [
        f"{router.name}.{kind}: {filter_.callback!r}"
        for router in _routers(conversation.dispatcher)
        for kind, observer in router.observers.items()
        for handler in observer.handlers
        for filter_ in [handler, *(handler.filters or ())]
        if not filter_.awaitable
    ]
    assert sync == []

"""Filters shared by the handlers, all checked on the event loop's own thread.

aiogram calls a filter that is not a coroutine (a bare `F...` magic filter among them)
through `asyncio.to_thread`: a trip to a worker thread and back, ~0.1 ms of CPU per check,
and a patient's update passed a dozen such checks. An async `Filter` class (the hook aiogram
offers for this) runs the same magic filter in place.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject
from magic_filter import MagicFilter

from bot.settings import Settings


class Magic(Filter):
    """A magic filter (`F...`), resolved in the handler's coroutine instead of a thread."""

    def __init__(self, magic: MagicFilter) -> None:
        self._magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self._magic.resolve(event)


HAS_TEXT = Magic(F.text)

NOT_A_COMMAND = Magic(~F.text.startswith("/"))
"""Form answers exclude commands: "/review" typed at the name step starts a review instead
of becoming the patient's name, and "/forget" is never stored as a complaint."""

TEXT_NOT_A_COMMAND = Magic(F.text & ~F.text.startswith("/"))

PRIVATE_MESSAGE = Magic(F.chat.type == ChatType.PRIVATE)
PRIVATE_CALLBACK = Magic(F.message.chat.type == ChatType.PRIVATE)


class InManagerChat(Filter):
    """A message in the manager chat, or a press on a button of one."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        # A button of a message too old to edit (InaccessibleMessage) still names its chat.
        message = event.message if isinstance(event, CallbackQuery) else event
        chat = getattr(message, "chat", None)
        return chat is not None and chat.id == settings.manager_chat_id

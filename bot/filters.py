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
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter import MagicFilter

from bot.callbacks import STAFF_PRIVATE_BUTTONS
from bot.settings import Settings
from bot.states import EditForm


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


def in_manager_chat(event: TelegramObject, settings: Settings) -> bool:
    """A message in the manager chat, or a press on a button of one."""
    # A button of a message too old to edit (InaccessibleMessage) still names its chat.
    message = event.message if isinstance(event, CallbackQuery) else event
    chat = getattr(message, "chat", None)
    return chat is not None and chat.id == settings.manager_chat_id


class InManagerChat(Filter):
    """A message in the manager chat, or a press on a button of one."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        return in_manager_chat(event, settings)


_STAFF_BUTTON_PREFIXES = tuple(f"{factory.__prefix__}:" for factory in STAFF_PRIVATE_BUTTONS)
_STAFF_PRIVATE_STATES = frozenset(state.state for state in EditForm.__all_states__)


class MayBeStaff(Filter):
    """The gate of the staff routers: passes what could be staff's, so that a patient's
    ordinary message or button press skips every staff router with this one check.

    Passes everything in the manager chat, and outside it a command (the staff routers
    check the sender themselves), staff's form in progress, and staff's own buttons. Any
    other private message or press is a patient's: /start, menu taps and form answers
    reach the patients' routers without a walk through seven staff routers (each costs
    aiogram's middleware wrapping and its filters; ~0.2 ms of a patient's update).
    """

    async def __call__(
        self, event: TelegramObject, settings: Settings, raw_state: str | None = None
    ) -> bool:
        if in_manager_chat(event, settings):
            return True
        if isinstance(event, CallbackQuery):
            return (event.data or "").startswith(_STAFF_BUTTON_PREFIXES)
        if isinstance(event, Message):
            # aiogram's `Command` reads a caption too: /announce under a photo is a command.
            command = (event.text or event.caption or "").startswith("/")
            return command or raw_state in _STAFF_PRIVATE_STATES
        return True

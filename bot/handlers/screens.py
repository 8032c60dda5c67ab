"""Small helpers and filters that several features use to show a screen."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards
from bot.filters import NOT_A_COMMAND
from bot.i18n import Translations, Translator
from bot.services.common import ManagerChat
from bot.settings import Settings

__all__ = ["NOT_A_COMMAND", "MenuButton", "end_form", "leave_form", "managers", "show"]


class MenuButton(Filter):
    """A tap on a reply-keyboard button: its text in any of the bot's languages."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, message: Message, translations: Translations) -> bool:
        return message.text is not None and message.text in translations.variants(self.key)


def managers(settings: Settings) -> ManagerChat:
    return ManagerChat(settings.manager_chat_id, settings.manager_thread_id)


async def show(
    callback: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message's content, so navigating does not flood the chat.

    A message that can no longer be edited (too old, deleted) gets a fresh one instead;
    an edit that changes nothing (a repeated tap) is fine as it is.
    """
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=reply_markup)
            return
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
            if "message to edit not found" not in error.message and (
                "message can't be edited" not in error.message
            ):
                raise
    if callback.message is not None:
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.message.chat.id, text, reply_markup=reply_markup
        )


async def remove_buttons(callback: CallbackQuery) -> None:
    """Take the buttons off a finished step, so an old tap cannot repeat it."""
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)


async def end_form(state: FSMContext, raw_state: str | None) -> bool:
    """Ends the form in progress, if any (`raw_state` is the state aiogram read for this
    update); True if there was one. Without a form there is nothing to write."""
    if raw_state is None:
        return False
    await state.clear()
    return True


async def leave_form(
    state: FSMContext, raw_state: str | None, message: Message, t: Translator
) -> None:
    """Navigating away from a form ends it, and the patient is told so."""
    if await end_form(state, raw_state):
        await message.answer(t("form-cancelled"), reply_markup=keyboards.main_menu(t))


async def cancel_by_button(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    """A form's inline "Cancel": end the form, retire its buttons, back to the main menu."""
    await state.clear()
    await remove_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("form-cancelled"), reply_markup=keyboards.main_menu(t))

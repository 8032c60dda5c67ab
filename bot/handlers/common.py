"""Start, menu, help, cancel and language: what works from every screen and every state."""

from __future__ import annotations

import logging

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import BotCommandScopeChat, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards
from bot.callbacks import LanguageCallback, NavCallback, Screen
from bot.commands import bot_commands
from bot.content import Content
from bot.handlers.screens import MenuButton, end_form, show
from bot.i18n import Translations, Translator
from bot.services.sources import deep_link_source
from storage.repositories import PatientRepository, SourceRepository

logger = logging.getLogger(__name__)


async def start(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    command: CommandObject,
    content: Content,
    source_repo: SourceRepository,
    locale: str,
    t: Translator,
) -> None:
    had_form = await end_form(state, raw_state)
    source = deep_link_source(command.args)
    if source is not None and message.from_user is not None:
        await source_repo.record_source(message.from_user.id, source, locale)
    name = html.quote(message.from_user.first_name) if message.from_user else ""
    text = t("start-greeting", name=name) + "\n\n" + t("contacts-greeting-clinic")
    announcement = content.announcement_for(t.locale)
    if announcement:
        text += "\n\n" + t("announce-greeting", text=html.quote(announcement))
    if had_form:
        text = t("form-cancelled") + "\n\n" + text
    await message.answer(text, reply_markup=keyboards.main_menu(t))


async def cancel(message: Message, state: FSMContext, raw_state: str | None, t: Translator) -> None:
    if not await end_form(state, raw_state):
        await message.answer(t("cancel-nothing"), reply_markup=keyboards.main_menu(t))
        return
    await message.answer(t("form-cancelled"), reply_markup=keyboards.main_menu(t))


async def menu(message: Message, state: FSMContext, raw_state: str | None, t: Translator) -> None:
    await end_form(state, raw_state)
    await message.answer(t("menu-title"), reply_markup=keyboards.main_menu(t))


async def menu_button(
    callback: CallbackQuery, state: FSMContext, raw_state: str | None, t: Translator
) -> None:
    await end_form(state, raw_state)
    if callback.message is not None:
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.message.chat.id, t("menu-title"), reply_markup=keyboards.main_menu(t)
        )


async def help_command(message: Message, raw_state: str | None, t: Translator) -> None:
    if raw_state is not None:
        # Keep the form's own keyboard (e.g. "Share my phone"): the form goes on.
        await message.answer(t("help-text") + "\n\n" + t("form-continue"))
        return
    await message.answer(t("help-text"), reply_markup=keyboards.main_menu(t))


async def language(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    translations: Translations,
    t: Translator,
) -> None:
    await end_form(state, raw_state)
    await message.answer(
        t("language-choose"), reply_markup=keyboards.languages(t, translations.locales)
    )


async def set_language(
    callback: CallbackQuery,
    callback_data: LanguageCallback,
    callback_answer: CallbackAnswer,
    patient_repo: PatientRepository,
    translations: Translations,
    t: Translator,
) -> None:
    if callback_data.locale not in translations:
        callback_answer.text = t("stale-button")
        return
    await patient_repo.set_user_locale(callback.from_user.id, callback_data.locale)
    chosen = translations.get(callback_data.locale)
    await show(callback, chosen("language-set"))
    if callback.message is not None and callback.bot is not None:
        chat_id = callback.message.chat.id
        await callback.bot.send_message(
            chat_id, chosen("menu-title"), reply_markup=keyboards.main_menu(chosen)
        )
        # The "/" menu follows the bot's language, not only the Telegram app's.
        await callback.bot.set_my_commands(
            bot_commands(chosen), scope=BotCommandScopeChat(chat_id=chat_id)
        )
    logger.info("User changed language to %s", callback_data.locale)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(cancel, Command("cancel"))
    router.message.register(cancel, MenuButton("form-cancel-button"))
    router.message.register(menu, Command("menu"))
    router.callback_query.register(menu_button, NavCallback.filter(F.screen == Screen.MENU))
    router.message.register(help_command, Command("help"))
    router.message.register(language, Command("language"))
    router.message.register(language, MenuButton("menu-language"))
    router.callback_query.register(set_language, LanguageCallback.filter())
    return router

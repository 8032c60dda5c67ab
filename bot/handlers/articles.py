"""The patient-education article: a list of sections, each shown by editing one message."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, views
from bot.callbacks import ArticleCallback, NavCallback, Screen
from bot.content import Content
from bot.handlers.screens import MenuButton, leave_form, show
from bot.i18n import Translator


async def article_menu(
    message: Message, state: FSMContext, raw_state: str | None, content: Content, t: Translator
) -> None:
    await leave_form(state, raw_state, message, t)
    local = content.for_locale(t.locale)
    await message.answer(
        views.article_menu(t, local), reply_markup=keyboards.article_sections(t, local.sections)
    )


async def article_menu_button(callback: CallbackQuery, content: Content, t: Translator) -> None:
    local = content.for_locale(t.locale)
    await show(
        callback, views.article_menu(t, local), keyboards.article_sections(t, local.sections)
    )


async def section(
    callback: CallbackQuery,
    callback_data: ArticleCallback,
    callback_answer: CallbackAnswer,
    content: Content,
    t: Translator,
) -> None:
    local = content.for_locale(t.locale)
    index = local.section_index(callback_data.section)
    if index is None:
        await show(
            callback, views.article_menu(t, local), keyboards.article_sections(t, local.sections)
        )
        callback_answer.text = t("stale-button")
        return
    previous = local.sections[index - 1] if index > 0 else None
    following = local.sections[index + 1] if index + 1 < len(local.sections) else None
    await show(
        callback,
        views.article_section(t, local, index),
        keyboards.article_navigation(t, previous, following),
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(article_menu, Command("article"))
    router.message.register(article_menu, MenuButton("menu-article"))
    router.callback_query.register(
        article_menu_button, NavCallback.filter(F.screen == Screen.ARTICLE)
    )
    router.callback_query.register(section, ArticleCallback.filter())
    return router

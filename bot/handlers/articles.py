"""The patient-education article: a list of sections, each shown by editing one message."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, views
from bot.callbacks import ArticleCallback, NavCallback, Screen
from bot.content import Content
from bot.handlers.screens import answer_quietly, leave_form, show
from bot.i18n import Translations, Translator


def create_router(translations: Translations) -> Router:
    router = Router(name=__name__)

    @router.message(Command("article"))
    @router.message(F.text.in_(translations.variants("menu-article")))
    async def article_menu(
        message: Message, state: FSMContext, content: Content, t: Translator
    ) -> None:
        await leave_form(state, message, t)
        local = content.for_locale(t.locale)
        await message.answer(
            views.article_menu(t, local), reply_markup=keyboards.article_sections(t, local.sections)
        )

    @router.callback_query(NavCallback.filter(F.screen == Screen.ARTICLE))
    async def article_menu_button(callback: CallbackQuery, content: Content, t: Translator) -> None:
        local = content.for_locale(t.locale)
        await show(
            callback,
            views.article_menu(t, local),
            keyboards.article_sections(t, local.sections),
        )
        await answer_quietly(callback)

    @router.callback_query(ArticleCallback.filter())
    async def section(
        callback: CallbackQuery, callback_data: ArticleCallback, content: Content, t: Translator
    ) -> None:
        local = content.for_locale(t.locale)
        index = local.section_index(callback_data.section)
        if index is None:
            await show(
                callback,
                views.article_menu(t, local),
                keyboards.article_sections(t, local.sections),
            )
            await answer_quietly(callback, t("stale-button"))
            return
        previous = local.sections[index - 1] if index > 0 else None
        following = local.sections[index + 1] if index + 1 < len(local.sections) else None
        await show(
            callback,
            views.article_section(t, local, index),
            keyboards.article_navigation(t, previous, following),
        )
        await answer_quietly(callback)

    return router

"""The price list; each service has a button that starts a request for it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, views
from bot.callbacks import NavCallback, Screen
from bot.content import Content
from bot.handlers.screens import answer_quietly, leave_form, show
from bot.i18n import Translations, Translator


def create_router(translations: Translations) -> Router:
    router = Router(name=__name__)

    @router.message(Command("prices"))
    @router.message(F.text.in_(translations.variants("menu-prices")))
    async def prices(message: Message, state: FSMContext, content: Content, t: Translator) -> None:
        await leave_form(state, message, t)
        local = content.for_locale(t.locale)
        await message.answer(
            views.price_list(t, local), reply_markup=keyboards.price_list(t, local.services)
        )

    @router.callback_query(NavCallback.filter(F.screen == Screen.PRICES))
    async def prices_button(callback: CallbackQuery, content: Content, t: Translator) -> None:
        local = content.for_locale(t.locale)
        await show(callback, views.price_list(t, local), keyboards.price_list(t, local.services))
        await answer_quietly(callback)

    return router

"""The price list; each service has a button that starts a request for it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, views
from bot.callbacks import NavCallback, Screen
from bot.content import Content
from bot.handlers.screens import MenuButton, leave_form, show
from bot.i18n import Translator


async def prices(
    message: Message, state: FSMContext, raw_state: str | None, content: Content, t: Translator
) -> None:
    await leave_form(state, raw_state, message, t)
    local = content.for_locale(t.locale)
    await message.answer(
        views.price_list(t, local), reply_markup=keyboards.price_list(t, local.services)
    )


async def prices_button(callback: CallbackQuery, content: Content, t: Translator) -> None:
    local = content.for_locale(t.locale)
    await show(callback, views.price_list(t, local), keyboards.price_list(t, local.services))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(prices, Command("prices"))
    router.message.register(prices, MenuButton("menu-prices"))
    router.callback_query.register(prices_button, NavCallback.filter(F.screen == Screen.PRICES))
    return router

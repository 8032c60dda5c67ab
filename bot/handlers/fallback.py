"""What nothing else handled: unknown messages and buttons of finished or old screens."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.handlers.screens import answer_quietly
from bot.i18n import Translator


def create_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query()
    async def stale_button(callback: CallbackQuery, t: Translator) -> None:
        await answer_quietly(callback, t("stale-button"))

    @router.message()
    async def not_understood(message: Message, t: Translator) -> None:
        await message.answer(t("not-understood"), reply_markup=keyboards.main_menu(t))

    return router

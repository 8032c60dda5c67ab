"""All routers of the bot, in the order they must see updates."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.handlers import articles, booking, common, fallback, prices, reviews
from bot.i18n import Translations


def create_routers(translations: Translations) -> list[Router]:
    """Fresh routers for one dispatcher; the patient's features answer in private chats only."""
    patients = Router(name="patients")
    patients.message.filter(F.chat.type == ChatType.PRIVATE)
    patients.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    patients.include_routers(
        common.create_router(translations),
        articles.create_router(translations),
        prices.create_router(translations),
        booking.create_router(translations),
        reviews.create_router(translations),
        fallback.create_router(),
    )
    return [patients]

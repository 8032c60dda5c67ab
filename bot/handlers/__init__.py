"""All routers of the bot, in the order they must see updates."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.handlers import (
    articles,
    booking,
    common,
    fallback,
    managers,
    prices,
    privacy,
    reviews,
    staff_tools,
)
from bot.i18n import Translations
from bot.middlewares import BanMiddleware
from bot.settings import Settings


def create_routers(settings: Settings, translations: Translations) -> list[Router]:
    """Fresh routers for one dispatcher; the patient's features answer in private chats only."""
    patients = Router(name="patients")
    patients.message.filter(F.chat.type == ChatType.PRIVATE)
    patients.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    ban = BanMiddleware(translations)
    patients.message.outer_middleware(ban)
    patients.callback_query.outer_middleware(ban)
    patients.include_routers(
        common.create_router(translations),
        articles.create_router(translations),
        prices.create_router(translations),
        booking.create_router(translations),
        reviews.create_router(translations),
        privacy.create_router(settings, translations),
        fallback.create_router(settings, translations),
    )
    return [managers.create_router(settings, translations), staff_tools.create_router(), patients]

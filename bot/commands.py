"""The bot's "/" command list, per language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from bot.i18n import Translations, Translator

COMMANDS: tuple[str, ...] = (
    "start",
    "menu",
    "prices",
    "book",
    "review",
    "reviews",
    "contacts",
    "help",
    "cancel",
    "mydata",
    "forget",
)


def bot_commands(t: Translator) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(f"command-{name}")) for name in COMMANDS]


async def register_commands(bot: Bot, translations: Translations) -> None:
    """Register the list for each language, and English for every other language."""
    scope = BotCommandScopeAllPrivateChats()
    for locale in translations.locales:
        await bot.set_my_commands(
            bot_commands(translations.get(locale)), scope=scope, language_code=locale
        )
    fallback = "en" if "en" in translations else translations.default_locale
    await bot.set_my_commands(bot_commands(translations.get(fallback)), scope=scope)

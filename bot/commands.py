"""The bot's "/" command lists, per scope and language.

Patients see theirs in every private chat. The manager chat, and the private chat of each
staff member the settings name (ADMIN_IDS, and ON_DUTY_STAFF given as numeric ids), see the
staff's commands too: Telegram shows the most specific scope's list.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)

from bot.i18n import Translations, Translator
from bot.settings import Settings

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

STAFF_COMMANDS: tuple[str, ...] = (
    "requests",
    "request",
    "reviews",
    "stats",
    "today",
    "tomorrow",
    "templates",
    "prices",
    "branches",
    "announce",
    "link",
    "export",
    "audit",
    "outbox",
    "reload",
    "help",
)
"""What staff can do, most used first (each one's description: `staffhelp-command-<name>`)."""

Scope = BotCommandScopeAllPrivateChats | BotCommandScopeChat | BotCommandScopeDefault
CommandList = Callable[[Translator], list[BotCommand]]


def bot_commands(t: Translator) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(f"command-{name}")) for name in COMMANDS]


def staff_commands(t: Translator) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=t(f"staffhelp-command-{name}"))
        for name in STAFF_COMMANDS
    ]


def staff_private_commands(t: Translator) -> list[BotCommand]:
    """A staff member's own chat with the bot: the staff's commands, then the patients'
    ones they do not already have (/start, /book, ... to try the bot as a patient)."""
    staff = staff_commands(t)
    names = {command.command for command in staff}
    return staff + [command for command in bot_commands(t) if command.command not in names]


def staff_chat_ids(settings: Settings) -> list[int]:
    """Private chats (a user's id is their chat's) that get the staff's list."""
    ids = list(settings.admin_ids)
    ids += [int(staff) for staff in settings.on_duty_staff if staff.isdecimal()]
    return list(dict.fromkeys(ids))


async def register_commands(
    bot: Bot, translations: Translations, settings: Settings | None = None
) -> None:
    """Register each list for each language, and English for every other language."""
    fallback = "en" if "en" in translations else translations.default_locale
    scopes: list[tuple[Scope, CommandList]] = [(BotCommandScopeAllPrivateChats(), bot_commands)]
    if settings is not None:
        scopes.append((BotCommandScopeChat(chat_id=settings.manager_chat_id), staff_commands))
        scopes += [
            (BotCommandScopeChat(chat_id=chat_id), staff_private_commands)
            for chat_id in staff_chat_ids(settings)
        ]
    for scope, build in scopes:
        for locale in translations.locales:
            await bot.set_my_commands(
                build(translations.get(locale)), scope=scope, language_code=locale
            )
        await bot.set_my_commands(build(translations.get(fallback)), scope=scope)

"""What stops the bot at start, as one line for the operator and a distinct exit status."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

EXIT_CONFIG = 2
"""A setting or a content file is wrong."""
EXIT_TOKEN_REJECTED = 3
"""Telegram answered 401 to BOT_TOKEN."""
EXIT_API_UNREACHABLE = 4
"""No answer from the Bot API server."""
EXIT_DATABASE = 5
"""The database cannot be opened, is not a database, is newer than the code or is read-only."""


class StartupError(Exception):
    """The bot cannot start; `str(error)` is the one line to print."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


async def check_telegram(bot: Bot, api_url: str) -> None:
    """Ask the Bot API who the bot is: a bad token or no route shows here, not mid-traceback."""
    try:
        await bot.get_me()
    except TelegramUnauthorizedError as error:
        raise StartupError(
            "Telegram rejected BOT_TOKEN (401 Unauthorized): check the token from @BotFather",
            EXIT_TOKEN_REJECTED,
        ) from error
    except TelegramNetworkError as error:
        raise StartupError(
            f"cannot reach {api_url}: check the network or TELEGRAM_API_URL",
            EXIT_API_UNREACHABLE,
        ) from error

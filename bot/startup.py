"""What stops the bot at start, as one line for the operator and a distinct exit status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.clock import Clock, utc_now
from storage import (
    DatabaseTooNewError,
    LegacyDatabaseError,
    Storage,
    open_storage,
    upgrade_database,
)

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


async def open_database(database_url: str, *, clock: Clock = utc_now) -> Storage:
    """The storage, migrated and writable, or a StartupError naming the database's problem."""
    with _unusable_database(database_url):
        storage = await open_storage(database_url, clock=clock)
    try:
        await storage.database.check_writable()
    except (DBAPIError, OSError) as error:
        await storage.database.close()  # nothing was claimed, and nothing could be released
        raise StartupError(
            f"the database {_shown(database_url)} accepts no writes: {_problem(error)}",
            EXIT_DATABASE,
        ) from error
    return storage


async def migrate_database(database_url: str) -> str:
    """`clinic-bot db upgrade`: the revision the database is at after migrating it, or a
    StartupError with the same line and exit status as at start."""
    with _unusable_database(database_url):
        return await upgrade_database(database_url)


@contextmanager
def _unusable_database(database_url: str) -> Iterator[None]:
    """A database that cannot be opened or migrated as one line and EXIT_DATABASE."""
    try:
        yield
    except (ValueError, LegacyDatabaseError, DatabaseTooNewError) as error:
        raise StartupError(f"{_shown(database_url)}: {error}", EXIT_DATABASE) from error
    except (DBAPIError, OSError) as error:
        raise StartupError(
            f"cannot open the database {_shown(database_url)}: {_problem(error)}", EXIT_DATABASE
        ) from error


def _shown(database_url: str) -> str:
    """The database as an operator names it: the file of SQLite, the URL without password."""
    if database_url.startswith("sqlite"):
        return database_url.split(":///", 1)[-1]
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return database_url.split("@")[-1]


def _problem(error: BaseException) -> str:
    """The driver's own words ("file is not a database"), without SQLAlchemy's SQL dump."""
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(error).__name__

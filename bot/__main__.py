"""Entry point: `python -m bot` or `clinic-bot` (run | preview | db upgrade)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from pydantic import ValidationError

from bot.content import ContentError
from bot.i18n import TranslationError
from bot.settings import EXPECTATIONS, DatabaseSettings, Settings, describe_errors
from bot.startup import EXIT_CONFIG, StartupError, migrate_database

SettingsT = TypeVar("SettingsT", bound=DatabaseSettings)

DESCRIPTION = """\
The clinic's Telegram bot. Settings come from environment variables or a .env file in the
working directory; only BOT_TOKEN and MANAGER_CHAT_ID are required (.env.example explains
every one).

commands:
  run [--drop-webhook]   start the bot (the default): long polling, or webhook mode when
                         WEBHOOK_URL is set; --drop-webhook only removes a webhook and exits
  preview [options]      try the bot without Telegram on a local page (preview --help)
  db upgrade             create or migrate the database at DATABASE_URL, then exit; it
                         reads no other setting (no BOT_TOKEN or MANAGER_CHAT_ID needed)
"""

EXIT_STATUSES = """\
exit status: 0 stopped normally, 2 a setting or content file is wrong, 3 Telegram rejected
BOT_TOKEN, 4 the Bot API server cannot be reached, 5 the database cannot be used.
"""


def package_version() -> str:
    try:
        return version("clinic-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    settings_help = "\n".join(
        f"  {name.upper():<28}{expected}" for name, expected in EXPECTATIONS.items()
    )
    parser = argparse.ArgumentParser(
        prog="clinic-bot",
        description=DESCRIPTION,
        epilog=f"settings:\n{settings_help}\n\n{EXIT_STATUSES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"clinic-bot {package_version()}")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "db"))
    parser.add_argument("action", nargs="?", choices=("upgrade",), help=argparse.SUPPRESS)
    parser.add_argument(
        "--drop-webhook", action="store_true", help="remove the bot's webhook and exit"
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "db" and arguments.action is None:
        parser.error("db needs an action: db upgrade")
    if arguments.command == "run" and arguments.action is not None:
        parser.error(f"unexpected argument: {arguments.action}")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["preview"]:  # needs no BOT_TOKEN / MANAGER_CHAT_ID: see bot/preview
        from bot.preview.cli import main as preview

        return preview(argv[1:])
    arguments = parse_args(argv)
    if arguments.command == "db":
        # Migrating needs only DATABASE_URL: a deployment runs it before the bot has a token.
        database = _load_settings(DatabaseSettings)
        if database is None:
            return EXIT_CONFIG
        return _serve(lambda: _upgrade(database.database_url))
    settings = _load_settings(Settings)
    if settings is None:
        return EXIT_CONFIG

    def start() -> Coroutine[Any, Any, None]:
        from bot.app import run  # imported late: a bad setting needs none of aiogram

        return run(settings, drop_webhook=arguments.drop_webhook)

    return _serve(start)


def _load_settings(kind: type[SettingsT]) -> SettingsT | None:
    """The settings from the environment and .env, or None after one line per bad one."""
    try:
        return kind()
    except ValidationError as error:
        for line in describe_errors(error):
            print(line, file=sys.stderr)
        return None


QUIET_LOGGERS = ("aiogram.event", "aiogram.middlewares")
"""aiogram's loggers whose INFO lines come once per update (kept at WARNING)."""


async def _upgrade(database_url: str) -> None:
    revision = await migrate_database(database_url)
    print(f"Database is at revision {revision}")


def _serve(work: Callable[[], Coroutine[Any, Any, None]]) -> int:
    """Run `work` to its end; what stops it early is one line and its exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiogram writes one INFO line per handled update and another per answered button
    # press; at a busy clinic that is most of the log. Update counts and durations are in
    # /metrics instead.
    for chatty in QUIET_LOGGERS:
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        with asyncio.Runner(loop_factory=_fast_event_loop()) as runner:
            runner.run(work())
    except (ContentError, TranslationError) as error:
        print(f"Content error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except StartupError as error:
        print(error, file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        pass
    return 0


def _fast_event_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it exists: its I/O and scheduling take ~15% less CPU per update."""
    try:
        import uvloop
    except ImportError:  # Windows: the standard loop
        return None
    return uvloop.new_event_loop


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

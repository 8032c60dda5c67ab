"""Entry point: `python -m bot` or `clinic-bot`."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

from pydantic import ValidationError

from bot.content import ContentError
from bot.i18n import TranslationError
from bot.settings import Settings, describe_errors

EXIT_CONFIG = 2


def main() -> int:
    if sys.argv[1:2] == ["preview"]:  # needs no BOT_TOKEN / MANAGER_CHAT_ID: see bot/preview
        from bot.preview.cli import main as preview

        return preview(sys.argv[2:])
    try:
        settings = Settings()
    except ValidationError as error:
        for line in describe_errors(error):
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiogram writes one INFO line per handled update; at a busy clinic that is most of
    # the log and ~10% of the CPU. Update counts and durations are in /metrics instead.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    from bot.app import run  # imported late: a bad setting needs none of aiogram

    try:
        with asyncio.Runner(loop_factory=_fast_event_loop()) as runner:
            runner.run(run(settings, drop_webhook="--drop-webhook" in sys.argv[1:]))
    except (ContentError, TranslationError) as error:
        print(f"Content error: {error}", file=sys.stderr)
        return EXIT_CONFIG
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

"""`clinic-bot preview [--port N] [--database PATH] [--watch]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from bot.content import CONTENT_DIR, ContentError
from bot.i18n import TranslationError
from bot.startup import EXIT_CONFIG


def is_local_url(url: str) -> bool:
    """True for an http(s) URL whose host is 127.0.0.0/8, ::1 or localhost."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_api_url(environ: Mapping[str, str]) -> str | None:
    """A TELEGRAM_API_URL (any letter case, as the settings read it) that is not local."""
    for name, value in environ.items():
        if name.upper() == "TELEGRAM_API_URL" and value.strip() and not is_local_url(value):
            return value
    return None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="clinic-bot preview",
        description=(
            "Try the bot without Telegram: a local Bot API emulation, the real bot and a web "
            "page with the patient's and the managers' chats, all on 127.0.0.1."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port of the page (default: any free port)"
    )
    parser.add_argument(
        "--database",
        type=Path,
        metavar="PATH",
        help="SQLite file to keep between runs (default: a temporary one, deleted on exit)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="reload the texts when files under content/ change; errors show on the page",
    )
    args = parser.parse_args(list(argv))
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    return args


async def serve(args: argparse.Namespace, content_dir: Path = CONTENT_DIR) -> None:
    """Run the preview until SIGINT/SIGTERM."""
    from bot.preview.core import Preview  # aiogram and aiohttp only once the checks passed

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with Preview(
        port=args.port, database=args.database, watch=args.watch, content_dir=content_dir
    ) as preview:
        print(f"Clinic bot preview: {preview.url}", flush=True)
        where = f"database {args.database}" if args.database else "a throwaway database"
        watching = f"; watching {content_dir} for changes" if args.watch else ""
        print(f"No token, no network: a local Bot API emulation, {where}{watching}.", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        await stop.wait()


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    remote = remote_api_url(os.environ)
    if remote is not None:
        print(
            f"Preview refused: TELEGRAM_API_URL is {remote!r}; the preview only runs against "
            "its own local emulation, so unset it or point it at 127.0.0.1.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiogram").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(args))
    except (ContentError, TranslationError) as error:
        print(f"Content error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as error:  # the port is taken, the database folder is not writable, ...
        print(f"Preview failed to start: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0

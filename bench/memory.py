"""Bounded memory: RSS after 1,000, 10,000 and 50,000 distinct patients (issue 16, item 5).

clinic-bot as `Application.create` assembles it (SQLite in a temporary directory), every
patient's updates fed through `Dispatcher.feed_update`, the Bot API answered in-process by
`CannedSession` (aiogram's supported transport hook; no network). Each patient opens the
bot (/start: their language stored), and types a question (to the managers). RSS is read
after a garbage collection once each number of patients in `--checkpoints` was served: with
every per-patient cache bounded, the last is within 10 % of the first.

    .venv/bin/python -m bench.memory [--checkpoints 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tempfile
import time
from collections import Counter
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update

BOT_ID = 123456789
MANAGER_CHAT_ID = -1001234567890
FIRST_PATIENT_ID = 7_000_000
TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


class CannedSession(BaseSession):
    """Answers every Bot API request in-process: a sent message echoes its chat and text."""

    def __init__(self) -> None:
        super().__init__()
        self.next_message_id = 1
        self.calls: Counter[str] = Counter()  # requests by Bot API method

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - BaseSession's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> TelegramType:
        self.calls[method.__api_method__] += 1
        answer = json.dumps({"ok": True, "result": self._result(method)})
        response = self.check_response(bot=bot, method=method, status_code=200, content=answer)
        return response.result  # type: ignore[return-value]

    def _result(self, method: TelegramMethod[Any]) -> Any:
        name = method.__api_method__
        if name == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Clinic", "username": "clinic_bot"}
        if name == "getChatMember":
            user = {"id": int(getattr(method, "user_id", 0)), "is_bot": False, "first_name": "M"}
            return {"status": "left", "user": user}
        chat_id = getattr(method, "chat_id", None)
        if not isinstance(chat_id, int) or not name.startswith(("send", "copy", "edit")):
            return True
        if name == "copyMessage":
            self.next_message_id += 1
            return {"message_id": self.next_message_id}
        self.next_message_id += 1
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "supergroup", "title": "Managers"}
            if chat_id < 0
            else {"id": chat_id, "type": "private", "first_name": "Patient"}
        )
        return {
            "message_id": self.next_message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Clinic"},
            "text": str(getattr(method, "text", None) or "-"),
        }


def canned_bot() -> Bot:
    return Bot(
        TOKEN, session=CannedSession(), default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


class Patients:
    """Distinct patients' updates, numbered as Telegram numbers them."""

    def __init__(self) -> None:
        self.update_id = 0
        self.message_id = 0

    def text(self, user_id: int, text: str) -> Update:
        self.update_id += 1
        self.message_id += 1
        user = {"id": user_id, "is_bot": False, "first_name": "Пациент", "language_code": "ru"}
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text)}]
            if text.startswith("/")
            else []
        )
        return Update.model_validate(
            {
                "update_id": self.update_id,
                "message": {
                    "message_id": self.message_id,
                    "date": int(datetime.now(UTC).timestamp()),
                    "chat": {"id": user_id, "type": "private", "first_name": "Пациент"},
                    "from": user,
                    "text": text,
                    "entities": entities,
                },
            }
        )


PATIENT_SAYS = ("/start", "Здравствуйте, сколько стоит массаж?")


async def serve(
    dispatcher: Dispatcher, bot: Bot, patients: Patients, first: int, count: int
) -> None:
    """`count` new patients, from user id `first` on, each through a short conversation."""
    for user_id in range(first, first + count):
        for text in PATIENT_SAYS:
            await dispatcher.feed_update(bot, patients.text(user_id, text))


def rss_mb() -> float:
    import psutil

    gc.collect()
    return float(psutil.Process().memory_info().rss) / 2**20


async def measure(checkpoints: Sequence[int], workdir: Path) -> dict[str, Any]:
    """RSS after each number of distinct patients in `checkpoints` (ascending)."""
    from bot.app import Application
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        manager_chat_id=MANAGER_CHAT_ID,
        database_url=f"sqlite:///{workdir}/clinic.db",
        throttle_limit=10_000,
    )
    application = await Application.create(settings)
    await application.bot.session.close()  # its own transport is not used
    bot = canned_bot()
    patients = Patients()
    rss: dict[str, float] = {}
    served = 0
    started = time.perf_counter()
    try:
        for checkpoint in checkpoints:
            first_id = FIRST_PATIENT_ID + served
            await serve(application.dispatcher, bot, patients, first_id, checkpoint - served)
            served = checkpoint
            rss[str(checkpoint)] = round(rss_mb(), 1)
    finally:
        await bot.session.close()
        await application.close()
    first, last = rss[str(checkpoints[0])], rss[str(checkpoints[-1])]
    return {
        "rss_mb_after_patients": rss,
        "ratio_last_to_first": round(last / first, 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkpoints",
        default="1000,10000,50000",
        help="distinct patients after which RSS is read, ascending (default 1000,10000,50000)",
    )
    arguments = parser.parse_args()
    checkpoints = sorted(int(value) for value in arguments.checkpoints.split(","))
    with tempfile.TemporaryDirectory() as workdir:
        result = asyncio.run(measure(checkpoints, Path(workdir)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

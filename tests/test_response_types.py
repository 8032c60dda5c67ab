"""Bot API answers are validated by classes built once, not again after every collection."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

from aiogram import Bot
from aiogram.methods import Response, SendMessage

from bot.preview.emulator import TEST_TOKEN
from bot.retry import KeepResponseTypes

ANSWER = json.dumps(
    {
        "ok": True,
        "result": {"message_id": 1, "date": 0, "text": "hi", "chat": {"id": 1, "type": "private"}},
    }
)


async def test_the_response_class_of_a_called_method_survives_garbage_collection() -> None:
    bot = Bot(TEST_TOKEN)
    method = SendMessage(chat_id=1, text="hi")

    async def answered(bot: Bot, method: Any) -> Any:
        return bot.session.check_response(bot, method, 200, ANSWER)

    keep = KeepResponseTypes()  # as the bot's session holds it, for its life
    await keep(answered, bot, method)
    built = weakref.ref(Response[method.__returning__])  # type: ignore[name-defined]
    gc.collect()
    # pydantic caches parametrised models weakly: without the middleware's reference the
    # class is freed here, and the next answer builds its schema and validator again.
    assert built() is not None
    await bot.session.close()

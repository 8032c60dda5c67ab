"""The baseline: a bare aiogram bot with one handler for messages and one for button presses.

It answers every message with a fixed text and an inline keyboard, and every button press
with answerCallbackQuery plus the same message. Configured from the same environment
variables as the real bot (BOT_TOKEN, TELEGRAM_API_URL) and run the same way: a separate
process, long polling, INFO logging like `python -m bot`.

    python -m bench.bare_bot
"""

from __future__ import annotations

import asyncio
import logging
import os

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

TEXT = "Hello! This is a <b>fixed</b> answer."
BUTTON_DATA = "bare:press"
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Press me", callback_data=BUTTON_DATA)],
        [InlineKeyboardButton(text="Or me", callback_data=BUTTON_DATA + ":2")],
    ]
)


def create_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def on_message(message: Message) -> None:
        await message.answer(TEXT, reply_markup=KEYBOARD)

    @dispatcher.callback_query()
    async def on_press(callback: CallbackQuery) -> None:
        await callback.answer()
        if callback.message is not None:
            await callback.bot.send_message(  # type: ignore[union-attr]
                callback.message.chat.id, TEXT, reply_markup=KEYBOARD
            )

    return dispatcher


async def main() -> None:
    api = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
    bot = Bot(
        token=os.environ["BOT_TOKEN"],
        session=AiohttpSession(api=TelegramAPIServer.from_base(api)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    dispatcher = create_dispatcher()
    await bot.delete_webhook(drop_pending_updates=False)
    await dispatcher.start_polling(bot, allowed_updates=dispatcher.resolve_used_update_types())


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(main())

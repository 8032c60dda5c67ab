"""clinic-bot: the clinic's Telegram bot.

aiogram builds pydantic validators for all ~570 Bot API models when it is imported,
~100 MB of memory, though a bot uses a handful; `install()` makes them build on first
use instead. It has to run before anything imports aiogram, hence here.
"""

from bot.lazy_aiogram import install

install()

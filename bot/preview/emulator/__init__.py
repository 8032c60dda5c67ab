"""Telegram Bot API emulator: drive the real bot in tests and the local preview without Telegram.

Modules, by concern:
``server`` the :class:`FakeTelegramServer` class assembled from the ones below;
``http`` aiohttp on 127.0.0.1, request decoding and uploads, getUpdates long polling;
``state`` users, chats, messages, topics, files, callbacks and recorded calls;
``users`` what played users do (write, send photos and contacts, press buttons);
``observe`` what the bot did, and waiting for it in tests;
``methods_messages`` send, copy, edit and delete messages (and the list of send methods);
``methods_chats`` callback answers, chat members, forum topics;
``methods_setup`` getMe, webhook, command menu;
``entities`` HTML parsing into entities with UTF-16 offsets;
``limits`` Telegram's limits, error texts and :class:`BotApiError`.
"""

from bot.preview.emulator.entities import parse_html
from bot.preview.emulator.limits import TEXT_LIMIT, BotApiError
from bot.preview.emulator.methods_messages import SEND_METHODS
from bot.preview.emulator.server import FakeTelegramServer
from bot.preview.emulator.state import (
    TEST_TOKEN,
    ApiCall,
    FakeChat,
    FakeUser,
    StoredFile,
)

__all__ = [
    "SEND_METHODS",
    "TEST_TOKEN",
    "TEXT_LIMIT",
    "ApiCall",
    "BotApiError",
    "FakeChat",
    "FakeTelegramServer",
    "FakeUser",
    "StoredFile",
    "parse_html",
]

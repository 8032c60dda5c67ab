"""Telegram Bot API emulator: drive the real bot in tests and local previews without Telegram."""

from bot.emulator.server import (
    EMULATOR_ONLY_KEYS,
    TEST_TOKEN,
    ApiCall,
    BotApiError,
    FakeChat,
    FakeTelegramServer,
    FakeUser,
    StoredFile,
    Upload,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)

__all__ = [
    "EMULATOR_ONLY_KEYS",
    "TEST_TOKEN",
    "ApiCall",
    "BotApiError",
    "FakeChat",
    "FakeTelegramServer",
    "FakeUser",
    "StoredFile",
    "Upload",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

"""Issue 12's edges probed once more: a real database cut short, secret headers of raw
non-UTF-8 bytes, and names that show nothing or hide their shortness behind invisible marks."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from bot.app import Application
from bot.preview.emulator import FakeTelegramServer
from bot.services.forms import NAME_RULE, TextProblem
from tests.test_scaling import _update, webhook_bot  # noqa: F401  (the fixture)
from tests.test_startup import _clinic_bot, _database_refused


async def test_a_database_cut_short_stops_the_bot_in_one_line(tmp_path: Path) -> None:
    """A real clinic.db truncated (a copy interrupted, a full disk): one line, exit 5."""
    from storage import open_storage

    whole = tmp_path / "whole.db"
    storage = await open_storage(f"sqlite:///{whole}")
    await storage.close()
    content = whole.read_bytes()
    for size in (4096, len(content) // 2):
        cut = tmp_path / f"cut-{size}.db"
        cut.write_bytes(content[:size])
        status, _, stderr = await _clinic_bot(tmp_path, DATABASE_URL=f"sqlite:///{cut}")
        line = _database_refused(status, stderr)
        assert str(cut) in line
        assert "malformed" in line


async def _post_raw_secret(base: str, secret: bytes) -> int:
    """POST an update with a secret header of raw bytes, as no HTTP library would send."""
    host, port = base.removeprefix("http://").split(":")
    body = json.dumps(_update(7, 4343, "/start")).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /webhook HTTP/1.1\r\nHost: "
        + host.encode()
        + b"\r\nContent-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: "
        + secret
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    "secret",
    [b"s3cret-token_42\xe9", b"\xff\xfe garbage \xc3\x28", "секрет".encode("cp1251")],
    ids=["latin-1", "invalid-utf-8", "cp1251"],
)
async def test_a_secret_header_of_raw_bytes_is_401(
    webhook_bot: tuple[Application, str],  # noqa: F811
    telegram: FakeTelegramServer,
    caplog: pytest.LogCaptureFixture,
    secret: bytes,
) -> None:
    _, base = webhook_bot
    telegram.private_user(4343, "Web", language_code="en")
    caplog.set_level(logging.INFO)
    assert await _post_raw_secret(base, secret) == 401
    await telegram.wait_idle()
    assert not [c for c in telegram.calls_of("sendMessage") if c.params["chat_id"] == 4343]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "raw",
    [
        "\u034f\u034f\u034f",  # combining grapheme joiner
        "\ufe0f\ufe0f",  # variation selectors
        "\u17b4\u17b5",  # Khmer inherent vowels
        "\u180b\u180c\u180d",  # Mongolian variation selectors
        "\U000e0100\U000e0101",  # supplementary variation selectors
    ],
)
def test_names_of_default_ignorable_marks_are_empty(raw: str) -> None:
    """Marks Unicode says to show as nothing are as blank as a Hangul filler."""
    assert NAME_RULE.check(raw) == TextProblem.EMPTY


@pytest.mark.parametrize("raw", ["Я\u200b", "Я\u3164", "Я\ufe0f", "\u202eЯ\u2066"])
def test_one_visible_letter_is_too_short_whatever_hides_beside_it(raw: str) -> None:
    assert NAME_RULE.check(raw) == TextProblem.TOO_SHORT

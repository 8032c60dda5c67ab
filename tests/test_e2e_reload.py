"""/reload and SIGHUP re-read content/; a broken file is reported and the old texts stay."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import CONTENT_DIR
from bot.preview.emulator import FakeTelegramServer
from tests.conftest import RunningBot, SettingsFactory
from tests.e2e import patient, say, tap

ADMIN_ID = 900


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
async def staffed(
    make_settings: SettingsFactory, telegram: FakeTelegramServer, content_copy: Path
) -> AsyncIterator[RunningBot]:
    settings = make_settings(admin_ids=(ADMIN_ID,), content_dir=content_copy)
    running = RunningBot(settings, telegram)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def _replace(path: Path, old: str, new: str) -> int:
    """Replace `old` once; the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


async def test_reload_takes_new_texts_and_refuses_a_broken_file(
    staffed: RunningBot, telegram: FakeTelegramServer, content_copy: Path
) -> None:
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    anna = await patient(telegram, 302, "Анна")
    await tap(telegram, anna, "💳 Цены", "Цены на услуги")

    prices = content_copy / "ru" / "prices.toml"
    _replace(prices, 'title = "Цены на услуги"', 'title = "Новые цены"')
    await say(telegram, admin, "/reload", "перечитаны")
    await tap(telegram, anna, "💳 Цены", "Новые цены")

    line = _replace(prices, 'title = "Новые цены"', 'title = "Сломанные цены')
    refused = await say(telegram, admin, "/reload", "Не перечитано")
    assert f"ru/prices.toml, строка {line}" in refused["text"]
    assert "прежние тексты" in refused["text"]
    still = await tap(telegram, anna, "💳 Цены", "Новые цены")
    assert "Сломанные" not in still["text"]

    # A broken translation is refused too, with its file and line.
    _replace(prices, 'title = "Сломанные цены', 'title = "Цены на услуги"')
    ftl = content_copy / "en" / "bot.ftl"
    line = _replace(ftl, "start-greeting =", "start-greeting = { $name")
    refused = await say(telegram, admin, "/reload", "Не перечитано")
    assert "en/bot.ftl" in refused["text"]
    assert f"строка {line}" in refused["text"]
    john = await patient(telegram, 301, "John", language_code="en")
    await say(telegram, john, "/start", "Hello, John!")

    _replace(ftl, "start-greeting = { $name", "start-greeting =")
    _replace(ftl, "    Hello, { $name }! 👋", "    Good day, { $name }! 👋")
    await say(telegram, admin, "/reload", "перечитаны")
    await say(telegram, john, "/start", "Good day, John!")
    await tap(telegram, anna, "💳 Цены", "Цены на услуги")


async def test_a_stranger_cannot_reload(
    staffed: RunningBot, telegram: FakeTelegramServer, content_copy: Path
) -> None:
    _replace(content_copy / "ru" / "prices.toml", 'title = "Цены на услуги"', 'title = "Новые"')
    stranger = await patient(telegram, 303, "Пётр")
    answer = await say(telegram, stranger, "/reload", "")
    assert "перечитаны" not in answer["text"]
    await tap(telegram, stranger, "💳 Цены", "Цены на услуги")


async def test_sighup_rereads_the_texts(
    staffed: RunningBot, telegram: FakeTelegramServer, content_copy: Path
) -> None:
    assert staffed.app is not None
    anna = await patient(telegram, 302, "Анна")
    prices = content_copy / "ru" / "prices.toml"
    _replace(prices, 'title = "Цены на услуги"', 'title = "Цены после SIGHUP"')
    loop = asyncio.get_running_loop()
    staffed.app.reload_on_sighup()
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = loop.time() + 5
        store = staffed.app.dispatcher["content_store"]
        while store.content.for_locale("ru").prices_title != "Цены после SIGHUP":
            assert loop.time() < deadline, "SIGHUP did not reload the texts"
            await asyncio.sleep(0.02)
        await tap(telegram, anna, "💳 Цены", "Цены после SIGHUP")
        # A broken file on SIGHUP: logged, and the texts in use stay.
        _replace(prices, 'title = "Цены после SIGHUP"', 'title = "Сломано')
        await staffed.app.reload_texts()
        await tap(telegram, anna, "💳 Цены", "Цены после SIGHUP")
    finally:
        loop.remove_signal_handler(signal.SIGHUP)

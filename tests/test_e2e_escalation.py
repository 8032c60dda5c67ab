"""No request left waiting, end to end on a clock the test moves (no sleeping).

A new request nobody takes within TAKE_WITHIN_MINUTES of working time gets a reminder as a
reply to its card, naming the on-duty staff; a second after twice the time; never a third;
nothing while the clinic is closed. /stats shows the median time to the first take.
Hours (content/clinic.toml): Mon-Fri 9:00-20:00, Sat 10:00-16:00, Europe/Moscow (UTC+3).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.content import CONTENT_DIR
from bot.preview.emulator import FakeTelegramServer
from bot.settings import Settings
from storage import open_storage
from tests.conftest import MANAGER_CHAT_ID, SettingsFactory
from tests.e2e import patient
from tests.test_e2e_managers import book, button_data, managers, staff_member
from tests.test_e2e_visit_loop import VisitBot, calls_to

# Monday 23 November 2026, 12:00 in Moscow. The test's days are in the past (the outbox
# delivers on the real clock what the manual one stamped), with a holiday of their own.
MONDAY_NOON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOLIDAY = "2026-11-25"  # Wednesday
REMINDER = "ждёт"
SECOND = "Второе напоминание"


def clinic_content(directory: Path) -> Path:
    """content/ as shipped, with the holiday list replaced by HOLIDAY."""
    copy = directory / "content"
    shutil.copytree(CONTENT_DIR, copy)
    clinic = copy / "clinic.toml"
    text = re.sub(r"(?m)^holidays = .*$", f'holidays = ["{HOLIDAY}"]', clinic.read_text())
    clinic.write_text(text)
    return copy


@asynccontextmanager
async def bot_at(
    settings: Settings, telegram: FakeTelegramServer, start: datetime
) -> AsyncIterator[VisitBot]:
    """The bot and its storage on one manual clock (requests are stamped by it too)."""
    clock = ManualClock(start)
    storage = await open_storage(settings.database_url, clock=clock)
    running = VisitBot(settings, telegram, clock, storage)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        await storage.close()


def reminders(telegram: FakeTelegramServer, since: int = 0) -> list[dict[str, Any]]:
    return [
        message
        for message in calls_to(telegram, MANAGER_CHAT_ID, since)
        if "мин рабочего времени" in str(message.get("text"))
    ]


@pytest.fixture
def settings_for(make_settings: SettingsFactory, tmp_path: Path) -> SettingsFactory:
    content = clinic_content(tmp_path)

    def make(**overrides: Any) -> Settings:
        return make_settings(content_dir=content, **overrides)

    return make


@pytest.fixture
async def escalating(
    settings_for: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[VisitBot]:
    settings = settings_for(on_duty_staff="@duty_anna, 4242")
    async with bot_at(settings, telegram, MONDAY_NOON) as running:
        yield running


async def test_untaken_request_is_raised_twice_under_its_card_then_never_again(
    escalating: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, escalating, anna, "Анна")  # type: ignore[arg-type]
    start = escalating.clock()

    await escalating.at(start + timedelta(minutes=14))
    assert reminders(telegram) == []

    await escalating.at(start + timedelta(minutes=15))
    [first] = reminders(telegram)
    assert REMINDER in first["text"] and "15 мин" in first["text"]
    assert first["reply_to_message"]["message_id"] == card["message_id"]
    assert "@duty_anna" in first["text"]
    assert 'href="tg://user?id=4242"' in first["html"]

    await escalating.at(start + timedelta(minutes=29))
    assert len(reminders(telegram)) == 1

    await escalating.at(start + timedelta(minutes=30))
    _, second = reminders(telegram)
    assert SECOND in second["text"] and "30 мин" in second["text"]
    assert second["reply_to_message"]["message_id"] == card["message_id"]

    for hours in (1, 3, 24):
        await escalating.at(start + timedelta(hours=hours))
    assert len(reminders(telegram)) == 2


async def test_taken_request_is_not_raised(
    escalating: VisitBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, escalating, anna, "Анна")  # type: ignore[arg-type]
    start = escalating.clock()
    escalating.clock.set(start + timedelta(minutes=5))
    since = telegram.mark()
    telegram.press(maria, card, button_data(telegram, card, "🙋 Взять"), chat=group)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Статус:", since=since)
    await escalating.at(start + timedelta(minutes=40))
    assert reminders(telegram) == []

    # /stats: the median time to the first take, per day and per manager.
    since = telegram.mark()
    telegram.send_text(maria, "/stats", chat=group)
    stats = await telegram.wait_for_message(MANAGER_CHAT_ID, "Время до первого", since=since)
    assert "23.11: 5 мин (1)" in stats["text"]
    assert "Мария Менеджер: 5 мин (1)" in stats["text"]


async def test_the_clock_stops_at_night_and_no_reminder_is_posted_while_closed(
    settings_for: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    # Monday 19:55 in Moscow: five minutes before closing.
    evening = datetime(2026, 11, 23, 16, 55, tzinfo=UTC)
    async with bot_at(settings_for(), telegram, evening) as running:
        anna = await patient(telegram, 801, "Анна")
        card = await book(telegram, running, anna, "Анна")  # type: ignore[arg-type]
        # 20:30, 23:00, 03:00: closed; ten minutes after 9:00 Tuesday the 15 minutes are up.
        for moment in (
            datetime(2026, 11, 23, 17, 30, tzinfo=UTC),
            datetime(2026, 11, 23, 20, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 6, 9, tzinfo=UTC),  # 9:09: 5 + 9 minutes
        ):
            await running.at(moment)
            assert reminders(telegram) == [], moment
        await running.at(datetime(2026, 11, 24, 6, 10, tzinfo=UTC))  # 9:10
        [first] = reminders(telegram)
        assert first["reply_to_message"]["message_id"] == card["message_id"]
        assert "@" not in first["text"]  # no on-duty staff configured


async def test_a_holiday_stops_the_clock_for_the_whole_day(
    settings_for: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    # Tuesday 24 November, 19:50; Wednesday 25 is a holiday: Thursday 26 at 9:00 it opens.
    async with bot_at(
        settings_for(take_within_minutes=20),
        telegram,
        datetime(2026, 11, 24, 16, 50, tzinfo=UTC),
    ) as running:
        anna = await patient(telegram, 801, "Анна")
        await book(telegram, running, anna, "Анна")  # type: ignore[arg-type]
        for moment in (
            datetime(2026, 11, 25, 9, 0, tzinfo=UTC),  # the holiday, at noon
            datetime(2026, 11, 25, 14, 0, tzinfo=UTC),
            datetime(2026, 11, 26, 6, 9, tzinfo=UTC),  # Thursday 9:09: 10 + 9 minutes
        ):
            await running.at(moment)
            assert reminders(telegram) == [], moment
        await running.at(datetime(2026, 11, 26, 6, 10, tzinfo=UTC))
        [first] = reminders(telegram)
        assert "20 мин" in first["text"]

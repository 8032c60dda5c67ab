"""Out-of-hours answers end to end, on a clock the test sets: a patient who books or writes
while the clinic is closed is told honestly when a manager will call or answer, in their
language and in the clinic's time; the managers' card says it came out of hours.

Hours (content/clinic.toml): Mon-Fri 9:00-20:00, Sat 10:00-16:00, Europe/Moscow (UTC+3);
Wednesday 25 November 2026 is made a holiday (tests.test_e2e_escalation.clinic_content).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.preview.emulator import FakeTelegramServer
from bot.settings import Settings
from tests.conftest import SettingsFactory
from tests.e2e import patient, say
from tests.test_e2e_escalation import bot_at, clinic_content
from tests.test_e2e_managers import book

OUT_OF_HOURS = "Получена в нерабочее время"


@pytest.fixture
def settings_for(make_settings: SettingsFactory, tmp_path: Path) -> SettingsFactory:
    """Settings reading content/ with HOLIDAY as the only holiday."""
    content = clinic_content(tmp_path)

    def make(**overrides: Any) -> Settings:
        return make_settings(content_dir=content, **overrides)

    return make


def answer_to(telegram: FakeTelegramServer, user_id: int, contains: str) -> dict[str, Any]:
    """The latest message the bot sent the patient that contains `contains`."""
    for message in reversed(telegram.chat_messages(user_id)):
        if contains in str(message.get("text")):
            return message
    raise AssertionError(f"no message with {contains!r} to {user_id}")


async def test_a_request_late_at_night_is_told_tomorrow_after_nine_and_the_card_marked(
    settings_for: SettingsFactory,
    telegram: FakeTelegramServer,
) -> None:
    # Monday 23 November, 23:30 in Moscow.
    async with bot_at(settings_for(), telegram, datetime(2026, 11, 23, 20, 30, tzinfo=UTC)) as bot:
        anna = await patient(telegram, 801, "Анна")
        card = await book(telegram, bot, anna, "Анна")  # type: ignore[arg-type]
        done = answer_to(telegram, anna.id, "принята")
        assert "Сейчас клиника закрыта; менеджер позвонит вам завтра после 9:00." in done["text"]
        assert OUT_OF_HOURS in card["text"]


async def test_after_midnight_it_is_today_and_before_a_holiday_the_day_after_it(
    settings_for: SettingsFactory,
    telegram: FakeTelegramServer,
) -> None:
    # Tuesday 24 November, 0:30 in Moscow: the same night, but now it is "today".
    async with bot_at(settings_for(), telegram, datetime(2026, 11, 23, 21, 30, tzinfo=UTC)) as bot:
        anna = await patient(telegram, 801, "Анна")
        await book(telegram, bot, anna, "Анна")  # type: ignore[arg-type]
        done = answer_to(telegram, anna.id, "принята")
        assert "менеджер позвонит вам сегодня после 9:00." in done["text"]

        # Tuesday 21:00: Wednesday is a holiday, so Thursday 26 November at 9:00.
        bot.clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
        await book(telegram, bot, anna, "Анна")  # type: ignore[arg-type]
        done = answer_to(telegram, anna.id, "принята")
        assert "менеджер позвонит вам Чт 26.11 после 9:00." in done["text"]


async def test_in_hours_nothing_is_added(
    settings_for: SettingsFactory,
    telegram: FakeTelegramServer,
) -> None:
    # Monday 23 November, 12:00.
    async with bot_at(settings_for(), telegram, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) as bot:
        anna = await patient(telegram, 801, "Анна")
        card = await book(telegram, bot, anna, "Анна")  # type: ignore[arg-type]
        assert "закрыта" not in answer_to(telegram, anna.id, "принята")["text"]
        assert OUT_OF_HOURS not in card["text"]
        answer = await say(telegram, anna, "Можно ли прийти с ребёнком?", "Передали")
        assert "закрыта" not in answer["text"]


async def test_a_message_on_a_holiday_is_answered_in_the_patients_language(
    settings_for: SettingsFactory,
    telegram: FakeTelegramServer,
) -> None:
    # Wednesday 25 November (the holiday), 12:00: open again Thursday at 9:00 = tomorrow.
    async with bot_at(settings_for(), telegram, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)):
        john = await patient(telegram, 802, "John", language_code="en")
        answer = await say(telegram, john, "Do you treat children?", "passed on")
        assert "We're closed now; a manager will answer you tomorrow after 9:00." in answer["text"]

"""Contacts end to end: the menu button and /contacts, with a map pin per branch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import create_bot, create_dispatcher, load_texts
from bot.clock import ManualClock
from bot.preview.emulator import FakeTelegramServer
from storage import open_storage
from tests.conftest import RunningBot, SettingsFactory
from tests.e2e import patient, reply_keyboard, say, tap

# Friday 4 December 2026, 12:00 in Moscow (the default CLINIC_TIMEZONE, UTC+3)
FRIDAY_NOON = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def test_contacts_button_shows_address_phone_and_a_map_pin(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 601, "Анна")
    since = telegram.mark()
    message = await tap(telegram, user, "📍 Контакты", "контакты и часы работы")
    text = message["text"]
    assert "Клиника остеопороза" in text
    assert "г. Москва, ул. Примерная, д. 1" in text
    assert "+7 495 123-45-67" in text  # readable; Telegram makes it tappable
    assert "Сегодня:" in text
    assert "Открыто сейчас" in text or "Закрыто" in text
    assert "5 минут пешком" in text
    venue = await telegram.wait_for_call("sendVenue", since=since)
    assert venue.ok
    assert venue.params["chat_id"] == user.id
    assert float(venue.params["latitude"]) == pytest.approx(55.7558)
    assert float(venue.params["longitude"]) == pytest.approx(37.6173)
    assert venue.params["title"] == "Клиника остеопороза"
    assert venue.params["address"] == "г. Москва, ул. Примерная, д. 1"
    pinned = telegram.chat_messages(user.id)[-1]
    assert pinned["venue"]["location"]["latitude"] == pytest.approx(55.7558)
    # the menu stays: the patient can go on from here
    assert "📍 Контакты" in reply_keyboard(telegram, user.id)


async def test_start_names_the_clinic_and_contacts_works_in_english(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    john = telegram.private_user(602, "John", language_code="en")
    greeting = await say(telegram, john, "/start", "Hello, John!")
    assert "Osteoporosis Clinic" in greeting["text"]
    since = telegram.mark()
    message = await say(telegram, john, "/contacts", "contacts and opening hours")
    assert "1 Primernaya St, Moscow" in message["text"]
    assert "Today:" in message["text"]
    venue = await telegram.wait_for_call("sendVenue", since=since)
    assert venue.params["title"] == "Osteoporosis Clinic"
    assert venue.params["address"] == "1 Primernaya St, Moscow"


@pytest.fixture
async def clock_bot(
    make_settings: SettingsFactory,
    telegram: FakeTelegramServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[ManualClock]:
    """The bot on a clock the test sets, so "open now" and "opens tomorrow" are exact."""
    settings = make_settings()
    content, translations = load_texts(settings)
    directory = tmp_path_factory.mktemp("clock")
    storage = await open_storage(f"sqlite:///{directory}/clinic.db")
    clock = ManualClock(FRIDAY_NOON)
    dispatcher = create_dispatcher(
        settings, storage=storage, content=content, translations=translations, clock=clock
    )
    bot = create_bot(settings)
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    await telegram.wait_for_call("getUpdates", timeout=10)
    try:
        yield clock
    finally:
        await dispatcher.stop_polling()
        await polling
        await bot.session.close()
        await storage.close()


@pytest.mark.parametrize(
    ("moment", "ru", "en"),
    [
        (FRIDAY_NOON, "Открыто сейчас, до 20:00", "Open now, until 20:00"),
        (FRIDAY_NOON + timedelta(hours=9), "откроется завтра в 10:00", "opens tomorrow at 10:00"),
        (  # Saturday 17:00: Sunday is closed, so Monday
            FRIDAY_NOON + timedelta(days=1, hours=5),
            "откроется в понедельник в 9:00",
            "opens on Monday at 9:00",
        ),
        (  # Friday 06:00, before opening
            FRIDAY_NOON - timedelta(hours=6),
            "откроется сегодня в 9:00",
            "opens today at 9:00",
        ),
        (  # 31 December, a holiday: then 1-2 January too, and Sunday 3 January
            datetime(2026, 12, 31, 9, 0, tzinfo=UTC),
            "Сегодня: выходной\n⛔ Закрыто, откроется в понедельник в 9:00",
            "Today: closed\n⛔ Closed, opens on Monday at 9:00",
        ),
    ],
)
async def test_status_follows_the_clinics_clock_hours_and_holidays(
    clock_bot: ManualClock,
    telegram: FakeTelegramServer,
    moment: datetime,
    ru: str,
    en: str,
) -> None:
    clock_bot.set(moment)
    anna = telegram.private_user(611, "Анна", language_code="ru")
    john = telegram.private_user(612, "John", language_code="en")
    await say(telegram, anna, "/contacts", ru)
    await say(telegram, john, "/contacts", en)


async def test_contacts_is_in_the_command_list_of_both_languages(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    described = {
        call.params.get("language_code"): {
            command["command"]: command["description"] for command in call.params["commands"]
        }
        for call in telegram.calls_of("setMyCommands")
        if call.params.get("scope", {}).get("type") == "all_private_chats"
    }
    assert described["ru"]["contacts"] == "Адрес, телефон и часы работы"
    assert described["en"]["contacts"] == "Address, phone and opening hours"
    assert "contacts" in described[None]  # any other language gets the English list

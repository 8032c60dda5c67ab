"""Staff change prices, names, branches and the announcement without a deploy (issue 15)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.preview.emulator import FakeTelegramServer
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import patient, press, say, tap

ADMIN_ID = 900


@pytest.fixture
async def staffed(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[RunningBot]:
    running = RunningBot(make_settings(admin_ids=(ADMIN_ID,)), telegram)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_price_and_a_name_changed_by_staff_reach_a_patient_mid_form(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    john = await patient(telegram, 301, "John", language_code="en")
    await tap(telegram, john, "📝 Book a consultation", "Which service")
    await press(telegram, john, "First treatment cycle (12 sessions)", "What is your name?")

    admin = await patient(telegram, ADMIN_ID, "Главврач")
    listing = await say(telegram, admin, "/prices", "Цены, как их видят пациенты")
    assert "2. Первый курс лечения (12 сеансов) — от 6 500 ₽" in listing["text"]
    await press(telegram, admin, "✏️ 2. 1-й курс (12 сеансов)", "пришлите новую цену")
    confirm = await say(telegram, admin, "7 200 ₽", "Применить?")
    assert "от 6 500 ₽ → от 7 200 ₽" in confirm["text"]
    await press(telegram, admin, "✅ Применить", "Пациенты уже видят")
    await press(telegram, admin, "✏️ 2. 1-й курс (12 сеансов)", "пришлите новую цену")
    await say(telegram, admin, "en: First cycle, 12 visits", "Применить?")
    await press(telegram, admin, "✅ Применить", "Пациенты уже видят")

    # John goes on with the form he started before the change, and sees the new name.
    await say(telegram, john, "John", "phone number")
    await say(telegram, john, "8 (916) 765-43-21", "When is it convenient")
    await say(telegram, john, "weekdays after 18:00", "Briefly describe")
    await press(telegram, john, "⏭ Skip", "Consent to the processing")
    summary = await press(telegram, john, "✅ I agree", "Please check your request")
    assert "First cycle, 12 visits" in summary["text"]
    english = await say(telegram, john, "/prices", "from 7,200 ₽")
    assert "from 6,500 ₽" not in english["text"]
    anna = await patient(telegram, 302, "Анна")
    russian = await tap(telegram, anna, "💳 Цены", "от 7 200 ₽")
    assert "Первый курс лечения (12 сеансов)" in russian["text"]  # the Russian name stays

    audit = await say(telegram, admin, "/audit", "Главврач")
    assert "edit-price" in audit["text"]
    assert "cycle1: 6500 → 7200" in audit["text"]
    assert "edit-name" in audit["text"]

    # The change is in the database: a restart keeps it.
    await staffed.restart()
    await tap(telegram, anna, "💳 Цены", "от 7 200 ₽")

    await say(telegram, admin, "/prices reset 2", "снова как в файле прайса")
    back = await tap(telegram, anna, "💳 Цены", "от 6 500 ₽")
    assert "7 200" not in back["text"]
    await say(telegram, john, "/prices", "from 6,500 ₽")
    await say(telegram, admin, "/prices reset 2", "нет изменений")
    await say(telegram, admin, "/prices reset 99", "/prices reset N")


async def test_a_hidden_service_leaves_the_price_list_until_shown(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    await say(telegram, admin, "/prices", "Цены, как их видят пациенты")
    await press(telegram, admin, "✏️ 1. Консультация врача", "пришлите новую цену")
    await say(telegram, admin, "скрыть", "показана → скрыта")
    await press(telegram, admin, "✅ Применить", "Пациенты уже видят")
    anna = await patient(telegram, 302, "Анна")
    prices = await tap(telegram, anna, "💳 Цены", "от 6 500 ₽")
    assert "Консультация врача по лечению" not in prices["text"]
    assert not any("Консультация" in text for text, _ in telegram.inline_buttons(prices))
    listing = await say(telegram, admin, "/prices", "Цены, как их видят пациенты")
    assert "🙈 скрыта" in listing["text"]
    await press(telegram, admin, "✏️ 1. Консультация врача", "пришлите новую цену")
    await say(telegram, admin, "показать", "скрыта → показана")
    await press(telegram, admin, "✅ Применить", "Пациенты уже видят")
    await tap(telegram, anna, "💳 Цены", "Консультация врача по лечению")


async def test_bad_values_are_refused_and_cancel_changes_nothing(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    await say(telegram, admin, "/prices", "Цены, как их видят пациенты")
    await press(telegram, admin, "✏️ 2. 1-й курс (12 сеансов)", "пришлите новую цену")
    await say(telegram, admin, "0", "целое число рублей")
    await say(telegram, admin, "<b>курс</b>", "одна строка без")
    await say(telegram, admin, "9000", "Применить?")
    await press(telegram, admin, "✖️ Отмена", "Ничего не изменено")
    await press(telegram, admin, "✏️ 2. 1-й курс (12 сеансов)", "пришлите новую цену")
    await say(telegram, admin, "/cancel", "Ничего не изменено")
    await press(telegram, admin, "✏️ 2. 1-й курс (12 сеансов)", "пришлите новую цену")
    await tap(telegram, admin, "💳 Цены", "Ничего не изменено")  # not a name: gone elsewhere
    await say(telegram, admin, "Новое имя", "")  # no longer asked: not taken as a name
    await press(telegram, admin, "✏️ 2. 1-й курс (12 сеансов)", "пришлите новую цену")
    confirm = await say(telegram, admin, "9100", "Применить?")
    apply = next(data for text, data in telegram.inline_buttons(confirm) if "Применить" in text)
    await press(telegram, admin, "✅ Применить", "Пациенты уже видят")
    # The same confirmation pressed again (an old client's copy) changes nothing more.
    since = telegram.mark()
    telegram.press(admin, confirm, apply)
    await telegram.wait_for_call(
        "answerCallbackQuery", lambda call: "неактивна" in call.params.get("text", ""), since=since
    )
    await say(telegram, admin, "/prices reset 2", "снова как в файле прайса")
    anna = await patient(telegram, 302, "Анна")
    await tap(telegram, anna, "💳 Цены", "от 6 500 ₽")
    assert await staffed.storage.overrides.all_overrides() == {}
    assert "Новое имя" not in (await say(telegram, anna, "/prices", "от 6 500 ₽"))["text"]


async def test_a_stranger_gets_the_patients_price_list(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    stranger = await patient(telegram, 303, "Пётр")
    answer = await say(telegram, stranger, "/prices", "от 6 500 ₽")
    assert "✏️" not in answer["text"]
    await say(telegram, stranger, "/announce Закрыто навсегда", "")
    assert await staffed.storage.overrides.all_overrides() == {}


async def test_staff_edit_a_branch_from_the_manager_chat(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    admin = telegram.private_user(ADMIN_ID, "Главврач")
    managers = telegram.group(MANAGER_CHAT_ID, "Clinic managers")
    since = telegram.mark()
    telegram.send_text(admin, "/branches", chat=managers)
    listing = await telegram.wait_for_message(MANAGER_CHAT_ID, "Филиалы", since=since)
    assert "+74951234567" in listing["text"]

    since = telegram.mark()
    telegram.press_button(admin, "✏️ 📞 1", chat=managers)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "пришлите новый телефон", since=since)
    since = telegram.mark()
    telegram.send_text(admin, "8 (495) 765-43-21", chat=managers)
    confirm = await telegram.wait_for_message(MANAGER_CHAT_ID, "Применить?", since=since)
    assert "+74951234567 → +74957654321" in confirm["text"]
    since = telegram.mark()
    telegram.press_button(admin, "✅ Применить", chat=managers)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Пациенты уже видят", since=since)

    since = telegram.mark()
    telegram.press_button(admin, "✏️ 🕘 1", chat=managers)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Пришлите день", since=since)
    since = telegram.mark()
    telegram.send_text(admin, "сб выходной", chat=managers)
    confirm = await telegram.wait_for_message(MANAGER_CHAT_ID, "Применить?", since=since)
    assert "sat 10:00-16:00 → sat closed" in confirm["text"]
    since = telegram.mark()
    telegram.press_button(admin, "✅ Применить", chat=managers)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Пациенты уже видят", since=since)

    anna = await patient(telegram, 302, "Анна")
    contacts = await say(telegram, anna, "/contacts", "📞")
    assert "+7 495 765-43-21" in contacts["text"]
    since = telegram.mark()
    telegram.send_text(admin, "/branches", chat=managers)
    listing = await telegram.wait_for_message(MANAGER_CHAT_ID, "Филиалы", since=since)
    assert "sat —" in listing["text"]
    assert "+74957654321" in listing["text"]

    since = telegram.mark()
    telegram.send_text(admin, "/branches reset 1", chat=managers)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "снова как в clinic.toml", since=since)
    contacts = await say(telegram, anna, "/contacts", "📞")
    assert "+7 495 123-45-67" in contacts["text"]


async def test_an_announcement_under_the_greeting_is_set_and_cleared(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    await say(telegram, admin, "/announce", "Объявления нет")
    await say(telegram, admin, "/announce 31 декабря <не> работаем", "Объявление установлено")
    await say(telegram, admin, "/announce en Closed on 31 December", "Объявление установлено")
    anna = await patient(telegram, 302, "Анна")
    greeting = await say(telegram, anna, "/start", "Здравствуйте")
    assert "📢 31 декабря &lt;не&gt; работаем" in greeting["html"]
    john = await patient(telegram, 301, "John", language_code="en")
    greeting = await say(telegram, john, "/start", "Hello")
    assert "📢 Closed on 31 December" in greeting["text"]
    await say(telegram, admin, "/announce off", "Объявление убрано")
    greeting = await say(telegram, anna, "/start", "Здравствуйте")
    assert "📢" not in greeting["text"]
    greeting = await say(telegram, john, "/start", "Hello")
    assert "📢" not in greeting["text"]

"""The visit loop end to end, on a clock the test moves: ✅ Booked → appointment → confirmation
and .ics → reminders with buttons → move, cancel → follow-up → alert or review.

The bot runs on a `ManualClock` (no sleeping for 24 hours); each job pass is what the bot's
periodic loop would do at that moment. Times are the clinic's (Europe/Moscow, UTC+3).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiogram import Bot, Dispatcher

from bot.app import create_bot, create_dispatcher, load_texts
from bot.clock import ManualClock
from bot.preview.emulator import FakeChat, FakeTelegramServer, FakeUser
from bot.settings import Settings
from storage import Storage, open_storage
from storage.models import AppointmentState, RequestStatus, ReviewStatus, VisitStatus
from tests.conftest import FAST_OUTBOX, MANAGER_CHAT_ID, SettingsFactory
from tests.e2e import outbox_drained, patient, press, say
from tests.test_e2e_managers import answer_of, book, button_data, managers, staff_member

MOSCOW = ZoneInfo("Europe/Moscow")
# Monday 7 December 2026, 12:00 in Moscow.
MONDAY_NOON = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# Tuesday 8 December 2026, 14:30 in Moscow.
VISIT = datetime(2026, 12, 8, 11, 30, tzinfo=UTC)


@dataclass
class VisitBot:
    """The bot on a manual clock, long polling the fake server; can be restarted."""

    settings: Settings
    telegram: FakeTelegramServer
    clock: ManualClock
    storage: Storage
    dispatcher: Dispatcher | None = None
    bot: Bot | None = None
    _polling: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        content, translations = load_texts(self.settings)
        self.dispatcher = create_dispatcher(
            self.settings,
            storage=self.storage,
            content=content,
            translations=translations,
            timing=FAST_OUTBOX,
            clock=self.clock,
        )
        self.bot = create_bot(self.settings)
        since = self.telegram.mark()
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False)
        )
        await self.telegram.wait_for_call("getUpdates", since=since, timeout=10)

    async def stop(self) -> None:
        if self.dispatcher is None or self.bot is None or self._polling is None:
            return
        await self.dispatcher.stop_polling()
        await self._polling
        await self.bot.session.close()
        self.dispatcher = self.bot = self._polling = None

    async def run_jobs(self) -> None:
        """One pass of the periodic jobs at the clock's moment, then the outbox delivers."""
        assert self.dispatcher is not None
        await self.dispatcher["jobs"].run_all_once()
        await outbox_drained(self.storage.outbox)

    async def at(self, moment: datetime) -> None:
        self.clock.set(moment)
        await self.run_jobs()


@asynccontextmanager
async def running_visit_bot(
    settings: Settings, telegram: FakeTelegramServer
) -> AsyncIterator[VisitBot]:
    running = VisitBot(
        settings, telegram, ManualClock(MONDAY_NOON), await open_storage(settings.database_url)
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        await running.storage.close()


@pytest.fixture
async def visit_bot(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[VisitBot]:
    async with running_visit_bot(make_settings(), telegram) as running:
        yield running


# --------------------------------------------------------------------------- helpers


def calls_to(telegram: FakeTelegramServer, chat_id: int, since: int) -> list[dict[str, Any]]:
    """The messages the bot sent (not edited) into a chat since a mark."""
    return [
        call.message
        for call in telegram.calls[since:]
        if call.ok
        and call.message is not None
        and call.method.lower() in ("sendmessage", "senddocument")
        and call.message["chat"]["id"] == chat_id
    ]


async def booked(
    visit_bot: VisitBot, telegram: FakeTelegramServer, user: FakeUser, name: str
) -> tuple[FakeChat, FakeUser, dict[str, Any], dict[str, Any]]:
    """The patient books, a manager presses ✅ Booked: (group, manager, card, the prompt)."""
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    card = await book(telegram, visit_bot, user, name)  # type: ignore[arg-type]
    since = telegram.mark()
    telegram.press(maria, card, button_data(telegram, card, "✅ Записан"), chat=group)
    prompt = await telegram.wait_for_message(
        MANAGER_CHAT_ID, "на какое время записан пациент", since=since
    )
    assert prompt["reply_to_message"]["message_id"] == card["message_id"]
    return group, maria, card, prompt


async def manager_replies(
    telegram: FakeTelegramServer,
    manager: FakeUser,
    group: FakeChat,
    prompt: dict[str, Any],
    text: str,
    expect: str,
) -> dict[str, Any]:
    since = telegram.mark()
    telegram.send_text(manager, text, chat=group, reply_to_message_id=prompt["message_id"])
    return await telegram.wait_for_message(MANAGER_CHAT_ID, expect, since=since)


async def manager_presses(
    telegram: FakeTelegramServer,
    manager: FakeUser,
    group: FakeChat,
    message: dict[str, Any],
    label: str,
    expect: str,
) -> dict[str, Any]:
    since = telegram.mark()
    telegram.press(manager, message, button_data(telegram, message, label), chat=group)
    return await telegram.wait_for_message(MANAGER_CHAT_ID, expect, since=since)


async def calendar_of(telegram: FakeTelegramServer, user_id: int, since: int) -> Any:
    """The .ics the patient received, parsed back by a real iCalendar parser: its VEVENT."""
    call = await telegram.wait_for_call(
        "sendDocument", lambda c: c.ok and c.params.get("chat_id") == user_id, since=since
    )
    assert call.message is not None
    stored = telegram.file_of(call.message)
    assert stored.file_name is not None and stored.file_name.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(stored.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def the_card(telegram: FakeTelegramServer, card: dict[str, Any]) -> dict[str, Any]:
    """The request card as it is now (edited in place)."""
    for message in telegram.chat_messages(MANAGER_CHAT_ID):
        if message["message_id"] == card["message_id"]:
            return message
    raise AssertionError("the card is gone")


async def card_says(
    telegram: FakeTelegramServer, card: dict[str, Any], text: str, timeout: float = 5.0
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in the_card(telegram, card).get("text", ""):
        assert loop.time() < deadline, the_card(telegram, card).get("text")
        await asyncio.sleep(0.02)
    return the_card(telegram, card)


# --------------------------------------------------------------------------- the whole loop


async def test_booked_appointment_confirmed_reminded_moved_and_followed_up(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 801, "Анна")
    group, maria, card, prompt = await booked(visit_bot, telegram, anna, "Анна")
    day_buttons = [text for text, _ in telegram.inline_buttons(prompt)]
    assert day_buttons[0] == "Пн 07.12"  # today still has slots after noon
    assert "Сб 12.12" in day_buttons  # the branch is open on Saturdays
    assert "Вс 13.12" not in day_buttons

    # A typed time that cannot be: the manager is told why, and can type again.
    await manager_replies(telegram, maria, group, prompt, "31.04 10:00", "Такой даты нет")
    await manager_replies(telegram, maria, group, prompt, "07.12 09:00", "уже прошло")
    asked = await manager_replies(telegram, maria, group, prompt, "08.12 14:30", "к какому врачу")
    since = telegram.mark()
    saved = await manager_replies(
        telegram, maria, group, asked, "Иванова Ирина <Петровна>", "Запись по заявке № 1"
    )
    assert "08.12.2026 14:30" in saved["text"]

    # The patient: a confirmation with the buttons, and a calendar file.
    confirmation = await telegram.wait_for_message(anna.id, "Вы записаны на приём", since=since)
    text = confirmation["text"]
    assert "08.12.2026 14:30" in text
    assert "Врач: Иванова Ирина <Петровна>" in text  # shown as typed, never as markup
    assert "г. Москва, ул. Примерная, д. 1" in text
    assert "паспорт" in text
    assert [label for label, _ in telegram.inline_buttons(confirmation)] == [
        "✅ Приду",
        "↪️ Перенести",
        "✖️ Отменить",
    ]
    event = await calendar_of(telegram, anna.id, since)
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 8, 14, 30, tzinfo=MOSCOW)
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Moscow"
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert str(event["UID"]) == "appointment-1@clinic-bot.local"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["LOCATION"]) == "г. Москва, ул. Примерная, д. 1"
    assert "Иванова Ирина <Петровна>" in str(event["DESCRIPTION"])

    # The card shows the appointment and can change it.
    shown = await card_says(telegram, card, "Приём: 08.12.2026 14:30")
    assert "Пациент: ❔ ещё не ответил" in shown["text"]
    assert "Врач: Иванова Ирина &lt;Петровна&gt;" in shown["html"] or "Петровна" in shown["text"]
    assert "🗓 Изменить запись" in [label for label, _ in telegram.inline_buttons(shown)]

    # Nothing a minute before the day-before reminder; then the reminder, with buttons.
    since = telegram.mark()
    await visit_bot.at(VISIT - timedelta(hours=24, minutes=1))
    assert calls_to(telegram, anna.id, since) == []
    await visit_bot.at(VISIT - timedelta(hours=24))
    reminder = await telegram.wait_for_message(anna.id, "Напоминаем о приёме", since=since)
    assert "08.12.2026 14:30" in reminder["text"]
    assert [label for label, _ in telegram.inline_buttons(reminder)] == [
        "✅ Приду",
        "↪️ Перенести",
        "✖️ Отменить",
    ]
    await visit_bot.run_jobs()  # a second pass sends nothing twice
    assert len(calls_to(telegram, anna.id, since)) == 1

    # The patient asks to move it.
    await press(telegram, anna, "↪️ Перенести", "Когда вам удобнее")
    since = telegram.mark()
    await say(telegram, anna, "в среду после 15:00 <b>", "Передали менеджеру")
    note = await telegram.wait_for_message(
        MANAGER_CHAT_ID, "Пациент просит перенести приём", since=since
    )
    assert "«в среду после 15:00 <b>»" in note["text"]
    assert note["reply_to_message"]["message_id"] == card["message_id"]
    moved = await card_says(telegram, card, "↪️ просит перенести")
    assert "«в среду после 15:00 <b>»" in moved["text"]
    appointment = await visit_bot.storage.appointments.for_request(1)
    assert appointment is not None and appointment.state is AppointmentState.MOVE
    # The old reminders are gone; the follow-up stays until the visit is set again.
    scheduled = await visit_bot.storage.appointments.scheduled(appointment.id)
    assert [message.kind for message in scheduled] == ["follow_up"]

    # A manager changes it with the card's 🗓: Wednesday 15:00, no doctor.
    change = await manager_presses(
        telegram, maria, group, moved, "🗓 Изменить запись", "на какое время записан пациент"
    )
    slots = await manager_presses(telegram, maria, group, change, "Ср 09.12", "выберите время")
    doctor = await manager_presses(telegram, maria, group, slots, "15:00", "к какому врачу")
    since = telegram.mark()
    await manager_presses(telegram, maria, group, doctor, "⏭ Без врача", "Запись по заявке № 1")
    changed = await telegram.wait_for_message(anna.id, "Время приёма изменено", since=since)
    assert "09.12.2026 15:00" in changed["text"]
    assert "Врач" not in changed["text"]
    event = await calendar_of(telegram, anna.id, since)
    assert event.decoded("DTSTART") == datetime(2026, 12, 9, 15, 0, tzinfo=MOSCOW)
    assert int(event["SEQUENCE"]) == 1  # the same event, updated in the calendar
    assert str(event["UID"]) == "appointment-1@clinic-bot.local"
    shown = await card_says(telegram, card, "Приём: 09.12.2026 15:00")
    assert "❔ ещё не ответил" in shown["text"]
    assert "Изменено: Мария Менеджер" in shown["text"]
    new_visit = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    scheduled = await visit_bot.storage.appointments.scheduled(appointment.id)
    assert [(m.kind, m.due_at) for m in scheduled] == [
        ("reminder", new_visit - timedelta(hours=24)),
        ("reminder", new_visit - timedelta(hours=2)),
        ("follow_up", new_visit + timedelta(hours=2)),
    ]

    # The patient confirms from the 2-hour reminder; the card and the managers know.
    since = telegram.mark()
    await visit_bot.at(new_visit - timedelta(hours=2))
    reminder = await telegram.wait_for_message(anna.id, "Напоминаем о приёме", since=since)
    assert "09.12.2026 15:00" in reminder["text"]
    await press(telegram, anna, "✅ Приду", "Ждём вас 09.12.2026 15:00")
    await card_says(telegram, card, "Пациент: ✅ подтвердил")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Пациент подтвердил приём", since=since)

    # After the visit: "How was it?"; a low score alerts the managers at once.
    since = telegram.mark()
    await visit_bot.at(new_visit + timedelta(hours=2))
    follow_up = await telegram.wait_for_message(anna.id, "Как прошёл приём", since=since)
    assert [label for label, _ in telegram.inline_buttons(follow_up)][-1] == (
        "🚫 Я не был(а) на приёме"
    )
    await press(telegram, anna, "⭐⭐", "Что пошло не так")
    alert = await telegram.wait_for_message(MANAGER_CHAT_ID, "Низкая оценка визита", since=since)
    assert "Анна" in alert["text"] and "+7 916 000-00-01" in alert["text"]
    await say(telegram, anna, "Долго ждала & <i>никто</i> не вышел", "Спасибо, что рассказали")
    answer = await telegram.wait_for_message(MANAGER_CHAT_ID, "Что не так", since=since)
    assert "Долго ждала & <i>никто</i> не вышел" in answer["text"]
    visit = await visit_bot.storage.appointments.for_request(1)
    assert visit is not None
    assert (visit.visit_status, visit.score) == (VisitStatus.CAME, 2)
    await card_says(telegram, card, "Визит: пришёл, оценка ⭐⭐")


async def test_english_patient_high_score_becomes_a_pending_review_quiet_hours_respected(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    john = await patient(telegram, 802, "John")
    # The booking form is walked in Russian by the helper; then John switches to English.
    group, maria, _card, prompt = await booked(visit_bot, telegram, john, "John")
    await visit_bot.storage.patients.set_user_locale(john.id, "en")
    asked = await manager_replies(
        telegram, maria, group, prompt, "2026-12-09 10:00", "к какому врачу"
    )
    since = telegram.mark()
    await manager_presses(telegram, maria, group, asked, "⏭ Без врача", "Запись по заявке")
    confirmation = await telegram.wait_for_message(john.id, "You are booked", since=since)
    assert "9 Dec 2026, 10:00" in confirmation["text"]
    assert "1 Primernaya St, Moscow" in confirmation["text"]
    event = await calendar_of(telegram, john.id, since)
    assert event.decoded("DTSTART") == datetime(2026, 12, 9, 10, 0, tzinfo=MOSCOW)
    assert "Please bring" in str(event["DESCRIPTION"])

    # 2 hours before 10:00 is 08:00, inside the quiet hours (21:00-09:00): it waits for 09:00.
    visit = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
    since = telegram.mark()
    await visit_bot.at(visit - timedelta(hours=24))
    await telegram.wait_for_message(john.id, "A reminder of your appointment", since=since)
    since = telegram.mark()
    await visit_bot.at(visit - timedelta(hours=2))  # 08:00 in Moscow
    await visit_bot.at(visit - timedelta(hours=1, minutes=1))  # 08:59
    assert calls_to(telegram, john.id, since) == []
    await visit_bot.at(visit - timedelta(hours=1))  # 09:00
    reminder = await telegram.wait_for_message(john.id, "A reminder", since=since)
    assert [label for label, _ in telegram.inline_buttons(reminder)] == [
        "✅ I'll come",
        "↪️ Move",
        "✖️ Cancel",
    ]

    # Five stars: thanks, and the review form with the stars given.
    since = telegram.mark()
    await visit_bot.at(visit + timedelta(hours=2))
    await telegram.wait_for_message(john.id, "How did your appointment", since=since)
    await press(telegram, john, "⭐⭐⭐⭐⭐", "Would you like to share a review")
    await say(telegram, john, "Great doctor, thank you", "How should we sign your review?")
    since = telegram.mark()
    telegram.press_button(john, "🙈 Anonymously")
    moderation = await telegram.wait_for_message(MANAGER_CHAT_ID, "⭐⭐⭐⭐⭐", since=since)
    assert "Great doctor, thank you" in moderation["text"]
    reviews = await visit_bot.storage.reviews.list_reviews(ReviewStatus.PENDING, limit=10)
    assert [(review.rating, review.text) for review in reviews] == [(5, "Great doctor, thank you")]


async def test_patient_cancels_then_nothing_more_is_sent(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 803, "Анна")
    group, maria, card, prompt = await booked(visit_bot, telegram, anna, "Анна")
    asked = await manager_replies(telegram, maria, group, prompt, "08.12 14:30", "к какому врачу")
    since = telegram.mark()
    await manager_presses(telegram, maria, group, asked, "⏭ Без врача", "Запись по заявке")
    await telegram.wait_for_message(anna.id, "Вы записаны на приём", since=since)

    await press(telegram, anna, "✖️ Отменить", "Отменить приём 08.12.2026 14:30?")
    await press(telegram, anna, "← Нет, оставить", "приём остаётся")
    await press(telegram, anna, "✖️ Отменить", "Отменить приём 08.12.2026 14:30?")
    since = telegram.mark()
    await press(telegram, anna, "✖️ Да, отменить", "Приём отменён")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Пациент отменил приём", since=since)
    shown = await card_says(telegram, card, "Пациент: ✖️ отменил")
    assert "Статус: отменена — по просьбе пациента" in shown["text"]
    request = await visit_bot.storage.requests.get_request(1)
    assert request is not None and request.status is RequestStatus.CANCELLED

    # The old buttons no longer act; no reminder, no follow-up.
    since = telegram.mark()
    confirmation = card_message_for(telegram, anna.id, "Вы записаны")
    query = telegram.press(anna, confirmation, button_data(telegram, confirmation, "✅ Приду"))
    stale = await answer_of(telegram, query, since)
    assert "уже изменилась" in stale["text"]
    await visit_bot.at(VISIT + timedelta(days=1))
    assert calls_to(telegram, anna.id, since) == []


def card_message_for(telegram: FakeTelegramServer, chat_id: int, text: str) -> dict[str, Any]:
    for message in telegram.chat_messages(chat_id):
        if text in message.get("text", ""):
            return message
    raise AssertionError(f"no message with {text!r}")


async def test_restart_between_scheduling_and_sending_loses_and_repeats_nothing(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 804, "Анна")
    group, maria, _card, prompt = await booked(visit_bot, telegram, anna, "Анна")
    asked = await manager_replies(telegram, maria, group, prompt, "08.12 14:30", "к какому врачу")
    await manager_presses(telegram, maria, group, asked, "⏭ Без врача", "Запись по заявке")
    await visit_bot.stop()
    await visit_bot.storage.close()
    # Down for the whole day: the day-before reminder is late but the visit is still ahead.
    visit_bot.storage = await open_storage(visit_bot.settings.database_url)
    await visit_bot.start()
    since = telegram.mark()
    await visit_bot.at(VISIT - timedelta(hours=3))
    reminder = await telegram.wait_for_message(anna.id, "Напоминаем о приёме", since=since)
    assert "08.12.2026 14:30" in reminder["text"]
    await visit_bot.at(VISIT - timedelta(hours=2, minutes=30))
    assert len(calls_to(telegram, anna.id, since)) == 1
    # Down again past the visit: the 2-hour reminder makes no sense any more, the follow-up does.
    await visit_bot.stop()
    await visit_bot.start()
    since = telegram.mark()
    await visit_bot.at(VISIT + timedelta(hours=5))
    sent = calls_to(telegram, anna.id, since)
    assert len(sent) == 1 and "Как прошёл приём" in sent[0]["text"]


async def test_a_patient_who_blocked_the_bot_gets_nothing_and_holds_nobody_up(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 805, "Анна")
    group, maria, _card, prompt = await booked(visit_bot, telegram, anna, "Анна")
    asked = await manager_replies(telegram, maria, group, prompt, "08.12 14:30", "к какому врачу")
    await manager_presses(telegram, maria, group, asked, "⏭ Без врача", "Запись по заявке")
    telegram.blocked_users.add(anna.id)
    since = telegram.mark()
    await visit_bot.at(VISIT - timedelta(hours=24))
    appointment = await visit_bot.storage.appointments.for_request(1)
    assert appointment is not None
    assert await visit_bot.storage.appointments.scheduled(appointment.id) == []
    # The manager chat still gets what comes after.
    boris = await patient(telegram, 806, "Борис")
    await book(telegram, visit_bot, boris, "Борис")  # type: ignore[arg-type]
    await visit_bot.at(VISIT + timedelta(hours=3))
    assert calls_to(telegram, anna.id, since) == []


async def test_today_tomorrow_stats_and_mydata(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 807, "Анна")
    group, maria, _card, prompt = await booked(visit_bot, telegram, anna, "Анна")
    asked = await manager_replies(telegram, maria, group, prompt, "08.12 14:30", "к какому врачу")
    await manager_presses(telegram, maria, group, asked, "⏭ Без врача", "Запись по заявке")

    listed = await say(telegram, maria, "/tomorrow", "Записи на завтра, 08.12.2026")
    assert "14:30 · ❔ ещё не ответил · заявка № 1 · Анна" in listed["text"]
    assert any(
        entity.get("url", "").startswith("https://t.me/c/1234567890/")
        for entity in listed.get("entities", [])
    )
    await say(telegram, maria, "/today", "Записей нет")

    await visit_bot.at(VISIT + timedelta(hours=2))
    await press(telegram, anna, "🚫 Я не был(а) на приёме", "Жаль, что не получилось")
    await visit_bot.at(VISIT + timedelta(days=1))  # tomorrow is today now
    listed = await say(telegram, maria, "/today", "Записей нет")
    stats = await say(telegram, maria, "/stats", "Визиты за период")
    assert "Визиты за период: 1, пришли: 0 (0,0%), не пришли: 1" in stats["text"]
    mine = await say(telegram, anna, "/mydata", "Записи на приём")
    assert "08.12.2026 14:30, заявка № 1" in mine["text"]
    assert "не пришли" in mine["text"]


def test_callback_data_fits_telegram() -> None:
    """Every button of the loop stays within Telegram's 64 bytes, at the largest ids."""
    from bot.callbacks import AppointmentAction, AppointmentCallback, VisitAction, VisitCallback

    biggest = 2**63 - 1
    for action in AppointmentAction:
        packed = AppointmentCallback(action=action, request=biggest, value="202612311430").pack()
        assert len(packed.encode()) <= 64, packed
    for visit_action in VisitAction:
        packed = VisitCallback(
            action=visit_action, appointment=biggest, revision=10_000, stars=5
        ).pack()
        assert len(packed.encode()) <= 64, packed


async def appoint(
    visit_bot: VisitBot, telegram: FakeTelegramServer, user: FakeUser, typed: str
) -> tuple[FakeChat, FakeUser, dict[str, Any]]:
    """Booked, and the manager types the time, without a doctor: (group, manager, card)."""
    group, maria, card, prompt = await booked(visit_bot, telegram, user, user.first_name)
    asked = await manager_replies(telegram, maria, group, prompt, typed, "к какому врачу")
    await manager_presses(telegram, maria, group, asked, "⏭ Без врача", "Запись по заявке")
    return group, maria, card


async def test_times_are_read_and_typed_in_the_clinics_timezone(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    settings = make_settings(clinic_timezone="Asia/Yekaterinburg")  # UTC+5
    async with running_visit_bot(settings, telegram) as visit_bot:
        anna = await patient(telegram, 808, "Анна")
        since = telegram.mark()
        _, _, card = await appoint(visit_bot, telegram, anna, "08.12 14:30")
        confirmation = await telegram.wait_for_message(anna.id, "Вы записаны", since=since)
        assert "08.12.2026 14:30" in confirmation["text"]
        event = await calendar_of(telegram, anna.id, since)
        start = event.decoded("DTSTART")
        assert str(start.tzinfo) == "Asia/Yekaterinburg"
        assert start == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
        await card_says(telegram, card, "Приём: 08.12.2026 14:30")
        appointment = await visit_bot.storage.appointments.for_request(1)
        assert appointment is not None
        assert appointment.starts_at == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)  # stored UTC
        scheduled = await visit_bot.storage.appointments.scheduled(appointment.id)
        assert scheduled[0].due_at == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
        since = telegram.mark()
        await visit_bot.at(datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
        reminder = await telegram.wait_for_message(anna.id, "Напоминаем о приёме", since=since)
        assert "08.12.2026 14:30" in reminder["text"]


async def test_two_managers_change_one_appointment_the_last_change_wins(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 809, "Анна")
    group, maria, card, maria_prompt = await booked(visit_bot, telegram, anna, "Анна")
    petr = staff_member(telegram, 902, "Пётр")
    # Пётр opens his own dialog from the card while Мария is still in hers.
    petr_prompt = await manager_presses(
        telegram, petr, group, the_card(telegram, card), "🗓 Назначить время", "на какое время"
    )
    maria_asked = await manager_replies(
        telegram, maria, group, maria_prompt, "08.12 14:30", "к какому врачу"
    )
    petr_asked = await manager_replies(
        telegram, petr, group, petr_prompt, "09.12 11:00", "к какому врачу"
    )
    await manager_presses(telegram, maria, group, maria_asked, "⏭ Без врача", "Запись по заявке")
    since = telegram.mark()
    await manager_presses(telegram, petr, group, petr_asked, "⏭ Без врача", "Запись по заявке")
    changed = await telegram.wait_for_message(anna.id, "Время приёма изменено", since=since)
    assert "09.12.2026 11:00" in changed["text"]
    shown = await card_says(telegram, card, "Приём: 09.12.2026 11:00")
    assert "Изменено: Пётр Менеджер" in shown["text"]
    appointment = await visit_bot.storage.appointments.for_request(1)
    assert appointment is not None and appointment.revision == 1
    visit = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
    scheduled = await visit_bot.storage.appointments.scheduled(appointment.id)
    assert [m.due_at for m in scheduled] == [
        visit - timedelta(hours=24),
        visit - timedelta(hours=2),
        visit + timedelta(hours=2),
    ]


async def test_after_forget_the_patient_gets_no_reminder(
    visit_bot: VisitBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 810, "Анна")
    await appoint(visit_bot, telegram, anna, "08.12 14:30")
    await say(telegram, anna, "/forget", "Удалить ваши персональные данные")
    await press(telegram, anna, "🗑 Да, удалить мои данные", "данные удалены")
    await telegram.wait_idle()  # the menu that follows
    since = telegram.mark()
    await visit_bot.at(VISIT - timedelta(hours=24))
    await visit_bot.at(VISIT + timedelta(hours=2))
    assert calls_to(telegram, anna.id, since) == []


async def test_the_preview_page_moves_the_bots_clock_a_day_forward() -> None:
    """The preview's "⏩ +1 day": the bot's clock jumps and its jobs run at the new time."""
    import aiohttp

    from bot.preview.core import Preview

    async with Preview() as preview, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(preview.url + "ws")
        state = await ws.receive_json()
        while state["type"] != "state":
            state = await ws.receive_json()
        assert state["clock"]["ahead_hours"] == 0
        before = preview.clock()
        await ws.send_json({"type": "advance", "hours": 24})
        event = await ws.receive_json()
        while event["type"] != "clock":
            event = await ws.receive_json()
        assert event["ahead_hours"] == 24
        assert preview.clock() - before >= timedelta(hours=24)
        await ws.send_json({"type": "advance", "hours": 0})
        refused = await ws.receive_json()
        while refused["type"] != "toast":
            refused = await ws.receive_json()
        assert "1 to 168 hours" in refused["text"]
        await ws.close()

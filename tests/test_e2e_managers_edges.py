"""The manager chat's edges: long messages, anonymous admins, bad staff input, membership
changes, and what managers read (clinic time, readable phones)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from bot.preview.emulator import FakeTelegramServer, FakeUser
from bot.services.clinic_time import format_moment
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import outbox_drained, patient, press, say, tap
from tests.test_e2e_managers import (
    answer_of,
    book,
    button_data,
    linked,
    managers,
    running,
    staff_member,
)

TEXT_LIMIT = 4096


def _body(message: dict[str, Any]) -> str:
    """The patient's words in a relayed message: everything after its header."""
    _, separator, body = str(message["text"]).partition("\n\n")
    assert separator, message["text"]
    return body


def _last_id(telegram: FakeTelegramServer, chat_id: int) -> int:
    return max((int(m["message_id"]) for m in telegram.chat_messages(chat_id)), default=0)


async def _relayed(
    telegram: FakeTelegramServer, clinic: RunningBot, user: FakeUser, text: str
) -> list[dict[str, Any]]:
    """The patient writes `text`; returns the manager-chat messages that carried it."""
    before = _last_id(telegram, MANAGER_CHAT_ID)
    since = telegram.mark()
    telegram.send_text(user, text)
    await telegram.wait_for_message(user.id, "Передали", since=since)
    await outbox_drained(clinic.storage.outbox)
    return [
        message
        for message in telegram.chat_messages(MANAGER_CHAT_ID)
        if message["message_id"] > before
    ]


# --------------------------------------------------------------------------- long messages


async def test_long_patient_messages_reach_the_managers_whole(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    managers(telegram)
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    for text in (
        "ж" * 2501,  # longer than a Fluent placeable may be
        "&" * 1500,  # five times longer once escaped
        ("a & b < c > d " * 400)[:TEXT_LIMIT],  # Telegram's longest message, all of it markup
        "&" * TEXT_LIMIT,
    ):
        parts = await _relayed(telegram, clinic, anna, text)
        assert parts, f"nothing arrived for a message of {len(text)} characters"
        # Parts are cut at a space where there is one, and Telegram trims a message's
        # edges: every character arrives, the spaces at the cuts aside.
        received = "".join(_body(part) for part in parts)
        assert re.sub(r"\s", "", received) == re.sub(r"\s", "", text)
        assert len(received) >= len(text.strip()) - len(parts)
        for part in parts:
            assert part["reply_to_message"]["message_id"] == card["message_id"]
            await linked(clinic, part)  # a reply to any part reaches Anna
        if len(parts) > 1:
            assert [re.search(r"\((часть \d+ из \d+)\)", p["text"]) is not None for p in parts] == [
                True
            ] * len(parts)
        # The patient got no error, only the usual confirmation.
        answers = [m.get("text", "") for m in telegram.chat_messages(anna.id)[-2:]]
        assert not any("пошло не так" in answer for answer in answers)
    # Messages of the last two sizes cannot fit in one: they were split.
    assert len(parts) >= 2


# --------------------------------------------------------------------------- anonymous admins


async def test_an_anonymous_admins_reply_reaches_the_patient(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")

    since = telegram.mark()
    sent = telegram.send_as_anonymous_admin(
        group, "Анна, ждём вас в 15:00", reply_to_message_id=card["message_id"]
    )
    confirmation = await telegram.wait_for_message(MANAGER_CHAT_ID, "Доставлено", since=since)
    assert confirmation["reply_to_message"]["message_id"] == sent["message_id"]
    copy = await telegram.wait_for_call(
        "copyMessage", lambda c: c.params.get("chat_id") == anna.id, since=since
    )
    assert copy.ok and copy.params["message_id"] == sent["message_id"]
    assert telegram.chat_messages(anna.id)[-1]["text"] == "Анна, ждём вас в 15:00"
    # No individual's membership was asked for: writing as the chat is for its admins only.
    assert [c for c in telegram.calls[since:] if c.method == "getChatMember"] == []

    # An anonymous admin may ban too; the audit names the clinic, as no person is known.
    since = telegram.mark()
    telegram.send_as_anonymous_admin(group, "/ban", reply_to_message_id=card["message_id"])
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Пациент заблокирован", since=since)
    [entry] = [e for e in await clinic.storage.audit.latest_audit(5) if e.action == "ban"]
    assert (entry.staff_id, entry.staff_name) == (MANAGER_CHAT_ID, "Администратор клиники")
    assert await clinic.storage.patients.is_banned(anna.id)

    # Anonymous in another group, the same GroupAnonymousBot is nobody to the clinic.
    other = telegram.group(-1009999, "Someone else's group")
    since = telegram.mark()
    telegram.send_as_anonymous_admin(other, "Привет")
    await telegram.wait_idle()
    assert [c for c in telegram.calls[since:] if c.method == "copyMessage"] == []


# --------------------------------------------------------------------------- bad staff input

ADMIN_ID = 900


async def test_bad_staff_arguments_get_the_usage_answer(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    async with running(make_settings(admin_ids=(ADMIN_ID,)), telegram):
        admin = await patient(telegram, ADMIN_ID, "Главврач")
        for command, usage in (
            ("/request 99999999999999999999", "Использование: /request"),
            ("/request ²", "Использование: /request"),
            ("/request ١٢", "Использование: /request"),  # Arabic-Indic digits
            ("/request 0", "Использование: /request"),
            ("/stats ²", "Использование: /stats"),
            ("/stats 99999999999999999999", "Использование: /stats"),
            ("/export requests 0001-01-01 9999-12-31", "Использование: /export"),
            ("/export requests 2026-01-01 9999-12-31", "Использование: /export"),
            ("/export requests 2026-02-01 2026-01-01", "Неверный период"),
        ):
            since = telegram.mark()
            telegram.send_text(admin, command)
            await telegram.wait_for_message(admin.id, usage, since=since)
            errors = [
                m.get("text", "")
                for m in telegram.chat_messages(admin.id)
                if "пошло не так" in m.get("text", "")
            ]
            assert errors == [], command


async def test_forged_ids_in_buttons_are_refused(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    async with running(make_settings(admin_ids=(ADMIN_ID,)), telegram) as clinic:
        group = managers(telegram)
        maria = staff_member(telegram, 901, "Мария")
        anna = await patient(telegram, 801, "Анна")
        boris = await patient(telegram, 802, "Борис")
        card_a = await book(telegram, clinic, anna, "Анна")
        await book(telegram, clinic, boris, "Борис")
        stale = "кнопка уже неактивна"

        for data in (
            "st:99999999999999999999:taken:new",  # no such id can exist
            "st:2:taken:new",  # Boris's request, pressed on Anna's card
        ):
            since = telegram.mark()
            query = telegram.press(maria, card_a, data, chat=group)
            assert stale in (await answer_of(telegram, query, since))["text"], data
        for request_id in (1, 2):
            request = await clinic.storage.requests.get_request(request_id)
            assert request is not None and request.status.value == "new"
        assert await clinic.storage.requests.request_events(2) == []

        admin = await patient(telegram, ADMIN_ID, "Главврач")
        since = telegram.mark()
        telegram.send_text(admin, "/requests")
        listing = await telegram.wait_for_message(admin.id, "Заявки: все", since=since)
        for data in (
            "sp:rq::99999999999999999999:0",
            "sp:rq::0:99999999999999999999",
            "sm:99999999999999999999:published::0",
        ):
            since = telegram.mark()
            query = telegram.press(admin, listing, data)
            assert stale in (await answer_of(telegram, query, since))["text"], data


# --------------------------------------------------------------------------- membership


async def test_a_member_removed_from_the_manager_chat_loses_access_at_once(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")

    since = telegram.mark()
    query = telegram.press(maria, card, button_data(telegram, card, "🙋 Взять"), chat=group)
    assert "взята в работу" in (await answer_of(telegram, query, since))["text"]

    telegram.change_membership(group, maria, "left")
    await telegram.wait_idle()
    card = telegram.chat_messages(MANAGER_CHAT_ID)[0]
    since = telegram.mark()
    query = telegram.press(maria, card, button_data(telegram, card, "📞 Позвонили"), chat=group)
    assert "только сотрудники" in (await answer_of(telegram, query, since))["text"]
    request = await clinic.storage.requests.get_request(1)
    assert request is not None and request.status.value == "taken"

    # Added back, she is staff again straight away.
    telegram.change_membership(group, maria, "member")
    await telegram.wait_idle()
    since = telegram.mark()
    query = telegram.press(maria, card, button_data(telegram, card, "📞 Позвонили"), chat=group)
    assert "позвонили" in (await answer_of(telegram, query, since))["text"]
    # The bot asked Telegram for the updates that carry such changes.
    polls = [c for c in telegram.calls if c.method == "getUpdates"]
    assert "chat_member" in polls[-1].params.get("allowed_updates", [])


# --------------------------------------------------------------------------- what managers read


async def test_managers_read_clinic_time_readable_phones_and_a_dash_for_no_complaint(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    zone = ZoneInfo("Asia/Yekaterinburg")  # UTC+5: no hour of it reads as UTC
    settings = make_settings(admin_ids=(ADMIN_ID,), clinic_timezone=zone.key)
    async with running(settings, telegram) as clinic:
        group = managers(telegram)
        maria = staff_member(telegram, 901, "Мария")
        anna = await patient(telegram, 801, "Анна")
        card = await book(telegram, clinic, anna, "Анна")  # the complaint is skipped
        request = await clinic.storage.requests.get_request(1)
        assert request is not None
        created = format_moment(request.created_at, zone, "ru")
        in_utc = format_moment(request.created_at, ZoneInfo("UTC"), "ru")

        since = telegram.mark()
        telegram.press(maria, card, button_data(telegram, card, "🙋 Взять"), chat=group)
        edited = await telegram.wait_for_message(MANAGER_CHAT_ID, "Статус:", since=since)
        [event] = await clinic.storage.requests.request_events(1)
        assert f"Мария Менеджер, {format_moment(event.at, zone, 'ru')}" in edited["text"]

        admin = await patient(telegram, ADMIN_ID, "Главврач")
        detail = await _answer(telegram, admin, "/request 1", "Заявка № 1")
        assert f"от {created}" in detail
        assert in_utc not in detail
        assert "Телефон: +7 916 000-00-01" in detail
        assert "Жалобы: —" in detail
        assert "(удалено)" not in detail
        assert f"{format_moment(event.at, zone, 'ru')} — взята в работу" in detail

        listing = await _answer(telegram, admin, "/requests", "Заявки: все")
        assert f"№ 1</b> · {created}" in listing or f"№ 1 · {created}" in listing
        assert "+7 916 000-00-01" in listing

        audit = await _answer(telegram, admin, "/audit", "Журнал")
        [entry] = [e for e in await clinic.storage.audit.latest_audit(20) if e.staff_id == 901]
        assert format_moment(entry.at, zone, "ru") in audit

        mine = await _answer(telegram, anna, "/mydata", "Какие ваши данные")
        assert "Жалобы: —" in mine
        assert "(удалено)" not in mine


async def _answer(telegram: FakeTelegramServer, user: FakeUser, text: str, expect: str) -> str:
    since = telegram.mark()
    telegram.send_text(user, text)
    return str((await telegram.wait_for_message(user.id, expect, since=since))["text"])


async def test_a_patient_question_is_threaded_under_the_request_not_the_review(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    managers(telegram)
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    await tap(telegram, anna, "✍️ Оставить отзыв", "Выберите от 1 до 5")
    await press(telegram, anna, "⭐⭐⭐⭐⭐", "Расскажите")
    await say(telegram, anna, "Спасибо доктору", "Как подписать")
    since = telegram.mark()
    telegram.press_button(anna, "Подписать")
    review = await telegram.wait_for_message(MANAGER_CHAT_ID, "Новый отзыв", since=since)
    await linked(clinic, review)

    [question] = await _relayed(telegram, clinic, anna, "Когда будут результаты?")
    assert question["reply_to_message"]["message_id"] == card["message_id"]


async def test_the_request_card_shows_clinic_time_and_a_readable_phone(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    zone = ZoneInfo("Asia/Yekaterinburg")
    async with running(make_settings(clinic_timezone=zone.key), telegram) as clinic:
        managers(telegram)
        anna = await patient(telegram, 801, "Анна")
        card = await book(telegram, clinic, anna, "Анна")
        request = await clinic.storage.requests.get_request(1)
        assert request is not None
        assert "Телефон: +7 916 000-00-01" in card["text"]
        assert format_moment(request.consented_at, zone, "ru") in card["text"]
        assert "UTC" not in card["text"]


async def test_a_long_caption_follows_the_photo_whole(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    managers(telegram)
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    caption = "Снимок & описание " * 56  # 1,008 characters, over 1,024 once escaped
    before = _last_id(telegram, MANAGER_CHAT_ID)
    since = telegram.mark()
    telegram.send_photo(anna, caption)
    await telegram.wait_for_message(anna.id, "Передали", since=since)
    await outbox_drained(clinic.storage.outbox)
    photo, *texts = [m for m in telegram.chat_messages(MANAGER_CHAT_ID) if m["message_id"] > before]
    assert "photo" in photo and "Сообщение от пациента" in photo["caption"]
    assert texts
    received = "".join(_body(text) for text in texts)
    assert re.sub(r"\s", "", received) == re.sub(r"\s", "", caption)
    for message in (photo, *texts):
        assert message["reply_to_message"]["message_id"] == card["message_id"]

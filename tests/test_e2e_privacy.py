"""Patients' data rights: /mydata, /forget, retention, consent versions, and quiet logs."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.preview.emulator import FakeTelegramServer, FakeUser
from bot.services.forms import CONSENT_VERSION
from bot.services.retention import RetentionTask
from storage import open_storage
from storage.models import NewRequest, OutboxMessage, RequestStatus
from tests.conftest import MANAGER_CHAT_ID, RunningBot
from tests.e2e import manager_cards, patient, press, say, tap
from tests.test_e2e_outbox import ManagerChatOutage

PHONE = "+79161234567"
PHONE_SHOWN = "+7 916 123-45-67"  # how people read it; stored as PHONE


async def _book(telegram: FakeTelegramServer, user: FakeUser, name: str) -> None:
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, name, "Ваш телефон")
    await say(telegram, user, "+7 916 123-45-67", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    await say(telegram, user, "Болит левая стопа", "Согласие на обработку")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    await press(telegram, user, "✅ Подтвердить", "принята")


def _all_text_in_database(path: Path) -> str:
    """Every text value of every table, as the file holds it now."""
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        values = []
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                values.extend(str(value) for value in row)
    return "\n".join(values)


async def test_mydata_then_forget_leaves_no_trace(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1001, "Зоя", username="zoya")
    await _book(telegram, user, "Зоя Космодемьянская")
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "Заявка на консультацию № 1")
    await tap(telegram, user, "✍️ Оставить отзыв", "Выберите от 1 до 5")
    await press(telegram, user, "⭐⭐⭐⭐⭐", "Расскажите")
    await say(telegram, user, "Спасибо доктору Иванову", "Как подписать")
    await press(telegram, user, "✍️ Подписать: Зоя", "Спасибо за отзыв")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Новый отзыв")

    mine = await say(telegram, user, "/mydata", "Какие ваши данные хранит клиника")
    for expected in (
        "Зоя Космодемьянская",
        PHONE_SHOWN,
        "Спасибо доктору Иванову",
        f"версия {CONSENT_VERSION}",
    ):
        assert expected in mine["text"]

    await say(telegram, user, "/forget", "Удалить ваши персональные данные?")
    await press(telegram, user, "Нет, оставить", "данные не тронуты")
    await say(telegram, user, "/forget", "Удалить ваши персональные данные?")
    await press(telegram, user, "🗑 Да, удалить мои данные", "удалены")

    notice = await telegram.wait_for_message(
        MANAGER_CHAT_ID, "Данные заявки № 1 удалены по просьбе пациента"
    )
    assert notice
    edited = telegram.chat_messages(MANAGER_CHAT_ID)
    shown = next(m for m in edited if m["message_id"] == card["message_id"])
    assert PHONE not in shown["text"] and PHONE_SHOWN not in shown["text"]

    after = await say(telegram, user, "/mydata", "Какие ваши данные хранит клиника")
    assert "Зоя Космодемьянская" not in after["text"]
    assert PHONE_SHOWN not in after["text"]
    assert "Спасибо доктору" not in after["text"]

    # The statistics keep the anonymous rows.
    stored = await clinic.storage.requests.get_request(1)
    assert stored is not None
    assert stored.service_id == "massage"
    assert stored.phone == ""
    # No trace in the database, not even in its WAL or free pages.
    path = clinic.settings.sqlite_path
    await clinic.stop()
    text = _all_text_in_database(path)
    assert PHONE not in text
    assert "Космодемьянская" not in text
    assert "Болит левая стопа" not in text
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert PHONE.encode() not in raw
    assert "Космодемьянская".encode() not in raw


async def test_forget_drops_pending_messages_to_managers(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    outage = ManagerChatOutage(502, "Bad Gateway")
    telegram.responder = outage
    user = await patient(telegram, 1002, "Ян")
    await say(telegram, user, "Мой телефон +79160001122, перезвоните", "Передали")
    while outage.refused < 1:
        await asyncio.sleep(0.02)
    await say(telegram, user, "/forget", "Удалить")
    await press(telegram, user, "🗑 Да, удалить мои данные", "удалены")
    outage.down = False
    # Another patient writes after the erasure; the outbox keeps its order, so once their
    # message reached the managers, anything still queued before it would have too.
    since = telegram.mark()
    eva = await patient(telegram, 1003, "Ева")
    await say(telegram, eva, "Перезвоните мне после обеда", "Передали")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Перезвоните мне после обеда", since=since)
    sent = [c["text"] for c in manager_cards(telegram, MANAGER_CHAT_ID)]
    assert not any("+79160001122" in text for text in sent)
    assert await clinic.storage.outbox.pending_outbox_count() == 0


async def test_retention_erases_old_closed_requests_only(tmp_path: Path) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    clock_value = [now - timedelta(days=400)]
    storage = await open_storage(f"sqlite:///{tmp_path}/clinic.db", clock=lambda: clock_value[0])
    try:

        def card(request_id: int) -> OutboxMessage:
            return OutboxMessage("request", request_id, MANAGER_CHAT_ID, None, "card")

        def request(name: str) -> NewRequest:
            return NewRequest(1, "ru", None, name, PHONE, "утром", "боль", "v", clock_value[0])

        old_closed = await storage.requests.create_request(request("Старая закрытая"), card)
        old_open = await storage.requests.create_request(request("Старая в работе"), card)
        await storage.requests.change_request_status(
            old_closed, RequestStatus.NEW, RequestStatus.BOOKED, 1, "staff"
        )
        clock_value[0] = now - timedelta(days=10)
        recent_closed = await storage.requests.create_request(request("Свежая закрытая"), card)
        await storage.requests.change_request_status(
            recent_closed, RequestStatus.NEW, RequestStatus.CANCELLED, 1, "staff"
        )
        clock_value[0] = now
        task = RetentionTask(storage.patients, days=365, clock=lambda: now)
        assert await task.run_once() == [old_closed]
        assert (await storage.requests.get_request(old_closed)).name == ""  # type: ignore[union-attr]
        assert (await storage.requests.get_request(old_open)).name == "Старая в работе"  # type: ignore[union-attr]
        assert (await storage.requests.get_request(recent_closed)).phone == PHONE  # type: ignore[union-attr]
        assert await task.run_once() == []
    finally:
        await storage.close()


async def test_consent_asked_again_only_when_its_version_changes(
    clinic: RunningBot, telegram: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await patient(telegram, 1003, "Ада")
    await _book(telegram, user, "Ада")
    # A returning patient who agreed to this version goes straight to the summary.
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Записать вас как Ада, +7 916 123-45-67?")
    await press(telegram, user, "✅ Да", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    await press(telegram, user, "⏭ Пропустить", "Проверьте")
    await press(telegram, user, "✅ Подтвердить", "№ 2")
    # A new consent text: asked again.
    monkeypatch.setattr("bot.handlers.booking.CONSENT_VERSION", "2027-01-01")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Записать вас как Ада, +7 916 123-45-67?")
    await press(telegram, user, "✅ Да", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    await press(telegram, user, "⏭ Пропустить", "версия 2027-01-01")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    await press(telegram, user, "✅ Подтвердить", "№ 3")
    stored = await clinic.storage.requests.get_request(3)
    assert stored is not None
    assert stored.consent_version == "2027-01-01"


async def test_info_logs_carry_no_personal_data(
    clinic: RunningBot, telegram: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = await patient(telegram, 1004, "Лев")
    await _book(telegram, user, "Лев Толстой")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Лев Толстой")
    await say(telegram, user, "У меня вопрос про массаж", "Передали")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "вопрос про массаж")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Consultation request 1 stored" in logged
    for secret in ("Толстой", PHONE, "79161234567", "Болит левая стопа", "вопрос про массаж"):
        assert secret not in logged

"""Confirm pressed twice, each press handled by another instance of the bot (no Redis, so no
shared event isolation): one request, one card, one number for the patient."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiogram.types import Update

from bot.app import Application
from bot.preview.emulator import FakeTelegramServer, FakeUser
from tests.conftest import FAST_OUTBOX, MANAGER_CHAT_ID, RunningBot
from tests.e2e import manager_cards, patient, press, say, tap

UPDATE_IDS = itertools.count(900_000)


async def _fill_booking(telegram: FakeTelegramServer, user_id: int) -> FakeUser:
    user = await patient(telegram, user_id, "Ivan")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Второй курс лечения (12 сеансов)", "Как вас зовут?")
    await say(telegram, user, "Мария", "Ваш телефон")
    user.phone_number = "79161234567"
    await tap(telegram, user, "📱 Поделиться номером", "Когда вам удобно")
    await press(telegram, user, "🌆 Вечером (17:00–20:00)", "Коротко опишите")
    await say(telegram, user, "Болит стопа", "Согласие на обработку")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте, пожалуйста, заявку")
    return user


def _confirm_press(telegram: FakeTelegramServer, user: FakeUser) -> dict[str, Any]:
    """The update Telegram sends for a press of the summary's Confirm button."""
    summary = telegram.last_message(user.id)
    confirm = next(data for text, data in telegram.inline_buttons(summary) if "Подтвердить" in text)
    query_id = telegram.press(user, summary["message_id"], confirm)
    query = {
        "id": query_id,
        "from": user.to_dict(),
        "message": summary,
        "chat_instance": "1",
        "data": confirm,
    }
    return {"update_id": next(UPDATE_IDS), "callback_query": query}


async def _feed(app: Application, update: dict[str, Any]) -> None:
    """An update handed to one instance directly (it does not poll)."""
    await app.dispatcher.feed_update(
        app.bot, Update.model_validate(update, context={"bot": app.bot})
    )


def _texts_to(telegram: FakeTelegramServer, user: FakeUser, since: int) -> list[str]:
    """The messages the bot sent the patient since the mark."""
    return [
        call.params["text"]
        for call in telegram.calls[since:]
        if call.method == "sendMessage" and call.params.get("chat_id") == user.id
    ]


async def test_confirm_pressed_on_two_instances_makes_one_request(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await _fill_booking(telegram, 4100)
    # Two instances on one database take the two presses; neither polls, so the presses
    # reach each one directly, at the same time.
    await clinic.stop()
    instances = [await Application.create(clinic.settings, timing=FAST_OUTBOX) for _ in range(2)]
    try:
        presses = [_confirm_press(telegram, user) for _ in instances]
        since = telegram.mark()
        await asyncio.gather(
            *(_feed(app, update) for app, update in zip(instances, presses, strict=True))
        )
        storage = instances[0].storage
        (request,) = await storage.requests.list_requests(None)
        assert request.name == "Мария"
        assert await storage.outbox.pending_outbox_count() == 1
        answers = _texts_to(telegram, user, since)
        assert answers and all(f"№ {request.id}" in answer for answer in answers), answers
    finally:
        for app in instances:
            await app.close()
    # The next start delivers the one card.
    await clinic.start()
    await telegram.wait_for_message(MANAGER_CHAT_ID, f"№ {request.id}")
    await telegram.wait_idle()
    assert len(manager_cards(telegram, MANAGER_CHAT_ID)) == 1


async def test_a_confirm_pressed_again_after_the_form_ended_gives_the_same_number(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    """The second press reaches an instance after the first one has stored the request and
    ended the form: the patient is told the number of the request the form made (on the
    button), not asked to start over, and no second request or card is made."""
    user = await _fill_booking(telegram, 4200)
    await clinic.stop()
    instances = [await Application.create(clinic.settings, timing=FAST_OUTBOX) for _ in range(2)]
    try:
        presses = [_confirm_press(telegram, user) for _ in instances]
        since = telegram.mark()
        for app, update in zip(instances, presses, strict=True):
            await _feed(app, update)
        storage = instances[0].storage
        (request,) = await storage.requests.list_requests(None)
        answers = _texts_to(telegram, user, since)
        notices = [
            call.params.get("text", "")
            for call in telegram.calls[since:]
            if call.method == "answerCallbackQuery"
        ]
        assert len(answers) == 1 and f"№ {request.id}" in answers[0], answers
        assert any(f"Заявка № {request.id} уже принята" in notice for notice in notices), notices
        assert await storage.outbox.pending_outbox_count() == 1
    finally:
        for app in instances:
            await app.close()

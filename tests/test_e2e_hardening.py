"""Hardening found in review: audit of card actions, a refused message that must not block the
outbox, short 429s on direct manager-chat answers, and erasure of a relayed photo."""

from __future__ import annotations

from bot.preview.emulator import FakeTelegramServer
from tests.conftest import MANAGER_CHAT_ID, RunningBot
from tests.e2e import manager_cards, patient, say
from tests.test_e2e_managers import (
    book,
    button_data,
    linked,
    manager_says,
    managers,
    staff_member,
)


async def test_card_actions_and_bans_are_audited(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    olga = staff_member(telegram, 7001, "Ольга")
    anna = await patient(telegram, 7002, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    since = telegram.mark()
    telegram.press(olga, card, button_data(telegram, card, "🙋 Взять"), chat=group)
    await telegram.wait_for_call("editMessageText", since=since)
    await manager_says(telegram, olga, group, "/ban", card["message_id"], "заблокирован")
    entries = await clinic.storage.audit.latest_audit(10)
    assert [(e.action, e.target, e.staff_name) for e in entries][:2] == [
        ("ban", "patient 7002", "Ольга Менеджер"),
        ("status:taken", "request 1", "Ольга Менеджер"),
    ]


async def test_a_refused_copy_does_not_block_the_cards_behind_it(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 7101, "Анна")
    # Telegram cannot copy the patient's photo (she deleted it while the chat was busy).
    telegram.fail(
        "copyMessage",
        status=400,
        description="Bad Request: message to copy not found",
        times=50,
        chat_id=MANAGER_CHAT_ID,
    )
    since = telegram.mark()
    telegram.send_photo(anna, caption="Вот снимок")
    await telegram.wait_for_message(anna.id, "Передали", since=since)
    boris = await patient(telegram, 7102, "Борис")
    await book(telegram, clinic, boris, "Борис")
    texts = [card["text"] for card in manager_cards(telegram, MANAGER_CHAT_ID)]
    assert any("Вот снимок" in text and "Сообщение от пациента" in text for text in texts)
    assert any("Заявка на консультацию № 1" in text for text in texts)
    assert await clinic.storage.outbox.pending_outbox_count() == 0


async def test_short_429_on_a_direct_answer_is_waited_out(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    olga = staff_member(telegram, 7201, "Ольга")
    anna = await patient(telegram, 7202, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    telegram.fail("sendMessage", status=429, retry_after=1, times=1, chat_id=MANAGER_CHAT_ID)
    await manager_says(telegram, olga, group, "Ждём вас", card["message_id"], "Доставлено")
    assert telegram.chat_messages(anna.id)[-1]["text"] == "Ждём вас"


async def test_forget_blanks_a_relayed_photo_caption(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 7301, "Анна", username="anna_k")
    since = telegram.mark()
    telegram.send_photo(anna, caption="Мой снимок, Анна Каренина")
    relayed = await telegram.wait_for_message(MANAGER_CHAT_ID, "Мой снимок", since=since)
    await linked(clinic, relayed)
    await say(telegram, anna, "/forget", "Удалить")
    since = telegram.mark()
    telegram.press_button(anna, "🗑 Да, удалить мои данные")
    await telegram.wait_for_call("editMessageCaption", since=since)
    shown = next(
        m
        for m in telegram.chat_messages(MANAGER_CHAT_ID)
        if m["message_id"] == relayed["message_id"]
    )
    assert "Каренина" not in str(shown.get("caption"))
    assert "удалены" in str(shown.get("caption"))

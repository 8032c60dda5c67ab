"""Reply templates end to end: staff manage them with /templates; the card's 📋 button sends
one to the patient, filled in and escaped, as a typed reply would, with a note under the card
and an audit entry."""

from __future__ import annotations

from typing import Any

from bot.preview.emulator import FakeTelegramServer
from tests.conftest import MANAGER_CHAT_ID, RunningBot
from tests.e2e import patient, say
from tests.test_e2e_managers import answer_of, book, button_data, managers, staff_member

GREETING = "Здравствуйте, {name}! По услуге «{service}» звоните {clinic_phone}."


async def staff_says(
    telegram: FakeTelegramServer, text: str, expect: str, user_id: int = 901
) -> dict[str, Any]:
    group = managers(telegram)
    maria = staff_member(telegram, user_id, "Мария")
    since = telegram.mark()
    telegram.send_text(maria, text, chat=group)
    return await telegram.wait_for_message(MANAGER_CHAT_ID, expect, since=since)


async def test_staff_add_list_edit_and_remove_templates_with_checks(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    await staff_says(telegram, "/templates", "Шаблонов пока нет")
    await staff_says(telegram, f"/templates add greet {GREETING}", "Шаблон greet добавлен")
    await staff_says(telegram, "/templates add greet Другой текст", "уже есть")
    await staff_says(telegram, "/templates add price Звоните {phone}", "Неизвестная подстановка")
    await staff_says(telegram, "/templates add <b>x</b> текст", "Имя шаблона")
    listed = await staff_says(telegram, "/templates", "Шаблоны ответов")
    assert "greet" in listed["text"] and "Здравствуйте, {name}!" in listed["text"]
    assert "price" not in listed["text"]
    await staff_says(telegram, "/templates edit greet Добрый день, {name}!", "изменён")
    listed = await staff_says(telegram, "/templates", "Шаблоны ответов")
    assert "Добрый день, {name}!" in listed["text"]
    await staff_says(telegram, "/templates remove greet", "удалён")
    await staff_says(telegram, "/templates remove greet", "Шаблона greet нет")
    actions = [entry.action for entry in await clinic.storage.audit.latest_audit(10)]
    assert actions.count("template:add") == 1
    assert "template:edit" in actions and "template:remove" in actions


async def test_a_patient_cannot_manage_templates(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 801, "Анна")
    since = telegram.mark()
    telegram.send_text(anna, "/templates add x текст")
    answer = await telegram.wait_for_message(anna.id, since=since)
    assert "добавлен" not in answer["text"]
    assert await clinic.storage.templates.list_templates() == []


async def test_a_template_from_the_card_reaches_the_patient_escaped(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    await staff_says(telegram, f"/templates add greet {GREETING}", "добавлен")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "<b>Анна</b>")

    since = telegram.mark()
    telegram.press(maria, card, button_data(telegram, card, "📋 Шаблоны"), chat=group)
    offered = await telegram.wait_for_call(
        "editMessageReplyMarkup",
        lambda call: call.params.get("message_id") == card["message_id"],
        since=since,
    )
    labels = [row[0]["text"] for row in offered.params["reply_markup"]["inline_keyboard"]]
    assert labels == ["📋 greet", "↩️ Назад"]

    current = telegram.chat_messages(MANAGER_CHAT_ID)
    shown = next(m for m in current if m["message_id"] == card["message_id"])
    since = telegram.mark()
    query = telegram.press(maria, shown, button_data(telegram, shown, "📋 greet"), chat=group)
    sent = await telegram.wait_for_message(anna.id, "Здравствуйте", since=since)
    # The patient's own text, shown as typed: never markup.
    assert sent["text"].startswith("Здравствуйте, <b>Анна</b>! По услуге «Массаж стопы»")
    assert "&lt;b&gt;Анна&lt;/b&gt;" in sent["html"]
    assert "+7" in sent["text"]
    assert not sent.get("entities")
    note = await telegram.wait_for_message(MANAGER_CHAT_ID, "шаблон «greet»", since=since)
    assert note["reply_to_message"]["message_id"] == card["message_id"]
    assert "&lt;b&gt;Анна&lt;/b&gt;" in note["html"]
    assert (await answer_of(telegram, query, since))["text"] == "✅ Доставлено пациенту."
    # The card has its status buttons back.
    restored = await telegram.wait_for_call(
        "editMessageText",
        lambda call: call.params.get("message_id") == card["message_id"],
        since=since,
    )
    assert "🙋 Взять" in str(restored.params["reply_markup"])
    entries = await clinic.storage.audit.latest_audit(5)
    assert any(entry.action == "template:sent" for entry in entries)


async def test_the_card_button_without_templates_says_how_to_add_one(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    since = telegram.mark()
    query = telegram.press(maria, card, button_data(telegram, card, "📋 Шаблоны"), chat=group)
    answer = await answer_of(telegram, query, since)
    assert "/templates add" in answer["text"] and answer["show_alert"]


async def test_staff_help_lists_staff_commands_and_card_buttons(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    text = (await staff_says(telegram, "/help", "Для сотрудников"))["text"]
    assert "/templates" in text and "/stats" in text and "📋 Шаблоны" in text
    assert "через 15 мин" in text
    anna = await patient(telegram, 801, "Анна")
    answer = await say(telegram, anna, "/help", "Что я умею")
    assert "Для сотрудников" not in answer["text"]

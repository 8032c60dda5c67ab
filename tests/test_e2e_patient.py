"""A patient's flows end to end: real dispatcher, real long polling, fake Bot API server."""

from __future__ import annotations

import pytest

from bot.preview.emulator import FakeTelegramServer, FakeUser
from bot.services.forms import CONSENT_VERSION
from tests.conftest import MANAGER_CHAT_ID, RunningBot
from tests.e2e import manager_cards, patient, press, reply_keyboard, say, tap

RU_MENU = [
    "📖 Об остеопорозе",
    "💳 Цены",
    "📝 Записаться на консультацию",
    "✍️ Оставить отзыв",
    "⭐ Отзывы",
    "📍 Контакты",
    "🌐 Язык / Language",
]
EN_MENU = [
    "📖 About osteoporosis",
    "💳 Prices",
    "📝 Book a consultation",
    "✍️ Leave a review",
    "⭐ Reviews",
    "📍 Contacts",
    "🌐 Language",
]


async def test_start_greets_in_the_users_language(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    anna = telegram.private_user(101, "Анна", language_code="ru")
    john = telegram.private_user(102, "John", language_code="en-GB")
    await say(telegram, anna, "/start", "Здравствуйте, Анна!")
    assert reply_keyboard(telegram, anna.id) == RU_MENU
    await say(telegram, john, "/start", "Hello, John!")
    assert reply_keyboard(telegram, john.id) == EN_MENU


async def test_commands_registered_per_language(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    calls = [
        call
        for call in telegram.calls_of("setMyCommands")
        if call.params.get("scope", {}).get("type") == "all_private_chats"
    ]
    by_language = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert set(by_language) >= {"ru", "en", None}
    expected = ["start", "menu", "prices", "book", "review", "reviews", "contacts", "help"]
    expected += ["cancel"]
    expected += ["mydata", "forget"]
    for commands in by_language.values():
        assert [c["command"] for c in commands] == expected
    assert by_language["ru"][2]["description"] == "Цены на услуги"
    assert by_language["en"][2]["description"] == "Prices of services"
    # Polling could only start once the webhook was gone.
    assert telegram.calls_of("deleteWebhook")


async def test_article_navigation_edits_one_message(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 201, "Ольга")
    opened = telegram.mark()
    menu = await tap(telegram, user, "📖 Об остеопорозе", "Выберите раздел")
    sections = [text for text, _ in telegram.inline_buttons(menu)][:-2]
    assert len(sections) >= 10

    first = await press(telegram, user, sections[0], "Раздел 1 из")
    assert first["message_id"] == menu["message_id"]
    assert "Все кости" in first["text"] or "остеопороз" in first["text"].lower()

    visited = [first]
    for number in range(2, len(sections) + 1):
        page = await press(telegram, user, "Далее ▶️", f"Раздел {number} из {len(sections)}")
        assert page["message_id"] == menu["message_id"]
        visited.append(page)
    last_buttons = [text for text, _ in telegram.inline_buttons(visited[-1])]
    assert "Далее ▶️" not in last_buttons
    assert {"◀️ Назад", "📚 Разделы", "📝 Записаться", "🏠 Главное меню"} <= set(last_buttons)
    # Every section that names a medicine ends with the doctor's note.
    for page in visited:
        mentions_dose = any(unit in page["text"] for unit in (" мг", " МЕ", " мкг"))
        if mentions_dose:
            assert "назначает только врач" in page["text"]
        assert len(page["text"]) < 4096

    back = await press(telegram, user, "◀️ Назад", f"Раздел {len(sections) - 1} из")
    assert back["message_id"] == menu["message_id"]
    listing = await press(telegram, user, "📚 Разделы", "Выберите раздел")
    assert listing["message_id"] == menu["message_id"]
    # Only the first answer was a new message; everything else was an edit.
    sent_to_user = [
        c
        for c in telegram.calls[opened:]
        if c.method == "sendMessage" and c.params["chat_id"] == user.id
    ]
    assert len(sent_to_user) == 1


async def test_repeated_tap_on_same_button_is_quiet(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 202, "Ольга")
    menu = await tap(telegram, user, "📖 Об остеопорозе", "Выберите раздел")
    first_title = telegram.inline_buttons(menu)[0][0]
    await press(telegram, user, first_title, "Раздел 1 из")
    since = telegram.mark()
    telegram.press(user, menu["message_id"], telegram.inline_buttons(menu)[0][1])
    await telegram.wait_for_call("answerCallbackQuery", since=since)
    await telegram.wait_idle()
    refused = [c for c in telegram.calls[since:] if not c.ok]
    assert [c.method for c in refused] in ([], ["editMessageText"])
    texts = [c.params.get("text", "") for c in telegram.calls[since:]]
    assert not any("что-то пошло не так" in str(text) for text in texts)


@pytest.mark.parametrize(
    ("language", "button", "price", "region"),
    [
        ("ru", "💳 Цены", "от 6 500 ₽", "регион"),
        ("en", "💳 Prices", "from 6,500 ₽", "region"),
    ],
)
async def test_price_list(
    clinic: RunningBot,
    telegram: FakeTelegramServer,
    language: str,
    button: str,
    price: str,
    region: str,
) -> None:
    user = await patient(telegram, 301, "Pat", language_code=language)
    prices = await tap(telegram, user, button, price)
    text = prices["text"]
    for amount in ("500", "6", "5", "700", "250", "800"):
        assert amount in text
    assert text.count("₽") == 7
    assert region in text.lower()
    assert ("от 5 900 ₽" if language == "ru" else "from 5,900 ₽") in text
    book_buttons = [t for t, _ in telegram.inline_buttons(prices) if t.startswith("📝")]
    assert len(book_buttons) == 7


async def test_book_button_of_a_price_starts_request_with_that_service(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 302, "Pat", language_code="en")
    prices = await tap(telegram, user, "💳 Prices", "from 6,500 ₽")
    # The button has the short name that fits a phone; the message has the full one.
    cycle = next(t for t, _ in telegram.inline_buttons(prices) if "1st cycle" in t)
    assert cycle == "📝 Book: 1st cycle (12 sessions)"
    assert "First treatment cycle (12 sessions)" in prices["text"]
    since = telegram.mark()
    telegram.press_button(user, cycle)
    chosen = await telegram.wait_for_message(user.id, "Service:", since=since)
    assert "First treatment cycle" in chosen["text"]
    await telegram.wait_for_message(user.id, "What is your name?", since=since)


async def _fill_booking(telegram: FakeTelegramServer, user_id: int, name: str) -> FakeUser:
    user = await patient(telegram, user_id, "Ivan", username="ivan_p")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Второй курс лечения (12 сеансов)", "Как вас зовут?")
    await say(telegram, user, name, "Ваш телефон")
    user.phone_number = "79161234567"
    await tap(telegram, user, "📱 Поделиться номером", "Когда вам удобно")
    await press(telegram, user, "🌆 Вечером (17:00–20:00)", "Коротко опишите")
    await say(telegram, user, "Болит стопа <после> бега & ходьбы", "Согласие на обработку")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте, пожалуйста, заявку")
    return user


async def test_full_booking_by_buttons_reaches_manager_chat(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await _fill_booking(telegram, 401, "Ivan <b>Petrov</b> & Co")
    summary = telegram.last_message(user.id)
    assert "Ivan <b>Petrov</b> & Co" in summary["text"]
    assert "+7 916 123-45-67" in summary["text"]  # as people read it

    done = await press(telegram, user, "✅ Подтвердить", "Ваша заявка № 1 принята")
    assert "№ 1" in done["text"]
    assert reply_keyboard(telegram, user.id) == RU_MENU

    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "Заявка на консультацию № 1")
    text = card["text"]
    for expected in (
        "Второй курс лечения (12 сеансов)",
        "Ivan <b>Petrov</b> & Co",
        "Телефон: +7 916 123-45-67",  # readable for the manager who calls
        "Вечером (17:00–20:00)",
        "Болит стопа <после> бега & ходьбы",
        "@ivan_p",
        f"версия {CONSENT_VERSION}",
    ):
        assert expected in text
    # Shown literally: the patient's markup was escaped, not interpreted.
    assert "Ivan &lt;b&gt;Petrov&lt;/b&gt; &amp; Co" in card["html"]

    stored = await clinic.storage.requests.get_request(1)
    assert stored is not None
    assert stored.phone == "+79161234567"
    assert stored.service_id == "cycle2"
    assert stored.consent_version == CONSENT_VERSION
    assert len(manager_cards(telegram, MANAGER_CHAT_ID)) == 1


async def test_double_confirm_creates_one_request(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await _fill_booking(telegram, 402, "Мария")
    summary = telegram.last_message(user.id)
    confirm = next(data for text, data in telegram.inline_buttons(summary) if "Подтвердить" in text)
    since = telegram.mark()
    telegram.press(user, summary["message_id"], confirm)
    telegram.press(user, summary["message_id"], confirm)
    await telegram.wait_for_message(user.id, "принята", since=since)
    # The second press is told which request its form made, on the button: no second message.
    await telegram.wait_for_call(
        "answerCallbackQuery",
        lambda call: "Заявка № 1 уже принята" in call.params.get("text", ""),
        since=since,
    )
    await telegram.wait_for_message(MANAGER_CHAT_ID, "№ 1")
    await telegram.wait_idle()
    assert await clinic.storage.requests.get_request(2) is None
    assert len(manager_cards(telegram, MANAGER_CHAT_ID)) == 1


async def test_edit_a_field_from_the_summary(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await _fill_booking(telegram, 403, "Мария")
    since = telegram.mark()
    telegram.press_button(user, "✏️ Изменить")
    await telegram.wait_for_call("editMessageReplyMarkup", since=since)
    await press(telegram, user, "Имя", "Как вас зовут?")
    summary = await say(telegram, user, "Мария Ивановна", "Проверьте, пожалуйста, заявку")
    assert "Имя: Мария Ивановна" in summary["text"]
    assert "Телефон: +7 916 123-45-67" in summary["text"]  # as people read it
    await press(telegram, user, "✅ Подтвердить", "принята")
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "Мария Ивановна")
    assert "Вечером" in card["text"]


async def test_back_from_editing_to_the_same_summary(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    """While the summary shows its field buttons, typing is answered with those buttons,
    and "Back to the summary" brings back Confirm, which stores the request."""
    user = await _fill_booking(telegram, 405, "Мария")
    since = telegram.mark()
    telegram.press_button(user, "✏️ Изменить")
    await telegram.wait_for_call("editMessageReplyMarkup", since=since)
    hint = await say(telegram, user, "ок", "выберите одну из кнопок")
    assert [text for text, _ in telegram.inline_buttons(hint)][-1] == "⬅️ Назад к заявке"
    since = telegram.mark()
    telegram.press_button(user, "⬅️ Назад к заявке")
    edit = await telegram.wait_for_call("editMessageReplyMarkup", since=since)
    assert next(text for text, _ in telegram.inline_buttons(edit.result)) == "✅ Подтвердить"
    hint = await say(telegram, user, "ок", "выберите одну из кнопок")
    assert next(text for text, _ in telegram.inline_buttons(hint)) == "✅ Подтвердить"
    await press(telegram, user, "✅ Подтвердить", "принята")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "Мария")


async def test_typed_phone_and_not_sure_service_in_english(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 404, "Kate", language_code="en")
    await tap(telegram, user, "📝 Book a consultation", "Which service")
    await press(telegram, user, "🤔 Not sure, I need advice", "What is your name?")
    await say(telegram, user, "Kate", "phone number")
    await say(telegram, user, "not a phone", "contains letters")
    await say(telegram, user, "8 (916) 765-43-21", "When is it convenient")
    await say(telegram, user, "weekdays after 18:00", "Briefly describe")
    await press(telegram, user, "⏭ Skip", "Consent to the processing")
    summary = await press(telegram, user, "✅ I agree", "Please check your request")
    assert "Phone: +7 916 765-43-21" in summary["text"]
    assert "Preferred time: weekdays after 18:00" in summary["text"]
    assert "Not sure" in summary["text"]
    await press(telegram, user, "✅ Confirm", "Your request No. 1 has been received")
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "№ 1")
    assert "Не знаю" in card["text"]  # the clinic reads cards in its own language
    assert "Жалобы: —" in card["text"]


async def test_bad_input_is_answered_and_the_form_stays_consistent(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 501, "Пётр")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    # Text where a button is expected.
    await say(telegram, user, "массаж", "выберите одну из кнопок")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    # A sticker or a photo where text is expected.
    since = telegram.mark()
    telegram.send_sticker(user)
    await telegram.wait_for_message(user.id, "ответьте текстовым сообщением", since=since)
    since = telegram.mark()
    telegram.send_photo(user, caption="я")
    await telegram.wait_for_message(user.id, "ответьте текстовым сообщением", since=since)
    # Emoji only, and a 10,000-character message.
    await say(telegram, user, "😀😀😀", "ответьте словами")
    await say(telegram, user, "Я" * 10_000, "Слишком длинно")
    await say(telegram, user, "Пётр", "Ваш телефон")
    await say(telegram, user, "12345", "не похоже на номер")
    await say(telegram, user, "+7 916 111-22-33", "Когда вам удобно")
    await say(telegram, user, "🕐🕐", "ответьте словами")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    await say(telegram, user, "б" * 10_000, "не больше 1")
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    await say(telegram, user, "может быть", "Без согласия мы не можем принять заявку")
    summary = await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    assert "Имя: Пётр" in summary["text"]
    assert "Утром" in summary["text"]
    await say(telegram, user, "ок", "выберите одну из кнопок")
    await press(telegram, user, "✅ Подтвердить", "№ 1")


async def test_start_and_cancel_in_the_middle_of_a_form(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 502, "Пётр")
    choice = await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    massage = next(data for text, data in telegram.inline_buttons(choice) if text == "Массаж стопы")
    await say(telegram, user, "Пётр", "выберите одну из кнопок")
    greeting = await say(telegram, user, "/start", "Здравствуйте")
    assert "Заполнение отменено" in greeting["text"]
    # The old form's buttons are stale now.
    since = telegram.mark()
    telegram.press(user, choice["message_id"], massage)
    answer = await telegram.wait_for_call("answerCallbackQuery", since=since)
    assert "неактивна" in answer.params.get("text", "")

    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await tap(telegram, user, "✖️ Отмена", "Заполнение отменено")
    assert reply_keyboard(telegram, user.id) == RU_MENU
    await say(telegram, user, "/cancel", "Отменять нечего")
    # Outside a form, an unknown command gets a hint to use the menu.
    await say(telegram, user, "/whatever", "не понял")
    assert await clinic.storage.requests.get_request(1) is None


async def test_review_goes_to_moderation_and_list_shows_published(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 601, "Света", username="sveta")
    listing = await tap(telegram, user, "⭐ Отзывы", "из 5")
    assert "5,0 из 5" in listing["text"]
    assert "2 оценки" in listing["text"]
    assert "каблук" in listing["text"].lower()

    await tap(telegram, user, "✍️ Оставить отзыв", "Выберите от 1 до 5")
    await say(telegram, user, "пять", "выберите одну из кнопок")
    await press(telegram, user, "⭐⭐⭐⭐", "Расскажите")
    await say(telegram, user, "Врачи <внимательные> & вежливые", "Как подписать")
    await press(telegram, user, "✍️ Подписать: Света", "Спасибо за отзыв")

    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "Новый отзыв № 3")
    assert "⭐⭐⭐⭐ (4/5)" in card["text"]
    assert "Врачи <внимательные> & вежливые" in card["text"]
    assert "&lt;внимательные&gt; &amp;" in card["html"]
    assert "Подпись: Света" in card["text"]
    # Awaiting moderation: the public list is unchanged.
    listing = await tap(telegram, user, "⭐ Отзывы", "из 5")
    assert "2 оценки" in listing["text"]
    assert "внимательные" not in listing["text"]


async def test_anonymous_review_without_text_in_english(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 602, "Bob", language_code="en")
    await tap(telegram, user, "✍️ Leave a review", "from 1 to 5")
    await press(telegram, user, "⭐⭐⭐⭐⭐", "Tell us")
    await press(telegram, user, "⏭ Skip", "How should we sign")
    await press(telegram, user, "🙈 Anonymously", "Thank you for your review")
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "Новый отзыв")
    assert "Подпись: Аноним" in card["text"]
    assert "(без текста)" in card["text"]


async def test_reviews_are_paginated(clinic: RunningBot, telegram: FakeTelegramServer) -> None:
    from storage.models import NewReview

    await clinic.storage.reviews.seed_reviews([])  # already seeded: must not add anything
    extra = [
        NewReview(user_id=None, author=f"Автор {i}", rating=4, text=f"Отзыв {i}", locale="ru")
        for i in range(1, 6)
    ]
    # Publishing is the managers' job; here the rows are published directly.
    from storage.models import ReviewStatus

    for review in extra:
        review_id = await clinic.storage.reviews.create_review(review, _silent_card)
        await clinic.storage.reviews.set_review_status(review_id, ReviewStatus.PUBLISHED)

    user = await patient(telegram, 603, "Оля")
    first = await tap(telegram, user, "⭐ Отзывы", "Страница 1 из 3")
    assert "4,3 из 5" in first["text"]
    assert "7 оценок" in first["text"]
    assert "Отзыв 5" in first["text"]
    second = await press(telegram, user, "Старше ▶️", "Страница 2 из 3")
    assert second["message_id"] == first["message_id"]
    assert "Отзыв 2" in second["text"]
    third = await press(telegram, user, "Старше ▶️", "Страница 3 из 3")
    assert "Света" in third["text"]
    assert "Старше ▶️" not in [t for t, _ in telegram.inline_buttons(third)]
    await press(telegram, user, "◀️ Новее", "Страница 2 из 3")


def _silent_card(review_id: int):  # type: ignore[no-untyped-def]
    from storage.models import OutboxMessage

    return OutboxMessage(
        kind="review", ref_id=review_id, chat_id=MANAGER_CHAT_ID, thread_id=None, text="x"
    )


async def test_language_choice_is_remembered_across_restart(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 701, "Анна", language_code="ru")
    await tap(telegram, user, "🌐 Язык / Language", "Выберите язык")
    await press(telegram, user, "🇬🇧 English", "The language is now English")
    await telegram.wait_for_message(user.id, "Main menu")
    assert reply_keyboard(telegram, user.id) == EN_MENU
    await clinic.restart()
    await say(telegram, user, "/start", "Hello, Анна!")
    assert reply_keyboard(telegram, user.id) == EN_MENU


async def test_form_in_progress_survives_restart(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 702, "Анна")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await clinic.restart()
    await say(telegram, user, "Анна", "Ваш телефон")


async def test_unknown_and_stale_buttons_get_an_answer(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 703, "Анна")
    menu = await tap(telegram, user, "📖 Об остеопорозе", "Выберите раздел")
    for data in ("a:no_such_section", "zzz:1", "rp:abc", "bk:yes"):
        since = telegram.mark()
        telegram.press(user, menu["message_id"], data)
        answer = await telegram.wait_for_call("answerCallbackQuery", since=since)
        assert "неактивна" in answer.params.get("text", "")
    # The bot keeps working.
    await say(telegram, user, "/help", "Что я умею")


async def test_commands_inside_a_form_are_commands_not_answers(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 801, "Инна")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    # /help answers but keeps the form (and its keyboard) going.
    await say(telegram, user, "/help", "Заполнение продолжается")
    await say(telegram, user, "/nonsense", "Такой команды нет")
    await say(telegram, user, "Инна", "Ваш телефон")
    assert reply_keyboard(telegram, user.id) == ["📱 Поделиться номером", "✖️ Отмена"]
    # /review leaves the booking and starts a review; the booking never saw "/review".
    rating = await say(telegram, user, "/review", "Выберите от 1 до 5")
    assert "Заполнение отменено" in telegram.chat_messages(user.id)[-2]["text"]
    assert rating
    # /mydata in the middle of a review shows the data and the review goes on.
    await say(telegram, user, "/mydata", "Какие ваши данные хранит клиника")
    await press(telegram, user, "⭐⭐⭐", "Расскажите")
    await say(telegram, user, "/forget", "Удалить ваши персональные данные?")
    await press(telegram, user, "Нет, оставить", "не тронуты")
    assert await clinic.storage.requests.get_request(1) is None


async def test_someone_elses_contact_is_refused(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 802, "Инна")
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, "Инна", "Ваш телефон")
    since = telegram.mark()
    telegram.send_contact(user, "+79035554433", own=False)
    await telegram.wait_for_message(user.id, "чужой контакт", since=since)
    since = telegram.mark()
    telegram.send_contact(user, "79161112233", own=True)
    await telegram.wait_for_message(user.id, "+7 916 111-22-33", since=since)


async def test_english_patient_time_slot_reaches_managers_in_russian(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 803, "Kate", language_code="en")
    await tap(telegram, user, "📝 Book a consultation", "Which service")
    await press(telegram, user, "Foot massage", "What is your name?")
    await say(telegram, user, "Kate", "phone number")
    await say(telegram, user, "+44 20 7946 0958", "When is it convenient")
    await press(telegram, user, "🌆 Evening (17:00–20:00)", "Briefly describe")
    await press(telegram, user, "⏭ Skip", "Consent")
    summary = await press(telegram, user, "✅ I agree", "Please check")
    assert "Evening (17:00–20:00)" in summary["text"]
    await press(telegram, user, "✅ Confirm", "No. 1")
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "№ 1")
    assert "Вечером (17:00–20:00)" in card["text"]
    assert "+44 20 7946 0958" in card["text"]


async def test_button_answered_after_telegrams_timeout_still_works(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 804, "Инна")
    menu = await tap(telegram, user, "📖 Об остеопорозе", "Выберите раздел")
    telegram.callback_query_max_age = 0.0  # every answer comes "too late"
    since = telegram.mark()
    telegram.press(user, menu["message_id"], telegram.inline_buttons(menu)[1][1])
    page = await telegram.wait_for_message(user.id, "Раздел 2 из", since=since)
    assert page["message_id"] == menu["message_id"]
    answer = await telegram.wait_for_call("answerCallbackQuery", since=since)
    await telegram.wait_idle()
    assert not answer.ok
    assert "query is too old" in (answer.description or "")
    texts = [str(c.params.get("text", "")) for c in telegram.calls[since:]]
    assert not any("что-то пошло не так" in text for text in texts)

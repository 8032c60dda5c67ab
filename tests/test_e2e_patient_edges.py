"""A patient's edge cases end to end: long escaped texts, typed consent, re-prompts with their
buttons, a returning patient's saved details, editing the summary."""

from __future__ import annotations

from typing import Any

import pytest

from bot.content import CONTENT_DIR, load_content
from bot.i18n import load_translations
from bot.preview.emulator import FakeTelegramServer, FakeUser
from bot.services.forms import CONSENT_VERSION
from bot.views import BookingDraft, booking_summary
from storage.models import ReviewStatus
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import patient, press, say, tap

BOOK = "📝 Записаться на консультацию"
CONFIRM = "✅ Подтвердить"


def _buttons(telegram: FakeTelegramServer, message: dict[str, Any]) -> list[str]:
    return [text for text, _ in telegram.inline_buttons(message)]


async def _to_complaint(
    telegram: FakeTelegramServer, user: FakeUser, name: str = "Пётр", time: str | None = None
) -> None:
    await tap(telegram, user, BOOK, "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, name, "Ваш телефон")
    if time is None:
        await say(telegram, user, "+7 916 123-45-67", "Когда вам удобно")
        await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    else:
        await say(telegram, user, "+7 916 123-45-67", "Когда вам удобно")
        await say(telegram, user, time, "Коротко опишите")


# --- 1. long texts: stored whole, the summary shown with its buttons -------------------------

MIXED = "&<>"
LONG_NAME = "Я" + (MIXED * 40)[:99]  # 100 characters, the limit
LONG_TIME = "9" + (MIXED * 40)[:99]
LONG_COMPLAINT = "Боль" + (MIXED * 400)[:996]  # 1,000 characters, the limit


@pytest.mark.parametrize(
    ("name", "time", "complaint"),
    [
        ("Пётр", None, "Боль " + "&" * 520),
        (LONG_NAME, LONG_TIME, LONG_COMPLAINT),
    ],
    ids=["ampersands-525", "every-field-at-its-limit"],
)
async def test_long_escaped_texts_reach_the_summary_and_the_card(
    clinic: RunningBot,
    telegram: FakeTelegramServer,
    name: str,
    time: str | None,
    complaint: str,
) -> None:
    user = await patient(telegram, 1501, "Пётр")
    await _to_complaint(telegram, user, name, time)
    await say(telegram, user, complaint, "Согласие на обработку")
    summary = await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    assert complaint in summary["text"]
    assert name in summary["text"]
    assert _buttons(telegram, summary)[:2] == [CONFIRM, "✏️ Изменить"]
    await press(telegram, user, CONFIRM, "№ 1")

    stored = await clinic.storage.requests.get_request(1)
    assert stored is not None
    assert stored.complaint == complaint
    assert stored.name == name
    if time is not None:
        assert stored.preferred_time == time
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "№ 1")
    assert complaint in card["text"]


async def test_a_returning_patients_long_complaint_skips_consent_and_still_shows_summary(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1502, "Пётр")
    await _to_complaint(telegram, user)
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    await press(telegram, user, CONFIRM, "№ 1")
    # Consent is remembered: the complaint goes straight to the summary.
    await tap(telegram, user, BOOK, "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Записать вас как")
    await press(telegram, user, "✅ Да", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    summary = await say(telegram, user, LONG_COMPLAINT, "Проверьте")
    assert LONG_COMPLAINT in summary["text"]
    assert CONFIRM in _buttons(telegram, summary)
    await press(telegram, user, CONFIRM, "№ 2")
    stored = await clinic.storage.requests.get_request(2)
    assert stored is not None
    assert stored.complaint == LONG_COMPLAINT


@pytest.mark.parametrize(
    "text",
    ["Отлично " + "<" * 700, "Отлично" + (MIXED * 400)[:993]],
    ids=["angle-brackets-708", "mix-at-the-limit"],
)
async def test_long_escaped_review_is_stored(
    clinic: RunningBot, telegram: FakeTelegramServer, text: str
) -> None:
    user = await patient(telegram, 1503, "Вера")
    await tap(telegram, user, "✍️ Оставить отзыв", "Выберите от 1 до 5")
    await press(telegram, user, "⭐⭐⭐⭐⭐", "Расскажите")
    await say(telegram, user, text, "Как подписать")
    await press(telegram, user, "✍️ Подписать: Вера", "Спасибо за отзыв")
    card = await telegram.wait_for_message(MANAGER_CHAT_ID, "Новый отзыв")
    assert text in card["text"]
    reviews = await clinic.storage.reviews.list_reviews(None)
    assert [review.text for review in reviews if review.user_id == user.id] == [text]


# --- 2. consent by typing ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["да", " Да! ", "yes", "СОГЛАСЕН", "согласна!", "Agree"])
async def test_typed_agreement_counts_as_consent(
    clinic: RunningBot, telegram: FakeTelegramServer, typed: str
) -> None:
    user = await patient(telegram, 1601, "Пётр")
    await _to_complaint(telegram, user)
    asked = await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    summary = await say(telegram, user, typed, "Проверьте")
    assert CONFIRM in _buttons(telegram, summary)
    # The consent's own buttons are retired: one tap there can no longer repeat the step.
    consent_message = next(
        m for m in telegram.chat_messages(user.id) if m["message_id"] == asked["message_id"]
    )
    assert _buttons(telegram, consent_message) == []
    await press(telegram, user, CONFIRM, "№ 1")
    stored = await clinic.storage.requests.get_request(1)
    assert stored is not None


@pytest.mark.parametrize("typed", ["нет", "No!", " НЕТ "])
async def test_typed_refusal_cancels_like_the_button(
    clinic: RunningBot, telegram: FakeTelegramServer, typed: str
) -> None:
    user = await patient(telegram, 1602, "Пётр")
    await _to_complaint(telegram, user)
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    await say(telegram, user, typed, "Заполнение отменено")
    assert await clinic.storage.requests.get_request(1) is None
    # The form is over: a next message is a question for the managers, not a form answer.
    await say(telegram, user, "да", "Передали ваше сообщение менеджеру")


# --- 3. re-prompts repeat the buttons -------------------------------------------------------


async def test_reprompts_at_button_steps_carry_their_buttons(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1701, "Вера")
    await tap(telegram, user, BOOK, "Какая услуга")
    service = await say(telegram, user, "массаж", "выберите одну из кнопок")
    assert "Какая услуга" in service["text"]
    assert "Массаж стопы" in _buttons(telegram, service)
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, "Вера", "Ваш телефон")
    await say(telegram, user, "+7 916 123-45-67", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    consent = await say(telegram, user, "может быть", "Без согласия")
    assert "✅ Согласен(на)" in _buttons(telegram, consent)
    summary = await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    assert summary
    again = await say(telegram, user, "ок", "выберите одну из кнопок")
    assert CONFIRM in _buttons(telegram, again)
    await press(telegram, user, "✖️ Отмена", "Заполнение отменено")

    await tap(telegram, user, "✍️ Оставить отзыв", "Выберите от 1 до 5")
    rating = await say(telegram, user, "пять", "выберите одну из кнопок")
    assert "⭐⭐⭐⭐⭐" in _buttons(telegram, rating)
    await press(telegram, user, "⭐⭐⭐⭐⭐", "Расскажите")
    await say(telegram, user, "Хорошо", "Как подписать")
    signature = await say(telegram, user, "Вера", "выберите одну из кнопок")
    assert "✍️ Подписать: Вера" in _buttons(telegram, signature)
    await press(telegram, user, "✍️ Подписать: Вера", "Спасибо за отзыв")


# --- 4. a returning patient ----------------------------------------------------------------


async def _book_once(telegram: FakeTelegramServer, user: FakeUser, name: str) -> None:
    await _to_complaint(telegram, user, name)
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    await press(telegram, user, CONFIRM, "принята")


async def test_returning_patient_is_offered_saved_name_and_phone(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1801, "Анна")
    await _book_once(telegram, user, "Анна Петрова")
    await tap(telegram, user, BOOK, "Какая услуга")
    offer = await press(telegram, user, "Массаж стопы", "Записать вас как")
    assert "Записать вас как Анна Петрова, +7 916 123-45-67?" in offer["text"]
    assert _buttons(telegram, offer)[:2] == ["✅ Да", "✏️ Изменить"]
    await press(telegram, user, "✅ Да", "Когда вам удобно")
    await press(telegram, user, "🌅 Утром (9:00–12:00)", "Коротко опишите")
    summary = await press(telegram, user, "⏭ Пропустить", "Проверьте")
    assert "Анна Петрова" in summary["text"]
    assert "+7 916 123-45-67" in summary["text"]
    await press(telegram, user, CONFIRM, "№ 2")
    second = await clinic.storage.requests.get_request(2)
    assert second is not None
    assert (second.name, second.phone) == ("Анна Петрова", "+79161234567")

    # "Change" asks for the name as before.
    await tap(telegram, user, BOOK, "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Записать вас как")
    await press(telegram, user, "✏️ Изменить", "Как вас зовут?")
    await say(telegram, user, "Аня", "Ваш телефон")


async def test_returning_patient_in_english_and_not_after_forget(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1802, "Anna", language_code="en")
    await tap(telegram, user, "📝 Book a consultation", "Which service")
    await press(telegram, user, "Foot massage", "What is your name?")
    await say(telegram, user, "Anna", "Your phone")
    await say(telegram, user, "+7 916 123-45-67", "When is it convenient")
    await press(telegram, user, "🌅 Morning (9:00–12:00)", "Briefly describe")
    await press(telegram, user, "⏭ Skip", "Consent to the processing")
    await press(telegram, user, "✅ I agree", "Please check")
    await press(telegram, user, "✅ Confirm", "No. 1")

    await tap(telegram, user, "📝 Book a consultation", "Which service")
    offer = await press(telegram, user, "Foot massage", "Book as")
    assert "Book as Anna, +7 916 123-45-67?" in offer["text"]
    assert _buttons(telegram, offer)[:2] == ["✅ Yes", "✏️ Change"]
    await say(telegram, user, "/cancel", "was cancelled")

    await say(telegram, user, "/forget", "Erase your personal data?")
    await press(telegram, user, "🗑 Yes, erase my data", "erased")
    await tap(telegram, user, "📝 Book a consultation", "Which service")
    await press(telegram, user, "Foot massage", "What is your name?")


# --- 5. editing the summary replaces it ------------------------------------------------------


async def test_edit_at_summary_replaces_the_old_summary(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1901, "Пётр")
    await _to_complaint(telegram, user)
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    old = await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    since = telegram.mark()
    telegram.press_button(user, "✏️ Изменить")
    await telegram.wait_for_call("editMessageReplyMarkup", since=since)
    await press(telegram, user, "Телефон", "Ваш телефон")
    new = await say(telegram, user, "+7 926 000-11-22", "Проверьте")
    assert "+7 926 000-11-22" in new["text"]
    summaries = [m for m in telegram.chat_messages(user.id) if "Проверьте" in m.get("text", "")]
    assert [m["message_id"] for m in summaries] == [new["message_id"]]
    assert old["message_id"] != new["message_id"]
    assert not any("+7 916 123-45-67" in m.get("text", "") for m in summaries)


# --- 8. /help says that any message reaches a manager ----------------------------------------


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("ru", "получит менеджер клиники"), ("en", "manager")],
)
async def test_help_says_any_message_reaches_a_manager(
    clinic: RunningBot, telegram: FakeTelegramServer, language: str, phrase: str
) -> None:
    user = await patient(telegram, 2001, "Ира", language_code=language)
    help_text = await say(telegram, user, "/help", "/book")
    assert phrase in help_text["text"]
    assert "/contacts" in help_text["text"]


# --- 9. the consent text names the running retention period and the current version ---------


async def test_consent_text_uses_the_retention_setting(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    running = RunningBot(make_settings(retention_days=30), telegram)
    await running.start()
    try:
        user = await patient(telegram, 2101, "Пётр")
        await _to_complaint(telegram, user)
        consent = await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
        assert "до 30 дней" in consent["text"]
        assert "до года" not in consent["text"]
        assert CONSENT_VERSION == "2026-12-04"
        await press(telegram, user, "✅ Согласен(на)", "Проверьте")
        await press(telegram, user, CONFIRM, "№ 1")
        stored = await running.storage.requests.get_request(1)
        assert stored is not None
        assert stored.consent_version == "2026-12-04"
    finally:
        await running.stop()


# --- 6. published reviews say which language they were written in ----------------------------


async def test_published_reviews_are_marked_with_their_language(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    john = await patient(telegram, 2201, "John", language_code="en")
    await tap(telegram, john, "✍️ Leave a review", "from 1 to 5")
    await press(telegram, john, "⭐⭐⭐⭐", "Tell us")
    await say(telegram, john, "Friendly staff, helpful doctor", "How should we sign")
    await press(telegram, john, "✍️ Sign as John", "Thank you")
    mine = [r for r in await clinic.storage.reviews.list_reviews(None) if r.user_id == john.id]
    assert [r.locale for r in mine] == ["en"]
    await clinic.storage.reviews.set_review_status(mine[0].id, ReviewStatus.PUBLISHED)

    olga = await patient(telegram, 2202, "Ольга", language_code="ru")
    in_russian = await tap(telegram, olga, "⭐ Отзывы", "из 5")
    entries = in_russian["text"].split("\n\n")
    johns = next(entry for entry in entries if "Friendly staff" in entry)
    svetas = next(entry for entry in entries if "Света" in entry)
    # Shown as written, with the language named in the reader's own language.
    assert "🇬🇧 отзыв на английском" in johns
    assert "🇷🇺 отзыв на русском" in svetas

    in_english = await tap(telegram, john, "⭐ Reviews", "out of 5")
    assert "🇬🇧 in English" in in_english["text"]
    assert "Света" in in_english["text"]
    assert "🇷🇺 in Russian" in in_english["text"]


def test_typed_text_is_put_in_once_and_never_parsed_by_fluent() -> None:
    translations = load_translations(CONTENT_DIR, ("ru", "en"), "ru")
    t = translations.get("en")
    local = load_content(CONTENT_DIR).for_locale("en")
    sneaky = "Ann \ue000complaint\ue001 { $phone }"
    draft = BookingDraft(
        service_id="massage",
        name=sneaky,
        phone="+79161234567",
        preferred_time="&" * 100,
        complaint="<" * 1000,
    )
    summary = booking_summary(t, local, draft)
    assert "Name: Ann \ue000complaint\ue001 { $phone }" in summary
    assert "Preferred time: " + "&amp;" * 100 in summary
    assert summary.count("&lt;") == 1000


async def test_a_phone_with_letters_or_an_extension_is_refused_with_its_reason(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 7301, "Олег")
    await tap(telegram, user, BOOK, "Какая услуга")
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")
    await say(telegram, user, "Олег", "Ваш телефон")
    await say(telegram, user, "+7-916-ABC-DEFG", "есть буквы")
    await say(telegram, user, "+7 916 123-45-67 доб. 123", "Добавочный номер")
    await say(telegram, user, "+7 916 123-45-67", "Когда вам удобно")


# --- service buttons fit a phone's screen -----------------------------------------------------


async def test_service_buttons_fit_a_phone_and_the_choice_names_the_service_in_full(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    user = await patient(telegram, 1990, "Анна")
    ask = await tap(telegram, user, BOOK, "Какая услуга")
    labels = _buttons(telegram, ask)
    # Telegram cuts a long text on a full-width button: the 47-character name goes short.
    assert all(len(label) <= 36 for label in labels), labels
    assert "Консультация врача" in labels
    assert "Второй курс лечения (12 сеансов)" in labels  # a name that fits stays whole
    await press(telegram, user, "Консультация врача", "Как вас зовут?")
    (chosen,) = [m for m in telegram.chat_messages(user.id) if m["message_id"] == ask["message_id"]]
    assert "Консультация врача по лечению остеопороза стопы" in chosen["text"]


async def test_an_old_summarys_confirm_leaves_a_new_form_alone(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    """Confirm of a summary whose form was cancelled (it made no request), pressed while the
    patient fills in a new form: the button is stale, and the new form goes on."""
    user = await patient(telegram, 1991, "Пётр")
    await _to_complaint(telegram, user)
    summary = await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    summary = await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    confirm = next(data for text, data in telegram.inline_buttons(summary) if text == CONFIRM)
    await press(telegram, user, "✖️ Отмена", "Заполнение отменено")
    await tap(telegram, user, BOOK, "Какая услуга")
    since = telegram.mark()
    telegram.press(user, summary, confirm)
    await telegram.wait_for_call(
        "answerCallbackQuery", lambda call: "неактивна" in call.params.get("text", ""), since=since
    )
    await press(telegram, user, "Массаж стопы", "Как вас зовут?")  # the new form goes on
    assert await clinic.storage.requests.list_requests(None) == []

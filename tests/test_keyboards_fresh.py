"""A keyboard a handler receives is its own: changing it never changes a later answer."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton, KeyboardButton

from bot import keyboards
from bot.content import CONTENT_DIR
from bot.i18n import Translator, load_translations


@pytest.fixture(scope="module")
def t() -> Translator:
    return load_translations(CONTENT_DIR, ("ru", "en"), "ru").get("ru")


def test_changing_an_inline_keyboard_does_not_change_the_next_one(t: Translator) -> None:
    pristine = keyboards.booking_fields(t).model_dump()
    changed = keyboards.booking_fields(t)
    changed.inline_keyboard[0][0].text = "подменено"
    changed.inline_keyboard.append([InlineKeyboardButton(text="лишняя", callback_data="x")])
    again = keyboards.booking_fields(t)
    assert again.model_dump() == pristine
    assert "подменено" not in str(again.model_dump())


def test_changing_a_reply_keyboard_does_not_change_the_next_one(t: Translator) -> None:
    pristine = keyboards.main_menu(t).model_dump()
    changed = keyboards.main_menu(t)
    changed.keyboard[0].append(KeyboardButton(text="лишняя"))
    changed.input_field_placeholder = "подменено"
    changed.is_persistent = False
    assert keyboards.main_menu(t).model_dump() == pristine


def test_every_answer_gets_its_own_keyboard_object(t: Translator) -> None:
    first, second = keyboards.review_stars(t), keyboards.review_stars(t)
    assert first == second
    assert first is not second
    assert first.inline_keyboard[0][0] is not second.inline_keyboard[0][0]


def _shape(markup: keyboards.InlineKeyboardMarkup) -> list[int]:
    return [len(row) for row in markup.inline_keyboard]


def test_keyboards_keep_their_rows(t: Translator) -> None:
    """Rows as a phone shows them: Confirm alone above Edit and Cancel, six statuses in two
    rows of three, templates two a row, appointment slots four a row."""
    from storage.models import RequestStatus

    assert _shape(keyboards.booking_confirm(t, "token")) == [1, 2]
    assert _shape(keyboards.saved_details(t)) == [2, 1]
    assert _shape(keyboards.booking_fields(t)) == [2, 2, 1, 1]
    assert _shape(keyboards.review_stars(t)) == [1] * 6
    assert _shape(keyboards.request_card(t, 7, RequestStatus.NEW)) == [3, 3, 1]
    booked = keyboards.request_card(t, 7, RequestStatus.BOOKED, has_appointment=True)
    assert _shape(booked) == [3, 3, 1, 1]
    assert booked.inline_keyboard[0][2].text == f"• {t('status-button-booked')} •"
    templates = [(1, "a"), (2, "b"), (3, "c")]
    assert _shape(keyboards.template_choice(t, 7, templates)) == [2, 1, 1]
    slots = [(f"1{i}:00", f"2026120{i}") for i in range(5)]
    assert _shape(keyboards.appointment_slots(t, 7, slots)) == [4, 1, 2]


def test_a_kept_keyboard_refuses_a_button_it_could_not_copy_safely() -> None:
    """A button holding an object (a web app, a login URL) would be shared by every copy."""
    from aiogram.types import InlineKeyboardMarkup, WebAppInfo

    @keyboards._reused
    def with_web_app(url: str) -> InlineKeyboardMarkup:
        button = InlineKeyboardButton(text="Open", web_app=WebAppInfo(url=url))
        return InlineKeyboardMarkup(inline_keyboard=[[button]])

    with pytest.raises(TypeError, match="web_app"):
        with_web_app("https://clinic.example/app")

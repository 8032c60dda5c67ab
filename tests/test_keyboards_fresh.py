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

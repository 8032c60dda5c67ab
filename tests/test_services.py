"""Business rules: phone numbers, form fields, number formatting."""

from __future__ import annotations

import pytest

from bot.services.formatting import format_decimal, group_thousands
from bot.services.forms import COMPLAINT_RULE, NAME_RULE, TIME_RULE, TextProblem, single_line
from bot.services.phone import normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 916 123-45-67", "+79161234567"),
        ("8 (916) 123-45-67", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("79161234567", "+79161234567"),  # as Telegram shares contacts: no "+"
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (650) 253-0000", "+16502530000"),
    ],
)
def test_phone_normalised_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "hello", "123", "+7 000", "☎️☎️", "1" * 40, "+7916123456789"])
def test_phone_rejected(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_name_rule() -> None:
    assert NAME_RULE.check("  Анна  ") == "Анна"
    assert NAME_RULE.check("😀😀😀") == TextProblem.NO_LETTERS
    assert NAME_RULE.check("12345") == TextProblem.NO_LETTERS
    assert NAME_RULE.check("   ") == TextProblem.EMPTY
    assert NAME_RULE.check(None) == TextProblem.EMPTY
    assert NAME_RULE.check("Я") == TextProblem.TOO_SHORT
    assert NAME_RULE.check("А" * 101) == TextProblem.TOO_LONG
    assert NAME_RULE.check("Ivan <b>Petrov</b> & Co") == "Ivan <b>Petrov</b> & Co"


def test_time_and_complaint_rules() -> None:
    assert TIME_RULE.check("после 18:00") == "после 18:00"
    assert TIME_RULE.check("18") == "18"
    assert TIME_RULE.check("🕐") == TextProblem.NO_LETTERS
    assert COMPLAINT_RULE.check("x" * 1000) == "x" * 1000
    assert COMPLAINT_RULE.check("x" * 10_000) == TextProblem.TOO_LONG


def test_single_line_folds_whitespace() -> None:
    assert single_line("Ivan\n\n  Petrov\t") == "Ivan Petrov"


def test_number_formatting_per_language() -> None:
    assert group_thousands(6500, "ru") == "6 500"
    assert group_thousands(6500, "en") == "6,500"
    assert group_thousands(500, "ru") == "500"
    assert format_decimal(4.86, "ru") == "4,9"
    assert format_decimal(4.86, "en") == "4.9"

"""What patients type that must be refused rather than guessed at."""

from __future__ import annotations

import pytest

from bot.services.forms import COMPLAINT_RULE, NAME_RULE, TextProblem
from bot.services.phone import PhoneProblem, normalize_phone, phone_problem


@pytest.mark.parametrize("raw", ["+7-916-ABC-DEFG", "8 916 CALL NOW", "+7 916 123 45 6Z"])
def test_letters_in_a_phone_are_refused_not_mapped_to_digits(raw: str) -> None:
    assert normalize_phone(raw) is None
    assert phone_problem(raw) == PhoneProblem.LETTERS


@pytest.mark.parametrize(
    "raw", ["+7 916 123-45-67 доб. 123", "+7 916 123-45-67 ext. 12", "+7 916 123-45-67 x123"]
)
def test_an_extension_is_refused_with_its_reason_not_dropped(raw: str) -> None:
    assert normalize_phone(raw) is None
    assert phone_problem(raw) == PhoneProblem.EXTENSION


def test_a_good_number_has_no_problem() -> None:
    assert phone_problem("+7 916 123-45-67") is None
    assert phone_problem("123") == PhoneProblem.INVALID


@pytest.mark.parametrize(
    "raw",
    [
        "\u3164\u3164\u3164",  # Hangul filler: a "letter" that shows nothing
        "\u115f\u1160",
        "\u202e\u202d\u2066",  # bidi controls only
        "\u200b\u200b\u200b",  # zero-width spaces
        "\u2800\u2800",  # blank Braille pattern
        " \u3164 \u202e ",
    ],
)
def test_names_of_invisible_characters_are_empty(raw: str) -> None:
    assert NAME_RULE.check(raw) == TextProblem.EMPTY
    assert COMPLAINT_RULE.check(raw) == TextProblem.EMPTY


def test_direction_overrides_are_removed_from_what_is_stored() -> None:
    assert NAME_RULE.check("Анна\u202e") == "Анна"
    assert NAME_RULE.check("\u2066Ivan Petrov\u2069") == "Ivan Petrov"

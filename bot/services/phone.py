"""Phone numbers as patients type them, normalised to E.164 for the clinic's callers."""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

DEFAULT_REGION = "RU"  # a number typed without a country code is taken as Russian (+7)


class PhoneProblem(StrEnum):
    INVALID = "invalid"
    # phonenumbers reads letters as keypad digits ("ABC" -> 222): a typo would become a
    # stranger's number, so letters are refused rather than mapped.
    LETTERS = "letters"
    # E.164 has no room for an extension: refused with a reason instead of silently dropped.
    EXTENSION = "extension"


def phone_problem(raw: str, region: str = DEFAULT_REGION) -> PhoneProblem | None:
    """Why `raw` is not accepted as a phone number, or None when it is."""
    if normalize_phone(raw, region) is not None:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.extension:
        return PhoneProblem.EXTENSION
    if any(ch.isalpha() for ch in raw):
        return PhoneProblem.LETTERS
    return PhoneProblem.INVALID


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (`+79161234567`), or None when it is not a possible real number."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 32:
        return None
    if any(ch.isalpha() for ch in candidate):
        return None  # letters or an extension ("доб. 123"): see PhoneProblem
    # A contact shared from Telegram may come without "+", e.g. "79161234567".
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if not candidate.startswith(("+", "8")) and len(digits) > 10:
        candidate = "+" + digits
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.extension:
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def display_phone(stored: str, region: str = DEFAULT_REGION) -> str:
    """A stored E.164 number as people read it: `+7 916 123-45-67`.

    Anything that does not parse (an old row, a number typed before validation) is shown
    as stored rather than hidden.
    """
    try:
        number = phonenumbers.parse(stored, region)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_possible_number(number):
        return stored
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))

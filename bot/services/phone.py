"""Phone numbers as patients type them, normalised to E.164 for the clinic's callers."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "RU"  # a number typed without a country code is taken as Russian (+7)


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (`+79161234567`), or None when it is not a possible real number."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 32:
        return None
    # A contact shared from Telegram may come without "+", e.g. "79161234567".
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if not candidate.startswith(("+", "8")) and len(digits) > 10:
        candidate = "+" + digits
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))

"""Managers' texts as pure functions: relayed messages split whole, ids, phones."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from bot.handlers.staff_tools import parse_id
from bot.i18n import Translator, load_translations
from bot.services.phone import display_phone
from bot.staff_views import relay_messages, telegram_length

PATIENT = '<a href="tg://user?id=801">Анна</a> (@anna)'


@pytest.fixture(scope="module")
def clinic_t() -> Translator:
    content = Path(__file__).parent.parent / "content"
    return load_translations(content, ("ru", "en"), "ru").get("ru")


def _words(parts: list[str]) -> str:
    """The patient's text as the managers read it, parts joined."""
    bodies = [html.unescape(part.partition("\n\n")[2]) for part in parts]
    return "".join(bodies)


@pytest.mark.parametrize(
    "text",
    [
        "коротко",
        "ж" * 2501,
        "&" * 1500,
        "<>&" * 1365,
        "😀" * 2048,  # two UTF-16 units each: Telegram's 4,096
        "слово " * 682,
        "&" * 4096,
    ],
)
def test_every_part_fits_and_nothing_is_lost_or_cut(clinic_t: Translator, text: str) -> None:
    parts = relay_messages(clinic_t, PATIENT, text)
    assert _words(parts) == text
    for part in parts:
        assert telegram_length(part) <= 4096
        # No entity is cut: every "&" in the HTML starts a whole escape.
        assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", part.partition("\n\n")[2])
    if len(parts) > 1:
        assert all(f"из {len(parts)})" in part for part in parts)
    else:
        assert "часть" not in parts[0]


def test_ids_are_plain_ascii_digits_within_64_bits() -> None:
    assert parse_id("12") == 12
    for bad in ("", "0", "²", "١٢", "99999999999999999999", "9223372036854775808", "-1", "1e3"):
        assert parse_id(bad) is None, bad
    assert parse_id("9223372036854775807") == 2**63 - 1


def test_phones_read_as_people_write_them() -> None:
    assert display_phone("+79161234567") == "+7 916 123-45-67"
    assert display_phone("") == ""
    assert display_phone("not a phone") == "not a phone"

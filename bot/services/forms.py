"""Validation of what patients type into forms, independent of Telegram."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# Bumped whenever the consent text changes, so that the stored version says what was agreed to.
CONSENT_VERSION = "2026-12-04"

NAME_MAX = 100
TIME_MAX = 100
COMPLAINT_MAX = 1000
REVIEW_MAX = 1000

_WHITESPACE = re.compile(r"\s+")
# Direction overrides can make a card read differently from what was typed; they are removed.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Letters by Unicode's rules that show nothing: Hangul fillers and the blank Braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Marks Unicode lists as default-ignorable (shown as nothing): the combining grapheme joiner,
# Khmer inherent vowels, Mongolian and other variation selectors.
_IGNORABLE_MARKS = re.compile("[\u034f\u17b4\u17b5\u180b-\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _visible(text: str) -> str:
    """What a reader would see of `text`: no spaces, control or format characters, blanks."""
    return "".join(
        ch
        for ch in _IGNORABLE_MARKS.sub("", text)
        if not ch.isspace()
        and ch not in _BLANK_LETTERS
        and unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cn")
    )


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_SHORT = "too-short"
    TOO_LONG = "too-long"
    NO_LETTERS = "no-letters"


@dataclass(frozen=True, slots=True)
class TextRule:
    min_length: int
    max_length: int
    need_letters: bool  # names must have letters; times and complaints may be digits only

    def check(self, raw: str | None) -> str | TextProblem:
        """The cleaned text, or why it cannot be accepted."""
        if raw is None:
            return TextProblem.EMPTY
        text = _BIDI_CONTROLS.sub("", raw).strip()
        if not _visible(text):
            return TextProblem.EMPTY
        if len(text) > self.max_length:
            return TextProblem.TOO_LONG
        visible = _visible(text)
        if self.need_letters and not any(ch.isalpha() for ch in visible):
            return TextProblem.NO_LETTERS
        if not any(ch.isalnum() for ch in visible):
            return TextProblem.NO_LETTERS
        # Counted on what shows: "Я" and a zero-width space is one letter, not two.
        if len(visible) < self.min_length:
            return TextProblem.TOO_SHORT
        return text


# A name is one line; multi-line input is folded so that the card stays readable.
NAME_RULE = TextRule(min_length=2, max_length=NAME_MAX, need_letters=True)
TIME_RULE = TextRule(min_length=2, max_length=TIME_MAX, need_letters=False)
COMPLAINT_RULE = TextRule(min_length=2, max_length=COMPLAINT_MAX, need_letters=False)
REVIEW_RULE = TextRule(min_length=2, max_length=REVIEW_MAX, need_letters=False)


def single_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


class ConsentAnswer(StrEnum):
    AGREE = "agree"
    REFUSE = "refuse"


_CONSENT_WORDS = {
    "да": ConsentAnswer.AGREE,
    "yes": ConsentAnswer.AGREE,
    "согласен": ConsentAnswer.AGREE,
    "согласна": ConsentAnswer.AGREE,
    "agree": ConsentAnswer.AGREE,
    "нет": ConsentAnswer.REFUSE,
    "no": ConsentAnswer.REFUSE,
}


def consent_answer(text: str | None) -> ConsentAnswer | None:
    """A typed "yes"/"no" at the consent step, or None for anything else."""
    if text is None:
        return None
    word = text.strip().rstrip("!").strip().casefold()
    return _CONSENT_WORDS.get(word)

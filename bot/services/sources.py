"""Where patients come from: the `source` of a deep link `https://t.me/<bot>?start=<source>`."""

from __future__ import annotations

import re

MAX_SOURCE_LEN = 64
"""Telegram's limit for a `start` parameter."""

_SOURCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def deep_link_source(payload: str | None) -> str | None:
    """The source named by `/start <payload>`, or None when there is none or it is invalid.

    Telegram only sends `[A-Za-z0-9_-]`, up to 64 characters; anything else was typed by
    hand (`/start <script>`) or forged, and is ignored rather than stored.
    """
    if payload is None:
        return None
    text = payload.strip()
    return text if _SOURCE_RE.fullmatch(text) else None


def deep_link(bot_username: str, source: str) -> str:
    return f"https://t.me/{bot_username}?start={source}"

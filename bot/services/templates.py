"""Managers' reply templates: what a name and a text may be, and a template filled in.

A template is plain text (what a manager typed, shown as typed: `<` stays `<`) with the
placeholders {name}, {service} and {clinic_phone}; filled in for one request, every part is
HTML-escaped, since the patient's name is whatever they typed into the form.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from enum import StrEnum

PLACEHOLDERS: tuple[str, ...] = ("name", "service", "clinic_phone")
NAME_MAX = 32
TEXT_MAX = 1000
"""Well within a Telegram message (4096) once the placeholders are filled in."""

_NAME = re.compile(rf"[\w-]{{1,{NAME_MAX}}}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class TemplateProblem(StrEnum):
    """Why a template was refused; each is a Fluent key `tpl-problem-<value>`."""

    NAME = "name"
    EMPTY = "empty"
    TOO_LONG = "too-long"
    PLACEHOLDER = "placeholder"


def name_problem(name: str) -> TemplateProblem | None:
    return None if _NAME.fullmatch(name) else TemplateProblem.NAME


def text_problem(text: str) -> TemplateProblem | None:
    if not text.strip():
        return TemplateProblem.EMPTY
    if len(text) > TEXT_MAX:
        return TemplateProblem.TOO_LONG
    if any(found not in PLACEHOLDERS for found in _PLACEHOLDER.findall(text)):
        return TemplateProblem.PLACEHOLDER
    return None


def unknown_placeholders(text: str) -> list[str]:
    """The `{...}` of a text that are not placeholders, to name them to the manager."""
    return [found for found in _PLACEHOLDER.findall(text) if found not in PLACEHOLDERS]


def render(text: str, values: Mapping[str, str]) -> str:
    """The template as HTML for the patient, its placeholders filled in; all escaped."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in PLACEHOLDERS:
            return html.escape(values.get(key, ""), quote=False)
        return html.escape(match.group(0), quote=False)

    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(html.escape(text[position : match.start()], quote=False))
        parts.append(fill(match))
        position = match.end()
    parts.append(html.escape(text[position:], quote=False))
    return "".join(parts)

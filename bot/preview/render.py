"""What the preview page shows: Bot API messages turned into small, safe JSON views.

The page never receives a message's raw markup. Text and entities (what Telegram itself
renders) are turned into HTML by aiogram's own decoder and then passed through
:func:`sanitize_html`, an allow-list of Telegram's formatting tags with every text node and
attribute escaped again. The page's script repeats the allow-list on its side, and the page
is served with a Content-Security-Policy that forbids inline scripts.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from aiogram.types import MessageEntity
from aiogram.utils.text_decorations import html_decoration

__all__ = [
    "SAFE_URL_SCHEMES",
    "message_html",
    "message_view",
    "reply_keyboard_view",
    "safe_url",
    "sanitize_html",
]

JSONDict = dict[str, Any]

#: Link targets the page may open; anything else (javascript:, data:, ...) is dropped.
SAFE_URL_SCHEMES = ("http://", "https://", "tg://", "mailto:", "tel:")

# Input tag -> output tag; the output side is all the page ever gets.
_TAG_MAP = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "a",
    "tg-spoiler": "span",
}
# Tags whose content is never text for a reader.
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "title", "head", "textarea"})
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col"})
_LANGUAGE_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,32}")


def safe_url(url: object) -> str | None:
    """The URL if its scheme is one a page may follow, else None."""
    if not isinstance(url, str):
        return None
    stripped = url.strip()
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    if any(ord(char) < 0x21 for char in stripped):
        return None
    return stripped if stripped.lower().startswith(SAFE_URL_SCHEMES) else None


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        # One entry per open input tag: (input tag, output tag it opened or None, or "!"
        # for a tag whose whole content is dropped). Output tags close in reverse order,
        # so the result is always well formed.
        self.stack: list[tuple[str, str | None]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag == "br" and not self.skipping:
                self.out.append("\n")
            return
        if tag in _DROPPED_WITH_CONTENT:
            self.skipping += 1
            self.stack.append((tag, "!"))
            return
        values = {name: value for name, value in attrs}
        output = _TAG_MAP.get(tag)
        if tag == "span" and "tg-spoiler" in (values.get("class") or "").split():
            output = "span"
        rendered = None if output is None or self.skipping else _open_tag(output, values)
        if rendered is None:
            self.stack.append((tag, None))
            return
        self.out.append(rendered)
        self.stack.append((tag, output))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.skipping:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                self._close_from(index)
                return

    def _close_from(self, index: int) -> None:
        for _, output in reversed(self.stack[index:]):
            if output == "!":
                self.skipping -= 1
            elif output is not None:
                self.out.append(f"</{output}>")
        del self.stack[index:]

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self._close_from(0)
        return "".join(self.out)


def _open_tag(output: str, values: dict[str, str | None]) -> str | None:
    if output == "a":
        url = safe_url(values.get("href"))
        if url is None:
            return None  # an unsafe or missing link: keep its text only
        href = html.escape(url, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer nofollow">'
    if output == "span":
        return '<span class="spoiler">'
    if output == "code":
        language = values.get("class") or ""
        if _LANGUAGE_RE.fullmatch(language):
            return f'<code class="{html.escape(language, quote=True)}">'
        return "<code>"
    if output == "blockquote" and "expandable" in values:
        return '<blockquote class="expandable">'
    return f"<{output}>"


def sanitize_html(markup: str) -> str:
    """Telegram-style HTML reduced to an allow-list; all text and attributes re-escaped.

    Kept: b, i, u, s, code (with a ``language-*`` class), pre, blockquote (expandable),
    spoilers (as ``<span class="spoiler">``) and links with http(s)/tg/mailto/tel targets.
    Everything else loses its tags but keeps its text, except scripts and styles, which are
    dropped whole. The output is always well formed.
    """
    sanitizer = _Sanitizer()
    sanitizer.feed(markup)
    return sanitizer.result()


def _entities(raw: object) -> list[MessageEntity]:
    if not isinstance(raw, list):
        return []
    entities: list[MessageEntity] = []
    for item in raw:
        if isinstance(item, dict):
            try:
                entities.append(MessageEntity.model_validate(item))
            except ValueError:
                continue
    return entities


def message_html(text: str, entities: object = None) -> str:
    """Safe HTML for a text and its entities, exactly as Telegram would format it."""
    try:
        markup = html_decoration.unparse(text, _entities(entities))
    except (ValueError, IndexError, TypeError):  # inconsistent entities: show plain text
        markup = html.escape(text, quote=False)
    return sanitize_html(markup)


def _snippet(message: JSONDict, limit: int = 80) -> str:
    text = str(message.get("text") or message.get("caption") or "")
    if not text and isinstance(message.get("contact"), dict):
        text = str(message["contact"].get("phone_number") or "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MEDIA_LABELS = {
    "photo": "🖼 Photo",
    "document": "📄 Document",
    "voice": "🎤 Voice message",
    "audio": "🎵 Audio",
    "video": "🎬 Video",
    "animation": "🎞 GIF",
    "sticker": "🙂 Sticker",
    "video_note": "⏺ Video message",
    "location": "📍 Location",
}


def _body_html(message: JSONDict) -> str:
    if isinstance(message.get("text"), str):
        return message_html(message["text"], message.get("entities"))
    parts: list[str] = []
    contact = message.get("contact")
    if isinstance(contact, dict):
        name = " ".join(
            str(contact[key]) for key in ("first_name", "last_name") if contact.get(key)
        )
        phone = str(contact.get("phone_number") or "")
        label = f"📱 {phone}" + (f" ({name})" if name else "")
        parts.append(f"<i>{html.escape(label, quote=False)}</i>")
    for kind, label in _MEDIA_LABELS.items():
        if message.get(kind):
            parts.append(f"<i>[{html.escape(label, quote=False)}]</i>")
            break
    if isinstance(message.get("caption"), str):
        parts.append(message_html(message["caption"], message.get("caption_entities")))
    return "\n".join(parts)


def _buttons(markup: object) -> list[list[JSONDict]]:
    if not isinstance(markup, dict):
        return []
    rows: list[list[JSONDict]] = []
    for row in markup.get("inline_keyboard") or []:
        if not isinstance(row, list):
            continue
        buttons: list[JSONDict] = []
        for button in row:
            if not isinstance(button, dict):
                continue
            view: JSONDict = {"text": str(button.get("text", ""))}
            if isinstance(button.get("callback_data"), str):
                view["data"] = button["callback_data"]
            elif safe_url(button.get("url")):
                view["url"] = safe_url(button.get("url"))
            else:
                view["disabled"] = True
            buttons.append(view)
        if buttons:
            rows.append(buttons)
    return rows


def message_view(message: JSONDict, *, bot_id: int) -> JSONDict:
    """A stored Bot API message as the page shows it (no raw markup ever leaves here)."""
    sender = message.get("from") or {}
    view: JSONDict = {
        "id": int(message["message_id"]),
        "from_bot": sender.get("id") == bot_id,
        "sender": str(sender.get("first_name") or ""),
        "html": _body_html(message),
        "buttons": _buttons(message.get("reply_markup")),
        "date": int(message.get("date") or 0),
        "edited": "edit_date" in message,
    }
    replied = message.get("reply_to_message")
    if isinstance(replied, dict) and "message_id" in replied:
        view["reply_to"] = {"id": int(replied["message_id"]), "snippet": _snippet(replied)}
    return view


def reply_keyboard_view(markup: object) -> JSONDict | None:
    """A reply keyboard as the page draws it, or None once the bot removed it."""
    if not isinstance(markup, dict) or not isinstance(markup.get("keyboard"), list):
        return None
    rows: list[list[JSONDict]] = []
    for row in markup["keyboard"]:
        if not isinstance(row, list):
            continue
        buttons: list[JSONDict] = []
        for raw in row:
            button: JSONDict = {"text": raw} if isinstance(raw, str) else dict(raw)
            buttons.append(
                {
                    "text": str(button.get("text", "")),
                    "contact": bool(button.get("request_contact")),
                    "location": bool(button.get("request_location")),
                }
            )
        rows.append(buttons)
    placeholder = markup.get("input_field_placeholder")
    return {
        "rows": rows,
        "placeholder": str(placeholder) if isinstance(placeholder, str) else None,
        "one_time": bool(markup.get("one_time_keyboard")),
    }

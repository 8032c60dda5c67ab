"""In-process emulation of the Telegram Bot API server.

Why this exists: the bot has to be exercised exactly the way Telegram drives it
(real HTTP requests built by aiogram's session, real ``getUpdates`` long polling,
Telegram's validation rules and error texts) while the machine has no internet.
Tests, and later a local preview page, start a :class:`FakeTelegramServer` on
127.0.0.1, point ``aiogram.Bot`` at it through
``TelegramAPIServer.from_base(server.base_url)``, play users with the helper
methods and inspect what the bot did.

Everything lives in one event loop and in the server instance: there is no
global state, so several servers can run side by side.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = [
    "EMULATOR_ONLY_KEYS",
    "TEST_TOKEN",
    "ApiCall",
    "BotApiError",
    "FakeChat",
    "FakeTelegramServer",
    "FakeUser",
    "StoredFile",
    "Upload",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

log = logging.getLogger("bot.emulator")

#: A syntactically valid token (``<digits>:<35 chars>``), so aiogram's token check accepts it.
TEST_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"

JSONDict = dict[str, Any]

#: Keys the emulator keeps in stored messages for tests (raw markup as sent, reply
#: keyboards) but never sends over the wire, because Telegram has no such fields.
EMULATOR_ONLY_KEYS = frozenset(
    {"html", "caption_html", "markdown", "caption_markdown", "reply_keyboard"}
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_TEXT_BUTTONS_UNALLOWED = (
    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Update types a bot gets when allowed_updates is empty/unspecified (Bot API default).
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_TOPIC_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})

# Form fields that Telegram treats as free text: never JSON-decoded, so "123" stays a str.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "callback_query_id",
        "url",
        "title",
        "name",
        "description",
        "short_description",
        "first_name",
        "last_name",
        "username",
        "phone_number",
        "vcard",
        "language_code",
        "action",
        "emoji",
        "question",
        "question_parse_mode",
        "explanation",
        "explanation_parse_mode",
        "custom_title",
        "secret_token",
        "ip_address",
        "inline_message_id",
        "file_id",
        "sticker",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "video_note",
        "thumbnail",
        "thumb",
        "performer",
        "address",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
        "icon_custom_emoji_id",
        "message_effect_id",
        "business_connection_id",
        "switch_pm_text",
        "switch_pm_parameter",
        "next_offset",
        "payload",
        "provider_token",
        "currency",
        "start_parameter",
        "provider_data",
        "invite_link",
        "sticker_set_name",
        "set_name",
        "game_short_name",
        "result_id",
        "web_app_query_id",
        "shipping_query_id",
        "pre_checkout_query_id",
        "error_message",
        "certificate",
    }
)

# Methods that put a new message into a chat (subject to blocking and group rate limits).
_SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendsticker",
        "sendvideonote",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
    }
)

# Calls whose attached message counts as "the bot showed this text" for wait_for_message.
_MESSAGE_PRODUCING = _SEND_METHODS | {"editmessagetext", "editmessagecaption"}

_MEDIA_KINDS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "animation",
    "sticker",
    "video_note",
)
_CAPTIONED_KINDS = frozenset({"photo", "document", "voice", "audio", "video", "animation"})
_SERVICE_KEYS = frozenset(
    {
        "forum_topic_created",
        "forum_topic_closed",
        "forum_topic_reopened",
        "forum_topic_edited",
        "pinned_message",
        "new_chat_members",
        "left_chat_member",
    }
)
# Content keys carried over by copyMessage / forwardMessage.
_CONTENT_KEYS = (
    "text",
    "entities",
    "html",
    "markdown",
    "caption",
    "caption_entities",
    "caption_html",
    "caption_markdown",
    "show_caption_above_media",
    "contact",
    "location",
    "media_group_id",
    *_MEDIA_KINDS,
)
_FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}


# --------------------------------------------------------------------------- data


@dataclass
class FakeUser:
    """A Telegram user played by a test; ``phone_number`` is what request_contact shares."""

    id: int
    first_name: str = "Ivan"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False
    phone_number: str = "+79991234567"

    def to_dict(self) -> JSONDict:
        """Render as a Bot API ``User`` object (optional fields only when set, like Telegram)."""
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class FakeChat:
    """A chat known to the server; only known chats can be written to, as with Telegram."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    is_forum: bool = False

    def to_dict(self) -> JSONDict:
        """Render as the short Bot API ``Chat`` object embedded in messages."""
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        elif self.title is not None:
            data["title"] = self.title
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class Upload:
    """A multipart file part as the bot uploaded it (what ``params`` holds for a file)."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class StoredFile:
    """A file the server knows by ``file_id``; ``content`` is what was uploaded."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str = ""

    @property
    def file_size(self) -> int:
        """Size in bytes, as Telegram reports it."""
        return len(self.content)


@dataclass
class ApiCall:
    """One request the bot made and what the server answered, kept for assertions."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any
    error_code: int | None
    description: str | None
    at: float
    #: The full stored message (with emulator-only keys) this call created or edited.
    message: dict[str, Any] | None = None
    http_status: int = 200
    #: False while a long poll (getUpdates) is still held open; it is listed on arrival so
    #: tests can see that the bot is polling, and completed in place when answered.
    done: bool = True


@dataclass
class _FailRule:
    method: str
    status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None


@dataclass
class _CallbackRecord:
    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answer: JSONDict | None = None


@dataclass
class _Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False


@dataclass
class _Ctx:
    method: str
    params: JSONDict
    at: float = 0.0
    message: JSONDict | None = None
    call: ApiCall | None = None


class BotApiError(Exception):
    """A Bot API error answer (status + Telegram's description).

    Raised anywhere in a method handler and turned into the JSON error body; also what
    the public parsers raise, so callers get Telegram's exact "can't parse entities" text.
    """

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {description}")


def _entity_error(detail: str) -> BotApiError:
    return _bad(f"can't parse entities: {detail}")


class _Signal:
    """Edge-triggered wake-up for waiters; replaces busy polling.

    A waiter grabs the current event after checking its condition (no await in
    between, so no wake-up is lost) and :meth:`fire` swaps in a fresh event.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> bool:
        event = self._event
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True


# --------------------------------------------------------------------------- text parsing


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _finish_entities(
    chars: list[str], spans: list[tuple[int, int, JSONDict]]
) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace like Telegram and convert spans to UTF-16 entities."""
    text = "".join(chars)
    left = len(text) - len(text.lstrip())
    stripped = text.strip()
    right = left + len(stripped)
    entities: list[JSONDict] = []
    for start, end, entity in spans:
        start = max(start, left) - left
        end = min(end, right) - left
        if end <= start:
            continue
        offset = _utf16_len(stripped[:start])
        length = _utf16_len(stripped[start:end])
        entities.append(
            {
                "type": entity["type"],
                "offset": offset,
                "length": length,
                **{k: v for k, v in entity.items() if k != "type"},
            }
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, entities


def _decode_html_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Port of tdlib's decode_html_entity: numeric refs and lt/gt/amp/quot only."""
    end = pos + 1
    code = 0
    if end < len(text) and text[end] == "#":
        end += 1
        if end < len(text) and text[end] == "x":
            end += 1
            while end < len(text) and text[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
                if code >= 0x10FFFF:
                    return None, pos
        else:
            while end < len(text) and text[end].isdigit() and text[end].isascii():
                code = code * 10 + int(text[end])
                end += 1
                if code >= 0x10FFFF:
                    return None, pos
        if code == 0 or 0xD800 <= code <= 0xDFFF:
            return None, pos
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1 : end])
        if named is None:
            return None, pos
        char = named
    if end < len(text) and text[end] == ";":
        end += 1
    return char, end


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}


def _is_space(char: str) -> bool:
    return char in " \t\r\n\v\0"


def parse_html(text: str, *, strict_ampersand: bool = False) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into (plain text, entities), raising Telegram's errors.

    Follows tdlib's ``parse_html`` (the code behind the Bot API) closely, so the bot
    sees the same "can't parse entities" failures it would in production. With
    ``strict_ampersand`` a bare ``&`` that is not an entity is rejected too; Telegram
    itself keeps such an ``&`` literally, but in bot code it means a missing escape.
    """
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    chars: list[str] = []
    spans: list[tuple[int, int, JSONDict]] = []
    nested: list[tuple[str, str, int, int]] = []  # tag, argument, output start, begin index
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded, new_pos = _decode_html_entity(text, i)
            if decoded is not None:
                chars.append(decoded)
                i = new_pos
                continue
            if strict_ampersand:
                raise _entity_error(
                    f'unescaped "&" at byte offset {_byte_offset(text, i)}; use "&amp;"'
                )
        if c != "<":
            chars.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while not _is_space(at(i)) and at(i) != ">":
                i += 1
            if i >= n:
                raise _entity_error(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise _entity_error(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and _is_space(at(i)):
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in "=>":
                    i += 1
                attribute = text[attr_begin:i].lower()
                if not attribute:
                    raise _entity_error(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                while i < n and _is_space(at(i)):
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "1"
                        continue
                    raise _entity_error(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(text, begin)}"
                    )
                i += 1
                while i < n and _is_space(at(i)):
                    i += 1
                if i >= n:
                    raise _entity_error(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if at(i) not in "'\"":
                    token_begin = i
                    while (at(i).isascii() and at(i).isalnum()) or at(i) in ".-":
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(at(i)) and at(i) != ">":
                        raise _entity_error(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    buf: list[str] = []
                    while i < n and at(i) != quote:
                        if at(i) == "&":
                            decoded, new_pos = _decode_html_entity(text, i)
                            if decoded is not None:
                                buf.append(decoded)
                                i = new_pos
                                continue
                        buf.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(buf)
                if i >= n:
                    raise _entity_error(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attribute == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise _entity_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            nested.append((tag, argument, len(chars), begin))
            i += 1
            continue
        # end tag
        if not nested:
            raise _entity_error(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        while not _is_space(at(i)) and at(i) != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and _is_space(at(i)):
            i += 1
        if at(i) != ">":
            raise _entity_error(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        tag, argument, start, _ = nested.pop()
        if end_name and end_name != tag:
            raise _entity_error(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        i += 1
        end = len(chars)
        if start >= end:
            continue
        if tag == "a":
            url = argument or "".join(chars[start:end])
            match = re.fullmatch(r"tg://user\?id=(\d+)", url)
            if match:
                user = {"id": int(match.group(1)), "is_bot": False, "first_name": "User"}
                spans.append((start, end, {"type": "text_mention", "user": user}))
            elif url:
                spans.append((start, end, {"type": "text_link", "url": url}))
        elif tag == "tg-emoji":
            if argument:
                spans.append((start, end, {"type": "custom_emoji", "custom_emoji_id": argument}))
        elif tag == "blockquote":
            kind = "expandable_blockquote" if argument else "blockquote"
            spans.append((start, end, {"type": kind}))
        elif tag == "pre":
            entity: JSONDict = {"type": "pre"}
            if spans and spans[-1][:2] == (start, end) and spans[-1][2]["type"] == "code":
                language = spans.pop()[2].get("language")
                if language:
                    entity["language"] = language
            spans.append((start, end, entity))
        elif tag == "code":
            entity = {"type": "code"}
            if argument:
                entity["language"] = argument  # dropped unless it is the body of a <pre>
            spans.append((start, end, entity))
        else:
            spans.append((start, end, {"type": _HTML_ENTITY_TYPES[tag]}))
    if nested:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    for _, _, entity in spans:
        if entity["type"] == "code":
            entity.pop("language", None)
    return _finish_entities(chars, spans)


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 into (plain text, entities) with Telegram's reserved-character rule.

    A simplified port of tdlib's parser: enough to catch the classic bug of an
    unescaped ``.``/``-``/``(`` in dynamic data, which Telegram rejects.
    """
    n = len(text)
    chars: list[str] = []
    spans: list[tuple[int, int, JSONDict]] = []
    nested: list[tuple[str, int, int, str]] = []  # type, output start, begin index, extra
    quote_start: int | None = None
    i = 0
    while i < n:
        c = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            chars.append(text[i + 1])
            i += 2
            continue
        top = nested[-1][0] if nested else None
        if top == "code" or top == "pre":
            closing = "```" if top == "pre" else "`"
            if text.startswith(closing, i):
                kind, start, _, language = nested.pop()
                entity: JSONDict = {"type": kind}
                if language:
                    entity["language"] = language
                if start < len(chars):
                    spans.append((start, len(chars), entity))
                i += len(closing)
            else:
                chars.append(c)
                i += 1
            continue
        if c == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            spans.append((quote_start, len(chars), {"type": "blockquote"}))
            quote_start = None
        if c not in _MDV2_RESERVED:
            chars.append(c)
            i += 1
            continue
        if c == ">" and at_line_start:
            if quote_start is None:
                quote_start = len(chars)
            i += 1
            continue
        closes = {
            "bold": c == "*",
            "italic": c == "_" and not text.startswith("__", i),
            "underline": text.startswith("__", i),
            "strikethrough": c == "~",
            "spoiler": text.startswith("||", i),
            "text_link": c == "]",
            "custom_emoji": c == "]",
        }
        if top is not None and closes.get(top, False):
            kind, start, begin, _ = nested.pop()
            i += 2 if kind in ("underline", "spoiler") else 1
            entity = {"type": kind}
            if kind in ("text_link", "custom_emoji"):
                if _at_char(text, i) != "(":
                    raise _entity_error(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, i)}"
                    )
                url_begin = i
                i += 1
                url: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n:
                        url.append(text[i + 1])
                        i += 2
                        continue
                    url.append(text[i])
                    i += 1
                if i >= n:
                    raise _entity_error(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                i += 1
                if kind == "text_link":
                    entity["url"] = "".join(url)
                else:
                    entity["custom_emoji_id"] = "".join(url).rpartition("id=")[2]
            if start < len(chars):
                spans.append((start, len(chars), entity))
            continue
        begin = i
        if c == "_":
            kind = "underline" if text.startswith("__", i) else "italic"
            i += 2 if kind == "underline" else 1
        elif c == "*":
            kind, i = "bold", i + 1
        elif c == "~":
            kind, i = "strikethrough", i + 1
        elif c == "|" and text.startswith("||", i):
            kind, i = "spoiler", i + 2
        elif c == "[":
            kind, i = "text_link", i + 1
        elif c == "!" and text.startswith("![", i):
            kind, i = "custom_emoji", i + 2
        elif c == "`":
            if text.startswith("```", i):
                i += 3
                line_end = text.find("\n", i)
                language = ""
                if line_end != -1 and re.fullmatch(r"[\w+#.-]*", text[i:line_end]):
                    language = text[i:line_end]
                    i = line_end + 1
                nested.append(("pre", len(chars), begin, language))
            else:
                nested.append(("code", len(chars), begin, ""))
                i += 1
            continue
        else:
            raise _entity_error(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        nested.append((kind, len(chars), begin, ""))
    if nested:
        kind, _, begin, _ = nested[-1]
        raise _entity_error(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset "
            f"{_byte_offset(text, begin)}"
        )
    if quote_start is not None:
        spans.append((quote_start, len(chars), {"type": "blockquote"}))
    return _finish_entities(chars, spans)


def _at_char(text: str, index: int) -> str:
    """Character at ``index`` or "" past the end (small helper for the parsers)."""
    return text[index] if index < len(text) else ""


def parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, backticks, ``[text](url)``)."""
    n = len(text)
    chars: list[str] = []
    spans: list[tuple[int, int, JSONDict]] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            chars.append(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            chars.append(c)
            i += 1
            continue
        begin = i
        start = len(chars)
        entity: JSONDict
        if c == "[":
            close = text.find("]", i + 1)
            if close == -1 or _at_char(text, close + 1) != "(" or text.find(")", close) == -1:
                raise _entity_error(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            url_end = text.find(")", close)
            chars.extend(text[i + 1 : close])
            entity = {"type": "text_link", "url": text[close + 2 : url_end]}
            i = url_end + 1
        else:
            marker = "```" if text.startswith("```", i) else c
            close = text.find(marker, i + len(marker))
            if close == -1:
                raise _entity_error(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            chars.extend(text[i + len(marker) : close])
            kind = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[marker]
            entity = {"type": kind}
            i = close + len(marker)
        if start < len(chars):
            spans.append((start, len(chars), entity))
    return _finish_entities(chars, spans)


# --------------------------------------------------------------------------- helpers


def _public(value: Any) -> Any:
    """Deep copy without emulator-only keys: exactly what goes over the wire."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if k not in EMULATOR_ONLY_KEYS}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value


def _decode_value(key: str, value: str) -> Any:
    """Decode one form value the way the Bot API interprets that field."""
    if key in ("chat_id", "from_chat_id"):
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if key in _STRING_FIELDS or value.startswith("attach://"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _update_type(update: JSONDict) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


def _message_text(message: JSONDict) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- server


class FakeTelegramServer:
    """Bot API emulator served by aiohttp on 127.0.0.1 for the real aiogram stack.

    Use as ``async with FakeTelegramServer() as server:``; then build the bot with
    ``TelegramAPIServer.from_base(server.base_url)``. The attributes below are part of
    the interface and may be changed by tests at any time.
    """

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        bot_id: int = 123456789,
        bot_username: str = "clinic_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = "Clinic Test Bot"
        self.host = host
        self.port = port

        self.calls: list[ApiCall] = []
        #: Optional hook consulted before normal handling: return (http_status, body) to override.
        self.responder: (
            Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None] | None
        ) = None
        self.callback_query_max_age: float = 15.0
        self.blocked_users: set[int] = set()
        #: (chat_id, user_id) -> status ("creator", "administrator", "member", "restricted",
        #: "left", "kicked") returned by getChatMember.
        self.chat_members: dict[tuple[int, int], str] = {}
        #: When set, sends into a group beyond this many per sliding 60 s get 429 like Telegram.
        self.group_limit_per_minute: int | None = None
        #: Reject a bare "&" in HTML (Telegram itself would keep it literally).
        self.html_strict_ampersand: bool = True
        #: Every uploaded or user-sent file by file_id.
        self.files: dict[str, StoredFile] = {}
        #: Called synchronously with every recorded call (e.g. to push to a preview page).
        self.listeners: list[Callable[[ApiCall], None]] = []
        #: Message ids pinned per chat, oldest first.
        self.pinned: dict[int, list[int]] = {}
        #: Bot's webhook settings as set with setWebhook ("url" == "" when none).
        self.webhook: JSONDict = {"url": ""}

        self.app = web.Application(client_max_size=50 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner: web.AppRunner | None = None
        self._base_url = ""
        self._closing = False

        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, FakeChat] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._next_message_id: dict[int, int] = {}
        self._topics: dict[int, dict[int, _Topic]] = {}
        self._reply_keyboards: dict[int, JSONDict | None] = {}
        self._updates: deque[JSONDict] = deque()
        self._next_update_id = 10_000
        self._delivered_upto = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._profile: dict[tuple[str, str], str] = {}
        self._menu_buttons: dict[int | None, JSONDict] = {}
        self._callbacks: dict[str, _CallbackRecord] = {}
        self._next_callback = 1
        self._failures: list[_FailRule] = []
        self._group_sends: dict[int, deque[float]] = {}
        self._next_file = 1

        self._updates_signal = _Signal()
        self._calls_signal = _Signal()
        self._activity_signal = _Signal()
        self._inflight = 0
        self._last_activity = time.monotonic()

        self._methods: dict[str, Callable[[_Ctx], Any]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._profile_setter("description"),
                "getMyDescription": self._profile_getter("description"),
                "setMyShortDescription": self._profile_setter("short_description"),
                "getMyShortDescription": self._profile_getter("short_description"),
                "setMyName": self._profile_setter("name"),
                "getMyName": self._profile_getter("name"),
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "copyMessage": self._copy_message,
                "forwardMessage": self._forward_message,
                "sendPhoto": self._media_sender("photo"),
                "sendDocument": self._media_sender("document"),
                "sendVoice": self._media_sender("voice"),
                "sendAudio": self._media_sender("audio"),
                "sendVideo": self._media_sender("video"),
                "sendAnimation": self._media_sender("animation"),
                "sendSticker": self._media_sender("sticker"),
                "sendVideoNote": self._media_sender("video_note"),
                "sendMediaGroup": self._send_media_group,
                "getFile": self._get_file,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "createForumTopic": self._create_forum_topic,
                "editForumTopic": self._edit_forum_topic,
                "closeForumTopic": self._topic_state("close"),
                "reopenForumTopic": self._topic_state("reopen"),
                "deleteForumTopic": self._topic_state("delete"),
                "pinChatMessage": self._pin_chat_message,
                "unpinChatMessage": self._unpin_chat_message,
                "unpinAllChatMessages": self._unpin_all_chat_messages,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``; only valid after :meth:`start`."""
        if not self._base_url:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._base_url

    async def start(self) -> None:
        """Bind the port (an ephemeral one when ``port`` is 0) and start serving."""
        if self._runner is not None:
            return
        self._closing = False
        # handler_cancellation: a long poll whose client went away (stop_polling) ends at once.
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self._base_url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Release pending long polls (they answer with no updates) and close the port."""
        self._closing = True
        self._updates_signal.fire()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ actors

    def private_user(
        self,
        user_id: int,
        first_name: str = "Ivan",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> FakeUser:
        """Register a user and their private chat with the bot (so the bot may write to it)."""
        user = FakeUser(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = user
        self._chats[user_id] = FakeChat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        return user

    def group(self, chat_id: int, title: str = "Managers", *, is_forum: bool = False) -> FakeChat:
        """Register a supergroup (negative id), optionally with forum topics enabled."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative, e.g. -1001234567890")
        chat = FakeChat(id=chat_id, type="supergroup", title=title, is_forum=is_forum)
        self._chats[chat_id] = chat
        self._topics.setdefault(chat_id, {})
        return chat

    # ------------------------------------------------------------------ updates from users

    def send_update(self, update: dict[str, Any]) -> None:
        """Queue a raw update for getUpdates (``update_id`` assigned when missing)."""
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
        self._updates.append(update)
        self._updates_signal.fire()
        self._activity_signal.fire()

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user writes ``text``; a leading "/command" gets a bot_command entity."""
        content: JSONDict = {"text": text}
        command = re.match(r"/[^\s]+", text)
        if command:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group(0))}
            ]
        return self._user_message(
            user,
            content,
            chat=chat,
            reply_to_message_id=reply_to_message_id,
            message_thread_id=message_thread_id,
        )

    def send_contact(
        self, user: FakeUser, phone_number: str, *, own: bool = True
    ) -> dict[str, Any]:
        """The user shares a contact: their own (``user_id`` set) or somebody else's."""
        contact: JSONDict = {"phone_number": phone_number}
        if own:
            contact["first_name"] = user.first_name
            if user.last_name:
                contact["last_name"] = user.last_name
            contact["user_id"] = user.id
        else:
            contact["first_name"] = "Contact"
        return self._user_message(user, {"contact": contact})

    def send_photo(
        self,
        user: FakeUser,
        caption: str | None = None,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a (fake JPEG) photo, optionally with a caption."""
        data = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"
        content: JSONDict = {"photo": self._photo_sizes(data)}
        if caption:
            content["caption"] = caption
        return self._user_message(user, content, chat=chat, reply_to_message_id=reply_to_message_id)

    def send_sticker(self, user: FakeUser) -> dict[str, Any]:
        """The user sends a sticker (content the bot typically does not understand)."""
        stored = self._store_file("sticker", b"RIFF-fake-webp", "sticker.webp", "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\U0001f600",
            "file_size": stored.file_size,
        }
        return self._user_message(user, {"sticker": sticker})

    def press(
        self,
        user: FakeUser,
        message: dict[str, Any] | int,
        callback_data: str,
        *,
        chat: FakeChat | None = None,
    ) -> str:
        """The user presses an inline button with ``callback_data`` under a bot message."""
        if isinstance(message, dict):
            chat_id = int(message["chat"]["id"])
            message_id = int(message["message_id"])
        else:
            chat_id = chat.id if chat is not None else user.id
            message_id = message
        current = self._messages.get(chat_id, {}).get(message_id)
        if current is None:
            raise AssertionError(f"message {message_id} does not exist in chat {chat_id}")
        query_id = f"{self.bot_id}{self._next_callback:07d}"
        self._next_callback += 1
        self._callbacks[query_id] = _CallbackRecord(
            query_id=query_id,
            user_id=user.id,
            chat_id=chat_id,
            message_id=message_id,
            data=callback_data,
            created=time.monotonic(),
        )
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(current),
            "chat_instance": str((abs(chat_id) * 2654435761) % (2**62)),
            "data": callback_data,
        }
        self.send_update({"callback_query": query})
        return query_id

    def press_button(self, user: FakeUser, text: str, *, chat: FakeChat | None = None) -> str:
        """Press the button labelled ``text`` on the latest bot message that shows it."""
        chat_id = chat.id if chat is not None else user.id
        candidates = [m for m in reversed(self.chat_messages(chat_id)) if m.get("reply_markup")]
        for exact in (True, False):
            for message in candidates:
                for row in message["reply_markup"].get("inline_keyboard", []):
                    for button in row:
                        label = str(button.get("text", ""))
                        if label == text if exact else text in label:
                            if "callback_data" not in button:
                                raise AssertionError(
                                    f"button {label!r} is not a callback button: {button}"
                                )
                            return self.press(user, message, str(button["callback_data"]))
        available = [
            f"#{m['message_id']}: {[t for t, _ in self.inline_buttons(m)]}" for m in candidates
        ]
        raise AssertionError(
            f"no inline button {text!r} in chat {chat_id}; available: {available or 'none'}"
        )

    def tap_reply_button(self, user: FakeUser, text: str) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown in the user's private chat."""
        keyboard = self._reply_keyboards.get(user.id)
        if not keyboard or "keyboard" not in keyboard:
            raise AssertionError(f"no reply keyboard is shown to user {user.id}")
        labels: list[str] = []
        for row in keyboard["keyboard"]:
            for raw in row:
                button: JSONDict = {"text": raw} if isinstance(raw, str) else raw
                labels.append(str(button.get("text")))
                if button.get("text") != text:
                    continue
                if button.get("request_contact"):
                    return self.send_contact(user, user.phone_number, own=True)
                if button.get("request_location"):
                    location = {"latitude": 55.7558, "longitude": 37.6173}
                    return self._user_message(user, {"location": location})
                return self.send_text(user, text)
        raise AssertionError(f"reply keyboard has no button {text!r}; it has {labels}")

    # ------------------------------------------------------------------ what the bot did

    def chat_messages(self, chat_id: int, *, thread_id: int | None = None) -> list[dict[str, Any]]:
        """Current state of the bot's messages in a chat (edits applied, deletions gone)."""
        result = []
        for message in self._messages.get(chat_id, {}).values():
            if message.get("from", {}).get("id") != self.bot_id:
                continue
            if _SERVICE_KEYS.intersection(message):
                continue
            if thread_id is not None and message.get("message_thread_id") != thread_id:
                continue
            result.append(copy.deepcopy(message))
        return result

    def last_message(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest still-existing message in a chat."""
        messages = self.chat_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot has no messages in chat {chat_id}")
        return messages[-1]

    def inline_buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        """Inline keyboard flattened to (text, callback_data or url)."""
        result: list[tuple[str, str]] = []
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                value = (
                    button.get("callback_data")
                    or button.get("url")
                    or (button.get("web_app") or {}).get("url")
                    or (button.get("login_url") or {}).get("url")
                    or (button.get("copy_text") or {}).get("text")
                    or button.get("switch_inline_query")
                    or ""
                )
                result.append((str(button.get("text", "")), str(value)))
        return result

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown in a chat (None when removed/never)."""
        keyboard = self._reply_keyboards.get(chat_id)
        if not keyboard or "keyboard" not in keyboard:
            return None
        return [
            [b if isinstance(b, str) else str(b.get("text")) for b in row]
            for row in keyboard["keyboard"]
        ]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said for a query (None while unanswered)."""
        record = self._callbacks.get(query_id)
        return None if record is None else record.answer

    def file_of(self, message: dict[str, Any]) -> StoredFile:
        """The stored file (largest photo size) carried by a message."""
        for kind in _MEDIA_KINDS:
            media = message.get(kind)
            if media:
                info = media[-1] if isinstance(media, list) else media
                return self.files[str(info["file_id"])]
        raise AssertionError(f"message {message.get('message_id')} has no file")

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for a scope and language."""
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    def calls_of(self, method: str) -> list[ApiCall]:
        """All calls of one method (case-insensitive), in order."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def mark(self) -> int:
        """Index for ``since=``: take it before causing the behaviour you wait for."""
        return len(self.calls)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for an assertion, not I/O
        since: int = 0,
    ) -> ApiCall:
        """First call (index >= since) of ``method`` matching ``predicate``, waiting for it."""
        wanted = method.lower()
        deadline = time.monotonic() + timeout
        while True:
            # Rescanned on every wake-up: a long poll listed on arrival changes when answered.
            for call in self.calls[since:]:
                if call.method.lower() == wanted and (predicate is None or predicate(call)):
                    return call
            woke = await self._calls_signal.wait(deadline - time.monotonic())
            if not woke and time.monotonic() >= deadline:
                raise AssertionError(
                    f"no {method} call matched within {timeout}s; "
                    f"recent calls:\n{self._describe_calls(since)}"
                )

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for an assertion, not I/O
        since: int | None = None,
    ) -> dict[str, Any]:
        """A bot message sent/edited into ``chat_id`` whose text or caption has ``contains``.

        Returns the message as it was right after that call (with "html" kept).
        """
        start = since or 0

        def matches(call: ApiCall) -> bool:
            message = call.message
            if not call.ok or message is None or message["chat"]["id"] != chat_id:
                return False
            return contains is None or contains in _message_text(message)

        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[start:]:
                if call.method.lower() in _MESSAGE_PRODUCING and matches(call):
                    assert call.message is not None
                    return call.message
            woke = await self._calls_signal.wait(deadline - time.monotonic())
            if not woke and time.monotonic() >= deadline:
                what = f"containing {contains!r} " if contains is not None else ""
                raise AssertionError(
                    f"no bot message {what}in chat {chat_id} within {timeout}s; "
                    f"recent calls:\n{self._describe_calls(start)}"
                )

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was delivered and requests stopped for ~0.15 s."""
        quiet = 0.15
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            undelivered = sum(1 for u in self._updates if u["update_id"] > self._delivered_upto)
            silent_for = now - self._last_activity
            if not undelivered and not self._inflight and silent_for >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"server not idle after {timeout}s: {undelivered} undelivered update(s) "
                    f"(is the bot polling?), {self._inflight} request(s) in flight; "
                    f"recent calls:\n{self._describe_calls(max(0, len(self.calls) - 10))}"
                )
            wait = quiet - silent_for if not undelivered and not self._inflight else quiet
            await self._activity_signal.wait(min(max(wait, 0.01), deadline - now))

    # ------------------------------------------------------------------ failure injection

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict: injected failure",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(status, f"Error {status}")
        self._failures.append(
            _FailRule(method.lower(), status, description, retry_after, times, chat_id)
        )

    # ------------------------------------------------------------------ HTTP layer

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        long_poll = method.lower() == "getupdates"
        at = time.monotonic()
        if not long_poll:
            self._inflight += 1
        self._touch()
        ctx = _Ctx(method=method, params={}, at=at)
        status = 200
        body: JSONDict
        try:
            try:
                ctx.params = await self._read_params(request)
                if request.match_info["token"] != self.token:
                    raise BotApiError(401, "Unauthorized")
                status, body = await self._dispatch(ctx)
            except BotApiError as error:
                status, body = error.status, self._error_body(error)
            except web.HTTPRequestEntityTooLarge:
                status, body = 413, self._error_body(BotApiError(413, "Request Entity Too Large"))
            except ValueError as error:  # undecodable JSON body and the like
                status, body = 400, self._error_body(_bad(f"can't parse request: {error}"))
            except Exception as error:  # a bug in the emulator: answer like Telegram's 500
                log.exception("emulator failed on %s", method)
                status, body = (
                    500,
                    self._error_body(
                        BotApiError(500, f"Internal Server Error: emulator bug: {error!r}")
                    ),
                )
        except asyncio.CancelledError:
            # The client went away (e.g. stop_polling) while its long poll was held.
            if ctx.call is not None and not ctx.call.done:
                ctx.call.done = True
                ctx.call.description = "abandoned: the client disconnected"
                self._calls_signal.fire()
            raise
        finally:
            if not long_poll:
                self._inflight -= 1
            self._touch()
        self._record(ctx, status, body, at)
        return web.json_response(_public(body), status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    async def _read_params(self, request: web.Request) -> JSONDict:
        raw: JSONDict = dict(request.query)
        uploads: dict[str, Upload] = {}
        typed: JSONDict = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                data = await request.json()
                if isinstance(data, dict):
                    typed.update(data)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = Upload(
                            field=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            content=value.file.read(),
                        )
                    else:
                        raw[key] = str(value)
        params: JSONDict = {key: _decode_value(key, str(value)) for key, value in raw.items()}
        params.update(typed)
        used: set[str] = set()

        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name in uploads:
                    used.add(name)
                    return uploads[name]
                return value
            if isinstance(value, dict):
                return {k: resolve(v) for k, v in value.items()}
            if isinstance(value, list):
                return [resolve(v) for v in value]
            return value

        params = {key: resolve(value) for key, value in params.items()}
        for name, upload in uploads.items():
            if name not in used and name not in params:
                params[name] = upload
        return params

    async def _dispatch(self, ctx: _Ctx) -> tuple[int, JSONDict]:
        lowered = ctx.method.lower()
        chat_id = ctx.params.get("chat_id")
        for rule in self._failures:
            if rule.method == lowered and (rule.chat_id is None or rule.chat_id == chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failures.remove(rule)
                raise BotApiError(rule.status, rule.description, retry_after=rule.retry_after)
        if self.responder is not None:
            override = self.responder(ctx.method, ctx.params)
            if override is not None:
                return override
        if lowered == "getupdates":
            ctx.call = ApiCall(
                method=ctx.method,
                params=ctx.params,
                ok=True,
                result=None,
                error_code=None,
                description=None,
                at=ctx.at,
                done=False,
            )
            self.calls.append(ctx.call)
            self._calls_signal.fire()
            result: Any = await self._get_updates(ctx)
        else:
            handler = self._methods.get(lowered)
            if handler is None:
                raise BotApiError(404, "Not Found")
            result = handler(ctx)
            if isinstance(result, Awaitable):
                result = await result
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _error_body(error: BotApiError) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return body

    def _record(self, ctx: _Ctx, status: int, body: JSONDict, at: float) -> None:
        ok = bool(body.get("ok"))
        call = ApiCall(
            method=ctx.method,
            params=ctx.params,
            ok=ok,
            result=copy.deepcopy(body.get("result")),
            error_code=None if ok else int(body.get("error_code") or status),
            description=None if ok else body.get("description"),
            at=at,
            message=copy.deepcopy(ctx.message) if ok and ctx.message is not None else None,
            http_status=status,
        )
        if ctx.call is not None:  # a long poll listed on arrival: complete it in place
            ctx.call.__dict__.update(call.__dict__)
            call = ctx.call
        else:
            self.calls.append(call)
        if not ok:
            log.debug("%s -> %s %s", ctx.method, status, call.description)
        self._calls_signal.fire()
        for listener in list(self.listeners):
            listener(call)

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._activity_signal.fire()

    def _describe_calls(self, since: int) -> str:
        lines = []
        first = max(since, len(self.calls) - 15)
        for index in range(first, len(self.calls)):
            call = self.calls[index]
            params = {k: v for k, v in call.params.items() if k in ("chat_id", "text", "caption")}
            outcome = "ok" if call.ok else f"{call.error_code} {call.description}"
            shown = ", ".join(f"{k}={_short(v)}" for k, v in params.items())
            lines.append(f"  #{index} {call.method}({shown}) -> {outcome}")
        return "\n".join(lines) or "  (none)"

    # ------------------------------------------------------------------ shared building blocks

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, params: JSONDict, key: str = "chat_id") -> FakeChat:
        value = params.get(key)
        if value is None or value == "":
            raise _bad(f"{key} is empty")
        if isinstance(value, str):
            for chat in self._chats.values():
                if chat.type != "private" and chat.username and f"@{chat.username}" == value:
                    return chat
            raise _bad("chat not found")
        if not isinstance(value, int) or value not in self._chats:
            raise _bad("chat not found")
        return self._chats[value]

    def _send_target(self, params: JSONDict, key: str = "chat_id") -> FakeChat:
        chat = self._chat(params, key)
        if chat.type == "private" and chat.id in self.blocked_users:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _int_param(self, params: JSONDict, key: str, missing: str) -> int:
        value = params.get(key)
        if value is None:
            raise _bad(missing)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"invalid {key} specified")
        return value

    def _rate_check(self, chat: FakeChat, count: int = 1) -> None:
        limit = self.group_limit_per_minute
        if limit is None or chat.type not in ("group", "supergroup"):
            return
        now = time.monotonic()
        window = self._group_sends.setdefault(chat.id, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) + count > limit:
            retry = max(1, math.ceil(window[0] + 60.0 - now)) if window else 60
            raise BotApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        window.extend([now] * count)

    def _format(
        self,
        params: JSONDict,
        *,
        key: str,
        entities_key: str,
        parse_mode_key: str = "parse_mode",
    ) -> JSONDict:
        """Turn text/caption + parse_mode/entities into the stored message fields."""
        raw = params.get(key)
        if raw is None:
            return {}
        raw = str(raw)
        parse_mode = params.get(parse_mode_key)
        extra: JSONDict = {}
        mode = str(parse_mode).lower() if parse_mode else ""
        if mode == "html":
            plain, entities = parse_html(raw, strict_ampersand=self.html_strict_ampersand)
            extra[f"{key}_html" if key != "text" else "html"] = raw
        elif mode == "markdownv2":
            plain, entities = parse_markdown_v2(raw)
            extra[f"{key}_markdown" if key != "text" else "markdown"] = raw
        elif mode == "markdown":
            plain, entities = parse_markdown(raw)
            extra[f"{key}_markdown" if key != "text" else "markdown"] = raw
        elif mode:
            raise _bad(f'unsupported parse_mode "{parse_mode}"')
        else:
            given = params.get(entities_key)
            if given is not None and not isinstance(given, list):
                raise _bad("can't parse entities JSON object")
            plain = raw.strip()
            shift = _utf16_len(raw[: len(raw) - len(raw.lstrip())])
            entities = [
                {**e, "offset": int(e.get("offset", 0)) - shift}
                for e in (given or [])
                if isinstance(e, dict)
            ]
        result: JSONDict = {key: plain, **extra}
        if entities:
            result[entities_key] = entities
        return result

    def _text_content(self, params: JSONDict) -> JSONDict:
        content = self._format(params, key="text", entities_key="entities")
        text = content.get("text", "")
        if not text:
            raise _bad("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise _bad("message is too long")
        return content

    def _caption_content(self, params: JSONDict) -> JSONDict:
        content = self._format(params, key="caption", entities_key="caption_entities")
        if len(content.get("caption", "")) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        if not content.get("caption"):
            return {}
        if params.get("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return content

    def _markup(self, params: JSONDict, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
            for row in rows:
                for button in row:
                    if not isinstance(button, str) and not (
                        isinstance(button, dict) and isinstance(button.get("text"), str)
                    ):
                        raise _bad(
                            'can\'t parse keyboard button: Field "text" must be of type String'
                        )
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad(_TEXT_BUTTONS_UNALLOWED)
        actions = (
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        )
        if not any(key in button for key in actions):
            raise _bad(_TEXT_BUTTONS_UNALLOWED)
        if "callback_data" in button:
            data = button["callback_data"]
            if (
                not isinstance(data, str)
                or not data
                or len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT
            ):
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in button:
            url = str(button["url"])
            if not re.match(r"^(https?://[^\s/]+|tg://\S+)", url):
                raise _bad("BUTTON_URL_INVALID")

    def _placement(self, chat: FakeChat, params: JSONDict) -> tuple[int | None, JSONDict | None]:
        """Resolve (message_thread_id, replied-to message) for a new bot message."""
        reply_params = params.get("reply_parameters")
        if not isinstance(reply_params, dict):
            reply_params = None
            if params.get("reply_to_message_id") is not None:
                reply_params = {
                    "message_id": params["reply_to_message_id"],
                    "allow_sending_without_reply": params.get("allow_sending_without_reply"),
                }
        reply: JSONDict | None = None
        if reply_params and reply_params.get("message_id") is not None:
            target_chat = chat.id
            if reply_params.get("chat_id") is not None:
                target_chat = self._chat(reply_params).id
            reply = self._messages.get(target_chat, {}).get(int(reply_params["message_id"]))
            if reply is None and not reply_params.get("allow_sending_without_reply"):
                raise _bad("message to be replied not found")
            if reply is not None and target_chat != chat.id:
                reply = None  # cross-chat replies are shown as external_reply; not emulated
        thread_id = params.get("message_thread_id")
        if thread_id is not None and not isinstance(thread_id, int):
            raise _bad("invalid message_thread_id specified")
        if chat.is_forum:
            if thread_id is None and reply is not None and reply.get("is_topic_message"):
                thread_id = int(reply["message_thread_id"])
            if thread_id is not None:
                if thread_id not in self._topics.get(chat.id, {}):
                    raise _bad("message thread not found")
                if reply is None:
                    reply = self._messages.get(chat.id, {}).get(thread_id)
        elif thread_id is not None and thread_id not in self._messages.get(chat.id, {}):
            raise _bad("message thread not found")
        return thread_id, reply

    def _allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _put_message(
        self,
        chat: FakeChat,
        sender: JSONDict,
        content: JSONDict,
        *,
        thread_id: int | None = None,
        reply: JSONDict | None = None,
        markup: JSONDict | None = None,
    ) -> JSONDict:
        """Store a new message in a chat and return it (the stored dict itself)."""
        message: JSONDict = {
            "message_id": self._allocate_message_id(chat.id),
            "from": sender,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
        if reply is not None:
            message["reply_to_message"] = {
                k: copy.deepcopy(v) for k, v in reply.items() if k != "reply_to_message"
            }
        message.update(content)
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            else:
                message["reply_keyboard"] = markup
                if "keyboard" in markup:
                    self._reply_keyboards[chat.id] = markup
                elif markup.get("remove_keyboard"):
                    self._reply_keyboards[chat.id] = None
        self._messages.setdefault(chat.id, {})[message["message_id"]] = message
        return message

    def _send_bot_message(self, ctx: _Ctx, chat: FakeChat, content: JSONDict) -> JSONDict:
        markup = self._markup(ctx.params)
        thread_id, reply = self._placement(chat, ctx.params)
        self._rate_check(chat)
        message = self._put_message(
            chat, self._bot_user(), content, thread_id=thread_id, reply=reply, markup=markup
        )
        ctx.message = message
        return message

    def _user_message(
        self,
        user: FakeUser,
        content: JSONDict,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        if user.id not in self._users:
            self._users[user.id] = user
        if chat is None:
            chat = self._chats.get(user.id)
            if chat is None:
                chat = FakeChat(
                    id=user.id,
                    type="private",
                    first_name=user.first_name,
                    last_name=user.last_name,
                    username=user.username,
                )
                self._chats[user.id] = chat
        elif chat.type != "private":
            # Only members can post in a group: whoever writes there is one from now on.
            self.chat_members.setdefault((chat.id, user.id), "member")
        reply: JSONDict | None = None
        if reply_to_message_id is not None:
            reply = self._messages.get(chat.id, {}).get(reply_to_message_id)
            if reply is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id}")
            if message_thread_id is None and reply.get("is_topic_message"):
                message_thread_id = int(reply["message_thread_id"])
        if message_thread_id is not None and chat.is_forum:
            topics = self._topics.setdefault(chat.id, {})
            if message_thread_id not in topics:
                topics[message_thread_id] = _Topic(
                    message_thread_id, f"Topic {message_thread_id}", 7322096
                )
            if reply is None:
                reply = self._messages.get(chat.id, {}).get(message_thread_id)
        message = self._put_message(
            chat, user.to_dict(), content, thread_id=message_thread_id, reply=reply
        )
        self.send_update({"message": message})
        return message

    def _store_file(
        self, kind: str, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = self._next_file
        self._next_file += 1
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            kind=kind,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{kind}s/file_{number}{extension}",
        )
        self.files[stored.file_id] = stored
        return stored

    def _photo_sizes(self, content: bytes, existing: StoredFile | None = None) -> list[JSONDict]:
        sizes = []
        for width, height in ((90, 67), (800, 600)):
            stored = existing or self._store_file("photo", content, None, "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.file_size,
                }
            )
        return sizes

    def _media(self, kind: str, value: Any, params: JSONDict) -> JSONDict:
        """Resolve an upload / file_id / URL into the message's media field."""
        stored: StoredFile | None = None
        if isinstance(value, Upload):
            if kind == "photo":
                return {"photo": self._photo_sizes(value.content)}
            mime = mimetypes.guess_type(value.filename or "")[0] or value.content_type
            stored = self._store_file(kind, value.content, value.filename, mime)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            stored = self._store_file(kind, b"", name, mimetypes.guess_type(name or "")[0])
        elif isinstance(value, str) and value:
            stored = self.files.get(value)
            if stored is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            if stored.kind != kind and kind != "document":
                wanted = kind.replace("_", " ").title()
                raise _bad(f"can't use file of type {stored.kind.title()} as {wanted}")
        else:
            raise _bad(f"there is no {kind.replace('_', ' ')} in the request")
        if kind == "photo":
            return {"photo": self._photo_sizes(stored.content, stored)}
        info: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        duration = int(params.get("duration") or 1)
        if kind in ("document", "audio", "video", "animation") and stored.file_name:
            info["file_name"] = stored.file_name
        if kind in ("document", "audio", "video", "animation", "voice") and stored.mime_type:
            info["mime_type"] = stored.mime_type
        if kind == "voice":
            info.setdefault("mime_type", "audio/ogg")
            info["duration"] = duration
        elif kind == "audio":
            info["duration"] = duration
            for key in ("performer", "title"):
                if params.get(key):
                    info[key] = params[key]
        elif kind in ("video", "animation"):
            info.update(
                width=int(params.get("width") or 640),
                height=int(params.get("height") or 360),
                duration=duration,
            )
        elif kind == "video_note":
            info.update(length=int(params.get("length") or 240), duration=duration)
        elif kind == "sticker":
            info.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
            if params.get("emoji"):
                info["emoji"] = params["emoji"]
        return {kind: info}

    def _find_message(self, chat: FakeChat, params: JSONDict, not_found: str) -> JSONDict:
        if params.get("inline_message_id") is not None:
            raise _bad("inline messages are not emulated")
        message_id = self._int_param(params, "message_id", "message identifier is not specified")
        message = self._messages.get(chat.id, {}).get(message_id)
        if message is None:
            raise _bad(not_found)
        return message

    # ------------------------------------------------------------------ methods: bot & setup

    def _true(self, ctx: _Ctx) -> bool:
        return True

    def _get_me(self, ctx: _Ctx) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, ctx: _Ctx) -> bool:
        url = str(ctx.params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if ctx.params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url}
        for key in ("max_connections", "allowed_updates", "secret_token", "ip_address"):
            if key in ctx.params:
                self.webhook[key] = ctx.params[key]
        self._updates_signal.fire()
        return True

    def _delete_webhook(self, ctx: _Ctx) -> bool:
        self.webhook = {"url": ""}
        if ctx.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, ctx: _Ctx) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook["url"]:
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
        return info

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope_obj = scope if isinstance(scope, dict) and scope else {"type": "default"}
        return json.dumps(scope_obj, sort_keys=True), str(language_code or "")

    def _set_my_commands(self, ctx: _Ctx) -> bool:
        commands = ctx.params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, ctx: _Ctx) -> list[JSONDict]:
        key = self._commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        return list(self._commands.get(key, []))

    def _delete_my_commands(self, ctx: _Ctx) -> bool:
        key = self._commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        self._commands.pop(key, None)
        return True

    def _profile_setter(self, field_name: str) -> Callable[[_Ctx], bool]:
        def handler(ctx: _Ctx) -> bool:
            key = (field_name, str(ctx.params.get("language_code") or ""))
            value = ctx.params.get(field_name)
            if value:
                self._profile[key] = str(value)
            else:
                self._profile.pop(key, None)
            return True

        return handler

    def _profile_getter(self, field_name: str) -> Callable[[_Ctx], JSONDict]:
        def handler(ctx: _Ctx) -> JSONDict:
            language = str(ctx.params.get("language_code") or "")
            default = self.bot_first_name if field_name == "name" else ""
            value = self._profile.get(
                (field_name, language), self._profile.get((field_name, ""), default)
            )
            return {field_name: value}

        return handler

    def _set_chat_menu_button(self, ctx: _Ctx) -> bool:
        chat_id: int | None = None
        if ctx.params.get("chat_id") is not None:
            chat_id = self._chat(ctx.params).id
        button = ctx.params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad("can't parse menu button")
        self._menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._chat(ctx.params).id if ctx.params.get("chat_id") is not None else None
        return (
            self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}
        )

    # ------------------------------------------------------------------ methods: updates

    def _collect_updates(self, offset: int | None, limit: int) -> list[JSONDict]:
        if offset is not None:
            if offset < 0:
                keep = list(self._updates)[offset:]
                self._updates = deque(keep)
            else:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
        allowed = set(self._allowed_updates)
        result: list[JSONDict] = []
        for update in list(self._updates):
            kind = _update_type(update)
            wanted = kind in allowed if allowed else kind not in _DEFAULT_EXCLUDED_UPDATES
            if not wanted:
                self._updates.remove(update)  # Telegram never creates unwanted updates
                continue
            result.append(update)
            if len(result) >= limit:
                break
        return result

    async def _get_updates(self, ctx: _Ctx) -> list[JSONDict]:
        params = ctx.params
        if self.webhook["url"]:
            raise BotApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = params.get("limit")
        timeout = params.get("timeout")
        limit = min(max(int(limit), 1), 100) if isinstance(limit, int) else 100
        timeout_s = max(float(timeout), 0.0) if isinstance(timeout, int | float) else 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older poll still waiting is terminated (409)
        deadline = time.monotonic() + timeout_s
        while True:
            if generation != self._poll_generation:
                raise BotApiError(409, POLL_CONFLICT)
            if self.webhook["url"]:
                raise BotApiError(409, WEBHOOK_CONFLICT)
            updates = self._collect_updates(offset if isinstance(offset, int) else None, limit)
            offset = None  # confirmation done once
            if updates or self._closing or time.monotonic() >= deadline:
                if updates:
                    self._delivered_upto = max(self._delivered_upto, updates[-1]["update_id"])
                self._touch()
                return copy.deepcopy(updates)
            await self._updates_signal.wait(deadline - time.monotonic())

    # ------------------------------------------------------------------ methods: messages

    def _send_message(self, ctx: _Ctx) -> JSONDict:
        chat = self._send_target(ctx.params)
        content = self._text_content(ctx.params)
        options = ctx.params.get("link_preview_options")
        if isinstance(options, dict) and options:
            content["link_preview_options"] = options
        return self._send_bot_message(ctx, chat, content)

    def _media_sender(self, kind: str) -> Callable[[_Ctx], JSONDict]:
        def handler(ctx: _Ctx) -> JSONDict:
            chat = self._send_target(ctx.params)
            content = self._media(kind, ctx.params.get(kind), ctx.params)
            if kind in _CAPTIONED_KINDS:
                content.update(self._caption_content(ctx.params))
            if ctx.params.get("has_spoiler"):
                content["has_media_spoiler"] = True
            return self._send_bot_message(ctx, chat, content)

        return handler

    def _send_media_group(self, ctx: _Ctx) -> list[JSONDict]:
        chat = self._send_target(ctx.params)
        media = ctx.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("media group must contain 2-10 items")
        contents = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in _CAPTIONED_KINDS:
                raise _bad("can't parse InputMedia JSON object")
            kind = str(item["type"])
            content = self._media(kind, item.get("media"), item)
            content.update(self._caption_content(item))
            contents.append(content)
        thread_id, reply = self._placement(chat, ctx.params)
        self._rate_check(chat, len(contents))
        group_id = str(13_000_000_000 + self._next_file)
        messages = []
        for content in contents:
            content["media_group_id"] = group_id
            messages.append(
                self._put_message(chat, self._bot_user(), content, thread_id=thread_id, reply=reply)
            )
        ctx.message = messages[0]
        return messages

    def _copy_content(self, source: JSONDict) -> JSONDict:
        if _SERVICE_KEYS.intersection(source):
            raise _bad("message can't be copied")
        return {
            k: copy.deepcopy(source[k])
            for k in _CONTENT_KEYS
            if k in source and k != "media_group_id"
        }

    def _copy_message(self, ctx: _Ctx) -> JSONDict:
        chat = self._send_target(ctx.params)
        source_chat = self._chat(ctx.params, "from_chat_id")
        source = self._find_message(source_chat, ctx.params, "message to copy not found")
        content = self._copy_content(source)
        if "caption" in ctx.params and any(k in content for k in _CAPTIONED_KINDS):
            for key in ("caption", "caption_entities", "caption_html", "caption_markdown"):
                content.pop(key, None)
            content.update(self._caption_content(ctx.params))
        message = self._send_bot_message(ctx, chat, content)
        return {"message_id": message["message_id"]}

    def _forward_message(self, ctx: _Ctx) -> JSONDict:
        chat = self._send_target(ctx.params)
        source_chat = self._chat(ctx.params, "from_chat_id")
        source = self._find_message(source_chat, ctx.params, "message to forward not found")
        content = self._copy_content(source)
        if source_chat.type == "channel":
            origin: JSONDict = {
                "type": "channel",
                "date": source["date"],
                "chat": source["chat"],
                "message_id": source["message_id"],
            }
        else:
            origin = {"type": "user", "date": source["date"], "sender_user": source["from"]}
        content["forward_origin"] = origin
        params = {k: v for k, v in ctx.params.items() if k != "reply_markup"}
        thread_id, _ = self._placement(chat, params)
        self._rate_check(chat)
        message = self._put_message(chat, self._bot_user(), content, thread_id=thread_id)
        ctx.message = message
        return message

    def _editable(self, ctx: _Ctx) -> JSONDict:
        chat = self._chat(ctx.params)
        message = self._find_message(chat, ctx.params, "message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id or _SERVICE_KEYS.intersection(message):
            raise _bad("message can't be edited")
        return message

    def _apply_edit(
        self,
        ctx: _Ctx,
        message: JSONDict,
        content: JSONDict,
        keys: tuple[str, ...],
        markup: JSONDict | None,
    ) -> JSONDict:
        for key in keys:
            message.pop(key, None)
        message.update(content)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        ctx.message = message
        return message

    def _edit_message_text(self, ctx: _Ctx) -> JSONDict:
        message = self._editable(ctx)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        content = self._text_content(ctx.params)
        markup = self._markup(ctx.params, inline_only=True)
        if (
            content["text"] == message["text"]
            and content.get("entities", []) == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        options = ctx.params.get("link_preview_options")
        if isinstance(options, dict) and options:
            content["link_preview_options"] = options
        keys = ("text", "entities", "html", "markdown", "link_preview_options")
        return self._apply_edit(ctx, message, content, keys, markup)

    def _edit_message_caption(self, ctx: _Ctx) -> JSONDict:
        message = self._editable(ctx)
        if not _CAPTIONED_KINDS.intersection(message):
            raise _bad("there is no caption in the message to edit")
        content = self._caption_content(ctx.params)
        markup = self._markup(ctx.params, inline_only=True)
        if (
            content.get("caption", "") == message.get("caption", "")
            and content.get("caption_entities", []) == message.get("caption_entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        keys = (
            "caption",
            "caption_entities",
            "caption_html",
            "caption_markdown",
            "show_caption_above_media",
        )
        return self._apply_edit(ctx, message, content, keys, markup)

    def _edit_message_reply_markup(self, ctx: _Ctx) -> JSONDict:
        message = self._editable(ctx)
        markup = self._markup(ctx.params, inline_only=True)
        if markup == message.get("reply_markup"):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(ctx, message, {}, (), markup)
        ctx.message = None  # a markup-only edit shows no new text to wait for
        return message

    def _delete_message(self, ctx: _Ctx) -> bool:
        chat = self._chat(ctx.params)
        message = self._find_message(chat, ctx.params, "message to delete not found")
        if "forum_topic_created" in message:
            raise _bad("message can't be deleted")
        del self._messages[chat.id][message["message_id"]]
        return True

    def _delete_messages(self, ctx: _Ctx) -> bool:
        chat = self._chat(ctx.params)
        ids = ctx.params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise _bad("message identifiers are not specified")
        deleted = False
        for message_id in ids:
            message = self._messages.get(chat.id, {}).get(int(message_id))
            if message is not None and "forum_topic_created" not in message:
                del self._messages[chat.id][int(message_id)]
                deleted = True
        if not deleted:
            raise _bad("message to delete not found")
        return True

    def _answer_callback_query(self, ctx: _Ctx) -> bool:
        record = self._callbacks.get(str(ctx.params.get("callback_query_id") or ""))
        if (
            record is None
            or record.answer is not None
            or time.monotonic() - record.created > self.callback_query_max_age
        ):
            raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = ctx.params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        record.answer = {
            "text": text,
            "show_alert": bool(ctx.params.get("show_alert")),
            "url": ctx.params.get("url"),
        }
        return True

    def _send_chat_action(self, ctx: _Ctx) -> bool:
        chat = self._send_target(ctx.params)
        if ctx.params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        thread_id = ctx.params.get("message_thread_id")
        if (
            chat.is_forum
            and thread_id is not None
            and thread_id not in self._topics.get(chat.id, {})
        ):
            raise _bad("message thread not found")
        return True

    def _get_file(self, ctx: _Ctx) -> JSONDict:
        stored = self.files.get(str(ctx.params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ methods: chats

    def _get_chat(self, ctx: _Ctx) -> JSONDict:
        chat = self._chat(ctx.params)
        info = chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        )
        pinned = self.pinned.get(chat.id)
        if pinned:
            message = self._messages.get(chat.id, {}).get(pinned[-1])
            if message is not None:
                info["pinned_message"] = copy.deepcopy(message)
        return info

    def _get_chat_member(self, ctx: _Ctx) -> JSONDict:
        chat = self._chat(ctx.params)
        user_id = self._int_param(ctx.params, "user_id", "user not found")
        status = self.chat_members.get((chat.id, user_id))
        if user_id == self.bot_id:
            user = self._bot_user()
            status = status or ("member" if chat.type == "private" else "administrator")
        elif user_id in self._users:
            user = self._users[user_id].to_dict()
            # A user known from a private chat is not a member of a group they never joined.
            status = status or ("member" if chat.type == "private" else "left")
        else:
            user = {"id": user_id, "is_bot": False, "first_name": "Unknown"}
            status = status or "left"
        member: JSONDict = {"status": status, "user": user}
        if status in ("creator", "owner"):
            member.update(status="creator", is_anonymous=False)
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_send_welcome_messages=False,
                can_pin_messages=True,
                can_manage_topics=True,
            )
        elif status == "restricted":
            member.update(
                {
                    "is_member": True,
                    "until_date": 0,
                    **{
                        f"can_{name}": False
                        for name in (
                            "send_messages",
                            "send_audios",
                            "send_documents",
                            "send_photos",
                            "send_videos",
                            "send_video_notes",
                            "send_voice_notes",
                            "send_polls",
                            "send_other_messages",
                            "add_web_page_previews",
                            "react_to_messages",
                            "edit_tag",
                            "change_info",
                            "invite_users",
                            "pin_messages",
                            "manage_topics",
                        )
                    },
                }
            )
        elif status == "kicked":
            member["until_date"] = 0
        elif status not in ("member", "left"):
            raise _bad(f"unknown chat member status {status!r} configured in chat_members")
        return member

    def _forum(self, ctx: _Ctx) -> FakeChat:
        chat = self._chat(ctx.params)
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        return chat

    def _create_forum_topic(self, ctx: _Ctx) -> JSONDict:
        chat = self._forum(ctx)
        name = str(ctx.params.get("name") or "")
        if not name:
            raise _bad("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise _bad("TOPIC_TITLE_INVALID")
        color = ctx.params.get("icon_color", 7322096)
        if color not in _TOPIC_COLORS:
            raise _bad("TOPIC_ICON_COLOR_INVALID")
        thread_id = self._next_message_id.get(chat.id, 1)
        topic = _Topic(thread_id, name, int(color), ctx.params.get("icon_custom_emoji_id"))
        self._topics.setdefault(chat.id, {})[thread_id] = topic
        created: JSONDict = {"name": name, "icon_color": topic.icon_color}
        if topic.icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        self._put_message(
            chat, self._bot_user(), {"forum_topic_created": created}, thread_id=thread_id
        )
        result: JSONDict = {"message_thread_id": thread_id, **created}
        return result

    def _topic(self, ctx: _Ctx) -> tuple[FakeChat, _Topic]:
        chat = self._forum(ctx)
        thread_id = ctx.params.get("message_thread_id")
        topic = self._topics.get(chat.id, {}).get(thread_id) if isinstance(thread_id, int) else None
        if topic is None:
            raise _bad("TOPIC_ID_INVALID")
        return chat, topic

    def _edit_forum_topic(self, ctx: _Ctx) -> bool:
        _, topic = self._topic(ctx)
        name = ctx.params.get("name")
        emoji = ctx.params.get("icon_custom_emoji_id")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == topic.icon_custom_emoji_id
        ):
            raise _bad("TOPIC_NOT_MODIFIED")
        if name:
            topic.name = str(name)
        if emoji is not None:
            topic.icon_custom_emoji_id = str(emoji) or None
        return True

    def _topic_state(self, action: str) -> Callable[[_Ctx], bool]:
        def handler(ctx: _Ctx) -> bool:
            chat, topic = self._topic(ctx)
            if action == "delete":
                del self._topics[chat.id][topic.thread_id]
                messages = self._messages.get(chat.id, {})
                for message_id in [
                    mid
                    for mid, m in messages.items()
                    if m.get("message_thread_id") == topic.thread_id
                ]:
                    del messages[message_id]
                return True
            closing = action == "close"
            if topic.closed == closing:
                raise _bad("TOPIC_NOT_MODIFIED")
            topic.closed = closing
            return True

        return handler

    def _pin_chat_message(self, ctx: _Ctx) -> bool:
        chat = self._chat(ctx.params)
        message = self._find_message(chat, ctx.params, "message to pin not found")
        pinned = self.pinned.setdefault(chat.id, [])
        if message["message_id"] in pinned:
            pinned.remove(message["message_id"])
        pinned.append(message["message_id"])
        return True

    def _unpin_chat_message(self, ctx: _Ctx) -> bool:
        chat = self._chat(ctx.params)
        pinned = self.pinned.get(chat.id, [])
        message_id = ctx.params.get("message_id")
        if message_id is None:
            if pinned:
                pinned.pop()
            return True
        if message_id not in pinned:
            raise _bad("message to unpin not found")
        pinned.remove(message_id)
        return True

    def _unpin_all_chat_messages(self, ctx: _Ctx) -> bool:
        self.pinned.pop(self._chat(ctx.params).id, None)
        return True

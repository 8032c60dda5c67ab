"""Message text as Telegram stores it: HTML parsing into entities with UTF-16 offsets.

The bot sends HTML only (``DefaultBotProperties(parse_mode=HTML)``), so HTML is the one
markup parsed here, following tdlib (the code behind the Bot API) closely enough that
the bot meets the same "can't parse entities" failures it would in production.
"""

from __future__ import annotations

import re
from typing import Any

from bot.preview.emulator.limits import BotApiError, bad_request

JSONDict = dict[str, Any]


def _entity_error(detail: str) -> BotApiError:
    """Telegram's answer to markup it cannot parse."""
    return bad_request(f"can't parse entities: {detail}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram's entity offsets."""
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
        offset = utf16_len(stripped[:start])
        length = utf16_len(stripped[start:end])
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


def format_text(
    params: JSONDict,
    *,
    key: str,
    entities_key: str,
    strict_ampersand: bool,
) -> JSONDict:
    """Turn a request's text or caption (+ parse_mode or explicit entities) into message fields.

    With HTML the raw markup is kept under "html"/"caption_html" for tests and the preview
    (emulator-only keys, never sent over the wire).
    """
    raw = params.get(key)
    if raw is None:
        return {}
    raw = str(raw)
    parse_mode = params.get("parse_mode")  # one field for texts and captions alike
    extra: JSONDict = {}
    mode = str(parse_mode).lower() if parse_mode else ""
    if mode == "html":
        plain, entities = parse_html(raw, strict_ampersand=strict_ampersand)
        extra["html" if key == "text" else f"{key}_html"] = raw
    elif mode:
        # Telegram knows MarkdownV2 and Markdown too; the bot sends HTML only, so they are
        # not emulated, and using them fails loudly instead of passing unchecked.
        raise bad_request(f'unsupported parse_mode "{parse_mode}" (the emulator parses HTML only)')
    else:
        given = params.get(entities_key)
        if given is not None and not isinstance(given, list):
            raise bad_request("can't parse entities JSON object")
        plain = raw.strip()
        shift = utf16_len(raw[: len(raw) - len(raw.lstrip())])
        entities = [
            {**e, "offset": int(e.get("offset", 0)) - shift}
            for e in (given or [])
            if isinstance(e, dict)
        ]
    result: JSONDict = {key: plain, **extra}
    if entities:
        result[entities_key] = entities
    return result

"""The clinic's article, price list and seed reviews, loaded from TOML and checked at start-up.

Why this module is strict: the texts are edited by hand, and Telegram rejects a whole message
("can't parse entities") for one stray `<` or an unclosed `<b>`. Such a mistake would otherwise
surface only when a patient opens the section. So everything a patient can see is validated when
the bot starts, and every failure is a `ContentError` naming the file and, where known, the line.

Layout of the content directory (the `content` package, shipped as package data)::

    <locale>/article.toml   title, intro, [[sections]] id/title/drugs/body
    <locale>/prices.toml    title, note, region_note, [[services]] id/name/short/price_from
    reviews.toml            [[reviews]] author?/rating/text (seeded into the database)
    clinic.toml             [legal] name/address (the data controller named in the consent text),
                            [name] per language, [[branches]] (address, phone, hours, map pin),
                            holidays (closed dates)

Text kinds: *HTML* fields (section bodies, intro, notes) are Telegram HTML limited to `<b>` and
`<i>`; *plain* fields (titles, service names, review authors and texts) must contain no `<`, `>`
or `&` at all, so they are safe both raw in buttons and inserted into an HTML message.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import content as _content_package
from bot.services.opening_hours import WEEKDAYS, OpeningPeriod

__all__ = [
    "CONTENT_DIR",
    "ArticleSection",
    "Branch",
    "ClinicDetails",
    "Content",
    "ContentError",
    "LocaleContent",
    "SeedReview",
    "Service",
    "html_problem",
    "load_clinic",
    "load_content",
]

CONTENT_DIR: Path = Path(_content_package.__file__).resolve().parent
"""Where the shipped texts live: next to `content/__init__.py`, wherever it is installed."""

ARTICLE_FILE = "article.toml"
PRICES_FILE = "prices.toml"
REVIEWS_FILE = "reviews.toml"
CLINIC_FILE = "clinic.toml"

MIN_SECTIONS = 10
MAX_BODY_LEN = 1500  # far below Telegram's 4096, so a section reads comfortably on a phone
MAX_TITLE_LEN = 60  # titles and service names go on inline buttons
MAX_SHORT_NAME_LEN = 24  # "📝 Book: <short>" stays whole on a phone's button
MAX_NOTE_LEN = 1000
MAX_REVIEW_LEN = 2000
MAX_PRICE = 10_000_000  # roubles; anything above is a typo (an extra zero or two)
MAX_LEGAL_LEN = 300  # a full legal name or postal address, one line of the consent text
MAX_CLINIC_NAME_LEN = 100
MAX_DIRECTIONS_LEN = 500
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")

_ID_RE = re.compile(r"[a-z0-9_]{1,16}")
_LOCALE_RE = re.compile(r"[a-z0-9_-]{1,16}")
# A dose is a number followed by a unit; such text must carry the "doctor prescribes" note.
_DOSE_RE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:mcg|µg|mg|IU|мкг|мг|МЕ)(?![^\W\d_])", re.IGNORECASE)
_TOKEN_RE = re.compile(r"<[^<>]*>|&[^\s&<>;]*;?|[<>]")
_ALLOWED_TAG_RE = re.compile(r"<(/?)(b|i)>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TOML_LINE_RE = re.compile(r"\bat line (\d+)")
_HEADER_RE = re.compile(r"^\s*\[")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class ArticleSection:
    """One screen of the article; `drugs` asks the bot to add the "only a doctor" note."""

    id: str
    title: str
    body: str
    drugs: bool


@dataclass(frozen=True, slots=True)
class Service:
    """One line of the price list; the price is "from" because the final cost is set in person."""

    id: str
    name: str
    short: str  # the label of its "Book" button, which must fit a phone's screen
    price_from: int


@dataclass(frozen=True, slots=True)
class LocaleContent:
    """Everything shown to patients in one language."""

    locale: str
    article_title: str
    article_intro: str
    sections: tuple[ArticleSection, ...]
    prices_title: str
    prices_note: str
    region_note: str
    services: tuple[Service, ...]
    # Services staff hid from the price list (an override): no longer offered, but a request
    # or a button from before still finds them by id.
    hidden_services: tuple[Service, ...] = ()

    def section(self, section_id: str) -> ArticleSection | None:
        """The section for a callback's id, or None for a stale/forged id (never raises)."""
        index = self.section_index(section_id)
        return None if index is None else self.sections[index]

    def section_index(self, section_id: str) -> int | None:
        """Position of a section, for "previous/next" navigation."""
        for index, section in enumerate(self.sections):
            if section.id == section_id:
                return index
        return None

    def service(self, service_id: str) -> Service | None:
        """The service for a callback's id, or None if it is unknown."""
        for service in (*self.services, *self.hidden_services):
            if service.id == service_id:
                return service
        return None


@dataclass(frozen=True, slots=True)
class SeedReview:
    """A review from the source site, inserted into the database as already published."""

    author: str | None
    rating: int
    text: str


def _localized(texts: Mapping[str, str], locale: str | None) -> str:
    """The text for `locale`, else Russian (the clinic's language), else any."""
    if locale and locale in texts:
        return texts[locale]
    if "ru" in texts:
        return texts["ru"]
    return next(iter(texts.values()))


@dataclass(frozen=True, slots=True)
class Branch:
    """One address of the clinic: where it is, how to call, when it is open."""

    id: str
    address: Mapping[str, str]  # locale -> plain text
    phone: str  # E.164
    hours: Mapping[int, OpeningPeriod]  # date.weekday() -> period; a missing day is closed
    latitude: float
    longitude: float
    directions: Mapping[str, str] = field(default_factory=dict)  # locale -> "how to get there"

    def address_for(self, locale: str | None) -> str:
        return _localized(self.address, locale)

    def directions_for(self, locale: str | None) -> str | None:
        return _localized(self.directions, locale) if self.directions else None


@dataclass(frozen=True, slots=True)
class ClinicDetails:
    """The clinic as patients see it, and who processes their data (the consent text).

    Edited by the clinic in `clinic.toml`. `names` falls back to the legal name when the
    file has no `[name]` table; a file without `[[branches]]` gives no contacts to show.
    """

    legal_name: str
    legal_address: str
    names: Mapping[str, str] = field(default_factory=dict)  # locale -> plain text
    branches: tuple[Branch, ...] = ()
    holidays: frozenset[date] = frozenset()

    def name_for(self, locale: str | None) -> str:
        return _localized(self.names, locale) if self.names else self.legal_name


@dataclass(frozen=True, slots=True)
class Content:
    """All locales plus the seed reviews; immutable so handlers can share it freely."""

    locales: Mapping[str, LocaleContent]
    seed_reviews: tuple[SeedReview, ...]
    clinic: ClinicDetails
    # A temporary notice staff set under the greeting ("Closed on 31 December"): locale ->
    # plain text, "" for every language without its own. Never in the files: an override.
    announcements: Mapping[str, str] = field(default_factory=dict)

    def announcement_for(self, locale: str | None) -> str | None:
        """The announcement a patient of `locale` sees, or None."""
        return self.announcements.get(locale or "") or self.announcements.get("") or None

    def for_locale(self, locale: str | None) -> LocaleContent:
        """The texts for a user's language, never a KeyError.

        A user's stored locale or Telegram `language_code` ("en-US", None, "de") may name a
        language we do not have; showing Russian (the clinic's language) beats crashing.
        """
        if not self.locales:
            raise LookupError("no locales loaded")
        if locale:
            key = locale.strip().lower().replace("_", "-")
            for candidate in (key, key.split("-", 1)[0]):
                if candidate in self.locales:
                    return self.locales[candidate]
        if "ru" in self.locales:
            return self.locales["ru"]
        return next(iter(self.locales.values()))


class ContentError(Exception):
    """Broken content; the message always starts with the file (relative) and, if known, line."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.detail = message
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------- markup


class _Issue(NamedTuple):
    """What is wrong in a text, and where (offset and the offending token), to find its line."""

    message: str
    offset: int
    token: str


def html_problem(text: str) -> str | None:
    """Why `text` is not safe Telegram HTML for us, or None if it is.

    Allowed: `<b>`, `<i>` without attributes, balanced and properly nested (not inside
    themselves), and the entities Telegram understands (`&lt;`, `&gt;`, `&amp;`, `&quot;`,
    numeric). Anything else would either be rejected by Telegram or render as a link/markup
    that nobody reviewed.
    """
    issue = _html_issue(text)
    return None if issue is None else issue.message


def _html_issue(text: str) -> _Issue | None:
    stack: list[tuple[str, int]] = []
    for match in _TOKEN_RE.finditer(text):
        token, at = match.group(), match.start()
        if token.startswith("&"):
            if _ENTITY_RE.fullmatch(token) is None:
                return _Issue(f"bare '&' ({token!r}): write '&amp;'", at, token)
        elif token == "<":
            return _Issue("bare '<': write '&lt;'", at, token)
        elif token == ">":
            return _Issue("bare '>': write '&gt;'", at, token)
        else:
            tag = _ALLOWED_TAG_RE.fullmatch(token)
            if tag is None:
                message = f"unsupported tag {token!r}: only <b> and <i>, without attributes"
                return _Issue(message, at, token)
            closing, name = tag.groups()
            if not closing:
                if any(open_name == name for open_name, _ in stack):
                    message = f"<{name}> opened again before the previous <{name}> was closed"
                    return _Issue(message, at, token)
                stack.append((name, at))
            elif not stack:
                return _Issue(f"{token} without a matching <{name}>", at, token)
            elif stack[-1][0] != name:
                message = f"{token} closes <{stack[-1][0]}>: tags must be properly nested"
                return _Issue(message, at, token)
            else:
                stack.pop()
    if stack:
        name, at = stack[-1]
        return _Issue(f"<{name}> is never closed", at, f"<{name}>")
    return None


def _plain_issue(text: str) -> _Issue | None:
    """Plain fields go raw into buttons and unescaped into HTML, so they must be markup-free."""
    for at, char in enumerate(text):
        if char in "<>&":
            return _Issue(f"{char!r} is not allowed in plain text", at, char)
    return None


# --------------------------------------------------------------------------- sources


class _Source:
    """One parsed TOML file plus its lines, so that every error can point at a line."""

    def __init__(self, directory: Path, relative: str) -> None:
        self.rel = relative
        path = directory / relative
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ContentError(relative, "file not found") from None
        except UnicodeDecodeError as exc:
            raise ContentError(relative, f"not valid UTF-8: {exc}") from None
        except OSError as exc:
            raise ContentError(relative, f"cannot read: {exc.strerror}") from None
        text = text.removeprefix("\ufeff")  # a BOM from a Windows editor is harmless
        self.lines = text.splitlines()
        try:
            self.data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_LINE_RE.search(str(exc))
            line = int(found.group(1)) if found else max(len(self.lines), 1)
            raise ContentError(relative, f"invalid TOML: {exc}", line) from None

    def error(self, message: str, line: int | None = None) -> ContentError:
        return ContentError(self.rel, message, line)

    def top(self) -> _Table:
        """The file's top-level table: from line 1 up to the first table header."""
        end = next(
            (no for no, text in enumerate(self.lines, 1) if _HEADER_RE.match(text)),
            len(self.lines) + 1,
        )
        return _Table(self, self.data, "", 1, end, anchor=None)

    def items(self, table: _Table, key: str) -> list[_Table]:
        """The `[[key]]` array of tables, each with the span of lines it occupies."""
        raw = table.get(key, list, "an array of tables ([[" + key + "]])")
        header = re.compile(rf"^\s*\[\[\s*{re.escape(key)}\s*\]\]")
        starts = [no for no, text in enumerate(self.lines, 1) if header.match(text)]
        result: list[_Table] = []
        for index, item in enumerate(raw):
            label = f"{key.removesuffix('s')}[{index + 1}]"
            if not isinstance(item, dict):
                raise self.error(f"{label}: expected a table", table.line_of(key))
            if len(starts) == len(raw):  # the usual [[key]] layout: spans are exact
                start = starts[index]
                end = next(
                    (
                        no
                        for no in range(start + 1, len(self.lines) + 1)
                        if _HEADER_RE.match(self.lines[no - 1])
                    ),
                    len(self.lines) + 1,
                )
                result.append(_Table(self, item, label, start, end, anchor=start))
            else:  # inline tables or another layout: fall back to the line of `id = "..."`
                anchor = self._id_line(item.get("id"))
                result.append(_Table(self, item, label, 1, 1, anchor=anchor))
        return result

    def _id_line(self, item_id: object) -> int | None:
        if not isinstance(item_id, str):
            return None
        pattern = re.compile(rf"""\bid\s*=\s*["']{re.escape(item_id)}["']""")
        return next((no for no, text in enumerate(self.lines, 1) if pattern.search(text)), None)


class _Table:
    """A TOML table with the lines it spans: typed getters that fail with a located error."""

    def __init__(
        self,
        source: _Source,
        data: Mapping[str, Any],
        label: str,
        start: int,
        end: int,
        anchor: int | None,
    ) -> None:
        self.source = source
        self.data = data
        self.label = label
        self.start = start
        self.end = end  # exclusive
        self.anchor = anchor

    def line_of(self, key: str | None) -> int | None:
        """The line of `key = ...` inside this table, else the table's header line."""
        if key is not None:
            pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|["']{re.escape(key)}["'])\s*=""")
            for no in range(self.start, min(self.end, len(self.source.lines) + 1)):
                if pattern.match(self.source.lines[no - 1]):
                    return no
        return self.anchor

    def fail(self, key: str | None, message: str) -> ContentError:
        prefix = self.label
        if key is not None:
            prefix = f"{prefix}.{key}" if prefix else key
        return self.source.error(f"{prefix}: {message}" if prefix else message, self.line_of(key))

    def check_keys(self, required: set[str], optional: frozenset[str] = frozenset()) -> None:
        """Unknown keys are typos (`drug = true`) that would silently lose data: reject them."""
        for key in self.data:
            if key not in required and key not in optional:
                raise self.fail(key, "unknown key")
        missing = sorted(required - set(self.data))
        if missing:
            raise self.fail(None, f"missing key {missing[0]!r}")

    def get(self, key: str, kind: type, what: str) -> Any:
        value = self.data.get(key)
        # bool is an int subclass; a price of `true` is a typo, not 1 rouble
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"expected {what}, got {type(value).__name__}")
        return value

    def text(self, key: str, max_len: int, check: Callable[[str], _Issue | None]) -> str:
        """A string field, stripped of the newlines around multi-line text, then checked."""
        raw: str = self.get(key, str, "a string")
        value = raw.strip()
        if not 1 <= len(value) <= max_len:
            raise self.fail(key, f"length {len(value)} is outside 1..{max_len}")
        issue = check(value)
        if issue is not None:
            error = self.fail(key, issue.message)
            offset = len(raw) - len(raw.lstrip()) + issue.offset
            line = self._line_in_value(key, raw, offset, issue.token)
            if line is not None:
                error = self.source.error(error.detail, line)
            raise error
        return value

    def _line_in_value(self, key: str, raw: str, offset: int, token: str) -> int | None:
        """The file line of `raw[offset]`, so an editor lands on the bad tag, not the key.

        TOML drops the newline right after an opening triple quote, so the value's first line
        is the key's line or the next one. Escapes (a trailing backslash) could shift lines,
        hence the result is trusted only if that line really contains the token.
        """
        key_line = self.line_of(key)
        if key_line is None or key_line > len(self.source.lines):
            return None
        opening = self.source.lines[key_line - 1].rstrip()
        first = key_line + 1 if opening.endswith(('"""', "'''")) else key_line
        line = first + raw.count("\n", 0, offset)
        if line <= len(self.source.lines) and token in self.source.lines[line - 1]:
            return line
        return None

    def integer(self, key: str, low: int, high: int) -> int:
        value: int = self.get(key, int, "an integer")
        if not low <= value <= high:
            raise self.fail(key, f"{value} is outside {low}..{high}")
        return value

    def boolean(self, key: str) -> bool:
        value: bool = self.get(key, bool, "true or false")
        return value

    def ident(self, seen: set[str]) -> str:
        value: str = self.get("id", str, "a string")
        if _ID_RE.fullmatch(value) is None:
            raise self.fail("id", f"{value!r} must match [a-z0-9_]{{1,16}}")
        if value in seen:
            raise self.fail("id", f"duplicate id {value!r}")
        seen.add(value)
        self.label = f"{self.label.split('[', 1)[0]} {value!r}"
        return value


# --------------------------------------------------------------------------- loaders


def _load_article(
    directory: Path, locale: str
) -> tuple[_Source, str, str, tuple[ArticleSection, ...], list[_Table]]:
    source = _Source(directory, f"{locale}/{ARTICLE_FILE}")
    top = source.top()
    top.check_keys({"title", "intro", "sections"})
    title = top.text("title", MAX_TITLE_LEN, _plain_issue)
    intro = top.text("intro", MAX_NOTE_LEN, _html_issue)
    tables = source.items(top, "sections")
    if len(tables) < MIN_SECTIONS:
        raise top.fail("sections", f"{len(tables)} sections, at least {MIN_SECTIONS} required")
    seen: set[str] = set()
    sections: list[ArticleSection] = []
    for table in tables:
        table.check_keys({"id", "title", "drugs", "body"})
        section_id = table.ident(seen)
        section = ArticleSection(
            id=section_id,
            title=table.text("title", MAX_TITLE_LEN, _plain_issue),
            body=table.text("body", MAX_BODY_LEN, _html_issue),
            drugs=table.boolean("drugs"),
        )
        dose = _DOSE_RE.search(section.body)
        if dose is not None and not section.drugs:
            raise table.fail(
                "drugs", f"the body mentions a dose ({dose.group()!r}) but drugs = false"
            )
        sections.append(section)
    return source, title, intro, tuple(sections), tables


def _load_prices(
    directory: Path, locale: str
) -> tuple[_Source, str, str, str, tuple[Service, ...], list[_Table]]:
    source = _Source(directory, f"{locale}/{PRICES_FILE}")
    top = source.top()
    top.check_keys({"title", "note", "region_note", "services"})
    title = top.text("title", MAX_TITLE_LEN, _plain_issue)
    note = top.text("note", MAX_NOTE_LEN, _html_issue)
    region_note = top.text("region_note", MAX_NOTE_LEN, _html_issue)
    tables = source.items(top, "services")
    if not tables:
        raise top.fail("services", "the price list is empty")
    seen: set[str] = set()
    services: list[Service] = []
    for table in tables:
        table.check_keys({"id", "name", "short", "price_from"})
        service_id = table.ident(seen)
        services.append(
            Service(
                id=service_id,
                name=table.text("name", MAX_TITLE_LEN, _plain_issue),
                short=table.text("short", MAX_SHORT_NAME_LEN, _plain_issue),
                price_from=table.integer("price_from", 1, MAX_PRICE),
            )
        )
    return source, title, note, region_note, tuple(services), tables


def _load_reviews(directory: Path) -> tuple[SeedReview, ...]:
    source = _Source(directory, REVIEWS_FILE)
    top = source.top()
    top.check_keys({"reviews"})
    reviews: list[SeedReview] = []
    for table in source.items(top, "reviews"):
        table.check_keys({"rating", "text"}, frozenset({"author"}))
        author = (
            table.text("author", MAX_TITLE_LEN, _plain_issue) if "author" in table.data else None
        )
        reviews.append(
            SeedReview(
                author=author,
                rating=table.integer("rating", 1, 5),
                text=table.text("text", MAX_REVIEW_LEN, _plain_issue),
            )
        )
    return tuple(reviews)


def _named_table(source: _Source, top: _Table, key: str) -> _Table:
    """The `[key]` table of the file, spanning its lines up to the next header."""
    raw = top.get(key, dict, f"a table ([{key}])")
    header_re = re.compile(rf"^\s*\[\s*{re.escape(key)}\s*\]")
    header = next((no for no, text in enumerate(source.lines, 1) if header_re.match(text)), None)
    end = next(
        (
            no
            for no in range((header or 0) + 1, len(source.lines) + 1)
            if _HEADER_RE.match(source.lines[no - 1])
        ),
        len(source.lines) + 1,
    )
    return _Table(source, raw, key, header or 1, end, anchor=header or top.line_of(key))


def _localized_texts(table: _Table, max_len: int) -> dict[str, str]:
    """Every key of `table` is a locale (`ru`, `en`) and its value plain text; at least one."""
    if not table.data:
        raise table.fail(None, 'no text: add at least ru = "..."')
    texts: dict[str, str] = {}
    for locale in table.data:
        if _LOCALE_RE.fullmatch(locale) is None:
            raise table.fail(locale, "not a language code like ru or en")
        texts[locale] = table.text(locale, max_len, _plain_issue)
    return texts


def _inline_texts(table: _Table, key: str, max_len: int) -> dict[str, str]:
    """`key = { ru = "...", en = "..." }` inside an array item, located at the key's line."""
    raw = table.get(key, dict, '{ ru = "...", en = "..." }')
    line = table.line_of(key)
    inner = _Table(table.source, raw, f"{table.label}.{key}", 1, 1, anchor=line)
    return _localized_texts(inner, max_len)


def _coordinate(table: _Table, key: str, limit: float) -> float:
    value = table.data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise table.fail(key, f"expected a number, got {type(value).__name__}")
    if not -limit <= value <= limit or value != value:  # also NaN
        raise table.fail(key, f"{value} is outside -{limit:g}..{limit:g}")
    return float(value)


def _opening_hours(table: _Table) -> dict[int, OpeningPeriod]:
    raw = table.get("hours", dict, '{ mon = "09:00-20:00", ... }')
    hours: dict[int, OpeningPeriod] = {}
    where = f"{table.label}.hours"
    for day, text in raw.items():
        if day not in WEEKDAYS:
            raise table.fail("hours", f"unknown day {day!r}: use {', '.join(WEEKDAYS)}")
        if not isinstance(text, str):
            raise table.source.error(
                f'{where}.{day}: expected a string like "09:00-20:00"', table.line_of("hours")
            )
        try:
            hours[WEEKDAYS.index(day)] = OpeningPeriod.parse(text)
        except ValueError as error:
            raise table.source.error(f"{where}.{day}: {error}", table.line_of("hours")) from None
    return hours


def _branch(table: _Table, seen: set[str]) -> Branch:
    table.check_keys(
        {"id", "address", "phone", "hours", "latitude", "longitude"}, frozenset({"directions"})
    )
    branch_id = table.ident(seen)
    phone: str = table.get("phone", str, "a string")
    if _E164_RE.fullmatch(phone) is None:
        raise table.fail("phone", f"{phone!r} is not in E.164 form, like +74951234567")
    return Branch(
        id=branch_id,
        address=MappingProxyType(_inline_texts(table, "address", MAX_LEGAL_LEN)),
        phone=phone,
        hours=MappingProxyType(_opening_hours(table)),
        latitude=_coordinate(table, "latitude", 90),
        longitude=_coordinate(table, "longitude", 180),
        directions=MappingProxyType(
            _inline_texts(table, "directions", MAX_DIRECTIONS_LEN)
            if "directions" in table.data
            else {}
        ),
    )


def _holidays(source: _Source, top: _Table) -> frozenset[date]:
    if "holidays" not in top.data:
        return frozenset()
    raw = top.get("holidays", list, 'a list of dates like ["2026-12-31"]')
    days: set[date] = set()
    for value in raw:
        if isinstance(value, date):  # a bare TOML date: 2026-12-31 without quotes
            days.add(value)
            continue
        text = value if isinstance(value, str) else repr(value)
        line = next(
            (no for no, row in enumerate(source.lines, 1) if f'"{text}"' in row),
            top.line_of("holidays"),
        )
        try:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            days.add(date.fromisoformat(value))
        except ValueError:
            message = f'holidays: {text} is not a date like "2026-12-31"'
            raise source.error(message, line) from None
    return frozenset(days)


def load_clinic(directory: Path = CONTENT_DIR) -> ClinicDetails:
    """The clinic's details from `clinic.toml`, or ContentError naming file and line.

    Texts are plain because they are inserted into HTML messages (the consent text, contacts).
    """
    source = _Source(directory, CLINIC_FILE)
    top = source.top()
    top.check_keys({"legal"}, frozenset({"name", "branches", "holidays"}))
    legal = _named_table(source, top, "legal")
    legal.check_keys({"name", "address"})
    legal_name = legal.text("name", MAX_LEGAL_LEN, _plain_issue)
    legal_address = legal.text("address", MAX_LEGAL_LEN, _plain_issue)
    names: dict[str, str] = {}
    if "name" in top.data:
        names = _localized_texts(_named_table(source, top, "name"), MAX_CLINIC_NAME_LEN)
    branches: list[Branch] = []
    if "branches" in top.data:
        seen: set[str] = set()
        tables = source.items(top, "branches")
        for number, table in enumerate(tables, 1):
            table.label = f"branch[{number}]"  # not "branche", as items() would spell it
        branches = [_branch(table, seen) for table in tables]
    return ClinicDetails(
        legal_name=legal_name,
        legal_address=legal_address,
        names=MappingProxyType(names),
        branches=tuple(branches),
        holidays=_holidays(source, top),
    )


def _same_ids(
    reference: _Source,
    reference_ids: Sequence[str],
    source: _Source,
    tables: Sequence[_Table],
    ids: Sequence[str],
    what: str,
) -> None:
    """Locales must list the same ids in the same order: callbacks and navigation use them."""
    for position, (expected, found) in enumerate(zip(reference_ids, ids, strict=False)):
        if expected != found:
            raise tables[position].fail(
                "id",
                f"{what} ids differ from {reference.rel}: expected {expected!r} "
                f"at position {position + 1}, found {found!r}",
            )
    if len(ids) > len(reference_ids):
        extra = len(reference_ids)
        raise tables[extra].fail("id", f"{what} {ids[extra]!r} is not in {reference.rel}")
    if len(ids) < len(reference_ids):
        missing = reference_ids[len(ids)]
        raise source.error(
            f"{what} {missing!r} from {reference.rel} is missing",
            tables[-1].anchor if tables else None,
        )


def load_content(directory: Path = CONTENT_DIR, locales: Sequence[str] = ("ru", "en")) -> Content:
    """Load every locale and the seed reviews, or raise ContentError on the first problem.

    The first locale is the reference: the others must have the same section ids (same order),
    and the same service ids with identical prices, so that a patient switching language sees
    the same article and is never quoted a different price.
    """
    if not locales:
        raise ValueError("at least one locale is required")
    for locale in locales:
        if _LOCALE_RE.fullmatch(locale) is None:
            raise ValueError(f"bad locale name {locale!r}")
    loaded: dict[str, LocaleContent] = {}
    reference_article: tuple[_Source, list[str]] | None = None
    reference_prices: tuple[_Source, list[Service]] | None = None
    for locale in locales:
        article, title, intro, sections, section_tables = _load_article(directory, locale)
        prices, prices_title, note, region_note, services, service_tables = _load_prices(
            directory, locale
        )
        section_ids = [section.id for section in sections]
        if reference_article is None:
            reference_article = (article, section_ids)
        else:
            ref_source, ref_ids = reference_article
            _same_ids(ref_source, ref_ids, article, section_tables, section_ids, "section")
        if reference_prices is None:
            reference_prices = (prices, list(services))
        else:
            ref_source, ref_services = reference_prices
            _same_ids(
                ref_source,
                [service.id for service in ref_services],
                prices,
                service_tables,
                [service.id for service in services],
                "service",
            )
            for ref_service, service, table in zip(
                ref_services, services, service_tables, strict=True
            ):
                if service.price_from != ref_service.price_from:
                    raise table.fail(
                        "price_from",
                        f"{service.price_from} differs from {ref_service.price_from} "
                        f"in {ref_source.rel}",
                    )
        loaded[locale] = LocaleContent(
            locale=locale,
            article_title=title,
            article_intro=intro,
            sections=sections,
            prices_title=prices_title,
            prices_note=note,
            region_note=region_note,
            services=services,
        )
    return Content(
        locales=MappingProxyType(loaded),
        seed_reviews=_load_reviews(directory),
        clinic=load_clinic(directory),
    )

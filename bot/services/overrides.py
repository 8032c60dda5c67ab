"""Staff edits over the files in content/: what each override means, and the content they make.

An override is a key and a text, stored in the database (`content_overrides`):

    price:<service>             "1800"           the price, in every language
    name:<locale>:<service>     "Consultation"   the service's name in one language
    hidden:<service>            "1"              not in the price list (old buttons still work)
    phone:<branch>              "+74951234567"
    hours:<branch>:<day>        "09:00-20:00" or "closed"   (day: mon ... sun)
    announcement                "Closed on 31 December"     under the greeting, every language
    announcement:<locale>       the same, for one language only

`apply_overrides` lays them over the content loaded from the files. It never fails: an
override that no longer fits the files (a service removed, a value made invalid by a newer
release) is skipped with a warning, and the file's value stays.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

from bot.content import (
    MAX_PRICE,
    MAX_SHORT_NAME_LEN,
    MAX_TITLE_LEN,
    Branch,
    ClinicDetails,
    Content,
    LocaleContent,
    Service,
)
from bot.services.opening_hours import WEEKDAYS, OpeningPeriod

logger = logging.getLogger(__name__)

PRICE, NAME, HIDDEN, PHONE, HOURS, ANNOUNCEMENT = (
    "price",
    "name",
    "hidden",
    "phone",
    "hours",
    "announcement",
)
CLOSED = "closed"
MAX_ANNOUNCEMENT_LEN = 500
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")
_PRICE_RE = re.compile(r"[0-9][0-9 \u00a0\u202f]*")
# "<days> <hours>": the days are words (and , -), the hours start with a digit or say closed.
_HOURS_INPUT_RE = re.compile(r"(?P<days>[^\d]+?)\s+(?P<value>\d.*|[^\d\s]+)")
_LOCALE_PREFIX_RE = re.compile(r"^([a-z]{2})\s*:\s*(.+)$", re.DOTALL)
HIDE_WORDS = frozenset({"hidden", "hide", "скрыть", "скрыта", "скрыто"})
SHOW_WORDS = frozenset({"shown", "show", "показать", "показывать"})
CLOSED_WORDS = frozenset({"closed", "выходной", "закрыто"})


def price_key(service_id: str) -> str:
    return f"{PRICE}:{service_id}"


def name_key(locale: str, service_id: str) -> str:
    return f"{NAME}:{locale}:{service_id}"


def hidden_key(service_id: str) -> str:
    return f"{HIDDEN}:{service_id}"


def phone_key(branch_id: str) -> str:
    return f"{PHONE}:{branch_id}"


def hours_key(branch_id: str, day: int) -> str:
    return f"{HOURS}:{branch_id}:{WEEKDAYS[day]}"


def announcement_key(locale: str | None = None) -> str:
    return ANNOUNCEMENT if not locale else f"{ANNOUNCEMENT}:{locale}"


def service_keys(service_id: str, locales: tuple[str, ...]) -> list[str]:
    """Every key that can override a service: what `/prices reset` removes."""
    return [
        price_key(service_id),
        hidden_key(service_id),
        *(name_key(locale, service_id) for locale in locales),
    ]


def branch_keys(branch_id: str) -> list[str]:
    """Every key that can override a branch: what `/branches reset` removes."""
    return [phone_key(branch_id), *(hours_key(branch_id, day) for day in range(7))]


# --------------------------------------------------------------------------- staff input


class EditKind(StrEnum):
    PRICE = PRICE
    NAME = NAME
    HIDE = "hide"
    SHOW = "show"
    PHONE = PHONE
    HOURS = HOURS


@dataclass(frozen=True, slots=True)
class Edit:
    """One change a staff member asked for: the keys to write (None removes one)."""

    kind: EditKind
    changes: Mapping[str, str | None]
    old: str
    new: str


class InputProblem(StrEnum):
    """Why a staff member's text is not a value (each has a text `edit-problem-<value>`)."""

    PRICE = "price"
    NAME = "name"
    PHONE = "phone"
    HOURS = "hours"
    TOO_LONG = "too-long"


def parse_service_edit(
    text: str, service_id: str, staff_locale: str, locales: tuple[str, ...], content: Content
) -> Edit | InputProblem:
    """A staff member's answer to "new price, name or hidden?" for one service.

    A number is the price (spaces and "₽" allowed); "hidden"/"shown" hides or shows the
    service; any other text is its name in the staff member's language, or in another one
    with a prefix: `en: Consultation`.
    """
    value = text.strip()
    local = content.for_locale(staff_locale)
    current = local.service(service_id)
    assert current is not None
    word = value.lower()
    if word in HIDE_WORDS or word in SHOW_WORDS:
        hide = word in HIDE_WORDS
        shown_now = any(service.id == service_id for service in local.services)
        return Edit(
            EditKind.HIDE if hide else EditKind.SHOW,
            {hidden_key(service_id): "1" if hide else None},
            old="shown" if shown_now else "hidden",
            new="hidden" if hide else "shown",
        )
    digits = value.removesuffix("₽").removesuffix("руб.").removesuffix("руб").strip()
    if _PRICE_RE.fullmatch(digits):
        price = int(re.sub(r"\D", "", digits))
        if not 1 <= price <= MAX_PRICE:
            return InputProblem.PRICE
        return Edit(
            EditKind.PRICE,
            {price_key(service_id): str(price)},
            old=str(current.price_from),
            new=str(price),
        )
    locale = staff_locale if staff_locale in locales else locales[0]
    prefixed = _LOCALE_PREFIX_RE.match(value)
    if prefixed is not None and prefixed.group(1) in locales:
        locale, value = prefixed.group(1), prefixed.group(2).strip()
    if not value or any(char in "<>&\n" for char in value):
        return InputProblem.NAME
    if len(value) > MAX_TITLE_LEN:
        return InputProblem.TOO_LONG
    in_locale = content.for_locale(locale).service(service_id)
    assert in_locale is not None
    return Edit(
        EditKind.NAME,
        {name_key(locale, service_id): value},
        old=f"{locale}: {in_locale.name}",
        new=f"{locale}: {value}",
    )


def parse_phone_edit(text: str, branch: Branch) -> Edit | InputProblem:
    phone = re.sub(r"[\s()\-]", "", text.strip())
    if phone.startswith("8") and len(phone) == 11:  # a Russian number as people write it
        phone = "+7" + phone[1:]
    if _E164_RE.fullmatch(phone) is None:
        return InputProblem.PHONE
    return Edit(EditKind.PHONE, {phone_key(branch.id): phone}, old=branch.phone, new=phone)


def parse_hours_edit(text: str, branch: Branch) -> Edit | InputProblem:
    """`mon 09:00-20:00`, `sat closed`, or several: `mon-fri 09:00-20:00` / `sat, sun closed`."""
    found = _HOURS_INPUT_RE.fullmatch(text.strip().lower())
    if found is None:
        return InputProblem.HOURS
    days = _days(re.sub(r"\s", "", found.group("days")).rstrip(":"))
    if days is None:
        return InputProblem.HOURS
    value = found.group("value").strip()
    if value in CLOSED_WORDS:
        stored = CLOSED
    else:
        try:
            stored = _period_text(OpeningPeriod.parse(value.replace("–", "-").replace(" ", "")))
        except ValueError:
            return InputProblem.HOURS
    changes: dict[str, str | None] = {hours_key(branch.id, day): stored for day in days}
    old = ", ".join(f"{WEEKDAYS[day]} {_period_text(branch.hours.get(day))}" for day in days)
    new = ", ".join(f"{WEEKDAYS[day]} {stored}" for day in days)
    return Edit(EditKind.HOURS, changes, old=old, new=new)


RUSSIAN_WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def _day(name: str) -> int | None:
    for names in (WEEKDAYS, RUSSIAN_WEEKDAYS):
        if name in names:
            return names.index(name)
    return None


def _days(text: str) -> list[int] | None:
    days: list[int] = []
    for part in text.split(","):
        first_name, _, last_name = part.strip().partition("-")
        start = _day(first_name)
        end = _day(last_name) if last_name else start
        if start is None or end is None:
            return None
        if end < start:
            return None
        days.extend(range(start, end + 1))
    return sorted(set(days)) or None


def _period_text(period: OpeningPeriod | None) -> str:
    """As clinic.toml writes it: `09:00-20:00`, or `closed`."""
    return CLOSED if period is None else f"{period.start:%H:%M}-{period.end:%H:%M}"


def announcement_problem(text: str) -> InputProblem | None:
    if len(text) > MAX_ANNOUNCEMENT_LEN:
        return InputProblem.TOO_LONG
    return None


# --------------------------------------------------------------------------- applying


def apply_overrides(content: Content, overrides: Mapping[str, str]) -> Content:
    """The content patients see: the files' content with staff's overrides laid over it."""
    if not overrides:
        return content
    locales = {locale: _locale_with(local, overrides) for locale, local in content.locales.items()}
    announcements: dict[str, str] = {}
    for key, value in overrides.items():
        if key == ANNOUNCEMENT:
            announcements[""] = value
        elif key.startswith(f"{ANNOUNCEMENT}:"):
            announcements[key.split(":", 1)[1]] = value
    return replace(
        content,
        locales=MappingProxyType(locales),
        clinic=_clinic_with(content.clinic, overrides),
        announcements=MappingProxyType(announcements),
    )


def _locale_with(local: LocaleContent, overrides: Mapping[str, str]) -> LocaleContent:
    shown: list[Service] = []
    hidden: list[Service] = list(local.hidden_services)
    for service in local.services:
        changed = service
        price = overrides.get(price_key(service.id))
        if price is not None:
            if price.isdecimal() and 1 <= int(price) <= MAX_PRICE:
                changed = replace(changed, price_from=int(price))
            else:
                logger.warning("Ignoring the price override of %s: %r", service.id, price)
        name = overrides.get(name_key(local.locale, service.id))
        if name is not None:
            if name and len(name) <= MAX_TITLE_LEN and not any(c in "<>&\n" for c in name):
                short = name if len(name) <= MAX_SHORT_NAME_LEN else changed.short
                changed = replace(changed, name=name, short=short)
            else:
                logger.warning("Ignoring the name override of %s", service.id)
        (hidden if hidden_key(service.id) in overrides else shown).append(changed)
    return replace(local, services=tuple(shown), hidden_services=tuple(hidden))


def _clinic_with(clinic: ClinicDetails, overrides: Mapping[str, str]) -> ClinicDetails:
    branches: list[Branch] = []
    for branch in clinic.branches:
        changed = branch
        phone = overrides.get(phone_key(branch.id))
        if phone is not None:
            if _E164_RE.fullmatch(phone):
                changed = replace(changed, phone=phone)
            else:
                logger.warning("Ignoring the phone override of branch %s", branch.id)
        hours = dict(branch.hours)
        for day in range(7):
            value = overrides.get(hours_key(branch.id, day))
            if value is None:
                continue
            if value == CLOSED:
                hours.pop(day, None)
                continue
            try:
                hours[day] = OpeningPeriod.parse(value)
            except ValueError:
                logger.warning("Ignoring the hours override of branch %s", branch.id)
        if hours != dict(branch.hours):
            changed = replace(changed, hours=MappingProxyType(hours))
        branches.append(changed)
    return replace(clinic, branches=tuple(branches))


__all__ = [
    "Edit",
    "EditKind",
    "InputProblem",
    "announcement_key",
    "announcement_problem",
    "apply_overrides",
    "branch_keys",
    "hidden_key",
    "hours_key",
    "name_key",
    "parse_hours_edit",
    "parse_phone_edit",
    "parse_service_edit",
    "phone_key",
    "price_key",
    "service_keys",
]

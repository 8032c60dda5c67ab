"""Translations: Fluent `.ftl` files under `content/<locale>/`, one bundle per locale.

Every message may also use the shared parameters below (the clinic's legal details from
`content/clinic.toml`, the retention period), so a text such as the consent can name the clinic
without any handler passing it: `t("book-ask-consent", version=...)` is enough.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

from bot.content import ClinicDetails, load_clinic

FTL_NAME = "bot.ftl"
# Texts with parameters kept formatted, per locale (issue 16, item 5: bounded).
FORMATTED_CACHE_SIZE = 1024
KEPT_PARAMETERS = frozenset(
    {
        "amount",
        "average",
        "count",
        "current",
        "days",
        "intro",
        "language",
        "minutes",
        "page",
        "pages",
        "price",
        "rating",
        "retention_days",
        "service",
        "stars",
        "status",
        "title",
        "total",
        "version",
    }
)
"""Parameters that recur on many answers and never carry a person's data (counts, ratings,
the clinic's services and texts): only a text whose parameters are all among these is kept.
A name, a phone, a complaint or a patient's own words is formatted every time, so that no
erased patient's data stays in memory, and unique texts never push the recurring ones out."""
DEFAULT_RETENTION_DAYS = 365  # the default of the RETENTION_DAYS setting


def shared_params(
    clinic: ClinicDetails, retention_days: int, locale: str | None = None
) -> tuple[tuple[str, Any], ...]:
    """Parameters every message can use; a handler's own parameter of the same name wins.

    `clinic_name` is the clinic's name in `locale` (the `[name]` table of clinic.toml).

    A tuple of pairs, not a dict, so that a Translator stays hashable (keyboards are cached
    per translator).
    """
    return (
        ("clinic_name", clinic.name_for(locale)),
        ("clinic_legal_name", clinic.legal_name),
        ("clinic_legal_address", clinic.legal_address),
        ("retention_days", retention_days),
    )


# Values whose text depends on nothing but the value: a date or a Decimal may carry
# formatting options of Fluent's own types, so those are formatted every time. Not bool, and
# not float: True == 1 == 1.0 would share one kept text.
_CACHEABLE_TYPES = frozenset({str, int})


class TranslationError(Exception):
    """A broken or incomplete `.ftl` file; raised at start so it never reaches a patient."""


@dataclass(frozen=True, slots=True)
class Translator:
    """Formats the messages of one locale: `t("menu-prices")`."""

    locale: str
    bundle: FluentBundle
    shared: tuple[tuple[str, Any], ...] = ()
    # Messages without parameters never change: formatted once (most of a screen's texts).
    _plain: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Fluent spends ~100 µs on a text with parameters; the same call gives the same text
    # (see KEPT_PARAMETERS for which calls are kept).
    _formatted: OrderedDict[tuple[Any, ...], str] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )

    def __call__(self, key: str, /, **params: Any) -> str:
        if not params:
            # the shared parameters never change, so such a text is still formatted once
            plain = self._plain.get(key)
            if plain is None:
                plain = self._plain[key] = self._format(key, dict(self.shared))
            return plain
        if not all(
            name in KEPT_PARAMETERS and type(value) in _CACHEABLE_TYPES
            for name, value in params.items()
        ):
            return self._format(key, {**dict(self.shared), **params})
        cache_key = (key, *params.items())
        text = self._formatted.get(cache_key)
        if text is None:
            text = self._format(key, {**dict(self.shared), **params})
            self._formatted[cache_key] = text
            if len(self._formatted) > FORMATTED_CACHE_SIZE:
                self._formatted.popitem(last=False)
        else:
            self._formatted.move_to_end(cache_key)
        return text

    @property
    def texts_kept(self) -> int:
        """How many texts with parameters are kept formatted (at most FORMATTED_CACHE_SIZE)."""
        return len(self._formatted)

    def _format(self, key: str, params: dict[str, Any]) -> str:
        message = self.bundle.get_message(key)
        if message.value is None:
            raise KeyError(key)
        text, errors = self.bundle.format_pattern(message.value, params)
        if errors:
            raise TranslationError(f"{self.locale}/{key}: {errors[0]}")
        return str(text)


class Translations:
    """All locales, plus the rule that picks one for a new user."""

    def __init__(self, translators: Mapping[str, Translator], default_locale: str) -> None:
        if default_locale not in translators:
            raise TranslationError(f"default locale {default_locale!r} has no {FTL_NAME}")
        self._translators = dict(translators)
        self.default_locale = default_locale

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def get(self, locale: str | None) -> Translator:
        return self._translators.get(locale or "", self._translators[self.default_locale])

    def locale_for(self, language_code: str | None) -> str:
        """Telegram's language picks the first locale: Russian for `ru`, English otherwise."""
        if language_code and language_code.lower().split("-")[0] == "ru" and "ru" in self:
            return "ru"
        return "en" if "en" in self else self.default_locale

    def __contains__(self, locale: object) -> bool:
        return locale in self._translators

    def variants(self, key: str) -> frozenset[str]:
        """The text of `key` in every locale, to recognise a tapped reply-keyboard button."""
        return frozenset(translator(key) for translator in self._translators.values())


def _message_ids(resource: Any) -> set[str]:
    return {entry.id.name for entry in resource.body if hasattr(entry, "id") and entry.id}


def load_translations(
    directory: Path,
    locales: Iterable[str],
    default_locale: str,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> Translations:
    """Load and cross-check every locale: each must define exactly the same keys.

    Also reads `clinic.toml` from `directory` (ContentError if it is broken) for the shared
    parameters; `retention_days` should be the RETENTION_DAYS setting the bot runs with.
    """
    clinic = load_clinic(directory)
    translators: dict[str, Translator] = {}
    keys: dict[str, set[str]] = {}
    for locale in locales:
        path = directory / locale / FTL_NAME
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as error:
            raise TranslationError(f"{path}: {error.strerror}") from error
        resource: Any = FluentResource(source)
        junk = [entry for entry in resource.body if type(entry).__name__ == "Junk"]
        if junk:
            start = junk[0].span.start if junk[0].span else 0
            line = source.count("\n", 0, start) + 1
            raise TranslationError(f"{path}:{line}: syntax error in Fluent message")
        bundle = FluentBundle([locale], use_isolating=False)
        bundle.add_resource(resource)
        shared = shared_params(clinic, retention_days, locale)
        translators[locale] = Translator(locale, bundle, shared)
        keys[locale] = _message_ids(resource)
    reference_locale, reference = next(iter(keys.items()))
    for locale, ids in keys.items():
        missing = sorted(reference - ids)
        extra = sorted(ids - reference)
        if missing or extra:
            raise TranslationError(
                f"{directory / locale / FTL_NAME}: differs from {reference_locale}: "
                f"missing {missing}, extra {extra}"
            )
    return Translations(translators, default_locale)

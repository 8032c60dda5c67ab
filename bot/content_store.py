"""The content patients see now: the files (re-read by /reload and SIGHUP) plus staff's overrides.

Handlers keep taking `content` and `translations` as workflow data; `ContentMiddleware` puts
the store's current ones there for each update, so an update sees one consistent version
from start to end, and the next update sees a change at once (a patient mid-booking gets the
new price on their next step).

Several instances: each keeps its own store; a staff edit updates the database and the store
of the instance that handled it, and the others pick the change up with `OverridesRefresh`
(a periodic job) within its interval.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.content import Content, ContentError
from bot.i18n import TranslationError, Translations
from bot.services.overrides import apply_overrides
from storage.repositories import OverrideRepository

logger = logging.getLogger(__name__)

OVERRIDES_REFRESH_SECONDS = 30.0
"""How soon another instance shows a change made through this one (a staff edit)."""

TextsLoader = Callable[[], tuple[Content, Translations]]
"""Reads and validates content/ (raises ContentError or TranslationError)."""


class ContentStore:
    """The current content (files + overrides) and translations of one instance."""

    def __init__(
        self,
        files: Content,
        translations: Translations,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self._files = files
        self._translations = translations
        self._overrides: Mapping[str, str] = MappingProxyType(dict(overrides or {}))
        self._content = apply_overrides(files, self._overrides)

    @property
    def content(self) -> Content:
        return self._content

    @property
    def files(self) -> Content:
        """The content as the files have it, before any override (the values to reset to)."""
        return self._files

    @property
    def translations(self) -> Translations:
        return self._translations

    @property
    def overrides(self) -> Mapping[str, str]:
        return self._overrides

    def use_overrides(self, overrides: Mapping[str, str]) -> bool:
        """Lay these overrides over the files from now on; False if nothing changed."""
        if dict(overrides) == dict(self._overrides):
            return False
        self._overrides = MappingProxyType(dict(overrides))
        self._content = apply_overrides(self._files, self._overrides)
        return True

    def use_files(self, files: Content, translations: Translations) -> None:
        """New texts from content/ (validated by the caller); the overrides stay applied."""
        self._files = files
        self._translations = translations
        self._content = apply_overrides(files, self._overrides)


@dataclass(frozen=True, slots=True)
class ReloadFailure:
    """Why content/ was not taken: the file, the line if known, and what is wrong."""

    file: str
    line: int | None
    detail: str


async def reload_texts(store: ContentStore, load: TextsLoader) -> ReloadFailure | None:
    """Re-read content/; on any problem keep the texts in use and say what is wrong."""
    try:
        files, translations = load()
    except ContentError as error:
        logger.warning("Reload refused: %s", error)
        return ReloadFailure(error.file, error.line, error.detail)
    except TranslationError as error:
        logger.warning("Reload refused: %s", error)
        return ReloadFailure(*_translation_location(str(error)))
    store.use_files(files, translations)
    logger.info("Texts reloaded from content/")
    return None


def _translation_location(message: str) -> tuple[str, int | None, str]:
    """TranslationError says `<path>:<line>: <what>` or `<path>: <what>`."""
    where, _, detail = message.partition(": ")
    path, _, line = where.rpartition(":")
    if path and line.isdecimal():
        return _short_path(path), int(line), detail
    return _short_path(where), None, detail


def _short_path(path: str) -> str:
    """`.../content/en/bot.ftl` as `en/bot.ftl`, like ContentError names files."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else path


class OverridesRefresh:
    """One pass: read the overrides from the database into the store (a periodic job)."""

    def __init__(self, store: ContentStore, repository: OverrideRepository) -> None:
        self._store = store
        self._repository = repository

    async def run_once(self) -> bool:
        changed = self._store.use_overrides(await self._repository.all_overrides())
        if changed:
            logger.info("Staff's content overrides changed; now in use")
        return changed


class ContentMiddleware(BaseMiddleware):
    """Puts the store's current `content`, `translations` and `clinic_t` into handler data."""

    def __init__(self, default_locale: str) -> None:
        self._default_locale = default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        store: ContentStore = data["content_store"]
        data["content"] = store.content
        data["translations"] = store.translations
        data["clinic_t"] = store.translations.get(self._default_locale)
        return await handler(event, data)

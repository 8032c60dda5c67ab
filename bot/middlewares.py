"""Middlewares: the user's language for every update, and bans."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.i18n import Translations
from storage import Repository


class LocaleMiddleware(BaseMiddleware):
    """Puts `t` (the user's translator) and `locale` into handler data.

    A new user's language comes from Telegram and is stored at once, so that the choice
    stays the same even if Telegram's language setting changes later.
    """

    def __init__(self, repository: Repository, translations: Translations) -> None:
        self._repository = repository
        self._translations = translations

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        locale = self._translations.default_locale
        if user is not None and not user.is_bot:
            stored = await self._repository.get_user_locale(user.id)
            if stored in self._translations:
                locale = str(stored)
            else:
                locale = self._translations.locale_for(user.language_code)
                await self._repository.set_user_locale(user.id, locale)
        data["locale"] = locale
        data["t"] = self._translations.get(locale)
        return await handler(event, data)


class BanMiddleware(BaseMiddleware):
    """A banned patient's messages are ignored; an attempt to start a form is refused politely."""

    def __init__(self, translations: Translations) -> None:
        self._form_triggers = (
            translations.variants("menu-book")
            | translations.variants("menu-review")
            | {"/book", "/review"}
        )

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        repository: Repository = data["repository"]
        if user is None or _data_rights(event) or not await repository.is_banned(user.id):
            return await handler(event, data)
        t = data["t"]
        if isinstance(event, CallbackQuery):
            with contextlib.suppress(TelegramBadRequest):
                await event.answer(t("banned-refusal"), show_alert=True)
        elif isinstance(event, Message) and (event.text or "").split("@")[0] in self._form_triggers:
            await event.answer(t("banned-refusal"))
        return None


def _data_rights(event: TelegramObject) -> bool:
    """Seeing and erasing one's own data stays possible for everyone, banned or not."""
    if isinstance(event, Message):
        return (event.text or "").split("@")[0] in {"/mydata", "/forget"}
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith("fg:")
    return False

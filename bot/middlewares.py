"""Middlewares: the user's language for every update, bans, answers to button presses, and
the count of updates being handled (for a stop that waits for them).

Like handlers, they take their services from the workflow data (`patient_repo`,
`translations`), so one dispatcher's middlewares never hold another's objects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.callback_answer import CallbackAnswer, CallbackAnswerMiddleware

from bot.fsm import RepositoryStorage
from bot.i18n import Translations
from storage.repositories import PatientRepository

FORM_COMMANDS = frozenset({"/book", "/review"})
FORM_BUTTONS = ("menu-book", "menu-review")


class UpdatesInFlight(BaseMiddleware):
    """Counts the updates being handled, so that a stop can wait for them to finish.

    aiogram handles each polled update in a task of its own and does not wait for those
    tasks when polling stops; a webhook's updates are handled in the background too.
    Registered as the outermost update middleware, it sees every update from start to end.
    """

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        return self._running

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._running += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109 - a grace period
        """Until no update is being handled, at most `timeout` seconds; False if some still are."""
        # An update whose task was created just before the stop starts running first.
        await asyncio.sleep(0)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class LocaleMiddleware(BaseMiddleware):
    """Puts `t` (the user's translator) and `locale` into handler data.

    A new user's language comes from Telegram and is stored at once, so that the choice
    stays the same even if Telegram's language setting changes later.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        translations: Translations = data["translations"]
        patient_repo: PatientRepository = data["patient_repo"]
        user: User | None = data.get("event_from_user")
        locale = translations.default_locale
        if user is not None and not user.is_bot:
            profile = None
            storage = data.get("fsm_storage")
            if data.get("state") is not None and isinstance(storage, RepositoryStorage):
                # This update's state read brought the profile along: one read for both.
                profile = storage.profile_read_with_state(user.id)
            if profile is None:
                profile = await patient_repo.profile(user.id)
            # The ban middleware of the patients' router reads it from here: one read for both.
            data["patient_banned"] = profile.banned
            if profile.locale in translations:
                locale = str(profile.locale)
            else:
                locale = translations.locale_for(user.language_code)
                await patient_repo.set_user_locale(user.id, locale)
        data["locale"] = locale
        data["t"] = translations.get(locale)
        return await handler(event, data)


class BanMiddleware(BaseMiddleware):
    """A banned patient's messages are ignored; an attempt to start a form is refused politely."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        patient_repo: PatientRepository = data["patient_repo"]
        if user is None or _data_rights(event):
            return await handler(event, data)
        banned = data.get("patient_banned")
        if banned is None:
            banned = await patient_repo.is_banned(user.id)
        if not banned:
            return await handler(event, data)
        t = data["t"]
        if isinstance(event, CallbackQuery):
            with contextlib.suppress(TelegramBadRequest):
                await event.answer(t("banned-refusal"), show_alert=True)
        elif isinstance(event, Message) and _starts_form(event, data["translations"]):
            await event.answer(t("banned-refusal"))
        return None


def _starts_form(message: Message, translations: Translations) -> bool:
    text = (message.text or "").split("@")[0]
    return text in FORM_COMMANDS or any(text in translations.variants(key) for key in FORM_BUTTONS)


def _data_rights(event: TelegramObject) -> bool:
    """Seeing and erasing one's own data stays possible for everyone, banned or not."""
    if isinstance(event, Message):
        return (event.text or "").split("@")[0] in {"/mydata", "/forget"}
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith("fg:")
    return False


class CallbackAnswers(CallbackAnswerMiddleware):
    """aiogram's automatic answer to every handled button press, with one exception: when the
    handler fails, the error handler answers instead, with its apology as an alert.

    An answer Telegram refuses because it came too late ("query is too old") reaches the error
    handler, which counts it among the harmless refusals.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async def handle(event: TelegramObject, data: dict[str, Any]) -> Any:
            try:
                return await handler(event, data)
            except Exception:
                answer: CallbackAnswer | None = data.get("callback_answer")
                if answer is not None and not answer.answered:
                    answer.disable()
                raise

        return await super().__call__(handle, event, data)

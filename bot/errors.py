"""Handler errors: harmless Telegram refusals are ignored, the rest logged and apologised for."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import ErrorEvent

from bot.i18n import Translations

logger = logging.getLogger(__name__)

HARMLESS = (
    "message is not modified",  # the same button tapped twice
    "query is too old",  # a button answered after Telegram's time-out
    "query id is invalid",
    "message to edit not found",  # a button of a deleted message
    "message can't be edited",
)


def create_router(translations: Translations) -> Router:
    router = Router(name=__name__)

    @router.error()
    async def on_error(event: ErrorEvent) -> bool:
        error = event.exception
        if isinstance(error, TelegramBadRequest) and any(
            marker in error.message.lower() for marker in HARMLESS
        ):
            logger.debug("Ignored harmless Telegram answer: %s", error.message)
            return True
        logger.error(
            "Handler failed on update %s: %s",
            event.update.update_id,
            type(error).__name__,
            exc_info=error,
        )
        update = event.update
        user = update.event.from_user if hasattr(update.event, "from_user") else None
        language = getattr(user, "language_code", None)
        t = translations.get(translations.locale_for(language))
        with contextlib.suppress(TelegramAPIError):
            if update.callback_query is not None:
                await update.callback_query.answer(t("error-generic"), show_alert=True)
            elif update.message is not None:
                await update.message.answer(t("error-generic"))
        return True

    return router

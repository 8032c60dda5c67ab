"""Handler errors: harmless Telegram refusals are ignored, the rest logged and apologised for."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import ErrorEvent

from bot.i18n import Translator

logger = logging.getLogger(__name__)

HARMLESS = (
    "message is not modified",  # the same button tapped twice
    "query is too old",  # a button answered after Telegram's time-out
    "query id is invalid",
    "message to edit not found",  # a button of a deleted message
    "message can't be edited",
)


async def on_error(event: ErrorEvent, clinic_t: Translator, t: Translator | None = None) -> bool:
    error = event.exception
    callback = event.update.callback_query
    if isinstance(error, TelegramBadRequest) and any(
        marker in error.message.lower() for marker in HARMLESS
    ):
        logger.debug("Ignored harmless Telegram answer: %s", error.message)
        if callback is not None:
            # Stop the button's spinner, if Telegram still lets us.
            with contextlib.suppress(TelegramAPIError):
                await callback.answer()
        return True
    logger.error(
        "Handler failed on update %s: %s",
        event.update.update_id,
        type(error).__name__,
        exc_info=error,
    )
    # The user's chosen language when the failure came after it was known.
    translate = t or clinic_t
    with contextlib.suppress(TelegramAPIError):
        if callback is not None:
            await callback.answer(translate("error-generic"), show_alert=True)
        elif event.update.message is not None:
            await event.update.message.answer(translate("error-generic"))
    return True


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router

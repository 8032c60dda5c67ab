"""Short 429 waits handled for every Bot API call, so no handler has to think about them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

logger = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Waits out Telegram's `retry_after` and repeats the call, for short waits only.

    A long wait is passed on: the outbox reschedules its row instead of holding a handler.
    """

    def __init__(
        self,
        max_wait_seconds: float = 5.0,
        attempts: int = 2,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._max_wait = max_wait_seconds
        self._attempts = attempts
        self._sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self._attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self._attempts or error.retry_after > self._max_wait:
                    raise
                logger.info(
                    "Telegram asked to wait %s s before %s",
                    error.retry_after,
                    type(method).__name__,
                )
                await self._sleep(error.retry_after)
        raise AssertionError("unreachable")


class KeepResponseTypes(BaseRequestMiddleware):
    """Holds each Bot API method's `Response[T]` model for the life of the process.

    aiogram validates every answer with `Response[method.__returning__]`; pydantic keeps such
    parametrised models only weakly, so after a garbage collection the next answer builds the
    class again (schema, validator: ~3.7 ms instead of ~0.05 ms; docs/performance.md,
    "Upstream report"). Holding a reference here, through aiogram's request-middleware hook,
    keeps them built. The set is finite: one per method the bot calls.
    """

    def __init__(self) -> None:
        self._kept: dict[type[TelegramMethod[Any]], type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self._kept:
            self._kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)

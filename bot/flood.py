"""Flood protection: at most N updates per user in a window; one warning, then silence."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

if TYPE_CHECKING:
    from redis.asyncio import Redis


class Counter(Protocol):
    async def hit(self, user_id: int) -> int:
        """Count one update of the user in the current window; returns the count so far."""


MEMORY_COUNTER_USERS = 10_000
"""Users counted at most: the most recently active; a count of a past window is worth
nothing, and one that falls out restarts at 1 (only with this many users in one window)."""


class MemoryCounter:
    """Fixed windows per user in this process; enough for one bot instance."""

    def __init__(self, window_seconds: float, *, max_users: int = MEMORY_COUNTER_USERS) -> None:
        self._window = window_seconds
        self._max_users = max_users
        # (window, count) per user, least recently counted first.
        self._counts: OrderedDict[int, tuple[int, int]] = OrderedDict()

    @property
    def users_counted(self) -> int:
        """How many users are counted."""
        return len(self._counts)

    async def hit(self, user_id: int) -> int:
        window = int(time.monotonic() // self._window)
        previous_window, count = self._counts.get(user_id, (window, 0))
        count = count + 1 if previous_window == window else 1
        self._counts[user_id] = (window, count)
        self._counts.move_to_end(user_id)
        while len(self._counts) > self._max_users:
            self._counts.popitem(last=False)
        return count


class RedisCounter:
    """The same windows in Redis, shared by every bot instance."""

    def __init__(self, redis: Redis, window_seconds: float, prefix: str = "clinic:flood") -> None:
        self._redis = redis
        self._window = window_seconds
        self._prefix = prefix

    async def hit(self, user_id: int) -> int:
        window = int(time.time() // self._window)
        key = f"{self._prefix}:{user_id}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, max(1, int(self._window * 2)))
            count, _ = await pipe.execute()
        return int(count)


class FloodMiddleware(BaseMiddleware):
    """Drops a user's updates past the limit; the first dropped one gets a polite answer."""

    def __init__(self, counter: Counter, limit: int) -> None:
        self._counter = counter
        self._limit = limit

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        count = await self._counter.hit(user.id)
        if count <= self._limit:
            return await handler(event, data)
        if count == self._limit + 1:
            t = data.get("t")
            text = t("flood-slow-down") if t is not None else "Too many messages."
            if isinstance(event, (Message, CallbackQuery)):
                await event.answer(text)
        return None

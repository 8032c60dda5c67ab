"""Delivery of stored cards to the manager chat.

Requests and reviews are written together with their outbox row, so a card exists as long
as its request does; this sender only moves rows from "pending" to "sent". Delivery is
at-least-once: a crash between Telegram's answer and marking the row sent repeats the card.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from storage import Repository
from storage.models import PendingMessage
from storage.sqlite import Clock, utc_now

logger = logging.getLogger(__name__)

GROUP_MESSAGES_PER_MINUTE = 20  # Telegram's limit for one group
BATCH = 50


class OutboxSender:
    """A background task that drains the outbox in order, pacing and retrying as needed."""

    def __init__(
        self,
        repository: Repository,
        *,
        poll_seconds: float = 5.0,
        retry_base_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
        per_chat_per_minute: int = GROUP_MESSAGES_PER_MINUTE,
        clock: Clock = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._repository = repository
        self._poll_seconds = poll_seconds
        self._retry_base = retry_base_seconds
        self._max_backoff = max_backoff_seconds
        self._per_chat = per_chat_per_minute
        self._clock = clock
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sent_at: defaultdict[int, deque[float]] = defaultdict(deque)
        self._last_logged_error: str | None = None

    def wake(self) -> None:
        """Called after a new row is written, so it goes out now rather than at the next poll."""
        self._wake.set()

    def start(self, bot: Bot) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(bot), name="outbox-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, bot: Bot) -> None:
        while True:
            try:
                await self.deliver_due(bot)
                delay = await self._idle_delay()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Outbox pass failed; retrying")
                delay = self._poll_seconds
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _idle_delay(self) -> float:
        next_attempt = await self._repository.next_outbox_attempt()
        if next_attempt is None:
            return self._poll_seconds
        seconds = (next_attempt - self._clock()).total_seconds()
        return min(max(seconds, 0.0), self._poll_seconds)

    async def deliver_due(self, bot: Bot) -> int:
        """Send every due row in order; stop at the first failure so the chat keeps order."""
        sent = 0
        while True:
            batch = await self._repository.due_outbox(self._clock(), BATCH)
            if not batch:
                return sent
            for pending in batch:
                if not await self._deliver(bot, pending):
                    return sent
                sent += 1

    async def _deliver(self, bot: Bot, pending: PendingMessage) -> bool:
        message = pending.message
        await self._pace(message.chat_id)
        markup = (
            InlineKeyboardMarkup.model_validate_json(message.reply_markup)
            if message.reply_markup
            else None
        )
        try:
            result = await bot.send_message(
                message.chat_id,
                message.text,
                message_thread_id=message.thread_id,
                reply_markup=markup,
            )
        except TelegramRetryAfter as error:
            await self._postpone(
                pending, f"429 retry after {error.retry_after}s", error.retry_after
            )
            return False
        except (TelegramNetworkError, TelegramServerError) as error:
            await self._postpone(pending, f"{type(error).__name__}: {error.message}", None)
            return False
        except TelegramAPIError as error:
            # The chat is missing, the bot was removed, or the card is refused: staff must act,
            # and retrying slowly lets delivery resume by itself once they have.
            await self._postpone(pending, f"{type(error).__name__}: {error.message}", None)
            return False
        self._sent_at[message.chat_id].append(time.monotonic())
        await self._repository.mark_outbox_sent(pending.id, result.message_id)
        if self._last_logged_error is not None:
            logger.info("Manager chat reachable again; outbox delivery resumed")
            self._last_logged_error = None
        logger.info("Delivered %s card %d to the manager chat", message.kind, message.ref_id)
        return True

    async def _postpone(
        self, pending: PendingMessage, error: str, retry_after: float | None
    ) -> None:
        if retry_after is None:
            delay = min(self._retry_base * 2**pending.attempts, self._max_backoff)
        else:
            delay = float(retry_after)
        next_attempt = self._clock() + timedelta(seconds=delay)
        await self._repository.mark_outbox_failed(pending.id, error, next_attempt)
        if error != self._last_logged_error:
            # Logged once per kind of failure, not once per retry.
            logger.warning("Manager chat delivery failed (%s); retrying in %.0f s", error, delay)
            self._last_logged_error = error

    async def _pace(self, chat_id: int) -> None:
        """Stay under Telegram's per-group limit: at most N messages in any 60 seconds."""
        window = self._sent_at[chat_id]
        while True:
            now = time.monotonic()
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) < self._per_chat:
                return
            await self._sleep(60 - (now - window[0]))

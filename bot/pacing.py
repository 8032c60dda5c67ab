"""Telegram's send limits kept for every message the bot sends, whoever sends it.

Telegram allows about 20 messages a minute into one group and 30 a second overall, and
answers a 429 beyond that. The manager chat receives cards from the outbox, but also
delivery confirmations, alerts, erasure notices and answers to staff commands; counting
only some of them lets the others push the chat over the limit. So the pace is kept in
the session, below every sender: each request that posts a message waits for a slot first.

The manager chat's slots are taken in the database (a send log), so its limit holds for all
bot processes together and across a restart. The overall limit is kept in the process: it
is met many times a second, and a database write per message to a patient would cost more
than the message (with several instances, each keeps 30 a second of its own). A chat's
window is counted a little longer than Telegram's, so that the clocks of the bot, the
database and Telegram may differ a little without Telegram ever having to refuse one.

A post counts towards the overall limit from the moment it takes its slot until a second
after Telegram answered it: Telegram counts it when the request arrives, which, on a busy
process or a slow network, may be well after the slot was taken; counted from the slot,
posts that left late arrived together with the next second's and drew 429s. Counted so, no
second of Telegram's can hold more posts than the bot let go in one of its own, and the
window needs no margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    CopyMessage,
    CopyMessages,
    CreateForumTopic,
    ForwardMessage,
    ForwardMessages,
    Response,
    SendAnimation,
    SendAudio,
    SendContact,
    SendDice,
    SendDocument,
    SendGame,
    SendInvoice,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPaidMedia,
    SendPhoto,
    SendPoll,
    SendSticker,
    SendVenue,
    SendVideo,
    SendVideoNote,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

SlotReserver = Callable[[int, int, float], Awaitable[float]]
"""`reserve_send_slot(chat_id, limit, window_seconds)` of a repository: takes a slot among
`limit` sends per `window_seconds` into `chat_id` and returns 0, or returns how many seconds
to wait before asking again."""

Sleep = Callable[[float], Awaitable[None]]

# Methods that post a message into a chat (a new forum topic posts a service message too).
# Edits, deletions, chat actions and answers to callback queries post nothing new.
POSTING_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    SendMessage,
    CopyMessage,
    ForwardMessage,
    SendPhoto,
    SendDocument,
    SendAudio,
    SendVideo,
    SendAnimation,
    SendVoice,
    SendVideoNote,
    SendSticker,
    SendVenue,
    SendLocation,
    SendContact,
    SendPoll,
    SendDice,
    SendInvoice,
    SendGame,
    SendPaidMedia,
    CreateForumTopic,
)
# These post one message per item.
MULTI_POSTING_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    SendMediaGroup,
    CopyMessages,
    ForwardMessages,
)


OVERALL_WINDOW_SECONDS = 1.0
"""The overall limit's window, counted from Telegram's answers (see the module's note)."""


@dataclass(frozen=True, slots=True)
class SendPace:
    """Telegram's limits, and how much longer than Telegram's the bot counts a chat's window
    (the overall one is counted from Telegram's answers instead, `OVERALL_WINDOW_SECONDS`)."""

    per_chat_limit: int = 20
    per_chat_window_seconds: float = 60.0
    overall_per_second: int = 30
    # A tenth of Telegram's window for a chat: 6 s of a minute, far beyond any clock
    # difference or network delay, at the cost of two messages a minute fewer at most.
    margin: float = 0.1


def messages_posted(method: TelegramMethod[Any]) -> int:
    """How many messages the request posts into its chat (0 for edits and the like)."""
    if isinstance(method, POSTING_METHODS):
        return 1
    if isinstance(method, SendMediaGroup):
        return len(method.media)
    if isinstance(method, CopyMessages | ForwardMessages):
        return len(method.message_ids)
    return 0


class SendPacingMiddleware(BaseRequestMiddleware):
    """Holds every message-posting request until Telegram's limits leave room for it.

    Every post waits for a slot under the overall limit; a post into the manager chat also
    waits for one under the group limit. Requests into other groups are not paced per chat:
    the bot writes only into the manager chat and private chats (one message per patient
    action, far below a chat's limit).
    """

    def __init__(
        self,
        reserve_slot: SlotReserver,
        manager_chat_id: int,
        pace: SendPace | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reserve_slot = reserve_slot
        self._manager_chat_id = manager_chat_id
        self._pace = pace or SendPace()
        self._sleep = sleep
        self._monotonic = monotonic
        # When Telegram answered this process's latest posts (oldest first), and how many
        # posts are on their way: both take a slot of the overall limit.
        self._overall: deque[float] = deque()
        self._in_flight = 0
        # Posts to patients queue for the overall limit in arrival order (asyncio.Lock is
        # first come, first served): without a line, whoever happened to wake first took a
        # freed slot, and a waiter could lose again and again under load.
        self._line = asyncio.Lock()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        posts = messages_posted(method)
        into_manager_chat = getattr(method, "chat_id", None) == self._manager_chat_id
        async with contextlib.AsyncExitStack() as slots:
            for _ in range(posts):
                await slots.enter_async_context(self.slot(into_manager_chat=into_manager_chat))
            return await make_request(bot, method)

    @contextlib.asynccontextmanager
    async def slot(self, *, into_manager_chat: bool) -> AsyncIterator[None]:
        """A slot for one message, held while it is posted: it frees up a window after
        Telegram answered."""
        await self._wait_for_slot(into_manager_chat=into_manager_chat)
        try:
            yield
        finally:
            self._in_flight -= 1
            self._overall.append(self._monotonic())

    async def _wait_for_slot(self, *, into_manager_chat: bool) -> None:
        """Take a slot for one message, waiting as long as the limits ask."""
        pace = self._pace
        stretch = 1.0 + pace.margin
        if not into_manager_chat:
            async with self._line:
                await self._overall_slot(pace.overall_per_second, OVERALL_WINDOW_SECONDS)
            return
        await self._take(
            self._manager_chat_id,
            pace.per_chat_limit,
            pace.per_chat_window_seconds * stretch,
        )
        # Ahead of the patients' line: at most 20 a minute, so it cannot starve them, and the
        # clinic keeps seeing requests while hundreds of patients' answers wait for the pace.
        await self._overall_slot(pace.overall_per_second, OVERALL_WINDOW_SECONDS)

    async def _overall_slot(self, limit: int, window_seconds: float) -> None:
        while (wait := self._overall_wait(limit, window_seconds)) > 0:
            await self._sleep(wait)

    async def _take(self, key: int, limit: int, window_seconds: float) -> None:
        while (wait := await self._reserve_slot(key, limit, window_seconds)) > 0:
            await self._sleep(wait)

    def _overall_wait(self, limit: int, window_seconds: float) -> float:
        """Take a slot among `limit` posts per `window_seconds` of this process, or say how
        long to wait for one (a monotonic clock: a wall clock stepped back stalls nothing)."""
        now = self._monotonic()
        while self._overall and self._overall[0] <= now - window_seconds:
            self._overall.popleft()
        if len(self._overall) + self._in_flight < limit:
            self._in_flight += 1
            return 0.0
        if not self._overall:
            # Every slot is on its way to Telegram: look again after a slot's share.
            return window_seconds / limit
        return self._overall[0] + window_seconds - now

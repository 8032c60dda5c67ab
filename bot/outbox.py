"""Delivery of stored messages to the manager chat.

Requests, reviews and patients' messages are written together with their outbox row, so a
card exists as long as its request does; this sender only moves rows from "pending" to
"sent". Delivery is at-least-once: a crash between Telegram's answer and marking the row
sent repeats that one message after the restart, and never drops one. Short of a crash, a
card Telegram accepted is never posted again: marking it sent is retried until it succeeds.

The pace of the manager chat is not kept here but in the session (`bot.pacing`), which
counts every message the bot posts there, cards and everything else alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import html as html_module
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, ReplyParameters

from bot.clock import Clock, utc_now
from bot.digests import DigestLine, DigestPolicy, DigestRenderer
from bot.pacing import SendPace
from storage.models import OutboxMessage, PendingMessage
from storage.repositories import ConversationRepository, OutboxRepository, PatientRepository

logger = logging.getLogger(__name__)

BATCH = 50
# How long a stop waits for the message in flight to be recorded before cancelling anyway.
STOP_GRACE_SECONDS = 10.0
# The longest pause between two attempts to record a card as sent: well inside a stop's
# grace and inside the lease under which no other instance may take the row.
MARK_SENT_MAX_BACKOFF_SECONDS = 5.0
TOPIC_GONE_MARKERS = ("message thread not found", "topic_deleted", "topic_id_invalid")


@dataclass(frozen=True, slots=True)
class OutboxTiming:
    """Retry and pacing parameters; tests shrink them to compress minutes into seconds.

    The pacing fields are applied by the session's `SendPacingMiddleware` (see `pace`),
    not by the sender, so that every message into the manager chat counts once.
    """

    poll_seconds: float = 5.0
    retry_base_seconds: float = 1.0
    max_backoff_seconds: float = 300.0
    # Telegram allows about 20 messages a minute into one group and 30 a second overall.
    per_chat_limit: int = 20
    per_chat_window_seconds: float = 60.0
    overall_per_second: int = 30
    # How much longer than Telegram's the bot counts its windows (see `SendPace.margin`).
    pace_margin: float = 0.1

    @property
    def pace(self) -> SendPace:
        return SendPace(
            per_chat_limit=self.per_chat_limit,
            per_chat_window_seconds=self.per_chat_window_seconds,
            overall_per_second=self.overall_per_second,
            margin=self.pace_margin,
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to do with the requests at the head of the queue: wait this long and look
    again, post this many of them as one digest, or (neither) post the first as a card."""

    wait: float = 0.0
    digest: int = 0


def _request_run(batch: Sequence[PendingMessage], start: int) -> list[PendingMessage]:
    """The request cards waiting in a row from `start`, into one chat and thread: what a
    digest may list without changing the order of anything else."""
    run: list[PendingMessage] = []
    for pending in batch[start:]:
        message = pending.message
        first = run[0].message if run else message
        if (
            message.kind != "request"
            or message.copy_chat_id is not None
            or message.thread_under_patient
            or (message.chat_id, message.thread_id) != (first.chat_id, first.thread_id)
        ):
            break
        run.append(pending)
    return run


class _StopRequestedError(Exception):
    """Raised instead of starting a request to Telegram once a stop was asked for."""


Alert = Callable[[Bot, str, int], Awaitable[None]]
"""Tells staff privately that the manager chat refuses messages: (bot, error, pending)."""


class OutboxSender:
    """A background task that drains the outbox in order, retrying as needed.

    The bot's session must pace it (`bot.pacing.SendPacingMiddleware`): the sender posts
    as fast as the session lets it.
    """

    def __init__(
        self,
        outbox_repo: OutboxRepository,
        patient_repo: PatientRepository,
        conversation_repo: ConversationRepository,
        *,
        timing: OutboxTiming | None = None,
        topics: bool = False,
        topic_title: Callable[[str, int], str] = lambda name, user_id: f"{name} · {user_id}",
        alert: Alert | None = None,
        on_error: Callable[[str], None] | None = None,
        on_patient_gone: Callable[[int], Awaitable[object]] | None = None,
        clock: Clock = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        digest: DigestRenderer | None = None,
        digest_policy: DigestPolicy | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox_repo
        self._patients = patient_repo
        self._conversations = conversation_repo
        self._timing = timing or OutboxTiming()
        self._topics = topics
        self._topic_title = topic_title
        self._alert = alert
        self._on_patient_gone = on_patient_gone
        self._on_error = on_error
        self._clock = clock
        self._sleep = sleep
        # Digests are for one busy chat; with a topic per patient each card has its place.
        self._digest = None if topics else digest
        self._digest_policy = digest_policy or DigestPolicy()
        self._monotonic = monotonic
        self._last_post: float | None = None  # when this sender last posted, monotonic
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing_since_error: str | None = None
        self._alerted = False
        self._stopping = False
        # Clear from the moment a request to Telegram starts until its outcome is stored.
        self._settled = asyncio.Event()
        self._settled.set()

    def wake(self) -> None:
        """Called after a new row is written, so it goes out now rather than at the next poll."""
        self._wake.set()

    def start(self, bot: Bot) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(bot), name="outbox-sender")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop once the message in flight, if any, is recorded as sent or failed.

        Cancelling between Telegram's answer and marking the row would post that card again
        after the restart, and the first copy would be linked to no patient.
        """
        if self._task is None:
            return
        self._stopping = True
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), timeout=grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        finally:
            self._task = None
            self._stopping = False

    async def _run(self, bot: Bot) -> None:
        while True:
            try:
                await self.deliver_due(bot)
                delay = await self._idle_delay()
            except _StopRequestedError:
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Outbox pass failed; retrying")
                delay = self._timing.poll_seconds
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _idle_delay(self) -> float:
        next_attempt = await self._outbox.next_outbox_attempt()
        if next_attempt is None:
            return self._timing.poll_seconds
        seconds = (next_attempt - self._clock()).total_seconds()
        return min(max(seconds, 0.0), self._timing.poll_seconds)

    async def deliver_due(self, bot: Bot) -> int:
        """Send every due row in order; stop at the first failure so the chat keeps order.

        A backlog of request cards goes as digests (`bot.digests`); returns how many rows
        were delivered, each row of a digest counting once.
        """
        sent = 0
        while True:
            batch = await self._outbox.due_outbox(self._clock(), BATCH)
            if not batch:
                return sent
            index = 0
            while index < len(batch):
                run = _request_run(batch, index) if self._digest is not None else []
                plan = await self._plan(run) if run else _Plan()
                if plan.wait > 0:
                    # Claim again after the pause: requests that came meanwhile join in.
                    await self._sleep(plan.wait)
                    break
                delivered = plan.digest if plan.digest > 1 else 1
                if plan.digest > 1:
                    ok = await self._deliver(bot, run[0], digest=run[: plan.digest])
                else:
                    ok = await self._deliver(bot, batch[index])
                if not ok:
                    return sent
                sent += delivered
                index += delivered

    async def _plan(self, run: Sequence[PendingMessage]) -> _Plan:
        """Cards while the chat's pace posts them within the policy's horizon; else digests.

        Reads the manager chat's window (all instances' sends, `send_window`). A window that
        refills slower than the horizon (Telegram's minute) keeps a reserve of sends for
        digests: spending the last ones on single cards would leave a burst that follows
        waiting a whole minute.
        """
        policy = self._digest_policy
        pace = self._timing.pace
        window = pace.per_chat_window_seconds * (1.0 + pace.margin)
        free, frees_in = await self._outbox.send_window(
            run[0].message.chat_id, pace.per_chat_limit, window
        )
        slow = window > policy.horizon_seconds
        reserve = policy.reserve if slow else 0
        # What the chat takes within the horizon: the sends free now and those freed by then.
        capacity = free + pace.per_chat_limit * policy.horizon_seconds / window - reserve
        if len(run) <= capacity and (not slow or free > reserve):
            return _Plan()
        if free <= 0:
            # Nothing can go now; what waits once a send frees up goes together.
            return _Plan(wait=max(frees_in, 0.05))
        if len(run) >= policy.size:
            return _Plan(digest=policy.size)
        if len(run) > capacity:
            return _Plan(digest=len(run) if len(run) > 1 else 0)
        # The reserve is reached: a lone request waits one pace interval for company.
        interval = window / pace.per_chat_limit
        since_last = interval if self._last_post is None else self._monotonic() - self._last_post
        if since_last < interval:
            return _Plan(wait=interval - since_last)
        return _Plan(digest=len(run) if len(run) > 1 else 0)

    async def refresh_digests(self, bot: Bot, request_ids: Sequence[int]) -> None:
        """Show again, from the stored rows, the digests that list these requests: after an
        erasure their lines say so instead of the patient's name and phone (an edit: it
        posts nothing, and takes nothing of the chat's pace)."""
        if self._digest is None or not request_ids:
            return
        for chat_id, message_id in await self._outbox.digests_listing(request_ids):
            rows = await self._outbox.digest_rows(chat_id, message_id)
            requests = await self._outbox.digest_requests([ref_id for _, ref_id in rows])
            if len(requests) != len(rows):
                continue
            text, markup = self._digest(
                [
                    DigestLine(outbox_id, request)
                    for (outbox_id, _), request in zip(rows, requests, strict=True)
                ]
            )
            try:
                await bot.edit_message_text(
                    text=text,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=InlineKeyboardMarkup.model_validate_json(markup),
                )
            except TelegramAPIError as error:
                logger.warning("Could not show a digest without erased data: %s", error.message)

    def _begin_request(self) -> None:
        """Called right before a request whose outcome must be stored; refused when stopping."""
        if self._stopping:
            raise _StopRequestedError
        self._settled.clear()

    async def _deliver(
        self, bot: Bot, pending: PendingMessage, digest: Sequence[PendingMessage] = ()
    ) -> bool:
        try:
            if digest:
                message = await self._digest_message(digest)
                if message is not None:
                    return await self._attempt(bot, pending, message, digest)
            return await self._attempt(bot, pending, pending.message, ())
        finally:
            self._settled.set()

    async def _digest_message(self, rows: Sequence[PendingMessage]) -> OutboxMessage | None:
        """The digest listing `rows` (None if one of their requests is gone: each row then
        goes as its card, as without a backlog)."""
        assert self._digest is not None
        requests = await self._outbox.digest_requests([row.message.ref_id for row in rows])
        if len(requests) != len(rows):
            return None
        text, markup = self._digest(
            [DigestLine(row.id, request) for row, request in zip(rows, requests, strict=True)]
        )
        first = rows[0].message
        return OutboxMessage(
            kind="digest",
            ref_id=first.ref_id,
            chat_id=first.chat_id,
            thread_id=first.thread_id,
            text=text,
            reply_markup=markup,
        )

    async def _attempt(
        self,
        bot: Bot,
        pending: PendingMessage,
        message: OutboxMessage,
        digest: Sequence[PendingMessage],
    ) -> bool:
        """Post `message` (the row's own, or the digest that lists `digest`, `pending` first)
        and record it; a failure postpones `pending`, which holds the rows behind it."""
        try:
            message_id = await self._send(bot, message)
        except TelegramRetryAfter as error:
            self._count_error(error)
            await self._postpone(
                bot,
                pending,
                f"429 Too Many Requests, retry after {error.retry_after} s",
                float(error.retry_after),
                permanent=False,
            )
            return False
        except (TelegramNetworkError, TelegramServerError) as error:
            self._count_error(error)
            await self._postpone(bot, pending, _describe(error), None, permanent=False)
            return False
        except TelegramForbiddenError as error:
            self._count_error(error)
            if message.chat_id <= 0:  # the manager chat: staff must act
                await self._postpone(bot, pending, _describe(error), None, permanent=True)
                return False
            # A patient who blocked the bot (the visit loop writes to patients): the message
            # is dropped, not retried, nothing behind it waits, and nothing more is planned.
            reason = _describe(error)
            await self._until_recorded(
                f"{message.kind} {message.ref_id} as undeliverable",
                lambda: self._outbox.mark_outbox_dropped(pending.id, reason),
            )
            if self._on_patient_gone is not None:
                await self._on_patient_gone(message.chat_id)
            return True
        except TelegramBadRequest as error:
            self._count_error(error)
            if _chat_level(error):
                await self._postpone(bot, pending, _describe(error), None, permanent=True)
                return False
            # This one message is refused (a patient's photo deleted meanwhile, markup
            # Telegram rejects): deliver its content in a simpler form rather than let it
            # block every card behind it.
            logger.warning(
                "Manager chat refused a %s (%s); sending it plainly", message.kind, error.message
            )
            try:
                message_id = await self._send(bot, _plain(message))
            except TelegramAPIError as second:
                self._count_error(second)
                await self._postpone(bot, pending, _describe(second), None, permanent=True)
                return False
        except TelegramAPIError as error:
            # The chat is missing or the bot was removed: staff must act, and retrying
            # slowly lets delivery resume by itself once they have.
            self._count_error(error)
            await self._postpone(bot, pending, _describe(error), None, permanent=True)
            return False
        self._last_post = self._monotonic()
        if digest:
            listed = [row.id for row in digest]
            await self._until_recorded(
                f"a digest of {len(listed)} requests from {message.ref_id} as sent",
                lambda: self._outbox.mark_outbox_digested(listed, message_id),
            )
        else:
            await self._until_recorded(
                f"{message.kind} {message.ref_id} as sent",
                lambda: self._outbox.mark_outbox_sent(pending.id, message_id),
            )
        if self._failing_since_error is not None:
            logger.info("Manager chat reachable again; outbox delivery resumed")
            self._failing_since_error = None
            self._alerted = False
        if digest:
            logger.info("Delivered a digest of %d requests to the manager chat", len(digest))
        else:
            logger.info("Delivered %s %d to the manager chat", message.kind, message.ref_id)
        return True

    async def _send(self, bot: Bot, message: OutboxMessage) -> int:
        thread_id = message.thread_id
        if self._topics and message.patient_id is not None:
            thread_id = await self._topic(bot, message)
        try:
            return await self._send_once(bot, message, thread_id)
        except TelegramBadRequest as error:
            gone = any(marker in error.message.lower() for marker in TOPIC_GONE_MARKERS)
            if not (self._topics and message.patient_id is not None and gone):
                raise
            # A manager deleted the patient's topic: open a new one and post there.
            logger.info("Patient topic is gone; creating it again")
            await self._patients.set_patient_topic(message.patient_id, None)
            return await self._send_once(bot, message, await self._topic(bot, message))

    async def _topic(self, bot: Bot, message: OutboxMessage) -> int:
        assert message.patient_id is not None
        topic_id, name = await self._patients.patient_topic(message.patient_id)
        if topic_id is not None:
            return topic_id
        self._begin_request()
        topic = await bot.create_forum_topic(
            message.chat_id, self._topic_title(name or "?", message.patient_id)[:128]
        )
        patient_id = message.patient_id
        # The topic exists now: losing it here would open a second one for the patient.
        await self._until_recorded(
            f"the topic of {message.kind} {message.ref_id}",
            lambda: self._patients.set_patient_topic(patient_id, topic.message_thread_id),
        )
        return topic.message_thread_id

    async def _send_once(self, bot: Bot, message: OutboxMessage, thread_id: int | None) -> int:
        reply = None
        if message.reply_to_message_id is not None:
            reply = ReplyParameters(
                message_id=message.reply_to_message_id, allow_sending_without_reply=True
            )
        elif message.thread_under_patient and message.patient_id is not None:
            # A patient's question belongs under their request, never under a review.
            latest = await self._conversations.latest_manager_message(
                message.patient_id, message.chat_id, kind="request"
            )
            if latest is not None:
                reply = ReplyParameters(
                    message_id=latest.message_id, allow_sending_without_reply=True
                )
        markup = (
            InlineKeyboardMarkup.model_validate_json(message.reply_markup)
            if message.reply_markup
            else None
        )
        self._begin_request()
        if message.copy_chat_id is not None and message.copy_message_id is not None:
            copied = await bot.copy_message(
                message.chat_id,
                from_chat_id=message.copy_chat_id,
                message_id=message.copy_message_id,
                caption=message.text,
                message_thread_id=thread_id,
                reply_parameters=reply,
                reply_markup=markup,
            )
            return copied.message_id
        sent = await bot.send_message(
            message.chat_id,
            message.text,
            message_thread_id=thread_id,
            reply_parameters=reply,
            reply_markup=markup,
        )
        return sent.message_id

    async def _until_recorded(self, what: str, write: Callable[[], Awaitable[None]]) -> None:
        """Store the outcome of a request Telegram carried out, however long the database
        takes to accept it (a lock held past busy_timeout, a failover).

        Giving up would repeat the request: a card posted twice, the first copy linked to no
        patient. A stop waits for this within its grace.
        """
        failures = 0
        while True:
            try:
                await write()
                return
            except Exception as error:
                delay = min(
                    self._timing.retry_base_seconds * 2**failures,
                    self._timing.max_backoff_seconds,
                    MARK_SENT_MAX_BACKOFF_SECONDS,
                )
                failures += 1
                # The error's type only: a database's detail may quote the row's values.
                logger.warning(
                    "Could not record %s (%s); retrying in %.1f s",
                    what,
                    type(error).__name__,
                    delay,
                )
                await self._sleep(delay)

    def _count_error(self, error: TelegramAPIError) -> None:
        if self._on_error is not None:
            self._on_error(error_code(error))

    async def _postpone(
        self,
        bot: Bot,
        pending: PendingMessage,
        error: str,
        retry_after: float | None,
        *,
        permanent: bool,
    ) -> None:
        if retry_after is None:
            delay = min(
                self._timing.retry_base_seconds * 2**pending.attempts,
                self._timing.max_backoff_seconds,
            )
        else:
            delay = retry_after
        await self._outbox.mark_outbox_failed(
            pending.id, error, self._clock() + timedelta(seconds=delay)
        )
        if error != self._failing_since_error:
            # Logged once per kind of failure, not once per retry.
            logger.warning("Manager chat delivery failed (%s); retrying in %.1f s", error, delay)
            self._failing_since_error = error
        if permanent and not self._alerted and self._alert is not None:
            self._alerted = True
            count = await self._outbox.pending_outbox_count()
            try:
                await self._alert(bot, error, count)
            except TelegramAPIError as alert_error:
                logger.warning("Could not alert staff: %s", alert_error.message)


CHAT_LEVEL_MARKERS = (
    "chat not found",
    "bot was kicked",
    "bot is not a member",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "group chat was upgraded",
    "chat_write_forbidden",
    "topic_closed",
)


def _chat_level(error: TelegramBadRequest) -> bool:
    """Whether the error is about the manager chat itself rather than this one message."""
    text = error.message.lower()
    return any(marker in text for marker in CHAT_LEVEL_MARKERS)


def _plain(message: OutboxMessage) -> OutboxMessage:
    """The message as text only: a copy becomes its caption, HTML is shown as typed."""
    if message.copy_chat_id is not None:
        return replace(message, copy_chat_id=None, copy_message_id=None)
    return replace(message, text=_strip_tags(message.text), reply_markup=message.reply_markup)


def _strip_tags(text: str) -> str:
    return html_module.escape(
        re.sub(r"<[^>]+>", "", text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&"),
        quote=False,
    )


def error_code(error: TelegramAPIError) -> str:
    """Telegram's error class as a metrics label: the HTTP code, or "network"."""
    codes: tuple[tuple[type[TelegramAPIError], str], ...] = (
        (TelegramRetryAfter, "429"),
        (TelegramForbiddenError, "403"),
        (TelegramNotFound, "404"),
        (TelegramConflictError, "409"),
        (TelegramBadRequest, "400"),
        (TelegramServerError, "5xx"),
        (TelegramNetworkError, "network"),
    )
    return next((code for kind, code in codes if isinstance(error, kind)), "other")


def _describe(error: TelegramAPIError) -> str:
    return f"{type(error).__name__}: {error.message}"


async def alert_admins(bot: Bot, admin_ids: Sequence[int], text: str) -> None:
    """Send an alert privately to each admin; one who never opened the bot is skipped."""
    for admin_id in admin_ids:
        try:
            await bot.send_message(admin_id, text)
        except TelegramAPIError as error:
            logger.warning("Could not alert admin: %s", error.message)

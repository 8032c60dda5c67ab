"""What the bot did, for assertions: the chats as they are now, the recorded calls, waiting.

Waiting never polls on a timer: every recorded call and every request fires a signal
that the waiters sleep on, with a deadline that fails with a listing of recent calls.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

from bot.preview.emulator.methods_messages import MESSAGE_PRODUCING
from bot.preview.emulator.methods_setup import commands_key
from bot.preview.emulator.state import (
    MEDIA_KINDS,
    SERVICE_KEYS,
    ApiCall,
    JSONDict,
    ServerState,
    StoredFile,
)


def _message_text(message: JSONDict) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Observation(ServerState):
    """Read the chats and the recorded calls; wait for a call, a message or quiet."""

    def chat_messages(self, chat_id: int, *, thread_id: int | None = None) -> list[dict[str, Any]]:
        """Current state of the bot's messages in a chat (edits applied, deletions gone)."""
        result = []
        for message in self._messages.get(chat_id, {}).values():
            if message.get("from", {}).get("id") != self.bot_id:
                continue
            if SERVICE_KEYS.intersection(message):
                continue
            if thread_id is not None and message.get("message_thread_id") != thread_id:
                continue
            result.append(copy.deepcopy(message))
        return result

    def last_message(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest still-existing message in a chat."""
        messages = self.chat_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot has no messages in chat {chat_id}")
        return messages[-1]

    def inline_buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        """Inline keyboard flattened to (text, callback_data or url)."""
        result: list[tuple[str, str]] = []
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                value = (
                    button.get("callback_data")
                    or button.get("url")
                    or (button.get("web_app") or {}).get("url")
                    or (button.get("login_url") or {}).get("url")
                    or (button.get("copy_text") or {}).get("text")
                    or button.get("switch_inline_query")
                    or ""
                )
                result.append((str(button.get("text", "")), str(value)))
        return result

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown in a chat (None when removed/never)."""
        keyboard = self._reply_keyboards.get(chat_id)
        if not keyboard or "keyboard" not in keyboard:
            return None
        return [
            [b if isinstance(b, str) else str(b.get("text")) for b in row]
            for row in keyboard["keyboard"]
        ]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said for a query (None while unanswered)."""
        record = self._callbacks.get(query_id)
        return None if record is None else record.answer

    def file_of(self, message: dict[str, Any]) -> StoredFile:
        """The stored file (largest photo size) carried by a message."""
        for kind in MEDIA_KINDS:
            media = message.get(kind)
            if media:
                info = media[-1] if isinstance(media, list) else media
                return self.files[str(info["file_id"])]
        raise AssertionError(f"message {message.get('message_id')} has no file")

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for a scope and language."""
        return list(self._commands.get(commands_key(scope, language_code), []))

    def calls_of(self, method: str) -> list[ApiCall]:
        """All calls of one method (case-insensitive), in order."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def mark(self) -> int:
        """Index for ``since=``: take it before causing the behaviour you wait for."""
        return len(self.calls)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for an assertion, not I/O
        since: int = 0,
    ) -> ApiCall:
        """First call (index >= since) of ``method`` matching ``predicate``, waiting for it."""
        wanted = method.lower()
        deadline = time.monotonic() + timeout
        while True:
            # Rescanned on every wake-up: a long poll listed on arrival changes when answered.
            for call in self.calls[since:]:
                if call.method.lower() == wanted and (predicate is None or predicate(call)):
                    return call
            woke = await self._calls_signal.wait(deadline - time.monotonic())
            if not woke and time.monotonic() >= deadline:
                raise AssertionError(
                    f"no {method} call matched within {timeout}s; "
                    f"recent calls:\n{self._describe_calls(since)}"
                )

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for an assertion, not I/O
        since: int | None = None,
    ) -> dict[str, Any]:
        """A bot message sent/edited into ``chat_id`` whose text or caption has ``contains``.

        Returns the message as it was right after that call (with "html" kept).
        """
        start = since or 0

        def matches(call: ApiCall) -> bool:
            message = call.message
            if not call.ok or message is None or message["chat"]["id"] != chat_id:
                return False
            return contains is None or contains in _message_text(message)

        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[start:]:
                if call.method.lower() in MESSAGE_PRODUCING and matches(call):
                    assert call.message is not None
                    return call.message
            woke = await self._calls_signal.wait(deadline - time.monotonic())
            if not woke and time.monotonic() >= deadline:
                what = f"containing {contains!r} " if contains is not None else ""
                raise AssertionError(
                    f"no bot message {what}in chat {chat_id} within {timeout}s; "
                    f"recent calls:\n{self._describe_calls(start)}"
                )

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was delivered and requests stopped for ~0.15 s."""
        quiet = 0.15
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            undelivered = sum(1 for u in self._updates if u["update_id"] > self._delivered_upto)
            silent_for = now - self._last_activity
            if not undelivered and not self._inflight and silent_for >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"server not idle after {timeout}s: {undelivered} undelivered update(s) "
                    f"(is the bot polling?), {self._inflight} request(s) in flight; "
                    f"recent calls:\n{self._describe_calls(max(0, len(self.calls) - 10))}"
                )
            wait = quiet - silent_for if not undelivered and not self._inflight else quiet
            await self._activity_signal.wait(min(max(wait, 0.01), deadline - now))

    # ------------------------------------------------------------------ failure injection

    def _describe_calls(self, since: int) -> str:
        lines = []
        first = max(since, len(self.calls) - 15)
        for index in range(first, len(self.calls)):
            call = self.calls[index]
            params = {k: v for k, v in call.params.items() if k in ("chat_id", "text", "caption")}
            outcome = "ok" if call.ok else f"{call.error_code} {call.description}"
            shown = ", ".join(f"{k}={_short(v)}" for k, v in params.items())
            lines.append(f"  #{index} {call.method}({shown}) -> {outcome}")
        return "\n".join(lines) or "  (none)"

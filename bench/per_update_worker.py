"""One bot of `bench/per_update.py`, in its own process: feeds it patients' updates on request.

Run by the parent only (by file path, so that an earlier release's `bot` package can be the
one imported: see `bench/per_update.py`). The parent writes one JSON command a line to
stdin, the worker answers one JSON line on the original stdout:

* `{"op": "batch", "sessions": N}` -> N patients' sessions fed one update at a time through
  `Dispatcher.feed_raw_update`, answered with every update's stage times, the process's
  CPU time over the batch and the number of messages the bot posted (any chat). SQL
  statements are timed only in a worker started with `--stages` (clinic-bot's SQLAlchemy
  events): the parent takes the CPU and wall time from a worker without, the stages from
  one with;
* `{"op": "quit"}` -> shutdown hooks, storage closed, exit.

Between commands the worker blocks on stdin with the event loop stopped: whatever the bot
does in the background (the outbox sending a card) runs during a batch and is counted in its
CPU time.

Calls to the Bot API never leave the process: `CannedSession`, a `BaseSession` subclass
(aiogram's supported hook for a transport), serialises each request's fields the way
aiogram's aiohttp session does, answers with a canned result shaped from the request (a sent
message echoes its text and inline keyboard, so that the next button can be pressed), and
validates the answer with `BaseSession.check_response`, as a real session would.

Stages of one update (seconds; exclusive, they add up to the total):
* validation: `Update.model_validate` of the raw update (timed separately, right after);
* storage: SQL statements, from SQLAlchemy's `before/after_cursor_execute` events (clinic-bot)
  or the bare bot's own timer around its aiosqlite calls; None when not measurable
  (an earlier release without SQLAlchemy);
* api: requests to the canned session (serialising, answer validation);
* handlers: the matched handler (an inner middleware, the innermost), less its SQL and API;
* dispatch: the rest - outer middlewares, routing and filters, FSM state, locale, flood
  control, callback answering wrapper.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, TelegramObject, Update

BOT_ID = 123456789
MANAGER_ID = 4242
FIRST_PATIENT_ID = 7_000_000


CARD_WAIT_SECONDS = 5.0


@dataclass
class Stages:
    """Seconds accumulated since the last reset, per stage."""

    sql: float = 0.0
    api: float = 0.0
    handlers: float = 0.0


@dataclass
class Posted:
    """What the bot put into a chat: a new message or an edit of one."""

    chat_id: int
    message: dict[str, Any]


@dataclass
class CannedTelegram:
    """The chats as the canned session left them."""

    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1
    posted: list[Posted] = field(default_factory=list)
    new_messages: int = 0  # what Telegram's 30 messages a second counts
    # Set at every post: a replay waiting for the outbox's card wakes on it.
    post_seen: asyncio.Event = field(default_factory=asyncio.Event)


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Clinic managers"}
    return {"id": chat_id, "type": "private", "first_name": "Patient"}


def _inline_keyboard(markup: Any) -> dict[str, Any] | None:
    if isinstance(markup, InlineKeyboardMarkup):
        dumped: dict[str, Any] = markup.model_dump(mode="json", exclude_none=True)
        return dumped
    return None


class CannedSession(BaseSession):
    """Answers every Bot API request in-process with a canned result shaped from it."""

    def __init__(self, stages: Stages, telegram: CannedTelegram) -> None:
        super().__init__()
        self.stages = stages
        self.telegram = telegram

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - BaseSession's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> TelegramType:
        started = time.perf_counter()
        try:
            files: dict[str, Any] = {}
            # The request's fields serialised as aiogram's aiohttp session does (build_form_data).
            for value in method.model_dump(warnings=False).values():
                self.prepare_value(value, bot=bot, files=files)
            answer = json.dumps({"ok": True, "result": self._result(method)})
            response = self.check_response(bot=bot, method=method, status_code=200, content=answer)
            return response.result  # type: ignore[return-value]
        finally:
            self.stages.api += time.perf_counter() - started

    def _result(self, method: TelegramMethod[Any]) -> Any:
        name = method.__api_method__
        telegram = self.telegram
        if name == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Clinic", "username": "clinic_bot"}
        if name == "getChatMember":
            user = {"id": int(getattr(method, "user_id", 0)), "is_bot": False, "first_name": "M"}
            return {"status": "creator", "user": user, "is_anonymous": False}
        if name == "createForumTopic":
            return {
                "message_thread_id": 1,
                "name": str(getattr(method, "name", "")),
                "icon_color": 0,
            }
        chat_id = getattr(method, "chat_id", None)
        if not isinstance(chat_id, int):
            return True
        text = getattr(method, "text", None) or getattr(method, "caption", None)
        keyboard = _inline_keyboard(getattr(method, "reply_markup", None))
        if name.startswith("editMessage"):
            key = (chat_id, int(getattr(method, "message_id", 0) or 0))
            message = dict(telegram.messages.get(key) or {"message_id": key[1]})
            message.update({"chat": _chat(chat_id), "date": int(time.time())})
            if name == "editMessageText" and isinstance(text, str):
                message["text"] = text
            if name in ("editMessageText", "editMessageReplyMarkup"):
                message.pop("reply_markup", None)
                if keyboard is not None:
                    message["reply_markup"] = keyboard
            message["edit_date"] = int(time.time())
        elif name.startswith(("send", "copy", "forward")):
            message = {
                "message_id": telegram.next_message_id,
                "date": int(time.time()),
                "chat": _chat(chat_id),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Clinic"},
            }
            telegram.next_message_id += 1
            telegram.new_messages += 1
            if name == "copyMessage":
                return {"message_id": message["message_id"]}
            if name == "sendDocument":
                message["document"] = {"file_id": "f", "file_unique_id": "u"}
                if isinstance(text, str):
                    message["caption"] = text
            else:
                message["text"] = text if isinstance(text, str) else "-"
            if keyboard is not None:
                message["reply_markup"] = keyboard
        else:
            return True
        telegram.messages[(chat_id, int(message["message_id"]))] = message
        telegram.posted.append(Posted(chat_id, message))
        telegram.post_seen.set()
        return message


class HandlerTimer(BaseMiddleware):
    """The innermost middleware: time in the matched handler, less its SQL and API calls."""

    def __init__(self, stages: Stages) -> None:
        self.stages = stages

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        stages = self.stages
        sql, api = stages.sql, stages.api
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            inside = time.perf_counter() - started
            stages.handlers += inside - (stages.sql - sql) - (stages.api - api)


def time_sqlalchemy(stages: Stages) -> None:
    """Add the time of every SQL statement of any engine to `stages.sql` (SQLAlchemy's events;
    on an async engine they fire in the greenlet, so the wait for the driver's thread is in).

    Only in a worker that reports stages: their dispatch costs ~10 µs a statement, the
    benchmark's work and not the bot's, and an engine keeps taking the slower path for events
    once any were listened to, even after they are removed."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def before(conn: Any, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, *args: Any) -> None:
        started = conn.info.get("bench_started")
        if started:
            stages.sql += time.perf_counter() - started.pop()

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)


# --------------------------------------------------------------------------- the bots


@dataclass
class BotUnderTest:
    dispatcher: Dispatcher
    storage_seconds: Callable[[], float] | None
    close: Callable[[], Awaitable[None]]
    # What the bot's own session does to every Bot API call (aiogram's request middlewares),
    # carried over to the canned session.
    session_middlewares: Sequence[Any] = ()


async def clinic_bot(stages: Stages, *, time_storage: bool) -> BotUnderTest:
    """clinic-bot (this tree or an earlier release's: whichever `bot` is importable) as
    `Application.create` assembles it from the environment's settings."""
    from bot.app import Application
    from bot.settings import Settings

    uses_sqlalchemy = True
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        uses_sqlalchemy = False
    if uses_sqlalchemy and time_storage:
        time_sqlalchemy(stages)
    application = await Application.create(Settings())
    await application.bot.session.close()  # its own transport is not used
    measured = uses_sqlalchemy and "sqlalchemy" in sys.modules and _storage_on_sqlalchemy()
    # The session's middlewares but the pacing: its waits are Telegram's limits (30 posts a
    # second would hold every batch back), measured by bench.open_loop, not CPU per update.
    # By name: an earlier release (--before) has no bot.pacing to import.
    kept = [
        middleware
        for middleware in application.bot.session.middleware
        if type(middleware).__name__ != "SendPacingMiddleware"
    ]
    return BotUnderTest(
        application.dispatcher,
        (lambda: stages.sql) if measured else None,
        application.close,
        kept,
    )


def _storage_on_sqlalchemy() -> bool:
    """An earlier release may have SQLAlchemy installed and not use it for its storage."""
    return any(name.startswith("sqlalchemy.ext.asyncio") for name in sys.modules)


async def bare_bot(workdir: Path, manager_chat_id: int) -> BotUnderTest:
    from bench.comparable_bot import Database, create_dispatcher

    database = Database(workdir / "bare.db")
    await database.open()
    return BotUnderTest(
        create_dispatcher(database, manager_chat_id), lambda: database.seconds, database.close
    )


# --------------------------------------------------------------------------- patients


class SessionError(Exception):
    pass


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # "text" | "tap" | "contact" | "press"
    label: str | int
    expect: str


def find_button(message: dict[str, Any] | None, label: str | int) -> str:
    if message is None:
        raise SessionError("no message to press a button on")
    buttons = [
        (str(button.get("text", "")), str(button.get("callback_data", "")))
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]
    if isinstance(label, int):
        if label < len(buttons):
            return buttons[label][1]
    else:
        for exact in (True, False):
            for text, data in buttons:
                if (text == label) if exact else (label in text):
                    return data
    raise SessionError(f"no button {label!r} in {[text for text, _ in buttons]}")


class Replay:
    """Feeds patients' sessions into one dispatcher and times every update."""

    def __init__(
        self,
        under_test: BotUnderTest,
        bot: Bot,
        stages: Stages,
        telegram: CannedTelegram,
        steps: list[Step],
        manager_chat_id: int,
    ) -> None:
        self.under_test = under_test
        self.bot = bot
        self.stages = stages
        self.telegram = telegram
        self.steps = steps
        self.manager_chat_id = manager_chat_id
        self.next_update_id = 1
        self.next_user_id = FIRST_PATIENT_ID
        self.next_query_id = 1
        self.pressed_cards: set[int] = set()
        # Posts of cards (a card and its edits) not pressed yet, oldest first.
        self.cards: list[dict[str, Any]] = []
        self.posts_looked_at = 0

    def _user(self, user_id: int, first_name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    def _message_update(self, user: dict[str, Any], **content: Any) -> dict[str, Any]:
        update_id = self.next_update_id
        self.next_update_id += 1
        message = {
            "message_id": 100_000 + update_id,
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": user,
            **content,
        }
        return {"update_id": update_id, "message": message}

    def _press_update(
        self, user: dict[str, Any], message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.next_query_id += 1
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(self.next_query_id),
                "from": user,
                "message": message,
                "chat_instance": "bench",
                "data": data,
            },
        }

    async def feed(self, name: str, raw: dict[str, Any]) -> list[Any]:
        """One update through `feed_raw_update`: [step, total, validation, dispatch,
        handlers, api, storage] in seconds (storage None when not measurable)."""
        stages = self.stages
        storage = self.under_test.storage_seconds
        stages.api = stages.handlers = 0.0
        storage_before = storage() if storage else 0.0
        started = time.perf_counter()
        await self.under_test.dispatcher.feed_raw_update(self.bot, raw)
        total = time.perf_counter() - started
        storage_time = storage() - storage_before if storage else None
        started = time.perf_counter()
        Update.model_validate(raw, context={"bot": self.bot})
        validation = time.perf_counter() - started
        # feed_raw_update validated the update first: the same work, timed apart, is taken out.
        dispatch = total - validation - stages.handlers - stages.api - (storage_time or 0.0)
        return [name, total, validation, dispatch, stages.handlers, stages.api, storage_time]

    async def session(self) -> list[list[Any]]:
        """One patient from /start to the review's signature, then a manager's status press
        on the newest request card not pressed yet."""
        user_id = self.next_user_id
        self.next_user_id += 1
        user = self._user(user_id, "Kate")
        phone = f"+7916{user_id % 10_000_000:07d}"
        last: dict[str, Any] | None = None
        records = []
        for step in self.steps:
            if step.kind == "press":
                data = find_button(last, step.label)
                assert last is not None
                raw = self._press_update(user, last, data)
            elif step.kind == "contact":
                contact = {"phone_number": phone, "first_name": "Kate", "user_id": user_id}
                raw = self._message_update(user, contact=contact)
            else:
                text = str(step.label)
                content: dict[str, Any] = {"text": text}
                if text.startswith("/"):
                    content["entities"] = [
                        {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                    ]
                raw = self._message_update(user, **content)
            mark = len(self.telegram.posted)
            records.append(await self.feed(step.name, raw))
            last = self._expected(user_id, step, mark)
        card = await self._card_to_press()
        if card is not None:
            manager = self._user(MANAGER_ID, "Manager")
            self.pressed_cards.add(int(card["message_id"]))
            raw = self._press_update(manager, card, find_button(card, 1))
            records.append(await self.feed("manager status", raw))
        return records

    async def _card_to_press(self) -> dict[str, Any] | None:
        """The newest request card not pressed yet, once it is posted: with canned answers no
        update ever waits, so clinic-bot's outbox, a task of its own, posts its cards only
        while this gives it the loop. Its CPU counts in the batch."""
        deadline = time.monotonic() + CARD_WAIT_SECONDS
        while (card := self._newest_card()) is None and time.monotonic() < deadline:
            self.telegram.post_seen.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.telegram.post_seen.wait(), deadline - time.monotonic())
        return card

    def _expected(self, user_id: int, step: Step, mark: int) -> dict[str, Any]:
        for posted in reversed(self.telegram.posted[mark:]):
            message = posted.message
            text = str(message.get("text") or message.get("caption") or "")
            if posted.chat_id == user_id and step.expect in text:
                return message
        texts = [str(p.message.get("text"))[:80] for p in self.telegram.posted[mark:]]
        raise SessionError(f"step {step.name!r}: no answer containing {step.expect!r}: {texts}")

    def _newest_card(self) -> dict[str, Any] | None:
        """The newest request card in the manager chat (three status buttons or more) not
        pressed yet.

        Looks only at what was posted since its last look: the record of posts grows through
        the whole run, and a scan of all of it on every session was counted in the bot's CPU
        (~65 µs an update by the end of a run, for clinic-bot alone, whose cards come later).
        """
        posted = self.telegram.posted
        for new in posted[self.posts_looked_at :]:
            if new.chat_id != self.manager_chat_id:
                continue
            rows = (new.message.get("reply_markup") or {}).get("inline_keyboard", [])
            if sum(1 for row in rows for button in row if "callback_data" in button) >= 3:
                self.cards.append(new.message)
        self.posts_looked_at = len(posted)
        # A pressed card (and its edits, posted again) is never pressed again.
        self.cards = [m for m in self.cards if int(m["message_id"]) not in self.pressed_cards]
        return self.cards[-1] if self.cards else None


# --------------------------------------------------------------------------- main


async def serve(args: argparse.Namespace, protocol: TextIO) -> None:
    stages = Stages()
    telegram = CannedTelegram()
    if args.kind == "bare":
        under_test = await bare_bot(args.workdir, args.manager_chat_id)
    else:
        under_test = await clinic_bot(stages, time_storage=args.stages)
    dispatcher = under_test.dispatcher
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.middleware(HandlerTimer(stages))
    session = CannedSession(stages, telegram)
    for middleware in under_test.session_middlewares:
        session.middleware(middleware)
    bot = Bot(
        token=os.environ["BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    steps = [Step(**step) for step in json.loads(args.steps.read_text())]
    replay = Replay(under_test, bot, stages, telegram, steps, args.manager_chat_id)
    workflow = {**dispatcher.workflow_data, "dispatcher": dispatcher, "bots": [bot]}
    await dispatcher.emit_startup(bot=bot, **workflow)
    protocol.write(json.dumps({"ready": True}) + "\n")
    protocol.flush()
    try:
        while True:
            line = sys.stdin.readline()  # blocking on purpose: nothing runs between batches
            if not line:
                break
            command = json.loads(line)
            if command["op"] == "quit":
                break
            cpu = time.process_time()
            wall = time.perf_counter()
            messages = telegram.new_messages
            records: list[list[Any]] = []
            error = None
            try:
                for _ in range(int(command["sessions"])):
                    records.extend(await replay.session())
            except SessionError as failure:
                error = str(failure)
            answer = {
                "updates": records,
                "cpu": time.process_time() - cpu,
                "wall": time.perf_counter() - wall,
                "messages": telegram.new_messages - messages,
                "error": error,
            }
            protocol.write(json.dumps(answer) + "\n")
            protocol.flush()
    finally:
        await dispatcher.emit_shutdown(bot=bot, **workflow)
        await under_test.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=("clinic", "bare"), required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--steps", type=Path, required=True, help="JSON list of steps")
    parser.add_argument("--manager-chat-id", type=int, required=True)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument(
        "--stages", action="store_true", help="time SQL statements (the storage stage)"
    )
    args = parser.parse_args(argv)
    # The protocol keeps the real stdout; anything else printed goes to stderr (the log).
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # As `python -m bot` runs: aiogram's per-update INFO lines off, for every bot alike.
    for chatty in ("aiogram.event", "aiogram.middlewares"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    loop_factory = None
    if args.loop == "uvloop":
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(args, protocol))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

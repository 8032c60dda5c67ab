"""Two costs that remain in aiogram itself, measured: `python -m bench.upstream`.

Stock aiogram, no Bot API server: updates go through `Dispatcher.feed_update` and the
bot's calls through a session that answers from memory (`CannedSession`), parsed by
aiogram's own `BaseSession.check_response`, as `AiohttpSession.make_request` does.

1. Synchronous filters. `CallableObject.call` (aiogram/dispatcher/event/handler.py) runs
   every callable that is not a coroutine function through `asyncio.to_thread`; every
   magic filter (`F.text == "..."`) is one. A router of `--handlers` message handlers, each
   with one filter, of which only the last matches: the update passes `--handlers` filter
   calls. Once with `F.text == ...`, once with an `async def` filter that compares the
   same; the difference, per filter call, is what the thread round trip costs.
2. `Response[T]` rebuilt. `BaseSession.check_response` parses every answer with
   `Response[method.__returning__]`. pydantic keeps parametrised generic models in a
   `WeakValueDictionary` only, and a class is always part of a reference cycle: once no
   answer is alive, the next garbage collection of its generation frees the class, and the
   next call builds it again (core schema, validator, serializer). Measured: one call with
   the class alive, one call right after a collection, and the bare aiogram bot of
   bench/bare_bot.py long polling the emulated Bot API over HTTP in this process (how many
   answers found their class gone, and `check_response`'s average), with and without a
   strong reference to each `Response[T]` kept by the caller.

Prints the figures quoted in docs/performance.md ("Upstream report").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import random
import statistics
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiogram
import pydantic
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, Update, User

from bench.bare_bot import create_dispatcher
from bench.load import STEPS_PER_SESSION, Tracker, run_patient
from bot.preview.emulator import TEST_TOKEN, FakeTelegramServer

TOKEN = TEST_TOKEN
CHAT = Chat(id=1001, type="private", first_name="Maria")
USER = User(id=1001, is_bot=False, first_name="Maria", language_code="ru")
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Clinic Test Bot"}


class CannedSession(BaseSession):
    """Answers every call with a fixed Bot API answer, parsed the way aiogram's own sessions
    parse a real one (`check_response`)."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = json.dumps(
            {
                "ok": True,
                "result": {
                    "message_id": 77,
                    "date": 1_700_000_000,
                    "chat": {"id": CHAT.id, "type": "private", "first_name": "Maria"},
                    "from": BOT_USER,
                    "text": "Hello! Choose a section.",
                    "reply_markup": {
                        "inline_keyboard": [
                            [{"text": f"Section {i}", "callback_data": f"s:{i}"}]
                            for i in range(1, 5)
                        ]
                    },
                },
            }
        )

    async def make_request(  # aiogram's abstract signature
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        response = self.check_response(bot, method, 200, self.answer)
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


def text_update(update_id: int, text: str) -> Update:
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime(2026, 12, 4, tzinfo=UTC),
            chat=CHAT,
            from_user=USER,
            text=text,
        ),
    )


def _async_text_is(expected: str) -> Callable[[Message], Awaitable[bool]]:
    async def text_is(message: Message) -> bool:
        return message.text == expected

    return text_is


def filter_dispatcher(handlers: int, sync: bool) -> Dispatcher:
    """`handlers` message handlers, one filter each; only the last one matches "option N"."""
    router = Router()

    async def handle(message: Message) -> None:
        return None

    for number in range(1, handlers + 1):
        text = f"option {number}"
        router.message.register(handle, F.text == text if sync else _async_text_is(text))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def per_update(
    dispatcher: Dispatcher, bot: Bot, update: Update, count: int
) -> tuple[float, float]:
    """Wall and CPU (all threads) microseconds per `feed_update`, after a warm-up."""
    for _ in range(200):
        await dispatcher.feed_update(bot, update)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(count):
        await dispatcher.feed_update(bot, update)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return 1e6 * wall / count, 1e6 * cpu / count


async def measure_filters(handlers: int, count: int, rounds: int) -> dict[str, Any]:
    bot = Bot(TOKEN, session=CannedSession())
    update = text_update(1, f"option {handlers}")
    runs: dict[str, list[tuple[float, float]]] = {"sync": [], "async": []}
    dispatchers = {
        "sync": filter_dispatcher(handlers, sync=True),
        "async": filter_dispatcher(handlers, sync=False),
    }
    for _ in range(rounds):  # alternating, the median of each counts
        for kind, dispatcher in dispatchers.items():
            runs[kind].append(await per_update(dispatcher, bot, update, count))
    await bot.session.close()
    result: dict[str, Any] = {"handlers": handlers, "updates": count, "rounds": rounds}
    for kind, values in runs.items():
        result[f"{kind}_wall_us_per_update"] = statistics.median(v[0] for v in values)
        result[f"{kind}_cpu_us_per_update"] = statistics.median(v[1] for v in values)
    for clock in ("wall", "cpu"):
        extra = result[f"sync_{clock}_us_per_update"] - result[f"async_{clock}_us_per_update"]
        result[f"extra_{clock}_us_per_sync_filter"] = extra / handlers
    return result


def measure_response_class(repeats: int) -> dict[str, Any]:
    """One `check_response` with `Response[Message]` alive, and one right after it was
    collected (the collection itself not timed)."""
    session = CannedSession()
    bot = Bot(TOKEN, session=session)
    method = SendMessage(chat_id=CHAT.id, text="Hello")

    def call() -> float:
        started = time.perf_counter()
        session.check_response(bot, method, 200, session.answer)
        return time.perf_counter() - started

    call()
    held = Response[Message]  # a strong reference: the class stays alive
    alive = statistics.median(call() for _ in range(repeats))
    del held
    rebuilt: list[float] = []
    for _ in range(min(repeats, 200)):
        gc.collect()
        rebuilt.append(call())
    return {
        "alive_us": 1e6 * alive,
        "after_collection_us": 1e6 * statistics.median(rebuilt),
    }


async def measure_polling(patients: int, rounds: int, hold: bool) -> dict[str, Any]:
    """The bare aiogram bot (bench/bare_bot.py: AiohttpSession, long polling) against the
    emulated Bot API in this process, `patients` sessions at a time: how many answers found
    their `Response[T]` class gone (a new class object), and the time `check_response`
    took on average. With `hold`, the caller keeps a strong reference to every `Response[T]`
    it has seen (what a fix inside aiogram would do)."""
    server = FakeTelegramServer()
    await server.start()
    tracker = Tracker(server)
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(TEST_TOKEN, session=session)
    original = session.check_response
    latest: dict[str, weakref.ref[type]] = {}
    held: dict[str, type] = {}
    calls = built = 0
    seconds = 0.0

    def check_response(
        bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        nonlocal calls, built, seconds
        started = time.perf_counter()
        response = original(bot, method, status_code, content)
        seconds += time.perf_counter() - started
        calls += 1
        key = repr(method.__returning__)
        known = latest.get(key)
        if known is None or known() is not type(response):
            built += 1
            latest[key] = weakref.ref(type(response))
        if hold:
            held[key] = type(response)
        return response

    session.check_response = check_response  # type: ignore[method-assign]
    dispatcher = create_dispatcher()
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    try:
        next_id = 5_000_000
        for round_number in range(rounds + 1):  # the first round warms up
            calls = built = 0
            seconds = 0.0
            failed = await asyncio.gather(
                *(
                    run_patient(
                        server,
                        tracker,
                        next_id + index,
                        index,
                        bare=True,
                        window=None,
                        step_seconds=30,
                        rng=random.Random(index),
                    )
                    for index in range(patients)
                )
            )
            next_id += patients
            if any(failed):
                raise RuntimeError(f"round {round_number}: {[f for f in failed if f]}")
    finally:
        await dispatcher.stop_polling()
        await polling
        await session.close()
        await server.stop()
    return {
        "held": hold,
        "patients": patients,
        "calls": calls,
        "classes_built": built,
        "check_response_us": 1e6 * seconds / calls if calls else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upstream", description=__doc__)
    parser.add_argument("--handlers", type=int, default=10, help="filtered handlers (10)")
    parser.add_argument("--updates", type=int, default=3000, help="updates per run (3000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs (5)")
    parser.add_argument("--patients", type=int, default=20, help="polling: patients (20)")
    parser.add_argument(
        "--polling-rounds", type=int, default=2, help="polling: measured rounds (2)"
    )
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (as the bot)")
    args = parser.parse_args(argv)
    print(
        f"aiogram {aiogram.__version__}, pydantic {pydantic.VERSION}, "
        f"Python {platform.python_version()}, "
        f"{'uvloop' if args.uvloop else 'asyncio'} event loop"
    )
    runner: Callable[[Any], Any] = asyncio.run
    if args.uvloop:
        import uvloop

        runner = uvloop.run

    filters = runner(measure_filters(args.handlers, args.updates, args.rounds))
    print(
        f"\n1. Synchronous filters: {filters['handlers']} handlers with one filter each, "
        f"the last one matches (median of {filters['rounds']} runs of {filters['updates']})"
    )
    for kind, label in (("sync", "F.text == ... (sync)"), ("async", "async def filter")):
        print(
            f"   {label:22} {filters[f'{kind}_wall_us_per_update']:7.1f} us wall, "
            f"{filters[f'{kind}_cpu_us_per_update']:7.1f} us CPU per update"
        )
    print(
        f"   per sync filter call: +{filters['extra_wall_us_per_sync_filter']:.1f} us wall, "
        f"+{filters['extra_cpu_us_per_sync_filter']:.1f} us CPU"
    )

    response = measure_response_class(2000)
    print("\n2. Response[T] in check_response (one sendMessage answer with a keyboard)")
    print(f"   class alive:             {response['alive_us']:8.1f} us per call")
    print(f"   right after a collection: {response['after_collection_us']:8.1f} us per call")
    print(
        f"   the bare aiogram bot polling the emulated Bot API, {args.patients} patients "
        f"x {STEPS_PER_SESSION} updates (the last of {args.polling_rounds + 1} rounds):"
    )
    for hold in (False, True):
        polled = runner(measure_polling(args.patients, args.polling_rounds, hold))
        label = "Response[T] held by caller" if hold else "stock"
        print(
            f"   {label:27} {polled['calls']} answers, {polled['classes_built']} classes "
            f"built, check_response {polled['check_response_us']:.1f} us on average"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

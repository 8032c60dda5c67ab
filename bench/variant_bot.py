"""What-if runs: `python -m bot` with fixes that lie outside the benchmark's own files.

Not used by a default run. `python -m bench --variant inline_filters,pin_responses,quiet`
starts this module instead of `python -m bot`, with BENCH_VARIANT naming the patches:

* inline_filters - aiogram runs every synchronous filter (each `F.…` magic filter) through
  `asyncio.to_thread`: a thread-pool round trip per filter check. Run them inline.
* pin_responses - aiogram parses each API answer with `Response[ReturnType]`; pydantic
  keeps such generic classes only weakly, so they are rebuilt again and again after the
  garbage collector has dropped them. Keep one of each alive.
* quiet - aiogram logs one INFO line per handled update ("Update id=… is handled").
  Log aiogram.event at WARNING.
* uvloop - the uvloop event loop (needs `pip install uvloop`).
* gc_freeze - `gc.freeze()` once everything is imported: the cyclic garbage collector stops
  walking aiogram's hundreds of thousands of long-lived objects on every full collection.
* gc_log - log every garbage collection that takes 5 ms or more (to the bot's log).

These patch libraries at run time; they show how much each cause costs. The findings
(and proper ways to apply them in the project) are in docs/performance.md.
"""

from __future__ import annotations

import logging
import os
import sys
from functools import partial
from typing import Any

KNOWN = ("inline_filters", "pin_responses", "quiet", "uvloop", "gc_freeze", "gc_log")
_PINNED: list[Any] = []


def inline_filters() -> None:
    from aiogram.dispatcher.event.handler import FilterObject

    async def call(self: FilterObject, *args: Any, **kwargs: Any) -> Any:
        wrapped = partial(self.callback, *args, **self._prepare_kwargs(kwargs))
        if self.awaitable:
            return await wrapped()
        return wrapped()

    FilterObject.call = call  # type: ignore[method-assign,assignment]


def pin_responses() -> None:
    from aiogram.methods.base import Response, TelegramMethod

    def subclasses(cls: type) -> list[type]:
        found: list[type] = []
        sub: type
        for sub in cls.__subclasses__():
            found.append(sub)
            found.extend(subclasses(sub))
        return found

    seen: set[str] = set()
    for method in subclasses(TelegramMethod):
        returning = method.__dict__.get("__returning__")
        if returning is None or isinstance(returning, property) or repr(returning) in seen:
            continue
        seen.add(repr(returning))
        _PINNED.append(Response[returning])  # type: ignore[valid-type]


def gc_log() -> None:
    import gc
    import time

    started: list[float] = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = time.perf_counter() - started[0]
        if took >= 0.005:
            print(
                f"GC pause {took * 1000:.1f} ms generation {info['generation']} "
                f"at {time.monotonic():.3f}",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(callback)


def main() -> int:
    wanted = [name for name in os.environ.get("BENCH_VARIANT", "").split(",") if name]
    unknown = set(wanted) - set(KNOWN)
    if unknown:
        print(f"unknown variant(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "inline_filters" in wanted:
        inline_filters()
    if "pin_responses" in wanted:
        pin_responses()
    if "gc_log" in wanted:
        gc_log()
    if "uvloop" in wanted:
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from bot.__main__ import main as bot_main

    if "gc_freeze" in wanted:
        import gc

        import bot.app  # noqa: F401 - everything the bot imports, before the freeze

        gc.collect()
        gc.freeze()

    if "quiet" in wanted:
        original = logging.basicConfig

        def basic_config(**kwargs: Any) -> None:
            original(**kwargs)
            logging.getLogger("aiogram.event").setLevel(logging.WARNING)

        logging.basicConfig = basic_config
    return bot_main()


if __name__ == "__main__":
    sys.exit(main())

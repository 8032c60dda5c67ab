"""What-if runs: `python -m bot` with one of its optimisations undone, to measure each.

Not used by a default run. `python -m bench --variant stock_session,stock_models` starts
this module instead of `python -m bot`, with BENCH_VARIANT naming what to undo:

* stock_models - aiogram's models built at import, as aiogram does (bot/lazy_aiogram.py
  undone): aiogram is imported before the bot's package can defer them.
* stock_session - aiogram's own AiohttpSession (multipart form bodies, answers parsed in
  two passes) instead of bot/session.py's JsonSession.
* stock_filters - synchronous filters run through `asyncio.to_thread`, as aiogram does
  (bot/tuning.py's `inline_sync_filters` undone).
* stock_gc - Python's default threshold for the youngest GC generation (700 allocations
  instead of bot/tuning.py's 10,000).
* stock_loop - the standard asyncio event loop instead of uvloop.
* gc_log - log every garbage collection that takes 5 ms or more (to the bot's log).

These patch the bot at run time; the findings are in docs/performance.md.
"""

from __future__ import annotations

import os
import sys
from typing import Any

KNOWN = ("stock_models", "stock_session", "stock_filters", "stock_gc", "stock_loop", "gc_log")


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
    if "stock_models" in wanted:
        import aiogram  # noqa: F401 - before `bot`, whose package would defer the models

    import bot.__main__ as entry
    import bot.app
    import bot.tuning

    if "stock_session" in wanted:
        from aiogram.client.session.aiohttp import AiohttpSession

        bot.app.JsonSession = AiohttpSession  # type: ignore[misc,assignment]
    if "stock_filters" in wanted:
        bot.app.inline_sync_filters = lambda router: 0  # type: ignore[assignment]
    if "stock_gc" in wanted:
        bot.tuning._YOUNG_GC_THRESHOLD = 700
    if "stock_loop" in wanted:
        entry._fast_event_loop = lambda: None  # type: ignore[assignment]
    if "gc_log" in wanted:
        gc_log()
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

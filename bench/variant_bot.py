"""What-if runs: `python -m bot` run differently, to measure what that changes.

Not used by a default run. `python -m bench --variant stock_loop,gc_log` starts this
module instead of `python -m bot`, with BENCH_VARIANT naming what to change:

* stock_loop - the standard asyncio event loop instead of uvloop.
* gc_log - log every garbage collection that takes 5 ms or more (to the bot's log).

The release before the redesign had more (stock_models, stock_session, stock_filters,
stock_gc: its aiogram patches undone one at a time); with those patches gone, so are they.
The findings are in docs/performance.md.
"""

from __future__ import annotations

import os
import sys
from typing import Any

KNOWN = ("stock_loop", "gc_log")


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
    import bot.__main__ as entry

    if "stock_loop" in wanted:
        entry._fast_event_loop = lambda: None
    if "gc_log" in wanted:
        gc_log()
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

"""Run-time tuning of aiogram for a busy bot; each item was measured (docs/performance.md)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.types import Message, Update

from bot.lazy_aiogram import prebuild
from bot.session import response_type_of

_YOUNG_GC_THRESHOLD = 10_000  # allocations; Python's default is 700


def prepare_models() -> None:
    """Build the models every update needs now, rather than in the first patient's update.

    Message first: models built after it reuse its validator instead of copying it.
    """
    prebuild(Message, Update)
    for returning in (list[Update], Message, bool):
        response_type_of(returning)


def inline_sync_filters(router: Router) -> int:
    """Run the synchronous filters of `router` and its sub-routers on the event loop.

    aiogram runs every non-async filter - each `F.…` magic filter - through
    `asyncio.to_thread`, a thread-pool round trip per check, although ours are all
    attribute comparisons of the update (~23% of the CPU under load). Returns how many
    filters were changed. Call it once the routers are complete.
    """
    changed = 0
    for each in router.chain_tail:
        for observer in each.observers.values():
            # `_handler` holds the router-level filters (`router.message.filter(...)`).
            handlers = [observer._handler, *observer.handlers]
            for handler in handlers:
                for filter_object in handler.filters or ():
                    if not filter_object.awaitable:
                        _make_awaitable(filter_object)
                        changed += 1
    return changed


def _make_awaitable(filter_object: FilterObject) -> None:
    check: Callable[..., Any] = filter_object.callback

    @wraps(check)
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    # `params` / `varkw` stay those of the original signature, which `inline` passes on.
    filter_object.callback = inline
    filter_object.awaitable = True


def freeze_long_lived_objects() -> None:
    """Exclude everything alive now (aiogram's models, our content) from the cyclic GC.

    Otherwise each full collection walks those ~200,000 objects: 100-200 ms pauses in
    the latency tail. And collect the youngest generation less often: an update
    allocates thousands of short-lived objects (pydantic models), almost none in cycles.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_GC_THRESHOLD, older, oldest)

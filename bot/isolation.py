"""One update at a time per chat and user, in one process, with memory for the busy ones only.

aiogram's `SimpleEventIsolation` keeps a lock for every chat and user it has ever seen
(its own TODO: "unused locks cleaner is needed"): ~1 KB per patient, for as long as the
process lives. This one keeps a lock only while an update of that key is being handled or
waits for one: its size is the number of conversations in flight, whatever the number of
patients the bot has served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


@dataclass(slots=True)
class _Holders:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    count: int = 0  # the update holding the lock and those waiting for it


class InFlightEventIsolation(BaseEventIsolation):
    """Serialises the updates of one key (chat and user) as aiogram's isolation does."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, _Holders] = {}

    @property
    def keys_held(self) -> int:
        """How many keys have an update in flight (the memory this isolation holds)."""
        return len(self._locks)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        holders = self._locks.get(key)
        if holders is None:
            holders = self._locks[key] = _Holders()
        holders.count += 1
        try:
            async with holders.lock:
                yield
        finally:
            holders.count -= 1
            # Nobody holds or awaits it: the next update of this key makes a new one.
            # (`close` at a stop may have forgotten it already, while this update finished.)
            if holders.count == 0 and self._locks.get(key) is holders:
                del self._locks[key]

    async def close(self) -> None:
        self._locks.clear()

"""Forms in progress (aiogram's FSM rows), so that a form survives a restart."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert_updating
from storage.schema import fsm

_FORM = select(fsm.c.state, fsm.c.data).where(fsm.c.key == bindparam("key"))
"""Built once: it is read on every update."""


class FormRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock
        # Built once: a form writes on every step.
        self._save_state = upsert_updating(database.dialect, fsm, ("key",), ("state", "updated_at"))
        self._save_data = upsert_updating(database.dialect, fsm, ("key",), ("data", "updated_at"))

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]:
        """The form's state and data; no row reads the same as an empty form."""
        row = await self._database.lookup_one(_FORM, {"key": key})
        if row is None:
            return None, {}
        data = json.loads(row.data)
        return row.state, data if isinstance(data, dict) else {}

    async def save_fsm_state(self, key: str, state: str | None) -> None:
        """The state only: aiogram writes state and data separately."""
        await self._database.write_one(
            self._save_state, {"key": key, "state": state, "updated_at": self._clock()}
        )

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None:
        await self._database.write_one(
            self._save_data,
            {
                "key": key,
                "data": json.dumps(data, ensure_ascii=False),
                "updated_at": self._clock(),
            },
        )

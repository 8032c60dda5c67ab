"""Forms in progress (aiogram's FSM rows), so that a form survives a restart."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert
from storage.schema import fsm

_FORM = select(fsm.c.state, fsm.c.data).where(fsm.c.key == bindparam("key"))
"""Built once: it is read on every update."""


class FormRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]:
        """The form's state and data; no row reads the same as an empty form."""
        row = await self._database.lookup_one(_FORM, {"key": key})
        if row is None:
            return None, {}
        data = json.loads(row.data)
        return row.state, data if isinstance(data, dict) else {}

    async def save_fsm_state(self, key: str, state: str | None) -> None:
        """The state only: aiogram writes state and data separately."""
        async with self._database.transaction() as connection:
            statement = upsert(connection.dialect.name, fsm).values(
                key=key, state=state, updated_at=self._clock()
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[fsm.c.key],
                    set_={
                        "state": statement.excluded.state,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None:
        async with self._database.transaction() as connection:
            statement = upsert(connection.dialect.name, fsm).values(
                key=key, data=json.dumps(data, ensure_ascii=False), updated_at=self._clock()
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[fsm.c.key],
                    set_={
                        "data": statement.excluded.data,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )

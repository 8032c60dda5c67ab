"""Forms in progress (aiogram's FSM rows), so that a form survives a restart."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert_updating
from storage.models import PatientProfile
from storage.repositories._records import PROFILE_COLUMNS, profile_of
from storage.schema import fsm

_FORM = select(fsm.c.state, fsm.c.data).where(fsm.c.key == bindparam("key"))
"""Built once: it is read on every update."""

_FORM_AND_PROFILE = select(
    select(fsm.c.state).where(fsm.c.key == bindparam("key")).scalar_subquery(),
    select(fsm.c.data).where(fsm.c.key == bindparam("key")).scalar_subquery(),
    *PROFILE_COLUMNS,
)
"""The two reads every update of a user starts with, as one statement (one round trip and
one transaction fewer an update: ~80 µs of CPU on SQLite)."""


def _form_data(stored: str | None) -> dict[str, Any]:
    """A form's data as stored (JSON); no row, or anything but an object, is an empty form."""
    data = json.loads(stored) if stored is not None else {}
    return data if isinstance(data, dict) else {}


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
        return row.state, _form_data(row.data)

    async def load_fsm_and_profile(
        self, key: str, user_id: int
    ) -> tuple[str | None, dict[str, Any], PatientProfile]:
        """`load_fsm(key)` and `PatientRepository.profile(user_id)` in one read."""
        row = await self._database.lookup_one(_FORM_AND_PROFILE, {"key": key, "user_id": user_id})
        # A select of scalar subqueries has its one row, of NULLs where nothing is stored.
        state, data, locale, banned_at = row if row is not None else (None,) * 4
        return state, _form_data(data), profile_of(locale, banned_at)

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

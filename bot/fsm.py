"""aiogram FSM storage kept in the bot's database, so a form in progress survives a restart."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Protocol

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey


class FormStore(Protocol):
    """What the forms need of the storage: `storage.FormRepository` (or the old Repository)."""

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]: ...

    async def save_fsm_state(self, key: str, state: str | None) -> None: ...

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None: ...


def _key(key: StorageKey) -> str:
    return ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id or "",
            key.business_connection_id or "",
            key.destiny,
        )
    )


_read_with_state: ContextVar[tuple[BaseStorage, str, dict[str, Any]] | None] = ContextVar(
    "form_data_read_with_its_state", default=None
)
"""The form's data as the update's first read found it, with its storage and key.

aiogram's FSM middleware reads the state of every update (under the update's lock: no other
update of that chat and user runs meanwhile), and the handler then reads the data: one row
read twice. The state's read keeps the data here, and the handler's read takes it from here.
A context variable lives in the update's own task (aiogram handles each update in one), so
what one update read is never another's; feeding updates one after another in one task,
each update's state read replaces it first."""


class RepositoryStorage(BaseStorage):
    def __init__(self, forms: FormStore) -> None:
        self._repository = forms

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._repository.save_fsm_state(_key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        storage_key = _key(key)
        state, data = await self._repository.load_fsm(storage_key)
        _read_with_state.set((self, storage_key, data))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        storage_key = _key(key)
        await self._repository.save_fsm_data(storage_key, dict(data))
        if self._data_read_with_state(storage_key) is not None:
            _read_with_state.set((self, storage_key, copy.deepcopy(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        storage_key = _key(key)
        read = self._data_read_with_state(storage_key)
        if read is not None:
            # A copy, as a read of the row would give: the caller may change it.
            return copy.deepcopy(read)
        _, data = await self._repository.load_fsm(storage_key)
        return data

    def _data_read_with_state(self, storage_key: str) -> dict[str, Any] | None:
        read = _read_with_state.get()
        if read is None or read[0] is not self or read[1] != storage_key:
            return None
        return read[2]

    async def close(self) -> None:
        """The storage belongs to the application, which closes it."""

"""aiogram FSM storage kept in the bot's database, so a form in progress survives a restart."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Protocol

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.models import PatientProfile


class FormStore(Protocol):
    """What the forms need of the storage: `storage.FormRepository`."""

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]: ...

    async def load_fsm_and_profile(
        self, key: str, user_id: int
    ) -> tuple[str | None, dict[str, Any], PatientProfile]: ...

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


@dataclass(frozen=True, slots=True)
class _ReadWithState:
    storage: BaseStorage
    key: str
    data: dict[str, Any]
    user_id: int
    profile: PatientProfile


_read_with_state: ContextVar[_ReadWithState | None] = ContextVar(
    "form_data_read_with_its_state", default=None
)
"""The form's data and the user's profile as the update's first read found them.

aiogram's FSM middleware reads the state of every update (under the update's lock: no other
update of that chat and user runs meanwhile), then the locale middleware reads the user's
profile and the handler the form's data: three reads of what one statement gives. The state's
read keeps the rest here, and the other two take it from here.
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
        state, data, profile = await self._repository.load_fsm_and_profile(storage_key, key.user_id)
        _read_with_state.set(_ReadWithState(self, storage_key, data, key.user_id, profile))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        storage_key = _key(key)
        await self._repository.save_fsm_data(storage_key, dict(data))
        read = self._read_of(storage_key)
        if read is not None:
            _read_with_state.set(replace(read, data=copy.deepcopy(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        storage_key = _key(key)
        read = self._read_of(storage_key)
        if read is not None:
            # A copy, as a read of the row would give: the caller may change it.
            return copy.deepcopy(read.data)
        _, data = await self._repository.load_fsm(storage_key)
        return data

    def profile_read_with_state(self, user_id: int) -> PatientProfile | None:
        """The user's profile as this task's latest state read found it, if it was this
        storage's read of this user's form: only call it in an update whose state aiogram's
        FSM middleware has just read (its handler data has `state`)."""
        read = _read_with_state.get()
        if read is None or read.storage is not self or read.user_id != user_id:
            return None
        return read.profile

    def _read_of(self, storage_key: str) -> _ReadWithState | None:
        read = _read_with_state.get()
        if read is None or read.storage is not self or read.key != storage_key:
            return None
        return read

    async def close(self) -> None:
        """The storage belongs to the application, which closes it."""

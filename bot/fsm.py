"""aiogram FSM storage kept in the bot's database, so a form in progress survives a restart."""

from __future__ import annotations

from collections.abc import Mapping
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


class RepositoryStorage(BaseStorage):
    def __init__(self, forms: FormStore) -> None:
        self._repository = forms

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._repository.save_fsm_state(_key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._repository.load_fsm(_key(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._repository.save_fsm_data(_key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._repository.load_fsm(_key(key))
        return data

    async def close(self) -> None:
        """The storage belongs to the application, which closes it."""

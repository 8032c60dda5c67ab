"""Forms kept in the database: what a step reads is what was written, and each update's
form row is read once (with its state) however often the handler asks for the data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.fsm import RepositoryStorage
from storage import Storage, open_storage
from storage.models import PatientProfile

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path}/forms.db")
    try:
        yield opened
    finally:
        await opened.close()


class CountingForms:
    """The form repository, counting its reads."""

    def __init__(self, storage: Storage) -> None:
        self._forms = storage.forms
        self.reads = 0

    async def load_fsm(self, key: str) -> tuple[str | None, dict[str, Any]]:
        self.reads += 1
        return await self._forms.load_fsm(key)

    async def load_fsm_and_profile(
        self, key: str, user_id: int
    ) -> tuple[str | None, dict[str, Any], PatientProfile]:
        self.reads += 1
        return await self._forms.load_fsm_and_profile(key, user_id)

    async def save_fsm_state(self, key: str, state: str | None) -> None:
        await self._forms.save_fsm_state(key, state)

    async def save_fsm_data(self, key: str, data: dict[str, Any]) -> None:
        await self._forms.save_fsm_data(key, data)


async def test_a_steps_data_is_read_with_its_state(storage: Storage) -> None:
    forms = CountingForms(storage)
    fsm = RepositoryStorage(forms)
    await fsm.set_state(KEY, "BookingForm:phone")
    await fsm.set_data(KEY, {"name": "Anna", "service": "first"})

    async def update() -> tuple[str | None, dict[str, Any]]:
        state = await fsm.get_state(KEY)  # aiogram's FSM middleware, first in every update
        data = await fsm.get_data(KEY)  # the handler
        return state, data

    reads = forms.reads
    state, data = await asyncio.create_task(update())
    assert state == "BookingForm:phone"
    assert data == {"name": "Anna", "service": "first"}
    assert forms.reads == reads + 1


async def test_data_changed_by_the_handler_is_what_it_reads_next(storage: Storage) -> None:
    fsm = RepositoryStorage(storage.forms)
    await fsm.set_data(KEY, {"name": "Anna", "times": ["morning"]})

    async def update() -> dict[str, Any]:
        await fsm.get_state(KEY)
        data = await fsm.get_data(KEY)
        data["times"].append("evening")  # changed, not saved: the form must not change
        assert await fsm.get_data(KEY) == {"name": "Anna", "times": ["morning"]}
        await fsm.update_data(KEY, {"phone": "+79161234567"})
        return await fsm.get_data(KEY)

    expected = {"name": "Anna", "times": ["morning"], "phone": "+79161234567"}
    assert await asyncio.create_task(update()) == expected
    # And the database has it, for the next update or another instance.
    assert await RepositoryStorage(storage.forms).get_data(KEY) == expected


async def test_another_instance_reads_its_own_rows(storage: Storage) -> None:
    """Two instances on one database, fed in one task: neither answers from the other's
    read, and each update's state read brings the form up to date."""
    first, second = RepositoryStorage(storage.forms), RepositoryStorage(storage.forms)
    await first.set_data(KEY, {"name": "Anna"})
    await first.get_state(KEY)
    await second.get_state(KEY)
    await second.set_data(KEY, {"name": "Maria"})
    assert await first.get_data(KEY) == {"name": "Maria"}
    await first.get_state(KEY)
    assert await first.get_data(KEY) == {"name": "Maria"}


async def test_another_patients_form_is_read_from_the_database(storage: Storage) -> None:
    fsm = RepositoryStorage(storage.forms)
    other = StorageKey(bot_id=1, chat_id=77, user_id=77)
    await fsm.set_data(KEY, {"name": "Anna"})
    await fsm.set_data(other, {"name": "Boris"})
    await fsm.get_state(KEY)
    assert await fsm.get_data(other) == {"name": "Boris"}
    assert await fsm.get_data(KEY) == {"name": "Anna"}


async def test_the_state_read_brings_the_patients_language_and_ban(storage: Storage) -> None:
    forms = CountingForms(storage)
    fsm = RepositoryStorage(forms)
    await storage.patients.set_user_locale(KEY.user_id, "en")
    await fsm.set_state(KEY, "BookingForm:phone")

    async def update() -> PatientProfile | None:
        await fsm.get_state(KEY)
        return fsm.profile_read_with_state(KEY.user_id)

    reads = forms.reads
    assert await asyncio.create_task(update()) == PatientProfile(locale="en", banned=False)
    assert forms.reads == reads + 1
    # What changed since is what the next update sees.
    await storage.patients.set_user_locale(KEY.user_id, "ru")
    await storage.patients.set_banned(KEY.user_id, banned_by=7)
    assert await asyncio.create_task(update()) == PatientProfile(locale="ru", banned=True)


async def test_a_new_user_reads_as_no_form_and_no_language(storage: Storage) -> None:
    fsm = RepositoryStorage(storage.forms)
    newcomer = StorageKey(bot_id=1, chat_id=5, user_id=5)
    assert await fsm.get_state(newcomer) is None
    assert await fsm.get_data(newcomer) == {}
    assert fsm.profile_read_with_state(5) == PatientProfile(locale=None, banned=False)
    # Another user's profile, or another storage's read, is never answered from it.
    assert fsm.profile_read_with_state(6) is None
    assert RepositoryStorage(storage.forms).profile_read_with_state(5) is None

"""The staff routers' gate: a patient's ordinary update skips every staff router at once,
while everything staff can send still reaches them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.types import CallbackQuery, Chat, Message, PhotoSize, User

from bot.callbacks import (
    ArticleCallback,
    EditConfirmCallback,
    EditTargetCallback,
    StaffPageCallback,
)
from bot.filters import MayBeStaff
from bot.preview.emulator import TEST_TOKEN
from bot.settings import Settings
from bot.states import BookingForm, EditForm

MANAGERS = -100777
PERSON = User(id=42, is_bot=False, first_name="Anna")


def _settings() -> Settings:
    return Settings(_env_file=None, bot_token=TEST_TOKEN, manager_chat_id=MANAGERS)  # type: ignore[call-arg]


def _message(text: str, chat_id: int = PERSON.id) -> Message:
    chat = Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup")
    return Message(message_id=1, date=datetime.now(UTC), chat=chat, from_user=PERSON, text=text)


def _press(data: str, chat_id: int = PERSON.id) -> CallbackQuery:
    return CallbackQuery(
        id="1", from_user=PERSON, chat_instance="ci", message=_message("…", chat_id), data=data
    )


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Anna", None),
        ("📖 About osteoporosis", None),
        ("+7 916 123-45-67", BookingForm.phone.state),
    ],
)
async def test_a_patients_message_skips_the_staff_routers(text: str, state: str | None) -> None:
    assert not await MayBeStaff()(_message(text), _settings(), raw_state=state)


async def test_a_patients_button_skips_the_staff_routers() -> None:
    press = _press(ArticleCallback(section="causes").pack())
    assert not await MayBeStaff()(press, _settings())


@pytest.mark.parametrize("text", ["/stats 30", "/prices", "/start"])
async def test_commands_reach_the_staff_routers(text: str) -> None:
    """The staff routers check the sender themselves; a patient's /start passes them by."""
    assert await MayBeStaff()(_message(text), _settings())


async def test_a_command_under_a_photo_reaches_the_staff_routers() -> None:
    photo = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=PERSON.id, type="private"),
        from_user=PERSON,
        photo=[PhotoSize(file_id="f", file_unique_id="u", width=1, height=1)],
        caption="/announce Closed on Monday",
    )
    assert await MayBeStaff()(photo, _settings())


async def test_staff_typing_a_new_value_reaches_the_staff_routers() -> None:
    for state in (EditForm.value, EditForm.confirm):
        assert await MayBeStaff()(_message("1 500"), _settings(), raw_state=state.state)


async def test_everything_in_the_manager_chat_reaches_the_staff_routers() -> None:
    assert await MayBeStaff()(_message("Called her back", MANAGERS), _settings())
    assert await MayBeStaff()(_press("anything", MANAGERS), _settings())


@pytest.mark.parametrize(
    "data",
    [
        StaffPageCallback(table="rq").pack(),
        EditTargetCallback(what="service", id="first").pack(),
        EditConfirmCallback(apply=True).pack(),
    ],
)
async def test_staffs_own_buttons_in_a_private_chat_reach_the_staff_routers(data: str) -> None:
    assert await MayBeStaff()(_press(data), _settings())

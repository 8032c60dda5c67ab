"""The "/" menus per scope: patients see theirs; the manager chat and staff's private chats
see the staff's commands, in both languages (and English for any other)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.preview.emulator import FakeTelegramServer
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import patient, say

ADMIN = 555
ON_DUTY = 777


@pytest.fixture
async def started(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[RunningBot]:
    settings = make_settings(admin_ids=str(ADMIN), on_duty_staff=f"@duty_anna,{ON_DUTY}")
    running = RunningBot(settings, telegram)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def names(telegram: FakeTelegramServer, scope: dict[str, object], language: str) -> list[str]:
    return [command["command"] for command in telegram.my_commands(scope, language)]


async def test_patients_see_only_their_commands(
    started: RunningBot, telegram: FakeTelegramServer
) -> None:
    for language in ("ru", "en", ""):
        listed = names(telegram, {"type": "all_private_chats"}, language)
        assert "book" in listed and "contacts" in listed
        assert "templates" not in listed and "stats" not in listed


async def test_the_manager_chat_sees_the_staff_commands_in_both_languages(
    started: RunningBot, telegram: FakeTelegramServer
) -> None:
    scope = {"type": "chat", "chat_id": MANAGER_CHAT_ID}
    russian = telegram.my_commands(scope, "ru")
    english = telegram.my_commands(scope, "en")
    assert [c["command"] for c in russian] == [c["command"] for c in english]
    assert {"requests", "stats", "templates", "help"} <= {c["command"] for c in russian}
    assert "book" not in {c["command"] for c in russian}
    described = {c["command"]: c["description"] for c in russian}
    assert described["templates"] == "Шаблоны ответов"
    assert {c["command"]: c["description"] for c in english}["templates"] == "Reply templates"
    assert names(telegram, scope, "") == [c["command"] for c in english]


async def test_staff_private_chats_get_staff_and_patient_commands(
    started: RunningBot, telegram: FakeTelegramServer
) -> None:
    for chat_id in (ADMIN, ON_DUTY):
        for language in ("ru", "en"):
            listed = names(telegram, {"type": "chat", "chat_id": chat_id}, language)
            assert listed[0] == "requests" and "templates" in listed
            assert "book" in listed and listed.count("help") == 1


async def test_help_from_an_admin_in_private_lists_staff_commands(
    started: RunningBot, telegram: FakeTelegramServer
) -> None:
    admin = telegram.private_user(ADMIN, "Админ")
    answer = await say(telegram, admin, "/help", "Для сотрудников")
    assert "/templates" in answer["text"]
    anna = await patient(telegram, 801, "Анна")
    assert "Для сотрудников" not in (await say(telegram, anna, "/help", "Что я умею"))["text"]
    assert telegram.calls_of("getChatMember") == []  # nobody's /help asked Telegram

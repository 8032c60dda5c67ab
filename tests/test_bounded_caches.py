"""Every per-patient memory of the process stays at its bound, however many patients came.

The in-process caches: the flood counter (per user), the staff directory (per user who
pressed a manager-chat button or typed a staff command), the per-conversation locks of
the event isolation. (Keyboards are cached by their texts only, `lru_cache(maxsize=1024)`;
a translator formats each of its parameterless messages once, bounded by the texts; its
texts with recurring parameters are kept up to FORMATTED_CACHE_SIZE, tested below; the pacing keeps
the times of at most a window's sends.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot

from bench.memory import FIRST_PATIENT_ID, MANAGER_CHAT_ID, TOKEN, Patients, canned_bot, serve
from bot.app import Application
from bot.content import CONTENT_DIR
from bot.flood import MemoryCounter
from bot.i18n import FORMATTED_CACHE_SIZE, load_translations
from bot.isolation import InFlightEventIsolation
from bot.settings import Settings
from bot.staff import StaffDirectory

PATIENTS = 400


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        manager_chat_id=MANAGER_CHAT_ID,
        database_url=f"sqlite:///{tmp_path}/clinic.db",
        throttle_limit=10_000,
    )


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    canned = canned_bot()
    try:
        yield canned
    finally:
        await canned.session.close()


async def test_the_flood_counter_keeps_the_most_recent_users_only() -> None:
    counter = MemoryCounter(60.0, max_users=100)
    for user_id in range(5_000):
        assert await counter.hit(user_id) == 1
    assert counter.users_counted == 100
    # The latest users keep their counts: a flooder among them is still counted.
    assert await counter.hit(4_999) == 2
    assert await counter.hit(4_999) == 3
    assert counter.users_counted == 100


async def test_the_staff_directory_remembers_at_most_its_bound(tmp_path: Path, bot: Bot) -> None:
    staff = StaffDirectory(_settings(tmp_path), cache_entries=50)
    for user_id in range(FIRST_PATIENT_ID, FIRST_PATIENT_ID + 2_000):
        assert not await staff.is_staff(bot, user_id)  # Telegram: not a member
    assert staff.remembered == 50


def test_texts_with_parameters_are_kept_up_to_the_bound_only() -> None:
    t = load_translations(CONTENT_DIR, ("ru", "en"), "ru").get("en")
    for amount in range(3 * FORMATTED_CACHE_SIZE):
        assert t("price-from", amount=amount) == f"from {amount:,} ₽"  # Fluent groups digits
    assert t.texts_kept == FORMATTED_CACHE_SIZE
    # The oldest were dropped, and come back right.
    assert t("price-from", amount=0) == "from 0 ₽"
    assert t.texts_kept == FORMATTED_CACHE_SIZE


def test_a_patients_name_or_phone_is_never_kept() -> None:
    """Erasing a patient leaves nothing of theirs in memory; their unique texts never push
    out the recurring ones."""
    t = load_translations(CONTENT_DIR, ("ru", "en"), "ru").get("en")
    assert t("review-sign-as", name="Anna Petrova") == "✍️ Sign as Anna Petrova"
    assert "+79161234567" in t("book-phone-saved", phone="+79161234567")
    assert t.texts_kept == 0
    assert t("review-rated", stars="⭐⭐⭐⭐⭐") == "Your rating: ⭐⭐⭐⭐⭐"
    assert t.texts_kept == 1


def test_texts_loaded_anew_let_the_earlier_translators_go(tmp_path: Path) -> None:
    """/reload (and the preview, on every edit) loads the texts anew: the keyboards kept for
    the earlier translators, which hold their Fluent bundles and kept texts, are dropped."""
    from bot import keyboards
    from bot.app import load_texts

    _, translations = load_texts(_settings(tmp_path))
    keyboards.main_menu(translations.get("en"))
    keyboards.review_stars(translations.get("ru"))
    assert keyboards.kept_keyboards() >= 2
    _, reloaded = load_texts(_settings(tmp_path))
    assert keyboards.kept_keyboards() == 0
    assert keyboards.main_menu(reloaded.get("en")).keyboard[0][0].text == reloaded.get("en")(
        "menu-article"
    )


async def test_event_locks_are_kept_only_for_conversations_in_flight() -> None:
    isolation = InFlightEventIsolation()
    order: list[str] = []

    # The first update holds its conversation until released: no sleep decides what is done
    # by the time of the check (a loaded machine's slow loop would have).
    release_first = asyncio.Event()

    async def update(key: int, name: str, hold: asyncio.Event | None = None) -> None:
        async with isolation.lock(key):  # type: ignore[arg-type]
            order.append(f"{name} in")
            if hold is not None:
                await hold.wait()
            await asyncio.sleep(0)
            order.append(f"{name} out")

    first = asyncio.create_task(update(1, "a", release_first))
    await asyncio.sleep(0)
    second = asyncio.create_task(update(1, "b"))
    others = [asyncio.create_task(update(key, str(key))) for key in range(2, 1_000)]
    await asyncio.gather(*others)
    assert isolation.keys_held == 1  # the others are done; one key holds two updates
    release_first.set()
    await asyncio.gather(first, second)
    # One update of a conversation at a time, in order, as aiogram's isolation does.
    assert order.index("a out") < order.index("b in")
    assert isolation.keys_held == 0


async def test_many_patients_through_the_dispatcher_leave_no_trace_in_memory(
    tmp_path: Path, bot: Bot
) -> None:
    application = await Application.create(_settings(tmp_path))
    await application.bot.session.close()
    dispatcher = application.dispatcher
    try:
        patients = Patients()
        # Many at once: a conversation's lock lives while its update is handled.
        await asyncio.gather(
            *(
                serve(dispatcher, bot, patients, FIRST_PATIENT_ID + batch * 100, 100)
                for batch in range(PATIENTS // 100)
            )
        )
        isolation = dispatcher.fsm.events_isolation
        assert isinstance(isolation, InFlightEventIsolation)
        assert isolation.keys_held == 0
        assert dispatcher["staff"].remembered == 0  # no patient was asked about
        # Every patient was served: their language is stored.
        for user_id in (FIRST_PATIENT_ID, FIRST_PATIENT_ID + PATIENTS - 1):
            assert await application.storage.patients.get_user_locale(user_id) == "ru"
    finally:
        await application.close()

"""Staff overrides over content/ (parsing, applying, storage, two instances) and sources' storage.

Storage tests run on SQLite and PostgreSQL (`tests/pg.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.app import load_texts
from bot.clock import ManualClock
from bot.content import Content, load_content
from bot.content_store import ContentStore, OverridesRefresh
from bot.services.overrides import (
    Edit,
    EditKind,
    InputProblem,
    announcement_key,
    apply_overrides,
    hidden_key,
    hours_key,
    name_key,
    parse_hours_edit,
    parse_phone_edit,
    parse_service_edit,
    phone_key,
    price_key,
)
from bot.services.sources import deep_link, deep_link_source
from bot.settings import Settings
from storage import Storage, open_storage
from storage.models import NewRequest

pytest_plugins = ("tests.pg",)

LOCALES = ("ru", "en")
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def files() -> Content:
    return load_content()


# --------------------------------------------------------------------------- parsing


def test_a_number_is_a_price_in_every_language(files: Content) -> None:
    edit = parse_service_edit("7 200 ₽", "cycle1", "ru", LOCALES, files)
    assert isinstance(edit, Edit)
    assert edit.kind == EditKind.PRICE
    assert dict(edit.changes) == {price_key("cycle1"): "7200"}
    assert (edit.old, edit.new) == ("6500", "7200")
    assert parse_service_edit("0", "cycle1", "ru", LOCALES, files) == InputProblem.PRICE
    assert parse_service_edit("100000000", "cycle1", "ru", LOCALES, files) == InputProblem.PRICE


def test_text_is_a_name_in_the_staff_language_or_the_prefixed_one(files: Content) -> None:
    russian = parse_service_edit("Курс лечения", "cycle1", "ru", LOCALES, files)
    assert isinstance(russian, Edit)
    assert dict(russian.changes) == {name_key("ru", "cycle1"): "Курс лечения"}
    english = parse_service_edit("en: First cycle", "cycle1", "ru", LOCALES, files)
    assert isinstance(english, Edit)
    assert dict(english.changes) == {name_key("en", "cycle1"): "First cycle"}
    assert english.old == "en: First treatment cycle (12 sessions)"
    assert parse_service_edit("<b>x</b>", "cycle1", "ru", LOCALES, files) == InputProblem.NAME
    assert parse_service_edit("x" * 61, "cycle1", "ru", LOCALES, files) == InputProblem.TOO_LONG


def test_hidden_and_shown(files: Content) -> None:
    hide = parse_service_edit("Скрыть", "consult", "ru", LOCALES, files)
    assert isinstance(hide, Edit)
    assert dict(hide.changes) == {hidden_key("consult"): "1"}
    show = parse_service_edit("shown", "consult", "en", LOCALES, files)
    assert isinstance(show, Edit)
    assert dict(show.changes) == {hidden_key("consult"): None}


def test_phone_and_hours_input(files: Content) -> None:
    branch = files.clinic.branches[0]
    phone = parse_phone_edit("8 (495) 765-43-21", branch)
    assert isinstance(phone, Edit)
    assert dict(phone.changes) == {phone_key(branch.id): "+74957654321"}
    assert parse_phone_edit("765-43-21", branch) == InputProblem.PHONE
    week = parse_hours_edit("пн-пт 08:00-21:00", branch)
    assert isinstance(week, Edit)
    assert dict(week.changes) == {hours_key(branch.id, day): "08:00-21:00" for day in range(5)}
    closed = parse_hours_edit("sat, sun closed", branch)
    assert isinstance(closed, Edit)
    assert dict(closed.changes) == {
        hours_key(branch.id, 5): "closed",
        hours_key(branch.id, 6): "closed",
    }
    night = parse_hours_edit("fri 20:00-02:00", branch)
    assert isinstance(night, Edit)
    for bad in ("mon", "funday 09:00-10:00", "fri-mon 09:00-10:00", "mon 25:00-26:00", "mon 9"):
        assert parse_hours_edit(bad, branch) == InputProblem.HOURS, bad


# --------------------------------------------------------------------------- applying


def test_overrides_change_what_patients_see_and_skip_what_no_longer_fits(
    files: Content,
) -> None:
    branch = files.clinic.branches[0]
    content = apply_overrides(
        files,
        {
            price_key("cycle1"): "7200",
            name_key("en", "cycle1"): "First cycle",
            hidden_key("consult"): "1",
            price_key("gone"): "100",  # a service no longer in the files
            price_key("cycle2"): "not a number",
            phone_key(branch.id): "+74957654321",
            hours_key(branch.id, 5): "closed",
            hours_key(branch.id, 6): "10:00-14:00",
            announcement_key(): "Closed on 31 December",
            announcement_key("ru"): "31 декабря не работаем",
        },
    )
    for locale in LOCALES:
        local = content.for_locale(locale)
        assert [s.id for s in local.services if s.id == "consult"] == []
        assert local.service("consult") is not None  # old buttons and cards still find it
        cycle = local.service("cycle1")
        assert cycle is not None and cycle.price_from == 7200
        cycle2 = local.service("cycle2")
        original = files.for_locale(locale).service("cycle2")
        assert cycle2 is not None and original is not None
        assert cycle2.price_from == original.price_from
    english = content.for_locale("en").service("cycle1")
    russian = content.for_locale("ru").service("cycle1")
    assert english is not None and english.name == english.short == "First cycle"
    assert russian is not None and russian.name == "Первый курс лечения (12 сеансов)"
    changed = content.clinic.branches[0]
    assert changed.phone == "+74957654321"
    assert 5 not in changed.hours
    assert changed.hours[6].start == time(10, 0)
    assert changed.hours[0] == branch.hours[0]
    assert content.announcement_for("ru") == "31 декабря не работаем"
    assert content.announcement_for("en") == "Closed on 31 December"
    assert files.announcement_for("en") is None
    assert apply_overrides(files, {}) is files


def test_the_store_keeps_overrides_over_reloaded_files(files: Content, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, bot_token="1:" + "a" * 35, manager_chat_id=-1)  # type: ignore[call-arg]
    _, translations = load_texts(settings)
    store = ContentStore(files, translations)
    assert store.use_overrides({price_key("cycle1"): "7200"})
    assert not store.use_overrides({price_key("cycle1"): "7200"})
    reloaded = load_content()
    store.use_files(reloaded, translations)
    cycle = store.content.for_locale("ru").service("cycle1")
    assert cycle is not None and cycle.price_from == 7200
    file_cycle = store.files.for_locale("ru").service("cycle1")
    assert file_cycle is not None and file_cycle.price_from == 6500


# --------------------------------------------------------------------------- storage


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    opened = await open_storage(database_url, clock=ManualClock(NOW))
    try:
        yield opened
    finally:
        await opened.close()


async def test_overrides_are_stored_with_their_audit_and_reach_another_instance(
    storage: Storage, database_url: str, files: Content
) -> None:
    settings = Settings(_env_file=None, bot_token="1:" + "a" * 35, manager_chat_id=-1)  # type: ignore[call-arg]
    _, translations = load_texts(settings)
    other = await open_storage(database_url)
    try:
        other_store = ContentStore(files, translations)
        refresh = OverridesRefresh(other_store, other.overrides)
        await storage.overrides.change_overrides(
            {price_key("cycle1"): "7200"},
            staff_id=900,
            staff_name="Главврач",
            action="edit-price",
            target="cycle1: 6500 → 7200",
        )
        assert await refresh.run_once()
        cycle = other_store.content.for_locale("en").service("cycle1")
        assert cycle is not None and cycle.price_from == 7200
        assert not await refresh.run_once()  # nothing new

        await storage.overrides.change_overrides(
            {price_key("cycle1"): None, announcement_key(): "Closed"},
            staff_id=900,
            staff_name="Главврач",
            action="reset-service",
            target="cycle1 → file",
        )
        assert await storage.overrides.all_overrides() == {announcement_key(): "Closed"}
        assert await refresh.run_once()
        cycle = other_store.content.for_locale("en").service("cycle1")
        assert cycle is not None and cycle.price_from == 6500
        assert other_store.content.announcement_for("en") == "Closed"
    finally:
        await other.close()
    entries = await storage.audit.latest_audit(5)
    assert [(e.action, e.target, e.staff_name) for e in entries] == [
        ("reset-service", "cycle1 → file", "Главврач"),
        ("edit-price", "cycle1: 6500 → 7200", "Главврач"),
    ]
    assert entries[0].at == NOW


def _request(user_id: int, token: str) -> NewRequest:
    return NewRequest(
        user_id=user_id,
        locale="ru",
        service_id="consult",
        name="Анна",
        phone="+79161234567",
        preferred_time="утром",
        complaint=None,
        consent_version="v1",
        consented_at=NOW,
        form_token=token,
    )


async def test_sources_first_latest_and_on_requests(storage: Storage) -> None:
    from storage.models import OutboxMessage

    def card(request_id: int) -> OutboxMessage:
        return OutboxMessage("request", request_id, -100, None, f"card {request_id}")

    await storage.patients.set_user_locale(10, "ru")
    await storage.sources.record_source(10, "flyer", "ru")
    await storage.sources.record_source(10, "vk_post_12", "ru")
    await storage.sources.record_source(11, "flyer", "en")  # no users row yet
    assert await storage.sources.sources_of(10) == ("flyer", "vk_post_12")
    assert await storage.sources.sources_of(11) == ("flyer", "flyer")
    assert await storage.patients.get_user_locale(11) == "en"
    first = await storage.requests.create_request(_request(10, "a"), card)
    none = await storage.requests.create_request(_request(12, "b"), card)
    assert await storage.sources.request_source(first) == "vk_post_12"
    assert await storage.sources.request_source(none) is None
    stored = await storage.requests.get_request(first)
    assert stored is not None and stored.source == "vk_post_12"
    rows = await storage.sources.source_stats(NOW - timedelta(days=7))
    assert [(r.source, r.patients, r.requests, r.booked, r.came) for r in rows] == [
        ("vk_post_12", 1, 1, 0, 0),
        ("flyer", 1, 0, 0, 0),
    ]
    assert rows[1].conversion is None
    assert await storage.sources.source_stats(NOW + timedelta(days=1)) == []


def test_deep_link_source_rules() -> None:
    assert deep_link_source("vk_post_12") == "vk_post_12"
    assert deep_link_source(" flyer ") == "flyer"
    assert deep_link_source("A-b_9" * 12 + "abcd") is not None  # 64 characters
    for bad in (None, "", "a" * 65, "<b>", "привет", "a b", "a.b", "a/b"):
        assert deep_link_source(bad) is None, bad
    assert deep_link("clinic_bot", "flyer") == "https://t.me/clinic_bot?start=flyer"

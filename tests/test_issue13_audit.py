"""Issue 13 audit: the staff screens its first tests left out read the clinic's time too
(review moderation on the card, /reviews, /outbox), never UTC; long polling's failures are
logged once per outage."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.preview.emulator import FakeTelegramServer
from bot.services.clinic_time import format_moment
from storage.models import NewRequest, OutboxMessage
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import patient, say
from tests.test_e2e_managers import _leave_review, button_data, managers, running, staff_member

ADMIN_ID = 900
# UTC+5: no wall-clock hour of it reads as UTC or as Moscow (the default).
ZONE = ZoneInfo("Asia/Yekaterinburg")
UTC_ZONE = ZoneInfo("UTC")


def _moments(start: datetime, end: datetime, zone: ZoneInfo) -> set[str]:
    """How a moment between `start` and `end` reads in `zone` (a minute may turn between)."""
    return {format_moment(start, zone, "ru"), format_moment(end, zone, "ru")}


def _card_send_fails(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    if method.lower() == "sendmessage" and params.get("chat_id") == MANAGER_CHAT_ID:
        return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    return None


async def test_review_moderation_reviews_list_and_outbox_read_clinic_time(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    settings = make_settings(admin_ids=(ADMIN_ID,), clinic_timezone=ZONE.key)
    async with running(settings, telegram) as clinic:
        group = managers(telegram)
        maria = staff_member(telegram, 901, "Мария")
        sveta = await patient(telegram, 601, "Света")
        card = await _leave_review(telegram, sveta, "Помогли с болью в стопе")

        before = datetime.now(UTC)
        since = telegram.mark()
        telegram.press(maria, card, button_data(telegram, card, "✅ Опубликовать"), chat=group)
        edited = await telegram.wait_for_message(MANAGER_CHAT_ID, "Отзыв опубликован", since=since)
        after = datetime.now(UTC)
        assert any(shown in edited["text"] for shown in _moments(before, after, ZONE))
        assert not any(shown in edited["text"] for shown in _moments(before, after, UTC_ZONE))

        admin = await patient(telegram, ADMIN_ID, "Главврач")
        listing = await say(telegram, admin, "/reviews published", "Отзывы:")
        [review] = [r for r in await clinic.storage.reviews.list_reviews(None) if r.user_id == 601]
        assert format_moment(review.created_at, ZONE, "ru") in listing["text"]
        assert format_moment(review.created_at, UTC_ZONE, "ru") not in listing["text"]

        # Cards cannot be posted for a while: /outbox says since when they wait.
        telegram.responder = _card_send_fails
        request = NewRequest(
            user_id=602,
            locale="ru",
            service_id=None,
            name="Пётр",
            phone="+79160000002",
            preferred_time="утром",
            complaint=None,
            consent_version="v",
            consented_at=datetime.now(UTC),
        )
        await clinic.storage.requests.create_request(
            request,
            lambda number: OutboxMessage("request", number, MANAGER_CHAT_ID, None, "card"),
        )
        count, rows = await clinic.storage.outbox.outbox_overview(limit=10)
        assert count >= 1
        overview = await say(telegram, admin, "/outbox", "В очереди на доставку")
        oldest = rows[0].created_at
        assert f"ждёт с {format_moment(oldest, ZONE, 'ru')}" in overview["text"]
        assert format_moment(oldest, UTC_ZONE, "ru") not in overview["text"]
        telegram.responder = None


# --------------------------------------------------------------------------- polling outages


def _polling_lines(caplog: pytest.LogCaptureFixture, start: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.name == "aiogram.dispatcher" and str(record.msg).startswith(start)
    )


async def test_polling_failures_are_logged_once_per_outage(
    clinic: RunningBot, telegram: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiogram.dispatcher")
    user = await patient(telegram, 2301, "Ира")
    refused_so_far = 0
    for outage, failures in enumerate((3, 2), start=1):
        # The poll in progress brings the first /help; the next `failures` polls get a 502
        # (retried with aiogram's backoff); then the second /help comes through.
        telegram.fail("getUpdates", status=502, times=failures)
        await say(telegram, user, "/help", "/book")
        since = telegram.mark()
        telegram.send_text(user, "/help")
        await telegram.wait_for_message(user.id, "/book", since=since, timeout=30)
        refused_so_far += failures
        assert len([c for c in telegram.calls_of("getUpdates") if not c.ok]) == refused_so_far
        assert _polling_lines(caplog, "Failed to fetch updates") == outage
        assert _polling_lines(caplog, "Sleep for") == outage
        assert _polling_lines(caplog, "Connection established") == outage

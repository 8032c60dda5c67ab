"""/stats from the daily aggregates says exactly what counting every row says.

Random requests and reviews over three years, written the ways the bot and an operator
write them (the repositories, status changes, erasure, plain SQL, a deletion), then /stats
over windows from a few hours to ten years compared with a full count, on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select

from bot.clock import ManualClock
from storage import CardRenderer, Storage, open_storage
from storage.dialects import utc_day
from storage.models import NewRequest, NewReview, OutboxMessage, RequestStatus, Stats
from storage.schema import request_events, requests, reviews

pytest_plugins = ("tests.pg",)

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
START = NOW - timedelta(days=3 * 365)
SERVICES = ("consult", "checkup", None, "xray")
CHAT = -100


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[tuple[Storage, ManualClock]]:
    clock = ManualClock(START)
    opened = await open_storage(database_url, clock=clock)
    try:
        yield opened, clock
    finally:
        await opened.close()


def _card(ref_id: int) -> OutboxMessage:
    return OutboxMessage(kind="request", ref_id=ref_id, chat_id=CHAT, thread_id=None, text="#")


def _review_card(ref_id: int) -> OutboxMessage:
    return OutboxMessage(kind="review", ref_id=ref_id, chat_id=CHAT, thread_id=None, text="#")


def _request(rng: random.Random, user_id: int) -> NewRequest:
    return NewRequest(
        user_id=user_id,
        locale="ru",
        service_id=rng.choice(SERVICES),
        name="Анна",
        phone="+79161234567",
        preferred_time="утром",
        complaint=None,
        consent_version="v1",
        consented_at=START,
    )


async def _full_count(storage: Storage, since: datetime) -> Stats:
    """The answer /stats gave before the aggregates: every row of the window counted."""
    async with storage.database.read(snapshot=True) as connection:
        day = utc_day(connection.dialect.name, requests.c.created_at).label("day")
        service = func.coalesce(requests.c.service_id, "").label("service")
        groups = (
            await connection.execute(
                select(day, requests.c.status, service, func.count())
                .where(requests.c.created_at >= since)
                .group_by(day, requests.c.status, service)
            )
        ).all()
        review_count, rating_sum = (
            await connection.execute(
                select(func.count(), func.sum(reviews.c.rating)).where(
                    reviews.c.created_at >= since
                )
            )
        ).one()
    days: dict[str, int] = {}
    per_status: dict[str, int] = {}
    services: dict[str, int] = {}
    for day_value, status, service_id, count in groups:
        days[day_value] = days.get(day_value, 0) + count
        per_status[status] = per_status.get(status, 0) + count
        services[service_id] = services.get(service_id, 0) + count
    return Stats(
        since=since,
        total=sum(per_status.values()),
        per_day=sorted(days.items()),
        per_status=dict(sorted(per_status.items())),
        per_service=dict(sorted(sorted(services.items()), key=lambda item: -item[1])),
        reviews_count=int(review_count),
        reviews_average=int(rating_sum) / int(review_count) if review_count else None,
    )


async def _fill(storage: Storage, clock: ManualClock, rng: random.Random) -> None:
    """Requests and reviews at random moments (several a day, some days none), statuses
    moved on by managers, one patient erased, rows written and deleted by plain SQL."""
    request_ids: list[int] = []
    card: CardRenderer = _card
    while clock() < NOW:
        clock.advance(timedelta(hours=rng.expovariate(1 / 10)))
        if rng.random() < 0.8:
            request_ids.append(
                await storage.requests.create_request(_request(rng, rng.randint(1, 40)), card)
            )
        else:
            await storage.reviews.create_review(
                NewReview(
                    user_id=rng.randint(1, 40),
                    author="С",
                    rating=rng.randint(1, 5),
                    text=None,
                    locale="ru",
                ),
                _review_card,
            )
        if request_ids and rng.random() < 0.5:
            request_id = rng.choice(request_ids)
            current = await storage.requests.get_request(request_id)
            assert current is not None
            await storage.requests.change_request_status(
                request_id, current.status, rng.choice(list(RequestStatus)), 7, "Мария"
            )
    await storage.patients.forget(3, lambda user_id: _card(user_id))
    async with storage.database.transaction() as connection:
        # An operator's bulk load and clean-up bypass the repositories.
        await connection.execute(
            insert(requests),
            [
                {
                    "user_id": 99,
                    "locale": "ru",
                    "service_id": rng.choice(SERVICES),
                    "name": "x",
                    "phone": "+7",
                    "preferred_time": "x",
                    "consent_version": "v1",
                    "consented_at": START,
                    "status": rng.choice(list(RequestStatus)).value,
                    "created_at": NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 900)),
                }
                for _ in range(50)
            ],
        )
        deleted = requests.c.id.in_(request_ids[:5])
        await connection.execute(
            delete(request_events).where(request_events.c.request_id.in_(request_ids[:5]))
        )
        await connection.execute(delete(requests).where(deleted))
        await connection.execute(delete(reviews).where(reviews.c.id < 4))


async def test_stats_over_any_window_equals_a_full_count(
    storage: tuple[Storage, ManualClock],
) -> None:
    repository, clock = storage
    rng = random.Random(16)
    await _fill(repository, clock, rng)
    windows = [timedelta(hours=5), timedelta(days=1), timedelta(days=7), timedelta(days=365)]
    windows += [timedelta(days=3650), timedelta(days=rng.uniform(0, 1200))]
    windows += [timedelta(minutes=rng.randint(1, 60 * 24 * 1200)) for _ in range(6)]
    for window in windows:
        since = NOW - window
        expected = await _full_count(repository, since)
        assert expected.total > 0 or window < timedelta(days=1)
        assert await repository.requests.stats(since) == expected, window


async def test_a_window_starting_at_midnight_and_an_empty_one(
    storage: tuple[Storage, ManualClock],
) -> None:
    repository, clock = storage
    rng = random.Random(6)
    clock.set(NOW - timedelta(days=2))
    for _ in range(30):
        clock.advance(timedelta(hours=1.5))
        await repository.requests.create_request(_request(rng, 5), _card)
    midnight = NOW.replace(hour=0, minute=0)
    for since in (midnight, midnight - timedelta(days=1), NOW + timedelta(hours=1)):
        assert await repository.requests.stats(since) == await _full_count(repository, since)
    empty = await repository.requests.stats(NOW + timedelta(hours=1))
    assert empty.total == 0 and empty.reviews_average is None


async def test_ten_years_of_stats_fit_one_message(
    storage: tuple[Storage, ManualClock],
) -> None:
    from bot import staff_views
    from bot.content import CONTENT_DIR, load_content
    from bot.i18n import load_translations
    from bot.settings import SUPPORTED_LOCALES

    repository, clock = storage
    await _fill(repository, clock, random.Random(3))
    data = await repository.requests.stats(NOW - timedelta(days=3650))
    t = load_translations(CONTENT_DIR, SUPPORTED_LOCALES, "ru").get("ru")
    content = load_content(CONTENT_DIR, SUPPORTED_LOCALES).for_locale("ru")
    text = staff_views.stats(t, content, 3650, data)
    assert len(text) < 4096
    # Three years of days are shown as years, and add up to the total.
    years = re.findall(r"^\s+(\d{4}): (\d+)$", text, re.MULTILINE)
    assert [year for year, _ in years] == ["2023", "2024", "2025", "2026"]
    assert sum(int(count) for _, count in years) == data.total

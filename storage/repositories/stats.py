"""/stats from the daily aggregates (revision 0006): the same answer as counting the rows.

A window starts at a moment (`since`, now minus N days), not at midnight: the whole days
after `since`'s day come from `request_days`/`review_days` (at most one row per day, status
and service: ten years are a few tens of thousands of rows), and the part of `since`'s own
day from the rows themselves, through the created_at index (one day of requests at most).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import utc_day
from storage.models import Stats
from storage.schema import request_days, requests, review_days, reviews


def _day_after(moment: datetime) -> tuple[str, datetime]:
    """`moment`'s UTC day as 'YYYY-MM-DD', and the midnight that ends it."""
    day = moment.date()
    return day.isoformat(), datetime.combine(day + timedelta(days=1), time(), moment.tzinfo)


async def window_stats(connection: AsyncConnection, since: datetime) -> Stats:
    """Requests and reviews created at or after `since`; `connection` reads one snapshot."""
    first_day, next_midnight = _day_after(since.astimezone(UTC))
    day = utc_day(connection.dialect.name, requests.c.created_at).label("day")
    service = func.coalesce(requests.c.service_id, "").label("service")
    partial = select(day, requests.c.status, service, func.count()).where(
        requests.c.created_at >= since, requests.c.created_at < next_midnight
    )
    whole = select(
        request_days.c.day,
        request_days.c.status,
        request_days.c.service_id,
        request_days.c.total,
    ).where(request_days.c.day > first_day, request_days.c.total > 0)
    days: dict[str, int] = {}
    per_status: dict[str, int] = {}
    services: dict[str, int] = {}
    for statement in (partial.group_by(day, requests.c.status, service), whole):
        for day_value, status, service_id, count in await connection.execute(statement):
            days[str(day_value)] = days.get(str(day_value), 0) + int(count)
            per_status[str(status)] = per_status.get(str(status), 0) + int(count)
            services[str(service_id)] = services.get(str(service_id), 0) + int(count)
    partial_reviews = (
        await connection.execute(
            select(func.count(), func.coalesce(func.sum(reviews.c.rating), 0)).where(
                reviews.c.created_at >= since, reviews.c.created_at < next_midnight
            )
        )
    ).one()
    whole_reviews = (
        await connection.execute(
            select(
                func.coalesce(func.sum(review_days.c.total), 0),
                func.coalesce(func.sum(review_days.c.rating_sum), 0),
            ).where(review_days.c.day > first_day)
        )
    ).one()
    reviews_count = int(partial_reviews[0]) + int(whole_reviews[0])
    rating_sum = int(partial_reviews[1]) + int(whole_reviews[1])
    return Stats(
        since=since,
        total=sum(per_status.values()),
        per_day=sorted(days.items()),
        per_status=dict(sorted(per_status.items())),
        # Most requested first; equal counts in the order of the service id.
        per_service=dict(sorted(sorted(services.items()), key=lambda item: -item[1])),
        reviews_count=reviews_count,
        reviews_average=rating_sum / reviews_count if reviews_count else None,
    )

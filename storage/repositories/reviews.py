"""Patients' reviews: moderation, the published list and its rating, the export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert
from storage.models import NewReview, RatingSummary, Review, ReviewStatus
from storage.repositories._records import insert_outbox_row, newer_or_older, page_of, review_of
from storage.repositories.requests import STREAM_ROWS
from storage.schema import meta, reviews
from storage.types import CardRenderer

_INSERT_REVIEW = reviews.insert().returning(reviews.c.id)
"""Built once, its values given at execution (building one per review cost more than
running it)."""


class ReviewRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    def _insert(self, connection: Connection, review: NewReview, status: ReviewStatus) -> int:
        return int(
            connection.scalar(
                _INSERT_REVIEW,
                {
                    "user_id": review.user_id,
                    "author": review.author,
                    "rating": review.rating,
                    "text": review.text,
                    "locale": review.locale,
                    "status": status.value,
                    "created_at": self._clock(),
                },
            )
        )

    async def create_review(self, review: NewReview, card: CardRenderer) -> int:
        """The review, pending moderation, and its card for the managers, all or nothing."""
        now = self._clock()

        def insert(connection: Connection) -> int:
            review_id = self._insert(connection, review, ReviewStatus.PENDING)
            insert_outbox_row(connection, card(review_id), now)
            return review_id

        return await self._database.write(insert)

    async def seed_reviews(self, reviews_to_seed: Sequence[NewReview]) -> bool:
        """Publish the clinic's own reviews on the first start only, never again.

        The mark is written first: of two processes starting together, the second waits for
        the first one's transaction and then finds the mark.
        """
        async with self._database.transaction() as connection:
            marked = await connection.scalar(
                upsert(connection.dialect.name, meta)
                .values(key="reviews_seeded", value="1")
                .on_conflict_do_nothing(index_elements=[meta.c.key])
                .returning(meta.c.key)
            )
            if marked is None:
                return False
            for review in reviews_to_seed:
                await connection.run_sync(self._insert, review, ReviewStatus.PUBLISHED)
        return True

    async def published_reviews(self, offset: int, limit: int) -> list[Review]:
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(reviews)
                .where(reviews.c.status == ReviewStatus.PUBLISHED.value)
                .order_by(reviews.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [review_of(row) for row in rows]

    async def get_review(self, review_id: int) -> Review | None:
        async with self._database.read() as connection:
            row = (
                await connection.execute(select(reviews).where(reviews.c.id == review_id))
            ).first()
        return review_of(row) if row is not None else None

    async def set_review_status(self, review_id: int, status: ReviewStatus) -> bool:
        async with self._database.transaction() as connection:
            changed = await connection.execute(
                update(reviews).where(reviews.c.id == review_id).values(status=status.value)
            )
        return changed.rowcount > 0

    async def moderate_review(
        self, review_id: int, status: ReviewStatus, staff_name: str
    ) -> Review | None:
        async with self._database.transaction() as connection:
            row = (
                await connection.execute(
                    update(reviews)
                    .where(reviews.c.id == review_id)
                    .values(
                        status=status.value, moderated_by=staff_name, moderated_at=self._clock()
                    )
                    .returning(*reviews.c)
                )
            ).first()
        return review_of(row) if row is not None else None

    async def rating_summary(self) -> RatingSummary:
        async with self._database.read() as connection:
            row = (
                await connection.execute(
                    select(func.count(), func.avg(reviews.c.rating)).where(
                        reviews.c.status == ReviewStatus.PUBLISHED.value
                    )
                )
            ).one()
        count = int(row[0])
        return RatingSummary(count=count, average=float(row[1]) if count else None)

    async def list_reviews(
        self,
        status: ReviewStatus | None,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 10,
    ) -> list[Review]:
        async with self._database.read() as connection:
            rows = await page_of(
                connection, reviews, status.value if status else None, before_id, after_id, limit
            )
        return [review_of(row) for row in rows]

    async def has_newer_or_older(
        self, status: str | None, ids: tuple[int, int]
    ) -> tuple[bool, bool]:
        """Whether reviews exist above the newest and below the oldest id shown."""
        async with self._database.read() as connection:
            return await newer_or_older(connection, reviews, status, ids)

    async def iter_reviews(self, start: datetime, end: datetime) -> AsyncIterator[Review]:
        """Rows one by one from a cursor: an export never holds the whole table in memory."""
        async with self._database.read(snapshot=True) as connection:
            rows = await connection.stream(
                select(reviews)
                .where(reviews.c.created_at >= start, reviews.c.created_at < end)
                .order_by(reviews.c.id)
                .execution_options(yield_per=STREAM_ROWS)
            )
            # A partition at a time: each step of an async result is a greenlet switch.
            async for partition in rows.partitions():
                for row in partition:
                    yield review_of(row)

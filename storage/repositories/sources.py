"""Where patients come from: the `?start=<source>` of the deep links they open.

The users row holds the first source a patient ever came with and the latest one (with its
time); a request takes the patient's latest source when it is stored (see `latest_source_of`,
used inside the request's own insert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, ScalarSelect, case, func, select

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert
from storage.models import RequestStatus, VisitStatus
from storage.schema import appointments, requests, users


def latest_source_of(user_id: int | BindParameter[int]) -> ScalarSelect[str]:
    """The patient's latest source, as a subquery for the insert of their request."""
    return select(users.c.latest_source).where(users.c.id == user_id).scalar_subquery()


@dataclass(frozen=True, slots=True)
class SourceStats:
    """One source over a period: who came by it and what their requests became."""

    source: str
    patients: int
    requests: int
    booked: int
    came: int  # the visit loop's "came" on the request's appointment

    @property
    def conversion(self) -> float | None:
        return self.booked / self.requests if self.requests else None


class SourceRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def record_source(self, user_id: int, source: str, locale: str) -> None:
        """The patient opened a deep link with `source`: their latest, and first if none yet.

        `locale` is only used when the patient has no users row yet.
        """
        now = self._clock()
        async with self._database.transaction() as connection:
            statement = upsert(connection.dialect.name, users).values(
                id=user_id,
                locale=locale,
                created_at=now,
                updated_at=now,
                first_source=source,
                latest_source=source,
                latest_source_at=now,
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[users.c.id],
                    set_={
                        "first_source": func.coalesce(users.c.first_source, source),
                        "latest_source": source,
                        "latest_source_at": now,
                    },
                )
            )

    async def sources_of(self, user_id: int) -> tuple[str | None, str | None]:
        """(first, latest) source of a patient."""
        async with self._database.read() as connection:
            row = (
                await connection.execute(
                    select(users.c.first_source, users.c.latest_source).where(users.c.id == user_id)
                )
            ).first()
        return (None, None) if row is None else (row[0], row[1])

    async def request_source(self, request_id: int) -> str | None:
        async with self._database.read() as connection:
            value = await connection.scalar(
                select(requests.c.source).where(requests.c.id == request_id)
            )
        return None if value is None else str(value)

    async def source_stats(self, since: datetime) -> list[SourceStats]:
        """Per source since `since`: patients who opened its link, their requests, booked.

        A patient counts under the source of the latest link they opened in the period.
        Sources with neither patients nor requests are left out; the busiest come first.
        """
        async with self._database.read(snapshot=True) as connection:
            people = await connection.execute(
                select(users.c.latest_source, func.count())
                .where(users.c.latest_source.is_not(None), users.c.latest_source_at >= since)
                .group_by(users.c.latest_source)
            )
            patients = {str(source): int(count) for source, count in people}
            booked = func.sum(case((requests.c.status == RequestStatus.BOOKED.value, 1), else_=0))
            came = func.sum(
                case((appointments.c.visit_status == VisitStatus.CAME.value, 1), else_=0)
            )
            rows = await connection.execute(
                select(requests.c.source, func.count(), booked, came)
                .select_from(
                    requests.outerjoin(appointments, appointments.c.request_id == requests.c.id)
                )
                .where(requests.c.source.is_not(None), requests.c.created_at >= since)
                .group_by(requests.c.source)
            )
            counts = {
                str(source): (int(total), int(won or 0), int(visited or 0))
                for source, total, won, visited in rows
            }
        names = set(patients) | set(counts)
        result = [
            SourceStats(
                source=name,
                patients=patients.get(name, 0),
                requests=counts.get(name, (0, 0, 0))[0],
                booked=counts.get(name, (0, 0, 0))[1],
                came=counts.get(name, (0, 0, 0))[2],
            )
            for name in names
        ]
        return sorted(result, key=lambda item: (-item.requests, -item.patients, item.source))

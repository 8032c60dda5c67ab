"""Patients: locale, consents, forum topics, bans, and their data rights (export, erasure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert, upsert_updating
from storage.models import (
    CLOSED_STATUSES,
    Consent,
    Erasure,
    OutboxMessage,
    PatientProfile,
    PersonalData,
)
from storage.repositories._records import (
    PROFILE_COLUMNS,
    insert_outbox_row,
    manager_message_of,
    profile_of,
    request_of,
    review_of,
)
from storage.schema import (
    appointments,
    consents,
    fsm,
    manager_messages,
    outbox,
    patients,
    requests,
    reviews,
    users,
    visit_messages,
)

_PROFILE = select(*PROFILE_COLUMNS)
"""Built once: it is read on every update (building a statement costs more than running it)."""

_CONSENT = select(consents.c.at).where(
    consents.c.user_id == bindparam("user_id"), consents.c.version == bindparam("version")
)
_LATEST_CONTACT = (
    select(requests.c.name, requests.c.phone)
    .where(
        requests.c.user_id == bindparam("user_id"),
        requests.c.erased_at.is_(None),
        requests.c.name != "",
        requests.c.phone != "",
    )
    .order_by(requests.c.id.desc())
    .limit(1)
)


class PatientRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    # --- locale ----------------------------------------------------------------------------

    async def get_user_locale(self, user_id: int) -> str | None:
        return (await self.profile(user_id)).locale

    async def profile(self, user_id: int) -> PatientProfile:
        """What every update of a user needs to know first, in one read: language and ban."""
        row = await self._database.lookup_one(_PROFILE, {"user_id": user_id})
        return profile_of(row[0], row[1]) if row is not None else profile_of(None, None)

    async def set_user_locale(self, user_id: int, locale: str) -> None:
        now = self._clock()
        await self._database.write_one(
            upsert_updating(self._database.dialect, users, ("id",), ("locale", "updated_at")),
            {"id": user_id, "locale": locale, "created_at": now, "updated_at": now},
        )

    async def consent_of(self, user_id: int, version: str) -> datetime | None:
        row = await self._database.lookup_one(_CONSENT, {"user_id": user_id, "version": version})
        return row.at if row is not None else None

    async def latest_contact(self, user_id: int) -> tuple[str, str] | None:
        """The name and phone of the patient's latest request that still has them (erased
        ones have none), to offer them again at the next booking."""
        row = await self._database.lookup_one(_LATEST_CONTACT, {"user_id": user_id})
        return (row.name, row.phone) if row is not None else None

    # --- forum topics and bans -------------------------------------------------------------

    async def patient_topic(self, patient_id: int) -> tuple[int | None, str]:
        async with self._database.read() as connection:
            row = (
                await connection.execute(
                    select(patients.c.topic_id, patients.c.display_name).where(
                        patients.c.user_id == patient_id
                    )
                )
            ).first()
        return (row.topic_id, row.display_name) if row is not None else (None, "")

    async def set_patient_topic(self, patient_id: int, topic_id: int | None) -> None:
        async with self._database.transaction() as connection:
            statement = upsert(connection.dialect.name, patients).values(
                user_id=patient_id, topic_id=topic_id
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[patients.c.user_id],
                    set_={"topic_id": statement.excluded.topic_id},
                )
            )

    async def set_banned(self, patient_id: int, banned_by: int | None) -> None:
        """Ban (`banned_by` = the staff member) or lift the ban (`None`)."""
        banned_at = self._clock() if banned_by is not None else None
        async with self._database.transaction() as connection:
            statement = upsert(connection.dialect.name, patients).values(
                user_id=patient_id, banned_by=banned_by, banned_at=banned_at
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[patients.c.user_id],
                    set_={
                        "banned_by": statement.excluded.banned_by,
                        "banned_at": statement.excluded.banned_at,
                    },
                )
            )

    async def is_banned(self, patient_id: int) -> bool:
        return (await self.profile(patient_id)).banned

    # --- data rights -----------------------------------------------------------------------

    async def personal_data(self, user_id: int) -> PersonalData:
        async with self._database.read(snapshot=True) as connection:
            request_rows = await connection.execute(
                select(requests)
                .where(requests.c.user_id == user_id, requests.c.erased_at.is_(None))
                .order_by(requests.c.id)
            )
            review_rows = await connection.execute(
                select(reviews)
                .where(reviews.c.user_id == user_id, reviews.c.erased_at.is_(None))
                .order_by(reviews.c.id)
            )
            consent_rows = await connection.execute(
                select(consents.c.version, consents.c.at)
                .where(consents.c.user_id == user_id)
                .order_by(consents.c.at, consents.c.version)
            )
            return PersonalData(
                locale=await _locale(connection, user_id),
                requests=[request_of(row) for row in request_rows],
                reviews=[review_of(row) for row in review_rows],
                consents=[Consent(version=row.version, at=row.at) for row in consent_rows],
            )

    async def forget(self, user_id: int, notice: Callable[[int], OutboxMessage]) -> Erasure:
        """Erase a patient's personal data, keeping anonymous rows for the statistics.

        Pending messages about the patient are dropped; `notice` renders the manager chat's
        note that a request was erased, written in the same transaction.
        """
        now = self._clock()
        async with self._database.transaction() as connection:
            cards = [
                manager_message_of(row)
                for row in await connection.execute(
                    select(manager_messages)
                    .where(manager_messages.c.patient_id == user_id)
                    .order_by(manager_messages.c.chat_id, manager_messages.c.message_id)
                )
            ]
            request_ids = await self._erase_requests(connection, requests.c.user_id == user_id)
            erased_reviews = await connection.execute(
                update(reviews)
                .where(reviews.c.user_id == user_id, reviews.c.erased_at.is_(None))
                .values(author=None, text=None, erased_at=now)
                .returning(reviews.c.id)
            )
            review_ids = sorted(int(review_id) for review_id in erased_reviews.scalars())
            await connection.execute(
                outbox.delete().where(outbox.c.patient_id == user_id, outbox.c.status == "pending")
            )
            # The visit loop: no reminder or follow-up waits for them any more, none queued
            # to their chat goes out, and what they wrote about a visit is blanked.
            await connection.execute(
                visit_messages.delete().where(visit_messages.c.patient_id == user_id)
            )
            await connection.execute(
                outbox.delete().where(outbox.c.chat_id == user_id, outbox.c.status == "pending")
            )
            await connection.execute(
                update(appointments)
                .where(appointments.c.patient_id == user_id)
                .values(move_wish=None, feedback=None, doctor=None)
            )
            await connection.execute(
                update(outbox).where(outbox.c.patient_id == user_id).values(text="")
            )
            await connection.execute(
                update(manager_messages)
                .where(manager_messages.c.patient_id == user_id)
                .values(text="")
            )
            await connection.execute(
                update(patients).where(patients.c.user_id == user_id).values(display_name="")
            )
            await connection.execute(fsm.delete().where(fsm.c.key.like(f"%:{user_id}:{user_id}:%")))
            for request_id in request_ids:
                await connection.run_sync(insert_outbox_row, notice(request_id), now)
        await self._database.clear_write_ahead_log()
        return Erasure(request_ids=request_ids, review_ids=review_ids, cards=cards)

    async def erase_expired(self, cutoff: datetime) -> list[int]:
        """Retention: blank closed requests and patients' messages created before `cutoff`."""
        closed = sorted(status.value for status in CLOSED_STATUSES)
        async with self._database.transaction() as connection:
            # Patients' own messages to the clinic expire the same way.
            await connection.execute(
                update(outbox)
                .where(
                    outbox.c.kind == "relay",
                    outbox.c.status == "sent",
                    outbox.c.created_at < cutoff,
                )
                .values(text="")
            )
            await connection.execute(
                update(manager_messages)
                .where(manager_messages.c.kind == "relay", manager_messages.c.created_at < cutoff)
                .values(text="")
            )
            erased = await self._erase_requests(
                connection, requests.c.status.in_(closed) & (requests.c.created_at < cutoff)
            )
        await self._database.clear_write_ahead_log()
        return erased

    async def _erase_requests(
        self, connection: AsyncConnection, matching: ColumnElement[bool]
    ) -> list[int]:
        """Blank the personal fields of matching requests and of the cards that showed them.

        One UPDATE picks and locks the rows, so a concurrent erasure skips what this one did.
        """
        erased = await connection.execute(
            update(requests)
            .where(requests.c.erased_at.is_(None), matching)
            .values(name="", phone="", preferred_time="", complaint=None, erased_at=self._clock())
            .returning(requests.c.id)
        )
        ids = sorted(int(request_id) for request_id in erased.scalars())
        if ids:
            await connection.execute(
                update(outbox)
                .where(outbox.c.kind == "request", outbox.c.ref_id.in_(ids))
                .values(text="")
            )
            await connection.execute(
                update(manager_messages)
                .where(manager_messages.c.kind == "request", manager_messages.c.ref_id.in_(ids))
                .values(text="")
            )
        return ids


async def _locale(connection: AsyncConnection, user_id: int) -> str | None:
    locale = await connection.scalar(select(users.c.locale).where(users.c.id == user_id))
    return str(locale) if locale is not None else None

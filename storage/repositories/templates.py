"""The managers' reply templates; every change is written with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.schema import audit, reply_templates


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    id: int
    name: str
    text: str


class TemplateRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def list_templates(self) -> list[ReplyTemplate]:
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(
                    reply_templates.c.id, reply_templates.c.name, reply_templates.c.text
                ).order_by(reply_templates.c.name)
            )
            return [ReplyTemplate(int(row[0]), str(row[1]), str(row[2])) for row in rows]

    async def get_template(self, template_id: int) -> ReplyTemplate | None:
        async with self._database.read() as connection:
            row = (
                await connection.execute(
                    select(
                        reply_templates.c.id, reply_templates.c.name, reply_templates.c.text
                    ).where(reply_templates.c.id == template_id)
                )
            ).first()
        return ReplyTemplate(int(row[0]), str(row[1]), str(row[2])) if row is not None else None

    async def add_template(self, name: str, text: str, *, staff_id: int, staff_name: str) -> bool:
        """False when a template of that name exists already."""
        now = self._clock()
        async with self._database.transaction() as connection:
            exists = await connection.scalar(
                select(reply_templates.c.id).where(reply_templates.c.name == name)
            )
            if exists is not None:
                return False
            await connection.execute(
                reply_templates.insert().values(
                    name=name, text=text, updated_by=staff_id, updated_at=now
                )
            )
            await self._audit(connection, staff_id, staff_name, "template:add", name, now)
        return True

    async def edit_template(self, name: str, text: str, *, staff_id: int, staff_name: str) -> bool:
        """False when there is no template of that name."""
        now = self._clock()
        async with self._database.transaction() as connection:
            result = await connection.execute(
                update(reply_templates)
                .where(reply_templates.c.name == name)
                .values(text=text, updated_by=staff_id, updated_at=now)
            )
            if result.rowcount != 1:
                return False
            await self._audit(connection, staff_id, staff_name, "template:edit", name, now)
        return True

    async def remove_template(self, name: str, *, staff_id: int, staff_name: str) -> bool:
        now = self._clock()
        async with self._database.transaction() as connection:
            result = await connection.execute(
                delete(reply_templates).where(reply_templates.c.name == name)
            )
            if result.rowcount != 1:
                return False
            await self._audit(connection, staff_id, staff_name, "template:remove", name, now)
        return True

    @staticmethod
    async def _audit(
        connection: AsyncConnection,
        staff_id: int,
        staff_name: str,
        action: str,
        name: str,
        now: datetime,
    ) -> None:
        await connection.execute(
            audit.insert().values(
                staff_id=staff_id,
                staff_name=staff_name,
                action=action,
                target=f"template {name}",
                at=now,
            )
        )

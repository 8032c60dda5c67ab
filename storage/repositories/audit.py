"""The staff's audit trail."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.models import AuditEntry
from storage.schema import audit

_ADD_ENTRY = audit.insert()
"""Built once, its values given at execution: every staff action writes one."""


class AuditRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def add_audit(self, staff_id: int, staff_name: str, action: str, target: str) -> None:
        await self._database.write_one(
            _ADD_ENTRY,
            {
                "staff_id": staff_id,
                "staff_name": staff_name,
                "action": action,
                "target": target,
                "at": self._clock(),
            },
        )

    async def latest_audit(self, limit: int) -> list[AuditEntry]:
        async with self._database.read() as connection:
            rows = await connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit))
            return [
                AuditEntry(
                    staff_id=row.staff_id,
                    staff_name=row.staff_name,
                    action=row.action,
                    target=row.target,
                    at=row.at,
                )
                for row in rows
            ]

"""What staff changed over the files in content/ (prices, names, hours, phones, announcement).

Every change is written together with its audit row (who, when, old → new): one transaction,
so the audit trail never misses a change that took effect, nor records one that did not.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select

from bot.clock import Clock, utc_now
from storage.database import Database
from storage.dialects import upsert
from storage.schema import audit, content_overrides


class OverrideRepository:
    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self._database = database
        self._clock = clock

    async def all_overrides(self) -> dict[str, str]:
        """Every override by key (a handful of rows: read whole, every few seconds)."""
        async with self._database.read() as connection:
            rows = await connection.execute(
                select(content_overrides.c.key, content_overrides.c.value)
            )
            return {str(key): str(value) for key, value in rows}

    async def change_overrides(
        self,
        changes: Mapping[str, str | None],
        *,
        staff_id: int,
        staff_name: str,
        action: str,
        target: str,
    ) -> None:
        """Set (a text) or remove (None) each key, and audit the whole change as one entry.

        `target` describes the change for the audit log, e.g. `consult: 1500 → 1800`.
        """
        now = self._clock()
        async with self._database.transaction() as connection:
            for key, value in changes.items():
                if value is None:
                    await connection.execute(
                        delete(content_overrides).where(content_overrides.c.key == key)
                    )
                    continue
                statement = upsert(connection.dialect.name, content_overrides).values(
                    key=key, value=value, updated_by=staff_id, updated_at=now
                )
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[content_overrides.c.key],
                        set_={
                            "value": statement.excluded.value,
                            "updated_by": statement.excluded.updated_by,
                            "updated_at": statement.excluded.updated_at,
                        },
                    )
                )
            await connection.execute(
                audit.insert().values(
                    staff_id=staff_id,
                    staff_name=staff_name,
                    action=action,
                    target=target,
                    at=now,
                )
            )

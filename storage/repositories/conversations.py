"""Links between the bot's messages in the manager chat and the patients they are about."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, select

from storage.database import Database
from storage.models import ManagerMessage
from storage.repositories._records import manager_message_of
from storage.schema import manager_messages

_MANAGER_MESSAGE = (
    select(manager_messages)
    .where(
        manager_messages.c.chat_id == bindparam("chat_id"),
        manager_messages.c.message_id == bindparam("message_id"),
    )
    .limit(1)
)
"""Built once: a manager's every press and reply looks its message up."""


class ConversationRepository:
    """Written by `OutboxRepository.mark_outbox_sent`; read here to route staff replies."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def _first(self, query: Select[tuple[object, ...]]) -> ManagerMessage | None:
        row = await self._database.lookup_one(query.limit(1))
        return manager_message_of(row) if row is not None else None

    async def manager_message(self, chat_id: int, message_id: int) -> ManagerMessage | None:
        row = await self._database.lookup_one(
            _MANAGER_MESSAGE, {"chat_id": chat_id, "message_id": message_id}
        )
        return manager_message_of(row) if row is not None else None

    async def card_message(self, chat_id: int, kind: str, ref_id: int) -> ManagerMessage | None:
        return await self._first(
            select(manager_messages)
            .where(
                manager_messages.c.chat_id == chat_id,
                manager_messages.c.kind == kind,
                manager_messages.c.ref_id == ref_id,
            )
            .order_by(manager_messages.c.message_id.desc())
        )

    async def latest_manager_message(
        self, patient_id: int, chat_id: int, *, kind: str | None = None
    ) -> ManagerMessage | None:
        """The patient's newest message in the chat; only of `kind` ("request", "review",
        "relay") when given."""
        query = select(manager_messages).where(
            manager_messages.c.patient_id == patient_id, manager_messages.c.chat_id == chat_id
        )
        if kind is not None:
            query = query.where(manager_messages.c.kind == kind)
        return await self._first(query.order_by(manager_messages.c.message_id.desc()))

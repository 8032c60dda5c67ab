"""Small values several services share: where manager messages go, who acted, a rendered card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.models import OutboxMessage

Wake = Callable[[], None]
"""Tells the outbox sender a message is waiting (else it finds it on its next poll)."""


@dataclass(frozen=True)
class ManagerChat:
    """Where cards, relayed messages and notices for the clinic are posted."""

    chat_id: int
    thread_id: int | None = None


@dataclass(frozen=True)
class Card:
    """A manager-chat card as the caller rendered it: HTML text and, optionally, its buttons
    as Bot API JSON."""

    text: str
    reply_markup: str | None = None

    def to(
        self, managers: ManagerChat, kind: str, ref_id: int, patient_id: int | None, patient: str
    ) -> OutboxMessage:
        """The outbox row that posts this card into the manager chat, linked to the patient."""
        return OutboxMessage(
            kind=kind,
            ref_id=ref_id,
            chat_id=managers.chat_id,
            thread_id=managers.thread_id,
            text=self.text,
            reply_markup=self.reply_markup,
            patient_id=patient_id,
            patient_name=patient,
        )


@dataclass(frozen=True)
class StaffMember:
    """Who did something in the manager chat or the staff tools, as the audit log names them."""

    id: int
    name: str

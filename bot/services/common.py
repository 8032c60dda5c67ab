"""Small values several services share: where manager messages go, who acted, a rendered card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class StaffMember:
    """Who did something in the manager chat or the staff tools, as the audit log names them."""

    id: int
    name: str

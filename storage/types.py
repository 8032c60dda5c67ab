"""Callables that cross the storage boundary."""

from __future__ import annotations

from collections.abc import Callable

from storage.models import OutboxMessage

CardRenderer = Callable[[int], OutboxMessage]
"""Renders the manager-chat card once the new row's id is known (same transaction)."""

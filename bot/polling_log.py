"""Long polling's failures logged once per outage, not once per retry.

aiogram retries a failed getUpdates with backoff (up to 5 s apart) and logs an error and a
warning at every attempt: an hour without a route to Telegram is some 1,400 lines that bury
everything else in the log. The first failure and its first backoff are kept, the repeats
are dropped, and aiogram's "Connection established" ends the outage.
"""

from __future__ import annotations

import logging

# aiogram's own messages (aiogram/dispatcher/dispatcher.py, Dispatcher._listen_updates).
FAILED = "Failed to fetch updates"
SLEEPING = "Sleep for"
RECOVERED = "Connection established"
POLLING_LOGGER = "aiogram.dispatcher"


class OncePerOutage(logging.Filter):
    """Lets through the first failure of an outage and its first backoff line only."""

    def __init__(self) -> None:
        super().__init__()
        self._failures = 0
        self._sleeps = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith(FAILED):
            self._failures += 1
            return self._failures == 1
        if message.startswith(SLEEPING):
            self._sleeps += 1
            return self._sleeps == 1
        if message.startswith(RECOVERED):
            self._failures = self._sleeps = 0
        return True

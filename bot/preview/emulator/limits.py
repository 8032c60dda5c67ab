"""Telegram's limits and error answers, with the exact texts the Bot API uses."""

from __future__ import annotations

from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
COMMANDS_LIMIT = 100

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
BLOCKED = "Forbidden: bot was blocked by the user"
TEXT_BUTTONS_UNALLOWED = (
    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)

#: Descriptions of injected failures (``FakeTelegramServer.fail``) when a test names none.
DEFAULT_FAILURE_TEXTS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: "Conflict: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class BotApiError(Exception):
    """A Bot API error answer (status + Telegram's description).

    Raised anywhere in a method handler and turned into the JSON error body; also what
    :func:`~bot.preview.emulator.parse_html` raises, with Telegram's "can't parse entities" text.
    """

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON answer Telegram sends for this error."""
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


def bad_request(description: str) -> BotApiError:
    """A 400 answer: "Bad Request: <description>"."""
    return BotApiError(400, f"Bad Request: {description}")

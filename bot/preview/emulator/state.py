"""What the emulated Telegram knows: users, chats, messages, topics, files, callbacks, calls.

:class:`ServerState` holds all of it for one server (there is no global state, so
several servers can run side by side) together with the building blocks every Bot API
method uses: finding a chat or a message, storing a message or a file.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.preview.emulator.limits import BLOCKED, BotApiError, bad_request

JSONDict = dict[str, Any]

#: A syntactically valid token (``<digits>:<35 chars>``), so aiogram's token check accepts it.
TEST_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"

#: Keys the emulator keeps in stored messages for tests (raw HTML as sent, reply
#: keyboards) but never sends over the wire, because Telegram has no such fields.
EMULATOR_ONLY_KEYS = frozenset({"html", "caption_html", "reply_keyboard"})

#: Files a message can carry here: users send photos and stickers, the bot sends documents.
MEDIA_KINDS = ("photo", "document", "sticker")
CAPTIONED_KINDS = frozenset({"photo", "document"})
#: Service messages the emulator creates: not content, never edited, copied or listed.
SERVICE_KEYS = frozenset({"forum_topic_created"})
# Content keys carried over by copyMessage.
CONTENT_KEYS = (
    "text",
    "entities",
    "html",
    "caption",
    "caption_entities",
    "caption_html",
    "show_caption_above_media",
    "contact",
    "location",
    *MEDIA_KINDS,
)
FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}


@dataclass
class FakeUser:
    """A Telegram user played by a test; ``phone_number`` is what request_contact shares."""

    id: int
    first_name: str = "Ivan"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False
    phone_number: str = "+79991234567"

    def to_dict(self) -> JSONDict:
        """Render as a Bot API ``User`` object (optional fields only when set, like Telegram)."""
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class FakeChat:
    """A chat known to the server; only known chats can be written to, as with Telegram."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    is_forum: bool = False

    def to_dict(self) -> JSONDict:
        """Render as the short Bot API ``Chat`` object embedded in messages."""
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        elif self.title is not None:
            data["title"] = self.title
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class Upload:
    """A multipart file part as the bot uploaded it (what ``params`` holds for a file)."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class StoredFile:
    """A file the server knows by ``file_id``; ``content`` is what was uploaded."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str = ""

    @property
    def file_size(self) -> int:
        """Size in bytes, as Telegram reports it."""
        return len(self.content)


@dataclass
class ApiCall:
    """One request the bot made and what the server answered, kept for assertions."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any
    error_code: int | None
    description: str | None
    at: float
    #: The full stored message (with emulator-only keys) this call created or edited.
    message: dict[str, Any] | None = None
    http_status: int = 200
    #: False while a long poll (getUpdates) is still held open; it is listed on arrival so
    #: tests can see that the bot is polling, and completed in place when answered.
    done: bool = True


@dataclass
class FailRule:
    """An injected failure: the next ``remaining`` calls of ``method`` get this answer."""

    method: str
    status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None


@dataclass
class CallbackRecord:
    """A pressed inline button, and the bot's answerCallbackQuery once it comes."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answer: JSONDict | None = None


@dataclass
class Topic:
    """A forum topic; its ``thread_id`` is the id of the message that created it."""

    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None


@dataclass
class RequestContext:
    """One Bot API request in progress; a method handler sets ``message`` to what it stored."""

    method: str
    params: JSONDict
    at: float = 0.0
    message: JSONDict | None = None
    call: ApiCall | None = None


class Signal:
    """Edge-triggered wake-up for waiters; replaces busy polling.

    A waiter grabs the current event after checking its condition (no await in
    between, so no wake-up is lost) and :meth:`fire` swaps in a fresh event.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> bool:
        event = self._event
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True


def public(value: Any) -> Any:
    """Deep copy without emulator-only keys: exactly what goes over the wire."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if k not in EMULATOR_ONLY_KEYS}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


class ServerState:
    """Everything one emulated Telegram knows, and the lookups every method shares.

    The public attributes are part of :class:`~bot.preview.emulator.FakeTelegramServer`'s
    interface and may be changed by tests at any time.
    """

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        bot_id: int = 123456789,
        bot_username: str = "clinic_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = "Clinic Test Bot"
        self.host = host
        self.port = port

        self.calls: list[ApiCall] = []
        #: Optional hook consulted before normal handling: return (http_status, body) to override.
        self.responder: (
            Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None] | None
        ) = None
        #: Called synchronously with every recorded call (e.g. to push to a preview page).
        self.listeners: list[Callable[[ApiCall], None]] = []
        self.callback_query_max_age: float = 15.0
        self.blocked_users: set[int] = set()
        #: (chat_id, user_id) -> status ("creator", "administrator", "member", "restricted",
        #: "left", "kicked") returned by getChatMember.
        self.chat_members: dict[tuple[int, int], str] = {}
        #: When set, sends into a group beyond this many per sliding 60 s get 429 like Telegram.
        self.group_limit_per_minute: int | None = None
        #: Reject a bare "&" in HTML (Telegram itself would keep it literally).
        self.html_strict_ampersand: bool = True
        #: Every uploaded or user-sent file by file_id.
        self.files: dict[str, StoredFile] = {}
        #: Bot's webhook settings as set with setWebhook ("url" == "" when none).
        self.webhook: JSONDict = {"url": ""}

        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, FakeChat] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._next_message_id: dict[int, int] = {}
        self._topics: dict[int, dict[int, Topic]] = {}
        self._reply_keyboards: dict[int, JSONDict | None] = {}
        self._updates: deque[JSONDict] = deque()
        self._next_update_id = 10_000
        self._delivered_upto = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._failures: list[FailRule] = []
        self._group_sends: dict[int, deque[float]] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._callbacks: dict[str, CallbackRecord] = {}
        self._next_callback = 1
        self._next_file = 1

        self._updates_signal = Signal()
        self._calls_signal = Signal()
        self._activity_signal = Signal()
        self._inflight = 0
        self._last_activity = time.monotonic()

    def send_update(self, update: dict[str, Any]) -> None:
        """Queue a raw update for getUpdates (``update_id`` assigned when missing)."""
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
        self._updates.append(update)
        self._updates_signal.fire()
        self._activity_signal.fire()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._activity_signal.fire()

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, params: JSONDict, key: str = "chat_id") -> FakeChat:
        value = params.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        if isinstance(value, str):
            for chat in self._chats.values():
                if chat.type != "private" and chat.username and f"@{chat.username}" == value:
                    return chat
            raise bad_request("chat not found")
        if not isinstance(value, int) or value not in self._chats:
            raise bad_request("chat not found")
        return self._chats[value]

    def _send_target(self, params: JSONDict, key: str = "chat_id") -> FakeChat:
        chat = self._chat(params, key)
        if chat.type == "private" and chat.id in self.blocked_users:
            raise BotApiError(403, BLOCKED)
        return chat

    @staticmethod
    def _int_param(params: JSONDict, key: str, missing: str) -> int:
        value = params.get(key)
        if value is None:
            raise bad_request(missing)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"invalid {key} specified")
        return value

    def _find_message(self, chat: FakeChat, params: JSONDict, not_found: str) -> JSONDict:
        if params.get("inline_message_id") is not None:
            raise bad_request("inline messages are not emulated")
        message_id = self._int_param(params, "message_id", "message identifier is not specified")
        message = self._messages.get(chat.id, {}).get(message_id)
        if message is None:
            raise bad_request(not_found)
        return message

    def _allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _put_message(
        self,
        chat: FakeChat,
        sender: JSONDict,
        content: JSONDict,
        *,
        thread_id: int | None = None,
        reply: JSONDict | None = None,
        markup: JSONDict | None = None,
    ) -> JSONDict:
        """Store a new message in a chat and return it (the stored dict itself)."""
        message: JSONDict = {
            "message_id": self._allocate_message_id(chat.id),
            "from": sender,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
        if reply is not None:
            message["reply_to_message"] = {
                k: copy.deepcopy(v) for k, v in reply.items() if k != "reply_to_message"
            }
        message.update(content)
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            else:
                message["reply_keyboard"] = markup
                if "keyboard" in markup:
                    self._reply_keyboards[chat.id] = markup
                elif markup.get("remove_keyboard"):
                    self._reply_keyboards[chat.id] = None
        self._messages.setdefault(chat.id, {})[message["message_id"]] = message
        return message

    def _store_file(
        self, kind: str, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = self._next_file
        self._next_file += 1
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"{FILE_ID_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            kind=kind,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{kind}s/file_{number}{extension}",
        )
        self.files[stored.file_id] = stored
        return stored

"""Users played by tests and the preview page: they write, send photos, press buttons.

Everything a user does becomes an update queued for the bot's getUpdates, built like Telegram's.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from bot.preview.emulator.entities import utf16_len
from bot.preview.emulator.methods_chats import _ADMINISTRATOR_RIGHTS, _RESTRICTED_RIGHTS
from bot.preview.emulator.observe import Observation
from bot.preview.emulator.state import (
    CallbackRecord,
    FakeChat,
    FakeUser,
    JSONDict,
    Topic,
)

#: The user Telegram puts in `from` of a message an anonymous group admin sends.
GROUP_ANONYMOUS_BOT: JSONDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


def _chat_member(user: JSONDict, status: str) -> JSONDict:
    """A Bot API ``ChatMember`` of `status`, with the fields its type requires."""
    member: JSONDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMINISTRATOR_RIGHTS)
    elif status == "restricted":
        member.update(is_member=True, until_date=0, **_RESTRICTED_RIGHTS)
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left"):
        raise ValueError(f"unknown chat member status {status!r}")
    return member


class UserActions(Observation):
    """Register users and groups; play what their members do (reading what the bot showed)."""

    def private_user(
        self,
        user_id: int,
        first_name: str = "Ivan",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> FakeUser:
        """Register a user and their private chat with the bot (so the bot may write to it)."""
        user = FakeUser(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = user
        self._chats[user_id] = FakeChat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        return user

    def group(self, chat_id: int, title: str = "Managers", *, is_forum: bool = False) -> FakeChat:
        """Register a supergroup (negative id), optionally with forum topics enabled."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative, e.g. -1001234567890")
        chat = FakeChat(id=chat_id, type="supergroup", title=title, is_forum=is_forum)
        self._chats[chat_id] = chat
        self._topics.setdefault(chat_id, {})
        return chat

    # ------------------------------------------------------------------ updates from users

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user writes ``text``; a leading "/command" gets a bot_command entity."""
        content: JSONDict = {"text": text}
        command = re.match(r"/[^\s]+", text)
        if command:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        return self._user_message(
            user,
            content,
            chat=chat,
            reply_to_message_id=reply_to_message_id,
            message_thread_id=message_thread_id,
        )

    def send_contact(
        self, user: FakeUser, phone_number: str, *, own: bool = True
    ) -> dict[str, Any]:
        """The user shares a contact: their own (``user_id`` set) or somebody else's."""
        contact: JSONDict = {"phone_number": phone_number}
        if own:
            contact["first_name"] = user.first_name
            if user.last_name:
                contact["last_name"] = user.last_name
            contact["user_id"] = user.id
        else:
            contact["first_name"] = "Contact"
        return self._user_message(user, {"contact": contact})

    def send_photo(
        self,
        user: FakeUser,
        caption: str | None = None,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a (fake JPEG) photo, optionally with a caption."""
        data = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"
        sizes = []
        for width, height in ((90, 67), (800, 600)):  # Telegram's thumbnail and full size
            stored = self._store_file("photo", data, None, "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.file_size,
                }
            )
        content: JSONDict = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self._user_message(user, content, chat=chat, reply_to_message_id=reply_to_message_id)

    def send_sticker(self, user: FakeUser) -> dict[str, Any]:
        """The user sends a sticker (content the bot typically does not understand)."""
        stored = self._store_file("sticker", b"RIFF-fake-webp", "sticker.webp", "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\U0001f600",
            "file_size": stored.file_size,
        }
        return self._user_message(user, {"sticker": sticker})

    def press(
        self,
        user: FakeUser,
        message: dict[str, Any] | int,
        callback_data: str,
        *,
        chat: FakeChat | None = None,
    ) -> str:
        """The user presses an inline button with ``callback_data`` under a bot message."""
        if isinstance(message, dict):
            chat_id = int(message["chat"]["id"])
            message_id = int(message["message_id"])
        else:
            chat_id = chat.id if chat is not None else user.id
            message_id = message
        current = self._messages.get(chat_id, {}).get(message_id)
        if current is None:
            raise AssertionError(f"message {message_id} does not exist in chat {chat_id}")
        query_id = f"{self.bot_id}{self._next_callback:07d}"
        self._next_callback += 1
        self._callbacks[query_id] = CallbackRecord(
            query_id=query_id,
            user_id=user.id,
            chat_id=chat_id,
            message_id=message_id,
            data=callback_data,
            created=time.monotonic(),
        )
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(current),
            "chat_instance": str((abs(chat_id) * 2654435761) % (2**62)),
            "data": callback_data,
        }
        self.send_update({"callback_query": query})
        return query_id

    def press_button(self, user: FakeUser, text: str, *, chat: FakeChat | None = None) -> str:
        """Press the button labelled ``text`` on the latest bot message that shows it."""
        chat_id = chat.id if chat is not None else user.id
        candidates = [m for m in reversed(self.chat_messages(chat_id)) if m.get("reply_markup")]
        for exact in (True, False):
            for message in candidates:
                for row in message["reply_markup"].get("inline_keyboard", []):
                    for button in row:
                        label = str(button.get("text", ""))
                        if label == text if exact else text in label:
                            if "callback_data" not in button:
                                raise AssertionError(
                                    f"button {label!r} is not a callback button: {button}"
                                )
                            return self.press(user, message, str(button["callback_data"]))
        available = [
            f"#{m['message_id']}: {[t for t, _ in self.inline_buttons(m)]}" for m in candidates
        ]
        raise AssertionError(
            f"no inline button {text!r} in chat {chat_id}; available: {available or 'none'}"
        )

    def tap_reply_button(self, user: FakeUser, text: str) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown in the user's private chat."""
        keyboard = self._reply_keyboards.get(user.id)
        if not keyboard or "keyboard" not in keyboard:
            raise AssertionError(f"no reply keyboard is shown to user {user.id}")
        labels: list[str] = []
        for row in keyboard["keyboard"]:
            for raw in row:
                button: JSONDict = {"text": raw} if isinstance(raw, str) else raw
                labels.append(str(button.get("text")))
                if button.get("text") != text:
                    continue
                if button.get("request_contact"):
                    return self.send_contact(user, user.phone_number, own=True)
                if button.get("request_location"):
                    location = {"latitude": 55.7558, "longitude": 37.6173}
                    return self._user_message(user, {"location": location})
                return self.send_text(user, text)
        raise AssertionError(f"reply keyboard has no button {text!r}; it has {labels}")

    def _user_message(
        self,
        user: FakeUser,
        content: JSONDict,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        if user.id not in self._users:
            self._users[user.id] = user
        if chat is None:
            chat = self._chats.get(user.id)
            if chat is None:
                chat = FakeChat(
                    id=user.id,
                    type="private",
                    first_name=user.first_name,
                    last_name=user.last_name,
                    username=user.username,
                )
                self._chats[user.id] = chat
        elif chat.type != "private":
            # Only members can post in a group: whoever writes there is one from now on.
            self.chat_members.setdefault((chat.id, user.id), "member")
        reply: JSONDict | None = None
        if reply_to_message_id is not None:
            reply = self._messages.get(chat.id, {}).get(reply_to_message_id)
            if reply is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id}")
            if message_thread_id is None and reply.get("is_topic_message"):
                message_thread_id = int(reply["message_thread_id"])
        if message_thread_id is not None and chat.is_forum:
            topics = self._topics.setdefault(chat.id, {})
            if message_thread_id not in topics:
                topics[message_thread_id] = Topic(
                    message_thread_id, f"Topic {message_thread_id}", 7322096
                )
            if reply is None:
                reply = self._messages.get(chat.id, {}).get(message_thread_id)
        message = self._put_message(
            chat, user.to_dict(), content, thread_id=message_thread_id, reply=reply
        )
        self.send_update({"message": message})
        return message

    # ------------------------------------------------------------------ additions

    def send_as_anonymous_admin(
        self,
        chat: FakeChat,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        author_signature: str | None = None,
    ) -> JSONDict:
        """An admin of `chat` who writes anonymously: `from` is GroupAnonymousBot and
        `sender_chat` the group itself, as Telegram sends it."""
        if chat.type == "private":
            raise ValueError("only groups have anonymous admins")
        reply: JSONDict | None = None
        if reply_to_message_id is not None:
            reply = self._messages.get(chat.id, {}).get(reply_to_message_id)
            if reply is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id}")
        thread_id = reply.get("message_thread_id") if reply is not None else None
        content: JSONDict = {"text": text, "sender_chat": chat.to_dict()}
        if author_signature:
            content["author_signature"] = author_signature
        message = self._put_message(
            chat,
            dict(GROUP_ANONYMOUS_BOT),
            content,
            thread_id=int(thread_id) if thread_id is not None else None,
            reply=reply,
        )
        self.send_update({"message": message})
        return message

    def change_membership(
        self, chat: FakeChat, user: FakeUser, status: str, *, by: FakeUser | None = None
    ) -> JSONDict:
        """`user` joins, leaves, is promoted or removed from `chat` (status as getChatMember
        answers it from now on); the bot gets a ``chat_member`` update, as Telegram sends to
        an administrator bot that asked for them in allowed_updates."""
        old = self.chat_members.get((chat.id, user.id), "left")
        self.chat_members[(chat.id, user.id)] = status
        user_dict = user.to_dict()
        update: JSONDict = {
            "chat": chat.to_dict(),
            "from": (by or user).to_dict(),
            "date": int(time.time()),
            "old_chat_member": _chat_member(user_dict, old),
            "new_chat_member": _chat_member(user_dict, status),
        }
        self.send_update({"chat_member": update})
        return update

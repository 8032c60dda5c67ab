"""Bot API methods about chats: callback answers, members' statuses, forum topics."""

from __future__ import annotations

import time

from bot.preview.emulator.limits import (
    CALLBACK_ANSWER_LIMIT,
    QUERY_TOO_OLD,
    BotApiError,
    bad_request,
)
from bot.preview.emulator.state import FakeChat, JSONDict, RequestContext, ServerState, Topic

_TOPIC_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})

_ADMINISTRATOR_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}
_RESTRICTED_RIGHTS = {
    f"can_{name}": False
    for name in (
        "send_messages",
        "send_audios",
        "send_documents",
        "send_photos",
        "send_videos",
        "send_video_notes",
        "send_voice_notes",
        "send_polls",
        "send_other_messages",
        "add_web_page_previews",
        "react_to_messages",
        "edit_tag",
        "change_info",
        "invite_users",
        "pin_messages",
        "manage_topics",
    )
}


class ChatMethods(ServerState):
    """answerCallbackQuery, getChatMember, createForumTopic, editForumTopic, deleteForumTopic."""

    def _answer_callback_query(self, ctx: RequestContext) -> bool:
        record = self._callbacks.get(str(ctx.params.get("callback_query_id") or ""))
        if (
            record is None
            or record.answer is not None
            or time.monotonic() - record.created > self.callback_query_max_age
        ):
            raise BotApiError(400, QUERY_TOO_OLD)
        text = ctx.params.get("text")
        if isinstance(text, str) and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = {
            "text": text,
            "show_alert": bool(ctx.params.get("show_alert")),
            "url": ctx.params.get("url"),
        }
        return True

    def _get_chat_member(self, ctx: RequestContext) -> JSONDict:
        chat = self._chat(ctx.params)
        user_id = self._int_param(ctx.params, "user_id", "user not found")
        status = self.chat_members.get((chat.id, user_id))
        if user_id == self.bot_id:
            user = self._bot_user()
            status = status or ("member" if chat.type == "private" else "administrator")
        elif user_id in self._users:
            user = self._users[user_id].to_dict()
            # A user known from a private chat is not a member of a group they never joined.
            status = status or ("member" if chat.type == "private" else "left")
        else:
            user = {"id": user_id, "is_bot": False, "first_name": "Unknown"}
            status = status or "left"
        member: JSONDict = {"status": status, "user": user}
        if status in ("creator", "owner"):
            member.update(status="creator", is_anonymous=False)
        elif status == "administrator":
            member.update(_ADMINISTRATOR_RIGHTS)
        elif status == "restricted":
            member.update(is_member=True, until_date=0, **_RESTRICTED_RIGHTS)
        elif status == "kicked":
            member["until_date"] = 0
        elif status not in ("member", "left"):
            raise bad_request(f"unknown chat member status {status!r} configured in chat_members")
        return member

    def _forum(self, ctx: RequestContext) -> FakeChat:
        chat = self._chat(ctx.params)
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        return chat

    def _topic(self, ctx: RequestContext) -> tuple[FakeChat, Topic]:
        chat = self._forum(ctx)
        thread_id = ctx.params.get("message_thread_id")
        topic = self._topics.get(chat.id, {}).get(thread_id) if isinstance(thread_id, int) else None
        if topic is None:
            raise bad_request("TOPIC_ID_INVALID")
        return chat, topic

    def _create_forum_topic(self, ctx: RequestContext) -> JSONDict:
        chat = self._forum(ctx)
        name = str(ctx.params.get("name") or "")
        if not name:
            raise bad_request("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise bad_request("TOPIC_TITLE_INVALID")
        color = ctx.params.get("icon_color", 7322096)
        if color not in _TOPIC_COLORS:
            raise bad_request("TOPIC_ICON_COLOR_INVALID")
        thread_id = self._next_message_id.get(chat.id, 1)
        topic = Topic(thread_id, name, int(color), ctx.params.get("icon_custom_emoji_id"))
        self._topics.setdefault(chat.id, {})[thread_id] = topic
        created: JSONDict = {"name": name, "icon_color": topic.icon_color}
        if topic.icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        self._put_message(
            chat, self._bot_user(), {"forum_topic_created": created}, thread_id=thread_id
        )
        return {"message_thread_id": thread_id, **created}

    def _edit_forum_topic(self, ctx: RequestContext) -> bool:
        _, topic = self._topic(ctx)
        name = ctx.params.get("name")
        emoji = ctx.params.get("icon_custom_emoji_id")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == topic.icon_custom_emoji_id
        ):
            raise bad_request("TOPIC_NOT_MODIFIED")
        if name:
            topic.name = str(name)
        if emoji is not None:
            topic.icon_custom_emoji_id = str(emoji) or None
        return True

    def _delete_forum_topic(self, ctx: RequestContext) -> bool:
        chat, topic = self._topic(ctx)
        del self._topics[chat.id][topic.thread_id]
        messages = self._messages.get(chat.id, {})
        for message_id in [
            mid for mid, m in messages.items() if m.get("message_thread_id") == topic.thread_id
        ]:
            del messages[message_id]
        return True

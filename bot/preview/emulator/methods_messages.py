"""Bot API methods that put messages into chats and change them: send, copy, edit, delete.

Validation follows Telegram: text and caption limits, HTML entities, keyboards and
their buttons, replies and forum threads, the group rate limit, "message is not modified".
"""

from __future__ import annotations

import copy
import math
import mimetypes
import re
import time
from collections import deque
from typing import Any

from bot.preview.emulator.entities import format_text
from bot.preview.emulator.limits import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    NOT_MODIFIED,
    TEXT_BUTTONS_UNALLOWED,
    TEXT_LIMIT,
    BotApiError,
    bad_request,
)
from bot.preview.emulator.state import (
    CAPTIONED_KINDS,
    CONTENT_KEYS,
    SERVICE_KEYS,
    FakeChat,
    JSONDict,
    RequestContext,
    ServerState,
    StoredFile,
    Upload,
)

#: Methods that put a new message into a chat (subject to blocking and the group rate limit).
#: The one list of them: the preview page reads it too.
SEND_METHODS = frozenset({"sendmessage", "senddocument", "sendvenue", "copymessage"})

#: Calls whose attached message counts as "the bot showed this text" for wait_for_message.
MESSAGE_PRODUCING = SEND_METHODS | {"editmessagetext", "editmessagecaption"}

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(TEXT_BUTTONS_UNALLOWED)
    if not any(key in button for key in _INLINE_BUTTON_ACTIONS):
        raise bad_request(TEXT_BUTTONS_UNALLOWED)
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not data or len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not re.match(r"^(https?://[^\s/]+|tg://\S+)", url):
            raise bad_request("BUTTON_URL_INVALID")


def _markup(params: JSONDict, *, inline_only: bool = False) -> JSONDict | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, str) and not (
                    isinstance(button, dict) and isinstance(button.get("text"), str)
                ):
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


class MessageMethods(ServerState):
    """sendMessage, sendDocument, copyMessage, editMessage*, deleteMessage."""

    # ------------------------------------------------------------------ building blocks

    def _rate_check(self, chat: FakeChat, count: int = 1) -> None:
        limit = self.group_limit_per_minute
        if limit is None or chat.type not in ("group", "supergroup"):
            return
        now = time.monotonic()
        window = self._group_sends.setdefault(chat.id, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) + count > limit:
            retry = max(1, math.ceil(window[0] + 60.0 - now)) if window else 60
            raise BotApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        window.extend([now] * count)

    def _text_content(self, params: JSONDict) -> JSONDict:
        content = format_text(
            params, key="text", entities_key="entities", strict_ampersand=self.html_strict_ampersand
        )
        text = content.get("text", "")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        return content

    def _caption_content(self, params: JSONDict) -> JSONDict:
        content = format_text(
            params,
            key="caption",
            entities_key="caption_entities",
            strict_ampersand=self.html_strict_ampersand,
        )
        if len(content.get("caption", "")) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        if not content.get("caption"):
            return {}
        if params.get("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return content

    def _placement(self, chat: FakeChat, params: JSONDict) -> tuple[int | None, JSONDict | None]:
        """Resolve (message_thread_id, replied-to message) for a new bot message."""
        reply_params = params.get("reply_parameters")
        if not isinstance(reply_params, dict):
            reply_params = None
            if params.get("reply_to_message_id") is not None:
                reply_params = {
                    "message_id": params["reply_to_message_id"],
                    "allow_sending_without_reply": params.get("allow_sending_without_reply"),
                }
        reply: JSONDict | None = None
        if reply_params and reply_params.get("message_id") is not None:
            target_chat = chat.id
            if reply_params.get("chat_id") is not None:
                target_chat = self._chat(reply_params).id
            reply = self._messages.get(target_chat, {}).get(int(reply_params["message_id"]))
            if reply is None and not reply_params.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
            if reply is not None and target_chat != chat.id:
                reply = None  # cross-chat replies are shown as external_reply; not emulated
        thread_id = params.get("message_thread_id")
        if thread_id is not None and not isinstance(thread_id, int):
            raise bad_request("invalid message_thread_id specified")
        if chat.is_forum:
            if thread_id is None and reply is not None and reply.get("is_topic_message"):
                thread_id = int(reply["message_thread_id"])
            if thread_id is not None:
                if thread_id not in self._topics.get(chat.id, {}):
                    raise bad_request("message thread not found")
                if reply is None:
                    reply = self._messages.get(chat.id, {}).get(thread_id)
        elif thread_id is not None and thread_id not in self._messages.get(chat.id, {}):
            raise bad_request("message thread not found")
        return thread_id, reply

    def _send_bot_message(self, ctx: RequestContext, chat: FakeChat, content: JSONDict) -> JSONDict:
        markup = _markup(ctx.params)
        thread_id, reply = self._placement(chat, ctx.params)
        self._rate_check(chat)
        message = self._put_message(
            chat, self._bot_user(), content, thread_id=thread_id, reply=reply, markup=markup
        )
        ctx.message = message
        return message

    def _document(self, value: Any) -> JSONDict:
        """Resolve an upload, a file_id or an URL into the message's "document" field."""
        stored: StoredFile | None
        if isinstance(value, Upload):
            mime = mimetypes.guess_type(value.filename or "")[0] or value.content_type
            stored = self._store_file("document", value.content, value.filename, mime)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            stored = self._store_file("document", b"", name, mimetypes.guess_type(name or "")[0])
        elif isinstance(value, str) and value:
            stored = self.files.get(value)  # a file of any kind may be sent as a document
            if stored is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise bad_request("there is no document in the request")
        info: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.file_name:
            info["file_name"] = stored.file_name
        if stored.mime_type:
            info["mime_type"] = stored.mime_type
        return {"document": info}

    def _editable(self, ctx: RequestContext) -> JSONDict:
        chat = self._chat(ctx.params)
        message = self._find_message(chat, ctx.params, "message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id or SERVICE_KEYS.intersection(message):
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _apply_edit(
        ctx: RequestContext,
        message: JSONDict,
        content: JSONDict,
        keys: tuple[str, ...],
        markup: JSONDict | None,
    ) -> JSONDict:
        for key in keys:
            message.pop(key, None)
        message.update(content)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        ctx.message = message
        return message

    # ------------------------------------------------------------------ methods

    def _send_message(self, ctx: RequestContext) -> JSONDict:
        chat = self._send_target(ctx.params)
        content = self._text_content(ctx.params)
        options = ctx.params.get("link_preview_options")
        if isinstance(options, dict) and options:
            content["link_preview_options"] = options
        return self._send_bot_message(ctx, chat, content)

    def _send_document(self, ctx: RequestContext) -> JSONDict:
        chat = self._send_target(ctx.params)
        content = self._document(ctx.params.get("document"))
        content.update(self._caption_content(ctx.params))
        return self._send_bot_message(ctx, chat, content)

    def _send_venue(self, ctx: RequestContext) -> JSONDict:
        chat = self._send_target(ctx.params)
        coordinates: dict[str, float] = {}
        for key, limit in (("latitude", 90.0), ("longitude", 180.0)):
            try:
                value = float(ctx.params[key])
            except (KeyError, TypeError, ValueError):
                raise bad_request(f"{key} is required") from None
            if not math.isfinite(value) or not -limit <= value <= limit:
                raise bad_request(f"wrong {key} specified")
            coordinates[key] = value
        venue: JSONDict = {"location": dict(coordinates)}
        for key in ("title", "address"):
            text = ctx.params.get(key)
            if not isinstance(text, str) or not text.strip():
                raise bad_request(f"venue {key} is required")
            venue[key] = text
        content: JSONDict = {"venue": venue, "location": dict(coordinates)}
        return self._send_bot_message(ctx, chat, content)

    def _copy_message(self, ctx: RequestContext) -> JSONDict:
        chat = self._send_target(ctx.params)
        source_chat = self._chat(ctx.params, "from_chat_id")
        source = self._find_message(source_chat, ctx.params, "message to copy not found")
        if SERVICE_KEYS.intersection(source):
            raise bad_request("message can't be copied")
        content = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        if "caption" in ctx.params and any(k in content for k in CAPTIONED_KINDS):
            for key in ("caption", "caption_entities", "caption_html"):
                content.pop(key, None)
            content.update(self._caption_content(ctx.params))
        message = self._send_bot_message(ctx, chat, content)
        return {"message_id": message["message_id"]}

    def _edit_message_text(self, ctx: RequestContext) -> JSONDict:
        message = self._editable(ctx)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        content = self._text_content(ctx.params)
        markup = _markup(ctx.params, inline_only=True)
        if (
            content["text"] == message["text"]
            and content.get("entities", []) == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise BotApiError(400, NOT_MODIFIED)
        options = ctx.params.get("link_preview_options")
        if isinstance(options, dict) and options:
            content["link_preview_options"] = options
        keys = ("text", "entities", "html", "link_preview_options")
        return self._apply_edit(ctx, message, content, keys, markup)

    def _edit_message_caption(self, ctx: RequestContext) -> JSONDict:
        message = self._editable(ctx)
        if not CAPTIONED_KINDS.intersection(message):
            raise bad_request("there is no caption in the message to edit")
        content = self._caption_content(ctx.params)
        markup = _markup(ctx.params, inline_only=True)
        if (
            content.get("caption", "") == message.get("caption", "")
            and content.get("caption_entities", []) == message.get("caption_entities", [])
            and markup == message.get("reply_markup")
        ):
            raise BotApiError(400, NOT_MODIFIED)
        keys = ("caption", "caption_entities", "caption_html", "show_caption_above_media")
        return self._apply_edit(ctx, message, content, keys, markup)

    def _edit_message_reply_markup(self, ctx: RequestContext) -> JSONDict:
        message = self._editable(ctx)
        markup = _markup(ctx.params, inline_only=True)
        if markup == message.get("reply_markup"):
            raise BotApiError(400, NOT_MODIFIED)
        self._apply_edit(ctx, message, {}, (), markup)
        ctx.message = None  # a markup-only edit shows no new text to wait for
        return message

    def _delete_message(self, ctx: RequestContext) -> bool:
        chat = self._chat(ctx.params)
        message = self._find_message(chat, ctx.params, "message to delete not found")
        if "forum_topic_created" in message:
            raise bad_request("message can't be deleted")
        del self._messages[chat.id][message["message_id"]]
        return True

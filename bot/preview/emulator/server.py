"""The emulated Bot API server: one class made of the concerns in this package.

Why this exists: the bot has to be exercised exactly the way Telegram drives it (real
HTTP requests built by aiogram's session, real ``getUpdates`` long polling, Telegram's
validation rules and error texts) while the machine has no internet. Tests and the
preview page start a :class:`FakeTelegramServer` on 127.0.0.1, point ``aiogram.Bot`` at
it through ``TelegramAPIServer.from_base(server.base_url)``, play users with the helper
methods and inspect what the bot did.
"""

from __future__ import annotations

from bot.preview.emulator.http import HttpApi, MethodHandler
from bot.preview.emulator.methods_chats import ChatMethods
from bot.preview.emulator.methods_messages import MessageMethods
from bot.preview.emulator.methods_setup import SetupMethods
from bot.preview.emulator.observe import Observation
from bot.preview.emulator.state import TEST_TOKEN
from bot.preview.emulator.users import UserActions


class FakeTelegramServer(
    HttpApi, UserActions, Observation, MessageMethods, ChatMethods, SetupMethods
):
    """Bot API emulator served by aiohttp on 127.0.0.1 for the real aiogram stack.

    Use as ``async with FakeTelegramServer() as server:``; then build the bot with
    ``TelegramAPIServer.from_base(server.base_url)``. Only the methods the bot calls are
    emulated; any other answers 404 "Not Found", as Telegram does for an unknown method.
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
        super().__init__(token, bot_id=bot_id, bot_username=bot_username, host=host, port=port)
        handlers: dict[str, MethodHandler] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": self._set_my_commands,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendVenue": self._send_venue,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getChatMember": self._get_chat_member,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "deleteForumTopic": self._delete_forum_topic,
        }
        # getUpdates is not in the table: the HTTP layer holds it open as a long poll.
        self._methods = {name.lower(): handler for name, handler in handlers.items()}

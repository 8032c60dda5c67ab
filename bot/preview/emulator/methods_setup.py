"""Bot API methods for the bot's own setup: getMe, the webhook and the command menu."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.preview.emulator.limits import COMMANDS_LIMIT, bad_request
from bot.preview.emulator.state import JSONDict, RequestContext, ServerState


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """Where setMyCommands keeps a command list: per scope and language, like Telegram."""
    scope_obj = scope if isinstance(scope, dict) and scope else {"type": "default"}
    return json.dumps(scope_obj, sort_keys=True), str(language_code or "")


class SetupMethods(ServerState):
    """getMe, setWebhook, deleteWebhook, setMyCommands."""

    def _get_me(self, ctx: RequestContext) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, ctx: RequestContext) -> bool:
        url = str(ctx.params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if ctx.params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url}
        for key in ("max_connections", "allowed_updates", "secret_token", "ip_address"):
            if key in ctx.params:
                self.webhook[key] = ctx.params[key]
        self._updates_signal.fire()  # a long poll still waiting now ends with a conflict
        return True

    def _delete_webhook(self, ctx: RequestContext) -> bool:
        self.webhook = {"url": ""}
        if ctx.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_my_commands(self, ctx: RequestContext) -> bool:
        commands = ctx.params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > COMMANDS_LIMIT:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

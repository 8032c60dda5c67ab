"""Who counts as clinic staff: `ADMIN_IDS`, and members of the manager chat if allowed."""

from __future__ import annotations

import logging
import time

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError

from bot.settings import Settings

logger = logging.getLogger(__name__)

MEMBER_STATUSES = {
    ChatMemberStatus.CREATOR,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.MEMBER,
}
CACHE_SECONDS = 60.0


class StaffDirectory:
    """Answers "is this user staff?", caching Telegram's answer briefly.

    The cache keeps a busy manager chat from costing a getChatMember call per button press,
    while a member removed from the chat loses access within a minute.
    """

    def __init__(self, settings: Settings, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self._settings = settings
        self._cache_seconds = cache_seconds
        self._cache: dict[int, tuple[bool, float]] = {}

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        if self._settings.is_admin(user_id):
            return True
        if not self._settings.staff_from_manager_chat:
            return False
        cached = self._cache.get(user_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await bot.get_chat_member(self._settings.manager_chat_id, user_id)
        except TelegramAPIError as error:
            logger.warning("Could not check staff membership: %s", error.message)
            return False
        is_member = member.status in MEMBER_STATUSES or (
            member.status == ChatMemberStatus.RESTRICTED
            and bool(getattr(member, "is_member", False))
        )
        self._cache[user_id] = (is_member, now + self._cache_seconds)
        return is_member

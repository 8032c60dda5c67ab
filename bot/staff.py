"""Who counts as clinic staff: `ADMIN_IDS`, and members of the manager chat if allowed."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message

from bot.services.common import StaffMember
from bot.settings import Settings

logger = logging.getLogger(__name__)

MEMBER_STATUSES = {
    ChatMemberStatus.CREATOR,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.MEMBER,
}
CACHE_SECONDS = 60.0
CACHE_ENTRIES = 1024
"""Users remembered at most: far more than a clinic's staff; anyone else who presses a
manager-chat button or types a staff command is remembered too, so the oldest go first."""


class StaffDirectory:
    """Answers "is this user staff?", caching Telegram's answer briefly.

    The cache keeps a busy manager chat from costing a getChatMember call per button press.
    Membership changes in the manager chat (`chat_member` updates) drop the entry at once,
    so a removed member loses access, and a re-added one gets it, on their next action; the
    time limit only bounds how stale an entry can be if such an update is missed (another
    instance got it, or the bot is not an administrator there).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        cache_seconds: float = CACHE_SECONDS,
        cache_entries: int = CACHE_ENTRIES,
    ) -> None:
        self._settings = settings
        self._cache_seconds = cache_seconds
        self._cache_entries = cache_entries
        # Least recently asked first.
        self._cache: OrderedDict[int, tuple[bool, float]] = OrderedDict()

    @property
    def remembered(self) -> int:
        """How many users' answers are remembered."""
        return len(self._cache)

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        if self._settings.is_admin(user_id):
            return True
        if not self._settings.staff_from_manager_chat:
            return False
        cached = self._cache.get(user_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            self._cache.move_to_end(user_id)
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
        self._cache.move_to_end(user_id)
        while len(self._cache) > self._cache_entries:
            self._cache.popitem(last=False)
        return is_member

    def forget(self, user_id: int) -> None:
        """Drop what is known about `user_id`: their next action asks Telegram again."""
        self._cache.pop(user_id, None)

    def forget_everyone(self) -> None:
        """Drop the whole cache (the bot's own membership of the manager chat changed)."""
        self._cache.clear()


def staff_member(event: Message | CallbackQuery) -> StaffMember:
    """Who pressed or wrote, as the audit log and the cards name them."""
    user = event.from_user
    assert user is not None  # staff actions come from people, never from channels
    return StaffMember(
        user.id, user.full_name or (f"@{user.username}" if user.username else str(user.id))
    )

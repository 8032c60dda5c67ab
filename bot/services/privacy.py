"""A patient's erasure of their own data (/forget)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from bot.services.common import ManagerChat, Wake
from storage.models import Erasure, OutboxMessage
from storage.repositories import PatientRepository

logger = logging.getLogger(__name__)


class ManagerChatCleaner(Protocol):
    """Removes what the manager chat still shows of an erased patient (Telegram side)."""

    async def blank_card(self, chat_id: int, message_id: int) -> None: ...

    async def retitle_topic(self, topic_id: int) -> None: ...


async def erase_patient(
    patient_repo: PatientRepository,
    *,
    user_id: int,
    notice_text: Callable[[int], str],
    managers: ManagerChat,
    cleaner: ManagerChatCleaner,
    wake: Wake,
) -> Erasure:
    """Erase the patient's personal data, tell the managers which requests lost theirs, and
    blank the cards (and the topic title) that showed it."""

    def notice(request_id: int) -> OutboxMessage:
        return OutboxMessage(
            kind="erasure",
            ref_id=request_id,
            chat_id=managers.chat_id,
            thread_id=managers.thread_id,
            text=notice_text(request_id),
        )

    erasure = await patient_repo.forget(user_id, notice)
    wake()
    for card in erasure.cards:
        await cleaner.blank_card(card.chat_id, card.message_id)
    topic_id, _ = await patient_repo.patient_topic(user_id)
    if topic_id is not None:
        await cleaner.retitle_topic(topic_id)
    logger.info(
        "Patient data erased on request: %d requests, %d reviews",
        len(erasure.request_ids),
        len(erasure.review_ids),
    )
    return erasure

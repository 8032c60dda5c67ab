"""Messages between a patient and the managers.

A patient's free message is queued for the manager chat as a relay row (threaded under the
patient's latest card by the sender). A manager's reply to a card or relayed message is copied
to that patient; the copying itself is a port the Telegram side implements.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from bot.services.common import ManagerChat, StaffMember, Wake
from storage.models import OutboxMessage
from storage.repositories import (
    AuditRepository,
    ConversationRepository,
    OutboxRepository,
    PatientRepository,
)

logger = logging.getLogger(__name__)


async def relay_to_managers(
    outbox_repo: OutboxRepository,
    *,
    patient_id: int,
    patient_name: str,
    chat_id: int,
    message_id: int,
    texts: Sequence[str],
    with_media: bool,
    managers: ManagerChat,
    wake: Wake,
) -> None:
    """Queue a patient's message for the manager chat, in as many parts as it takes.

    `texts` are the rendered parts, each within Telegram's limits; for media the first is the
    caption of the copy (media are copied from the patient's chat when the sender delivers the
    row) and the rest follow as text. Every part is threaded under the patient's card.
    """
    if not texts:
        raise ValueError("a relayed message has at least one part")
    for index, text in enumerate(texts):
        copied = with_media and index == 0
        await outbox_repo.enqueue(
            OutboxMessage(
                kind="relay",
                ref_id=message_id,
                chat_id=managers.chat_id,
                thread_id=managers.thread_id,
                text=text,
                patient_id=patient_id,
                thread_under_patient=True,
                copy_chat_id=chat_id if copied else None,
                copy_message_id=message_id if copied else None,
                patient_name=patient_name,
            )
        )
    wake()
    logger.info("Patient message queued for the manager chat in %d part(s)", len(texts))


async def patient_of(
    conversation_repo: ConversationRepository, chat_id: int, replied_message_id: int | None
) -> int | None:
    """The patient a message in the manager chat is about: the one whose card or relayed
    message it replies to."""
    if replied_message_id is None:
        return None
    target = await conversation_repo.manager_message(chat_id, replied_message_id)
    return target.patient_id if target is not None else None


class BlockedByPatientError(Exception):
    """The patient blocked the bot: nothing can reach them."""


class CopyRefusedError(Exception):
    """Telegram refused the copy for another reason, given in the message."""


class ReplyCopier(Protocol):
    async def __call__(self, patient_id: int) -> None:
        """Copy the manager's message to the patient.

        Raises BlockedByPatientError or CopyRefusedError when Telegram refuses.
        """


class ReplyOutcome(Enum):
    NO_PATIENT = "no-patient"  # the replied message belongs to no patient
    NOT_STAFF = "not-staff"
    DELIVERED = "delivered"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True)
class ReplyResult:
    outcome: ReplyOutcome
    error: str = ""


async def reply_to_patient(
    conversation_repo: ConversationRepository,
    *,
    chat_id: int,
    replied_message_id: int | None,
    is_staff: Callable[[], Awaitable[bool]],
    copy: ReplyCopier,
) -> ReplyResult:
    """A manager's reply in the manager chat, passed on to the patient it is about.

    Only staff may write to patients; the check runs only once a patient is concerned, so that
    managers talking among themselves cost nothing.
    """
    patient_id = await patient_of(conversation_repo, chat_id, replied_message_id)
    if patient_id is None:
        return ReplyResult(ReplyOutcome.NO_PATIENT)
    if not await is_staff():
        return ReplyResult(ReplyOutcome.NOT_STAFF)
    try:
        await copy(patient_id)
    except BlockedByPatientError:
        return ReplyResult(ReplyOutcome.BLOCKED)
    except CopyRefusedError as error:
        return ReplyResult(ReplyOutcome.FAILED, str(error))
    logger.info("Manager reply relayed to a patient")
    return ReplyResult(ReplyOutcome.DELIVERED)


async def set_ban(
    conversation_repo: ConversationRepository,
    patient_repo: PatientRepository,
    audit_repo: AuditRepository,
    *,
    chat_id: int,
    replied_message_id: int | None,
    banning: bool,
    staff: StaffMember,
) -> bool:
    """Ban (or unban) the patient whose card or message a manager replied to, with an audit
    entry; False when the reply points at no patient."""
    patient_id = await patient_of(conversation_repo, chat_id, replied_message_id)
    if patient_id is None:
        return False
    await patient_repo.set_banned(patient_id, staff.id if banning else None)
    logger.info("Patient %s by staff", "banned" if banning else "unbanned")
    await audit_repo.add_audit(
        staff.id, staff.name, "ban" if banning else "unban", f"patient {patient_id}"
    )
    return True

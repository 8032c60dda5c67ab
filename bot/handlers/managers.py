"""The manager chat: request statuses, review moderation, replies to patients, bans."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, staff_views
from bot.callbacks import DigestCallback, ModerationCallback, StatusCallback
from bot.clock import Clock
from bot.content import Content
from bot.filters import NOT_A_COMMAND, InManagerChat, Magic
from bot.handlers import appointments, digests, visits
from bot.handlers.visit_desk import VisitDesk
from bot.i18n import Translator
from bot.services.common import StaffMember
from bot.services.relay import (
    BlockedByPatientError,
    CopyRefusedError,
    ReplyOutcome,
    reply_to_patient,
    set_ban,
)
from bot.services.requests import change_status
from bot.services.reviews import moderate_review
from bot.settings import Settings
from bot.staff import StaffDirectory, staff_member
from storage.models import RequestStatus
from storage.repositories import (
    AuditRepository,
    ConversationRepository,
    PatientRepository,
    ReviewRepository,
)

# The user Telegram names as the sender of a message an anonymous group admin writes.
GROUP_ANONYMOUS_BOT_ID = 1087968824


def _anonymous_admin(message: Message, settings: Settings) -> bool:
    """An admin of the manager chat writing as the chat itself: only admins can, so it is
    the clinic speaking."""
    return (
        message.from_user is not None
        and message.from_user.id == GROUP_ANONYMOUS_BOT_ID
        and message.sender_chat is not None
        and message.sender_chat.id == settings.manager_chat_id
    )


def _clinic(message: Message, clinic_t: Translator) -> StaffMember:
    """The staff member an anonymous admin's action is recorded under: the clinic."""
    return StaffMember(message.chat.id, clinic_t("relay-anonymous-admin"))


async def _card_of(
    callback: CallbackQuery, conversation_repo: ConversationRepository, kind: str, ref_id: int
) -> bool:
    """Whether the pressed button belongs to the card of `kind` and `ref_id`.

    A button acts on the card it is attached to: callback data naming another request or
    review (forged, or from a client that mangled it) is refused, and never reaches the
    database with an id it could not hold.
    """
    message = callback.message
    if message is None:
        return False
    card = await conversation_repo.manager_message(message.chat.id, message.message_id)
    return card is not None and card.kind == kind and card.ref_id == ref_id


async def status_pressed(
    callback: CallbackQuery,
    callback_data: StatusCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    staff: StaffDirectory,
    state: FSMContext,
    visit_desk: VisitDesk,
    content: Content,
    clinic_t: Translator,
) -> None:
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    if not await _card_of(callback, visit_desk.conversation_repo, "request", callback_data.request):
        callback_answer.text = clinic_t("stale-button")
        return
    change = await change_status(
        visit_desk.request_repo,
        visit_desk.audit_repo,
        request_id=callback_data.request,
        expected=callback_data.was,
        new=callback_data.new,
        staff=staff_member(callback),
    )
    if change is None:
        callback_answer.text = clinic_t("stale-button")
        return
    message = callback.message
    if isinstance(message, Message):
        await visits.refresh_card(
            bot,
            visit_desk,
            chat_id=message.chat.id,
            message_id=message.message_id,
            request_id=callback_data.request,
            content=content,
            clinic_t=clinic_t,
        )
    if change.applied:
        callback_answer.text = clinic_t(
            "status-changed", status=clinic_t(f"status-name-{change.current.value}")
        )
        if change.current == RequestStatus.BOOKED and isinstance(message, Message):
            # Booked: when? The visit loop starts with the appointment.
            await appointments.open_dialog(
                bot,
                visit_desk,
                message,
                callback_data.request,
                state,
                content=content,
                clinic_t=clinic_t,
            )
    else:
        callback_answer.text = staff_views.status_race(
            clinic_t, change.last_event, change.current, visit_desk.settings.clinic_zone
        )
        callback_answer.show_alert = True


async def moderation_pressed(
    callback: CallbackQuery,
    callback_data: ModerationCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    review_repo: ReviewRepository,
    conversation_repo: ConversationRepository,
    audit_repo: AuditRepository,
    staff: StaffDirectory,
    settings: Settings,
    clock: Clock,
    clinic_t: Translator,
) -> None:
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    if not await _card_of(callback, conversation_repo, "review", callback_data.review):
        callback_answer.text = clinic_t("stale-button")
        return
    member = staff_member(callback)
    review = await moderate_review(
        review_repo,
        audit_repo,
        review_id=callback_data.review,
        status=callback_data.status,
        staff=member,
    )
    message = callback.message
    if review is None or not isinstance(message, Message):
        callback_answer.text = clinic_t("stale-button")
        return
    card = await conversation_repo.manager_message(message.chat.id, message.message_id)
    base = card.text if card else message.html_text
    await message.edit_text(
        staff_views.with_moderation(
            clinic_t, base, review.status, member.name, clock(), settings.clinic_zone
        ),
        reply_markup=keyboards.review_card(clinic_t, review.id),
    )
    callback_answer.text = clinic_t(f"review-status-{review.status.value}")


async def ban(
    message: Message,
    bot: Bot,
    conversation_repo: ConversationRepository,
    patient_repo: PatientRepository,
    audit_repo: AuditRepository,
    staff: StaffDirectory,
    settings: Settings,
    clinic_t: Translator,
) -> None:
    if _anonymous_admin(message, settings):
        member = _clinic(message, clinic_t)
    elif message.from_user is not None and await staff.is_staff(bot, message.from_user.id):
        member = staff_member(message)
    else:
        return
    banning = (message.text or "").lstrip("/").lower().startswith("ban")
    replied = message.reply_to_message
    done = await set_ban(
        conversation_repo,
        patient_repo,
        audit_repo,
        chat_id=message.chat.id,
        replied_message_id=replied.message_id if replied else None,
        banning=banning,
        staff=member,
    )
    if not done:
        await message.reply(clinic_t("ban-usage"))
        return
    await message.reply(clinic_t("ban-done" if banning else "unban-done"))


async def reply_to_patient_message(
    message: Message,
    bot: Bot,
    conversation_repo: ConversationRepository,
    staff: StaffDirectory,
    settings: Settings,
    clinic_t: Translator,
) -> None:
    manager = message.from_user
    replied = message.reply_to_message
    anonymous = _anonymous_admin(message, settings)
    if manager is None or (manager.is_bot and not anonymous) or replied is None:
        return

    async def is_staff() -> bool:
        # Only the chat's administrators can write as the chat: no need to ask Telegram.
        return anonymous or await staff.is_staff(bot, manager.id)

    async def copy(patient_id: int) -> None:
        try:
            await bot.copy_message(
                patient_id, from_chat_id=message.chat.id, message_id=message.message_id
            )
        except TelegramForbiddenError as error:
            raise BlockedByPatientError from error
        except TelegramAPIError as error:
            raise CopyRefusedError(error.message) from error

    result = await reply_to_patient(
        conversation_repo,
        chat_id=message.chat.id,
        replied_message_id=replied.message_id,
        is_staff=is_staff,
        copy=copy,
    )
    if result.outcome == ReplyOutcome.NO_PATIENT:
        # Managers talking among themselves are left alone; but an answer to one of the
        # bot's own messages that belongs to no patient would otherwise vanish unnoticed.
        if (
            replied.from_user is not None
            and replied.from_user.id == bot.id
            and replied.forum_topic_created is None  # a topic's root: not a reply at all
            and await is_staff()
        ):
            await message.reply(clinic_t("relay-unknown-target"))
        return
    notes = {
        ReplyOutcome.NOT_STAFF: clinic_t("staff-only"),
        ReplyOutcome.BLOCKED: clinic_t("relay-failed-blocked"),
        ReplyOutcome.DELIVERED: clinic_t("relay-delivered"),
    }
    if result.outcome == ReplyOutcome.FAILED:
        await message.reply(clinic_t("relay-failed", error=result.error))
    else:
        await message.reply(notes[result.outcome])


async def membership_changed(event: ChatMemberUpdated, staff: StaffDirectory) -> None:
    """Someone joined or left the manager chat (or was promoted, restricted, removed): their
    next action is checked against Telegram afresh, not against what was cached."""
    staff.forget(event.new_chat_member.user.id)


async def bot_membership_changed(event: ChatMemberUpdated, staff: StaffDirectory) -> None:
    """The bot's own place in the manager chat changed: nothing cached about it holds."""
    staff.forget_everyone()


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(InManagerChat())
    router.callback_query.filter(InManagerChat())
    router.chat_member.filter(InManagerChat())
    router.my_chat_member.filter(InManagerChat())
    router.chat_member.register(membership_changed)
    router.my_chat_member.register(bot_membership_changed)
    router.callback_query.register(status_pressed, StatusCallback.filter())
    router.callback_query.register(moderation_pressed, ModerationCallback.filter())
    router.callback_query.register(digests.open_pressed, DigestCallback.filter())
    router.message.register(ban, Command("ban", "unban"))
    router.message.register(reply_to_patient_message, Magic(F.reply_to_message), NOT_A_COMMAND)
    return router

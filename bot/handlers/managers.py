"""The manager chat: request statuses, review moderation, replies to patients, bans."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, views
from bot.callbacks import ModerationCallback, StatusCallback
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
from bot.staff import StaffDirectory
from storage.repositories import (
    AuditRepository,
    ConversationRepository,
    PatientRepository,
    RequestRepository,
    ReviewRepository,
)


class InManagerChat(Filter):
    """A message in the manager chat, or a press on a button of one."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        # A button of a message too old to edit (InaccessibleMessage) still names its chat.
        message = event.message if isinstance(event, CallbackQuery) else event
        chat = getattr(message, "chat", None)
        return chat is not None and chat.id == settings.manager_chat_id


def _staff(user: User) -> StaffMember:
    return StaffMember(
        user.id, user.full_name or (f"@{user.username}" if user.username else str(user.id))
    )


async def _refresh_card(
    callback: CallbackQuery,
    request_repo: RequestRepository,
    conversation_repo: ConversationRepository,
    t: Translator,
    request_id: int,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        return
    card = await conversation_repo.manager_message(message.chat.id, message.message_id)
    request = await request_repo.get_request(request_id)
    if card is None or request is None:
        return
    events = await request_repo.request_events(request_id)
    try:
        await message.edit_text(
            views.with_status(t, card.text, events[-1] if events else None),
            reply_markup=keyboards.request_card(t, request_id, request.status),
        )
    except TelegramBadRequest as error:
        # A manager who lost a race sees the card the winner already refreshed.
        if "message is not modified" not in error.message:
            raise


async def status_pressed(
    callback: CallbackQuery,
    callback_data: StatusCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    request_repo: RequestRepository,
    conversation_repo: ConversationRepository,
    audit_repo: AuditRepository,
    staff: StaffDirectory,
    clinic_t: Translator,
) -> None:
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    change = await change_status(
        request_repo,
        audit_repo,
        request_id=callback_data.request,
        expected=callback_data.was,
        new=callback_data.new,
        staff=_staff(callback.from_user),
    )
    if change is None:
        callback_answer.text = clinic_t("stale-button")
        return
    await _refresh_card(callback, request_repo, conversation_repo, clinic_t, callback_data.request)
    if change.applied:
        callback_answer.text = clinic_t(
            "status-changed", status=clinic_t(f"status-name-{change.current.value}")
        )
    else:
        callback_answer.text = views.status_race(clinic_t, change.last_event, change.current)
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
    clinic_t: Translator,
) -> None:
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    member = _staff(callback.from_user)
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
        views.with_moderation(clinic_t, base, review.status, member.name),
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
    clinic_t: Translator,
) -> None:
    if message.from_user is None or not await staff.is_staff(bot, message.from_user.id):
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
        staff=_staff(message.from_user),
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
    clinic_t: Translator,
) -> None:
    manager = message.from_user
    replied = message.reply_to_message
    if manager is None or manager.is_bot or replied is None:
        return

    async def is_staff() -> bool:
        return await staff.is_staff(bot, manager.id)

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


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(InManagerChat())
    router.callback_query.filter(InManagerChat())
    router.callback_query.register(status_pressed, StatusCallback.filter())
    router.callback_query.register(moderation_pressed, ModerationCallback.filter())
    router.message.register(ban, Command("ban", "unban"))
    router.message.register(reply_to_patient_message, F.reply_to_message, ~F.text.startswith("/"))
    return router

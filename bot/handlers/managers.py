"""The manager chat: request statuses, review moderation, replies to patients, bans, outbox."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User

from bot import keyboards, views
from bot.callbacks import ModerationCallback, StatusCallback
from bot.handlers.screens import answer_quietly
from bot.i18n import Translations, Translator
from bot.settings import Settings
from bot.staff import StaffDirectory
from storage import Repository
from storage.models import ManagerMessage

logger = logging.getLogger(__name__)


def _staff_name(user: User) -> str:
    return user.full_name or (f"@{user.username}" if user.username else str(user.id))


async def _target(
    message: Message, repository: Repository, settings: Settings
) -> ManagerMessage | None:
    """The card or relayed message that a manager's message replies to."""
    replied = message.reply_to_message
    if replied is None:
        return None
    return await repository.manager_message(settings.manager_chat_id, replied.message_id)


def create_router(settings: Settings, translations: Translations) -> Router:
    router = Router(name=__name__)
    clinic_t = translations.get(settings.default_locale)
    in_manager_chat = F.chat.id == settings.manager_chat_id
    router.message.filter(in_manager_chat)
    router.callback_query.filter(F.message.chat.id == settings.manager_chat_id)

    @router.callback_query(StatusCallback.filter())
    async def change_status(
        callback: CallbackQuery,
        callback_data: StatusCallback,
        bot: Bot,
        repository: Repository,
        staff: StaffDirectory,
    ) -> None:
        if not await staff.is_staff(bot, callback.from_user.id):
            await callback.answer(clinic_t("staff-only"), show_alert=True)
            return
        change = await repository.change_request_status(
            callback_data.request,
            expected=callback_data.was,
            new=callback_data.new,
            staff_id=callback.from_user.id,
            staff_name=_staff_name(callback.from_user),
        )
        if change is None:
            await answer_quietly(callback, clinic_t("stale-button"))
            return
        await _refresh_card(callback, repository, clinic_t, callback_data.request)
        if change.applied:
            logger.info("Request %d status set to %s", callback_data.request, change.current)
            await repository.add_audit(
                callback.from_user.id,
                _staff_name(callback.from_user),
                f"status:{change.current.value}",
                f"request {callback_data.request}",
            )
            await answer_quietly(
                callback,
                clinic_t("status-changed", status=clinic_t(f"status-name-{change.current.value}")),
            )
        else:
            await callback.answer(
                views.status_race(clinic_t, change.last_event, change.current), show_alert=True
            )

    async def _refresh_card(
        callback: CallbackQuery, repository: Repository, t: Translator, request_id: int
    ) -> None:
        message = callback.message
        if not isinstance(message, Message):
            return
        card = await repository.manager_message(message.chat.id, message.message_id)
        request = await repository.get_request(request_id)
        if card is None or request is None:
            return
        events = await repository.request_events(request_id)
        try:
            await message.edit_text(
                views.with_status(t, card.text, events[-1] if events else None),
                reply_markup=keyboards.request_card(t, request_id, request.status),
            )
        except TelegramBadRequest as error:
            # A manager who lost a race sees the card the winner already refreshed.
            if "message is not modified" not in error.message:
                raise

    @router.callback_query(ModerationCallback.filter())
    async def moderate(
        callback: CallbackQuery,
        callback_data: ModerationCallback,
        bot: Bot,
        repository: Repository,
        staff: StaffDirectory,
    ) -> None:
        if not await staff.is_staff(bot, callback.from_user.id):
            await callback.answer(clinic_t("staff-only"), show_alert=True)
            return
        name = _staff_name(callback.from_user)
        review = await repository.moderate_review(callback_data.review, callback_data.status, name)
        message = callback.message
        if review is None or not isinstance(message, Message):
            await answer_quietly(callback, clinic_t("stale-button"))
            return
        logger.info("Review %d is now %s", review.id, review.status)
        await repository.add_audit(
            callback.from_user.id, name, f"review:{review.status.value}", f"review {review.id}"
        )
        card = await repository.manager_message(message.chat.id, message.message_id)
        base = card.text if card else message.html_text
        await message.edit_text(
            views.with_moderation(clinic_t, base, review.status, name),
            reply_markup=keyboards.review_card(clinic_t, review.id),
        )
        await answer_quietly(callback, clinic_t(f"review-status-{review.status.value}"))

    @router.message(Command("ban", "unban"))
    async def ban(
        message: Message,
        bot: Bot,
        repository: Repository,
        staff: StaffDirectory,
    ) -> None:
        if message.from_user is None or not await staff.is_staff(bot, message.from_user.id):
            return
        target = await _target(message, repository, settings)
        if target is None:
            await message.reply(clinic_t("ban-usage"))
            return
        banning = (message.text or "").lstrip("/").lower().startswith("ban")
        await repository.set_banned(target.patient_id, message.from_user.id if banning else None)
        logger.info("Patient %s by staff", "banned" if banning else "unbanned")
        await repository.add_audit(
            message.from_user.id,
            _staff_name(message.from_user),
            "ban" if banning else "unban",
            f"patient {target.patient_id}",
        )
        await message.reply(clinic_t("ban-done" if banning else "unban-done"))

    @router.message(F.reply_to_message, ~F.text.startswith("/"))
    async def reply_to_patient(
        message: Message, bot: Bot, repository: Repository, staff: StaffDirectory
    ) -> None:
        if message.from_user is None or message.from_user.is_bot:
            return
        target = await _target(message, repository, settings)
        if target is None:
            # Managers talking among themselves are left alone; but an answer to one of the
            # bot's own messages that belongs to no patient would otherwise vanish unnoticed.
            replied = message.reply_to_message
            if (
                replied is not None
                and replied.from_user is not None
                and replied.from_user.id == bot.id
                and replied.forum_topic_created is None  # a topic's root: not a reply at all
                and await staff.is_staff(bot, message.from_user.id)
            ):
                await message.reply(clinic_t("relay-unknown-target"))
            return
        if not await staff.is_staff(bot, message.from_user.id):
            await message.reply(clinic_t("staff-only"))
            return
        try:
            await bot.copy_message(
                target.patient_id, from_chat_id=message.chat.id, message_id=message.message_id
            )
        except TelegramForbiddenError:
            await message.reply(clinic_t("relay-failed-blocked"))
            return
        except TelegramAPIError as error:
            await message.reply(clinic_t("relay-failed", error=error.message))
            return
        logger.info("Manager reply relayed to a patient")
        await message.reply(clinic_t("relay-delivered"))

    return router

"""A digest's button in the manager chat: post the full card of the request it lists.

The card posted is the normal card (the text stored with the request, its latest status,
its status buttons), linked to the request like any card the outbox posts: its buttons and
replies to it work as on any other. It is posted as a reply to the digest, within the
manager chat's pace (the session's pacing holds it until a send is free).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, Message, ReplyParameters
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, staff_views
from bot.callbacks import DigestCallback
from bot.i18n import Translator
from bot.settings import Settings
from bot.staff import StaffDirectory
from storage.repositories import ConversationRepository, OutboxRepository, RequestRepository


async def open_pressed(
    callback: CallbackQuery,
    callback_data: DigestCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    outbox_repo: OutboxRepository,
    request_repo: RequestRepository,
    conversation_repo: ConversationRepository,
    staff: StaffDirectory,
    settings: Settings,
    clinic_t: Translator,
) -> None:
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    digest = callback.message
    row = await outbox_repo.digested_row(callback_data.outbox)
    # The button acts on a row its own digest lists, never on one named by forged data.
    if (
        not isinstance(digest, Message)
        or row is None
        or row.kind != "request"
        or row.patient_id is None
        or not row.text  # the patient's data was erased since
        or (row.chat_id, row.message_id) != (digest.chat.id, digest.message_id)
    ):
        callback_answer.text = clinic_t("stale-button")
        return
    number = str(row.ref_id)
    if await conversation_repo.card_message(row.chat_id, "request", row.ref_id) is not None:
        callback_answer.text = clinic_t("digest-already-open", number=number)
        return
    request = await request_repo.get_request(row.ref_id)
    if request is None:
        callback_answer.text = clinic_t("stale-button")
        return
    # Answered before posting: the post may wait for a free send in the manager chat.
    await callback.answer(clinic_t("digest-opening", number=number))
    callback_answer.disable()
    events = await request_repo.request_events(row.ref_id)
    card = await bot.send_message(
        row.chat_id,
        staff_views.with_status(
            clinic_t, row.text, events[-1] if events else None, settings.clinic_zone
        ),
        message_thread_id=digest.message_thread_id if digest.is_topic_message else None,
        reply_parameters=ReplyParameters(
            message_id=digest.message_id, allow_sending_without_reply=True
        ),
        reply_markup=keyboards.request_card(clinic_t, row.ref_id, request.status),
    )
    await outbox_repo.link_card(
        row.chat_id, card.message_id, row.patient_id, "request", row.ref_id, row.text
    )

"""What no feature handled: patients' free messages, unknown commands and stale buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, staff_views, views
from bot.clock import Clock
from bot.content import Content
from bot.filters import Magic
from bot.handlers.screens import managers
from bot.i18n import Translator
from bot.outbox import OutboxSender
from bot.services.out_of_hours import closed_at, closed_notice
from bot.services.relay import relay_to_managers
from bot.settings import Settings
from storage.repositories import OutboxRepository

RELAYED_MEDIA = F.photo | F.document | F.voice | F.video | F.audio | F.video_note
RELAYED = Magic((F.text & ~F.text.startswith("/")) | RELAYED_MEDIA)


async def stale_button(
    callback: CallbackQuery, callback_answer: CallbackAnswer, t: Translator
) -> None:
    callback_answer.text = t("stale-button")


async def pass_on_to_managers(
    message: Message,
    outbox_repo: OutboxRepository,
    outbox: OutboxSender,
    settings: Settings,
    content: Content,
    clock: Clock,
    clinic_t: Translator,
    t: Translator,
) -> None:
    """Free text outside any form is a question for the clinic: it goes to the managers
    whole (in parts when longer than a Telegram message), threaded under the patient's latest
    request card."""
    user = message.from_user
    if user is None:
        return
    patient = views.patient_link(user.id, user.full_name, user.username)
    media = message.text is None
    if media:
        caption, rest = staff_views.relay_media(clinic_t, patient, message.caption)
        texts = [caption, *rest]
    else:
        texts = staff_views.relay_messages(clinic_t, patient, message.text or "")
    await relay_to_managers(
        outbox_repo,
        patient_id=user.id,
        patient_name=user.full_name,
        chat_id=message.chat.id,
        message_id=message.message_id,
        texts=texts,
        with_media=media,
        managers=managers(settings),
        wake=outbox.wake,
    )
    answer = t("relay-passed-on")
    closed = closed_at(content.clinic, clock(), settings.clinic_zone)
    if closed is not None:
        key, arguments = closed_notice(closed, clock(), t.locale)
        answer += "\n\n" + t(key, reply="answer", **arguments)
    await message.answer(answer, reply_markup=keyboards.main_menu(t))


async def not_understood(message: Message, raw_state: str | None, t: Translator) -> None:
    if raw_state is not None:
        await message.answer(t("form-unknown-command"))
        return
    await message.answer(t("not-understood"), reply_markup=keyboards.main_menu(t))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(stale_button)
    router.message.register(pass_on_to_managers, RELAYED)
    router.message.register(not_understood)
    return router

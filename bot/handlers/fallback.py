"""What no feature handled: patients' free messages, unknown commands and stale buttons."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, views
from bot.handlers.screens import answer_quietly
from bot.i18n import Translations, Translator
from bot.outbox import OutboxSender
from bot.settings import Settings
from storage import Repository
from storage.models import OutboxMessage

logger = logging.getLogger(__name__)

RELAYED_MEDIA = F.photo | F.document | F.voice | F.video | F.audio | F.video_note


def create_router(settings: Settings, translations: Translations) -> Router:
    router = Router(name=__name__)
    clinic_t = translations.get(settings.default_locale)

    @router.callback_query()
    async def stale_button(callback: CallbackQuery, t: Translator) -> None:
        await answer_quietly(callback, t("stale-button"))

    @router.message((F.text & ~F.text.startswith("/")) | RELAYED_MEDIA)
    async def pass_on_to_managers(
        message: Message,
        repository: Repository,
        outbox: OutboxSender,
        t: Translator,
    ) -> None:
        """Free text outside any form is a question for the clinic: it goes to the managers,
        threaded under the patient's latest card."""
        user = message.from_user
        if user is None:
            return
        patient = views.patient_link(user.id, user.full_name, user.username)
        media = message.text is None
        await repository.enqueue(
            OutboxMessage(
                kind="relay",
                ref_id=message.message_id,
                chat_id=settings.manager_chat_id,
                thread_id=settings.manager_thread_id,
                text=views.relay_caption(clinic_t, patient, message.caption)
                if media
                else views.relay_text(clinic_t, patient, message.text or ""),
                patient_id=user.id,
                thread_under_patient=True,
                copy_chat_id=message.chat.id if media else None,
                copy_message_id=message.message_id if media else None,
                patient_name=user.full_name,
            )
        )
        outbox.wake()
        logger.info("Patient message queued for the manager chat")
        await message.answer(t("relay-passed-on"), reply_markup=keyboards.main_menu(t))

    @router.message()
    async def not_understood(message: Message, state: FSMContext, t: Translator) -> None:
        if await state.get_state() is not None:
            await message.answer(t("form-unknown-command"))
            return
        await message.answer(t("not-understood"), reply_markup=keyboards.main_menu(t))

    return router

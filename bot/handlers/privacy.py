"""Patients' data rights: see what the clinic stores (/mydata) and erase it (/forget)."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import keyboards, staff_views
from bot.callbacks import ForgetCallback
from bot.content import Content
from bot.handlers import visits
from bot.handlers.screens import end_form, managers, show
from bot.i18n import Translator
from bot.outbox import OutboxSender
from bot.services.privacy import erase_patient
from bot.settings import Settings
from storage.repositories import AppointmentRepository, PatientRepository

logger = logging.getLogger(__name__)


def _confirm_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("forget-yes"), callback_data=ForgetCallback(confirm=True).pack()
                )
            ],
            [
                InlineKeyboardButton(
                    text=t("forget-no"), callback_data=ForgetCallback(confirm=False).pack()
                )
            ],
        ]
    )


class TelegramCleaner:
    """Blanks an erased patient's cards and topic title in the manager chat, where Telegram
    still allows it: a failure leaves the old text, never the erasure undone."""

    def __init__(self, bot: Bot, manager_chat_id: int, clinic_t: Translator, user_id: int) -> None:
        self._bot = bot
        self._chat_id = manager_chat_id
        self._t = clinic_t
        self._user_id = user_id

    async def blank_card(self, chat_id: int, message_id: int) -> None:
        """Replace a card's text, or a copied photo's caption, with the erasure note."""
        text = self._t("card-erased")
        try:
            await self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
        except TelegramBadRequest as error:
            if "no text" not in error.message.lower():
                logger.warning("Could not blank a card: %s", error.message)
                return
            with contextlib.suppress(TelegramAPIError):
                await self._bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=text
                )
        except TelegramAPIError as error:
            logger.warning("Could not blank a card: %s", error.message)

    async def retitle_topic(self, topic_id: int) -> None:
        # The topic's title carried the patient's name.
        with contextlib.suppress(TelegramAPIError):
            await self._bot.edit_forum_topic(
                self._chat_id,
                topic_id,
                name=self._t("topic-title", name="🗑", id=str(self._user_id)),
            )


async def my_data(
    message: Message,
    patient_repo: PatientRepository,
    appointment_repo: AppointmentRepository,
    content: Content,
    settings: Settings,
    t: Translator,
) -> None:
    if message.from_user is None:
        return
    data = await patient_repo.personal_data(message.from_user.id)
    local = content.for_locale(t.locale)
    zone = settings.clinic_zone
    appointments = visits.personal_appointments(
        t, await appointment_repo.of_patient(message.from_user.id), zone
    )
    for part in staff_views.personal_data(t, local, data, zone, appointments):
        await message.answer(part)


async def forget(message: Message, state: FSMContext, raw_state: str | None, t: Translator) -> None:
    await end_form(state, raw_state)
    await message.answer(t("forget-confirm"), reply_markup=_confirm_keyboard(t))


async def keep(callback: CallbackQuery, t: Translator) -> None:
    await show(callback, t("forget-kept"))


async def erase(
    callback: CallbackQuery,
    bot: Bot,
    state: FSMContext,
    patient_repo: PatientRepository,
    outbox: OutboxSender,
    settings: Settings,
    clinic_t: Translator,
    t: Translator,
) -> None:
    user_id = callback.from_user.id
    await state.clear()
    erasure = await erase_patient(
        patient_repo,
        user_id=user_id,
        notice_text=lambda request_id: clinic_t("forget-notice", number=str(request_id)),
        managers=managers(settings),
        cleaner=TelegramCleaner(bot, settings.manager_chat_id, clinic_t, user_id),
        wake=outbox.wake,
    )
    # Digests listed the patient's requests by name and phone.
    await outbox.refresh_digests(bot, erasure.request_ids)
    await show(callback, t("forget-done"))
    if isinstance(callback.message, Message):
        await callback.message.answer(t("menu-title"), reply_markup=keyboards.main_menu(t))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(my_data, Command("mydata"))
    router.message.register(forget, Command("forget"))
    router.callback_query.register(keep, ForgetCallback.filter(F.confirm.is_(False)))
    router.callback_query.register(erase, ForgetCallback.filter(F.confirm.is_(True)))
    return router

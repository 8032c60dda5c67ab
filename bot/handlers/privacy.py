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
from bot.handlers.screens import answer_quietly, show
from bot.i18n import Translations, Translator
from bot.outbox import OutboxSender
from bot.settings import Settings
from storage import Repository
from storage.models import OutboxMessage

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


async def _blank(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    """Replace a card's text, or a copied photo's caption, with the erasure note."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except TelegramBadRequest as error:
        if "no text" not in error.message.lower():
            logger.warning("Could not blank a card: %s", error.message)
            return
        with contextlib.suppress(TelegramAPIError):
            await bot.edit_message_caption(chat_id=chat_id, message_id=message_id, caption=text)
    except TelegramAPIError as error:
        logger.warning("Could not blank a card: %s", error.message)


def create_router(settings: Settings, translations: Translations) -> Router:
    router = Router(name=__name__)
    clinic_t = translations.get(settings.default_locale)

    @router.message(Command("mydata"))
    async def my_data(
        message: Message, repository: Repository, content: Content, t: Translator
    ) -> None:
        if message.from_user is None:
            return
        data = await repository.personal_data(message.from_user.id)
        for part in staff_views.personal_data(t, content.for_locale(t.locale), data):
            await message.answer(part)

    @router.message(Command("forget"))
    async def forget(message: Message, state: FSMContext, t: Translator) -> None:
        await state.clear()
        await message.answer(t("forget-confirm"), reply_markup=_confirm_keyboard(t))

    @router.callback_query(ForgetCallback.filter(F.confirm.is_(False)))
    async def keep(callback: CallbackQuery, t: Translator) -> None:
        await show(callback, t("forget-kept"))
        await answer_quietly(callback)

    @router.callback_query(ForgetCallback.filter(F.confirm.is_(True)))
    async def erase(
        callback: CallbackQuery,
        bot: Bot,
        state: FSMContext,
        repository: Repository,
        outbox: OutboxSender,
        t: Translator,
    ) -> None:
        user_id = callback.from_user.id

        def notice(request_id: int) -> OutboxMessage:
            return OutboxMessage(
                kind="erasure",
                ref_id=request_id,
                chat_id=settings.manager_chat_id,
                thread_id=settings.manager_thread_id,
                text=clinic_t("forget-notice", number=str(request_id)),
            )

        await state.clear()
        erasure = await repository.forget(user_id, notice)
        outbox.wake()
        # The cards in the manager chat showed the data too: blank them where Telegram allows.
        for card in erasure.cards:
            await _blank(bot, card.chat_id, card.message_id, clinic_t("card-erased"))
        topic_id, _ = await repository.patient_topic(user_id)
        if topic_id is not None:
            # The topic's title carried the patient's name.
            with contextlib.suppress(TelegramAPIError):
                await bot.edit_forum_topic(
                    settings.manager_chat_id,
                    topic_id,
                    name=clinic_t("topic-title", name="🗑", id=str(user_id)),
                )
        logger.info(
            "Patient data erased on request: %d requests, %d reviews",
            len(erasure.request_ids),
            len(erasure.review_ids),
        )
        await show(callback, t("forget-done"))
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await callback.message.answer(t("menu-title"), reply_markup=keyboards.main_menu(t))

    return router

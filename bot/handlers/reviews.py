"""Leaving a review (stars, text, signature) and reading the published ones."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, views
from bot.callbacks import NavCallback, ReviewAction, ReviewCallback, ReviewsPageCallback, Screen
from bot.handlers.screens import (
    NOT_A_COMMAND,
    answer_quietly,
    cancel_by_button,
    leave_form,
    remove_buttons,
    show,
)
from bot.i18n import Translations, Translator
from bot.outbox import OutboxSender
from bot.services.forms import REVIEW_RULE, TextProblem
from bot.settings import Settings
from bot.states import ReviewForm
from storage import Repository
from storage.models import NewReview, OutboxMessage

logger = logging.getLogger(__name__)


async def _ask_rating(message: Message, t: Translator) -> None:
    await message.answer(t("review-ask-rating"), reply_markup=keyboards.review_stars(t))


async def _ask_text(message: Message, t: Translator) -> None:
    await message.answer(
        t("review-ask-text"),
        reply_markup=keyboards.review_text(t),
    )


async def _ask_signature(message: Message, t: Translator, first_name: str) -> None:
    await message.answer(
        t("review-ask-signature"), reply_markup=keyboards.review_signature(t, first_name)
    )


async def _reviews_screen(
    repository: Repository, t: Translator, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    summary = await repository.rating_summary()
    pages = views.page_count(summary.count)
    page = min(max(page, 0), pages - 1)
    reviews = await repository.published_reviews(
        offset=page * views.REVIEWS_PER_PAGE, limit=views.REVIEWS_PER_PAGE
    )
    return views.reviews_page(t, summary, reviews, page, pages), keyboards.reviews_pages(
        t, page, pages
    )


def create_router(translations: Translations) -> Router:
    router = Router(name=__name__)

    # --- reading ---------------------------------------------------------------------------

    @router.message(Command("reviews"))
    @router.message(F.text.in_(translations.variants("menu-reviews")))
    async def reviews(
        message: Message, state: FSMContext, repository: Repository, t: Translator
    ) -> None:
        await leave_form(state, message, t)
        text, markup = await _reviews_screen(repository, t, 0)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(NavCallback.filter(F.screen == Screen.REVIEWS))
    @router.callback_query(ReviewsPageCallback.filter())
    async def reviews_page(callback: CallbackQuery, repository: Repository, t: Translator) -> None:
        page = 0
        if callback.data and callback.data.startswith(ReviewsPageCallback.__prefix__ + ":"):
            page = ReviewsPageCallback.unpack(callback.data).page
        text, markup = await _reviews_screen(repository, t, page)
        await show(callback, text, markup)
        await answer_quietly(callback)

    # --- writing ---------------------------------------------------------------------------

    @router.message(Command("review"))
    @router.message(F.text.in_(translations.variants("menu-review")))
    async def review(message: Message, state: FSMContext, t: Translator) -> None:
        await leave_form(state, message, t)
        await state.set_state(ReviewForm.rating)
        await _ask_rating(message, t)

    @router.callback_query(NavCallback.filter(F.screen == Screen.REVIEW))
    async def review_button(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
        await state.clear()
        await state.set_state(ReviewForm.rating)
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _ask_rating(callback.message, t)

    @router.callback_query(ReviewForm.rating, ReviewCallback.filter(F.action == ReviewAction.RATE))
    async def rated(
        callback: CallbackQuery, callback_data: ReviewCallback, state: FSMContext, t: Translator
    ) -> None:
        if not 1 <= callback_data.stars <= 5:
            await answer_quietly(callback, t("stale-button"))
            return
        await state.update_data(rating=callback_data.stars)
        await state.set_state(ReviewForm.text)
        await show(callback, t("review-rated", stars="⭐" * callback_data.stars))
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _ask_text(callback.message, t)

    @router.message(ReviewForm.rating, NOT_A_COMMAND)
    async def rating_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-use-buttons"))
        await _ask_rating(message, t)

    @router.message(ReviewForm.text, NOT_A_COMMAND, F.text)
    async def text_entered(message: Message, state: FSMContext, t: Translator) -> None:
        checked = REVIEW_RULE.check(message.text)
        if isinstance(checked, TextProblem):
            await message.answer(t(f"form-problem-{checked.value}", limit=REVIEW_RULE.max_length))
            await _ask_text(message, t)
            return
        await state.update_data(text=checked)
        await state.set_state(ReviewForm.signature)
        first_name = message.from_user.first_name if message.from_user else ""
        await _ask_signature(message, t, first_name)

    @router.callback_query(ReviewForm.text, ReviewCallback.filter(F.action == ReviewAction.SKIP))
    async def text_skipped(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
        await state.update_data(text=None)
        await state.set_state(ReviewForm.signature)
        await remove_buttons(callback)
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _ask_signature(callback.message, t, callback.from_user.first_name)

    @router.message(ReviewForm.text, NOT_A_COMMAND)
    async def text_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-text-expected"))
        await _ask_text(message, t)

    @router.callback_query(
        ReviewForm.signature,
        ReviewCallback.filter(F.action.in_({ReviewAction.SIGN, ReviewAction.ANONYMOUS})),
    )
    async def signed(
        callback: CallbackQuery,
        callback_data: ReviewCallback,
        state: FSMContext,
        repository: Repository,
        outbox: OutboxSender,
        settings: Settings,
        translations: Translations,
        t: Translator,
    ) -> None:
        data = await state.get_data()
        rating = data.get("rating")
        if not isinstance(rating, int):
            await state.clear()
            await answer_quietly(callback, t("stale-button"))
            return
        user = callback.from_user
        review = NewReview(
            user_id=user.id,
            author=user.first_name if callback_data.action == ReviewAction.SIGN else None,
            rating=rating,
            text=data.get("text"),
            locale=t.locale,
        )
        clinic_t = translations.get(settings.default_locale)
        patient = views.patient_link(user.id, user.full_name, user.username)

        def card(review_id: int) -> OutboxMessage:
            return OutboxMessage(
                kind="review",
                ref_id=review_id,
                chat_id=settings.manager_chat_id,
                thread_id=settings.manager_thread_id,
                text=views.review_card(clinic_t, review_id, review, patient),
                reply_markup=keyboards.review_card(clinic_t, review_id).model_dump_json(
                    exclude_none=True
                ),
                patient_id=user.id,
                patient_name=user.full_name,
            )

        review_id = await repository.create_review(review, card)
        await state.clear()
        outbox.wake()
        logger.info("Review %d stored, awaiting moderation", review_id)
        await remove_buttons(callback)
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await callback.message.answer(t("review-done"), reply_markup=keyboards.main_menu(t))

    @router.message(ReviewForm.signature, NOT_A_COMMAND)
    async def signature_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-use-buttons-above"))

    @router.callback_query(
        StateFilter(ReviewForm), ReviewCallback.filter(F.action == ReviewAction.CANCEL)
    )
    async def cancel(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
        await cancel_by_button(callback, state, t)

    return router

"""Leaving a review (stars, text, signature) and reading the published ones."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, views
from bot.callbacks import NavCallback, ReviewAction, ReviewCallback, ReviewsPageCallback, Screen
from bot.filters import TEXT_NOT_A_COMMAND
from bot.handlers.screens import (
    NOT_A_COMMAND,
    MenuButton,
    cancel_by_button,
    leave_form,
    managers,
    remove_buttons,
    show,
)
from bot.i18n import Translator
from bot.outbox import OutboxSender
from bot.services.common import Card
from bot.services.forms import REVIEW_RULE, TextProblem
from bot.services.reviews import submit_review
from bot.settings import Settings
from bot.states import ReviewForm
from storage.models import NewReview
from storage.repositories import ReviewRepository


def _with_hint(t: Translator, hint: str | None, question: str) -> str:
    """A re-prompt: what went wrong and the question again, in one message with its buttons."""
    return f"{t(hint)}\n\n{question}" if hint else question


async def _ask_rating(message: Message, t: Translator, hint: str | None = None) -> None:
    await message.answer(
        _with_hint(t, hint, t("review-ask-rating")), reply_markup=keyboards.review_stars(t)
    )


async def _ask_text(message: Message, t: Translator) -> None:
    await message.answer(t("review-ask-text"), reply_markup=keyboards.review_text(t))


async def _ask_signature(
    message: Message, t: Translator, first_name: str, hint: str | None = None
) -> None:
    await message.answer(
        _with_hint(t, hint, t("review-ask-signature")),
        reply_markup=keyboards.review_signature(t, first_name),
    )


async def _reviews_screen(
    review_repo: ReviewRepository, t: Translator, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    summary = await review_repo.rating_summary()
    pages = views.page_count(summary.count)
    page = min(max(page, 0), pages - 1)
    reviews = await review_repo.published_reviews(
        offset=page * views.REVIEWS_PER_PAGE, limit=views.REVIEWS_PER_PAGE
    )
    return views.reviews_page(t, summary, reviews, page, pages), keyboards.reviews_pages(
        t, page, pages
    )


# --- reading --------------------------------------------------------------------------------


async def reviews(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    review_repo: ReviewRepository,
    t: Translator,
) -> None:
    await leave_form(state, raw_state, message, t)
    text, markup = await _reviews_screen(review_repo, t, 0)
    await message.answer(text, reply_markup=markup)


async def reviews_button(
    callback: CallbackQuery, review_repo: ReviewRepository, t: Translator
) -> None:
    text, markup = await _reviews_screen(review_repo, t, 0)
    await show(callback, text, markup)


async def reviews_page(
    callback: CallbackQuery,
    callback_data: ReviewsPageCallback,
    review_repo: ReviewRepository,
    t: Translator,
) -> None:
    text, markup = await _reviews_screen(review_repo, t, callback_data.page)
    await show(callback, text, markup)


# --- writing --------------------------------------------------------------------------------


async def review(message: Message, state: FSMContext, raw_state: str | None, t: Translator) -> None:
    await leave_form(state, raw_state, message, t)
    await state.set_state(ReviewForm.rating)
    await _ask_rating(message, t)


async def review_button(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await state.set_state(ReviewForm.rating)
    if isinstance(callback.message, Message):
        await _ask_rating(callback.message, t)


async def rated(
    callback: CallbackQuery,
    callback_data: ReviewCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    t: Translator,
) -> None:
    if not 1 <= callback_data.stars <= 5:
        callback_answer.text = t("stale-button")
        return
    await state.update_data(rating=callback_data.stars)
    await state.set_state(ReviewForm.text)
    await show(callback, t("review-rated", stars="⭐" * callback_data.stars))
    if isinstance(callback.message, Message):
        await _ask_text(callback.message, t)


async def rating_expected(message: Message, t: Translator) -> None:
    await _ask_rating(message, t, hint="form-use-buttons")


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


async def text_skipped(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.update_data(text=None)
    await state.set_state(ReviewForm.signature)
    await remove_buttons(callback)
    if isinstance(callback.message, Message):
        await _ask_signature(callback.message, t, callback.from_user.first_name)


async def text_expected(message: Message, t: Translator) -> None:
    await message.answer(t("form-text-expected"))
    await _ask_text(message, t)


async def signed(
    callback: CallbackQuery,
    callback_data: ReviewCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    review_repo: ReviewRepository,
    outbox: OutboxSender,
    settings: Settings,
    clinic_t: Translator,
    t: Translator,
) -> None:
    data = await state.get_data()
    rating = data.get("rating")
    if not isinstance(rating, int):
        await state.clear()
        callback_answer.text = t("stale-button")
        return
    user = callback.from_user
    patient = views.patient_link(user.id, user.full_name, user.username)

    def card(review_id: int, review: NewReview) -> Card:
        return Card(
            text=views.review_card(clinic_t, review_id, review, patient),
            reply_markup=keyboards.review_card(clinic_t, review_id).model_dump_json(
                exclude_none=True
            ),
        )

    await submit_review(
        review_repo,
        user_id=user.id,
        patient_name=user.full_name,
        author=user.first_name if callback_data.action == ReviewAction.SIGN else None,
        rating=rating,
        text=data.get("text"),
        locale=t.locale,
        render_card=card,
        managers=managers(settings),
        wake=outbox.wake,
    )
    await state.clear()
    await remove_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("review-done"), reply_markup=keyboards.main_menu(t))


async def signature_expected(message: Message, t: Translator) -> None:
    first_name = message.from_user.first_name if message.from_user else ""
    await _ask_signature(message, t, first_name, hint="form-use-buttons")


async def cancel(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await cancel_by_button(callback, state, t)


def build_router() -> Router:
    router = Router(name=__name__)
    message, button = router.message.register, router.callback_query.register

    message(reviews, Command("reviews"))
    message(reviews, MenuButton("menu-reviews"))
    button(reviews_button, NavCallback.filter(F.screen == Screen.REVIEWS))
    button(reviews_page, ReviewsPageCallback.filter())

    message(review, Command("review"))
    message(review, MenuButton("menu-review"))
    button(review_button, NavCallback.filter(F.screen == Screen.REVIEW))
    button(
        rated, StateFilter(ReviewForm.rating), ReviewCallback.filter(F.action == ReviewAction.RATE)
    )
    message(rating_expected, StateFilter(ReviewForm.rating), NOT_A_COMMAND)
    message(text_entered, StateFilter(ReviewForm.text), TEXT_NOT_A_COMMAND)
    button(
        text_skipped,
        StateFilter(ReviewForm.text),
        ReviewCallback.filter(F.action == ReviewAction.SKIP),
    )
    message(text_expected, StateFilter(ReviewForm.text), NOT_A_COMMAND)
    button(
        signed,
        StateFilter(ReviewForm.signature),
        ReviewCallback.filter(F.action.in_({ReviewAction.SIGN, ReviewAction.ANONYMOUS})),
    )
    message(signature_expected, StateFilter(ReviewForm.signature), NOT_A_COMMAND)
    button(cancel, StateFilter(ReviewForm), ReviewCallback.filter(F.action == ReviewAction.CANCEL))
    return router

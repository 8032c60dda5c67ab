"""The consultation request form: service, name, phone, time, complaint, consent, confirmation."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, User

from bot import keyboards, views
from bot.callbacks import (
    NOT_SURE,
    BookingAction,
    BookingCallback,
    BookingField,
    NavCallback,
    PriceBookCallback,
    Screen,
    ServiceCallback,
    TimeSlot,
)
from bot.content import Content
from bot.handlers.screens import (
    NOT_A_COMMAND,
    answer_quietly,
    cancel_by_button,
    remove_buttons,
    show,
)
from bot.i18n import Translations, Translator
from bot.outbox import OutboxSender
from bot.services.forms import (
    COMPLAINT_RULE,
    CONSENT_VERSION,
    NAME_RULE,
    TIME_RULE,
    TextProblem,
    single_line,
)
from bot.services.phone import normalize_phone
from bot.settings import Settings
from bot.states import BookingForm
from storage import Repository
from storage.models import NewRequest, OutboxMessage, RequestStatus

logger = logging.getLogger(__name__)

FIELD_STATES = {
    BookingField.SERVICE: BookingForm.service,
    BookingField.NAME: BookingForm.name,
    BookingField.PHONE: BookingForm.phone,
    BookingField.TIME: BookingForm.time,
    BookingField.COMPLAINT: BookingForm.complaint,
}


def _draft(data: dict[str, Any]) -> views.BookingDraft | None:
    try:
        return views.BookingDraft(
            service_id=data.get("service"),
            name=data["name"],
            phone=data["phone"],
            preferred_time=data["time"],
            complaint=data.get("complaint"),
        )
    except KeyError:
        return None


async def _ask_service(message: Message, content: Content, t: Translator) -> None:
    local = content.for_locale(t.locale)
    await message.answer(
        t("book-ask-service"), reply_markup=keyboards.service_choice(t, local.services)
    )


async def _ask_name(message: Message, t: Translator) -> None:
    await message.answer(t("book-ask-name"), reply_markup=keyboards.form_cancel(t))


async def _ask_phone(message: Message, t: Translator) -> None:
    await message.answer(t("book-ask-phone"), reply_markup=keyboards.phone_request(t))


async def _ask_time(message: Message, t: Translator) -> None:
    await message.answer(t("book-ask-time"), reply_markup=keyboards.time_slots(t))


async def _ask_complaint(message: Message, t: Translator) -> None:
    await message.answer(
        t("book-ask-complaint"),
        reply_markup=keyboards.skip_button(t, BookingCallback(action=BookingAction.SKIP).pack()),
    )


async def _ask_consent(message: Message, t: Translator) -> None:
    await message.answer(
        t("book-ask-consent", version=CONSENT_VERSION), reply_markup=keyboards.consent(t)
    )


async def _show_summary(
    message: Message, state: FSMContext, content: Content, t: Translator
) -> None:
    draft = _draft(await state.get_data())
    if draft is None:
        # Only a form damaged from outside gets here; starting over is the honest answer.
        await state.clear()
        await message.answer(t("book-restart"), reply_markup=keyboards.main_menu(t))
        return
    await state.set_state(BookingForm.confirm)
    await state.update_data(editing=False)
    await message.answer(
        views.booking_summary(t, content.for_locale(t.locale), draft),
        reply_markup=keyboards.booking_confirm(t),
    )


async def _next_step(
    message: Message,
    state: FSMContext,
    content: Content,
    t: Translator,
    following: State,
    repository: Repository | None = None,
) -> None:
    """Go to the next question, or straight back to the summary when editing one field."""
    data = await state.get_data()
    if data.get("editing"):
        await _show_summary(message, state, content, t)
        return
    await state.set_state(following)
    if following == BookingForm.name:
        await _ask_name(message, t)
    elif following == BookingForm.phone:
        await _ask_phone(message, t)
    elif following == BookingForm.time:
        await _ask_time(message, t)
    elif following == BookingForm.complaint:
        await _ask_complaint(message, t)
    elif following == BookingForm.consent:
        given_at = (
            await repository.consent_of(message.chat.id, CONSENT_VERSION) if repository else None
        )
        if given_at is None:
            await _ask_consent(message, t)
            return
        # A returning patient who agreed to this very text is not asked again; a new version
        # of the text asks everyone once more.
        await state.update_data(consent_version=CONSENT_VERSION, consented_at=given_at.isoformat())
        await _show_summary(message, state, content, t)


async def _start(
    message: Message, state: FSMContext, content: Content, t: Translator, service: str | None
) -> None:
    had_form = await state.get_state() is not None
    await state.clear()
    intro = t("book-intro")
    if had_form:
        intro = t("form-cancelled") + "\n\n" + intro
    await message.answer(intro, reply_markup=keyboards.form_cancel(t))
    if service is None:
        await state.set_state(BookingForm.service)
        await _ask_service(message, content, t)
        return
    await state.update_data(service=service)
    local = content.for_locale(t.locale)
    await message.answer(t("book-service-chosen", service=views.service_name(t, local, service)))
    await _next_step(message, state, content, t, BookingForm.name)


def _problem_text(t: Translator, problem: TextProblem, limit: int) -> str:
    return t(f"form-problem-{problem.value}", limit=limit)


def _patient(user: User) -> str:
    return views.patient_link(user.id, user.full_name, user.username)


def create_router(translations: Translations) -> Router:
    router = Router(name=__name__)

    # --- entry points ---------------------------------------------------------------------

    @router.message(Command("book"))
    @router.message(F.text.in_(translations.variants("menu-book")))
    async def book(message: Message, state: FSMContext, content: Content, t: Translator) -> None:
        await _start(message, state, content, t, service=None)

    @router.callback_query(NavCallback.filter(F.screen == Screen.BOOK))
    async def book_button(
        callback: CallbackQuery, state: FSMContext, content: Content, t: Translator
    ) -> None:
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _start(callback.message, state, content, t, service=None)

    @router.callback_query(PriceBookCallback.filter())
    async def book_from_price_list(
        callback: CallbackQuery,
        callback_data: PriceBookCallback,
        state: FSMContext,
        content: Content,
        t: Translator,
    ) -> None:
        if content.for_locale(t.locale).service(callback_data.service) is None:
            await answer_quietly(callback, t("stale-button"))
            return
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _start(callback.message, state, content, t, service=callback_data.service)

    @router.callback_query(BookingForm.service, ServiceCallback.filter())
    async def choose_service(
        callback: CallbackQuery,
        callback_data: ServiceCallback,
        state: FSMContext,
        content: Content,
        t: Translator,
    ) -> None:
        local = content.for_locale(t.locale)
        service = callback_data.service
        if service != NOT_SURE and local.service(service) is None:
            await answer_quietly(callback, t("stale-button"))
            return
        await state.update_data(service=service)
        await show(
            callback, t("book-service-chosen", service=views.service_name(t, local, service))
        )
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _next_step(callback.message, state, content, t, BookingForm.name)

    @router.message(BookingForm.service, NOT_A_COMMAND)
    async def service_expected(message: Message, content: Content, t: Translator) -> None:
        await message.answer(t("form-use-buttons"))
        await _ask_service(message, content, t)

    # --- name -----------------------------------------------------------------------------

    @router.message(BookingForm.name, NOT_A_COMMAND, F.text)
    async def name_entered(
        message: Message, state: FSMContext, content: Content, t: Translator
    ) -> None:
        checked = NAME_RULE.check(single_line(message.text or ""))
        if isinstance(checked, TextProblem):
            await message.answer(_problem_text(t, checked, NAME_RULE.max_length))
            await _ask_name(message, t)
            return
        await state.update_data(name=checked)
        await _next_step(message, state, content, t, BookingForm.phone)

    @router.message(BookingForm.name, NOT_A_COMMAND)
    async def name_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-text-expected"))
        await _ask_name(message, t)

    # --- phone ----------------------------------------------------------------------------

    @router.message(BookingForm.phone, NOT_A_COMMAND, F.contact | F.text)
    async def phone_entered(
        message: Message, state: FSMContext, content: Content, t: Translator
    ) -> None:
        contact = message.contact
        if (
            contact is not None
            and message.from_user is not None
            and (contact.user_id != message.from_user.id)
        ):
            # Someone else's card from the address book: the clinic would call the wrong person.
            await message.answer(t("book-phone-not-own"))
            await _ask_phone(message, t)
            return
        raw = contact.phone_number if contact else (message.text or "")
        phone = normalize_phone(raw)
        if phone is None:
            await message.answer(t("book-phone-invalid"))
            await _ask_phone(message, t)
            return
        await state.update_data(phone=phone)
        # The contact button has done its job; the next steps only need "Cancel".
        await message.answer(
            t("book-phone-saved", phone=phone), reply_markup=keyboards.form_cancel(t)
        )
        await _next_step(message, state, content, t, BookingForm.time)

    @router.message(BookingForm.phone, NOT_A_COMMAND)
    async def phone_expected(message: Message, t: Translator) -> None:
        await message.answer(t("book-phone-invalid"))
        await _ask_phone(message, t)

    # --- preferred time -------------------------------------------------------------------

    @router.callback_query(BookingForm.time, BookingCallback.filter(F.action == BookingAction.TIME))
    async def time_chosen(
        callback: CallbackQuery,
        callback_data: BookingCallback,
        state: FSMContext,
        content: Content,
        t: Translator,
    ) -> None:
        if callback_data.value not in set(TimeSlot):
            await answer_quietly(callback, t("stale-button"))
            return
        chosen = t(f"book-time-{callback_data.value}")
        await state.update_data(time=chosen)
        await show(callback, t("book-time-chosen", time=chosen))
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _next_step(callback.message, state, content, t, BookingForm.complaint)

    @router.message(BookingForm.time, NOT_A_COMMAND, F.text)
    async def time_entered(
        message: Message, state: FSMContext, content: Content, t: Translator
    ) -> None:
        checked = TIME_RULE.check(single_line(message.text or ""))
        if isinstance(checked, TextProblem):
            await message.answer(_problem_text(t, checked, TIME_RULE.max_length))
            await _ask_time(message, t)
            return
        await state.update_data(time=checked)
        await _next_step(message, state, content, t, BookingForm.complaint)

    @router.message(BookingForm.time, NOT_A_COMMAND)
    async def time_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-text-expected"))
        await _ask_time(message, t)

    # --- complaint (optional) -------------------------------------------------------------

    @router.callback_query(
        BookingForm.complaint, BookingCallback.filter(F.action == BookingAction.SKIP)
    )
    async def complaint_skipped(
        callback: CallbackQuery,
        state: FSMContext,
        content: Content,
        repository: Repository,
        t: Translator,
    ) -> None:
        await state.update_data(complaint=None)
        await show(callback, t("book-complaint-skipped"))
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _next_step(callback.message, state, content, t, BookingForm.consent, repository)

    @router.message(BookingForm.complaint, NOT_A_COMMAND, F.text)
    async def complaint_entered(
        message: Message,
        state: FSMContext,
        content: Content,
        repository: Repository,
        t: Translator,
    ) -> None:
        checked = COMPLAINT_RULE.check(message.text)
        if isinstance(checked, TextProblem):
            await message.answer(_problem_text(t, checked, COMPLAINT_RULE.max_length))
            await _ask_complaint(message, t)
            return
        await state.update_data(complaint=checked)
        await _next_step(message, state, content, t, BookingForm.consent, repository)

    @router.message(BookingForm.complaint, NOT_A_COMMAND)
    async def complaint_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-text-expected"))
        await _ask_complaint(message, t)

    # --- consent --------------------------------------------------------------------------

    @router.callback_query(
        BookingForm.consent, BookingCallback.filter(F.action == BookingAction.AGREE)
    )
    async def consent_given(
        callback: CallbackQuery, state: FSMContext, content: Content, t: Translator
    ) -> None:
        await state.update_data(
            consent_version=CONSENT_VERSION, consented_at=datetime.now(UTC).isoformat()
        )
        await remove_buttons(callback)
        await answer_quietly(callback)
        if isinstance(callback.message, Message):
            await _show_summary(callback.message, state, content, t)

    @router.message(BookingForm.consent, NOT_A_COMMAND)
    async def consent_expected(message: Message, t: Translator) -> None:
        await message.answer(t("book-consent-required"))
        await _ask_consent(message, t)

    # --- summary: confirm, edit, cancel ---------------------------------------------------

    @router.callback_query(
        StateFilter(BookingForm.confirm, BookingForm.edit),
        BookingCallback.filter(F.action == BookingAction.CONFIRM),
    )
    async def confirm(
        callback: CallbackQuery,
        state: FSMContext,
        content: Content,
        repository: Repository,
        outbox: OutboxSender,
        settings: Settings,
        translations: Translations,
        t: Translator,
    ) -> None:
        if not isinstance(callback.message, Message):
            return
        if await state.get_state() == BookingForm.edit:
            await remove_buttons(callback)
            await answer_quietly(callback)
            await _show_summary(callback.message, state, content, t)
            return
        data = await state.get_data()
        draft = _draft(data)
        if draft is None or "consent_version" not in data:
            await state.clear()
            await answer_quietly(callback)
            await callback.message.answer(t("book-restart"), reply_markup=keyboards.main_menu(t))
            return
        request = NewRequest(
            user_id=callback.from_user.id,
            locale=t.locale,
            service_id=None if draft.service_id in (None, NOT_SURE) else draft.service_id,
            name=draft.name,
            phone=draft.phone,
            preferred_time=draft.preferred_time,
            complaint=draft.complaint,
            consent_version=data["consent_version"],
            consented_at=datetime.fromisoformat(data["consented_at"]),
        )
        clinic_t = translations.get(settings.default_locale)
        clinic_content = content.for_locale(settings.default_locale)
        patient = _patient(callback.from_user)
        # A quick-button time is shown to managers in their own language.
        for slot in TimeSlot:
            if request.preferred_time == t(f"book-time-{slot.value}"):
                card_request = replace(request, preferred_time=clinic_t(f"book-time-{slot.value}"))
                break
        else:
            card_request = request

        def card(request_id: int) -> OutboxMessage:
            return OutboxMessage(
                kind="request",
                ref_id=request_id,
                chat_id=settings.manager_chat_id,
                thread_id=settings.manager_thread_id,
                text=views.request_card(
                    clinic_t, clinic_content, request_id, card_request, patient
                ),
                reply_markup=keyboards.request_card(
                    clinic_t, request_id, RequestStatus.NEW
                ).model_dump_json(exclude_none=True),
                patient_id=callback.from_user.id,
                patient_name=callback.from_user.full_name,
            )

        request_id = await repository.create_request(request, card)
        await state.clear()
        outbox.wake()
        logger.info("Consultation request %d stored", request_id)
        await remove_buttons(callback)
        await answer_quietly(callback)
        await callback.message.answer(
            t("book-done", number=str(request_id)), reply_markup=keyboards.main_menu(t)
        )

    @router.callback_query(
        BookingForm.confirm, BookingCallback.filter(F.action == BookingAction.EDIT)
    )
    async def edit(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
        await state.set_state(BookingForm.edit)
        if isinstance(callback.message, Message):
            await callback.message.edit_reply_markup(reply_markup=keyboards.booking_fields(t))
        await answer_quietly(callback)

    @router.callback_query(
        BookingForm.edit, BookingCallback.filter(F.action == BookingAction.FIELD)
    )
    async def edit_field(
        callback: CallbackQuery,
        callback_data: BookingCallback,
        state: FSMContext,
        content: Content,
        t: Translator,
    ) -> None:
        try:
            field = BookingField(callback_data.value)
        except ValueError:
            await answer_quietly(callback, t("stale-button"))
            return
        await remove_buttons(callback)
        await answer_quietly(callback)
        if not isinstance(callback.message, Message):
            return
        await state.update_data(editing=True)
        await state.set_state(FIELD_STATES[field])
        prompts = {
            BookingField.NAME: _ask_name,
            BookingField.PHONE: _ask_phone,
            BookingField.TIME: _ask_time,
            BookingField.COMPLAINT: _ask_complaint,
        }
        if field == BookingField.SERVICE:
            await _ask_service(callback.message, content, t)
        else:
            await prompts[field](callback.message, t)

    @router.message(StateFilter(BookingForm.confirm, BookingForm.edit), NOT_A_COMMAND)
    async def summary_expected(message: Message, t: Translator) -> None:
        await message.answer(t("form-use-buttons-above"))

    @router.callback_query(
        StateFilter(BookingForm), BookingCallback.filter(F.action == BookingAction.CANCEL)
    )
    async def cancel(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
        await cancel_by_button(callback, state, t)

    return router

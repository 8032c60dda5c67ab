"""The consultation request form: service, name, phone, time, complaint, consent, confirmation."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.callback_answer import CallbackAnswer

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
from bot.clock import Clock
from bot.content import Content
from bot.filters import TEXT_NOT_A_COMMAND, Magic
from bot.handlers.screens import (
    NOT_A_COMMAND,
    MenuButton,
    cancel_by_button,
    managers,
    remove_buttons,
    show,
)
from bot.i18n import Translator
from bot.outbox import OutboxSender
from bot.services.common import Card
from bot.services.forms import (
    COMPLAINT_RULE,
    CONSENT_VERSION,
    NAME_RULE,
    TIME_RULE,
    ConsentAnswer,
    TextProblem,
    TextRule,
    consent_answer,
    single_line,
)
from bot.services.out_of_hours import closed_at, closed_notice
from bot.services.phone import PhoneProblem, display_phone, normalize_phone, phone_problem
from bot.services.requests import new_form_token, submit_request
from bot.settings import Settings
from bot.states import BookingForm
from storage.models import NewRequest, RequestStatus
from storage.repositories import PatientRepository, RequestRepository

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


# --- questions ------------------------------------------------------------------------------


def _with_hint(t: Translator, hint: str | None, question: str) -> str:
    """A re-prompt: what went wrong and the question again, in one message with its buttons."""
    return f"{t(hint)}\n\n{question}" if hint else question


async def _ask_service(
    message: Message, content: Content, t: Translator, hint: str | None = None
) -> None:
    local = content.for_locale(t.locale)
    await message.answer(
        _with_hint(t, hint, t("book-ask-service")),
        reply_markup=keyboards.service_choice(t, local.services),
    )


async def _checked(
    message: Message,
    t: Translator,
    rule: TextRule,
    text: str | None,
    ask_again: Callable[[Message, Translator], Awaitable[None]],
) -> str | None:
    """The typed answer cleaned by `rule`; or None, once the patient was told why and asked
    the question again."""
    checked = rule.check(text)
    if isinstance(checked, TextProblem):
        await message.answer(_problem_text(t, checked, rule.max_length))
        await ask_again(message, t)
        return None
    return checked


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


async def _ask_consent(
    message: Message, state: FSMContext, t: Translator, hint: str | None = None
) -> None:
    sent = await message.answer(
        _with_hint(t, hint, t("book-ask-consent", version=CONSENT_VERSION)),
        reply_markup=keyboards.consent(t),
    )
    # A typed answer retires the buttons of the message that asked.
    await state.update_data(consent_message=sent.message_id)


async def _show_summary(
    message: Message,
    state: FSMContext,
    content: Content,
    t: Translator,
    before_showing: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Render the summary first; only then retire the previous step's buttons and move on.

    A text that cannot be rendered must never leave the form in a state whose buttons are gone.
    """
    data = await state.get_data()
    draft = _draft(data)
    if draft is None:
        # Only a form damaged from outside gets here; starting over is the honest answer.
        await state.clear()
        await message.answer(t("book-restart"), reply_markup=keyboards.main_menu(t))
        return
    text = views.booking_summary(t, content.for_locale(t.locale), draft)
    markup = keyboards.booking_confirm(t, _form_token(data))
    if before_showing is not None:
        await before_showing()
    await state.set_state(BookingForm.confirm)
    await state.update_data(editing=False)
    await message.answer(text, reply_markup=markup)


async def _offer_saved_details(
    message: Message, state: FSMContext, t: Translator, patient_repo: PatientRepository | None
) -> bool:
    """A returning patient is offered the name and phone of their latest request."""
    if patient_repo is None or message.chat.type != "private":
        return False
    saved = await patient_repo.latest_contact(message.chat.id)
    if saved is None:
        return False
    name, phone = saved
    text = views.saved_details_offer(t, name, phone)
    await state.set_state(BookingForm.saved)
    await state.update_data(saved_name=name, saved_phone=phone)
    await message.answer(text, reply_markup=keyboards.saved_details(t))
    return True


async def _next_step(
    message: Message,
    state: FSMContext,
    content: Content,
    t: Translator,
    following: State,
    patient_repo: PatientRepository | None = None,
) -> None:
    """Go to the next question, or straight back to the summary when editing one field."""
    data = await state.get_data()
    if data.get("editing"):
        await _show_summary(message, state, content, t)
        return
    if following == BookingForm.name and await _offer_saved_details(
        message, state, t, patient_repo
    ):
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
            await patient_repo.consent_of(message.chat.id, CONSENT_VERSION)
            if patient_repo
            else None
        )
        if given_at is None:
            await _ask_consent(message, state, t)
            return
        # A returning patient who agreed to this very text is not asked again; a new version
        # of the text asks everyone once more.
        await state.update_data(consent_version=CONSENT_VERSION, consented_at=given_at.isoformat())
        await _show_summary(message, state, content, t)


async def _start(
    message: Message,
    state: FSMContext,
    content: Content,
    t: Translator,
    service: str | None,
    patient_repo: PatientRepository | None = None,
    *,
    had_form: bool,
) -> None:
    if had_form:
        await state.set_state(None)
    # A new form, with its own id: however often its Confirm is pressed, one request is stored.
    await state.set_data({"form_token": new_form_token()})
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
    await _next_step(message, state, content, t, BookingForm.name, patient_repo)


def _form_token(data: Mapping[str, Any]) -> str:
    token = data.get("form_token")
    return token if isinstance(token, str) else ""


def _problem_text(t: Translator, problem: TextProblem, limit: int) -> str:
    return t(f"form-problem-{problem.value}", limit=limit)


def _patient(user: User) -> str:
    return views.patient_link(user.id, user.full_name, user.username)


# --- entry points ---------------------------------------------------------------------------


async def book(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    content: Content,
    patient_repo: PatientRepository,
    t: Translator,
) -> None:
    await _start(message, state, content, t, None, patient_repo, had_form=raw_state is not None)


async def book_button(
    callback: CallbackQuery,
    state: FSMContext,
    raw_state: str | None,
    content: Content,
    patient_repo: PatientRepository,
    t: Translator,
) -> None:
    if isinstance(callback.message, Message):
        await _start(
            callback.message, state, content, t, None, patient_repo, had_form=raw_state is not None
        )


async def book_from_price_list(
    callback: CallbackQuery,
    callback_data: PriceBookCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    raw_state: str | None,
    content: Content,
    patient_repo: PatientRepository,
    t: Translator,
) -> None:
    if content.for_locale(t.locale).service(callback_data.service) is None:
        callback_answer.text = t("stale-button")
        return
    if isinstance(callback.message, Message):
        service, had_form = callback_data.service, raw_state is not None
        await _start(callback.message, state, content, t, service, patient_repo, had_form=had_form)


# --- service --------------------------------------------------------------------------------


async def choose_service(
    callback: CallbackQuery,
    callback_data: ServiceCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    content: Content,
    patient_repo: PatientRepository,
    t: Translator,
) -> None:
    local = content.for_locale(t.locale)
    service = callback_data.service
    if service != NOT_SURE and local.service(service) is None:
        callback_answer.text = t("stale-button")
        return
    await state.update_data(service=service)
    await show(callback, t("book-service-chosen", service=views.service_name(t, local, service)))
    if isinstance(callback.message, Message):
        await _next_step(callback.message, state, content, t, BookingForm.name, patient_repo)


async def service_expected(message: Message, content: Content, t: Translator) -> None:
    await _ask_service(message, content, t, hint="form-use-buttons")


# --- saved name and phone of a returning patient --------------------------------------------


async def saved_details_used(
    callback: CallbackQuery, state: FSMContext, content: Content, t: Translator
) -> None:
    data = await state.get_data()
    name, phone = data.get("saved_name"), data.get("saved_phone")
    if not isinstance(name, str) or not isinstance(phone, str):
        await show(callback, t("book-ask-name"))
        await state.set_state(BookingForm.name)
        return
    await state.update_data(name=name, phone=phone)
    await remove_buttons(callback)
    if isinstance(callback.message, Message):
        await _next_step(callback.message, state, content, t, BookingForm.time)


async def saved_details_changed(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await remove_buttons(callback)
    await state.set_state(BookingForm.name)
    if isinstance(callback.message, Message):
        await _ask_name(callback.message, t)


async def saved_details_expected(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    text = views.saved_details_offer(t, str(data.get("saved_name")), str(data.get("saved_phone")))
    await message.answer(
        _with_hint(t, "form-use-buttons", text), reply_markup=keyboards.saved_details(t)
    )


# --- name -----------------------------------------------------------------------------------


async def name_entered(
    message: Message, state: FSMContext, content: Content, t: Translator
) -> None:
    name = await _checked(message, t, NAME_RULE, single_line(message.text or ""), _ask_name)
    if name is None:
        return
    await state.update_data(name=name)
    await _next_step(message, state, content, t, BookingForm.phone)


async def name_expected(message: Message, t: Translator) -> None:
    await message.answer(t("form-text-expected"))
    await _ask_name(message, t)


# --- phone ----------------------------------------------------------------------------------


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
        problem = phone_problem(raw)
        await message.answer(t(f"book-phone-{problem or PhoneProblem.INVALID}"))
        await _ask_phone(message, t)
        return
    await state.update_data(phone=phone)
    # The contact button has done its job; the next steps only need "Cancel".
    await message.answer(
        t("book-phone-saved", phone=display_phone(phone)), reply_markup=keyboards.form_cancel(t)
    )
    await _next_step(message, state, content, t, BookingForm.time)


async def phone_expected(message: Message, t: Translator) -> None:
    await message.answer(t("book-phone-invalid"))
    await _ask_phone(message, t)


# --- preferred time -------------------------------------------------------------------------


async def time_chosen(
    callback: CallbackQuery,
    callback_data: BookingCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    content: Content,
    t: Translator,
) -> None:
    if callback_data.value not in set(TimeSlot):
        callback_answer.text = t("stale-button")
        return
    chosen = t(f"book-time-{callback_data.value}")
    await state.update_data(time=chosen)
    await show(callback, t("book-time-chosen", time=chosen))
    if isinstance(callback.message, Message):
        await _next_step(callback.message, state, content, t, BookingForm.complaint)


async def time_entered(
    message: Message, state: FSMContext, content: Content, t: Translator
) -> None:
    preferred = await _checked(message, t, TIME_RULE, single_line(message.text or ""), _ask_time)
    if preferred is None:
        return
    await state.update_data(time=preferred)
    await _next_step(message, state, content, t, BookingForm.complaint)


async def time_expected(message: Message, t: Translator) -> None:
    await message.answer(t("form-text-expected"))
    await _ask_time(message, t)


# --- complaint (optional) -------------------------------------------------------------------


async def complaint_skipped(
    callback: CallbackQuery,
    state: FSMContext,
    content: Content,
    patient_repo: PatientRepository,
    t: Translator,
) -> None:
    await state.update_data(complaint=None)
    await show(callback, t("book-complaint-skipped"))
    if isinstance(callback.message, Message):
        await _next_step(callback.message, state, content, t, BookingForm.consent, patient_repo)


async def complaint_entered(
    message: Message,
    state: FSMContext,
    content: Content,
    patient_repo: PatientRepository,
    t: Translator,
) -> None:
    complaint = await _checked(message, t, COMPLAINT_RULE, message.text, _ask_complaint)
    if complaint is None:
        return
    await state.update_data(complaint=complaint)
    await _next_step(message, state, content, t, BookingForm.consent, patient_repo)


async def complaint_expected(message: Message, t: Translator) -> None:
    await message.answer(t("form-text-expected"))
    await _ask_complaint(message, t)


# --- consent --------------------------------------------------------------------------------


async def consent_given(
    callback: CallbackQuery, state: FSMContext, content: Content, clock: Clock, t: Translator
) -> None:
    await state.update_data(consent_version=CONSENT_VERSION, consented_at=clock().isoformat())
    if isinstance(callback.message, Message):
        await _show_summary(
            callback.message, state, content, t, before_showing=lambda: remove_buttons(callback)
        )


async def _retire_consent_buttons(message: Message, state: FSMContext) -> None:
    asked = (await state.get_data()).get("consent_message")
    if isinstance(asked, int) and message.bot is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=asked, reply_markup=None
            )


async def consent_typed(
    message: Message, state: FSMContext, content: Content, clock: Clock, t: Translator
) -> None:
    """A typed "yes" agrees and a typed "no" refuses, as the two buttons do."""
    answer = consent_answer(message.text)
    if answer is ConsentAnswer.AGREE:
        await state.update_data(consent_version=CONSENT_VERSION, consented_at=clock().isoformat())
        await _show_summary(
            message,
            state,
            content,
            t,
            before_showing=lambda: _retire_consent_buttons(message, state),
        )
        return
    if answer is ConsentAnswer.REFUSE:
        await _retire_consent_buttons(message, state)
        await state.clear()
        await message.answer(t("form-cancelled"), reply_markup=keyboards.main_menu(t))
        return
    await _ask_consent(message, state, t, hint="book-consent-required")


# --- summary: confirm, edit, cancel ---------------------------------------------------------


async def confirm(
    callback: CallbackQuery,
    callback_data: BookingCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    raw_state: str | None,
    content: Content,
    request_repo: RequestRepository,
    outbox: OutboxSender,
    settings: Settings,
    clinic_t: Translator,
    t: Translator,
    clock: Clock,
) -> None:
    if not isinstance(callback.message, Message):
        return
    data = await state.get_data()
    if raw_state == BookingForm.edit.state:
        # Nothing changed: the same summary gets its buttons back.
        await state.set_state(BookingForm.confirm)
        await state.update_data(editing=False)
        await callback.message.edit_reply_markup(
            reply_markup=keyboards.booking_confirm(t, _form_token(data))
        )
        return
    draft = _draft(data)
    if draft is None or "consent_version" not in data:
        # The form may have just been confirmed by the same press handled elsewhere;
        # otherwise it was damaged from outside, and starting over is the honest answer.
        if not await _remind_of_request(callback, callback_data, callback_answer, request_repo, t):
            await state.clear()
            await callback.message.answer(t("book-restart"), reply_markup=keyboards.main_menu(t))
        return
    clinic_content = content.for_locale(settings.default_locale)
    patient = _patient(callback.from_user)
    # A quick-button time is shown to managers in their own language.
    clinic_times = {
        t(f"book-time-{slot.value}"): clinic_t(f"book-time-{slot.value}") for slot in TimeSlot
    }

    # Outside the clinic's hours the patient is told when to expect the call.
    closed = closed_at(content.clinic, clock(), settings.clinic_zone)

    def card(request_id: int, request: NewRequest) -> Card:
        shown = replace(
            request,
            preferred_time=clinic_times.get(request.preferred_time, request.preferred_time),
        )
        text = views.request_card(
            clinic_t, clinic_content, request_id, shown, patient, settings.clinic_zone
        )
        return Card(
            text=text + "\n" + clinic_t("hours-card-out-of-hours") if closed else text,
            reply_markup=keyboards.request_card(
                clinic_t, request_id, RequestStatus.NEW
            ).model_dump_json(exclude_none=True),
        )

    request_id = await submit_request(
        request_repo,
        user_id=callback.from_user.id,
        patient_name=callback.from_user.full_name,
        locale=t.locale,
        service_id=None if draft.service_id in (None, NOT_SURE) else draft.service_id,
        name=draft.name,
        phone=draft.phone,
        preferred_time=draft.preferred_time,
        complaint=draft.complaint,
        consent_version=data["consent_version"],
        consented_at=datetime.fromisoformat(data["consented_at"]),
        render_card=card,
        managers=managers(settings),
        wake=outbox.wake,
        form_token=data.get("form_token"),
    )
    await state.clear()
    await remove_buttons(callback)
    done = t("book-done", number=str(request_id))
    if closed is not None:
        key, arguments = closed_notice(closed, clock(), t.locale)
        done += "\n\n" + t(key, reply="call", **arguments)
    await callback.message.answer(done, reply_markup=keyboards.main_menu(t))


async def confirmed_before(
    callback: CallbackQuery,
    callback_data: BookingCallback,
    callback_answer: CallbackAnswer,
    request_repo: RequestRepository,
    t: Translator,
) -> None:
    """Confirm pressed on a summary whose form is over: pressed twice, or the first press
    handled by another instance. Without a request of that form the button is stale, and
    whatever the patient does now is left alone."""
    if not await _remind_of_request(callback, callback_data, callback_answer, request_repo, t):
        callback_answer.text = t("stale-button")


async def _remind_of_request(
    callback: CallbackQuery,
    callback_data: BookingCallback,
    callback_answer: CallbackAnswer,
    request_repo: RequestRepository,
    t: Translator,
) -> bool:
    """If the form of this Confirm made a request, remind the patient of its number on the
    button (its confirmation is already in the chat) and take the buttons off."""
    request_id = (
        await request_repo.request_of_form(callback_data.value) if callback_data.value else None
    )
    if request_id is None:
        return False
    callback_answer.text = t("book-already-done", number=str(request_id))
    await remove_buttons(callback)
    return True


async def _retire_summary(callback: CallbackQuery) -> None:
    """The summary being edited goes: the new one, with the changed field, replaces it."""
    if not isinstance(callback.message, Message):
        return
    try:
        await callback.message.delete()
    except TelegramBadRequest:
        # Too old to delete (48 hours): at least its buttons cannot be used any more.
        await remove_buttons(callback)


async def edit(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.set_state(BookingForm.edit)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=keyboards.booking_fields(t))


async def edit_field(
    callback: CallbackQuery,
    callback_data: BookingCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    content: Content,
    t: Translator,
) -> None:
    try:
        field = BookingField(callback_data.value)
    except ValueError:
        callback_answer.text = t("stale-button")
        return
    if not isinstance(callback.message, Message):
        return
    message = callback.message
    await _retire_summary(callback)
    await state.update_data(editing=True)
    await state.set_state(FIELD_STATES[field])
    prompts = {
        BookingField.NAME: _ask_name,
        BookingField.PHONE: _ask_phone,
        BookingField.TIME: _ask_time,
        BookingField.COMPLAINT: _ask_complaint,
    }
    if field == BookingField.SERVICE:
        await _ask_service(message, content, t)
    else:
        await prompts[field](message, t)


async def summary_expected(
    message: Message, state: FSMContext, raw_state: str | None, t: Translator
) -> None:
    markup = (
        keyboards.booking_fields(t)
        if raw_state == BookingForm.edit.state
        else keyboards.booking_confirm(t, _form_token(await state.get_data()))
    )
    await message.answer(t("form-use-buttons"), reply_markup=markup)


async def cancel(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await cancel_by_button(callback, state, t)


def _action(action: BookingAction) -> CallbackQueryFilter:
    return BookingCallback.filter(F.action == action)


def build_router() -> Router:
    router = Router(name=__name__)
    message, button = router.message.register, router.callback_query.register

    message(book, Command("book"))
    message(book, MenuButton("menu-book"))
    button(book_button, NavCallback.filter(F.screen == Screen.BOOK))
    button(book_from_price_list, PriceBookCallback.filter())

    button(choose_service, StateFilter(BookingForm.service), ServiceCallback.filter())
    message(service_expected, StateFilter(BookingForm.service), NOT_A_COMMAND)

    message(name_entered, StateFilter(BookingForm.name), TEXT_NOT_A_COMMAND)
    message(name_expected, StateFilter(BookingForm.name), NOT_A_COMMAND)

    message(phone_entered, StateFilter(BookingForm.phone), NOT_A_COMMAND, Magic(F.contact | F.text))
    message(phone_expected, StateFilter(BookingForm.phone), NOT_A_COMMAND)

    button(time_chosen, StateFilter(BookingForm.time), _action(BookingAction.TIME))
    message(time_entered, StateFilter(BookingForm.time), TEXT_NOT_A_COMMAND)
    message(time_expected, StateFilter(BookingForm.time), NOT_A_COMMAND)

    button(complaint_skipped, StateFilter(BookingForm.complaint), _action(BookingAction.SKIP))
    message(complaint_entered, StateFilter(BookingForm.complaint), TEXT_NOT_A_COMMAND)
    message(complaint_expected, StateFilter(BookingForm.complaint), NOT_A_COMMAND)

    button(saved_details_used, StateFilter(BookingForm.saved), _action(BookingAction.REUSE))
    button(saved_details_changed, StateFilter(BookingForm.saved), _action(BookingAction.RETYPE))
    message(saved_details_expected, StateFilter(BookingForm.saved), NOT_A_COMMAND)

    button(consent_given, StateFilter(BookingForm.consent), _action(BookingAction.AGREE))
    message(consent_typed, StateFilter(BookingForm.consent), NOT_A_COMMAND)

    summary = StateFilter(BookingForm.confirm, BookingForm.edit)
    button(confirm, summary, _action(BookingAction.CONFIRM))
    button(confirmed_before, _action(BookingAction.CONFIRM))
    button(edit, StateFilter(BookingForm.confirm), _action(BookingAction.EDIT))
    button(edit_field, StateFilter(BookingForm.edit), _action(BookingAction.FIELD))
    message(summary_expected, summary, NOT_A_COMMAND)
    button(cancel, StateFilter(BookingForm), _action(BookingAction.CANCEL))
    return router

"""The patient's side of the visit loop, and what both sides show of an appointment.

Patients answer a confirmation or a reminder with ✅ I'll come · ↪️ Move · ✖️ Cancel, and the
follow-up with 1-5 stars or "I did not come". Every answer updates the request card in the
manager chat in place and posts one short line there, under the patient's request.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, staff_views
from bot.callbacks import VisitAction, VisitCallback
from bot.content import Content
from bot.content_store import ContentStore
from bot.filters import HAS_TEXT
from bot.handlers.screens import NOT_A_COMMAND, remove_buttons, show
from bot.handlers.visit_desk import VisitDesk
from bot.i18n import Translator
from bot.services.appointments import ask_to_move, cancel_visit, confirm_visit
from bot.services.clinic_time import format_moment
from bot.services.forms import COMPLAINT_RULE, TIME_RULE, TextProblem
from bot.services.phone import display_phone
from bot.services.visits import record_feedback, record_visit
from bot.settings import Settings
from bot.states import ReviewForm
from bot.views import compose
from storage.models import (
    Appointment,
    AppointmentState,
    DueVisitMessage,
    OutboxMessage,
    VisitStatus,
)
from storage.repositories import AppointmentRepository
from storage.repositories.appointments import FOLLOW_UP

logger = logging.getLogger(__name__)


class VisitForm(StatesGroup):
    move = State()  # the patient types the time that would suit them
    feedback = State()  # after a low score: what went wrong


# --------------------------------------------------------------------------- texts


def when(t: Translator, appointment: Appointment, zone: ZoneInfo) -> str:
    return format_moment(appointment.starts_at, zone, t.locale)


def branch_address(content: Content, appointment: Appointment, locale: str) -> str | None:
    for branch in content.clinic.branches:
        if branch.id == appointment.branch_id:
            return branch.address_for(locale)
    return None


def visit_details(
    t: Translator, content: Content, appointment: Appointment, zone: ZoneInfo
) -> list[str]:
    """When, with whom, where and what to bring: the lines a patient reads about a visit."""
    lines = [t("visit-when", when=when(t, appointment, zone))]
    if appointment.doctor:
        lines.append(compose(t, "visit-doctor", typed={"doctor": html.quote(appointment.doctor)}))
    address = branch_address(content, appointment, t.locale)
    if address:
        lines.append(t("visit-address", address=html.quote(address)))
    lines.append(f"🎒 {t('visit-bring')}")
    return lines


def confirmation_text(
    t: Translator, content: Content, appointment: Appointment, zone: ZoneInfo
) -> str:
    title = t("visit-changed-title" if appointment.revision else "visit-confirmation-title")
    details = "\n".join(visit_details(t, content, appointment, zone))
    return f"{title}\n\n{details}\n\n{t('visit-confirmation-footer')}"


def _markup_json(markup: InlineKeyboardMarkup) -> str:
    return markup.model_dump_json(exclude_none=True)


class VisitTexts:
    """Renders due reminders and follow-ups in the patient's language (the job's `render`)."""

    def __init__(self, texts: ContentStore, zone: ZoneInfo) -> None:
        # Read at each message: staff's edits and /reload reach the reminders too.
        self._texts = texts
        self._zone = zone

    def render(self, due: DueVisitMessage) -> OutboxMessage:
        t = self._texts.translations.get(due.locale)
        appointment = due.appointment
        if due.kind == FOLLOW_UP:
            text = t("visit-follow-up", when=when(t, appointment, self._zone))
            markup = keyboards.visit_follow_up(t, appointment.id, appointment.revision)
        else:
            details = "\n".join(visit_details(t, self._texts.content, appointment, self._zone))
            text = f"{t('visit-reminder-title')}\n\n{details}\n\n{t('visit-reminder-question')}"
            markup = keyboards.visit_answers(t, appointment.id, appointment.revision)
        return OutboxMessage(
            kind=f"visit-{due.kind}",
            ref_id=appointment.id,
            chat_id=appointment.patient_id,
            thread_id=None,
            text=text,
            reply_markup=_markup_json(markup),
        )


def card_text(
    clinic_t: Translator,
    content: Content,
    base: str,
    appointment: Appointment | None,
    zone: ZoneInfo,
) -> str:
    """A request card (`base`: as first sent, with its status line) and its appointment."""
    if appointment is None:
        return base
    t = clinic_t
    lines = [t("appt-card-when", when=when(t, appointment, zone))]
    if appointment.doctor:
        lines.append(
            compose(t, "appt-card-doctor", typed={"doctor": html.quote(appointment.doctor)})
        )
    address = branch_address(content, appointment, t.locale)
    if address and len(content.clinic.branches) > 1:
        lines.append(t("appt-card-branch", address=html.quote(address)))
    lines.append(t("appt-card-state", state=t(f"appt-state-{appointment.state.value}")))
    if appointment.state is AppointmentState.MOVE and appointment.move_wish:
        lines.append(
            compose(t, "appt-card-move-wish", typed={"wish": html.quote(appointment.move_wish)})
        )
    if appointment.visit_status is VisitStatus.CAME:
        lines.append(t("appt-card-came", stars="⭐" * (appointment.score or 0)))
    elif appointment.visit_status is VisitStatus.MISSED:
        lines.append(t("appt-card-missed"))
    if appointment.revision:
        lines.append(
            t(
                "appt-card-changed",
                staff=html.quote(appointment.changed_by),
                at=format_moment(appointment.changed_at, zone, t.locale),
            )
        )
    return base + "\n\n" + "\n".join(lines)


async def refresh_card(
    bot: Bot,
    desk: VisitDesk,
    *,
    chat_id: int,
    message_id: int,
    request_id: int,
    content: Content,
    clinic_t: Translator,
) -> None:
    """Edit a request card to show its latest status and appointment."""
    zone = desk.settings.clinic_zone
    card = await desk.conversation_repo.manager_message(chat_id, message_id)
    request = await desk.request_repo.get_request(request_id)
    if card is None or request is None:
        return
    events = await desk.request_repo.request_events(request_id)
    appointment = await desk.appointment_repo.for_request(request_id)
    base = staff_views.with_status(clinic_t, card.text, events[-1] if events else None, zone)
    try:
        await bot.edit_message_text(
            card_text(clinic_t, content, base, appointment, zone),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=keyboards.request_card(
                clinic_t, request_id, request.status, has_appointment=appointment is not None
            ),
        )
    except TelegramBadRequest as error:
        # A manager who lost a race sees the card the winner already refreshed.
        if "message is not modified" not in error.message:
            logger.warning("Could not update a request card: %s", error.message)


async def refresh_card_of(
    bot: Bot,
    desk: VisitDesk,
    request_id: int,
    *,
    content: Content,
    clinic_t: Translator,
) -> None:
    """The request's card, wherever the manager chat shows it, brought up to date."""
    card = await desk.conversation_repo.card_message(
        desk.settings.manager_chat_id, "request", request_id
    )
    if card is None:
        return
    await refresh_card(
        bot,
        desk,
        chat_id=card.chat_id,
        message_id=card.message_id,
        request_id=request_id,
        content=content,
        clinic_t=clinic_t,
    )


async def tell_managers(
    desk: VisitDesk,
    text: str,
    *,
    kind: str,
    request_id: int,
    patient_id: int,
    patient_name: str,
) -> None:
    """One message to the manager chat, under the patient's request card (or in their
    topic); a manager's reply to it reaches the patient."""
    await desk.outbox_repo.enqueue(
        OutboxMessage(
            kind=kind,
            ref_id=request_id,
            chat_id=desk.settings.manager_chat_id,
            thread_id=desk.settings.manager_thread_id,
            text=text,
            patient_id=patient_id,
            thread_under_patient=True,
            patient_name=patient_name,
        )
    )
    desk.outbox.wake()


# --------------------------------------------------------------------------- patient's answers


async def _own_appointment(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    appointment_repo: AppointmentRepository,
    t: Translator,
    *,
    open_only: bool = True,
) -> Appointment | None:
    """The pressed button's appointment, if it is this patient's and still as it was sent."""
    appointment = await appointment_repo.get(callback_data.appointment)
    stale = (
        appointment is None
        or appointment.patient_id != callback.from_user.id
        or appointment.revision != callback_data.revision
        or (open_only and appointment.state is AppointmentState.CANCELLED)
    )
    if stale:
        callback_answer.text, callback_answer.show_alert = t("visit-stale"), True
        return None
    return appointment


async def _after_answer(
    bot: Bot,
    desk: VisitDesk,
    appointment: Appointment,
    note: str,
    *,
    patient_name: str,
    content: Content,
    clinic_t: Translator,
) -> None:
    await refresh_card_of(bot, desk, appointment.request_id, content=content, clinic_t=clinic_t)
    await tell_managers(
        desk,
        note,
        kind="visit-note",
        request_id=appointment.request_id,
        patient_id=appointment.patient_id,
        patient_name=patient_name,
    )


async def come(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    visit_desk: VisitDesk,
    content: Content,
    clinic_t: Translator,
    t: Translator,
) -> None:
    appointment_repo = visit_desk.appointment_repo
    appointment = await _own_appointment(
        callback, callback_data, callback_answer, appointment_repo, t
    )
    if appointment is None:
        return
    confirmed = await confirm_visit(
        appointment_repo, appointment_id=appointment.id, patient_id=callback.from_user.id
    )
    if confirmed is None:
        return
    zone = visit_desk.settings.clinic_zone
    await remove_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("visit-come-done", when=when(t, confirmed, zone)))
    await _after_answer(
        bot,
        visit_desk,
        confirmed,
        clinic_t(
            "appt-note-confirmed",
            number=str(confirmed.request_id),
            when=when(clinic_t, confirmed, zone),
        ),
        patient_name=callback.from_user.full_name,
        content=content,
        clinic_t=clinic_t,
    )


async def move(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    appointment_repo: AppointmentRepository,
    t: Translator,
) -> None:
    appointment = await _own_appointment(
        callback, callback_data, callback_answer, appointment_repo, t
    )
    if appointment is None:
        return
    await state.set_state(VisitForm.move)
    await state.set_data({"appointment": appointment.id, "revision": appointment.revision})
    if isinstance(callback.message, Message):
        await callback.message.answer(t("visit-move-ask"))


async def move_wish_entered(
    message: Message,
    bot: Bot,
    state: FSMContext,
    visit_desk: VisitDesk,
    content: Content,
    clinic_t: Translator,
    t: Translator,
) -> None:
    user = message.from_user
    if user is None:
        return
    checked = TIME_RULE.check(message.text)
    if isinstance(checked, TextProblem):
        await message.answer(t(f"form-problem-{checked.value}", limit=TIME_RULE.max_length))
        return
    data = await state.get_data()
    await state.clear()
    appointment_repo = visit_desk.appointment_repo
    current = await appointment_repo.get(int(data.get("appointment", 0)))
    if current is None or current.revision != data.get("revision"):
        await message.answer(t("visit-stale"), reply_markup=keyboards.main_menu(t))
        return
    moved = await ask_to_move(
        appointment_repo, appointment_id=current.id, patient_id=user.id, wish=checked
    )
    if moved is None:
        await message.answer(t("visit-stale"), reply_markup=keyboards.main_menu(t))
        return
    await message.answer(t("visit-move-done"), reply_markup=keyboards.main_menu(t))
    note = compose(
        clinic_t,
        "appt-note-move",
        typed={"wish": html.quote(checked)},
        number=str(moved.request_id),
        when=when(clinic_t, moved, visit_desk.settings.clinic_zone),
    )
    await _after_answer(
        bot,
        visit_desk,
        moved,
        note,
        patient_name=user.full_name,
        content=content,
        clinic_t=clinic_t,
    )


async def cancel(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    appointment_repo: AppointmentRepository,
    settings: Settings,
    t: Translator,
) -> None:
    appointment = await _own_appointment(
        callback, callback_data, callback_answer, appointment_repo, t
    )
    if appointment is None or not isinstance(callback.message, Message):
        return
    await callback.message.answer(
        t("visit-cancel-ask", when=when(t, appointment, settings.clinic_zone)),
        reply_markup=keyboards.visit_cancel_confirm(t, appointment.id, appointment.revision),
    )


async def cancel_confirmed(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    visit_desk: VisitDesk,
    content: Content,
    clinic_t: Translator,
    t: Translator,
) -> None:
    appointment = await _own_appointment(
        callback, callback_data, callback_answer, visit_desk.appointment_repo, t
    )
    if appointment is None:
        return
    cancelled = await cancel_visit(
        visit_desk.appointment_repo,
        visit_desk.request_repo,
        appointment_id=appointment.id,
        patient_id=callback.from_user.id,
        by_patient=clinic_t("appt-by-patient"),
    )
    if cancelled is None:
        return
    await show(callback, t("visit-cancel-done"))
    await _after_answer(
        bot,
        visit_desk,
        cancelled,
        clinic_t(
            "appt-note-cancelled",
            number=str(cancelled.request_id),
            when=when(clinic_t, cancelled, visit_desk.settings.clinic_zone),
        ),
        patient_name=callback.from_user.full_name,
        content=content,
        clinic_t=clinic_t,
    )


async def cancel_kept(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    appointment_repo: AppointmentRepository,
    settings: Settings,
    t: Translator,
) -> None:
    appointment = await _own_appointment(
        callback, callback_data, callback_answer, appointment_repo, t
    )
    if appointment is None:
        return
    await show(callback, t("visit-cancel-kept", when=when(t, appointment, settings.clinic_zone)))


async def rated(
    callback: CallbackQuery,
    callback_data: VisitCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    visit_desk: VisitDesk,
    content: Content,
    clinic_t: Translator,
    t: Translator,
) -> None:
    """Stars (the patient came) or "I did not come"."""
    appointment = await _own_appointment(
        callback, callback_data, callback_answer, visit_desk.appointment_repo, t, open_only=False
    )
    if appointment is None:
        return
    missed = callback_data.action == VisitAction.MISSED
    if not missed and not 1 <= callback_data.stars <= 5:
        callback_answer.text = t("stale-button")
        return
    answer = await record_visit(
        visit_desk.appointment_repo,
        appointment_id=appointment.id,
        patient_id=callback.from_user.id,
        score=None if missed else callback_data.stars,
    )
    if answer is None:
        return
    zone = visit_desk.settings.clinic_zone
    recorded = answer.appointment
    await refresh_card_of(bot, visit_desk, recorded.request_id, content=content, clinic_t=clinic_t)
    number, visit_when = str(recorded.request_id), when(clinic_t, recorded, zone)
    patient_name = callback.from_user.full_name

    async def to_managers(text: str, kind: str) -> None:
        await tell_managers(
            visit_desk,
            text,
            kind=kind,
            request_id=recorded.request_id,
            patient_id=recorded.patient_id,
            patient_name=patient_name,
        )

    if missed:
        await show(callback, t("visit-missed-done"))
        await to_managers(
            clinic_t("appt-note-missed", number=number, when=visit_when), "visit-note"
        )
        return
    stars = "⭐" * callback_data.stars
    await show(callback, t("visit-rated", stars=stars))
    message = callback.message if isinstance(callback.message, Message) else None
    if answer.alert_managers:
        request = await visit_desk.request_repo.get_request(recorded.request_id)
        name = html.quote(request.name) if request and request.name else "—"
        phone = display_phone(request.phone) if request and request.phone else "—"
        alert = compose(
            clinic_t,
            "appt-alert-low-score",
            typed={"name": name},
            stars=stars,
            number=number,
            when=visit_when,
            phone=html.quote(phone),
        )
        await to_managers(alert, "visit-alert")
        await state.set_state(VisitForm.feedback)
        await state.set_data({"appointment": recorded.id})
        if message is not None:
            await message.answer(t("visit-low-ask"))
    elif answer.invite_review:
        # The existing review form, at its text step, with the stars already given: what
        # the patient writes goes through the same moderation as any review.
        await state.set_state(ReviewForm.text)
        await state.set_data({"rating": callback_data.stars})
        if message is not None:
            await message.answer(t("visit-high-thanks"), reply_markup=keyboards.review_text(t))


async def feedback_entered(
    message: Message,
    state: FSMContext,
    visit_desk: VisitDesk,
    clinic_t: Translator,
    t: Translator,
) -> None:
    user = message.from_user
    if user is None:
        return
    checked = COMPLAINT_RULE.check(message.text)
    if isinstance(checked, TextProblem):
        await message.answer(t(f"form-problem-{checked.value}", limit=COMPLAINT_RULE.max_length))
        return
    data = await state.get_data()
    await state.clear()
    recorded = await record_feedback(
        visit_desk.appointment_repo,
        appointment_id=int(data.get("appointment", 0)),
        patient_id=user.id,
        text=checked,
    )
    if recorded is None:
        await message.answer(t("visit-stale"), reply_markup=keyboards.main_menu(t))
        return
    await tell_managers(
        visit_desk,
        compose(
            clinic_t,
            "appt-alert-feedback",
            typed={"text": html.quote(checked)},
            number=str(recorded.request_id),
        ),
        kind="visit-alert",
        request_id=recorded.request_id,
        patient_id=user.id,
        patient_name=user.full_name,
    )
    await message.answer(t("visit-low-thanks"), reply_markup=keyboards.main_menu(t))


async def text_expected(message: Message, t: Translator) -> None:
    await message.answer(t("form-text-expected"))


# --------------------------------------------------------------------------- /mydata


def personal_appointments(
    t: Translator, appointments: Sequence[Appointment], zone: ZoneInfo
) -> list[str]:
    """/mydata: the patient's appointments and what they answered about them."""
    if not appointments:
        return []
    parts = [t("visit-mydata-title")]
    for appointment in appointments:
        details = [
            t(
                "visit-mydata-line",
                when=when(t, appointment, zone),
                number=str(appointment.request_id),
                state=t(f"visit-state-{appointment.state.value}"),
            )
        ]
        if appointment.move_wish:
            details.append(
                compose(t, "visit-mydata-move", typed={"text": html.quote(appointment.move_wish)})
            )
        if appointment.visit_status is VisitStatus.CAME:
            details.append(t("visit-mydata-came", stars="⭐" * (appointment.score or 0)))
        elif appointment.visit_status is VisitStatus.MISSED:
            details.append(t("visit-mydata-missed"))
        if appointment.feedback:
            details.append(
                compose(
                    t, "visit-mydata-feedback", typed={"text": html.quote(appointment.feedback)}
                )
            )
        parts.append("\n".join(details))
    return parts


def build_router() -> Router:
    router = Router(name=__name__)
    button, message = router.callback_query.register, router.message.register
    button(come, VisitCallback.filter(F.action == VisitAction.COME))
    button(move, VisitCallback.filter(F.action == VisitAction.MOVE))
    button(cancel, VisitCallback.filter(F.action == VisitAction.CANCEL))
    button(cancel_confirmed, VisitCallback.filter(F.action == VisitAction.CANCEL_YES))
    button(cancel_kept, VisitCallback.filter(F.action == VisitAction.CANCEL_NO))
    button(rated, VisitCallback.filter(F.action.in_({VisitAction.RATE, VisitAction.MISSED})))
    message(move_wish_entered, StateFilter(VisitForm.move), NOT_A_COMMAND, HAS_TEXT)
    message(feedback_entered, StateFilter(VisitForm.feedback), NOT_A_COMMAND, HAS_TEXT)
    message(text_expected, StateFilter(VisitForm.move), NOT_A_COMMAND)
    message(text_expected, StateFilter(VisitForm.feedback), NOT_A_COMMAND)
    return router


__all__ = [
    "VisitForm",
    "VisitTexts",
    "build_router",
    "card_text",
    "confirmation_text",
    "personal_appointments",
    "refresh_card",
    "refresh_card_of",
    "tell_managers",
    "visit_details",
]

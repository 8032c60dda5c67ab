"""The managers' side of the visit loop: the appointment of a booked request, and the day's list.

After ✅ Booked (or the card's 🗓 button) the bot asks in the manager chat for the day and
time (quick buttons, or typed as `05.12 14:30` / `2026-12-05 14:30` in a reply), the branch
when the clinic has several, and the doctor (optional). Saving it sends the patient a
confirmation with an .ics file and schedules the reminders; the card shows the appointment.
`/today` and `/tomorrow` list the day's appointments with the patients' answers.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards
from bot.callbacks import AppointmentAction, AppointmentCallback
from bot.clock import Clock
from bot.content import Content
from bot.filters import HAS_TEXT, InManagerChat
from bot.handlers.screens import NOT_A_COMMAND
from bot.handlers.staff_tools import IsStaff
from bot.handlers.visit_desk import VisitDesk
from bot.handlers.visits import (
    branch_address,
    confirmation_text,
    refresh_card_of,
    when,
)
from bot.i18n import Translations, Translator
from bot.services.appointments import VISIT_LENGTH, VisitRules, set_appointment
from bot.services.calendar import appointment_ics, ics_filename, labels_for
from bot.services.clinic_time import (
    MONDAY_TO_FRIDAY,
    AppointmentProblem,
    day_slots,
    format_clock,
    format_day,
    format_moment,
    next_working_days,
    parse_appointment,
    to_clinic,
    to_utc,
)
from bot.settings import Settings
from bot.staff import StaffDirectory, staff_member
from storage.models import Appointment, ConsultationRequest, RequestStatus
from storage.repositories import AppointmentRepository, ConversationRepository

logger = logging.getLogger(__name__)

DOCTOR_MAX = 100
DAYS_OFFERED = 6


class AppointmentForm(StatesGroup):
    time = State()
    branch = State()
    doctor = State()


def _example(now: datetime, settings: Settings) -> str:
    tomorrow = to_clinic(now, settings.clinic_zone).date() + timedelta(days=1)
    return f"{tomorrow:%d.%m} 10:00"


def _working_weekdays(content: Content) -> frozenset[int]:
    days = {day for branch in content.clinic.branches for day in branch.hours}
    return frozenset(days) if days else MONDAY_TO_FRIDAY


# --------------------------------------------------------------------------- the dialog


def _days_screen(
    clinic_t: Translator, request_id: int, content: Content, settings: Settings, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    days = next_working_days(
        now=now,
        zone=settings.clinic_zone,
        count=DAYS_OFFERED,
        closed=content.clinic.holidays,
        weekdays=_working_weekdays(content),
    )
    buttons = [(format_day(day, clinic_t.locale), f"{day:%Y%m%d}") for day in days]
    text = clinic_t("appt-ask-day", number=str(request_id), example=_example(now, settings))
    return text, keyboards.appointment_days(clinic_t, request_id, buttons)


async def open_dialog(
    bot: Bot,
    desk: VisitDesk,
    card: Message,
    request_id: int,
    state: FSMContext,
    *,
    content: Content,
    clinic_t: Translator,
) -> None:
    """Ask, under the request's card, for the appointment (called after ✅ Booked and by 🗓)."""
    text, markup = _days_screen(clinic_t, request_id, content, desk.settings, desk.clock())
    # Set before the question is shown: a quick answer must find the dialog open.
    await state.set_state(AppointmentForm.time)
    await state.set_data({"request": request_id})
    await bot.send_message(
        card.chat.id,
        text,
        message_thread_id=card.message_thread_id if card.is_topic_message else None,
        reply_parameters=ReplyParameters(
            message_id=card.message_id, allow_sending_without_reply=True
        ),
        reply_markup=markup,
    )


async def _step(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """The dialog's next question: in place of the pressed one, or as a reply to typed text."""
    if isinstance(event, CallbackQuery):
        if isinstance(event.message, Message):
            await event.message.edit_text(text, reply_markup=markup)
        return
    await event.reply(text, reply_markup=markup)


async def _dialog_request(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    bot: Bot,
    staff: StaffDirectory,
    clinic_t: Translator,
) -> bool:
    """Whether a press belongs to this manager's open dialog about that request."""
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return False
    data = await state.get_data()
    if await state.get_state() is None or data.get("request") != callback_data.request:
        callback_answer.text = clinic_t("appt-stale")
        return False
    return True


async def card_button(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    visit_desk: VisitDesk,
    content: Content,
    clinic_t: Translator,
) -> None:
    """The card's 🗓: set or change the appointment."""
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    message = callback.message
    card = (
        await visit_desk.conversation_repo.manager_message(message.chat.id, message.message_id)
        if isinstance(message, Message)
        else None
    )
    if card is None or card.kind != "request" or card.ref_id != callback_data.request:
        callback_answer.text = clinic_t("stale-button")
        return
    assert isinstance(message, Message)
    request = await visit_desk.request_repo.get_request(callback_data.request)
    if request is None or request.status != RequestStatus.BOOKED:
        callback_answer.text = clinic_t("appt-not-booked", number=str(callback_data.request))
        return
    await open_dialog(
        bot, visit_desk, message, request.id, state, content=content, clinic_t=clinic_t
    )


async def day_chosen(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    settings: Settings,
    clock: Clock,
    clinic_t: Translator,
) -> None:
    if not await _dialog_request(
        callback, callback_data, callback_answer, state, bot, staff, clinic_t
    ):
        return
    try:
        day = datetime.strptime(callback_data.value, "%Y%m%d").date()
    except ValueError:
        callback_answer.text = clinic_t("stale-button")
        return
    now = clock()
    slots = day_slots(day, now=now, zone=settings.clinic_zone)
    buttons = [(f"{slot:%H:%M}", f"{slot:%Y%m%d%H%M}") for slot in slots]
    await state.set_state(AppointmentForm.time)
    await _step(
        callback,
        clinic_t(
            "appt-ask-slot",
            number=str(callback_data.request),
            day=format_day(day, clinic_t.locale),
            example=f"{day:%d.%m} 10:00",
        ),
        keyboards.appointment_slots(clinic_t, callback_data.request, buttons),
    )


async def back_to_days(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    content: Content,
    settings: Settings,
    clock: Clock,
    clinic_t: Translator,
) -> None:
    if not await _dialog_request(
        callback, callback_data, callback_answer, state, bot, staff, clinic_t
    ):
        return
    await state.set_state(AppointmentForm.time)
    text, markup = _days_screen(clinic_t, callback_data.request, content, settings, clock())
    await _step(callback, text, markup)


async def slot_chosen(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    content: Content,
    settings: Settings,
    clock: Clock,
    clinic_t: Translator,
) -> None:
    if not await _dialog_request(
        callback, callback_data, callback_answer, state, bot, staff, clinic_t
    ):
        return
    try:
        wall = datetime.strptime(callback_data.value, "%Y%m%d%H%M")
    except ValueError:
        callback_answer.text = clinic_t("stale-button")
        return
    starts_at = to_utc(wall, settings.clinic_zone)
    if starts_at <= clock():
        callback_answer.text = clinic_t("appt-problem-in_the_past")
        return
    await _time_chosen(
        callback, state, starts_at, content=content, settings=settings, clinic_t=clinic_t
    )


async def time_typed(
    message: Message,
    state: FSMContext,
    content: Content,
    settings: Settings,
    clock: Clock,
    clinic_t: Translator,
) -> None:
    now = clock()
    parsed = parse_appointment(message.text or "", now=now, zone=settings.clinic_zone)
    if isinstance(parsed, AppointmentProblem):
        await message.reply(
            clinic_t(f"appt-problem-{parsed.value}", example=_example(now, settings))
        )
        return
    await _time_chosen(
        message, state, parsed, content=content, settings=settings, clinic_t=clinic_t
    )


async def _time_chosen(
    event: Message | CallbackQuery,
    state: FSMContext,
    starts_at: datetime,
    *,
    content: Content,
    settings: Settings,
    clinic_t: Translator,
) -> None:
    await state.update_data(starts_at=starts_at.isoformat())
    data = await state.get_data()
    request_id = int(data["request"])
    branches = content.clinic.branches
    moment = format_clock_day(starts_at, settings, clinic_t)
    if len(branches) > 1:
        await state.set_state(AppointmentForm.branch)
        choices = [(branch.address_for(clinic_t.locale), branch.id) for branch in branches]
        await _step(
            event,
            clinic_t("appt-ask-branch", number=str(request_id), when=moment),
            keyboards.appointment_branches(clinic_t, request_id, choices),
        )
        return
    await state.update_data(branch=branches[0].id if branches else None)
    await _ask_doctor(event, state, request_id, moment, clinic_t)


def format_clock_day(starts_at: datetime, settings: Settings, clinic_t: Translator) -> str:
    return format_moment(starts_at, settings.clinic_zone, clinic_t.locale)


async def _ask_doctor(
    event: Message | CallbackQuery,
    state: FSMContext,
    request_id: int,
    moment: str,
    clinic_t: Translator,
) -> None:
    await state.set_state(AppointmentForm.doctor)
    await _step(
        event,
        clinic_t("appt-ask-doctor", number=str(request_id), when=moment),
        keyboards.appointment_doctor(clinic_t, request_id),
    )


async def branch_chosen(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    content: Content,
    settings: Settings,
    clinic_t: Translator,
) -> None:
    if not await _dialog_request(
        callback, callback_data, callback_answer, state, bot, staff, clinic_t
    ):
        return
    if callback_data.value not in {branch.id for branch in content.clinic.branches}:
        callback_answer.text = clinic_t("stale-button")
        return
    data = await state.get_data()
    if "starts_at" not in data:
        callback_answer.text = clinic_t("appt-stale")
        return
    await state.update_data(branch=callback_data.value)
    starts_at = datetime.fromisoformat(str(data["starts_at"]))
    await _ask_doctor(
        callback,
        state,
        callback_data.request,
        format_clock_day(starts_at, settings, clinic_t),
        clinic_t,
    )


async def no_doctor(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    visit_desk: VisitDesk,
    translations: Translations,
    content: Content,
    clinic_t: Translator,
) -> None:
    if not await _dialog_request(
        callback, callback_data, callback_answer, state, bot, staff, clinic_t
    ):
        return
    if await state.get_state() != AppointmentForm.doctor.state:
        callback_answer.text = clinic_t("appt-stale")
        return
    await _save(
        callback,
        bot,
        visit_desk,
        state,
        None,
        translations=translations,
        content=content,
        clinic_t=clinic_t,
    )


async def doctor_typed(
    message: Message,
    bot: Bot,
    state: FSMContext,
    visit_desk: VisitDesk,
    translations: Translations,
    content: Content,
    clinic_t: Translator,
) -> None:
    doctor = " ".join((message.text or "").split())
    if not doctor:
        return
    if len(doctor) > DOCTOR_MAX:
        await message.reply(clinic_t("appt-doctor-too-long", limit=DOCTOR_MAX))
        return
    await _save(
        message,
        bot,
        visit_desk,
        state,
        doctor,
        translations=translations,
        content=content,
        clinic_t=clinic_t,
    )


async def cancel_dialog(
    callback: CallbackQuery,
    callback_data: AppointmentCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    staff: StaffDirectory,
    clinic_t: Translator,
) -> None:
    if not await _dialog_request(
        callback, callback_data, callback_answer, state, bot, staff, clinic_t
    ):
        return
    await state.clear()
    await _step(callback, clinic_t("appt-dialog-cancelled"), None)


async def _save(
    event: Message | CallbackQuery,
    bot: Bot,
    desk: VisitDesk,
    state: FSMContext,
    doctor: str | None,
    *,
    translations: Translations,
    content: Content,
    clinic_t: Translator,
) -> None:
    data = await state.get_data()
    await state.clear()
    request = await desk.request_repo.get_request(int(data.get("request", 0)))
    if request is None or "starts_at" not in data:
        await _step(event, clinic_t("appt-stale"), None)
        return
    if request.status != RequestStatus.BOOKED:
        await _step(event, clinic_t("appt-not-booked", number=str(request.id)), None)
        return
    now = desk.clock()
    appointment = await set_appointment(
        desk.appointment_repo,
        desk.audit_repo,
        request=request,
        starts_at=datetime.fromisoformat(str(data["starts_at"])),
        branch_id=data.get("branch"),
        doctor=doctor,
        staff=staff_member(event),
        rules=VisitRules.from_settings(desk.settings),
        now=now,
    )
    error = await send_confirmation(
        bot, desk, request, appointment, translations=translations, content=content
    )
    await refresh_card_of(bot, desk, request.id, content=content, clinic_t=clinic_t)
    moment = when(clinic_t, appointment, desk.settings.clinic_zone)
    if error is None:
        text = clinic_t("appt-saved", number=str(request.id), when=moment)
    else:
        text = clinic_t(
            "appt-saved-undelivered",
            number=str(request.id),
            when=moment,
            error=html.quote(error),
        )
    await _step(event, text, None)


async def send_confirmation(
    bot: Bot,
    desk: VisitDesk,
    request: ConsultationRequest,
    appointment: Appointment,
    *,
    translations: Translations,
    content: Content,
) -> str | None:
    """The patient's confirmation and calendar file; None when delivered, else why not.

    A patient who blocked the bot gets nothing further: their reminders are cancelled.
    """
    locale = await desk.patient_repo.get_user_locale(request.user_id) or request.locale
    t = translations.get(locale)
    zone = desk.settings.clinic_zone
    address = branch_address(content, appointment, t.locale) or content.clinic.name_for(locale)
    calendar = appointment_ics(
        request_id=request.id,
        starts_at=appointment.starts_at,
        duration=VISIT_LENGTH,
        zone=zone,
        summary=t("visit-ics-summary"),
        address=address,
        stamp=desk.clock(),
        doctor=appointment.doctor,
        bring=t("visit-bring"),
        labels=labels_for(t.locale),
        sequence=appointment.revision,
    )
    try:
        await bot.send_message(
            request.user_id,
            confirmation_text(t, content, appointment, zone),
            reply_markup=keyboards.visit_answers(t, appointment.id, appointment.revision),
        )
        await bot.send_document(
            request.user_id,
            BufferedInputFile(calendar, ics_filename(request.id)),
            caption=t("visit-ics-caption"),
        )
    except TelegramForbiddenError as failure:
        await desk.appointment_repo.cancel_patient_messages(request.user_id)
        return failure.message
    except TelegramAPIError as failure:
        return failure.message
    return None


# --------------------------------------------------------------------------- /today, /tomorrow


def _card_link(chat_id: int, message_id: int) -> str | None:
    """A t.me link to a message of a supergroup (its id is -100 followed by the link's id)."""
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


async def day_list(
    message: Message,
    appointment_repo: AppointmentRepository,
    conversation_repo: ConversationRepository,
    settings: Settings,
    clock: Clock,
    t: Translator,
) -> None:
    tomorrow = (message.text or "").lstrip("/").lower().startswith("tomorrow")
    zone = settings.clinic_zone
    day: date = to_clinic(clock(), zone).date() + timedelta(days=1 if tomorrow else 0)
    start = to_utc(datetime.combine(day, time(0)), zone)
    end = to_utc(datetime.combine(day + timedelta(days=1), time(0)), zone)
    listed = await appointment_repo.between(start, end)
    title = t("appt-tomorrow-title" if tomorrow else "appt-today-title", date=f"{day:%d.%m.%Y}")
    if not listed:
        await message.answer(f"{title}\n\n{t('appt-day-empty')}")
        return
    lines = [title, ""]
    for item in listed:
        appointment = item.appointment
        request = t("appt-day-request", number=str(appointment.request_id))
        card = await conversation_repo.card_message(
            settings.manager_chat_id, "request", appointment.request_id
        )
        link = _card_link(card.chat_id, card.message_id) if card is not None else None
        if link is not None:
            request = html.link(request, link)
        lines.append(
            t(
                "appt-day-line",
                time=format_clock(appointment.starts_at, zone),
                state=t(f"appt-state-{appointment.state.value}"),
                request=request,
                name=html.quote(item.name) if item.name else t("staff-erased"),
            )
        )
    await message.answer("\n".join(lines))


def build_router() -> Router:
    router = Router(name=__name__)
    # /today and /tomorrow: staff, privately or in the manager chat.
    router.message.register(day_list, Command("today", "tomorrow"), IsStaff())
    dialog = Router(name=f"{__name__}.dialog")
    dialog.message.filter(InManagerChat())
    dialog.callback_query.filter(InManagerChat())
    button = dialog.callback_query.register
    button(card_button, AppointmentCallback.filter(F.action == AppointmentAction.OPEN))
    button(day_chosen, AppointmentCallback.filter(F.action == AppointmentAction.DAY))
    button(back_to_days, AppointmentCallback.filter(F.action == AppointmentAction.BACK))
    button(slot_chosen, AppointmentCallback.filter(F.action == AppointmentAction.SLOT))
    button(branch_chosen, AppointmentCallback.filter(F.action == AppointmentAction.BRANCH))
    button(no_doctor, AppointmentCallback.filter(F.action == AppointmentAction.NO_DOCTOR))
    button(cancel_dialog, AppointmentCallback.filter(F.action == AppointmentAction.CANCEL))
    dialog.message.register(time_typed, StateFilter(AppointmentForm.time), NOT_A_COMMAND, HAS_TEXT)
    dialog.message.register(
        doctor_typed, StateFilter(AppointmentForm.doctor), NOT_A_COMMAND, HAS_TEXT
    )
    router.include_router(dialog)
    return router

"""Staff commands, in a private chat with the bot or in the manager chat.

A person who is not staff never reaches these handlers: the filter lets their message fall
through to the patients' routers, where it gets the same answer as any unknown command.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import (
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.callback_answer import CallbackAnswer

from bot import staff_views
from bot.callbacks import StaffModerationCallback, StaffPageCallback
from bot.clock import Clock
from bot.content import Content
from bot.filters import Magic
from bot.handlers.screens import show
from bot.i18n import Translator
from bot.middlewares import UpdatesInFlight
from bot.reports import ReportPacing
from bot.services.clinic_time import to_clinic, to_utc
from bot.services.escalation import take_times
from bot.services.export import ExportPart, ExportTooLargeError, export_for_staff
from bot.services.reviews import moderate_review
from bot.settings import Settings
from bot.staff import StaffDirectory, staff_member
from storage.models import ConsultationRequest, RequestStatus, Review, ReviewStatus
from storage.repositories import (
    AppointmentRepository,
    AuditRepository,
    EscalationRepository,
    OutboxRepository,
    RequestRepository,
    ReviewRepository,
    SourceRepository,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 10
REVIEWS_PAGE_SIZE = 10
REQUESTS, REVIEWS = "rq", "rv"
# Ids are 64-bit in the database; a longer number is no id, and must not reach a query.
MAX_ID = 2**63 - 1
# Export periods: wide enough for any real one, narrow enough that no date arithmetic
# (a day added, a timezone applied) can leave the calendar.
FIRST_EXPORT_DAY = date(2000, 1, 1)
LAST_EXPORT_DAY = date(2999, 12, 31)


def parse_id(text: str) -> int | None:
    """A positive id typed as plain ASCII digits, or None.

    `str.isdigit` also accepts "²" and other digits `int` refuses, and Python's `int`
    reads any length: both would raise further on.
    """
    if not (text.isascii() and text.isdecimal()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def valid_id(value: int) -> bool:
    """An id from callback data: anything a database id cannot be is stale or forged."""
    return 0 < value <= MAX_ID


class IsStaff(Filter):
    """Staff, writing in a private chat or in the manager chat."""

    async def __call__(
        self,
        event: TelegramObject,
        bot: Bot,
        staff: StaffDirectory,
        settings: Settings,
    ) -> bool:
        user = getattr(event, "from_user", None)
        message = event.message if isinstance(event, CallbackQuery) else event
        chat = getattr(message, "chat", None)
        if user is None or chat is None:
            return False
        if chat.type != ChatType.PRIVATE and chat.id != settings.manager_chat_id:
            return False
        return await staff.is_staff(bot, user.id)


def _pager(
    t: Translator,
    table: str,
    status: str,
    ids: tuple[int, int] | None,
    newer: bool,
    older: bool,
) -> list[InlineKeyboardButton]:
    buttons: list[InlineKeyboardButton] = []
    if ids is None:
        return buttons
    newest, oldest = ids
    if newer:
        buttons.append(
            InlineKeyboardButton(
                text=t("staff-page-newer"),
                callback_data=StaffPageCallback(table=table, status=status, after=newest).pack(),
            )
        )
    if older:
        buttons.append(
            InlineKeyboardButton(
                text=t("staff-page-older"),
                callback_data=StaffPageCallback(table=table, status=status, before=oldest).pack(),
            )
        )
    return buttons


async def _requests_screen(
    request_repo: RequestRepository,
    content: Content,
    t: Translator,
    status: str,
    before: int | None,
    after: int | None,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows: list[ConsultationRequest] = await request_repo.list_requests(
        RequestStatus(status) if status else None,
        before_id=before,
        after_id=after,
        limit=PAGE_SIZE,
    )
    text = staff_views.requests_page(t, content.for_locale(t.locale), status, rows, zone)
    if not rows:
        return text, None
    ids = (rows[0].id, rows[-1].id)
    newer, older = await request_repo.has_newer_or_older(status or None, ids)
    buttons = _pager(t, REQUESTS, status, ids, newer, older)
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


async def _reviews_screen(
    review_repo: ReviewRepository,
    t: Translator,
    status: str,
    before: int | None,
    after: int | None,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows: list[Review] = await review_repo.list_reviews(
        ReviewStatus(status) if status else None,
        before_id=before,
        after_id=after,
        limit=REVIEWS_PAGE_SIZE,
    )
    text = staff_views.reviews_page(t, status, rows, zone)
    if not rows:
        return text, None
    ids = (rows[0].id, rows[-1].id)
    keyboard: list[list[InlineKeyboardButton]] = []
    for review in rows:
        keyboard.append(
            [
                InlineKeyboardButton(
                    text=t(
                        "staff-moderate-button",
                        action=t(f"moderation-button-{action}"),
                        id=str(review.id),
                    ),
                    callback_data=StaffModerationCallback(
                        review=review.id, status=target, list_status=status, anchor=ids[0] + 1
                    ).pack(),
                )
                for action, target in (
                    ("publish", ReviewStatus.PUBLISHED),
                    ("hide", ReviewStatus.HIDDEN),
                )
            ]
        )
    newer, older = await review_repo.has_newer_or_older(status or None, ids)
    pager = _pager(t, REVIEWS, status, ids, newer, older)
    if pager:
        keyboard.append(pager)
    return text, InlineKeyboardMarkup(inline_keyboard=keyboard)


def _parse_day(value: str) -> date:
    """An ISO day within the export bounds; raises ValueError otherwise."""
    day = date.fromisoformat(value)
    if not FIRST_EXPORT_DAY <= day <= LAST_EXPORT_DAY:
        raise ValueError(f"{day} is outside the export bounds")
    return day


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment the clinic's `day` begins."""
    return to_utc(datetime.combine(day, datetime.min.time()), zone)


STAFF_COMMANDS = ("requests", "request", "reviews", "stats", "export", "audit", "outbox")


async def requests(
    message: Message,
    command: CommandObject,
    request_repo: RequestRepository,
    content: Content,
    settings: Settings,
    t: Translator,
) -> None:
    status = (command.args or "").strip().lower()
    if status and status not in {s.value for s in RequestStatus}:
        await message.answer(t("staff-usage-requests"))
        return
    text, markup = await _requests_screen(
        request_repo, content, t, status, None, None, settings.clinic_zone
    )
    await message.answer(text, reply_markup=markup)


async def request(
    message: Message,
    command: CommandObject,
    request_repo: RequestRepository,
    content: Content,
    settings: Settings,
    t: Translator,
) -> None:
    argument = (command.args or "").strip().lstrip("№#")
    request_id = parse_id(argument)
    if request_id is None:
        await message.answer(t("staff-usage-request"))
        return
    found = await request_repo.get_request(request_id)
    if found is None:
        await message.answer(t("staff-request-not-found", id=str(request_id)))
        return
    events = await request_repo.request_events(found.id)
    await message.answer(
        staff_views.request_detail(
            t, content.for_locale(t.locale), found, events, settings.clinic_zone
        )
    )


async def reviews(
    message: Message,
    command: CommandObject,
    review_repo: ReviewRepository,
    settings: Settings,
    t: Translator,
) -> None:
    status = (command.args or "").strip().lower()
    if status and status not in {s.value for s in ReviewStatus}:
        await message.answer(t("staff-usage-reviews"))
        return
    text, markup = await _reviews_screen(review_repo, t, status, None, None, settings.clinic_zone)
    await message.answer(text, reply_markup=markup)


async def page(
    callback: CallbackQuery,
    callback_data: StaffPageCallback,
    callback_answer: CallbackAnswer,
    request_repo: RequestRepository,
    review_repo: ReviewRepository,
    content: Content,
    settings: Settings,
    t: Translator,
) -> None:
    if not all(
        value == 0 or valid_id(value) for value in (callback_data.before, callback_data.after)
    ):
        callback_answer.text = t("stale-button")
        return
    before = callback_data.before or None
    after = callback_data.after or None
    status = callback_data.status
    zone = settings.clinic_zone
    try:
        if callback_data.table == REQUESTS:
            text, markup = await _requests_screen(
                request_repo, content, t, status, before, after, zone
            )
        else:
            text, markup = await _reviews_screen(review_repo, t, status, before, after, zone)
    except ValueError:
        callback_answer.text = t("stale-button")
        return
    await show(callback, text, markup)


async def moderate(
    callback: CallbackQuery,
    callback_data: StaffModerationCallback,
    callback_answer: CallbackAnswer,
    review_repo: ReviewRepository,
    audit_repo: AuditRepository,
    settings: Settings,
    t: Translator,
) -> None:
    if not valid_id(callback_data.review) or not (
        callback_data.anchor == 0 or valid_id(callback_data.anchor)
    ):
        callback_answer.text = t("stale-button")
        return
    review = await moderate_review(
        review_repo,
        audit_repo,
        review_id=callback_data.review,
        status=callback_data.status,
        staff=staff_member(callback),
    )
    if review is None:
        callback_answer.text = t("stale-button")
        return
    text, markup = await _reviews_screen(
        review_repo,
        t,
        callback_data.list_status,
        callback_data.anchor or None,
        None,
        settings.clinic_zone,
    )
    await show(callback, text, markup)
    callback_answer.text = t(f"review-status-{review.status.value}")


async def stats(
    message: Message,
    command: CommandObject,
    request_repo: RequestRepository,
    source_repo: SourceRepository,
    appointment_repo: AppointmentRepository,
    escalation_repo: EscalationRepository,
    content: Content,
    settings: Settings,
    clock: Clock,
    t: Translator,
) -> None:
    argument = (command.args or "7").strip()
    if not (argument.isascii() and argument.isdecimal()) or not 1 <= int(argument) <= 3650:
        await message.answer(t("staff-usage-stats"))
        return
    days = int(argument)
    since = clock() - timedelta(days=days)
    data = await request_repo.stats(since)
    by_source = staff_views.sources_block(t, await source_repo.source_stats(since))
    visits = staff_views.visit_stats(t, await appointment_repo.visit_stats(since, clock()))
    takes = take_times(
        await escalation_repo.first_takes(since), content.clinic, settings.clinic_zone
    )
    await message.answer(
        staff_views.stats(t, content.for_locale(t.locale), days, data)
        + "\n\n"
        + by_source
        + "\n\n"
        + visits
        + "\n\n"
        + staff_views.take_times_block(t, takes)
    )


async def export(
    message: Message,
    command: CommandObject,
    bot: Bot,
    request_repo: RequestRepository,
    review_repo: ReviewRepository,
    audit_repo: AuditRepository,
    content: Content,
    settings: Settings,
    clock: Clock,
    t: Translator,
    updates_in_flight: UpdatesInFlight,
) -> None:
    words = (command.args or "").split()
    now = clock()
    zone = settings.clinic_zone
    today = to_clinic(now, zone).date()
    try:
        kind = words[0].lower()
        first = _parse_day(words[1]) if len(words) > 1 else FIRST_EXPORT_DAY
        last = _parse_day(words[2]) if len(words) > 2 else min(today, LAST_EXPORT_DAY)
    except (IndexError, ValueError):
        kind = ""
    if kind not in {"requests", "reviews"} or len(words) > 3:
        await message.answer(t("staff-usage-export"))
        return
    if first > last:
        await message.answer(
            t(
                "staff-export-bad-range",
                first=FIRST_EXPORT_DAY.isoformat(),
                last=LAST_EXPORT_DAY.isoformat(),
            )
        )
        return
    # Days are the clinic's: the period runs from the start of the first to the end of the last.
    start = _day_start(first, zone)
    end = _day_start(last + timedelta(days=1), zone)
    local = content.for_locale(t.locale)

    def service_name(service_id: str | None) -> str:
        service = local.service(service_id) if service_id else None
        return service.name if service else ""

    thread_id = message.message_thread_id if message.is_topic_message else None

    async def send(parts: Sequence[ExportPart], count: int) -> None:
        for number, part in enumerate(parts, start=1):
            if len(parts) == 1:
                caption = t("staff-export-caption", kind=kind, count=count)
            else:
                caption = t(
                    "staff-export-part-caption",
                    kind=kind,
                    part=number,
                    parts=len(parts),
                    count=part.rows,
                )
            await bot.send_document(
                message.chat.id,
                FSInputFile(part.path, filename=part.path.name),
                caption=caption,
                message_thread_id=thread_id,
            )

    with tempfile.TemporaryDirectory() as folder:
        try:
            await export_for_staff(
                kind,
                request_repo,
                review_repo,
                audit_repo,
                start=start,
                end=end,
                folder=Path(folder),
                zone=zone,
                service_name=service_name,
                deliver=send,
                staff=staff_member(message),
                max_bytes=settings.export_max_bytes,
                # Patients' updates first: the export works in their gaps.
                pause=ReportPacing(updates_in_flight),
            )
        except ExportTooLargeError as refusal:
            if refusal.last_whole_day is None or refusal.last_whole_day < first:
                await message.answer(t("staff-export-too-large-day", parts=refusal.max_parts))
            else:
                await message.answer(
                    t(
                        "staff-export-too-large",
                        parts=refusal.max_parts,
                        kind=kind,
                        first=first.isoformat(),
                        last=refusal.last_whole_day.isoformat(),
                    )
                )


async def audit(
    message: Message, audit_repo: AuditRepository, settings: Settings, t: Translator
) -> None:
    entries = await audit_repo.latest_audit(20)
    await message.answer(staff_views.audit(t, entries, settings.clinic_zone))


async def outbox(
    message: Message, outbox_repo: OutboxRepository, settings: Settings, t: Translator
) -> None:
    count, rows = await outbox_repo.outbox_overview(limit=10)
    await message.answer(staff_views.outbox_status(t, count, rows, settings.clinic_zone))


def build_router() -> Router:
    router = Router(name=__name__)
    # Cheap checks first: a patient's message, /start included, never costs a
    # getChatMember call; only the staff's own commands are checked.
    router.message.filter(Command(*STAFF_COMMANDS), IsStaff())
    router.callback_query.filter(
        Magic(
            F.data.startswith(
                (f"{StaffPageCallback.__prefix__}:", f"{StaffModerationCallback.__prefix__}:")
            )
        ),
        IsStaff(),
    )
    router.message.register(requests, Command("requests"))
    router.message.register(request, Command("request"))
    router.message.register(reviews, Command("reviews"))
    router.callback_query.register(page, StaffPageCallback.filter())
    router.callback_query.register(moderate, StaffModerationCallback.filter())
    router.message.register(stats, Command("stats"))
    router.message.register(export, Command("export"))
    router.message.register(audit, Command("audit"))
    router.message.register(outbox, Command("outbox"))
    return router

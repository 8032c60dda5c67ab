"""Texts of the staff tools and of the patients' data screens (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import html

from bot.content import LocaleContent
from bot.i18n import Translator
from bot.services.clinic_time import format_moment
from bot.services.escalation import TakeTimes
from bot.services.formatting import format_decimal
from bot.services.phone import display_phone
from storage.models import (
    AuditEntry,
    ConsultationRequest,
    OutboxRow,
    PersonalData,
    RequestEvent,
    RequestStatus,
    Review,
    ReviewStatus,
    Stats,
    VisitStats,
)
from storage.repositories.sources import SourceStats


def _date(t: Translator, moment: datetime, zone: ZoneInfo) -> str:
    """A stored UTC moment as the clinic's wall clock, the way the reader's language writes it."""
    return format_moment(moment, zone, t.locale)


def _service(t: Translator, content: LocaleContent, service_id: str | None) -> str:
    service = content.service(service_id) if service_id else None
    return service.name if service else t("book-service-not-sure")


def _or_erased(t: Translator, value: str | None) -> str:
    return html.quote(value) if value else t("staff-erased")


def _phone(t: Translator, value: str) -> str:
    return html.quote(display_phone(value)) if value else t("staff-erased")


def _is_erased(request: ConsultationRequest) -> bool:
    # Erasure blanks the name, which is never empty otherwise (see PatientRepository).
    return not request.name


def _complaint(t: Translator, request: ConsultationRequest) -> str:
    """The complaint; a skipped one is "—", only an erased request says erased."""
    if _is_erased(request):
        return t("staff-erased")
    return html.quote(request.complaint) if request.complaint else t("book-no-complaint")


def request_line(
    t: Translator, content: LocaleContent, request: ConsultationRequest, zone: ZoneInfo
) -> str:
    return t(
        "staff-request-line",
        id=str(request.id),
        date=_date(t, request.created_at, zone),
        status=t(f"status-name-{request.status.value}"),
        name=_or_erased(t, request.name),
        phone=_phone(t, request.phone),
        service=_service(t, content, request.service_id),
    )


def requests_page(
    t: Translator,
    content: LocaleContent,
    status: str,
    requests: Sequence[ConsultationRequest],
    zone: ZoneInfo,
) -> str:
    title = t(
        "staff-requests-title", filter=t(f"status-name-{status}") if status else t("staff-all")
    )
    if not requests:
        return f"{title}\n\n{t('staff-list-empty')}"
    return title + "\n\n" + "\n\n".join(request_line(t, content, r, zone) for r in requests)


def request_detail(
    t: Translator,
    content: LocaleContent,
    request: ConsultationRequest,
    events: Sequence[RequestEvent],
    zone: ZoneInfo,
) -> str:
    history = "\n".join(
        t(
            "staff-history-line",
            at=_date(t, event.at, zone),
            status=t(f"status-name-{event.status.value}"),
            staff=html.quote(event.staff_name),
        )
        for event in events
    ) or t("staff-history-empty")
    detail = t(
        "staff-request-detail",
        id=str(request.id),
        date=_date(t, request.created_at, zone),
        status=t(f"status-name-{request.status.value}"),
        service=_service(t, content, request.service_id),
        name=_or_erased(t, request.name),
        phone=_phone(t, request.phone),
        time=_or_erased(t, request.preferred_time),
        complaint=_complaint(t, request),
        patient=str(request.user_id),
        language=request.locale,
        consent_version=request.consent_version,
        consented_at=_date(t, request.consented_at, zone),
        history=history,
    )
    if request.source:  # the patient came by a deep link (/link)
        detail += "\n" + t("source-of-request", source=html.quote(request.source))
    return detail


def review_line(t: Translator, review: Review, zone: ZoneInfo) -> str:
    return t(
        "staff-review-line",
        id=str(review.id),
        stars="⭐" * review.rating,
        status=t(f"review-status-{review.status.value}"),
        date=_date(t, review.created_at, zone),
        author=html.quote(review.author) if review.author else t("review-anonymous"),
        text=html.quote(review.text[:300]) if review.text else t("review-no-text"),
    )


def reviews_page(t: Translator, status: str, reviews: Sequence[Review], zone: ZoneInfo) -> str:
    title = t(
        "staff-reviews-title", filter=t(f"review-status-{status}") if status else t("staff-all")
    )
    if not reviews:
        return f"{title}\n\n{t('staff-list-empty')}"
    return title + "\n\n" + "\n\n".join(review_line(t, r, zone) for r in reviews)


STATS_PERIOD_LINES = 31
"""/stats lists days up to this many lines, else months, else years: ten years of days
would not fit in a message (nor in a Fluent placeable)."""


def _per_period(per_day: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Counts by 'YYYY-MM-DD' day, summed by month or year when the days are too many."""
    periods = list(per_day)
    for width in (7, 4):  # 'YYYY-MM', then 'YYYY'
        if len(periods) <= STATS_PERIOD_LINES:
            break
        summed: dict[str, int] = {}
        for day, count in per_day:
            summed[day[:width]] = summed.get(day[:width], 0) + count
        periods = sorted(summed.items())
    return periods


def stats(t: Translator, content: LocaleContent, days: int, data: Stats) -> str:
    per_day = (
        "\n".join(f"  {period}: {count}" for period, count in _per_period(data.per_day)) or "  —"
    )
    per_status = (
        "\n".join(
            f"  {t(f'status-name-{status}')}: {count}"
            for status, count in sorted(data.per_status.items())
        )
        or "  —"
    )
    per_service = (
        "\n".join(
            f"  {_service(t, content, service or None)}: {count}"
            for service, count in data.per_service.items()
        )
        or "  —"
    )
    conversion = data.conversion
    return t(
        "staff-stats",
        days=days,
        total=data.total,
        per_day=per_day,
        per_status=per_status,
        per_service=per_service,
        conversion=f"{format_decimal(conversion * 100, t.locale)}%"
        if conversion is not None
        else "—",
        reviews=data.reviews_count,
        average=format_decimal(data.reviews_average, t.locale)
        if data.reviews_average is not None
        else "—",
    )


def audit(t: Translator, entries: Sequence[AuditEntry], zone: ZoneInfo) -> str:
    if not entries:
        return t("staff-audit-empty")
    lines = [t("staff-audit-title")]
    for entry in entries:
        lines.append(
            t(
                "staff-audit-line",
                at=_date(t, entry.at, zone),
                staff=html.quote(entry.staff_name),
                action=html.quote(entry.action),
                target=html.quote(entry.target),
            )
        )
    return "\n".join(lines)


MESSAGE_LIMIT = 4000  # below Telegram's 4096, leaving room for nothing to be cut


def pack(parts: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join paragraphs into as few messages as fit Telegram's limit (a paragraph is < limit)."""
    messages: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}\n\n{part}" if current else part
        if len(candidate) > limit and current:
            messages.append(current)
            current = part
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def personal_data(
    t: Translator,
    content: LocaleContent,
    data: PersonalData,
    zone: ZoneInfo,
    appointments: Sequence[str] = (),
) -> list[str]:
    """What the clinic keeps about a patient; times in the clinic's `zone`.

    `appointments`: the visit loop's paragraphs (appointments and the answers given).
    """
    language = t(f"language-name-{data.locale}") if data.locale in ("ru", "en") else "—"
    parts = [t("mydata-title"), t("mydata-language", language=language)]
    if data.requests:
        parts.append(t("mydata-requests"))
        parts += [
            request_line(t, content, r, zone)
            + "\n"
            + t(
                "mydata-request-detail",
                time=_or_erased(t, r.preferred_time),
                complaint=_complaint(t, r),
            )
            for r in data.requests
        ]
    if data.reviews:
        parts.append(t("mydata-reviews"))
        parts += [review_line(t, r, zone) for r in data.reviews]
    if data.consents:
        parts.append(t("mydata-consents"))
        parts += [
            t("mydata-consent-line", version=c.version, at=_date(t, c.at, zone))
            for c in data.consents
        ]
    parts += appointments
    if not (data.requests or data.reviews or data.consents):
        parts.append(t("mydata-nothing"))
    parts.append(t("mydata-footer"))
    return pack(parts)


# ---- the manager chat's cards and relayed messages ----


def with_status(t: Translator, card_text: str, event: RequestEvent | None, zone: ZoneInfo) -> str:
    """A request card as first sent, with the latest status (who, when) below it."""
    if event is None:
        return card_text
    line = t(
        "card-status-line",
        status=t(f"status-name-{event.status.value}"),
        staff=html.quote(event.staff_name),
        at=_date(t, event.at, zone),
    )
    return f"{card_text}\n\n{line}"


def status_race(
    t: Translator, event: RequestEvent | None, current: RequestStatus, zone: ZoneInfo
) -> str:
    return t(
        "status-race",
        status=t(f"status-name-{current.value}"),
        staff=event.staff_name if event else "?",
        at=_date(t, event.at, zone) if event else "?",
    )


def with_moderation(
    t: Translator,
    card_text: str,
    status: ReviewStatus,
    staff: str,
    at: datetime,
    zone: ZoneInfo,
) -> str:
    line = t(
        "card-review-status-line",
        status=t(f"review-status-{status.value}"),
        staff=html.quote(staff),
        at=_date(t, at, zone),
    )
    return f"{card_text}\n\n{line}"


TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
# Any part number a relay can reach (4,096 characters, each "&" five long once escaped).
_WIDEST_PART = 99


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _split_raw(text: str, budget: int) -> list[str]:
    """Cut the patient's raw text into pieces whose escaped form fits `budget`.

    Cutting the raw text (never the escaped one) keeps every `&amp;` whole; a piece ends at
    the last line break or space of its second half when there is one, so words stay whole.
    """
    pieces: list[str] = []
    rest = text
    while rest:
        size = 0
        end = 0
        for index, char in enumerate(rest):
            width = telegram_length(html.quote(char))
            if size + width > budget:
                break
            size += width
            end = index + 1
        if end < len(rest):
            for separator in ("\n", " "):
                cut = rest.rfind(separator, end // 2, end)
                if cut > 0:
                    end = cut + 1
                    break
        pieces.append(rest[:end])
        rest = rest[end:]
    return pieces


def relay_messages(
    t: Translator, patient: str, text: str, limit: int = TELEGRAM_TEXT_LIMIT
) -> list[str]:
    """A patient's free message for the manager chat, whole: one message, or several
    numbered parts when the escaped text and its header exceed Telegram's limit.

    The patient's text never passes through a Fluent placeable (Fluent refuses one longer
    than 2,500 characters): the header comes from Fluent, the escaped body is added here.
    """
    header = t("relay-header", patient=patient)
    single = f"{header}\n\n{html.quote(text)}"
    if telegram_length(single) <= limit:
        return [single]
    widest = t("relay-header-part", patient=patient, part=_WIDEST_PART, parts=_WIDEST_PART)
    pieces = _split_raw(text, limit - telegram_length(widest) - 2)
    return [
        t("relay-header-part", patient=patient, part=number, parts=len(pieces))
        + "\n\n"
        + html.quote(piece)
        for number, piece in enumerate(pieces, start=1)
    ]


def relay_media(t: Translator, patient: str, caption: str | None) -> tuple[str, list[str]]:
    """The caption of a patient's copied photo or file, and any text that must follow it.

    A caption whose escaped form does not fit Telegram's caption limit beside the header
    follows the copy as text messages, so nothing the patient wrote is cut.
    """
    header = t("relay-header-media", patient=patient)
    if not caption:
        return header, []
    together = f"{header}\n\n{html.quote(caption)}"
    if telegram_length(together) <= TELEGRAM_CAPTION_LIMIT:
        return together, []
    return header, relay_messages(t, patient, caption)


def outbox_status(t: Translator, count: int, rows: Sequence[OutboxRow], zone: ZoneInfo) -> str:
    """What `/outbox` shows: how many messages wait, since when (clinic time), and why."""
    if count == 0:
        return t("outbox-empty")
    lines = [t("outbox-summary", count=count, oldest=_date(t, rows[0].created_at, zone))]
    for row in rows:
        lines.append(
            t(
                "outbox-row",
                kind=row.kind,
                ref=str(row.ref_id),
                attempts=row.attempts,
                error=html.quote(row.last_error) if row.last_error else t("outbox-no-error"),
            )
        )
    return "\n".join(lines)


# --- where patients come from (issue 15) ---


def _source_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def sources_block(t: Translator, rows: Sequence[SourceStats]) -> str:
    """Per source: patients, requests, booked, came, conversion (booked of requests)."""
    if not rows:
        return t("source-stats-none")
    lines = [t("source-stats-title")]
    for row in rows:
        lines.append(
            t(
                "source-stats-line",
                source=html.quote(row.source),
                patients=str(row.patients),
                requests=str(row.requests),
                booked=str(row.booked),
                came=str(row.came),
                conversion=_source_percent(row.conversion),
            )
        )
    return "\n".join(lines)


def visit_stats(t: Translator, data: VisitStats) -> str:
    """/stats: visits due in the period, and how many of the patients came (booked → came)."""
    share = data.came_share
    return t(
        "appt-stats",
        booked=data.booked,
        came=data.came,
        missed=data.missed,
        share=f"{format_decimal(share * 100, t.locale)}%" if share is not None else "—",
    )


TAKE_TIME_DAYS = 14


def _minutes(value: float, locale: str) -> str:
    """`5`, `7,5`: whole minutes without a fraction."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else format_decimal(rounded, locale)


def take_times_block(t: Translator, data: TakeTimes) -> str:
    """/stats: the median working time to the first 🙋, per day and per manager."""
    if not data.per_day:
        return t("escalation-stats-title") + "\n" + t("escalation-stats-none")
    days = [
        t(
            "escalation-stats-day",
            day=f"{day:%d.%m}",
            minutes=_minutes(minutes, t.locale),
            count=count,
        )
        # The latest days: a long period must still fit in one message.
        for day, minutes, count in data.per_day[-TAKE_TIME_DAYS:]
    ]
    managers = [
        t(
            "escalation-stats-manager",
            manager=html.quote(name),
            minutes=_minutes(minutes, t.locale),
            count=count,
        )
        for name, minutes, count in data.per_manager
    ]
    return "\n".join([t("escalation-stats-title"), *days, "", *managers])

"""Texts of the staff tools and of the patients' data screens (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram import html

from bot.content import LocaleContent
from bot.i18n import Translator
from bot.services.formatting import format_decimal
from storage.models import (
    AuditEntry,
    ConsultationRequest,
    PersonalData,
    RequestEvent,
    Review,
    Stats,
)


def _date(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M")


def _service(t: Translator, content: LocaleContent, service_id: str | None) -> str:
    service = content.service(service_id) if service_id else None
    return service.name if service else t("book-service-not-sure")


def _or_erased(t: Translator, value: str | None) -> str:
    return html.quote(value) if value else t("staff-erased")


def request_line(t: Translator, content: LocaleContent, request: ConsultationRequest) -> str:
    return t(
        "staff-request-line",
        id=str(request.id),
        date=_date(request.created_at),
        status=t(f"status-name-{request.status.value}"),
        name=_or_erased(t, request.name),
        phone=_or_erased(t, request.phone),
        service=_service(t, content, request.service_id),
    )


def requests_page(
    t: Translator, content: LocaleContent, status: str, requests: Sequence[ConsultationRequest]
) -> str:
    title = t(
        "staff-requests-title", filter=t(f"status-name-{status}") if status else t("staff-all")
    )
    if not requests:
        return f"{title}\n\n{t('staff-list-empty')}"
    return title + "\n\n" + "\n\n".join(request_line(t, content, r) for r in requests)


def request_detail(
    t: Translator,
    content: LocaleContent,
    request: ConsultationRequest,
    events: Sequence[RequestEvent],
) -> str:
    history = "\n".join(
        t(
            "staff-history-line",
            at=_date(event.at),
            status=t(f"status-name-{event.status.value}"),
            staff=html.quote(event.staff_name),
        )
        for event in events
    ) or t("staff-history-empty")
    return t(
        "staff-request-detail",
        id=str(request.id),
        date=_date(request.created_at),
        status=t(f"status-name-{request.status.value}"),
        service=_service(t, content, request.service_id),
        name=_or_erased(t, request.name),
        phone=_or_erased(t, request.phone),
        time=_or_erased(t, request.preferred_time),
        complaint=_or_erased(t, request.complaint),
        patient=str(request.user_id),
        language=request.locale,
        consent_version=request.consent_version,
        consented_at=_date(request.consented_at),
        history=history,
    )


def review_line(t: Translator, review: Review) -> str:
    return t(
        "staff-review-line",
        id=str(review.id),
        stars="⭐" * review.rating,
        status=t(f"review-status-{review.status.value}"),
        date=_date(review.created_at),
        author=html.quote(review.author) if review.author else t("review-anonymous"),
        text=html.quote(review.text[:300]) if review.text else t("review-no-text"),
    )


def reviews_page(t: Translator, status: str, reviews: Sequence[Review]) -> str:
    title = t(
        "staff-reviews-title", filter=t(f"review-status-{status}") if status else t("staff-all")
    )
    if not reviews:
        return f"{title}\n\n{t('staff-list-empty')}"
    return title + "\n\n" + "\n\n".join(review_line(t, r) for r in reviews)


def stats(t: Translator, content: LocaleContent, days: int, data: Stats) -> str:
    per_day = "\n".join(f"  {day}: {count}" for day, count in data.per_day) or "  —"
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


def audit(t: Translator, entries: Sequence[AuditEntry]) -> str:
    if not entries:
        return t("staff-audit-empty")
    lines = [t("staff-audit-title")]
    for entry in entries:
        lines.append(
            t(
                "staff-audit-line",
                at=_date(entry.at),
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


def personal_data(t: Translator, content: LocaleContent, data: PersonalData) -> list[str]:
    language = t(f"language-name-{data.locale}") if data.locale in ("ru", "en") else "—"
    parts = [t("mydata-title"), t("mydata-language", language=language)]
    if data.requests:
        parts.append(t("mydata-requests"))
        parts += [
            request_line(t, content, r)
            + "\n"
            + t(
                "mydata-request-detail",
                time=_or_erased(t, r.preferred_time),
                complaint=_or_erased(t, r.complaint),
            )
            for r in data.requests
        ]
    if data.reviews:
        parts.append(t("mydata-reviews"))
        parts += [review_line(t, r) for r in data.reviews]
    if data.consents:
        parts.append(t("mydata-consents"))
        parts += [
            t("mydata-consent-line", version=c.version, at=_date(c.at)) for c in data.consents
        ]
    if not (data.requests or data.reviews or data.consents):
        parts.append(t("mydata-nothing"))
    parts.append(t("mydata-footer"))
    return pack(parts)

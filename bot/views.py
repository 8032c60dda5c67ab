"""Message texts built from content, form data and translations (pure functions).

Everything a patient typed passes through `html.quote` here, so no handler has to remember it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiogram import html

from bot.callbacks import NOT_SURE
from bot.content import LocaleContent
from bot.i18n import Translator
from bot.services.clinic_time import format_moment
from bot.services.formatting import format_decimal, group_thousands
from bot.services.phone import display_phone
from storage.models import (
    NewRequest,
    NewReview,
    RatingSummary,
    Review,
)

# Fluent refuses a placeable longer than 2,500 characters, and escaping can make a patient's
# 1,000 characters five times longer; so what a patient typed never goes through Fluent: the
# message is formatted with markers in its place, and the escaped text replaces them after.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{_MARK_OPEN}([a-z_]+){_MARK_CLOSE}")


def compose(t: Translator, key: str, /, typed: dict[str, str], **params: object) -> str:
    """`t(key, **params)` with the `typed` texts (already escaped HTML) put in by code."""
    markers = {name: f"{_MARK_OPEN}{name}{_MARK_CLOSE}" for name in typed}
    formatted = t(key, **params, **markers)
    # One pass: a marker typed by the patient inside one text is not replaced again.
    return _MARK.sub(lambda found: typed.get(found.group(1), found.group(0)), formatted)


# Three full-length reviews (1000 characters each) still fit in one 4096-character message.
REVIEWS_PER_PAGE = 3


def article_menu(t: Translator, content: LocaleContent) -> str:
    return t("article-menu", title=content.article_title, intro=content.article_intro)


def article_section(t: Translator, content: LocaleContent, index: int) -> str:
    section = content.sections[index]
    parts = [f"<b>{section.title}</b>"]
    if section.drugs:  # the warning comes before any dose, not after it
        parts.append(t("article-doctor-note"))
    parts.append(section.body.strip())
    parts.append(t("article-position", current=index + 1, total=len(content.sections)))
    return "\n\n".join(parts)


def price(t: Translator, amount: int) -> str:
    return t("price-from", amount=group_thousands(amount, t.locale))


def price_list(t: Translator, content: LocaleContent) -> str:
    lines = [f"<b>{content.prices_title}</b>", ""]
    for service in content.services:
        lines.append(f"• {service.name} — <b>{price(t, service.price_from)}</b>")
    lines += ["", content.prices_note, "", f"<i>{content.region_note}</i>"]
    return "\n".join(lines)


def service_name(t: Translator, content: LocaleContent, service_id: str | None) -> str:
    service = content.service(service_id) if service_id and service_id != NOT_SURE else None
    return service.name if service else t("book-service-not-sure")


@dataclass(frozen=True, slots=True)
class BookingDraft:
    """The form's data as the summary and the card need it."""

    service_id: str | None
    name: str
    phone: str
    preferred_time: str
    complaint: str | None


def booking_summary(t: Translator, content: LocaleContent, draft: BookingDraft) -> str:
    return compose(
        t,
        "book-summary",
        typed={
            "name": html.quote(draft.name),
            "time": html.quote(draft.preferred_time),
            "complaint": (
                html.quote(draft.complaint) if draft.complaint else t("book-no-complaint")
            ),
        },
        service=service_name(t, content, draft.service_id),
        phone=display_phone(draft.phone),
    )


def saved_details_offer(t: Translator, name: str, phone: str) -> str:
    return compose(
        t, "book-saved-offer", typed={"name": html.quote(name)}, phone=display_phone(phone)
    )


def patient_link(user_id: int, full_name: str, username: str | None) -> str:
    link = html.link(html.quote(full_name) or str(user_id), f"tg://user?id={user_id}")
    return f"{link} (@{html.quote(username)})" if username else link


def request_card(
    t: Translator,
    content: LocaleContent,
    request_id: int,
    request: NewRequest,
    patient: str,
    zone: ZoneInfo,
) -> str:
    """The manager chat's card; `t` and `content` are in the clinic's language and time."""
    return compose(
        t,
        "card-request",
        typed={
            "name": html.quote(request.name),
            "time": html.quote(request.preferred_time),
            "complaint": (
                html.quote(request.complaint) if request.complaint else t("book-no-complaint")
            ),
            "patient": patient,
        },
        number=str(request_id),
        service=service_name(t, content, request.service_id),
        phone=display_phone(request.phone),
        language=request.locale,
        consent_version=request.consent_version,
        consented_at=format_moment(request.consented_at, zone, t.locale),
    )


def review_card(t: Translator, review_id: int, review: NewReview, patient: str) -> str:
    return compose(
        t,
        "card-review",
        typed={
            "author": html.quote(review.author) if review.author else t("review-anonymous"),
            "text": html.quote(review.text) if review.text else t("review-no-text"),
            "patient": patient,
        },
        number=str(review_id),
        stars="⭐" * review.rating,
        rating=review.rating,
    )


def _review_entry(t: Translator, review: Review) -> str:
    """A review as written (never translated), marked with the language it was written in."""
    author = html.quote(review.author) if review.author else t("review-anonymous")
    header = f"{'⭐' * review.rating} <b>{author}</b> · <i>{review_language(t, review.locale)}</i>"
    return f"{header}\n{html.quote(review.text)}" if review.text else header


def review_language(t: Translator, locale: str) -> str:
    """ "🇷🇺 in Russian", in the reader's language; an unknown code is shown as it is."""
    try:
        return t(f"review-written-in-{locale}")
    except KeyError:
        return html.quote(locale)


def reviews_page(
    t: Translator, summary: RatingSummary, reviews: Sequence[Review], page: int, pages: int
) -> str:
    if summary.count == 0 or summary.average is None:
        return t("reviews-empty")
    head = t(
        "reviews-summary",
        average=format_decimal(summary.average, t.locale),
        count=summary.count,
    )
    body = "\n\n".join(_review_entry(t, review) for review in reviews)
    footer = t("reviews-page", page=page + 1, pages=pages) if pages > 1 else ""
    return "\n\n".join(part for part in (head, body, footer) if part)


def page_count(total: int, per_page: int = REVIEWS_PER_PAGE) -> int:
    return max(1, -(-total // per_page))


# Room left for the header of a relayed message within Telegram's limits.
RELAY_TEXT_LIMIT = 3500
RELAY_CAPTION_LIMIT = 700


def _clip(t: Translator, text: str, limit: int) -> str:
    if len(text) <= limit:
        return html.quote(text)
    return html.quote(text[:limit]) + "…\n<i>" + t("relay-truncated") + "</i>"

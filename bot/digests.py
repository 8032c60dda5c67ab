"""Manager-chat digests: a backlog of request cards posted as one message that lists them.

Telegram lets a bot post about 20 messages a minute into a group: a burst of 100 bookings
posted card by card reaches the managers five minutes later, 1,000 of them fifty minutes
later. When more requests wait than the free part of that pace can post, the outbox
(`bot.outbox.OutboxSender`) posts the waiting ones as a digest: one line per request
(number, service, name, time, phone) and a button per request that posts its full card,
the normal card, linked to the request like any other (status buttons, replies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiogram import html
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import DigestCallback, TimeSlot
from bot.content import LocaleContent
from bot.i18n import Translations, Translator
from bot.services.phone import display_phone
from bot.views import compose, service_name
from storage.models import ConsultationRequest

# A line shows at most this much of what the patient typed; the card shows all of it.
LINE_FIELD_CHARS = 40
BUTTONS_PER_ROW = 4


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    """When and how much the outbox folds into one digest.

    Cards are posted one by one while the manager chat's pace posts all that wait within
    `horizon_seconds` (the sends free now, and those its window frees by then); past that,
    the waiting requests go as digests of up to `size`. A window slower than the horizon
    (Telegram's: 20 a minute) keeps `reserve` sends for digests: once only those are left,
    a lone request waits up to one pace interval (the window divided by its limit) for
    others to join it, so that a burst arriving one by one does not spend them card by card.
    """

    size: int = 20  # ~150 characters a line: 20 fit Telegram's 4,096, 20 buttons its 100
    reserve: int = 5
    horizon_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class DigestLine:
    """A request as a digest lists it, with the outbox row its button opens."""

    outbox_id: int
    request: ConsultationRequest


DigestRenderer = Callable[[Sequence[DigestLine]], tuple[str, str]]
"""Renders a digest: its HTML text and its buttons as Bot API JSON."""


def _short(text: str) -> str:
    return text if len(text) <= LINE_FIELD_CHARS else text[: LINE_FIELD_CHARS - 1] + "…"


def _erased(request: ConsultationRequest) -> bool:
    """The patient's data was erased (/forget, retention): a name is never empty else."""
    return not request.name and not request.phone


def _clinic_time(
    translations: Translations, clinic_t: Translator, request: ConsultationRequest
) -> str:
    """A quick-button time in the managers' language (as the card shows it)."""
    patient_t = translations.get(request.locale)
    for slot in TimeSlot:
        if patient_t(f"book-time-{slot.value}") == request.preferred_time:
            return clinic_t(f"book-time-{slot.value}")
    return request.preferred_time


def render_digest(
    clinic_t: Translator,
    content: LocaleContent,
    translations: Translations,
    lines: Sequence[DigestLine],
) -> tuple[str, str]:
    """The digest's text (everything a patient typed escaped) and its buttons."""
    shown = [
        clinic_t("digest-line-erased", number=str(line.request.id))
        if _erased(line.request)
        else compose(
            clinic_t,
            "digest-line",
            typed={
                "name": html.quote(_short(line.request.name)),
                "time": html.quote(_short(_clinic_time(translations, clinic_t, line.request))),
            },
            number=str(line.request.id),
            service=html.quote(service_name(clinic_t, content, line.request.service_id)),
            phone=display_phone(line.request.phone),
        )
        for line in lines
    ]
    text = "\n".join([clinic_t("digest-title", count=len(lines)), "", *shown])
    builder = InlineKeyboardBuilder()
    for line in lines:
        builder.button(
            text=clinic_t("digest-open-button", number=str(line.request.id)),
            callback_data=DigestCallback(outbox=line.outbox_id),
        )
    builder.adjust(BUTTONS_PER_ROW)
    return text, builder.as_markup().model_dump_json(exclude_none=True)

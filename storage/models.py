"""Plain records that cross the storage boundary; no SQL and no Telegram types here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RequestStatus(StrEnum):
    NEW = "new"
    TAKEN = "taken"
    CALLED = "called"
    BOOKED = "booked"
    NO_ANSWER = "noanswer"
    CANCELLED = "cancelled"
    SPAM = "spam"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"


@dataclass(frozen=True, slots=True)
class NewRequest:
    user_id: int
    locale: str
    service_id: str | None
    name: str
    phone: str
    preferred_time: str
    complaint: str | None
    consent_version: str
    consented_at: datetime
    form_token: str | None = None
    """The booking form's own id: one form makes at most one request, however often its
    Confirm is pressed, on however many instances."""


@dataclass(frozen=True, slots=True)
class ConsultationRequest:
    id: int
    user_id: int
    locale: str
    service_id: str | None
    name: str
    phone: str
    preferred_time: str
    complaint: str | None
    consent_version: str
    consented_at: datetime
    status: RequestStatus
    created_at: datetime
    source: str | None = None  # the deep link the patient came by (revision 0005)


@dataclass(frozen=True, slots=True)
class NewReview:
    user_id: int | None
    author: str | None
    rating: int
    text: str | None
    locale: str


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    user_id: int | None
    author: str | None
    rating: int
    text: str | None
    status: ReviewStatus
    created_at: datetime
    locale: str  # the language it was written in


@dataclass(frozen=True, slots=True)
class RatingSummary:
    count: int
    average: float | None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message to the manager chat, rendered when the request is stored."""

    kind: str
    ref_id: int
    chat_id: int
    thread_id: int | None
    text: str
    reply_markup: str | None = None
    patient_id: int | None = None
    # Posted as a reply to the patient's latest message in the manager chat (a relay).
    thread_under_patient: bool = False
    # A patient's photo, document or voice: copied from their chat, `text` as the caption.
    copy_chat_id: int | None = None
    copy_message_id: int | None = None
    # Posted as a reply to this message of `chat_id` (an escalation under its request card).
    reply_to_message_id: int | None = None
    # The patient's display name, remembered for forum topics; not part of the outbox row.
    patient_name: str = ""


@dataclass(frozen=True, slots=True)
class PendingMessage:
    id: int
    message: OutboxMessage
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class RequestEvent:
    request_id: int
    status: RequestStatus
    staff_id: int
    staff_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The outcome of a status button: applied, or refused because someone was faster."""

    applied: bool
    current: RequestStatus
    last_event: RequestEvent | None


@dataclass(frozen=True, slots=True)
class ManagerMessage:
    """A message the bot posted in the manager chat about a patient (a card or a relay)."""

    chat_id: int
    message_id: int
    patient_id: int
    kind: str
    ref_id: int
    text: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    kind: str
    ref_id: int
    attempts: int
    last_error: str | None
    created_at: datetime


CLOSED_STATUSES: frozenset[RequestStatus] = frozenset(
    {RequestStatus.BOOKED, RequestStatus.CANCELLED, RequestStatus.SPAM, RequestStatus.NO_ANSWER}
)
"""Requests nobody works on any more; their personal data expires after RETENTION_DAYS."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    staff_id: int
    staff_name: str
    action: str
    target: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PatientProfile:
    """A user's stored language (None before the first update) and whether they are banned."""

    locale: str | None
    banned: bool


@dataclass(frozen=True, slots=True)
class Consent:
    version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Stats:
    since: datetime
    total: int
    per_day: list[tuple[str, int]]
    per_status: dict[str, int]
    per_service: dict[str, int]
    reviews_count: int
    reviews_average: float | None

    @property
    def conversion(self) -> float | None:
        booked = self.per_status.get(RequestStatus.BOOKED.value, 0)
        return booked / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class PersonalData:
    locale: str | None
    requests: list[ConsultationRequest]
    reviews: list[Review]
    consents: list[Consent]


@dataclass(frozen=True, slots=True)
class Erasure:
    """What `forget` erased, so that the manager chat can be told and its cards cleaned."""

    request_ids: list[int]
    review_ids: list[int]
    cards: list[ManagerMessage]


# --- visit loop ------------------------------------------------------------------------------


class AppointmentState(StrEnum):
    """What the patient answered about an appointment."""

    PENDING = "pending"  # not yet
    CONFIRMED = "confirmed"  # "I'll come"
    MOVE = "move"  # asked to move it
    CANCELLED = "cancelled"  # cancelled it


class VisitStatus(StrEnum):
    CAME = "came"
    MISSED = "missed"


class VisitMessageStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"  # moved into the outbox
    CANCELLED = "cancelled"  # the appointment changed or was cancelled
    DROPPED = "dropped"  # no longer made sense when due


@dataclass(frozen=True, slots=True)
class Appointment:
    id: int
    request_id: int
    patient_id: int
    starts_at: datetime
    branch_id: str | None
    doctor: str | None
    state: AppointmentState
    move_wish: str | None
    visit_status: VisitStatus | None
    score: int | None
    feedback: str | None
    revision: int
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduledVisitMessage:
    """A reminder or follow-up planned for an appointment (kind: "reminder", "follow_up")."""

    kind: str
    due_at: datetime
    offset_minutes: int


@dataclass(frozen=True, slots=True)
class DueVisitMessage:
    """A scheduled message whose time has come, with what deciding and rendering it needs."""

    id: int
    kind: str
    offset_minutes: int
    due_at: datetime
    appointment: Appointment
    request_status: RequestStatus
    request_erased: bool
    locale: str


@dataclass(frozen=True, slots=True)
class DayAppointment:
    """An appointment in /today and /tomorrow, with its request's name (blank once erased)."""

    appointment: Appointment
    name: str
    phone: str
    request_status: RequestStatus


@dataclass(frozen=True, slots=True)
class VisitStats:
    """Visits whose time fell in a period: how many were due, how many came, missed."""

    booked: int
    came: int
    missed: int

    @property
    def came_share(self) -> float | None:
        return self.came / self.booked if self.booked else None

"""Plain records that cross the storage boundary; no SQL and no Telegram types here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RequestStatus(StrEnum):
    NEW = "new"


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


@dataclass(frozen=True, slots=True)
class PendingMessage:
    id: int
    message: OutboxMessage
    attempts: int
    next_attempt_at: datetime
    last_error: str | None

"""What the bot asks of storage, one protocol per area.

Handlers and services are typed against these, so each asks only for the area it uses; any
object with these methods fits (today the single repository, later one class per area).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Protocol

from storage.models import (
    AuditEntry,
    ConsultationRequest,
    Erasure,
    ManagerMessage,
    NewRequest,
    NewReview,
    OutboxMessage,
    OutboxRow,
    PendingMessage,
    PersonalData,
    RatingSummary,
    RequestEvent,
    RequestStatus,
    Review,
    ReviewStatus,
    Stats,
    StatusChange,
)

CardRenderer = Callable[[int], OutboxMessage]
"""Renders the manager-chat card once the new row's id is known (same transaction)."""


class PatientRepo(Protocol):
    async def get_user_locale(self, user_id: int) -> str | None: ...

    async def set_user_locale(self, user_id: int, locale: str) -> None: ...

    async def consent_of(self, user_id: int, version: str) -> datetime | None: ...

    async def patient_topic(self, patient_id: int) -> tuple[int | None, str]: ...

    async def set_patient_topic(self, patient_id: int, topic_id: int | None) -> None: ...

    async def set_banned(self, patient_id: int, banned_by: int | None) -> None: ...

    async def is_banned(self, patient_id: int) -> bool: ...

    async def personal_data(self, user_id: int) -> PersonalData: ...

    async def forget(self, user_id: int, notice: Callable[[int], OutboxMessage]) -> Erasure: ...

    async def erase_expired(self, cutoff: datetime) -> list[int]: ...


class RequestRepo(Protocol):
    async def create_request(self, request: NewRequest, card: CardRenderer) -> int: ...

    async def get_request(self, request_id: int) -> ConsultationRequest | None: ...

    async def change_request_status(
        self,
        request_id: int,
        expected: RequestStatus,
        new: RequestStatus,
        staff_id: int,
        staff_name: str,
    ) -> StatusChange | None: ...

    async def request_events(self, request_id: int) -> list[RequestEvent]: ...

    async def list_requests(
        self,
        status: RequestStatus | None,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 10,
    ) -> list[ConsultationRequest]: ...

    # The table argument goes when storage moves to one repository per area.
    async def has_newer_or_older(
        self, table: str, status: str | None, ids: tuple[int, int]
    ) -> tuple[bool, bool]: ...

    async def stats(self, since: datetime) -> Stats: ...

    def iter_requests(
        self, start: datetime, end: datetime
    ) -> AsyncIterator[ConsultationRequest]: ...


class ReviewRepo(Protocol):
    async def create_review(self, review: NewReview, card: CardRenderer) -> int: ...

    async def seed_reviews(self, reviews: Sequence[NewReview]) -> bool: ...

    async def published_reviews(self, offset: int, limit: int) -> list[Review]: ...

    async def get_review(self, review_id: int) -> Review | None: ...

    async def set_review_status(self, review_id: int, status: ReviewStatus) -> bool: ...

    async def moderate_review(
        self, review_id: int, status: ReviewStatus, staff_name: str
    ) -> Review | None: ...

    async def rating_summary(self) -> RatingSummary: ...

    async def list_reviews(
        self,
        status: ReviewStatus | None,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 10,
    ) -> list[Review]: ...

    # The table argument goes when storage moves to one repository per area.
    async def has_newer_or_older(
        self, table: str, status: str | None, ids: tuple[int, int]
    ) -> tuple[bool, bool]: ...

    def iter_reviews(self, start: datetime, end: datetime) -> AsyncIterator[Review]: ...


class OutboxRepo(Protocol):
    async def enqueue(self, message: OutboxMessage) -> None: ...

    async def due_outbox(self, now: datetime, limit: int) -> list[PendingMessage]: ...

    async def next_outbox_attempt(self) -> datetime | None: ...

    async def mark_outbox_sent(self, outbox_id: int, message_id: int | None) -> None: ...

    async def mark_outbox_failed(
        self, outbox_id: int, error: str, next_attempt_at: datetime
    ) -> None: ...

    async def pending_outbox_count(self) -> int: ...

    async def outbox_overview(self, limit: int) -> tuple[int, list[OutboxRow]]: ...

    async def reserve_send_slot(self, chat_id: int, limit: int, window_seconds: float) -> float: ...


class ConversationRepo(Protocol):
    async def manager_message(self, chat_id: int, message_id: int) -> ManagerMessage | None: ...

    async def card_message(self, chat_id: int, kind: str, ref_id: int) -> ManagerMessage | None: ...

    async def latest_manager_message(
        self, patient_id: int, chat_id: int
    ) -> ManagerMessage | None: ...


class AuditRepo(Protocol):
    async def add_audit(self, staff_id: int, staff_name: str, action: str, target: str) -> None: ...

    async def latest_audit(self, limit: int) -> list[AuditEntry]: ...

"""Reviews: a patient's new review goes to moderation; staff publish or hide it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.services.common import Card, ManagerChat, StaffMember, Wake
from storage.models import NewReview, OutboxMessage, Review, ReviewStatus
from storage.repositories import AuditRepository, ReviewRepository

logger = logging.getLogger(__name__)

ReviewCardView = Callable[[int, NewReview], Card]
"""Renders the managers' moderation card of a review, given its new number."""


async def submit_review(
    review_repo: ReviewRepository,
    *,
    user_id: int,
    patient_name: str,
    author: str | None,
    rating: int,
    text: str | None,
    locale: str,
    render_card: ReviewCardView,
    managers: ManagerChat,
    wake: Wake,
) -> int:
    """Store the review (awaiting moderation) with its card for the managers; returns its id."""
    review = NewReview(user_id=user_id, author=author, rating=rating, text=text, locale=locale)

    def card(review_id: int) -> OutboxMessage:
        return render_card(review_id, review).to(
            managers, "review", review_id, user_id, patient_name
        )

    review_id = await review_repo.create_review(review, card)
    wake()
    logger.info("Review %d stored, awaiting moderation", review_id)
    return review_id


async def moderate_review(
    review_repo: ReviewRepository,
    audit_repo: AuditRepository,
    *,
    review_id: int,
    status: ReviewStatus,
    staff: StaffMember,
) -> Review | None:
    """Publish or hide a review, recorded in the audit log; None when there is no such review."""
    review = await review_repo.moderate_review(review_id, status, staff.name)
    if review is None:
        return None
    logger.info("Review %d is now %s", review.id, review.status)
    await audit_repo.add_audit(
        staff.id, staff.name, f"review:{review.status.value}", f"review {review.id}"
    )
    return review

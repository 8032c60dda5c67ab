"""Consultation requests: submitting one from the form, and staff changing its status."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime

from bot.services.common import Card, ManagerChat, StaffMember, Wake
from storage.models import NewRequest, OutboxMessage, RequestStatus, StatusChange
from storage.repositories import AuditRepository, RequestRepository

logger = logging.getLogger(__name__)

RequestCardView = Callable[[int, NewRequest], Card]
"""Renders the managers' card of a request, given its new number."""


def new_form_token() -> str:
    """A booking form's own id, made when the form starts: its request is stored once,
    however often (and on however many instances) Confirm is pressed."""
    return secrets.token_urlsafe(16)


async def submit_request(
    request_repo: RequestRepository,
    *,
    user_id: int,
    patient_name: str,
    locale: str,
    service_id: str | None,
    name: str,
    phone: str,
    preferred_time: str,
    complaint: str | None,
    consent_version: str,
    consented_at: datetime,
    render_card: RequestCardView,
    managers: ManagerChat,
    wake: Wake,
    form_token: str | None = None,
) -> int:
    """Store the request, the patient's consent and the managers' card in one transaction,
    then wake the sender; returns the request's number.

    A form (`form_token`) already submitted gives its request's number again, and nothing
    new is stored or sent.
    """
    request = NewRequest(
        user_id=user_id,
        locale=locale,
        service_id=service_id,
        name=name,
        phone=phone,
        preferred_time=preferred_time,
        complaint=complaint,
        consent_version=consent_version,
        consented_at=consented_at,
        form_token=form_token,
    )

    def card(request_id: int) -> OutboxMessage:
        return render_card(request_id, request).to(
            managers, "request", request_id, user_id, patient_name
        )

    request_id = await request_repo.create_request(request, card)
    wake()
    logger.info("Consultation request %d stored", request_id)
    return request_id


async def change_status(
    request_repo: RequestRepository,
    audit_repo: AuditRepository,
    *,
    request_id: int,
    expected: RequestStatus,
    new: RequestStatus,
    staff: StaffMember,
) -> StatusChange | None:
    """Compare-and-set a request's status, recorded in its history and in the audit log.

    None: no such request (a stale card). `applied` is False when another manager changed the
    status first; `current` and `last_event` then say what they did.
    """
    change = await request_repo.change_request_status(
        request_id, expected=expected, new=new, staff_id=staff.id, staff_name=staff.name
    )
    if change is not None and change.applied:
        logger.info("Request %d status set to %s", request_id, change.current)
        await audit_repo.add_audit(
            staff.id, staff.name, f"status:{change.current.value}", f"request {request_id}"
        )
    return change

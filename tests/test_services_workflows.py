"""The bot's business steps (bot/services) against a real database, without any Bot API.

Each test drives a service the way a handler would and checks what a patient or manager
would later see: the stored request, the card waiting for the manager chat, the audit log.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.services.common import Card, ManagerChat, StaffMember
from bot.services.export import ExportPart, export_for_staff
from bot.services.privacy import erase_patient
from bot.services.relay import (
    BlockedByPatientError,
    CopyRefusedError,
    ReplyOutcome,
    relay_to_managers,
    reply_to_patient,
    set_ban,
)
from bot.services.requests import change_status, submit_request
from bot.services.reviews import moderate_review, submit_review
from storage import open_storage
from storage.models import NewRequest, NewReview, OutboxMessage, RequestStatus, ReviewStatus

MANAGERS = ManagerChat(chat_id=-100500, thread_id=7)
PATIENT = 4242
ANNA = StaffMember(id=1, name="Anna Manager")
BORIS = StaffMember(id=2, name="Boris Manager")
CONSENTED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@dataclass
class Repos:
    """The repositories by area, as the dispatcher passes them to handlers."""

    patient: Any
    request: Any
    review: Any
    outbox: Any
    conversation: Any
    audit: Any


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repos]:
    # The one place that decides which storage the service tests run on.
    storage = await open_storage(f"sqlite:///{tmp_path}/t.db")
    try:
        yield Repos(
            patient=storage.patients,
            request=storage.requests,
            review=storage.reviews,
            outbox=storage.outbox,
            conversation=storage.conversations,
            audit=storage.audit,
        )
    finally:
        await storage.close()


@dataclass
class Wakes:
    count: int = 0

    def __call__(self) -> None:
        self.count += 1


async def waiting(repos: Repos) -> list[OutboxMessage]:
    """What the outbox sender would deliver now."""
    due = await repos.outbox.due_outbox(datetime.now(UTC) + timedelta(seconds=1), 50)
    return [pending.message for pending in due]


async def deliver_all(repos: Repos, first_message_id: int = 900) -> list[int]:
    """Mark every waiting row delivered, as Telegram message ids first_message_id, +1, …"""
    due = await repos.outbox.due_outbox(datetime.now(UTC) + timedelta(seconds=1), 50)
    ids = []
    for offset, pending in enumerate(due):
        await repos.outbox.mark_outbox_sent(pending.id, first_message_id + offset)
        ids.append(first_message_id + offset)
    return ids


async def submit(repos: Repos, wake: Wakes | None = None, **changes: Any) -> int:
    fields: dict[str, Any] = {
        "user_id": PATIENT,
        "patient_name": "Olga Patient",
        "locale": "ru",
        "service_id": "massage",
        "name": "Olga",
        "phone": "+79161234567",
        "preferred_time": "after 18:00",
        "complaint": "knee hurts",
        "consent_version": "v1",
        "consented_at": CONSENTED,
    }
    fields.update(changes)

    def card(request_id: int, request: NewRequest) -> Card:
        return Card(f"Request {request_id}: {request.name}, {request.phone}", '{"k": 1}')

    return await submit_request(
        repos.request, **fields, render_card=card, managers=MANAGERS, wake=wake or Wakes()
    )


# --- requests -------------------------------------------------------------------------------


async def test_submitted_request_is_stored_with_consent_and_its_card_queued(repos: Repos) -> None:
    wake = Wakes()
    request_id = await submit(repos, wake)
    stored = await repos.request.get_request(request_id)
    assert stored is not None
    assert (stored.name, stored.phone, stored.status) == ("Olga", "+79161234567", RequestStatus.NEW)
    assert await repos.patient.consent_of(PATIENT, "v1") == CONSENTED
    [card] = await waiting(repos)
    assert card.kind == "request"
    assert card.ref_id == request_id
    assert (card.chat_id, card.thread_id) == (MANAGERS.chat_id, MANAGERS.thread_id)
    assert card.text == f"Request {request_id}: Olga, +79161234567"
    assert card.reply_markup == '{"k": 1}'
    assert card.patient_id == PATIENT
    # The name titles the patient's topic in a forum manager chat.
    assert await repos.patient.patient_topic(PATIENT) == (None, "Olga Patient")
    assert wake.count == 1


async def test_status_change_is_recorded_and_audited(repos: Repos) -> None:
    request_id = await submit(repos)
    change = await change_status(
        repos.request,
        repos.audit,
        request_id=request_id,
        expected=RequestStatus.NEW,
        new=RequestStatus.TAKEN,
        staff=ANNA,
    )
    assert change is not None and change.applied
    assert change.current == RequestStatus.TAKEN
    [event] = await repos.request.request_events(request_id)
    assert (event.status, event.staff_name) == (RequestStatus.TAKEN, "Anna Manager")
    [entry] = await repos.audit.latest_audit(10)
    assert (entry.staff_id, entry.action, entry.target) == (
        1,
        "status:taken",
        f"request {request_id}",
    )


async def test_status_race_tells_who_won_and_audits_nothing_more(repos: Repos) -> None:
    request_id = await submit(repos)
    args: dict[str, Any] = {"request_id": request_id, "expected": RequestStatus.NEW}
    await change_status(repos.request, repos.audit, **args, new=RequestStatus.TAKEN, staff=ANNA)
    late = await change_status(
        repos.request, repos.audit, **args, new=RequestStatus.SPAM, staff=BORIS
    )
    assert late is not None and not late.applied
    assert late.current == RequestStatus.TAKEN
    assert late.last_event is not None and late.last_event.staff_name == "Anna Manager"
    assert len(await repos.audit.latest_audit(10)) == 1
    stored = await repos.request.get_request(request_id)
    assert stored is not None and stored.status == RequestStatus.TAKEN


async def test_status_of_an_unknown_request_is_stale(repos: Repos) -> None:
    change = await change_status(
        repos.request,
        repos.audit,
        request_id=999,
        expected=RequestStatus.NEW,
        new=RequestStatus.TAKEN,
        staff=ANNA,
    )
    assert change is None
    assert await repos.audit.latest_audit(10) == []


# --- reviews --------------------------------------------------------------------------------


async def test_review_waits_for_moderation_then_is_published_with_an_audit_entry(
    repos: Repos,
) -> None:
    wake = Wakes()
    rendered: list[NewReview] = []

    def card(review_id: int, review: NewReview) -> Card:
        rendered.append(review)
        return Card(f"Review {review_id}: {review.rating}★", None)

    review_id = await submit_review(
        repos.review,
        user_id=PATIENT,
        patient_name="Olga Patient",
        author="Olga",
        rating=5,
        text="Helped a lot",
        locale="en",
        render_card=card,
        managers=MANAGERS,
        wake=wake,
    )
    assert wake.count == 1
    assert rendered[0].author == "Olga"
    assert (await repos.review.rating_summary()).count == 0  # not public before moderation
    [queued] = await waiting(repos)
    assert (queued.kind, queued.ref_id, queued.text) == (
        "review",
        review_id,
        f"Review {review_id}: 5★",
    )

    review = await moderate_review(
        repos.review, repos.audit, review_id=review_id, status=ReviewStatus.PUBLISHED, staff=ANNA
    )
    assert review is not None and review.status == ReviewStatus.PUBLISHED
    [published] = await repos.review.published_reviews(offset=0, limit=10)
    assert published.text == "Helped a lot"
    [entry] = await repos.audit.latest_audit(10)
    assert (entry.action, entry.target) == ("review:published", f"review {review_id}")


async def test_moderating_an_unknown_review_changes_nothing(repos: Repos) -> None:
    review = await moderate_review(
        repos.review, repos.audit, review_id=404, status=ReviewStatus.HIDDEN, staff=ANNA
    )
    assert review is None
    assert await repos.audit.latest_audit(10) == []


# --- relay between patients and managers ---------------------------------------------------


async def test_patient_text_and_media_are_queued_for_the_managers(repos: Repos) -> None:
    wake = Wakes()
    common: dict[str, Any] = {
        "patient_id": PATIENT,
        "patient_name": "Olga Patient",
        "chat_id": PATIENT,
        "managers": MANAGERS,
        "wake": wake,
    }
    await relay_to_managers(
        repos.outbox, **common, message_id=11, texts=["Olga: hello"], with_media=False
    )
    await relay_to_managers(
        repos.outbox, **common, message_id=12, texts=["Olga: 📎"], with_media=True
    )
    text, photo = await waiting(repos)
    assert (text.kind, text.text, text.thread_under_patient) == ("relay", "Olga: hello", True)
    assert (text.copy_chat_id, text.copy_message_id) == (None, None)
    assert (photo.copy_chat_id, photo.copy_message_id, photo.text) == (PATIENT, 12, "Olga: 📎")
    assert wake.count == 2


@dataclass
class Copier:
    """The Telegram side of a manager's reply, as the handler implements it."""

    fail_with: Exception | None = None
    copied_to: list[int] = field(default_factory=list)

    async def __call__(self, patient_id: int) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.copied_to.append(patient_id)


def staff_check(answer: bool, asked: list[bool]) -> Any:
    async def is_staff() -> bool:
        asked.append(answer)
        return answer

    return is_staff


async def test_manager_reply_to_a_card_reaches_its_patient(repos: Repos) -> None:
    await submit(repos)
    [card_message] = await deliver_all(repos)
    copier, asked = Copier(), []
    result = await reply_to_patient(
        repos.conversation,
        chat_id=MANAGERS.chat_id,
        replied_message_id=card_message,
        is_staff=staff_check(True, asked),
        copy=copier,
    )
    assert result.outcome == ReplyOutcome.DELIVERED
    assert copier.copied_to == [PATIENT]


async def test_reply_to_no_patient_is_not_copied_and_costs_no_staff_check(repos: Repos) -> None:
    copier, asked = Copier(), []
    result = await reply_to_patient(
        repos.conversation,
        chat_id=MANAGERS.chat_id,
        replied_message_id=12345,
        is_staff=staff_check(True, asked),
        copy=copier,
    )
    assert result.outcome == ReplyOutcome.NO_PATIENT
    assert copier.copied_to == [] and asked == []


@pytest.mark.parametrize(
    ("is_staff", "failure", "outcome", "error"),
    [
        (False, None, ReplyOutcome.NOT_STAFF, ""),
        (True, BlockedByPatientError(), ReplyOutcome.BLOCKED, ""),
        (True, CopyRefusedError("message is too long"), ReplyOutcome.FAILED, "message is too long"),
    ],
)
async def test_reply_that_cannot_reach_the_patient_says_why(
    repos: Repos,
    is_staff: bool,
    failure: Exception | None,
    outcome: ReplyOutcome,
    error: str,
) -> None:
    await submit(repos)
    [card_message] = await deliver_all(repos)
    copier = Copier(fail_with=failure)
    result = await reply_to_patient(
        repos.conversation,
        chat_id=MANAGERS.chat_id,
        replied_message_id=card_message,
        is_staff=staff_check(is_staff, []),
        copy=copier,
    )
    assert (result.outcome, result.error) == (outcome, error)
    assert copier.copied_to == []


async def test_ban_and_unban_by_reply_are_audited(repos: Repos) -> None:
    await submit(repos)
    [card_message] = await deliver_all(repos)
    where: dict[str, Any] = {"chat_id": MANAGERS.chat_id, "replied_message_id": card_message}
    services = (repos.conversation, repos.patient, repos.audit)
    assert await set_ban(*services, **where, banning=True, staff=ANNA)
    assert await repos.patient.is_banned(PATIENT)
    assert await set_ban(*services, **where, banning=False, staff=BORIS)
    assert not await repos.patient.is_banned(PATIENT)
    actions = {(entry.staff_id, entry.action) for entry in await repos.audit.latest_audit(10)}
    assert actions == {(1, "ban"), (2, "unban")}


async def test_ban_without_a_patient_message_does_nothing(repos: Repos) -> None:
    done = await set_ban(
        repos.conversation,
        repos.patient,
        repos.audit,
        chat_id=MANAGERS.chat_id,
        replied_message_id=None,
        banning=True,
        staff=ANNA,
    )
    assert not done
    assert await repos.audit.latest_audit(10) == []


# --- erasure --------------------------------------------------------------------------------


@dataclass
class Cleaner:
    blanked: list[tuple[int, int]] = field(default_factory=list)
    retitled: list[int] = field(default_factory=list)

    async def blank_card(self, chat_id: int, message_id: int) -> None:
        self.blanked.append((chat_id, message_id))

    async def retitle_topic(self, topic_id: int) -> None:
        self.retitled.append(topic_id)


async def test_erasure_forgets_the_patient_and_tells_the_managers(repos: Repos) -> None:
    request_id = await submit(repos)
    [card_message] = await deliver_all(repos)
    await repos.patient.set_patient_topic(PATIENT, 77)
    await relay_to_managers(
        repos.outbox,
        patient_id=PATIENT,
        patient_name="Olga Patient",
        chat_id=PATIENT,
        message_id=13,
        texts=["Olga: still waiting"],
        with_media=False,
        managers=MANAGERS,
        wake=Wakes(),
    )
    cleaner, wake = Cleaner(), Wakes()
    erasure = await erase_patient(
        repos.patient,
        user_id=PATIENT,
        notice_text=lambda number: f"Request {number}: data erased",
        managers=MANAGERS,
        cleaner=cleaner,
        wake=wake,
    )
    assert erasure.request_ids == [request_id]
    assert cleaner.blanked == [(MANAGERS.chat_id, card_message)]
    assert cleaner.retitled == [77]
    assert wake.count == 1
    # The undelivered relay is dropped; the managers get only the notice, with no personal data.
    [notice] = await waiting(repos)
    assert (notice.kind, notice.text, notice.patient_id) == (
        "erasure",
        f"Request {request_id}: data erased",
        None,
    )
    erased = await repos.request.get_request(request_id)
    assert erased is not None and (erased.name, erased.phone, erased.complaint) == ("", "", None)
    assert (await repos.patient.personal_data(PATIENT)).requests == []


async def test_erasure_of_a_stranger_touches_nothing_in_the_manager_chat(repos: Repos) -> None:
    cleaner = Cleaner()
    erasure = await erase_patient(
        repos.patient,
        user_id=PATIENT,
        notice_text=lambda number: f"Request {number}: data erased",
        managers=MANAGERS,
        cleaner=cleaner,
        wake=Wakes(),
    )
    assert erasure.request_ids == [] and erasure.cards == []
    assert cleaner == Cleaner()
    assert await waiting(repos) == []


# --- staff export ---------------------------------------------------------------------------


async def test_export_delivers_the_file_and_audits_it(repos: Repos, tmp_path: Path) -> None:
    await submit(repos, name="Olga")
    await submit(repos, name="Pavel", service_id=None)
    delivered: list[tuple[str, int, str]] = []

    async def deliver(parts: Sequence[ExportPart], count: int) -> None:
        for part in parts:
            with zipfile.ZipFile(part.path) as bundle:
                [entry] = bundle.infolist()
                text = bundle.read(entry).decode("utf-8-sig")
            delivered.append((part.path.name, count, text))

    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = datetime(2999, 1, 1, tzinfo=UTC)
    count = await export_for_staff(
        "requests",
        repos.request,
        repos.review,
        repos.audit,
        start=start,
        end=end,
        folder=tmp_path,
        service_name=lambda service_id: "Massage" if service_id == "massage" else "",
        deliver=deliver,
        staff=ANNA,
        zone=ZoneInfo("UTC"),
    )
    assert count == 2
    [(name, delivered_count, text)] = delivered
    assert (name, delivered_count) == ("requests-2000-01-01-2998-12-31.zip", 2)
    assert "Olga" in text and "Pavel" in text and "Massage" in text
    assert text.startswith("id,created_at (UTC),status,")
    [entry] = await repos.audit.latest_audit(10)
    assert (entry.staff_id, entry.action) == (1, "export:requests")
    # The period's days, both included: the end moment is the start of the day after.
    assert entry.target == f"2000-01-01..{end - timedelta(days=1):%Y-%m-%d}"

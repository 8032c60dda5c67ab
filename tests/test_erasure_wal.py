"""Erased personal data is gone from the SQLite files on disk, the write-ahead log included.

SQLite keeps every changed page in `clinic.db-wal` until a checkpoint; without one the
erased name would stay readable there for ~1,000 more writes. The bot keeps running
(no clean shutdown) while the files are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from storage import Storage, open_storage
from storage.models import NewRequest, NewReview, OutboxMessage, RequestStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CHAT = -100
PATIENT = 10

NAME = "Zebediah Quillfeather"
PHONE = "+79995550123"
COMPLAINT = "xylophone-shaped rash"
REVIEW = "marvellous-periwinkle-review"
RELAY = "relayed-tangerine-question"
SECRETS = (NAME, PHONE, COMPLAINT, REVIEW, RELAY)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path}/clinic.db", clock=ManualClock(NOW))
    try:
        yield opened
    finally:
        await opened.close()


def _on_disk(tmp_path: Path) -> bytes:
    """The database file and its write-ahead log, as anyone with the disk could read them."""
    files = [tmp_path / "clinic.db", tmp_path / "clinic.db-wal"]
    return b"".join(path.read_bytes() for path in files if path.exists())


async def _patient_with_history(storage: Storage) -> int:
    """A request, a review and a relayed question, each delivered to the manager chat."""
    request = NewRequest(
        user_id=PATIENT,
        locale="en",
        service_id=None,
        name=NAME,
        phone=PHONE,
        preferred_time="morning",
        complaint=COMPLAINT,
        consent_version="v1",
        consented_at=NOW,
    )

    def request_card(request_id: int) -> OutboxMessage:
        text = f"#{request_id} {NAME} {PHONE} {COMPLAINT}"
        return OutboxMessage("request", request_id, CHAT, None, text, patient_id=PATIENT)

    def review_card(review_id: int) -> OutboxMessage:
        return OutboxMessage(
            "review", review_id, CHAT, None, f"{NAME}: {REVIEW}", patient_id=PATIENT
        )

    request_id = await storage.requests.create_request(request, request_card)
    await storage.reviews.create_review(NewReview(PATIENT, NAME, 5, REVIEW, "en"), review_card)
    await storage.outbox.enqueue(
        OutboxMessage("relay", 1, CHAT, None, f"{NAME}: {RELAY}", patient_id=PATIENT)
    )
    await storage.forms.save_fsm_data(f"1:{PATIENT}:{PATIENT}:::default", {"name": NAME})
    for offset, pending in enumerate(await storage.outbox.due_outbox(NOW, 10)):
        await storage.outbox.mark_outbox_sent(pending.id, 1000 + offset)
    on_disk = _on_disk(storage_path(storage))
    assert all(secret.encode() in on_disk for secret in SECRETS)  # the test sees them
    return request_id


def storage_path(storage: Storage) -> Path:
    database = storage.database.engine.url.database
    assert database is not None
    return Path(database).parent


def _erased_notice(request_id: int) -> OutboxMessage:
    return OutboxMessage("erased", request_id, CHAT, None, f"#{request_id} erased")


async def test_forget_leaves_nothing_in_the_database_file_or_its_log(storage: Storage) -> None:
    await _patient_with_history(storage)
    await storage.patients.forget(PATIENT, _erased_notice)
    on_disk = _on_disk(storage_path(storage))
    assert [secret for secret in SECRETS if secret.encode() in on_disk] == []


async def test_forget_during_a_long_read_still_clears_the_log(storage: Storage) -> None:
    """An export holding its snapshot while the patient erases: once it ends, the log goes."""
    await _patient_with_history(storage)
    export = storage.requests.iter_requests(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (await anext(export)).name == NAME  # the export's snapshot is held from here

    async def finish_export() -> None:
        await asyncio.sleep(0.2)
        assert [row async for row in export] == []

    await asyncio.gather(storage.patients.forget(PATIENT, _erased_notice), finish_export())
    on_disk = _on_disk(storage_path(storage))
    assert [secret for secret in SECRETS if secret.encode() in on_disk] == []


async def test_retention_leaves_nothing_in_the_database_file_or_its_log(
    storage: Storage,
) -> None:
    request_id = await _patient_with_history(storage)
    await storage.requests.change_request_status(
        request_id, RequestStatus.NEW, RequestStatus.BOOKED, 1, "Olga"
    )
    assert await storage.patients.erase_expired(NOW + timedelta(days=1)) == [request_id]
    on_disk = _on_disk(storage_path(storage))
    # The request and the relayed question expire; the review is the clinic's to keep.
    expired = (PHONE, COMPLAINT, RELAY)
    assert [secret for secret in expired if secret.encode() in on_disk] == []

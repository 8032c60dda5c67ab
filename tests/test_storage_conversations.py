"""Which manager-chat message a patient's new question is threaded under, on both backends."""

from __future__ import annotations

from storage import Storage
from storage.models import OutboxMessage
from tests import test_storage as storage_tests
from tests.test_storage import CHAT, NOW, _card, _request, _review

pytest_plugins = ("tests.pg",)

# The same databases as tests/test_storage.py: SQLite and PostgreSQL.
repository_factory = storage_tests.repository_factory
clock = storage_tests.clock
repo = storage_tests.repo


async def test_latest_message_of_a_kind_skips_newer_reviews_and_relays(repo: Storage) -> None:
    request_id = await repo.requests.create_request(_request(), _card("request", patient_id=10))
    await repo.reviews.create_review(_review(user_id=10), _card("review", patient_id=10))
    await repo.outbox.enqueue(
        OutboxMessage("relay", 7, CHAT, None, "вопрос", patient_id=10, patient_name="Анна")
    )
    due = await repo.outbox.due_outbox(NOW, 10)
    assert [row.message.kind for row in due] == ["request", "review", "relay"]
    for offset, row in enumerate(due):
        await repo.outbox.mark_outbox_sent(row.id, 601 + offset)

    newest = await repo.conversations.latest_manager_message(10, CHAT)
    assert newest is not None and newest.kind == "relay" and newest.message_id == 603
    card = await repo.conversations.latest_manager_message(10, CHAT, kind="request")
    assert card is not None
    assert (card.message_id, card.ref_id) == (601, request_id)
    review = await repo.conversations.latest_manager_message(10, CHAT, kind="review")
    assert review is not None and review.message_id == 602
    assert await repo.conversations.latest_manager_message(11, CHAT, kind="request") is None
    assert await repo.conversations.latest_manager_message(10, CHAT + 1, kind="request") is None

"""The SQLite repository on real files: migrations, transactions with the outbox, persistence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import CardRenderer, SqliteRepository, open_repository
from storage.migrations import MIGRATIONS
from storage.models import NewRequest, NewReview, OutboxMessage, ReviewStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _request(name: str = "Анна") -> NewRequest:
    return NewRequest(
        user_id=10,
        locale="ru",
        service_id="consult",
        name=name,
        phone="+79161234567",
        preferred_time="утром",
        complaint=None,
        consent_version="v1",
        consented_at=NOW,
    )


def _card(kind: str) -> CardRenderer:
    def render(ref_id: int) -> OutboxMessage:
        return OutboxMessage(
            kind=kind, ref_id=ref_id, chat_id=-100, thread_id=None, text=f"#{ref_id}"
        )

    return render


async def test_schema_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    repo = open_repository(f"sqlite:///{tmp_path}/nested/dir/clinic.db")
    await repo.open()
    try:
        assert await repo.schema_version() == len(MIGRATIONS)
    finally:
        await repo.close()
    with sqlite3.connect(tmp_path / "nested/dir/clinic.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_request_and_its_card_are_written_together(tmp_path: Path) -> None:
    repo = SqliteRepository(tmp_path / "db.sqlite", clock=lambda: NOW)
    await repo.open()
    try:
        request_id = await repo.create_request(_request(), _card("request"))
        stored = await repo.get_request(request_id)
        assert stored is not None and stored.name == "Анна" and stored.phone == "+79161234567"
        assert stored.consent_version == "v1" and stored.consented_at == NOW
        due = await repo.due_outbox(NOW, 10)
        assert [(p.message.kind, p.message.ref_id, p.message.text) for p in due] == [
            ("request", request_id, f"#{request_id}")
        ]
    finally:
        await repo.close()


async def test_failing_card_rolls_back_the_request(tmp_path: Path) -> None:
    repo = SqliteRepository(tmp_path / "db.sqlite", clock=lambda: NOW)
    await repo.open()

    def broken(_: int) -> OutboxMessage:
        raise RuntimeError("render failed")

    try:
        with pytest.raises(RuntimeError):
            await repo.create_request(_request(), broken)
        assert await repo.get_request(1) is None
        assert await repo.pending_outbox_count() == 0
        # The repository stays usable after the rollback.
        assert await repo.create_request(_request(), _card("request")) == 1
    finally:
        await repo.close()


async def test_outbox_keeps_order_and_backoff(tmp_path: Path) -> None:
    repo = SqliteRepository(tmp_path / "db.sqlite", clock=lambda: NOW)
    await repo.open()
    try:
        for _ in range(3):
            await repo.create_request(_request(), _card("request"))
        first, *_ = await repo.due_outbox(NOW, 10)
        await repo.mark_outbox_failed(first.id, "502", NOW + timedelta(seconds=30))
        # The first row is not due: nothing behind it may overtake it.
        assert await repo.due_outbox(NOW, 10) == []
        assert await repo.next_outbox_attempt() == NOW + timedelta(seconds=30)
        later = await repo.due_outbox(NOW + timedelta(seconds=31), 10)
        assert [p.message.ref_id for p in later] == [1, 2, 3]
        assert later[0].attempts == 1 and later[0].last_error == "502"
        await repo.mark_outbox_sent(later[0].id, 555)
        assert await repo.pending_outbox_count() == 2
    finally:
        await repo.close()


async def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    repo = SqliteRepository(path)
    await repo.open()
    await repo.set_user_locale(7, "en")
    await repo.create_request(_request("Ivan"), _card("request"))
    await repo.save_fsm_state("k", "BookingForm:name")
    await repo.save_fsm_data("k", {"service": "consult"})
    await repo.close()

    again = SqliteRepository(path)
    await again.open()
    try:
        assert await again.get_user_locale(7) == "en"
        assert (await again.get_request(1)).name == "Ivan"  # type: ignore[union-attr]
        assert await again.load_fsm("k") == ("BookingForm:name", {"service": "consult"})
        assert await again.pending_outbox_count() == 1
        assert await again.schema_version() == len(MIGRATIONS)
    finally:
        await again.close()


async def test_reviews_seeded_once_and_summarised(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    seed = [
        NewReview(user_id=None, author="Света", rating=5, text="a", locale="ru"),
        NewReview(user_id=None, author=None, rating=4, text="b", locale="ru"),
    ]
    for _ in range(2):
        repo = SqliteRepository(path)
        await repo.open()
        await repo.seed_reviews(seed)
        await repo.close()

    repo = SqliteRepository(path)
    await repo.open()
    try:
        summary = await repo.rating_summary()
        assert summary.count == 2 and summary.average == pytest.approx(4.5)
        pending_id = await repo.create_review(
            NewReview(user_id=9, author=None, rating=1, text="x", locale="en"),
            _card("review"),
        )
        # A new review waits for moderation: not counted, not listed.
        assert (await repo.rating_summary()).count == 2
        assert (await repo.get_review(pending_id)).status == ReviewStatus.PENDING  # type: ignore[union-attr]
        page = await repo.published_reviews(offset=0, limit=1)
        assert [r.text for r in page] == ["b"]
        assert [r.text for r in await repo.published_reviews(offset=1, limit=5)] == ["a"]
    finally:
        await repo.close()

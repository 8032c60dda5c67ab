"""Several storages on one database, as several bot processes would be.

The outbox is claimed with a lease: each due row goes to exactly one instance, a row whose
instance vanished comes back after the lease, a failure holds every instance up. Starting
together migrates once; seeding and status buttons stay single-winner. On PostgreSQL
(several instances of the bot) and on one SQLite file (its claim runs in the single
writer's transaction, with the same result).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage import Storage, open_storage
from storage.migrate import head_revision
from storage.models import NewRequest, NewReview, OutboxMessage, RequestStatus
from storage.repositories import OUTBOX_LEASE
from storage.schema import outbox

pytest_plugins = ("tests.pg",)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CHAT = -100


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def instances(database_url: str, clock: Clock) -> AsyncIterator[list[Storage]]:
    """Four bot processes' storages on one database, sharing one frozen clock."""
    async with AsyncExitStack() as stack:
        repos = []
        for _ in range(4):
            repo = await open_storage(database_url, clock=clock)
            stack.push_async_callback(repo.close)
            repos.append(repo)
        yield repos


def _message(ref_id: int) -> OutboxMessage:
    return OutboxMessage("relay", ref_id, CHAT, None, f"#{ref_id}")


async def _fill(repo: Storage, count: int) -> None:
    for ref_id in range(1, count + 1):
        await repo.outbox.enqueue(_message(ref_id))


async def test_every_due_row_is_claimed_by_exactly_one_instance(
    instances: list[Storage],
) -> None:
    await _fill(instances[0], 60)
    claims = await asyncio.gather(*(repo.outbox.due_outbox(NOW, 100) for repo in instances))
    ids = [pending.id for claim in claims for pending in claim]
    assert sorted(ids) == list(range(1, 61))  # each row once, none lost
    for claim in claims:  # each instance got its rows in order
        assert [p.id for p in claim] == sorted(p.id for p in claim)
    # Nobody can take them again while the lease lasts; the owner still sees its own.
    for repo, claim in zip(instances, claims, strict=True):
        assert [p.id for p in await repo.outbox.due_outbox(NOW, 100)] == [p.id for p in claim]


async def test_instances_draining_together_send_each_row_once(
    instances: list[Storage],
) -> None:
    await _fill(instances[0], 120)
    delivered: list[tuple[int, int]] = []

    async def drain(number: int, repo: Storage) -> None:
        message_id = number * 1000
        while batch := await repo.outbox.due_outbox(NOW, 7):
            for pending in batch:
                message_id += 1
                delivered.append((number, pending.id))
                await repo.outbox.mark_outbox_sent(pending.id, message_id)
                await asyncio.sleep(0)

    await asyncio.gather(*(drain(n, repo) for n, repo in enumerate(instances)))
    assert sorted(row for _, row in delivered) == list(range(1, 121))
    assert await instances[0].outbox.pending_outbox_count() == 0
    assert len({number for number, _ in delivered}) > 1  # the work was shared


async def test_an_unmarked_claim_comes_back_after_the_lease(
    instances: list[Storage], clock: Clock
) -> None:
    first, second, *_ = instances
    await _fill(first, 3)
    assert [p.id for p in await first.outbox.due_outbox(NOW, 10)] == [1, 2, 3]
    # The claiming process dies without marking anything.
    assert await second.outbox.due_outbox(NOW, 10) == []
    assert await second.outbox.next_outbox_attempt() == NOW + OUTBOX_LEASE
    assert await first.outbox.next_outbox_attempt() == NOW
    clock.now = NOW + OUTBOX_LEASE - timedelta(seconds=1)
    assert await second.outbox.due_outbox(clock.now, 10) == []
    clock.now = NOW + OUTBOX_LEASE
    retried = await second.outbox.due_outbox(clock.now, 10)
    assert [(p.id, p.attempts, p.next_attempt_at) for p in retried] == [
        (1, 0, NOW),
        (2, 0, NOW),
        (3, 0, NOW),
    ]
    # Now the second holds them; the first, if alive after all, keeps off.
    assert await first.outbox.due_outbox(clock.now, 10) == []
    await second.outbox.mark_outbox_sent(1, 11)
    await first.outbox.mark_outbox_sent(2, 12)  # a late answer of the first still counts
    assert await first.outbox.pending_outbox_count() == 1


async def test_progress_renews_the_lease_of_the_remaining_claims(
    instances: list[Storage], clock: Clock
) -> None:
    first, second, *_ = instances
    await _fill(first, 3)
    await first.outbox.due_outbox(NOW, 10)
    # Pacing: the first sends one message a while later, and is still at work.
    clock.now = NOW + timedelta(seconds=100)
    await first.outbox.mark_outbox_sent(1, 11)
    clock.now = NOW + OUTBOX_LEASE + timedelta(seconds=1)
    assert await second.outbox.due_outbox(clock.now, 10) == []
    clock.now = NOW + timedelta(seconds=100) + OUTBOX_LEASE
    assert [p.id for p in await second.outbox.due_outbox(clock.now, 10)] == [2, 3]


async def test_a_failure_holds_every_instance_up(instances: list[Storage], clock: Clock) -> None:
    first, second, *_ = instances
    await _fill(first, 3)
    await first.outbox.due_outbox(NOW, 10)
    await first.outbox.mark_outbox_failed(1, "502 Bad Gateway", NOW + timedelta(seconds=30))
    # The rows the first had claimed behind the failed one are free again, but not
    # before it: nobody may overtake the failed message.
    for repo in (first, second):
        assert await repo.outbox.due_outbox(NOW + timedelta(seconds=1), 10) == []
        assert await repo.outbox.next_outbox_attempt() == NOW + timedelta(seconds=30)
    clock.now = NOW + timedelta(seconds=30)
    again = await second.outbox.due_outbox(clock.now, 10)
    assert [(p.id, p.attempts, p.last_error) for p in again] == [
        (1, 1, "502 Bad Gateway"),
        (2, 0, None),
        (3, 0, None),
    ]
    assert await first.outbox.due_outbox(clock.now, 10) == []


async def test_a_stopping_instance_gives_its_claims_back(
    database_url: str, instances: list[Storage]
) -> None:
    leaving = await open_storage(database_url, clock=lambda: NOW)
    await _fill(leaving, 2)
    assert len(await leaving.outbox.due_outbox(NOW, 10)) == 2
    await leaving.close()
    assert [p.id for p in await instances[0].outbox.due_outbox(NOW, 10)] == [1, 2]


async def test_leases_are_visible_to_operators(instances: list[Storage]) -> None:
    await _fill(instances[1], 1)
    await instances[1].outbox.due_outbox(NOW, 10)
    async with instances[0].database.read() as connection:
        row = (
            await connection.execute(
                select(outbox.c.lease_owner, outbox.c.lease_until).where(outbox.c.id == 1)
            )
        ).one()
    assert tuple(row) == (instances[1].outbox.owner, NOW + OUTBOX_LEASE)


async def test_processes_starting_together_migrate_once(database_url: str) -> None:
    repos = await asyncio.gather(*(open_storage(database_url) for _ in range(5)))
    try:
        seeded = await asyncio.gather(
            *(
                repo.reviews.seed_reviews([NewReview(None, "Света", 5, "a", "ru")] * 3)
                for repo in repos
            )
        )
        assert sorted(seeded) == [False] * 4 + [True]
        assert (await repos[0].reviews.rating_summary()).count == 3
        for repo in repos:
            assert await repo.database.schema_revision() == head_revision()
        async with repos[0].database.read() as connection:
            versions = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert versions.all() == [(head_revision(),)]
    finally:
        for repo in repos:
            await repo.close()


async def test_status_buttons_of_different_instances_apply_once(
    instances: list[Storage],
) -> None:
    request = NewRequest(10, "ru", None, "Анна", "+7916", "утром", None, "v1", NOW)
    request_id = await instances[0].requests.create_request(request, _message)
    changes = await asyncio.gather(
        *(
            repo.requests.change_request_status(
                request_id, RequestStatus.NEW, RequestStatus.TAKEN, n, f"staff {n}"
            )
            for n, repo in enumerate(instances)
        )
    )
    winners = [change for change in changes if change is not None and change.applied]
    assert len(winners) == 1
    assert all(change is not None and change.current == RequestStatus.TAKEN for change in changes)
    assert len(await instances[1].requests.request_events(request_id)) == 1

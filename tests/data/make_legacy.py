"""Databases written by the release before SQLAlchemy, for the carry-over tests.

Run against release b3d4907 to regenerate (its hand-written SQLite and PostgreSQL backends):

    git worktree add /tmp/legacy-code b3d4907
    cd /tmp/legacy-code && /work/main/.venv/bin/python /work/main/tests/data/make_legacy.py \
        --out /work/main/tests/data

It writes `legacy_v5.sqlite` (SqliteRepository, schema version 5) and, when PostgreSQL's
binaries are installed, `legacy_postgres.sql` (PostgresRepository on a throwaway server,
`pg_dump --inserts --no-owner`). Both hold the same rows, made at fixed times.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))  # the release's code, not this checkout's

from storage.models import (
    NewRequest,
    NewReview,
    OutboxMessage,
    RequestStatus,
    ReviewStatus,
)

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
CHAT = -1001


class StepClock:
    """Every reading is one minute after the previous one: rows get distinct, known times."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _card(kind: str, patient_id: int, name: str) -> Any:
    def render(ref_id: int) -> OutboxMessage:
        return OutboxMessage(
            kind=kind,
            ref_id=ref_id,
            chat_id=CHAT,
            thread_id=7,
            text=f"{kind} #{ref_id} from {name}",
            reply_markup='{"inline_keyboard": []}',
            patient_id=patient_id,
            patient_name=name,
        )

    return render


async def fill(repo: Any) -> None:
    """The same rows in every table, whichever backend `repo` is."""
    await repo.open()
    try:
        for user_id, locale in ((101, "ru"), (102, "en"), (103, "ru")):
            await repo.set_user_locale(user_id, locale)
        statuses = [RequestStatus.NEW, RequestStatus.TAKEN, RequestStatus.BOOKED]
        for number in range(6):
            user_id = 101 + number % 3
            name = f"Patient {number}"
            request_id = await repo.create_request(
                NewRequest(
                    user_id=user_id,
                    locale="ru",
                    service_id="consult" if number % 2 else None,
                    name=name,
                    phone=f"+7916000000{number}",
                    preferred_time="morning",
                    complaint=f"complaint {number}" if number % 2 else None,
                    consent_version="v1",
                    consented_at=START + timedelta(hours=number),
                ),
                _card("request", user_id, name),
            )
            previous = RequestStatus.NEW
            for status in statuses[1 : 1 + number % 3]:
                await repo.change_request_status(request_id, previous, status, 900, "Olga")
                previous = status
        await repo.seed_reviews(
            [NewReview(user_id=None, author="Clinic", rating=5, text="Seeded", locale="ru")]
        )
        for number, status in enumerate(ReviewStatus):
            review_id = await repo.create_review(
                NewReview(
                    user_id=101 + number,
                    author=f"Author {number}",
                    rating=3 + number,
                    text=f"review {number}",
                    locale="ru",
                ),
                _card("review", 101 + number, f"Author {number}"),
            )
            if status is not ReviewStatus.PENDING:
                await repo.moderate_review(review_id, status, "Olga")
        await repo.enqueue(
            OutboxMessage(
                kind="relay",
                ref_id=0,
                chat_id=CHAT,
                thread_id=None,
                text="a photo",
                patient_id=102,
                thread_under_patient=True,
                copy_chat_id=102,
                copy_message_id=55,
                patient_name="Patient 1",
            )
        )
        # The first five rows were delivered, the sixth failed once; the rest wait.
        pending = await repo.due_outbox(START + timedelta(days=1), 100)
        for offset, message in enumerate(pending[:5]):
            await repo.mark_outbox_sent(message.id, 5000 + offset)
        await repo.mark_outbox_failed(
            pending[5].id, "Too Many Requests", START + timedelta(hours=2)
        )
        await repo.set_patient_topic(101, 4242)
        await repo.set_banned(103, 900)
        await repo.add_audit(900, "Olga", "ban", "103")
        await repo.add_audit(900, "Olga", "export", "requests")
        await repo.save_fsm_state("1:101:101:::default", "Form:phone")
        await repo.save_fsm_data("1:101:101:::default", {"name": "Patient 0"})
        await repo.reserve_send_slot(CHAT, 20, 60.0)
        await repo.reserve_send_slot(CHAT, 20, 60.0)
    finally:
        await repo.close()


def make_sqlite(out: Path) -> None:
    from storage.sqlite import SqliteRepository

    path = out / "legacy_v5.sqlite"
    path.unlink(missing_ok=True)
    asyncio.run(fill(SqliteRepository(path, clock=StepClock())))
    import sqlite3

    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        raw.execute("VACUUM")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def make_postgres(out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from storage.postgres import PostgresRepository
    from tests.pg import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        print("no PostgreSQL binaries: legacy_postgres.sql not written")
        return
    server = PostgresServer(bindir)
    server.start()
    try:
        name = server.create_database()
        asyncio.run(fill(PostgresRepository(server.dsn(name), clock=StepClock())))
        dump = subprocess.run(
            [
                str(bindir / "pg_dump"),
                "--inserts",
                "--no-owner",
                "--no-privileges",
                server.dsn(name),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        (out / "legacy_postgres.sql").write_text(dump.stdout)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    make_sqlite(args.out)
    make_postgres(args.out)


if __name__ == "__main__":
    main()

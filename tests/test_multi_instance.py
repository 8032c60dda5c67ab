"""Two bot processes on one PostgreSQL and one Bot API server: every card exactly once, and the
manager chat's pace holds for both together.

No assertion depends on timing. The emulated Telegram enforces the (compressed) group limit
by the times it receives requests, and the bots retry what it refuses; that nothing was
refused is not asserted, because compressed 60 times the margin of the pace is a few tenths of
a second, which a loaded machine can eat between a slot and its request. What is asserted is
the pace itself, shared by both processes: every slot they took in the database, kept by a
trigger, and no window of the pace holding more than its limit of them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.pacing import SendPace
from bot.preview.emulator import TEST_TOKEN, FakeTelegramServer
from storage import open_storage
from storage.models import NewRequest, OutboxMessage
from tests.conftest import MANAGER_CHAT_ID
from tests.e2e import manager_cards
from tests.servers import free_port

pytest_plugins = ("tests.pg",)

ROOT = Path(__file__).resolve().parent.parent
BURST = 120
LIMIT, WINDOW = 20, 1.0  # Telegram's 20 a minute, compressed 60 times
# The window the bots are told. They count it 10 % longer still; in production that tenth
# of a minute (6 s) dwarfs the delay between taking a slot and Telegram receiving the
# request, but compressed 60 times it is 0.1 s, which two busy processes on a loaded
# machine can eat. Telling them a longer window keeps the same distance from the edge.
BOT_WINDOW = 1.2


class GroupLimit:
    """At most LIMIT posts into the manager chat in any WINDOW, by the server's receive times;
    beyond that a 429, as Telegram answers."""

    def __init__(self) -> None:
        self.refused = 0
        self._recent: deque[float] = deque()

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method.lower() != "sendmessage" or params.get("chat_id") != MANAGER_CHAT_ID:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= WINDOW:
            self._recent.popleft()
        if len(self._recent) < LIMIT:
            self._recent.append(now)
            return None
        self.refused += 1
        body = {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        return 429, body


# Every slot the bots take in the send log (which forgets them after a window), kept.
KEEP_SEND_LOG = (
    "CREATE TABLE send_log_kept (chat_id BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL)",
    """CREATE FUNCTION keep_send_log() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO send_log_kept (chat_id, at) VALUES (NEW.chat_id, NEW.at);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER keep_send_log AFTER INSERT ON send_log
    FOR EACH ROW EXECUTE FUNCTION keep_send_log()""",
)


async def _slots_taken(dsn: str) -> list[datetime]:
    storage = await open_storage(dsn)
    try:
        async with storage.database.transaction() as connection:
            rows = await connection.execute(
                text("SELECT at FROM send_log_kept WHERE chat_id = :chat ORDER BY at"),
                {"chat": MANAGER_CHAT_ID},
            )
            return [row.at for row in rows]
    finally:
        await storage.close()


def _delivered_per_process(folder: Path) -> list[int]:
    return [
        log.read_text(encoding="utf-8").count("Delivered request")
        for log in sorted(folder.glob("bot-*.log"))
    ]


def _start_instance(
    telegram: FakeTelegramServer, dsn: str, folder: Path
) -> subprocess.Popen[bytes]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MANAGER_"))},
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TEST_TOKEN,
        "MANAGER_CHAT_ID": str(MANAGER_CHAT_ID),
        "TELEGRAM_API_URL": telegram.base_url,
        "DATABASE_URL": dsn,
        "WEBHOOK_URL": f"https://127.0.0.1:{port}",
        "WEBHOOK_SECRET": "multi-instance",
        "WEB_PORT": str(port),
        "OUTBOX_POLL_SECONDS": "0.2",
        "OUTBOX_CHAT_LIMIT": str(LIMIT),
        "OUTBOX_CHAT_WINDOW_SECONDS": str(BOT_WINDOW),
    }
    log = (folder / f"bot-{port}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
    )


async def test_two_processes_deliver_a_burst_exactly_once(
    telegram: FakeTelegramServer, postgres_dsn: str, tmp_path: Path
) -> None:
    limit = GroupLimit()
    telegram.responder = limit
    processes = [_start_instance(telegram, postgres_dsn, tmp_path) for _ in range(2)]
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while len(telegram.calls_of("setWebhook")) < 2:
            assert loop.time() < deadline, tmp_path / "bot.log"
            assert all(p.poll() is None for p in processes), "a bot process died"
            await asyncio.sleep(0.1)

        storage = await open_storage(postgres_dsn)
        try:
            async with storage.database.transaction() as connection:
                for statement in KEEP_SEND_LOG:
                    await connection.execute(text(statement))
            for number in range(BURST):
                request = NewRequest(
                    1000 + number,
                    "ru",
                    None,
                    f"Пациент {number}",
                    "+79160000000",
                    "утром",
                    None,
                    "v",
                    datetime.now(UTC),
                )

                def card(request_id: int) -> OutboxMessage:
                    return OutboxMessage(
                        "request", request_id, MANAGER_CHAT_ID, None, f"card {request_id}"
                    )

                await storage.requests.create_request(request, card)
        finally:
            await storage.close()

        deadline = loop.time() + 60
        while sum(_delivered_per_process(tmp_path)) < BURST:
            assert loop.time() < deadline, len(manager_cards(telegram, MANAGER_CHAT_ID))
            await asyncio.sleep(0.1)
        # Every card is recorded as sent: a copy posted twice would be in flight by now.
        await telegram.wait_idle()

        cards = manager_cards(telegram, MANAGER_CHAT_ID)
        counts = Counter(card["text"] for card in cards)
        assert len(counts) == BURST
        assert max(counts.values()) == 1
        # Both processes took part, and between them delivered each card once.
        delivered = _delivered_per_process(tmp_path)
        assert len(delivered) == 2
        assert all(count > 0 for count in delivered), delivered
        assert sum(delivered) == BURST
        # The two together kept one pace: at most LIMIT slots in any window the bots count.
        slots = await _slots_taken(postgres_dsn)
        assert len(slots) >= BURST
        window = timedelta(seconds=BOT_WINDOW * (1 + SendPace().margin))
        for first, last in zip(slots, slots[LIMIT:], strict=False):
            assert last - first >= window, (first, last)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)

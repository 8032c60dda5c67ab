"""Export under load: patients' reply time while a large /export runs, against idle.

clinic-bot as `Application.create` assembles it, on a SQLite database of `--requests`
requests (bench/storage_scale.py's `build`: 1,000 a day, a tenth as many reviews); the Bot
API answered in-process (`bench.memory.CannedSession`, no network). Patients arrive
open-loop at `--rate` updates a second (each a fresh task, as polling hands them out), half
of them opening the bot, half typing a question that is relayed to the managers (a write).
A patient's reply time is the time `Dispatcher.feed_update` takes for their update.

First `--idle` seconds of patients alone; then an admin's `/export requests` over every
day (the whole table: the zip is built and sent through the canned session) with patients
arriving until the export is done. Printed: p50/p99 of both phases, their ratio, the
export's duration. Goal (issue 16): p99 during the export within 2x of idle.

    .venv/bin/python -m bench.export_load [--requests 200000] [--rate 20] [--idle 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bench.memory import (
    FIRST_PATIENT_ID,
    MANAGER_CHAT_ID,
    TOKEN,
    CannedSession,
    Patients,
    canned_bot,
)

ADMIN_ID = 4242
QUESTION = "Здравствуйте, можно ли прийти завтра утром?"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _summary(seconds: list[float]) -> dict[str, float]:
    return {
        "updates": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 2),
        "p99_ms": round(_percentile(seconds, 0.99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


class OpenLoop:
    """Patients' updates at a fixed rate, whatever the bot's speed; each reply timed."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, rate: float) -> None:
        self._dispatcher = dispatcher
        self._bot = bot
        self._interval = 1.0 / rate
        self._patients = Patients()
        self._next_patient = FIRST_PATIENT_ID
        self._tasks: set[asyncio.Task[None]] = set()

    async def _one(self, update: Update, into: list[float]) -> None:
        started = time.perf_counter()
        await self._dispatcher.feed_update(self._bot, update)
        into.append(time.perf_counter() - started)

    def _update(self, sequence: int) -> Update:
        if sequence % 2 == 0:
            self._next_patient += 1
            return self._patients.text(self._next_patient, "/start")
        return self._patients.text(self._next_patient, QUESTION)

    async def run(self, until: asyncio.Future[Any] | float) -> list[float]:
        """Offer updates until `until` (a future done, or a number of seconds) has passed."""
        seconds: list[float] = []
        started = time.perf_counter()
        sequence = 0
        while True:
            if isinstance(until, float) and time.perf_counter() - started >= until:
                break
            if isinstance(until, asyncio.Future) and until.done():
                break
            task = asyncio.create_task(self._one(self._update(sequence), seconds))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            sequence += 1
            # Open loop: the schedule, not the replies, sets the next arrival.
            delay = started + sequence * self._interval - time.perf_counter()
            await asyncio.sleep(max(delay, 0.0))
        await asyncio.gather(*self._tasks)
        return seconds


async def measure(database: Path, rate: float, idle: float) -> dict[str, Any]:
    from bot.app import Application
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        manager_chat_id=MANAGER_CHAT_ID,
        database_url=f"sqlite:///{database}",
        admin_ids=(ADMIN_ID,),
        throttle_limit=10_000,
    )
    application = await Application.create(settings)
    await application.bot.session.close()  # its own transport is not used
    bot = canned_bot()
    dispatcher = application.dispatcher
    load = OpenLoop(dispatcher, bot, rate)
    try:
        await load.run(2.0)  # warm-up: connections opened, code paths compiled
        quiet = await load.run(idle)
        admin = Patients()
        admin.update_id = 10**8
        export_started = time.perf_counter()
        export = asyncio.ensure_future(
            dispatcher.feed_update(bot, admin.text(ADMIN_ID, "/export requests"))
        )
        busy = await load.run(export)
        await export
        export_seconds = time.perf_counter() - export_started
        session = bot.session
        assert isinstance(session, CannedSession)
        documents = session.calls["sendDocument"]
    finally:
        await bot.session.close()
        await application.close()
    idle_summary, busy_summary = _summary(quiet), _summary(busy)
    return {
        "offered_updates_per_second": rate,
        "idle": idle_summary,
        "during_export": busy_summary,
        "export_seconds": round(export_seconds, 1),
        "export_documents_sent": documents,
        "p99_ratio": round(busy_summary["p99_ms"] / idle_summary["p99_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--idle", type=float, default=15.0)
    arguments = parser.parse_args()
    from bench.storage_scale import build

    with tempfile.TemporaryDirectory() as workdir:
        database = Path(workdir) / "clinic.db"
        built = build(database, arguments.requests)
        result = {
            "requests_in_database": arguments.requests,
            "database_built_seconds": round(built, 1),
            **asyncio.run(measure(database, arguments.rate, arguments.idle)),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Storage at scale: /requests, /stats and /export with 10k, 100k and 1M requests.

The database is built by the storage itself (`storage.upgrade_database`: every migration and
index), then filled in one transaction with `executemany`. Requests arrive at a constant rate
(REQUESTS_PER_DAY, the newest one "now"), so a 7-day /stats window holds about the same
number of rows at every size - as it would for a clinic that has simply been running longer.
Reviews come at a tenth of that rate.

Each measurement runs in a fresh subprocess (`python -m bench.storage_scale probe ...`),
so the export's peak memory (VmHWM) is that of a process doing only that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PAGE_SIZE = 10  # bot/handlers/staff_tools.py
# Staff screens and the export show times in the clinic's zone: the default CLINIC_TIMEZONE.
CLINIC_ZONE = ZoneInfo("Europe/Moscow")
REQUESTS_PER_DAY = 1_000
REVIEWS_PER_REQUEST = 0.1
SERVICES = ("consult", "cycle1", "cycle2", "session", "massage", "taping_simple", None)
CLOSED = ("booked",) * 8 + ("called",) * 4 + ("noanswer",) * 3 + ("cancelled",) * 3 + ("spam",)
CONSENT_VERSION = "2026-11-25"
FIRST_NAMES = ("Мария", "Анна", "Ольга", "Ivan", "Пётр", "Светлана", "Kate", "Елена")
LAST_NAMES = ("Петрова", "Иванова", "Smith", "Сидоров", "Кузнецова", "Orlov")
TIMES = ("Утром (9:00–12:00)", "Днём (12:00–17:00)", "Вечером (17:00–20:00)", "после 18:00")
COMPLAINTS = (
    None,
    "Болит стопа после бега",
    "Хруст в суставах, боль при ходьбе по лестнице",
    "Остеопороз, денситометрия два года назад, принимаю кальций",
    "Pain in the heel in the morning",
)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _request_rows(count: int, now: datetime, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    step = timedelta(days=1) / REQUESTS_PER_DAY
    for index in range(count):
        created = now - step * (count - 1 - index)
        age_days = (now - created).days
        status = rng.choice(("new", "new", "taken")) if age_days < 3 else rng.choice(CLOSED)
        created_text = _stamp(created)
        yield (
            100_000 + rng.randrange(count),
            "en" if index % 4 == 3 else "ru",
            rng.choice(SERVICES),
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            f"+7916{rng.randrange(10_000_000):07d}",
            rng.choice(TIMES),
            rng.choice(COMPLAINTS),
            CONSENT_VERSION,
            created_text,
            status,
            created_text,
        )


def _review_rows(count: int, now: datetime, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    step = timedelta(days=1) / (REQUESTS_PER_DAY * REVIEWS_PER_REQUEST)
    for index in range(count):
        created = now - step * (count - 1 - index)
        yield (
            100_000 + rng.randrange(10 * count + 1),
            rng.choice(("Мария", "Kate", None)),
            rng.choice((3, 4, 5, 5, 5)),
            rng.choice(("Спасибо врачам!", "Всё понравилось", None)),
            "ru",
            rng.choice(("published", "published", "pending", "hidden")),
            _stamp(created),
        )


def build(path: Path, requests: int, *, seed: int = 7) -> float:
    """A database with `requests` requests (and a tenth as many reviews); returns seconds."""
    from storage import upgrade_database

    started = time.perf_counter()
    asyncio.run(upgrade_database(f"sqlite:///{path}"))
    now = datetime.now(UTC)
    rng = random.Random(seed)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO requests (user_id, locale, service_id, name, phone, preferred_time, "
            "complaint, consent_version, consented_at, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _request_rows(requests, now, rng),
        )
        db.executemany(
            "INSERT INTO reviews (user_id, author, rating, text, locale, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            _review_rows(int(requests * REVIEWS_PER_REQUEST), now, rng),
        )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return time.perf_counter() - started


# --------------------------------------------------------------------------- probes


async def _timed(
    action: Callable[[], Awaitable[object]], repeats: int
) -> tuple[float, float, float]:
    """(first run, median, max) of `repeats` further runs, in seconds."""
    started = time.perf_counter()
    await action()
    first = time.perf_counter() - started
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        runs.append(time.perf_counter() - started)
    return first, statistics.median(runs), max(runs)


async def _probe_queries(path: Path, repeats: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot import staff_views
    from bot.content import CONTENT_DIR, load_content
    from bot.i18n import load_translations
    from bot.settings import SUPPORTED_LOCALES
    from storage import open_storage
    from storage.models import RequestStatus
    from storage.schema import requests

    content = load_content(CONTENT_DIR, SUPPORTED_LOCALES)
    t = load_translations(CONTENT_DIR, SUPPORTED_LOCALES, "ru").get("ru")
    storage = await open_storage(f"sqlite:///{path}")
    try:
        async with storage.database.read() as connection:
            middle = int(await connection.scalar(select(func.max(requests.c.id))) or 0) // 2

        def requests_page(status: str, before: int | None) -> Callable[[], Awaitable[object]]:
            # What the /requests handler (and its "older" button) computes: a page of
            # PAGE_SIZE, its text, and whether there are newer and older pages.
            async def page() -> str:
                rows = await storage.requests.list_requests(
                    RequestStatus(status) if status else None, before_id=before, limit=PAGE_SIZE
                )
                text = staff_views.requests_page(
                    t, content.for_locale("ru"), status, rows, CLINIC_ZONE
                )
                if rows:
                    await storage.requests.has_newer_or_older(
                        status or None, (rows[0].id, rows[-1].id)
                    )
                return text

            return page

        def stats(days: int) -> Callable[[], Awaitable[object]]:
            # /stats (N days): the query and the rendering of the answer.
            async def answer() -> str:
                data = await storage.requests.stats(datetime.now(UTC) - timedelta(days=days))
                return staff_views.stats(t, content.for_locale("ru"), days, data)

            return answer

        results: dict[str, Any] = {}
        for name, action in (
            ("requests_page", requests_page("", None)),
            ("requests_page_new", requests_page("new", None)),
            ("requests_page_deep", requests_page("", middle)),
            ("requests_page_booked_deep", requests_page("booked", middle)),
            ("stats_7d", stats(7)),
            # Ten years: the daily aggregates (revision 0006) answer it as fast as a week.
            ("stats_3650d", stats(3650)),
        ):
            results[name] = await _timed(action, repeats)
        return results
    finally:
        await storage.close()


async def _probe_export(path: Path) -> dict[str, Any]:
    import psutil

    from bot.content import CONTENT_DIR, load_content
    from bot.services.export import write_requests
    from bot.settings import SUPPORTED_LOCALES
    from storage import open_storage

    local = load_content(CONTENT_DIR, SUPPORTED_LOCALES).for_locale("ru")

    def service_name(service_id: str | None) -> str:
        service = local.service(service_id) if service_id else None
        return service.name if service else ""

    storage = await open_storage(f"sqlite:///{path}")
    baseline = psutil.Process().memory_info().rss
    try:
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "requests.csv"
            # The /export handler's defaults: from 2000-01-01 to tomorrow.
            start = datetime(2000, 1, 1, tzinfo=UTC)
            end = datetime.now(UTC) + timedelta(days=1)
            started = time.perf_counter()
            count = await write_requests(
                storage.requests.iter_requests(start, end), target, service_name, CLINIC_ZONE
            )
            seconds = time.perf_counter() - started
            size = target.stat().st_size
    finally:
        await storage.close()
    return {
        "rows": count,
        "seconds": seconds,
        "csv_bytes": size,
        "rss_before": baseline,
        "peak_rss": _peak_rss(),
    }


def _peak_rss() -> int:
    """This process's peak RSS in bytes.

    VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from the RSS of the process
    that forked it (here the benchmark itself, with aiogram loaded).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _probe_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage_scale probe")
    parser.add_argument("what", choices=("queries", "export"))
    parser.add_argument("db", type=Path)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    if args.what == "queries":
        result = asyncio.run(_probe_queries(args.db, args.repeats))
    else:
        result = asyncio.run(_probe_export(args.db))
    print(json.dumps(result))
    return 0


def _run_probe(what: str, db: Path, repeats: int) -> dict[str, Any]:
    from bench.load import REPO_ROOT

    output = subprocess.run(
        [
            *(sys.executable, "-m", "bench.storage_scale", "probe", what, str(db)),
            *("--repeats", str(repeats)),
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


@dataclass
class ScaleResult:
    rows: int
    build_seconds: float
    db_bytes: int
    requests_page: float  # median seconds, first page, no filter (the /requests handler)
    requests_page_new: float
    requests_page_deep: float
    requests_page_booked_deep: float
    stats_7d: float
    stats_7d_first: float
    stats_3650d: float
    export_seconds: float
    export_rss_before: int
    export_peak_rss: int
    export_csv_bytes: int


def measure(sizes: list[int], folder: Path, *, repeats: int = 20) -> list[ScaleResult]:
    results = []
    for rows in sizes:
        path = folder / f"scale-{rows}.db"
        build_seconds = build(path, rows)
        db_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
        queries = _run_probe("queries", path, repeats)
        export = _run_probe("export", path, repeats)
        results.append(
            ScaleResult(
                rows=rows,
                build_seconds=build_seconds,
                db_bytes=db_bytes,
                requests_page=queries["requests_page"][1],
                requests_page_new=queries["requests_page_new"][1],
                requests_page_deep=queries["requests_page_deep"][1],
                requests_page_booked_deep=queries["requests_page_booked_deep"][1],
                stats_7d=queries["stats_7d"][1],
                stats_7d_first=queries["stats_7d"][0],
                stats_3650d=queries["stats_3650d"][1],
                export_seconds=export["seconds"],
                export_rss_before=export["rss_before"],
                export_peak_rss=export["peak_rss"],
                export_csv_bytes=export["csv_bytes"],
            )
        )
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        print(
            f"  storage: {rows:>9,} rows built in {build_seconds:5.1f} s, "
            f"export {export['seconds']:5.1f} s",
            flush=True,
        )
    return results


def as_dicts(results: list[ScaleResult]) -> list[dict[str, Any]]:
    return [asdict(result) for result in results]


def _measure_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storage_scale measure",
        description="Build SQLite databases of these sizes and time /requests, /stats, /export "
        "on each (1M rows: ~1 GB of disk and a few minutes).",
    )
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated row counts")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(json.dumps(as_dicts(measure(sizes, args.dir, repeats=args.repeats)), indent=1))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["probe"]:
        sys.exit(_probe_main(sys.argv[2:]))
    if sys.argv[1:2] == ["measure"]:
        sys.exit(_measure_main(sys.argv[2:]))
    print(
        "usage: python -m bench.storage_scale {measure [--sizes N,N] | probe {queries,export} DB}",
        file=sys.stderr,
    )
    sys.exit(2)

"""The benchmark's command line: `python -m bench [--curve] [--quick] ...`.

1. Load: the emulated Bot API in this process, clinic-bot (`python -m bot`, fresh SQLite
   database) and a bare aiogram bot (`python -m bench.bare_bot`) each in its own process,
   each polling its own emulated server. For every concurrency level both bots get the
   same sessions, alternately:
   * capacity: every patient acts again as soon as the answer arrives (no pauses); the
     updates handled per second are the bot's throughput;
   * paced: patients pause between actions (uniformly 0.5x..1.5x of --think seconds), the
     latency a patient sees when the bot is busy but not overrun.
   With `--before PATH` (a worktree of an earlier release) that release runs too, as a
   third bot ("before": `python -m bot` imported from PATH, its own emulated server and
   database), in turn with the other two, and a before/after table is added.
2. Storage at scale: /requests, /stats and /export at 10k, 100k and 1M requests.
3. A table, the ratios, the targets; JSON and a PNG plot in bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.load import (
    EARLIER_RELEASE_SESSIONS,
    MANAGER_CHAT_ID,
    STEPS_PER_SESSION,
    BotProcess,
    LevelResult,
    Tracker,
    run_level,
)
from bench.storage_scale import ScaleResult, as_dicts, measure
from bot.preview.emulator import FakeTelegramServer

CURVE = (1, 10, 50, 200, 500)
QUICK_CURVE = (1, 10, 50)
STORAGE_SIZES = (10_000, 100_000, 1_000_000)
QUICK_STORAGE_SIZES = (1_000, 10_000, 50_000)
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MB = 1024 * 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load and storage benchmark of clinic-bot against a bare aiogram bot.",
    )
    parser.add_argument(
        "--patients", type=int, default=200, help="concurrent patients (default 200)"
    )
    parser.add_argument(
        "--curve", action="store_true", help="run 1, 10, 50, 200, 500 patients (and plot)"
    )
    parser.add_argument("--levels", help="comma-separated patient counts, e.g. 1,20,100")
    parser.add_argument(
        "--think",
        type=float,
        default=3.0,
        help="mean pause of a patient between actions in the paced phase, seconds "
        "(default 3; 0 skips the paced phase)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=25.0,
        help="measured seconds of the paced phase (default 25)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="capacity runs per bot and level, alternating between the bots; the best "
        "counts, since other work on the machine can only slow a run (default 2)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small run while developing (~1 minute)"
    )
    parser.add_argument("--no-load", action="store_true", help="skip the load benchmark")
    parser.add_argument("--no-storage", action="store_true", help="skip storage at scale")
    parser.add_argument("--storage-sizes", help="comma-separated row counts")
    parser.add_argument("--timeout", type=float, default=60.0, help="per step, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, db)")
    parser.add_argument(
        "--variant",
        default="",
        help="clinic-bot run differently, comma-separated (see bench/variant_bot.py): "
        "stock_loop, gc_log",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="folder for py-spy profiles of the bots (needs `pip install py-spy`)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="PATH",
        help="source tree of an earlier release (e.g. a git worktree): its `python -m bot` "
        "runs as a third bot, 'before', in turn with the others; adds a before/after table",
    )
    args = parser.parse_args(argv)
    if args.before is not None:
        args.before = args.before.resolve()
        if not (args.before / "bot" / "__main__.py").is_file():
            parser.error(f"--before {args.before}: no bot/__main__.py there")
    return args


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


# --------------------------------------------------------------------------- load


async def run_load(
    levels: tuple[int, ...],
    think: float,
    window: float,
    step_seconds: float,
    workdir: Path,
    profile: Path | None = None,
    variant: str = "",
    repeat: int = 2,
    before: Path | None = None,
) -> list[LevelResult]:
    def clinic_env(folder: Path) -> dict[str, str]:
        db_path = folder / "data" / "clinic.db"
        return {
            "MANAGER_CHAT_ID": str(MANAGER_CHAT_ID),
            "DATABASE_URL": f"sqlite:///{db_path}",
            "THROTTLE_LIMIT": "100000",  # flood protection off: the load is the point
        }

    def clinic_db_files(folder: Path) -> list[Path]:
        db_path = folder / "data" / "clinic.db"
        return [db_path, db_path.with_name("clinic.db-wal"), db_path.with_name("clinic.db-shm")]

    ours = BotProcess(
        "ours",
        "bench.variant_bot" if variant else "bot",
        workdir,
        {"BENCH_VARIANT": variant, **clinic_env(workdir)},
        profile=profile / "ours.txt" if profile else None,
    )
    bots = [ours]
    db_files = {"ours": clinic_db_files(workdir)}
    if before is not None:
        # The earlier release: its own working directory (no .env), database and server;
        # PYTHONPATH is its tree alone, so `bot`, `storage` and `content` are its own.
        before_dir = workdir / "before"
        before_dir.mkdir(exist_ok=True)
        bots.append(
            BotProcess(
                "before",
                "bot",
                before_dir,
                clinic_env(before_dir),
                profile=profile / "before.txt" if profile else None,
                source=before,
                sessions=EARLIER_RELEASE_SESSIONS,
            )
        )
        db_files["before"] = clinic_db_files(before_dir)
    bots.append(
        BotProcess(
            "bare",
            "bench.bare_bot",
            workdir,
            {},
            profile=profile / "bare.txt" if profile else None,
        )
    )
    servers = {bot.name: FakeTelegramServer() for bot in bots}
    for name, server in servers.items():
        await server.start()
        if name != "bare":
            server.group(MANAGER_CHAT_ID, "Clinic managers")
    trackers = {name: Tracker(server) for name, server in servers.items()}
    results: list[LevelResult] = []
    next_id = 1_000_000
    try:
        for bot in bots:
            await bot.start(servers[bot.name])
        # Warm-up (not measured): imports, caches and the first database pages.
        for bot in bots:
            await run_level(
                servers[bot.name],
                trackers[bot.name],
                bot,
                patients=5,
                first_id=next_id,
                phase="warm-up",
                think=0,
                window_seconds=0,
                step_seconds=step_seconds,
            )
            next_id += 10
        phases = [("capacity", 0.0)] + ([("paced", think)] if think > 0 else [])
        for patients in levels:
            for phase, pause in phases:
                if phase == "paced" and patients == 1:
                    continue  # one patient never waits for another: same as capacity
                best: dict[str, LevelResult] = {}
                # Capacity runs alternate between the bots, and each bot's best run counts:
                # noise from other work on the machine only ever slows a run down.
                for _ in range(max(1, repeat) if phase == "capacity" else 1):
                    for bot in bots:
                        result = await run_level(
                            servers[bot.name],
                            trackers[bot.name],
                            bot,
                            patients=patients,
                            first_id=next_id,
                            phase=phase,
                            think=pause,
                            window_seconds=window,
                            step_seconds=step_seconds,
                            db_files=db_files.get(bot.name, ()),
                        )
                        next_id += patients + 10
                        print(_progress(result), flush=True)
                        kept = best.get(bot.name)
                        if kept is None or result.throughput > kept.throughput:
                            kept, result = result, kept or result
                        # A failure in any run counts, and the peak memory of all of them.
                        best[bot.name] = replace(
                            kept,
                            failures=max(kept.failures, result.failures),
                            stray_calls=max(kept.stray_calls, result.stray_calls),
                            rss_peak=max(kept.rss_peak, result.rss_peak),
                        )
                results.extend(best[bot.name] for bot in bots)
    finally:
        for bot in bots:
            code = bot.stop()
            if code not in (0, None, -2):
                print(f"  {bot.name} exited with {code}; see {bot.log_path}")
        for server in servers.values():
            await server.stop()
    return results


def _progress(r: LevelResult) -> str:
    text = (
        f"  {r.bot:6} {r.phase:8} {r.patients:4} patients: {r.throughput:7.1f} upd/s, "
        f"p50 {r.p50 * 1000:6.1f} ms, p99 {r.p99 * 1000:7.1f} ms, "
        f"RSS {r.rss_peak / MB:5.1f} MB"
    )
    if r.failures or r.stray_calls:
        text += f"  [{r.failures} failed sessions, {r.stray_calls} stray calls]"
        for example in r.failure_examples:
            text += f"\n      {example}"
    return text


# --------------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in rows:
        cells = [
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_table(results: list[LevelResult]) -> str:
    headers = [
        "bot",
        "phase",
        "patients",
        "updates",
        "upd/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "p99 step ms",
        "queue p50 ms",
        "peak RSS MB",
        "bot CPU ms/upd",
        "bench CPU %",
        "DB MB",
        "failed",
    ]
    rows = [
        [
            r.bot,
            r.phase,
            str(r.patients),
            str(r.updates),
            f"{r.throughput:.1f}",
            _ms(r.p50),
            _ms(r.p95),
            _ms(r.p99),
            _ms(r.max),
            _ms(r.full_p99),
            _ms(r.queue_p50),
            f"{r.rss_peak / MB:.1f}",
            f"{r.cpu_ms_per_update:.2f}",
            f"{100 * r.bench_cpu / r.wall:.0f}" if r.wall else "-",
            f"{r.db_bytes / MB:.2f}" if r.db_bytes is not None else "-",
            str(r.failures + r.stray_calls),
        ]
        for r in results
    ]
    return _table(headers, rows)


def _pairs(results: list[LevelResult]) -> list[tuple[LevelResult, LevelResult]]:
    bare = {(r.phase, r.patients): r for r in results if r.bot == "bare"}
    return [
        (r, bare[(r.phase, r.patients)])
        for r in results
        if r.bot == "ours" and (r.phase, r.patients) in bare
    ]


def ratio_table(results: list[LevelResult]) -> str:
    headers = [
        "phase",
        "patients",
        "throughput ours/bare",
        "p50 ours/bare",
        "p99 ours/bare",
        "peak RSS ours/bare",
        "CPU per update ours/bare",
    ]
    rows = []
    for ours, bare in _pairs(results):

        def ratio(a: float, b: float) -> str:
            return f"{a / b:.2f}" if b else "-"

        rows.append(
            [
                ours.phase,
                str(ours.patients),
                ratio(ours.throughput, bare.throughput),
                ratio(ours.p50, bare.p50),
                ratio(ours.p99, bare.p99),
                ratio(ours.rss_peak, bare.rss_peak),
                ratio(ours.cpu_ms_per_update, bare.cpu_ms_per_update),
            ]
        )
    return _table(headers, rows)


def before_after_table(results: list[LevelResult]) -> str:
    """clinic-bot now against the earlier release (`--before`) of the same run: after/before."""
    before = {(r.phase, r.patients): r for r in results if r.bot == "before"}
    headers = [
        "phase",
        "patients",
        "upd/s before",
        "upd/s after",
        "posts/s before",
        "posts/s after",
        "throughput after/before",
        "p50 after/before",
        "p99 after/before",
        "peak RSS after/before",
        "CPU ms/upd before",
        "CPU ms/upd after",
        "CPU per update after/before",
    ]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "-"

    rows = [
        [
            after.phase,
            str(after.patients),
            f"{old.throughput:.1f}",
            f"{after.throughput:.1f}",
            f"{old.posts_per_second:.1f}",
            f"{after.posts_per_second:.1f}",
            ratio(after.throughput, old.throughput),
            ratio(after.p50, old.p50),
            ratio(after.p99, old.p99),
            ratio(after.rss_peak, old.rss_peak),
            f"{old.cpu_ms_per_update:.2f}",
            f"{after.cpu_ms_per_update:.2f}",
            ratio(after.cpu_ms_per_update, old.cpu_ms_per_update),
        ]
        for after in results
        if after.bot == "ours" and (old := before.get((after.phase, after.patients)))
    ]
    return _table(headers, rows)


def source_commit(tree: Path) -> str:
    """The commit a source tree is checked out at, or "unknown" outside git."""
    try:
        found = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip() or "unknown"


def step_table(results: list[LevelResult], patients: int) -> str:
    chosen = {
        r.phase: r for r in results if r.bot == "ours" and r.patients == patients and r.updates
    }
    if not chosen:
        return ""
    phases = list(chosen)
    headers = ["step"] + [f"{phase} {q}" for phase in phases for q in ("p50 ms", "p99 ms")]
    names = list(next(iter(chosen.values())).per_step)
    rows = [
        [name] + [_ms(v) for phase in phases for v in chosen[phase].per_step[name]]
        for name in names
    ]
    return _table(headers, rows)


def storage_table(results: list[ScaleResult]) -> str:
    base = results[0]
    headers = [
        "requests",
        "DB MB",
        "/requests page ms",
        "x first size",
        "deep page ms",
        "status page ms",
        "/stats 7d ms",
        "x first size",
        "/export s",
        "export RSS before MB",
        "export peak RSS MB",
        "CSV MB",
    ]
    rows = [
        [
            f"{r.rows:,}",
            f"{r.db_bytes / MB:.1f}",
            f"{r.requests_page * 1000:.2f}",
            f"{r.requests_page / base.requests_page:.2f}",
            f"{r.requests_page_deep * 1000:.2f}",
            f"{max(r.requests_page_new, r.requests_page_booked_deep) * 1000:.2f}",
            f"{r.stats_7d * 1000:.1f}",
            f"{r.stats_7d / base.stats_7d:.2f}",
            f"{r.export_seconds:.1f}",
            f"{r.export_rss_before / MB:.1f}",
            f"{r.export_peak_rss / MB:.1f}",
            f"{r.export_csv_bytes / MB:.1f}",
        ]
        for r in results
    ]
    return _table(headers, rows)


def targets(load: list[LevelResult], storage: list[ScaleResult]) -> list[tuple[str, str, bool]]:
    checks: list[tuple[str, str, bool]] = []
    pairs = {(o.phase, o.patients): (o, b) for o, b in _pairs(load)}
    if ("capacity", 200) in pairs:
        ours, bare = pairs[("capacity", 200)]
        value = ours.throughput / bare.throughput
        checks.append(
            (
                "throughput at 200 >= 0.8 x bare",
                f"{value:.2f} ({ours.throughput:.0f} vs {bare.throughput:.0f} upd/s)",
                value >= 0.8,
            )
        )
    if ("paced", 200) in pairs:
        ours, bare = pairs[("paced", 200)]
        checks.append(
            (
                "p99 at 200 < 100 ms (paced)",
                f"{_ms(ours.p99)} ms (bare {_ms(bare.p99)} ms)",
                ours.p99 < 0.1,
            )
        )
    ours_200 = [r for r in load if r.bot == "ours" and r.patients == 200]
    bare_200 = [r for r in load if r.bot == "bare" and r.patients == 200]
    if ours_200:
        peak = max(r.rss_peak for r in ours_200)
        bare_peak = max((r.rss_peak for r in bare_200), default=0)
        checks.append(
            (
                "peak RSS at 200 < 120 MB",
                f"{peak / MB:.1f} MB (bare {bare_peak / MB:.1f} MB)",
                peak < 120 * MB,
            )
        )
    by_rows = {r.rows: r for r in storage}
    if 10_000 in by_rows and 1_000_000 in by_rows:
        small, big = by_rows[10_000], by_rows[1_000_000]
        for name, attr in (("/requests page", "requests_page"), ("/stats 7d", "stats_7d")):
            value = getattr(big, attr) / getattr(small, attr)
            checks.append((f"{name} at 1M within 2x of 10k", f"{value:.2f}x", value <= 2))
        checks.append(
            (
                "/export of 1M peak RSS < 200 MB",
                f"{big.export_peak_rss / MB:.1f} MB",
                big.export_peak_rss < 200 * MB,
            )
        )
    return checks


def machine() -> dict[str, Any]:
    import aiogram

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "aiogram": aiogram.__version__,
        "sqlite": __import__("sqlite3").sqlite_version,
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def plot(results: list[LevelResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(12, 4.5))
    styles = {"ours": "tab:blue", "before": "tab:orange", "bare": "tab:gray"}
    names = {"ours": "clinic-bot", "before": "clinic-bot before", "bare": "bare aiogram"}
    for bot, color in styles.items():
        for phase, marker, line in (("paced", "o", "-"), ("capacity", "s", "--")):
            rows = sorted(
                (r for r in results if r.bot == bot and r.phase == phase),
                key=lambda r: r.patients,
            )
            if not rows:
                continue
            xs = [r.patients for r in rows]
            name = names[bot]
            latency.plot(
                xs,
                [r.p99 * 1000 for r in rows],
                line,
                marker=marker,
                color=color,
                label=f"{name} p99 ({phase})",
            )
            latency.plot(
                xs,
                [r.p50 * 1000 for r in rows],
                line,
                marker=marker,
                color=color,
                alpha=0.4,
                label=f"{name} p50 ({phase})",
            )
            if phase == "capacity":
                throughput.plot(
                    xs, [r.throughput for r in rows], "-", marker=marker, color=color, label=name
                )
    latency.axhline(100, color="tab:red", linewidth=0.8, linestyle=":", label="100 ms target")
    for axis in (latency, throughput):
        axis.set_xscale("log")
        axis.set_xlabel("concurrent patients")
        axis.grid(True, alpha=0.3)
    latency.set_yscale("log")
    latency.set_ylabel("delivery -> first answer, ms")
    latency.set_title("Latency")
    latency.legend(fontsize=7)
    throughput.set_ylabel("updates handled per second")
    throughput.set_title("Throughput (no pauses between actions)")
    throughput.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.levels:
        levels = _ints(args.levels)
    elif args.curve:
        levels = QUICK_CURVE if args.quick else CURVE
    else:
        levels = (min(args.patients, 20),) if args.quick else (args.patients,)
    sizes = (
        _ints(args.storage_sizes)
        if args.storage_sizes
        else (QUICK_STORAGE_SIZES if args.quick else STORAGE_SIZES)
    )
    info = machine()
    print(
        f"clinic-bot benchmark on {info['nproc']} x {info['cpu']}, {info['memory_gb']} GB, "
        f"Python {info['python']}, aiogram {info['aiogram']}, SQLite {info['sqlite']}",
        flush=True,
    )
    before_commit = source_commit(args.before) if args.before else None
    if args.before:
        print(f"Before: {args.before} at {before_commit}", flush=True)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    load: list[LevelResult] = []
    storage: list[ScaleResult] = []
    try:
        if not args.no_load:
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
            print(
                f"Load: {levels} patients x {STEPS_PER_SESSION} updates, "
                f"paced: think {args.think:g} s, window {args.window:g} s"
                + (f", clinic-bot with what-if patches: {args.variant}" if args.variant else ""),
                flush=True,
            )
            load = asyncio.run(
                run_load(
                    levels,
                    args.think,
                    args.window,
                    args.timeout,
                    workdir,
                    args.profile,
                    args.variant,
                    args.repeat,
                    args.before,
                )
            )
        if not args.no_storage:
            print(f"Storage at scale: {', '.join(f'{s:,}' for s in sizes)} requests", flush=True)
            storage = measure(list(sizes), workdir)
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started

    report: list[str] = []
    if load:
        report += ["", "## Load (latency: update handed out by getUpdates -> first answer)", ""]
        report += [load_table(load), "", "## Ratios, clinic-bot / bare aiogram", ""]
        report += [ratio_table(load)]
        if args.before:
            report += [
                "",
                f"## Before/after: clinic-bot now / the release at {args.before} "
                f"({before_commit}), after/before",
                "",
                before_after_table(load),
                "",
                "posts/s: messages posted per second (sendMessage and the like, any chat). "
                "A bot that paces its posts at Telegram's 30 a second (bot/pacing.py) is "
                "capped there in the capacity phase; CPU ms per update does not count the "
                "waiting.",
            ]
        main_level = 200 if 200 in levels else levels[-1]
        steps = step_table(load, main_level)
        if steps:
            report += ["", f"## clinic-bot per step at {main_level} patients", "", steps]
    if storage:
        report += ["", "## Storage at scale (median of 20 runs; export once)", ""]
        report += [storage_table(storage)]
    checks = targets(load, storage)
    if checks:
        report += ["", "## Targets", ""]
        report += [
            _table(
                ["target", "measured", "met"],
                [[name, value, "yes" if ok else "NO"] for name, value, ok in checks],
            )
        ]
    report += ["", f"Total time {elapsed:.0f} s."]
    text = "\n".join(report)
    print(text)

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    data = {
        "machine": info,
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "elapsed_seconds": elapsed,
        "before": ({"path": str(args.before), "commit": before_commit} if args.before else None),
        "load": [asdict(r) for r in load],
        "storage": as_dicts(storage),
        "targets": [{"target": n, "measured": v, "met": ok} for n, v, ok in checks],
    }
    json_path = args.out / f"bench-{stamp}.json"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    (args.out / f"bench-{stamp}.md").write_text(text + "\n")
    print(f"\nSaved {json_path} and {json_path.with_suffix('.md')}")
    if load:
        png = args.out / f"bench-{stamp}.png"
        try:
            plot(load, png)
        except ImportError:
            print("No plot: matplotlib is not installed (pip install -e '.[bench]')")
        else:
            print(f"Saved {png}")
    return 0

"""Per-update cost in-process: `python -m bench.per_update [--pairs N] [--before PATH]`.

Each bot runs in a worker process of its own (`bench/per_update_worker.py`): updates fed
through `Dispatcher.feed_raw_update`, Bot API answers canned in-process, a real SQLite
file in a temp folder, the same logging and event loop for all. The bots:

* **clinic-bot**: this tree, `Application.create` -> `bot.app.create_dispatcher`;
* **before** (`--before PATH`): an earlier release's tree, assembled the same way by its
  own `Application.create` (PYTHONPATH is that tree alone);
* **bare**: `bench/comparable_bot.py`, aiogram alone with comparable filters, an FSM form
  and aiosqlite writes.

The bots take turns in many short batches (one patient's session each: 18 updates and a
manager's status press), in a rotating order; a round of one batch per bot is a "pair"
(three with `--before`). Each bot runs in two workers, and its turn is a batch of each: one
for the wall and CPU time, with no SQL statement timed, and one for the stages, with every
statement timed (SQLAlchemy's events cost clinic-bot ~10 µs a statement, the benchmark's
own work, and an engine keeps their slower path once they were listened to). Reported:
the median over batches of µs per update (wall time of `feed_raw_update`; CPU time of the
process over the batch, background work included) and of each stage, and the ratio
clinic-bot / bare as the median of the pairs' ratios with a bootstrap 95% confidence
interval.

A run refuses to start when the 1-minute load average exceeds the number of cores (other
work would be measured too), unless `--force`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORKER = Path(__file__).resolve().parent / "per_update_worker.py"
TOKEN = "123456789:AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
MANAGER_CHAT_ID = -1001234567890
STAGES = ("validation", "dispatch", "handlers", "api", "storage")
BOOTSTRAP_RESAMPLES = 2000
TARGET_RATIO = 1.3  # issue 16: CPU per update <= 1.3x the comparable bare bot
# Settings a developer's environment must not leak into the bots.
SETTING_VARIABLES = ("ADMIN_IDS", "REDIS_URL", "WEBHOOK_URL", "METRICS_PORT", "MANAGER_TOPICS")


def machine_is_busy() -> str | None:
    """Why a run should not be recorded now, or None."""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if load > cores:
        return (
            f"the 1-minute load average is {load:.2f}, above the {cores} core(s): other work "
            "would be measured too. Wait for a quiet machine, or pass --force (the figures "
            "are then not to be recorded)."
        )
    return None


# --------------------------------------------------------------------------- workers


class Worker:
    """One bot in its own process, fed on request; with `stages`, its SQL statements timed."""

    def __init__(
        self,
        name: str,
        kind: str,
        source: Path,
        steps: Sequence[dict[str, Any]],
        workdir: Path,
        loop: str,
        *,
        stages: bool = False,
    ) -> None:
        self.name = name
        folder = workdir / (f"{name}-stages" if stages else name)
        folder.mkdir(parents=True)
        steps_path = folder / "steps.json"
        steps_path.write_text(json.dumps(list(steps), ensure_ascii=False))
        env = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES}
        env.update(
            {
                "BOT_TOKEN": TOKEN,
                "MANAGER_CHAT_ID": str(MANAGER_CHAT_ID),
                "DATABASE_URL": f"sqlite:///{folder / 'clinic.db'}",
                "TELEGRAM_API_URL": "http://127.0.0.1:9",  # never called: answers are canned
                "THROTTLE_LIMIT": "100000",  # flood control counts, but never throttles
                # Cards are not held back by the manager chat's 20 a minute: every batch
                # ends with a press on a card, and pacing is not per-update work.
                "OUTBOX_CHAT_LIMIT": "100000",
                "PYTHONPATH": str(source),
            }
        )
        # By file path, with `bot` imported first: an earlier release changed aiogram's
        # models on import, before anything else imported aiogram.
        boot = (
            "import sys, runpy; sys.argv = sys.argv[1:]; "
            + ("import bot; " if kind == "clinic" else "")
            + "runpy.run_path(sys.argv[0], run_name='__main__')"
        )
        self.log_path = folder / "worker.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-c", boot, str(WORKER)),
                *("--kind", kind, "--workdir", str(folder), "--steps", str(steps_path)),
                *("--manager-chat-id", str(MANAGER_CHAT_ID), "--loop", loop),
                *(("--stages",) if stages else ()),
            ],
            cwd=folder,  # no developer .env is read
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        self._read()  # {"ready": true} once started

    def _read(self) -> dict[str, Any]:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            self.process.wait()
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the {self.name} worker stopped; its log:\n{tail}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def batch(self, sessions: int) -> dict[str, Any]:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps({"op": "batch", "sessions": sessions}) + "\n")
        stdin.flush()
        answer = self._read()
        if answer.get("error"):
            raise RuntimeError(f"{self.name}: {answer['error']} (log: {self.log_path})")
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            stdin = self.process.stdin
            assert stdin is not None
            try:
                stdin.write(json.dumps({"op": "quit"}) + "\n")
                stdin.flush()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


# --------------------------------------------------------------------------- figures


@dataclass
class Batch:
    """One batch of one bot: per-update means in µs."""

    updates: int
    wall_us: float
    cpu_us: float
    stages_us: dict[str, float | None]
    steps_us: dict[str, float]
    messages: int = 0


def summarise_batch(answer: dict[str, Any]) -> Batch:
    records = answer["updates"]
    count = len(records)
    stages: dict[str, float | None] = {}
    for index, stage in enumerate(STAGES, start=2):
        values = [record[index] for record in records]
        stages[stage] = (
            None if any(v is None for v in values) else 1e6 * sum(values) / max(count, 1)
        )
    steps: dict[str, list[float]] = {}
    for record in records:
        steps.setdefault(record[0], []).append(1e6 * record[1])
    return Batch(
        updates=count,
        wall_us=1e6 * sum(record[1] for record in records) / max(count, 1),
        cpu_us=1e6 * answer["cpu"] / max(count, 1),
        stages_us=stages,
        steps_us={name: statistics.fmean(values) for name, values in steps.items()},
        messages=int(answer.get("messages", 0)),
    )


def bootstrap_median_ci(
    values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 1
) -> tuple[float, float]:
    """A percentile bootstrap 95% confidence interval of the median."""
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return value, value
    rng = random.Random(seed)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


@dataclass
class BotFigures:
    name: str
    batches: int
    updates_per_batch: float
    wall_us: float
    cpu_us: float
    stages_us: dict[str, float | None]
    steps_us: dict[str, float]
    messages_per_batch: float = 0.0

    def patients_per_minute(self, sessions_per_batch: int) -> tuple[float, float]:
        """Patients' sessions a minute (1) one core's CPU time allows, at the median CPU per
        update, and (2) Telegram's 30 messages a second allows, at the messages posted."""
        updates = self.updates_per_batch / sessions_per_batch
        by_cpu = 60e6 / (self.cpu_us * updates) if self.cpu_us else 0.0
        messages = self.messages_per_batch / sessions_per_batch
        by_telegram = 30 * 60 / messages if messages else 0.0
        return by_cpu, by_telegram


@dataclass
class Ratio:
    numerator: str
    denominator: str
    measure: str  # "wall" | "cpu"
    median: float
    low: float
    high: float
    pairs: int


@dataclass
class Report:
    bots: list[BotFigures]
    ratios: list[Ratio]
    machine: dict[str, Any]
    arguments: dict[str, str]
    elapsed_seconds: float
    load_average: dict[str, list[float]] = field(default_factory=dict)


def figures(name: str, batches: list[Batch]) -> BotFigures:
    stages: dict[str, float | None] = {}
    for stage in STAGES:
        values = [b.stages_us[stage] for b in batches]
        stages[stage] = (
            None if any(v is None for v in values) else statistics.median(v or 0.0 for v in values)
        )
    step_names = list(batches[0].steps_us) if batches else []
    return BotFigures(
        name=name,
        batches=len(batches),
        updates_per_batch=statistics.fmean(b.updates for b in batches) if batches else 0.0,
        wall_us=statistics.median(b.wall_us for b in batches),
        cpu_us=statistics.median(b.cpu_us for b in batches),
        stages_us=stages,
        steps_us={
            step: statistics.median(b.steps_us[step] for b in batches if step in b.steps_us)
            for step in step_names
        },
        messages_per_batch=statistics.fmean(b.messages for b in batches) if batches else 0.0,
    )


def ratio(batches: dict[str, list[Batch]], numerator: str, denominator: str, measure: str) -> Ratio:
    attribute = "wall_us" if measure == "wall" else "cpu_us"
    values = [
        getattr(a, attribute) / getattr(b, attribute)
        for a, b in zip(batches[numerator], batches[denominator], strict=True)
        if getattr(b, attribute) > 0
    ]
    low, high = bootstrap_median_ci(values)
    return Ratio(numerator, denominator, measure, statistics.median(values), low, high, len(values))


# --------------------------------------------------------------------------- report


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


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render(report: Report) -> str:
    bots = report.bots
    lines = ["## µs per update (median of batches)", ""]
    lines.append(
        _table(
            ["bot", "batches", "updates/batch", "wall µs", "CPU µs", *(f"{s} µs" for s in STAGES)],
            [
                [
                    b.name,
                    str(b.batches),
                    f"{b.updates_per_batch:.0f}",
                    _us(b.wall_us),
                    _us(b.cpu_us),
                    *(_us(b.stages_us[s]) for s in STAGES),
                ]
                for b in bots
            ],
        )
    )
    lines += ["", "## Ratios (median of pairs, bootstrap 95% CI)", ""]
    lines.append(
        _table(
            ["ratio", "measure", "median", "95% CI", "pairs"],
            [
                [
                    f"{r.numerator} / {r.denominator}",
                    r.measure,
                    f"{r.median:.2f}",
                    f"{r.low:.2f}-{r.high:.2f}",
                    str(r.pairs),
                ]
                for r in report.ratios
            ],
        )
    )
    for r in report.ratios:
        if (r.denominator, r.measure) == ("bare", "cpu"):
            verdict = (
                "met"
                if r.high <= TARGET_RATIO
                else ("not met" if r.low > TARGET_RATIO else "undecided")
            )
            lines += [
                "",
                f"Target: CPU per update <= {TARGET_RATIO}x the comparable bare bot: "
                f"{r.median:.2f}x (95% CI {r.low:.2f}-{r.high:.2f}), {verdict}.",
            ]
    steps = list(bots[0].steps_us) if bots else []
    if steps:
        lines += ["", "## Wall µs per step (median of batches)", ""]
        lines.append(
            _table(
                ["step", *(b.name for b in bots)],
                [[step, *(_us(b.steps_us.get(step)) for b in bots)] for step in steps],
            )
        )
    sessions = int(report.arguments.get("sessions", "1"))
    lines += ["", "## Patients a minute (one session: /start to a review, a manager's press)", ""]
    rows = []
    for bot in bots:
        by_cpu, by_telegram = bot.patients_per_minute(sessions)
        rows.append(
            [
                bot.name,
                f"{bot.updates_per_batch / sessions:.0f}",
                f"{bot.messages_per_batch / sessions:.0f}",
                f"{by_cpu:.0f}",
                f"{by_telegram:.0f}",
            ]
        )
    lines.append(
        _table(
            [
                "bot",
                "updates/session",
                "messages/session",
                "one core's CPU allows",
                "Telegram's 30 msg/s allows",
            ],
            rows,
        )
    )
    load = report.load_average
    lines += [
        "",
        f"Load average (1 min) at start {load['start'][0]:.2f}, at end {load['end'][0]:.2f}; "
        f"{report.machine['cores']} cores. {report.elapsed_seconds:.0f} s.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.per_update",
        description="Per-update CPU of clinic-bot, in-process, against a comparable bare "
        "aiogram bot (and an earlier release with --before).",
    )
    parser.add_argument("--pairs", type=int, default=100, help="measured rounds (default 100)")
    parser.add_argument(
        "--sessions", type=int, default=1, help="patients' sessions per batch (default 1)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds (default 5)")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="PATH",
        help="source tree of an earlier release (a git worktree): measured as a third bot",
    )
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--force", action="store_true", help="run even on a busy machine")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.before is not None:
        args.before = args.before.resolve()
        if not (args.before / "bot" / "app.py").is_file():
            parser.error(f"--before {args.before}: no bot/app.py there")
    return args


def measure(args: argparse.Namespace, workdir: Path) -> tuple[dict[str, list[Batch]], float]:
    from bench.load import EARLIER_RELEASE_SESSIONS, SESSIONS

    def steps(sessions: Any) -> list[dict[str, Any]]:
        return [
            {"name": s.name, "kind": s.kind, "label": s.label, "expect": s.expect}
            for s in sessions["en"]
        ]

    bots: list[tuple[str, str, Path, Any]] = [("clinic-bot", "clinic", REPO_ROOT, SESSIONS)]
    if args.before is not None:
        bots.append(("before", "clinic", args.before, EARLIER_RELEASE_SESSIONS))
    # The bare bot speaks the English session's texts.
    bots.append(("bare", "bare", REPO_ROOT, SESSIONS))
    # Two workers a bot: one for the CPU and wall time, with no SQL statement timed, and one
    # for the stages, with every statement timed (`--stages`).
    pairs: list[tuple[Worker, Worker]] = []
    started_workers: list[Worker] = []
    try:
        for name, kind, source, sessions in bots:
            for stages in (False, True):
                started_workers.append(
                    Worker(name, kind, source, steps(sessions), workdir, args.loop, stages=stages)
                )
            pairs.append((started_workers[-2], started_workers[-1]))
        for _ in range(args.warmup):
            for plain, staged in pairs:
                plain.batch(args.sessions)
                staged.batch(args.sessions)
        batches: dict[str, list[Batch]] = {plain.name: [] for plain, _ in pairs}
        started = time.monotonic()
        for round_number in range(args.pairs):
            # Rotating order: no bot always runs right after another one's garbage.
            shift = round_number % len(pairs)
            for plain, staged in pairs[shift:] + pairs[:shift]:
                timed = summarise_batch(plain.batch(args.sessions))
                by_stage = summarise_batch(staged.batch(args.sessions))
                batches[plain.name].append(replace(timed, stages_us=by_stage.stages_us))
        return batches, time.monotonic() - started
    finally:
        for worker in started_workers:
            worker.stop()


def machine() -> dict[str, Any]:
    import platform

    import aiogram

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "aiogram": aiogram.__version__,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    busy = machine_is_busy()
    if busy and not args.force:
        print(f"Not measuring: {busy}", file=sys.stderr)
        return 3
    load_start = list(os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="clinic-per-update-"))
    try:
        batches, elapsed = measure(args, workdir)
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    names = list(batches)
    ratios = []
    for reference in names[1:]:
        for measure_name in ("wall", "cpu"):
            ratios.append(ratio(batches, names[0], reference, measure_name))
    report = Report(
        bots=[figures(name, values) for name, values in batches.items()],
        ratios=ratios,
        machine=machine(),
        arguments={k: str(v) for k, v in vars(args).items()},
        elapsed_seconds=elapsed,
        load_average={"start": load_start, "end": list(os.getloadavg())},
    )
    text = render(report)
    if busy:
        text = f"NOT FOR THE RECORD (--force on a busy machine: {busy})\n\n" + text
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = args.out / f"per-update-{stamp}.json"
    path.write_text(
        json.dumps({**asdict(report), "forced_on_busy_machine": busy}, indent=2, ensure_ascii=False)
    )
    (args.out / f"per-update-{stamp}.md").write_text(text + "\n")
    print(f"\nSaved {path} and {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

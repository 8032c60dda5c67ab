"""Open-loop load: `python -m bench.open_loop [--rates 5,30,100,300] [--bookings 100]`.

clinic-bot runs as `python -m bot` in its own process (`bench.load.BotProcess`: fresh SQLite
database, long polling over 127.0.0.1) against the emulated Bot API of this process, made to
behave like Telegram for a bot under load:

* a round trip of 50-150 ms (uniform; `--rtt`): every request waits half of its own draw on
  the way in and half on the way out (`RoundTripServer`, a bench-side subclass);
* Telegram's limits, answered with 429 and `retry_after` (`TelegramLimits`, set as the
  emulator's `responder`): 30 posted messages a second per bot, about one a second per private
  chat (a bucket of `--chat-burst` messages refilled at 1/s: Telegram lets a short burst
  through), and 20 a minute per group (the emulator's own `group_limit_per_minute`).
  The default emulator used by the tests is unchanged: these are set on the bench's servers.

1. **Offered load**: patients arrive at a fixed rate of updates a second, whatever the bot
   answers (open loop): every 1/rate s one update is sent, the next step of a patient who
   has had the previous answer and has thought for `--think` s, or the /start of a new
   patient when none is ready. Reply latency = from the update's arrival at Telegram (the
   emulator's queue) to the bot's first call about it (a message, an edit or the button's
   answer) - what a patient waits, round trips included.
2. **Manager-chat drain**: `--bookings` patients book at once (each from /start to "Confirm",
   a unique name each); drain time = from the last confirmation to the moment every one of
   them is visible in the manager chat (its name in a card or a digest posted or edited
   there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.load import (
    MANAGER_CHAT_ID,
    POSTING_METHODS,
    SESSIONS,
    BotProcess,
    Pending,
    StepError,
    Tracker,
    _find_button,
    locale_of,
    percentile,
)
from bench.load import Step as SessionStep
from bench.per_update import machine_is_busy
from bot.preview.emulator import ApiCall, FakeTelegramServer, FakeUser

RATES = (5, 30, 100, 300)
LIMIT_NAMES = ("overall 30/s", "private chat 1/s", "group 20/min")
TARGET_RATE = 100.0
TARGET_P99_MS = 50.0  # issue 16: p99 at 100 upd/s offered < 50 ms plus the round trip
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------- Telegram


@dataclass
class TelegramLimits:
    """Telegram's send limits as 429 answers (consulted before the emulator handles a call)."""

    overall_per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    _overall: deque[float] = field(default_factory=deque)
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    refused_overall: int = 0  # beyond 30 a second
    refused_overall_in_groups: int = 0  # of those, posts into a group
    refused_in_chats: int = 0  # beyond a private chat's ~1 a second

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method.lower() not in POSTING_METHODS:
            return None
        now = time.monotonic()
        overall = self._overall
        while overall and overall[0] <= now - 1.0:
            overall.popleft()
        chat_id = params.get("chat_id")
        if len(overall) >= self.overall_per_second:
            self.refused_overall += 1
            if isinstance(chat_id, int) and chat_id < 0:
                self.refused_overall_in_groups += 1
            return self._refuse(overall[0] + 1.0 - now)
        if isinstance(chat_id, int) and chat_id > 0:
            tokens, at = self._buckets.get(chat_id, (float(self.chat_burst), now))
            tokens = min(float(self.chat_burst), tokens + (now - at) * self.chat_per_second)
            if tokens < 1.0:
                self._buckets[chat_id] = (tokens, now)
                self.refused_in_chats += 1
                return self._refuse((1.0 - tokens) / self.chat_per_second)
            self._buckets[chat_id] = (tokens - 1.0, now)
        overall.append(now)
        return None

    def _refuse(self, wait: float) -> tuple[int, dict[str, Any]]:
        retry_after = max(1, math.ceil(wait))
        return 429, {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }


def refusals(server: FakeTelegramServer) -> dict[str, int]:
    """Counts so far: 429s by the limit that gave them, and 429s into groups.

    The group limit is the emulator's own (among the recorded calls, which each phase
    clears); a 429 into a group from the overall limit is not one of its."""
    limits = server.responder if isinstance(server.responder, TelegramLimits) else None
    into_groups = sum(
        1
        for call in server.calls
        if call.error_code == 429
        and isinstance(call.params.get("chat_id"), int)
        and call.params["chat_id"] < 0
    )
    return {
        "overall 30/s": limits.refused_overall if limits else 0,
        "private chat 1/s": limits.refused_in_chats if limits else 0,
        "overall, into groups": limits.refused_overall_in_groups if limits else 0,
        "into groups": into_groups,
    }


def _since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """429s by limit since `before` (the group's: over this phase's recorded calls)."""
    overall_into_groups = after["overall, into groups"] - before["overall, into groups"]
    return {
        "overall 30/s": after["overall 30/s"] - before["overall 30/s"],
        "private chat 1/s": after["private chat 1/s"] - before["private chat 1/s"],
        "group 20/min": after["into groups"] - overall_into_groups,
    }


class RoundTripServer(FakeTelegramServer):
    """The emulated Bot API with a network round trip: each request waits half of a random
    round trip before it is handled and the other half before its answer leaves."""

    def __init__(self, rtt_ms: tuple[float, float], *, seed: int = 1) -> None:
        super().__init__()
        self.rtt_ms = rtt_ms
        self._rng = random.Random(seed)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        half = self._rng.uniform(*self.rtt_ms) / 2000
        if half > 0:
            await asyncio.sleep(half)
        response = await super()._handle(request)
        if half > 0:
            await asyncio.sleep(half)
        return response


def telegram_like(rtt_ms: tuple[float, float], chat_burst: int) -> RoundTripServer:
    server = RoundTripServer(rtt_ms)
    server.responder = TelegramLimits(chat_burst=chat_burst)
    server.group_limit_per_minute = 20
    server.group(MANAGER_CHAT_ID, "Clinic managers")
    return server


# --------------------------------------------------------------------------- patients


@dataclass
class Patient:
    user: FakeUser
    steps: tuple[SessionStep, ...]
    number: int = 0
    last: dict[str, Any] | None = None


class Patients:
    """Sends patients' steps into the emulator and completes them through the tracker."""

    def __init__(self, server: FakeTelegramServer, tracker: Tracker, first_id: int) -> None:
        self.server = server
        self.tracker = tracker
        self.next_id = first_id
        self.created = 0

    def new(self, steps: tuple[SessionStep, ...] | None = None, locale: str = "") -> Patient:
        """A new patient: three in four write in Russian, unless `locale` says otherwise."""
        user_id = self.next_id
        self.next_id += 1
        locale = locale or locale_of(self.created)
        self.created += 1
        user = self.server.private_user(
            user_id, "Мария" if locale == "ru" else "Kate", language_code=locale
        )
        user.phone_number = f"+7916{user_id % 10_000_000:07d}"
        return Patient(user, steps or SESSIONS[locale])

    def send(self, patient: Patient) -> Pending:
        """The patient's next step, sent now; its Pending completes when answered."""
        step = patient.steps[patient.number]
        user = patient.user
        pending = Pending(step=patient.number, expect=step.expect, sent=time.monotonic())
        self.tracker.pending[user.id] = pending
        if step.kind == "press":
            data = _find_button(patient.last, step.label)
            assert patient.last is not None
            pending.query_id = self.server.press(user, int(patient.last["message_id"]), data)
            self.tracker.queries[pending.query_id] = user.id
        elif step.kind in ("tap", "contact"):
            self.server.tap_reply_button(user, str(step.label))
        else:
            self.server.send_text(user, str(step.label))
        return pending

    async def answered(self, patient: Patient, pending: Pending, within: float) -> bool:
        """Wait up to `within` s for the step's answer; then the patient may take the next."""
        try:
            await asyncio.wait_for(asyncio.shield(pending.future), within)
        except TimeoutError:
            return False
        finally:
            if self.tracker.pending.get(patient.user.id) is pending:
                del self.tracker.pending[patient.user.id]
        patient.last = pending.message
        patient.number += 1
        return True


# --------------------------------------------------------------------------- offered load


@dataclass
class RateResult:
    offered_per_second: float
    seconds: float
    sent: int
    answered: int
    unanswered: int
    patients: int
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    # handed out by getUpdates -> first answer: the round trip and the handling, no queue
    handling_p50_ms: float
    handling_p99_ms: float
    too_many_requests: int
    too_many_requests_by_limit: dict[str, int]
    bot_cpu_ms_per_update: float
    bot_cpu_percent: float
    # The bench's own process (emulator, round trips, patients): near 100 it is the limit.
    bench_cpu_percent: float = 0.0
    errors: list[str] = field(default_factory=list)


async def offer(
    server: FakeTelegramServer,
    tracker: Tracker,
    bot: BotProcess,
    patients: Patients,
    *,
    rate: float,
    seconds: float,
    think: float,
    step_timeout: float,
) -> RateResult:
    tracker.reset()
    server.calls.clear()
    ready: deque[Patient] = deque()
    waiting: set[asyncio.Task[None]] = set()
    latencies: list[float] = []
    handling: list[float] = []
    outcome = {"sent": 0, "answered": 0, "unanswered": 0}
    errors: list[str] = []
    first_patient = patients.created

    async def follow(patient: Patient, pending: Pending) -> None:
        if not await patients.answered(patient, pending, step_timeout):
            outcome["unanswered"] += 1
            return
        outcome["answered"] += 1
        assert pending.first_answer is not None
        latencies.append(pending.first_answer - pending.sent)
        if pending.delivered is not None:
            handling.append(pending.first_answer - pending.delivered)
        if patient.number < len(patient.steps):
            await asyncio.sleep(think)
            ready.append(patient)

    refused_before = refusals(server)
    cpu_before = bot.cpu_seconds()
    bench_before = time.process_time()
    started = time.monotonic()
    count = int(rate * seconds)
    for index in range(count):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        patient = ready.popleft() if ready else patients.new()
        try:
            pending = patients.send(patient)
        except (StepError, ValueError) as error:
            if len(errors) < 5:
                errors.append(f"{type(error).__name__}: {error}")
            continue
        outcome["sent"] += 1
        task = asyncio.create_task(follow(patient, pending))
        waiting.add(task)
        task.add_done_callback(waiting.discard)
    offered_for = time.monotonic() - started
    if waiting:
        await asyncio.wait(set(waiting))
    cpu = bot.cpu_seconds() - cpu_before
    bench_cpu = time.process_time() - bench_before
    elapsed = time.monotonic() - started
    refused = sum(1 for call in server.calls if call.error_code == 429)
    return RateResult(
        offered_per_second=rate,
        seconds=offered_for,
        sent=outcome["sent"],
        answered=outcome["answered"],
        unanswered=outcome["unanswered"],
        patients=patients.created - first_patient,
        latency_p50_ms=1000 * percentile(latencies, 50),
        latency_p99_ms=1000 * percentile(latencies, 99),
        latency_max_ms=1000 * max(latencies, default=0.0),
        handling_p50_ms=1000 * percentile(handling, 50),
        handling_p99_ms=1000 * percentile(handling, 99),
        too_many_requests=refused,
        too_many_requests_by_limit=_since(refused_before, refusals(server)),
        bot_cpu_ms_per_update=1000 * cpu / outcome["answered"] if outcome["answered"] else 0.0,
        bot_cpu_percent=100 * cpu / elapsed if elapsed > 0 else 0.0,
        bench_cpu_percent=100 * bench_cpu / elapsed if elapsed > 0 else 0.0,
        errors=errors,
    )


async def settle(server: FakeTelegramServer, quiet: float = 2.0, limit: float = 600.0) -> None:
    """Wait until the bot has made no call but its long polls for `quiet` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        recent = [c for c in server.calls[-50:] if c.method.lower() != "getupdates" and c.at > 0]
        if not recent or time.monotonic() - max(c.at for c in recent) >= quiet:
            return
        await asyncio.sleep(0.5)


# --------------------------------------------------------------------------- drain


def unique_name(index: int) -> str:
    """A distinct name per patient, letters only (a name field accepts no digits)."""
    letters = ""
    for _ in range(3):
        index, digit = divmod(index, 26)
        letters = chr(ord("a") + digit) + letters
    return f"Kate {letters.capitalize()}"


_NOT_BOOKING = {"/start", "article menu", "section 1", "section 2", "section 3", "prices"}


def booking_steps(name: str) -> tuple[SessionStep, ...]:
    """/start, then the booking form to "Confirm", typing `name` (English texts)."""
    steps = SESSIONS["en"]
    last = next(i for i, step in enumerate(steps) if step.name == "confirm")
    chosen = [steps[0], *(s for s in steps[: last + 1] if s.name not in _NOT_BOOKING)]
    return tuple(replace(s, label=name) if s.name == "name" else s for s in chosen)


@dataclass
class DrainResult:
    bookings: int
    confirmed: int
    visible: int
    booking_seconds: float  # first "Confirm" sent -> last "Confirm" sent
    drain_seconds: float | None  # last "Confirm" sent -> every booking visible to managers
    visible_after_p50_s: float | None  # one booking's "Confirm" -> visible, median
    visible_after_max_s: float | None
    manager_messages: int
    manager_too_many_requests: int
    too_many_requests: int
    too_many_requests_by_limit: dict[str, int]
    errors: list[str] = field(default_factory=list)
    # Seconds since the first "Confirm": each confirmation, and each booking's first
    # appearance in the manager chat (sorted; the drain plot's two curves).
    confirmed_after_s: list[float] = field(default_factory=list)
    visible_after_s: list[float] = field(default_factory=list)


async def drain(
    server: FakeTelegramServer,
    tracker: Tracker,
    patients: Patients,
    *,
    bookings: int,
    think: float,
    step_timeout: float,
    drain_timeout: float,
) -> DrainResult:
    tracker.reset()
    server.calls.clear()
    names = {unique_name(i): i for i in range(bookings)}
    unseen = set(names)
    visible_at: dict[str, float] = {}
    confirmed_at: dict[str, float] = {}
    manager = {"messages": 0, "refused": 0}
    errors: list[str] = []

    def watch(call: ApiCall) -> None:
        if call.params.get("chat_id") != MANAGER_CHAT_ID:
            return
        if call.error_code == 429:
            manager["refused"] += 1
        message = call.message
        if not call.ok or message is None:
            return
        if call.method.lower() in POSTING_METHODS:
            manager["messages"] += 1
        text = str(message.get("text") or message.get("caption") or "")
        for name in [name for name in unseen if name in text]:
            unseen.discard(name)
            visible_at[name] = call.at

    async def book(name: str) -> None:
        patient = patients.new(booking_steps(name), locale="en")
        while patient.number < len(patient.steps):
            step = patient.steps[patient.number]
            try:
                pending = patients.send(patient)
            except (StepError, ValueError) as error:
                errors.append(f"{name}: {type(error).__name__}: {error}")
                return
            if not await patients.answered(patient, pending, step_timeout):
                errors.append(f"{name}: no answer to {step.name!r} within {step_timeout:g} s")
                return
            if step.name == "confirm":
                confirmed_at[name] = pending.sent
                return
            await asyncio.sleep(think)

    refused_before = refusals(server)
    server.listeners.append(watch)
    try:
        await asyncio.gather(*(book(name) for name in names))
        deadline = time.monotonic() + drain_timeout
        while set(confirmed_at) - set(visible_at):
            if time.monotonic() >= deadline:
                missing = len(set(confirmed_at) - set(visible_at))
                errors.append(f"{missing} booking(s) not visible after {drain_timeout:g} s")
                break
            await asyncio.sleep(0.2)
    finally:
        server.listeners.remove(watch)
    delays = [visible_at[n] - confirmed_at[n] for n in confirmed_at if n in visible_at]
    first = min(confirmed_at.values(), default=0.0)
    complete = bool(confirmed_at) and all(n in visible_at for n in confirmed_at)
    return DrainResult(
        bookings=bookings,
        confirmed=len(confirmed_at),
        visible=len(visible_at),
        booking_seconds=(
            max(confirmed_at.values()) - min(confirmed_at.values()) if confirmed_at else 0.0
        ),
        drain_seconds=(max(visible_at.values()) - max(confirmed_at.values()) if complete else None),
        visible_after_p50_s=statistics.median(delays) if delays else None,
        visible_after_max_s=max(delays) if delays else None,
        manager_messages=manager["messages"],
        manager_too_many_requests=manager["refused"],
        too_many_requests=sum(1 for call in server.calls if call.error_code == 429),
        too_many_requests_by_limit=_since(refused_before, refusals(server)),
        errors=errors[:5],
        confirmed_after_s=sorted(at - first for at in confirmed_at.values()),
        visible_after_s=sorted(at - first for at in visible_at.values()),
    )


# --------------------------------------------------------------------------- the run


@dataclass
class Report:
    rates: list[RateResult]
    drain: DrainResult | None
    settings: dict[str, Any]
    load_average: dict[str, list[float]]
    elapsed_seconds: float
    forced_on_busy_machine: str | None


def clinic_bot(workdir: Path) -> BotProcess:
    db_path = workdir / "data" / "clinic.db"
    return BotProcess(
        "ours",
        "bot",
        workdir,
        {
            "MANAGER_CHAT_ID": str(MANAGER_CHAT_ID),
            "DATABASE_URL": f"sqlite:///{db_path}",
            # Flood control off: the benchmark's patients are the load, not abuse.
            "THROTTLE_LIMIT": "100000",
        },
    )


async def run(
    args: argparse.Namespace, workdir: Path
) -> tuple[list[RateResult], DrainResult | None]:
    """The drain first, then the rates, with one bot: every card of the drain is visible
    before the offered load starts, so none of its cards waits in the outbox first."""
    rates: list[RateResult] = []
    drained: DrainResult | None = None
    server = telegram_like((args.rtt[0], args.rtt[1]), args.chat_burst)
    await server.start()
    bot = clinic_bot(workdir)
    try:
        await bot.start(server)
        tracker = Tracker(server)
        if args.bookings:
            print(f"Drain: {args.bookings} bookings at once", flush=True)
            drained = await drain(
                server,
                tracker,
                Patients(server, tracker, 5_000_000),
                bookings=args.bookings,
                think=args.think,
                # Every patient's step waits for a message among everybody's, at ~27 a
                # second: a step of a thousand patients at once takes ~40 s.
                step_timeout=max(args.timeout, 3 * args.bookings / 27),
                drain_timeout=args.drain_timeout or max(120.0, 4.0 * args.bookings),
            )
            print(f"  {_drain_line(drained)}", flush=True)
            if args.rates:
                await settle(server)
        patients = Patients(server, tracker, 1_000_000)
        for rate in args.rates:
            result = await offer(
                server,
                tracker,
                bot,
                patients,
                rate=rate,
                seconds=args.seconds,
                think=args.think,
                step_timeout=args.timeout,
            )
            rates.append(result)
            print(f"  {_rate_line(result)}", flush=True)
            if rate != args.rates[-1]:
                await settle(server)  # the next rate starts with no backlog
    finally:
        bot.stop()
        await server.stop()
    return rates, drained


def _rate_line(r: RateResult) -> str:
    return (
        f"{r.offered_per_second:g} upd/s offered: {r.sent} sent, {r.answered} answered, "
        f"{r.unanswered} unanswered; p50 {r.latency_p50_ms:.0f} ms, p99 {r.latency_p99_ms:.0f} "
        f"ms; bot CPU {r.bot_cpu_percent:.0f}% ({r.bot_cpu_ms_per_update:.1f} ms/update); "
        f"429s {r.too_many_requests}" + "".join(f"\n    {e}" for e in r.errors)
    )


def _drain_line(d: DrainResult) -> str:
    drain_text = f"{d.drain_seconds:.0f} s" if d.drain_seconds is not None else "not complete"
    return (
        f"{d.confirmed}/{d.bookings} confirmed in {d.booking_seconds:.0f} s, {d.visible} visible; "
        f"drain after the last: {drain_text}; {d.manager_messages} messages to the managers, "
        f"429s there {d.manager_too_many_requests}" + "".join(f"\n    {e}" for e in d.errors)
    )


def _by_limit(counts: dict[str, int]) -> str:
    return "/".join(str(counts.get(key, 0)) for key in LIMIT_NAMES)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(report: Report) -> str:
    rtt = report.settings["rtt_ms"]
    lines = []
    if report.rates:
        lines += [
            f"## Reply latency against offered load (round trip {rtt[0]:g}-{rtt[1]:g} ms)",
            "",
            _table(
                [
                    "offered upd/s",
                    "sent",
                    "answered",
                    "unanswered",
                    "patients",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "handling p50 ms",
                    "handling p99 ms",
                    "429s (overall/chat/group)",
                    "bot CPU %",
                    "CPU ms/upd",
                    "bench CPU %",
                ],
                [
                    [
                        f"{r.offered_per_second:g}",
                        str(r.sent),
                        str(r.answered),
                        str(r.unanswered),
                        str(r.patients),
                        f"{r.latency_p50_ms:.0f}",
                        f"{r.latency_p99_ms:.0f}",
                        f"{r.latency_max_ms:.0f}",
                        f"{r.handling_p50_ms:.0f}",
                        f"{r.handling_p99_ms:.0f}",
                        f"{r.too_many_requests} ({_by_limit(r.too_many_requests_by_limit)})",
                        f"{r.bot_cpu_percent:.0f}",
                        f"{r.bot_cpu_ms_per_update:.1f}",
                        f"{r.bench_cpu_percent:.0f}",
                    ]
                    for r in report.rates
                ],
            ),
        ]
    d = report.drain
    if d is not None:

        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        lines += [
            "",
            "## Manager-chat drain",
            "",
            _table(
                [
                    "bookings",
                    "confirmed",
                    "visible",
                    "booking s",
                    "drain s",
                    "visible after p50 s",
                    "max s",
                    "manager messages",
                    "429s manager chat",
                    "429s all (overall/chat/group)",
                ],
                [
                    [
                        str(d.bookings),
                        str(d.confirmed),
                        str(d.visible),
                        seconds(d.booking_seconds),
                        seconds(d.drain_seconds),
                        seconds(d.visible_after_p50_s),
                        seconds(d.visible_after_max_s),
                        str(d.manager_messages),
                        str(d.manager_too_many_requests),
                        f"{d.too_many_requests} ({_by_limit(d.too_many_requests_by_limit)})",
                    ]
                ],
            ),
        ]
        lines += [f"- {error}" for error in d.errors]
    lines += targets(report)
    load = report.load_average
    lines += [
        "",
        f"Load average (1 min) at start {load['start'][0]:.2f}, at end {load['end'][0]:.2f}; "
        f"{os.cpu_count()} cores. {report.elapsed_seconds:.0f} s.",
    ]
    return "\n".join(lines)


def targets(report: Report) -> list[str]:
    """Issue 16's targets that this run measured, each with its figure."""
    found = []
    high = report.settings["rtt_ms"][1]
    for r in report.rates:
        if r.offered_per_second == TARGET_RATE:
            limit = TARGET_P99_MS + high
            met = r.latency_p99_ms < limit and not r.unanswered
            found.append(
                f"- p99 reply at {TARGET_RATE:g} upd/s offered < {TARGET_P99_MS:g} ms + the "
                f"round trip ({limit:g} ms): {r.latency_p99_ms:.0f} ms, "
                f"{r.unanswered} unanswered: {'met' if met else 'not met'}"
            )
    d = report.drain
    if d is not None and d.bookings == 100:
        met = (
            d.drain_seconds is not None
            and d.drain_seconds <= 60
            and d.manager_too_many_requests == 0
        )
        drain_text = "incomplete" if d.drain_seconds is None else f"{d.drain_seconds:.0f} s"
        found.append(
            f"- 100 bookings visible within 60 s of the last, no 429: {drain_text}, "
            f"{d.manager_too_many_requests} 429s: {'met' if met else 'not met'}"
        )
    return ["", "## Targets (issue 16)", "", *found] if found else []


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.open_loop",
        description="Open-loop load on clinic-bot through an emulated Telegram with its "
        "limits and a network round trip; reply latency per offered rate, manager-chat drain.",
    )
    parser.add_argument(
        "--rates",
        type=_floats,
        default=list(RATES),
        help="offered updates per second, comma-separated (default 5,30,100,300; '' skips)",
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="per rate (default 15)")
    parser.add_argument(
        "--bookings", type=int, default=100, help="bookings at once for the drain (0 skips)"
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="a patient's pause between steps, s (default 1)"
    )
    parser.add_argument(
        "--rtt", type=_floats, default=[50.0, 150.0], help="round trip range, ms (default 50,150)"
    )
    parser.add_argument(
        "--chat-burst",
        type=int,
        default=3,
        help="messages a private chat may take at once before the 1/s limit (default 3)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per step, s (default 30)")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=0.0,
        help="wait for the manager chat, s (default max(120, 4 x bookings))",
    )
    parser.add_argument("--force", action="store_true", help="run even on a busy machine")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    args = parser.parse_args(argv)
    if len(args.rtt) != 2 or args.rtt[0] > args.rtt[1]:
        parser.error("--rtt takes LOW,HIGH in ms")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    busy = machine_is_busy()
    if busy and not args.force:
        print(f"Not measuring: {busy}", file=sys.stderr)
        return 3
    load_start = list(os.getloadavg())
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="clinic-open-loop-"))
    try:
        rates, drained = asyncio.run(run(args, workdir))
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    report = Report(
        rates=rates,
        drain=drained,
        settings={
            "rtt_ms": args.rtt,
            "seconds_per_rate": args.seconds,
            "think_seconds": args.think,
            "chat_burst": args.chat_burst,
            "bookings": args.bookings,
        },
        load_average={"start": load_start, "end": list(os.getloadavg())},
        elapsed_seconds=time.monotonic() - started,
        forced_on_busy_machine=busy,
    )
    text = render(report)
    if busy:
        text = f"NOT FOR THE RECORD (--force on a busy machine: {busy})\n\n" + text
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = args.out / f"open-loop-{stamp}.json"
    path.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False))
    (args.out / f"open-loop-{stamp}.md").write_text(text + "\n")
    print(f"\nSaved {path} and {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

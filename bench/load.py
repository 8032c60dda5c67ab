"""Simulated patients over real getUpdates, against a bot running as a separate process.

The emulated Bot API (bot.preview.emulator) runs in this process; the bot under
test polls it over HTTP from its own process. Every recorded API call reaches
`Tracker.on_call` (a `server.listeners` hook), which timestamps:

* delivery: the moment a getUpdates answer carrying the patient's update is handed out;
* first answer: the arrival (`ApiCall.at`) of the bot's first API call about that update
  (sendMessage / editMessage* into the patient's chat, or answerCallbackQuery of the press);
* done: the arrival of the call the patient waits for (the expected message, and the
  answerCallbackQuery of a press) - only then does the patient act again.

Latency = first answer - delivery. Both stamps come from the same clock (time.monotonic)
in the same event loop as the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bot import pacing
from bot.preview.emulator import TEST_TOKEN, ApiCall, FakeTelegramServer, FakeUser

REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGER_CHAT_ID = -1001234567890
# The bot's settings that a developer's environment must not leak into the run.
SETTING_VARIABLES = (
    "BOT_TOKEN",
    "MANAGER_CHAT_ID",
    "MANAGER_THREAD_ID",
    "ADMIN_IDS",
    "DATABASE_URL",
    "TELEGRAM_API_URL",
    "DEFAULT_LOCALE",
    "STAFF_FROM_MANAGER_CHAT",
    "MANAGER_TOPICS",
    "RETENTION_DAYS",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEB_HOST",
    "WEB_PORT",
    "REDIS_URL",
    "METRICS_PORT",
    "THROTTLE_LIMIT",
    "THROTTLE_WINDOW_SECONDS",
    "OUTBOX_POLL_SECONDS",
)


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Step:
    """One action of a patient: the update it sends and the answer it waits for."""

    name: str
    kind: str  # "text" | "tap" (reply keyboard) | "contact" (request_contact) | "press"
    label: str | int  # text typed / button label (a press: label or index of the button)
    expect: str  # substring of the bot's message that completes the step


def _session(
    *,
    start: str,
    article: str,
    article_menu: str,
    section: str,
    next_button: str,
    prices: str,
    price: str,
    book: str,
    ask_service: str,
    service: str,
    ask_name: str,
    name: str,
    ask_phone: str,
    share: str,
    ask_time: str,
    evening: str,
    ask_complaint: str,
    complaint: str,
    ask_consent: str,
    agree: str,
    summary: str,
    confirm: str,
    done: str,
    review: str,
    ask_rating: str,
    ask_text: str,
    review_text: str,
    ask_signature: str,
    sign_as: str,
    thanks: str,
) -> tuple[Step, ...]:
    return (
        Step("/start", "text", "/start", start),
        Step("article menu", "tap", article, article_menu),
        Step("section 1", "press", 0, f"{section} 1 "),
        Step("section 2", "press", next_button, f"{section} 2 "),
        Step("section 3", "press", next_button, f"{section} 3 "),
        Step("prices", "tap", prices, price),
        Step("book", "tap", book, ask_service),
        Step("service", "press", service, ask_name),
        Step("name", "text", name, ask_phone),
        Step("phone", "contact", share, ask_time),
        Step("time", "press", evening, ask_complaint),
        Step("complaint", "text", complaint, ask_consent),
        Step("consent", "press", agree, summary),
        Step("confirm", "press", confirm, done),
        Step("review", "tap", review, ask_rating),
        Step("stars", "press", "⭐⭐⭐⭐", ask_text),
        Step("review text", "text", review_text, ask_signature),
        Step("signature", "press", sign_as, thanks),
    )


SESSIONS: dict[str, tuple[Step, ...]] = {
    "ru": _session(
        start="Здравствуйте",
        article="📖 Об остеопорозе",
        article_menu="Выберите раздел",
        section="Раздел",
        next_button="Далее ▶️",
        prices="💳 Цены",
        price="от 6 500 ₽",
        book="📝 Записаться на консультацию",
        ask_service="Какая услуга",
        service="Второй курс лечения (12 сеансов)",
        ask_name="Как вас зовут?",
        name="Мария Петровна",
        ask_phone="Ваш телефон",
        share="📱 Поделиться номером",
        ask_time="Когда вам удобно",
        evening="🌆 Вечером (17:00–20:00)",
        ask_complaint="Коротко опишите",
        complaint="Болит стопа после бега & долгой ходьбы",
        ask_consent="Согласие на обработку",
        agree="✅ Согласен(на)",
        summary="Проверьте, пожалуйста, заявку",
        confirm="✅ Подтвердить",
        done="принята",
        review="✍️ Оставить отзыв",
        ask_rating="Выберите от 1 до 5",
        ask_text="Расскажите",
        review_text="Врачи внимательные, всё объяснили <спасибо>",
        ask_signature="Как подписать",
        sign_as="✍️ Подписать:",
        thanks="Спасибо за отзыв",
    ),
    "en": _session(
        start="Hello",
        article="📖 About osteoporosis",
        article_menu="Choose a section",
        section="Section",
        next_button="Next ▶️",
        prices="💳 Prices",
        price="from 6,500 ₽",
        book="📝 Book a consultation",
        ask_service="Which service",
        service="Second treatment cycle (12 sessions)",
        ask_name="What is your name?",
        name="Kate Smith",
        ask_phone="phone number",
        share="📱 Share my phone",
        ask_time="When is it convenient",
        evening="🌆 Evening (17:00–20:00)",
        ask_complaint="Briefly describe",
        complaint="My foot hurts after running & long walks",
        ask_consent="Consent to the processing",
        agree="✅ I agree",
        summary="Please check your request",
        confirm="✅ Confirm",
        done="has been received",
        review="✍️ Leave a review",
        ask_rating="from 1 to 5",
        ask_text="Tell us",
        review_text="Attentive doctors, everything was explained <thanks>",
        ask_signature="How should we sign",
        sign_as="✍️ Sign as ",
        thanks="Thank you for your review",
    ),
}
Sessions = Mapping[str, tuple[Step, ...]]


def returning(sessions: Sessions) -> dict[str, tuple[Step, ...]]:
    """A returning patient (the paced phase runs sessions again) is not asked for a consent
    already given: the complaint leads straight to the summary."""
    return {
        locale: tuple(
            Step(s.name, s.kind, s.label, steps[i + 1].expect) if s.name == "complaint" else s
            for i, s in enumerate(steps)
            if s.name != "consent"
        )
        for locale, steps in sessions.items()
    }


def with_labels(sessions: Sessions, labels: Mapping[str, str | int]) -> dict[str, tuple[Step, ...]]:
    """The same sessions with other buttons pressed at the steps named in `labels`."""
    return {
        locale: tuple(
            Step(s.name, s.kind, labels[s.name], s.expect) if s.name in labels else s for s in steps
        )
        for locale, steps in sessions.items()
    }


# The release before the redesign (`--before`) worded the signature button differently
# ("✍️ Именем …", "✍️ As …"); its emoji, matched inside the label, finds it in both.
EARLIER_RELEASE_SESSIONS = with_labels(SESSIONS, {"signature": "✍️"})
STEPS_PER_SESSION = len(SESSIONS["ru"])
STEP_NAMES = [step.name for step in SESSIONS["ru"]]


def locale_of(index: int) -> str:
    """Three patients in four write in Russian, one in English."""
    return "en" if index % 4 == 3 else "ru"


# --------------------------------------------------------------------------- tracking


@dataclass
class Pending:
    """The one update a patient has in flight."""

    step: int
    expect: str | None  # None: any message into the chat completes it (the bare bot)
    sent: float
    query_id: str | None = None
    delivered: float | None = None
    first_answer: float | None = None
    message_done: float | None = None
    callback_done: float | None = None
    message: dict[str, Any] | None = None
    future: asyncio.Future[None] = field(default_factory=lambda: asyncio.Future())

    def check_done(self) -> None:
        if self.message_done is None:
            return
        if self.query_id is not None and self.callback_done is None:
            return
        if not self.future.done():
            self.future.set_result(None)


@dataclass
class Sample:
    step: str
    queue: float  # enqueued -> handed out by getUpdates
    latency: float  # handed out -> the bot's first answering call
    full: float  # handed out -> the last call the patient waited for


class Tracker:
    """Listens to every API call of one emulated server and completes patients' steps."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.pending: dict[int, Pending] = {}
        self.queries: dict[str, int] = {}
        self.samples: list[Sample] = []
        self.api_calls = 0
        self.failed_calls = 0
        self.stray_calls = 0
        self.posts = 0
        server.listeners.append(self.on_call)

    def reset(self) -> None:
        self.samples = []
        self.api_calls = 0
        self.failed_calls = 0
        self.stray_calls = 0
        self.posts = 0
        self.queries.clear()

    def on_call(self, call: ApiCall) -> None:
        method = call.method.lower()
        if method == "getupdates":
            if call.ok and call.result:
                now = time.monotonic()
                for update in call.result:
                    sender = _sender(update)
                    pending = self.pending.get(sender) if sender is not None else None
                    if pending is not None and pending.delivered is None:
                        pending.delivered = now
            return
        self.api_calls += 1
        if not call.ok:
            self.failed_calls += 1
        elif method in POSTING_METHODS:
            self.posts += 1
        if method == "answercallbackquery":
            user_id = self.queries.get(str(call.params.get("callback_query_id")))
            if user_id is None:
                return
            pending = self.pending.get(user_id)
            if pending is None or pending.query_id != str(call.params["callback_query_id"]):
                self.stray_calls += 1
                return
            self._answered(pending, call)
            pending.callback_done = call.at
            pending.check_done()
            return
        try:
            chat_id = int(call.params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        pending = self.pending.get(chat_id)
        if pending is None:
            return
        if pending.delivered is None or pending.message_done is not None:
            # A call about the chat outside a step in flight: the previous step's
            # expected message was not its last call. Reported; should stay 0.
            self.stray_calls += 1
            return
        self._answered(pending, call)
        message = call.message
        if message is None or not call.ok:
            return
        text = str(message.get("text") or message.get("caption") or "")
        if pending.expect is None or pending.expect in text:
            pending.message_done = call.at
            pending.message = message
            pending.check_done()

    @staticmethod
    def _answered(pending: Pending, call: ApiCall) -> None:
        if pending.first_answer is None and pending.delivered is not None:
            pending.first_answer = call.at


# Bot API methods that post a new message (Telegram's ~30 a second overall counts these):
# the bot's own list (`bot.pacing`), by the names the emulated Bot API sees.
POSTING_METHODS = frozenset(
    method.__api_method__.lower()
    for method in (*pacing.POSTING_METHODS, *pacing.MULTI_POSTING_METHODS)
)


def _sender(update: dict[str, Any]) -> int | None:
    for kind in ("message", "callback_query", "edited_message"):
        event = update.get(kind)
        if isinstance(event, dict):
            return int(event["from"]["id"])
    return None


# --------------------------------------------------------------------------- patients


class StepError(Exception):
    pass


def _find_button(message: dict[str, Any] | None, label: str | int) -> str:
    if message is None:
        raise StepError("no message to press a button on")
    buttons = [
        (str(button.get("text", "")), str(button.get("callback_data", "")))
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]
    if isinstance(label, int):
        if label < len(buttons):
            return buttons[label][1]
    else:
        for exact in (True, False):
            for text, data in buttons:
                if (text == label) if exact else (label in text):
                    return data
    raise StepError(f"no button {label!r} in {[text for text, _ in buttons]}")


class Window:
    """The paced phase: patients first reach a random step of their session unmeasured, then
    all act at once with pauses for `seconds`; only that window is measured."""

    def __init__(self, patients: int, think: float, seconds: float) -> None:
        self.think = think
        self.seconds = seconds
        self.waiting = patients
        self.all_ready = asyncio.Event()
        self.go = asyncio.Event()
        self.until = 0.0

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0:
            self.all_ready.set()

    def open(self) -> float:
        started = time.monotonic()
        self.until = started + self.seconds
        self.go.set()
        return started


async def run_patient(
    server: FakeTelegramServer,
    tracker: Tracker,
    user_id: int,
    index: int,
    *,
    bare: bool,
    window: Window | None,
    step_seconds: float,
    rng: random.Random,
    sessions: Sessions = SESSIONS,
) -> str | None:
    """A session without pauses (capacity), or paced steps within the window;
    returns None, or why the patient stopped."""
    locale = locale_of(index)
    user: FakeUser = server.private_user(
        user_id, "Мария" if locale == "ru" else "Kate", language_code=locale
    )
    user.phone_number = f"+7916{user_id % 10_000_000:07d}"
    session = sessions[locale]
    again = returning(sessions)[locale]
    start_at = rng.randrange(STEPS_PER_SESSION) if window is not None else 0
    measuring = window is None
    arrived = False
    last: dict[str, Any] | None = None
    number = 0
    try:
        while True:
            if number == len(session):
                if window is None:
                    return None
                session, number, last = again, 0, None  # one more visit
            if window is not None:
                if not measuring and number >= start_at:
                    window.arrived()
                    arrived = True
                    await window.go.wait()
                    measuring = True
                    await asyncio.sleep(rng.uniform(0, window.think))
                elif measuring:
                    await asyncio.sleep(rng.uniform(0.5 * window.think, 1.5 * window.think))
                if measuring and time.monotonic() >= window.until:
                    return None
            step = session[number]
            pending = Pending(
                step=number, expect=None if bare else step.expect, sent=time.monotonic()
            )
            tracker.pending[user_id] = pending
            if step.kind == "press":
                data = _find_button(last, 0 if bare else step.label)
                assert last is not None
                pending.query_id = server.press(user, int(last["message_id"]), data)
                tracker.queries[pending.query_id] = user_id
            elif step.kind == "contact":
                if bare:
                    server.send_contact(user, user.phone_number)
                else:
                    server.tap_reply_button(user, str(step.label))
            elif step.kind == "tap" and not bare:
                server.tap_reply_button(user, str(step.label))
            else:  # text; a tap is a text message too, and the bare bot shows no keyboard
                server.send_text(user, str(step.label))
            try:
                await asyncio.wait_for(pending.future, step_seconds)
            except TimeoutError:
                return f"step {step.name!r}: no answer containing {pending.expect!r}"
            assert pending.delivered is not None
            assert pending.first_answer is not None and pending.message_done is not None
            if measuring:
                done = max(pending.message_done, pending.callback_done or 0.0)
                tracker.samples.append(
                    Sample(
                        step=step.name,
                        queue=pending.delivered - pending.sent,
                        latency=pending.first_answer - pending.delivered,
                        full=done - pending.delivered,
                    )
                )
            last = pending.message
            number += 1
    except (StepError, AssertionError) as error:
        return f"{type(error).__name__}: {error}"
    finally:
        tracker.pending.pop(user_id, None)
        if window is not None and not arrived:
            window.arrived()


# --------------------------------------------------------------------------- processes


class Sampler(threading.Thread):
    """Samples the RSS of a process every few milliseconds, independent of the event loop."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop_event = threading.Event()
        self.peak = 0
        self.last = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            with contextlib.suppress(psutil.Error):
                rss = self._process.memory_info().rss
                self.last = rss
                self.peak = max(self.peak, rss)
            self._stop_event.wait(self._interval)

    def reset_peak(self) -> None:
        self.peak = self.last

    def stop(self) -> None:
        self._stop_event.set()


class BotProcess:
    """`python -m bot` (or the bare bot) in its own process, polling one emulated server.

    `source` is the tree the module is imported from (PYTHONPATH): this repository, or an
    earlier release's worktree; `sessions` are the patients' sessions worded for it.
    """

    def __init__(
        self,
        name: str,
        module: str,
        workdir: Path,
        extra_env: dict[str, str],
        *,
        profile: Path | None = None,
        source: Path = REPO_ROOT,
        sessions: Sessions = SESSIONS,
    ) -> None:
        self.name = name
        self.module = module
        self.workdir = workdir
        self.extra_env = extra_env
        self.profile = profile
        self.source = source
        self.sessions = sessions
        self.process: subprocess.Popen[bytes] | None = None
        self.profiler: subprocess.Popen[bytes] | None = None
        self.sampler: Sampler | None = None
        self.log_path = workdir / f"{name}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, server: FakeTelegramServer, start_seconds: float = 60.0) -> None:
        since = server.mark()
        self._spawn(server.base_url)
        assert self.process is not None
        deadline = time.monotonic() + start_seconds
        while not any(c.method.lower() == "getupdates" for c in server.calls[since:]):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start polling; see {self.log_path}")
            await asyncio.sleep(0.05)
        self.sampler = Sampler(self.pid)
        self.sampler.start()
        if self.profile is not None:
            self._spawn_profiler(self.profile)

    def _spawn(self, api_url: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES}
        env.update(
            {
                "BOT_TOKEN": TEST_TOKEN,
                "TELEGRAM_API_URL": api_url,
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(self.source), os.environ.get("PYTHONPATH")])
                ),
                **self.extra_env,
            }
        )
        log = self.log_path.open("ab")
        # The working directory is the run's temp folder: no developer .env is read.
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def _spawn_profiler(self, output: Path) -> None:
        # py-spy (pip install py-spy; not a dependency): collapsed stacks, idle excluded.
        self.profiler = subprocess.Popen(
            [
                *("py-spy", "record", "--pid", str(self.pid), "--rate", "200"),
                *("--format", "raw", "--output", str(output), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> int | None:
        if self.sampler is not None:
            self.sampler.stop()
        if self.profiler is not None:
            self.profiler.send_signal(signal.SIGINT)
            try:
                self.profiler.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.profiler.kill()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


# --------------------------------------------------------------------------- one level


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class LevelResult:
    bot: str
    phase: str  # "capacity" (no pauses) | "paced" (patients think between actions)
    patients: int
    think: float
    updates: int
    failures: int
    wall: float
    throughput: float
    p50: float
    p95: float
    p99: float
    max: float
    full_p50: float
    full_p99: float
    queue_p50: float
    queue_p99: float
    rss_peak: int
    bot_cpu: float
    bench_cpu: float
    api_calls: int
    failed_calls: int
    stray_calls: int
    db_bytes: int | None
    per_step: dict[str, tuple[float, float]]
    failure_examples: list[str]
    posts: int = 0  # messages the bot posted (sendMessage and the like), any chat

    @property
    def cpu_ms_per_update(self) -> float:
        return 1000 * self.bot_cpu / self.updates if self.updates else 0.0

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.wall if self.wall > 0 else 0.0


async def run_level(
    server: FakeTelegramServer,
    tracker: Tracker,
    bot: BotProcess,
    *,
    patients: int,
    first_id: int,
    phase: str,
    think: float,
    window_seconds: float,
    step_seconds: float,
    db_files: Sequence[Path] = (),
    seed: int = 1,
) -> LevelResult:
    tracker.reset()
    server.calls.clear()  # keep the emulator's record small between levels
    # The harness must not pause: collect now, then no cyclic GC in this process until the
    # level is over (its garbage is a few thousand records; reference counting frees most).
    gc.collect()
    gc.disable()
    try:
        return await _run_level(
            server,
            tracker,
            bot,
            patients=patients,
            first_id=first_id,
            phase=phase,
            think=think,
            window_seconds=window_seconds,
            step_seconds=step_seconds,
            db_files=db_files,
            seed=seed,
        )
    finally:
        gc.enable()


async def _run_level(
    server: FakeTelegramServer,
    tracker: Tracker,
    bot: BotProcess,
    *,
    patients: int,
    first_id: int,
    phase: str,
    think: float,
    window_seconds: float,
    step_seconds: float,
    db_files: Sequence[Path],
    seed: int,
) -> LevelResult:
    assert bot.sampler is not None
    bot.sampler.reset_peak()
    me = psutil.Process()
    bench_cpu0 = sum(me.cpu_times()[:2])
    bot_cpu0 = bot.cpu_seconds()
    rng = random.Random(seed)
    window = Window(patients, think, window_seconds) if think > 0 else None
    started = time.monotonic()
    running = asyncio.gather(
        *(
            run_patient(
                server,
                tracker,
                first_id + index,
                index,
                bare=bot.name == "bare",
                window=window,
                step_seconds=step_seconds,
                rng=random.Random(rng.random()),
                sessions=bot.sessions,
            )
            for index in range(patients)
        )
    )
    if window is not None:
        # Everybody reaches their starting step first (unmeasured), then the window opens.
        await window.all_ready.wait()
        tracker.reset()
        bot.sampler.reset_peak()
        bench_cpu0 = sum(me.cpu_times()[:2])
        bot_cpu0 = bot.cpu_seconds()
        started = window.open()
    outcomes = await running
    wall = time.monotonic() - started
    bot_cpu = bot.cpu_seconds() - bot_cpu0
    bench_cpu = sum(me.cpu_times()[:2]) - bench_cpu0
    failures = [outcome for outcome in outcomes if outcome is not None]
    samples = tracker.samples
    latencies = [s.latency for s in samples]
    per_step: dict[str, tuple[float, float]] = {}
    for name in STEP_NAMES:
        values = [s.latency for s in samples if s.step == name]
        per_step[name] = (percentile(values, 50), percentile(values, 99))
    return LevelResult(
        bot=bot.name,
        phase=phase,
        patients=patients,
        think=think,
        updates=len(samples),
        failures=len(failures),
        wall=wall,
        throughput=len(samples) / wall if wall > 0 else 0.0,
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        max=max(latencies, default=0.0),
        full_p50=percentile([s.full for s in samples], 50),
        full_p99=percentile([s.full for s in samples], 99),
        queue_p50=percentile([s.queue for s in samples], 50),
        queue_p99=percentile([s.queue for s in samples], 99),
        rss_peak=bot.sampler.peak,
        bot_cpu=bot_cpu,
        bench_cpu=bench_cpu,
        api_calls=tracker.api_calls,
        failed_calls=tracker.failed_calls,
        stray_calls=tracker.stray_calls,
        db_bytes=sum(p.stat().st_size for p in db_files if p.exists()) if db_files else None,
        per_step=per_step,
        failure_examples=sorted(set(failures))[:5],
        posts=tracker.posts,
    )

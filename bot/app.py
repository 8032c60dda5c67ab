"""Assembly of the application: one factory shared by `__main__`, the tests and the tools."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiohttp import web

from bot.clock import Clock, utc_now
from bot.commands import register_commands
from bot.content import CONTENT_DIR, Content, load_content
from bot.content_store import (
    OVERRIDES_REFRESH_SECONDS,
    ContentMiddleware,
    ContentStore,
    OverridesRefresh,
    reload_texts,
)
from bot.digests import DigestLine, render_digest
from bot.flood import Counter, FloodMiddleware, MemoryCounter, RedisCounter
from bot.fsm import RepositoryStorage
from bot.handlers import build_routers
from bot.handlers.visit_desk import VisitDesk
from bot.handlers.visits import VisitTexts
from bot.i18n import Translations, Translator, load_translations
from bot.isolation import InFlightEventIsolation
from bot.jobs import PeriodicJobs
from bot.keyboards import forget_kept_keyboards
from bot.metrics import Metrics, MetricsMiddleware
from bot.middlewares import CallbackAnswers, LocaleMiddleware, UpdatesInFlight
from bot.outbox import OutboxSender, OutboxTiming, alert_admins
from bot.pacing import SendPacingMiddleware
from bot.polling_log import POLLING_LOGGER, OncePerOutage
from bot.retry import KeepResponseTypes, RetryAfterMiddleware
from bot.services.appointments import VisitRules
from bot.services.common import ManagerChat
from bot.services.escalation import ESCALATION_SECONDS, EscalationJob, reminder_text
from bot.services.retention import DAY_SECONDS, RetentionTask
from bot.services.visits import VISIT_MESSAGES_SECONDS, VisitMessagesJob
from bot.settings import SUPPORTED_LOCALES, Settings
from bot.staff import StaffDirectory
from bot.startup import check_telegram, open_database
from bot.web import WEBHOOK_PATH, monitoring_app, webhook_app
from storage import Storage
from storage.models import NewReview
from storage.repositories import ReviewRepository

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0
"""How long a stop waits for the updates being handled to finish (their answers sent, their
rows written) before the outbox, the connection to Telegram and the database close."""


def create_bot(settings: Settings, *, pacing: SendPacingMiddleware | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(KeepResponseTypes())
    session.middleware(RetryAfterMiddleware())
    if pacing is not None:
        # Inside the retry: a repeated request waits for a slot of its own.
        session.middleware(pacing)
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def load_texts(settings: Settings) -> tuple[Content, Translations]:
    """Content and translations, validated; raises ContentError / TranslationError."""
    directory = settings.content_dir or CONTENT_DIR
    content = load_content(directory, SUPPORTED_LOCALES)
    translations = load_translations(
        directory,
        SUPPORTED_LOCALES,
        settings.default_locale,
        retention_days=settings.retention_days,
    )
    forget_kept_keyboards()  # they hold the translators of the texts loaded before
    return content, translations


async def _on_startup(
    bot: Bot,
    review_repo: ReviewRepository,
    content: Content,
    translations: Translations,
    outbox: OutboxSender,
    jobs: PeriodicJobs,
    settings: Settings,
) -> None:
    seeded = await review_repo.seed_reviews(
        [
            NewReview(user_id=None, author=r.author, rating=r.rating, text=r.text, locale="ru")
            for r in content.seed_reviews
        ]
    )
    if seeded:
        logger.info("Published the clinic's %d initial reviews", len(content.seed_reviews))
    await register_commands(bot, translations, settings)
    outbox.start(bot)
    jobs.start()
    logger.info("Bot started")


async def finish_updates(updates_in_flight: UpdatesInFlight) -> None:
    """Wait, within the grace period, for the updates being handled; no new ones come now."""
    if updates_in_flight.running:
        logger.info("Stopping: waiting for %d update(s) being handled", updates_in_flight.running)
    if not await updates_in_flight.wait_idle(SHUTDOWN_GRACE_SECONDS):
        logger.warning(
            "Stopping with %d update(s) still being handled after %.0f s",
            updates_in_flight.running,
            SHUTDOWN_GRACE_SECONDS,
        )


async def _on_shutdown(
    outbox: OutboxSender, jobs: PeriodicJobs, updates_in_flight: UpdatesInFlight
) -> None:
    # Polling has stopped taking updates (a webhook's server has stopped listening); the
    # ones being handled finish first: they answer patients and queue cards.
    await finish_updates(updates_in_flight)
    # Jobs first: what they queue on their last pass is still sent.
    await jobs.stop()
    await outbox.stop()
    logger.info("Bot stopped")


def create_dispatcher(
    settings: Settings,
    *,
    storage: Storage,
    content: Content,
    translations: Translations,
    timing: OutboxTiming | None = None,
    fsm_storage: BaseStorage | None = None,
    redis: Redis | None = None,
    metrics: Metrics | None = None,
    clock: Clock = utc_now,
) -> Dispatcher:
    """A fresh dispatcher with fresh routers; services travel as workflow data.

    Handlers receive them by parameter name: the repositories by area (`patient_repo`,
    `request_repo`, ... see `Storage.workflow_data`), `clinic_t` for the clinic's side, `t`
    for the patient (set per update by the locale middleware), `callback_answer` for a
    button press, `visit_desk` for the request cards' and the visit loop's shared steps.
    """
    clinic_t = translations.get(settings.default_locale)

    def clinic_texts() -> Translator:
        """The clinic side's texts in use when a message goes out: `content_store` (below)
        follows /reload, as `clinic_t` of the handlers does (`ContentMiddleware`)."""
        return content_store.translations.get(settings.default_locale)

    async def alert(bot: Bot, error: str, pending: int) -> None:
        await alert_admins(
            bot,
            settings.admin_ids,
            clinic_texts()("outbox-alert", error=html.quote(error), count=pending),
        )

    def digest(lines: Sequence[DigestLine]) -> tuple[str, str]:
        return render_digest(
            clinic_texts(),
            content_store.content.for_locale(settings.default_locale),
            content_store.translations,
            lines,
        )

    outbox = OutboxSender(
        storage.outbox,
        storage.patients,
        storage.conversations,
        timing=timing
        or OutboxTiming(
            poll_seconds=settings.outbox_poll_seconds,
            per_chat_limit=settings.outbox_chat_limit,
            per_chat_window_seconds=settings.outbox_chat_window_seconds,
        ),
        topics=settings.manager_topics,
        topic_title=lambda name, user_id: clinic_texts()("topic-title", name=name, id=str(user_id)),
        alert=alert,
        on_error=(lambda code: metrics.send_errors.labels(code=code).inc()) if metrics else None,
        # A patient who blocked the bot gets no further reminders or follow-ups.
        on_patient_gone=storage.appointments.cancel_patient_messages,
        digest=digest,
    )
    jobs = PeriodicJobs()
    jobs.add(
        "retention",
        DAY_SECONDS,
        RetentionTask(storage.patients, settings.retention_days, clock=clock).run_once,
    )
    # The texts in use: the files plus staff's overrides, re-read by /reload and SIGHUP.
    content_store = ContentStore(content, translations)
    overrides_refresh = OverridesRefresh(content_store, storage.overrides)
    jobs.add("content-overrides", OVERRIDES_REFRESH_SECONDS, overrides_refresh.run_once)
    # The visit loop: due reminders and follow-ups move into the outbox, once each.
    jobs.add(
        "visit-messages",
        VISIT_MESSAGES_SECONDS,
        VisitMessagesJob(
            storage.appointments,
            rules=VisitRules.from_settings(settings),
            render=VisitTexts(content_store, settings.clinic_zone).render,
            wake=outbox.wake,
            clock=clock,
        ).run_once,
    )
    # No request left waiting: untaken ones raised again in the manager chat (working time).
    jobs.add(
        "escalation",
        ESCALATION_SECONDS,
        EscalationJob(
            storage.escalations,
            storage.conversations,
            storage.patients,
            clinic=lambda: content_store.content.clinic,
            zone=settings.clinic_zone,
            take_within=timedelta(minutes=settings.take_within_minutes),
            managers=ManagerChat(settings.manager_chat_id, settings.manager_thread_id),
            render=lambda request_id, reminder: reminder_text(
                clinic_texts(),
                request_id,
                reminder,
                settings.take_within_minutes,
                settings.on_duty_staff,
            ),
            wake=outbox.wake,
            clock=clock,
        ).run_once,
    )
    updates_in_flight = UpdatesInFlight()
    # One update at a time per chat and user: a double tap on "Confirm" sees the
    # finished form instead of racing it (across instances with Redis).
    # (In this process: a lock per conversation in flight, not per patient ever seen.)
    isolation: BaseEventIsolation = InFlightEventIsolation()
    if redis is not None:
        # Imported only when used: the Redis client is ~5 MB of a single instance's memory.
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        isolation = RedisEventIsolation(redis)
        # Forms live in Redis when several instances share the work, else in the database.
        fsm_storage = fsm_storage or RedisStorage(redis)
    dispatcher = Dispatcher(
        storage=fsm_storage or RepositoryStorage(storage.forms),
        events_isolation=isolation,
        settings=settings,
        content=content,
        translations=translations,
        clinic_t=clinic_t,
        clock=clock,
        outbox=outbox,
        staff=StaffDirectory(settings),
        jobs=jobs,
        updates_in_flight=updates_in_flight,
        content_store=content_store,
        load_texts=lambda: load_texts(settings),
        visit_desk=VisitDesk.of(storage, outbox=outbox, settings=settings, clock=clock),
    )
    dispatcher.workflow_data.update(storage.workflow_data())
    # Outermost: counts every update from start to end, so that a stop waits for it.
    dispatcher.update.outer_middleware(updates_in_flight)
    if metrics is not None:
        dispatcher.update.outer_middleware(MetricsMiddleware(metrics))
    # Before the locale: `translations` may have been reloaded since the last update.
    dispatcher.update.outer_middleware(ContentMiddleware(settings.default_locale))
    dispatcher.update.outer_middleware(LocaleMiddleware())
    counter: Counter = (
        RedisCounter(redis, settings.throttle_window_seconds)
        if redis is not None
        else MemoryCounter(settings.throttle_window_seconds)
    )
    flood = FloodMiddleware(counter, settings.throttle_limit)
    dispatcher.message.outer_middleware(flood)
    dispatcher.callback_query.outer_middleware(flood)
    # Every handled button press is answered once its handler is done (with the text or
    # alert the handler set on `callback_answer`), so none is left spinning.
    dispatcher.callback_query.middleware(CallbackAnswers())
    dispatcher.include_routers(*build_routers())
    # The overrides are in use before the first update is handled.
    dispatcher.startup.register(overrides_refresh.run_once)
    dispatcher.startup.register(_on_startup)
    dispatcher.shutdown.register(_on_shutdown)
    return dispatcher


@dataclass
class Application:
    """The bot with its services, started and stopped as one piece (by `main` and by tests)."""

    settings: Settings
    storage: Storage
    bot: Bot
    dispatcher: Dispatcher
    metrics: Metrics
    redis: Redis | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        timing: OutboxTiming | None = None,
    ) -> Application:
        content, translations = load_texts(settings)
        storage = await open_database(settings.database_url)
        redis = None
        if settings.redis_url:
            from redis.asyncio import Redis

            redis = Redis.from_url(settings.redis_url)
        metrics = Metrics()
        dispatcher = create_dispatcher(
            settings,
            storage=storage,
            content=content,
            translations=translations,
            timing=timing,
            redis=redis,
            metrics=metrics,
        )
        pace = (
            timing
            or OutboxTiming(
                per_chat_limit=settings.outbox_chat_limit,
                per_chat_window_seconds=settings.outbox_chat_window_seconds,
            )
        ).pace
        pacing = SendPacingMiddleware(
            storage.outbox.reserve_send_slot, settings.manager_chat_id, pace
        )
        bot = create_bot(settings, pacing=pacing)
        return cls(settings, storage, bot, dispatcher, metrics, redis)

    async def reload_texts(self) -> None:
        """Re-read content/ (SIGHUP); a broken file is logged and the texts in use stay."""
        failure = await reload_texts(
            self.dispatcher["content_store"], self.dispatcher["load_texts"]
        )
        if failure is not None:
            logger.error(
                "Texts not reloaded: %s%s: %s",
                failure.file,
                "" if failure.line is None else f", line {failure.line}",
                failure.detail,
            )

    def reload_on_sighup(self) -> None:
        """SIGHUP re-reads content/, as daemons re-read their configuration."""
        if not hasattr(signal, "SIGHUP"):  # Windows has no SIGHUP
            return
        tasks: set[asyncio.Task[None]] = set()

        def reload() -> None:
            task = asyncio.create_task(self.reload_texts())
            tasks.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(tasks.discard)

        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)

    async def run_polling(self, *, handle_signals: bool = True) -> None:
        """Long polling until stopped; deletes a webhook first, as getUpdates needs."""
        if handle_signals:
            self.reload_on_sighup()
        monitoring = None
        if self.settings.metrics_port is not None:
            monitoring = await self._serve(
                monitoring_app(self.storage, self.metrics), self.settings.metrics_port
            )
        outages = OncePerOutage()
        logging.getLogger(POLLING_LOGGER).addFilter(outages)
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
            await self.dispatcher.start_polling(
                self.bot,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                handle_signals=handle_signals,
                close_bot_session=False,
            )
        finally:
            logging.getLogger(POLLING_LOGGER).removeFilter(outages)
            if monitoring is not None:
                await monitoring.cleanup()

    async def run_webhook(self, *, handle_signals: bool = True) -> None:
        """Serve Telegram's webhook (and /healthz, /metrics) until stopped or signalled."""
        if handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self._stopping.set)
            self.reload_on_sighup()
        assert self.settings.webhook_url is not None
        assert self.settings.webhook_secret is not None
        secret = self.settings.webhook_secret.get_secret_value()
        app = webhook_app(self.dispatcher, self.bot, secret, self.storage, self.metrics)
        runner = await self._serve(app, self.settings.web_port)
        try:
            await self.bot.set_webhook(
                self.settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
                secret_token=secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
            logger.info(
                "Webhook registered; serving on %s:%d",
                self.settings.web_host,
                self.settings.web_port,
            )
            await self._stopping.wait()
        finally:
            # aiogram's webhook handler closes the bot's session among the server's shutdown
            # hooks, before the dispatcher's: no new update is taken, and the ones being
            # handled (in the background) finish and the outbox stops, before that.
            for site in list(runner.sites):
                await site.stop()
            await finish_updates(self.dispatcher["updates_in_flight"])
            await self.dispatcher["jobs"].stop()
            await self.dispatcher["outbox"].stop()
            await runner.cleanup()

    async def _serve(self, app: web.Application, port: int) -> web.AppRunner:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, self.settings.web_host, port).start()
        return runner

    async def drop_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(RuntimeError):  # "Polling is not started": nothing to stop
            await self.dispatcher.stop_polling()

    async def close(self) -> None:
        await self.bot.session.close()
        await self.storage.close()
        if self.redis is not None:
            await self.redis.aclose()


async def run(settings: Settings, *, drop_webhook: bool = False) -> None:
    """Start in the mode the settings choose (webhook or long polling) until interrupted."""
    application = await Application.create(settings)
    try:
        await check_telegram(application.bot, settings.telegram_api_url)
        if drop_webhook:
            await application.drop_webhook()
            logger.info("Webhook removed")
        elif settings.webhook_url:
            await application.run_webhook()
        else:
            await application.run_polling()
    finally:
        await application.close()


async def run_polling(settings: Settings) -> None:
    """Start with long polling until interrupted (kept for callers of the first release)."""
    await run(settings)

"""Assembly of the application: one factory shared by `__main__`, the tests and the tools."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot import errors
from bot.commands import register_commands
from bot.content import CONTENT_DIR, Content, load_content
from bot.fsm import RepositoryStorage
from bot.handlers import create_routers
from bot.i18n import Translations, load_translations
from bot.middlewares import LocaleMiddleware
from bot.outbox import OutboxSender, OutboxTiming, alert_admins
from bot.services.retention import RetentionTask
from bot.settings import SUPPORTED_LOCALES, Settings
from bot.staff import StaffDirectory
from storage import Repository, SqliteRepository, open_repository
from storage.models import NewReview

logger = logging.getLogger(__name__)


def create_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def load_texts(settings: Settings) -> tuple[Content, Translations]:
    """Content and translations, validated; raises ContentError / TranslationError."""
    content = load_content(CONTENT_DIR, SUPPORTED_LOCALES)
    translations = load_translations(CONTENT_DIR, SUPPORTED_LOCALES, settings.default_locale)
    return content, translations


async def _on_startup(
    bot: Bot,
    repository: Repository,
    content: Content,
    translations: Translations,
    outbox: OutboxSender,
    retention: RetentionTask,
) -> None:
    seeded = await repository.seed_reviews(
        [
            NewReview(user_id=None, author=r.author, rating=r.rating, text=r.text, locale="ru")
            for r in content.seed_reviews
        ]
    )
    if seeded:
        logger.info("Published the clinic's %d initial reviews", len(content.seed_reviews))
    await register_commands(bot, translations)
    outbox.start(bot)
    retention.start()
    logger.info("Bot started")


async def _on_shutdown(outbox: OutboxSender, retention: RetentionTask) -> None:
    await outbox.stop()
    await retention.stop()
    logger.info("Bot stopped")


def create_dispatcher(
    settings: Settings,
    *,
    repository: Repository,
    content: Content,
    translations: Translations,
    timing: OutboxTiming | None = None,
    storage: BaseStorage | None = None,
) -> Dispatcher:
    """A fresh dispatcher with fresh routers; services travel as workflow data."""
    clinic_t = translations.get(settings.default_locale)

    async def alert(bot: Bot, error: str, pending: int) -> None:
        await alert_admins(
            bot,
            settings.admin_ids,
            clinic_t("outbox-alert", error=html.quote(error), count=pending),
        )

    outbox = OutboxSender(
        repository,
        timing=timing or OutboxTiming(poll_seconds=settings.outbox_poll_seconds),
        topics=settings.manager_topics,
        topic_title=lambda name, user_id: clinic_t("topic-title", name=name, id=str(user_id)),
        alert=alert,
    )
    dispatcher = Dispatcher(
        storage=storage if storage is not None else RepositoryStorage(repository),
        # One update at a time per chat and user: a double tap on "Confirm" sees the
        # finished form instead of racing it.
        events_isolation=SimpleEventIsolation(),
        settings=settings,
        repository=repository,
        content=content,
        translations=translations,
        outbox=outbox,
        staff=StaffDirectory(settings),
        retention=RetentionTask(repository, settings.retention_days),
    )
    dispatcher.update.outer_middleware(LocaleMiddleware(repository, translations))
    dispatcher.include_router(errors.create_router(translations))
    dispatcher.include_routers(*create_routers(settings, translations))
    dispatcher.startup.register(_on_startup)
    dispatcher.shutdown.register(_on_shutdown)
    return dispatcher


@dataclass
class Application:
    """The bot with its services, started and stopped as one piece (by `main` and by tests)."""

    settings: Settings
    repository: SqliteRepository
    bot: Bot
    dispatcher: Dispatcher

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        timing: OutboxTiming | None = None,
    ) -> Application:
        content, translations = load_texts(settings)
        repository = open_repository(settings.database_url)
        await repository.open()
        dispatcher = create_dispatcher(
            settings,
            repository=repository,
            content=content,
            translations=translations,
            timing=timing,
        )
        return cls(settings, repository, create_bot(settings), dispatcher)

    async def run_polling(self, *, handle_signals: bool = True) -> None:
        """Long polling until stopped; deletes a webhook first, as getUpdates needs."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dispatcher.start_polling(
            self.bot,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            handle_signals=handle_signals,
            close_bot_session=False,
        )

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # "Polling is not started": nothing to stop
            await self.dispatcher.stop_polling()

    async def close(self) -> None:
        await self.bot.session.close()
        await self.repository.close()


async def run_polling(settings: Settings) -> None:
    """Start with long polling until interrupted."""
    application = await Application.create(settings)
    try:
        await application.run_polling()
    finally:
        await application.close()

"""The bot's HTTP side: Telegram's webhook, `/healthz` and `/metrics`."""

from __future__ import annotations

import logging
import secrets

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics
from storage import Storage

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook"
# Beyond this the outbox is considered stuck and /healthz says so.
OUTBOX_STALE_SECONDS = 15 * 60


def health_routes(app: web.Application, storage: Storage, metrics: Metrics) -> None:
    async def healthz(_: web.Request) -> web.Response:
        try:
            pending, oldest_age = await metrics.refresh(storage.outbox)
        except Exception as error:  # the database is unreachable: that is the answer
            logger.warning("Health check failed: %s", type(error).__name__)
            return web.json_response({"status": "fail", "database": "unreachable"}, status=503)
        try:
            # Reads alone would pass on a read-only file on which every update fails.
            await storage.database.check_writable()
        except Exception as error:
            logger.warning("Health check: the database accepts no writes (%s)", error)
            return web.json_response({"status": "fail", "database": "read-only"}, status=503)
        healthy = oldest_age < OUTBOX_STALE_SECONDS
        body: dict[str, object] = {
            "status": "ok" if healthy else "degraded",
            "database": "ok",
            "outbox_pending": pending,
            "outbox_oldest_age_seconds": round(oldest_age, 1),
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_endpoint(_: web.Request) -> web.Response:
        body = await metrics.render(storage.outbox)
        response = web.Response(body=body)
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)


class SecretCheckingHandler(SimpleRequestHandler):
    """aiogram's handler, with a secret check that also refuses headers outside ASCII.

    `secrets.compare_digest` raises TypeError for non-ASCII text, which aiogram's own check
    turns into a 500 with a traceback; any header that is not the secret is a plain 401.
    """

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if not self.secret_token:
            return True
        try:
            given = telegram_secret_token.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return False
        return secrets.compare_digest(given, self.secret_token.encode("utf-8"))


def webhook_app(
    dispatcher: Dispatcher,
    bot: Bot,
    secret: str,
    storage: Storage,
    metrics: Metrics,
) -> web.Application:
    """aiogram's own aiohttp handler; a request without the secret header gets 401."""
    app = web.Application()
    SecretCheckingHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(
        app, path=WEBHOOK_PATH
    )
    setup_application(app, dispatcher, bot=bot)
    health_routes(app, storage, metrics)
    return app


def monitoring_app(storage: Storage, metrics: Metrics) -> web.Application:
    app = web.Application()
    health_routes(app, storage, metrics)
    return app

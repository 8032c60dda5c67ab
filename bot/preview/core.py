"""`clinic-bot preview`: the Bot API emulator, the real bot and a web page in one process.

Nothing here talks to Telegram: :class:`~bot.preview.emulator.FakeTelegramServer` plays the Bot API
on 127.0.0.1, the unchanged application long-polls it, and a small page (also on 127.0.0.1)
shows two chats, the patient's and the managers', kept current over a WebSocket. What a
person does on the page becomes an update from a fake user; what the bot does reaches the
page through the emulator's ``listeners``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.app import Application, create_bot, create_dispatcher
from bot.clock import utc_now
from bot.content import CONTENT_DIR, Content, ContentError, load_content
from bot.i18n import TranslationError, Translations, load_translations
from bot.keyboards import forget_kept_keyboards
from bot.metrics import Metrics
from bot.preview.emulator import (
    SEND_METHODS,
    TEST_TOKEN,
    TEXT_LIMIT,
    ApiCall,
    FakeChat,
    FakeTelegramServer,
    FakeUser,
)
from bot.preview.render import message_view, reply_keyboard_view
from bot.services.clinic_time import format_moment
from bot.settings import SUPPORTED_LOCALES, Settings
from storage import Storage, open_storage

__all__ = [
    "HOST",
    "MANAGER_CHAT_ID",
    "MANAGER_ID",
    "PATIENTS",
    "Preview",
    "content_snapshot",
    "load_texts",
    "preview_settings",
]

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Texts = tuple[Content, Translations]

HOST = "127.0.0.1"
MANAGER_CHAT_ID = -1001000000001
MANAGER_CHAT_TITLE = "Менеджеры клиники"
MANAGER_ID = 7001
MANAGER_NAME = "Мария"
#: One fake patient per Telegram app language, so switching keeps both conversations.
PATIENTS: dict[str, tuple[int, str]] = {"ru": (7101, "Анна"), "en": (7102, "Anna")}
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"app.js": "application/javascript", "style.css": "text/css"}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: How far the page may move the bot's clock in one step ("⏩ +1 h", "⏩ +1 day").
MAX_ADVANCE_HOURS = 24 * 7
# Bot API failures that the bot handles itself and a person need not see.
_QUIET_ERRORS = ("message is not modified", "query is too old")


class ActionError(Exception):
    """A page action that cannot be done; its message is shown to that page."""


def preview_settings(api_url: str, database_url: str) -> Settings:
    """Every setting fixed, so nothing from the environment or a `.env` leaks in."""
    return Settings(
        _env_file=None,
        bot_token=TEST_TOKEN,
        manager_chat_id=MANAGER_CHAT_ID,
        manager_thread_id=None,
        admin_ids=(MANAGER_ID,),
        database_url=database_url,
        telegram_api_url=api_url,
        default_locale="ru",
        staff_from_manager_chat=True,
        manager_topics=False,
        retention_days=365,
        webhook_url=None,
        webhook_secret=None,
        web_host=HOST,
        redis_url=None,
        metrics_port=None,
        throttle_limit=20,
        throttle_window_seconds=10.0,
        outbox_poll_seconds=1.0,
    )


def load_texts(directory: Path) -> Texts:
    """Content and translations from `directory`; raises ContentError / TranslationError."""
    content = load_content(directory, SUPPORTED_LOCALES)
    translations = load_translations(directory, SUPPORTED_LOCALES, "ru")
    forget_kept_keyboards()  # they hold the translators of the texts loaded before
    return content, translations


def content_snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every content file, to notice an edit by polling."""
    snapshot: dict[str, tuple[int, int]] = {}
    for path in directory.rglob("*"):
        if path.suffix not in (".toml", ".ftl"):
            continue
        try:
            stat = path.stat()
        except OSError:  # removed meanwhile (editors replace files)
            continue
        snapshot[path.relative_to(directory).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return snapshot


@dataclass(eq=False)
class _Client:
    """One open page: events are queued here and written in order by one task."""

    ws: web.WebSocketResponse
    queue: asyncio.Queue[JSONDict | None] = field(default_factory=asyncio.Queue)


class Preview:
    """The whole preview; ``async with Preview() as preview: print(preview.url)``."""

    def __init__(
        self,
        *,
        port: int = 0,
        database: Path | None = None,
        watch: bool = False,
        content_dir: Path = CONTENT_DIR,
        watch_interval: float = 0.5,
    ) -> None:
        self.port = port
        self.database = database
        self.watch = watch
        self.content_dir = content_dir
        self.watch_interval = watch_interval
        self.server = FakeTelegramServer(host=HOST)
        self.settings: Settings | None = None
        #: The last content problem ("file, line N: ..."), None while the content is fine.
        self.content_error: str | None = None
        self.language = "ru"

        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._manager_chat: FakeChat | None = None
        self._manager: FakeUser | None = None
        self._patients: dict[str, FakeUser] = {}
        self._storage: Storage | None = None
        self._app: Application | None = None
        self._polling: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._web: web.AppRunner | None = None
        self._url = ""
        self._clients: set[_Client] = set()
        self._watcher: asyncio.Task[None] | None = None
        # chat id -> message id -> view; dicts keep arrival order, edits replace in place.
        self._history: dict[int, dict[int, JSONDict]] = {}
        self._keyboards: dict[int, JSONDict | None] = {}
        self._queries: dict[str, int] = {}  # callback query id -> chat id, for its answer
        # The bot's clock runs this far ahead of the real one: the page's "⏩" controls move
        # it, so that a person can watch a reminder or a follow-up arrive.
        self._ahead = timedelta(0)
        self._passes: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The page's address, ``http://127.0.0.1:<port>/``; valid after :meth:`start`."""
        if not self._url:
            raise RuntimeError("the preview is not started")
        return self._url

    @property
    def patient(self) -> FakeUser:
        """The patient the page currently plays (one per Telegram app language)."""
        return self._patients[self.language]

    @property
    def bot_running(self) -> bool:
        return self._app is not None

    def clock(self) -> datetime:
        """The bot's "now": the real time, moved forward by the page's ⏩ controls."""
        return utc_now() + self._ahead

    async def advance(self, hours: int) -> None:
        """Move the bot's clock forward and run its periodic jobs at the new time (what
        their loops would do a little later): due reminders and follow-ups go out."""
        self._ahead += timedelta(hours=hours)
        self._emit(self._clock_event())
        if self._app is not None:
            await self._app.dispatcher["jobs"].run_all_once()

    def _clock_event(self) -> JSONDict:
        zone = self.settings.clinic_zone if self.settings is not None else None
        now = self.clock()
        return {
            "type": "clock",
            "now": now.isoformat(),
            "label": format_moment(now, zone, "en") if zone is not None else now.isoformat(),
            "ahead_hours": int(self._ahead.total_seconds() // 3600),
        }

    async def __aenter__(self) -> Preview:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start everything; invalid content raises, unless ``watch`` waits for a fix."""
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise

    async def _start(self) -> None:
        if self.database is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="clinic-preview-")
            database = Path(self._tmp.name) / "preview.db"
        else:
            database = self.database.expanduser().resolve()
        server = self.server
        await server.start()
        self._manager_chat = server.group(MANAGER_CHAT_ID, MANAGER_CHAT_TITLE)
        self._manager = server.private_user(MANAGER_ID, MANAGER_NAME, language_code="ru")
        server.chat_members[(MANAGER_CHAT_ID, MANAGER_ID)] = "administrator"
        for language, (user_id, name) in PATIENTS.items():
            self._patients[language] = server.private_user(user_id, name, language_code=language)
        self._history = {MANAGER_CHAT_ID: {}, **{user_id: {} for user_id, _ in PATIENTS.values()}}
        server.listeners.append(self._on_call)
        self.settings = preview_settings(server.base_url, f"sqlite:///{database}")
        await self._start_web()  # first: a taken port fails before anything else starts

        baseline = await asyncio.to_thread(content_snapshot, self.content_dir)
        try:
            texts = await asyncio.to_thread(load_texts, self.content_dir)
        except (ContentError, TranslationError) as error:
            if not self.watch:
                raise
            self.content_error = str(error)
            logger.error("Content error: %s (waiting for a fix)", error)
        else:
            await self._start_bot(texts)
            self._emit(self._state())  # for a page that connected while the bot started
        if self.watch:
            self._watcher = asyncio.create_task(self._watch(baseline), name="preview-watch")

    async def close(self) -> None:
        """Stop the watcher, the page, the bot and the emulator; remove the temporary data."""
        async with self._lock:  # lets a reload in progress finish first
            if self._watcher is not None:
                self._watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watcher
                self._watcher = None
            if self._clients:
                closing = [
                    client.ws.close(code=1001, message=b"preview stopped")
                    for client in self._clients
                ]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*closing, return_exceptions=True), timeout=3.0
                    )
            if self._web is not None:
                await self._web.cleanup()
                self._web = None
            await self._stop_bot()
            if self._storage is not None:
                await self._storage.close()
                self._storage = None
            if self._on_call in self.server.listeners:
                self.server.listeners.remove(self._on_call)
            await self.server.stop()
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    # ------------------------------------------------------------------ the bot

    async def _start_bot(self, texts: Texts) -> None:
        """Build a fresh application (same database) and wait until it polls."""
        assert self.settings is not None
        content, translations = texts
        if self._storage is None:
            self._storage = await open_storage(self.settings.database_url)
        metrics = Metrics()
        dispatcher = create_dispatcher(
            self.settings,
            storage=self._storage,
            content=content,
            translations=translations,
            metrics=metrics,
            clock=self.clock,
        )
        # A new Bot each time too: aiogram caches getMe, which marks the start below.
        bot = create_bot(self.settings)
        app = Application(
            settings=self.settings,
            storage=self._storage,
            bot=bot,
            dispatcher=dispatcher,
            metrics=metrics,
        )
        since = self.server.mark()
        polling = asyncio.create_task(app.run_polling(handle_signals=False), name="preview-bot")
        # getMe comes after the start-up hooks, right before polling: from then on the
        # dispatcher is running and stop_polling() can stop it.
        ready = asyncio.create_task(self.server.wait_for_call("getMe", since=since, timeout=30))
        try:
            await asyncio.wait({polling, ready}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            await _abandon(app, polling, ready)
            raise
        if ready.done() and ready.exception() is None and not polling.done():
            self._app, self._polling = app, polling
            return
        failure = await _abandon(app, polling, ready)
        if failure is not None:
            raise failure
        raise RuntimeError("the bot did not start polling")

    async def _stop_bot(self) -> None:
        app, polling = self._app, self._polling
        self._app, self._polling = None, None
        if app is None or polling is None:
            return
        try:
            await app.stop()
            await polling
        except Exception:
            logger.exception("The bot's polling had failed")
        finally:
            await app.bot.session.close()

    async def reload(self) -> bool:
        """Load the content again and restart the bot with it; False (and the old bot kept
        running) when the new content is invalid."""
        async with self._lock:
            try:
                texts = await asyncio.to_thread(load_texts, self.content_dir)
            except (ContentError, TranslationError) as error:
                self.content_error = str(error)
                logger.error("Content error: %s (the previous content stays in use)", error)
                self._emit({"type": "content_error", "message": self.content_error})
                return False
            # The routers' filters (reply-keyboard labels) are built from the translations
            # when the dispatcher is created: a fresh dispatcher is the only full reload.
            await self._stop_bot()
            await self._start_bot(texts)
            self.content_error = None
            logger.info("Content reloaded")
            self._emit({"type": "reloaded", "bot_running": True})
            return True

    async def _watch(self, baseline: dict[str, tuple[int, int]]) -> None:
        last = baseline
        while True:
            await asyncio.sleep(self.watch_interval)
            current = await asyncio.to_thread(content_snapshot, self.content_dir)
            if current == last:
                continue
            last = current
            try:
                await self.reload()
            except Exception as error:
                logger.exception("Reload failed")
                self._emit({"type": "content_error", "message": f"Reload failed: {error}"})

    # ------------------------------------------------------------------ the page

    async def _start_web(self) -> None:
        app = web.Application(middlewares=[self._local_only], client_max_size=256 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/ws", self._websocket)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self.port)
        await site.start()
        self._web = runner
        self.port = int(runner.addresses[0][1])
        self._url = f"http://{HOST}:{self.port}/"

    def _local_hosts(self) -> set[str]:
        return {f"{HOST}:{self.port}", f"localhost:{self.port}"}

    @web.middleware
    async def _local_only(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # Another name resolving to 127.0.0.1 (DNS rebinding) must not reach the page.
        if request.host not in self._local_hosts():
            raise web.HTTPMisdirectedRequest(text="the preview answers on 127.0.0.1 only")
        response: web.StreamResponse = await handler(request)
        return response

    async def _index(self, request: web.Request) -> web.StreamResponse:
        body = await asyncio.to_thread((STATIC_DIR / "index.html").read_bytes)
        return web.Response(
            body=body,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        body = await asyncio.to_thread((STATIC_DIR / name).read_bytes)
        return web.Response(
            body=body,
            content_type=STATIC_FILES[name],
            charset="utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.removeprefix("http://") not in self._local_hosts():
            raise web.HTTPForbidden(text="cross-origin WebSocket refused")
        ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024)
        await ws.prepare(request)
        client = _Client(ws)
        self._clients.add(client)
        client.queue.put_nowait(self._state())
        pump = asyncio.create_task(self._pump(client), name="preview-ws-writer")
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._act(client, message.data)
        finally:
            self._clients.discard(client)
            client.queue.put_nowait(None)
            await pump
        return ws

    @staticmethod
    async def _pump(client: _Client) -> None:
        while (event := await client.queue.get()) is not None:
            try:
                await client.ws.send_json(event)
            except (ConnectionError, RuntimeError):
                return  # the page went away; its handler ends and drops the client

    def _emit(self, event: JSONDict) -> None:
        for client in list(self._clients):
            client.queue.put_nowait(event)

    def _state(self) -> JSONDict:
        patient = self.patient
        return {
            "type": "state",
            "patient": {"id": patient.id, "name": patient.first_name, "language": self.language},
            "languages": list(PATIENTS),
            "manager": {"id": MANAGER_ID, "name": MANAGER_NAME},
            "manager_chat": {"id": MANAGER_CHAT_ID, "title": MANAGER_CHAT_TITLE},
            "chats": {
                "patient": list(self._history[patient.id].values()),
                "manager": list(self._history[MANAGER_CHAT_ID].values()),
            },
            "keyboard": self._keyboards.get(patient.id),
            "content_error": self.content_error,
            "bot_running": self.bot_running,
            "watching": self.watch,
            "content_dir": str(self.content_dir),
            "clock": self._clock_event(),
        }

    # ------------------------------------------------------------------ what the page does

    def _act(self, client: _Client, raw: str) -> None:
        try:
            action = json.loads(raw)
            if not isinstance(action, dict):
                raise ActionError("an action is a JSON object")
            kind = action.get("type")
            if kind == "send":
                self._send(action)
            elif kind == "tap":
                self._tap(_text(action, "text"))
            elif kind == "press":
                self._press(action)
            elif kind == "language":
                self._switch_language(action.get("language"))
            elif kind == "advance":
                self._advance(action.get("hours"))
            else:
                raise ActionError(f"unknown action {kind!r}")
        except (ActionError, AssertionError, ValueError) as error:
            client.queue.put_nowait({"type": "toast", "text": str(error), "alert": True})

    def _send(self, action: JSONDict) -> None:
        text = _text(action, "text")
        if action.get("chat") == "patient":
            self._record(self.server.send_text(self.patient, text))
            return
        if action.get("chat") != "manager":
            raise ActionError("chat must be 'patient' or 'manager'")
        assert self._manager is not None and self._manager_chat is not None
        reply_to = action.get("reply_to")
        if reply_to is not None and (
            not isinstance(reply_to, int) or reply_to not in self._history[MANAGER_CHAT_ID]
        ):
            raise ActionError("The message to reply to is no longer in the chat.")
        self._record(
            self.server.send_text(
                self._manager, text, chat=self._manager_chat, reply_to_message_id=reply_to
            )
        )

    def _tap(self, label: str) -> None:
        self._record(self.server.tap_reply_button(self.patient, label))

    def _press(self, action: JSONDict) -> None:
        message_id = action.get("message_id")
        data = action.get("data")
        if action.get("chat") == "manager":
            assert self._manager is not None
            user, chat, chat_id = self._manager, self._manager_chat, MANAGER_CHAT_ID
        elif action.get("chat") == "patient":
            user, chat, chat_id = self.patient, None, self.patient.id
        else:
            raise ActionError("chat must be 'patient' or 'manager'")
        view = self._history[chat_id].get(message_id) if isinstance(message_id, int) else None
        if view is None:
            raise ActionError("That message is no longer in the chat.")
        offered = {button.get("data") for row in view["buttons"] for button in row}
        if not isinstance(data, str) or data not in offered:
            raise ActionError("That button is no longer under the message.")
        assert isinstance(message_id, int)
        query_id = self.server.press(user, message_id, data, chat=chat)
        self._queries[query_id] = chat_id

    def _advance(self, hours: object) -> None:
        if not isinstance(hours, int) or isinstance(hours, bool):
            raise ActionError("hours must be a whole number")
        if not 1 <= hours <= MAX_ADVANCE_HOURS:
            raise ActionError(f"the clock moves 1 to {MAX_ADVANCE_HOURS} hours at a time")
        task = asyncio.create_task(self._advance_safely(hours), name="preview-advance")
        self._passes.add(task)
        task.add_done_callback(self._passes.discard)

    async def _advance_safely(self, hours: int) -> None:
        try:
            await self.advance(hours)
        except Exception:
            logger.exception("A job pass after moving the clock failed")

    def _switch_language(self, language: object) -> None:
        if not isinstance(language, str) or language not in PATIENTS:
            raise ActionError(f"language must be one of {', '.join(PATIENTS)}")
        self.language = language
        self._emit(self._state())
        if not self._history[self.patient.id]:
            self._record(self.server.send_text(self.patient, "/start"))

    def _record(self, message: JSONDict) -> None:
        chat_id = int(message["chat"]["id"])
        view = message_view(message, bot_id=self.server.bot_id)
        self._history[chat_id][view["id"]] = view
        self._emit({"type": "message", "chat_id": chat_id, "message": view})

    # ------------------------------------------------------------------ what the bot does

    def _on_call(self, call: ApiCall) -> None:
        """Called by the emulator for every Bot API request, right after it is answered."""
        try:
            self._show_call(call)
        except Exception:  # the page is a bystander: never fail the bot's request over it
            logger.exception("Could not show %s on the page", call.method)

    def _show_call(self, call: ApiCall) -> None:
        method = call.method.lower()
        if method == "getupdates":
            return
        params = call.params
        if not call.ok:
            description = call.description or ""
            if not any(quiet in description for quiet in _QUIET_ERRORS):
                self._emit(
                    {
                        "type": "api_error",
                        "chat_id": params.get("chat_id"),
                        "method": call.method,
                        "description": description,
                    }
                )
            return
        if method == "answercallbackquery":
            text = params.get("text")
            chat_id = self._queries.pop(str(params.get("callback_query_id")), None)
            if isinstance(text, str) and text:
                self._emit(
                    {
                        "type": "toast",
                        "chat_id": chat_id,
                        "text": text,
                        "alert": bool(params.get("show_alert")),
                    }
                )
            return
        if method in ("deletemessage", "deletemessages"):
            chat_id = params.get("chat_id")
            ids = params.get("message_ids", [params.get("message_id")])
            history = self._history.get(chat_id) if isinstance(chat_id, int) else None
            if history is None or not isinstance(ids, list):
                return
            for message_id in ids:
                if isinstance(message_id, int) and history.pop(message_id, None) is not None:
                    self._emit({"type": "delete", "chat_id": chat_id, "message_id": message_id})
            return
        message = call.message
        if message is None and method == "editmessagereplymarkup" and isinstance(call.result, dict):
            message = call.result
        if not isinstance(message, dict) or "message_id" not in message:
            return
        chat_id = message.get("chat", {}).get("id")
        if chat_id not in self._history:
            return
        self._record(message)
        if method in SEND_METHODS and isinstance(message.get("reply_keyboard"), dict):
            markup = message["reply_keyboard"]
            if "keyboard" in markup or markup.get("remove_keyboard"):
                self._keyboards[chat_id] = reply_keyboard_view(markup)
                self._emit(
                    {"type": "keyboard", "chat_id": chat_id, "keyboard": self._keyboards[chat_id]}
                )


async def _abandon(
    app: Application, polling: asyncio.Task[None], ready: asyncio.Task[Any]
) -> BaseException | None:
    """Cancel a start that did not get to polling; what stopped the bot, if anything."""
    ready.cancel()
    polling.cancel()
    outcome = await asyncio.gather(ready, polling, return_exceptions=True)
    await app.bot.session.close()
    failure = outcome[1]
    if isinstance(failure, BaseException) and not isinstance(failure, asyncio.CancelledError):
        return failure
    return None


def _text(action: JSONDict, key: str) -> str:
    value = action.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ActionError("Type something first.")
    if len(value) > TEXT_LIMIT:
        raise ActionError(f"Telegram allows at most {TEXT_LIMIT} characters in a message.")
    return value

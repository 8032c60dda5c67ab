"""The HTTP side: aiohttp on 127.0.0.1, request decoding and uploads, getUpdates long polling.

Requests arrive exactly as aiogram's session builds them (``/bot<token>/<method>``, form
or multipart bodies); every one is answered with Telegram's JSON envelope and recorded
as an :class:`~bot.preview.emulator.ApiCall` for the tests and the preview page.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.preview.emulator.limits import (
    DEFAULT_FAILURE_TEXTS,
    POLL_CONFLICT,
    WEBHOOK_CONFLICT,
    BotApiError,
    bad_request,
)
from bot.preview.emulator.state import (
    ApiCall,
    FailRule,
    JSONDict,
    RequestContext,
    ServerState,
    Upload,
    public,
)

log = logging.getLogger("bot.preview.emulator")

MethodHandler = Callable[[RequestContext], Any]

# Update types a bot gets when allowed_updates is empty/unspecified (Bot API default).
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Form fields that Telegram treats as free text: never JSON-decoded, so "123" stays a str.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "name",
        "language_code",
        "icon_custom_emoji_id",
        "secret_token",
        "ip_address",
        "inline_message_id",
        "document",
        "thumbnail",
        "certificate",
        "message_effect_id",
        "business_connection_id",
    }
)


def _decode_value(key: str, value: str) -> Any:
    """Decode one form value the way the Bot API interprets that field."""
    if key in ("chat_id", "from_chat_id"):
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if key in _STRING_FIELDS or value.startswith("attach://"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _update_type(update: JSONDict) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


class HttpApi(ServerState):
    """Serving, decoding, dispatching to the method handlers, recording, long polling."""

    #: Bot API method (lower-case) -> handler; filled by the server class.
    _methods: dict[str, MethodHandler]
    _runner: web.AppRunner | None = None
    _base_url = ""
    _closing = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``; only valid after :meth:`start`."""
        if not self._base_url:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._base_url

    async def start(self) -> None:
        """Bind the port (an ephemeral one when ``port`` is 0) and start serving."""
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a long poll whose client went away (stop_polling) ends at once.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self._base_url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Release pending long polls (they answer with no updates) and close the port."""
        self._closing = True
        self._updates_signal.fire()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ failure injection

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = DEFAULT_FAILURE_TEXTS.get(status, f"Error {status}")
        self._failures.append(
            FailRule(method.lower(), status, description, retry_after, times, chat_id)
        )

    # ------------------------------------------------------------------ requests

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        long_poll = method.lower() == "getupdates"
        at = time.monotonic()
        if not long_poll:
            self._inflight += 1
        self._touch()
        ctx = RequestContext(method=method, params={}, at=at)
        status = 200
        body: JSONDict
        try:
            try:
                ctx.params = await self._read_params(request)
                if request.match_info["token"] != self.token:
                    raise BotApiError(401, "Unauthorized")
                status, body = await self._dispatch(ctx)
            except BotApiError as error:
                status, body = error.status, error.body()
            except web.HTTPRequestEntityTooLarge:
                status, body = 413, BotApiError(413, "Request Entity Too Large").body()
            except ValueError as error:  # undecodable JSON body and the like
                status, body = 400, bad_request(f"can't parse request: {error}").body()
            except Exception as error:  # a bug in the emulator: answer like Telegram's 500
                log.exception("emulator failed on %s", method)
                status, body = (
                    500,
                    BotApiError(500, f"Internal Server Error: emulator bug: {error!r}").body(),
                )
        except asyncio.CancelledError:
            # The client went away (e.g. stop_polling) while its long poll was held.
            if ctx.call is not None and not ctx.call.done:
                ctx.call.done = True
                ctx.call.description = "abandoned: the client disconnected"
                self._calls_signal.fire()
            raise
        finally:
            if not long_poll:
                self._inflight -= 1
            self._touch()
        self._record(ctx, status, body, at)
        return web.json_response(public(body), status=status)

    async def _read_params(self, request: web.Request) -> JSONDict:
        raw: JSONDict = dict(request.query)
        uploads: dict[str, Upload] = {}
        typed: JSONDict = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                data = await request.json()
                if isinstance(data, dict):
                    typed.update(data)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = Upload(
                            field=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            content=value.file.read(),
                        )
                    else:
                        raw[key] = str(value)
        params: JSONDict = {key: _decode_value(key, str(value)) for key, value in raw.items()}
        params.update(typed)
        used: set[str] = set()

        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name in uploads:
                    used.add(name)
                    return uploads[name]
                return value
            if isinstance(value, dict):
                return {k: resolve(v) for k, v in value.items()}
            if isinstance(value, list):
                return [resolve(v) for v in value]
            return value

        params = {key: resolve(value) for key, value in params.items()}
        for name, upload in uploads.items():
            if name not in used and name not in params:
                params[name] = upload
        return params

    async def _dispatch(self, ctx: RequestContext) -> tuple[int, JSONDict]:
        lowered = ctx.method.lower()
        chat_id = ctx.params.get("chat_id")
        for rule in self._failures:
            if rule.method == lowered and (rule.chat_id is None or rule.chat_id == chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failures.remove(rule)
                raise BotApiError(rule.status, rule.description, retry_after=rule.retry_after)
        if self.responder is not None:
            override = self.responder(ctx.method, ctx.params)
            if override is not None:
                return override
        if lowered == "getupdates":
            ctx.call = ApiCall(
                method=ctx.method,
                params=ctx.params,
                ok=True,
                result=None,
                error_code=None,
                description=None,
                at=ctx.at,
                done=False,
            )
            self.calls.append(ctx.call)
            self._calls_signal.fire()
            result: Any = await self._get_updates(ctx)
        else:
            handler = self._methods.get(lowered)
            if handler is None:
                # What Telegram answers to an unknown method; here also to a real one that is
                # not emulated because the bot never calls it.
                log.warning("Bot API method %s is not emulated", ctx.method)
                raise BotApiError(404, "Not Found")
            result = handler(ctx)
            if isinstance(result, Awaitable):
                result = await result
        return 200, {"ok": True, "result": result}

    def _record(self, ctx: RequestContext, status: int, body: JSONDict, at: float) -> None:
        ok = bool(body.get("ok"))
        call = ApiCall(
            method=ctx.method,
            params=ctx.params,
            ok=ok,
            result=copy.deepcopy(body.get("result")),
            error_code=None if ok else int(body.get("error_code") or status),
            description=None if ok else body.get("description"),
            at=at,
            message=copy.deepcopy(ctx.message) if ok and ctx.message is not None else None,
            http_status=status,
        )
        if ctx.call is not None:  # a long poll listed on arrival: complete it in place
            ctx.call.__dict__.update(call.__dict__)
            call = ctx.call
        else:
            self.calls.append(call)
        if not ok:
            log.debug("%s -> %s %s", ctx.method, status, call.description)
        self._calls_signal.fire()
        for listener in list(self.listeners):
            listener(call)

    # ------------------------------------------------------------------ getUpdates

    def _collect_updates(self, offset: int | None, limit: int) -> list[JSONDict]:
        if offset is not None:
            if offset < 0:
                keep = list(self._updates)[offset:]
                self._updates = deque(keep)
            else:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
        allowed = set(self._allowed_updates)
        result: list[JSONDict] = []
        for update in list(self._updates):
            kind = _update_type(update)
            wanted = kind in allowed if allowed else kind not in _DEFAULT_EXCLUDED_UPDATES
            if not wanted:
                self._updates.remove(update)  # Telegram never creates unwanted updates
                continue
            result.append(update)
            if len(result) >= limit:
                break
        return result

    async def _get_updates(self, ctx: RequestContext) -> list[JSONDict]:
        params = ctx.params
        if self.webhook["url"]:
            raise BotApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = params.get("limit")
        timeout = params.get("timeout")
        limit = min(max(int(limit), 1), 100) if isinstance(limit, int) else 100
        timeout_s = max(float(timeout), 0.0) if isinstance(timeout, int | float) else 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older poll still waiting is terminated (409)
        deadline = time.monotonic() + timeout_s
        while True:
            if generation != self._poll_generation:
                raise BotApiError(409, POLL_CONFLICT)
            if self.webhook["url"]:
                raise BotApiError(409, WEBHOOK_CONFLICT)
            updates = self._collect_updates(offset if isinstance(offset, int) else None, limit)
            offset = None  # confirmation done once
            if updates or self._closing or time.monotonic() >= deadline:
                if updates:
                    self._delivered_upto = max(self._delivered_upto, updates[-1]["update_id"])
                self._touch()
                return copy.deepcopy(updates)
            await self._updates_signal.wait(deadline - time.monotonic())

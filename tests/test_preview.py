"""`clinic-bot preview` without a browser: the page's WebSocket, the safety check, --watch."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.content import CONTENT_DIR, ContentError
from bot.preview.cli import is_local_url, remote_api_url
from bot.preview.core import MANAGER_CHAT_ID, PATIENTS, Preview
from bot.preview.emulator import TEST_TOKEN
from bot.preview.render import message_html, sanitize_html

ROOT = Path(__file__).resolve().parent.parent
RU_PATIENT = PATIENTS["ru"][0]
EN_PATIENT = PATIENTS["en"][0]
Event = dict[str, Any]


class Page:
    """A WebSocket client speaking the page's protocol, with event-based waits."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.unmatched: list[Event] = []  # received, not yet taken by an expect()

    async def send(self, **action: Any) -> None:
        await self.ws.send_json(action)

    async def expect(self, predicate: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        """The first event matching, among those received earlier or arriving next."""
        for event in self.unmatched:
            if predicate(event):
                self.unmatched.remove(event)
                return event
        async with asyncio.timeout(timeout):
            while True:
                event = await self.ws.receive_json()
                if predicate(event):
                    return event
                self.unmatched.append(event)

    async def bot_message(self, chat_id: int, contains: str, timeout: float = 10.0) -> Event:
        event = await self.expect(
            lambda e: (
                e["type"] == "message"
                and e["chat_id"] == chat_id
                and e["message"]["from_bot"]
                and contains in e["message"]["html"]
            ),
            timeout,
        )
        message: Event = event["message"]
        return message


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def open_page(http: aiohttp.ClientSession, preview: Preview) -> tuple[Page, Event]:
    ws = await http.ws_connect(preview.url + "ws")
    page = Page(ws)
    state = await page.expect(lambda e: e["type"] == "state")
    return page, state


def buttons(message: Event) -> list[tuple[str, str]]:
    return [(b["text"], b.get("data", "")) for row in message["buttons"] for b in row]


async def test_patient_talks_to_the_real_bot_over_the_page(http: aiohttp.ClientSession) -> None:
    async with Preview() as preview:
        assert preview.url.startswith("http://127.0.0.1:")
        async with http.get(preview.url) as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert "Clinic bot preview" in await response.text()
        page, state = await open_page(http, preview)
        assert state["patient"] == {"id": RU_PATIENT, "name": "Анна", "language": "ru"}
        assert state["manager_chat"]["id"] == MANAGER_CHAT_ID
        assert state["bot_running"] and state["content_error"] is None

        await page.send(type="send", chat="patient", text="/start")
        mine = await page.expect(lambda e: e["type"] == "message" and not e["message"]["from_bot"])
        assert mine["chat_id"] == RU_PATIENT and mine["message"]["html"] == "/start"
        await page.bot_message(RU_PATIENT, "Здравствуйте, Анна!")
        keyboard = await page.expect(lambda e: e["type"] == "keyboard")
        labels = [button["text"] for row in keyboard["keyboard"]["rows"] for button in row]
        assert labels[:2] == ["📖 Об остеопорозе", "💳 Цены"]

        # A reply-keyboard tap, then an inline button that edits the message in place.
        await page.send(type="tap", text="📖 Об остеопорозе")
        listing = await page.bot_message(RU_PATIENT, "Выберите раздел")
        _, first_data = buttons(listing)[0]
        await page.send(type="press", chat="patient", message_id=listing["id"], data=first_data)
        section = await page.bot_message(RU_PATIENT, "Раздел 1 из")
        assert section["id"] == listing["id"] and section["edited"]
        assert "<b>" in section["html"]  # Telegram's HTML, rebuilt from the entities
        assert "Далее ▶️" in [text for text, _ in buttons(section)]

        # The server refuses what the page could not have shown; the page is told why.
        await page.send(type="press", chat="patient", message_id=listing["id"], data="nope")
        refusal = await page.expect(lambda e: e["type"] == "toast")
        assert refusal["alert"] and "no longer" in refusal["text"]

        # The language switch plays the English-speaking patient, greeted by /start.
        await page.send(type="language", language="en")
        switched = await page.expect(lambda e: e["type"] == "state")
        assert switched["patient"]["id"] == EN_PATIENT and switched["chats"]["patient"] == []
        await page.bot_message(EN_PATIENT, "Hello, Anna!")
        await page.ws.close()


async def test_empty_patient_chat_offers_start(http: aiohttp.ClientSession) -> None:
    async with Preview() as preview:
        async with http.get(preview.url) as response:
            page_html = await response.text()
        assert 'id="patient-start"' in page_html and ">Start</button>" in page_html
        assert "type <code>/start</code> or tap Start" in page_html
        async with http.get(preview.url + "static/app.js") as response:
            script = await response.text()
        # The button sends exactly what typing /start would.
        assert 'send({ type: "send", chat: "patient", text: "/start" })' in script
        page, state = await open_page(http, preview)
        assert state["chats"]["patient"] == []
        await page.send(type="send", chat="patient", text="/start")
        await page.bot_message(RU_PATIENT, "Здравствуйте, Анна!")
        await page.ws.close()


async def test_a_second_page_gets_the_history_and_the_keyboard(
    http: aiohttp.ClientSession,
) -> None:
    async with Preview() as preview:
        page, _ = await open_page(http, preview)
        await page.send(type="send", chat="patient", text="/start")
        await page.bot_message(RU_PATIENT, "Здравствуйте")
        other, state = await open_page(http, preview)
        chat = state["chats"]["patient"]
        assert [m["from_bot"] for m in chat] == [False, True]
        assert state["keyboard"]["rows"][0][1] == {
            "text": "💳 Цены",
            "contact": False,
            "location": False,
        }
        await page.ws.close()
        await other.ws.close()


async def test_edits_and_deletions_reach_the_page(http: aiohttp.ClientSession) -> None:
    async with Preview() as preview:
        page, _ = await open_page(http, preview)
        api = f"{preview.server.base_url}/bot{TEST_TOKEN}"

        async def call(method: str, **params: Any) -> Any:
            async with http.post(f"{api}/{method}", json=params) as response:
                return (await response.json()).get("result")

        sent = await call("sendMessage", chat_id=MANAGER_CHAT_ID, text="plain")
        first = await page.bot_message(MANAGER_CHAT_ID, "plain")
        target = {"chat_id": MANAGER_CHAT_ID, "message_id": sent["message_id"]}
        html = "<i>now</i> &amp; <b>then</b>"
        await call("editMessageText", **target, text=html, parse_mode="HTML")
        edited = await page.bot_message(MANAGER_CHAT_ID, "now")
        assert edited["id"] == first["id"] and edited["edited"]
        assert edited["html"] == html

        markup = {"inline_keyboard": [[{"text": "<b>x</b>", "callback_data": "noop"}]]}
        await call("editMessageReplyMarkup", **target, reply_markup=markup)
        marked = await page.expect(lambda e: e["type"] == "message" and e["message"]["buttons"])
        assert marked["message"]["id"] == first["id"]
        assert marked["message"]["buttons"] == [[{"text": "<b>x</b>", "data": "noop"}]]

        await call("deleteMessage", **target)
        gone = await page.expect(lambda e: e["type"] == "delete")
        assert gone == {"type": "delete", "chat_id": MANAGER_CHAT_ID, "message_id": first["id"]}
        _, state = await open_page(http, preview)
        assert state["chats"]["manager"] == []

        # A refused call is reported to the page with Telegram's description.
        await call("sendMessage", chat_id=RU_PATIENT, text="<b", parse_mode="HTML")
        error = await page.expect(lambda e: e["type"] == "api_error")
        assert "can't parse entities" in error["description"]
        await page.ws.close()


async def test_cross_origin_pages_and_foreign_hosts_are_refused(
    http: aiohttp.ClientSession,
) -> None:
    async with Preview() as preview:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(preview.url + "ws", origin="http://evil.example")
        assert refused.value.status == 403
        async with http.get(preview.url, headers={"Host": "evil.example"}) as response:
            assert response.status == 421
        async with http.get(preview.url + "static/..%2Fcore.py") as response:
            assert response.status == 404


def test_local_api_urls() -> None:
    for url in (
        "http://127.0.0.1:8081",
        "http://localhost",
        "https://127.0.0.2/",
        "http://[::1]:1",
    ):
        assert is_local_url(url), url
    for url in (
        "https://api.telegram.org",
        "http://10.0.0.1",
        "http://127.0.0.1.example.com",
        "file:///etc/passwd",
        "localhost:8081",
        "http://",
    ):
        assert not is_local_url(url), url
    assert remote_api_url({"TELEGRAM_API_URL": "http://127.0.0.1:9"}) is None
    assert remote_api_url({"TELEGRAM_API_URL": ""}) is None
    assert remote_api_url({"telegram_api_url": "https://x.org"}) == "https://x.org"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() != "TELEGRAM_API_URL"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_refuses_to_start_with_a_remote_bot_api(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "preview"],
        env=_env(TELEGRAM_API_URL="https://api.telegram.org"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Preview refused: TELEGRAM_API_URL")
    assert result.stdout == ""


async def test_cli_prints_the_address_and_stops_on_sigterm(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    database = tmp_path / "kept" / "preview.db"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "preview",
        "--database",
        str(database),
        env=_env(TELEGRAM_API_URL="http://127.0.0.1:1", BOT_TOKEN="", MANAGER_CHAT_ID=""),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("Clinic bot preview: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        async with http.get(url, headers={"Connection": "close"}) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        assert database.exists()  # --database keeps the data
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


async def test_watch_shows_content_errors_and_reloads_fixed_content(
    http: aiohttp.ClientSession, content_copy: Path
) -> None:
    prices = content_copy / "ru" / "prices.toml"
    ftl = content_copy / "en" / "bot.ftl"
    async with Preview(watch=True, content_dir=content_copy, watch_interval=0.1) as preview:
        page, state = await open_page(http, preview)
        assert state["watching"]

        _edit(prices, 'title = "Цены на услуги"', 'title = "Цены <b>на услуги"')
        error = await page.expect(lambda e: e["type"] == "content_error")
        assert error["message"].startswith("ru/prices.toml, line "), error["message"]
        assert preview.bot_running  # the previous content stays in use

        _edit(prices, 'title = "Цены <b>на услуги"', 'title = "Наши цены"')
        await page.expect(lambda e: e["type"] == "reloaded")
        assert preview.content_error is None
        await page.send(type="send", chat="patient", text="/start")
        await page.bot_message(RU_PATIENT, "Здравствуйте")
        await page.send(type="tap", text="💳 Цены")
        await page.bot_message(RU_PATIENT, "Наши цены")

        _edit(ftl, "\nmenu-prices =", "\nmenu-prices = {\n")
        error = await page.expect(lambda e: e["type"] == "content_error")
        assert "bot.ftl" in error["message"], error["message"]
        _edit(ftl, "\nmenu-prices = {\n", "\nmenu-prices =")
        await page.expect(lambda e: e["type"] == "reloaded")
        await page.ws.close()


async def test_broken_content_at_start(http: aiohttp.ClientSession, content_copy: Path) -> None:
    prices = content_copy / "ru" / "prices.toml"
    _edit(prices, "price_from = 500", "price_from = -500")
    with pytest.raises(ContentError, match=r"^ru/prices\.toml, line \d+"):
        await Preview(content_dir=content_copy).start()

    # With --watch the page opens anyway, shows the problem and starts the bot once fixed.
    async with Preview(watch=True, content_dir=content_copy, watch_interval=0.1) as preview:
        page, state = await open_page(http, preview)
        assert not state["bot_running"]
        assert state["content_error"].startswith("ru/prices.toml, line ")
        await page.send(type="send", chat="patient", text="/start")  # waits in the queue
        _edit(prices, "price_from = -500", "price_from = 500")
        await page.expect(lambda e: e["type"] == "reloaded")
        await page.bot_message(RU_PATIENT, "Здравствуйте, Анна!")
        await page.ws.close()


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<b>bold</b> <i>it</i> <u>u</u> <s>s</s>", "<b>bold</b> <i>it</i> <u>u</u> <s>s</s>"),
        (
            "<strong>x</strong><em>y</em><ins>z</ins><del>w</del>",
            "<b>x</b><i>y</i><u>z</u><s>w</s>",
        ),
        ("<script>alert(1)</script>ok", "ok"),
        ('<img src=x onerror="alert(1)">ok', "ok"),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ('<a href="java\tscript:alert(1)">x</a>', "x"),
        (
            '<a href="https://e.org/?a=1&amp;b=&quot;2">x</a>',
            '<a href="https://e.org/?a=1&amp;b=&quot;2" target="_blank" '
            'rel="noopener noreferrer nofollow">x</a>',
        ),
        ('<b onclick="x()" style="y">b</b>', "<b>b</b>"),
        ("<b>unclosed <i>nested", "<b>unclosed <i>nested</i></b>"),
        ("</b>stray</i>", "stray"),
        ("<b>a<i>b</b>c</i>", "<b>a<i>b</i></b>c"),
        ("&lt;b&gt; &amp; &#60;", "&lt;b&gt; &amp; &lt;"),
        ("<tg-spoiler>s</tg-spoiler>", '<span class="spoiler">s</span>'),
        ('<span class="tg-spoiler">s</span><span>t</span>', '<span class="spoiler">s</span>t'),
        (
            '<pre><code class="language-python">x</code></pre>',
            '<pre><code class="language-python">x</code></pre>',
        ),
        ('<code class="x" onmouseover="y">c</code>', "<code>c</code>"),
        ("<blockquote expandable>q</blockquote>", '<blockquote class="expandable">q</blockquote>'),
        ('<tg-emoji emoji-id="1">👍</tg-emoji>', "👍"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<style>b{}</style><!-- c -->d", "d"),
        ('<iframe src="https://e.org"></iframe>x', "x"),
    ],
)
def test_sanitize_html(markup: str, expected: str) -> None:
    assert sanitize_html(markup) == expected


def test_message_html_from_entities_escapes_text() -> None:
    text = "Ivan <b>Petrov</b> & Co"
    entities = [{"type": "bold", "offset": 0, "length": 4}]
    assert message_html(text, entities) == "<b>Ivan</b> &lt;b&gt;Petrov&lt;/b&gt; &amp; Co"
    link = [{"type": "text_link", "offset": 0, "length": 4, "url": 'javascript:"x"'}]
    assert message_html("Ivan", link) == "Ivan"

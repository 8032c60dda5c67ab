"""aiogram's models built on first use behave exactly as aiogram's own, at a fraction of the memory.

Each case runs in a fresh interpreter: once with stock aiogram (imported before `bot`),
once through `bot` (lazy models), and the outputs must be identical.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKLOAD = """
import json
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.methods.base import Response
from aiogram.types import (
    InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, Message,
    ReplyKeyboardMarkup, ReplyKeyboardRemove, Update,
)

from bot.emulator import TEST_TOKEN

bot = Bot(TEST_TOKEN, default=DefaultBotProperties(parse_mode="HTML"))
patient = {"id": 5, "is_bot": False, "first_name": "Анна", "language_code": "ru"}
chat = {"id": 5, "type": "private", "first_name": "Анна"}
keyboard = {"inline_keyboard": [[{"text": "Цены", "callback_data": "nav:prices"}]]}
message = {"message_id": 3, "date": 1700000000, "chat": chat, "from": patient, "text": "/start",
           "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
updates = [
    {"update_id": 1, "message": message},
    {"update_id": 2, "message": {**message, "text": None,
        "contact": {"phone_number": "+79161234567", "first_name": "Анна", "user_id": 5}}},
    {"update_id": 3, "callback_query": {"id": "q", "from": patient, "chat_instance": "c",
        "data": "ar:types", "message": {**message, "reply_markup": keyboard}}},
    {"update_id": 4, "callback_query": {"id": "q2", "from": patient, "chat_instance": "c",
        "data": "x", "message": {"message_id": 9, "date": 0, "chat": chat}}},
    {"update_id": 5, "edited_message": {**message, "edit_date": 1700000001}},
    {"update_id": 6, "message": {**message, "chat": {"id": -100, "type": "supergroup",
        "title": "Managers", "is_forum": True}, "message_thread_id": 4,
        "reply_to_message": message}},
]
out = []
parsed = Response[list[Update]].model_validate_json(
    json.dumps({"ok": True, "result": updates}), context={"bot": bot})
for update in parsed.result:
    out.append(update.model_dump(mode="json", exclude_none=True))
    out.append(update.event_type)
answer = Response[Message].model_validate({"ok": True, "result": message}, context={"bot": bot})
out.append(answer.result.model_dump(mode="json", exclude_none=True))
out.append(answer.result.bot is bot)
session = AiohttpSession()
for method in (
    SendMessage(chat_id=5, text="<b>Hi</b>", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])),
    SendMessage(chat_id=5, text="menu", reply_markup=ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📱", request_contact=True)]], resize_keyboard=True)),
    SendMessage(chat_id=5, text="bye", reply_markup=ReplyKeyboardRemove()),
    EditMessageText(chat_id=5, message_id=3, text="edited"),
    AnswerCallbackQuery(callback_query_id="q", text="ok", show_alert=True),
):
    dumped = method.model_dump(warnings=False)
    out.append({k: session.prepare_value(v, bot=bot, files={}) for k, v in dumped.items()})
    out.append(repr(method.__returning__))
try:
    Update.model_validate({"update_id": "x", "message": {"chat": 1}})
except Exception as error:
    out.append(str(error).splitlines()[:4])
print(json.dumps(out, ensure_ascii=False, sort_keys=True, default=str))
"""


def _run(code: str, *, lazy: bool) -> str:
    first = "import bot" if lazy else "import aiogram"
    script = f"{first}\nimport aiogram.types\n" + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_updates_answers_and_calls_come_out_the_same_as_with_stock_aiogram() -> None:
    lazy = _run(WORKLOAD, lazy=True)
    assert lazy == _run(WORKLOAD, lazy=False)
    assert "+79161234567" in lazy and "nav:prices" in lazy  # the workload did run


def test_names_in_the_first_caller_s_scope_do_not_leak_into_the_models() -> None:
    # The first validation builds the model; a local `User` must not be taken for aiogram's.
    code = """
    from aiogram.types import Message

    def handler():
        User = int  # noqa: N806 - e.g. an ORM class of the same name
        Chat = str  # noqa: N806
        return Message.model_validate({
            "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "A"},
        })

    message = handler()
    print(type(message.from_user).__name__, type(message.chat).__name__)
    """
    assert _run(code, lazy=True).split() == ["User", "Chat"]


def test_importing_the_bot_costs_a_fraction_of_stock_aiogram_s_memory() -> None:
    code = """
    import json
    import bot.app

    def rss_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    print(json.dumps(rss_kb()))
    """
    lazy_kb = json.loads(_run(code, lazy=True))
    stock_kb = json.loads(_run(code, lazy=False))
    # ~80 MB against ~185 MB here; the ratio holds on any machine, the absolute size not.
    assert lazy_kb < stock_kb * 0.6, (lazy_kb, stock_kb)

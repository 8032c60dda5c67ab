"""The reference for per-update cost: a bare aiogram bot doing comparable work.

Not an echo bot: the same patient's session as clinic-bot's (`bench/load.py`, in English)
runs through it, with what a developer would write with aiogram alone - a command filter,
magic filters on texts and callback data (`F.text == ...`, `CallbackData` factories), an
FSM form in aiogram's memory storage, a reply keyboard with a contact button, inline
keyboards, message edits, button presses answered, a card with status buttons in the
manager chat, and rows written to SQLite through aiosqlite (the patient on /start, the
request, the review, a status change). No i18n, no flood control, no outbox: every call
to Telegram is made inside the handler.

`Database.seconds` adds up the time spent in its SQL calls, so that a benchmark can tell
the storage stage apart (`bench/per_update.py`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from aiogram import Dispatcher, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

T = TypeVar("T")

ABOUT = "📖 About osteoporosis"
PRICES = "💳 Prices"
BOOK = "📝 Book a consultation"
REVIEW = "✍️ Leave a review"
SHARE_PHONE = "📱 Share my phone"
SECTIONS = 3
SERVICES = (
    "First consultation",
    "First treatment cycle (10 sessions)",
    "Second treatment cycle (12 sessions)",
)
TIMES = ("🌅 Morning (09:00–12:00)", "☀️ Afternoon (12:00–17:00)", "🌆 Evening (17:00–20:00)")
STATUSES = ("new", "booked", "done", "cancelled")

SCHEMA = """
CREATE TABLE IF NOT EXISTS patients (
    user_id INTEGER PRIMARY KEY, first_name TEXT, locale TEXT, seen_at REAL
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER, service TEXT, name TEXT,
    phone TEXT, time TEXT, complaint TEXT, status TEXT, created_at REAL
);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER, rating INTEGER, text TEXT,
    signature TEXT, created_at REAL
);
"""


class Article(CallbackData, prefix="article"):
    section: int


class Pick(CallbackData, prefix="pick"):
    field: str
    index: int


class Status(CallbackData, prefix="status"):
    request: int
    status: str


class Booking(StatesGroup):
    service = State()
    name = State()
    phone = State()
    time = State()
    complaint = State()
    consent = State()
    confirm = State()


class Reviewing(StatesGroup):
    rating = State()
    text = State()
    signature = State()


class Database:
    """One aiosqlite connection (WAL), as a small bot would keep it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds = 0.0
        self._connection: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self._connection = await aiosqlite.connect(self.path)
        await self._connection.execute("PRAGMA journal_mode=WAL")
        await self._connection.execute("PRAGMA synchronous=NORMAL")
        await self._connection.executescript(SCHEMA)
        await self._connection.commit()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _timed(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        assert self._connection is not None, "Database.open() first"
        started = time.perf_counter()
        try:
            return await work(self._connection)
        finally:
            self.seconds += time.perf_counter() - started

    async def write(self, sql: str, parameters: tuple[Any, ...]) -> int:
        async def run(connection: aiosqlite.Connection) -> int:
            cursor = await connection.execute(sql, parameters)
            await connection.commit()
            return int(cursor.lastrowid or 0)

        return await self._timed(run)

    async def read_one(self, sql: str, parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
        async def run(connection: aiosqlite.Connection) -> tuple[Any, ...] | None:
            async with connection.execute(sql, parameters) as cursor:
                row = await cursor.fetchone()
            return tuple(row) if row is not None else None

        return await self._timed(run)


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=ABOUT), KeyboardButton(text=PRICES)],
            [KeyboardButton(text=BOOK)],
            [KeyboardButton(text=REVIEW)],
        ],
        resize_keyboard=True,
    )


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


def choices(field: str, labels: tuple[str, ...]) -> InlineKeyboardMarkup:
    return inline([[(label, Pick(field=field, index=i).pack())] for i, label in enumerate(labels)])


def card_keyboard(request_id: int, current: str) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                (
                    f"• {status} •" if status == current else status,
                    Status(request=request_id, status=status).pack(),
                )
                for status in STATUSES
            ]
        ]
    )


def build_router(db: Database, manager_chat_id: int) -> Router:
    router = Router()
    in_manager_chat = F.message.chat.id == manager_chat_id

    @router.message(CommandStart())
    async def start(message: Message, state: FSMContext) -> None:
        assert message.from_user is not None
        await state.clear()
        await db.write(
            "INSERT INTO patients (user_id, first_name, locale, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET seen_at = excluded.seen_at",
            (
                message.from_user.id,
                message.from_user.first_name,
                message.from_user.language_code,
                time.time(),
            ),
        )
        await message.answer(
            f"Hello, {message.from_user.first_name}! This is the clinic's bot.",
            reply_markup=main_menu(),
        )

    @router.message(Command("help"))
    async def help_command(message: Message) -> None:
        await message.answer("Use the menu below.", reply_markup=main_menu())

    @router.message(F.text == ABOUT)
    async def about(message: Message) -> None:
        await message.answer(
            "Choose a section:",
            reply_markup=inline(
                [[(f"Section {i}", Article(section=i).pack())] for i in range(1, SECTIONS + 1)]
            ),
        )

    @router.callback_query(Article.filter())
    async def article(callback: CallbackQuery, callback_data: Article) -> None:
        section = callback_data.section
        rows = []
        if section < SECTIONS:
            rows.append([("Next ▶️", Article(section=section + 1).pack())])
        await callback.answer()
        if isinstance(callback.message, Message):
            await callback.message.edit_text(
                f"<b>Section {section} of {SECTIONS}</b>\nWhat osteoporosis is and how it is "
                "treated: a few paragraphs of the clinic's article.",
                reply_markup=inline(rows),
            )

    @router.message(F.text == PRICES)
    async def prices(message: Message) -> None:
        lines = [f"{service}: from {6500 + 1000 * i:,} ₽" for i, service in enumerate(SERVICES)]
        await message.answer("<b>Prices</b>\n" + "\n".join(lines))

    @router.message(F.text == BOOK)
    async def book(message: Message, state: FSMContext) -> None:
        await state.set_state(Booking.service)
        await message.answer("Which service would you like?", reply_markup=choices("s", SERVICES))

    @router.callback_query(Booking.service, Pick.filter(F.field == "s"))
    async def service(callback: CallbackQuery, callback_data: Pick, state: FSMContext) -> None:
        await state.update_data(service=SERVICES[callback_data.index])
        await state.set_state(Booking.name)
        await callback.answer()
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id, "What is your name?"
        )

    @router.message(Booking.name, F.text.len() <= 100)
    async def name(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Booking.phone)
        await message.answer(
            "Please share your phone number with the button below.",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
        )

    @router.message(Booking.phone, F.contact)
    async def phone(message: Message, state: FSMContext) -> None:
        assert message.contact is not None
        await state.update_data(phone=message.contact.phone_number)
        await state.set_state(Booking.time)
        await message.answer("Thank you.", reply_markup=ReplyKeyboardRemove())
        await message.answer("When is it convenient for you?", reply_markup=choices("t", TIMES))

    @router.callback_query(Booking.time, Pick.filter(F.field == "t"))
    async def pick_time(callback: CallbackQuery, callback_data: Pick, state: FSMContext) -> None:
        await state.update_data(time=TIMES[callback_data.index])
        await state.set_state(Booking.complaint)
        await callback.answer()
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id, "Briefly describe what bothers you."
        )

    @router.message(Booking.complaint, F.text.len() <= 1000)
    async def complaint(message: Message, state: FSMContext) -> None:
        await state.update_data(complaint=message.text)
        await state.set_state(Booking.consent)
        await message.answer(
            "Consent to the processing of personal data: we keep your request to contact you.",
            reply_markup=choices("c", ("✅ I agree", "❌ Cancel")),
        )

    @router.callback_query(Booking.consent, Pick.filter(F.field == "c"))
    async def consent(callback: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        await state.set_state(Booking.confirm)
        await callback.answer()
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id,
            "Please check your request:\n"
            f"{data['service']}\n{data['name']}, {data['phone']}\n{data['time']}",
            reply_markup=choices("ok", ("✅ Confirm", "✏️ Edit")),
        )

    @router.callback_query(Booking.confirm, Pick.filter(F.field == "ok"))
    async def confirm(callback: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        request_id = await db.write(
            "INSERT INTO requests (user_id, service, name, phone, time, complaint, status, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, 'new', ?)",
            (
                callback.from_user.id,
                data["service"],
                data["name"],
                data["phone"],
                data["time"],
                data["complaint"],
                time.time(),
            ),
        )
        await state.clear()
        bot = callback.bot
        assert bot is not None
        await callback.answer()
        await bot.send_message(
            callback.from_user.id,
            f"Your request #{request_id} has been received. We will call you.",
            reply_markup=main_menu(),
        )
        await bot.send_message(
            manager_chat_id,
            f"<b>Request #{request_id}</b>\n{data['service']}\n{data['name']}, "
            f"{data['phone']}\n{data['time']}\n{data['complaint']}",
            reply_markup=card_keyboard(request_id, "new"),
        )

    @router.callback_query(Status.filter(), in_manager_chat)
    async def set_status(callback: CallbackQuery, callback_data: Status) -> None:
        await db.write(
            "UPDATE requests SET status = ? WHERE id = ?",
            (callback_data.status, callback_data.request),
        )
        await callback.answer(f"Status: {callback_data.status}")
        if isinstance(callback.message, Message):
            await callback.message.edit_reply_markup(
                reply_markup=card_keyboard(callback_data.request, callback_data.status)
            )

    @router.message(F.text == REVIEW)
    async def review(message: Message, state: FSMContext) -> None:
        await state.set_state(Reviewing.rating)
        stars = tuple("⭐" * n for n in range(1, 6))
        await message.answer("Choose from 1 to 5 stars:", reply_markup=choices("r", stars))

    @router.callback_query(Reviewing.rating, Pick.filter(F.field == "r"))
    async def rating(callback: CallbackQuery, callback_data: Pick, state: FSMContext) -> None:
        await state.update_data(rating=callback_data.index + 1)
        await state.set_state(Reviewing.text)
        await callback.answer()
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id, "Tell us about your visit."
        )

    @router.message(Reviewing.text, F.text.len() <= 2000)
    async def review_text(message: Message, state: FSMContext) -> None:
        assert message.from_user is not None
        await state.update_data(text=message.text)
        await state.set_state(Reviewing.signature)
        await message.answer(
            "How should we sign your review?",
            reply_markup=choices(
                "sig", (f"✍️ Sign as {message.from_user.first_name}", "🙈 Anonymously")
            ),
        )

    @router.callback_query(Reviewing.signature, Pick.filter(F.field == "sig"))
    async def signature(callback: CallbackQuery, callback_data: Pick, state: FSMContext) -> None:
        data = await state.get_data()
        signed = callback.from_user.first_name if callback_data.index == 0 else ""
        await db.write(
            "INSERT INTO reviews (user_id, rating, text, signature, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (callback.from_user.id, data["rating"], data["text"], signed, time.time()),
        )
        await state.clear()
        await callback.answer()
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id, "Thank you for your review!", reply_markup=main_menu()
        )

    @router.message()
    async def anything_else(message: Message) -> None:
        await message.answer("Please use the menu below.", reply_markup=main_menu())

    return router


def create_dispatcher(db: Database, manager_chat_id: int) -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router(db, manager_chat_id))
    return dispatcher

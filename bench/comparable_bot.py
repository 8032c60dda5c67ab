"""The reference for per-update cost: a bare aiogram bot doing comparable work.

Not an echo bot: the same patient's session as clinic-bot's (`bench/load.py`, in English)
runs through it, and it shows the patient the same screens - the clinic's English article
sections and price list (read once from `content/en/*.toml`), the same texts, keyboards of
the same buttons, the same edits of an answered question - written with what a developer
would use with aiogram alone: a command filter, magic filters on texts and callback data
(`F.text == ...`, `CallbackData` factories), an FSM form in aiogram's memory storage, a
reply keyboard with a contact button, inline keyboards built per answer, message edits,
button presses answered, the request and review cards in the manager chat, a card's status
buttons, and rows written to and read from SQLite through aiosqlite (the patient on /start,
the request, the review, a status change and the card it re-renders). No i18n, no flood
control, no outbox: every call to Telegram is made inside the handler, and its form lives
in memory only.

`Database.seconds` adds up the time spent in its SQL calls, so that a benchmark can tell
the storage stage apart (`bench/per_update.py`).
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from aiogram import Dispatcher, F, Router, html
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
)

T = TypeVar("T")

CONTENT = Path(__file__).resolve().parent.parent / "content" / "en"

ABOUT = "📖 About osteoporosis"
PRICES = "💳 Prices"
BOOK = "📝 Book a consultation"
REVIEW = "✍️ Leave a review"
REVIEWS = "⭐ Reviews"
CONTACTS = "📍 Contacts"
LANGUAGE = "🌐 Language"
CANCEL = "✖️ Cancel"
SHARE_PHONE = "📱 Share my phone"
GREETING = (
    "Hello, {name}! 👋\n"
    "I am the clinic's assistant bot. Here you can:\n"
    "• read about osteoporosis: causes, symptoms, diagnosis and treatment;\n"
    "• see the prices of our services;\n"
    "• book a consultation;\n"
    "• leave a review and read what other patients say;\n"
    "• ask a question: just type it here, and a clinic manager will answer.\n\n"
    "Choose an item in the menu below.\n\n"
    "🏥 <b>Osteoporosis Clinic</b>: address, phone and opening hours — tap “📍 Contacts”."
)
BOOKING_INTRO = (
    "📝 <b>Booking a consultation</b>\n"
    "Answer a few short questions, and a clinic manager will call you back. "
    "You can cancel at any time."
)
ASK_PHONE = (
    "Your phone number, so we can call you back: tap “📱 Share my phone” or type it, "
    "e.g. +7 916 123-45-67."
)
ASK_TIME = (
    "When is it convenient to call you? Choose an option or type your own, "
    "e.g. “weekdays after 18:00”."
)
TIMES = (
    ("morning", "🌅 Morning (9:00–12:00)"),
    ("afternoon", "☀️ Afternoon (12:00–17:00)"),
    ("evening", "🌆 Evening (17:00–20:00)"),
)
ASK_COMPLAINT = "Briefly describe what is bothering you, or tap “⏭ Skip”: this is optional."
CONSENT = (
    "<b>Consent to the processing of personal data</b>\n\n"
    "By tapping “✅ I agree”, you consent to the processing of your personal data.\n\n"
    "• <b>Who processes it:</b> ООО «Клиника», 123456, г. Москва, ул. Примерная, д. 1.\n"
    "• <b>What data:</b> your name, phone number, preferred call time and complaint, and "
    "your Telegram account.\n"
    "• <b>Why:</b> to contact you about the consultation.\n"
    "• <b>How long it is kept:</b> up to a year after the request is closed; then it is "
    "erased.\n"
    "• <b>Complaints</b> are health data, a special category of personal data. Giving them "
    "is optional.\n"
    "• <b>How to withdraw consent:</b> send the /forget command and your data will be "
    "erased.\n\n"
    "The data is not passed on to third parties.\n\n"
    "<i>Consent text, version 2026-12-04</i>"
)
STATUSES = (
    ("taken", "🙋 Take"),
    ("called", "📞 Called"),
    ("booked", "✅ Booked"),
    ("noanswer", "📵 No answer"),
    ("cancelled", "✖️ Cancelled"),
    ("spam", "🚫 Spam"),
)
STATUS_NAMES = dict(STATUSES)
TIME_LABELS = dict(TIMES)

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


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    body: str


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    short: str
    price_from: int


@dataclass(frozen=True)
class Content:
    """The clinic's English article and price list: data files, read once at start."""

    article_title: str
    article_intro: str
    sections: tuple[Section, ...]
    services: tuple[Service, ...]
    price_note: str
    region_note: str

    @classmethod
    def load(cls, folder: Path = CONTENT) -> Content:
        article = tomllib.loads((folder / "article.toml").read_text(encoding="utf-8"))
        prices = tomllib.loads((folder / "prices.toml").read_text(encoding="utf-8"))
        return cls(
            article_title=article["title"],
            article_intro=article["intro"],
            sections=tuple(
                Section(s["id"], s["title"], s["body"].strip()) for s in article["sections"]
            ),
            services=tuple(
                Service(s["id"], s["name"], s["short"], s["price_from"]) for s in prices["services"]
            ),
            price_note=prices["note"],
            region_note=prices["region_note"],
        )


class Article(CallbackData, prefix="a"):
    section: str


class Nav(CallbackData, prefix="nav"):
    screen: str


class PriceBook(CallbackData, prefix="pb"):
    service: str


class Pick(CallbackData, prefix="bk"):
    field: str
    value: str


class Rate(CallbackData, prefix="rv"):
    action: str
    value: int


class Status(CallbackData, prefix="st"):
    request: int
    status: str
    current: str


class Moderate(CallbackData, prefix="md"):
    review: int
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
            [KeyboardButton(text=BOOK), KeyboardButton(text=REVIEW)],
            [KeyboardButton(text=REVIEWS), KeyboardButton(text=CONTACTS)],
            [KeyboardButton(text=LANGUAGE)],
        ],
        is_persistent=True,
        resize_keyboard=True,
        input_field_placeholder="Choose a menu item",
    )


def form_keyboard(*first_rows: list[KeyboardButton], placeholder: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[*first_rows, [KeyboardButton(text=CANCEL)]],
        resize_keyboard=True,
        input_field_placeholder=placeholder,
    )


def inline(rows: Sequence[Sequence[tuple[str, CallbackData]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data.pack()) for text, data in row]
            for row in rows
        ]
    )


def article_menu(content: Content) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, CallbackData]]] = [
        [(section.title, Article(section=section.id))] for section in content.sections
    ]
    rows.append([(BOOK, Nav(screen="book")), ("🏠 Main menu", Nav(screen="menu"))])
    return inline(rows)


def article_navigation(content: Content, index: int) -> InlineKeyboardMarkup:
    steps: list[tuple[str, CallbackData]] = []
    if index > 0:
        steps.append(("◀️ Back", Article(section=content.sections[index - 1].id)))
    if index + 1 < len(content.sections):
        steps.append(("Next ▶️", Article(section=content.sections[index + 1].id)))
    return inline(
        [
            steps,
            [("📚 Sections", Nav(screen="art")), (BOOK, Nav(screen="book"))],
            [("🏠 Main menu", Nav(screen="menu"))],
        ]
    )


def card_text(row: tuple[Any, ...], status: str | None) -> str:
    request_id, service, name, phone, preferred, complaint, user_id = row
    text = (
        f"🆕 <b>Consultation request No. {request_id}</b>\n\n"
        f"Service: {service}\nName: {html.quote(name)}\nPhone: {html.quote(phone)}\n"
        f"Preferred time: {html.quote(preferred)}\nComplaint: {html.quote(complaint)}\n\n"
        f'Patient: <a href="tg://user?id={user_id}">{html.quote(name)}</a>\nLanguage: en'
    )
    if status is not None:
        text += f"\n\n<b>Status: {STATUS_NAMES[status]}</b>"
    return text


def card_keyboard(request_id: int, current: str) -> InlineKeyboardMarkup:
    buttons = [
        (
            f"• {label} •" if status == current else label,
            Status(request=request_id, status=status, current=current),
        )
        for status, label in STATUSES
    ]
    return inline([buttons[:3], buttons[3:]])


def build_router(db: Database, manager_chat_id: int, content: Content) -> Router:
    router = Router()
    in_manager_chat = F.message.chat.id == manager_chat_id
    services = {service.id: service for service in content.services}
    sections = {section.id: index for index, section in enumerate(content.sections)}

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
            GREETING.format(name=html.quote(message.from_user.first_name)),
            reply_markup=main_menu(),
        )

    @router.message(Command("help"))
    async def help_command(message: Message) -> None:
        await message.answer("Use the menu below.", reply_markup=main_menu())

    @router.message(F.text == CANCEL)
    async def cancel(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer("Cancelled.", reply_markup=main_menu())

    @router.message(F.text == ABOUT)
    async def about(message: Message) -> None:
        await message.answer(
            f"<b>{content.article_title}</b>\n\n{content.article_intro}\n\nChoose a section:",
            reply_markup=article_menu(content),
        )

    @router.callback_query(Article.filter())
    async def article(callback: CallbackQuery, callback_data: Article) -> None:
        index = sections[callback_data.section]
        section = content.sections[index]
        await callback.answer()
        if isinstance(callback.message, Message):
            await callback.message.edit_text(
                f"<b>{section.title}</b>\n\n{section.body}\n\n"
                f"<i>Section {index + 1} of {len(content.sections)}</i>",
                reply_markup=article_navigation(content, index),
            )

    @router.message(F.text == PRICES)
    async def prices(message: Message) -> None:
        lines = [
            f"• {service.name} — <b>from {service.price_from:,} ₽</b>"
            for service in content.services
        ]
        rows: list[list[tuple[str, CallbackData]]] = [
            [(f"📝 Book: {service.short}", PriceBook(service=service.id))]
            for service in content.services
        ]
        rows.append([("🏠 Main menu", Nav(screen="menu"))])
        await message.answer(
            "<b>Prices</b>\n\n"
            + "\n".join(lines)
            + f"\n\n{content.price_note}\n\n<i>{content.region_note}</i>",
            reply_markup=inline(rows),
        )

    @router.message(F.text == BOOK)
    async def book(message: Message, state: FSMContext) -> None:
        await state.set_state(Booking.service)
        await message.answer(
            BOOKING_INTRO, reply_markup=form_keyboard(placeholder="Type your answer")
        )
        rows: list[list[tuple[str, CallbackData]]] = [
            [(service.name, Pick(field="s", value=service.id))] for service in content.services
        ]
        rows.append([("🤔 Not sure, I need advice", Pick(field="s", value="-"))])
        rows.append([(CANCEL, Pick(field="no", value=""))])
        await message.answer("Which service are you interested in?", reply_markup=inline(rows))

    @router.callback_query(Pick.filter(F.field == "no"))
    async def cancel_button(callback: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await callback.answer("Cancelled.")

    @router.callback_query(Booking.service, Pick.filter(F.field == "s"))
    async def service(callback: CallbackQuery, callback_data: Pick, state: FSMContext) -> None:
        chosen = services[callback_data.value].name if callback_data.value in services else "-"
        await state.update_data(service=chosen)
        await state.set_state(Booking.name)
        if isinstance(callback.message, Message):
            await callback.message.edit_text(f"Service: <b>{chosen}</b>")
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id,
            "What is your name?",
            reply_markup=form_keyboard(placeholder="Type your answer"),
        )
        await callback.answer()

    @router.message(Booking.name, F.text.len() <= 100)
    async def name(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Booking.phone)
        await message.answer(
            ASK_PHONE,
            reply_markup=form_keyboard(
                [KeyboardButton(text=SHARE_PHONE, request_contact=True)],
                placeholder="+7 916 123-45-67",
            ),
        )

    @router.message(Booking.phone, F.contact)
    async def phone(message: Message, state: FSMContext) -> None:
        assert message.contact is not None
        await state.update_data(phone=message.contact.phone_number)
        await state.set_state(Booking.time)
        await message.answer(
            f"Phone: <b>{html.quote(message.contact.phone_number)}</b> ✅",
            reply_markup=form_keyboard(placeholder="Type your answer"),
        )
        await message.answer(
            ASK_TIME,
            reply_markup=inline([[(label, Pick(field="t", value=key))] for key, label in TIMES]),
        )

    @router.callback_query(Booking.time, Pick.filter(F.field == "t"))
    async def pick_time(callback: CallbackQuery, callback_data: Pick, state: FSMContext) -> None:
        label = TIME_LABELS[callback_data.value]
        await state.update_data(time=label)
        await state.set_state(Booking.complaint)
        if isinstance(callback.message, Message):
            await callback.message.edit_text(f"Preferred time: <b>{label}</b>")
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id,
            ASK_COMPLAINT,
            reply_markup=inline([[("⏭ Skip", Pick(field="skip", value=""))]]),
        )
        await callback.answer()

    @router.message(Booking.complaint, F.text.len() <= 1000)
    async def complaint(message: Message, state: FSMContext) -> None:
        await state.update_data(complaint=message.text)
        await state.set_state(Booking.consent)
        await message.answer(
            CONSENT,
            reply_markup=inline(
                [
                    [("✅ I agree", Pick(field="ok", value=""))],
                    [(CANCEL, Pick(field="no", value=""))],
                ]
            ),
        )

    @router.callback_query(Booking.consent, Pick.filter(F.field == "ok"))
    async def consent(callback: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        await state.set_state(Booking.confirm)
        if isinstance(callback.message, Message):
            await callback.message.edit_reply_markup(reply_markup=None)
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id,
            "<b>Please check your request</b>\n\n"
            f"Service: {data['service']}\nName: {html.quote(data['name'])}\n"
            f"Phone: {html.quote(data['phone'])}\nPreferred time: {data['time']}\n"
            f"Complaint: {html.quote(data['complaint'])}",
            reply_markup=inline(
                [
                    [("✅ Confirm", Pick(field="yes", value=str(callback.from_user.id)))],
                    [
                        ("✏️ Edit", Pick(field="edit", value="")),
                        (CANCEL, Pick(field="no", value="")),
                    ],
                ]
            ),
        )
        await callback.answer()

    @router.callback_query(Booking.confirm, Pick.filter(F.field == "yes"))
    async def confirm(callback: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        if isinstance(callback.message, Message):
            await callback.message.edit_reply_markup(reply_markup=None)
        request = (
            callback.from_user.id,
            data["service"],
            data["name"],
            data["phone"],
            data["time"],
            data["complaint"],
        )
        request_id = await db.write(
            "INSERT INTO requests (user_id, service, name, phone, time, complaint, status, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, 'new', ?)",
            (*request, time.time()),
        )
        await state.clear()
        bot = callback.bot
        assert bot is not None
        await bot.send_message(
            callback.from_user.id,
            f"✅ Thank you! Your request <b>No. {request_id}</b> has been received.\n"
            "A clinic manager will call you at the time you chose.",
            reply_markup=main_menu(),
        )
        await callback.answer()
        await bot.send_message(
            manager_chat_id,
            card_text((request_id, *request[1:], callback.from_user.id), None),
            reply_markup=card_keyboard(request_id, "new"),
        )

    @router.callback_query(Status.filter(), in_manager_chat)
    async def set_status(callback: CallbackQuery, callback_data: Status) -> None:
        await db.write(
            "UPDATE requests SET status = ? WHERE id = ?",
            (callback_data.status, callback_data.request),
        )
        row = await db.read_one(
            "SELECT id, service, name, phone, time, complaint, user_id FROM requests WHERE id = ?",
            (callback_data.request,),
        )
        await callback.answer(f"Status: {STATUS_NAMES[callback_data.status]}")
        if row is not None and isinstance(callback.message, Message):
            await callback.message.edit_text(
                card_text(row, callback_data.status),
                reply_markup=card_keyboard(callback_data.request, callback_data.status),
            )

    @router.message(F.text == REVIEW)
    async def review(message: Message, state: FSMContext) -> None:
        await state.set_state(Reviewing.rating)
        rows: list[list[tuple[str, CallbackData]]] = [
            [("⭐" * n, Rate(action="r", value=n))] for n in range(1, 6)
        ]
        rows.append([(CANCEL, Rate(action="no", value=0))])
        await message.answer(
            "How would you rate the clinic? Choose from 1 to 5 stars.", reply_markup=inline(rows)
        )

    @router.callback_query(Reviewing.rating, Rate.filter(F.action == "r"))
    async def rating(callback: CallbackQuery, callback_data: Rate, state: FSMContext) -> None:
        await state.update_data(rating=callback_data.value)
        await state.set_state(Reviewing.text)
        if isinstance(callback.message, Message):
            await callback.message.edit_text(f"Your rating: {'⭐' * callback_data.value}")
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id,
            "Tell us in a few words about your experience, or tap “⏭ Skip”.",
            reply_markup=inline(
                [[("⏭ Skip", Rate(action="skip", value=0))], [(CANCEL, Rate(action="no", value=0))]]
            ),
        )
        await callback.answer()

    @router.message(Reviewing.text, F.text.len() <= 2000)
    async def review_text(message: Message, state: FSMContext) -> None:
        assert message.from_user is not None
        await state.update_data(text=message.text)
        await state.set_state(Reviewing.signature)
        await message.answer(
            "How should we sign your review?",
            reply_markup=inline(
                [
                    [(f"✍️ Sign as {message.from_user.first_name}", Rate(action="sign", value=0))],
                    [("🙈 Anonymously", Rate(action="anon", value=0))],
                    [(CANCEL, Rate(action="no", value=0))],
                ]
            ),
        )

    @router.callback_query(Reviewing.signature, Rate.filter(F.action.in_({"sign", "anon"})))
    async def signature(callback: CallbackQuery, callback_data: Rate, state: FSMContext) -> None:
        data = await state.get_data()
        signed = callback.from_user.first_name if callback_data.action == "sign" else ""
        if isinstance(callback.message, Message):
            await callback.message.edit_reply_markup(reply_markup=None)
        review_id = await db.write(
            "INSERT INTO reviews (user_id, rating, text, signature, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (callback.from_user.id, data["rating"], data["text"], signed, time.time()),
        )
        await state.clear()
        bot = callback.bot
        assert bot is not None
        await bot.send_message(
            callback.from_user.id,
            "🙏 Thank you for your review! It will be published after moderation.",
            reply_markup=main_menu(),
        )
        await callback.answer()
        await bot.send_message(
            manager_chat_id,
            f"📝 <b>New review No. {review_id}</b> (awaiting moderation)\n\n"
            f"Rating: {'⭐' * data['rating']} ({data['rating']}/5)\n"
            f"Signature: {html.quote(signed) or '-'}\nText: {html.quote(data['text'])}\n\n"
            f'Patient: <a href="tg://user?id={callback.from_user.id}">'
            f"{html.quote(callback.from_user.first_name)}</a>",
            reply_markup=inline(
                [
                    [
                        ("✅ Publish", Moderate(review=review_id, status="published")),
                        ("🙈 Hide", Moderate(review=review_id, status="hidden")),
                    ]
                ]
            ),
        )

    @router.message()
    async def anything_else(message: Message) -> None:
        await message.answer("Please use the menu below.", reply_markup=main_menu())

    return router


def create_dispatcher(
    db: Database, manager_chat_id: int, content: Content | None = None
) -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router(db, manager_chat_id, content or Content.load()))
    return dispatcher

"""Forms as aiogram state groups."""

from aiogram.fsm.state import State, StatesGroup


class BookingForm(StatesGroup):
    service = State()
    name = State()
    phone = State()
    time = State()
    complaint = State()
    consent = State()
    confirm = State()
    edit = State()


class ReviewForm(StatesGroup):
    rating = State()
    text = State()
    signature = State()

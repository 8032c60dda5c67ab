"""Forms as aiogram state groups."""

from aiogram.fsm.state import State, StatesGroup


class BookingForm(StatesGroup):
    service = State()
    saved = State()  # a returning patient: use the name and phone of the latest request?
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

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


class EditForm(StatesGroup):
    """Staff editing a price, a phone, hours or the announcement in a private chat."""

    value = State()  # waiting for the new value
    confirm = State()  # old → new shown, waiting for Apply or Cancel

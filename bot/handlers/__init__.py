"""All routers of the bot, in the order they must see updates."""

from __future__ import annotations

from aiogram import Router

from bot import errors
from bot.filters import PRIVATE_CALLBACK, PRIVATE_MESSAGE, MayBeStaff
from bot.handlers import (
    appointments,
    articles,
    booking,
    common,
    contacts,
    fallback,
    links,
    managers,
    prices,
    privacy,
    reviews,
    staff_prices,
    staff_tools,
    templates,
    visits,
)
from bot.middlewares import BanMiddleware


def build_routers() -> list[Router]:
    """Fresh routers for one dispatcher.

    The manager chat and the staff tools come first, behind one gate that a patient's
    ordinary update fails at once; the patient's features answer in private chats only, and
    not to banned patients. The error router is last: error events reach it
    wherever they are raised, while updates, which the routers above handle, never have to
    pass through it.
    """
    patients = Router(name="patients")
    patients.message.filter(PRIVATE_MESSAGE)
    patients.callback_query.filter(PRIVATE_CALLBACK)
    ban = BanMiddleware()
    patients.message.outer_middleware(ban)
    patients.callback_query.outer_middleware(ban)
    patients.include_routers(
        common.build_router(),
        articles.build_router(),
        prices.build_router(),
        booking.build_router(),
        reviews.build_router(),
        privacy.build_router(),
        contacts.build_router(),
        visits.build_router(),
        fallback.build_router(),
    )
    staff = Router(name="staff")
    gate = MayBeStaff()
    staff.message.filter(gate)
    staff.callback_query.filter(gate)
    staff.include_routers(
        # Staff typing a new price or phone: before the manager chat's replies to patients.
        staff_prices.build_input_router(),
        # A manager typing an appointment's time: before the replies to patients too.
        appointments.build_router(),
        managers.build_router(),
        staff_tools.build_router(),
        staff_prices.build_router(),
        links.build_router(),
        # Reply templates and the staff's /help: before the patients' /help.
        templates.build_router(),
    )
    return [staff, patients, errors.build_router()]

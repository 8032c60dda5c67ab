"""The clinic's contacts: each branch's address, phone, today's hours and a map pin."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import keyboards
from bot.clock import Clock
from bot.content import Branch, ClinicDetails, Content
from bot.handlers.screens import MenuButton, leave_form
from bot.i18n import Translator
from bot.services.clinic_time import format_day
from bot.services.opening_hours import (
    OpensAt,
    OpenUntil,
    format_clock,
    hours_on,
    status_at,
)
from bot.services.phone import display_phone
from bot.settings import Settings

WEEK = 7  # within a week the day's name is enough; later, its date


def branch_text(
    branch: Branch, clinic: ClinicDetails, settings: Settings, clock: Clock, t: Translator
) -> str:
    """Address, readable phone (Telegram makes it tappable), today's hours and open/closed."""
    zone = settings.clinic_zone
    now = clock()
    today = now.astimezone(zone).date()
    period = hours_on(today, branch.hours, clinic.holidays)
    today_text = (
        t("contacts-today-closed")
        if period is None
        else t(
            "contacts-today-hours", start=format_clock(period.start), end=format_clock(period.end)
        )
    )
    status = status_at(now, branch.hours, clinic.holidays, zone)
    if isinstance(status, OpenUntil):
        status_text = t("contacts-open-until", time=format_clock(status.until))
    elif isinstance(status, OpensAt):
        day = status.at.date()
        time_text = format_clock(status.at)
        if day == today:
            status_text = t("contacts-opens-today", time=time_text)
        elif day == today + timedelta(days=1):
            status_text = t("contacts-opens-tomorrow", time=time_text)
        elif day < today + timedelta(days=WEEK):
            status_text = t("contacts-opens-weekday", weekday=day.weekday(), time=time_text)
        else:
            status_text = t("contacts-opens-date", date=format_day(day, t.locale), time=time_text)
    else:
        status_text = t("contacts-closed")
    text = t(
        "contacts-branch",
        address=branch.address_for(t.locale),
        phone=display_phone(branch.phone),
        today=today_text,
        status=status_text,
    )
    directions = branch.directions_for(t.locale)
    if directions is not None:
        text += "\n" + t("contacts-directions", directions=directions)
    return text


async def contacts(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    content: Content,
    settings: Settings,
    clock: Clock,
    t: Translator,
) -> None:
    await leave_form(state, raw_state, message, t)
    clinic = content.clinic
    if not clinic.branches:
        await message.answer(t("contacts-none"), reply_markup=keyboards.main_menu(t))
        return
    parts = [t("contacts-title")]
    parts.extend(branch_text(branch, clinic, settings, clock, t) for branch in clinic.branches)
    await message.answer("\n\n".join(parts), reply_markup=keyboards.main_menu(t))
    name = clinic.name_for(t.locale)
    for branch in clinic.branches:
        await message.answer_venue(
            latitude=branch.latitude,
            longitude=branch.longitude,
            title=name,
            address=branch.address_for(t.locale),
        )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(contacts, Command("contacts"))
    router.message.register(contacts, MenuButton("contacts-menu-button"))
    return router

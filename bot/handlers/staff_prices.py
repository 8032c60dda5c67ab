"""Staff change prices, branches' phones and hours, and the announcement without a deploy;
`/reload` re-reads content/.

`/prices` from staff (in the manager chat or a staff member's private chat) lists the
services with ✏️; tapping one asks for the new value, shows old → new, and applies it on
"Apply". Changes are overrides in the database (audited), laid over the files by the
`ContentStore`, so patients see them with their next update, in every language.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import views
from bot.callbacks import EditConfirmCallback, EditTargetCallback
from bot.content import Branch, Content
from bot.content_store import ContentStore, TextsLoader, reload_texts
from bot.filters import TEXT_NOT_A_COMMAND, Magic
from bot.handlers.screens import remove_buttons, show
from bot.handlers.staff_tools import IsStaff, parse_id
from bot.i18n import Translations, Translator
from bot.services.common import StaffMember
from bot.services.opening_hours import WEEKDAYS
from bot.services.overrides import (
    Edit,
    InputProblem,
    announcement_key,
    announcement_problem,
    branch_keys,
    parse_hours_edit,
    parse_phone_edit,
    parse_service_edit,
    service_keys,
)
from bot.staff import staff_member
from bot.states import EditForm
from storage.repositories import OverrideRepository

logger = logging.getLogger(__name__)

EDIT_COMMANDS = ("prices", "branches", "announce", "reload")
SERVICE, PHONE, HOURS = "service", "phone", "hours"
MENU_BUTTONS = (
    "menu-article",
    "menu-prices",
    "menu-book",
    "menu-review",
    "menu-reviews",
    "menu-language",
    "contacts-menu-button",
)


async def save_overrides(
    store: ContentStore,
    override_repo: OverrideRepository,
    changes: dict[str, str | None],
    *,
    staff: StaffMember,
    action: str,
    target: str,
) -> None:
    """Write the change (with its audit row), then use it here at once."""
    await override_repo.change_overrides(
        changes, staff_id=staff.id, staff_name=staff.name, action=action, target=target
    )
    store.use_overrides(await override_repo.all_overrides())
    logger.info("Staff %s changed the content: %s", staff.id, action)


# --------------------------------------------------------------------------- prices


def _prices_screen(t: Translator, store: ContentStore) -> tuple[str, InlineKeyboardMarkup]:
    local = store.content.for_locale(t.locale)
    # In the file's order, hidden ones included: the numbers are those `/prices reset` takes.
    every = [
        current
        for service in store.files.for_locale(t.locale).services
        if (current := local.service(service.id)) is not None
    ]
    lines = [t("edit-prices-title"), ""]
    buttons: list[list[InlineKeyboardButton]] = []
    hidden_ids = {service.id for service in local.hidden_services}
    for number, service in enumerate(every, 1):
        marks = []
        if service.id in hidden_ids:
            marks.append(t("edit-mark-hidden"))
        if _service_changed(store, service.id):
            marks.append(t("edit-mark-changed"))
        lines.append(
            t(
                "edit-prices-line",
                number=str(number),
                name=service.name,
                price=views.price(t, service.price_from),
                marks=" ".join(marks),
            ).rstrip()
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    text=t("edit-button", number=str(number), name=service.short),
                    callback_data=EditTargetCallback(what=SERVICE, id=service.id).pack(),
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


def _service_changed(store: ContentStore, service_id: str) -> bool:
    return any(key in store.overrides for key in service_keys(service_id, _locales(store)))


def _locales(store: ContentStore) -> tuple[str, ...]:
    return tuple(store.files.locales)


async def staff_prices(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    content_store: ContentStore,
    override_repo: OverrideRepository,
    t: Translator,
) -> None:
    await state.clear()
    words = (command.args or "").split()
    if not words:
        text, markup = _prices_screen(t, content_store)
        await message.answer(text, reply_markup=markup)
        return
    files = content_store.files.for_locale(t.locale).services
    number = parse_id(words[1]) if len(words) == 2 and words[0].lower() == "reset" else None
    if number is None or number > len(files):
        await message.answer(t("edit-usage-reset"))
        return
    service = files[number - 1]
    keys = service_keys(service.id, _locales(content_store))
    present = [key for key in keys if key in content_store.overrides]
    if not present:
        await message.answer(t("edit-reset-nothing", name=service.name))
        return
    await save_overrides(
        content_store,
        override_repo,
        dict.fromkeys(present),
        staff=staff_member(message),
        action="reset-service",
        target=f"{service.id}: " + ", ".join(present) + " → file",
    )
    await message.answer(t("edit-reset-done", name=service.name))


# --------------------------------------------------------------------------- branches


def _hours_text(branch: Branch) -> str:
    parts = []
    for day, name in enumerate(WEEKDAYS):
        period = branch.hours.get(day)
        value = "—" if period is None else f"{period.start:%H:%M}-{period.end:%H:%M}"
        parts.append(f"{name} {value}")
    return ", ".join(parts)


def _branches_screen(t: Translator, content: Content) -> tuple[str, InlineKeyboardMarkup | None]:
    branches = content.clinic.branches
    if not branches:
        return t("edit-no-branches"), None
    lines = [t("edit-branches-title")]
    buttons: list[list[InlineKeyboardButton]] = []
    for number, branch in enumerate(branches, 1):
        lines.append("")
        lines.append(
            t(
                "edit-branch-line",
                number=str(number),
                address=branch.address_for(t.locale),
                phone=branch.phone,
                hours=_hours_text(branch),
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    text=t("edit-phone-button", number=str(number)),
                    callback_data=EditTargetCallback(what=PHONE, id=branch.id).pack(),
                ),
                InlineKeyboardButton(
                    text=t("edit-hours-button", number=str(number)),
                    callback_data=EditTargetCallback(what=HOURS, id=branch.id).pack(),
                ),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


async def staff_branches(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    content_store: ContentStore,
    override_repo: OverrideRepository,
    t: Translator,
) -> None:
    await state.clear()
    words = (command.args or "").split()
    if not words:
        text, markup = _branches_screen(t, content_store.content)
        await message.answer(text, reply_markup=markup)
        return
    branches = content_store.files.clinic.branches
    number = parse_id(words[1]) if len(words) == 2 and words[0].lower() == "reset" else None
    if number is None or number > len(branches):
        await message.answer(t("edit-usage-branches-reset"))
        return
    branch = branches[number - 1]
    present = [key for key in branch_keys(branch.id) if key in content_store.overrides]
    if not present:
        await message.answer(t("edit-branch-reset-nothing", number=str(number)))
        return
    await save_overrides(
        content_store,
        override_repo,
        dict.fromkeys(present),
        staff=staff_member(message),
        action="reset-branch",
        target=f"{branch.id}: " + ", ".join(present) + " → clinic.toml",
    )
    await message.answer(t("edit-branch-reset-done", number=str(number)))


# --------------------------------------------------------------------------- the edit form


def _branch(content: Content, branch_id: str) -> Branch | None:
    return next((b for b in content.clinic.branches if b.id == branch_id), None)


async def edit_target_pressed(
    callback: CallbackQuery,
    callback_data: EditTargetCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    content: Content,
    t: Translator,
) -> None:
    what, target_id = callback_data.what, callback_data.id
    if what == SERVICE:
        service = content.for_locale(t.locale).service(target_id)
        question = None if service is None else t("edit-ask-service", name=service.name)
    elif what in {PHONE, HOURS}:
        branch = _branch(content, target_id)
        question = (
            None
            if branch is None
            else t(
                f"edit-ask-{what}",
                address=branch.address_for(t.locale),
                phone=branch.phone,
                hours=_hours_text(branch),
            )
        )
    else:
        question = None
    if question is None or callback.message is None:
        callback_answer.text = t("stale-button")
        return
    await state.set_state(EditForm.value)
    await state.set_data({"what": what, "id": target_id})
    await callback.message.answer(question)


def _parse(
    text: str, what: str, target_id: str, content: Content, locales: tuple[str, ...], t: Translator
) -> Edit | InputProblem | None:
    if what == SERVICE:
        if content.for_locale(t.locale).service(target_id) is None:
            return None
        return parse_service_edit(text, target_id, t.locale, locales, content)
    branch = _branch(content, target_id)
    if branch is None:
        return None
    if what == PHONE:
        return parse_phone_edit(text, branch)
    return parse_hours_edit(text, branch)


def _what(t: Translator, what: str, target_id: str, content: Content) -> str:
    if what == SERVICE:
        service = content.for_locale(t.locale).service(target_id)
        return service.name if service else target_id
    branch = _branch(content, target_id)
    address = branch.address_for(t.locale) if branch else target_id
    return t(f"edit-what-{what}", address=address)


async def edit_value(
    message: Message,
    state: FSMContext,
    content_store: ContentStore,
    translations: Translations,
    t: Translator,
) -> None:
    if any(message.text in translations.variants(key) for key in MENU_BUTTONS):
        # A tap on the main menu is no new name: the staff member went elsewhere.
        await state.clear()
        await message.answer(t("edit-cancelled"))
        return
    data = await state.get_data()
    what, target_id = str(data.get("what")), str(data.get("id"))
    content = content_store.content
    edit = _parse(message.text or "", what, target_id, content, _locales(content_store), t)
    if edit is None:
        await state.clear()
        await message.answer(t("edit-target-gone"))
        return
    if isinstance(edit, InputProblem):
        await message.answer(t(f"edit-problem-{edit.value}") + "\n" + t("edit-cancel-hint"))
        return
    await state.set_state(EditForm.confirm)
    await state.update_data(
        changes=dict(edit.changes), old=edit.old, new=edit.new, kind=edit.kind.value
    )
    old, new = _shown(t, edit)
    await message.answer(
        t("edit-confirm", what=html.quote(_what(t, what, target_id, content)), old=old, new=new),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=t("edit-apply-button"),
                        callback_data=EditConfirmCallback(apply=True).pack(),
                    ),
                    InlineKeyboardButton(
                        text=t("edit-cancel-button"),
                        callback_data=EditConfirmCallback(apply=False).pack(),
                    ),
                ]
            ]
        ),
    )


def _shown(t: Translator, edit: Edit | dict[str, Any]) -> tuple[str, str]:
    """Old and new as staff read them: a price with its currency, words in their language."""
    kind = edit.kind.value if isinstance(edit, Edit) else str(edit["kind"])
    old = edit.old if isinstance(edit, Edit) else str(edit["old"])
    new = edit.new if isinstance(edit, Edit) else str(edit["new"])
    if kind == "price":
        return views.price(t, int(old)), views.price(t, int(new))
    if kind in {"hide", "show"}:
        return t(f"edit-state-{old}"), t(f"edit-state-{new}")
    return html.quote(old), html.quote(new)


async def edit_confirmed(
    callback: CallbackQuery,
    callback_data: EditConfirmCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    raw_state: str | None,
    content_store: ContentStore,
    override_repo: OverrideRepository,
    t: Translator,
) -> None:
    if raw_state != EditForm.confirm.state:
        callback_answer.text = t("stale-button")
        await remove_buttons(callback)
        return
    data = await state.get_data()
    await state.clear()
    if not callback_data.apply:
        await show(callback, t("edit-cancelled"))
        return
    what, target_id = str(data["what"]), str(data["id"])
    label = _what(t, what, target_id, content_store.content)
    changes: dict[str, str | None] = dict(data["changes"])
    await save_overrides(
        content_store,
        override_repo,
        changes,
        staff=staff_member(callback),
        action=f"edit-{data['kind']}",
        target=f"{target_id}: {data['old']} → {data['new']}",
    )
    old, new = _shown(t, data)
    await show(callback, t("edit-applied", what=html.quote(label), old=old, new=new))


async def edit_cancel(message: Message, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await message.answer(t("edit-cancelled"))


# --------------------------------------------------------------------------- announcement


async def announce(
    message: Message,
    command: CommandObject,
    content_store: ContentStore,
    override_repo: OverrideRepository,
    translations: Translations,
    t: Translator,
) -> None:
    text = (command.args or "").strip()
    content = content_store.content
    if not text:
        current = [
            (locale or "*", value) for locale, value in sorted(content.announcements.items())
        ]
        if not current:
            await message.answer(t("announce-none"))
            return
        lines = [f"{locale}: {html.quote(value)}" for locale, value in current]
        await message.answer(t("announce-current", text="\n".join(lines)))
        return
    first, _, rest = text.partition(" ")
    locale: str | None = None
    if first in translations.locales and rest.strip():
        locale, text = first, rest.strip()
    if text.lower() in {"off", "clear", "выкл", "убрать"}:
        keys = (
            [announcement_key(locale)]
            if locale
            else [announcement_key(), *(announcement_key(code) for code in translations.locales)]
        )
        present = [key for key in keys if key in content_store.overrides]
        if present:
            await save_overrides(
                content_store,
                override_repo,
                dict.fromkeys(present),
                staff=staff_member(message),
                action="announce-clear",
                target=", ".join(present),
            )
        await message.answer(t("announce-cleared"))
        return
    problem = announcement_problem(text)
    if problem is not None:
        await message.answer(t(f"edit-problem-{problem.value}"))
        return
    key = announcement_key(locale)
    await save_overrides(
        content_store,
        override_repo,
        {key: text},
        staff=staff_member(message),
        action="announce-set",
        target=f"{key}: {content_store.overrides.get(key, '—')} → {text}",
    )
    await message.answer(t("announce-set", text=html.quote(text)))


# --------------------------------------------------------------------------- reload


async def reload(
    message: Message,
    content_store: ContentStore,
    load_texts: TextsLoader,
    t: Translator,
) -> None:
    failure = await reload_texts(content_store, load_texts)
    if failure is None:
        await message.answer(t("reload-done"))
        return
    where = (
        failure.file
        if failure.line is None
        else t("reload-where-line", file=failure.file, line=str(failure.line))
    )
    await message.answer(
        t("reload-failed", where=html.quote(where), detail=html.quote(failure.detail))
    )


# --------------------------------------------------------------------------- routers


def build_input_router() -> Router:
    """The edit form's typed answers and its /cancel: before the manager chat's routers,
    so that an answer in the manager chat is not taken for a reply to a patient."""
    router = Router(name=f"{__name__}.input")
    router.message.filter(StateFilter(EditForm.value, EditForm.confirm), IsStaff())
    router.message.register(edit_cancel, Command("cancel"))
    router.message.register(edit_value, StateFilter(EditForm.value), TEXT_NOT_A_COMMAND)
    return router


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Command(*EDIT_COMMANDS), IsStaff())
    router.callback_query.filter(
        Magic(
            F.data.startswith(
                (f"{EditTargetCallback.__prefix__}:", f"{EditConfirmCallback.__prefix__}:")
            )
        ),
        IsStaff(),
    )
    router.message.register(staff_prices, Command("prices"))
    router.message.register(staff_branches, Command("branches"))
    router.message.register(announce, Command("announce"))
    router.message.register(reload, Command("reload"))
    router.callback_query.register(edit_target_pressed, EditTargetCallback.filter())
    router.callback_query.register(edit_confirmed, EditConfirmCallback.filter())
    return router

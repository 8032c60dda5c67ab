"""Reply templates (/templates, the card's 📋 button) and the staff's /help.

A template chosen under a request card goes to the patient as a manager's typed reply would
(`relay.reply_to_patient`), filled in for that request; the manager chat gets a note of what
was sent under the card, and the audit log an entry.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router, html
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message, ReplyParameters
from aiogram.utils.callback_answer import CallbackAnswer

from bot import keyboards, views
from bot.callbacks import TemplateCallback
from bot.commands import staff_chat_ids
from bot.content import Content
from bot.filters import InManagerChat
from bot.handlers import visits
from bot.handlers.staff_tools import IsStaff
from bot.handlers.visit_desk import VisitDesk
from bot.i18n import Translations, Translator
from bot.services import templates as rules
from bot.services.phone import display_phone
from bot.services.relay import (
    BlockedByPatientError,
    CopyRefusedError,
    ReplyOutcome,
    reply_to_patient,
)
from bot.settings import Settings
from bot.staff import StaffDirectory, staff_member
from storage.repositories import TemplateRepository

logger = logging.getLogger(__name__)

PREVIEW_CHARS = 80
"""How much of each template's text /templates shows."""


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return html.quote(flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…")


async def _list(template_repo: TemplateRepository, t: Translator) -> str:
    found = await template_repo.list_templates()
    if not found:
        return t("tpl-list-empty") + "\n\n" + t("tpl-usage")
    lines = [
        t("tpl-list-line", name=html.quote(item.name), text=_preview(item.text)) for item in found
    ]
    return "\n".join([t("tpl-list-title"), *lines, "", t("tpl-usage")])


async def templates_command(
    message: Message,
    command: CommandObject,
    template_repo: TemplateRepository,
    t: Translator,
) -> None:
    """`/templates`, `/templates add|edit <name> <text>`, `/templates remove <name>`."""
    if message.from_user is None:
        return
    parts = (command.args or "").strip().split(None, 2)
    if not parts:
        await message.answer(await _list(template_repo, t))
        return
    action = parts[0].lower()
    if action not in ("add", "edit", "remove") or len(parts) < 2:
        await message.answer(t("tpl-usage"))
        return
    name = parts[1]
    if (problem := rules.name_problem(name)) is not None:
        await message.answer(t(f"tpl-problem-{problem.value}"))
        return
    member = staff_member(message)
    shown = html.quote(name)
    if action == "remove":
        removed = await template_repo.remove_template(
            name, staff_id=member.id, staff_name=member.name
        )
        await message.answer(t("tpl-removed" if removed else "tpl-not-found", name=shown))
        return
    text = parts[2].strip() if len(parts) == 3 else ""
    if (problem := rules.text_problem(text)) is not None:
        found = ", ".join(f"{{{name}}}" for name in rules.unknown_placeholders(text))
        await message.answer(t(f"tpl-problem-{problem.value}", found=html.quote(found)))
        return
    if action == "add":
        added = await template_repo.add_template(
            name, text, staff_id=member.id, staff_name=member.name
        )
        await message.answer(t("tpl-added" if added else "tpl-exists", name=shown))
        return
    edited = await template_repo.edit_template(
        name, text, staff_id=member.id, staff_name=member.name
    )
    await message.answer(t("tpl-edited" if edited else "tpl-not-found", name=shown))


async def template_pressed(
    callback: CallbackQuery,
    callback_data: TemplateCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    template_repo: TemplateRepository,
    staff: StaffDirectory,
    visit_desk: VisitDesk,
    content: Content,
    translations: Translations,
    clinic_t: Translator,
) -> None:
    if not await staff.is_staff(bot, callback.from_user.id):
        callback_answer.text, callback_answer.show_alert = clinic_t("staff-only"), True
        return
    card_message = callback.message
    if not isinstance(card_message, Message):
        callback_answer.text = clinic_t("stale-button")
        return
    card = await visit_desk.conversation_repo.manager_message(
        card_message.chat.id, card_message.message_id
    )
    if card is None or card.kind != "request" or card.ref_id != callback_data.request:
        callback_answer.text = clinic_t("stale-button")
        return

    async def restore_card() -> None:
        await visits.refresh_card(
            bot,
            visit_desk,
            chat_id=card_message.chat.id,
            message_id=card_message.message_id,
            request_id=callback_data.request,
            content=content,
            clinic_t=clinic_t,
        )

    if callback_data.back:
        await restore_card()
        return
    if callback_data.template == 0:
        found = await template_repo.list_templates()
        if not found:
            callback_answer.text, callback_answer.show_alert = clinic_t("tpl-none"), True
            return
        await card_message.edit_reply_markup(
            reply_markup=keyboards.template_choice(
                clinic_t, callback_data.request, [(item.id, item.name) for item in found]
            )
        )
        callback_answer.text = clinic_t("tpl-choose")
        return
    template = await template_repo.get_template(callback_data.template)
    request = await visit_desk.request_repo.get_request(callback_data.request)
    if template is None or request is None:
        callback_answer.text = clinic_t("stale-button")
        return
    if not request.name:  # erased at the patient's wish
        callback_answer.text, callback_answer.show_alert = clinic_t("tpl-erased"), True
        return
    patient_t = translations.get(request.locale)
    branches = content.clinic.branches
    text = rules.render(
        template.text,
        {
            "name": request.name,
            "service": views.service_name(
                patient_t, content.for_locale(request.locale), request.service_id
            ),
            "clinic_phone": display_phone(branches[0].phone) if branches else "",
        },
    )

    async def is_staff() -> bool:
        return True  # checked above, before the list was even shown

    async def send(patient_id: int) -> None:
        try:
            await bot.send_message(patient_id, text)
        except TelegramForbiddenError as error:
            raise BlockedByPatientError from error
        except TelegramAPIError as error:
            raise CopyRefusedError(error.message) from error

    result = await reply_to_patient(
        visit_desk.conversation_repo,
        chat_id=card_message.chat.id,
        replied_message_id=card_message.message_id,
        is_staff=is_staff,
        copy=send,
    )
    if result.outcome != ReplyOutcome.DELIVERED:
        callback_answer.show_alert = True
        callback_answer.text = (
            clinic_t("relay-failed-blocked")
            if result.outcome == ReplyOutcome.BLOCKED
            else clinic_t("relay-failed", error=result.error)
        )
        return
    member = staff_member(callback)
    await visit_desk.audit_repo.add_audit(
        member.id, member.name, "template:sent", f"request {request.id}: {template.name}"
    )
    # What the patient got stays visible under the card, as a typed reply would.
    await bot.send_message(
        card_message.chat.id,
        clinic_t(
            "tpl-sent", manager=html.quote(member.name), name=html.quote(template.name), text=text
        ),
        message_thread_id=card_message.message_thread_id,
        reply_parameters=ReplyParameters(
            message_id=card_message.message_id, allow_sending_without_reply=True
        ),
    )
    await restore_card()
    callback_answer.text = clinic_t("relay-delivered")


async def staff_help(message: Message, settings: Settings, t: Translator) -> None:
    minutes = settings.take_within_minutes
    await message.answer(t("staffhelp-text", minutes=minutes, twice=minutes * 2))


class AsksStaffHelp(Filter):
    """Staff asking for /help: in the manager chat, or privately when the settings name them
    (ADMIN_IDS, ON_DUTY_STAFF ids): a patient's /help costs no getChatMember call."""

    async def __call__(
        self, message: Message, bot: Bot, staff: StaffDirectory, settings: Settings
    ) -> bool:
        user = message.from_user
        if user is None:
            return False
        if message.chat.id == settings.manager_chat_id:
            return await staff.is_staff(bot, user.id)
        return message.chat.type == ChatType.PRIVATE and user.id in staff_chat_ids(settings)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(templates_command, Command("templates"), IsStaff())
    router.message.register(staff_help, Command("help"), AsksStaffHelp())
    router.callback_query.register(template_pressed, TemplateCallback.filter(), InManagerChat())
    return router

"""`/link <source>` (staff): the deep link that counts patients under a source, and its QR code."""

from __future__ import annotations

import io

import segno
from aiogram import Bot, Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.handlers.staff_tools import IsStaff
from bot.i18n import Translator
from bot.services.sources import deep_link, deep_link_source

QR_SCALE = 12  # pixels per module: ~500 px for a short link, sharp on a printed A5 flyer
QR_BORDER = 4  # the quiet zone scanners need around the code


def qr_png(text: str) -> bytes:
    """A QR code of `text`, as a PNG (medium error correction survives a crease or a stain)."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


async def link(message: Message, command: CommandObject, bot: Bot, t: Translator) -> None:
    source = deep_link_source(command.args)
    if source is None:
        await message.answer(t("source-usage"))
        return
    me = await bot.me()
    if not me.username:  # every bot has one; a test server might not say it
        await message.answer(t("source-usage"))
        return
    url = deep_link(me.username, source)
    await message.answer(t("source-link", source=html.quote(source), link=html.quote(url)))
    thread_id = message.message_thread_id if message.is_topic_message else None
    # A document, not a photo: Telegram recompresses photos, and a print needs sharp edges.
    await bot.send_document(
        message.chat.id,
        BufferedInputFile(qr_png(url), filename=f"qr_{source}.png"),
        caption=t("source-qr-caption", source=html.quote(source), link=html.quote(url)),
        message_thread_id=thread_id,
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Command("link"), IsStaff())
    router.message.register(link, Command("link"))
    return router

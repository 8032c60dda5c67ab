"""Where patients come from: deep-link sources through to /stats, the CSV export and /link."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.handlers.links import qr_png
from bot.preview.emulator import FakeTelegramServer, FakeUser
from storage.models import RequestStatus, VisitStatus
from tests.conftest import RunningBot, SettingsFactory
from tests.e2e import outbox_drained, patient, press, say, tap

ADMIN_ID = 900


@pytest.fixture
async def staffed(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> AsyncIterator[RunningBot]:
    running = RunningBot(make_settings(admin_ids=(ADMIN_ID,)), telegram)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def _book(telegram: FakeTelegramServer, user: FakeUser, name: str) -> None:
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await press(telegram, user, "Второй курс лечения (12 сеансов)", "Как вас зовут?")
    await say(telegram, user, name, "Ваш телефон")
    await say(telegram, user, "+7 916 111-22-33", "Когда вам удобно")
    await press(telegram, user, "🌆 Вечером (17:00–20:00)", "Коротко опишите")
    await press(telegram, user, "⏭ Пропустить", "Согласие на обработку")
    await press(telegram, user, "✅ Согласен(на)", "Проверьте, пожалуйста, заявку")
    await press(telegram, user, "✅ Подтвердить", "принята")


async def test_sources_from_deep_links_reach_stats_and_the_export(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    storage = staffed.storage
    anna = telegram.private_user(401, "Анна")
    await say(telegram, anna, "/start flyer", "Здравствуйте, Анна!")
    await say(telegram, anna, "/start vk_post_12", "Здравствуйте, Анна!")
    assert await storage.sources.sources_of(401) == ("flyer", "vk_post_12")
    await _book(telegram, anna, "Анна")

    boris = telegram.private_user(402, "Борис")
    await say(telegram, boris, "/start flyer", "Здравствуйте, Борис!")
    await _book(telegram, boris, "Борис")
    vera = telegram.private_user(403, "Вера")
    await say(telegram, vera, "/start flyer", "Здравствуйте, Вера!")
    plain = await patient(telegram, 404, "Глеб")  # no deep link
    await _book(telegram, plain, "Глеб")
    await outbox_drained(storage.outbox)

    anna_request, boris_request, plain_request = 1, 2, 3
    assert await storage.sources.request_source(anna_request) == "vk_post_12"
    assert await storage.sources.request_source(boris_request) == "flyer"
    assert await storage.sources.request_source(plain_request) is None
    for request_id in (anna_request, boris_request):
        for before, after in (
            (RequestStatus.NEW, RequestStatus.TAKEN),
            (RequestStatus.TAKEN, RequestStatus.BOOKED),
        ):
            change = await storage.requests.change_request_status(
                request_id, before, after, ADMIN_ID, "Главврач"
            )
            assert change is not None and change.applied
    appointment = await storage.appointments.set_appointment(
        request_id=anna_request,
        patient_id=401,
        starts_at=datetime.now(UTC) + timedelta(days=1),
        branch_id=None,
        doctor=None,
        changed_by="Главврач",
        plan=lambda _: [],
    )
    await storage.appointments.record_visit(appointment.id, 401, VisitStatus.CAME, 5)

    admin = await patient(telegram, ADMIN_ID, "Главврач")
    stats = await say(telegram, admin, "/stats", "По источникам")
    text = stats["text"]
    assert "flyer: пациентов 2, заявок 1, записано 1, пришли 0, конверсия 100%" in text, text
    assert "vk_post_12: пациентов 1, заявок 1, записано 1, пришли 1, конверсия 100%" in text, text

    detail = await say(telegram, admin, "/request 1", "Источник (ссылка)")
    assert "Источник (ссылка): vk_post_12" in detail["text"]
    detail = await say(telegram, admin, "/request 3", "№ 3")
    assert "Источник (ссылка)" not in detail["text"]

    since = telegram.mark()
    telegram.send_text(admin, "/export requests")
    call = await telegram.wait_for_call(
        "sendDocument", lambda c: c.params.get("chat_id") == ADMIN_ID, since=since
    )
    assert call.message is not None
    with zipfile.ZipFile(io.BytesIO(telegram.file_of(call.message).content)) as archive:
        (name,) = archive.namelist()
        rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    assert [(row["id"], row["source"]) for row in rows] == [
        ("1", "vk_post_12"),
        ("2", "flyer"),
        ("3", ""),
    ]


@pytest.mark.parametrize(
    "payload",
    ["<script>", "a" * 65, "flyer%20x", "привет", "a b", "x;DROP TABLE users"],
)
async def test_a_bad_start_parameter_is_ignored(
    staffed: RunningBot, telegram: FakeTelegramServer, payload: str
) -> None:
    user = telegram.private_user(405, "Дина")
    await say(telegram, user, f"/start {payload}", "Здравствуйте, Дина!")
    assert await staffed.storage.sources.sources_of(405) == (None, None)
    await say(telegram, user, "/start " + "b" * 64, "Здравствуйте, Дина!")
    assert await staffed.storage.sources.sources_of(405) == ("b" * 64, "b" * 64)


async def test_link_gives_the_deep_link_and_a_qr_code(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    since = telegram.mark()
    answer = await say(telegram, admin, "/link flyer_2026", "https://t.me/")
    assert "https://t.me/clinic_test_bot?start=flyer_2026" in answer["text"]
    photo = await telegram.wait_for_call(
        "sendDocument", lambda c: c.params.get("chat_id") == ADMIN_ID, since=since
    )
    assert photo.message is not None
    data = telegram.file_of(photo.message).content
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data == qr_png("https://t.me/clinic_test_bot?start=flyer_2026")
    assert "start=flyer_2026" in photo.message.get("caption", "")
    await say(telegram, admin, "/link bad source!", "до 64 символов")
    await say(telegram, admin, "/link", "до 64 символов")
    stranger = await patient(telegram, 406, "Ефим")
    answer = await say(telegram, stranger, "/link flyer", "")
    assert "t.me" not in answer["text"]

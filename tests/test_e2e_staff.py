"""Staff tools end to end, and what a stranger gets for the same commands."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.preview.emulator import FakeTelegramServer, FakeUser
from bot.preview.emulator.state import ApiCall
from storage import open_storage
from storage.models import NewRequest, NewReview, OutboxMessage, RequestStatus
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import outbox_drained, patient, press, say

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


def _silent(kind: str) -> object:
    def card(ref_id: int) -> OutboxMessage:
        return OutboxMessage(kind, ref_id, MANAGER_CHAT_ID, None, f"{kind} {ref_id}")

    return card


async def _requests(clinic: RunningBot, names: list[str]) -> list[int]:
    ids = []
    for number, name in enumerate(names, start=1):
        request = NewRequest(
            user_id=5000 + number,
            locale="ru",
            service_id="massage" if number % 2 else "consult",
            name=name,
            phone=f"+7916000{number:04d}",
            preferred_time="утром",
            complaint=f"жалоба {number}",
            consent_version="2026-11-25",
            consented_at=datetime.now(UTC),
        )
        ids.append(await clinic.storage.requests.create_request(request, _silent("request")))  # type: ignore[arg-type]
    return ids


async def test_requests_are_paged_newest_first(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    await _requests(staffed, [f"Пациент {n}" for n in range(1, 13)])
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    first = await say(telegram, admin, "/requests", "Заявки: все")
    assert "№ 12" in first["text"]
    assert "№ 3 " in first["text"]
    assert "№ 2 " not in first["text"]
    assert "+7 916 000-00-12" in first["text"]
    assert first["text"].index("№ 12") < first["text"].index("№ 11")
    second = await press(telegram, admin, "Старше ▶️", "Заявки: все")
    assert second["message_id"] == first["message_id"]
    assert "№ 2 " in second["text"]
    assert "№ 1 " in second["text"]
    assert "№ 3 " not in second["text"]
    assert "Старше ▶️" not in [text for text, _ in telegram.inline_buttons(second)]
    back = await press(telegram, admin, "◀️ Новее", "Заявки: все")
    assert "№ 12" in back["text"]
    assert "◀️ Новее" not in [text for text, _ in telegram.inline_buttons(back)]


async def test_request_detail_status_filter_and_stats(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    await _requests(staffed, ["Анна", "Борис", "Вера"])
    await staffed.storage.requests.change_request_status(
        2, RequestStatus.NEW, RequestStatus.BOOKED, ADMIN_ID, "Главврач"
    )
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    detail = await say(telegram, admin, "/request 2", "Заявка № 2")
    for expected in ("Борис", "+7 916 000-00-02", "жалоба 2", "записан на приём (Главврач)"):
        assert expected in detail["text"]
    booked = await say(telegram, admin, "/requests booked", "Заявки: записан")
    assert "Борис" in booked["text"]
    assert "Анна" not in booked["text"]
    await say(telegram, admin, "/requests nonsense", "Использование: /requests")
    await say(telegram, admin, "/request 99", "не найдена")
    stats = await say(telegram, admin, "/stats", "Статистика за 7 дней")
    assert "Заявок всего: 3" in stats["text"]
    assert "Конверсия (записан / все): 33,3%" in stats["text"]
    assert "Массаж стопы: 2" in stats["text"]
    assert "Отзывов: 2, средняя оценка: 5,0" in stats["text"]


async def test_reviews_moderated_from_the_staff_list(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    review_id = await staffed.storage.reviews.create_review(
        NewReview(user_id=1, author="Ира", rating=4, text="Хорошо лечат", locale="ru"),
        _silent("review"),  # type: ignore[arg-type]
    )
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    pending = await say(telegram, admin, "/reviews pending", "Отзывы: ждёт модерации")
    assert "Хорошо лечат" in pending["text"]
    await press(telegram, admin, f"✅ Опубликовать № {review_id}", "Отзывы")
    reader = await patient(telegram, 77, "Оля")
    listing = await say(telegram, reader, "/reviews", "из 5")
    assert "Хорошо лечат" in listing["text"]
    audit = await say(telegram, admin, "/audit", "Журнал действий")
    assert "review:published" in audit["text"]
    assert "Главврач" in audit["text"]


async def test_csv_export_opens_in_excel_and_defuses_formulas(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    await _requests(staffed, ["Ольга Петрова", '=HYPERLINK("http://x","click")', "@cmd"])
    admin = await patient(telegram, ADMIN_ID, "Главврач")
    since = telegram.mark()
    telegram.send_text(admin, "/export requests")
    call = await telegram.wait_for_call("sendDocument", since=since)
    document = telegram.file_of(call.result)
    assert document.file_name == f"requests-2000-01-01-{_today()}.zip"
    raw = _csv_in(document.content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == [
        "id",
        "created_at (Europe/Moscow)",
        "status",
        "service",
        "name",
        "phone",
    ]
    assert rows[1][1].endswith("+03:00")  # the clinic's wall clock, with its offset
    names = [row[4] for row in rows[1:]]
    assert names == ["Ольга Петрова", '\'=HYPERLINK("http://x","click")', "'@cmd"]
    assert rows[1][5] == "'+79160000001"  # a phone starts with "+": kept as text
    assert rows[1][3] == "Массаж стопы"

    since = telegram.mark()
    telegram.send_text(admin, "/export reviews")
    call = await telegram.wait_for_call("sendDocument", since=since)
    reviews = list(
        csv.reader(io.StringIO(_csv_in(telegram.file_of(call.result).content).decode("utf-8-sig")))
    )
    assert len(reviews) == 3  # header and the two published source reviews
    await say(telegram, admin, "/export everything", "Использование: /export")
    audit = await say(telegram, admin, "/audit", "Журнал")
    assert "export:requests" in audit["text"]
    assert "export:reviews" in audit["text"]


def _today() -> str:
    return datetime.now(ZoneInfo("Europe/Moscow")).date().isoformat()


def _csv_in(archive: bytes) -> bytes:
    """The one CSV inside a zip as sent, checked to be deflated."""
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        [entry] = bundle.infolist()
        assert entry.filename.endswith(".csv")
        assert entry.compress_type == zipfile.ZIP_DEFLATED
        return bundle.read(entry)


def _last_part(call: ApiCall) -> bool:
    """The caption of a part that says it is the last: "часть 3 из 3"."""
    return re.search(r"часть (\d+) из \1\b", call.params.get("caption", "")) is not None


async def test_large_export_arrives_in_numbered_parts_under_the_limit(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    limit = 4096
    running = RunningBot(make_settings(admin_ids=(ADMIN_ID,), export_max_bytes=limit), telegram)
    await running.start()
    try:
        names = [f"Пациент {number:03d} {'Ж' * (number % 7)}" for number in range(60)]
        await _requests(running, names)
        admin = await patient(telegram, ADMIN_ID, "Главврач")
        since = telegram.mark()
        telegram.send_text(admin, "/export requests 2000-01-01")
        await telegram.wait_for_call("sendDocument", _last_part, since=since)
    finally:
        await running.stop()
    sent = [call.result for call in telegram.calls[since:] if call.method == "sendDocument"]
    assert len(sent) > 1
    stem = f"requests-2000-01-01-{_today()}"
    received: list[str] = []
    for number, message in enumerate(sent, start=1):
        document = telegram.file_of(message)
        assert document.file_name == f"{stem}.part{number}.zip"
        assert document.file_size <= limit
        assert f"{number} из {len(sent)}" in message["caption"]
        raw = _csv_in(document.content)
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0][:2] == ["id", "created_at (Europe/Moscow)"]
        assert rows[1:], "a part without rows"
        received += [row[4] for row in rows[1:]]
    assert sorted(received) == sorted(names)  # every row once, none split or lost


async def test_export_needing_too_many_parts_is_refused_and_nothing_is_sent(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    running = RunningBot(make_settings(admin_ids=(ADMIN_ID,), export_max_bytes=4096), telegram)
    await running.start()
    try:
        await _requests(running, ["Ж" * 400 + f" {number}" for number in range(200)])
        admin = await patient(telegram, ADMIN_ID, "Главврач")
        since = telegram.mark()
        refusal = await say(telegram, admin, "/export requests", "слишком велика")
        assert "10 файлов" in refusal["text"]
        audit = await say(telegram, admin, "/audit", "Журнал")
    finally:
        await running.stop()
    # All the rows were created today: no whole earlier day fits, so no period is offered.
    assert "первый день" in refusal["text"]
    assert not [call for call in telegram.calls[since:] if call.method == "sendDocument"]
    assert "export:requests" not in audit["text"]


async def test_refused_export_names_a_period_that_can_be_sent(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    settings = make_settings(admin_ids=(ADMIN_ID,), export_max_bytes=4096)
    # Ten requests a day from 1 March, written while the clinic's clock showed those days.
    clock = ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    storage = await open_storage(settings.database_url, clock=clock)
    try:
        for day in range(20):
            for number in range(10):
                request = NewRequest(
                    user_id=6000 + day * 10 + number,
                    locale="ru",
                    service_id="massage",
                    name=f"Пациент {day}-{number} " + "Ж" * 150,
                    phone=f"+7916{day:03d}{number:04d}",
                    preferred_time="утром",
                    complaint="жалоба",
                    consent_version="2026-11-25",
                    consented_at=clock(),
                )
                await storage.requests.create_request(request, _silent("request"))  # type: ignore[arg-type]
            clock.advance(timedelta(days=1))
    finally:
        await storage.close()
    running = RunningBot(settings, telegram)
    await running.start()
    try:
        admin = await patient(telegram, ADMIN_ID, "Главврач")
        refusal = await say(telegram, admin, "/export requests 2026-03-01", "слишком велика")
        suggested = re.search(r"/export requests 2026-03-01 (2026-03-\d\d)", refusal["text"])
        assert suggested is not None
        last_day = int(suggested.group(1)[-2:])
        assert 1 <= last_day < 20
        since = telegram.mark()
        telegram.send_text(admin, suggested.group(0))
        await telegram.wait_for_call("sendDocument", _last_part, since=since)
    finally:
        await running.stop()
    sent = [call.result for call in telegram.calls[since:] if call.method == "sendDocument"]
    assert 1 < len(sent) <= 10
    received = []
    for message in sent:
        raw = _csv_in(telegram.file_of(message).content).decode("utf-8-sig")
        received += [row[4] for row in list(csv.reader(io.StringIO(raw)))[1:]]
    assert len(received) == last_day * 10  # the suggested days, whole


@pytest.mark.parametrize(
    "command",
    ["/requests", "/request 1", "/stats", "/export requests", "/audit", "/outbox"],
)
async def test_stranger_gets_the_unknown_command_answer(
    staffed: RunningBot, telegram: FakeTelegramServer, command: str
) -> None:
    await _requests(staffed, ["Секретная Анна"])
    stranger = await patient(telegram, 901, "Любопытный")
    answer = await say(telegram, stranger, command, "не понял")
    unknown = await say(telegram, stranger, "/nosuchcommand", "не понял")
    assert answer["text"] == unknown["text"]
    texts = " ".join(str(c.params) for c in telegram.calls if c.params.get("chat_id") == 901)
    assert "+79160000001" not in texts
    assert "Секретная" not in texts
    assert not telegram.calls_of("sendDocument")


async def test_staff_tools_speak_english(staffed: RunningBot, telegram: FakeTelegramServer) -> None:
    await _requests(staffed, ["Kate"])
    admin: FakeUser = await patient(telegram, ADMIN_ID, "Chief", language_code="en")
    page = await say(telegram, admin, "/requests", "Requests: all")
    assert "No. 1" in page["text"]
    await say(telegram, admin, "/stats 30", "Statistics for 30 days")
    await telegram.wait_for_message(MANAGER_CHAT_ID, "request 1")
    await outbox_drained(staffed.storage.outbox)
    await say(telegram, admin, "/outbox", "queue is empty")


async def test_only_staff_commands_ask_telegram_who_is_staff(
    staffed: RunningBot, telegram: FakeTelegramServer
) -> None:
    anna = await patient(telegram, 902, "Анна")
    for command, reply in (("/start", "Здравствуйте"), ("/help", "/book"), ("/menu", "меню")):
        await say(telegram, anna, command, reply)
    assert telegram.calls_of("getChatMember") == []  # a patient's commands cost no API call

    await say(telegram, anna, "/stats", "не понял")
    assert [call.params["user_id"] for call in telegram.calls_of("getChatMember")] == [902]

"""The contacts card of a branch: the date form when the next opening is over a week away."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.clock import ManualClock
from bot.content import CONTENT_DIR, load_clinic
from bot.handlers.contacts import branch_text
from bot.i18n import load_translations
from bot.preview.emulator import TEST_TOKEN
from bot.settings import Settings


def test_a_long_closure_names_the_date_of_reopening() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TEST_TOKEN,
        manager_chat_id=-100123,
        clinic_timezone="Asia/Yekaterinburg",
    )
    translations = load_translations(CONTENT_DIR, ("ru", "en"), "ru")
    shipped = load_clinic()
    # closed from Friday 4 December for two weeks (Yekaterinburg is UTC+5)
    closed = frozenset(date(2026, 12, 4) + timedelta(days=n) for n in range(14))
    clinic = replace(shipped, holidays=closed)
    clock = ManualClock(datetime(2026, 12, 4, 5, 0, tzinfo=UTC))  # 10:00 local, Friday
    (branch,) = clinic.branches
    ru = branch_text(branch, clinic, settings, clock, translations.get("ru"))
    en = branch_text(branch, clinic, settings, clock, translations.get("en"))
    assert "Сегодня: выходной\n⛔ Закрыто, откроется Пт 18.12 в 9:00" in ru
    assert "Today: closed\n⛔ Closed, opens on Fri 18 Dec at 9:00" in en
    assert "📞 +7 495 123-45-67" in ru

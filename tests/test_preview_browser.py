"""The preview page in a real headless Chromium: a patient books, a manager takes and answers.

Uses Debian's /usr/bin/chromium through Playwright (no browser download). Locally the test is
skipped when Chromium or Playwright is missing; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.preview.core import Preview

try:
    from playwright.async_api import Browser, async_playwright, expect
except ImportError:  # pragma: no cover - reported by the fixture below
    async_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "test-artifacts" / "preview.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI must run the browser test (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> Path:
    if async_playwright is None:
        _unavailable("the Python package playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def test_booking_and_the_managers_reply_in_the_browser(browser: Browser) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    async with Preview() as preview:
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(preview.url)
            await expect(page.locator("#connection")).to_have_text("connected")

            patient = page.locator("#patient")
            manager = page.locator("#manager")
            keyboard = page.locator("#patient-keyboard")
            typed = page.locator("#patient-input")
            latest = patient.locator(".message.in").last

            async def say(text: str, answer: str) -> None:
                await typed.fill(text)
                await typed.press("Enter")
                await expect(latest).to_contain_text(answer)

            async def tap(scope: Any, button: str, answer: str) -> None:
                await scope.get_by_role("button", name=button, exact=True).last.click()
                await expect(latest).to_contain_text(answer)

            # An empty chat offers Telegram's Start button, which sends /start.
            empty = page.locator("#patient-empty")
            await expect(empty).to_be_visible()
            await expect(empty).to_contain_text("/start")
            await patient.get_by_role("button", name="Start", exact=True).click()
            await expect(latest).to_contain_text("Здравствуйте, Анна!")
            await expect(empty).to_be_hidden()
            mine = patient.locator(".message.out").first
            await expect(mine).to_contain_text("/start")
            await tap(keyboard, "💳 Цены", "от 6 500 ₽")
            book = patient.get_by_role("button", name=re.compile(r"^📝 Записаться: ")).nth(1)
            service = (await book.inner_text()).removeprefix("📝 Записаться: ")
            await book.click()
            await expect(latest).to_contain_text("Как вас зовут?")
            await say("Анна Петрова", "Ваш телефон")
            await expect(typed).to_have_attribute("placeholder", re.compile(r"\S"))
            await tap(keyboard, "📱 Поделиться номером", "Когда вам удобно")
            await tap(patient, "🌆 Вечером (17:00–20:00)", "Коротко опишите")
            await tap(patient, "⏭ Пропустить", "Согласие на обработку")
            await tap(patient, "✅ Согласен(на)", "Проверьте, пожалуйста, заявку")
            await expect(latest).to_contain_text("+7 999 123-45-67")  # the shared contact
            await tap(patient, "✅ Подтвердить", "Ваша заявка № 1 принята")
            await expect(keyboard.get_by_role("button", name="💳 Цены")).to_be_visible()

            card = manager.locator(".message.in", has_text="Заявка на консультацию № 1").first
            # The button has the short name, the card the full one.
            assert service == "1-й курс (12 сеансов)"
            await expect(card).to_contain_text("Первый курс лечения (12 сеансов)")
            await expect(card).to_contain_text("Анна Петрова")
            await card.get_by_role("button", name="🙋 Взять", exact=True).click()
            await expect(card).to_contain_text("взята в работу")  # edited in place
            await expect(card.get_by_role("button", name="• 🙋 Взять •")).to_be_visible()
            assert await manager.locator(".message.in", has_text="№ 1").count() == 1

            await expect(page.locator("#reply-bar")).to_be_hidden()
            await card.get_by_role("button", name="↩ Reply").click()
            await expect(page.locator("#reply-bar")).to_contain_text("Заявка на консультацию")
            answer = page.locator("#manager-input")
            await answer.fill("Здравствуйте, Анна! Перезвоним сегодня в 18:00.")
            await answer.press("Enter")
            await expect(page.locator("#reply-bar")).to_be_hidden()
            await expect(latest).to_contain_text("Перезвоним сегодня в 18:00.")
            delivered = manager.locator(".message.in").last
            await expect(delivered).to_contain_text("Доставлено пациенту")
            reply = manager.locator(".message.out").last
            await expect(reply.locator(".quote")).to_contain_text("Заявка на консультацию № 1")

            await page.screenshot(path=str(SCREENSHOT))
            assert errors == []
        finally:
            await context.close()

"""What an operator sees when `clinic-bot` cannot start, and its command line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.preview.emulator import TEST_TOKEN
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


async def _clinic_bot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "MANAGER_CHAT_ID"}}
    clean.update(
        {
            "BOT_TOKEN": TEST_TOKEN,
            "MANAGER_CHAT_ID": "-1001234567890",
            "DATABASE_URL": f"sqlite:///{tmp_path}/clinic.db",
            "PYTHONPATH": str(ROOT),
        }
    )
    clean.update(env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=clean,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.fixture
async def rejecting_api() -> AsyncIterator[str]:
    """A Bot API server that answers every call as Telegram does for a revoked token."""

    async def unauthorized(_: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unauthorized)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _problem_lines(stderr: str) -> list[str]:
    """What the bot printed besides its timestamped log lines."""
    return [line for line in stderr.splitlines() if line and not line[:4].isdigit()]


async def test_rejected_token_is_one_line_and_exit_3(tmp_path: Path, rejecting_api: str) -> None:
    status, _, stderr = await _clinic_bot(tmp_path, TELEGRAM_API_URL=rejecting_api)
    assert status == 3
    assert "Traceback" not in stderr
    assert _problem_lines(stderr) == [
        "Telegram rejected BOT_TOKEN (401 Unauthorized): check the token from @BotFather"
    ]


async def test_unreachable_api_is_one_line_and_exit_4(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    status, _, stderr = await _clinic_bot(tmp_path, TELEGRAM_API_URL=closed)
    assert status == 4
    assert "Traceback" not in stderr
    assert _problem_lines(stderr) == [
        f"cannot reach {closed}: check the network or TELEGRAM_API_URL"
    ]


async def test_help_needs_no_settings(tmp_path: Path) -> None:
    status, stdout, stderr = await _clinic_bot(tmp_path, "--help", BOT_TOKEN="", MANAGER_CHAT_ID="")
    assert status == 0, stderr
    assert "usage: clinic-bot" in stdout
    for word in ("preview", "--drop-webhook", "db upgrade", "BOT_TOKEN", "MANAGER_CHAT_ID"):
        assert word in stdout


async def test_version(tmp_path: Path) -> None:
    status, stdout, _ = await _clinic_bot(tmp_path, "--version")
    assert status == 0
    assert stdout.startswith("clinic-bot ")

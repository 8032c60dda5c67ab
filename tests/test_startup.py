"""What an operator sees when `clinic-bot` cannot start, and its command line."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Collection
from pathlib import Path

import pytest
from aiohttp import web

from bot.preview.emulator import TEST_TOKEN
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


async def _clinic_bot(
    tmp_path: Path, *args: str, unset: Collection[str] = (), **env: str
) -> tuple[int, str, str]:
    """`clinic-bot *args` in `tmp_path` with working settings, `env` over them and the
    variables in `unset` absent."""
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
    for name in unset:
        clean.pop(name, None)
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


def _database_refused(status: int, stderr: str) -> str:
    """The one line a start refused for its database printed (exit 5, no traceback)."""
    assert status == 5, stderr
    assert "Traceback" not in stderr
    lines = _problem_lines(stderr)
    assert len(lines) == 1, stderr
    return lines[0]


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


def _revision(path: Path) -> str | None:
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


@pytest.mark.parametrize("default_url", [False, True], ids=["DATABASE_URL", "default"])
async def test_db_upgrade_needs_only_the_database_url(tmp_path: Path, default_url: bool) -> None:
    from storage.migrate import head_revision

    unset = ["BOT_TOKEN", "MANAGER_CHAT_ID"]
    env: dict[str, str] = {}
    if default_url:  # the default: data/clinic.db under the working directory
        path = tmp_path / "data" / "clinic.db"
        unset.append("DATABASE_URL")
    else:
        path = tmp_path / "migrated.db"
        env["DATABASE_URL"] = f"sqlite:///{path}"
    status, stdout, stderr = await _clinic_bot(tmp_path, "db", "upgrade", unset=unset, **env)
    assert status == 0, stderr
    assert stdout == f"Database is at revision {head_revision()}\n"
    assert _revision(path) == head_revision()


async def test_db_upgrade_of_a_file_that_is_not_a_database_is_one_line_and_exit_5(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"just some notes, not a database\n" * 40)
    status, stdout, stderr = await _clinic_bot(
        tmp_path,
        "db",
        "upgrade",
        unset=("BOT_TOKEN", "MANAGER_CHAT_ID"),
        DATABASE_URL=f"sqlite:///{broken}",
    )
    assert status == 5, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    assert _problem_lines(stderr) == [f"cannot open the database {broken}: file is not a database"]


async def test_db_upgrade_names_a_bad_database_url_and_exits_2(tmp_path: Path) -> None:
    status, _, stderr = await _clinic_bot(
        tmp_path, "db", "upgrade", unset=("BOT_TOKEN", "MANAGER_CHAT_ID"), DATABASE_URL="mysql://x"
    )
    assert status == 2
    assert _problem_lines(stderr) == [
        "Configuration error: DATABASE_URL is invalid; expected sqlite:///path/to/file.db "
        "or postgresql://user:password@host/db."
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"just some notes, not a database\n" * 40, "file is not a database"),
        (b"SQLite format 3\x00" + b"\xff" * 200, "file is not a database"),
        (b"SQLite format 3\x00", ""),  # truncated after the header
    ],
)
async def test_a_file_that_is_not_a_database_stops_the_bot_at_once(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(content)
    status, _, stderr = await _clinic_bot(tmp_path, DATABASE_URL=f"sqlite:///{broken}")
    line = _database_refused(status, stderr)
    assert str(broken) in line
    assert problem in line


async def test_a_database_of_a_newer_release_is_refused(tmp_path: Path) -> None:
    from sqlalchemy import text

    from storage import open_storage

    path = tmp_path / "newer.db"
    storage = await open_storage(f"sqlite:///{path}")
    async with storage.database.transaction() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await storage.close()
    status, _, stderr = await _clinic_bot(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    line = _database_refused(status, stderr)
    assert "'9999'" in line
    assert "newer release" in line


def _read_only(path: Path) -> str:
    """A DATABASE_URL that opens `path` read-only, as a file without write permission does
    (the tests run as root, whom file permissions do not stop)."""
    return f"sqlite:///file:{path}?mode=ro&uri=true"


async def test_a_read_only_database_is_refused_at_start(tmp_path: Path) -> None:
    from storage import open_storage

    path = tmp_path / "clinic.db"
    storage = await open_storage(f"sqlite:///{path}")
    await storage.close()
    status, _, stderr = await _clinic_bot(tmp_path, DATABASE_URL=_read_only(path))
    line = _database_refused(status, stderr)
    assert "accepts no writes: attempt to write a readonly database" in line


async def test_healthz_fails_on_a_database_that_accepts_no_writes(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.metrics import Metrics
    from bot.web import monitoring_app
    from storage import open_storage

    path = tmp_path / "clinic.db"
    writable = await open_storage(f"sqlite:///{path}")
    read_only = await open_storage(_read_only(path))
    try:
        for storage, status, database in ((writable, 200, "ok"), (read_only, 503, "read-only")):
            async with TestClient(TestServer(monitoring_app(storage, Metrics()))) as client:
                response = await client.get("/healthz")
                assert response.status == status
                assert (await response.json())["database"] == database
    finally:
        await read_only.database.close()
        await writable.close()


async def test_a_start_waits_for_another_instance_holding_the_sqlite_file(tmp_path: Path) -> None:
    """Instances starting together: one migrates and holds the file, on a busy machine for
    longer than SQLite's 5 s busy timeout; the others wait for it instead of failing."""
    from storage import open_storage

    path = tmp_path / "clinic.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # as a migration in progress holds it
    opening = asyncio.create_task(open_storage(f"sqlite:///{path}"))
    try:
        # Past one busy timeout: the first attempt has failed and a later one is waiting.
        await asyncio.sleep(6.0)
        assert not opening.done()
        other.execute("COMMIT")
        storage = await asyncio.wait_for(opening, timeout=30)
        await storage.close()
    finally:
        other.close()
        if not opening.done():
            opening.cancel()

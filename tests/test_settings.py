"""Settings: the environment-variable contract and its error messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_errors

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name in {
            "BOT_TOKEN",
            "MANAGER_CHAT_ID",
            "MANAGER_THREAD_ID",
            "ADMIN_IDS",
            "DATABASE_URL",
            "TELEGRAM_API_URL",
            "DEFAULT_LOCALE",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_minimal_settings_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("MANAGER_CHAT_ID", "-1001234567890")
    settings = Settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)
    assert settings.manager_chat_id == -1001234567890
    assert settings.manager_thread_id is None
    assert settings.admin_ids == ()
    assert settings.database_url == "sqlite:///data/clinic.db"
    assert settings.sqlite_path == Path("data/clinic.db")
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.default_locale == "ru"


def test_optional_settings_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("MANAGER_CHAT_ID", "-42")
    monkeypatch.setenv("MANAGER_THREAD_ID", "7")
    monkeypatch.setenv("ADMIN_IDS", "111, 222,333")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    settings = Settings()
    assert settings.manager_thread_id == 7
    assert settings.admin_ids == (111, 222, 333)
    assert settings.is_admin(222) and not settings.is_admin(444)
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.default_locale == "en"


def test_settings_from_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nMANAGER_CHAT_ID=-5\nMANAGER_THREAD_ID=\nADMIN_IDS=\n", "utf-8"
    )
    settings = Settings()
    assert settings.manager_chat_id == -5
    assert settings.manager_thread_id is None
    assert settings.admin_ids == ()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_TOKEN", "not-a-token"),
        ("BOT_TOKEN", "123:short"),
        ("MANAGER_CHAT_ID", "12345"),
        ("MANAGER_CHAT_ID", "managers"),
        ("ADMIN_IDS", "1,x"),
        ("DEFAULT_LOCALE", "de"),
        ("DATABASE_URL", "mysql://x"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("MANAGER_CHAT_ID", "-1")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    lines = describe_errors(caught.value)
    assert len(lines) == 1
    assert variable in lines[0]
    assert "expected" in lines[0]
    assert value not in lines[0] or variable != "BOT_TOKEN"


def _run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "MANAGER_CHAT_ID"}}
    clean.update(env)
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_settings_exit_2_with_one_line_each(tmp_path: Path) -> None:
    result = _run_bot({}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [line for line in lines if line.startswith("Configuration error:")], (
        result.stderr
    )
    assert any("BOT_TOKEN is missing" in line for line in lines)
    assert any("MANAGER_CHAT_ID is missing" in line for line in lines)
    assert "Traceback" not in result.stderr


def test_malformed_token_exits_2_without_echoing_it(tmp_path: Path) -> None:
    result = _run_bot({"BOT_TOKEN": "oops-secret", "MANAGER_CHAT_ID": "-1"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: BOT_TOKEN is invalid; expected the token from @BotFather, "
        "shaped like 123456789:35-characters."
    ]
    assert "oops-secret" not in result.stderr

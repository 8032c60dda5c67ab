"""Configuration read from the environment and `.env`.

The variable names are a public contract (README, `.env.example`): operators and
deployment tools set them without reading the code.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.services.clinic_time import QuietHours, parse_duration, parse_offsets

TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{35}$")
SUPPORTED_LOCALES: tuple[str, ...] = ("ru", "en")

# What each setting expects, phrased for the one-line error an operator sees.
EXPECTATIONS: dict[str, str] = {
    "bot_token": "the token from @BotFather, shaped like 123456789:35-characters",
    "manager_chat_id": (
        "the numeric id of the managers' group, a negative number like -1001234567890"
    ),
    "manager_thread_id": "a positive forum topic id, or empty",
    "admin_ids": "comma-separated numeric Telegram user ids, like 111,222",
    "database_url": "sqlite:///path/to/file.db or postgresql://user:password@host/db",
    "telegram_api_url": "an http(s) URL of a Bot API server, like https://api.telegram.org",
    "default_locale": "one of: " + ", ".join(SUPPORTED_LOCALES),
    "staff_from_manager_chat": "true or false",
    "manager_topics": "true or false",
    "outbox_poll_seconds": "a positive number of seconds",
    "outbox_chat_limit": "a positive number of messages",
    "outbox_chat_window_seconds": "a positive number of seconds",
    "retention_days": "a positive whole number of days",
    "webhook_url": "the public https URL Telegram posts updates to, or empty for long polling",
    "webhook_secret": "1-256 characters of A-Z, a-z, 0-9, _ and -, required with WEBHOOK_URL",
    "web_host": "the address the webhook and metrics server listens on",
    "web_port": "a port number, 1-65535",
    "redis_url": "redis://host:port/db, or empty",
    "metrics_port": "a port number, 1-65535, or empty",
    "throttle_limit": "a positive number of messages",
    "throttle_window_seconds": "a positive number of seconds",
    "clinic_timezone": "an IANA timezone name, like Europe/Moscow or Asia/Yekaterinburg",
    "reminders": (
        "comma-separated times before a visit, like 24h,2h (units d, h, m), or empty for none"
    ),
    "quiet_hours": "HH:MM-HH:MM in the clinic's timezone, like 21:00-09:00, or empty for none",
    "follow_up_after": "a time after the visit, like 2h or 90m (units d, h, m)",
    "export_max_bytes": "a whole number of bytes, at least 4096 (Telegram takes up to 50 MB)",
    "take_within_minutes": "a whole number of minutes, 1-1440",
    "on_duty_staff": "comma-separated @usernames or numeric Telegram user ids, or empty",
}


class DatabaseSettings(BaseSettings):
    """Where the data lives: all that `clinic-bot db upgrade` needs, and part of `Settings`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///data/clinic.db"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("sqlite:///") and value != "sqlite:///":
            return value
        if value.startswith(("postgresql://", "postgres://")):
            return value
        raise ValueError("unsupported database url")

    @property
    def sqlite_path(self) -> Path:
        """The database file, relative paths resolved against the working directory."""
        return Path(self.database_url.removeprefix("sqlite:///"))


class Settings(DatabaseSettings):
    """All settings of the bot; built once in `main()`, never at import time."""

    bot_token: SecretStr
    manager_chat_id: int
    manager_thread_id: int | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    telegram_api_url: str = "https://api.telegram.org"
    default_locale: Literal["ru", "en"] = "ru"
    staff_from_manager_chat: bool = True
    manager_topics: bool = False
    retention_days: int = Field(default=365, gt=0)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    redis_url: str | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    throttle_limit: int = Field(default=20, gt=0)
    throttle_window_seconds: float = Field(default=10.0, gt=0)
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    outbox_chat_limit: int = Field(default=20, gt=0)
    outbox_chat_window_seconds: float = Field(default=60.0, gt=0)
    # The largest file /export sends; a bigger export goes out in numbered parts.
    export_max_bytes: int = Field(default=49_000_000, ge=4096)
    # The visit loop: times people read and type are in the clinic's timezone.
    clinic_timezone: str = "Europe/Moscow"
    reminders: Annotated[tuple[timedelta, ...], NoDecode] = (
        timedelta(hours=24),
        timedelta(hours=2),
    )
    quiet_hours: Annotated[QuietHours | None, NoDecode] = QuietHours.parse("21:00-09:00")
    follow_up_after: Annotated[timedelta, NoDecode] = timedelta(hours=2)
    # Where the texts are read from (and re-read on /reload and SIGHUP); unset: the shipped ones.
    content_dir: Path | None = None
    # A new request nobody took within this much working time is raised again (twice at most).
    take_within_minutes: int = Field(default=15, ge=1, le=1440)
    # Who the reminders mention: `@username`s or numeric user ids.
    on_duty_staff: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("malformed token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("manager_chat_id")
    @classmethod
    def _group_id(cls, value: int) -> int:
        if value >= 0:
            raise ValueError("a group id is negative")
        return value

    @field_validator("manager_thread_id", mode="before")
    @classmethod
    def _empty_thread(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("manager_thread_id")
    @classmethod
    def _positive_thread(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("a topic id is positive")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("not an http(s) url")
        return value.rstrip("/")

    @field_validator("webhook_url", "redis_url", "webhook_secret", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("not an http(s) url")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("malformed secret")
        return value

    @field_validator("clinic_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        name = value.strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown timezone") from error
        return name

    @field_validator("on_duty_staff", mode="before")
    @classmethod
    def _split_staff(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.replace(";", ",").split(","))
        if isinstance(value, (tuple, list)):
            names = tuple(str(part).strip() for part in value if str(part).strip())
            for name in names:
                if not re.fullmatch(r"@[A-Za-z0-9_]{4,32}|\d{1,20}", name):
                    raise ValueError(f"{name!r} is neither an @username nor a user id")
            return names
        return value

    @field_validator("reminders", mode="before")
    @classmethod
    def _reminder_offsets(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_offsets(value)
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet_period(cls, value: object) -> object:
        if isinstance(value, str):
            return QuietHours.parse(value)
        return value

    @field_validator("follow_up_after", mode="before")
    @classmethod
    def _follow_up_delay(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_duration(value)
        return value

    @field_validator("follow_up_after")
    @classmethod
    def _positive_delay(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a positive delay")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("webhook_secret: required with WEBHOOK_URL")
        return self

    @property
    def clinic_zone(self) -> ZoneInfo:
        """CLINIC_TIMEZONE as a zone (validated at start, so this cannot fail)."""
        return ZoneInfo(self.clinic_timezone)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad setting, naming the environment variable and what it expects."""
    lines: list[str] = []
    seen: set[str] = set()
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        problem = "is missing" if item["type"] == "missing" else "is invalid"
        if not item["loc"]:
            # A rule across settings names its variable first: "webhook_secret: required ...".
            field = str(item["msg"]).removeprefix("Value error, ").split(":")[0]
            problem = "is missing"
        if field in seen:
            continue
        seen.add(field)
        variable = field.upper()
        expected = EXPECTATIONS.get(field, "a valid value")
        lines.append(f"Configuration error: {variable} {problem}; expected {expected}.")
    return lines

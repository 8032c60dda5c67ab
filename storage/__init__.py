"""All SQL of clinic-bot lives in this package, behind the `Repository` interface."""

from storage.base import CardRenderer, Repository
from storage.postgres import PostgresRepository
from storage.sqlite import SqliteRepository

__all__ = [
    "CardRenderer",
    "PostgresRepository",
    "Repository",
    "SqliteRepository",
    "open_repository",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_repository(database_url: str) -> Repository:
    """The backend for a `DATABASE_URL`: `sqlite:///path` or `postgresql://…` (`postgres://…`).

    The repository is returned closed: call `open()` (it creates or migrates the schema).
    """
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///":
        return SqliteRepository(database_url.removeprefix("sqlite:///"))
    if database_url.startswith(POSTGRES_SCHEMES):
        return PostgresRepository(database_url)
    raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]}")

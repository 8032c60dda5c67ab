"""All SQL of clinic-bot lives in this package, behind the `Repository` interface."""

from storage.base import CardRenderer, Repository
from storage.sqlite import SqliteRepository

__all__ = ["CardRenderer", "Repository", "SqliteRepository", "open_repository"]


def open_repository(database_url: str) -> SqliteRepository:
    """The backend for a `DATABASE_URL`; only `sqlite:///…` exists today."""
    if not database_url.startswith("sqlite:///"):
        raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]}")
    return SqliteRepository(database_url.removeprefix("sqlite:///"))

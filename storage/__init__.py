"""All SQL of clinic-bot lives in this package, behind the `Repository` interface."""

from typing import TYPE_CHECKING, Any

from storage.base import CardRenderer, Repository
from storage.sqlite import SqliteRepository

if TYPE_CHECKING:
    from storage.postgres import PostgresRepository

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
        from storage.postgres import PostgresRepository

        return PostgresRepository(database_url)
    raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]}")


def __getattr__(name: str) -> Any:
    # The PostgreSQL driver is loaded only by deployments that use it (~2 MB otherwise).
    if name == "PostgresRepository":
        from storage.postgres import PostgresRepository

        return PostgresRepository
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""A throwaway PostgreSQL server for the tests: Debian's binaries, 127.0.0.1, a temp directory.

Used as a pytest plugin (`pytest_plugins = ("tests.pg",)` in a test module):

- `postgres_server` (session): one server for the whole run, started on first use, stopped
  and deleted at the end;
- `postgres_dsn` (function): a fresh database `test_<n>` on it for one test, dropped after.

Without the binaries the tests that need them are skipped locally, and fail when CI=true:
CI must install Debian's `postgresql` package.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_USER = "postgres"


def find_bindir() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` with initdb, or `PG_BINDIR` if set."""
    override = os.environ.get("PG_BINDIR")
    if override:
        return Path(override) if (Path(override) / "initdb").exists() else None
    found = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")]

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    return max(found, key=version) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as `postgres` (or `nobody`)."""
    if os.geteuid() != 0:
        return []
    for name in (SERVER_USER, "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"]
    raise RuntimeError("no unprivileged user to run PostgreSQL as")


class PostgresServer:
    """`initdb` + `pg_ctl start` in a fresh directory; `stop` removes everything."""

    def __init__(self, bindir: Path) -> None:
        self._bindir = bindir
        self._prefix = _as_server_user()
        # Short path: the Unix socket lives here too, and socket paths are limited to ~100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._names = itertools.count(1)
        if self._prefix:
            user = pwd.getpwnam(self._prefix[2])
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._prefix, *args], capture_output=True, text=True, check=False, timeout=120
        )

    def start(self) -> None:
        done = self._run(
            str(self._bindir / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        for _ in range(3):  # a free port can be taken between probing and binding it
            self.port = _free_port()
            options = f"-k {self.root} -h 127.0.0.1 -p {self.port} -F -c max_connections=200"
            done = self._run(
                str(self._bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            )
            if done.returncode == 0:
                return
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start:\n{done.stdout}\n{done.stderr}\n{log}")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self._bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        """One statement through psql as the superuser, on the `postgres` database."""
        done = subprocess.run(
            [
                str(self._bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.dsn(),
                "-c",
                statement,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed on {statement!r}: {done.stderr}")

    def create_database(self) -> str:
        name = f"test_{next(self._names)}"
        self.sql(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def missing_server(reason: str) -> None:
    """Skip locally; under CI=true a missing server is a failure, never a silent skip."""
    message = f"{reason}: install Debian's postgresql package (CI must)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        missing_server("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
        raise AssertionError("unreachable")
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for one test."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.dsn(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on each backend: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/clinic.db"
    return str(request.getfixturevalue("postgres_dsn"))

"""Fixtures shared by every test: a real database on each engine, a clock the test controls.

Storage and end-to-end tests run on SQLite always, and on PostgreSQL too when
YOUSAID_TEST_POSTGRES_URL names a server: each such test gets a schema of its own,
dropped after it (ids say `[postgres]`). A test marked `sqlite_only` is about SQLite's
own file (locks, a full disk, backups) and runs on SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from storage.db import Database
from storage.engines import database_for
from storage.postgres import conninfo, with_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "riverside.toml"


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


POSTGRES_URL = os.environ.get("YOUSAID_TEST_POSTGRES_URL", "")
# Where the tests run on both engines (the rest use SQLite: their subject is not storage).
BOTH_ENGINES = ("tests/storage/", "tests/e2e/")


def engines() -> list[str]:
    """The engines the storage and end-to-end tests run on here."""
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about SQLite's own file; not on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    where = metafunc.definition.path.relative_to(ROOT).as_posix()
    both = where.startswith(BOTH_ENGINES) and not metafunc.definition.get_closest_marker(
        "sqlite_only"
    )
    metafunc.parametrize("engine", engines() if both else ["sqlite"])


def pytest_report_header(config: pytest.Config) -> str:
    return "engines: " + " and ".join(engines())


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test server; the URL that uses it. Dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(POSTGRES_URL, schema)
    finally:
        with psycopg.connect(conninfo(POSTGRES_URL), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def database_url(engine: str, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL of the test's own: a SQLite file, or a PostgreSQL schema."""
    if engine == "postgres":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'yousaid.db'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = database_for(database_url)
    await database.open()
    yield database
    await database.close()

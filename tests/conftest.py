"""Fixtures shared by every test: a real database on each engine, a clock the test controls.

Storage and end-to-end tests run on SQLite always, and on PostgreSQL too when
YOUSAID_TEST_POSTGRES_URL names a server: each such test gets a schema of its own,
dropped after it (ids say `[postgres]`). A test marked `sqlite_only` is about SQLite's
own file (locks, a full disk, backups) and runs on SQLite alone.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings

from storage.db import Database
from storage.engines import database_for
from storage.postgres import conninfo, translate, with_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "riverside.toml"

# Property tests draw the same examples on every run, so a run passes or fails on the code,
# not on the draw (a random draw once failed CI on an example no run had tried before);
# HYPOTHESIS_PROFILE=explore draws afresh each run, to look for what the fixed draw misses.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))


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
    config.addinivalue_line(
        "markers", "postgres_only: needs a PostgreSQL server (runs when one is configured)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgres_only"):
        # Only the [postgres] id: without a server there is nothing to run.
        metafunc.parametrize("engine", ["postgres"] if POSTGRES_URL else [])
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
        # Dropped while the next test runs: a drop takes the server a few tenths of a second.
        _DROPS.submit(_drop_schema, schema)


def _drop_schema(schema: str) -> None:
    with psycopg.connect(conninfo(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


_DROPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-schema")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _DROPS.shutdown(wait=True)


@pytest.fixture
def database_url(engine: str, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL of the test's own: a SQLite file, or a PostgreSQL schema."""
    if engine == "postgres":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'yousaid.db'}"


class PgTarget(str):
    """A test's PostgreSQL database (its URL), passed where SQLite tests pass a Path.

    `parent` is the test's own folder, as a SQLite file's would be (models live there)."""

    parent: Path


def url_of(target: Path | str) -> str:
    """The DATABASE_URL of a test's database: a SQLite file's path, or a PgTarget."""
    return str(target) if isinstance(target, PgTarget) else f"sqlite:///{target}"


class _PgConnection:
    """A plain connection to a test's PostgreSQL schema that reads `?` placeholders."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(conninfo(url), cursor_factory=psycopg.ClientCursor)

    def execute(self, sql: str, params: Sequence[object] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(translate(sql), tuple(params))  # type: ignore[arg-type]

    def __enter__(self) -> _PgConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.__exit__(*exc)  # type: ignore[arg-type]


def connect(target: Path | str | Database) -> Any:
    """A plain DB-API connection to a test's database, whichever the engine."""
    if isinstance(target, Database):
        target = target.path or PgTarget(target.url)
    if isinstance(target, PgTarget):
        return _PgConnection(target)
    return sqlite3.connect(target)


def stored_bytes(target: Path | str | Database) -> bytes:
    """What a test's database holds, to search for words that must be gone: a SQLite file's
    bytes with its WAL checkpointed into it, or every row of every PostgreSQL table as text."""
    if isinstance(target, Database):
        target = target.path or PgTarget(target.url)
    if isinstance(target, PgTarget):
        with _PgConnection(target) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = current_schema()"
                )
            ]
            rows = [str(r[0]) for t in tables for r in conn.execute(f'SELECT t::text FROM "{t}" t')]
        return "\n".join(rows).encode()
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    wal = Path(f"{target}-wal")
    return Path(target).read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = database_for(database_url)
    await database.open()
    yield database
    await database.close()

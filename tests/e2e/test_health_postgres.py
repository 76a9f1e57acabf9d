"""`python -m bot health` in polling mode on PostgreSQL: it asks the database, and says
what it could not check (polling keeps its heartbeat beside a SQLite file only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, url_of
from tests.e2e.conftest import TOKEN

pytestmark = pytest.mark.postgres_only


def health(database_url: str) -> tuple[int, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).decode().strip()


async def test_health_on_postgresql_asks_the_database(db_path: Path) -> None:
    from storage.engines import database_for

    async with database_for(url_of(db_path)):
        pass  # migrated, as a bot's start does
    code, line = health(url_of(db_path))
    assert code == 0, line
    assert "answers" in line and "no heartbeat" in line
    assert "data/postgresql" not in line
    # A schema the bot never ran on (no migrations) is no database for it.
    code, line = health(url_of(db_path).replace("search_path%3D", "search_path%3Dnone_"))
    assert code == 1 and "no bot has run on it yet" in line, line
    # A server that does not answer says so.
    code, line = health("postgresql://postgres@127.0.0.1:9/none")
    assert code == 1 and "does not answer" in line, line

"""End-to-end fixtures: the Bot API emulator and the real bot, talking over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment, Settings, load_deployment
from emulator import Emulator, Limits
from tests.conftest import EXAMPLE, ROOT, FakeClock, PgTarget, postgres_schema, url_of

TOKEN = "123456:TEST-token"


def make_settings(emu: Emulator, db_path: Path | str, **extra: object) -> Settings:
    """Settings pointing at the emulator and the test's database (no .env, no environment)."""
    values: dict[str, object] = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.api_url,
        "DATABASE_URL": url_of(db_path),
        "YOUSAID_MODELS_DIR": str(db_path.parent / "models"),
        "YOUSAID_POLL_TIMEOUT": 5,
        "YOUSAID_CONCURRENT_UPDATES": 8,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN, limits=Limits()) as emulator:
        yield emulator


@pytest.fixture
def deployment() -> Deployment:
    return load_deployment(EXAMPLE)


@pytest.fixture
def db_path(engine: str, tmp_path: Path) -> Iterator[Path]:
    """The test's database: a SQLite file, or (as a PgTarget) a fresh PostgreSQL schema."""
    if engine == "postgres":
        with postgres_schema() as url:
            target = PgTarget(url)
            target.parent = tmp_path
            yield target  # type: ignore[misc]
    else:
        yield tmp_path / "yousaid.db"


BotFactory = Callable[..., YousaidBot]


def start_bot(
    emu: Emulator, db_path: Path, log: Path, config: Path = EXAMPLE
) -> subprocess.Popen[bytes]:
    """`python -m bot run` in its own process, against the emulator (for crash tests)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.api_url,
        "DATABASE_URL": url_of(db_path),
        "YOUSAID_MODELS_DIR": str(db_path.parent / "models"),
        "YOUSAID_CONFIG": str(config),
        "YOUSAID_POLL_TIMEOUT": "2",
        "YOUSAID_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def make_bot(emu: Emulator, db_path: Path, deployment: Deployment, clock: FakeClock) -> BotFactory:
    """Build a bot on the test's database (several in a row simulate restarts)."""

    def build(deployment: Deployment = deployment, **extra: object) -> YousaidBot:
        return YousaidBot(make_settings(emu, db_path, **extra), deployment, TOKEN, clock)

    return build


@pytest.fixture
async def bot(make_bot: BotFactory) -> AsyncIterator[YousaidBot]:
    async with make_bot() as running:
        yield running

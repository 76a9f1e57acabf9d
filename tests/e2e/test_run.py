"""`python -m bot run` as an operator meets it: clear one-line failures, clean stops."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from emulator import Emulator
from tests.conftest import EXAMPLE, ROOT
from tests.e2e.conftest import TOKEN


async def run_bot(env: dict[str, str], tmp_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def base_env(api_url: str, tmp_path: Path, token: str = TOKEN) -> dict[str, str]:
    return {
        "BOT_TOKEN": token,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
        "YOUSAID_CONFIG": str(EXAMPLE),
        "YOUSAID_LOG_LEVEL": "WARNING",
    }


async def test_a_refused_token_is_one_line(emu: Emulator, tmp_path: Path) -> None:
    process = await run_bot(base_env(emu.api_url, tmp_path, token="999:wrong"), tmp_path)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert err.decode().strip().splitlines()[-1] == (
        "yousaid: BOT_TOKEN was refused by Telegram: check it with @BotFather"
    )
    assert b"Traceback" not in err


async def test_an_unreachable_api_is_one_line(tmp_path: Path) -> None:
    process = await run_bot(base_env("http://127.0.0.1:9/bot", tmp_path), tmp_path)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "could not reach TELEGRAM_API_URL" in err.decode()
    assert b"Traceback" not in err


async def test_a_bad_deployment_file_is_one_line(emu: Emulator, tmp_path: Path) -> None:
    broken = tmp_path / "d.toml"
    broken.write_text(EXAMPLE.read_text().replace('timezone = "Europe/London"', 'timezone = "X"'))
    process = await run_bot(
        {**base_env(emu.api_url, tmp_path), "YOUSAID_CONFIG": str(broken)}, tmp_path
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert err.decode().strip() == (
        f"yousaid: {broken}: providers[0].timezone: unknown time zone 'X'; e.g. 'Europe/London'"
    )


async def test_sigterm_stops_cleanly_after_answering(emu: Emulator, tmp_path: Path) -> None:
    process = await run_bot(base_env(emu.api_url, tmp_path), tmp_path)
    alice = emu.person("Alice")
    await alice.send("/start")
    assert "Is that OK" in ((await alice.next_message(timeout=30)).text or "")
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err

"""`python -m bot run` as a process meets faults: those that pass are waited out, those
that cannot make it stop with one line, a second process on one database is refused, the
token never reaches the log, SIGTERM with a backlog stops at once, and `health` tells."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from emulator import Emulator, Person
from handlers import texts
from tests.conftest import EXAMPLE, ROOT, url_of
from tests.e2e.conftest import TOKEN
from tests.e2e.helpers import has
from tests.e2e.test_citizen import press, stored

SECRET = TOKEN.partition(":")[2]


def bot_env(emu: Emulator, db_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process on this emulator and database."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.api_url,
        "DATABASE_URL": url_of(db_path),
        "YOUSAID_MODELS_DIR": str(db_path.parent / "models"),
        "YOUSAID_CONFIG": str(EXAMPLE),
        "YOUSAID_POLL_TIMEOUT": "2",
        "YOUSAID_LOG_LEVEL": "WARNING",
        **extra,
    }


def _ignore_file_size_signal() -> None:
    # A write past RLIMIT_FSIZE then fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


async def spawn(
    emu: Emulator, db_path: Path, log: IO[bytes] | None = None, **extra: str
) -> asyncio.subprocess.Process:
    """`python -m bot <command>` (run by default) as its own process; output to `log`, or
    piped when no log is given."""
    command = extra.pop("command", "run")
    out = log if log is not None else asyncio.subprocess.PIPE
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        cwd=ROOT,
        env=bot_env(emu, db_path, **extra),
        stdout=out,
        stderr=log if log is not None else asyncio.subprocess.PIPE,
        preexec_fn=_ignore_file_size_signal,
    )


async def finished(process: asyncio.subprocess.Process, timeout: float = 60) -> tuple[int, str]:
    """Wait (at most `timeout`, which only bounds a failure) for the exit; code and stderr."""
    _, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, (err or b"").decode()


async def health(emu: Emulator, db_path: Path) -> tuple[int, str]:
    """`python -m bot health`: exit code and the line it printed."""
    process = await spawn(emu, db_path, command="health")
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, (out + err).decode().strip()


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll a condition; the timeout only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()


async def served(emu: Emulator, name: str) -> Person:
    """A new citizen says /start and is answered (once the process has started)."""
    person = emu.person(name)
    await person.send("/start")
    await person.wait_for(has("Is that OK"), timeout=60)
    return person


async def test_a_non_json_answer_to_getupdates_is_waited_out(emu: Emulator, db_path: Path) -> None:
    fault = emu.faults.non_json("getUpdates", times=1)
    process = await spawn(emu, db_path)
    try:
        await served(emu, "Alice")
        assert fault.hits == 1
    finally:
        kill(process)
        await process.wait()


async def test_a_proxys_own_answer_is_waited_out_without_a_traceback(
    emu: Emulator, db_path: Path, tmp_path: Path
) -> None:
    # A proxy or load balancer in front of Telegram answering with its own JSON, or with
    # its "404 Not Found" page: neither is Telegram refusing the token.
    faults = [
        emu.faults.non_json("getUpdates", body='{"message": "upstream busy"}', times=1),
        emu.faults.non_json("getUpdates", status=404, times=1),
    ]
    log_path = tmp_path / "bot.log"
    with log_path.open("ab") as log:
        process = await spawn(emu, db_path, log)
        try:
            await served(emu, "Alice")
            assert [f.hits for f in faults] == [1, 1]
            assert process.returncode is None
        finally:
            kill(process)
            await process.wait()
    logged = log_path.read_text()
    assert "Traceback" not in logged
    assert "<html>" not in logged
    assert logged.count("trying again with backoff until it passes") == 1


async def test_a_redirect_loop_is_waited_out_and_the_token_never_logged(
    emu: Emulator, db_path: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "bot.log"
    redirect = emu.faults.redirect_loop("getUpdates")
    server = emu.faults.server_error("getUpdates", status=502, times=2)
    with log_path.open("ab") as log:
        process = await spawn(emu, db_path, log, YOUSAID_LOG_LEVEL="DEBUG")
        try:
            # Until the client gave up on the loop at least once (a count of hits could be
            # reached in the middle of its first loop, on a busy machine).
            await until(lambda: "TooManyRedirects" in log_path.read_text())
            emu.faults.remove(redirect)
            await until(lambda: server.hits >= 2)
            await served(emu, "Alice")
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 60) == 0
        finally:
            kill(process)
            await process.wait()
    logged = log_path.read_text()
    assert SECRET not in logged
    # The faults are still described, once per streak.
    assert "TooManyRedirects" in logged
    assert logged.count("trying again with backoff until it passes") == 1
    assert "getUpdates works again" in logged


@pytest.mark.sqlite_only  # the SQLite file's lock and faults
async def test_a_database_locked_longer_than_the_busy_timeout_is_waited_out(
    emu: Emulator, db_path: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "bot.log"
    with log_path.open("ab") as log:
        process = await spawn(emu, db_path, log)
        try:
            await served(emu, "Alice")
            blocker = sqlite3.connect(db_path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                bob = emu.person("Bob")
                await bob.send("/start")
                # The bot met the lock past its busy timeout (5 s), and goes on waiting.
                await until(lambda: "database is locked" in log_path.read_text())
                assert process.returncode is None
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            await bob.wait_for(has("Is that OK"), timeout=60)
            await until(
                lambda: (
                    stored(db_path, "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL")
                    == [(0,)]
                )
            )
        finally:
            kill(process)
            await process.wait()
    assert "can be written again" in log_path.read_text()


@pytest.mark.sqlite_only  # the SQLite file's lock and faults
async def test_sigterm_while_the_database_is_locked_stops_without_a_stray_error(
    emu: Emulator, db_path: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "bot.log"
    with log_path.open("ab") as log:
        process = await spawn(emu, db_path, log)
        try:
            await served(emu, "Alice")
            blocker = sqlite3.connect(db_path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                await emu.person("Bob").send("/start")
                await until(lambda: "database is locked" in log_path.read_text())
                process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(process.wait(), 60) == 0
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
        finally:
            kill(process)
            await process.wait()
    assert "exception was never retrieved" not in log_path.read_text()


@pytest.mark.sqlite_only  # the SQLite file's lock and faults
async def test_a_database_that_cannot_be_written_stops_the_process_with_one_line(
    emu: Emulator, db_path: Path
) -> None:
    process = await spawn(emu, db_path)
    try:
        await served(emu, "Alice")
        # From now on no file of the bot's may grow: the WAL cannot take the next commit.
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (1, 1))
        await emu.person("Bob").send("/start")
        code, err = await finished(process)
    finally:
        kill(process)
        await process.wait()
    assert code == 1, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"yousaid: the database {db_path} cannot be written (")
    assert last.endswith("; stopping")


async def test_a_token_refused_while_running_stops_the_process_with_one_line(
    emu: Emulator, db_path: Path
) -> None:
    process = await spawn(emu, db_path)
    try:
        await served(emu, "Alice")
        emu.token = "123456:REVOKED-token"
        code, err = await finished(process)
    finally:
        kill(process)
        await process.wait()
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "yousaid: BOT_TOKEN was refused by Telegram: check it with @BotFather"
    )


@pytest.mark.sqlite_only  # the SQLite file's lock and faults
async def test_a_second_process_on_one_database_refuses_to_start(
    emu: Emulator, db_path: Path
) -> None:
    first = await spawn(emu, db_path)
    try:
        await served(emu, "Alice")
        second = await spawn(emu, db_path)
        code, err = await finished(second)
        assert code == 2, err
        assert err.strip() == (
            f"yousaid: another yousaid process (pid {first.pid}) is running on {db_path};"
            " stop it first (one process per database)"
        )
        await served(emu, "Bob")
    finally:
        kill(first)
        await first.wait()


@pytest.mark.sqlite_only  # the SQLite file's lock and faults
async def test_an_unusable_database_path_at_start_is_one_line(
    emu: Emulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    process = await spawn(emu, blocker / "y.db")
    code, err = await finished(process)
    assert code == 2
    assert err.strip() == (
        f"yousaid: the database {blocker / 'y.db'} cannot be opened (Not a directory)"
    )
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, " * 100)
    code, err = await finished(await spawn(emu, garbage))
    assert code == 2
    assert err.strip().startswith(f"yousaid: the database {garbage} cannot be opened (")
    assert "Traceback" not in err


async def test_sigterm_does_not_wait_out_telegrams_429(emu: Emulator, db_path: Path) -> None:
    process = await spawn(emu, db_path)
    try:
        await served(emu, "Alice")
        # Telegram asks for ten minutes' wait while a reply to Bob is in hand.
        busy = emu.faults.flood("sendMessage", retry_after=600)
        await emu.person("Bob").send("/start")
        await until(lambda: busy.hits >= 1)
        process.send_signal(signal.SIGTERM)
        code, err = await finished(process, timeout=30)
    finally:
        kill(process)
        await process.wait()
    assert code == 0, err


@pytest.mark.sqlite_only  # the SQLite file's lock and faults
async def test_health_tells_alive_dead_and_unwritable(emu: Emulator, db_path: Path) -> None:
    code, line = await health(emu, db_path)
    assert (code, line) == (1, f"yousaid: there is no database at {db_path}")
    process = await spawn(emu, db_path)
    try:
        await served(emu, "Alice")
        code, line = await health(emu, db_path)
        assert (code, line) == (0, f"yousaid: polling is alive and {db_path} is writable")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            code, line = await health(emu, db_path)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert code == 1
        assert line.startswith(f"yousaid: the database {db_path} cannot be written (")
        process.kill()
        await process.wait()
        code, line = await health(emu, db_path)
        assert (code, line) == (1, f"yousaid: no bot is running on {db_path}")
    finally:
        kill(process)
        await process.wait()


BACKLOG = 2000


async def test_sigterm_with_a_backlog_stops_at_once_and_the_rest_is_handled_next_time(
    emu: Emulator, db_path: Path
) -> None:
    process = await spawn(emu, db_path)
    try:
        alice = await served(emu, "Alice")
        assert "Which service" in await press(alice, texts.CONSENT_YES)
        card = alice.messages[-1]
        # A stale service button pressed over and over: each press is answered once.
        presses = [
            await alice.press_data(card.message_id, "s:99:no-such-service") for _ in range(BACKLOG)
        ]
        pressed = {p.id for p in presses}
        answers = lambda: [  # noqa: E731
            c.params["callback_query_id"]
            for c in emu.calls_to("answerCallbackQuery")
            if c.params.get("callback_query_id") in pressed
        ]
        await until(lambda: len(answers()) >= 20)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code, err = await finished(process)
        took = time.monotonic() - started
        assert code == 0, err
        first_run = len(answers())
        assert first_run < BACKLOG
        print(f"SIGTERM with {BACKLOG - first_run} updates waiting took {took:.2f} s")
        process = await spawn(emu, db_path)
        await until(lambda: len(answers()) >= BACKLOG, timeout=180)
        await emu.idle(quiet=0.3)
    finally:
        kill(process)
        await process.wait()
    counted = Counter(answers())
    assert set(counted) == pressed
    assert set(counted.values()) == {1}
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL") == [(0,)]


@pytest.mark.sqlite_only  # a PostgreSQL server that is not there: no engine needed
async def test_a_postgresql_server_not_there_at_start_is_one_line(
    emu: Emulator, tmp_path: Path
) -> None:
    # A port nothing listens on (libpq's "connection refused" runs over two lines).
    url = "postgresql://postgres@127.0.0.1:1/yousaid"
    code, err = await finished(await spawn(emu, tmp_path / "y.db", DATABASE_URL=url))
    assert code == 2
    assert err.startswith("yousaid: the database ") and "cannot be opened (" in err
    assert err.strip().count("\n") == 0, err

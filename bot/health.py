"""Is the bot alive? The poller's heartbeat, and `python -m bot health`'s checks.

The poller touches a file next to the database on every getUpdates round (a file, not a
row: a round costs no commit). Its content changes only when polling starts or stops
failing, and says since when and why. `health` answers from outside the process: a bot
holds the database's process lock, its heartbeat is recent for its poll timeout, polling
has not been failing for longer than that, and the database can take a write transaction.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

from storage.db import ProcessLock, why

log = logging.getLogger(__name__)

# Besides the poll timeout itself, how long a round may take (connect, read, save).
ROUND_GRACE = 30.0
# How long `health` waits for a write transaction.
HEALTH_BUSY_MS = 2000


def heartbeat_path(database: Path) -> Path:
    """The heartbeat file of a database."""
    return database.with_name(database.name + ".heartbeat")


class Heartbeat:
    """The poller's heartbeat file."""

    def __init__(self, database: Path, poll_timeout: int) -> None:
        self.path = heartbeat_path(database)
        self.poll_timeout = poll_timeout
        self._failing: str | None = None
        self._broken = False

    def start(self) -> None:
        """Polling starts: write the file afresh."""
        self._failing = ""
        self.beat(None)

    def beat(self, failing: str | None = None) -> None:
        """One round done; `failing` says why it failed, if it did."""
        try:
            if (failing is None) != (self._failing is None):
                self._write(failing, time.time() if failing else None)
            else:
                # Still fine, or still failing: the first cause and time stand.
                os.utime(self.path)
        except OSError as exc:
            # Polling matters more than its heartbeat: health will say the beat stopped.
            if not self._broken:
                log.warning("the heartbeat %s cannot be written: %s", self.path, exc)
            self._broken = True
        else:
            self._broken = False

    def _write(self, failing: str | None, since: float | None) -> None:
        self._failing = failing
        body = {
            "pid": os.getpid(),
            "poll_timeout": self.poll_timeout,
            "failing_since": since,
            "cause": failing or "",
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(body, out)
        os.replace(temporary, self.path)


def ask_webhook(host: str, port: int, timeout: float = 10.0) -> str | None:
    """What the webhook instance at host:port says is wrong on /healthz; None if nothing."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"  # bound to every address: ask on this machine
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            state = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("reason")
        except (ValueError, AttributeError):
            reason = None
        return str(reason or f"{url} answered {exc.code}")
    except (OSError, ValueError) as exc:
        return f"no bot answers at {url} ({exc})"
    if not isinstance(state, dict) or state.get("ok") is not True:
        return f"{url} did not say ok"
    return None


def check(database: Path) -> str | None:
    """What is wrong with the bot running on `database`, in one line; None if nothing."""
    if not database.exists():
        return f"there is no database at {database}"
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=rw", uri=True)) as conn:
            conn.execute(f"PRAGMA busy_timeout={HEALTH_BUSY_MS}")
            conn.execute("BEGIN IMMEDIATE")
            # A read-only file takes the lock all the same: only a write finds it out
            # (rolled back, never on disk).
            conn.execute("CREATE TABLE main.health_probe (x)")
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return f"the database {database} cannot be written ({why(exc)})"
    if not ProcessLock(database).held_elsewhere():
        return f"no bot is running on {database}"
    beat = heartbeat_path(database)
    try:
        age = time.time() - beat.stat().st_mtime
        state = json.loads(beat.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return f"the bot on {database} has no heartbeat ({exc})"
    limit = float(state.get("poll_timeout") or 0) + ROUND_GRACE
    if age > limit:
        return f"the update loop on {database} has not run for {age:.0f} s"
    since = state.get("failing_since")
    if since and time.time() - float(since) > limit:
        return f"getUpdates has failed for {time.time() - float(since):.0f} s: {state.get('cause')}"
    return None

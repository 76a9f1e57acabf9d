"""The SQLite connection: one writer with group commit, a reader, and numbered migrations.

Durability, chosen: WAL with `synchronous=FULL`, so every COMMIT is fsynced to the WAL
before the call that asked for it returns. A citizen is told "saved" only after that,
so the item survives SIGKILL, an OS crash and a power cut alike. To keep throughput up
with one fsync per commit, concurrent write requests are grouped: the writer runs each
in its own SAVEPOINT inside one `BEGIN IMMEDIATE` transaction and commits once for all.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")
Writer = Callable[[aiosqlite.Connection], Awaitable[T]]

BUSY_TIMEOUT_MS = 5000
# How many queued write requests one commit may carry.
MAX_GROUP = 64


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A datetime as the ISO-8601 UTC text stored in the database (sorts as it reads)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> datetime:
    """The datetime a stored stamp stands for."""
    return datetime.fromisoformat(text)


@dataclass
class _Request:
    fn: Writer[Any]
    future: asyncio.Future[Any]
    # Run outside any transaction (a checkpoint cannot run inside one).
    plain: bool = False


class Database:
    """One SQLite file: a single writer connection and a read connection, both in WAL mode."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Request] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> Database:
        """Open both connections, set the pragmas, apply migrations, start the writer."""
        private_files(self.path)
        self._writer = await aiosqlite.connect(self.path, isolation_level=None)
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self._pragmas(self._writer)
        # Deleted rows are overwritten, not left in free pages: erased means erased.
        await self._writer.execute("PRAGMA secure_delete=ON")
        await migrate(self._writer)
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._pragmas(self._reader)
        await self._reader.execute("PRAGMA query_only=ON")
        self._reader.row_factory = aiosqlite.Row
        self._writer.row_factory = aiosqlite.Row
        self._task = asyncio.create_task(self._write_loop(), name="db-writer")
        return self

    @staticmethod
    async def _pragmas(conn: aiosqlite.Connection) -> None:
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")

    async def close(self) -> None:
        """Finish queued writes and close both connections."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read-only connection (WAL: it sees every committed write)."""
        assert self._reader is not None, "database is not open"
        return self._reader

    async def write(self, fn: Writer[T]) -> T:
        """Run `fn(conn)` in a write transaction; return its result once it is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Request(fn, future))
        return await future

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it (after an erasure, say)."""

        async def run(conn: aiosqlite.Connection) -> None:
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Request(run, future, plain=True))
        await future

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Rows of a read-only query, on the read connection."""
        assert self._reader is not None, "database is not open"
        async with self._reader.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def _write_loop(self) -> None:
        conn = self._writer
        assert conn is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_GROUP and not self._queue.empty() and not batch[-1].plain:
                batch.append(self._queue.get_nowait())
            plain = [r for r in batch if r.plain]
            grouped = [r for r in batch if not r.plain]
            try:
                if grouped:
                    await self._commit_group(conn, grouped)
                for request in plain:
                    await self._run_plain(conn, request)
            finally:
                for _ in batch:
                    self._queue.task_done()

    @staticmethod
    async def _run_plain(conn: aiosqlite.Connection, request: _Request) -> None:
        try:
            request.future.set_result(await request.fn(conn))
        except aiosqlite.Error as exc:
            request.future.set_exception(exc)

    async def _commit_group(self, conn: aiosqlite.Connection, batch: list[_Request]) -> None:
        results: list[tuple[_Request, bool, Any]] = []
        try:
            await conn.execute("BEGIN IMMEDIATE")
            for request in batch:
                await conn.execute("SAVEPOINT request")
                try:
                    value = await request.fn(conn)
                except Exception as exc:
                    await conn.execute("ROLLBACK TO request")
                    await conn.execute("RELEASE request")
                    results.append((request, False, exc))
                else:
                    await conn.execute("RELEASE request")
                    results.append((request, True, value))
            await conn.execute("COMMIT")
        except (aiosqlite.Error, asyncio.CancelledError) as exc:
            # The commit itself failed: nothing in this group is saved, so say so to each.
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for request, ok, value in results:
            if request.future.done():
                continue
            if ok:
                request.future.set_result(value)
            else:
                request.future.set_exception(value)


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply the numbered migrations not yet recorded; return the names applied."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for version, name, sql in _migrations():
        if version in done:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, stamp(utcnow())),
            )
            await conn.execute("COMMIT")
        except aiosqlite.Error:
            await conn.execute("ROLLBACK")
            raise
        log.info("applied migration %04d %s", version, name)
        applied.append(name)
    return applied


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    return sorted(found)


def _statements(sql: str) -> list[str]:
    # Migrations hold plain DDL: no semicolons inside strings or triggers.
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def backup(source: Path, target: Path) -> None:
    """Copy the database to `target`, consistent even while the bot writes (VACUUM INTO).

    It reads one snapshot of the WAL database in a read transaction, so writers go on; the
    copy is compact, in rollback-journal mode, owner-only, and needs nothing else to be
    restored. It carries the erasure journal of its moment (see `restore`).
    """
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose a new name")
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)
    # Owner-only from the first byte: VACUUM INTO fills an empty file and keeps its mode.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("VACUUM INTO ?", (str(target),))
    except BaseException:
        target.unlink(missing_ok=True)
        raise


# Files beside the database that only its owner may read: they hold what citizens said.
PRIVATE_SUFFIXES = ("-wal", "-shm", "-journal", ".erasures", ".lock")


def private_files(path: Path) -> None:
    """Make the database's directory 0700 and the database, its WAL and shared memory 0600.

    The file is created 0600 before SQLite opens it, because SQLite gives the -wal and -shm
    files it creates the database's own mode.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    _owner_only(folder, 0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    _owner_only(path, 0o600)
    for suffix in PRIVATE_SUFFIXES:
        beside = path.with_name(path.name + suffix)
        if beside.exists():
            _owner_only(beside, 0o600)


def _owner_only(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError:
        # Not ours (a shared directory such as /tmp): say so rather than stop.
        log.warning("could not make %s private (mode %o): not its owner", path, mode)


class DatabaseInUse(RuntimeError):
    """A process (the bot) holds the database's lock file."""


def lock_path(database: Path) -> Path:
    """The lock file a running bot holds (fcntl.flock) on its database."""
    return database.with_name(database.name + ".lock")


@contextmanager
def stopped(database: Path) -> Iterator[None]:
    """Hold the database's lock for the duration; DatabaseInUse if a running bot holds it."""
    if not database.parent.exists():
        database.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # A health check may hold it shared for an instant: a few tries tell it from a bot.
        for attempt in range(5):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == 4:
                    raise DatabaseInUse(
                        f"{database} is in use (a process holds {lock_path(database)}):"
                        " stop the bot first"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # releases the lock


def restore(source: Path, target: Path) -> None:
    """Put a backup in the database's place (the caller holds `stopped`): copied beside it,
    owner-only, then renamed over it; its old -wal and -shm go, as they belong to the old
    file."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            sound = conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    except sqlite3.DatabaseError:
        sound = False
    if not sound:
        raise ValueError(f"{source} is not a sound SQLite database")
    private_files(target)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(partial, target)

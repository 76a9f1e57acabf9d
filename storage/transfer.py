"""Copy a deployment's SQLite file into PostgreSQL, verified by counts and checksums.

The source is held stopped (its process lock) and read in one snapshot; the target gets
every table in one transaction, streamed with COPY in batches, so memory stays flat however
large the file. Before the commit each table is read back in primary-key order and its rows
hashed in a canonical form that both engines give alike; any difference rolls it all back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg
from psycopg import AsyncConnection, sql

from storage.db import DatabaseInUse, DatabaseUnusable, SqliteDatabase, stopped
from storage.db import migrate as migrate_sqlite
from storage.postgres import (
    MIGRATION_LOCK,
    MIGRATION_LOCK_KEYS,
    conninfo,
    migrate,
    redacted,
    reset_identities,
)

# Rows read, written and read back per round trip: a few MB at most, whatever the file.
BATCH = 2000
# The bookkeeping table every engine fills itself as it migrates.
MIGRATIONS_TABLE = "schema_migrations"


class CopyRefused(Exception):
    """The copy cannot start (the source in use, the target not empty...); one line."""


class CopyFailed(Exception):
    """The copy stopped or did not verify, and the target was rolled back; one line."""

    def __init__(self, reason: str, checks: Sequence[TableCheck] = ()) -> None:
        super().__init__(reason)
        self.checks = list(checks)


@dataclass(frozen=True)
class TableCheck:
    """One table's rows and checksum as read from the source and back from the target."""

    table: str
    source_rows: int
    target_rows: int
    source_sum: str
    target_sum: str

    @property
    def ok(self) -> bool:
        """Whether the target holds the same rows as the source."""
        return (self.source_rows, self.source_sum) == (self.target_rows, self.target_sum)


@dataclass(frozen=True)
class Table:
    """A table to copy: its columns in order and its primary key."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    parents: frozenset[str]


def canonical(value: Any) -> Any:
    """A value as both engines' drivers give it alike: bools and integral floats as ints,
    bytes as hex, each tagged with its kind so that 1 and '1' stay different."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ["n", int(value)]
    if isinstance(value, int):
        return ["n", value]
    if isinstance(value, float):
        # SQLite may hand back 2.0 where PostgreSQL's column gives 2 (or the reverse).
        if value.is_integer():
            return ["n", int(value)]
        return ["n", repr(value)]
    if isinstance(value, bytes | bytearray | memoryview):
        return ["b", bytes(value).hex()]
    return ["t", str(value)]


def row_bytes(row: Iterable[Any]) -> bytes:
    """One row's canonical encoding (a line of JSON)."""
    return json.dumps([canonical(v) for v in row], ensure_ascii=False).encode() + b"\n"


class Checksum:
    """A running count and SHA-256 of rows in their canonical form."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, rows: Iterable[Iterable[Any]]) -> None:
        """Take these rows, in order."""
        for row in rows:
            self._hash.update(row_bytes(row))
            self.rows += 1

    def hexdigest(self) -> str:
        """The checksum so far."""
        return self._hash.hexdigest()


def _tables(source: sqlite3.Connection) -> list[Table]:
    names = [
        row[0]
        for row in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite%' AND name != ? ORDER BY name",
            (MIGRATIONS_TABLE,),
        )
    ]
    tables = []
    for name in names:
        info = source.execute("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", (name,))
        columns = info.fetchall()
        key = tuple(c for c, pk in sorted((r for r in columns if r[1]), key=lambda r: r[1]))
        parents = frozenset(
            row[0]
            for row in source.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))
            if row[0] != name
        )
        tables.append(
            Table(name, tuple(r[0] for r in columns), key or tuple(r[0] for r in columns), parents)
        )
    return _parents_first(tables)


def _parents_first(tables: list[Table]) -> list[Table]:
    """The tables in an order where every table comes after those its foreign keys name."""
    done: set[str] = set()
    ordered: list[Table] = []
    left = list(tables)
    while left:
        ready = [t for t in left if t.parents <= done | {t.name}]
        if not ready:
            raise CopyRefused(
                "the foreign keys of " + ", ".join(t.name for t in left) + " form a cycle"
            )
        for table in ready:
            ordered.append(table)
            done.add(table.name)
        left = [t for t in left if t.name not in done]
    return ordered


def _order(table: Table) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{} NULLS FIRST").format(sql.Identifier(c)) for c in table.key
    )


def _sqlite_select(table: Table) -> str:
    columns = ", ".join(f'"{c}"' for c in table.columns)
    order = ", ".join(f'"{c}" NULLS FIRST' for c in table.key)
    return f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'


async def _target_columns(conn: AsyncConnection[Any]) -> dict[str, set[str]]:
    cursor = await conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    found: dict[str, set[str]] = {}
    for table, column in await cursor.fetchall():
        found.setdefault(table, set()).add(column)
    return found


async def _check_target(conn: AsyncConnection[Any], tables: list[Table], name: str) -> None:
    """Refuse a target whose tables differ from the source's or that holds rows beyond
    those its migrations put in; clear those (the source brings its own)."""
    columns = await _target_columns(conn)
    for table in tables:
        missing = set(table.columns) - columns.get(table.name, set())
        if missing:
            raise CopyRefused(
                f"{name} lacks {table.name} ({', '.join(sorted(missing))}):"
                " is it at another version of yousaid?"
            )
    extra = set(columns) - {t.name for t in tables} - {MIGRATIONS_TABLE}
    if extra:
        raise CopyRefused(
            f"{name} has tables the source lacks ({', '.join(sorted(extra))}):"
            " is it at another version of yousaid?"
        )
    seeded = await _seeded(tables)
    for table in tables:
        seed = seeded.get(table.name, [])
        cursor = await conn.execute(
            sql.SQL("SELECT {} FROM {} LIMIT %s").format(
                sql.SQL(", ").join(map(sql.Identifier, table.columns)), sql.Identifier(table.name)
            ),
            (len(seed) + 1,),
        )
        held = sorted(row_bytes(row) for row in await cursor.fetchall())
        if held != sorted(row_bytes(row) for row in seed):
            raise CopyRefused(
                f"{name} already holds data (table {table.name} is not empty);"
                " migrate-db copies into an empty database only"
            )
    # The rows the migrations put in (the source has its own copy of them).
    for table in reversed(tables):
        if seeded.get(table.name):
            await conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table.name)))


async def _seeded(tables: list[Table]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a freshly migrated database holds (a sentinel citizen, say), per table."""
    async with aiosqlite.connect(":memory:") as fresh:
        await migrate_sqlite(fresh)
        seeded = {}
        for table in tables:
            columns = ", ".join(f'"{c}"' for c in table.columns)
            async with fresh.execute(f'SELECT {columns} FROM "{table.name}"') as cursor:
                rows = [tuple(row) for row in await cursor.fetchall()]
            if rows:
                seeded[table.name] = rows
    return seeded


async def _copy_table(
    source: sqlite3.Connection, target: AsyncConnection[Any], table: Table, batch: int
) -> Checksum:
    """Stream one table into the target with COPY; the checksum of the rows sent."""
    sent = Checksum()
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    cursor = source.execute(_sqlite_select(table))
    async with target.cursor() as out, out.copy(statement) as copy:
        while rows := cursor.fetchmany(batch):
            sent.add(rows)
            for row in rows:
                await copy.write_row(row)
    return sent


async def _read_back(conn: AsyncConnection[Any], table: Table, batch: int) -> Checksum:
    """Count and hash the table's rows as the target now holds them, in key order."""
    read = Checksum()
    query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(map(sql.Identifier, table.columns)),
        sql.Identifier(table.name),
        _order(table),
    )
    async with conn.cursor(name=f"read_{table.name}") as cursor:
        await cursor.execute(query)
        while rows := await cursor.fetchmany(batch):
            read.add(rows)
    return read


def _one_line(exc: BaseException) -> str:
    return " ".join((str(exc) or exc.__class__.__name__).split())


async def copy_to_postgres(source: Path, target_url: str, batch: int = BATCH) -> list[TableCheck]:
    """Copy the SQLite database at `source` into the empty PostgreSQL database at
    `target_url`, both first brought to the latest migration; one check per table.

    CopyRefused if the source is missing or in use, or the target is not empty;
    CopyFailed (the target rolled back) if a row cannot be copied or does not verify.
    """
    if not await asyncio.to_thread(source.is_file):
        raise CopyRefused(f"no SQLite database at {source}")
    name = redacted(target_url)
    try:
        with stopped(source):
            # Both at the latest migration, so their tables are the same.
            db = SqliteDatabase(source)
            try:
                await db.open()
            except DatabaseUnusable as exc:
                raise CopyRefused(str(exc)) from exc
            await db.close()
            try:
                await migrate(conninfo(target_url))
                target = await AsyncConnection.connect(conninfo(target_url))
            except (psycopg.Error, OSError) as exc:
                raise CopyRefused(f"cannot open {name} ({_one_line(exc)})") from exc
            async with target:
                with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader:
                    reader.isolation_level = None
                    reader.execute("BEGIN")  # one snapshot for every table
                    return await _copy_all(reader, target, name, batch)
    except DatabaseInUse as exc:
        raise CopyRefused(
            f"a bot is running on {source}; stop it before copying ({_one_line(exc)})"
        ) from None


async def _copy_all(
    source: sqlite3.Connection, target: AsyncConnection[Any], name: str, batch: int
) -> list[TableCheck]:
    tables = _tables(source)
    checks: list[TableCheck] = []
    try:
        async with target.transaction():
            # No migration and no bot write may interleave with the copy.
            await target.execute(
                sql.SQL(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEYS})"),  # type: ignore[arg-type]
                (MIGRATION_LOCK,),
            )
            await target.execute(
                sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                    sql.SQL(", ").join(sql.Identifier(t.name) for t in tables)
                )
            )
            await _check_target(target, tables, name)
            sent: dict[str, Checksum] = {}
            for table in tables:
                try:
                    sent[table.name] = await _copy_table(source, target, table, batch)
                except psycopg.Error as exc:
                    raise CopyFailed(
                        f"table {table.name} could not be copied ({_one_line(exc)})"
                    ) from exc
            for table in tables:
                read = await _read_back(target, table, batch)
                checks.append(
                    TableCheck(
                        table.name,
                        sent[table.name].rows,
                        read.rows,
                        sent[table.name].hexdigest(),
                        read.hexdigest(),
                    )
                )
            wrong = [c.table for c in checks if not c.ok]
            if wrong:
                raise CopyFailed(
                    f"{', '.join(wrong)} did not verify (counts or checksums differ)", checks
                )
            # Only now: a sequence moved is not rolled back with the transaction.
            await reset_identities(target)
    except psycopg.Error as exc:
        raise CopyFailed(f"the copy into {name} failed ({_one_line(exc)})", checks) from exc
    return checks

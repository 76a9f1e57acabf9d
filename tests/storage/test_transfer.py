"""`migrate-db`: a SQLite deployment copied into PostgreSQL, verified, refused when unsafe."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from storage import citizens
from storage.db import ProcessLock, SqliteDatabase
from storage.postgres import PostgresDatabase, conninfo
from storage.transfer import canonical, copy_to_postgres, row_bytes
from tests.conftest import ROOT, postgres_schema

pytestmark = pytest.mark.postgres_only

ROWS = 40
# A table with many more rows than a batch, so batches meet mid-table.
MANY = ("updates", 1500)

# Columns that a CHECK restricts: the values they may take.
ALLOWED: dict[tuple[str, str], list[Any]] = {
    ("acceptances", "share"): ["name", "relay"],
    ("asks", "kind"): ["question", "invitation"],
    ("asks", "state"): ["proposed", "approved", "rejected"],
    ("consents", "decision"): ["given", "declined"],
    ("digest_deliveries", "state"): ["pending", "sending", "sent", "blocked", "failed"],
    ("digests", "state"): ["pending", "sent"],
    ("erased_replies", "reply"): ["yes", "no"],
    ("drafts", "kind"): ["response", "question", "invitation", "relay"],
    ("erasures", "kind"): ["forget", "originals"],
    ("feedback", "rating"): [1, 2, 3, 4, 5, None],
    ("invitations", "role"): ["moderator", "provider"],
    ("messages_to_clean", "reason"): ["forget", "retention"],
    ("outbox", "kind"): ["response", "question", "invitation"],
    ("outbox", "state"): ["pending", "sending", "sent", "blocked", "undeliverable", "cancelled"],
    ("responses", "status"): ["acknowledged", "in_progress", "changed", "not_changing"],
    ("staff", "role"): ["moderator", "provider"],
}
# Text that COPY must escape, and text two engines could read differently.
TEXTS = [
    "plain",
    "tab\there",
    "new\nline and \r return",
    "back\\slash",
    "\\N",
    "quote ' and \"",
    "émoji 🎉 ünïcode ← ﷽",
    "ends with a space ",
    '{"json": [1, 2.5, null]}',
]
REALS = [0.1, 2.0, 1e-300, -3.5, 1e300, 0.0]


def _value(table: str, column: str, kind: str, i: int, nullable: bool) -> Any:
    """Row i's value for a column: distinct per row, varied in kind, sometimes NULL."""
    if (table, column) in ALLOWED:
        allowed = ALLOWED[(table, column)]
        return allowed[i % len(allowed)]
    if nullable and i % 5 == 4:
        return None
    if "INT" in kind:
        return (i + 1, -i - 1, 2**62 + i)[i % 3]
    if kind == "REAL":
        return REALS[i % len(REALS)]
    if kind == "BLOB":
        # Bytes COPY must escape: NUL, backslash, high bytes, and text's own bytes.
        return bytes([0, 92, 255, i % 256]) + TEXTS[i % len(TEXTS)].encode()
    if i == 5:
        return ""
    return f"{i} {TEXTS[i % len(TEXTS)]}"


def fill(path: Path) -> dict[str, int]:
    """Rows in every table (foreign keys kept), ids with gaps; the count of each table."""

    async def migrated() -> None:
        async with SqliteDatabase(path):
            pass

    asyncio.run(migrated())
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite%' AND name != 'schema_migrations'"
            )
        ]
        keys: dict[str, list[Any]] = {}
        left = list(names)
        while left:
            for table in list(left):
                fks = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
                parents = {fk[2]: (fk[3], fk[4]) for fk in fks}
                if any(p not in keys and p != table for p in parents):
                    continue
                columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
                pk = [c[1] for c in columns if c[5]]
                rows = MANY[1] if table == MANY[0] else ROWS
                made = []
                for i in range(rows):
                    values = {}
                    for _, column, kind, notnull, _, in_pk in columns:
                        fk = next((fk for fk in fks if fk[3] == column), None)
                        if fk is not None:
                            values[column] = keys[fk[2]][i % len(keys[fk[2]])]
                        elif in_pk and pk == [column] and kind == "INTEGER":
                            values[column] = 3 * i + 1  # gaps, as deletions leave
                        else:
                            values[column] = _value(table, column, kind, i, not (notnull or in_pk))
                    placeholders = ", ".join("?" for _ in values)
                    columns_sql = ", ".join(f'"{c}"' for c in values)
                    try:
                        conn.execute(
                            f"INSERT INTO {table} ({columns_sql}) VALUES ({placeholders})",
                            list(values.values()),
                        )
                    except sqlite3.IntegrityError as exc:
                        # A table a CHECK keeps to one row (a setting, say) has its row.
                        if "CHECK" in str(exc) and made:
                            break
                        raise
                    made.append(values)
                keys[table] = [m[pk[0]] for m in made] if len(pk) == 1 else []
                left.remove(table)
        conn.commit()
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in names}
    assert all(counts.values()), f"tables left empty: {[t for t, n in counts.items() if not n]}"
    return counts


def migrate_db(source: Path, target: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", "migrate-db"]
    return subprocess.run(
        [*command, "--from", f"sqlite:///{source}", "--to", target],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def scalar(conn: Any, query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def rows_of(conn: Any, table: str, order: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()]


def key_order(source: sqlite3.Connection, table: str) -> str:
    columns = source.execute(f"PRAGMA table_info({table})").fetchall()
    return ", ".join(c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5])


def test_every_table_is_copied_and_verified(engine: str, tmp_path: Path) -> None:
    source = tmp_path / "yousaid.db"
    counts = fill(source)
    with postgres_schema() as target:
        checks = asyncio.run(copy_to_postgres(source, target, batch=7))
        assert {c.table: c.source_rows for c in checks} == counts
        assert all(c.ok for c in checks)
        # Read back independently of the checksums: the very same values, row by row.
        with closing(sqlite3.connect(source)) as lite, psycopg.connect(conninfo(target)) as pg:
            for table in counts:
                order = key_order(lite, table)
                assert rows_of(pg, table, order) == rows_of(lite, table, order), table


def test_a_new_item_after_the_copy_gets_a_fresh_id(engine: str, tmp_path: Path) -> None:
    source = tmp_path / "yousaid.db"
    fill(source)
    with closing(sqlite3.connect(source)) as lite:
        highest = lite.execute("SELECT MAX(id) FROM citizens").fetchone()[0]
    with postgres_schema() as target:
        asyncio.run(copy_to_postgres(source, target))

        async def newcomer() -> int:
            async with PostgresDatabase(target) as db:
                made = await db.write(
                    lambda conn: citizens.get_or_create(conn, 77, datetime.now(UTC))
                )
                return made.id

        assert asyncio.run(newcomer()) == highest + 1
        with psycopg.connect(conninfo(target)) as pg:
            identities = pg.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND is_identity = 'YES'"
            ).fetchall()
            assert len(identities) > 5
            for table, column in identities:
                top = scalar(pg, f"SELECT MAX({column}) FROM {table}")
                following = scalar(
                    pg, "SELECT nextval(pg_get_serial_sequence(%s, %s))", (table, column)
                )
                assert following > top, table


def test_the_command_prints_each_table_then_refuses_a_second_copy(
    engine: str, tmp_path: Path
) -> None:
    source = tmp_path / "yousaid.db"
    counts = fill(source)
    with postgres_schema() as target:
        first = migrate_db(source, target)
        assert first.returncode == 0, first.stderr
        lines = first.stdout.splitlines()
        assert len(lines) == len(counts) + 1
        assert all(line.endswith(" ok") for line in lines[:-1])
        assert lines[-1].endswith("counts and checksums match")
        assert f"copied {sum(counts.values())} rows in {len(counts)} tables" in lines[-1]

        again = migrate_db(source, target)
        assert again.returncode == 1
        assert again.stdout == ""
        assert again.stderr.count("\n") == 1
        assert "already holds data" in again.stderr
        with psycopg.connect(conninfo(target)) as pg:
            held = scalar(pg, "SELECT COUNT(*) FROM feedback")
        assert held == counts["feedback"]


def test_a_running_bots_file_is_refused(engine: str, tmp_path: Path) -> None:
    source = tmp_path / "yousaid.db"
    fill(source)
    lock = ProcessLock(source)
    lock.acquire()  # what `python -m bot run` holds for its whole life
    try:
        with postgres_schema() as target:
            result = migrate_db(source, target)
            assert result.returncode == 1
            assert result.stderr.count("\n") == 1
            assert "a bot is running on" in result.stderr
            with psycopg.connect(conninfo(target)) as pg:
                tables = scalar(
                    pg,
                    "SELECT COUNT(*) FROM information_schema.tables"
                    " WHERE table_schema = current_schema()",
                )
            assert tables == 0
    finally:
        lock.release()


def test_a_row_postgresql_cannot_take_rolls_everything_back(engine: str, tmp_path: Path) -> None:
    source = tmp_path / "yousaid.db"
    fill(source)
    with closing(sqlite3.connect(source)) as conn:
        # SQLite keeps text in an INTEGER column; PostgreSQL's BIGINT will not take it.
        conn.execute("UPDATE feedback SET version = 'three' WHERE id = 1")
        conn.commit()
    with postgres_schema() as target:
        result = migrate_db(source, target)
        assert result.returncode == 1
        assert "table feedback could not be copied" in result.stderr
        assert result.stderr.count("\n") == 1
        with psycopg.connect(conninfo(target)) as pg:
            # Only what the migrations put in: the copied citizens were rolled back too.
            assert scalar(pg, "SELECT COUNT(*) FROM citizens") == 1
            assert scalar(pg, "SELECT COUNT(*) FROM services") == 0


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ((1, "x"), (1.0, "x"), True),
        ((1,), (True,), True),
        ((0,), (False,), True),
        ((2.5,), (2.5,), True),
        ((1,), ("1",), False),
        ((None,), ("",), False),
        ((2.5,), (2.4999,), False),
        ((b"\x00",), ("00",), False),
        (("a\tb",), ("a b",), False),
    ],
)
def test_the_canonical_form_equates_only_what_is_equal(
    a: tuple[Any, ...], b: tuple[Any, ...], same: bool
) -> None:
    assert (row_bytes(a) == row_bytes(b)) is same
    assert (canonical(a[0]) == canonical(b[0])) is same

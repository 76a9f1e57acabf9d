"""Digest aggregates on the provider read path: right counts, approved only, indexed ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite
import pytest

from storage import citizens, feedback, published, services
from storage.db import Database, stamp
from storage.services import ServiceRow

T0 = datetime(2026, 11, 2, tzinfo=UTC)
SINCE, UNTIL = stamp(T0), stamp(T0 + timedelta(days=7))
ROWS = [ServiceRow("library", "Library", "", "p"), ServiceRow("parks", "Parks", "", "p")]

# (service, status, kind, rating, themes as (id, score, active), days after T0)
ITEMS = [
    ("library", "approved", "complaint", 2, [("waiting", 0.9, True), ("staff", 0.4, True)], 0),
    ("library", "approved", "complaint", None, [("waiting", 0.7, True)], 1),
    ("library", "approved", None, 5, [("staff", 0.8, False)], 6.99),
    ("parks", "approved", "compliment", 4, [("clean", 0.6, True)], 3),
    ("parks", "pending", "complaint", 1, [("waiting", 0.9, True)], 3),
    ("parks", "rejected", "complaint", 1, [("waiting", 0.9, True)], 3),
    ("library", "approved", "complaint", 1, [("waiting", 0.9, True)], -0.01),
    ("library", "approved", "complaint", 1, [("waiting", 0.9, True)], 7),
    ("bins", "approved", "complaint", 1, [("waiting", 0.9, True)], 2),
]


@pytest.fixture
async def ids(db: Database) -> list[int]:
    async def fill(conn: aiosqlite.Connection) -> list[int]:
        await services.sync(conn, [*ROWS, ServiceRow("bins", "Bins", "", "q")])
        made = []
        for n, (slug, status, kind, rating, themes, days) in enumerate(ITEMS):
            when = T0 + timedelta(days=days)
            citizen = await citizens.get_or_create(conn, 9000 + n, when)
            item = await feedback.create(
                conn,
                citizen_id=citizen.id,
                service_slug=slug,
                text=f"original {n}",
                rating=rating,
                hear_back=False,
                now=when,
            )
            await feedback.save_tagging(
                conn,
                item,
                kind=kind,
                redacted_text=f"redacted {n}",
                redactions="[]",
                themes=[(t, s, "model", "[]") for t, s, _ in themes],
                now=when,
            )
            for theme, _, active in themes:
                if not active:
                    await feedback.set_theme(conn, item, theme, False)
            if status != "pending":
                await feedback.decide(
                    conn,
                    item,
                    status=status,
                    published_text=f"published {n}" if status == "approved" else None,
                    reject_reason=None if status == "approved" else "other",
                    moderator=1,
                    now=when,
                )
            made.append(item)
        return made

    return await db.write(fill)


async def test_tally_counts_approved_items_of_these_services_in_the_range(
    db: Database, ids: list[int]
) -> None:
    counts = await published.tally(db.reader, ["library", "parks"], SINCE, UNTIL)
    assert counts.items == 4
    assert counts.by_service == {"library": 3, "parks": 1}
    assert counts.by_kind == {"complaint": 2, "": 1, "compliment": 1}
    # A theme a moderator turned off does not count.
    assert counts.by_theme == {"waiting": 2, "staff": 1, "clean": 1}
    assert counts.ratings == {"library": (7, 2), "parks": (4, 1)}
    assert counts.rating_count == 3
    assert counts.average_rating == pytest.approx(11 / 3)
    assert counts.service_average("library") == pytest.approx(3.5)
    assert counts.service_average("bins") is None


async def test_tally_of_nothing(db: Database, ids: list[int]) -> None:
    assert (await published.tally(db.reader, [], SINCE, UNTIL)).items == 0
    empty = await published.tally(db.reader, ["library"], UNTIL, stamp(T0 + timedelta(days=6)))
    assert empty.items == 0 and empty.average_rating is None


async def test_quote_candidates_are_approved_items_with_active_themes(
    db: Database, ids: list[int]
) -> None:
    found = await published.quote_candidates(
        db.reader, ["library", "parks"], SINCE, UNTIL, ["waiting", "staff"]
    )
    assert [(c.id, c.theme_id, c.score, c.length) for c in found] == [
        (ids[0], "staff", 0.4, len("published 0")),
        (ids[0], "waiting", 0.9, len("published 0")),
        (ids[1], "waiting", 0.7, len("published 1")),
    ]


async def test_texts_returns_approved_items_only(db: Database, ids: list[int]) -> None:
    found = await published.texts(db.reader, ids)
    approved = [i for i, spec in zip(ids, ITEMS, strict=True) if spec[1] == "approved"]
    assert sorted(found) == approved
    assert {item.text for item in found.values()} == {f"published {ids.index(i)}" for i in approved}
    assert await published.texts(db.reader, []) == {}


@pytest.mark.sqlite_only  # SQLite's query plans (PostgreSQL's planner chooses by statistics)
@pytest.mark.parametrize("services", [1, 4, 200])
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(*) FROM feedback f WHERE {range}",
        "SELECT t.theme_id FROM feedback f JOIN item_themes t ON t.feedback_id = f.id"
        " WHERE {range}",
        # The CSV's query, with the texts and an order that no index gives.
        "SELECT f.id, f.published_text FROM feedback f WHERE {range} ORDER BY f.moderated_at, f.id",
    ],
)
async def test_aggregates_scan_an_index_range_not_the_table(
    db: Database, sql: str, services: int
) -> None:
    # What makes the cost follow the period, not the table: a SEARCH on the index by
    # service and time (not feedback_status, which would read every approved item).
    slugs = [f"s{n}" for n in range(services)]
    query = sql.format(range=published._range(slugs))
    async with db.reader.execute(f"EXPLAIN QUERY PLAN {query}", (*slugs, SINCE, UNTIL)) as cursor:
        plan = " | ".join(str(row[3]) for row in await cursor.fetchall())
    assert "SEARCH f USING INDEX feedback_published" in plan, plan
    assert "moderated_at>? AND moderated_at<?" in plan, plan


@pytest.mark.sqlite_only  # counts SQLite's virtual machine steps
async def test_reads_cost_what_the_period_holds_not_what_the_table_holds(db: Database) -> None:
    # 20,000 approved items before the period, 10 in it: a read that scans the table runs
    # hundreds of thousands of SQLite VM steps; one that follows the period, a few thousand.
    old = stamp(T0 - timedelta(days=30))

    async def fill(conn: aiosqlite.Connection) -> list[int]:
        await services.sync(conn, ROWS)
        citizen = await citizens.get_or_create(conn, 1, T0)
        rows = [
            (citizen.id, "library", f"t{n}", 3, "approved", old, old, "complaint", f"p{n}", old)
            for n in range(20_000)
        ] + [
            (citizen.id, "library", f"t{n}", 3, "approved", old, old, "complaint", f"p{n}", SINCE)
            for n in range(10)
        ]
        await conn.executemany(
            "INSERT INTO feedback (citizen_id, service_slug, text, rating, status, created_at,"
            " updated_at, kind, published_text, moderated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        await conn.execute(
            "INSERT INTO item_themes (feedback_id, theme_id, score, source)"
            " SELECT id, 'waiting', 0.5, 'model' FROM feedback"
        )
        async with conn.execute("SELECT id FROM feedback WHERE moderated_at = ?", (SINCE,)) as c:
            return [int(r[0]) for r in await c.fetchall()]

    recent = await db.write(fill)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    await db.reader.set_progress_handler(count, 1000)
    reads = {
        "tally": published.tally(db.reader, ["library", "parks"], SINCE, UNTIL),
        "quote_candidates": published.quote_candidates(
            db.reader, ["library", "parks"], SINCE, UNTIL, ["waiting"]
        ),
        "texts": published.texts(db.reader, recent),
        "items": published.items(db.reader, ["library", "parks"], SINCE, UNTIL),
    }
    try:
        for name, read in reads.items():
            steps = 0
            result = await read
            assert result, name
            assert steps < 20, f"{name}: {steps} thousand VM steps"
    finally:
        await db.reader.set_progress_handler(None, 1000)  # type: ignore[arg-type]

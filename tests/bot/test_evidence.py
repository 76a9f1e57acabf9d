"""Evidence of value: each figure from a real database, and each rendering."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import pytest

from bot import charts
from bot.digest_content import Period
from bot.evidence import (
    TEXTS,
    Evidence,
    Figures,
    chart_png,
    csv_bytes,
    digest_lines,
    duration,
    evidence,
    markdown,
    percent,
    satisfied_line,
)
from storage import citizens, feedback, services, supporters
from storage.db import Database, stamp
from storage.services import ServiceRow

START = datetime(2026, 11, 2, tzinfo=UTC)
END = START + timedelta(days=7)
PERIOD = Period(START, END)
LIBRARY = ServiceRow("library", "Central Library", "", "culture")
PARKS = ServiceRow("parks", "Parks", "", "culture")
SERVICES = [LIBRARY, PARKS]
telegram_ids = itertools.count(5_000_000)


@pytest.fixture
async def evdb(db: Database) -> Database:
    async def run(conn: aiosqlite.Connection) -> None:
        await services.sync(conn, SERVICES)

    await db.write(run)
    return db


async def citizen(db: Database) -> int:
    async def run(conn: aiosqlite.Connection) -> int:
        return (await citizens.get_or_create(conn, next(telegram_ids), START)).id

    return await db.write(run)


async def item(
    db: Database,
    at: datetime,
    service: str = "library",
    themes: tuple[str, ...] = ("noise",),
    status: str = "approved",
    inactive: tuple[str, ...] = (),
    by: int | None = None,
) -> int:
    """An item published (moderated) at `at`, with these themes (by a new citizen, or by the
    one with Telegram id `by`)."""

    async def run(conn: aiosqlite.Connection) -> int:
        author = await citizens.get_or_create(conn, by or next(telegram_ids), at)
        item_id = await feedback.create(
            conn,
            citizen_id=author.id,
            service_slug=service,
            text="It was too loud",
            rating=2,
            hear_back=True,
            now=at,
        )
        await feedback.save_tagging(
            conn,
            item_id,
            kind="complaint",
            redacted_text="It was too loud",
            redactions="[]",
            themes=[(t, 0.9, "model", "[]") for t in themes],
            now=at,
        )
        for theme in inactive:
            await feedback.set_theme(conn, item_id, theme, False)
        approved = status == "approved"
        await feedback.decide(
            conn,
            item_id,
            status=status,
            published_text="It was too loud" if approved else None,
            reject_reason=None if approved else "off topic",
            moderator=1,
            now=at,
        )
        return item_id

    return await db.write(run)


async def respond(
    db: Database,
    at: datetime,
    service: str = "library",
    *,
    items: tuple[int, ...] = (),
    theme: str | None = None,
    status: str = "acknowledged",
    hidden: bool = False,
    waiting: bool = False,
) -> int:
    """A response published at `at` (to a theme, or to the first item), covering `items`
    (`waiting`: for words in another language, sent to no one yet)."""

    async def run(conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute(
            "INSERT INTO responses (provider_id, service_slug, theme_id, item_id, period_start,"
            " period_end, status, text, author, created_at, hidden_at, hidden_by, waiting_since)"
            " VALUES ('culture', ?, ?, ?, ?, ?, ?, 'We hear you', 7, ?, ?, ?, ?)",
            (
                service,
                theme,
                None if theme else (items[0] if items else None),
                stamp(START) if theme else None,
                stamp(END) if theme else None,
                status,
                stamp(at),
                stamp(at + timedelta(minutes=5)) if hidden else None,
                8 if hidden else None,
                stamp(at) if waiting else None,
            ),
        )
        assert cursor.lastrowid is not None
        await conn.executemany(
            "INSERT INTO response_items (response_id, feedback_id) VALUES (?, ?)",
            [(cursor.lastrowid, i) for i in items],
        )
        return int(cursor.lastrowid)

    return await db.write(run)


async def written(db: Database, response: int, **at: datetime) -> None:
    """The response's words in each language, written when given (the last: when it went
    out, as a response that waited for a language does)."""

    async def run(conn: aiosqlite.Connection) -> None:
        for language, moment in at.items():
            await conn.execute(
                "INSERT INTO response_texts (response_id, language, text, author, written_at)"
                " VALUES (?, ?, 'We hear you', 7, ?)",
                (response, language, stamp(moment)),
            )

    await db.write(run)


async def reply(
    db: Database,
    ref_id: int,
    answer: str | None,
    at: datetime,
    kind: str = "response",
    who: int | None = None,
) -> int:
    """A citizen (a new one unless `who`) was sent message `ref_id` and answered `answer` at
    `at`; their id."""
    who = who if who is not None else await citizen(db)

    async def run(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO outbox (kind, ref_id, citizen_id, state, created_at, sent_at, reply,"
            " replied_at) VALUES (?, ?, ?, 'sent', ?, ?, ?, ?)",
            (kind, ref_id, who, stamp(START), stamp(START), answer, stamp(at) if answer else None),
        )

    await db.write(run)
    return who


def by_slug(ev: Evidence) -> dict[str, Figures]:
    return {f.slug: f for f in ev.services}


# ---------------------------------------------------------------------------- the figures


async def test_items_are_approved_ones_published_in_the_period(evdb: Database) -> None:
    await item(evdb, START - timedelta(microseconds=1))
    await item(evdb, START)
    await item(evdb, END - timedelta(microseconds=1))
    await item(evdb, END)
    await item(evdb, START + timedelta(days=1), status="rejected")
    await item(evdb, START + timedelta(days=1), service="parks")
    withdrawn = await item(evdb, START + timedelta(days=1))
    erased = await item(evdb, START + timedelta(days=1))

    async def run(conn: aiosqlite.Connection) -> None:
        # Not approved (any more), even with a published text: not counted.
        await conn.execute("UPDATE feedback SET status = 'pending' WHERE id = ?", (withdrawn,))
        # Its author was forgotten: the text is gone, but it still counts, as in digests.
        await conn.execute(
            "UPDATE feedback SET published_text = '', erased = 1 WHERE id = ?", (erased,)
        )

    await evdb.write(run)
    ev = await evidence(evdb, SERVICES, PERIOD)
    assert [(f.slug, f.name, f.items) for f in ev.services] == [
        ("library", "Central Library", 3),
        ("parks", "Parks", 1),
    ]
    assert (ev.total.slug, ev.total.name, ev.total.items) == ("", TEXTS["total"], 4)
    only_parks = await evidence(evdb, [PARKS], PERIOD)
    assert only_parks.total.items == 1


async def test_people_are_the_authors_and_those_who_said_me_too(evdb: Database) -> None:
    day = START + timedelta(days=1)
    joined, alone, merged = [await item(evdb, day) for _ in range(3)]
    await respond(evdb, day + timedelta(hours=1), items=(joined,), status="changed")

    async def support(conn: aiosqlite.Connection) -> None:
        for _ in range(3):
            who = await citizens.get_or_create(conn, next(telegram_ids), day)
            assert await supporters.add(conn, joined, who.id, day)
        # Merged into `joined`: its author supports it, and it counts no more on its own.
        await supporters.merge(conn, joined, merged, 1, day)

    await evdb.write(support)
    library = by_slug(await evidence(evdb, SERVICES, PERIOD))["library"]
    assert (library.items, library.people, library.changed, library.people_changed) == (
        2,
        2 + 4,
        1,
        1 + 4,
    )
    assert alone


async def test_each_person_counts_once_however_many_items_they_gave_or_joined(
    evdb: Database,
) -> None:
    day = START + timedelta(days=1)
    writer = next(telegram_ids)
    first, second = [await item(evdb, day, by=writer) for _ in range(2)]
    other = await item(evdb, day)
    await respond(evdb, day + timedelta(hours=1), items=(first, second), status="changed")

    async def support(conn: aiosqlite.Connection) -> None:
        both = await citizens.get_or_create(conn, next(telegram_ids), day)
        for joined in (first, second):
            assert await supporters.add(conn, joined, both.id, day)
        one = await citizens.get_or_create(conn, next(telegram_ids), day)
        assert await supporters.add(conn, other, one.id, day)

    await evdb.write(support)
    library = by_slug(await evidence(evdb, SERVICES, PERIOD))["library"]
    # The writer of two, the one who joined both, the other's author and supporter.
    assert (library.items, library.people, library.people_changed) == (3, 4, 2)


async def test_a_response_waiting_for_another_language_covers_nothing_yet(
    evdb: Database,
) -> None:
    day = START + timedelta(days=1)
    waiting = await item(evdb, day)
    await respond(evdb, day + timedelta(hours=1), items=(waiting,), status="changed", waiting=True)
    await respond(evdb, day + timedelta(hours=1), theme="noise", status="changed", waiting=True)
    library = by_slug(await evidence(evdb, SERVICES, PERIOD))["library"]
    assert (library.items, library.covered, library.changed) == (1, 0, 0)


async def test_a_response_that_waited_for_words_counts_from_when_it_went_out(
    evdb: Database,
) -> None:
    """Written an hour after the item, sent 9 hours later with its Welsh words: 10 hours."""
    day = START + timedelta(days=1)
    answered = await item(evdb, day)
    response = await respond(evdb, day + timedelta(hours=1), items=(answered,))
    await written(evdb, response, en=day + timedelta(hours=1), cy=day + timedelta(hours=10))
    library = by_slug(await evidence(evdb, SERVICES, PERIOD))["library"]
    assert library.median_hours == pytest.approx(10)
    # Gone out after the report's end: not covered by then.
    early = Period(START, day + timedelta(hours=5))
    assert by_slug(await evidence(evdb, SERVICES, early))["library"].covered == 0


async def test_a_theme_change_gone_out_after_the_end_is_no_change_by_then(
    evdb: Database,
) -> None:
    """As a response to the item would be: "changed" by its last words, not its first."""
    day = START + timedelta(days=1)
    await item(evdb, day, themes=("noise",))
    response = await respond(evdb, day + timedelta(hours=1), theme="noise", status="changed")
    await written(evdb, response, en=day + timedelta(hours=1), cy=day + timedelta(hours=10))
    early = Period(START, day + timedelta(hours=5))
    assert by_slug(await evidence(evdb, SERVICES, early))["library"].changed == 0
    assert by_slug(await evidence(evdb, SERVICES, PERIOD))["library"].changed == 1


async def test_nothing_at_all(evdb: Database) -> None:
    ev = await evidence(evdb, SERVICES, PERIOD)
    assert ev.total == Figures("", TEXTS["total"], 0, 0, None, 0, 0, 0)
    assert ev.total.covered_share is None and ev.total.satisfaction is None
    assert digest_lines(ev) == []
    empty = await evidence(evdb, [], PERIOD)
    assert empty.services == () and empty.total.items == 0


async def test_covered_share_counts_visible_responses_up_to_the_end(evdb: Database) -> None:
    day = START + timedelta(days=1)
    answered, hidden, late, twice, untouched = [await item(evdb, day) for _ in range(5)]
    await respond(evdb, day + timedelta(hours=1), items=(answered,))
    await respond(evdb, day + timedelta(hours=1), items=(hidden,), hidden=True)
    await respond(evdb, END, items=(late,))
    # Covered by a theme response and an item response: counted once.
    await respond(evdb, day + timedelta(hours=2), items=(twice,))
    await respond(evdb, day + timedelta(hours=3), theme="noise", items=(twice, answered))
    # A response published after the period but before the report of a later period
    # still counts there: the end is the report's end.
    library = by_slug(await evidence(evdb, SERVICES, PERIOD))["library"]
    assert (library.items, library.covered, library.covered_share) == (5, 2, 0.4)
    later = Period(START, END + timedelta(days=1))
    assert by_slug(await evidence(evdb, SERVICES, later))["library"].covered == 3
    assert untouched  # never covered: counted in items only


async def test_median_time_to_first_visible_response(evdb: Database) -> None:
    day = START + timedelta(days=1)
    a, b, c = [await item(evdb, day) for _ in range(3)]
    p1, p2 = [await item(evdb, day, service="parks") for _ in range(2)]
    await item(evdb, day, service="parks")  # never answered: not in the median
    await respond(evdb, day + timedelta(hours=2), items=(a,))
    await respond(evdb, day + timedelta(hours=10), items=(a,))
    # The hidden response came first, but only the visible one counts.
    await respond(evdb, day + timedelta(hours=1), items=(b,), hidden=True)
    await respond(evdb, day + timedelta(hours=6), items=(b,))
    await respond(evdb, day + timedelta(hours=30), theme="noise", items=(c,))
    await respond(evdb, day + timedelta(hours=10), "parks", items=(p1,))
    await respond(evdb, day + timedelta(hours=20), "parks", items=(p2,))
    ev = await evidence(evdb, SERVICES, PERIOD)
    figures = by_slug(ev)
    assert figures["library"].median_hours == pytest.approx(6)
    # Even count: the mean of the two middle ones.
    assert figures["parks"].median_hours == pytest.approx(15)
    # The total is the median over every covered item, not a median of medians.
    assert ev.total.median_hours == pytest.approx(10)
    assert (
        await evidence(evdb, [PARKS], Period(END, END + timedelta(days=1)))
    ).total.median_hours is None


# One item of the library, with the active theme "noise" (and "staff" switched off),
# published a day into the period; one response; does the item count as changed?
CHANGED_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("theme changed after publication", {"theme": "noise"}, True),
    ("theme changed at publication", {"theme": "noise", "after": timedelta(0)}, True),
    ("theme changed before publication", {"theme": "noise", "after": -timedelta(hours=1)}, False),
    ("theme changed after the end", {"theme": "noise", "after": timedelta(days=6)}, False),
    ("theme changed, hidden", {"theme": "noise", "hidden": True}, False),
    ("theme changed at another service", {"theme": "noise", "service": "parks"}, False),
    ("another theme changed", {"theme": "queues"}, False),
    ("an inactive theme changed", {"theme": "staff"}, False),
    ("theme in progress", {"theme": "noise", "status": "in_progress"}, False),
    ("theme not changing", {"theme": "noise", "status": "not_changing"}, False),
    ("item changed", {"covers": True}, True),
    ("item changed, hidden", {"covers": True, "hidden": True}, False),
    ("item acknowledged", {"covers": True, "status": "acknowledged"}, False),
]


@pytest.mark.parametrize(("case", "response"), [(c[0], c[1]) for c in CHANGED_CASES])
async def test_changed_rule(evdb: Database, case: str, response: dict[str, Any]) -> None:
    expected = {c[0]: c[2] for c in CHANGED_CASES}[case]
    published = START + timedelta(days=1)
    target = await item(evdb, published, themes=("noise", "staff"), inactive=("staff",))
    await item(evdb, published, themes=())  # a second item, of no theme: shares are of two
    await respond(
        evdb,
        published + response.get("after", timedelta(hours=3)),
        response.get("service", "library"),
        theme=response.get("theme"),
        items=(target,) if response.get("covers") else (),
        status=response.get("status", "changed"),
        hidden=response.get("hidden", False),
    )
    library = by_slug(await evidence(evdb, SERVICES, PERIOD))["library"]
    assert library.changed == (1 if expected else 0), case
    assert library.changed_share == (0.5 if expected else 0.0)


async def test_changed_counts_each_item_once(evdb: Database) -> None:
    published = START + timedelta(days=1)
    target = await item(evdb, published, themes=("noise", "queues"))
    await respond(evdb, published + timedelta(hours=1), theme="noise", status="changed")
    await respond(evdb, published + timedelta(hours=2), theme="queues", status="changed")
    await respond(evdb, published + timedelta(hours=3), items=(target,), status="changed")
    ev = await evidence(evdb, SERVICES, PERIOD)
    assert (ev.total.items, ev.total.changed) == (1, 1)


async def test_satisfaction_from_replies_in_the_period(evdb: Database) -> None:
    day = START + timedelta(days=1)
    target = await item(evdb, day)
    seen = await respond(evdb, day, items=(target,))
    hidden = await respond(evdb, day, items=(target,), hidden=True)
    parks = await respond(evdb, day, "parks", theme="noise")
    for answer in ("yes", "yes", "no", None):
        await reply(evdb, seen, answer, day + timedelta(hours=1))
    await reply(evdb, seen, "yes", START - timedelta(seconds=1))  # before the period
    await reply(evdb, seen, "no", END)  # after it
    await reply(evdb, hidden, "no", day)  # a hidden response counts for nothing
    await reply(evdb, parks, "no", day)
    # Not a response: a question with the same number, and an invitation's answer.
    await reply(evdb, seen, "no", day, kind="question")
    await reply(evdb, seen, "accepted", day, kind="invitation")
    ev = await evidence(evdb, SERVICES, PERIOD)
    figures = by_slug(ev)
    assert (figures["library"].yes, figures["library"].no) == (2, 1)
    assert figures["library"].satisfaction == pytest.approx(2 / 3)
    assert (figures["parks"].yes, figures["parks"].no, figures["parks"].satisfaction) == (0, 1, 0)
    assert (ev.total.yes, ev.total.no, ev.total.rated, ev.total.satisfaction) == (2, 2, 4, 0.5)
    only_library = await evidence(evdb, [LIBRARY], PERIOD)
    assert (only_library.total.yes, only_library.total.no) == (2, 1)


async def test_a_digest_counts_the_people_who_replied_not_their_replies(evdb: Database) -> None:
    day = START + timedelta(days=1)
    target = await item(evdb, day)
    first = await respond(evdb, day, items=(target,))
    second = await respond(evdb, day, items=(target,), status="changed")
    # One person said no to the first response and yes to the second; another said no.
    someone = await reply(evdb, first, "no", day)
    await reply(evdb, second, "yes", day, who=someone)
    await reply(evdb, second, "no", day)
    ev = await evidence(evdb, SERVICES, PERIOD)
    assert (ev.total.yes, ev.total.rated) == (1, 3)  # the report counts replies
    assert (ev.people_yes, ev.people_replied) == (1, 2)
    assert digest_lines(ev)[-1] == (
        "👍 1 of the 2 people who replied to a response said it answered their point"
    )


@pytest.mark.parametrize(
    ("yes", "replied", "line"),
    [
        (0, 2, "💬 2 people replied to a response; none said it answered their point yet"),
        (0, 1, "💬 The one person who replied to a response said it did not answer their point"),
        (1, 1, "👍 The one person who replied to a response said it answered their point"),
        (2, 2, "👍 All 2 people who replied to a response said it answered their point"),
        (2, 3, "👍 2 of the 3 people who replied to a response said it answered their point"),
    ],
)
def test_the_satisfied_line_reads_right(yes: int, replied: int, line: str) -> None:
    assert satisfied_line(yes, replied) == line


# ----------------------------------------------------------------------------- rendering

SAMPLE = Evidence(
    PERIOD,
    (
        Figures("library", "Central | Library", 30, 12, 60.0, 4, 3, 1, 42, 9),
        Figures("parks", "=Parks", 0, 0, None, 0, 0, 0),
    ),
    Figures("", "All services", 30, 12, 60.0, 4, 3, 1, 42, 9),
)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.25, "under an hour"),
        (1.0, "1 hour"),
        (2.5, "2.5 hours"),
        (47.9, "47.9 hours"),
        (48.0, "2 days"),
        (60.0, "2.5 days"),
        (24 * 10, "10 days"),
    ],
)
def test_duration(hours: float, text: str) -> None:
    assert duration(hours) == text


@pytest.mark.parametrize(
    ("share", "text"), [(0.0, "0%"), (0.125, "13%"), (0.4, "40%"), (1, "100%")]
)
def test_percent(share: float, text: str) -> None:
    assert percent(share) == text


def test_markdown_table() -> None:
    text = markdown(SAMPLE)
    lines = text.splitlines()
    assert lines[0] == "## Evidence of value, 2–8 Nov 2026"
    assert lines[2] == (
        "| Service | Items | People | Covered by a response | Median time to first response"
        " | Led to a change | Said it answered their point |"
    )
    assert lines[3] == "|---|---:|---:|---:|---:|---:|---:|"
    assert lines[4] == (
        "| Central \\| Library | 30 | 42 | 12 (40%) | 2.5 days | 4 (13%) | 3 of 4 (75%) |"
    )
    assert lines[5] == "| =Parks | 0 | 0 | – | – | – | – |"
    assert lines[6] == (
        "| **All services** | **30** | **42** | **12 (40%)** | **2.5 days** | **4 (13%)**"
        " | **3 of 4 (75%)** |"
    )
    assert TEXTS["md_notes"] in text


def test_csv() -> None:
    data = csv_bytes(SAMPLE)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        TEXTS["csv_header"].split(","),
        [
            "library",
            "Central | Library",
            "30",
            "12",
            "40.0",
            "60.00",
            "4",
            "13.3",
            "3",
            "1",
            "75.0",
            "42",
            "9",
        ],
        ["parks", "'=Parks", "0", "0", "", "", "0", "", "0", "0", "", "0", "0"],
        ["", "All services", "30", "12", "40.0", "60.00", "4", "13.3", "3", "1", "75.0", "42", "9"],
    ]


@pytest.mark.parametrize("name", ["=Parks", "+Parks", "-Parks", "@Parks", "\tParks", "\rParks"])
def test_csv_defuses_a_name_a_spreadsheet_would_run(name: str) -> None:
    ev = replace(SAMPLE, services=(Figures("parks", name, 0, 0, None, 0, 0, 0),))
    data = csv_bytes(ev).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert rows[1][:2] == ["parks", "'" + name]
    assert rows[2][1] == "All services"


def test_chart_is_a_png_with_a_row_each() -> None:
    from PIL import Image

    many = Image.open(io.BytesIO(chart_png(SAMPLE)))
    one = Image.open(io.BytesIO(chart_png(Evidence(PERIOD, SAMPLE.services[:1], SAMPLE.total))))
    assert many.format == one.format == "PNG"
    # The total and two services, against one service alone (no total then).
    assert many.size[1] - one.size[1] == 2 * charts.ROW


def test_digest_lines() -> None:
    # Replies are counted in people: four people replied, three said yes.
    assert digest_lines(replace(SAMPLE, people_yes=3, people_replied=4)) == [
        "📣 <b>What responses did</b>",
        "↩️ Responses covered 12 of 30 items (40%); median time to a first answer: 2.5 days",
        "🔧 4 items led to a change",
        "👍 3 of the 4 people who replied to a response said it answered their point",
    ]
    quiet = Figures("", "All services", 1, 0, None, 0, 0, 0)
    assert digest_lines(Evidence(PERIOD, (), quiet)) == [
        "📣 <b>What responses did</b>",
        "↩️ 1 item without a response yet",
    ]
    one = Figures("", "All services", 1, 1, 0.5, 1, 0, 1)
    assert digest_lines(Evidence(PERIOD, (), one, 0, 1)) == [
        "📣 <b>What responses did</b>",
        "↩️ Responses covered 1 of 1 item (100%); median time to a first answer: under an hour",
        "🔧 1 item led to a change",
        "💬 The one person who replied to a response said it did not answer their point",
    ]

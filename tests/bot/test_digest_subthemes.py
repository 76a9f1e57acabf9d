"""Digests list themes by broad theme, naming the sub-themes on the broad theme's line."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.bot.test_digest_content import LABELS, Spec, build, day, seed, visible

SUB_LABELS = {
    **LABELS,
    "organisation": "Organisation and coordination",
    "missed_collections": "Missed collections",
    "late_collections": "Late collections",
}
BROAD = {"missed_collections": "organisation", "late_collections": "organisation"}


def themed(text: str, n: int, *themes: str) -> list[Spec]:
    scored = tuple((t, 0.9) for t in themes)
    return [Spec(f"{text} {i}", day(i % 7), themes=scored) for i in range(n)]


def theme_lines(text: str) -> list[str]:
    """The lines of the digest's "By theme" section."""
    lines = visible(text).splitlines()
    start = next(i for i, line in enumerate(lines) if "By theme" in line)
    section = []
    for line in lines[start + 1 :]:
        if not line.startswith("•"):
            break
        section.append(line)
    return section


async def test_sub_themes_count_under_their_broad_theme_and_are_named(db: Database) -> None:
    await seed(
        db,
        themed("bins not emptied", 4, "missed_collections")
        # A broad theme and its sub-theme on one item: counted once under the broad theme.
        + themed("collection missed, nobody answered", 2, "organisation", "missed_collections")
        + themed("crew came at noon", 1, "late_collections")
        + themed("rota muddle", 3, "organisation")
        + themed("queue at the desk", 5, "access_waiting"),
    )
    digest = await build(db, labels=SUB_LABELS, broad=BROAD)
    lines = theme_lines(digest.text)
    assert lines == [
        "• Organisation and coordination: 10 — Missed collections 6, Late collections 1",
        "• Access and waiting times: 5",
    ]


async def test_without_sub_themes_the_list_is_as_before(db: Database) -> None:
    await seed(db, themed("rota muddle", 3, "organisation") + themed("queue", 2, "access_waiting"))
    with_broad = await build(db, labels=SUB_LABELS, broad=BROAD, chart=False)
    without = await build(db, labels=SUB_LABELS, chart=False)
    assert with_broad.text == without.text
    assert theme_lines(without.text) == [
        "• Organisation and coordination: 3",
        "• Access and waiting times: 2",
    ]


@pytest.mark.parametrize("broad", [{}, None])
async def test_a_digest_without_a_taxonomy_of_sub_themes_lists_each_theme(
    db: Database, broad: dict[str, str] | None
) -> None:
    await seed(db, themed("bins not emptied", 2, "missed_collections"))
    digest = await build(db, labels=SUB_LABELS, broad=broad, chart=False)
    assert theme_lines(digest.text) == ["• Missed collections: 2"]


async def test_changes_are_counted_by_broad_theme_against_the_week_before(db: Database) -> None:
    before = [Spec(f"late {i}", day(-2), themes=(("organisation", 0.9),)) for i in range(2)]
    await seed(db, before + themed("bins not emptied", 3, "missed_collections"))
    digest = await build(db, labels=SUB_LABELS, broad=BROAD, chart=False)
    assert theme_lines(digest.text)[0] == (
        "• Organisation and coordination: 3 (+1) — Missed collections 3"
    )

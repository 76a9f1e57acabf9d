"""Corrections as labels: what a person corrected is exported, with the published text only."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite

from storage import citizens, feedback, learning, services
from storage.db import Database
from storage.services import ServiceRow

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MODERATOR = 777


async def add(
    db: Database,
    text: str,
    *,
    model_themes: tuple[str, ...] = ("access_waiting",),
    model_kind: str = "complaint",
    switch: tuple[tuple[str, bool], ...] = (),
    kind: str | None = None,
    status: str = "approved",
) -> int:
    """An item tagged by the model, then corrected (themes switched, kind set) and decided
    as a moderator would; its original words carry a name, its published text does not."""

    async def run(conn: aiosqlite.Connection) -> int:
        await services.sync(conn, [ServiceRow("bins", "Bins", "", "environment")])
        citizen = await citizens.get_or_create(conn, 5550001, AT)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="bins",
            text=f"Jane Doe here. {text}",
            rating=None,
            hear_back=False,
            now=AT,
        )
        await feedback.save_tagging(
            conn,
            item,
            kind=model_kind,
            kind_score=0.55,
            redacted_text=f"[name] here. {text}",
            redactions="[]",
            themes=[(t, 0.7, "model", "[]") for t in model_themes],
            now=AT,
        )
        for theme, active in switch:
            await feedback.set_theme(conn, item, theme, active)
        if kind is not None:
            await feedback.set_kind(conn, item, kind, MODERATOR, AT)
        if status != "pending":
            await feedback.decide(
                conn,
                item,
                status=status,
                published_text=text if status == "approved" else None,
                reject_reason=None if status == "approved" else "other",
                moderator=MODERATOR,
                now=AT,
            )
        return item

    return await db.write(run)


async def test_corrected_items_are_exported_with_final_labels_and_published_text(
    db: Database,
) -> None:
    untouched = await add(db, "The bin was not emptied.")
    themes = await add(
        db,
        "Missed again, and nobody answers the phone.",
        switch=(("organisation", True), ("communication", True), ("access_waiting", False)),
    )
    kind = await add(db, "Could you collect on Mondays?", kind="suggestion")
    both = await add(
        db, "Thank you to the crew.", switch=(("access_waiting", False),), kind="compliment"
    )
    # Only a model's theme switched off: a correction too (no themes is a label).
    removed = await add(db, "Lovely weather today.", switch=(("access_waiting", False),))
    found = {c.item_id: c for c in await learning.corrected(db.reader)}
    assert untouched not in found
    assert set(found) == {themes, kind, both, removed}
    assert found[removed].themes == () and found[removed].themes_corrected
    assert found[themes].themes == ("communication", "organisation")
    assert found[themes].kind == "complaint" and not found[themes].kind_corrected
    assert found[themes].themes_corrected
    assert found[kind].kind == "suggestion" and found[kind].model_kind == "complaint"
    assert found[kind].themes == ("access_waiting",) and not found[kind].themes_corrected
    assert found[both].themes == () and found[both].kind == "compliment"
    # The published text, never the words as written (a name) nor the redaction suggestion.
    assert found[themes].text == "Missed again, and nobody answers the phone."
    assert all("Jane" not in c.text and "[name]" not in c.text for c in found.values())


async def test_only_published_items_are_exported(db: Database) -> None:
    pending = await add(db, "Still waiting.", kind="question", status="pending")
    rejected = await add(db, "Rubbish.", kind="complaint", status="rejected")
    published = await add(db, "Where is my bin?", kind="question")
    assert [c.item_id for c in await learning.corrected(db.reader)] == [published]
    assert pending != rejected


async def test_the_model_kind_stays_when_a_moderator_changes_the_kind_twice(db: Database) -> None:
    item = await add(db, "Please add a Sunday collection.", kind="question")

    async def again(conn: aiosqlite.Connection) -> None:
        await feedback.set_kind(conn, item, "suggestion", MODERATOR, AT)

    await db.write(again)
    moderated = await feedback.moderated(db.reader, item)
    assert moderated is not None
    assert (moderated.kind, moderated.model_kind, moderated.kind_set_by) == (
        "suggestion",
        "complaint",
        MODERATOR,
    )
    assert moderated.kind_score == 0.55


async def test_the_authors_switches_are_labels_and_a_moderators_switch_wins(
    db: Database,
) -> None:
    item = await add(db, "The crew left rubbish all over the pavement.", status="pending")
    other = await add(db, "The lid was left open.", status="pending")

    async def switch(conn: aiosqlite.Connection) -> None:
        assert await feedback.set_theme_by_author(conn, item, "environment", True, AT)
        assert await feedback.set_theme_by_author(conn, item, "organisation", True, AT)
        assert await feedback.set_theme_by_author(conn, item, "access_waiting", False, AT)
        # A moderator switches one of the author's themes: theirs now, and it stays so.
        await feedback.set_theme(conn, item, "environment", False, AT)
        assert not await feedback.set_theme_by_author(conn, item, "environment", True, AT)
        # Nor can the author switch back a theme a moderator switched first.
        await feedback.set_theme(conn, other, "access_waiting", False, AT)
        assert not await feedback.set_theme_by_author(conn, other, "access_waiting", True, AT)
        for done in (item, other):
            await feedback.decide(
                conn,
                done,
                status="approved",
                published_text="The crew left rubbish.",
                reject_reason=None,
                moderator=MODERATOR,
                now=AT,
            )

    await db.write(switch)
    themes = {t.theme_id: (t.active, t.source) for t in await feedback.themes_of(db.reader, item)}
    assert themes == {
        "environment": (False, "moderator"),
        "organisation": (True, "citizen"),
        "access_waiting": (False, "citizen"),
    }
    found = {c.item_id: c for c in await learning.corrected(db.reader)}
    assert found[item].themes == ("organisation",) and found[item].themes_corrected
    assert found[other].themes == ()
    # Only its author's: another person, or no one, is not.
    mine = await feedback.authored(db.reader, item, 5550001)
    assert mine is not None and mine.status == "approved" and not mine.side
    assert await feedback.authored(db.reader, item, 5550002) is None

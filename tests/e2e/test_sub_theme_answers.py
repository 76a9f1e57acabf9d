"""An item a moderator kept under a sub-theme alone (its broad theme switched off) counts
under the broad theme everywhere a provider reads or answers: the digest's quotes, what
responses led to, and the themes `/respond` offers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, last_has
from tests.e2e.test_digests import run_job
from tests.e2e.test_provider_attacks import delivered, notices
from tests.e2e.test_responses import (
    CHANGED,
    IN_PROGRESS,
    NEXT_MONDAY,
    WEDNESDAY,
    World,
    digest_in_private,
    respond,
)
from tests.e2e.test_responses import world as world  # the fixture

ENVIRONMENT = "Cleanliness, environment and facilities"
BROAD_BUTTON = texts.RESPOND_THEME_BUTTON.format(theme=ENVIRONMENT)
ACCESS_BUTTON = texts.RESPOND_THEME_BUTTON.format(theme="Access and waiting times")


async def keep_only_sub_theme(world: World, item: int) -> None:
    """A moderator switches the item's broad theme off, its sub-theme left on."""
    moderation, sam = world.bot.moderation, await world.bot.roles.who(world.sam.id)
    card = await moderation.card(item)
    assert card is not None
    switched = await moderation.toggle_theme(sam, item, card.item.version, "environment")
    assert switched.problem is None, switched


def quoted_under(text: str, heading: str) -> list[str]:
    """The quote lines under a theme's heading in a digest's "In their words"."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "In their words" in line)
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == heading)
    found = []
    for line in lines[at + 1 :]:
        if not line.startswith("“"):
            break
        found.append(line)
    return found


def theme_buttons(rows: list[list[str]]) -> list[str]:
    """The labels of a message's theme buttons, in order (not the items', nor the CSV)."""
    return [label for row in rows for label in row if "Respond" in label]


async def test_an_item_kept_under_a_sub_theme_is_quoted_under_its_broad_theme(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Alice's item keeps only "Play areas": the digest lists it under its broad theme with
    Carol's, and quotes it there, with a button to answer it; on its own it ranked after the
    three themes quoted and was never quoted."""
    db = world.bot.db
    alice, carol, eve = (emu.person(n) for n in ("Alice", "Carol", "Eve"))
    on = WEDNESDAY
    for n in range(3):
        text = f"Waited forty minutes at the library desk to renew one book, visit {n}."
        await add_item(db, eve.id, "library", text, on)
    for n in range(2):
        text = f"Nobody told us the library would close early on Saturday, week {n}."
        await add_item(db, eve.id, "library", text, on, ("communication",))
    await add_item(
        db,
        carol.id,
        "parks",
        "The toilets by the park cafe were filthy all weekend.",
        on,
        ("environment",),
    )
    kept_sub = await add_item(
        db,
        alice.id,
        "parks",
        "The swings in the play area have been broken for a month.",
        on,
        ("environment", "play_areas"),
    )
    await keep_only_sub_theme(world, kept_sub)
    digest = await digest_in_private(world, clock)
    text = digest.text or ""
    assert f"• {ENVIRONMENT}: 2 — Play areas 1" in text, text
    assert any(f"#{kept_sub}" in line for line in quoted_under(text, ENVIRONMENT)), text
    assert f"↩️ #{kept_sub}" in [label for row in digest.buttons for label in row]


async def test_a_changed_answer_to_a_broad_theme_led_to_a_change_for_earlier_sub_theme_items(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Alice's and Bob's items came the week before the digest answered: a "changed" answer to
    the broad theme counts for Bob's (broad theme on) and for Alice's (kept under "Play
    areas" alone) in what the next digest says responses did; Eve's other theme, not."""
    db = world.bot.db
    alice, bob, carol, eve = (emu.person(n) for n in ("Alice", "Bob", "Carol", "Eve"))
    earlier = WEDNESDAY - timedelta(days=7)
    kept_sub = await add_item(
        db,
        alice.id,
        "parks",
        "The swings are broken again.",
        earlier,
        ("environment", "play_areas"),
    )
    await keep_only_sub_theme(world, kept_sub)
    await add_item(
        db, bob.id, "parks", "The benches are covered in paint.", earlier, ("environment",)
    )
    await add_item(db, eve.id, "library", "The desk queue is slow.", earlier)
    await add_item(db, carol.id, "parks", "The toilets were filthy.", WEDNESDAY, ("environment",))
    digest = await digest_in_private(world, clock)
    clock.now = NEXT_MONDAY + timedelta(days=2)
    done = await respond(
        world.pat, digest, BROAD_BUTTON, CHANGED, "We cleaned and repaired the park this week."
    )
    assert "covers 1 item" in done, done
    await delivered(world, 1)
    clock.now = NEXT_MONDAY + timedelta(days=7)
    await run_job(world.bot, "digest:culture-leisure")
    found = await world.pat.wait_for(
        lambda m: sum("your feedback digest" in (x.text or "") for x in m) == 2, timeout=10
    )
    latest = [m for m in found if "your feedback digest" in (m.text or "")][-1].text or ""
    assert "Responses covered 1 of 4 items" in latest, latest
    assert "3 items led to a change" in latest, latest
    assert notices(alice) == []  # outside the answer's period: counted, not told


async def test_respond_offers_the_themes_as_the_digest_groups_them(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """/respond lists the broad theme first (two items, one kept under "Play areas" alone),
    its sub-theme beneath it as the digest names it, then the other theme; the broad theme's
    answer covers both items, the same buttons as /digest shows."""
    db = world.bot.db
    alice, carol, eve = (emu.person(n) for n in ("Alice", "Carol", "Eve"))
    swings = ("environment", "play_areas")
    kept_sub = await add_item(
        db, alice.id, "parks", "The swings are broken again.", WEDNESDAY, swings
    )
    await keep_only_sub_theme(world, kept_sub)
    await add_item(db, carol.id, "parks", "Broken slide at the play area.", WEDNESDAY, swings)
    await add_item(db, eve.id, "library", "The desk queue is slow.", WEDNESDAY)
    clock.now = WEDNESDAY + timedelta(hours=1)  # the period so far: no digest yet
    await world.pat.send("/respond")
    listed = await world.pat.wait_for(last_has("Tap a theme below"))
    offered = [label for row in listed[-1].buttons for label in row]
    play = texts.RESPOND_SUB_THEME_BUTTON.format(theme="Play areas")
    assert offered == [BROAD_BUTTON, play, ACCESS_BUTTON], offered
    await world.pat.send("/digest")
    shown = await world.pat.wait_for(last_has("your feedback digest"))
    assert theme_buttons(shown[-1].buttons) == offered
    done = await respond(
        world.pat, listed[-1], BROAD_BUTTON, CHANGED, "We replaced the swings and the slide."
    )
    assert "covers 2 items" in done and "goes to 2 people" in done, done
    await delivered(world, 2)
    assert len(notices(alice)) == 1 and len(notices(carol)) == 1 and notices(eve) == []


async def test_a_changed_answer_to_a_broad_theme_reaches_who_heard_a_sub_theme_answer_before(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Alice heard an answer to "Play areas" last week; this week a "changed" answer to its
    broad theme reaches her too, as it reaches whoever heard an earlier broad theme answer;
    Eve, who heard nothing on the theme, not."""
    db = world.bot.db
    alice, carol, eve = (emu.person(n) for n in ("Alice", "Carol", "Eve"))
    swings = ("environment", "play_areas")
    await add_item(db, alice.id, "parks", "The swings are broken again.", WEDNESDAY, swings)
    await add_item(db, eve.id, "library", "The desk queue is slow.", WEDNESDAY)
    clock.now = WEDNESDAY + timedelta(hours=1)
    await world.pat.send("/respond")
    listed = await world.pat.wait_for(last_has("Tap a theme below"))
    play = texts.RESPOND_SUB_THEME_BUTTON.format(theme="Play areas")
    done = await respond(world.pat, listed[-1], play, IN_PROGRESS, "New swings are on order.")
    assert "covers 1 item" in done, done
    await delivered(world, 1)
    assert len(notices(alice)) == 1
    later = NEXT_MONDAY + timedelta(days=1)
    await add_item(db, carol.id, "parks", "The toilets were filthy.", later, ("environment",))
    clock.now = later + timedelta(hours=1)
    await world.pat.send("/respond")
    listed = await world.pat.wait_for(
        lambda m: sum("Tap a theme below" in (x.text or "") for x in m) == 2
    )
    done = await respond(
        world.pat,
        listed[-1],
        BROAD_BUTTON,
        CHANGED,
        "We mended the swings and cleaned the toilets.",
    )
    assert "covers 2 items" in done and "goes to 2 people" in done, done
    await delivered(world, 3)
    assert len(notices(alice)) == 2 and "We mended the swings" in notices(alice)[-1]
    assert len(notices(carol)) == 1 and notices(eve) == []

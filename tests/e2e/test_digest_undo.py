"""A digest waits while an item in its period can still be undone: what a moderator takes
back never reaches a provider, and an item undone and approved again is counted once."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import has
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import Team, card_of, give, press_card
from tests.e2e.test_moderation import team as team  # the fixture

WORDS = "The library lift has been broken for three weeks now."
# A Monday: the culture-leisure digest is due at 09:00.
MONDAY = datetime(2026, 11, 9, 8, 50, tzinfo=UTC)


async def approve_before_the_digest(team: Team, clock: FakeClock) -> int:
    """An item approved two minutes before its digest is due (undoable for ten more)."""
    clock.now = MONDAY
    item = await give(team.citizen, "Central Library", WORDS)
    card = await card_of(team.group, item)
    clock.now = MONDAY.replace(minute=58)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    return item


def quoted(team: Team) -> int:
    return sum(WORDS in (m.text or "") for m in team.pat.messages)


async def test_a_digest_waits_until_its_items_can_no_longer_be_undone(
    team: Team, clock: FakeClock, emu: Emulator
) -> None:
    await approve_before_the_digest(team, clock)
    clock.now = MONDAY.replace(hour=9, minute=1)
    await run_job(team.bot, "digest:culture-leisure")
    await emu.idle()
    assert quoted(team) == 0
    clock.now = MONDAY.replace(hour=9, minute=9)
    await run_job(team.bot, "digest-catch-up")
    await team.pat.wait_for(has(WORDS))
    assert quoted(team) == 1


async def test_an_item_undone_and_approved_again_is_in_one_digest_only(
    team: Team, clock: FakeClock, emu: Emulator
) -> None:
    item = await approve_before_the_digest(team, clock)
    clock.now = MONDAY.replace(hour=9, minute=1)
    await run_job(team.bot, "digest:culture-leisure")
    # Taken back (to take out a name, say) and approved again.
    clock.now = MONDAY.replace(hour=9, minute=3)
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.UNDO)
    await team.group.wait_for(lambda _: texts.APPROVE in str(card.buttons))
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    await run_job(team.bot, "digest-catch-up")
    clock.now = datetime(2026, 11, 16, 9, 1, tzinfo=UTC)
    await run_job(team.bot, "digest:culture-leisure")
    await team.pat.wait_for(has(WORDS))
    await emu.idle()
    assert quoted(team) == 1

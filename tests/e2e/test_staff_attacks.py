"""Staff flows as busy people use them: two providers in one team group, presses that are
someone else's, late presses, and what each person is told."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.e2e.helpers import add_item, has, last_has
from tests.e2e.test_citizen import stored
from tests.e2e.test_responses import (
    CHANGED,
    WEDNESDAY,
    World,
    answer_item,
    world,  # noqa: F401 - the fixture, shared
)


async def test_a_private_command_puts_a_providers_response_aside(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    # Pat checks her services before writing: the response ends, said once.
    await world.pat.send("/services")
    await world.pat.wait_for(has(texts.DRAFT_PUT_ASIDE["response"]))
    await world.pat.send("Which of these services are mine again?")
    await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    assert not any(texts.RESPOND_PREVIEW_FOOT in (m.text or "") for m in world.pat.messages)
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]

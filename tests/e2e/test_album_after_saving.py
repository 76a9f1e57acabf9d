"""An album sent just after the bot said "Saved as #N" (nothing being told, #N still able to
take photos): its photos before its words wait for them (migrations 0050, 0051), so an
album whose words come on a later photo goes with those words, a new item, rather than
being split between #N and it; an album that brings no words joins #N a couple of seconds
after its last photo (a job), as a citizen adding photos to what they just said expects,
and says so once."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import last_has, while_progressing
from tests.e2e.test_album_words_later import shots
from tests.e2e.test_citizen import consent, press, say
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, saved, under
from tests.e2e.test_media_albums import (
    WAITING,
    colours,
    lose_album_jobs,
    new_has,
    told_nothing_at_rest,
    waiting,
)
from tests.e2e.test_mod_attacks import approve
from tests.e2e.test_moderation import Team, card_of
from tests.e2e.test_moderation import team as team  # the fixture

OTHER = "The lift to the first floor has been out of order for two weeks now."


async def just_saved(citizen: Person) -> int:
    """Consent, an item told and saved: its number."""
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    return await saved(citizen)


async def test_an_album_with_words_on_a_later_photo_after_saving_goes_with_its_words(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Just after "Saved as #N", Cy sends three photos, her words about something else on
    the third: all three go with those words, a new item; none joins #N."""
    citizen = team.citizen
    item = await just_saved(citizen)
    before = len(citizen.messages)
    shots(citizen, "later-words", ["red", "blue", "green"], words={2: OTHER})
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert not any(f"#{item}" in s for s in said), said
    assert len(said) == 1, said
    assert said[0].startswith(texts.MEDIA_NOTES["album_added_words"].format(3)), said
    assert colours(db_path, item) == []
    await press(citizen, SERVICE)
    second = await saved(citizen)
    assert second != item
    assert colours(db_path, second) == ["red", "blue", "green"]
    assert waiting(db_path) == 0


async def test_a_wordless_album_after_saving_joins_the_item_and_says_so_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Just after "Saved as #N", Cy sends two photos with no words: a couple of seconds
    later they are with #N, she is told so once (which item, how many photos it has), and
    they go under its card for the moderators."""
    citizen = team.citizen
    item = await just_saved(citizen)
    card = await card_of(team.group, item)
    before = len(citizen.messages)
    shots(citizen, "no-words", ["red", "blue"])
    note = texts.MEDIA_NOTES["album_added_saved"].format(2, reference=item)
    await citizen.wait_for(new_has(before, f"#{item}"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert said == [note.replace("<b>", "").replace("</b>", "")], said
    assert colours(db_path, item) == ["red", "blue"]
    assert waiting(db_path) == 0
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 2)


async def test_a_wordless_album_after_saving_keeps_what_the_item_has_room_for(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Four wordless photos just after "Saved as #N": three join #N, the fourth is not kept,
    and the one note says both."""
    citizen = team.citizen
    item = await just_saved(citizen)
    before = len(citizen.messages)
    shots(citizen, "four", ["red", "blue", "green", "white"])
    await citizen.wait_for(new_has(before, f"#{item}"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert len(said) == 1, said
    assert f"#{item} (3 of 3)" in said[0] and texts.PHOTOS_WAITED_LEFT in said[0], said
    assert colours(db_path, item) == ["red", "blue", "green"]
    assert waiting(db_path) == 0


async def test_a_wordless_album_whose_item_was_checked_meanwhile_waits_for_words(
    team: Team, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """Two wordless photos just after "Saved as #N", then a moderator approves #N before
    the album is told of (its note lost to a restart, told by the time-out round): #N can
    no longer take photos, so they are not added to it; Cy is told they wait for her next
    words, and they go with those."""
    citizen = team.citizen
    item = await just_saved(citizen)
    before = len(citizen.messages)
    shots(citizen, "checked", ["red", "blue"])
    await while_progressing(lambda: waiting(db_path) == 2, lambda: waiting(db_path), stall=20)
    lose_album_jobs(team.bot)
    await approve(team, item)
    clock.advance(seconds=31)
    await run_job(team.bot, "expire-idle-conversations")
    await citizen.wait_for(new_has(before, WAITING))
    said = [m.text or "" for m in citizen.messages[before:]]
    # (Besides the news that #N was passed on.)
    assert said[-1] == texts.MEDIA_NOTES["waiting"].format(2, minutes=30), said
    assert not any(f"added to #{item}" in s for s in said), said
    assert colours(db_path, item) == []
    await citizen.send(OTHER)
    reply = (await citizen.wait_for(last_has("Which service")))[-1].text or ""
    assert reply.startswith(texts.PHOTOS_WAITED.format(2)), reply
    await press(citizen, SERVICE)
    second = await saved(citizen)
    assert colours(db_path, second) == ["red", "blue"]

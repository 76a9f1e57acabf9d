"""Albums whose photos wait for their words (migrations 0050, 0051) when the words come
another way: a voice note takes them as typed words do; a second album does not drop those of
a first the citizen was told are kept; the note lost to a passing Telegram fault is told at a
later round; an album whose words were a comment keeps no photo waiting, even after a
restart."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator, Person
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import while_progressing
from tests.e2e.test_citizen import press, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, saved
from tests.e2e.test_media_albums import (
    WAITING,
    colours,
    new_has,
    nothing_told,
    told_nothing_at_rest,
    waiting,
)
from tests.e2e.test_media_attacks import photo_fields, post
from tests.e2e.test_moderation import Team
from tests.e2e.test_moderation import team as team  # the fixture


def shots(
    person: Person, group: str, tints: list[str], words: dict[int, str] | None = None
) -> None:
    """Photos of one media group in these colours, the `words` on those numbered (from 0)."""
    for n, tint in enumerate(tints):
        fields = photo_fields(person, gps_photo(tint))
        if n in (words or {}):
            fields["caption"] = (words or {})[n]
        post(person, {**fields, "media_group_id": group})


def all_handled(emu: Emulator, db_path: Path) -> bool:
    """Every update the emulator delivered is handled by the bot."""
    done = stored(db_path, "SELECT COUNT(*) FROM updates WHERE handled_at IS NOT NULL")
    return int(done[0][0]) >= len(emu.updates.history)  # type: ignore[call-overload]


async def test_a_voice_note_after_a_wordless_album_takes_its_photos(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Nothing being told, Cy sends three photos with no words, then says what they are
    about in a voice note (a voice note stands for an item's words): the photos go with the
    item the voice note starts, and she is not told afterwards to write what they are about."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    shots(citizen, "then-voice", ["red", "blue", "green"])
    await while_progressing(lambda: waiting(db_path) == 3, lambda: waiting(db_path), stall=20)
    await citizen.send_voice(b"OggS-voice", duration=7)
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert not any(WAITING in s for s in said), said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert colours(db_path, item) == ["red", "blue", "green"]
    assert waiting(db_path) == 0


async def test_a_second_album_does_not_silently_drop_photos_promised_to_be_kept(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Cy sends two photos with no words and is told they are kept for 30 min, to be added
    to what she tells next (up to 3); she then sends a second album with her words on its
    last photo. The two photos she was promised are with the item (room for three), not
    dropped without a word."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    shots(citizen, "first", ["red", "blue"])
    await citizen.wait_for(new_has(before, WAITING))
    shots(citizen, "second", ["white", "black"], words={1: WORDS})
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    await press(citizen, SERVICE)
    item = await saved(citizen)
    kept = colours(db_path, item)
    assert "red" in kept and "blue" in kept, kept


async def test_the_album_note_lost_to_a_passing_telegram_error_is_told_later(
    team: Team, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """Telegram answers the album's note with a passing 502 (nothing was sent): the photos
    still wait, so the note is told at the next time-out round, as the time-out notices
    whose send failed are; not lost, leaving Cy with no word that her photos wait."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    fault = emu.faults.server_error("sendMessage", text_contains=WAITING, times=1)
    shots(citizen, "note-502", ["red", "blue"])
    untold = "SELECT COUNT(*) FROM media WHERE album = 'note-502' AND album_told = 0"

    def left_to_tell() -> bool:
        # Marked told before the send, unmarked once it failed: not before that.
        return fault.hits == 1 and stored(db_path, untold) == [(2,)]

    await while_progressing(left_to_tell, lambda: (fault.hits, stored(db_path, untold)), stall=20)
    assert waiting(db_path) == 2
    clock.advance(seconds=31)
    await run_job(team.bot, "expire-idle-conversations")
    await citizen.wait_for(new_has(before, WAITING))


async def test_an_album_whose_words_were_a_comment_keeps_no_photo_after_a_restart(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    """Cal is asked what a response missed; he answers with an album, his comment on its
    first photo (kept as the comment; photos are not kept at a comment). The bot restarts
    (or another instance takes the chat) before the album's second photo: that photo was
    sent with the comment, so it is not kept waiting for other words, and Cal is not told
    to write what it is about (his next words would carry a photo meant for the comment
    into a new item)."""
    from tests.e2e.test_side_prompts import not_really

    cal = emu.person("Cal")
    comment = "The queue is still long on Saturdays, nothing has changed at all."
    async with make_bot() as first:
        await not_really(first, cal)
        seen = len(cal.messages)
        fields = photo_fields(cal, gps_photo("red"))
        post(cal, {**fields, "caption": comment, "media_group_id": "comment"})
        await cal.wait_for(new_has(seen, "Your comment is saved"))
    async with make_bot() as bot:
        post(cal, {**photo_fields(cal, gps_photo("blue")), "media_group_id": "comment"})
        await while_progressing(
            lambda: all_handled(emu, db_path), lambda: len(emu.updates.history), stall=20
        )
        await told_nothing_at_rest(emu, bot)
        said = [m.text or "" for m in cal.messages[seen:]]
        assert not any(WAITING.replace("photos", "photo") in s for s in said), said
        assert waiting(db_path) == 0

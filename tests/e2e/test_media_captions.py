"""Photos and voice notes whose words answer a question (the rating, the last one): the
words answer it, the item's number and themes are said, a photo goes under the saved item's
card, and nothing is said to be kept that was not."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, under
from tests.e2e.test_media_attacks import photo_fields, post
from tests.e2e.test_moderation import Team, card_of
from tests.e2e.test_moderation import team as team  # the fixture


async def test_a_photo_whose_caption_answers_the_last_question_goes_under_the_card(
    team: Team, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """At "would you like to be involved?" Cy sends the photo she forgot, captioned "no
    thanks": the caption saves the item (its card goes out at once), and the photo, slow to
    fetch, joins the saved item and goes under its card."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    await press(citizen, "3")
    await press(citizen, texts.YES)  # hear back; next: involved?
    emu.faults.late("getFile", delay=3, times=1)
    post(citizen, {**photo_fields(citizen, gps_photo()), "caption": "no thanks"})
    said = (await citizen.next_message(timeout=10)).text or ""
    assert "Photo added to #1" in said and "Moderators check every photo" in said
    card = await card_of(team.group, 1)
    clock.advance(minutes=5)
    await run_job(team.bot, "moderation-sweep")
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1, timeout=10)


async def test_the_saved_message_of_a_captioned_photo_says_the_themes_heard(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Saved by a photo's caption ("no thanks" at the last question), the message with the
    number says which themes the bot heard, with the button to fix them (as after words)."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    await press(citizen, "3")
    await press(citizen, texts.YES)
    post(citizen, {**photo_fields(citizen, gps_photo()), "caption": "no thanks"})
    saved = await citizen.next_message()
    assert "Saved as #1" in (saved.text or "")
    assert "🏷" in (saved.text or ""), saved.text
    assert any(texts.HEARD_FIX in row or texts.HEARD_ADD in row for row in saved.buttons)


async def test_a_voice_note_whose_words_answer_the_last_question_shows_the_saved_number(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A voice note with words "no thanks" at "would you like to be involved?": the words
    save item #1 and its number is said; the voice note is said not to be kept (it would
    have started a new report)."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    await press(citizen, "3")
    await press(citizen, texts.YES)
    voice = {**citizen._media(b"OggS-voice", "voice", None, "audio/ogg"), "duration": 9}
    post(citizen, {"voice": voice, "caption": "no thanks"})
    said = (await citizen.next_message()).text or ""
    await emu.idle(quiet=0.5, timeout=15)
    assert stored(db_path, "SELECT id, status FROM feedback") == [(1, "pending")]
    told = [m.text or "" for m in citizen.messages]
    assert any("Saved as #1" in t for t in told), said


async def test_a_photo_captioned_with_a_rating_is_not_said_to_keep_words(
    team: Team, db_path: Path
) -> None:
    """At the rating question a photo captioned "4": the 4 is the rating, and the photo is
    said to be added, not "I kept your words"."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    post(citizen, {**photo_fields(citizen, gps_photo()), "caption": "4"})
    said = (await citizen.next_message()).text or ""
    assert stored(db_path, "SELECT rating FROM conversations") == [(4,)]
    assert "kept your words" not in said, said


async def test_a_photo_kept_before_a_service_is_said_not_kept_when_the_chat_goes_quiet(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    """At the list of services a photo with the words as its caption ("I kept your words and
    the photo"), then quiet: the words are kept as a draft, and the notice says the photo
    was not (it goes with an item only)."""
    citizen = team.citizen
    await consent(citizen)
    post(citizen, {**photo_fields(citizen, gps_photo()), "caption": WORDS})
    said = (await citizen.next_message()).text or ""
    assert "I kept your words and the photo" in said
    clock.advance(hours=1)
    await run_job(team.bot, "expire-idle-conversations")
    told = (await citizen.next_message()).text or ""
    assert "kept what you wrote as a draft" in told and texts.TIMED_OUT_NOT_KEPT in told
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_a_voice_note_kept_before_a_service_is_said_not_kept_when_the_chat_goes_quiet(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    """At the list of services a voice note ("A moderator will write it down"), then quiet:
    the notice says the voice note was not kept."""
    citizen = team.citizen
    await consent(citizen)
    await citizen.send_voice(b"OggS-voice", duration=20)
    said = (await citizen.next_message()).text or ""
    assert said.startswith(texts.VOICE_KEPT)
    clock.advance(hours=1)
    await run_job(team.bot, "expire-idle-conversations")
    told = (await citizen.next_message()).text or ""
    assert texts.TIMED_OUT_NOT_KEPT in told, told


async def test_words_alone_going_quiet_say_nothing_of_photos(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    """Words alone at the list of services, then quiet: the draft notice as before."""
    citizen = team.citizen
    await consent(citizen)
    await say(citizen, WORDS)
    clock.advance(hours=1)
    await run_job(team.bot, "expire-idle-conversations")
    told = (await citizen.next_message()).text or ""
    assert "kept what you wrote as a draft" in told and texts.TIMED_OUT_NOT_KEPT not in told

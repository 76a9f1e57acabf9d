"""Photos on receipt, erasure and what staff see, end to end through the emulator: a damaged
photo gets the kind answer; a photo a provider asked for leaves with its author."""

from __future__ import annotations

from pathlib import Path

from bot.app import YousaidBot
from emulator import Emulator
from handlers import texts
from tests.bot.test_photo_cleaning import broken_png, jpeg_with_odd_exif
from tests.e2e.helpers import has
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_privacy_outside import until


async def test_a_damaged_photo_gets_the_kind_unreadable_answer_not_an_error(
    team: Team, db_path: Path
) -> None:
    """A PNG whose IDAT length is wrong (a damaged file), then a JPEG with odd EXIF (Pillow
    raises SyntaxError, TypeError): "I couldn't open that as a photo", never "something went
    wrong, try again"."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    for damaged in (broken_png(), jpeg_with_odd_exif()):
        said = await reply_to(citizen, citizen.send_photo(damaged))
        assert said == texts.MEDIA_NOTES["unreadable"], said
    # The conversation goes on; the next good photo is the first one kept.
    assert "(1 of 3)" in await reply_to(citizen, citizen.send_photo(gps_photo()))


async def test_words_sent_with_a_damaged_photo_are_kept_and_the_next_question_shown(
    team: Team, db_path: Path
) -> None:
    """Words with a damaged photo: the words are kept and the question they lead to is
    asked, with why the photo was not kept (never "something went wrong, try again")."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    said = await reply_to(citizen, citizen.send_photo(broken_png(), caption=WORDS))
    assert stored(db_path, "SELECT text FROM conversations") == [(WORDS,)]
    assert texts.ERROR not in said, "told to try again though the words were kept"
    assert "How would you rate it" in said, said


async def test_a_photo_a_provider_fetched_leaves_their_chat_when_its_author_forgets(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    """/photo N sends the cleaned photo into a provider's chat: when its author is forgotten
    it leaves that chat too, as the card and the photos under it leave the moderators'."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo("blue"), caption=WORDS))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    (photo_message,) = under(team, card, "photo")
    await press_card(team.sam, team.group, photo_message, texts.PHOTO_APPROVE)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    ((photo,),) = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item}")
    await team.pat.send(f"/photo {photo}")
    (sent,) = [m for m in await team.pat.wait_for(has(f"#{photo}")) if m.photo is not None][-1:]
    # The author forgets everything.
    await citizen.send("/forget")
    await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    assert texts.FORGET_DONE in await press(citizen, texts.FORGET_ALL)
    await until(emu, lambda: card.deleted and photo_message.deleted)
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    assert sent.deleted or sent.photo is None, "the provider still holds the forgotten photo"


SECRET_STORY = "The Zanzibarine swings are broken and the gate will not close properly"


async def test_forget_leaves_no_word_file_id_point_or_photo_anywhere_in_the_database(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Words, an exact point, a voice note and a photo, then /forget: nothing of any of
    them in any table or in the file."""
    from tests.conftest import stored_bytes
    from tests.e2e.test_places import at_place, finish
    from tests.e2e.test_places import press as press_place
    from tests.e2e.test_privacy import everything_in

    fay = emu.person("Fay")
    await at_place(fay, SECRET_STORY)
    await fay.send_location(52.41092, -1.50753)
    await fay.next_message()
    await fay.press(texts.PLACE_EXACT)
    await fay.wait_for(lambda msgs: texts.PLACE_EXACT not in str(msgs[-1].buttons))
    await fay.send_voice(b"OggS-secret-voice", duration=4)
    await fay.next_message()
    await fay.send_photo(gps_photo("green"))
    await fay.next_message()
    ((file_id,),) = stored(db_path, "SELECT file_id FROM media WHERE kind = 'voice'")
    ((photo,),) = stored(db_path, "SELECT data FROM media WHERE kind = 'photo'")
    assert photo
    await finish(fay)
    await fay.send("/forget")
    await fay.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    assert texts.FORGET_DONE in await press_place(fay, texts.FORGET_ALL)
    dump = everything_in(db_path)
    raw = stored_bytes(db_path)
    for secret in ("Zanzibarine", "52.41092", "1.50753", "52.411", str(file_id)):
        assert secret not in dump, secret
        assert secret.encode() not in raw, secret
    assert bytes(photo)[200:260] not in raw  # type: ignore[arg-type]

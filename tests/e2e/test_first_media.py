"""A newcomer whose first message is not words (a voice note, a photo, a sticker): the
language question first where there is a choice, then the consent question, whatever the
voice note."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from tests.e2e.test_citizen import press, say
from tests.e2e.test_languages import World
from tests.e2e.test_languages import welsh as welsh  # the fixture
from tests.e2e.test_media import WORDS, gps_photo
from tests.e2e.test_media_attacks import album, photo_fields, post
from tests.e2e.test_moderation import Team
from tests.e2e.test_moderation import team as team  # the fixture


def _language_question(buttons: list[list[str]]) -> bool:
    return any("Cymraeg" in row or "English" in row for row in buttons)


async def test_a_first_voice_note_is_answered_with_the_language_question(
    welsh: World, emu: Emulator, db_path: Path
) -> None:
    """A Welsh-first deployment offering English; Gwen's first message is a voice note: the
    language question first, then consent; her report then goes on without it again."""
    gwen = emu.person("Gwen", language_code="cy")
    await gwen.send_voice(b"OggS-voice", duration=5)
    first = await gwen.next_message()
    assert _language_question(first.buttons), first.text
    await press(gwen, "English")
    consent = gwen.messages[-1]
    assert "Is that OK with you?" in (consent.text or ""), consent.text
    await press(gwen, consent.buttons[0][0])
    await press(gwen, "Central Library")
    reply = await say(gwen, WORDS)
    assert not _language_question(gwen.messages[-1].buttons), reply


async def test_a_first_album_asks_the_language_once(welsh: World, emu: Emulator) -> None:
    """An album of three photos as a first message: one language question."""
    gwen = emu.person("Gwen", language_code="cy")
    album(gwen, 3, "first-album")
    # Asked a couple of seconds after its last photo (its words could be on a later one).
    await gwen.wait_for(lambda msgs: any(_language_question(m.buttons) for m in msgs))
    await emu.idle(quiet=0.5, timeout=15)
    asked = [m for m in gwen.messages if _language_question(m.buttons)]
    assert len(asked) == 1, [m.text for m in gwen.messages]


async def test_a_first_album_with_words_on_its_first_photo_asks_the_language_once(
    welsh: World, emu: Emulator
) -> None:
    """An album whose words are on its first photo (as Telegram's apps write them) as a
    first message: one language question, not one for the words and one for the next photo."""
    gwen = emu.person("Gwen", language_code="cy")
    for n, colour in enumerate(("red", "blue", "green")):
        fields = photo_fields(gwen, gps_photo(colour))
        if n == 0:
            fields["caption"] = WORDS
        post(gwen, {**fields, "media_group_id": "first-words"})
    await gwen.wait_for(lambda msgs: any(_language_question(m.buttons) for m in msgs))
    await emu.idle(quiet=0.5, timeout=15)
    asked = [m for m in gwen.messages if _language_question(m.buttons)]
    assert len(asked) == 1, [m.text for m in gwen.messages]
    # Chosen, the words carry on to the consent question.
    await press(gwen, "English")
    assert "Is that OK with you?" in (gwen.messages[-1].text or "")


async def test_a_first_album_with_words_on_a_later_photo_asks_the_language_once(
    welsh: World, emu: Emulator
) -> None:
    """An album whose words are on its last photo (as Telegram's apps write a group of
    files' words) as a first message: one language question, in reply to the words (they
    ride on it), not one for the first photo and another for the words."""
    gwen = emu.person("Gwen", language_code="cy")
    sent = []
    for n, colour in enumerate(("red", "blue", "green")):
        fields = photo_fields(gwen, gps_photo(colour))
        if n == 2:
            fields["caption"] = WORDS
        sent.append(post(gwen, {**fields, "media_group_id": "later-words"}))
    await gwen.wait_for(lambda msgs: any(_language_question(m.buttons) for m in msgs))
    # A question still to come for the album's photos would come now.
    queue = welsh.bot.application.job_queue
    assert queue is not None
    for job in queue.jobs():
        if (job.name or "").startswith("language:"):
            await job.run(welsh.bot.application)
    await emu.idle(quiet=0.5, timeout=15)
    asked = [m for m in gwen.messages if _language_question(m.buttons)]
    assert len(asked) == 1, [m.text for m in gwen.messages]
    assert asked[0].reply_to == sent[2]["message_id"]
    # Chosen, the words carry on to the consent question.
    await press(gwen, "English")
    assert "Is that OK with you?" in (gwen.messages[-1].text or "")


async def test_a_long_voice_note_as_a_first_message_asks_to_agree(
    team: Team, db_path: Path
) -> None:
    """A newcomer's first message is a 4-minute voice note: the consent question, as for a
    short one (not "too long... nothing you wrote before is lost")."""
    citizen = team.citizen
    await citizen.send_voice(b"OggS-voice", duration=240)
    said = await citizen.next_message()
    assert "Is that OK with you?" in (said.text or ""), said.text

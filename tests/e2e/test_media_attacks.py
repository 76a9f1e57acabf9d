"""Citizens sending voice notes, photos and places, as careful, careless or hostile people
do, and the moderators and providers who then see them (issue 17), through the emulator."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PIL import Image, PngImagePlugin

from bot.config import Deployment
from bot.digest_content import Period, build_csv
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage.services import ServiceRow
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, last_has, press_on, while_progressing
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import SERVICE, TRANSCRIPT, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of, invite, press_card
from tests.e2e.test_moderation import team as team
from tests.e2e.test_responses import (
    CHANGED,
    WEDNESDAY,
    World,
    answer_item,
    notice_of,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture

PARK_WORDS = "The swings are broken and the gate will not close properly"


def post(person: Person, fields: dict[str, Any]) -> dict[str, Any]:
    """A message of any shape in her private chat, as Telegram would deliver it."""
    return person._post(person.chat, fields)


def photo_fields(person: Person, data: bytes) -> dict[str, Any]:
    small = {**person._media(data, "photo"), "width": 90, "height": 68}
    large = {**person._media(data, "photo"), "width": 800, "height": 600}
    return {"photo": [small, large]}


def png_with_secrets() -> bytes:
    """A PNG carrying text chunks (a comment with an address) and an EXIF block with GPS."""
    image = Image.new("RGB", (40, 30), "green")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Acacia Avenue")
    exif = Image.Exif()
    exif[0x010F] = "HomeCam"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def bare(data: bytes) -> None:
    """Bytes someone received: a JPEG with no EXIF, GPS, comment or camera left in it."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not set(image.info) & {"exif", "comment", "icc_profile", "xmp", "Comment"}
    for secret in (b"HomeCam", b"Acacia", b"Exif"):
        assert secret not in data


# -- photos ---------------------------------------------------------------------------------


async def test_an_image_sent_as_a_file_with_words_keeps_the_words(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    said = await reply_to(
        citizen, citizen.send_document(gps_photo(), "roof.jpg", "image/jpeg", caption=WORDS)
    )
    # How to send a photo, and the words taken all the same: the rating comes next.
    assert "as a photo rather than as a file" in said
    assert "How would you rate it" in said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_an_album_of_four_with_a_caption_keeps_the_words_and_three_photos(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    before = len(citizen.messages)
    # Sent at once, as an album: four messages of one media group, the caption on the first.
    for n in range(4):
        fields = {**photo_fields(citizen, gps_photo(("red", "blue", "green", "white")[n]))}
        fields["media_group_id"] = "13579"
        if n == 0:
            fields["caption"] = WORDS
        post(citizen, fields)
    replies = await citizen.wait_for(lambda msgs: len(msgs) >= before + 4)
    said = [m.text or "" for m in replies[before:]]
    assert sum("How would you rate it" in s for s in said) >= 1
    assert sum("up to 3 photos" in s for s in said) == 1, said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(3,)]
    card = await card_of(team.group, item)
    assert "3 photos below" in (card.text or "")
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 3)


async def test_a_photo_whose_caption_is_too_long_is_kept_without_the_words(
    team: Team, db_path: Path
) -> None:
    """Telegram's apps cap a caption at 1,024 characters; another client may send more. The
    photo is kept, the words are not, and the answer never says they were."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate" in await say(citizen, WORDS)
    caption = "Also the lift is broken. " * 200
    said = await reply_to(citizen, citizen.send_photo(gps_photo(), caption=caption))
    assert said.startswith(texts.MEDIA_NOTES["photo_added"].format(1)), said
    assert texts.TOO_LONG_MESSAGE.strip() in said
    assert "kept your words" not in said
    assert stored(db_path, "SELECT text FROM conversations") == [(WORDS,)]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(1,)]


async def test_every_copy_of_a_photo_anyone_receives_is_bare(team: Team, db_path: Path) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    # A PNG with a comment and EXIF (Telegram passes a photo's file through as sent).
    assert "(2 of 3)" in await reply_to(citizen, citizen.send_photo(png_with_secrets()))
    item = await saved(citizen)
    for (data,) in stored(db_path, f"SELECT data FROM media WHERE feedback_id = {item}"):
        bare(bytes(data))  # type: ignore[arg-type]
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 2)
    # What the moderators' chat holds.
    for message in under(team, card, "photo"):
        assert message.photo is not None
        bare(message.photo)
        await press_card(team.sam, team.group, message, texts.PHOTO_APPROVE)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    # What the provider receives.
    for (number,) in stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item}"):
        await team.pat.send(f"/photo {number}")
        sent = await team.pat.next_message()
        assert sent.photo is not None
        bare(sent.photo)


async def test_a_tiny_photo_is_kept_and_a_pixel_bomb_is_refused_kindly(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    tiny = io.BytesIO()
    Image.new("RGB", (1, 1), "red").save(tiny, "JPEG")
    assert "(1 of 3)" in await reply_to(citizen, citizen.send_photo(tiny.getvalue()))
    # A PNG of 60 million pixels in a few kilobytes: refused before decoding.
    bomb = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 200_000
    said = await reply_to(citizen, citizen.send_photo(bomb.getvalue()))
    assert said == texts.MEDIA_NOTES["unreadable"]
    item = await saved(citizen)
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(1,)]
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]


async def test_providers_see_approved_photos_of_published_items_of_their_services_only(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 2)
    first, second = under(team, card, "photo")
    kept, refused = (
        r[0]
        for r in stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item} ORDER BY id")
    )
    # Not moderators: the photo buttons do nothing for the citizen, nor for the provider.
    for outsider in (citizen, team.pat):
        forged = await outsider.press_data(first.message_id, f"y:{kept}:a")
        assert (await forged.answered()).get("text") == texts.NOT_ALLOWED_BUTTON
    assert stored(db_path, f"SELECT status FROM media WHERE id = {kept}") == [("pending",)]
    # A moderator, but the other photo's data under this one: its caption would say the
    # wrong photo, and the other's would never change.
    forged = await team.sam.press_data(first.message_id, f"y:{refused}:r")
    await forged.answered()
    assert stored(db_path, f"SELECT status FROM media WHERE id = {refused}") == [("pending",)]
    await press_card(team.sam, team.group, first, texts.PHOTO_APPROVE)
    await press_card(team.sam, team.group, second, texts.PHOTO_REJECT)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    # The kept-back photo is nowhere for the provider: not by number, not on /respond.
    assert "no approved photo" in await say(team.pat, f"/photo {refused}")
    assert f"/photo {kept}" in await say(team.pat, f"/respond {item}")
    assert f"/photo {refused}" not in (team.pat.last.text or "")
    await say(team.pat, "/cancel")
    # The digest's CSV links the approved photo only.
    exported = await build_csv(
        team.bot.db,
        services=[ServiceRow("library", "Central Library", "", "culture-leisure")],
        period=Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)),
        labels={},
        timezone="Europe/London",
    )
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert [r["photos"] for r in rows if r["item"] == str(item)] == [f"/photo {kept}"]
    # A provider of another service: nothing, and nothing said about whose it is.
    bins = emu.person("Bo")
    assert "provider" in await invite(team.admin, bins, "provider environment-transport")
    assert "no approved photo" in await say(bins, f"/photo {kept}")
    # Unpublished later: the approved photo goes back out of reach too.
    assert str(item) in await say(team.sam, f"/unpublish {item} a face shows in the photo")
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") != [("approved",)]
    assert "no approved photo" in await say(team.pat, f"/photo {kept}")


# -- voice notes ----------------------------------------------------------------------------


async def test_a_forwarded_voice_note_is_not_taken_as_feedback(team: Team, db_path: Path) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    someone = {"type": "hidden_user", "date": 1, "sender_user_name": "A neighbour"}
    voice = {**citizen._media(b"OggS-voice", "voice", None, "audio/ogg"), "duration": 5}
    post(citizen, {"voice": voice, "forward_origin": someone})
    said = (await citizen.next_message()).text or ""
    assert "forward" in said.lower()
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    # The conversation waits where it was: the words still to come.
    assert "How would you rate it" in await say(citizen, WORDS)


async def test_a_second_voice_note_and_a_long_one_keep_the_first(team: Team, db_path: Path) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    said = await reply_to(citizen, citizen.send_voice(b"OggS-first", duration=12))
    assert said.startswith(texts.VOICE_KEPT) and "How would you rate it" in said
    assert (
        await reply_to(citizen, citizen.send_voice(b"OggS-second", duration=5))
        == (texts.MEDIA_NOTES["voice_once"])
    )
    said = await reply_to(citizen, citizen.send_voice(b"OggS-long", duration=181))
    assert "(180 seconds at most)" in said
    # Typed words join the voice note.
    added = await say(citizen, "And the heating in the reading room is broken as well.")
    assert "How would you rate it" in added
    item = await saved(citizen)
    assert stored(
        db_path, f"SELECT kind, duration FROM media WHERE feedback_id = {item} ORDER BY id"
    ) == [("voice", 12)]
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [
        ("And the heating in the reading room is broken as well.",)
    ]
    card = await card_of(team.group, item)
    assert "Voice note (12 s)" in (card.text or "")
    await team.group.wait_for(lambda _: len(under(team, card, "voice")) == 1)


async def test_a_voice_note_is_forgotten_from_the_moderators_chat(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "voice"))
    (voice,) = under(team, card, "voice")
    await citizen.send("/forget")
    # The saved message has a button too (its themes): the question's are awaited.
    await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    await press(citizen, texts.FORGET_ALL)
    await team.group.wait_for(lambda _: voice.deleted and card.deleted, timeout=15)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_retention_takes_the_photos_out_of_the_moderators_chat_too(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "photo"))
    (photo,) = under(team, card, "photo")
    clock.advance(days=91)
    app = team.bot.application
    # The daily retention job, as the job queue runs it.
    await team.bot.handlers.privacy.retention(SimpleNamespace(bot=app.bot, application=app))  # type: ignore[arg-type]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    await team.group.wait_for(lambda _: photo.deleted, timeout=15)
    assert not card.deleted


async def test_a_citizen_who_says_the_draft_is_wrong_types_the_words_instead(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam, citizen = (emu.person(n) for n in ("Ada", "Sam", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    engine = "sh -c 'echo \"The swings in Riverside Bark\"'"
    async with make_bot(deployment=staffed, YOUSAID_TRANSCRIBE=engine):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        await consent(citizen)
        await press(citizen, SERVICE)
        await citizen.send_voice(b"OggS-voice", duration=9)
        await citizen.wait_for(lambda msgs: any("I think you said" in (m.text or "") for m in msgs))
        assert "moderators will listen" in await press(citizen, texts.TRANSCRIPT_NO)
        assert "How would you rate it" in await say(citizen, TRANSCRIPT)
        item = await saved(citizen)
        assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(TRANSCRIPT,)]
        card = await card_of(group, item)
        assert "Riverside Bark" not in (card.text or "")


async def test_a_failing_or_slow_engine_delays_nobody_and_loses_nothing(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    # An engine that waits until the test opens the gate, then fails.
    engine = f"sh -c 'while [ ! -e {gate} ]; do sleep 0.05; done; exit 3'"
    citizen, other = emu.person("Cy"), emu.person("Di")
    async with make_bot(YOUSAID_TRANSCRIBE=engine, YOUSAID_TRANSCRIBE_SECONDS=30):
        await consent(citizen)
        await press(citizen, SERVICE)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=9))
        assert said.startswith(texts.VOICE_KEPT)
        # While the engine runs, others are answered, and so is she: her item is saved.
        await consent(other)
        assert "What happened" in await press(other, SERVICE)
        item = await saved(citizen)
        gate.touch()
        assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [("",)]
        assert not any("I think you said" in (m.text or "") for m in citizen.messages)
        assert stored(db_path, f"SELECT transcript FROM media WHERE feedback_id = {item}") == [
            (None,)
        ]


async def test_a_voice_note_telegram_fails_to_hand_over_is_left_to_the_moderators(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    citizen = emu.person("Cy")
    async with make_bot(YOUSAID_TRANSCRIBE=f"sh -c 'echo \"{TRANSCRIPT}\"'"):
        await consent(citizen)
        await press(citizen, SERVICE)
        emu.faults.server_error("getFile", status=500, times=1)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=9))
        assert said.startswith(texts.VOICE_KEPT)
        item = await saved(citizen)
        assert stored(
            db_path, f"SELECT kind, transcript FROM media WHERE feedback_id = {item}"
        ) == [("voice", None)]


# -- places ---------------------------------------------------------------------------------


async def at_park(person: Person) -> str:
    await say(person, "/start s_parks")
    await press(person, texts.CONSENT_YES)
    return await say(person, PARK_WORDS)


async def test_a_venue_near_a_site_is_that_site_and_one_far_away_is_refused(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    citizen = team.citizen
    asked = await at_park(citizen)
    assert texts.PLACE_ASK.split("{")[0] in asked
    point = {"latitude": 51.5072, "longitude": -0.1276}
    venue = {"location": point, "title": "Trafalgar Square", "address": "London"}
    post(citizen, {"location": point, "venue": venue})
    said = (await citizen.next_message()).text or ""
    assert said.startswith(texts.MEDIA_NOTES["place_outside"])
    near = {"latitude": 52.41092, "longitude": -1.50753}
    venue = {"location": near, "title": "Riverside Park café", "address": "Riverside"}
    post(citizen, {"location": near, "venue": venue})
    said = (await citizen.next_message()).text or ""
    assert "Riverside Park" in said and "How would you rate it" in said
    rows = stored(db_path, "SELECT site, latitude, exact FROM places")
    assert len(rows) == 1 and rows[0][0] == "Riverside Park" and rows[0][2] == 0
    assert rows[0][1] != 52.41092


async def test_a_live_location_is_kept_to_about_100_m_and_never_shown_exactly(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    citizen = team.citizen
    await at_park(citizen)
    live = {"latitude": 52.40312, "longitude": -1.51718, "live_period": 900, "heading": 90}
    post(citizen, {"location": live})
    said = (await citizen.next_message()).text or ""
    assert "Mill Lane play area" in said
    await press(citizen, texts.SKIP)
    await press(citizen, texts.NO)
    done = await press(citizen, texts.NO)
    item = int(done.split("#", 1)[1].split()[0])
    card = await card_of(team.group, item)
    assert "52.40312" not in json.dumps([m.__dict__ for m in team.group.messages], default=str)
    assert "Mill Lane play area" in (card.text or "")
    (lat,) = stored(db_path, "SELECT latitude FROM places")[0]
    assert abs(float(lat) - 52.403) < 1e-9  # type: ignore[arg-type]


async def nothing_left_to_clean(db_path: Path) -> None:
    """Wait until the bot has taken back (or given up on) every message it queued."""
    left = lambda: stored(db_path, "SELECT chat_id, message_id, error FROM messages_to_clean")  # noqa: E731
    await while_progressing(lambda: not left(), left, stall=10)


def age(team: Team, days: int) -> None:
    """Everything in the moderators' chat was sent `days` ago (too old for Telegram to let
    the bot delete it: 48 hours)."""
    for message in team.group.chat.messages.values():
        message["date"] -= days * 86400


async def test_forget_after_two_days_takes_the_photo_and_voice_note_out_of_reach(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    await reply_to(citizen, citizen.send_photo(gps_photo()))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "photo") and under(team, card, "voice"))
    ((photo,), (voice,)) = under(team, card, "photo"), under(team, card, "voice")
    age(team, 3)
    await citizen.send("/forget")
    # The saved message has a button too (its themes): the question's are awaited.
    await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    await press(citizen, texts.FORGET_ALL)
    # Too old to delete: each says it was removed, and the photo's buttons are gone.
    await team.group.wait_for(
        lambda _: (
            texts.REMOVED_BY_AUTHOR in (photo.text or "")
            and texts.REMOVED_BY_AUTHOR in (voice.text or "")
            and texts.REMOVED_BY_AUTHOR in (card.text or "")
        ),
        timeout=15,
    )
    assert photo.buttons == [] and card.buttons == []
    await nothing_left_to_clean(db_path)


async def test_retention_after_two_days_says_the_photo_expired(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "photo"))
    (photo,) = under(team, card, "photo")
    age(team, 91)
    clock.advance(days=91)
    app = team.bot.application
    await team.bot.handlers.privacy.retention(SimpleNamespace(bot=app.bot, application=app))  # type: ignore[arg-type]
    await team.group.wait_for(lambda _: texts.MEDIA_REMOVED_EXPIRED in (photo.text or ""))
    assert photo.buttons == []
    await nothing_left_to_clean(db_path)
    # The card and the item stay.
    assert WORDS.split()[1] in (card.text or "")


async def staffed_bot(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, **extra: object
) -> tuple[Any, Person, Person, Any]:
    admin, sam = emu.person("Ada"), emu.person("Sam")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    return make_bot(deployment=staffed, **extra), admin, sam, group


async def test_a_draft_the_citizen_ignored_or_refused_is_not_called_confirmed(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    engine = "sh -c 'echo \"The swings in Riverside Bark\"'"
    bot, admin, sam, group = await staffed_bot(make_bot, emu, deployment, YOUSAID_TRANSCRIBE=engine)
    async with bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        items = []
        for name, answer in (("Cy", texts.TRANSCRIPT_NO), ("Di", None)):
            citizen = emu.person(name)
            await consent(citizen)
            await press(citizen, SERVICE)
            await citizen.send_voice(b"OggS-voice", duration=9)
            await citizen.wait_for(
                lambda msgs: any("I think you said" in (m.text or "") for m in msgs)
            )
            if answer is not None:
                assert "moderators will listen" in await press(citizen, answer)
            # Her own words instead of the draft.
            assert "How would you rate it" in await say(citizen, TRANSCRIPT)
            items.append(await saved(citizen))
        for item in items:
            assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [
                (TRANSCRIPT,)
            ]
            card = await card_of(group, item)
            assert "draft transcript the author confirmed" not in (card.text or ""), card.text
        # A draft she said was wrong is not kept.
        assert stored(db_path, f"SELECT transcript FROM media WHERE feedback_id = {items[0]}") == [
            (None,)
        ]


async def test_a_draft_ready_after_the_item_was_saved_is_not_offered(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    engine = f"sh -c 'while [ ! -e {gate} ]; do sleep 0.05; done; echo \"{TRANSCRIPT}\"'"
    citizen = emu.person("Cy")
    async with make_bot(YOUSAID_TRANSCRIBE=engine, YOUSAID_TRANSCRIBE_SECONDS=30) as bot:
        pictures = bot.handlers.media
        assert pictures is not None
        done = asyncio.Event()
        original = pictures._transcribe

        async def transcribe(*args: Any) -> None:
            try:
                await original(*args)
            finally:
                done.set()

        pictures._transcribe = transcribe  # type: ignore[method-assign]
        await consent(citizen)
        await press(citizen, SERVICE)
        await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=9))
        assert "How would you rate it" in await say(citizen, WORDS)
        item = await saved(citizen)
        gate.touch()
        await asyncio.wait_for(done.wait(), 30)
        assert not any("I think you said" in (m.text or "") for m in citizen.messages)
        assert stored(db_path, f"SELECT transcript FROM media WHERE feedback_id = {item}") == [
            (None,)
        ]


async def test_a_draft_confirmed_after_typed_words_joins_them(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    engine = f"sh -c 'echo \"{TRANSCRIPT}\"'"
    bot, admin, sam, group = await staffed_bot(make_bot, emu, deployment, YOUSAID_TRANSCRIBE=engine)
    async with bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        citizen = emu.person("Cy")
        await consent(citizen)
        await press(citizen, SERVICE)
        assert "How would you rate it" in await say(citizen, WORDS)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=9))
        assert said.startswith(texts.VOICE_ADDED)
        await citizen.wait_for(lambda msgs: any("I think you said" in (m.text or "") for m in msgs))
        # She is told the words go with her voice note: so they do, after what she typed.
        assert "those words go with your voice note" in await press(citizen, texts.TRANSCRIPT_YES)
        item = await saved(citizen)
        assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [
            (f"{WORDS}\n{TRANSCRIPT}",)
        ]
        card = await card_of(group, item)
        assert "draft transcript the author confirmed" in (card.text or "")
        assert TRANSCRIPT in (card.text or "")


async def test_a_captioned_photo_at_a_side_prompt_keeps_the_comment_and_says_why_not_the_photo(
    bot: Any, emu: Emulator, db_path: Path
) -> None:
    from tests.e2e.test_side_prompts import not_really

    cal = emu.person("Cal")
    await not_really(bot, cal)
    comment = "The queue is still long on Saturdays, nothing has changed at all."
    seen = len(cal.messages)
    await cal.send_photo(gps_photo(), caption=comment)
    said = (await cal.wait_for(lambda msgs: len(msgs) > seen))[-1].text or ""
    # The words are the comment; the photo is not kept, and she is told why (not asked to
    # write first: she just did).
    assert said.startswith(texts.MEDIA_NOTES["side_prompt_caption"]), said
    assert "Your comment is saved" in said
    assert stored(db_path, "SELECT text FROM feedback WHERE response_id IS NOT NULL") == [
        (comment,)
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_an_album_with_nothing_being_told_starts_an_item_with_its_photos(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await say(citizen, "/cancel")
    before = len(citizen.messages)
    for n in range(3):
        fields = photo_fields(citizen, gps_photo(("red", "blue", "green")[n]))
        fields["media_group_id"] = "24680"
        if n == 0:
            fields["caption"] = WORDS
        post(citizen, fields)
    replies = await citizen.wait_for(lambda msgs: len(msgs) >= before + 3)
    said = [m.text or "" for m in replies[before:]]
    assert not any("write what it's about first" in s for s in said), said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(3,)]


async def test_cancel_drops_the_photos_and_voice_note_of_the_item_being_told(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=4))
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(2,)]
    await say(citizen, "/cancel")
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]


async def test_voice_notes_from_many_people_are_transcribed_one_at_a_time(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, tmp_path: Path
) -> None:
    running, most = tmp_path / "running", tmp_path / "most"
    running.mkdir()
    # A heavy engine (a local model takes the machine's cores): it notes how many copies of
    # it run at once, works a little, and prints its words.
    engine = (
        f"sh -c 'touch {running}/$$; ls {running} | wc -l >> {most}; sleep 0.3;"
        f' rm {running}/$$; echo "{TRANSCRIPT}"\''
    )
    people = [emu.person(name) for name in ("Cy", "Di", "Ed")]
    async with make_bot(YOUSAID_TRANSCRIBE=engine):
        for person in people:
            await consent(person)
            await press(person, SERVICE)
        for person in people:
            await person.send_voice(b"OggS-voice", duration=9)
        for person in people:
            await person.wait_for(
                lambda msgs: any("I think you said" in (m.text or "") for m in msgs), timeout=20
            )
    counts = [int(line) for line in most.read_text().split()]
    assert len(counts) == 3 and max(counts) == 1, counts


async def test_a_voice_note_bigger_than_bots_may_fetch_still_reaches_the_moderators(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    # Within the length allowed, over the 20 MB getFile limit: the bot never needs to fetch
    # it (moderators play it from Telegram), so it is not refused.
    big = b"OggS" + b"\0" * (20 * 1024 * 1024 + 1)
    said = await reply_to(citizen, citizen.send_voice(big, duration=170))
    assert said.startswith(texts.VOICE_KEPT), said
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "voice"))
    assert stored(
        db_path, f"SELECT kind, duration FROM media WHERE feedback_id = {item} ORDER BY id"
    ) == [("voice", 170)]


async def test_a_photo_telegram_fails_to_take_once_still_reaches_the_card(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=5))
    # Telegram answers 502 once to each: the moderators still get both under the card.
    emu.faults.server_error("sendPhoto", status=502, times=1)
    emu.faults.server_error("sendVoice", status=502, times=1)
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(
        lambda _: len(under(team, card, "photo")) == 1 and len(under(team, card, "voice")) == 1,
        timeout=20,
    )


async def test_a_photo_whose_file_has_no_path_is_answered_kindly_and_the_next_is_kept(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    # getFile's file_path is optional: a server may leave it out, and nothing can be fetched.
    emu.file_paths = False
    said = await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert said == texts.MEDIA_NOTES["not_fetched"]
    emu.file_paths = True
    said = await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    assert said.startswith("📷")
    item = await saved(citizen)
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(1,)]


async def test_a_photo_whose_sizes_come_largest_first_is_kept_at_its_largest(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    shots = {}
    for side in (90, 800):
        out = io.BytesIO()
        Image.new("RGB", (side, side * 3 // 4), "red").save(out, "JPEG")
        shots[side] = out.getvalue()
    large = {**citizen._media(shots[800], "photo"), "width": 800, "height": 600}
    small = {**citizen._media(shots[90], "photo"), "width": 90, "height": 67}
    # The order Telegram uses is smallest first; a server sending them the other way round
    # must not leave the moderators a thumbnail.
    post(citizen, {"photo": [large, small]})
    assert ((await citizen.next_message()).text or "").startswith("📷")
    item = await saved(citizen)
    [(data,)] = stored(db_path, f"SELECT data FROM media WHERE feedback_id = {item}")
    assert Image.open(io.BytesIO(data)).size == (800, 600)


async def test_a_voice_note_the_group_refuses_is_said_to_be_missing_under_its_card(
    team: Team, emu: Emulator
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=6))
    # A group whose members may not send voice notes refuses the bot's too.
    refused = "Bad Request: not enough rights to send voice notes to the chat"
    emu.faults.error("sendVoice", chat_id=team.group.id, description=refused)
    item = await saved(citizen)
    card = await card_of(team.group, item)

    def notes(msgs: list[MessageView]) -> list[MessageView]:
        return [m for m in msgs if m.reply_to == card.message_id and m.text]

    [note] = notes(await team.group.wait_for(notes))
    assert f"#{item}" in (note.text or "") and "not enough rights" in (note.text or "").lower()
    assert not under(team, card, "voice")


async def test_the_auto_approve_rule_leaves_voice_notes_to_a_moderator(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    praise = "The staff at the library were wonderful and so helpful, thank you all very much."
    engine = f"sh -c 'echo \"{praise}\"'"
    rules = deployment.moderation.model_copy(update={"auto_approve_compliments": True})
    admin, sam = emu.person("Ada"), emu.person("Sam")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": group.id, "moderation": rules}
    )
    async with make_bot(deployment=staffed, YOUSAID_TRANSCRIBE=engine):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        # Typed, the compliment is published by the rule (the deployment chose so).
        typed = emu.person("Ty")
        await consent(typed)
        await press(typed, SERVICE)
        await say(typed, praise)
        typed_item = await saved(typed, rating="5")
        # Spoken, its words are a machine's draft: a moderator checks them against the audio.
        spoken = emu.person("Cy")
        await consent(spoken)
        await press(spoken, SERVICE)
        await spoken.send_voice(b"OggS-voice", duration=9)
        await spoken.wait_for(lambda msgs: any("I think you said" in (m.text or "") for m in msgs))
        await press(spoken, texts.TRANSCRIPT_YES)
        spoken_item = await saved(spoken, rating="5")
        # Spoken, nothing written down yet (the draft refused): nothing to publish at all.
        silent = emu.person("Di")
        await consent(silent)
        await press(silent, SERVICE)
        await silent.send_voice(b"OggS-voice", duration=9)
        await silent.wait_for(lambda msgs: any("I think you said" in (m.text or "") for m in msgs))
        await press(silent, texts.TRANSCRIPT_NO)
        silent_item = await saved(silent, rating="5")
        await card_of(group, silent_item)
        card = await card_of(group, spoken_item)
        await group.wait_for(
            lambda msgs: any(m.voice and m.reply_to == card.message_id for m in msgs)
        )
        await card_of(group, typed_item)
        statuses = dict(stored(db_path, "SELECT id, status FROM feedback"))
        assert statuses[typed_item] == "approved", statuses
        assert statuses[spoken_item] == "pending", statuses
        assert statuses[silent_item] == "pending", statuses
        held = stored(db_path, "SELECT subject FROM audit WHERE action = 'item.held'")
        assert (f"item:{spoken_item}",) in held


async def test_photos_of_an_auto_approved_compliment_still_reach_the_moderators(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    praise = "The staff at the library were wonderful and so helpful, thank you all very much."
    rules = deployment.moderation.model_copy(update={"auto_approve_compliments": True})
    admin, sam = emu.person("Ada"), emu.person("Sam")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": group.id, "moderation": rules}
    )
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        citizen = emu.person("Ty")
        await consent(citizen)
        await press(citizen, SERVICE)
        await reply_to(citizen, citizen.send_photo(gps_photo(), caption=praise))
        item = await saved(citizen, rating="5")
        card = await card_of(group, item)
        photos = await group.wait_for(
            lambda msgs: any(m.photo and m.reply_to == card.message_id for m in msgs)
        )
        photo = next(m for m in photos if m.photo and m.reply_to == card.message_id)
        assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]
        # Published by the rule, its photo still waits for a person.
        await press_card(sam, group, photo, texts.PHOTO_APPROVE)
        await group.wait_for(lambda _: "approved by \u2068Sam\u2069" in (photo.text or ""))


async def test_a_speech_to_text_command_that_cannot_run_stops_the_bot_at_start(
    emu: Emulator, tmp_path: Path
) -> None:
    from tests.e2e.test_run import base_env, run_bot

    for command, why in (
        ("whisper-cli --model '/opt/models/base.bin", "cannot be read as a command"),
        ("no-such-speech-to-text --fast", "'no-such-speech-to-text' is not a program"),
    ):
        env = {**base_env(emu.api_url, tmp_path), "YOUSAID_TRANSCRIBE": command}
        process = await run_bot(env, tmp_path)
        _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 2, err.decode()
        line = err.decode().strip()
        assert line.startswith("yousaid: YOUSAID_TRANSCRIBE is not valid") and why in line, line
        assert "\n" not in line and "Traceback" not in line


async def test_a_voice_note_whose_item_was_saved_while_waiting_its_turn_is_not_transcribed(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, tmp_path: Path
) -> None:
    gate, runs = tmp_path / "gate", tmp_path / "runs"
    engine = (
        f"sh -c 'echo run >> {runs}; while [ ! -e {gate} ]; do sleep 0.05; done;"
        f' echo "{TRANSCRIPT}"\''
    )
    first, second = emu.person("Cy"), emu.person("Di")
    async with make_bot(YOUSAID_TRANSCRIBE=engine, YOUSAID_TRANSCRIBE_SECONDS=30) as bot:
        pictures = bot.handlers.media
        assert pictures is not None
        finished: list[int] = []
        original = pictures._transcribe

        async def transcribe(telegram_id: int, *rest: Any) -> None:
            try:
                await original(telegram_id, *rest)
            finally:
                finished.append(telegram_id)

        pictures._transcribe = transcribe  # type: ignore[method-assign]
        for person in (first, second):
            await consent(person)
            await press(person, SERVICE)
        await reply_to(first, first.send_voice(b"OggS-voice", duration=9))
        await while_progressing(lambda: runs.exists(), lambda: len(first.messages))
        # Her voice note waits behind his; she finishes her item meanwhile.
        await reply_to(second, second.send_voice(b"OggS-voice", duration=9))
        await saved(second)
        gate.touch()
        await first.wait_for(lambda msgs: any("I think you said" in (m.text or "") for m in msgs))
        await while_progressing(lambda: len(finished) == 2, lambda: len(finished))
    assert runs.read_text().split() == ["run"]
    assert not any("I think you said" in (m.text or "") for m in second.messages)


async def test_an_image_file_with_words_before_consent_carries_the_words_to_the_consent(
    team: Team, db_path: Path
) -> None:
    newcomer = team.citizen
    said = await reply_to(
        newcomer, newcomer.send_document(gps_photo(), "roof.jpg", "image/jpeg", caption=WORDS)
    )
    assert "as a photo rather than as a file" in said and "Is that OK with you?" in said
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    # Agreeing carries the words on: the service is asked next, the words kept.
    await press(newcomer, texts.CONSENT_YES)
    await newcomer.wait_for(lambda msgs: "Which service" in (msgs[-1].text or ""))
    await press(newcomer, SERVICE)
    item = await saved(newcomer)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]


async def test_the_audio_leaves_the_moderators_chat_once_its_approval_is_final(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    await reply_to(citizen, citizen.send_photo(gps_photo()))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "voice") and under(team, card, "photo"))
    ((voice,), (photo,)) = under(team, card, "voice"), under(team, card, "photo")
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    await team.sam.send(TRANSCRIPT, chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "Riverside Park" in (card.text or ""))
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    # While it can be undone the audio stays, to be listened to again.
    app = team.bot.application
    context = SimpleNamespace(bot=app.bot, application=app)
    await team.bot.handlers.moderator.close_undo(context)  # type: ignore[arg-type]
    await team.bot.handlers.privacy.clean(context)  # type: ignore[arg-type]
    assert not voice.deleted
    # Undo has run out: the audio goes; the card and the photo (a provider may see it) stay.
    clock.advance(minutes=11)
    await team.bot.handlers.moderator.close_undo(context)  # type: ignore[arg-type]
    await team.bot.handlers.privacy.clean(context)  # type: ignore[arg-type]
    await team.group.wait_for(lambda _: voice.deleted)
    assert not card.deleted and not photo.deleted
    assert stored(
        db_path, f"SELECT file_id FROM media WHERE feedback_id = {item} AND kind = 'voice'"
    ) == [(None,)]


async def test_without_an_undo_window_the_audio_leaves_at_approval(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    rules = deployment.moderation.model_copy(update={"undo_minutes": 0})
    admin, sam, citizen = emu.person("Ada"), emu.person("Sam"), emu.person("Cy")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": group.id, "moderation": rules}
    )
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        await consent(citizen)
        await press(citizen, SERVICE)
        await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
        assert "How would you rate it" in await say(citizen, WORDS)
        item = await saved(citizen)
        card = await card_of(group, item)
        voices = await group.wait_for(
            lambda msgs: any(m.voice and m.reply_to == card.message_id for m in msgs)
        )
        voice = next(m for m in voices if m.voice and m.reply_to == card.message_id)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: voice.deleted, timeout=15)
        assert not card.deleted


async def test_a_caption_that_is_no_rating_keeps_the_photo_and_never_says_the_words_were_kept(
    team: Team,
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    # At the rating question, a caption that is no rating: the photo joins, the words do not.
    said = await reply_to(citizen, citizen.send_photo(gps_photo(), caption="6"))
    assert said.startswith(texts.MEDIA_NOTES["photo_added"].format(2)), said
    assert "I kept your words" not in said
    assert texts.NOT_A_RATING.strip() in said


async def test_a_caption_too_long_to_add_keeps_the_photo_and_never_says_the_words_were_kept(
    team: Team,
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, ("The lift by the east stairs is out of order again. " * 70)[:3500])
    # 1,000 more characters would take the text past Telegram's 4,096: not added.
    caption = ("And the ramp by the door is blocked by bins. " * 25)[:1000]
    said = await reply_to(citizen, citizen.send_photo(gps_photo(), caption=caption))
    assert said.startswith(texts.MEDIA_NOTES["photo_added"].format(1)), said
    assert "I kept your words" not in said
    assert "haven't added it" in said


async def test_a_merged_items_voice_note_leaves_the_moderators_chat(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A merge is final: the merged item's audio goes, as after an approval past its undo."""
    from tests.e2e.helpers import add_item

    bea, citizen = emu.person("Bea"), team.citizen
    a = await add_item(
        team.bot.db, bea.id, "library", "Rain comes through the library roof", datetime.now(UTC)
    )
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    await say(citizen, WORDS)
    if texts.METOO_DIFFERENT in [b for row in citizen.last.buttons for b in row]:
        await press(citizen, texts.METOO_DIFFERENT)
    b = await saved(citizen)
    card = await card_of(team.group, b)
    voices = await team.group.wait_for(
        lambda msgs: any(m.voice and m.reply_to == card.message_id for m in msgs)
    )
    voice = next(m for m in voices if m.voice and m.reply_to == card.message_id)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    app = team.bot.application
    await team.bot.handlers.privacy.clean(SimpleNamespace(bot=app.bot, application=app))  # type: ignore[arg-type]
    await team.group.wait_for(lambda _: voice.deleted)
    assert stored(
        db_path, f"SELECT file_id FROM media WHERE feedback_id = {b} AND kind = 'voice'"
    ) == [(None,)]


async def test_a_rejected_voice_notes_audio_leaves_too(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    rules = deployment.moderation.model_copy(update={"undo_minutes": 0})
    admin, sam, citizen = emu.person("Ada"), emu.person("Sam"), emu.person("Cy")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": group.id, "moderation": rules}
    )
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        await consent(citizen)
        await press(citizen, SERVICE)
        await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
        item = await saved(citizen)
        card = await card_of(group, item)
        voices = await group.wait_for(
            lambda msgs: any(m.voice and m.reply_to == card.message_id for m in msgs)
        )
        voice = next(m for m in voices if m.voice and m.reply_to == card.message_id)
        await press_card(sam, group, card, texts.REJECT)
        await group.wait_for(lambda _: card.buttons[0] == [texts.REASONS["abusive"]])
        await press_card(sam, group, card, texts.REASONS["off_topic"])
        await group.wait_for(lambda _: "Not published" in (card.text or ""))
        app = bot.application
        await bot.handlers.privacy.clean(SimpleNamespace(bot=app.bot, application=app))  # type: ignore[arg-type]
        await group.wait_for(lambda _: voice.deleted)
        assert not card.deleted
        assert stored(db_path, f"SELECT file_id FROM media WHERE feedback_id = {item}") == [(None,)]


async def test_a_merged_items_photos_go_with_the_item_it_was_merged_into(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    from tests.e2e.helpers import add_item

    bea, citizen = emu.person("Bea"), team.citizen
    a = await add_item(
        team.bot.db, bea.id, "library", "Rain comes through the library roof", datetime.now(UTC)
    )
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    if texts.METOO_DIFFERENT in [b for row in citizen.last.buttons for b in row]:
        await press(citizen, texts.METOO_DIFFERENT)
    b = await saved(citizen)
    card = await card_of(team.group, b)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    await press_card(team.sam, team.group, under(team, card, "photo")[0], texts.PHOTO_APPROVE)
    ((photo,),) = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {b}")
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    # The provider sees it with A, as they answer A.
    assert "no approved photo" not in await say(team.pat, f"/photo {photo}")
    assert f"/photo {photo}" in await say(team.pat, f"/respond {b}")


async def test_a_voice_note_rejected_then_undone_is_still_under_a_card_posted_again(
    team: Team, db_path: Path
) -> None:
    """A voice note nobody wrote down, rejected and the rejection undone: it is back in the
    queue with its audio, so a card posted again (the first deleted by hand, or with its
    topic) still carries it to be written down; its file goes only once a decision on it
    can no longer be undone."""
    cy = team.citizen
    await consent(cy)
    await press(cy, SERVICE)
    await reply_to(cy, cy.send_voice(b"OggS-voice", duration=7))
    item = await saved(cy)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "voice"))
    await press_card(team.sam, team.group, card, texts.REJECT)
    await team.group.wait_for(lambda _: [texts.REASONS["duplicate"]] in card.buttons)
    await press_card(team.sam, team.group, card, texts.REASONS["duplicate"])
    await team.group.wait_for(lambda _: texts.UNDO in str(card.buttons))
    kept = "SELECT COUNT(*) FROM media WHERE kind = 'voice' AND file_id IS NOT NULL"
    assert stored(db_path, kept) == [(1,)]
    await press_card(team.sam, team.group, card, texts.UNDO)
    await team.group.wait_for(lambda _: texts.APPROVE in str(card.buttons))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    (voice,) = under(team, card, "voice")
    team.group.chat.deleted.update({card.message_id, voice.message_id})
    await say(team.sam, "/queue")
    await press_card(
        team.sam, team.group, team.sam.messages[-1], texts.QUEUE_POST.format(item=item)
    )

    def posted_again(messages: list[MessageView]) -> list[MessageView]:
        return [
            m
            for m in messages
            if (m.text or "").startswith(f"#{item} ") and m.message_id != card.message_id
        ]

    (again,) = posted_again(await team.group.wait_for(posted_again))
    await team.group.wait_for(lambda _: under(team, again, "voice"))


async def test_a_second_voice_note_past_the_words_does_not_invite_typing(
    team: Team, db_path: Path
) -> None:
    """A second voice note for one item is not kept; asked whether they would like to hear
    back (typed words are no longer added), the citizen is not told to type more."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-first", duration=6))
    assert "Would you like to hear back" in await press(citizen, "3")
    said = await reply_to(citizen, citizen.send_voice(b"OggS-second", duration=6))
    assert said == texts.MEDIA_NOTES["voice_one"]
    assert "type" not in said
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE kind = 'voice'") == [(1,)]


async def test_a_photo_with_too_few_words_is_not_said_to_keep_them(
    team: Team, db_path: Path
) -> None:
    """A caption too short to be a report ("👍") is asked about, not said to be kept."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    said = await reply_to(citizen, citizen.send_photo(gps_photo(), caption="👍"))
    assert "Could you tell me a little more?" in said
    assert stored(db_path, "SELECT text FROM conversations") == [(None,)]
    assert "kept your words" not in said
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE kind = 'photo'") == [(1,)]


def album(person: Person, count: int, group: str, caption: str = "") -> None:
    """An album: `count` photos of one media group, as one tap in Telegram's apps sends
    (its words, if any, on the first)."""
    for n in range(count):
        fields = photo_fields(person, gps_photo(("red", "blue", "green", "white", "black")[n % 5]))
        if caption and n == 0:
            fields["caption"] = caption
        post(person, {**fields, "media_group_id": group})


async def test_an_album_before_agreeing_is_asked_the_consent_question_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Five photos in one album, sent before agreeing: one consent question, not five."""
    citizen = team.citizen
    album(citizen, 5, "album-1")
    await citizen.wait_for(lambda msgs: any("Is that OK" in (m.text or "") for m in msgs))
    await emu.idle(quiet=0.5, timeout=15)
    asked = [m for m in citizen.messages if "Is that OK with you?" in (m.text or "")]
    assert len(asked) == 1
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    # Another album is answered again.
    album(citizen, 2, "album-2")
    await citizen.wait_for(
        lambda msgs: len([m for m in msgs if "Is that OK with you?" in (m.text or "")]) == 2
    )


async def test_an_album_with_nothing_being_told_is_answered_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Five photos in one album with no words and nothing being told: one answer, saying
    they wait for the words that go with them (tests/e2e/test_media_albums.py)."""
    citizen = team.citizen
    await consent(citizen)
    await say(citizen, "/cancel")
    before = len(citizen.messages)
    album(citizen, 5, "album-3")
    await citizen.wait_for(lambda msgs: len(msgs) > before)
    await emu.idle(quiet=0.5, timeout=15)
    waiting = texts.MEDIA_NOTES["waiting"].format(5, minutes=30)
    assert [m.text for m in citizen.messages[before:]] == [waiting]
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE album = 'album-3'") == [(5,)]


async def test_a_photo_caption_names_who_decided(team: Team, emu: Emulator, db_path: Path) -> None:
    """An approved photo pressed Approve again by another moderator still names the first
    (the record's); kept back, then approved again, it names who did; its caption never
    says providers see it whatever becomes of the item (only while it is published)."""
    cy = team.citizen
    await consent(cy)
    await press(cy, SERVICE)
    await reply_to(cy, cy.send_photo(gps_photo(), caption=WORDS))
    item = await saved(cy)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    (photo,) = under(team, card, "photo")
    await press_card(team.sam, team.group, photo, texts.PHOTO_APPROVE)
    by_sam = texts.PHOTO_STATUS["approved"].format(who="\u2068Sam\u2069")
    assert "while the item is published" in by_sam
    await team.group.wait_for(lambda _: by_sam in (photo.text or ""))
    await press_card(team.mo, team.group, photo, texts.PHOTO_APPROVE)
    await emu.idle(quiet=0.5, timeout=15)
    assert by_sam in (photo.text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'photo.approved'") == [(1,)]
    # The item rejected: a provider sees none of its photos.
    await press_card(team.sam, team.group, card, texts.REJECT)
    await team.group.wait_for(lambda _: [texts.REASONS["duplicate"]] in card.buttons)
    await press_card(team.sam, team.group, card, texts.REASONS["duplicate"])
    await team.group.wait_for(lambda _: "Not published" in (card.text or ""))
    await press_card(team.mo, team.group, photo, texts.PHOTO_REJECT)
    await team.group.wait_for(lambda _: "kept back by \u2068Mo\u2069" in (photo.text or ""))
    await press_card(team.mo, team.group, photo, texts.PHOTO_APPROVE)
    by_mo = texts.PHOTO_STATUS["approved"].format(who="\u2068Mo\u2069")
    await team.group.wait_for(lambda _: by_mo in (photo.text or ""))
    (number,) = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item}")[0]
    assert "no approved photo" in await say(team.pat, f"/photo {number}")


async def test_a_voice_note_with_words_keeps_both(team: Team, db_path: Path) -> None:
    """A voice note carrying a caption (the Bot API and some clients allow it): the words
    and the voice note both go with the item, said in one answer."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    voice = {**citizen._media(b"OggS-voice", "voice", None, "audio/ogg"), "duration": 9}
    post(citizen, {"voice": voice, "caption": WORDS})
    said = (await citizen.next_message()).text or ""
    assert said.startswith(texts.VOICE_ADDED) and "How would you rate it" in said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(
        db_path, f"SELECT kind, duration FROM media WHERE feedback_id = {item} ORDER BY id"
    ) == [("voice", 9)]


async def test_a_voice_note_with_too_few_words_is_the_words(team: Team, db_path: Path) -> None:
    """Its caption too short to be a report ("🎤"): the voice note is the item's words."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    voice = {**citizen._media(b"OggS-voice", "voice", None, "audio/ogg"), "duration": 4}
    post(citizen, {"voice": voice, "caption": "🎤"})
    said = (await citizen.next_message()).text or ""
    assert said.startswith(texts.VOICE_KEPT) and "How would you rate it" in said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT kind FROM media WHERE feedback_id = {item}") == [("voice",)]


async def test_an_album_whose_words_answer_a_comment_prompt_is_answered_once(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Asked what an answer missed, Alice sends an album whose first photo carries her
    words: they are her comment, the photos not kept; one answer, not also "tell me what
    it's about first" for the album's other photos."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Library wifi drops", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    await send_words(world.pat, "We replaced the wifi router.")
    await press_on(alice, await notice_of(alice), texts.ANSWERED_NO)
    await alice.wait_for(last_has("say what's missing"))
    before = len(alice.messages)
    album(alice, 3, "album-4", "The router still drops every hour in the evening.")
    await alice.wait_for(lambda msgs: len(msgs) > before)
    await emu.idle(quiet=0.5, timeout=15)
    said = [m.text or "" for m in alice.messages[before:]]
    assert len(said) == 1 and texts.MEDIA_NOTES["no_item"] not in said
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_a_voice_note_with_words_before_agreeing_asks_with_the_words_riding(
    team: Team, db_path: Path
) -> None:
    """Before agreeing: the consent question, saying the voice note is not kept; the words
    ride on it and go on once agreed."""
    citizen = team.citizen
    voice = {**citizen._media(b"OggS-voice", "voice", None, "audio/ogg"), "duration": 6}
    post(citizen, {"voice": voice, "caption": WORDS})
    asked = (await citizen.next_message()).text or ""
    assert asked.startswith(texts.MEDIA_NOTES["consent"]) and "Is that OK with you?" in asked
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    await press(citizen, texts.CONSENT_YES)
    assert stored(db_path, "SELECT text FROM conversations") == [(WORDS,)]

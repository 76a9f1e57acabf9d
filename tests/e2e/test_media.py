"""Voice notes and photos end to end (issue 17): kept with the item, checked by moderators,
cleaned of metadata, erased on /forget; the bad inputs answered kindly."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
from PIL import Image

from bot.config import Deployment
from bot.digest_content import Period, build_csv
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage.services import ServiceRow
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import Team, card_of, invite, press_card
from tests.e2e.test_moderation import team as team

SERVICE = "Central Library"
WORDS = "The library roof leaks onto the children's books again."
TRANSCRIPT = "The swings in Riverside Park have been broken for a month."


def gps_photo(colour: str = "red") -> bytes:
    """A JPEG with EXIF: a camera, and GPS coordinates of someone's home."""
    image = Image.new("RGB", (64, 48), colour)
    exif = Image.Exif()
    exif[0x010F] = "HomeCam"  # Make
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.9)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the test photo has GPS"
    return data


async def reply_to(person: Person, send: object) -> str:
    await send  # type: ignore[misc]
    return (await person.next_message()).text or ""


async def saved(citizen: Person, rating: str = "2") -> int:
    """Rate, say yes to hearing back, no to being involved; the item's number."""
    await citizen.wait_for(lambda msgs: any(any(rating in row for row in m.buttons) for m in msgs))
    await press(citizen, rating)
    await press(citizen, texts.YES)

    def said(words: str) -> list[MessageView]:
        return [m for m in citizen.messages if words in (m.text or "")]

    await citizen.wait_for(lambda _: said("Saved as #") or said("involved"))
    if not said("Saved as #"):
        await press(citizen, texts.NO)
        await citizen.wait_for(lambda _: said("Saved as #"))
    text = said("Saved as #")[-1].text or ""
    return int(text.split("Saved as #", 1)[1].split()[0].strip(".,<>/b"))


def under(team: Team, card: MessageView, kind: str) -> list[MessageView]:
    return [
        m
        for m in team.group.messages
        if m.reply_to == card.message_id and (m.voice if kind == "voice" else m.photo)
    ]


async def test_a_voice_note_is_written_down_by_a_moderator_and_only_text_goes_on(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    said = await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    assert texts.VOICE_KEPT.split(".")[0] in said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [("",)]
    card = await card_of(team.group, item)
    assert "Voice note (7 s)" in (card.text or "")
    # The audio is under the card, for the moderators to listen to.
    await team.group.wait_for(lambda _: under(team, card, "voice"))
    kept = stored(db_path, f"SELECT file_id FROM media WHERE feedback_id = {item} ORDER BY id")
    assert kept and kept[0][0]
    # Nothing written down yet: nothing to publish.
    answer = await press_card(team.sam, team.group, card, texts.APPROVE)
    assert answer.get("text") == texts.MOD_NEEDS_TRANSCRIPT
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    await team.sam.send(TRANSCRIPT, chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "Riverside Park" in (card.text or ""))
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert stored(db_path, f"SELECT published_text FROM feedback WHERE id = {item}") == [
        (TRANSCRIPT,)
    ]
    # Written down and approved: the reference to the audio goes once the approval can no
    # longer be undone (an undo puts it back in the queue, its audio to be heard again).
    assert (
        stored(db_path, f"SELECT file_id FROM media WHERE feedback_id = {item} ORDER BY id") == kept
    )
    clock.advance(minutes=11)
    await run_job(team.bot, "moderation-sweep")
    await team.group.wait_for(lambda _: texts.UNDO not in str(card.buttons))
    assert stored(db_path, f"SELECT file_id FROM media WHERE feedback_id = {item} ORDER BY id") == [
        (None,)
    ]
    # The provider reads the words, never the audio.
    await say(team.pat, "/digest")
    assert not any(m.voice for m in team.pat.messages)


async def test_the_words_typed_for_a_voice_note_are_tagged_and_redacted_as_typed_words(
    team: Team, db_path: Path
) -> None:
    """Its words were typed by a moderator: they had no themes, and personal details in
    them were published as typed."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "voice"))
    await press_card(team.sam, team.group, card, texts.EDIT)
    found = await team.group.wait_for(
        lambda msgs: any("reply to this message" in (m.text or "") for m in msgs)
    )
    prompt = next(m for m in found if "reply to this message" in (m.text or ""))
    heard = "The queue at the library desk took forty minutes, Dr Patel on 07700 900123 saw it"
    await team.sam.send(heard, chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "forty minutes" in (card.text or ""))
    shown = card.text or ""
    assert "Dr [name]" in shown and "[phone]" in shown and "07700" not in shown, shown
    assert "Access and waiting times" in shown, shown
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    ((published,),) = stored(db_path, f"SELECT published_text FROM feedback WHERE id = {item}")
    assert "Patel" not in published and "07700" not in published and "forty minutes" in published
    themes = stored(db_path, f"SELECT theme_id FROM item_themes WHERE feedback_id = {item}")
    assert ("access_waiting",) in themes


async def test_photos_are_cleaned_checked_one_by_one_and_forgotten(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    said = await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    assert "kept your words and the photo (1 of 3)" in said
    said = await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    assert "Photo added (2 of 3)" in said
    item = await saved(citizen)
    rows = stored(db_path, f"SELECT id, data FROM media WHERE feedback_id = {item} ORDER BY id")
    assert len(rows) == 2
    for _, data in rows:
        image = Image.open(io.BytesIO(bytes(data)))  # type: ignore[arg-type]
        assert not image.getexif() and "exif" not in image.info
        assert b"HomeCam" not in bytes(data)  # type: ignore[arg-type]
    card = await card_of(team.group, item)
    assert "2 photos below" in (card.text or "")
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 2)
    first, second = under(team, card, "photo")
    await press_card(team.sam, team.group, first, texts.PHOTO_APPROVE)
    await press_card(team.mo, team.group, second, texts.PHOTO_REJECT)
    await team.group.wait_for(lambda _: "kept back by \u2068Mo\u2069" in (second.text or ""))
    assert "approved by \u2068Sam\u2069" in (first.text or "")
    statuses = [
        r[0]
        for r in stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item} ORDER BY id")
    ]
    assert statuses == ["approved", "rejected"]
    # /mydata says what is kept: both photos, their state, not the bytes themselves.
    mine = (await team.bot.privacy.mydata(citizen.id))["voice_notes_and_photos"]
    assert [(m["kind"], m["photo_status"]) for m in mine] == [
        ("photo", "approved"),
        ("photo", "rejected"),
    ]
    # Forgotten: both photos go from the database and from the moderators' chat.
    await citizen.send("/forget")
    # The saved message has a button too (its themes): the question's are awaited.
    await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    await press(citizen, texts.FORGET_ALL)
    await team.group.wait_for(lambda _: first.deleted and second.deleted, timeout=15)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_a_provider_gets_an_approved_photo_of_their_service_only(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "photo"))
    photo = under(team, card, "photo")[0]
    number = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item}")[0][0]
    # Not approved yet: not there for providers.
    assert "no approved photo" in await say(team.pat, f"/photo {number}")
    # Approving the words with the photo undecided: the moderator is told it still waits.
    answer = await press_card(team.sam, team.group, card, texts.APPROVE)
    assert answer.get("text") == texts.MOD_PHOTOS_UNDECIDED.format(1)
    assert answer.get("show_alert") is True
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert "no approved photo" in await say(team.pat, f"/photo {number}")
    await press_card(team.sam, team.group, photo, texts.PHOTO_APPROVE)
    await team.group.wait_for(lambda _: "approved by \u2068Sam\u2069" in (photo.text or ""))
    await team.pat.send(f"/photo {number}")
    sent = await team.pat.next_message()
    assert sent.photo is not None and f"item #{item}" in (sent.text or "")
    assert not Image.open(io.BytesIO(sent.photo)).getexif()
    # Responding to the item, the provider is shown its photos.
    assert f"Its photos: /photo {number}" in await say(team.pat, f"/respond {item}")
    # The digest's CSV lists it, as the command that fetches it.
    exported = await build_csv(
        team.bot.db,
        services=[ServiceRow("library", "Central Library", "", "culture-leisure")],
        period=Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)),
        labels={},
        timezone="Europe/London",
    )
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert [r["photos"] for r in rows if r["item"] == str(item)] == [f"/photo {number}"]


async def test_bad_media_get_kind_answers_and_lose_nothing(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    citizen = team.citizen
    await consent(citizen)
    # A photo with nothing being told... (the service list was answered with /cancel)
    await say(citizen, "/cancel")
    said = await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert "write what it's about first" in said
    # A silent voice note, and one too long.
    assert "seems to be empty" in await reply_to(citizen, citizen.send_voice(duration=0))
    assert "longer than I can take" in await reply_to(citizen, citizen.send_voice(duration=3600))
    # A picture sent as a file: how to send a photo.
    said = await reply_to(citizen, citizen.send_document(gps_photo(), "swing.jpg", "image/jpeg"))
    assert "as a photo rather than as a file" in said
    # Words, then a fourth photo: refused, the words and three photos kept.
    await citizen.send("/start")
    await citizen.next_message()
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    for n in (1, 2, 3):
        assert f"({n} of 3)" in await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert "up to 3 photos" in await reply_to(citizen, citizen.send_photo(gps_photo()))
    # Something that is no image at all, sent as a photo.
    said = await reply_to(citizen, citizen.send_photo(b"not an image at all"))
    assert "up to 3 photos" in said  # full already: refused before fetching
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(3,)]
    # A file over Telegram's 20 MB limit for bots.
    await citizen.send("/start")
    await citizen.next_message()
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    said = await reply_to(citizen, citizen.send_photo(b"\xff\xd8" + b"0" * (20 * 1024 * 1024 + 1)))
    assert "too big" in said
    said = await reply_to(citizen, citizen.send_photo(b"not an image at all"))
    assert "couldn't open that as a photo" in said


async def test_a_draft_transcript_is_confirmed_by_the_citizen_then_checked(
    make_bot: BotFactory,
    emu: Emulator,
    deployment: Deployment,
    db_path: Path,
    clock: FakeClock,
) -> None:
    admin, sam, citizen = (emu.person(n) for n in ("Ada", "Sam", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    # An offline engine: a command given the audio file, printing its words.
    engine = f"sh -c 'echo \"{TRANSCRIPT}\"'"
    async with make_bot(deployment=staffed, YOUSAID_TRANSCRIBE=engine) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        await consent(citizen)
        await citizen.send_voice(b"OggS-voice", duration=9)
        draft = await citizen.wait_for(
            lambda msgs: any("I think you said" in (m.text or "") for m in msgs)
        )
        assert any(TRANSCRIPT in (m.text or "") for m in draft)
        assert "those words go with your voice note" in await press(citizen, texts.TRANSCRIPT_YES)
        await press(citizen, SERVICE)
        item = await saved(citizen)
        assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(TRANSCRIPT,)]
        card = await card_of(group, item)
        assert "draft transcript the author confirmed" in (card.text or "")
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
        clock.advance(minutes=11)
        await run_job(bot, "moderation-sweep")
        await group.wait_for(lambda _: texts.UNDO not in str(card.buttons))
        assert stored(
            db_path, f"SELECT file_id FROM media WHERE feedback_id = {item} ORDER BY id"
        ) == [(None,)]


async def test_a_voice_note_the_engine_hears_no_words_in_is_told_and_kept(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """Silence recorded: the engine runs and prints nothing. The citizen is told, the voice
    note stays for a moderator, and words typed next go with it."""
    citizen = emu.person("Cy")
    async with make_bot(deployment=deployment, YOUSAID_TRANSCRIBE="sh -c 'printf \"  \"'"):
        await consent(citizen)
        await press(citizen, SERVICE)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=6))
        assert said.startswith(texts.VOICE_KEPT)
        assert (await citizen.next_message()).text == texts.MEDIA_NOTES["voice_silent"]
        assert "added that" in await say(citizen, WORDS)
        item = await saved(citizen)
        assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}")[0][0].endswith(WORDS)
        assert stored(db_path, f"SELECT kind FROM media WHERE feedback_id = {item}") == [("voice",)]


async def test_retention_deletes_voice_notes_and_photos_but_keeps_the_item(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    item = await saved(citizen)
    await team.bot.privacy.retention()
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(1,)]
    clock.advance(days=91)  # YOUSAID_MEDIA_KEEP_DAYS: 90 by default
    await team.bot.privacy.retention()
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]


async def test_a_photo_telegram_fails_to_hand_over_is_asked_again_and_loses_nothing(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    # getFile fails once (a 502 from Telegram): asked to send it again, nothing changes.
    emu.faults.server_error("getFile", status=502, times=1)
    said = await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert said == texts.MEDIA_NOTES["not_fetched"]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    # Sent again: kept, with the words as they were.
    assert "(1 of 3)" in await reply_to(citizen, citizen.send_photo(gps_photo()))
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {item}") == [(1,)]


async def test_approving_from_a_list_posts_the_card_with_its_undecided_photo(
    team: Team, clock: FakeClock, db_path: Path
) -> None:
    """A list of several items shows no photos: approving one whose photo waits posts its
    own card, with the photo under it to decide on."""
    from storage import media
    from tests.e2e.test_moderation_faults import _pending, sweep

    items = await _pending(team.bot.db, team.citizen.id, 12, clock())

    async def add_photo(conn: aiosqlite.Connection) -> None:
        async with conn.execute(
            "SELECT citizen_id FROM feedback WHERE id = ?", (items[0],)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        await media.add_to_item(conn, int(row[0]), items[0], gps_photo(), clock())

    await team.bot.db.write(add_photo)
    await sweep(team)
    listed = await team.group.wait_for(
        lambda msgs: any(texts.BATCH_APPROVE.format(item=items[0]) in str(m.buttons) for m in msgs)
    )
    batch = next(m for m in listed if texts.BATCH_APPROVE.format(item=items[0]) in str(m.buttons))
    answer = await press_card(
        team.sam, team.group, batch, texts.BATCH_APPROVE.format(item=items[0])
    )
    assert answer.get("text") == texts.MOD_PHOTOS_UNDECIDED_LISTED.format(1)
    card = await card_of(team.group, items[0])
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    (photo,) = under(team, card, "photo")
    await press_card(team.sam, team.group, photo, texts.PHOTO_APPROVE)
    await team.group.wait_for(lambda _: "approved by \u2068Sam\u2069" in (photo.text or ""))
    assert stored(
        db_path, f"SELECT status FROM media WHERE feedback_id = {items[0]} ORDER BY id"
    ) == [("approved",)]


async def test_mine_says_what_an_item_was_told_with_besides_words(team: Team) -> None:
    """A voice note alone has no words to show yet: /mine says it is there, and how many
    photos an item holds."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    spoken = await saved(citizen)
    await say(citizen, "/start")
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    pictured = await saved(citizen)
    mine = await say(citizen, "/mine")
    entries = {int(part.split()[0]): part for part in mine.split("#")[1:]}
    assert texts.MINE_VOICE in entries[spoken] and "📷" not in entries[spoken]
    assert texts.MINE_PHOTOS.format(2) in entries[pictured]
    assert texts.MINE_VOICE not in entries[pictured]


async def test_a_photo_with_words_before_consent_asks_once_and_keeps_the_words(
    team: Team, db_path: Path
) -> None:
    """The consent question comes with the words: the reply says the photo was not kept and
    to send it again after agreeing, never to send /start (its buttons are right there)."""
    newcomer = team.citizen
    said = await reply_to(newcomer, newcomer.send_photo(gps_photo(), caption=WORDS))
    assert texts.MEDIA_NOTES["consent_asked"] in said and "/start" not in said
    assert [texts.CONSENT_YES, texts.CONSENT_NO] in newcomer.last.buttons
    await press(newcomer, texts.CONSENT_YES)
    await press(newcomer, SERVICE)
    await newcomer.wait_for(lambda msgs: any("How would you rate" in (m.text or "") for m in msgs))
    item = await saved(newcomer)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]


async def test_a_voice_note_or_photo_before_consent_is_answered_with_the_consent_question(
    team: Team, db_path: Path
) -> None:
    """Not kept (nothing is stored before agreeing), and the question to agree to is right
    there with it: no "/start" to type first."""
    newcomer = team.citizen
    for send in (
        newcomer.send_voice(duration=4),
        newcomer.send_photo(gps_photo()),
        newcomer.send_document(gps_photo(), "swing.jpg", "image/jpeg"),
    ):
        said = await reply_to(newcomer, send)
        assert said.startswith(texts.MEDIA_NOTES["consent_below"]) and "/start" not in said
        assert [texts.CONSENT_YES, texts.CONSENT_NO] in newcomer.last.buttons
    await press(newcomer, texts.CONSENT_YES)
    await newcomer.wait_for(lambda msgs: any(SERVICE in row for row in msgs[-1].buttons))
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    # Agreed: a voice note now is kept.
    said = await reply_to(newcomer, newcomer.send_voice(duration=4))
    assert said.startswith(texts.VOICE_KEPT)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(1,)]

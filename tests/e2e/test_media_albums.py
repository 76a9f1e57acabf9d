"""Albums whose words are not on their first photo, sent while nothing is being told (each
photo of a Telegram media group is its own update; Telegram's apps put a group of image files'
words on the last file, and people can caption any photo of an album): the photos before the
words wait for them, in the database, and join the item the words start; with no words, the
citizen is told once, shortly after, and the photos join the words that come next."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from telegram import Update

from bot.app import YousaidBot
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import last_has, while_progressing
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, saved
from tests.e2e.test_media_attacks import photo_fields, post
from tests.e2e.test_moderation import Team
from tests.e2e.test_moderation import team as team  # the fixture

COLOURS = ("red", "blue", "green", "white", "black")
# The note saying an album's photos wait for their words.
WAITING = "photos you sent for 30 min"
# Photos kept and not with an item (with nothing being told: an album's, waiting for words).
WAITS = "SELECT COUNT(*) FROM media WHERE feedback_id IS NULL"


def album(person: Person, group: str, count: int = 3, words: dict[int, str] | None = None) -> None:
    """`count` photos of one media group (red, blue, green...), the `words` on those
    numbered (from 0)."""
    for n in range(count):
        fields = photo_fields(person, gps_photo(COLOURS[n]))
        if n in (words or {}):
            fields["caption"] = (words or {})[n]
        post(person, {**fields, "media_group_id": group})


def new_has(before: int, words: str) -> Callable[[list[MessageView]], bool]:
    """A wait_for predicate: a message after the first `before` contains these words."""
    return lambda msgs: any(words in (m.text or "") for m in msgs[before:])


def colours(db_path: Path, item: int) -> list[str]:
    """The colours of an item's photos, in the order kept."""
    found = []
    for (data,) in stored(
        db_path,
        f"SELECT data FROM media WHERE feedback_id = {item} AND kind = 'photo' ORDER BY id",
    ):
        r, g, b = Image.open(io.BytesIO(bytes(data))).convert("RGB").getpixel((5, 5))  # type: ignore[arg-type]
        if min(r, g, b) > 200:
            found.append("white")
        elif max(r, g, b) < 50:
            found.append("black")
        else:
            found.append(max(zip((r, g, b), ("red", "green", "blue"), strict=True))[1])
    return found


def waiting(db_path: Path) -> int:
    return int(stored(db_path, WAITS)[0][0])  # type: ignore[call-overload]


async def told_nothing_at_rest(emu: Emulator, bot: YousaidBot) -> None:
    """The album's note, if still to come, comes now (its job run at once); then quiet."""
    queue = bot.application.job_queue
    assert queue is not None
    for job in queue.jobs():
        if (job.name or "").startswith("album:"):
            await job.run(bot.application)
    await emu.idle(quiet=0.5, timeout=15)


def lose_album_jobs(bot: YousaidBot) -> None:
    """Albums' notes still to come are lost, as by a crash or a restart."""
    queue = bot.application.job_queue
    assert queue is not None
    for job in queue.jobs():
        if (job.name or "").startswith("album:"):
            job.schedule_removal()


async def nothing_told(citizen: Person) -> None:
    """Consent given, then /cancel: nothing is being told."""
    await consent(citizen)
    await say(citizen, "/cancel")


async def test_words_on_the_third_photo_keep_all_three_with_the_item(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Nothing being told, Cy sends three photos with her words on the third: the first two
    are not refused, and all three go with her words, in order; one answer."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    album(citizen, "words-last", words={2: WORDS})
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert len(said) == 1, said
    assert said[0].startswith(texts.MEDIA_NOTES["album_added_words"].format(3)), said
    assert texts.MEDIA_NOTES["no_item"] not in said[0] and WAITING not in said[0]
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert colours(db_path, item) == ["red", "blue", "green"]
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE feedback_id IS NULL") == [(0,)]


async def test_words_on_the_second_photo_keep_all_three_with_the_item(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Words on the second photo: the first waited for them, the third joins after."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    album(citizen, "words-second", words={1: WORDS})
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert not any(WAITING in s or texts.MEDIA_NOTES["no_item"] in s for s in said), said
    assert sum("Which service" in s for s in said) == 1, said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert colours(db_path, item) == ["red", "blue", "green"]


async def test_five_photos_with_words_on_the_last_keep_the_first_three(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Five photos, the words on the fifth: the item takes the first three; "three at most"
    is said once."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    album(citizen, "five", count=5, words={4: WORDS})
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert len(said) == 1, said
    assert said[0].startswith(f"{texts.PHOTOS_WAITED.format(3)}\n{texts.PHOTOS_WAITED_LEFT}\n\n")
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert colours(db_path, item) == ["red", "blue", "green"]
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE feedback_id IS NULL") == [(0,)]


async def test_image_files_with_the_words_on_the_last_keep_the_words(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Three pictures sent as files in one group, the words on the last (as Telegram's apps
    write them): the words start the item (files are not kept: how to send a photo is said)."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    for n in range(3):
        document: dict[str, Any] = {
            **citizen._media(gps_photo(COLOURS[n]), "document", f"p{n}.jpg", "image/jpeg"),
            "file_name": f"p{n}.jpg",
            "mime_type": "image/jpeg",
        }
        fields: dict[str, Any] = {"document": document, "media_group_id": "files"}
        if n == 2:
            fields["caption"] = WORDS
        post(citizen, fields)
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert not any(WAITING in s for s in said), said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]


async def test_words_on_a_video_beside_a_photo_take_the_photo(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A photo and a video in one album, the words on the video (videos are not kept): the
    photo goes with the words."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    post(citizen, {**photo_fields(citizen, gps_photo("red")), "media_group_id": "mixed"})
    video = {
        **citizen._media(b"\x00\x00\x00\x18ftypmp42", "video", None, "video/mp4"),
        "width": 640,
        "height": 480,
        "duration": 5,
    }
    post(citizen, {"video": video, "caption": WORDS, "media_group_id": "mixed"})
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert not any(texts.MEDIA_NOTES["no_item"] in s or WAITING in s for s in said), said
    assert any(texts.PHOTOS_WAITED.format(1) in s for s in said), said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert colours(db_path, item) == ["red"]


async def test_an_album_with_no_words_is_told_once_and_its_photos_join_the_next_words(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """No words on any photo: one kind answer, shortly after, saying the photos wait; the
    words typed next take them, with the draft she had kept before."""
    citizen = team.citizen
    await consent(citizen)
    await say(citizen, "/cancel")
    before = len(citizen.messages)
    album(citizen, "no-words")
    await citizen.wait_for(new_has(before, WAITING))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert said == [texts.MEDIA_NOTES["waiting"].format(3, minutes=30)], said
    assert waiting(db_path) == 3
    # /mydata lists them, as kept.
    await citizen.send("/mydata")
    sent = await citizen.wait_for(lambda m: bool(m) and m[-1].document is not None)
    kept = json.loads(sent[-1].document or b"{}")["voice_notes_and_photos"]
    assert [(p["kind"], p["with_item"]) for p in kept] == [("photo", None)] * 3, kept
    await citizen.send(WORDS)
    reply = (await citizen.wait_for(last_has("Which service")))[-1].text or ""
    assert reply.startswith(texts.PHOTOS_WAITED.format(3)), reply
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert colours(db_path, item) == ["red", "blue", "green"]
    assert waiting(db_path) == 0


async def test_words_typed_right_after_an_album_take_it_with_no_note(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """The words typed just after a wordless album, before it is told of: they take its
    photos, and the note that would have said they wait never comes."""
    citizen = team.citizen
    await nothing_told(citizen)
    before = len(citizen.messages)
    album(citizen, "typed-after")
    await citizen.send(WORDS)
    await citizen.wait_for(new_has(before, "Which service"))
    await told_nothing_at_rest(emu, team.bot)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert len(said) == 1 and said[0].startswith(texts.PHOTOS_WAITED.format(3)), said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert colours(db_path, item) == ["red", "blue", "green"]


async def test_a_restart_between_the_photos_and_the_words_keeps_them(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    """Two photos of an album, the bot restarts, then the third with the words: all three
    go with the item, and no "they wait" note was said."""
    citizen = emu.person("Cy")
    async with make_bot() as first:
        await nothing_told(citizen)
        before = len(citizen.messages)
        album(citizen, "restart", count=2)
        await while_progressing(lambda: waiting(db_path) == 2, lambda: waiting(db_path), stall=20)
        lose_album_jobs(first)
    async with make_bot() as bot:
        # Both photos handled again, as after a crash before they were marked handled: each
        # kept once (handled in order, before the words).
        for update_id, update in emu.updates.history.items():
            if "restart" in str(update.get("message")):
                replay = Update.de_json(update, bot.application.bot)
                assert replay is not None and replay.update_id == update_id
                await bot.application.update_queue.put(replay)
        fields = photo_fields(citizen, gps_photo("green"))
        post(citizen, {**fields, "caption": WORDS, "media_group_id": "restart"})
        await citizen.wait_for(new_has(before, "Which service"))
        await told_nothing_at_rest(emu, bot)
        said = [m.text or "" for m in citizen.messages[before:]]
        assert len(said) == 1 and not any(WAITING in s for s in said), said
        await press(citizen, SERVICE)
        item = await saved(citizen)
    assert colours(db_path, item) == ["red", "blue", "green"]


async def test_after_a_restart_the_time_out_job_tells_once_then_drops_them(
    make_bot: BotFactory, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """The bot stops before telling of a wordless album: the time-out job tells it once
    when quiet, on any instance; past the conversation time-out its photos go."""
    citizen = emu.person("Cy")
    async with make_bot() as first:
        await nothing_told(citizen)
        album(citizen, "lost-note")
        await while_progressing(lambda: waiting(db_path) == 3, lambda: waiting(db_path), stall=20)
        lose_album_jobs(first)
        before = len(citizen.messages)
    async with make_bot() as bot:
        clock.advance(seconds=31)
        await run_job(bot, "expire-idle-conversations")
        await citizen.wait_for(new_has(before, WAITING))
        await run_job(bot, "expire-idle-conversations")
        await emu.idle(quiet=0.5, timeout=15)
        said = [m.text or "" for m in citizen.messages[before:]]
        assert said == [texts.MEDIA_NOTES["waiting"].format(3, minutes=30)], said
        assert waiting(db_path) == 3
        clock.advance(minutes=30)
        await run_job(bot, "expire-idle-conversations")
        assert waiting(db_path) == 0
        await emu.idle(quiet=0.5, timeout=15)
        assert len(citizen.messages) == before + 1

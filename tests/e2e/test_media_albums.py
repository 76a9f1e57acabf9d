"""Albums whose words are not on their first photo (another client than Telegram's apps, or
an album forwarded from elsewhere, may write them on any): the whole album lands in one item,
its words taken as if written on the first photo, nothing lost, the citizen told once."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from emulator import Emulator, Person
from handlers import texts
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, saved
from tests.e2e.test_media_attacks import photo_fields, post
from tests.e2e.test_moderation import Team
from tests.e2e.test_moderation import team as team  # the fixture

COLOURS = ("red", "blue", "green")
MORE = "The bucket under the leak has been overflowing since Monday."


def album(person: Person, group: str, captions: dict[int, str]) -> None:
    """Three photos of one media group (red, blue, green), `captions` on those numbered
    (from 0)."""
    for n, colour in enumerate(COLOURS):
        fields = photo_fields(person, gps_photo(colour))
        if n in captions:
            fields["caption"] = captions[n]
        post(person, {**fields, "media_group_id": group})


def colours(db_path: Path, item: int) -> list[str]:
    """The colours of an item's photos, in the order kept."""
    found = []
    for (data,) in stored(
        db_path, f"SELECT data FROM media WHERE feedback_id = {item} ORDER BY id"
    ):
        r, g, b = Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5))
        found.append(max(zip((r, g, b), ("red", "green", "blue"), strict=True))[1])
    return found


async def test_an_album_with_its_words_on_the_second_photo_is_one_item_with_all_three(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Nothing being told, Cy sends an album whose words are on its second photo: the first
    photo is not refused ("what is it about?"), and all three photos go with her words."""
    citizen = team.citizen
    await consent(citizen)
    await say(citizen, "/cancel")
    before = len(citizen.messages)
    album(citizen, "late-words", {1: WORDS})
    await citizen.wait_for(lambda msgs: len(msgs) >= before + 3)
    await emu.idle(quiet=0.5, timeout=15)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert texts.MEDIA_NOTES["no_item"] not in said, said
    # Answered as an album with its words on the first photo: its words asked about once.
    assert sum("Which service" in s for s in said) == 1, said
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert colours(db_path, item) == list(COLOURS)
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE feedback_id IS NULL") == [(0,)]


async def test_an_album_with_words_on_two_photos_keeps_both_in_one_item(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Words on the first and the third photo: both are the item's words, in order."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    before = len(citizen.messages)
    album(citizen, "two-captions", {0: WORDS, 2: MORE})
    await citizen.wait_for(lambda msgs: len(msgs) >= before + 3)
    await emu.idle(quiet=0.5, timeout=15)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert sum("How would you rate it" in s for s in said) == 1, said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [
        (f"{WORDS}\n{MORE}",)
    ]
    assert colours(db_path, item) == list(COLOURS)


async def test_an_album_just_after_saving_with_words_on_its_last_photo_is_a_new_item(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Just after saving #1, Cy sends an album for something new, its words on its last
    photo: none of its photos join #1, all go with the new item."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, "The study room was far too cold and the heating was off again.")
    first = await saved(citizen)
    before = len(citizen.messages)
    album(citizen, "after-saving", {2: WORDS})
    await citizen.wait_for(lambda msgs: len(msgs) >= before + 3)
    await emu.idle(quiet=0.5, timeout=15)
    said = [m.text or "" for m in citizen.messages[before:]]
    assert not any(f"#{first}" in s for s in said), said
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {first}") == [(0,)]
    await press(citizen, SERVICE)
    item = await saved(citizen)
    assert item != first
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert colours(db_path, item) == list(COLOURS)


async def test_an_album_before_agreeing_with_words_on_its_second_photo_asks_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Before agreeing: one consent question, the words riding on it (its reply quotes the
    photo that carries them), kept once agreed; no photo kept."""
    newcomer = team.citizen
    album(newcomer, "before-consent", {1: WORDS})
    await newcomer.wait_for(lambda msgs: any("Is that OK" in (m.text or "") for m in msgs))
    await emu.idle(quiet=0.5, timeout=15)
    asked = [m for m in newcomer.messages if "Is that OK with you?" in (m.text or "")]
    assert len(asked) == 1, [m.text for m in newcomer.messages]
    await press(newcomer, texts.CONSENT_YES)
    await press(newcomer, SERVICE)
    await newcomer.wait_for(lambda msgs: any("How would you rate" in (m.text or "") for m in msgs))
    item = await saved(newcomer)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]

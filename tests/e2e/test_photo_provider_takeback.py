"""A provider's copy of a photo (/photo N) on its way while a moderator keeps the photo back
or undoes the item's approval: taken back as soon as Telegram's answer comes. And what a
provider keeps when the item is unpublished (README: what providers got before stays)."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.e2e.helpers import has
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_photo_copies_taken_back import published_with_photo
from tests.e2e.test_privacy_outside import until

CEILING = 30.0


async def test_a_copy_on_its_way_when_the_photo_is_kept_back_is_taken_back_when_it_arrives(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Telegram is slow to answer the copy /photo N sends Pat; Sam keeps the photo back
    meanwhile (no copy recorded yet to take back). When the answer comes, the copy is
    queued at once and the job takes it back."""
    _, photo, photo_message = await published_with_photo(team, db_path)
    held = emu.faults.late("sendPhoto", chat_id=team.pat.id, delay=8, times=1)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(lambda msgs: any(m.photo for m in msgs))
    await press_card(team.sam, team.group, photo_message, texts.PHOTO_REJECT)
    await team.group.wait_for(
        lambda _: "kept back by \u2068Sam\u2069" in (photo_message.text or "")
    )
    held.release()
    (given,) = [m for m in team.pat.messages if m.photo]
    queued = f"SELECT COUNT(*) FROM messages_to_clean WHERE chat_id = {team.pat.id}"
    await until(emu, lambda: stored(db_path, queued) == [(1,)], timeout=CEILING)
    assert stored(db_path, "SELECT COUNT(*) FROM media_messages WHERE given = 1") == [(0,)]
    await run_job(team.bot, "take-back-messages")
    await team.pat.wait_for(lambda _: given.deleted, timeout=CEILING)
    # The photo under the card stays, its buttons with it (it may be approved again).
    assert not photo_message.deleted


async def test_a_copy_on_its_way_when_the_approval_is_undone_is_taken_back_when_it_arrives(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """The same with ↩️ Undo on the item's card while the copy is on its way."""
    item, photo, _ = await published_with_photo(team, db_path)
    card = await card_of(team.group, item)
    held = emu.faults.late("sendPhoto", chat_id=team.pat.id, delay=8, times=1)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(lambda msgs: any(m.photo for m in msgs))
    await press_card(team.sam, team.group, card, texts.UNDO)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" not in (card.text or ""))
    held.release()
    (given,) = [m for m in team.pat.messages if m.photo]
    queued = f"SELECT COUNT(*) FROM messages_to_clean WHERE chat_id = {team.pat.id}"
    await until(emu, lambda: stored(db_path, queued) == [(1,)], timeout=CEILING)
    await run_job(team.bot, "take-back-messages")
    await team.pat.wait_for(lambda _: given.deleted, timeout=CEILING)


async def test_a_copy_a_provider_got_stays_when_the_item_is_unpublished(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """README: an unpublished item leaves what providers read from now on; what they got
    before stays (digests already sent stay as they were): so does a photo Pat asked for.
    /photo N refuses it from then on."""
    item, photo, _ = await published_with_photo(team, db_path)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_FOR_PROVIDER.format(id=photo, item=item)))
    (sent,) = [m for m in team.pat.messages if m.photo is not None]
    await say(team.sam, f"/unpublish {item} no longer relevant")
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("withdrawn",)]
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_NOT_FOUND.format(id=photo)))
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])
    assert not sent.deleted
    assert stored(db_path, "SELECT COUNT(*) FROM media_messages WHERE given = 1") == [(1,)]

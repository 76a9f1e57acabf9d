"""A citizen's photo a provider got with /photo N (as the digest's CSV and /respond list it):
only providers of its service get it, and their copy leaves their chat when its author is
forgotten (whichever item it was shown with), when a moderator keeps it back, when the item's
approval is undone, and at retention; through the emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from emulator import Emulator, MessageView
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, has
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_privacy_outside import until


async def test_a_merged_items_photo_a_provider_fetched_leaves_their_chat_when_its_author_forgets(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """The citizen's item B, with a photo a moderator approved, is merged into Bea's
    published item A (B's photos go with A). Pat fetches the photo with /photo N: it is sent
    "with item #A". Then B's author /forgets: the photo is deleted from the database and from
    the moderators' chat, and it must leave Pat's chat too (README: their words leave the
    staff's chats, "their photos a provider asked for (/photo N)"). It is the citizen's
    photo, whatever item it was shown with."""
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
    (photo_message,) = under(team, card, "photo")
    await press_card(team.sam, team.group, photo_message, texts.PHOTO_APPROVE)
    ((photo,),) = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {b}")
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await team.pat.send(f"/photo {photo}")
    shown = texts.PHOTO_FOR_PROVIDER.format(id=photo, item=a)
    await team.pat.wait_for(has(shown))
    (sent,) = [m for m in team.pat.messages if m.photo is not None]
    # B's author forgets everything.
    await citizen.send("/forget")
    await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    assert texts.FORGET_DONE in await press(citizen, texts.FORGET_ALL)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    # Their card and the photo under it leave the moderators' chat; the queue empties.
    await until(emu, lambda: photo_message.deleted)
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])
    assert sent.deleted or sent.photo is None, "Pat still holds the forgotten author's photo"


async def published_with_photo(
    team: Team, db_path: Path, emu: Emulator | None = None
) -> tuple[int, int, MessageView]:
    """The citizen's item with one photo, both approved by Sam: (item, photo number, the
    photo's message under the card). With `emu`, Sam presses only once the bot has recorded
    that message as the photo's (a press just before is refused as not that photo's own)."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo("blue"), caption=WORDS))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    (photo_message,) = under(team, card, "photo")
    if emu is not None:
        carried = (
            f"SELECT COUNT(*) FROM media_messages WHERE chat_id = {team.group.id}"
            f" AND message_id = {photo_message.message_id}"
        )
        await until(emu, lambda: stored(db_path, carried) == [(1,)])
    await press_card(team.sam, team.group, photo_message, texts.PHOTO_APPROVE)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    ((photo,),) = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item}")
    return item, int(photo), photo_message


async def test_retention_takes_a_photo_back_from_the_provider_who_asked_for_it(
    team: Team, db_path: Path, clock: FakeClock, emu: Emulator
) -> None:
    """A photo past YOUSAID_MEDIA_KEEP_DAYS is deleted, and so is the copy /photo N sent a
    provider (not only the one under the card); /photo N then finds nothing and /respond
    lists no photo. The item itself stays."""
    item, photo, photo_message = await published_with_photo(team, db_path)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_FOR_PROVIDER.format(id=photo, item=item)))
    (sent,) = [m for m in team.pat.messages if m.photo is not None]
    clock.advance(days=91)
    app = team.bot.application
    await team.bot.handlers.privacy.retention(SimpleNamespace(bot=app.bot, application=app))  # type: ignore[arg-type]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    await until(emu, lambda: photo_message.deleted and sent.deleted, timeout=15)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_NOT_FOUND.format(id=photo)))
    before = len(team.pat.messages)
    await team.pat.send(f"/respond {item}")
    shown = await team.pat.wait_for(lambda msgs: has("What is your answer?")(msgs[before:]))
    (asked,) = shown[-1:]
    assert "/photo" not in (asked.text or "")
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]


async def test_only_providers_may_ask_for_a_photo_and_never_in_the_moderators_chat(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    """/photo N of an approved photo of a published item: its own author, a moderator (who
    is no provider) and a stranger are told no and get no photo; Pat, a provider of the
    service, gets it in her private chat; Ada, an admin (who acts for every provider), asking
    in the moderators' chat is pointed to her own chat and nothing is posted there."""
    item, photo, _ = await published_with_photo(team, db_path)
    stranger = emu.person("Stu")
    for person in (team.citizen, team.sam, stranger):
        before = len(person.messages)
        await person.send(f"/photo {photo}")
        await person.wait_for(lambda msgs, n=before: has(texts.NOT_ALLOWED)(msgs[n:]))
        assert not any(m.photo for m in person.messages[before:])
    in_group = len(team.group.messages)
    await team.admin.send(f"/photo {photo}", chat=team.group)
    await team.group.wait_for(lambda msgs: has(texts.PROVIDER_ELSEWHERE)(msgs[in_group:]))
    assert not any(m.photo for m in team.group.messages[in_group:])
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_FOR_PROVIDER.format(id=photo, item=item)))


async def test_a_photo_kept_back_after_a_provider_fetched_it_leaves_the_providers_chat(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    """An approved photo's caption under the card promises "providers see it while the item
    is published", and "🚫 Keep back (face, plate, home)" stays under it so a moderator who
    notices a face, a number plate or a home can take it back. Pat fetched it with /photo N
    first; Sam then keeps it back. /photo N refuses it from then on, and the copy the bot
    sent Pat (recorded, as for /forget and retention) must leave her chat too: otherwise
    the provider keeps the very face or plate the moderator decided she must not see."""
    item, photo, photo_message = await published_with_photo(team, db_path)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_FOR_PROVIDER.format(id=photo, item=item)))
    (sent,) = [m for m in team.pat.messages if m.photo is not None]
    await press_card(team.sam, team.group, photo_message, texts.PHOTO_REJECT)
    await team.group.wait_for(
        lambda _: "kept back by \u2068Sam\u2069" in (photo_message.text or "")
    )
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_NOT_FOUND.format(id=photo)))
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])
    # The only photo ever sent to Pat is the first copy (deleted ones counted too).
    ever = [MessageView(emu, team.pat.chat, i) for i in team.pat.chat.bot_message_ids]
    assert [m.message_id for m in ever if m.photo is not None] == [sent.message_id]
    assert sent.deleted or sent.photo is None, "Pat still holds the photo that was kept back"


async def test_a_photo_of_an_item_whose_approval_is_undone_does_not_stay_with_a_provider(
    team: Team, db_path: Path, emu: Emulator
) -> None:
    """README: "A digest waits ... while an item of its period can still be undone: what a
    moderator takes back never reaches a provider". Photo numbers are sequential, so Pat
    can ask for /photo N of an item published a moment ago, while Sam can still press
    ↩️ Undo. Either the photo is refused until the approval is final, or the copy sent
    leaves Pat's chat when Sam undoes it: either way, once undone, Pat holds no photo of an
    item that is back in the queue."""
    item, photo, _ = await published_with_photo(team, db_path)
    card = await card_of(team.group, item)
    assert [texts.UNDO] in card.buttons
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(
        lambda msgs: (
            has(texts.PHOTO_FOR_PROVIDER.format(id=photo, item=item))(msgs)
            or has(texts.PHOTO_NOT_FOUND.format(id=photo))(msgs)
        )
    )
    await press_card(team.sam, team.group, card, texts.UNDO)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" not in (card.text or ""))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])
    held = [m for m in team.pat.messages if m.photo is not None and not m.deleted]
    assert held == [], "Pat keeps a photo of an item a moderator took back"


@pytest.mark.parametrize("taken_back_by", [texts.PHOTO_REJECT, texts.UNDO])
async def test_a_copy_too_old_to_delete_says_the_moderators_took_the_photo_back(
    team: Team, db_path: Path, emu: Emulator, taken_back_by: str
) -> None:
    """Pat's copy of a photo is older than 48 hours, so Telegram no longer lets the bot
    delete it: once a moderator keeps the photo back or undoes the item's approval, the
    copy is edited to say the moderators took it back, not that photos are kept only for
    a limited time (it is not its age that took it)."""
    item, photo, photo_message = await published_with_photo(team, db_path, emu)
    card = await card_of(team.group, item)
    await team.pat.send(f"/photo {photo}")
    await team.pat.wait_for(has(texts.PHOTO_FOR_PROVIDER.format(id=photo, item=item)))
    (sent,) = [m for m in team.pat.messages if m.photo is not None]
    emu.age_messages(49 * 3600, chat_id=team.pat.id)
    await press_card(
        team.sam,
        team.group,
        photo_message if taken_back_by == texts.PHOTO_REJECT else card,
        taken_back_by,
    )
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])
    assert not sent.deleted
    assert sent.text == texts.PHOTO_REMOVED_UNSHARED, sent.text

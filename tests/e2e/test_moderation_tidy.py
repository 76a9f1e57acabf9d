"""Moderation, tidied: revoking asks first, an edit leaves one message and can be left,
decisions can be undone for a while and published items withdrawn later, and authors are
told everything that happened to their words."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator, MessageView, Person
from handlers import texts
from storage import published
from storage.engines import database_for
from tests.conftest import FakeClock, url_of
from tests.e2e.helpers import add_item, buttons_of
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    outcome,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)


def _view(emu: Emulator, crew: Team, message_id: int) -> MessageView:
    return MessageView(emu, crew.group.chat, message_id)


async def _prompt(crew: Team, item: int) -> MessageView:
    """The edit prompt for an item, once it is in the group."""
    found = await crew.group.wait_for(
        lambda msgs: any(
            "reply to this message" in (m.text or "") and f"#{item}" in (m.text or "") for m in msgs
        )
    )
    return next(m for m in reversed(found) if "reply to this message" in (m.text or ""))


async def _sweep(crew: Team) -> None:
    """Run the moderation sweep now (it runs every 30 seconds on its own)."""
    job_queue = crew.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("moderation-sweep")
    await job.run(crew.bot.application)


async def _processed(person: Person, crew: Team) -> None:
    """Wait until the bot has handled what this moderator sent before (updates of one chat
    are handled in order: a reply to /queue comes after)."""
    newest = max((m.message_id for m in crew.group.messages), default=0)
    await person.send("/queue", chat=crew.group)
    await crew.group.wait_for(lambda msgs: any(m.message_id > newest for m in msgs))


async def _mine(citizen: Person) -> str:
    """What /mine shows the citizen now (other notices may be unread before it)."""
    await citizen.send("/mine")
    found = await citizen.wait_for(lambda msgs: "What you've told us" in (msgs[-1].text or ""))
    return found[-1].text or ""


# ── Revoking a role ───────────────────────────────────────────────────────────────────


async def test_revoking_a_role_asks_first_and_a_replayed_yes_does_nothing_more(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    await say(team.admin, "/roles")
    listing = team.admin.last
    assert listing is not None
    revoke_sam = next(label for label in buttons_of(listing) if "Sam" in label)
    await press_card(team.admin, team.admin.chat, listing, revoke_sam)  # type: ignore[arg-type]
    await team.admin.wait_for(lambda _: "role as a moderator?" in (listing.text or ""))
    assert "Revoke \u2068Sam\u2069's role as a moderator?" in (listing.text or "")
    assert listing.buttons == [[texts.REVOKE_YES, texts.REVOKE_NO]]
    # Nothing ended yet.
    assert await say(team.sam, "/queue") != texts.NOT_ALLOWED
    # "No" keeps the role and shows the list again.
    await press_card(team.admin, team.admin.chat, listing, texts.REVOKE_NO)  # type: ignore[arg-type]
    await team.admin.wait_for(lambda _: "Who has which role" in (listing.text or ""))
    assert "Sam" in (listing.text or "")
    await press_card(team.admin, team.admin.chat, listing, revoke_sam)  # type: ignore[arg-type]
    await team.admin.wait_for(lambda _: texts.REVOKE_YES in str(listing.buttons))
    yes = buttons_of(listing)[texts.REVOKE_YES]
    answer = await press_card(team.admin, team.admin.chat, listing, texts.REVOKE_YES)  # type: ignore[arg-type]
    assert "no longer a moderator" in str(answer.get("text"))
    await team.admin.wait_for(lambda _: "Sam" not in (listing.text or ""))
    assert await say(team.sam, "/queue") == texts.NOT_ALLOWED
    # The same "Yes" again (a replay, or a second tap on an old copy): nothing more ends.
    again = await (await team.admin.press_data(listing.message_id, yes)).answered()
    assert again.get("text") == texts.REVOKE_GONE
    revoked = stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'role.revoked'")
    assert revoked == [(1,)]


async def test_only_admins_can_confirm_a_revocation(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    assert await say(team.sam, "/roles") == texts.NOT_ALLOWED
    refused = team.sam.last
    assert refused is not None
    role_id = stored(db_path, f"SELECT id FROM staff WHERE telegram_id = {team.mo.id}")[0][0]
    forged = await (await team.sam.press_data(refused.message_id, f"a:ry:{role_id}")).answered()
    assert forged.get("text") == texts.NOT_ALLOWED
    assert await say(team.mo, "/queue") != texts.NOT_ALLOWED
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'role.revoked'") == [(0,)]


# ── Edits ──────────────────────────────────────────────────────────────────────────────


async def test_an_edit_leaves_one_message_in_the_group(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = await _prompt(team, item)
    reply = await team.sam.send(
        "The 42 bus was late again and the driver was unkind.", chat=team.group, reply_to=prompt
    )
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    assert texts.CARD_EDITED in (card.text or "")
    # The prompt and the moderator's reply are gone; nothing was added after the card.
    await team.group.wait_for(lambda _: prompt.deleted)
    await team.group.wait_for(lambda _: _view(emu, team, reply["message_id"]).deleted)
    assert [m.message_id for m in team.group.messages] == [card.message_id]
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [
        ("The 42 bus was late again and the driver was unkind.",)
    ]


async def test_an_edit_is_saved_quietly_where_the_bot_may_not_delete(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    # Not an admin of the group: Telegram refuses to delete the moderator's message.
    refused = emu.faults.error(
        "deleteMessage",
        chat_id=team.group.id,
        description="Bad Request: message can't be deleted",
    )
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = await _prompt(team, item)
    await team.sam.send("The driver was unkind.", chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    await _processed(team.sam, team)
    assert refused.hits == 2
    # Nothing said about it: the card shows the text, the rest just stays.
    assert not any(texts.ERROR in (m.text or "") for m in team.group.messages)
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [
        ("The driver was unkind.",)
    ]


async def test_an_edit_prompt_has_cancel_and_ends_when_the_moderator_moves_on(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    first = await give(team.citizen, "Buses", "The 42 bus was late again this morning.")
    second = await give(team.citizen, "Buses", "The 7 bus never came on Sunday at all.")
    card = await card_of(team.group, first)
    other = await card_of(team.group, second)

    def edited() -> list[tuple[object, ...]]:
        return stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {first}")

    # 1. The prompt's own Cancel button.
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = await _prompt(team, first)
    assert prompt.buttons == [[texts.EDIT_CANCEL]]
    # Only the moderator editing can cancel it.
    answer = await press_card(team.mo, team.group, prompt, texts.EDIT_CANCEL)
    assert answer.get("text") == texts.EDIT_NOT_YOURS and not prompt.deleted
    answer = await press_card(team.sam, team.group, prompt, texts.EDIT_CANCEL)
    assert answer.get("text") == texts.EDIT_CANCELLED.format(item=first)
    await team.group.wait_for(lambda _: prompt.deleted)
    await team.sam.send("Too late, this is not an edit.", chat=team.group, reply_to=prompt)
    await _processed(team.sam, team)
    assert edited() == [(None,)]

    # 2. A button on another card ends it.
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = await _prompt(team, first)
    await press_card(team.sam, team.group, other, texts.APPROVE)
    await team.group.wait_for(lambda _: prompt.deleted)
    await team.sam.send("Not an edit either.", chat=team.group, reply_to=prompt)
    await _processed(team.sam, team)
    assert edited() == [(None,)]

    # 3. A command ends it.
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = await _prompt(team, first)
    await _processed(team.sam, team)
    await team.group.wait_for(lambda _: prompt.deleted)
    await team.sam.send("Still not an edit.", chat=team.group, reply_to=prompt)
    await _processed(team.sam, team)
    assert edited() == [(None,)]
    assert "Waiting for a moderator" in (card.text or "")


# ── Undo and unpublish ────────────────────────────────────────────────────────────────


async def test_a_decision_can_be_undone_within_the_window(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
    clock: FakeClock,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and nobody told us.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert [texts.UNDO] in card.buttons
    assert "passed on" in await outcome(team.citizen, item)
    clock.advance(minutes=5)
    answer = await press_card(team.sam, team.group, card, texts.UNDO)
    assert not answer.get("text")
    # Back to waiting, with its buttons; the author hears it is being checked again.
    await team.group.wait_for(lambda _: "Waiting for a moderator" in (card.text or ""))
    assert card.buttons[0] == [texts.APPROVE, texts.EDIT]
    await team.citizen.wait_for(lambda msgs: "took back their decision" in (msgs[-1].text or ""))
    assert stored(db_path, f"SELECT status, published_text FROM feedback WHERE id = {item}") == [
        ("pending", None)
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.undone'") == [(1,)]
    # Decided again: the author is told the new outcome.
    await press_card(team.sam, team.group, card, texts.REJECT)
    await team.group.wait_for(lambda _: card.buttons[0] == [texts.REASONS["abusive"]])
    await press_card(team.sam, team.group, card, texts.REASONS["duplicate"])
    await team.citizen.wait_for(lambda msgs: "not passed on" in (msgs[-1].text or ""))
    assert [texts.UNDO] in card.buttons
    # When the window has passed, the sweep takes Undo away (a rejection has nothing else).
    clock.advance(minutes=11)
    await _sweep(team)
    await team.group.wait_for(lambda _: [texts.UNDO] not in card.buttons)
    assert [texts.UNPUBLISH] not in card.buttons


async def test_after_the_window_a_published_item_is_unpublished_with_a_reason(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
    clock: FakeClock,
) -> None:
    item = await give(team.citizen, "Central Library", "The library closes far too early now.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: [texts.UNDO] in card.buttons)
    undo = buttons_of(card)[texts.UNDO]
    await outcome(team.citizen, item)
    clock.advance(minutes=11)
    await _sweep(team)
    await team.group.wait_for(lambda _: [texts.UNPUBLISH] in card.buttons)
    # Undo pressed on an old copy of the card: too late, nothing changes.
    late = await (await team.sam.press_data(card.message_id, undo, chat=team.group)).answered()
    assert late.get("text") in (texts.MOD_PROBLEMS["too_late"], texts.MOD_PROBLEMS["stale"])
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]
    # Another's item saying the same was merged into it.
    bea = emu.person("Bea")
    other = await add_item(team.bot.db, bea.id, "library", "Library shuts too early", clock())
    assert await say(team.sam, f"/merge {item} {other}") == texts.MERGED.format(
        item=other, into=item
    )
    await press_card(team.sam, team.group, card, texts.UNPUBLISH)
    await team.group.wait_for(lambda _: card.buttons[0] == [texts.REASONS["abusive"]])
    answer = await press_card(team.sam, team.group, card, texts.REASONS["personal"])
    await team.group.wait_for(
        lambda _: "Unpublished (Personal details), by \u2068Sam\u2069" in (card.text or "")
    )
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("withdrawn",)]
    # The merged item, published when merged, is published again on its own; the moderator
    # is told.
    assert answer.get("text") == texts.UNPUBLISHED_REPUBLISHED.format(1, items=f"#{other}")
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {other}") == [("approved",)]
    ((after,),) = stored(db_path, "SELECT after FROM audit WHERE action = 'item.unpublished'")
    assert '"reason": "personal"' in str(after) and '"status": "withdrawn"' in str(after)
    # It leaves what providers read from now on; the author's /mine says so.
    db = database_for(url_of(db_path))
    await db.open()
    try:
        left = await published.items(db.reader, ["library"])
    finally:
        await db.close()
    assert item not in [p.id for p in left]
    assert texts.STATUS["withdrawn"] in await _mine(team.citizen)


async def test_unpublish_by_command_with_the_moderators_words(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
    clock: FakeClock,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus driver was very rude to my mother.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert texts.UNPUBLISH_USAGE in await say(team.sam, "/unpublish")
    assert await say(team.sam, f"/unpublish {item + 99} oops") == texts.MOD_PROBLEMS["no_such_item"]
    reply = await say(team.sam, f"/unpublish #{item} the author asked us <to> take it down")
    assert reply == texts.UNPUBLISHED.format(item=item)
    await team.group.wait_for(
        lambda _: "Unpublished (the author asked us <to> take it down)" in (card.text or "")
    )
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("withdrawn",)]
    assert "isn't published" in await say(team.sam, f"/unpublish {item} again")
    assert await say(team.pat, f"/unpublish {item} mine now") == texts.NOT_ALLOWED


# ── What the author is told ───────────────────────────────────────────────────────────


async def test_an_item_redacted_and_rewritten_tells_the_author_both(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(
        team.citizen,
        "Buses",
        "The driver shouted at us all the way. Ring me on 07700 900123 about it.",
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = await _prompt(team, item)
    await team.sam.send(
        "The driver raised his voice at passengers. [phone]", chat=team.group, reply_to=prompt
    )
    await team.group.wait_for(lambda _: "raised his voice" in (card.text or ""))
    await press_card(team.sam, team.group, card, texts.APPROVE)
    told = await outcome(team.citizen, item)
    assert "a phone number" in told
    assert texts.AUTHOR_PUBLISHED_ALSO_EDITED.strip() in told

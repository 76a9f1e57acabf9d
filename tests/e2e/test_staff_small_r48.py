"""Small things moderators meet (round 48): a summary sent back unchanged, /cancel in the
moderators' group with nothing open, /cancel in private while an edit is open, and a
provider's command typed by a moderator in a group."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from emulator.people import MessageView, Person
from handlers import texts
from handlers.moderator import language_name
from tests.e2e.helpers import has
from tests.e2e.test_attack_staff_r46 import edit_prompts
from tests.e2e.test_citizen import stored
from tests.e2e.test_commands_elsewhere import said_in
from tests.e2e.test_moderation import Team, card_of, give, press_card
from tests.e2e.test_moderation import team as team

__all__ = ["team"]

WELSH = "Dydy'r biniau ddim wedi cael eu casglu ers tair wythnos ac mae'r stryd yn drewi"
SUMMARY = "Bins not collected for three weeks; the street smells."
BUS = "The 42 bus was late again and the driver shouted at us."


async def _prompt(team: Team, card: MessageView, item: int, button: str) -> MessageView:
    """Sam presses `button` (Edit or Summary) on an item's card; the prompt it posts."""
    await press_card(team.sam, team.group, card, button)
    return (await team.group.wait_for(lambda msgs: bool(edit_prompts(msgs, item))))[-1]


async def _replies(person: Person, text: str, emu: Emulator) -> list[str]:
    """Everything the bot says in `person`'s private chat after they send `text`."""
    earlier = {m.message_id for m in person.messages}
    await person.send(text)
    await person.wait_for(lambda msgs: any(m.message_id not in earlier for m in msgs))
    await emu.idle(quiet=0.3)
    return [m.text or "" for m in person.messages if m.message_id not in earlier]


def _audited(db_path: Path, action: str, item: int) -> int:
    rows = stored(
        db_path, f"SELECT 1 FROM audit WHERE action = '{action}' AND subject = 'item:{item}'"
    )
    return len(rows)


async def test_a_summary_sent_back_unchanged_changes_nothing_and_says_so(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam summarises a Welsh item, then presses Summary again and sends the same summary
    back, only spaced differently: nothing is saved again (no second audit row, the card
    and the item as they were), Sam is told kindly, and the summary prompt is closed."""
    item = await give(team.citizen, "Buses", WELSH)
    card = await card_of(team.group, item)
    button = texts.SUMMARY.format(language=language_name("en"))
    prompt = await _prompt(team, card, item, button)
    await team.sam.send(SUMMARY, chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "Bins not collected" in (card.text or ""))
    await emu.idle(quiet=0.3)
    assert _audited(db_path, "item.summary", item) == 1
    sql = f"SELECT summary, summary_at, version FROM feedback WHERE id = {item}"
    before, shown = stored(db_path, sql), card.text

    prompt = await _prompt(team, card, item, button)
    spaced = "  Bins not collected for three  weeks;\nthe street smells.  "
    await team.sam.send(spaced, chat=team.group, reply_to=prompt)
    await team.group.wait_for(has(texts.EDIT_UNCHANGED["summary"].format(item=item)))
    await emu.idle(quiet=0.3)
    assert _audited(db_path, "item.summary", item) == 1
    assert stored(db_path, sql) == before
    assert card.text == shown
    # The summary prompt is closed: its prompt went, and nothing holds the item up.
    assert edit_prompts(team.group.messages, item) == []
    assert stored(db_path, f"SELECT 1 FROM pending_edits WHERE feedback_id = {item}") == []


async def test_cancel_in_the_moderators_group_with_nothing_open_gets_a_kind_answer(
    team: Team, emu: Emulator
) -> None:
    """/cancel in the moderators' group with nothing open: a short answer that there is
    nothing to cancel (not silence); with an edit open, it still ends it and says which."""
    nothing = texts.MODERATORS_NOTHING_TO_CANCEL
    assert await said_in(team.group, team.sam, "/cancel", emu) == [nothing]
    assert await said_in(team.group, team.mo, f"/cancel@{emu.bot_username}", emu) == [nothing]

    item = await give(team.citizen, "Buses", BUS)
    card = await card_of(team.group, item)
    await _prompt(team, card, item, texts.EDIT)
    earlier = {m.message_id for m in team.group.messages}
    await team.sam.send("/cancel", chat=team.group)
    await team.group.wait_for(has(texts.EDIT_CANCELLED.format(item=item)))
    await emu.idle(quiet=0.3)
    said = [m.text for m in team.group.messages if m.message_id not in earlier]
    assert said == [texts.EDIT_CANCELLED.format(item=item)]
    assert edit_prompts(team.group.messages, item) == []


async def test_cancel_in_private_says_which_edit_or_summary_it_closed_in_one_message(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam has an edit prompt open in the moderators' group and sends /cancel in private:
    one message says the edit of #N was cancelled and the card is unchanged (not "nothing to
    cancel"); the prompt goes and the item is free. The same for a summary prompt. With
    nothing open after that, /cancel says there is nothing to cancel, as before."""
    item = await give(team.citizen, "Buses", BUS)
    card = await card_of(team.group, item)
    await _prompt(team, card, item, texts.EDIT)
    said = await _replies(team.sam, "/cancel", emu)
    assert said == [texts.EDIT_CANCELLED_ELSEWHERE["edit"].format(item=item)]
    assert edit_prompts(team.group.messages, item) == []
    assert stored(db_path, f"SELECT 1 FROM pending_edits WHERE feedback_id = {item}") == []
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [(None,)]

    welsh = await give(team.citizen, "Buses", WELSH)
    card = await card_of(team.group, welsh)
    await _prompt(team, card, welsh, texts.SUMMARY.format(language=language_name("en")))
    said = await _replies(team.sam, "/cancel", emu)
    assert said == [texts.EDIT_CANCELLED_ELSEWHERE["summary"].format(item=welsh)]
    assert edit_prompts(team.group.messages, welsh) == []

    assert await _replies(team.sam, "/cancel", emu) == [texts.STAFF_NOTHING_TO_CANCEL]


async def test_a_moderators_provider_command_in_a_group_points_where_it_works(
    team: Team, emu: Emulator
) -> None:
    """/involved, /ask and /photo from a moderator who runs no service, typed in the
    moderators' group or another group the bot is in: who they are for and where they work
    (as /digest), never "that isn't something I can do for you". In private the answer
    stays as it was."""
    club = emu.group("Book club", members=[team.sam, team.citizen])
    for command in ("/involved", "/ask library", "/photo 1", "/invite_people library"):
        name = command.split()[0]
        pointer = texts.COMMAND_ELSEWHERE["providers"].format(command=name)
        assert await said_in(team.group, team.sam, command, emu) == [pointer], command
        assert await said_in(club, team.sam, command, emu) == [pointer], command
        assert await _replies(team.sam, command, emu) == [texts.NOT_ALLOWED], command
    # A citizen's bare command in a group the bot is merely in: perhaps another bot's.
    assert await said_in(club, team.citizen, "/involved", emu) == []


async def test_cancel_in_private_while_writing_a_response_also_says_which_edit_it_closed(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Ada, an admin (who moderates and acts for every provider), is writing a response in
    private and has an edit prompt open in the moderators' group: /cancel in private stops
    both, and one message says so for each."""
    published = await give(team.citizen, "Buses", BUS)
    card = await card_of(team.group, published)
    await press_card(team.admin, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card.text or ""))
    await team.admin.send(f"/respond {published}")
    await team.admin.wait_for(has("What is your answer?"))

    item = await give(team.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    card = await card_of(team.group, item)
    await press_card(team.admin, team.group, card, texts.EDIT)
    await team.group.wait_for(lambda msgs: bool(edit_prompts(msgs, item)))
    said = await _replies(team.admin, "/cancel", emu)
    ended = texts.EDIT_CANCELLED_ELSEWHERE["edit"].format(item=item)
    assert said == [f"{texts.RESPOND_CANCELLED}\n{ended}"]
    assert edit_prompts(team.group.messages, item) == []
    assert stored(db_path, f"SELECT 1 FROM pending_edits WHERE feedback_id = {item}") == []

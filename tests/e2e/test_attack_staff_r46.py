"""Staff flows attacked as an outside client would drive them (round 46): what a moderator
sees when the moderators' group moves while they are in the middle of something."""

from __future__ import annotations

from pathlib import Path

from bot.bidi import balanced
from bot.config import Deployment
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import has, press_on
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import Team, card_of, give, invite, press_card
from tests.e2e.test_moderation import team as team

__all__ = ["team"]

MOVED = "became a supergroup"


def edit_prompts(messages: list[MessageView], item: int) -> list[MessageView]:
    """The edit prompts for an item in a chat (the ones a moderator replies to)."""
    return [
        m
        for m in messages
        if "reply to this message" in (m.text or "") and f"#{item}" in (m.text or "")
    ]


async def test_an_edit_open_when_the_moderators_group_moves_is_not_lost(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam pressed Edit on a card and is about to reply to the prompt when an admin turns the
    moderators' group into a supergroup. The bot says in the new group "I have followed it:
    cards ... now come here, and nothing was lost", and posts the waiting card again there,
    but not Sam's edit prompt: nobody can write in the old group any more, so Sam has nothing
    to reply to. Meanwhile Mo, pressing Approve on the card in the new group, is told "Another
    moderator is correcting the text of #1: wait for their text" - text that cannot come -
    and the item is stuck for the edit hold (10 minutes).

    Expected: the edit goes with the group as the cards do - Sam's prompt is posted again in
    the new group (and his reply there is taken), or the edit that can no longer be answered
    is let go, so Mo's Approve works. (Likely cause: ChatMoves/IdHandlers._after_move repost
    cards, asks and responses but not an open edit; bot/moderation.py keeps the edit hold.)"""
    item = await give(
        team.citizen, "Buses", "The 42 bus was late again and the driver shouted at us."
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    await team.group.wait_for(lambda msgs: bool(edit_prompts(msgs, item)))

    supergroup = emu.upgrade(team.group, by=team.admin)
    notice = (await supergroup.wait_for(has(MOVED), timeout=30))[0].text or ""
    assert "nothing was lost" in notice
    moved_card = await card_of(supergroup, item)
    await emu.idle(quiet=0.5)

    prompts = edit_prompts(supergroup.messages, item)
    if prompts:
        # The edit came along: Sam replies to it where the moderators are now.
        corrected = "The 42 bus was late again and the driver was unkind."
        await team.sam.send(corrected, chat=supergroup, reply_to=prompts[-1])
        await supergroup.wait_for(lambda _: "driver was unkind" in (moved_card.text or ""))
        return
    # Not posted again: then it must not hold the item up either.
    answer = await press_card(team.mo, supergroup, moved_card, texts.APPROVE)
    being_edited = texts.MOD_PROBLEMS["being_edited"].format(item=item)
    assert answer.get("text") != being_edited, (
        "Sam's edit prompt stayed in the old group, which nobody can write in, yet Mo is told "
        f"to wait for Sam's text: {answer.get('text')!r}"
    )
    await supergroup.wait_for(lambda _: "Published by \u2068Mo\u2069" in (moved_card.text or ""))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]


async def test_a_second_moderators_edit_does_not_silently_replace_the_first(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam presses Edit on a card and gets "Sam, reply to this message with the corrected
    text". Mo, a moment later, presses Edit on the same card and gets his own prompt too (an
    Approve by Mo at this point is refused: "Another moderator is correcting the text").
    Sam replies with his correction and the card shows it; then Mo replies to his prompt,
    written against the text as it was before, and his text replaces Sam's without a word to
    either of them: Sam's correction is lost unseen.

    Expected, as "two moderators cannot act on one item at once": Mo's Edit is refused while
    Sam's edit is open (as his Approve is), or his reply, made against a text that changed
    meanwhile, is refused as stale; the card keeps Sam's correction. (Likely cause:
    Moderation.begin_edit in bot/moderation.py checks no other moderator's open edit
    (feedback.editor_of), and the reply does not check the version the prompt was for.)"""
    item = await give(
        team.citizen, "Buses", "The 42 bus was late again and the driver shouted at us."
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    sams = (await team.group.wait_for(lambda msgs: bool(edit_prompts(msgs, item))))[-1]
    await emu.idle(quiet=0.3)
    await press_card(team.mo, team.group, card, texts.EDIT)
    await emu.idle(quiet=0.3)
    mos = [
        p for p in edit_prompts(team.group.messages, item) if (p.text or "").startswith("\u2068Mo")
    ]

    sam_text = "The 42 bus was late again and the driver was unkind to us."
    await team.sam.send(sam_text, chat=team.group, reply_to=sams)
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    if mos:
        await team.mo.send("The 42 bus was late again.", chat=team.group, reply_to=mos[-1])
        await emu.idle(quiet=0.5)
    assert "driver was unkind" in (card.text or ""), (
        f"Sam's correction was replaced by Mo's, made against the older text: {card.text!r}"
    )
    edits = stored(
        db_path, f"SELECT actor FROM audit WHERE action = 'item.edited' AND subject = 'item:{item}'"
    )
    assert edits == [(team.sam.id,)], edits


async def said_in(group: Group, person: Person, command: str, emu: Emulator) -> list[str]:
    """What the bot says in a group after `person` types `command` there."""
    before = len(group.messages)
    await person.send(command, chat=group)
    await emu.idle(quiet=0.3)
    return [m.text or "" for m in group.messages[before:]]


async def test_staff_commands_typed_in_a_group_where_they_do_not_work_get_a_pointer(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    """Ada (the admin) sits in the moderators' group and types /invite moderator there to
    bring in a colleague, then /roles and /audit: the bot says nothing at all. Sam, a
    moderator, types /queue in the provider team's group he also sits in: nothing either,
    nor for /help in the moderators' group. Yet a provider's command in the wrong group is
    answered ("Provider commands work in our private chat or in your team's chat.") and a
    citizen's /start in a group gets "Let's talk in a private chat". Staff left with silence
    think the bot is down.

    Expected: each gets a short, kind pointer to where the command works (the private chat,
    or the moderators' group), and no invitation link is posted in a group. (Likely cause:
    handlers/__init__.py registers /invite, /roles, /audit, /help (and /queue, /merge,
    /unpublish outside the moderators' chat) for private chats only, with no catch in groups
    as PROVIDER_ELSEWHERE / GROUP_START give; texts.GROUP_ONLY_PRIVATE is unused.)"""
    admin, sam, pat = (emu.person(n) for n in ("Ada", "Sam", "Pat"))
    mods = emu.group("Riverside moderators", members=[admin, sam])
    team_group = emu.group("Culture team", members=[pat, sam])
    providers = [
        p.model_copy(update={"chats": [team_group.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": mods.id, "providers": providers}
    )
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        # Where it works, it is answered.
        assert await said_in(mods, sam, "/queue", emu) == [texts.QUEUE_EMPTY]
        silent = []
        for group, person, command in (
            (mods, admin, "/invite moderator"),
            (mods, admin, "/roles"),
            (mods, admin, "/audit"),
            (mods, sam, "/help"),
            (team_group, sam, "/queue"),
        ):
            said = await said_in(group, person, command, emu)
            assert not any("start=inv_" in s for s in said), said
            if not said:
                silent.append(f"{command} by {person.first_name} in {group.title}")
        assert not silent, f"no answer at all to: {silent}"


async def out_of_the_group_for_hours(team: Team, emu: Emulator, clock: FakeClock) -> int:
    """The bot is removed from the moderators' group; an item comes in and waits for hours,
    the card sweep and the reminder running as they do; the item's number."""
    emu.remove_bot_from(team.group, by=team.admin)
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    for _ in range(8):
        clock.advance(hours=1)
        await run_job(team.bot, "moderation-sweep")
        await run_job(team.bot, "moderation-reminder")
        await emu.idle(quiet=0.2)
    return item


async def test_a_card_refused_because_the_bot_was_removed_is_said_in_plain_words(
    team: Team, emu: Emulator, clock: FakeClock
) -> None:
    """The bot was removed from the moderators' group. Sam asks /queue in private and reads
    "its card was refused 5 times: Forbidden: Forbidden: bot was kicked from the group chat"
    (Telegram's error, its class name said twice); pressing "Post card #1" answers "Telegram
    refused the card of #1: Forbidden: bot was kicked from the group chat".

    Expected: plain words a moderator can act on - the bot is not in the moderators' group
    any more and an admin of the group has to add it back - without a raw exception text.
    (Likely cause: handlers/moderator.py _why() stores f"{type(exc).__name__}: {exc}" as
    the card error, and str(Forbidden) already starts with "Forbidden: "; /queue and
    CARD_NOT_POSTED show it as it is.)"""
    item = await out_of_the_group_for_hours(team, emu, clock)
    queue = await say(team.sam, "/queue")
    assert f"#{item}" in queue
    assert "Forbidden" not in queue, queue
    listed = team.sam.messages[-1]
    answer = await press_on(team.sam, listed, texts.QUEUE_POST.format(item=item))
    assert "Forbidden" not in str(answer.get("text")), answer


async def test_items_waiting_while_the_bot_is_out_of_the_moderators_group_reach_someone(
    team: Team, emu: Emulator, clock: FakeClock
) -> None:
    """Someone removes the bot from the moderators' group (by mistake, tidying members). A
    citizen's item comes in; its card cannot be posted, the reminder "⏰ 1 waiting; the
    oldest (#1) for 8 h" cannot be posted either, and after eight hours neither the admin nor
    any moderator has heard a word: the item waits unseen until someone happens to look.

    Expected: when the moderators' group cannot be reached, the people who can fix it hear
    of it in private (the admins, or the moderators): that the bot is not in the moderators'
    group and items are waiting. (Likely cause: ModeratorHandlers.remind in
    handlers/moderator.py only logs a failed reminder; nothing else tells anyone.)"""
    staff = (team.admin, team.sam, team.mo)
    before = [len(p.messages) for p in staff]
    await out_of_the_group_for_hours(team, emu, clock)
    await emu.idle(quiet=0.3)
    heard = [m.text or "" for p, n in zip(staff, before, strict=True) for m in p.messages[n:]]
    assert heard, "in eight hours, neither the admin nor a moderator was told anything"


async def test_a_moderators_name_turning_text_right_to_left_stays_inside_the_name(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    """A moderator's Telegram name starts with a right-to-left override (U+202E) left open -
    by accident (pasted from an Arabic or Hebrew profile) or on purpose. The card then ends
    "✅ Published by \u202eSam at 09:00", which the moderators read as "Published by 00:90 ta
    maS"; the edit prompt "\u202eSam, reply to this message ..." reads backwards as a whole;
    /roles likewise. A citizen's text with the same character is balanced and isolated on the
    card (test_a_direction_override_in_the_text_stays_inside_its_line), and a provider's
    name is isolated in their previews; a moderator's name is put in as it is.

    Expected: the name is balanced and isolated (handlers/fitting.person) wherever the bot
    writes a staff member's name, so the rest of the line reads as written. (Likely cause:
    the card status ("Published by {who}"), EDIT_PROMPT's {mention} and /roles use the
    stored display name escaped only, not handlers.fitting.person / bot.bidi.isolate.)"""
    admin, sam, cy = emu.person("Ada"), emu.person("\u202eSam"), emu.person("Cy")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        item = await give(cy, "Buses", "The 42 bus was late again and the driver shouted.")
        card = await card_of(group, item)
        await press_card(sam, group, card, texts.EDIT)
        prompt = (await group.wait_for(lambda msgs: bool(edit_prompts(msgs, item))))[-1]
        await press_card(sam, group, prompt, texts.EDIT_CANCEL)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        roles = await say(admin, "/roles")
        lines = {
            "the edit prompt": (prompt.text or "").splitlines()[0],
            "the card": next(x for x in (card.text or "").splitlines() if "Published by" in x),
            "/roles": next(x for x in roles.splitlines() if "Sam" in x),
        }
        spilled = {where: line for where, line in lines.items() if balanced(line) != line}
        assert not spilled, f"an open right-to-left override runs over the line: {spilled}"

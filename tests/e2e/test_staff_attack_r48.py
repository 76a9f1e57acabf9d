"""Round 48: an outside client attacks the moderators' path and the "me too" path end to end:
cards pressed by people who are not moderators, cards of items erased meanwhile, forged
buttons, supporters of items merged, and the bot put back into the moderators' group."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_forum import forum as forum
from tests.e2e.test_metoo import DAN_WIFI, SAME, WIFI, join_first, offered, supported_by
from tests.e2e.test_mod_attacks import carded, pending
from tests.e2e.test_moderation import Team, card_of, give, invite, outcome, press_card
from tests.e2e.test_moderation import team as team
from tests.e2e.test_responses import (
    CHANGED,
    WEDNESDAY,
    World,
    answer_item,
    digest_in_private,
    notice_of,
    send_words,
)
from tests.e2e.test_responses import world as world

__all__ = ["forum", "team", "world"]

HEARD = "has responded"


async def test_a_group_member_who_is_not_a_moderator_cannot_press_a_card(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Zed is in the moderators' group but was never invited: every button on a card is
    refused, and the item stays as it was."""
    zed = emu.person("Zed")
    team.group.add(zed)
    item = await give(team.citizen, "Buses", "The bus shelter on Mill Road has no roof any more.")
    card = await card_of(team.group, item)
    for label in (texts.APPROVE, texts.EDIT, texts.THEMES, texts.KIND, texts.REJECT):
        answer = await press_card(zed, team.group, card, label)
        assert answer.get("text") == texts.NOT_ALLOWED_BUTTON, (label, answer)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    assert await say(zed, f"/merge {item} {item}") == texts.NOT_ALLOWED


async def test_pressing_a_card_of_an_item_its_author_just_erased_changes_nothing(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """The author erases everything while the card is still on a moderator's screen; each
    button then answers plainly, publishes nothing and never says something went wrong."""
    item = await give(team.citizen, "Buses", "The 42 bus driver shouted at my mother today.")
    card = await card_of(team.group, item)
    data = {label: d for label, d in buttons_of(card).items()}
    await team.citizen.send("/forget")
    await team.citizen.wait_for(last_has("can't be undone"))
    assert texts.FORGET_DONE in await press(team.citizen, texts.FORGET_ALL)
    await emu.idle(quiet=0.3)
    for label in (texts.APPROVE, texts.EDIT, texts.THEMES, texts.REJECT, texts.ORIGINAL):
        result = await team.sam.press_data(card.message_id, data[label], chat=team.group)
        answer = await result.answered()
        assert answer.get("text") != texts.ERROR, (label, answer)
    version = data[texts.APPROVE].split(":")[3]
    for forged in (f"m:r:{item}:{version}:abusive", f"m:g:{item}:{version}:safety:1"):
        result = await team.sam.press_data(card.message_id, forged, chat=team.group)
        assert (await result.answered()).get("text") != texts.ERROR
    assert stored(db_path, f"SELECT COUNT(*) FROM feedback WHERE id = {item}") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback WHERE status = 'approved'") == [(0,)]
    await emu.idle(quiet=0.3)
    assert not any(m.text == texts.ERROR for m in team.group.messages)
    assert not any(m.text == texts.ERROR for m in team.sam.messages)


async def test_supporters_of_an_item_merged_into_another_each_hear_the_answer_once(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Bob says "me too" to Alice's item; Dan joins it too and also Carol's; a moderator merges
    Alice's into Carol's; the provider answers Carol's: Alice, Bob, Carol and Dan each hear
    it exactly once."""
    alice, bob, carol, dan = (emu.person(n) for n in ("Alice", "Bob", "Carol", "Dan"))
    db = world.bot.db
    a = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    c = await add_item(db, carol.id, "library", DAN_WIFI, WEDNESDAY)
    for person, targets in ((bob, (a,)), (dan, (a, c))):
        await consent(person)
        for n, target in enumerate(targets):
            if n:
                assert "Which service" in await say(person, "/start")
            assert "Is it one of these?" in await offered(person, SAME)
            offer = person.messages[-1]
            label = next(k for k, v in buttons_of(offer).items() if v.endswith(f":{target}"))
            await press_on(person, offer, label)
            await person.wait_for(last_has("your support is added"))
    await world.sam.send(f"/merge {c} {a}", chat=world.mods)
    await world.mods.wait_for(last_has(f"#{a} is merged into #{c}"))
    # Counted once each with the item they now support: Alice, Bob and Dan.
    digest = await digest_in_private(world, clock)
    assert "(+3 people said the same)" in (digest.text or ""), digest.text
    await answer_item(world.pat, c, CHANGED)
    done = await send_words(world.pat, "We have replaced the library's wifi router.")
    assert "goes to 4 people" in done, done
    for person in (alice, bob, carol, dan):
        await notice_of(person)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    for person in (alice, bob, carol, dan):
        assert sum(HEARD in (m.text or "") for m in person.messages) == 1, person.first_name


async def test_the_bot_put_back_into_the_moderators_group_posts_the_waiting_card(
    team: Team, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """The bot is removed from the moderators' group, an item comes in, the bot is added back:
    the card of the waiting item appears there and can be approved, once."""
    emu.remove_bot_from(team.group, by=team.admin)
    item = await pending(team, team.citizen.id, "buses", "The 42 bus was late again today.")
    for _ in range(3):
        clock.advance(minutes=20)
        await run_job(team.bot, "moderation-sweep")
        await emu.idle(quiet=0.2)
    emu.add_bot_to(team.group, by=team.admin)
    await emu.idle(quiet=0.3)
    clock.advance(minutes=20)
    card = await carded(team, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card.text or ""))
    cards = [m for m in team.group.messages if (m.text or "").startswith(f"#{item} ")]
    assert len(cards) == 1


async def test_edit_pressed_on_a_card_deleted_by_hand_still_opens_the_edit(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A moderator's client still shows a card someone deleted in the group; Edit pressed on
    it opens the edit all the same (not "something went wrong"), and the reply is taken."""
    item = await pending(team, team.citizen.id, "buses", "The 7 bus is late every morning.")
    card = await carded(team, item)
    team.group.chat.deleted.add(card.message_id)
    answer = await press_card(team.sam, team.group, card, texts.EDIT)
    assert answer.get("text") != texts.ERROR, answer
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    await team.sam.send("The number 7 bus is late every morning.", chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: prompt.deleted, timeout=10)
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [
        ("The number 7 bus is late every morning.",)
    ]


async def test_forged_presses_on_a_merged_items_card_change_nothing(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Once B is merged into A, every button a moderator could forge on B's card (approve,
    undo, reject, unpublish, edit, summary) leaves it merged, without an error."""
    a = await pending(team, team.citizen.id, "buses", "The 42 bus driver was rude to my mother.")
    b = await pending(team, team.mo.id, "buses", "The driver on the 42 was rude to us as well.")
    card_a = await carded(team, a)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card_a.text or ""))
    card_b = await card_of(team.group, b)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    [(version,)] = stored(db_path, f"SELECT version FROM feedback WHERE id = {b}")
    row = (
        "SELECT status, version, withdrawn_reason, published_text, edited_text, reject_reason"
        f" FROM feedback WHERE id = {b}"
    )
    before = stored(db_path, row)
    for data in (
        f"m:a:{b}:{version}",
        f"m:u:{b}:{version}",
        f"m:r:{b}:{version}:abusive",
        f"m:y:{b}:{version}:abusive",
        f"m:e:{b}:{version}",
        f"m:z:{b}:{version}",
    ):
        result = await team.sam.press_data(card_b.message_id, data, chat=team.group)
        answer = await result.answered()
        assert answer.get("text") != texts.ERROR, (data, answer)
    await emu.idle(quiet=0.3)
    assert stored(db_path, row) == before
    assert not any("reply to this message" in (m.text or "") for m in team.group.messages)


async def test_a_reply_to_an_edit_prompt_by_someone_not_a_moderator_changes_nothing(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Zed, in the group but no moderator, replies to Sam's edit prompt: the text is not
    taken, and Sam's own reply still is."""
    zed = emu.person("Zed")
    team.group.add(zed)
    item = await pending(team, team.citizen.id, "buses", "The 7 bus is late every morning.")
    card = await carded(team, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    await zed.send("Everything is fine with the buses.", chat=team.group, reply_to=prompt)
    await emu.idle(quiet=0.3)
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [(None,)]
    await team.sam.send("The number 7 bus is late every morning.", chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "number 7" in (card.text or ""), timeout=10)


async def test_an_edit_sent_after_the_author_erased_the_item_says_it_is_gone(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam opens an edit; the author erases everything; Sam's reply is answered plainly (the
    item is gone), stores nothing and never says something went wrong."""
    item = await give(team.citizen, "Buses", "The 42 bus driver shouted at my mother today.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    await team.citizen.send("/forget")
    await team.citizen.wait_for(last_has("can't be undone"))
    assert texts.FORGET_DONE in await press(team.citizen, texts.FORGET_ALL)
    await emu.idle(quiet=0.3)
    seen = len(team.group.messages)
    await team.sam.send("The 42 bus driver was unkind.", chat=team.group, reply_to=prompt)
    await emu.idle(quiet=0.5)
    said = [m.text or "" for m in team.group.messages[seen:]]
    assert texts.ERROR not in said, said
    assert stored(db_path, f"SELECT COUNT(*) FROM feedback WHERE id = {item}") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback WHERE status = 'approved'") == [(0,)]


async def test_an_item_whose_author_left_keeping_comments_can_still_be_decided(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """The author says "erase me, keep published comments" while the item waits: the card can
    still be approved (nobody to tell), without an error."""
    item = await give(team.citizen, "Buses", "The 42 bus was late again this morning.")
    card = await card_of(team.group, item)
    await team.citizen.send("/forget")
    await team.citizen.wait_for(last_has("can't be undone"))
    assert texts.FORGET_DONE in await press(team.citizen, texts.FORGET_KEEP)
    await emu.idle(quiet=0.3)
    answer = await press_card(team.sam, team.group, card, texts.APPROVE)
    assert answer.get("text") != texts.ERROR, answer
    await emu.idle(quiet=0.3)
    assert not any(m.text == texts.ERROR for m in team.group.messages)


@pytest.mark.parametrize("how", ["closed", "deleted"])
async def test_edit_pressed_on_a_card_in_a_topic_closed_or_deleted_since_still_opens_it(
    forum: Team, emu: Emulator, db_path: Path, how: str
) -> None:
    """The moderators' cards go to a topic; the topic is closed (or deleted) while a
    moderator's client still shows a card there. Edit opens the edit all the same (its prompt
    in General), never "something went wrong", and the reply to it is taken."""
    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    await sam.send("/queue", chat=group, topic=moderation)
    await group.wait_for(has("Nothing is waiting"), timeout=10)
    item = await give(forum.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    card = await card_of(group, item)
    assert card.thread == moderation
    if how == "closed":
        emu.close_topic(group, moderation, by=forum.admin)
    else:
        emu.delete_topic(group, moderation)
    answer = await press_card(sam, group, card, texts.EDIT)
    assert answer.get("text") != texts.ERROR, answer
    prompt = (await group.wait_for(has("reply to this message"), timeout=10))[-1]
    await sam.send("The 7 bus skipped our stop twice.", chat=group, reply_to=prompt)
    await group.wait_for(lambda _: prompt.deleted, timeout=10)
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [
        ("The 7 bus skipped our stop twice.",)
    ]


async def test_approve_and_reject_pressed_at_the_same_moment_one_wins_and_the_author_hears_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam approves while Mo rejects the same card at the same moment: one decision stands,
    the other is told it came too late, and the author hears exactly one outcome."""
    item = await give(team.citizen, "Buses", "The 42 bus was late again this morning.")
    card = await card_of(team.group, item)
    version = (card.button_data[0][0] or "").split(":")[3]
    sam, mo = await asyncio.gather(
        team.sam.press_data(card.message_id, f"m:a:{item}:{version}", chat=team.group),
        team.mo.press_data(card.message_id, f"m:r:{item}:{version}:duplicate", chat=team.group),
    )
    answers = [(await sam.answered()).get("text"), (await mo.answered()).get("text")]
    assert sorted(bool(a) for a in answers) == [False, True], answers
    await outcome(team.citizen, item)
    await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=0.5)
    told = [m for m in team.citizen.messages if f"#{item} about" in (m.text or "")]
    assert len(told) == 1, [m.text for m in told]
    decided = "SELECT COUNT(*) FROM audit WHERE action IN ('item.approved', 'item.rejected')"
    assert stored(db_path, decided) == [(1,)]


async def test_a_supporter_of_both_items_merged_after_an_answer_hears_it_once(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Dan said "me too" to Alice's item and to Carol's; the service answers Carol's and Dan
    hears it; then a moderator merges Alice's into Carol's: Alice hears the answer now, Dan
    does not hear it a second time."""
    alice, carol, dan = (emu.person(n) for n in ("Alice", "Carol", "Dan"))
    db = world.bot.db
    a = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    c = await add_item(db, carol.id, "library", DAN_WIFI, WEDNESDAY)
    await consent(dan)
    for n, target in enumerate((a, c)):
        if n:
            assert "Which service" in await say(dan, "/start")
        assert "Is it one of these?" in await offered(dan, SAME)
        offer = dan.messages[-1]
        label = next(k for k, v in buttons_of(offer).items() if v.endswith(f":{target}"))
        await press_on(dan, offer, label)
        await dan.wait_for(last_has("your support is added"))
    await answer_item(world.pat, c, CHANGED)
    assert "goes to 2 people" in await send_words(world.pat, "We replaced the wifi router.")
    await notice_of(dan)
    await notice_of(carol)
    await world.sam.send(f"/merge {c} {a}", chat=world.mods)
    await world.mods.wait_for(last_has(f"#{a} is merged into #{c}"))
    await notice_of(alice)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    for person in (alice, carol, dan):
        assert sum(HEARD in (m.text or "") for m in person.messages) == 1, person.first_name


async def test_an_edit_open_on_an_item_merged_meanwhile_changes_nothing(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Mo opens an edit of B; Sam merges B into A; Mo's reply changes nothing of B or A and
    is answered plainly (not "something went wrong")."""
    a = await pending(team, team.citizen.id, "buses", "The 42 bus driver was rude to my mother.")
    b = await pending(team, team.pat.id, "buses", "The driver on the 42 was rude to us as well.")
    card_a = await carded(team, a)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card_a.text or ""))
    card_b = await card_of(team.group, b)
    await press_card(team.mo, team.group, card_b, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    seen = len(team.group.messages)
    await team.mo.send("The 42's driver was rude to us too.", chat=team.group, reply_to=prompt)
    await emu.idle(quiet=0.5)
    said = [m.text or "" for m in team.group.messages[seen:]]
    assert texts.ERROR not in said, said
    assert stored(db_path, f"SELECT status, edited_text FROM feedback WHERE id = {b}") == [
        ("merged", None)
    ]
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {a}") == [(None,)]


RIGHTS = (
    "can_send_messages can_send_audios can_send_documents can_send_photos can_send_videos"
    " can_send_video_notes can_send_voice_notes can_send_polls can_send_other_messages"
    " can_add_web_page_previews can_change_info can_invite_users can_pin_messages"
    " can_manage_topics can_edit_tag can_react_to_messages"
).split()


ADMIN = (
    "can_be_edited is_anonymous can_manage_chat can_delete_messages can_manage_video_chats"
    " can_restrict_members can_promote_members can_change_info can_invite_users"
    " can_post_stories can_edit_stories can_delete_stories"
).split()


def rights_changed(emu: Emulator, team: Team, old: str, new: str) -> None:
    """Telegram tells the bot an admin of the moderators' group changed what it may do."""

    def member(status: str) -> dict[str, object]:
        if status == "restricted":
            return {
                "status": status,
                "user": emu.bot_user,
                "is_member": True,
                "until_date": 0,
                **dict.fromkeys(RIGHTS, False),
            }
        if status == "administrator":
            return {"status": status, "user": emu.bot_user, **dict.fromkeys(ADMIN, False)}
        return {"status": status, "user": emu.bot_user}

    emu.inject(
        {
            "my_chat_member": {
                "chat": dict(team.group.chat.api),
                "from": dict(team.admin.user),
                "date": int(team.bot.clock().timestamp()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }
    )


@pytest.mark.parametrize(
    ("taken", "given"), [("restricted", "member"), ("member", "administrator")]
)
async def test_cards_held_while_the_bot_could_not_post_go_once_it_may_post_again(
    team: Team, emu: Emulator, clock: FakeClock, taken: str, given: str
) -> None:
    """An admin of the moderators' group takes away the bot's right to post; an item waits
    while the card sweep keeps being refused for hours (its tries spaced out to one an hour).
    The admin gives the right back (lifts the restriction, or makes the bot an admin again in
    a group where only admins may post): the waiting card is posted then, as when the bot is
    added back to the group, not up to an hour later."""
    muted = emu.faults.error(
        "sendMessage",
        description="Bad Request: not enough rights to send text messages to the chat",
        chat_id=team.group.id,
    )
    if taken == "restricted":
        rights_changed(emu, team, "member", "restricted")
    else:
        rights_changed(emu, team, "administrator", "member")
    item = await pending(team, team.citizen.id, "buses", "The 42 bus was late again today.")
    for _ in range(8):
        clock.advance(hours=1)
        await run_job(team.bot, "moderation-sweep")
        await emu.idle(quiet=0.2)
    assert not any((m.text or "").startswith(f"#{item} ") for m in team.group.messages)
    emu.faults.remove(muted)
    clock.advance(minutes=1)
    rights_changed(emu, team, taken, given)
    await card_of(team.group, item)
    await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=0.3)
    assert sum((m.text or "").startswith(f"#{item} ") for m in team.group.messages) == 1


PRAISE = "Thank you, the staff at the library were wonderful and so helpful today!"
PRAISE_TOO = "Thank you to the library staff, they were so kind and helpful today!"


async def test_an_item_merged_before_it_was_tagged_is_not_published_by_the_auto_rule(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """With compliments published by the auto-approve rule, a moderator merges a compliment
    listed by /queue before the language tools have read it. When they do, it stays merged:
    not published on its own as well (its author counted twice, told it was passed on)."""
    admin, sam, cy, di = (emu.person(n) for n in ("Ada", "Sam", "Cy", "Di"))
    group = emu.group("Mods", members=[admin, sam])
    rules = deployment.moderation.model_copy(update={"auto_approve_compliments": True})
    auto = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": group.id, "moderation": rules}
    )
    async with make_bot(deployment=auto) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        team = Team(bot, group, admin, sam, sam, sam, cy)
        a = await pending(team, cy.id, "library", PRAISE)
        await carded(team, a)
        assert stored(db_path, f"SELECT status FROM feedback WHERE id = {a}") == [("approved",)]
        b = await pending(team, di.id, "library", PRAISE_TOO)
        assert f"#{b}" in await say(sam, "/queue")
        assert await say(sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
        await run_job(bot, "moderation-sweep")
        await emu.idle(quiet=0.3)
        assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("merged",)]
        assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.approved'") == [
            (1,)
        ]
        assert not any(f"#{b} about" in (m.text or "") for m in di.messages)


async def test_every_card_action_with_odd_arguments_changes_nothing_and_never_errs(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Each action a card carries, forged with arguments no button has (missing, extra,
    unknown, out of range), on a waiting card and a published one: refused or harmless,
    never "something went wrong", and neither item changes."""
    waiting = await pending(team, team.citizen.id, "buses", "The 7 bus is late every morning.")
    published = await pending(team, team.citizen.id, "buses", "The 42 bus driver was rude.")
    card = await carded(team, waiting)
    other = await carded(team, published)
    await press_card(team.sam, team.group, other, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (other.text or ""))
    state = "SELECT id, status, version, edited_text, kind FROM feedback ORDER BY id"
    before = stored(db_path, state)
    themes = "SELECT feedback_id, theme_id, active FROM item_themes ORDER BY 1, 2"
    themes_before = stored(db_path, themes)
    odd = ["", "nope:1:1", "9" * 30]
    actions = "a e t x r g o b u p y n w v c k s z".split()
    for item, message in ((waiting, card), (published, other)):
        [(version,)] = stored(db_path, f"SELECT version FROM feedback WHERE id = {item}")
        for action in actions:
            for arg in odd:
                data = f"m:{action}:{item}:{version + 1}" + (f":{arg}" if arg else "")
                result = await team.sam.press_data(message.message_id, data[:64], chat=team.group)
                answer = await result.answered()
                assert answer.get("text") != texts.ERROR, (data, answer)
    await emu.idle(quiet=0.3)
    assert stored(db_path, state) == before
    assert stored(db_path, themes) == themes_before
    assert not any(m.text == texts.ERROR for m in team.group.messages)


async def test_a_join_pressed_as_a_moderator_merges_that_item_still_hears_back(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob presses "It's 1" on Alice's item at the very moment a moderator merges Alice's
    item into Carol's: however the two fall, Bob's support ends on Carol's item (the one that
    counts), and he hears its answer once."""
    alice, bob, carol = (emu.person(n) for n in ("Alice", "Bob", "Carol"))
    db = world.bot.db
    a = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    c = await add_item(db, carol.id, "library", "Printing at the library is broken", WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    offer = bob.messages[-1]
    label = next(k for k, v in buttons_of(offer).items() if v.endswith(f":{a}"))
    await asyncio.gather(
        press_on(bob, offer, label), world.sam.send(f"/merge {c} {a}", chat=world.mods)
    )
    await world.mods.wait_for(last_has(f"#{a} is merged into #{c}"))
    await bob.wait_for(last_has("your support is added"))
    await emu.idle(quiet=0.3)
    await answer_item(world.pat, c, CHANGED)
    assert "goes to 3 people" in await send_words(world.pat, "We have fixed the printers now.")
    await notice_of(bob)


async def test_a_join_pressed_as_the_service_sends_its_answer_still_brings_the_answer(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob presses "It's 1" on Alice's item at the very moment the provider presses Send on
    an answer to it: however the two fall, Bob hears the answer exactly once."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    offer = bob.messages[-1]
    label = next(k for k, v in buttons_of(offer).items() if v.endswith(f":{a}"))
    await answer_item(world.pat, a, CHANGED)
    words = "We have replaced the library's wifi router."
    await world.pat.send(words)
    preview = await world.pat.wait_for(
        lambda m: bool(m) and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
    )
    await asyncio.gather(
        press_on(bob, offer, label), press_on(world.pat, preview[-1], texts.RESPOND_SEND)
    )
    await world.pat.wait_for(last_has("Published"))
    await bob.wait_for(has("your support is added"))
    await notice_of(bob)
    await notice_of(alice)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    for person in (alice, bob):
        assert sum(HEARD in (m.text or "") for m in person.messages) == 1, person.first_name


async def test_a_merge_into_an_item_unpublished_at_the_same_moment_leaves_nothing_lost(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam merges B into A (from his private chat) at the very moment Mo unpublishes A (in
    the group): however the two fall, B is
    not left merged into an item that no longer counts (it is back in the queue, or the
    merge was refused)."""
    a = await pending(team, team.citizen.id, "buses", "The 42 bus driver was rude to my mother.")
    b = await pending(team, team.pat.id, "buses", "The driver on the 42 was rude to us as well.")
    card_a = await carded(team, a)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card_a.text or ""))
    await card_of(team.group, b)
    seen = len(team.sam.messages)
    await asyncio.gather(
        team.sam.send(f"/merge {a} {b}"),
        team.mo.send(f"/unpublish {a} it names a member of staff", chat=team.group),
    )
    await team.sam.wait_for(lambda msgs: len(msgs) > seen, timeout=10)
    await team.group.wait_for(
        lambda msgs: any(f"#{a} is unpublished" in (m.text or "") for m in msgs), timeout=10
    )
    await emu.idle(quiet=0.3)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {a}") == [("withdrawn",)]
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("pending",)]


async def test_an_undo_pressed_as_a_moderator_merges_that_item_leaves_no_support_behind(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob joins Alice's item, then presses Undo at the very moment a moderator merges
    Alice's item into Carol's: however the two fall, Bob supports neither (his words go on
    as his own), and Carol's answer goes to Alice and Carol only."""
    alice, bob, carol = (emu.person(n) for n in ("Alice", "Bob", "Carol"))
    db = world.bot.db
    a = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    c = await add_item(db, carol.id, "library", "Printing at the library is broken", WEDNESDAY)
    await consent(bob)
    thanks = await join_first(bob)
    await asyncio.gather(press_on(bob, thanks, texts.METOO_UNDO), world.sam.send(f"/merge {c} {a}"))
    await bob.wait_for(lambda ms: any(texts.METOO_UNDONE in (m.text or "") for m in ms))
    await world.sam.wait_for(has(f"#{a} is merged into #{c}"), timeout=10)
    await emu.idle(quiet=0.3)
    assert supported_by(db_path, bob) == []
    await answer_item(world.pat, c, CHANGED)
    assert "goes to 2 people" in await send_words(world.pat, "We have fixed the printers now.")


async def test_a_merge_as_the_service_sends_its_answer_brings_the_merged_author_the_answer(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A moderator merges Alice's item into Carol's at the very moment the provider presses
    Send on an answer to Carol's: however the two fall, Alice hears the answer exactly once."""
    alice, carol = emu.person("Alice"), emu.person("Carol")
    db = world.bot.db
    a = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    c = await add_item(db, carol.id, "library", DAN_WIFI, WEDNESDAY)
    await answer_item(world.pat, c, CHANGED)
    await world.pat.send("We have replaced the library's wifi router.")
    preview = await world.pat.wait_for(
        lambda m: bool(m) and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
    )
    await asyncio.gather(
        press_on(world.pat, preview[-1], texts.RESPOND_SEND), world.sam.send(f"/merge {c} {a}")
    )
    await world.pat.wait_for(has("Published"))
    await world.sam.wait_for(has(f"#{a} is merged into #{c}"), timeout=10)
    await notice_of(carol)
    await notice_of(alice)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    for person in (alice, carol):
        assert sum(HEARD in (m.text or "") for m in person.messages) == 1, person.first_name

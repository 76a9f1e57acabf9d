"""Moderation end to end: invitations, cards, decisions, the author told, authorisation."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import press, say, stored


@dataclass
class Team:
    """Everyone in a moderated deployment."""

    bot: YousaidBot
    group: Group
    admin: Person
    sam: Person
    mo: Person
    pat: Person
    citizen: Person


async def invite(admin: Person, person: Person, role: str) -> str:
    """The admin invites; the person opens the link; return what they were told."""
    reply = await say(admin, f"/invite {role}")
    token = re.search(r"start=(inv_[\w-]+)", reply)
    assert token, reply
    return await say(person, f"/start {token.group(1)}")


@pytest.fixture
async def team(make_bot: BotFactory, emu: Emulator, deployment: Deployment) -> AsyncIterator[Team]:
    admin, sam, mo, pat, citizen = (emu.person(n) for n in ("Ada", "Sam", "Mo", "Pat", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam, mo])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "now a moderator" in await invite(admin, mo, "moderator")
        assert "provider for Culture and Leisure" in await invite(
            admin, pat, "provider culture-leisure"
        )
        yield Team(bot, group, admin, sam, mo, pat, citizen)


async def give(citizen: Person, service: str, text: str, rating: str = "2") -> int:
    """A citizen's whole conversation; return the reference number."""
    earlier = {m.message_id for m in citizen.messages}
    await citizen.send("/start")
    # Other messages (an outcome of an earlier item) may come in between; the saved message
    # of an earlier item has a button too (its themes).
    msgs = await citizen.wait_for(
        lambda msgs: any(m.buttons and m.message_id not in earlier for m in msgs[-2:])
    )
    if any(texts.CONSENT_YES in row for m in msgs[-2:] for row in m.buttons):
        await press(citizen, texts.CONSENT_YES)
    await press(citizen, service)
    await citizen.send(text)

    def rated(msgs: list[MessageView]) -> bool:
        return any([rating] in m.buttons[:1] or rating in (m.buttons or [[]])[0] for m in msgs[-3:])

    def offered(msgs: list[MessageView]) -> bool:
        return bool(msgs) and [texts.METOO_DIFFERENT] in msgs[-1].buttons

    # Other messages (an outcome of an earlier item) may come in between; someone else's
    # published item like this one may be offered first ("me too"): this one is told anew.
    def asked_place(msgs: list[MessageView]) -> bool:
        return bool(msgs) and texts.PLACE_ASK.split("{")[0] in (msgs[-1].text or "")

    msgs = await citizen.wait_for(lambda msgs: rated(msgs) or offered(msgs) or asked_place(msgs))
    if not rated(msgs) and asked_place(msgs):
        # A service in several places asks which first: not said.
        await press(citizen, texts.SKIP)
        msgs = await citizen.wait_for(lambda msgs: rated(msgs) or offered(msgs))
    if not rated(msgs) and offered(msgs):
        await press(citizen, texts.METOO_DIFFERENT)
        await citizen.wait_for(rated)
    await press(citizen, rating)
    before = {(m.message_id, m.text) for m in citizen.messages}

    def new(msgs: list[MessageView], words: str) -> MessageView | None:
        # The newest new message saying `words`, not the newest message: a notice about an
        # earlier item (an auto-approved one is passed on at once) may come after it.
        fresh = [
            m for m in msgs if words in (m.text or "") and (m.message_id, m.text) not in before
        ]
        return fresh[-1] if fresh else None

    def saved_now(msgs: list[MessageView]) -> MessageView | None:
        return new(msgs, "Saved as #")

    await press(citizen, texts.YES)
    msgs = await citizen.wait_for(lambda msgs: saved_now(msgs) or new(msgs, "involved"))
    if saved_now(msgs) is None:
        await press(citizen, texts.NO)
        msgs = await citizen.wait_for(saved_now)
    reference = saved_now(msgs)
    assert reference is not None
    found = re.search(r"Saved as #(\d+)", reference.text or "")
    assert found, reference.text
    return int(found.group(1))


async def outcome(citizen: Person, item: int) -> str:
    """What the author was told about an item's moderation."""
    found = await citizen.wait_for(
        lambda msgs: any(
            f"#{item}</b> about" in (m.text or "") or (f"#{item} about" in (m.text or ""))
            for m in msgs
        ),
        timeout=10,
    )
    return next(m.text or "" for m in found if f"#{item} about" in (m.text or ""))


async def card_of(group: Group, item: int) -> MessageView:
    """The card of an item in the moderators' chat, once it is there."""
    messages = await group.wait_for(
        lambda msgs: any((m.text or "").startswith(f"#{item} ") for m in msgs), timeout=10
    )
    return next(m for m in messages if (m.text or "").startswith(f"#{item} "))


async def press_card(
    person: Person, group: Group, card: MessageView, label: str
) -> dict[str, object]:
    """Press a button on a card; return the answer."""
    data = next(
        d
        for row_l, row_d in zip(card.buttons, card.button_data, strict=True)
        for lab, d in zip(row_l, row_d, strict=True)
        if lab == label
    )
    assert data is not None
    result = await person.press_data(card.message_id, data, chat=group)
    return await result.answered()


async def test_a_card_shows_the_item_redacted_and_approval_tells_the_author(
    team: Team, db_path: Path
) -> None:
    item = await give(
        team.citizen,
        "Riverside GP Surgery",
        "Dr Patel was rude to me at reception. Call me on 07700 900123 if you need more.",
    )
    card = await card_of(team.group, item)
    text = card.text or ""
    head = text.splitlines()[0]
    assert head.startswith(f"#{item} · Riverside GP Surgery · 2/5 · ")
    assert head.rsplit(" · ", 1)[1] in texts.KINDS.values()
    assert text.splitlines()[1].startswith("Themes: ")
    assert "Patel" not in text and "07700" not in text
    assert "[name]" in text and "[phone]" in text
    assert "Waiting for a moderator" in text
    assert card.buttons[0] == [texts.APPROVE, texts.EDIT]
    answer = await press_card(team.sam, team.group, card, texts.APPROVE)
    assert answer.get("text") in (None, "")
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    told = await outcome(team.citizen, item)
    assert f"#{item}" in told and "passed on" in told
    assert "a name" in told and "a phone number" in told
    rows = stored(db_path, f"SELECT status, published_text FROM feedback WHERE id = {item}")
    assert rows[0][0] == "approved" and "Patel" not in rows[0][1] and "[name]" in rows[0][1]


async def test_edit_then_approve_publishes_the_moderators_text(team: Team, db_path: Path) -> None:
    item = await give(
        team.citizen, "Buses", "The 42 bus was late again and the driver shouted at us."
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    # A reply of only spaces is refused kindly, and nothing changes.
    await team.sam.send("   ", chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda msgs: "can't be empty" in (msgs[-1].text or ""))
    await team.sam.send(
        "The 42 bus was late again and the driver was unkind.", chat=team.group, reply_to=prompt
    )
    # Saved: the card shows the new text (the prompt and the reply are tidied away).
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    assert texts.CARD_EDITED in (card.text or "")
    await press_card(team.sam, team.group, card, texts.APPROVE)
    told = await outcome(team.citizen, item)
    assert "tidied the wording" in told
    assert stored(db_path, f"SELECT published_text FROM feedback WHERE id = {item}") == [
        ("The 42 bus was late again and the driver was unkind.",)
    ]


async def test_reject_with_a_reason_tells_the_author_why(team: Team, db_path: Path) -> None:
    item = await give(
        team.citizen, "Parks and green spaces", "This is just rubbish rubbish rubbish words."
    )
    card = await card_of(team.group, item)
    await press_card(team.mo, team.group, card, texts.REJECT)
    await team.group.wait_for(lambda _: card.buttons[0] == [texts.REASONS["abusive"]])
    await press_card(team.mo, team.group, card, texts.REASONS["off_topic"])
    await team.group.wait_for(
        lambda _: "Not published (Not about a service), by \u2068Mo\u2069" in (card.text or "")
    )
    told = await outcome(team.citizen, item)
    assert "not passed on" in told and "wasn't about a service" in told
    assert stored(
        db_path, f"SELECT status, reject_reason, published_text FROM feedback WHERE id = {item}"
    ) == [("rejected", "off_topic", None)]


async def test_themes_can_be_corrected(team: Team, db_path: Path) -> None:
    item = await give(
        team.citizen, "Central Library", "The study room was far too cold and the heating was off."
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.THEMES)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    labels = [label for row in card.buttons[:-1] for label in row]
    off = next(label for label in labels if not label.startswith("✓ "))
    await press_card(team.sam, team.group, card, off)
    await team.group.wait_for(lambda _: f"✓ {off}" in [b for row in card.buttons for b in row])
    assert off in (card.text or "").split("\n")[1]
    rows = stored(
        db_path,
        "SELECT source, active FROM item_themes"
        f" WHERE feedback_id = {item} AND source = 'moderator'",
    )
    assert rows == [("moderator", 1)]


async def test_original_is_shown_to_the_moderator_only(team: Team) -> None:
    item = await give(
        team.citizen, "Council tax office", "Mrs Smith at the desk was brilliant, thank her please."
    )
    card = await card_of(team.group, item)
    answer = await press_card(team.sam, team.group, card, texts.ORIGINAL)
    assert answer.get("text") == texts.ORIGINAL_SENT
    shown = await team.sam.next_message(timeout=10)
    assert "Mrs Smith" in (shown.text or "") and f"#{item}" in (shown.text or "")
    assert not any("Smith" in (m.text or "") for m in team.group.messages)


async def test_two_moderators_at_once_the_first_wins(team: Team, db_path: Path) -> None:
    item = await give(
        team.citizen, "Bins and recycling", "Our bins were not collected for two weeks now."
    )
    card = await card_of(team.group, item)
    sam_answer, mo_answer = await asyncio.gather(
        press_card(team.sam, team.group, card, texts.APPROVE),
        press_card(team.mo, team.group, card, texts.APPROVE),
    )
    answers = [sam_answer.get("text") or "", mo_answer.get("text") or ""]
    assert sorted(bool(a) for a in answers) == [False, True], answers
    loser = next(a for a in answers if a)
    assert loser in (texts.MOD_PROBLEMS["already_decided"], texts.MOD_PROBLEMS["stale"])
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM audit WHERE action = 'item.approved' AND subject = 'item:{item}'",
    ) == [(1,)]
    told = await outcome(team.citizen, item)
    assert "passed on" in told
    await asyncio.sleep(0.3)
    assert (
        len(
            [
                m
                for m in team.citizen.messages
                if f"#{item}" in (m.text or "") and "passed on" in (m.text or "")
            ]
        )
        == 1
    )


@pytest.mark.parametrize("command", ["/invite moderator", "/roles", "/audit", "/queue"])
async def test_privileged_commands_are_checked_on_the_server(team: Team, command: str) -> None:
    allowed = {
        "/invite moderator": {"admin"},
        "/roles": {"admin"},
        "/audit": {"admin"},
        "/queue": {"admin", "moderator"},
    }[command]
    for role, person in (
        ("citizen", team.citizen),
        ("moderator", team.sam),
        ("provider", team.pat),
        ("admin", team.admin),
    ):
        reply = await say(person, command)
        if role in allowed:
            assert reply != texts.NOT_ALLOWED, (role, command)
        else:
            assert reply == texts.NOT_ALLOWED, (role, command, reply)


async def test_card_buttons_are_checked_on_the_server(team: Team, db_path: Path) -> None:
    item = await give(team.citizen, "Buses", "The bus shelter on Mill Road has no roof any more.")
    card = await card_of(team.group, item)
    version = int((card.button_data[0][0] or "").split(":")[3])
    forged = [
        f"m:a:{item}:{version}",
        f"m:r:{item}:{version}:abusive",
        f"m:o:{item}:{version}",
        f"m:e:{item}:{version}",
        f"m:g:{item}:{version}:safety",
    ]
    # A citizen replays a moderator's buttons in their own chat; a provider does too.
    for person in (team.citizen, team.pat):
        own = person.messages[-1]
        for data in forged:
            result = await person.press_data(own.message_id, data)
            answer = await result.answered()
            assert answer.get("text") == texts.NOT_ALLOWED_BUTTON, (person, data)
    assert stored(db_path, f"SELECT status, version FROM feedback WHERE id = {item}") == [
        ("pending", version)
    ]
    denied = stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'denied'")[0][0]
    assert denied >= 10
    # The admin may moderate too.
    await press_card(team.admin, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card.text or ""))


@pytest.mark.parametrize(
    "data",
    [
        "m:a:999:0",
        "m:zz:1:0",
        "m:a:abc:def",
        "m:a",
        "m:r:1:0:no-such-reason",
        "m:g:1:0:no-such-theme",
        "m:g:1:0:safety:2",
        "m:g:1:0:safety:1:1",
        "a:rv:xyz",
        "a:zz:1",
    ],
)
async def test_forged_card_data_does_nothing(team: Team, db_path: Path, data: str) -> None:
    item = await give(team.citizen, "Buses", "The timetable at the Mill Street stop is wrong.")
    card = await card_of(team.group, item)
    before = stored(db_path, "SELECT status, version FROM feedback")
    result = await team.sam.press_data(card.message_id, data, chat=team.group)
    answer = await result.answered()
    assert answer is not None
    assert stored(db_path, "SELECT status, version FROM feedback") == before


async def test_a_moderator_who_left_the_group_can_no_longer_act(team: Team, db_path: Path) -> None:
    item = await give(
        team.citizen, "Central Library", "Please open the library on Sunday mornings."
    )
    card = await card_of(team.group, item)
    version = int((card.button_data[0][0] or "").split(":")[3])
    team.group.leave(team.mo)
    await team.bot.application.update_queue.join()
    await asyncio.sleep(0.3)
    # Out of the group, the only way to press is to replay the data from elsewhere.
    result = await team.mo.press_data(team.mo.messages[-1].message_id, f"m:a:{item}:{version}")
    assert (await result.answered()).get("text") == texts.NOT_ALLOWED_BUTTON
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'role.revoked'") == [(1,)]


async def test_invitations_are_one_time_and_expire(team: Team, clock: FakeClock) -> None:
    reply = await say(team.admin, "/invite moderator")
    token = re.search(r"start=(inv_[\w-]+)", reply)
    assert token
    first, second = team.citizen, team.pat
    welcome = await say(first, f"/start {token.group(1)}")
    # Accepting adds nobody to the group, so the welcome says where the cards are.
    assert "now a moderator" in welcome and "cards in the moderators' group" in welcome
    assert "already been used" in await say(second, f"/start {token.group(1)}")
    reply = await say(team.admin, "/invite moderator")
    token = re.search(r"start=(inv_[\w-]+)", reply)
    assert token
    clock.advance(hours=73)
    assert "expired" in await say(second, f"/start {token.group(1)}")
    assert "doesn't work" in await say(second, "/start inv_madeup")
    assert "/invite moderator" in await say(team.admin, "/invite")
    assert "no provider with the id" in await say(team.admin, "/invite provider nobody")


async def test_roles_lists_and_revokes(team: Team, db_path: Path) -> None:
    listing = await say(team.admin, "/roles")
    assert "Sam" in listing and "Mo" in listing and "Pat" in listing
    revoke_sam = next(label for row in team.admin.last.buttons for label in row if "Sam" in label)
    # Two steps: asked first, then revoked.
    assert "Revoke \u2068Sam\u2069's role as a moderator?" in await press(team.admin, revoke_sam)
    shown = await press(team.admin, texts.REVOKE_YES)
    assert "Sam" not in shown and "Mo" in shown
    assert await say(team.sam, "/queue") == texts.NOT_ALLOWED


async def test_audit_lists_and_exports(team: Team) -> None:
    item = await give(team.citizen, "Buses", "Driver waited for me when he saw me running.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    listing = await say(team.admin, "/audit")
    assert "item.approved" in listing and "role.granted" in listing
    await team.admin.send("/audit export")
    exported = await team.admin.next_message(timeout=10)
    assert exported.document is not None
    rows = list(csv.DictReader(io.StringIO(exported.document.decode("utf-8-sig"))))
    approved = [r for r in rows if r["action"] == "item.approved"]
    assert approved and approved[0]["subject"] == f"item:{item}"
    assert (
        '"status": "pending"' in approved[0]["before"]
        and '"status": "approved"' in approved[0]["after"]
    )


async def test_queue_and_reminder(team: Team, clock: FakeClock) -> None:
    first = await give(team.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    await card_of(team.group, first)
    queue = await say(team.sam, "/queue")
    assert "1 waiting" in queue and f"#{first}" in queue
    job_queue = team.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("moderation-reminder")
    await job.run(team.bot.application)
    assert not any("⏰" in (m.text or "") for m in team.group.messages)
    clock.advance(hours=3)
    await job.run(team.bot.application)
    reminder = await team.group.wait_for(lambda msgs: "⏰" in (msgs[-1].text or ""))
    assert f"#{first}" in (reminder[-1].text or "") and "3 h" in (reminder[-1].text or "")
    # Not again straight away.
    await job.run(team.bot.application)
    assert sum("⏰" in (m.text or "") for m in team.group.messages) == 1


def reminders_in(group: Group) -> int:
    """How many reminders of items waiting the moderators' chat has had."""
    return sum("⏰" in (m.text or "") for m in group.messages)


async def remind_now(bot: YousaidBot) -> None:
    """Run the reminder job's check once, to its end (its message sent, if any)."""
    job_queue = bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("moderation-reminder")
    await job.run(bot.application)


async def test_a_restart_does_not_remind_the_moderators_again_within_the_period(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    citizen = emu.person("Cy")
    group = emu.group("Riverside moderators", members=[])
    staffed = deployment.model_copy(update={"moderators_chat": group.id})
    every = timedelta(minutes=staffed.moderation.remind_after_minutes)
    async with make_bot(deployment=staffed) as bot:
        item = await give(citizen, "Buses", "The 7 bus skipped our stop twice this week.")
        await card_of(group, item)
        clock.now += every + timedelta(minutes=1)
        await remind_now(bot)
        assert reminders_in(group) == 1
        reminded = clock.now
    assert stored(db_path, "SELECT COUNT(*) FROM moderation_reminder") == [(1,)]

    # Restarted (or another instance took over the scheduled work): not again at once, nor
    # until the reminder's period has passed since the last one.
    clock.now += timedelta(minutes=5)
    async with make_bot(deployment=staffed) as bot:
        await remind_now(bot)
        assert reminders_in(group) == 1
        clock.now = reminded + every - timedelta(seconds=1)
        await remind_now(bot)
        assert reminders_in(group) == 1
        clock.now = reminded + every
        await remind_now(bot)
        assert reminders_in(group) == 2
        latest = group.messages[-1].text or ""
        assert f"#{item}" in latest and "1 waiting" in latest
        await remind_now(bot)
        assert reminders_in(group) == 2


async def test_auto_approve_rule(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    citizen = emu.person("Cy")
    group = emu.group("Mods", members=[])
    rules = deployment.moderation.model_copy(update={"auto_approve_compliments": True})
    auto = deployment.model_copy(update={"moderators_chat": group.id, "moderation": rules})
    async with make_bot(deployment=auto):
        praise = await give(
            citizen,
            "Central Library",
            "Thank you, the staff were wonderful and so helpful today!",
            rating="5",
        )
        complaint = await give(citizen, "Buses", "The bus was late and dirty again this morning.")
        card = await card_of(group, praise)
        assert "Published by the auto-approve rule" in (card.text or "")
        other = await card_of(group, complaint)
        assert "Waiting for a moderator" in (other.text or "")
        told = await citizen.wait_for(
            lambda msgs: any(
                f"#{praise}" in (m.text or "") and "passed on" in (m.text or "") for m in msgs
            )
        )
        assert told
    rows = dict(stored(db_path, "SELECT id, status FROM feedback"))
    assert rows == {praise: "approved", complaint: "pending"}


async def test_menus_follow_roles(team: Team, emu: Emulator) -> None:
    def menu(person: Person) -> list[str]:
        return [c["command"] for c in emu.commands(scope_type="chat", chat_id=person.id)]

    assert "invite" in menu(team.admin) and "audit" in menu(team.admin)
    assert "queue" in menu(team.sam) and "invite" not in menu(team.sam)
    assert "responses" in menu(team.sam) and "respond" not in menu(team.sam)
    assert "respond" in menu(team.pat) and "ask" in menu(team.pat) and "queue" not in menu(team.pat)
    # Shared by two roles, listed once.
    assert len(menu(team.admin)) == len(set(menu(team.admin))), menu(team.admin)
    assert [c["command"] for c in emu.commands(scope_type="chat", chat_id=team.group.id)] == [
        "queue",
        "cancel",
        "unpublish",
    ]
    await say(team.admin, "/roles")
    revoke_sam = next(label for row in team.admin.last.buttons for label in row if "Sam" in label)
    await press(team.admin, revoke_sam)
    await press(team.admin, texts.REVOKE_YES)
    assert "queue" not in menu(team.sam) and "start" in menu(team.sam)

"""Two moderators on one card: while one is writing the corrected text of an item, the other
cannot publish (or reject) it under them; the hold lapses if the editor walks away."""

from __future__ import annotations

from pathlib import Path

from emulator import MessageView
from handlers import texts
from handlers.bidi import isolate
from tests.conftest import FakeClock
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import Team, card_of, give, press_card, team  # noqa: F401


async def test_an_item_being_edited_is_not_published_under_the_editor(
    team: Team,  # noqa: F811
    db_path: Path,
) -> None:
    item = await give(
        team.citizen, "Buses", "The 42 bus was late again and the driver shouted at us."
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    # Mo presses Approve while Sam is writing: refused, with a reason, and nothing changes.
    answer = await press_card(team.mo, team.group, card, texts.APPROVE)
    assert answer.get("text") == texts.MOD_PROBLEMS["being_edited"].format(item=item)
    assert answer.get("show_alert") is True
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    # Sam's text is saved, and then Mo (or Sam) may publish it.
    await team.sam.send(
        "The 42 bus was late again and the driver was unkind.", chat=team.group, reply_to=prompt
    )
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    answer = await press_card(team.mo, team.group, card, texts.APPROVE)
    assert answer.get("text") in (None, "")
    await team.group.wait_for(lambda _: "Published by \u2068Mo\u2069" in (card.text or ""))
    assert stored(db_path, f"SELECT published_text FROM feedback WHERE id = {item}") == [
        ("The 42 bus was late again and the driver was unkind.",)
    ]


async def test_an_edit_left_open_holds_the_item_only_for_a_while(
    team: Team,  # noqa: F811
    clock: FakeClock,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus never came this morning at all.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    clock.advance(minutes=11)
    answer = await press_card(team.mo, team.group, card, texts.APPROVE)
    assert answer.get("text") in (None, "")
    await team.group.wait_for(lambda _: "Published by \u2068Mo\u2069" in (card.text or ""))


async def test_a_reply_to_another_moderators_edit_prompt_is_answered_not_ignored(
    team: Team,  # noqa: F811
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    # Mo answers Sam's prompt: his words are not taken, and he is told so (not left guessing).
    await team.mo.send("The 42 bus was late again.", chat=team.group, reply_to=prompt)
    told = await team.group.wait_for(
        lambda msgs: texts.EDIT_PROMPT_NOT_YOURS.format(item=item) == (msgs[-1].text or "")
    )
    assert told[-1].reply_to is not None
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [(None,)]
    # Sam's own reply is still taken.
    await team.sam.send(
        "The 42 bus was late again, the driver was unkind.", chat=team.group, reply_to=prompt
    )
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))


def prompts_for(team: Team, name: str) -> list[MessageView]:  # noqa: F811
    """The edit prompts in the moderators' group naming a moderator, still there."""
    return [
        m
        for m in team.group.messages
        if not m.deleted and (m.text or "").startswith(f"{isolate(name)}, reply to this message")
    ]


async def test_a_second_edit_while_one_is_open_is_refused_naming_who_is_writing(
    team: Team,  # noqa: F811
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    sams = (await team.group.wait_for(lambda _: bool(prompts_for(team, "Sam"))))[-1]
    # Mo presses Edit too: told who is writing, and no second prompt is posted.
    answer = await press_card(team.mo, team.group, card, texts.EDIT)
    assert answer.get("text") == texts.EDIT_TAKEN["edit"].format(who=isolate("Sam"), item=item)
    assert answer.get("show_alert") is True
    assert prompts_for(team, "Mo") == []
    # Once Sam's text is on the card, Mo may edit it in turn.
    await team.sam.send(
        "The 42 bus was late again, the driver was unkind.", chat=team.group, reply_to=sams
    )
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    answer = await press_card(team.mo, team.group, card, texts.EDIT)
    assert answer.get("text") in (None, "")
    await team.group.wait_for(lambda _: bool(prompts_for(team, "Mo")))


async def test_a_reply_written_against_a_text_replaced_meanwhile_is_refused(
    team: Team,  # noqa: F811
    db_path: Path,
    clock: FakeClock,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    sams = (await team.group.wait_for(lambda _: bool(prompts_for(team, "Sam"))))[-1]
    # Sam's edit holds the item no longer: Mo begins his own, against the same text.
    clock.advance(minutes=11)
    await press_card(team.mo, team.group, card, texts.EDIT)
    mos = (await team.group.wait_for(lambda _: bool(prompts_for(team, "Mo"))))[-1]
    await team.sam.send(
        "The 42 bus was late again, the driver was unkind.", chat=team.group, reply_to=sams
    )
    await team.group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    # Mo's reply, written against the text before Sam's, is not saved, and he is told why.
    await team.mo.send("The 42 bus was late again.", chat=team.group, reply_to=mos)
    told = texts.EDIT_OUTDATED["edit"].format(who=isolate("Sam"), item=item)
    await team.group.wait_for(lambda msgs: (msgs[-1].text or "") == told)
    await team.group.wait_for(lambda _: mos.deleted)
    assert "driver was unkind" in (card.text or "")
    assert stored(
        db_path, f"SELECT actor FROM audit WHERE action = 'item.edited' AND subject = 'item:{item}'"
    ) == [(team.sam.id,)]
    # His edit is over: it holds the item up for nobody.
    assert stored(db_path, "SELECT COUNT(*) FROM pending_edits") == [(0,)]
    answer = await press_card(team.sam, team.group, card, texts.APPROVE)
    assert answer.get("text") in (None, "")

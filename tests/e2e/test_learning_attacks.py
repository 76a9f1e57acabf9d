"""Attacks on the moderator's corrections through the emulator: a stale kind button, a kind
change racing an approval, a long text with many themes, a sub-theme switched on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.e2e.test_citizen import stored
from tests.e2e.test_learning import labels_of
from tests.e2e.test_long_messages import refused
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)

# About every theme, near the longest text a citizen may send.
MANY = (
    "The bins were not collected, the 42 bus never came, the receptionist was rude and the"
    " doctor got my diagnosis wrong. There are not enough staff, nobody called back, the"
    " toilets were filthy, parking costs a fortune, the council tax bill doubled, the park"
    " is unsafe at night, there is no ramp for my wheelchair, the website keeps crashing,"
    " the library cancelled the reading group and overall it was awful. "
)


def kind_of(db_path: Path, item: int) -> tuple[object, ...]:
    return stored(db_path, f"SELECT kind, kind_set_by, status FROM feedback WHERE id = {item}")[0]


async def test_a_kind_pressed_on_a_menu_gone_stale_changes_nothing(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus never turned up this morning.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.KIND)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    menu = [
        (lab, d)
        for r, rd in zip(card.buttons, card.button_data, strict=True)
        for lab, d in zip(r, rd, strict=True)
    ]
    before = kind_of(db_path, item)
    target = next(d for lab, d in menu if lab == texts.KIND_CHOICES["question"])
    # Another moderator changes the item meanwhile (the kind, from their own menu).
    ok = await team.mo.press_data(
        card.message_id, target.replace(":question", ":suggestion"), chat=team.group
    )
    await ok.answered()
    assert kind_of(db_path, item)[0] == "suggestion"
    # Sam's menu, drawn before, is now stale: pressing it says so and leaves the kind.
    result = await team.sam.press_data(card.message_id, str(target), chat=team.group)
    answer = await result.answered()
    assert answer.get("text") == texts.MOD_PROBLEMS["stale"]
    assert kind_of(db_path, item)[0] == "suggestion"
    assert before[0] != "suggestion" or before[1] is None
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.kind'") == [(1,)]


async def test_a_kind_change_racing_an_approval_one_wins_whole(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "Why does the 42 stop so early on Sundays?")
    card = await card_of(team.group, item)
    version = stored(db_path, f"SELECT version FROM feedback WHERE id = {item}")[0][0]
    kind_data = f"m:s:{item}:{version}:suggestion"
    answers = await asyncio.gather(
        press_card(team.sam, team.group, card, texts.APPROVE),
        (await team.mo.press_data(card.message_id, kind_data, chat=team.group)).answered(),
    )
    refused_answers = [a.get("text") for a in answers if a.get("text")]
    assert refused_answers == [texts.MOD_PROBLEMS["stale"]], answers
    kind, set_by, status = kind_of(db_path, item)
    audit = stored(
        db_path,
        f"SELECT action FROM audit WHERE subject = 'item:{item}' AND action IN"
        " ('item.kind', 'item.approved')",
    )
    assert len(audit) == 1
    if audit[0][0] == "item.approved":
        assert status == "approved" and set_by is None
    else:
        assert status == "pending" and kind == "suggestion" and set_by == team.mo.id
    # The card shows what is stored, whichever won.
    await team.group.wait_for(
        lambda _: (
            ("Published by" in (card.text or "")) == (status == "approved")
            and (card.text or "").splitlines()[0].endswith(f" · {texts.KINDS[str(kind)]}")
        )
    )


async def test_a_long_text_about_everything_makes_a_card_and_menus_that_fit(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
    emu: Emulator,
) -> None:
    text = (MANY * 12)[:4000]
    item = await give(team.citizen, "Central Library", text)
    card = await card_of(team.group, item)
    themes = stored(db_path, f"SELECT COUNT(*) FROM item_themes WHERE feedback_id = {item}")
    assert themes[0][0] >= 6, themes
    assert len((card.text or "").encode("utf-16-le")) // 2 <= 4096
    for menu in (texts.THEMES, texts.KIND):
        await press_card(team.sam, team.group, card, menu)
        await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
        await press_card(team.sam, team.group, card, texts.BACK)
        await team.group.wait_for(lambda _: texts.APPROVE in labels_of(card))
    assert refused(emu) == []


async def test_a_moderator_switches_a_sub_theme_on_and_off(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(
        team.citizen, "Bins and recycling", "The crew left rubbish all over the road."
    )
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.THEMES)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    label = "Missed collections"
    assert label in labels_of(card), labels_of(card)
    await press_card(team.sam, team.group, card, label)
    await team.group.wait_for(lambda _: f"✓ {label}" in labels_of(card))
    active = (
        "SELECT theme_id, active, source FROM item_themes"
        f" WHERE feedback_id = {item} AND theme_id = 'missed_collections'"
    )
    assert stored(db_path, active) == [("missed_collections", 1, "moderator")]
    await press_card(team.sam, team.group, card, f"✓ {label}")
    await team.group.wait_for(lambda _: label in labels_of(card))
    assert stored(db_path, active)[0][1] == 0

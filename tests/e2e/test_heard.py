"""The themes heard, end to end: the saved message says which themes the bot heard, its
author fixes them on a keyboard of the broad themes, the card and the corrections export
take the author's choice, and a moderator's choice wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.learning import corrections
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage import learning
from tests.e2e.helpers import buttons_of, press_on
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    outcome,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)

WAITING = "I waited two hours in the waiting room and nobody told us why."
# Two sub-themes of organisation: the missed bin, and the bus to the tip that never came.
BINS = "Our bin was missed again, and the bus never came so I couldn't get to the tip."


def saved_message(person: Person, item: int) -> MessageView:
    """The message that said the item was saved (edited in place since, maybe)."""
    return next(
        m
        for m in reversed(person.messages)
        if f"Saved as #{item}" in (m.text or "") or f"#{item}" in (m.text or "")
    )


def short(theme_id: str) -> str:
    return str(texts.THEME_SHORT[theme_id])


def ticked(theme_id: str) -> str:
    return texts.HEARD_TICKED.format(label=short(theme_id))


def themes_row(db_path: Path, item: int, theme_id: str) -> tuple[object, ...] | None:
    rows = stored(
        db_path,
        "SELECT active, source, set_at IS NOT NULL FROM item_themes"
        f" WHERE feedback_id = {item} AND theme_id = '{theme_id}'",
    )
    return tuple(rows[0]) if rows else None


async def open_themes(person: Person, message: MessageView) -> None:
    """Press the fix button of a saved message and wait for the themes to tick."""
    label = next(lab for lab in buttons_of(message) if lab.startswith("🏷"))
    answer = await press_on(person, message, label)
    assert not answer.get("show_alert")
    await person.wait_for(lambda _: [texts.HEARD_DONE] in message.buttons)


async def tap(person: Person, message: MessageView, label: str, becomes: str) -> dict[str, object]:
    """Tap a theme and wait until the keyboard shows `becomes` in its place."""
    answer = await press_on(person, message, label)
    await person.wait_for(lambda _: becomes in buttons_of(message))
    return answer


async def test_the_citizen_sees_the_themes_heard_and_fixes_them(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    text = message.text or ""
    # One short line in the saved message, by short label, and one button to fix them.
    heard = texts.HEARD.format(themes=f"{short('communication')}, {short('access_waiting')}")
    assert heard.strip() in text
    assert "Saved as #" in text and "/mine" in text
    assert message.buttons == [[texts.HEARD_FIX]]
    await open_themes(team.citizen, message)
    assert texts.HEARD_PICK.format(reference=item) == message.text
    labels = [label for row in message.buttons for label in row]
    # The 15 broad themes, two to a row, the one heard ticked, then Done on its own.
    assert all(len(row) == 2 for row in message.buttons[:-2])
    assert message.buttons[-1] == [texts.HEARD_DONE]
    assert len(labels) == 16 and ticked("access_waiting") in labels
    assert ticked("communication") in labels
    assert short("safety") in labels and ticked("safety") not in labels
    assert all(len(data) <= 64 for data in buttons_of(message).values())
    card = await card_of(team.group, item)
    assert texts.CARD_THEMES_BY_AUTHOR.strip() not in (card.text or "")

    # On: a person's label, stored before the answer, and the card says the author set it.
    await tap(team.citizen, message, short("safety"), ticked("safety"))
    assert themes_row(db_path, item, "safety") == (1, "citizen", 1)
    await team.group.wait_for(lambda _: texts.CARD_THEMES_BY_AUTHOR.strip() in (card.text or ""))
    assert "Safety" in (card.text or "").splitlines()[1]
    # Off: the model's theme becomes the author's, off.
    await tap(team.citizen, message, ticked("access_waiting"), short("access_waiting"))
    assert themes_row(db_path, item, "access_waiting") == (0, "citizen", 1)
    await team.group.wait_for(
        lambda _: "Access and waiting" not in (card.text or "").splitlines()[1]
    )
    audit = stored(
        db_path, "SELECT actor, actor_role, after FROM audit WHERE action = 'item.themes'"
    )
    assert [(a, r) for a, r, _ in audit] == [(None, "citizen"), (None, "citizen")]
    assert sorted(json.loads(str(audit[-1][2]))["themes"]) == ["communication", "safety"]

    # Done: back to the saved message, its line saying what is chosen now.
    await press_on(team.citizen, message, texts.HEARD_DONE)
    await team.citizen.wait_for(lambda _: "Saved as #" in (message.text or ""))
    # The author's own choice first (as sure as can be), then what the model found.
    now = texts.HEARD.format(themes=f"{short('safety')}, {short('communication')}")
    assert now.strip() in (message.text or "")
    assert message.buttons == [[texts.HEARD_FIX]]


async def test_a_broad_theme_switched_off_takes_its_sub_themes_with_it(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Bins and recycling", BINS)
    subs = ("missed_collections", "bus_reliability")
    assert all(themes_row(db_path, item, s) == (1, "rule", 0) for s in subs)
    message = saved_message(team.citizen, item)
    # A sub-theme is heard as its broad theme.
    assert f"🏷 I heard: {short('organisation')}" in (message.text or "")
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, ticked("organisation"), short("organisation"))
    assert themes_row(db_path, item, "organisation") == (0, "citizen", 1)
    assert all(themes_row(db_path, item, s) == (0, "citizen", 1) for s in subs)
    assert stored(
        db_path, f"SELECT COUNT(*) FROM item_themes WHERE feedback_id = {item} AND active = 1"
    ) == [(0,)]
    # Nothing heard now: the line says so, and the button offers to add one.
    await press_on(team.citizen, message, texts.HEARD_DONE)
    await team.citizen.wait_for(lambda _: "Saved as #" in (message.text or ""))
    assert texts.HEARD_NONE.strip() in (message.text or "")
    assert message.buttons == [[texts.HEARD_ADD]]
    # Adding one back: on again (the broad theme only: its sub-themes were the model's).
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("organisation"), ticked("organisation"))
    assert themes_row(db_path, item, "organisation") == (1, "citizen", 1)
    assert themes_row(db_path, item, "missed_collections") == (0, "citizen", 1)


async def test_a_moderators_switch_wins_and_the_export_counts_the_authors_labels(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    mine = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, mine)
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("safety"), ticked("safety"))
    await tap(team.citizen, message, short("cost_fees"), ticked("cost_fees"))
    card = await card_of(team.group, mine)
    await team.group.wait_for(lambda _: "Safety" in (card.text or "").splitlines()[1])
    # The moderator switches the author's Safety off, then approves.
    await press_card(team.sam, team.group, card, texts.THEMES)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    await press_card(team.sam, team.group, card, "✓ Safety")
    await team.group.wait_for(lambda _: "Safety" not in (card.text or "").splitlines()[1])
    assert themes_row(db_path, mine, "safety") == (0, "moderator", 1)
    # The author's keyboard, drawn before, catches up at the next press; the author cannot
    # switch back what the moderator set.
    await tap(team.citizen, message, ticked("safety"), short("safety"))
    answer = await press_on(team.citizen, message, short("safety"))
    assert answer.get("text") == texts.HEARD_MODERATOR_SET and answer.get("show_alert")
    assert themes_row(db_path, mine, "safety") == (0, "moderator", 1)
    await press_card(team.sam, team.group, card, texts.BACK)
    await team.group.wait_for(lambda _: texts.APPROVE in buttons_of(card))
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))

    # The export: the item's final themes, the author's Cost kept, the moderator's word on
    # Safety standing.
    [found] = [c for c in await corrections(team.bot.db) if c.item_id == mine]
    assert "cost_fees" in found.themes and "safety" not in found.themes
    assert "access_waiting" in found.themes
    # Decided: the author's buttons change nothing, and say so kindly.
    before = stored(db_path, f"SELECT * FROM item_themes WHERE feedback_id = {mine}")
    answer = await press_on(team.citizen, message, ticked("cost_fees"))
    assert answer.get("text") == texts.HEARD_DECIDED.format(reference=mine)
    assert stored(db_path, f"SELECT * FROM item_themes WHERE feedback_id = {mine}") == before


async def test_the_authors_own_choice_alone_is_a_label(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("staff_attitude"), ticked("staff_attitude"))
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: texts.CARD_THEMES_BY_AUTHOR.strip() in (card.text or ""))
    assert not [c for c in await corrections(team.bot.db) if c.item_id == item]
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    [found] = [c for c in await learning.corrected(team.bot.db.reader) if c.item_id == item]
    assert found.themes_corrected and "staff_attitude" in found.themes
    # Opening the themes of a decided item says so too, and shows nothing to tick.
    await press_on(team.citizen, message, texts.HEARD_DONE)
    await team.citizen.wait_for(lambda _: "Saved as #" in (message.text or ""))
    answer = await press_on(team.citizen, message, texts.HEARD_FIX)
    assert answer.get("text") == texts.HEARD_DECIDED.format(reference=item)
    assert "Saved as #" in (message.text or "")


@pytest.mark.parametrize(
    "forged",
    [
        "e:{item}:1:not_a_theme",
        "e:{item}:1:missed_collections",
        "e:{item}:1:",
        "e:{item}:2:safety",
        "e:{item}:1:safety:more",
        "e:{item}:x",
        "e:-{item}:1:safety",
        "e:{item}1:1:safety",
        "e:99999999999999999999999:1:safety",
        "e::o",
        "e",
    ],
)
async def test_forged_theme_buttons_change_nothing(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
    forged: str,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    before = stored(db_path, "SELECT * FROM item_themes ORDER BY feedback_id, theme_id")
    text = message.text
    result = await team.citizen.press_data(message.message_id, forged.format(item=item))
    answer = await result.answered()
    assert answer.get("text")
    assert stored(db_path, "SELECT * FROM item_themes ORDER BY feedback_id, theme_id") == before
    assert message.text == text
    # The bot goes on answering.
    assert "Tell me in your own words" in await say(team.citizen, "/start")


async def test_someone_elses_item_a_double_tap_a_replay_and_forget(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    await open_themes(team.citizen, message)
    data = buttons_of(message)[short("safety")]
    # Someone else's press on her item (their own chat, her item's number): refused.
    other = team.pat
    await say(other, "/start")
    result = await other.press_data(other.messages[-1].message_id, data)
    answer = await result.answered()
    assert answer.get("text") == texts.HEARD_NOT_THEIRS
    assert themes_row(db_path, item, "safety") is None
    # A double tap: the same press twice switches it on once.
    first = await team.citizen.press_data(message.message_id, data)
    second = await team.citizen.press_data(message.message_id, data)
    await first.answered()
    await second.answered()
    await team.citizen.wait_for(lambda _: ticked("safety") in buttons_of(message))
    assert themes_row(db_path, item, "safety") == (1, "citizen", 1)
    audit = stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.themes'")
    assert audit == [(1,)]
    # In the middle of telling something else, then /cancel: each keeps to its own.
    await team.citizen.send("/start")
    await team.citizen.wait_for(lambda msgs: "Which service" in (msgs[-1].text or ""))
    await tap(team.citizen, message, ticked("safety"), short("safety"))
    assert themes_row(db_path, item, "safety") == (0, "citizen", 1)
    await team.citizen.send("/cancel")
    await team.citizen.wait_for(lambda msgs: texts.CANCELLED in (msgs[-1].text or ""))
    assert themes_row(db_path, item, "safety") == (0, "citizen", 1)
    # The press that switched it on, delivered again by Telegram: it stays off.
    (on,) = [
        u
        for u, update in emu.updates.history.items()
        if (update.get("callback_query") or {}).get("data") == data
        and (update.get("callback_query") or {}).get("from", {}).get("id") == team.citizen.id
    ][:1]
    emu.redeliver(on)
    await emu.idle()
    assert themes_row(db_path, item, "safety") == (0, "citizen", 1)
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
    # Blocked: the choice is stored, the reply lost, nothing fails.
    team.citizen.block()
    result = await team.citizen.press_data(message.message_id, data)
    await result.answered()
    assert themes_row(db_path, item, "safety") == (1, "citizen", 1)
    team.citizen.unblock()
    # Forgotten: her item is not hers to tag any more.
    await team.citizen.send("/forget")
    await team.citizen.wait_for(lambda msgs: "can't be undone" in (msgs[-1].text or ""))
    await team.citizen.press(texts.FORGET_ALL)
    await team.citizen.wait_for(lambda msgs: any(texts.FORGET_DONE in (m.text or "") for m in msgs))
    kept = stored(db_path, "SELECT * FROM item_themes ORDER BY feedback_id, theme_id")
    result = await team.citizen.press_data(message.message_id, data.replace(":1:", ":0:"))
    answer = await result.answered()
    assert answer.get("text") == texts.HEARD_NOT_THEIRS
    assert stored(db_path, "SELECT * FROM item_themes ORDER BY feedback_id, theme_id") == kept


async def test_the_moderators_open_themes_stay_open_and_their_tap_means_what_it_showed(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    card = await card_of(team.group, item)
    # The moderator opens the card's themes; Safety is off there.
    await press_card(team.sam, team.group, card, texts.THEMES)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    switch_on = next(
        d
        for row_l, row_d in zip(card.buttons, card.button_data, strict=True)
        for lab, d in zip(row_l, row_d, strict=True)
        if lab == "Safety"
    )
    assert switch_on is not None
    # Meanwhile the author switches Safety on: the card shows it, its menu still open.
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("safety"), ticked("safety"))
    await team.group.wait_for(lambda _: "✓ Safety" in buttons_of(card))
    assert card.buttons[-1] == [texts.BACK]
    # The moderator's tap, on the button that showed Safety off, switches it on (theirs now)
    # rather than off.
    result = await team.sam.press_data(card.message_id, switch_on, chat=team.group)
    await result.answered()
    await team.group.wait_for(lambda _: themes_row(db_path, item, "safety") == (1, "moderator", 1))
    assert "✓ Safety" in buttons_of(card)


async def test_impatient_taps_end_on_the_saved_message_with_the_last_choice(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    await open_themes(team.citizen, message)
    data = buttons_of(message)
    # A theme, then Done twice, without waiting for any answer.
    presses = [
        await team.citizen.press_data(message.message_id, str(data[short("safety")])),
        await team.citizen.press_data(message.message_id, str(data[texts.HEARD_DONE])),
        await team.citizen.press_data(message.message_id, str(data[texts.HEARD_DONE])),
    ]
    for press in presses:
        await press.answered()
    await emu.idle()
    assert themes_row(db_path, item, "safety") == (1, "citizen", 1)
    assert "Saved as #" in (message.text or ""), message.text
    assert short("safety") in (message.text or "")
    assert message.buttons == [[texts.HEARD_FIX]]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_fixing_an_older_item_mid_conversation_keeps_the_conversations_step(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    older = await give(team.citizen, "Riverside GP Surgery", WAITING)
    newer = await give(team.citizen, "Bins and recycling", BINS)
    message = saved_message(team.citizen, older)
    assert message is not saved_message(team.citizen, newer)
    # A third item begun: the service asked.
    await team.citizen.send("/start")
    asked = (await team.citizen.wait_for(lambda m: "Which service" in (m[-1].text or "")))[-1]
    # The older item fixed meanwhile, then Done.
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("safety"), ticked("safety"))
    await press_on(team.citizen, message, texts.HEARD_DONE)
    await team.citizen.wait_for(lambda _: f"Saved as #{older}" in (message.text or ""))
    assert themes_row(db_path, older, "safety") == (1, "citizen", 1)
    assert themes_row(db_path, newer, "safety") is None
    # The conversation goes on where it was.
    await press_on(team.citizen, asked, "Buses")
    await team.citizen.wait_for(lambda _: "Tell me in your own words" in (asked.text or ""))
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(2,)]


async def test_the_author_switches_a_theme_while_a_moderator_edits_the_text(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    message = saved_message(team.citizen, item)
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompts = await team.group.wait_for(
        lambda msgs: any("reply to this message" in (m.text or "") for m in msgs)
    )
    prompt = next(m for m in reversed(prompts) if "reply to this message" in (m.text or ""))
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("safety"), ticked("safety"))
    await team.group.wait_for(lambda _: texts.CARD_THEMES_BY_AUTHOR.strip() in (card.text or ""))
    # The moderator's edit still lands, and the author's theme stays.
    await team.sam.send(
        "I waited two hours in the waiting room and nobody said why.",
        chat=team.group,
        reply_to=prompt,
    )
    await team.group.wait_for(lambda _: "nobody said why" in (card.text or ""))
    assert "Safety" in (card.text or "").splitlines()[1]
    assert themes_row(db_path, item, "safety") == (1, "citizen", 1)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    answer = await press_on(team.citizen, message, ticked("safety"))
    assert answer.get("text") == texts.HEARD_DECIDED.format(reference=item)


async def test_a_card_posted_before_the_group_became_a_forum_is_redrawn_and_decided_there(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = await give(team.citizen, "Riverside GP Surgery", WAITING)
    await card_of(team.group, item)
    forum = emu.make_forum(team.group, by=team.admin)
    moderation = emu.create_topic(forum, "Moderation", by=team.admin)
    await team.sam.send("/queue", chat=forum, topic=moderation)
    found = await forum.wait_for(lambda ms: any("1 waiting" in (m.text or "") for m in ms))
    assert next(m for m in found if "1 waiting" in (m.text or "")).thread == moderation
    # The author fixes a theme: the card the moderators can act on shows it.
    message = saved_message(team.citizen, item)
    await open_themes(team.citizen, message)
    await tap(team.citizen, message, short("safety"), ticked("safety"))
    card = await card_of(forum, item)
    await forum.wait_for(lambda _: texts.CARD_THEMES_BY_AUTHOR.strip() in (card.text or ""))
    await press_on(team.citizen, message, texts.HEARD_DONE)
    await team.citizen.wait_for(lambda _: "Saved as #" in (message.text or ""))
    await press_card(team.sam, forum, card, texts.APPROVE)
    assert "passed on" in await outcome(team.citizen, item)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]

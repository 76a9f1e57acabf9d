"""Moderators' corrections as labels, end to end: the kind button on the card, the model's
confidence on it, and the bot running on the deployment's own model."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.app import YousaidBot
from emulator import Emulator
from handlers import texts
from nlp.corpus import services_examples
from nlp.retrain import ModelStore
from nlp.train import train
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)


def labels_of(card: object) -> list[str]:
    return [label for row in card.buttons for label in row]  # type: ignore[attr-defined]


async def test_a_moderator_corrects_the_kind_and_both_kinds_are_kept(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus never turned up this morning.")
    card = await card_of(team.group, item)
    model_kind = str(stored(db_path, f"SELECT kind FROM feedback WHERE id = {item}")[0][0])
    new = "suggestion" if model_kind != "suggestion" else "question"
    assert texts.KIND in labels_of(card)
    await press_card(team.sam, team.group, card, texts.KIND)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    # The menu marks the kind the model gave.
    chosen = texts.KIND_CHOSEN.format(kind=texts.KIND_CHOICES[model_kind])
    assert chosen in labels_of(card)
    assert len(labels_of(card)) == len(texts.KIND_CHOICES) + 1
    await press_card(team.sam, team.group, card, texts.KIND_CHOICES[new])
    # Back on the card: its head says the new kind, and a line says what the model said.
    await team.group.wait_for(
        lambda _: (card.text or "").splitlines()[0].endswith(f" · {texts.KINDS[new]}")
    )
    assert texts.CARD_KIND_SET.format(model=texts.KINDS[model_kind]) in (card.text or "")
    assert texts.APPROVE in labels_of(card)
    row = stored(db_path, f"SELECT kind, model_kind, kind_set_by FROM feedback WHERE id = {item}")[
        0
    ]
    assert row == (new, model_kind, team.sam.id)
    audit = stored(db_path, "SELECT before, after FROM audit WHERE action = 'item.kind'")
    assert len(audit) == 1
    assert json.loads(str(audit[0][0]))["kind"] == model_kind
    assert json.loads(str(audit[0][1])) == {"kind": new, "model_kind": model_kind}
    # Published, it is a correction the next retraining learns from.
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert texts.KIND in labels_of(card)


@pytest.mark.parametrize("kind", ["praise", "", "Complaint", "complaint\u200b"])
async def test_forged_kind_data_does_nothing(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
    kind: str,
) -> None:
    item = await give(team.citizen, "Buses", "The timetable at the Mill Street stop is wrong.")
    card = await card_of(team.group, item)
    before = stored(db_path, "SELECT kind, version, kind_set_by FROM feedback")
    version = stored(db_path, f"SELECT version FROM feedback WHERE id = {item}")[0][0]
    result = await team.sam.press_data(
        card.message_id, f"m:s:{item}:{version}:{kind}", chat=team.group
    )
    assert await result.answered() is not None
    assert stored(db_path, "SELECT kind, version, kind_set_by FROM feedback") == before


async def test_a_citizen_replaying_the_kind_button_gets_nothing(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "Why does the 42 stop so early on Sundays?")
    card = await card_of(team.group, item)
    version = stored(db_path, f"SELECT version FROM feedback WHERE id = {item}")[0][0]
    result = await team.citizen.press_data(card.message_id, f"m:s:{item}:{version}:compliment")
    answer = await result.answered()
    assert answer.get("text") == texts.NOT_ALLOWED_BUTTON
    assert stored(db_path, f"SELECT kind_set_by FROM feedback WHERE id = {item}") == [(None,)]


async def test_the_card_shows_theme_scores_and_where_the_model_is_unsure(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(
        team.citizen, "Central Library", "The receptionist was rude and we waited two hours."
    )
    card = await card_of(team.group, item)
    themes = stored(db_path, f"SELECT theme_id, score FROM item_themes WHERE feedback_id = {item}")
    kind_score = float(
        str(stored(db_path, f"SELECT kind_score FROM feedback WHERE id = {item}")[0][0])
    )
    line = (card.text or "").splitlines()[1]
    assert themes, "the model found no theme in a text with two plain ones"
    shown = [int(p) for p in re.findall(r" (\d+)%", line)]
    assert sorted(shown) == sorted(round(float(str(s)) * 100) for _, s in themes)
    unsure = [x for x in (card.text or "").splitlines() if x.startswith("🤔 Not sure")]
    best = max(float(str(s)) for _, s in themes)
    assert bool(unsure) == (round(kind_score * 100) < 60 or round(best * 100) < 50)


async def test_the_bot_tags_with_the_deployments_own_model(
    make_bot: BotFactory, db_path: Path, tmp_path: Path
) -> None:
    store = ModelStore(db_path.parent / "models")
    folder = store.new_folder()
    shutil.rmtree(folder)
    train(services_examples("train")[:200], folder, progress=False)
    store.promote(folder)
    async with make_bot() as bot:
        assert bot.tagger.model == folder
        assert bot.application.job_queue is not None
        assert not bot.application.job_queue.get_jobs_by_name("retrain")


async def test_weekly_retraining_is_off_unless_the_deployment_turns_it_on(
    make_bot: BotFactory, emu: Emulator
) -> None:
    bot: YousaidBot
    async with make_bot(YOUSAID_RETRAIN_WEEKLY=True) as bot:
        assert bot.application.job_queue is not None
        jobs = bot.application.job_queue.get_jobs_by_name("retrain")
        assert len(jobs) == 1
        assert bot.application.job_queue.get_jobs_by_name("model-check")


async def test_mixed_feedback_shows_every_kind_on_the_card_until_a_moderator_sets_one(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(
        team.citizen, "Buses", "The drivers are lovely but the bus never comes on time."
    )
    card = await card_of(team.group, item)
    kind, also = stored(db_path, f"SELECT kind, also_kinds FROM feedback WHERE id = {item}")[0]
    shown = [str(kind), *json.loads(str(also))]
    assert sorted(shown) == ["complaint", "compliment"]
    head = (card.text or "").splitlines()[0]
    assert head.endswith(" · " + texts.KINDS_JOINER.join(texts.KINDS[k] for k in shown))
    # A moderator's kind is the only one shown from then on.
    await press_card(team.sam, team.group, card, texts.KIND)
    await team.group.wait_for(lambda _: card.buttons[-1] == [texts.BACK])
    # The stored kind is ticked in the menu: the moderator picks complaint either way.
    complaint = texts.KIND_CHOICES["complaint"]
    ticked = texts.KIND_CHOSEN.format(kind=complaint)
    labels = [label for row in card.buttons for label in row]
    await press_card(team.sam, team.group, card, ticked if ticked in labels else complaint)
    await team.group.wait_for(
        lambda _: (card.text or "").splitlines()[0].endswith(f" · {texts.KINDS['complaint']}")
    )

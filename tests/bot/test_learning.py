"""The theme model learns from moderators: corrections in, a better model promoted, a worse
one refused, and a rollback; through the bot's core and its command line."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.__main__ import main
from bot.learning import Learning
from bot.tagging import load_tagger
from nlp.corpus import services_examples
from nlp.pipeline import DEFAULT_MODEL
from nlp.retrain import ModelStore, held_out
from nlp.train import Example, train
from storage import citizens, feedback, services
from storage.db import Database
from storage.services import ServiceRow

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# Words the base data has never seen: what a deployment's own feedback may be full of.
NEW_WORDS = {"glorbix": "organisation", "snarfle": "environment"}
NOUNS = ["rota", "crew", "van", "depot", "round", "lane", "estate", "week"]


@pytest.fixture(scope="module")
def base() -> list[Example]:
    """A small base (instead of the shipped data) keeps training to seconds."""
    return services_examples("train")[:300]


@pytest.fixture(scope="module")
def baseline(base: list[Example], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model in use before any retraining, trained on the small base alone."""
    out = tmp_path_factory.mktemp("baseline") / "model"
    train(base, out, progress=False)
    return out


async def correct(
    db: Database, count: int, labels: Callable[[int, bool], tuple[str, str]]
) -> list[int]:
    """`count` published items a moderator corrected: labels(item id, held out) gives the
    new word the text is about and the theme the moderator set."""

    async def run(conn: aiosqlite.Connection) -> list[int]:
        await services.sync(conn, [ServiceRow("bins", "Bins", "", "environment")])
        citizen = await citizens.get_or_create(conn, 5550001, AT)
        ids = []
        for n in range(count):
            item = await feedback.create(
                conn,
                citizen_id=citizen.id,
                service_slug="bins",
                text="(as written)",
                rating=None,
                hear_back=False,
                now=AT,
            )
            word, theme = labels(item, held_out(item))
            text = f"The {word} on the {NOUNS[n % len(NOUNS)]} was a problem again, number {n}"
            await feedback.save_tagging(
                conn, item, kind="complaint", redacted_text=text, redactions="[]", themes=[], now=AT
            )
            await feedback.set_theme(conn, item, theme, True)
            await feedback.decide(
                conn,
                item,
                status="approved",
                published_text=text,
                reject_reason=None,
                moderator=777,
                now=AT,
            )
            ids.append(item)
        return ids

    return await db.write(run)


def consistent(item: int, held: bool) -> tuple[str, str]:
    word = list(NEW_WORDS)[item % 2]
    return word, NEW_WORDS[word]


def swapped_when_trained_on(item: int, held: bool) -> tuple[str, str]:
    """Held out: labelled as before. Trained on: each word given the other's theme."""
    word = list(NEW_WORDS)[item % 2]
    other = list(NEW_WORDS)[1 - item % 2]
    return word, NEW_WORDS[word] if held else NEW_WORDS[other]


async def test_corrections_promote_a_better_model_and_refuse_a_worse_one(
    db: Database, tmp_path: Path, base: list[Example], baseline: Path
) -> None:
    models = tmp_path / "models"
    tagger = load_tagger(models)
    assert tagger.model == DEFAULT_MODEL
    learning = Learning(db, tagger, models)
    await correct(db, 160, consistent)

    first = await learning.retrain(base=base, shipped=baseline)
    assert first["promoted"] is True, first
    assert first["held_out"] >= 20 and first["train"] + first["held_out"] == 160
    assert first["candidate"]["micro_f1"] > first["current"]["micro_f1"]
    assert first["candidate"]["macro_f1"] >= first["current"]["macro_f1"]
    promoted = Path(first["candidate"]["model"])
    assert ModelStore(models).current() == promoted
    # The running tagger swapped to it, and knows the new words now.
    assert tagger.model == promoted
    tagged = tagger.tag_now(["The glorbix on the bridge was a problem again"])[0]
    assert "organisation" in [t.id for t in tagged.themes]

    # More corrections whose training part contradicts the held-out part: the candidate
    # learns the wrong themes and scores worse on the held-out slice, so it is refused.
    await correct(db, 240, swapped_when_trained_on)
    second = await learning.retrain(base=base, shipped=baseline)
    assert second["promoted"] is False, second
    assert second["candidate"]["micro_f1"] < second["current"]["micro_f1"]
    assert "not above" in second["why"]
    assert second["current"]["model"] == str(promoted)
    assert ModelStore(models).current() == promoted and tagger.model == promoted
    # The refused candidate is not kept.
    assert sorted(p.name for p in models.iterdir() if p.is_dir()) == [promoted.name]


async def test_rollback_goes_back_to_the_model_before_and_the_bot_follows(
    db: Database,
    tmp_path: Path,
    baseline: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models = tmp_path / "models"
    store = ModelStore(models)
    older, newer = store.new_folder(AT), store.new_folder(AT)
    for folder in (older, newer):
        folder.rmdir()
        shutil.copytree(baseline, folder)
        store.promote(folder)
    tagger = load_tagger(models)
    assert tagger.model == newer
    learning = Learning(db, tagger, models)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'yousaid.db'}")
    monkeypatch.chdir(tmp_path)

    assert await asyncio.to_thread(main, ["nlp", "rollback"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said == {"rolled_back": str(newer), "current": str(older)}
    assert await learning.refresh() is True and tagger.model == older
    assert await asyncio.to_thread(main, ["nlp", "rollback"]) == 0
    assert json.loads(capsys.readouterr().out)["current"] == "shipped"
    assert await learning.refresh() is True and tagger.model == DEFAULT_MODEL
    assert await learning.refresh() is False
    # Nothing left to roll back: said so, and a failure exit.
    assert await asyncio.to_thread(main, ["nlp", "rollback"]) == 1
    assert "nothing to roll back" in capsys.readouterr().err


async def test_retrain_refuses_with_too_few_corrections(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await correct(db, 30, consistent)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'yousaid.db'}")
    monkeypatch.chdir(tmp_path)
    assert await asyncio.to_thread(main, ["nlp", "retrain"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["promoted"] is False and said["candidate"] is None
    assert said["corrections"] == 30 and said["held_out"] < 20
    assert said["why"].startswith("too few corrections held out")
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_the_held_out_slice_is_fixed_by_item_number() -> None:
    chosen = [n for n in range(1, 1001) if held_out(n)]
    assert chosen == [n for n in range(1, 1001) if held_out(n)]
    assert 150 <= len(chosen) <= 250

"""Learning from moderators: train a candidate on corrections, promote it only if better.

A deployment's models live in one folder (`<data>/models/`): one sub-folder per promoted
model, named by when it was trained, and `current.json`, the pointer that says which one is
in use and which came before it (written atomically, so a reader never sees half of it).
Without a pointer, the shipped model is in use.

Corrections are split once and for all by a hash of the item's number: about one in five is
held out, never trained on, and both the current model and the candidate are scored on those.
The candidate replaces the current model only when its micro F1 on the held-out corrections
is higher and its macro F1 is not lower.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import spacy

from nlp.pipeline import DEFAULT_MODEL, Analyser, load
from nlp.taxonomy import load_taxonomy
from nlp.train import Example, summary, train

POINTER = "current.json"
# One correction in this many is held out for judging models (never trained on).
HELD_OUT_ONE_IN = 5
# Fewer held-out corrections than this cannot tell two models apart: no retraining.
MIN_HELD_OUT = 20
# Promoted models kept on disk (the current one and those before it, to roll back to).
KEEP = 5


@dataclass(frozen=True)
class Correction:
    """One item a person labelled: its (published) text, themes and kind."""

    item_id: int
    text: str
    themes: tuple[str, ...]
    kind: str | None = None


def held_out(item_id: int, one_in: int = HELD_OUT_ONE_IN) -> bool:
    """Whether an item is in the held-out slice: fixed by its number, whatever else changes."""
    digest = hashlib.sha256(f"yousaid-held-out:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % one_in == 0


@functools.cache
def _broad_of() -> dict[str, str]:
    """Sub-theme id -> its broad theme id, from the shipped taxonomy."""
    return {t.id: t.broad for t in load_taxonomy().values() if t.broad}


def example(correction: Correction) -> Example:
    """A correction as a training example: sub-themes as their broad theme, as the shipped
    model learns them (a moderator may switch a sub-theme on and leave its broad theme off;
    that must not teach the model the text is not about the broad theme)."""
    kind = correction.kind or ""
    broad = _broad_of()
    themes = sorted({broad.get(t, t) for t in correction.themes})
    return Example(correction.text, themes, kind=kind, kinds=[kind] if kind else [])


class PointerUnreadable(ValueError):
    """The pointer file (current.json) is damaged: fix or remove it (the shipped model then)."""

    def __str__(self) -> str:
        return f"{super().__str__()}; fix it, or remove it to use the shipped model"


def _folder_name(name: object) -> bool:
    """Whether `name` is a plain folder name inside the models folder."""
    return (
        isinstance(name, str)
        and bool(name)
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


class ModelStore:
    """A deployment's trained models and the pointer to the one in use."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @property
    def pointer(self) -> Path:
        """The file naming the model in use and those before it."""
        return self.root / POINTER

    def history(self) -> list[str]:
        """Promoted models still kept, oldest first; the last is in use.

        Raises PointerUnreadable when the pointer is not one this store wrote."""
        try:
            raw = self.pointer.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            # No models yet, or no data folder at all (the database check says why).
            return []
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise PointerUnreadable(f"{self.pointer} is not valid JSON ({exc})") from None
        history = data.get("history") if isinstance(data, dict) else None
        if not isinstance(history, list) or not all(_folder_name(n) for n in history):
            # A name with a slash or ".." would make rollback delete outside the folder.
            raise PointerUnreadable(
                f"{self.pointer} does not hold a list of model folder names under 'history'"
            )
        return [str(name) for name in history]

    def current(self) -> Path | None:
        """The folder of the model in use, or None for the shipped model."""
        history = self.history()
        return self.root / history[-1] if history else None

    def check_writable(self) -> None:
        """Raise OSError now if candidates cannot be saved here (before hours of training)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=".probe-", dir=self.root)
        os.close(handle)
        os.unlink(tmp)

    def new_folder(self, now: datetime | None = None) -> Path:
        """A fresh folder for a candidate, named by the time (UTC)."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder, n = self.root / name, 1
        while folder.exists():
            n += 1
            folder = self.root / f"{name}-{n}"
        folder.mkdir()
        return folder

    def promote(self, folder: Path) -> None:
        """Make `folder` the model in use; the one before stays, to roll back to."""
        history = [*self.history(), folder.name]
        dropped, kept = history[:-KEEP], history[-KEEP:]
        self._write(kept)
        for name in dropped:
            shutil.rmtree(self.root / name, ignore_errors=True)

    def rollback(self) -> Path | None:
        """Go back to the model before the current one (the shipped one when none is left);
        the model left is deleted. Returns the folder now in use (None: shipped)."""
        history = self.history()
        if not history:
            raise LookupError("the shipped model is in use: there is nothing to roll back")
        left = history.pop()
        self._write(history)
        shutil.rmtree(self.root / left, ignore_errors=True)
        return self.current()

    def _write(self, history: list[str]) -> None:
        data = {"current": history[-1] if history else None, "history": history}
        # Written beside and renamed over: a reader sees the old pointer or the new, whole.
        handle, tmp = tempfile.mkstemp(prefix=".current-", dir=self.root)
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.pointer)


def in_use(store: ModelStore, shipped: Path = DEFAULT_MODEL) -> Path:
    """The model a deployment uses: its current one, else the shipped one."""
    current = store.current()
    return current if current is not None and (current / "meta.json").exists() else shipped


def measure(analyser: Analyser, examples: Sequence[Example]) -> dict[str, Any]:
    """Theme micro and macro F1, and kind accuracy (over examples with a kind)."""
    examples = list(examples)
    result = summary(examples, analyser.analyse([ex.text for ex in examples]))
    return {
        "micro_f1": result["micro_f1"],
        "macro_f1": result["macro_f1"],
        "kind_accuracy": result.get("kind_accuracy"),
        "n": len(examples),
    }


def better(candidate: dict[str, Any], current: dict[str, Any]) -> tuple[bool, str]:
    """Whether the candidate replaces the current model, and why (in words)."""
    cm, km = candidate["micro_f1"], current["micro_f1"]
    cM, kM = candidate["macro_f1"], current["macro_f1"]
    if cm <= km:
        return False, f"candidate micro F1 {cm:.4f} is not above the current model's {km:.4f}"
    if cM < kM:
        return False, f"candidate macro F1 {cM:.4f} is below the current model's {kM:.4f}"
    return True, (
        f"candidate micro F1 {cm:.4f} above the current model's {km:.4f},"
        f" macro F1 {cM:.4f} not below {kM:.4f}"
    )


def retrain(
    corrections: Sequence[Correction],
    store: ModelStore,
    *,
    base: Sequence[Example] | None = None,
    shipped: Path = DEFAULT_MODEL,
    min_held_out: int = MIN_HELD_OUT,
    one_in: int = HELD_OUT_ONE_IN,
    seed: int = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Train a candidate on `base` (default: what the shipped model learned from) plus the
    training slice of corrections; promote it if it beats the model in use on the held-out
    slice. Returns what happened (JSON-ready): candidate, current, promoted, why."""
    usable = [c for c in corrections if c.text.strip()]
    held = [example(c) for c in usable if held_out(c.item_id, one_in)]
    learn = [example(c) for c in usable if not held_out(c.item_id, one_in)]
    current_path = in_use(store, shipped)
    result: dict[str, Any] = {
        "corrections": len(usable),
        "train": len(learn),
        "held_out": len(held),
        "current": {"model": str(current_path)},
        "candidate": None,
        "promoted": False,
    }
    if len(held) < min_held_out:
        result["why"] = (
            f"too few corrections held out to judge a new model: {len(held)}, at least"
            f" {min_held_out} needed ({len(usable)} corrections in all; one in {one_in} is"
            " held out)"
        )
        return result
    # Fail before training, not after: a read-only data folder cannot take a candidate.
    store.check_writable()
    if base is None:
        from nlp.corpus import shipped_examples

        base = shipped_examples()
    result["current"].update(measure(load(current_path), held))
    folder = store.new_folder(now)
    try:
        train([*base, *learn], folder, seed=seed, progress=False)
        # Not through `load`: that keeps every model it loaded, and most candidates go.
        scored = measure(Analyser(spacy.load(folder)), held)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    result["candidate"] = {"model": str(folder), **scored}
    promoted, why = better(scored, result["current"])
    result["promoted"], result["why"] = promoted, why
    if promoted:
        store.promote(folder)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        result["candidate"]["model"] = None
    return result

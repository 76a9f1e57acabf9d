"""The theme model learns from moderators: retraining on their corrections, and swapping in
the model `nlp retrain` or `nlp rollback` chose, while the bot runs."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from bot.tagging import Tagger
from storage import learning
from storage.db import Database

log = logging.getLogger(__name__)


async def corrections(db: Database) -> list[Any]:
    """The deployment's corrected items as labelled examples (nlp.retrain.Correction)."""
    from nlp.retrain import Correction

    return [
        Correction(c.item_id, c.text, c.themes, c.kind) for c in await learning.corrected(db.reader)
    ]


class Learning:
    """Retrains the deployment's model and keeps the running bot on the model in use."""

    def __init__(self, db: Database, tagger: Tagger, models: Path) -> None:
        self.db = db
        self.tagger = tagger
        self.models = models
        # One retraining at a time (the weekly job and a refresh may meet).
        self._busy = asyncio.Lock()

    async def retrain(self, **options: Any) -> dict[str, Any]:
        """Train a candidate on the corrections and promote it if better, in a process of
        its own (so people are answered meanwhile, with no contest for the interpreter);
        then use whatever model is in use now."""
        from nlp.retrain import ModelStore, retrain

        async with self._busy:
            found = await corrections(self.db)
            job = partial(retrain, found, ModelStore(self.models), **options)
            # Spawned, not forked: a copy of this process's threads and loop is no use there.
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            try:
                result: dict[str, Any] = await asyncio.get_running_loop().run_in_executor(pool, job)
            finally:
                pool.shutdown(wait=False)
            log.info("retraining: %s", result["why"])
            await self.refresh()
            return result

    async def refresh(self) -> bool:
        """Load the model in use if it is not the one tagging now (after a promotion or a
        rollback, here or from the command line); True if the model changed."""
        from nlp.pipeline import load
        from nlp.retrain import ModelStore, in_use

        try:
            wanted = in_use(ModelStore(self.models))
        except ValueError as exc:
            # A damaged pointer: keep tagging with the model loaded, and say why.
            log.error("the model pointer cannot be read (%s); tagging goes on with the old", exc)
            return False
        if self.tagger.model is not None and wanted.absolute() == self.tagger.model.absolute():
            return False
        try:
            # Not kept by `load`: each promotion or rollback would otherwise stay in memory.
            analyser = await asyncio.to_thread(partial(load, wanted, keep=False))
        except (OSError, ValueError) as exc:
            log.error("model %s cannot be loaded (%s); tagging goes on with the old", wanted, exc)
            return False
        self.tagger.swap(analyser, wanted)
        log.info("tagging now with the model in %s", wanted)
        return True

    async def retrain_job(self, context: object) -> None:
        """Job (weekly, when the deployment turns it on): retrain and maybe promote."""
        if self._busy.locked():
            return
        await self.retrain()

    async def refresh_job(self, context: object) -> None:
        """Job: pick up a model promoted or rolled back from the command line."""
        if not self._busy.locked():
            await self.refresh()

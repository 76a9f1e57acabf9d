"""The themes heard: the author of an item is told which broad themes the bot found in it,
and may switch them on and off until a moderator decides the item.

A citizen's switch is stored like a moderator's, with source 'citizen', so the card shows
it and retraining takes it as a label; a theme a moderator has switched stays theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import aiosqlite

from bot.contact import asks_to_be_contacted
from bot.intake import Clock, Intake, Show, Step
from bot.moderation import Card, Moderation
from storage import audit, feedback, services, updates
from storage.db import Database


class Problem(StrEnum):
    """Why a press on the themes did nothing."""

    # Not an item of this person (forged data), or one they had erased (/forget).
    NOT_THEIRS = "not_theirs"
    # A moderator has decided it: the themes are theirs now.
    DECIDED = "decided"
    # A theme the deployment does not have (forged data, or a taxonomy changed since).
    UNKNOWN_THEME = "unknown_theme"
    # A moderator has switched that theme already: theirs stands.
    MODERATOR_SET = "moderator_set"


@dataclass(frozen=True)
class Heard:
    """An item's broad themes as its author sees them, after a press."""

    item_id: int
    # The broad theme ids on, strongest first.
    themes: tuple[str, ...] = ()
    problem: Problem | None = None
    # The card to draw again for the moderators (None when nothing changed).
    card: Card | None = None


class Themes:
    """What the author of an item hears of its themes, and their corrections."""

    def __init__(self, db: Database, moderation: Moderation, intake: Intake, clock: Clock) -> None:
        self.db = db
        self.moderation = moderation
        self.intake = intake
        self.clock = clock

    def broad(self) -> list[str]:
        """The deployment's broad themes, in the taxonomy's order."""
        subs = self.moderation.tagger.broad
        return [theme_id for theme_id in self.moderation.tagger.labels if theme_id not in subs]

    def _broad_of(self, theme_id: str) -> str:
        return self.moderation.tagger.broad.get(theme_id, theme_id)

    async def _on(self, conn: aiosqlite.Connection, item_id: int) -> tuple[str, ...]:
        """The broad themes on for an item, strongest first (a sub-theme counts as its own)."""
        found: list[str] = []
        known = set(self.broad())
        for theme in await feedback.themes_of(conn, item_id):
            broad = self._broad_of(theme.theme_id)
            if theme.active and broad in known and broad not in found:
                found.append(broad)
        return tuple(found)

    async def after_saved(self, step: Step) -> Step:
        """A saved item's step with the themes heard in it (tagged now if need be); other
        steps as they are."""
        if (
            step.show is not Show.SAVED
            or step.reference is None
            or step.note
            in (
                "comment",
                "answer",
            )
        ):
            return step
        await self.moderation.tag_item(step.reference)
        return replace(step, heard=await self._on(self.db.reader, step.reference))

    async def shown(self, telegram_id: int, item_id: int) -> Heard:
        """The themes of an item of this person, to choose from."""
        item = await feedback.authored(self.db.reader, item_id, telegram_id)
        if item is None:
            return Heard(item_id, problem=Problem.NOT_THEIRS)
        themes = await self._on(self.db.reader, item_id)
        decided = item.status != "pending"
        return Heard(item_id, themes, Problem.DECIDED if decided else None)

    async def switch(
        self, update_id: int, telegram_id: int, item_id: int, theme_id: str, on: bool
    ) -> Heard:
        """Switch a broad theme of the person's item on or off (its sub-themes go with it);
        the same press twice changes nothing more, and so does a replayed update."""
        if theme_id not in self.broad():
            return Heard(item_id, problem=Problem.UNKNOWN_THEME)

        async def run(conn: aiosqlite.Connection) -> Heard:
            now = self.clock()
            fresh = await updates.claim(conn, update_id, now)
            item = await feedback.authored(conn, item_id, telegram_id)
            if item is None:
                return Heard(item_id, problem=Problem.NOT_THEIRS)
            before = await self._on(conn, item_id)
            if item.status != "pending":
                return Heard(item_id, before, Problem.DECIDED)
            if not fresh or (theme_id in before) == on:
                return Heard(item_id, before)
            # Where its card is posted at the same time, one of the two sees the other (and
            # draws the card with the author's themes).
            await feedback.touch(conn, item_id, now)
            if on:
                changed = await feedback.set_theme_by_author(conn, item_id, theme_id, True, now)
            else:
                # The broad theme and every sub-theme of it that is on.
                changed = False
                for theme in await feedback.themes_of(conn, item_id):
                    if theme.active and self._broad_of(theme.theme_id) == theme_id:
                        switched = await feedback.set_theme_by_author(
                            conn, item_id, theme.theme_id, False, now
                        )
                        changed = changed or switched
            after = await self._on(conn, item_id)
            if not changed:
                return Heard(item_id, after, Problem.MODERATOR_SET)
            await audit.record(
                conn,
                actor=None,
                actor_role="citizen",
                action="item.themes",
                subject=f"item:{item_id}",
                before={"themes": list(before)},
                after={"themes": list(after), "theme": theme_id, "active": on},
                now=now,
            )
            # A sub-theme switched off under a broad theme a moderator keeps on: said so.
            held = Problem.MODERATOR_SET if after == before else None
            return Heard(item_id, after, held, await self.moderation.card(item_id, conn))

        return await self.db.write(run)

    async def saved(self, telegram_id: int, item_id: int) -> Step | None:
        """The saved message of the person's item again, with its themes now (None if the
        item is not theirs)."""
        conn = self.db.reader
        item = await feedback.authored(conn, item_id, telegram_id)
        if item is None or item.side:
            return None
        step = Step(
            Show.SAVED,
            reference=item.id,
            service=await services.get(conn, item.service_slug),
            hear_back=item.hear_back,
            heard=await self._on(conn, item_id),
        )
        if asks_to_be_contacted(item.text):
            contact = self.intake.contacts.get(item.service_slug, "")
            step = replace(step, note="contact", contact=contact)
        return step

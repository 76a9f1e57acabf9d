"""Citizens hear back: what a response they are sent says, and what they think of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import aiosqlite

from bot.config import Deployment
from bot.intake import Clock, State, Step, end_side_prompt_in, start_reply
from storage import citizens, feedback, outbox, responses, services, supporters, updates
from storage.db import Database
from storage.outbox import OutboxRow
from storage.responses import Response


@dataclass(frozen=True)
class Notice:
    """A response as one contributor reads it."""

    response: Response
    provider_name: str
    service_name: str
    # The contributor's own item it answers (their newest one it covers).
    item_id: int | None
    items: int
    # Whether that item is the contributor's own (else they said "me too" to it, or their
    # own item was merged into it).
    own: bool = True
    # Its words in the reader's language (the default language's if it has none in theirs).
    text: str = ""


class Verdict(StrEnum):
    """What came of a citizen's "this answers my point" / "it doesn't"."""

    THANKS = "thanks"
    THANKS_ASK_COMMENT = "thanks_ask_comment"
    ALREADY = "already"
    UNKNOWN = "unknown"
    REPLAYED = "replayed"


@dataclass(frozen=True)
class Rated:
    """The outcome of rating a response, and the comment prompt if one was opened (or the
    note that a waiting prompt ended)."""

    verdict: Verdict
    step: Step | None = None
    # The message rated, to show it again with the answer in place of its buttons.
    row: OutboxRow | None = None
    # The answer kept: an earlier press's, when this one came too late to change it.
    answered: bool | None = None


class Hearing:
    """Responses as citizens receive and rate them, over one database."""

    def __init__(self, db: Database, clock: Clock, deployment: Deployment) -> None:
        self.db = db
        self.clock = clock
        self.deployment = deployment

    async def notice(self, row: OutboxRow, language: str = "") -> Notice | None:
        """What a queued response says to its citizen, in `language` when it has words in
        it; None if it was hidden meanwhile, or, not sent yet, the citizen no longer hears
        back on any item it covers (a "me too" undone, a merge released, since)."""
        response = await responses.get(self.db.reader, row.ref_id)
        if response is None or response.hidden:
            return None
        about = row.feedback_id
        if row.state != "sent" and about is not None:
            if not await supporters.hearing_back(self.db.reader, about, row.citizen_id):
                # Another item it covers may still be theirs to hear about: named instead.
                about = await responses.heard_on(self.db.reader, response.id, row.citizen_id)
                if about is None:
                    return None
        words = await responses.texts_of(self.db.reader, response.id)
        service = await services.get(self.db.reader, response.service_slug)
        # Names as the deployment gives them in the citizen's language (`name_cy`).
        language = language or self.deployment.default_language
        provider = next(
            (p for p in self.deployment.providers if p.id == response.provider_id), None
        )
        configured = self.deployment.service(response.service_slug)
        service_name = service.name if service else response.service_slug
        if configured:
            service_name = configured.word("name", language)
        item_id, own = about, await self._own(replace(row, feedback_id=about))
        if not own and item_id is not None:
            # Their own item was merged into this one: they know it by theirs.
            mine = await supporters.own_merged_into(self.db.reader, item_id, row.citizen_id)
            item_id, own = (mine, True) if mine is not None else (item_id, own)
        return Notice(
            response=response,
            # A provider taken out of the file since (its answer waited for a citizen who
            # had blocked the bot): the service answered, never the provider's bare id.
            provider_name=provider.word("name", language) if provider else service_name,
            service_name=service_name,
            item_id=item_id,
            items=await responses.covered_count(self.db.reader, response.id),
            own=own,
            text=words.get(language) or response.text,
        )

    async def _own(self, row: OutboxRow) -> bool:
        if row.feedback_id is None:
            return True
        return await feedback.authored(self.db.reader, row.feedback_id, row.telegram_id) is not None

    async def rate(
        self, update_id: int, telegram_id: int, response_id: int, answered: bool
    ) -> Rated:
        """The citizen says whether the response answered their point; after "it doesn't",
        they are invited to say more. The first answer is the one kept: its buttons go once
        pressed, so a second press (both tapped at once) is told it was recorded already,
        and is neither thanked again nor counted."""

        async def run(conn: aiosqlite.Connection) -> Rated:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Rated(Verdict.REPLAYED)
            # Only someone the response was sent to can rate it: forged data finds nothing.
            row = await outbox.find(conn, "response", response_id, telegram_id)
            if row is None or row.state != "sent":
                return Rated(Verdict.UNKNOWN)
            reply = "yes" if answered else "no"
            before = await outbox.reply_of(conn, row.id)
            if before is not None:
                return Rated(Verdict.ALREADY, row=row, answered=before == "yes")
            await outbox.set_reply(conn, row.id, reply, now)
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if answered:
                # Another button pressed: a comment or an answer still awaited ends.
                ended = await end_side_prompt_in(conn, citizen.id) if citizen else None
                return Rated(Verdict.THANKS, ended, row, answered)
            response = await responses.get(conn, response_id)
            if response is None or citizen is None:
                return Rated(Verdict.THANKS, row=row, answered=answered)
            step = await start_reply(
                conn,
                citizen.id,
                State.COMMENT,
                response.service_slug,
                now,
                response_id=response_id,
            )
            verdict = Verdict.THANKS_ASK_COMMENT if step else Verdict.THANKS
            return Rated(verdict, step, row, answered)

        return await self.db.write(run)

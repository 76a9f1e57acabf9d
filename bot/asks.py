"""Providers ask citizens a question, or invite them to get involved, about one service.

An ask is written like a response (a draft per person and chat until the words arrive),
then waits for a moderator. Approved, it is queued once for every citizen who opted in for
that service. Answers to a question are feedback like any other, linked to it. Citizens who
would like to be involved reach a provider only as counts, until one accepts an invitation:
then the provider learns what that citizen chose to share (a first name and username, or
nothing but a way to write to them through the bot).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from bot.bidi import isolate
from bot.config import Deployment
from bot.digest_content import clip
from bot.intake import Clock, State, Step, start_reply
from bot.roles import Who, services_spoken_for
from bot.wording import Words
from storage import asks, audit, citizens, drafts, outbox, published, services, staff, updates
from storage.asks import Acceptance, Ask
from storage.db import Database
from storage.drafts import Draft
from storage.services import ServiceRow

# A question is read on a phone, with words around it.
MAX_TEXT = 1000
MIN_TEXT = 10
# A citizen gets at most one question about a service in this long (the rate limit on top
# of Telegram's own pace, which the outbox keeps).
QUESTION_GAP = timedelta(days=7)
# Answers quoted under a question in the digest.
ANSWER_QUOTES = 2
# Relayed messages between a provider and a citizen who accepted an invitation.
MAX_RELAY = 2000
# A relay draft goes one way: from the provider to the citizen or back.
TO_CITIZEN, TO_PROVIDER = "to_citizen", "to_provider"

# The lines a digest carries about questions and involvement: in handlers/texts.py.
TEXTS = Words("ASK_LINES")


class Kind(StrEnum):
    """What a provider sends citizens."""

    QUESTION = "question"
    INVITATION = "invitation"


class Share(StrEnum):
    """What a citizen who accepts an invitation lets the provider have."""

    NAME = "name"
    RELAY = "relay"


class Problem(StrEnum):
    """Why something about an ask did nothing."""

    NOT_ALLOWED = "not_allowed"
    NO_SUCH_SERVICE = "no_such_service"
    NO_SUCH_ASK = "no_such_ask"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    ALREADY_DECIDED = "already_decided"
    REPLAYED = "replayed"
    # Citizens' buttons.
    NOT_YOURS = "not_yours"
    BUSY = "busy"
    ALREADY = "already"
    GONE = "gone"
    # Languages: approval waits for every required language; a language added already.
    NEEDS_LANGUAGE = "needs_language"
    NOT_WAITING = "not_waiting"


@dataclass(frozen=True)
class Proposed:
    """An ask waits for a moderator; how many it would go to now; the required languages
    it has no words in yet (a moderator adds them before approving)."""

    ask: Ask
    audience: int
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedsLanguage:
    """The words so far are good; now the same in `language`, please."""

    draft: Draft
    language: str


@dataclass(frozen=True)
class LanguageAdded:
    """A moderator added an ask's words in one language; the languages still missing."""

    ask: Ask
    language: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Decided:
    """A moderator approved or rejected an ask; how many it was queued for."""

    ask: Ask
    recipients: int


@dataclass(frozen=True)
class Message:
    """A queued ask as one citizen reads it."""

    ask: Ask
    provider_name: str
    service_name: str
    # Its words in the reader's language (the default language's if none in theirs).
    text: str = ""


@dataclass(frozen=True)
class Accepted:
    """A citizen accepted an invitation."""

    acceptance: Acceptance
    ask: Ask


@dataclass(frozen=True)
class Told:
    """An acceptance the provider is to hear about now (claimed: told once)."""

    acceptance: Acceptance
    ask: Ask
    service_name: str
    # When it was claimed (to give the claim back if no chat got the news).
    claimed_at: datetime


@dataclass(frozen=True)
class Relayed:
    """Words to pass on: to the citizen's chat, or to the provider's chats."""

    to_citizen: bool
    # The citizen's chat when to_citizen (never shown to the provider).
    telegram_id: int
    acceptance: Acceptance
    ask: Ask
    service_name: str
    text: str


@dataclass(frozen=True)
class InvitationCount:
    """One approved invitation and how citizens answered it."""

    ask: Ask
    sent: int
    accepted: int
    declined: int


@dataclass(frozen=True)
class Involvement:
    """What a provider may know about who would like to be involved: counts only."""

    services: tuple[tuple[ServiceRow, int], ...]
    invitations: tuple[InvitationCount, ...]


class Asks:
    """Questions, invitations, answers and acceptances, over one database."""

    def __init__(self, db: Database, deployment: Deployment, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.provider_names = {p.id: p.name for p in deployment.providers}
        # The languages an ask needs before it is approved, the default first.
        self.languages = deployment.required_languages

    async def _service_name(self, conn: aiosqlite.Connection, slug: str) -> str:
        service = await services.get(conn, slug)
        return service.name if service else slug

    # ------------------------------------------------------------------ providers

    async def begin(
        self, who: Who, chat_id: int, kind: Kind, slug: str, update_id: int | None = None
    ) -> Draft | Problem:
        """Start writing a question or invitation about one of one's services; `update_id`:
        the command's, so that one handled again after a restart begins nothing again
        (REPLAYED)."""
        active = {s.slug: s for s in await services.active(self.db.reader)}
        service = active.get(slug.strip().lower())
        if service is None:
            return Problem.NO_SUCH_SERVICE
        if not who.speaks_for(service.provider_id):
            return Problem.NOT_ALLOWED
        draft = Draft(
            author=who.telegram_id,
            chat_id=chat_id,
            kind=kind.value,
            provider_id=service.provider_id,
            service_slug=service.slug,
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def _save(self, draft: Draft, update_id: int | None) -> bool:
        """Begin a draft, with the update that began it claimed (`drafts.begin`)."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await drafts.begin(conn, draft, update_id, self.clock())

        return await self.db.write(run)

    async def draft(self, author: int, chat_id: int) -> Draft | None:
        """What this person is writing in this chat, if anything."""
        return await drafts.get(self.db.reader, author, chat_id)

    def next_language(self, draft: Draft) -> str | None:
        """The language whose words the draft waits for next, if any (the default first)."""
        if draft.text is None:
            return self.languages[0]
        return next((lang for lang in self.languages[1:] if lang not in draft.texts), None)

    async def propose(
        self, who: Who, chat_id: int, update_id: int, text: str, leave: bool = False
    ) -> Proposed | NeedsLanguage | Problem | None:
        """The words of a question or invitation: once in every required language (or with
        the rest `leave`-d to a moderator), it waits for a moderator. None when no ask is
        being written here (the text is for something else)."""
        text = text.strip()

        async def run(conn: aiosqlite.Connection) -> Proposed | NeedsLanguage | Problem | None:
            now = self.clock()
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind not in set(Kind) or draft.service_slug is None:
                return None
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            if not who.speaks_for(draft.provider_id):
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_ALLOWED
            if leave:
                # "A moderator will add it": the words so far, the rest left.
                if draft.text is None or self.next_language(draft) is None:
                    return Problem.NOT_WAITING
            else:
                if len(text) > MAX_TEXT:
                    return Problem.TOO_LONG
                if len(text) < MIN_TEXT or len(text.split()) < 2:
                    return Problem.EMPTY
                language = self.next_language(draft)
                if language is None or language == self.languages[0]:
                    draft = draft.but(text=text, texts={})
                else:
                    draft = draft.but(texts={**draft.texts, language: text})
                wanted = self.next_language(draft)
                if wanted is not None:
                    await drafts.save(conn, draft, now)
                    return NeedsLanguage(draft, wanted)
            assert draft.text is not None and draft.service_slug is not None
            first = draft.text
            ask_id = await asks.create(
                conn,
                kind=draft.kind,
                provider_id=draft.provider_id,
                service_slug=draft.service_slug,
                text=first,
                author=who.telegram_id,
                author_chat=chat_id,
                now=now,
            )
            written = {self.languages[0]: first}
            written |= {lang: words for lang, words in draft.texts.items() if words is not None}
            for lang, words in written.items():
                await asks.add_text(conn, ask_id, lang, words, who.telegram_id, now)
            missing = tuple(lang for lang in self.languages if lang not in written)
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=_role(who, draft.provider_id),
                action=f"{draft.kind}.proposed",
                subject=f"ask:{ask_id}",
                after={"service": draft.service_slug, "texts": written, "missing": list(missing)},
                now=now,
            )
            await drafts.delete(conn, who.telegram_id, chat_id)
            ask = await asks.get(conn, ask_id)
            assert ask is not None
            audience = await asks.audience(conn, ask.kind, ask.service_slug, now - QUESTION_GAP)
            return Proposed(ask, len(audience), missing)

        return await self.db.write(run)

    async def missing(
        self, ask_id: int, conn: aiosqlite.Connection | None = None
    ) -> tuple[str, ...]:
        """The required languages an ask has no words in yet."""
        reader = conn or self.db.reader
        have = await asks.texts_of(reader, ask_id)
        if not have:
            return ()  # written before languages: its one text is the default's
        return tuple(lang for lang in self.languages if lang not in have)

    async def begin_language(
        self, who: Who, chat_id: int, ask_id: int, language: str, update_id: int | None = None
    ) -> Draft | Problem:
        """A moderator starts adding a proposed ask's words in a language it lacks; `update_id`
        as for `begin`."""
        if not who.moderates:
            return Problem.NOT_ALLOWED
        ask = await asks.get(self.db.reader, ask_id)
        if ask is None or ask.state != "proposed" or language not in await self.missing(ask_id):
            return Problem.NOT_WAITING
        draft = Draft(
            author=who.telegram_id,
            chat_id=chat_id,
            kind="ask_text",
            provider_id=ask.provider_id,
            service_slug=ask.service_slug,
            ref_id=ask_id,
            status=language,
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def add_language(
        self, who: Who, chat_id: int, update_id: int, text: str
    ) -> LanguageAdded | Problem | None:
        """A moderator's words in the language a proposed ask lacks. None when no such
        words are being written here."""
        text = text.strip()

        async def run(conn: aiosqlite.Connection) -> LanguageAdded | Problem | None:
            now = self.clock()
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "ask_text" or draft.ref_id is None:
                return None
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            if not who.moderates:
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_ALLOWED
            ask = await asks.get(conn, draft.ref_id)
            language = draft.status or ""
            if ask is None or ask.state != "proposed":
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_WAITING
            if len(text) > MAX_TEXT:
                return Problem.TOO_LONG
            if len(text) < MIN_TEXT or len(text.split()) < 2:
                return Problem.EMPTY
            await drafts.delete(conn, who.telegram_id, chat_id)
            if not await asks.add_text(conn, ask.id, language, text, who.telegram_id, now):
                return Problem.NOT_WAITING
            missing = await self.missing(ask.id, conn)
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action=f"{ask.kind}.language_added",
                subject=f"ask:{ask.id}",
                after={"language": language, "text": text, "missing": list(missing)},
                now=now,
            )
            return LanguageAdded(ask, language, missing)

        return await self.db.write(run)

    async def card_posted(self, ask_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the moderators' card of an ask is."""

        async def run(conn: aiosqlite.Connection) -> None:
            await asks.set_card(conn, ask_id, chat_id, message_id)

        await self.db.write(run)

    async def still_proposed(self, ask_id: int) -> Proposed | None:
        """An ask still waiting for a moderator, as when it was proposed (how many it would
        go to now, the languages it lacks); None once decided."""
        ask = await asks.get(self.db.reader, ask_id)
        if ask is None or ask.state != "proposed":
            return None
        since = self.clock() - QUESTION_GAP
        audience = await asks.audience(self.db.reader, ask.kind, ask.service_slug, since)
        return Proposed(ask, len(audience), await self.missing(ask_id))

    async def author_name(self, ask: Ask) -> str:
        """What the ask's author is called among staff (empty when they hold no role now)."""
        roles = await staff.active_roles(self.db.reader, ask.author)
        return next((r.display_name for r in roles if r.display_name), "")

    async def get(self, ask_id: int) -> Ask | None:
        """One question or invitation."""
        return await asks.get(self.db.reader, ask_id)

    async def service_name(self, slug: str) -> str:
        """A service's name as people read it."""
        return await self._service_name(self.db.reader, slug)

    def provider_name(self, provider_id: str) -> str:
        """A provider's name as people read it."""
        return self.provider_names.get(provider_id, provider_id)

    # ----------------------------------------------------------------- moderators

    async def decide(self, who: Who, ask_id: int, approve: bool) -> Decided | Problem:
        """A moderator approves (it is queued for its citizens) or rejects an ask; the first
        decision wins."""
        if not who.moderates:
            return Problem.NOT_ALLOWED

        async def run(conn: aiosqlite.Connection) -> Decided | Problem:
            now = self.clock()
            ask = await asks.get(conn, ask_id)
            if ask is None:
                return Problem.NO_SUCH_ASK
            state = "approved" if approve else "rejected"
            if approve and ask.state == "proposed" and await self.missing(ask_id, conn):
                # Every language's people at once, or nobody yet.
                return Problem.NEEDS_LANGUAGE
            if not await asks.decide(conn, ask_id, state, who.telegram_id, now):
                return Problem.ALREADY_DECIDED
            recipients = 0
            if approve:
                audience = await asks.audience(conn, ask.kind, ask.service_slug, now - QUESTION_GAP)
                recipients = await outbox.enqueue(
                    conn, ask.kind, ask_id, [(c, None) for c in audience], now
                )
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action=f"{ask.kind}.{state}",
                subject=f"ask:{ask_id}",
                before={"state": ask.state},
                after={"state": state, "recipients": recipients},
                now=now,
            )
            decided = await asks.get(conn, ask_id)
            assert decided is not None
            return Decided(decided, recipients)

        return await self.db.write(run)

    # ------------------------------------------------------------------- citizens

    async def message(
        self, kind: str, ask_id: int, citizen_id: int, language: str = ""
    ) -> Message | None:
        """A queued ask as its citizen reads it; None if it should no longer go (not
        approved, or the citizen opted out of the service meanwhile)."""
        ask = await asks.get(self.db.reader, ask_id)
        if ask is None or ask.kind != kind or ask.state != "approved":
            return None
        if await asks.opted_out(self.db.reader, citizen_id, ask.service_slug):
            return None
        words = await asks.texts_of(self.db.reader, ask.id)
        return Message(
            ask,
            self.provider_name(ask.provider_id),
            await self._service_name(self.db.reader, ask.service_slug),
            words.get(language) or ask.text,
        )

    async def _sent_to(
        self, conn: aiosqlite.Connection, ask_id: int, telegram_id: int
    ) -> tuple[Ask, int, int] | Problem:
        """The ask, its outbox row and the citizen, if it was sent to this person: forged
        or replayed data from anyone else finds nothing."""
        ask = await asks.get(conn, ask_id)
        if ask is None:
            return Problem.NOT_YOURS
        row = await outbox.find(conn, ask.kind, ask_id, telegram_id)
        if row is None or row.state not in ("sent", "sending"):
            return Problem.NOT_YOURS
        return ask, row.id, row.citizen_id

    async def answer(self, update_id: int, telegram_id: int, ask_id: int) -> Step | Problem:
        """The citizen wants to answer a question: their next words are the answer."""

        async def run(conn: aiosqlite.Connection) -> Step | Problem:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            found = await self._sent_to(conn, ask_id, telegram_id)
            if isinstance(found, Problem):
                return found
            ask, _, citizen_id = found
            if ask.kind != Kind.QUESTION:
                return Problem.NOT_YOURS
            step = await start_reply(
                conn, citizen_id, State.ANSWER, ask.service_slug, now, ask_id=ask.id
            )
            return step if step is not None else Problem.BUSY

        return await self.db.write(run)

    async def opt_out(self, update_id: int, telegram_id: int, ask_id: int) -> str | Problem:
        """No more questions or invitations about the ask's service; the service's name."""

        async def run(conn: aiosqlite.Connection) -> str | Problem:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            found = await self._sent_to(conn, ask_id, telegram_id)
            if isinstance(found, Problem):
                return found
            ask, _, citizen_id = found
            await asks.opt_out(conn, citizen_id, ask.service_slug)
            return await self._service_name(conn, ask.service_slug)

        return await self.db.write(run)

    async def accept(
        self,
        update_id: int,
        telegram_id: int,
        ask_id: int,
        share: Share,
        first_name: str,
        username: str | None,
    ) -> Accepted | Problem:
        """The citizen accepts an invitation. Their first name and username are kept only
        if they chose to share them, and only for this invitation."""

        async def run(conn: aiosqlite.Connection) -> Accepted | Problem:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            found = await self._sent_to(conn, ask_id, telegram_id)
            if isinstance(found, Problem):
                return found
            ask, row_id, citizen_id = found
            if ask.kind != Kind.INVITATION:
                return Problem.NOT_YOURS
            if await outbox.reply_of(conn, row_id) is not None:
                return Problem.ALREADY
            named = share is Share.NAME
            acceptance_id = await asks.accept(
                conn,
                ask_id=ask_id,
                citizen_id=citizen_id,
                share=share.value,
                first_name=first_name[:64] if named else None,
                username=(username or None) if named else None,
                now=now,
            )
            if acceptance_id is None:
                return Problem.ALREADY
            await outbox.set_reply(conn, row_id, "accepted", now)
            acceptance = await asks.acceptance(conn, acceptance_id)
            assert acceptance is not None
            return Accepted(acceptance, ask)

        return await self.db.write(run)

    async def decline(self, update_id: int, telegram_id: int, ask_id: int) -> Problem | None:
        """The citizen declines an invitation: nothing reaches the provider, and they are
        not asked again for it."""

        async def run(conn: aiosqlite.Connection) -> Problem | None:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            found = await self._sent_to(conn, ask_id, telegram_id)
            if isinstance(found, Problem):
                return found
            ask, row_id, _ = found
            if ask.kind != Kind.INVITATION:
                return Problem.NOT_YOURS
            if await outbox.reply_of(conn, row_id) is not None:
                return Problem.ALREADY
            await outbox.set_reply(conn, row_id, "declined", now)
            return None

        return await self.db.write(run)

    async def to_tell(self) -> list[Told]:
        """Acceptances the providers have not heard about, each claimed (told once)."""
        told = []
        for acceptance in await asks.untold(self.db.reader):
            now = self.clock()

            async def run(
                conn: aiosqlite.Connection, acceptance: Acceptance = acceptance, now: datetime = now
            ) -> Told | None:
                if not await asks.mark_told(conn, acceptance.id, now):
                    return None
                ask = await asks.get(conn, acceptance.ask_id)
                if ask is None:
                    return None
                name = await self._service_name(conn, ask.service_slug)
                return Told(acceptance, ask, name, now)

            found = await self.db.write(run)
            if found is not None:
                told.append(found)
        return told

    async def not_told(self, told: Told) -> None:
        """No chat of the provider got the news (Telegram failed): the next run tells it."""

        async def run(conn: aiosqlite.Connection) -> None:
            await asks.not_told(conn, told.acceptance.id, told.claimed_at)

        await self.db.write(run)

    # ------------------------------------------------------------------- relaying

    async def begin_relay(
        self, who: Who, chat_id: int, acceptance_id: int, update_id: int | None = None
    ) -> Draft | Problem:
        """A provider starts writing to a citizen who accepted their invitation; `update_id`
        as for `begin`."""
        acceptance = await asks.acceptance(self.db.reader, acceptance_id)
        ask = await asks.get(self.db.reader, acceptance.ask_id) if acceptance else None
        if ask is None or not who.speaks_for(ask.provider_id):
            return Problem.NOT_ALLOWED
        return await self._save_relay(
            who.telegram_id, chat_id, ask, acceptance_id, TO_CITIZEN, update_id
        )

    async def begin_reply(
        self, telegram_id: int, acceptance_id: int, update_id: int | None = None
    ) -> Draft | Problem:
        """The citizen who accepted starts writing back to the provider; `update_id` as for
        `begin`."""
        acceptance = await asks.acceptance(self.db.reader, acceptance_id)
        if acceptance is None:
            return Problem.NOT_YOURS
        owner = await citizens.telegram_id_of(self.db.reader, acceptance.citizen_id)
        ask = await asks.get(self.db.reader, acceptance.ask_id)
        if owner != telegram_id or ask is None:
            return Problem.NOT_YOURS
        return await self._save_relay(
            telegram_id, telegram_id, ask, acceptance_id, TO_PROVIDER, update_id
        )

    async def _save_relay(
        self,
        author: int,
        chat_id: int,
        ask: Ask,
        acceptance_id: int,
        direction: str,
        update_id: int | None,
    ) -> Draft | Problem:
        draft = Draft(
            author=author,
            chat_id=chat_id,
            kind="relay",
            provider_id=ask.provider_id,
            service_slug=ask.service_slug,
            status=direction,
            ref_id=acceptance_id,
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def relay(
        self, who: Who, chat_id: int, update_id: int, text: str
    ) -> Relayed | Problem | None:
        """Words written to pass on; None when nothing is being relayed from this chat."""
        text = text.strip()

        async def run(conn: aiosqlite.Connection) -> Relayed | Problem | None:
            now = self.clock()
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "relay" or draft.ref_id is None:
                return None
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            if not text:
                return Problem.EMPTY
            if len(text) > MAX_RELAY:
                return Problem.TOO_LONG
            await drafts.delete(conn, who.telegram_id, chat_id)
            acceptance = await asks.acceptance(conn, draft.ref_id)
            ask = await asks.get(conn, acceptance.ask_id) if acceptance else None
            telegram_id = (
                await citizens.telegram_id_of(conn, acceptance.citizen_id) if acceptance else None
            )
            if acceptance is None or ask is None or telegram_id is None:
                return Problem.GONE
            to_citizen = draft.status == TO_CITIZEN
            if to_citizen:
                if not who.speaks_for(ask.provider_id):
                    return Problem.NOT_ALLOWED
                await audit.record(
                    conn,
                    actor=who.telegram_id,
                    actor_role=_role(who, ask.provider_id),
                    action="relay.sent",
                    subject=f"acceptance:{acceptance.id}",
                    now=now,
                )
            elif telegram_id != who.telegram_id:
                return Problem.NOT_YOURS
            name = await self._service_name(conn, ask.service_slug)
            return Relayed(to_citizen, telegram_id, acceptance, ask, name, text)

        return await self.db.write(run)

    # -------------------------------------------------------------- involvement

    async def involvement(self, who: Who) -> Involvement:
        """Per service of one's own, how many would like to be involved; per invitation,
        how many it reached and how many accepted or declined. Counts, never people."""
        mine = await services_spoken_for(self.db, who)
        counts = await asks.involved(self.db.reader, [s.slug for s in mine])
        invitations = []
        for ask in await asks.approved(self.db.reader, Kind.INVITATION, [s.slug for s in mine]):
            replies = await outbox.replies(self.db.reader, Kind.INVITATION, ask.id)
            invitations.append(
                InvitationCount(
                    ask,
                    sent=await asks.sent_count(self.db.reader, Kind.INVITATION, ask.id),
                    accepted=await asks.accepted_count(self.db.reader, ask.id),
                    declined=replies.get("declined", 0),
                )
            )
        return Involvement(tuple((s, counts.get(s.slug, 0)) for s in mine), tuple(invitations))


def _role(who: Who, provider_id: str) -> str:
    return "admin" if who.admin and provider_id not in who.providers else "provider"


async def ask_lines(
    db: Database, services: Sequence[ServiceRow], start: datetime, end: datetime
) -> list[str]:
    """Short HTML lines for a digest of these services over [start, end): each question
    approved in the period (how many it went to, how many answers were published), then
    how many people would like to be involved, per service; a heading first. Empty when
    there is nothing."""
    conn = db.reader
    names = {s.slug: s.name for s in services}
    lines = []
    for ask in await asks.approved(conn, Kind.QUESTION, list(names), start, end):
        sent = await asks.sent_count(conn, Kind.QUESTION, ask.id)
        answers = await asks.answer_count(conn, ask.id)
        short = clip(ask.text, 120)
        lines.append(
            TEXTS["question"].format(
                service=html.escape(names[ask.service_slug]),
                text=html.escape(isolate(short)),
                sent=TEXTS.plural("sent_to").format(sent),
                answers=TEXTS.plural("answers").format(answers),
            )
        )
        for answer in await published.answers(conn, ask.id, ANSWER_QUOTES):
            quote = clip(answer.text, 140)
            lines.append(
                TEXTS["answer_quote"].format(text=html.escape(isolate(quote)), id=answer.id)
            )
    for slug, count in (await asks.involved(conn, list(names))).items():
        if count:
            lines.append(TEXTS.plural("involved").format(count, service=html.escape(names[slug])))
    return [TEXTS["heading"], *lines] if lines else []

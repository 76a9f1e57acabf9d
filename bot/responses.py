"""Providers answer what they heard: a theme of a service over a period, or one item.

A response is written in steps (what it is about, its status, its words), kept as a draft
per person and chat. The words are checked (a real answer, not "ok"), then previewed as
citizens will read them, with how many people they will reach; only "Send" publishes. Publishing
is one transaction: the response, the items it covers, a message queued for every contributor
who asked to hear back, the audit entry, and the update marked handled. A response to a theme
covers the items that raised a problem (complaints, suggestions, questions), never praise
alone. Nothing reaches a provider about who wrote what; nothing reaches a citizen twice.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from bot.config import Deployment
from bot.digest_content import answerable
from bot.intake import Clock
from bot.roles import Who, services_spoken_for
from storage import (
    audit,
    citizens,
    conversations,
    drafts,
    media,
    outbox,
    published,
    responses,
    services,
    supporters,
    updates,
)
from storage.db import Database, stamp
from storage.drafts import Draft
from storage.responses import Response
from storage.services import ServiceRow

log = logging.getLogger(__name__)

# A response is sent to citizens with other words around it: keep it to a phone screen.
MAX_TEXT = 1500
# A response is read by people who took the time to write: a sentence at least, never "ok".
MIN_WORDS = 4
MIN_TEXT = 20
# "Not changing" needs a reason, and a reason takes more than a few words.
MIN_REASON_WORDS = 6
MIN_REASON = 30
# A draft left this long is dropped.
DRAFT_HOURS = 24


class Status(StrEnum):
    """What the provider says about what they heard."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CHANGED = "changed"
    NOT_CHANGING = "not_changing"


class Problem(StrEnum):
    """Why a step of writing a response did nothing."""

    NOT_ALLOWED = "not_allowed"
    NO_SUCH_ITEM = "no_such_item"
    NOTHING_TO_ANSWER = "nothing_to_answer"
    NO_DRAFT = "no_draft"
    NO_STATUS = "no_status"
    ONLY_PRAISE = "only_praise"
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NEEDS_REASON = "needs_reason"
    STALE = "stale"
    REPLAYED = "replayed"
    # A language's words were added already, or the response no longer waits for them.
    NOT_WAITING = "not_waiting"
    # The draft answers for a provider taken out of the deployment file since it was begun.
    PROVIDER_GONE = "provider_gone"
    # A colleague's response reached these items since the preview: Send again sends it.
    ANSWERED_MEANWHILE = "answered_meanwhile"
    # The item's author asked for it to be erased (/forget): its words are gone.
    ERASED = "erased"
    # "Send" pressed again on a preview whose words went out a moment ago.
    ALREADY_SENT = "already_sent"


@dataclass(frozen=True)
class Choice:
    """The theme is heard at several services: which one is being answered."""

    theme_id: str
    services: tuple[ServiceRow, ...]


@dataclass(frozen=True)
class Published:
    """A response is out: how many items it covers and how many people will hear it (or,
    `waiting` for languages a moderator will add, how many will once they are added)."""

    response: Response
    items: int
    recipients: int
    waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class Needs:
    """The words so far are good; now the same in `language`, please."""

    draft: Draft
    language: str


@dataclass(frozen=True)
class Added:
    """A moderator added a waiting response's words in one language; `published` once it
    has them all (it went to its people), else the languages still missing."""

    response: Response
    language: str
    published: Published | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    """Words written and checked, not yet sent: what they cover and whom they would reach."""

    draft: Draft
    text: str
    items: int
    people: int
    # The item of one person it would reach (or of one it covers), for a sample notice.
    sample_item: int | None
    token: str
    # The words in the other required languages; None: a moderator will add them.
    texts: dict[str, str | None] = field(default_factory=dict)
    # A colleague's response reached some of these items while these words were written.
    meanwhile: bool = False


def fingerprint(text: str, texts: dict[str, str | None] | None = None) -> str:
    """A short mark of the words previewed (in every language), so a "Send" under an older
    preview sends nothing."""
    marked = text + (json.dumps(texts, sort_keys=True) if texts else "")
    return f"{zlib.crc32(marked.encode()):08x}"


def check_words(status: Status, text: str) -> Problem | None:
    """Why these words cannot go to citizens yet, if they cannot."""
    if not text:
        return Problem.EMPTY
    if len(text) > MAX_TEXT:
        return Problem.TOO_LONG
    words = count_words(text)
    if status is Status.NOT_CHANGING:
        if len(text) < MIN_REASON or words < MIN_REASON_WORDS:
            return Problem.NEEDS_REASON
    elif len(text) < MIN_TEXT or words < MIN_WORDS:
        return Problem.TOO_SHORT
    return None


def count_words(text: str) -> int:
    """How many words the text holds: emoji, symbols and bare numbers alone are none."""
    tokens = [t for t in text.split() if any(c.isalnum() for c in t)]
    # Numbers count beside words ("open 10 to 4"), but digits alone say nothing.
    if not any(c.isalpha() for t in tokens for c in t):
        return 0
    return len(tokens)


def service_key(slug: str) -> str:
    """A short stand-in for a service's slug in button data, which Telegram cuts at 64 bytes
    (a slug may take 31); the "_" no slug has keeps a key from being read as a slug."""
    return f"_{zlib.crc32(slug.encode()):08x}"


def period_of(draft: Draft) -> tuple[str, str] | None:
    """The draft's period as stored stamps, if it answers a theme."""
    if draft.period_start and draft.period_end:
        return draft.period_start, draft.period_end
    return None


class Responses:
    """Writing, publishing, hiding and following up responses, over one database."""

    def __init__(
        self,
        db: Database,
        deployment: Deployment,
        clock: Clock,
        broad: Mapping[str, str] | None = None,
    ) -> None:
        self.db = db
        self.deployment = deployment
        self.clock = clock
        # Sub-theme id -> broad theme id (the tagger's: a new model changes it in place).
        self.broad = broad if broad is not None else {}
        self.follow_up = timedelta(days=deployment.responses.follow_up_days)
        self.providers = {p.id: p for p in deployment.providers}
        # The languages a response needs before it goes out, the default first.
        self.languages = deployment.required_languages

    def subs(self, theme_id: str) -> tuple[str, ...]:
        """The sub-themes of a broad theme (none for a sub-theme or a theme without any)."""
        return tuple(sorted(sub for sub, top in self.broad.items() if top == theme_id))

    def next_language(self, draft: Draft) -> str | None:
        """The language whose words the draft waits for next, if any (the default first)."""
        if draft.text is None:
            return self.languages[0]
        return next((lang for lang in self.languages[1:] if lang not in draft.texts), None)

    async def themes_heard(
        self,
        services: Sequence[ServiceRow],
        start: datetime,
        end: datetime,
        labels: Mapping[str, str] | None = None,
    ) -> tuple[str, ...]:
        """The themes of these services' approved items in [start, end) that a provider may
        answer, as their digest lists them: broad themes most items first, each followed by
        the sub-themes named on its line."""
        tally = await published.tally(
            self.db.reader, [s.slug for s in services], stamp(start), stamp(end), self.broad
        )
        return answerable(tally, self.broad, labels or {})

    async def begin_theme(
        self,
        who: Who,
        chat_id: int,
        theme_id: str,
        periods: dict[str, tuple[datetime, datetime]],
        service_slug: str = "",
        update_id: int | None = None,
    ) -> Draft | Choice | Problem:
        """Start answering a theme; `periods` gives each provider's period being answered.

        `service_slug`: the service's slug or its `service_key`. Without it, the services
        where the theme was heard in their period are offered (one found: that one is taken).
        `update_id`: the press's, so that one handled again after a restart begins nothing
        again (REPLAYED).
        """
        mine = [s for s in await services_spoken_for(self.db, who) if s.provider_id in periods]
        if service_slug:
            # A button's key, or the whole slug as buttons carried before keys.
            mine = [s for s in mine if service_slug in (s.slug, service_key(s.slug))]
            if not mine:
                return Problem.NOT_ALLOWED
        heard, praised = [], False
        for service in mine:
            start, end = periods[service.provider_id]
            since, until, subs = stamp(start), stamp(end), self.subs(theme_id)
            if await responses.theme_items(
                self.db.reader, service.slug, theme_id, since, until, subs=subs
            ):
                heard.append(service)
            elif await responses.theme_items(
                self.db.reader, service.slug, theme_id, since, until, False, subs
            ):
                praised = True
        if not heard:
            # Praise alone raises nothing to answer: a thank-you goes to an item.
            return Problem.ONLY_PRAISE if praised else Problem.NOTHING_TO_ANSWER
        if len(heard) > 1:
            return Choice(theme_id, tuple(heard))
        service = heard[0]
        start, end = periods[service.provider_id]
        draft = Draft(
            author=who.telegram_id,
            chat_id=chat_id,
            kind="response",
            provider_id=service.provider_id,
            service_slug=service.slug,
            theme_id=theme_id,
            period_start=stamp(start),
            period_end=stamp(end),
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def photos_of(self, item_id: int) -> list[int]:
        """An item's approved photos (their numbers for /photo), shown when responding."""
        found = await media.approved_photos(self.db.reader, [item_id])
        return found.get(item_id, [])

    async def begin_item(
        self, who: Who, chat_id: int, item_id: int, update_id: int | None = None
    ) -> Draft | Problem:
        """Start answering one approved item of one's own services (an item merged into
        another since: the one it went into, whose people include its author); `update_id`
        as for `begin_theme`."""
        slug = await responses.publishable_item(self.db.reader, item_id)
        if slug is None:
            into = await supporters.merged_into(self.db.reader, item_id)
            slug = await responses.publishable_item(self.db.reader, into) if into else None
            if into is None or slug is None:
                return await self._erased(who, into or item_id)
            item_id = into
        service = await services.get(self.db.reader, slug)
        if service is None or not who.speaks_for(service.provider_id):
            # Another provider's item looks the same as no item: nothing leaks.
            return Problem.NO_SUCH_ITEM if service else Problem.NOT_ALLOWED
        draft = Draft(
            author=who.telegram_id,
            chat_id=chat_id,
            kind="response",
            provider_id=service.provider_id,
            service_slug=slug,
            item_id=item_id,
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def _erased(self, who: Who, item_id: int) -> Problem:
        """Why an item that cannot be answered is not: its author had it erased (said only
        to a provider of its service; to anyone else it is no item)."""
        slug = await responses.erased_item(self.db.reader, item_id)
        service = await services.get(self.db.reader, slug) if slug else None
        if service is None or not who.speaks_for(service.provider_id):
            return Problem.NO_SUCH_ITEM
        return Problem.ERASED

    async def begin_again(
        self, who: Who, chat_id: int, response_id: int, update_id: int | None = None
    ) -> Draft | Problem:
        """Start an update on the subject of an earlier response (after a follow-up);
        `update_id` as for `begin_theme`."""
        earlier = await responses.get(self.db.reader, response_id)
        if earlier is None or not who.speaks_for(earlier.provider_id):
            return Problem.NOT_ALLOWED
        if earlier.provider_id not in self.providers:
            return Problem.PROVIDER_GONE
        draft = Draft(
            author=who.telegram_id,
            chat_id=chat_id,
            kind="response",
            provider_id=earlier.provider_id,
            service_slug=earlier.service_slug,
            theme_id=earlier.theme_id,
            item_id=earlier.item_id,
            period_start=earlier.period_start,
            period_end=earlier.period_end,
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def choose_status(
        self, who: Who, chat_id: int, status: Status, update_id: int | None = None
    ) -> Draft | Problem:
        """The status of the response being written; `update_id`: the press's, so that one
        handled again after a restart does not drop the words written since (REPLAYED)."""

        async def run(conn: aiosqlite.Connection) -> Draft | Problem:
            if update_id is not None and not await updates.claim(conn, update_id, self.clock()):
                return Problem.REPLAYED
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "response":
                return Problem.NO_DRAFT
            refused = await self._refused(conn, who, draft)
            if refused is not None:
                return refused
            # New words are asked for: a preview of the old ones would no longer be right.
            draft = draft.but(status=status.value, text=None)
            await drafts.save(conn, draft, self.clock())
            return draft

        return await self.db.write(run)

    async def _refused(self, conn: aiosqlite.Connection, who: Who, draft: Draft) -> Problem | None:
        """Why this person may not go on with this draft, if so: not theirs to answer, or
        for a provider taken out of the deployment file since (an admin speaks for every
        provider, but one that is gone answers nothing: its draft goes)."""
        if not who.speaks_for(draft.provider_id):
            return Problem.NOT_ALLOWED
        if draft.provider_id not in self.providers:
            await drafts.delete(conn, draft.author, draft.chat_id)
            return Problem.PROVIDER_GONE
        return None

    async def draft(self, who: Who, chat_id: int) -> Draft | None:
        """The draft this person is writing in this chat, if any."""
        return await drafts.get(self.db.reader, who.telegram_id, chat_id)

    async def cancel(self, who: Who, chat_id: int, update_id: int | None = None) -> bool | Problem:
        """Drop the draft; True if there was one. `update_id`: the /cancel's or Cancel's, so
        that one handled again after a restart drops no draft begun since (REPLAYED)."""

        async def run(conn: aiosqlite.Connection) -> bool | Problem:
            if update_id is not None and not await updates.claim(conn, update_id, self.clock()):
                return Problem.REPLAYED
            return await drafts.delete(conn, who.telegram_id, chat_id)

        return await self.db.write(run)

    async def put_aside(self, who: Who, chat_id: int, update_id: int) -> bool:
        """Drop the draft because another command or button came; True if there was one.
        Not for an update handled before a restart: it came before the draft (or began it);
        nor for one handled again after a restart behind a later update of the chat already
        handled (a command whose mark was lost): the draft may be that later update's."""

        async def run(conn: aiosqlite.Connection) -> bool:
            if await updates.is_handled(conn, update_id):
                return False
            if await updates.handled_after(conn, chat_id, update_id):
                return False
            return await drafts.delete(conn, who.telegram_id, chat_id)

        return await self.db.write(run)

    async def covered(self, draft: Draft) -> int:
        """How many items the draft's response would cover."""
        return len(await self._items(self.db.reader, draft))

    async def _items(self, conn: aiosqlite.Connection, draft: Draft) -> list[int]:
        if draft.item_id is not None:
            slug = await responses.publishable_item(conn, draft.item_id)
            return [draft.item_id] if slug == draft.service_slug else []
        period = period_of(draft)
        if draft.theme_id is None or draft.service_slug is None or period is None:
            return []
        subs = self.subs(draft.theme_id)
        found = await responses.theme_items(
            conn, draft.service_slug, draft.theme_id, *period, subs=subs
        )
        if draft.status == Status.CHANGED:
            # "You said, we did": whoever heard earlier answers on this theme (or one of its
            # sub-themes) hears this too.
            earlier = await responses.earlier_theme_items(
                conn, draft.service_slug, draft.theme_id, subs
            )
            found = sorted(set(found) | set(earlier))
        return found

    async def write(
        self, who: Who, chat_id: int, update_id: int, text: str
    ) -> Preview | Needs | Problem | None:
        """The words of the response: checked and kept for a preview (nothing is sent yet);
        in a deployment with more than one required language, the next language is asked
        for first. None when no response is being written here (the text is for something
        else)."""
        text = text.strip()

        async def run(conn: aiosqlite.Connection) -> Preview | Needs | Problem | None:
            now = self.clock()
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "response":
                return None
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            if not who.speaks_for(draft.provider_id):
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_ALLOWED
            refused = await self._refused(conn, who, draft)
            if refused is not None:
                return refused
            if draft.status is None:
                return Problem.NO_STATUS
            problem = check_words(Status(draft.status), text)
            if problem is not None:
                return problem
            items = await self._items(conn, draft)
            if not items:
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOTHING_TO_ANSWER
            language = self.next_language(draft)
            if language is None or language == self.languages[0]:
                # The first words (or new ones after a preview: all are asked for again).
                draft = draft.but(text=text, texts={})
            else:
                draft = draft.but(texts={**draft.texts, language: text})
            wanted = self.next_language(draft)
            # A colleague answered these items while this was being written: the preview
            # says so.
            meanwhile = wanted is None and await self._meanwhile(conn, who, draft, items)
            if meanwhile:
                draft = draft.but(seen_at=stamp(now))
            await drafts.save(conn, draft, now)
            if wanted is not None:
                return Needs(draft, wanted)
            return await self._preview(conn, draft, items, meanwhile)

        return await self.db.write(run)

    @staticmethod
    async def _meanwhile(
        conn: aiosqlite.Connection, who: Who, draft: Draft, items: list[int]
    ) -> bool:
        """Whether a colleague's response to some of these items went out since the draft
        was begun, or since its writer was last told of one."""
        since = draft.seen_at or draft.created_at
        return bool(since) and await responses.answered_since(conn, items, since, who.telegram_id)

    async def _preview(
        self, conn: aiosqlite.Connection, draft: Draft, items: list[int], meanwhile: bool = False
    ) -> Preview:
        assert draft.text is not None
        reached = await responses.audience_of(conn, items)
        sample = await responses.sample_item(conn, items)
        token = fingerprint(draft.text, draft.texts)
        return Preview(
            draft, draft.text, len(items), reached, sample, token, draft.texts, meanwhile
        )

    async def leave_to_moderator(self, who: Who, chat_id: int, update_id: int) -> Preview | Problem:
        """The provider leaves the languages not yet written to a moderator: the preview
        says so, and "Send" keeps the response waiting until a moderator adds them."""

        async def run(conn: aiosqlite.Connection) -> Preview | Problem:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "response" or draft.status is None:
                return Problem.NO_DRAFT
            if draft.text is None or self.next_language(draft) is None:
                # Nothing written yet, or every language written: an old button.
                return Problem.STALE
            refused = await self._refused(conn, who, draft)
            if refused is not None:
                return refused
            items = await self._items(conn, draft)
            if not items:
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOTHING_TO_ANSWER
            left: dict[str, str | None] = {lang: None for lang in self.languages[1:]}
            draft = draft.but(texts={**left, **draft.texts})
            meanwhile = await self._meanwhile(conn, who, draft, items)
            if meanwhile:
                draft = draft.but(seen_at=stamp(now))
            await drafts.save(conn, draft, now)
            return await self._preview(conn, draft, items, meanwhile)

        return await self.db.write(run)

    async def edit(self, who: Who, chat_id: int, update_id: int) -> Draft | Problem:
        """The provider wants to change the words previewed: they are asked for again."""

        async def run(conn: aiosqlite.Connection) -> Draft | Problem:
            if not await updates.claim(conn, update_id, self.clock()):
                return Problem.REPLAYED
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "response" or draft.status is None:
                return Problem.NO_DRAFT
            refused = await self._refused(conn, who, draft)
            if refused is not None:
                return refused
            draft = draft.but(text=None)
            await drafts.save(conn, draft, self.clock())
            return draft

        return await self.db.write(run)

    async def send(self, who: Who, chat_id: int, update_id: int, token: str) -> Published | Problem:
        """ "Send" under a preview: publish the words previewed, now, in one transaction."""

        async def run(conn: aiosqlite.Connection) -> Published | Problem:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "response" or draft.status is None:
                # A second tap on a Send whose words just went: said so, not "no longer
                # being written" (which reads as if they did not go).
                if await self._sent_already(conn, who, token):
                    return Problem.ALREADY_SENT
                return Problem.NO_DRAFT
            if draft.text is None or fingerprint(draft.text, draft.texts) != token:
                return Problem.STALE
            if self.next_language(draft) is not None:
                return Problem.STALE
            if not who.speaks_for(draft.provider_id):
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_ALLOWED
            refused = await self._refused(conn, who, draft)
            if refused is not None:
                return refused
            status, text = Status(draft.status), draft.text
            problem = check_words(status, text)
            if problem is not None:
                return problem
            items = await self._items(conn, draft)
            if not items:
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOTHING_TO_ANSWER
            # A colleague pressing Send on these items at the same moment waits, then runs
            # again and is told below.
            await responses.hold_items(conn, items)
            if await self._meanwhile(conn, who, draft, items):
                # Two of a team answering at once: the second is told before their people
                # hear twice. Told now: Send again sends it.
                await drafts.save(conn, draft.but(seen_at=stamp(now)), now)
                return Problem.ANSWERED_MEANWHILE
            assert draft.service_slug is not None
            response_id = await responses.create(
                conn,
                provider_id=draft.provider_id,
                service_slug=draft.service_slug,
                theme_id=draft.theme_id,
                item_id=draft.item_id,
                period=period_of(draft),
                status=status.value,
                text=text,
                author=who.telegram_id,
                follow_up_at=now + self.follow_up if status is Status.IN_PROGRESS else None,
                items=items,
                now=now,
                waiting=None in draft.texts.values(),
            )
            written = {self.languages[0]: text}
            written |= {lang: words for lang, words in draft.texts.items() if words is not None}
            for language, words in written.items():
                await responses.add_text(conn, response_id, language, words, who.telegram_id, now)
            response = await responses.get(conn, response_id)
            assert response is not None
            await responses.close_follow_ups(conn, response, now)
            missing = tuple(lang for lang, words in draft.texts.items() if words is None)
            audience = await responses.audience(conn, response_id)
            # Every language's people in one go, once it has them all: never one before another.
            recipients = (
                len(audience)
                if missing
                else await outbox.enqueue(conn, "response", response_id, audience, now)
            )
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role="admin"
                if who.admin and draft.provider_id not in who.providers
                else "provider",
                action="response.published",
                subject=f"response:{response_id}",
                after={
                    "service": draft.service_slug,
                    "theme": draft.theme_id,
                    "item": draft.item_id,
                    "status": status.value,
                    "text": text,
                    "texts": written,
                    "waiting_for": list(missing),
                    "items": len(items),
                    "recipients": recipients,
                },
                now=now,
            )
            await drafts.delete(conn, who.telegram_id, chat_id)
            return Published(response, len(items), recipients, missing)

        return await self.db.write(run)

    async def _sent_already(self, conn: aiosqlite.Connection, who: Who, token: str) -> bool:
        """Whether the words a Send's `token` marks are this person's latest response."""
        since = self.clock() - timedelta(hours=DRAFT_HOURS)
        latest = await responses.latest_by(conn, who.telegram_id, since)
        if latest is None:
            return False
        have = await responses.texts_of(conn, latest.id)
        # As the preview marked them: every other required language, words or None.
        others: dict[str, str | None] = {lang: have.get(lang) for lang in self.languages[1:]}
        return fingerprint(latest.text, others) == token

    async def missing(self, response_id: int) -> tuple[str, ...]:
        """The required languages a response has no words in yet."""
        have = await responses.texts_of(self.db.reader, response_id)
        response = await responses.get(self.db.reader, response_id)
        if response is not None and not have:
            have = {self.languages[0]: response.text}  # written before languages
        return tuple(lang for lang in self.languages if lang not in have)

    async def get(self, response_id: int) -> Response | None:
        """One response."""
        return await responses.get(self.db.reader, response_id)

    async def texts(self, response_id: int) -> dict[str, str]:
        """A response's words by language."""
        return await responses.texts_of(self.db.reader, response_id)

    async def waiting(self, who: Who) -> list[Response]:
        """Responses waiting for a language that this person may see (moderators: all)."""
        if who.moderates:
            return await responses.waiting(self.db.reader, None)
        return await responses.waiting(self.db.reader, sorted(who.providers))

    async def begin_language(
        self, who: Who, chat_id: int, response_id: int, language: str, update_id: int | None = None
    ) -> Draft | Problem:
        """A moderator starts adding a waiting response's words in one language; `update_id`
        as for `begin_theme`."""
        if not who.moderates:
            return Problem.NOT_ALLOWED
        response = await responses.get(self.db.reader, response_id)
        if (
            response is None
            or not response.waiting
            or response.hidden
            or language not in await self.missing(response_id)
        ):
            return Problem.NOT_WAITING
        draft = Draft(
            author=who.telegram_id,
            chat_id=chat_id,
            kind="response_text",
            provider_id=response.provider_id,
            ref_id=response_id,
            status=language,
        )
        return draft if await self._save(draft, update_id) else Problem.REPLAYED

    async def add_language(
        self, who: Who, chat_id: int, update_id: int, text: str
    ) -> Added | Problem | None:
        """A moderator's words in the language a waiting response lacks; once it has every
        language, it is published (queued for all its people at once). None when no such
        words are being written here."""
        text = text.strip()

        async def run(conn: aiosqlite.Connection) -> Added | Problem | None:
            now = self.clock()
            draft = await drafts.get(conn, who.telegram_id, chat_id)
            if draft is None or draft.kind != "response_text" or draft.ref_id is None:
                return None
            if not await updates.claim(conn, update_id, now):
                return Problem.REPLAYED
            if not who.moderates:
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_ALLOWED
            response = await responses.get(conn, draft.ref_id)
            language = draft.status or ""
            if response is None or not response.waiting or response.hidden:
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_WAITING
            problem = check_words(Status(response.status), text)
            if problem is not None:
                return problem
            if not await responses.add_text(
                conn, response.id, language, text, who.telegram_id, now
            ):
                await drafts.delete(conn, who.telegram_id, chat_id)
                return Problem.NOT_WAITING
            await drafts.delete(conn, who.telegram_id, chat_id)
            have = await responses.texts_of(conn, response.id)
            missing = tuple(lang for lang in self.languages if lang not in have)
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action="response.language_added",
                subject=f"response:{response.id}",
                after={"language": language, "text": text, "missing": list(missing)},
                now=now,
            )
            if missing or not await responses.stop_waiting(conn, response.id):
                return Added(response, language, None, missing)
            recipients = await outbox.enqueue(
                conn, "response", response.id, await responses.audience(conn, response.id), now
            )
            items = await responses.covered_count(conn, response.id)
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action="response.published",
                subject=f"response:{response.id}",
                after={"texts": have, "items": items, "recipients": recipients},
                now=now,
            )
            published = await responses.get(conn, response.id)
            assert published is not None
            return Added(published, language, Published(published, items, recipients), ())

        return await self.db.write(run)

    async def card_posted(self, response_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the moderators' card of a response is."""

        async def run(conn: aiosqlite.Connection) -> None:
            await responses.set_card(conn, response_id, chat_id, message_id)

        await self.db.write(run)

    async def expects_feedback(self, telegram_id: int) -> bool:
        """Whether this person has a citizen's conversation open (their text belongs there)."""
        citizen = await citizens.by_telegram_id(self.db.reader, telegram_id)
        if citizen is None:
            return False
        return await conversations.get(self.db.reader, citizen.id) is not None

    async def hide(self, who: Who, response_id: int) -> Response | Problem:
        """A moderator hides a response: it is no longer shown, and what was not sent is not."""
        if not who.moderates:
            return Problem.NOT_ALLOWED

        async def run(conn: aiosqlite.Connection) -> Response | Problem:
            now = self.clock()
            response = await responses.get(conn, response_id)
            if response is None:
                return Problem.NO_SUCH_ITEM
            if await responses.hide(conn, response_id, who.telegram_id, now):
                stopped = await outbox.cancel(conn, "response", response_id, "hidden")
                await audit.record(
                    conn,
                    actor=who.telegram_id,
                    actor_role=who.label,
                    action="response.hidden",
                    subject=f"response:{response_id}",
                    before={"status": response.status, "text": response.text},
                    after={"messages_stopped": stopped},
                    now=now,
                )
            hidden = await responses.get(conn, response_id)
            assert hidden is not None
            return hidden

        return await self.db.write(run)

    async def recent(self, who: Who, limit: int = 10) -> list[Response]:
        """The newest responses this person may see (moderators and admins: all)."""
        if who.moderates:
            return await responses.recent(self.db.reader, None, limit)
        return await responses.recent(self.db.reader, sorted(who.providers), limit)

    async def follow_ups(self, now: datetime) -> list[Response]:
        """ "In progress" responses due for an update at `now`, each claimed once then (never
        asked twice; given back with `follow_up_not_asked` when no chat got it)."""
        due = await responses.follow_ups_due(self.db.reader, now)
        claimed = []
        for response in due:

            async def run(conn: aiosqlite.Connection, r: Response = response) -> bool:
                return await responses.follow_up_asked(conn, r.id, now)

            if await self.db.write(run):
                claimed.append(response)
        return claimed

    async def follow_up_not_asked(self, response: Response, at: datetime) -> None:
        """No chat of the provider got the follow-up claimed `at`: the next run asks again."""

        async def run(conn: aiosqlite.Connection) -> None:
            await responses.follow_up_not_asked(conn, response.id, at)

        await self.db.write(run)

    async def for_items(self, item_ids: list[int]) -> dict[int, list[Response]]:
        """The visible responses covering each of these items."""
        return await responses.for_items(self.db.reader, item_ids)

    async def drop_old_drafts(self) -> int:
        """Forget drafts nobody finished."""
        cutoff = self.clock() - timedelta(hours=DRAFT_HOURS)

        async def run(conn: aiosqlite.Connection) -> int:
            return await drafts.older_than(conn, cutoff)

        return await self.db.write(run)

    async def _save(self, draft: Draft, update_id: int | None = None) -> bool:
        """Begin a draft, with the update that began it claimed (`drafts.begin`)."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await drafts.begin(conn, draft, update_id, self.clock())

        return await self.db.write(run)

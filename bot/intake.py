"""The citizen's side of the loop: consent, choosing a service, telling, rating, saving.

Plain async functions with no Telegram types. Each takes the update id it acts on and
runs in one write transaction that also marks that update handled, so an update that
arrives twice (or is handled again after a crash) changes nothing the second time.
Each returns a Step: what the person should see next.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TypeVar

import aiosqlite

from bot import i18n
from bot.contact import asks_to_be_contacted
from bot.media import MAX_PHOTOS
from bot.metoo import MeToo, offered
from bot.places import (
    KEPT_SLACK_M,
    Places,
    Site,
    accuracy_of,
    distance_m,
    exact_enough,
    rounded,
    site_of,
    spread_m,
    valid_point,
)
from storage import (
    citizen_drafts,
    citizens,
    conversations,
    feedback,
    media,
    places,
    responses,
    services,
    supporters,
    updates,
)
from storage.citizens import Citizen
from storage.conversations import Conversation
from storage.db import Database, parse_stamp, stamp
from storage.feedback import FeedbackItem
from storage.places import Place
from storage.responses import Response
from storage.services import ServiceRow

Clock = Callable[[], datetime]

# The version of the consent text a citizen agrees to; bump it when that text changes.
CONSENT_VERSION = "2026-12"
PAGE_SIZE = 8
MAX_TEXT = 4096
# Below this, an answer is too short to act on ("ok", "fine").
MIN_TEXT_CHARS = 8
MIN_TEXT_WORDS = 2
# Above this many words, text typed when a service was asked for is taken as feedback.
FEEDBACK_WORDS = 4
DEEP_LINK = re.compile(r"^s_([a-z0-9][a-z0-9-]{0,30})$")
# Typed instead of pressing a yes/no button: the answer, not more words for the item.
YES_WORDS = frozenset(
    {
        "yes", "y", "yes please", "yeah", "yea", "yep", "yup", "please", "sure", "ok", "okay",
        "of course", "please do", "definitely", "why not", "go on", "yes thanks",
        "yes thank you",
    }
)  # fmt: skip
NO_WORDS = frozenset(
    {
        "no", "n", "no thanks", "no thank you", "nope", "nah", "not really", "not now",
        "no way", "rather not", "i d rather not", "id rather not",
    }
)  # fmt: skip
# Said with a yes or a no, changing nothing: "no, thanks anyway".
THANKS = frozenset({"thanks", "thank you", "thanks anyway", "cheers", "ta", "thx"})
THUMBS = {"👍": "yes", "👎": "no"}
# Typed at the consent question: agreeing (the yes words, and the usual ways to say it).
AGREE_WORDS = YES_WORDS | frozenset(
    {"i agree", "agree", "agreed", "yes that s fine", "that s fine", "fine", "i consent"}
)
# Typed at the rating: the numbers as words, and what the scale's ends are called.
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
RATING_NAMES = {
    "very poor": 1,
    "terrible": 1,
    "awful": 1,
    "poor": 2,
    "bad": 2,
    "average": 3,
    "fair": 3,
    "good": 4,
    "very good": 5,
    "excellent": 5,
}
SKIP_WORDS = frozenset({"skip", "skip it", "pass", "no rating", "skip please"})
# "3", "3/5", "3 out of 5", "3 stars", "three", "three stars", "a 4".
RATING_TYPED = re.compile(
    r"(?:a |an |i d say |i d give it )?([1-5]|one|two|three|four|five)"
    r"(?: ?/ ?(?:5|five)| out of (?:5|five)| of (?:5|five))?(?: stars?)?"
)
# A number given as a rating but off the scale ("0", "-1", "10/10", "6 out of 10"): no
# rating, and no part of the story either.
RATING_LIKE = re.compile(r"[-+]?\d+(?:[.,]\d+)?(?: ?(?:/|out of|of) ?\d+)?(?: stars?)?")
# "⭐⭐⭐", "★★★☆☆": the filled stars are the rating.
STARS = re.compile(r"[⭐★☆\s\ufe0f]+")
# Words that name no service, left out when looking one up ("the library").
SEARCH_FILLER = frozenset(
    {"the", "a", "an", "my", "our", "your", "about", "at", "in", "on", "for", "to", "of", "its"}
)
# On the consent button instead of a service: the deep link named no service we know.
UNKNOWN_LINK = "?"
# How long after the consent text was shown a typed "yes" counts as agreeing to it.
CONSENT_TYPED_WINDOW = timedelta(hours=1)
# People remembered at most whose waiting words went on together (the oldest forgotten
# first): one forgotten only lets an older question's button add its words again, as before.
REMEMBERED_TAKEN = 20_000
# How long a "me too" can be undone (its words are kept that long: see the clean job).
UNDO_JOIN = timedelta(hours=24)
# /mine: the status shown for an item merged into one since taken down (not stored).
MERGED_GONE = "merged_gone"
# A conversation's words while a voice note stands for them (bot/attachments.py): the item
# is saved with the words typed besides, or none until a moderator types the transcript.
VOICE_MARK = "\U0001f3a4"
# Two items with points further apart than this (and than the points' accuracies, where
# Telegram said them) are about different places ("me too").
SAME_PLACE_M = 400.0


class State(StrEnum):
    """Where a conversation waits."""

    SERVICE = "service"
    TEXT = "text"
    RATING = "rating"
    # Which of the service's sites it was about (services with several sites only).
    PLACE = "place"
    HEAR_BACK = "hear_back"
    INVOLVE = "involve"
    # Words about a response the citizen received, or an answer to a provider's question.
    COMMENT = "comment"
    ANSWER = "answer"


class Exact(StrEnum):
    """What came of a press of "Keep the exact spot"."""

    KEPT = "kept"
    # Another place was given with that conversation since (a later location, a site).
    REPLACED = "replaced"
    # Nothing to keep: forged, or no place is kept with that conversation any more.
    GONE = "gone"
    # The point kept is too uncertain to be kept as exact (places.exact_enough): nothing
    # changes (no such button is shown; an old or forged one).
    UNCERTAIN = "uncertain"


# Prompts the citizen did not start by telling: each ends when they start something else.
SIDE_PROMPTS = (State.COMMENT, State.ANSWER)


class Show(StrEnum):
    """What the person should see next."""

    CONSENT = "consent"
    DECLINED = "declined"
    SERVICES = "services"
    ASK_TEXT = "ask_text"
    MORE_TEXT = "more_text"
    RATING = "rating"
    PLACE = "place"
    HEAR_BACK = "hear_back"
    INVOLVE = "involve"
    ASK_COMMENT = "ask_comment"
    ASK_ANSWER = "ask_answer"
    # /start while a side prompt waits: carry on with it, or start something new?
    SIDE_OPEN = "side_open"
    # A side prompt ended: skipped (note "comment"/"answer") or closed by something else
    # the citizen started (note "closed_comment"/"closed_answer").
    SIDE_ENDED = "side_ended"
    SAVED = "saved"
    CANCELLED = "cancelled"
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    EXPIRED = "expired"
    TIMED_OUT = "timed_out"
    MINE = "mine"
    TOO_LONG = "too_long"
    # Words kept when an earlier conversation went quiet: carry on with them, or not.
    DRAFT = "draft"
    # About a voice note or photo (bot/attachments.py): the note says what.
    MEDIA = "media"
    # "Is it one of these?": published items like the words just written (`similar`).
    METOO = "metoo"
    # They said it was one of them (`reference`): their support was added to it.
    JOINED = "joined"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Step:
    """What to show a citizen, with what it needs."""

    show: Show
    seq: int = 0
    service: ServiceRow | None = None
    services: tuple[ServiceRow, ...] = ()
    page: int = 0
    pages: int = 1
    reference: int | None = None
    hear_back: bool = False
    # A note to put first: why this step is shown again ("unknown_service", "no_match",
    # "kept_text", "added_text", "resumed", "version_changed", "use_buttons",
    # "not_a_rating", "carried", "dropped"); on CONSENT "reminder" (typed instead of
    # pressing) or "lost" (a typed yes the bot cannot place); on TIMED_OUT "draft" (the
    # words were kept); on SAVED "contact" (the text asks to be contacted).
    note: str = ""
    query: str = ""
    pending_slug: str = ""
    items: tuple[FeedbackItem, ...] = field(default_factory=tuple)
    total: int = 0
    # /mine: the visible responses covering each item shown.
    responses: dict[int, list[Response]] = field(default_factory=dict)
    # /mine: the items of others they said "me too" to, newest support first, each with
    # only its published words (never the author's own) and the day they joined it.
    supported: tuple[FeedbackItem, ...] = field(default_factory=tuple)
    # /mine: by own item, the photos it holds and the voice notes it was told with.
    sent_with: dict[int, tuple[int, int]] = field(default_factory=dict)
    # Held back by the throttle (note "throttled"): how many items the citizen sent in the
    # window that is full ("hour" or "day"), and how many minutes until one more can go.
    held: tuple[int, str, int] | None = None
    # DRAFT: the words kept; CONSENT: the words the consent question answers (they go on
    # once agreed). SAVED with note "contact": how to reach the service directly.
    text: str = ""
    contact: str = ""
    # METOO: (id, published text) of the items offered, best first.
    similar: tuple[tuple[int, str], ...] = ()
    # PLACE: the service's sites, as the deployment names them. After a location was shared
    # (note "place_kept"): the site it was near ("" if none), and the exact point, which is
    # not stored unless the citizen then asks (None if it was kept exact or not kept).
    sites: tuple[str, ...] = ()
    site: str = ""
    point: tuple[float, float] | None = None
    # JOINED: the join can be undone (see Intake.undo_join).
    undo: bool = False
    # SAVED: the broad theme ids heard in the item, strongest first (None: not shown).
    heard: tuple[str, ...] | None = None
    # Photos of an album that waited for words and joined the conversation with these
    # (`Intake.text`), and those that could not for want of room (MAX_PHOTOS an item).
    photos: int = 0
    photos_left: int = 0
    # CONSENT: how many earlier messages of theirs, each still waiting on a first-contact
    # question, go on with `text` once agreed (in the order sent).
    earlier: int = 0


REPLAYED = Step(Show.NOTHING)
# An update whose answer is the consent question (`updates.note`): a crash that loses the
# answer asks it again (`Intake.lost_answer`).
CONSENT_ASKED = "consent"

T = TypeVar("T")
# (id, published text) of the items offered ("me too").
Similar = tuple[tuple[int, str], ...]
# (id, published text, score) of the items a "me too" search found, best first.
Found = tuple[tuple[int, str, float], ...]
# The "me too" searches done for the write transaction running (by service and words); None
# where no search is wanted (no MeToo, or a transaction not run by Intake._write).
_SEARCHED: ContextVar[dict[tuple[str, str], Found] | None] = ContextVar(
    "metoo_searched", default=None
)
# The deployment's sites and area, for the transaction running (set by Intake._write).
_PLACES: ContextVar[Places | None] = ContextVar("places", default=None)
# Changes to the bot's memory a write transaction asks for, made only once it has committed:
# a transaction run again (after a "me too" search, or a retry) must find memory as it was.
_AFTER_COMMIT: ContextVar[list[Callable[[], object]] | None] = ContextVar(
    "after_commit", default=None
)


class _SearchFirst(Exception):
    """A transaction came to offer "me too" items for words not searched yet."""

    def __init__(self, slug: str, text: str) -> None:
        super().__init__(slug)
        self.slug = slug
        self.text = text


class Intake:
    """The citizen conversation, over one database."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        per_hour: int = 0,
        per_day: int = 0,
        contacts: Mapping[str, str] | None = None,
        metoo: MeToo | None = None,
        places: Places | None = None,
    ) -> None:
        self.db = db
        # The services' sites and the deployment's area (none: no place is ever asked).
        self.places = places or Places({})
        self.clock = clock
        # "Me too": recent published items like a citizen's words (None: never offered).
        self.metoo = metoo
        # How to reach each service directly (the deployment's `contact` lines, by slug).
        self.contacts = dict(contacts or {})
        # Who was shown the consent text lately, the service their link named, and the words
        # they typed meanwhile: only in memory, as nothing but the decision is stored before
        # consent. A typed "yes" counts as agreeing only within CONSENT_TYPED_WINDOW.
        self._consent_shown: dict[int, tuple[datetime, str, str]] = {}
        # Those of them whose last consent text Telegram did not take (a passing fault): the
        # link and words still ride on it, but it is not "just above" for a reminder, nor
        # what a typed "yes" agrees to.
        self._consent_lost: set[int] = set()
        # Newcomers' words each waiting on a first-contact question (the language or the
        # consent) not answered yet, by the id of their message, and when the last came:
        # only in memory, like the words above. Agreeing on any of those questions takes
        # them all, in the order sent (each question only quotes its own message).
        self._waiting: dict[int, tuple[datetime, dict[int, str]]] = {}
        # The messages whose words went on when they agreed: an older question quoting one
        # of them (a language question still showing its buttons) does not add them again.
        self._taken: OrderedDict[int, frozenset[int]] = OrderedDict()
        # How many of them lapsed unanswered since the WAL was last emptied for them.
        self._lapsed = 0
        # Items one citizen may send per hour and per day (0: no limit), so that one account
        # cannot fill the moderators' queue and make everyone else wait.
        self.limits = ((per_hour, timedelta(hours=1), "hour"), (per_day, timedelta(days=1), "day"))

    async def _write(self, run: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """`self.db.write(run)`, with the "me too" search done before it: a transaction that
        comes to offer items (see `_written`) and finds no search done for those words is
        rolled back, the search runs (read connection, a thread), and it runs again with it.
        The write lock is never held for a search."""
        found: dict[tuple[str, str], Found] = {}
        after: list[Callable[[], object]] = []
        offering = self.metoo is not None

        async def with_search(conn: aiosqlite.Connection) -> T:
            after.clear()
            searched = _SEARCHED.set(found if offering else None)
            later = _AFTER_COMMIT.set(after)
            sites = _PLACES.set(self.places)
            try:
                return await run(conn)
            finally:
                _PLACES.reset(sites)
                _AFTER_COMMIT.reset(later)
                _SEARCHED.reset(searched)

        for attempt in range(4):
            # Words that change at each run (never expected): the last run goes on without
            # offering.
            offering = offering and attempt < 3
            try:
                result = await self.db.write(with_search)
            except _SearchFirst as wanted:
                assert self.metoo is not None
                key = (wanted.slug, wanted.text)
                found[key] = await self.metoo.suggestions(wanted.slug, wanted.text, self.clock())
                continue
            for change in after:
                change()
            if isinstance(result, Step) and result.show is Show.DECLINED:
                await self._leave_no_copy()
            return result
        raise AssertionError("unreachable: the last run does not search")

    async def _leave_no_copy(self) -> None:
        """After someone who never agreed is done with (they said no, or their consent text
        lapsed): every update is saved as Telegram sent it before it is handled (for replay
        after a crash), and handling it blanks the row, but the words stay in SQLite's WAL
        file until it is emptied, as /forget does. Rare (not once per message), so cheap."""
        await self.db.checkpoint()

    async def _held(
        self, conn: aiosqlite.Connection, citizen_id: int, now: datetime
    ) -> tuple[int, str, int] | None:
        """Why a new item of this citizen must wait: (items sent, the window, minutes until
        it can go), or None if it can go now."""
        worst: tuple[int, str, int] | None = None
        for limit, window, name in self.limits:
            if limit <= 0:
                continue
            recent = await feedback.items_since(conn, citizen_id, now - window, limit)
            if len(recent) < limit:
                continue
            wait = parse_stamp(recent[-1]) + window - now
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            if worst is None or minutes > worst[2]:
                worst = (len(recent), name, minutes)
        return worst

    async def _send(
        self, conn: aiosqlite.Connection, conversation: Conversation, now: datetime
    ) -> Step:
        """Save the item, or, past the citizen's limit, keep it as a draft they can send later
        (the hear-back question waits for them, with when it can go)."""
        held = await self._held(conn, conversation.citizen_id, now)
        if held is None:
            saved = await _submit(conn, conversation, now)
            if conversation.text and asks_to_be_contacted(conversation.text):
                # The service never sees who wrote it: say so, and how to reach it directly.
                contact = self.contacts.get(conversation.service_slug or "", "")
                saved = replace(saved, note="contact", contact=contact)
            return saved
        draft = conversation.but(state=State.HEAR_BACK)
        await conversations.save(conn, draft, now)
        step = await _show(conn, draft, note="throttled")
        return replace(step, held=held)

    async def start(self, update_id: int, telegram_id: int, payload: str = "") -> Step:
        """/start, with an optional deep-link payload `s_<slug>`."""
        match = DEEP_LINK.match(payload.strip())
        slug = match.group(1) if match else ""
        bad_link = bool(payload.strip()) and not match

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None or not await _consented(conn, citizen.id):
                # Nothing is stored before consent: the wanted service rides on the button
                # (an unknown one as UNKNOWN_LINK, so the list after consent says so).
                await updates.claim(conn, update_id, now)
                service = await services.get(conn, slug) if slug else None
                pending = service.slug if service else (UNKNOWN_LINK if payload.strip() else "")
                seen, shown_slug, _ = self._saw_consent(telegram_id, now)
                # Shown the welcome lately (a double tap, or back a little later): the link it
                # answered still rides on it. Words typed before it are not carried by this
                # /start's answer; the welcome that answered them still carries them.
                pending = pending or shown_slug
                self._shown_consent(telegram_id, pending, now)
                note = await _consent_note(conn, citizen)
                if seen and not note:
                    # The whole text is just above: a short reminder with the same choice.
                    return Step(Show.CONSENT, pending_slug=pending, note="reminder")
                return Step(Show.CONSENT, pending_slug=pending, note=note)
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            current = await conversations.get(conn, citizen.id)
            if current is not None and current.state in SIDE_PROMPTS:
                return await _start_during_side_prompt(conn, current, now, slug)
            if current is not None and current.state == State.SERVICE and slug:
                # A poster's link while the list of services waits answers the list.
                service = await services.get(conn, slug)
                if service is not None:
                    return await _after_service(conn, current, service, now)
            if current is not None:
                return await _resumed(conn, current, now)
            draft = await citizen_drafts.get(conn, citizen.id)
            if draft is not None:
                pending = slug or (UNKNOWN_LINK if bad_link else "")
                # In the database: the typed answer may reach another instance.
                await citizen_drafts.offer(conn, citizen.id, pending, now)
                return Step(Show.DRAFT, text=draft.text, pending_slug=pending)
            return await _begin(conn, citizen.id, now, slug, bad_link=bad_link or bool(slug))

        return await self._write(run)

    async def consent(
        self,
        update_id: int,
        telegram_id: int,
        given: bool,
        version: str,
        slug: str,
        words: str = "",
        words_id: int | None = None,
    ) -> Step:
        """The citizen pressed agree or decline on the consent text; `words` they typed
        before it (the message `words_id` the consent reminder answered) go on as their
        feedback, after any earlier words still waiting on a first-contact question."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            if version != CONSENT_VERSION:
                self._shown_consent(telegram_id, slug, now)
                return Step(Show.CONSENT, note="version_changed", pending_slug=slug)
            return await self._decide(conn, telegram_id, given, slug, words.strip(), now, words_id)

        return await self._write(run)

    async def _decide(
        self,
        conn: aiosqlite.Connection,
        telegram_id: int,
        given: bool,
        slug: str,
        words: str,
        now: datetime,
        words_id: int | None = None,
    ) -> Step:
        """Record the citizen's answer to the consent text, and show what comes next."""
        shown = self._consent_shown.get(telegram_id)
        self._after_commit(lambda: self._forget_consent(telegram_id))
        held = self._waiting.get(telegram_id, (now, {}))[1]
        if not words and shown is not None and now - shown[0] < CONSENT_TYPED_WINDOW:
            # Words typed before a typed "yes" (or a press on the first consent message).
            words = shown[2]
        citizen = await citizens.get_or_create(conn, telegram_id, now)
        already = await _consented(conn, citizen.id)
        if already:
            # An earlier welcome's button: the words it answers went on when they agreed
            # (or were left then); bringing them back now would send them twice.
            words = ""
        if not given and already:
            # An earlier welcome's button, pressed after saying yes: declining now would
            # drop their conversation and keep their items, against what DECLINED says.
            # Withdrawing is /forget's job.
            return Step(Show.EXPIRED)
        if not given:
            # Someone who agreed to an earlier version has things kept from then: they are
            # told so (and how to see or erase them), not that nothing was kept.
            kept = await _consent_outdated(conn, citizen.id)
            await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "declined", now)
            await conversations.delete(conn, citizen.id)
            return Step(Show.DECLINED, note="kept" if kept else "")
        if not already:
            await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", now)
        if not already and words:
            # The question pressed answers words: those still waiting on other first-contact
            # questions go with them (not after a bare /start's question: it answers none).
            words, taken = _gathered(held, words, words_id)
            self._after_commit(lambda: self._took(telegram_id, taken))
        current = await conversations.get(conn, citizen.id)
        if current is not None:
            return await _resumed(conn, current, now)
        bad_link = slug == UNKNOWN_LINK
        slug = "" if bad_link else slug
        text = _words(words)
        return await _begin(conn, citizen.id, now, slug, bad_link=bad_link, text=text)

    @staticmethod
    def _after_commit(change: Callable[[], object]) -> None:
        """Make `change` to memory once the write transaction running has committed (at
        once outside one)."""
        pending = _AFTER_COMMIT.get()
        if pending is None:
            change()
        else:
            pending.append(change)

    async def consent_question(self, telegram_id: int, update_id: int | None = None) -> Step | None:
        """The consent question for someone who sent what cannot be kept before agreeing (a
        voice note, a photo, a place); None if they have agreed meanwhile. With the update
        (one not claimed already), a replay of it asks nothing (`Show.NOTHING`)."""
        if update_id is not None:

            async def claim(conn: aiosqlite.Connection) -> bool:
                if not await updates.claim(conn, update_id, self.clock()):
                    return False
                # Its answer is this question: asked again if a crash loses it.
                await updates.note(conn, update_id, CONSENT_ASKED)
                return True

            if not await self._write(claim):
                return REPLAYED
        conn = self.db.reader
        citizen = await citizens.by_telegram_id(conn, telegram_id)
        if citizen is not None and await _consented(conn, citizen.id):
            return None
        now = self.clock()
        # A link's service, and words typed since it was shown, still ride on it.
        _, slug, words = self._saw_consent(telegram_id, now)
        self._shown_consent(telegram_id, slug, now, words)
        return Step(Show.CONSENT, pending_slug=slug, note=await _consent_note(conn, citizen))

    def _shown_consent(self, telegram_id: int, slug: str, now: datetime, words: str = "") -> None:
        """Remember (in memory only) that this person was just shown the consent text."""
        # Forget the lapsed ones (and the words they hold) as soon as anyone new comes.
        self._lapse_consents(now)
        self._consent_shown[telegram_id] = (now, slug, words)
        self._consent_lost.discard(telegram_id)

    def consent_not_delivered(self, telegram_id: int) -> None:
        """The consent text (or its reminder) just shown to this person did not reach them:
        the next one is the whole text, and a typed "yes" agrees to nothing unseen."""
        if telegram_id in self._consent_shown:
            self._consent_lost.add(telegram_id)

    def _forget_consent(self, telegram_id: int) -> None:
        self._consent_shown.pop(telegram_id, None)
        self._consent_lost.discard(telegram_id)
        self._waiting.pop(telegram_id, None)

    def hold(self, telegram_id: int, message_id: int | None, text: str) -> int:
        """Remember (in memory only) a newcomer's words that a first-contact question now
        answers; how many of their earlier messages wait with them."""
        now = self.clock()
        _, held = self._waiting.get(telegram_id, (now, {}))
        words = _words(text.strip())
        if words and message_id is not None:
            held = {**held, message_id: words}
        if held:
            self._waiting[telegram_id] = (now, held)
        return len([m for m in held if m != message_id])

    def _newest(self, telegram_id: int, message_id: int | None, words: str) -> str:
        """A held message's words as last edited (the language question quotes them as first
        sent), else `words`."""
        held = self._waiting.get(telegram_id, (self.clock(), {}))[1]
        return held.get(message_id, words) if message_id is not None else words

    def edit_held(self, telegram_id: int, message_id: int, text: str) -> bool:
        """An edit of a newcomer's message whose words wait on a first-contact question:
        the newest words go on when they agree, not those first typed. Whether it was one."""
        at, held = self._waiting.get(telegram_id, (self.clock(), {}))
        words = _words(text.strip())
        if message_id not in held or not words:
            return False
        before = held[message_id]
        self._waiting[telegram_id] = (at, {**held, message_id: words})
        shown = self._consent_shown.get(telegram_id)
        if shown is not None and shown[2] == before:
            # A typed "yes" takes the words remembered with the consent text: the new ones.
            self._consent_shown[telegram_id] = (shown[0], shown[1], words)
        return True

    def _took(self, telegram_id: int, taken: frozenset[int]) -> None:
        if not taken:
            return
        self._taken[telegram_id] = taken
        self._taken.move_to_end(telegram_id)
        while len(self._taken) > REMEMBERED_TAKEN:
            self._taken.popitem(last=False)

    def taken(self, telegram_id: int, message_id: int) -> bool:
        """Whether this message's words went on already, with others, when they agreed."""
        return message_id in self._taken.get(telegram_id, frozenset())

    def _lapse_consents(self, now: datetime) -> int:
        """Forget those shown the consent text too long ago to answer it; how many."""
        kept = {k: v for k, v in self._consent_shown.items() if now - v[0] < CONSENT_TYPED_WINDOW}
        self._waiting = {
            k: v for k, v in self._waiting.items() if now - v[0] < CONSENT_TYPED_WINDOW
        }
        lapsed = len(self._consent_shown) - len(kept)
        self._consent_shown = kept
        self._consent_lost &= kept.keys()
        self._lapsed += lapsed
        return lapsed

    def _saw_consent(self, telegram_id: int, now: datetime) -> tuple[bool, str, str]:
        """Whether this person was shown the consent text lately (and it reached them), their
        link's service, and the words they typed since."""
        shown = self._consent_shown.get(telegram_id)
        if shown is None or now - shown[0] >= CONSENT_TYPED_WINDOW:
            return False, "", ""
        return telegram_id not in self._consent_lost, shown[1], shown[2]

    async def draft(self, update_id: int, telegram_id: int, carry_on: bool, slug: str) -> Step:
        """The citizen chose to carry on with their kept words, or to start afresh."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is not None:
                await citizen_drafts.take_offer(conn, citizen.id)  # answered by the button
            if citizen is None or not await _consented(conn, citizen.id):
                return Step(Show.CONSENT, note="consent_first")
            if await conversations.get(conn, citizen.id) is not None:
                return Step(Show.EXPIRED)
            return await _take_draft(conn, citizen.id, carry_on, slug, now)

        return await self._write(run)

    async def choose_service(self, update_id: int, telegram_id: int, seq: int, slug: str) -> Step:
        """The citizen pressed a service button."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            service = await services.get(conn, slug)
            if service is None:
                return Step(Show.EXPIRED)
            return await _after_service(conn, found, service, now)

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            side = await _side_prompt_of(conn, telegram_id)
            if side is None:
                found = await _current(conn, update_id, telegram_id, seq, State.SERVICE, now)
                return found if isinstance(found, Step) else await then(conn, found, now)
            # A service button of an earlier list while a side prompt waits: they moved on
            # to telling something new about that service.
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            if await services.get(conn, slug) is None:
                return Step(Show.EXPIRED)
            await conversations.delete(conn, side.citizen_id)
            step = await _begin(conn, side.citizen_id, now, slug)
            return replace(step, note=f"closed_{_side(side)}")

        return await self._write(run)

    async def side_prompt(self, update_id: int, telegram_id: int, seq: int, choice: str) -> Step:
        """A button of a side prompt: "s" skip it; after /start, "c" carry on with it or
        "n" start something new."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            side = await _side_prompt_of(conn, telegram_id)
            if side is None or side.seq != seq or choice not in ("s", "c", "n"):
                return Step(Show.EXPIRED)
            if choice == "c":
                return await _show(conn, side)
            await conversations.delete(conn, side.citizen_id)
            if choice == "n":
                step = await _begin(conn, side.citizen_id, now, "")
                return replace(step, note=f"closed_{_side(side)}")
            service = await services.get(conn, side.service_slug) if side.service_slug else None
            return Step(Show.SIDE_ENDED, seq=seq, service=service, note=_side(side))

        return await self._write(run)

    async def end_side_prompt(self, update_id: int, telegram_id: int) -> Step:
        """A command while a side prompt waits ends the prompt; the command then does its own
        work (and claims the update itself, so this only checks it is not a replay). Not for
        one handled again after a restart behind a later update of the chat already handled
        (a command whose mark was lost): the prompt may be that later update's."""
        if await _side_prompt_of(self.db.reader, telegram_id) is None:
            return Step(Show.NOTHING)  # the usual case: no write for it

        async def run(conn: aiosqlite.Connection) -> Step:
            if await updates.is_handled(conn, update_id):
                return REPLAYED
            if await updates.handled_after(conn, telegram_id, update_id):
                return Step(Show.NOTHING)
            side = await _side_prompt_of(conn, telegram_id)
            if side is None:
                return Step(Show.NOTHING)
            await conversations.delete(conn, side.citizen_id)
            return Step(Show.SIDE_ENDED, seq=side.seq, note=f"closed_{_side(side)}")

        return await self._write(run)

    async def page(self, update_id: int, telegram_id: int, seq: int, page: int) -> Step:
        """The citizen pressed next or previous on the list of services."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            return await _advance(conn, found.but(page=max(0, page)), now)

        return await self._button(update_id, telegram_id, seq, State.SERVICE, then)

    async def text(
        self,
        update_id: int,
        telegram_id: int,
        text: str,
        album: str | None = None,
        message: int | None = None,
    ) -> Step:
        """The citizen sent text (in their `message`): feedback, a service name, or more
        words. `album`: the words came on a message of that album (a caption); its photos
        sent before them, kept waiting for words, join the conversation with them
        (`_take_waiting`)."""
        text = text.strip()
        if len(text) > MAX_TEXT:
            # Telegram's apps split longer messages, so this comes from elsewhere: refuse
            # whole rather than keep a cut-off part. Past the writing, shorter parts would be
            # refused too: the question waiting is the answer (a read: a replay is harmless).
            reader = self.db.reader
            citizen = await citizens.by_telegram_id(reader, telegram_id)
            current = await conversations.get(reader, citizen.id) if citizen else None
            if current is not None and current.state in (State.HEAR_BACK, State.INVOLVE):
                return await _show(reader, current, note="use_buttons")
            return Step(Show.TOO_LONG)

        async def run(conn: aiosqlite.Connection) -> Step:
            step = await told(conn)
            if step.show is Show.NOTHING or step.show is Show.CONSENT:
                return step
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if album is not None and citizen is not None:
                # Its album's later photos wait for no other words, on any instance.
                await media.words_came(conn, citizen.id, album, self.clock())
            return await _take_waiting(conn, telegram_id, step, album)

        async def told(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None or not await _consented(conn, citizen.id):
                if not await updates.claim(conn, update_id, now):
                    return REPLAYED
                step = await self._before_consent(conn, telegram_id, text, now, message)
                if step.show is Show.CONSENT:
                    await updates.note(conn, update_id, CONSENT_ASKED)
                return step
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            current = await conversations.get(conn, citizen.id)
            answer = _yes_or_no(text)
            if current is not None and current.state in (State.HEAR_BACK, State.INVOLVE):
                # Both questions are optional: "skip" is a no.
                answer = False if _normalised(text) in SKIP_WORDS else answer
            if answer is not None and current is not None:
                # "yes" typed at a yes/no question answers it.
                if current.state == State.HEAR_BACK:
                    return await self._hear_back(conn, telegram_id, current, answer, now)
                if current.state == State.INVOLVE:
                    return await self._involve(conn, current, answer, now)
            offered = await citizen_drafts.take_offer(conn, citizen.id)
            if current is None and answer is not None and offered is not None:
                fresh = now - parse_stamp(offered[0]) < CONSENT_TYPED_WINDOW
                if fresh and await citizen_drafts.get(conn, citizen.id):
                    # "yes" or "no" typed at the offer of the words they kept.
                    return await _take_draft(conn, citizen.id, answer, offered[1], now)
            if current is None:
                # Feedback without /start: keep the words, ask which service. An answer
                # ("no thanks" to a question that went quiet) is no feedback.
                seq = await citizens.next_conversation_seq(conn, citizen.id)
                current = Conversation(citizen.id, seq, State.SERVICE)
                if _long_enough(text) and not _is_answer(text):
                    current = current.but(text=text)
                    return await _advance(conn, current, now, note="kept_text")
                # "hello?", "hi": nothing to keep, but say what the list is for.
                return await _advance(conn, current, now, note="say_more")
            return await _on_text(conn, current, text, now)

        return await self._write(run)

    async def _before_consent(
        self,
        conn: aiosqlite.Connection,
        telegram_id: int,
        text: str,
        now: datetime,
        message: int | None = None,
    ) -> Step:
        """Text from someone who has not agreed yet: "yes" agrees to the consent text they
        were just shown; anything else brings a reminder (the whole text if they have not
        seen it lately). Their words are not stored: the reminder answers their message, so
        a press on its button brings them back (and a typed "yes" finds them in memory)."""
        seen, slug, held = self._saw_consent(telegram_id, now)
        if seen:
            answer = _normalised(text)
            if answer in AGREE_WORDS or _yes_or_no(text) is True:
                return await self._decide(conn, telegram_id, True, slug, "", now)
            if _yes_or_no(text) is False:
                return await self._decide(conn, telegram_id, False, slug, "", now)
            words = self._newest(telegram_id, message, _words(text))
            self._shown_consent(telegram_id, slug, now, words or held)
            earlier = self.hold(telegram_id, message, words)
            return Step(
                Show.CONSENT, note="reminder", pending_slug=slug, text=words, earlier=earlier
            )
        words = self._newest(telegram_id, message, _words(text))
        self._shown_consent(telegram_id, slug, now, words or held)
        earlier = self.hold(telegram_id, message, words)
        # A "yes" answers a consent text shown before a restart, whose words were only in
        # memory: say so, and how to carry on with them (their message's consent button).
        lost = _yes_or_no(text) is True or _normalised(text) in AGREE_WORDS
        note = "lost" if lost else "consent_first"
        return Step(Show.CONSENT, note=note, text=words, earlier=earlier)

    async def rate(self, update_id: int, telegram_id: int, seq: int, rating: int | None) -> Step:
        """The citizen chose a rating from 1 to 5, or skipped (None)."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            if rating is not None and not 1 <= rating <= 5:
                return Step(Show.EXPIRED)
            return await _advance(conn, found.but(rating=rating, state=State.HEAR_BACK), now)

        return await self._button(update_id, telegram_id, seq, State.RATING, then)

    async def place(self, update_id: int, telegram_id: int, seq: int, choice: str) -> Step:
        """The citizen picked one of the service's sites (its number, from 0) or skipped
        ("s"); then the rating (or the "me too" offer)."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            sites = self.places.of(found.service_slug or "")
            if choice == "s":
                place = Place(None, None, None)
            elif choice.isdigit() and int(choice) < len(sites):
                place = Place(sites[int(choice)].name, None, None)
            else:
                return Step(Show.EXPIRED)
            await places.put(conn, found.citizen_id, found.seq, place, now)
            return await _written(conn, found.but(state=State.RATING), now)

        return await self._button(update_id, telegram_id, seq, State.PLACE, then)

    async def location(
        self,
        update_id: int,
        telegram_id: int,
        latitude: float,
        longitude: float,
        accuracy_m: object = None,
    ) -> Step:
        """A location shared while telling: kept with the item, rounded to about 100 m, and
        named after the service's site it is near, unless it is too uncertain to tell
        (`accuracy_m`, Telegram's horizontal accuracy: see places.site_of), when it stays an
        area (kept with it, for a site named later). Its exact point is offered to keep
        (Step.point) only when it is exact enough (places.exact_enough). An accuracy that
        is not a number of metres from 0 to 1500 (forged) is taken as the widest
        (places.accuracy_of). Outside the deployment's area, or with nothing being told, a
        kind answer (Show.MEDIA) and nothing changes."""
        accuracy_m = accuracy_of(accuracy_m)
        outside = not valid_point(latitude, longitude) or not self.places.inside(
            latitude, longitude
        )

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None or not await _consented(conn, citizen.id):
                return Step(Show.MEDIA, note="consent")
            current = await conversations.get(conn, citizen.id)
            if outside:
                # Not kept; where they were is shown again under the answer.
                if current is None or current.state not in TELLING:
                    return Step(Show.MEDIA, note="place_outside")
                return replace(await _show(conn, current), note="place_outside")
            if current is None or current.state not in TELLING:
                note = "side_prompt" if current is not None else "place_no_item"
                return Step(Show.MEDIA, note=note)
            sites = self.places.of(current.service_slug or "")
            site = site_of(sites, latitude, longitude, accuracy_m)
            lat, lon = rounded(latitude, longitude)
            place = Place(site.name if site else None, lat, lon, accuracy_m=accuracy_m)
            await places.put(conn, citizen.id, current.seq, place, now)
            if current.state == State.PLACE:
                step = await _written(conn, current.but(state=State.RATING), now)
            elif current.offered:
                # The "me too" list waits: it comes back under the answer, not the rating,
                # or a rating typed next would be taken for a number of that list.
                step = await _written(conn, current, now)
            else:
                await conversations.save(conn, current, now)
                step = await _show(conn, current)
            if step.show is Show.SAVED:
                return step
            return replace(
                step,
                note="place_kept",
                site=place.site or "",
                point=(latitude, longitude) if exact_enough(accuracy_m) else None,
            )

        return await self._write(run)

    async def exact_place(
        self, update_id: int, telegram_id: int, seq: int, latitude: float, longitude: float
    ) -> Exact:
        """The citizen asked to keep the exact point of the location they shared with their
        conversation `seq` (told or saved since): kept if it is the point they shared (it
        rounds to what was stored)."""
        if not valid_point(latitude, longitude):
            return Exact.GONE

        async def run(conn: aiosqlite.Connection) -> Exact:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return Exact.GONE
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None:
                return Exact.GONE
            given = await places.of_seq(conn, citizen.id, seq)
            if given is None:
                return Exact.GONE
            if given.exact and (latitude, longitude) == (given.latitude, given.longitude):
                return Exact.KEPT  # pressed again: it is kept
            if given.exact or given.latitude is None:
                return Exact.REPLACED
            if not exact_enough(given.accuracy_m):
                # Too uncertain to be called exact (a button shown before that was known).
                return Exact.UNCERTAIN
            if rounded(latitude, longitude) != (given.latitude, given.longitude):
                # Not the point kept: a later one replaced it (or the press is forged, and
                # nothing changes either way).
                return Exact.REPLACED
            await places.make_exact(conn, citizen.id, seq, latitude, longitude)
            return Exact.KEPT

        return await self.db.write(run)

    async def hear_back(self, update_id: int, telegram_id: int, seq: int, yes: bool) -> Step:
        """The citizen said whether they want to hear back."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            return await self._hear_back(conn, telegram_id, found, yes, now)

        return await self._button(update_id, telegram_id, seq, State.HEAR_BACK, then)

    async def _hear_back(
        self,
        conn: aiosqlite.Connection,
        telegram_id: int,
        found: Conversation,
        yes: bool,
        now: datetime,
    ) -> Step:
        conversation = found.but(hear_back=yes)
        citizen = await citizens.by_telegram_id(conn, telegram_id)
        if citizen is not None and citizen.involve is None:
            return await _advance(conn, conversation.but(state=State.INVOLVE), now)
        return await self._send(conn, conversation, now)

    async def join(self, update_id: int, telegram_id: int, seq: int, item_id: int) -> Step:
        """The citizen said their words are about an item offered ("me too"): they support
        it and hear back on it; nothing of theirs is published. Only a published item of
        the conversation's service, of the window, can be joined (forged data changes
        nothing)."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            slug = found.service_slug or ""
            window = self.metoo.since(now) if self.metoo and self.metoo.enabled else None
            # Offered before the items offered were kept (migration 0042): any it may be.
            legacy = found.offered and not found.offered_items
            if window is None or (item_id not in found.offered_items and not legacy):
                # Never offered in this conversation: a forged button (or an old one).
                return Step(Show.EXPIRED)
            target = item_id
            if not await supporters.joinable(conn, target, slug, window):
                # Merged meanwhile into another item saying the same: that one is it now.
                into = await supporters.merged_into(conn, item_id)
                if into is None or not await supporters.joinable(conn, into, slug, window):
                    # Withdrawn, rejected or erased since it was offered (or never offered):
                    # the conversation goes on, and the citizen is told why nothing changed.
                    return Step(Show.EXPIRED, seq=found.seq, note="metoo_gone")
                target = into
            # Offered before they said where it was, or before they changed it: an item
            # known to be elsewhere is not it (as a search now would leave it out).
            here = await places.of_conversation(conn, found.citizen_id, found.seq)
            if here is not None and here.known:
                there = (await places.of_items(conn, [target])).get(target)
                if there is not None and not same_place(here, there, _sites_of(slug)):
                    return Step(Show.EXPIRED, seq=found.seq, note="metoo_elsewhere")
            # Never their own item (a merge can lead there): it counts no one twice; but
            # they were told they will hear back on it.
            words = without_voice(found.text)
            undo = False
            if await supporters.already_theirs(conn, [target], found.citizen_id):
                await supporters.hears_back(conn, target, found.citizen_id)
            elif await supporters.add(conn, target, found.citizen_id, now) and words:
                # An offer is wrong often enough (nlp/eval/README.md) that a join can be
                # taken back for a while: their words come back as their own report.
                # With the place they gave: an undo gives both back.
                place = await places.of_conversation(conn, found.citizen_id, found.seq)
                kept = supporters.Undoable(target, slug, words, stamp(now), place)
                await supporters.keep_undo(conn, found.citizen_id, kept)
                undo = True
            # Answered already: the answer comes to them now (they were told they'd hear).
            await responses.send_latest(conn, target, now)
            await conversations.delete(conn, found.citizen_id)
            # "Nothing else you wrote is sent": nor kept (photos, voice note, place), and
            # said so where they were told one was added.
            dropped = await _drop_unsaved(conn, found.citizen_id)
            service = await services.get(conn, slug)
            note = "media_dropped" if dropped else ""
            return Step(
                Show.JOINED,
                seq=found.seq,
                reference=target,
                service=service,
                note=note,
                undo=undo,
            )

        return await self._button(update_id, telegram_id, seq, State.RATING, then)

    async def undo_join(self, update_id: int, telegram_id: int, item_id: int) -> Step:
        """The citizen took back a "me too" (it was not the same after all): their support
        goes, and the words they wrote carry on as their own report (at the rating, not
        offered again). Only their latest join, within UNDO_JOIN, and not while they are
        telling something else."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None or not await _consented(conn, citizen.id):
                return Step(Show.CONSENT, note="consent_first")
            joined = await supporters.undoable(conn, citizen.id)
            if joined is None or joined.item_id != item_id:
                if item_id not in await supporters.already_theirs(conn, [item_id], citizen.id):
                    # Undone already (an answer Telegram lost, a second press): their
                    # support is not there to stay.
                    return Step(Show.EXPIRED, note="undo_done")
                return Step(Show.EXPIRED, note="undo_late")
            if now - parse_stamp(joined.joined_at) > UNDO_JOIN:
                await supporters.drop_undo(conn, citizen.id)
                return Step(Show.EXPIRED, note="undo_late")
            # A comment or answer waited for ends, as at any other button; a report being
            # told does not.
            await end_side_prompt_in(conn, citizen.id)
            if await conversations.get(conn, citizen.id) is not None:
                return Step(Show.EXPIRED, note="undo_busy")
            await supporters.undo_join(conn, citizen.id, joined)
            # Were the answer lost to a crash, the one given again says the undo too.
            await updates.note(conn, update_id, "undone")
            place = joined.place
            names = {site.name for site in _sites_of(joined.service_slug)}
            if place is not None and place.site is not None and place.site not in names:
                # The service's sites changed since: asked again.
                place = None
            return await _begin(
                conn,
                citizen.id,
                now,
                joined.service_slug,
                text=joined.text,
                note="undone",
                place=place,
            )

        # Not through `_write`: what they wrote was compared already, and is not offered the
        # same items again; but knowing the sites, so that a place not kept is asked again.
        async def with_sites(conn: aiosqlite.Connection) -> Step:
            with knowing(self.places):
                return await run(conn)

        return await self.db.write(with_sites)

    async def different(self, update_id: int, telegram_id: int, seq: int) -> Step:
        """None of the items offered is it: carry on as a new item (the rating)."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            if found.offered:
                # The offer pressed shows the rating question in its place: it quotes no one
                # now (an erasure leaves it alone).
                found = found.but(offered=False, offer_message=None)
                await conversations.save(conn, found, now)
            return await _show(conn, found)

        return await self._button(update_id, telegram_id, seq, State.RATING, then)

    async def involve(self, update_id: int, telegram_id: int, seq: int, yes: bool) -> Step:
        """The citizen said whether they would like to be involved in improving services."""

        async def then(conn: aiosqlite.Connection, found: Conversation, now: datetime) -> Step:
            return await self._involve(conn, found, yes, now)

        return await self._button(update_id, telegram_id, seq, State.INVOLVE, then)

    async def _involve(
        self, conn: aiosqlite.Connection, found: Conversation, yes: bool, now: datetime
    ) -> Step:
        await citizens.set_involve(conn, found.citizen_id, "yes" if yes else "no")
        return await self._send(conn, found, now)

    async def _button(
        self,
        update_id: int,
        telegram_id: int,
        seq: int,
        state: State,
        then: Callable[[aiosqlite.Connection, Conversation, datetime], Awaitable[Step]],
    ) -> Step:
        """Run `then` on the conversation a button belongs to, if it still waits for it."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            found = await _current(conn, update_id, telegram_id, seq, state, now)
            if isinstance(found, Step):
                return found
            return await then(conn, found, now)

        return await self._write(run)

    async def cancel(self, update_id: int, telegram_id: int) -> Step:
        """/cancel: drop the conversation in progress; nothing of it is kept."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            waited = 0
            if citizen is not None:
                # Voice notes, photos and the place given with it go too, and an album's
                # photos waiting for words.
                waited = await media.drop_waiting(conn, citizen.id)
                await _drop_unsaved(conn, citizen.id)
            if citizen is not None and await conversations.delete(conn, citizen.id):
                return Step(Show.CANCELLED)
            if citizen is not None and await citizen_drafts.delete(conn, citizen.id):
                # Nothing in progress but words kept from before: those are what they stop.
                return Step(Show.CANCELLED, note="draft")
            return Step(Show.CANCELLED) if waited else Step(Show.NOTHING_TO_CANCEL)

        return await self._write(run)

    async def remind(self, update_id: int, telegram_id: int) -> Step:
        """Where the citizen is, shown again (after a message the bot cannot use)."""
        del update_id  # changes nothing, so a replay is harmless
        citizen = await citizens.by_telegram_id(self.db.reader, telegram_id)
        if citizen is None or not await _consented(self.db.reader, citizen.id):
            return Step(Show.NOTHING)
        current = await conversations.get(self.db.reader, citizen.id)
        if current is None:
            return Step(Show.NOTHING)
        if current.offered:
            # The "me too" list waits: it is what comes back (found again, as it is now),
            # not the rating, or a number typed next would seem to answer the wrong question.
            return await self._write(partial(_offer_again, citizen.id, self.clock()))
        # Outside `_write`: the services' sites must be known here too, or the place
        # question comes back without its places.
        with knowing(self.places):
            return await _show(self.db.reader, current, note="resumed")

    async def latest_saved(self, telegram_id: int) -> tuple[int, bool] | None:
        """With nothing being told, the number of the citizen's latest item and whether it
        is their only one (then what an edit they make now can concern); None if they are
        telling something or have none."""
        reader = self.db.reader
        citizen = await citizens.by_telegram_id(reader, telegram_id)
        if citizen is None or not await _consented(reader, citizen.id):
            return None
        if await conversations.get(reader, citizen.id) is not None:
            return None
        latest = await feedback.latest_of(reader, citizen.id)
        if latest is None:
            return None
        return latest.id, await feedback.count_of(reader, citizen.id) == 1

    async def unanswered(self, grace: timedelta) -> tuple[datetime, list[tuple[int, str]]]:
        """The chats whose answer a crash may have lost (an update's effect committed over
        `grace` ago, its handling never finished), each with when that effect was committed;
        and that moment, for `answered`."""
        before = self.clock() - grace
        return before, await updates.unanswered(self.db.reader, before)

    async def claimed(self, update_id: int) -> bool:
        """Whether this update's effect was committed (its claim)."""
        return await updates.effect_at(self.db.reader, update_id) is not None

    async def answer_failed(
        self, update_id: int, telegram_id: int, undoing: int | None = None
    ) -> Step:
        """What to show a citizen whose answer to this update Telegram did not take (a 5xx, a
        timeout): the item it saved or joined, or where they are now (saying a join was
        undone, where the update was the `undoing` of one and it was); nothing if neither."""
        committed = await updates.effect_at(self.db.reader, update_id)
        if committed is None:
            return await self.remind(update_id, telegram_id)
        step = await self.lost_answer(telegram_id, committed)
        if (
            undoing is not None
            and step.note == "resumed"
            and await self._undone(telegram_id, undoing)
        ):
            step = replace(step, note="undone")
        return step

    async def _undone(self, telegram_id: int, item_id: int) -> bool:
        """Whether the citizen's join of the item is undone (no longer undoable, and no
        support of theirs on it)."""
        reader = self.db.reader
        citizen = await citizens.by_telegram_id(reader, telegram_id)
        if citizen is None:
            return False
        kept = await supporters.undoable(reader, citizen.id)
        if kept is not None and kept.item_id == item_id:
            return False
        return item_id not in await supporters.already_theirs(reader, [item_id], citizen.id)

    async def offer_shown(self, telegram_id: int, message_id: int) -> None:
        """The message now showing a citizen's "me too" offer (drawn again if an item it
        quotes is erased: `offer_redrawn`)."""

        async def run(conn: aiosqlite.Connection) -> None:
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is not None:
                await conversations.offer_shown(conn, citizen.id, message_id)

        await self.db.write(run)

    async def offer_passed(self, telegram_id: int, message_id: int) -> bool:
        """Whether this message is a citizen's latest offer, passed over by words typed since
        (it stands above them, quoting others: taken back when one of them is erased)."""
        reader = self.db.reader
        citizen = await citizens.by_telegram_id(reader, telegram_id)
        current = await conversations.get(reader, citizen.id) if citizen else None
        return current is not None and not current.offered and current.offer_message == message_id

    async def offer_redrawn(self, telegram_id: int, message_id: int) -> Step | None:
        """The offer this message shows, searched anew (without items since erased, or the
        rating question if none is left); None if it is not the offer waiting."""
        reader = self.db.reader
        citizen = await citizens.by_telegram_id(reader, telegram_id)
        current = await conversations.get(reader, citizen.id) if citizen else None
        if current is None or not current.offered or current.offer_message != message_id:
            return None

        async def run(conn: aiosqlite.Connection) -> Step:
            found = await conversations.get(conn, current.citizen_id)
            if found is None or not found.offered or found.offer_message != message_id:
                return Step(Show.NOTHING)
            return await _written(conn, found, self.clock())

        return await self._write(run)

    async def lost_answer(self, telegram_id: int, since: str) -> Step:
        """What to show a citizen whose answer a crash may have lost: where they are, or the
        item saved or joined since (the answer told of it); nothing if none."""
        reader = self.db.reader
        citizen = await citizens.by_telegram_id(reader, telegram_id)
        if citizen is None or not await _consented(reader, citizen.id):
            # Before agreeing, the answer lost may have been the consent question (to words, a
            # photo, a sticker): asked again. Nothing else (staff are no citizens either).
            if await updates.noted(reader, telegram_id) == CONSENT_ASKED:
                return await self.consent_question(telegram_id) or Step(Show.NOTHING)
            return Step(Show.NOTHING)
        step = await self.remind(0, telegram_id)
        if step.note == "resumed" and await updates.noted(reader, telegram_id) == "undone":
            # The lost answer was to an undo of a "me too": it said the support went.
            return replace(step, note="undone")
        if step.show is not Show.NOTHING or citizen is None:
            return step
        item = await feedback.saved_since(reader, citizen.id, since)
        if item is None:
            joined = await supporters.joined_since(reader, citizen.id, since)
            found = await feedback.get(reader, joined) if joined is not None else None
            if found is None:
                return Step(Show.NOTHING)
            kept = await supporters.undoable(reader, citizen.id)
            return Step(
                Show.JOINED,
                reference=found.id,
                service=await services.get(reader, found.service_slug),
                undo=kept is not None and kept.item_id == found.id,
            )
        return Step(
            Show.SAVED,
            reference=item.id,
            service=await services.get(self.db.reader, item.service_slug),
            hear_back=item.hear_back,
        )

    async def answered(self, chats: list[int], before: datetime) -> None:
        """Those chats were answered again: forget whose those updates were."""

        async def run(conn: aiosqlite.Connection) -> None:
            await updates.answered(conn, chats, before)

        await self.db.write(run)

    async def _merged_live(self, item_id: int) -> bool:
        """Whether the item a merged one went into (after every merge) is still published,
        or back in the queue to be decided (a merge into it undone)."""
        into = await supporters.merged_into(self.db.reader, item_id)
        target = await feedback.get(self.db.reader, into) if into is not None else None
        return target is not None and target.status in ("approved", "pending")

    async def mine(self, telegram_id: int, limit: int = 10) -> Step:
        """/mine: the citizen's items, newest first, with their status."""
        citizen = await citizens.by_telegram_id(self.db.reader, telegram_id)
        if citizen is None:
            # Words typed before agreeing wait with the consent question: not "nothing told".
            return Step(Show.MINE, note="telling" if telegram_id in self._waiting else "")
        items = await feedback.for_citizen(self.db.reader, citizen.id, limit)
        telling = await conversations.get(self.db.reader, citizen.id) is not None
        # A merged item of theirs -> the item it went into: its answers are theirs.
        through: dict[int, int] = {}
        for n, own in enumerate(items):
            if own.status == "merged" and not await self._merged_live(own.id):
                # Counted with an item since taken down: no answer is coming on it.
                items[n] = replace(own, status=MERGED_GONE)
            elif own.status == "merged":
                into = await supporters.merged_into(self.db.reader, own.id)
                if into is not None:
                    through[own.id] = into
        total = await feedback.count_for_citizen(self.db.reader, citizen.id)
        supported = []
        for item_id, joined_at in await supporters.joined_by(self.db.reader, citizen.id, limit):
            item = await feedback.get(self.db.reader, item_id)
            ends_here = item_id in through.values()
            if ends_here or await supporters.own_merged_into(self.db.reader, item_id, citizen.id):
                # Counted with it by a moderator's merge: their own item says so, above; it
                # is not one they pressed "me too" on.
                continue
            if item is not None:
                shown = item.published_text if item.status == "approved" else None
                supported.append(replace(item, text=shown or "", created_at=joined_at))
        ids = [i.id for i in items] + [i.id for i in supported] + list(through.values())
        answers = await responses.for_items(self.db.reader, ids)
        for own_id, into in through.items():
            if into in answers:
                answers[own_id] = answers[into]
        # Each response in the citizen's language where the provider wrote it in that one.
        language = i18n.current()
        for item_id, found in answers.items():
            localised = []
            for response in found:
                words = await responses.texts_of(self.db.reader, response.id)
                localised.append(replace(response, text=words.get(language) or response.text))
            answers[item_id] = localised
        return Step(
            Show.MINE,
            # In the middle of telling something: what they write now is not saved yet.
            note="telling" if telling or telegram_id in self._waiting else "",
            items=tuple(items),
            total=total,
            responses=answers,
            supported=tuple(supported),
            sent_with=await media.sent_with(self.db.reader, [i.id for i in items]),
        )

    async def expire_idle(self, idle_for: timedelta) -> list[tuple[int, Step]]:
        """End conversations idle longer than `idle_for`: (telegram id, what to tell them).

        Words the citizen already wrote are saved, not thrown away: the rest of the
        questions are optional. Without a service chosen they are kept as a draft, offered
        back at the citizen's next /start.
        """
        cutoff = self.clock() - idle_for
        idle = await conversations.idle_since(self.db.reader, cutoff)
        told = []
        for stale in idle:

            async def run(conn: aiosqlite.Connection, stale: Conversation = stale) -> Step | None:
                now = self.clock()
                current = await conversations.get(conn, stale.citizen_id)
                if current is None or current.updated_at != stale.updated_at:
                    return None  # the citizen came back meanwhile
                if current.state in (State.COMMENT, State.ANSWER):
                    # Only an offer to say more, but its message says where the next text
                    # goes: say that it no longer does.
                    await conversations.delete(conn, current.citizen_id)
                    return Step(Show.TIMED_OUT, note=f"lapsed_{_side(current)}")
                if current.text and current.service_slug:
                    if await self._held(conn, current.citizen_id, now) is not None:
                        return None  # a draft held by the throttle waits, words and all
                    # Never asked (the question comes after the rating, or a "me too" list
                    # waited): they hear back, as on a comment, an answer or a "me too".
                    # Asked and left unanswered: silence is not taken as a yes.
                    hear = (
                        current.hear_back
                        if current.hear_back is not None
                        else current.state != State.HEAR_BACK
                    )
                    saved = await _submit(conn, current.but(hear_back=hear), now)
                    return Step(
                        Show.TIMED_OUT,
                        reference=saved.reference,
                        service=saved.service,
                        hear_back=hear,
                        note="metoo" if current.offered else "",
                    )
                await conversations.delete(conn, current.citizen_id)
                # Said in the notice (`total`): they were told these were kept.
                dropped = await _drop_unsaved(conn, current.citizen_id)
                if without_voice(current.text):
                    # Words from an earlier draft they wrote past stay, ahead of these.
                    earlier = await citizen_drafts.get(conn, current.citizen_id)
                    words = without_voice(current.text)
                    if earlier is not None and len(earlier.text) + len(words) < MAX_TEXT:
                        words = f"{earlier.text}\n{words}"
                    await citizen_drafts.keep(conn, current.citizen_id, words, now)
                    return Step(Show.TIMED_OUT, note="draft", total=dropped)
                return Step(Show.TIMED_OUT, total=dropped)

            step = await self._write(run)
            telegram_id = await citizens.telegram_id_of(self.db.reader, stale.citizen_id)
            if step is not None and telegram_id is not None:
                told.append((telegram_id, step))
        # Newcomers who never answered the consent text: what they wrote goes for good.
        self._lapse_consents(self.clock())
        if self._lapsed:
            self._lapsed = 0
            await self._leave_no_copy()
        return told


def link_payload(payload: str) -> str:
    """The payload if it is a service deep link (`s_<slug>`), else "" (to pass it on)."""
    return payload if DEEP_LINK.match(payload.strip()) else ""


async def sync_services(db: Database, rows: list[ServiceRow]) -> None:
    """Mirror the deployment file's services into the database."""

    async def run(conn: aiosqlite.Connection) -> None:
        await services.sync(conn, rows)

    await db.write(run)


async def _consented(conn: aiosqlite.Connection, citizen_id: int) -> bool:
    consent = await citizens.latest_consent(conn, citizen_id)
    return (
        consent is not None and consent.decision == "given" and consent.version == CONSENT_VERSION
    )


async def _consent_note(conn: aiosqlite.Connection, citizen: Citizen | None) -> str:
    """The consent question's note: "version_changed" for someone who agreed to an older
    version of the text, else none."""
    if citizen is not None and await _consent_outdated(conn, citizen.id):
        return "version_changed"
    return ""


async def _consent_outdated(conn: aiosqlite.Connection, citizen_id: int) -> bool:
    consent = await citizens.latest_consent(conn, citizen_id)
    return (
        consent is not None and consent.decision == "given" and consent.version != CONSENT_VERSION
    )


async def _current(
    conn: aiosqlite.Connection,
    update_id: int,
    telegram_id: int,
    seq: int,
    state: State,
    now: datetime,
) -> Conversation | Step:
    """The conversation a button belongs to, or the Step to show when it is stale or replayed."""
    if not await updates.claim(conn, update_id, now):
        return REPLAYED
    citizen = await citizens.by_telegram_id(conn, telegram_id)
    if citizen is None or not await _consented(conn, citizen.id):
        return Step(Show.CONSENT, note="consent_first")
    current = await conversations.get(conn, citizen.id)
    if current is None or current.seq != seq or current.state != state:
        return Step(Show.EXPIRED)
    return current


async def _begin(
    conn: aiosqlite.Connection,
    citizen_id: int,
    now: datetime,
    slug: str,
    bad_link: bool = False,
    text: str = "",
    note: str = "",
    place: Place | None = None,
) -> Step:
    """A new conversation, at the service `slug` if there is one, with `text` already said
    (and the `place` given with it)."""
    seq = await citizens.next_conversation_seq(conn, citizen_id)
    service = await services.get(conn, slug) if slug else None
    if text and not note:
        note = "kept_text"
    if service is not None:
        if place is not None:
            await places.put(conn, citizen_id, seq, place, now)
        state = State.RATING if text else State.TEXT
        conversation = Conversation(
            citizen_id, seq, state, service_slug=service.slug, text=text or None
        )
        return await _written(conn, conversation, now, note=note)
    conversation = Conversation(citizen_id, seq, State.SERVICE, text=text or None)
    await conversations.save(conn, conversation, now)
    return await _show(conn, conversation, note="unknown_service" if bad_link else note)


async def _advance(
    conn: aiosqlite.Connection, conversation: Conversation, now: datetime, note: str = ""
) -> Step:
    """Save the conversation and show what it now waits for."""
    await conversations.save(conn, conversation, now)
    return await _show(conn, conversation, note=note)


async def _after_service(
    conn: aiosqlite.Connection, conversation: Conversation, service: ServiceRow, now: datetime
) -> Step:
    state = State.RATING if conversation.text else State.TEXT
    conversation = conversation.but(service_slug=service.slug, state=state)
    return await _written(conn, conversation, now)


async def _written(
    conn: aiosqlite.Connection, conversation: Conversation, now: datetime, note: str = ""
) -> Step:
    """Save the conversation; once its words and service are known (the rating is next),
    first offer the recent published items like them ("me too"), if any is close."""
    sites = _sites_of(conversation.service_slug or "")
    if conversation.state == State.RATING and sites and conversation.text:
        given = await places.of_conversation(conn, conversation.citizen_id, conversation.seq)
        if given is not None and given.site is None and given.latitude is not None:
            # Shared before the service was known: named after its site now (as a location
            # shared now would be: not when too uncertain to tell). Only the rounded point is
            # kept, standing for any point of its cell: named only after the site each of
            # them would be, so never after one the point shared was judged not to be at
            # (a location shared with the service known, a join undone).
            assert given.longitude is not None
            near = site_of(
                sites, given.latitude, given.longitude, given.accuracy_m, slack_m=KEPT_SLACK_M
            )
            if near is not None:
                named = replace(given, site=near.name)
                await places.put(conn, conversation.citizen_id, conversation.seq, named, now)
        if given is None and len(sites) > 1:
            # A service in several places: which one, before the rating.
            conversation = conversation.but(state=State.PLACE)
            await conversations.save(conn, conversation, now)
            return await _show(conn, conversation, note=note)
    # Offered again below if there is still something to offer; otherwise no longer.
    conversation = conversation.but(offered=False)
    await conversations.save(conn, conversation, now)
    searched = _SEARCHED.get()
    # A voice note's mark is not words to compare: only what was typed is.
    slug, text = conversation.service_slug, without_voice(conversation.text)
    if conversation.state == State.RATING and text and slug and searched is not None:
        if (slug, text) not in searched:
            # Intake._write searches outside the transaction, then runs this again.
            raise _SearchFirst(slug, text)
        found = searched[(slug, text)]
        # Their own items, and ones they support already, are not "someone else's" (and are
        # left out before the cut to those close to the best: their own best match must not
        # hide another's item).
        theirs = await supporters.already_theirs(
            conn, [item for item, *_ in found], conversation.citizen_id
        )
        found = tuple(f for f in found if f[0] not in theirs)
        # Where both places are known, another site (or another part of town) is not it.
        here = await places.of_conversation(conn, conversation.citizen_id, conversation.seq)
        if found and here is not None and here.known:
            where = await places.of_items(conn, [item for item, *_ in found])
            known = _sites_of(slug)
            found = tuple(
                f for f in found if f[0] not in where or same_place(here, where[f[0]], known)
            )
        similar = offered(found)
        if similar:
            # Remembered, so that a number typed now is not taken for a rating; and what it
            # names, the only items a join from this conversation may name.
            ids = tuple(dict.fromkeys((*conversation.offered_items, *(o[0] for o in similar))))
            await conversations.save(conn, conversation.but(offered=True, offered_items=ids), now)
            service = await services.get(conn, slug)
            return Step(
                Show.METOO, seq=conversation.seq, service=service, similar=similar, note=note
            )
    return await _show(conn, conversation, note=note)


def _plain(text: str) -> str:
    """Lower case, in the usual forms of letters and digits ("３" -> "3"), no invisible
    characters."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").strip()


def _normalised(text: str) -> str:
    """Lower case, punctuation gone, single spaces: "Yes, please!" -> "yes please"."""
    return " ".join(re.sub(r"[^\w\s]", " ", _plain(text)).split())


def _is_answer(text: str) -> bool:
    """Whether the text answers a question ("no thanks", "skip", "3", "10/10") rather than
    saying something: such text is never an item's words."""
    if _yes_or_no(text) is not None or _normalised(text) in SKIP_WORDS:
        return True
    if _typed_rating(text) is not None:
        return True
    # Keep what a number is written with ("-1", "2.5", "10/10"), drop other punctuation.
    number = " ".join(re.sub(r"[^\w\s/.,+-]", " ", _plain(text)).split()).rstrip(".,")
    return RATING_LIKE.fullmatch(number) is not None


def _yes_or_no(text: str) -> bool | None:
    """True or False for a typed yes or no ("Yes please!", "nope", "no, thanks anyway",
    "👍"), None for anything else."""
    # Each part between commas and stops is the answer or mere politeness ("nope, not now").
    parts = {_answer_part(part) for part in re.split(r"[,.;!?]+", text)} - {""} - THANKS
    if not parts:
        return None
    if parts <= YES_WORDS:
        return True
    if parts <= NO_WORDS:
        return False
    return None


def _answer_part(part: str) -> str:
    """One part of a typed answer, normalised, a thumb as its word and thanks left off."""
    part = part.strip().replace("\ufe0f", "")
    if part in THUMBS:
        return THUMBS[part]
    words = _normalised(part)
    for thanks in THANKS:
        words = words.removesuffix(f" {thanks}")
    return words


def _typed_rating(text: str) -> int | None:
    """A rating typed instead of pressed ("4", "3/5", "three stars", "very good"): 1 to 5,
    0 for "skip", None for anything else."""
    plain = _plain(text)
    if STARS.fullmatch(plain) and 1 <= (stars := plain.count("⭐") + plain.count("★")) <= 5:
        return stars
    # Keep the slash of "3/5" and the minus of "-1"; drop the rest of the punctuation.
    words = " ".join(re.sub(r"[^\w\s/-]", " ", plain).split())
    if words in SKIP_WORDS:
        return 0
    if words in RATING_NAMES:
        return RATING_NAMES[words]
    match = RATING_TYPED.fullmatch(words)
    if match is None:
        return None
    number = match.group(1)
    return NUMBER_WORDS.get(number) or int(number)


async def _on_text(
    conn: aiosqlite.Connection, conversation: Conversation, text: str, now: datetime
) -> Step:
    if conversation.state == State.SERVICE:
        if _is_answer(text):
            # "ok", "yes", "3" at the list: no service is called that (and "ok" is in "books").
            return await _show(
                conn, conversation, note="use_buttons" if conversation.text else "no_match"
            )
        return await _search_services(conn, conversation, text, now)
    if conversation.state in SIDE_PROMPTS:
        answer = _yes_or_no(text)
        declined = answer is False and conversation.state == State.COMMENT
        if _normalised(text) in SKIP_WORDS or declined:
            # "skip", or "no thanks" to "would you like to say what's missing?": as Skip.
            await conversations.delete(conn, conversation.citizen_id)
            return Step(Show.SIDE_ENDED, seq=conversation.seq, note=_side(conversation))
        if answer is True and conversation.state == State.COMMENT:
            # "yes" to "would you like to say…?": the comment is still to come.
            return await _show(conn, conversation)
        if not _long_enough(text):
            return Step(Show.MORE_TEXT, seq=conversation.seq)
        # They asked to hear back when they first wrote, or opted in to questions.
        return await _submit(conn, conversation.but(text=text, hear_back=True), now)
    if conversation.state == State.TEXT:
        if not _long_enough(text) or _is_answer(text):
            conversation = conversation.but(nudged=conversation.nudged + 1)
            await conversations.save(conn, conversation, now)
            return Step(Show.MORE_TEXT, seq=conversation.seq)
        conversation = conversation.but(text=text, state=State.RATING)
        return await _written(conn, conversation, now)
    if conversation.state == State.PLACE:
        sites = _sites_of(conversation.service_slug or "")
        typed = _normalised(text)
        if typed in SKIP_WORDS:
            await places.put(
                conn, conversation.citizen_id, conversation.seq, Place(None, None, None), now
            )
            return await _written(conn, conversation.but(state=State.RATING), now)
        named = [site for site in sites if _normalised(site.name) == typed]
        if named:
            place = Place(named[0].name, None, None)
            await places.put(conn, conversation.citizen_id, conversation.seq, place, now)
            return await _written(conn, conversation.but(state=State.RATING), now)
        if not _long_enough(text) or _is_answer(text):
            return await _show(conn, conversation, note="use_buttons")
    if conversation.state == State.RATING:
        repeated = _said_last(conversation.text, text)
        if conversation.offered and (
            repeated
            or _typed_rating(text) is not None
            or not _long_enough(text)
            or _is_answer(text)
        ):
            # "1" under "Is it one of these? 1. … press its number" may mean that item, not
            # a rating of 1: the offer again, asking for its buttons (while it has items).
            # The same words sent twice at once: the offer again, as it was.
            note = "" if repeated else "metoo_buttons"
            step = await _written(conn, conversation, now, note=note)
            if step.show is Show.METOO:
                return step
        # Past the offer (more words, a rating): it goes on as their own item.
        conversation = conversation.but(offered=False)
        rating = _typed_rating(text)
        if rating is not None:
            conversation = conversation.but(rating=rating or None, state=State.HEAR_BACK)
            return await _advance(conn, conversation, now)
        if not _long_enough(text) or _is_answer(text):
            # "hmm", "6", "no thanks", "10 out of 10": not a rating, and not more of the story.
            return await _show(conn, conversation, note="not_a_rating")
    if conversation.state not in (State.RATING, State.PLACE):
        # Past the rating the item is written: words typed at a yes/no question are not
        # part of it (the yes and no words were taken as answers before this).
        return await _show(conn, conversation, note="use_buttons")
    if _said_last(conversation.text, text):
        # The same words again at once: a message sent twice (a double tap, an app sending
        # again after a bad connection), not more of the story. Kept once.
        return await _show(conn, conversation)
    # More words while still writing (the rating step says they can): the story came in
    # parts. Keep them all, or, past the limit of one item, keep what was there and say why.
    joined = f"{conversation.text}\n{text}" if conversation.text else text
    if len(joined) > MAX_TEXT:
        return await _show(conn, conversation, note="too_long")
    conversation = conversation.but(text=joined)
    return await _advance(conn, conversation, now, note="added_text")


def _said_last(story: str | None, text: str) -> bool:
    """Whether `text` is the part of the story written last (the parts are kept a line
    apart), so that it came twice."""
    return bool(story) and (story == text or str(story).endswith(f"\n{text}"))


async def _search_services(
    conn: aiosqlite.Connection, conversation: Conversation, text: str, now: datetime
) -> Step:
    everything = await services.active(conn)
    query = text.casefold()
    # "the library", "my bins": each word that names something, wherever it is.
    wanted = [w for w in re.findall(r"\w+", query) if w not in SEARCH_FILLER]
    matches = [
        s
        for s in everything
        if query in s.name.casefold()
        or query == s.slug
        or query in s.description.casefold()
        or (wanted and all(w in f"{s.name} {s.description}".casefold() for w in wanted))
    ]
    if len(matches) == 1 and len(text.split()) < FEEDBACK_WORDS:
        return await _after_service(conn, conversation, matches[0], now)
    if len(text.split()) >= FEEDBACK_WORDS and not conversation.text:
        conversation = conversation.but(text=text)
        return await _advance(conn, conversation, now, note="kept_text")
    if matches:
        return Step(
            Show.SERVICES, seq=conversation.seq, services=tuple(matches[:PAGE_SIZE]), query=text
        )
    if len(text.split()) >= FEEDBACK_WORDS and conversation.text:
        if _said_last(conversation.text, text):
            # The same words sent twice, kept once (as later).
            return await _show(conn, conversation)
        # The story came in parts before a service was chosen: keep them all, as later.
        joined = f"{conversation.text}\n{text}"
        if len(joined) > MAX_TEXT:
            return await _show(conn, conversation, note="too_long")
        return await _advance(conn, conversation.but(text=joined), now, note="added_text")
    return await _show(conn, conversation, note="no_match")


async def _submit(conn: aiosqlite.Connection, conversation: Conversation, now: datetime) -> Step:
    assert conversation.service_slug and conversation.text
    reference = await feedback.create(
        conn,
        citizen_id=conversation.citizen_id,
        service_slug=conversation.service_slug,
        text=without_voice(conversation.text),
        rating=conversation.rating,
        hear_back=bool(conversation.hear_back),
        now=now,
        response_id=conversation.response_id,
        ask_id=conversation.ask_id,
        conversation_seq=conversation.seq,
    )
    await media.attach(conn, conversation.citizen_id, conversation.seq, reference)
    await places.attach(conn, conversation.citizen_id, conversation.seq, reference)
    await conversations.delete(conn, conversation.citizen_id)
    service = await services.get(conn, conversation.service_slug)
    note = {State.COMMENT: "comment", State.ANSWER: "answer"}.get(State(conversation.state), "")
    return Step(
        Show.SAVED,
        seq=conversation.seq,
        reference=reference,
        service=service,
        hear_back=bool(conversation.hear_back),
        note=note,
    )


async def start_reply(
    conn: aiosqlite.Connection,
    citizen_id: int,
    state: State,
    service_slug: str,
    now: datetime,
    *,
    response_id: int | None = None,
    ask_id: int | None = None,
) -> Step | None:
    """Wait for a comment on a response or an answer to a question, in the caller's
    transaction; None if the citizen is in the middle of telling something else. A side
    prompt already waiting ends: the citizen pressed this button since."""
    current = await conversations.get(conn, citizen_id)
    if current is not None and current.state not in SIDE_PROMPTS:
        return None
    seq = await citizens.next_conversation_seq(conn, citizen_id)
    conversation = Conversation(
        citizen_id, seq, state, service_slug=service_slug, response_id=response_id, ask_id=ask_id
    )
    step = await _advance(conn, conversation, now)
    same = current is not None and (current.state, current.response_id, current.ask_id) == (
        state,
        response_id,
        ask_id,
    )
    if current is None or same:
        return step
    return replace(step, note=f"closed_{_side(current)}")


async def _offer_again(citizen_id: int, now: datetime, conn: aiosqlite.Connection) -> Step:
    """The conversation's question again, the "me too" list searched anew (see `remind`)."""
    current = await conversations.get(conn, citizen_id)
    if current is None:
        return Step(Show.NOTHING)
    return await _resumed(conn, current, now)


async def _resumed(conn: aiosqlite.Connection, current: Conversation, now: datetime) -> Step:
    """Where the citizen was, shown again: the "me too" list if it waits (searched anew, in
    `Intake._write`), else the question the conversation waits for."""
    if current.offered:
        return await _written(conn, current, now, note="resumed")
    return await _show(conn, current, note="resumed")


async def _take_waiting(
    conn: aiosqlite.Connection, telegram_id: int, step: Step, album: str | None
) -> Step:
    """After words: an album's photos sent while nothing was being told, kept waiting for
    words (bot/attachments.py), join the conversation now under way, as many as it has room
    for; `step` says how many, and how many had no room."""
    citizen = await citizens.by_telegram_id(conn, telegram_id)
    if citizen is None or not await media.waiting(conn, citizen.id):
        return step  # (almost always: one read by the index)
    current = await conversations.get(conn, citizen.id)
    if current is None or current.state not in TELLING:
        return step
    kept = await media.of_conversation(conn, citizen.id, current.seq)
    room = MAX_PHOTOS - sum(m.kind == media.PHOTO for m in kept)
    taken, left = await media.take_waiting(conn, citizen.id, current.seq, room, album)
    return replace(step, photos=taken, photos_left=left) if taken or left else step


async def _drop_unsaved(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """What a conversation that never became an item had gathered: its voice note, photos
    and place (each kept until the item is saved) go with it; how many there were."""
    return await media.drop_unsaved(conn, citizen_id) + await places.drop_unsaved(conn, citizen_id)


async def end_side_prompt_in(conn: aiosqlite.Connection, citizen_id: int) -> Step | None:
    """End a side prompt in the caller's transaction (the citizen pressed something else);
    what to tell them, or None if none was waiting."""
    current = await conversations.get(conn, citizen_id)
    if current is None or current.state not in SIDE_PROMPTS:
        return None
    await conversations.delete(conn, citizen_id)
    return Step(Show.SIDE_ENDED, seq=current.seq, note=f"closed_{_side(current)}")


async def _take_draft(
    conn: aiosqlite.Connection, citizen_id: int, carry_on: bool, slug: str, now: datetime
) -> Step:
    """Carry on with the citizen's kept words, or throw them away, and begin (at the
    service `slug` if there is one)."""
    kept = await citizen_drafts.get(conn, citizen_id)
    if kept is None:
        return Step(Show.EXPIRED)
    await citizen_drafts.delete(conn, citizen_id)
    bad_link = slug == UNKNOWN_LINK
    wanted = "" if bad_link else slug
    if carry_on:
        return await _begin(
            conn, citizen_id, now, wanted, bad_link=bad_link, text=kept.text, note="carried"
        )
    return await _begin(conn, citizen_id, now, wanted, bad_link=bad_link, note="dropped")


def _side(conversation: Conversation) -> str:
    """Which side prompt a conversation is: "comment" or "answer"."""
    return "comment" if conversation.state == State.COMMENT else "answer"


async def _side_prompt_of(conn: aiosqlite.Connection, telegram_id: int) -> Conversation | None:
    """The side prompt waiting for this person, if any (only after consent)."""
    citizen = await citizens.by_telegram_id(conn, telegram_id)
    if citizen is None or not await _consented(conn, citizen.id):
        return None
    current = await conversations.get(conn, citizen.id)
    return current if current is not None and current.state in SIDE_PROMPTS else None


async def _start_during_side_prompt(
    conn: aiosqlite.Connection, side: Conversation, now: datetime, slug: str
) -> Step:
    """/start while a side prompt waits is never a silent resume. A deep link (a poster at a
    service) is new feedback, so the prompt ends; a plain /start asks which they meant."""
    if slug and await services.get(conn, slug) is not None:
        await conversations.delete(conn, side.citizen_id)
        step = await _begin(conn, side.citizen_id, now, slug)
        return replace(step, note=f"closed_{_side(side)}")
    service = await services.get(conn, side.service_slug) if side.service_slug else None
    return Step(Show.SIDE_OPEN, seq=side.seq, service=service, note=_side(side))


async def _show(conn: aiosqlite.Connection, conversation: Conversation, note: str = "") -> Step:
    """The step that asks what the conversation waits for."""
    seq = conversation.seq
    service = (
        await services.get(conn, conversation.service_slug) if conversation.service_slug else None
    )
    if conversation.state == State.SERVICE:
        everything = await services.active(conn)
        pages = max(1, -(-len(everything) // PAGE_SIZE))
        page = min(conversation.page, pages - 1)
        shown = everything[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        return Step(
            Show.SERVICES, seq=seq, services=tuple(shown), page=page, pages=pages, note=note
        )
    if conversation.state == State.PLACE:
        sites = tuple(site.name for site in _sites_of(conversation.service_slug or ""))
        return Step(Show.PLACE, seq=seq, service=service, sites=sites, note=note)
    kinds = {
        State.TEXT: Show.ASK_TEXT,
        State.RATING: Show.RATING,
        State.HEAR_BACK: Show.HEAR_BACK,
        State.INVOLVE: Show.INVOLVE,
        State.COMMENT: Show.ASK_COMMENT,
        State.ANSWER: Show.ASK_ANSWER,
    }
    return Step(kinds[State(conversation.state)], seq=seq, service=service, note=note)


# States where the item is still being told, so a location (or photo) can join it.
TELLING = (
    State.SERVICE,
    State.TEXT,
    State.PLACE,
    State.RATING,
    State.HEAR_BACK,
    State.INVOLVE,
)


@contextmanager
def knowing(known: Places | None) -> Iterator[None]:
    """Let the transactions run inside know the deployment's sites (as Intake._write does)."""
    token = _PLACES.set(known)
    try:
        yield
    finally:
        _PLACES.reset(token)


def _sites_of(slug: str) -> tuple[Site, ...]:
    """The sites of a service, as the running transaction's Intake knows them."""
    known = _PLACES.get()
    return known.of(slug) if known is not None else ()


def same_place(here: Place, there: Place, sites: Sequence[Site] = ()) -> bool:
    """Whether two items' places can be the same: the same site, or points near each other
    where a site is not known for both (a site without a point is at the site's point). A
    point Telegram said is uncertain may be anywhere in its circle: the distance allowed
    grows by its accuracy (each side's, where said), so a poor fix rules out only what is
    clearly outside its circle."""
    if here.site and there.site:
        return here.site == there.site
    one, other = _point(here, sites), _point(there, sites)
    if one is None or other is None:
        # Nothing to compare (skipped, or a site the deployment no longer lists): it may be.
        return True
    reach = SAME_PLACE_M + _spread(here) + _spread(there)
    return distance_m(*one, *other) <= reach


def _spread(place: Place) -> float:
    """How far off a place's point may be (its accuracy); 0 for a site's own point."""
    return spread_m(place.accuracy_m) if place.latitude is not None else 0.0


def _point(place: Place, sites: Sequence[Site]) -> tuple[float, float] | None:
    """Where a place is: its point, else its site's, else None."""
    if place.latitude is not None and place.longitude is not None:
        return place.latitude, place.longitude
    site = next((s for s in sites if s.name == place.site), None)
    return (site.latitude, site.longitude) if site else None


def _gathered(
    held: Mapping[int, str], words: str, words_id: int | None
) -> tuple[str, frozenset[int]]:
    """The words of every message waiting on a first-contact question, in the order sent,
    with `words` (of message `words_id`, the one the pressed question quotes), and which
    messages they are. Past MAX_TEXT together, only `words` (as each question says)."""
    waiting = dict(held)
    if words and words_id is not None:
        # Held in memory, the message's words are its newest (edited since, maybe); the
        # pressed question quotes them as first sent.
        words = waiting.setdefault(words_id, words)
    elif words and words not in waiting.values():
        waiting[max(waiting, default=0) + 1] = words
    together = "\n".join(waiting[m] for m in sorted(waiting))
    if len(together) > MAX_TEXT:
        return words, frozenset({words_id} if words_id is not None else ())
    return together, frozenset(waiting)


def _words(text: str) -> str:
    """The text if it can be an item's words, else "" (too short, too long, or an answer)."""
    return text if _long_enough(text) and len(text) <= MAX_TEXT and not _is_answer(text) else ""


def _long_enough(text: str) -> bool:
    # Invisible characters (zero-width spaces) are not words.
    seen = "".join(c for c in text if unicodedata.category(c) != "Cf").strip()
    return len(seen) >= MIN_TEXT_CHARS and len(seen.split()) >= MIN_TEXT_WORDS


def without_voice(text: str | None) -> str:
    """A conversation's words without the mark of a voice note standing for them."""
    if not text:
        return ""
    return text.removeprefix(VOICE_MARK).strip()

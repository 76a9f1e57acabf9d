"""Moderation: a person reads every item before any provider sees it.

Each action names the version of the item it was taken on; the first action at a version
wins, so two moderators pressing at once cannot both act, and a button on an out-of-date
card does nothing. Every action is in the audit log with the item before and after.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.config import Deployment
from bot.intake import Clock, without_voice
from bot.roles import Who
from bot.tagging import Tagger, Tagging
from storage import (
    audit,
    feedback,
    media,
    places,
    reminders,
    responses,
    staff,
    supporters,
    updates,
)
from storage.db import Database, parse_stamp
from storage.feedback import ItemTheme, Moderated, removed_kinds
from storage.media import Media
from storage.places import Place

log = logging.getLogger(__name__)


class Reason(StrEnum):
    """Why an item was not published."""

    ABUSIVE = "abusive"
    PERSONAL = "personal"
    OFF_TOPIC = "off_topic"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Problem(StrEnum):
    """Why an action did nothing."""

    NOT_ALLOWED = "not_allowed"
    NO_SUCH_ITEM = "no_such_item"
    STALE = "stale"
    ALREADY_DECIDED = "already_decided"
    EMPTY_TEXT = "empty_text"
    TOO_LONG = "too_long"
    NO_EDIT = "no_edit"
    TOO_LATE = "too_late"
    NOT_DECIDED = "not_decided"
    NOT_PUBLISHED = "not_published"
    EMPTY_REASON = "empty_reason"
    # The service has answered the item: its author heard so, and an undo would unsay it.
    ANSWERED = "answered"
    # The same update again (Telegram delivered it twice): done already, nothing to say.
    REPLAYED = "replayed"
    # Items were merged into it: undone (and maybe rejected), it would take them out of every
    # count with it.
    MERGED_INTO = "merged_into"
    # Citizens joined it ("me too"), their own words dropped: undone, their support would
    # point at an item that is not published.
    JOINED = "joined"
    # A voice note nobody has written down yet: there is no text to publish.
    NEEDS_TRANSCRIPT = "needs_transcript"
    # /merge: an item into itself, items of two services, an item merged already.
    SAME_ITEM = "same_item"
    OTHER_SERVICE = "other_service"
    ALREADY_MERGED = "already_merged"
    # /merge of an item rejected or unpublished: merged, it would be counted again.
    TAKEN_DOWN = "taken_down"
    # Another moderator is writing the item's corrected text: deciding now would publish (or
    # reject) the words they are taking out.
    BEING_EDITED = "being_edited"
    # Edit (or summary) pressed while another moderator's prompt for it is open: two
    # corrections of one text, the later would replace the earlier unseen.
    EDIT_TAKEN = "edit_taken"
    # A reply to a prompt whose text another moderator saved after it was given.
    EDIT_OUTDATED = "edit_outdated"
    # A corrected text (or summary) that is the item's as it is (spaces aside): nothing to
    # save.
    UNCHANGED = "unchanged"


# How long a moderator's open edit keeps the others from deciding the item: long enough to
# write a corrected text, short enough that an edit left open does not hold it for good.
EDIT_HOLD = timedelta(minutes=10)

# The kinds a moderator can give an item on its card.
KINDS = ("complaint", "compliment", "suggestion", "question")
# Below these percentages the model is not sure, and the card says so. On the services
# development set, the shipped model's kind was right 50% of the time under 60% and 79%
# above; a best theme under 50% is mostly a text with no theme found, or a rule's words
# the model barely supports.
SURE_KIND = 60
SURE_THEME = 50


def percent(score: float) -> int:
    """A score (0 to 1) as a whole percentage, as the card shows it."""
    return max(0, min(100, round(score * 100)))


@dataclass(frozen=True)
class Card:
    """What a moderator's card shows about an item."""

    item: Moderated
    themes: tuple[ItemTheme, ...]
    moderator_name: str = ""
    # The decision on it may still be undone (the card offers "Undo").
    undoable: bool = False
    # The deployment's default language: the one providers read, and summaries are in.
    default_language: str = "en"
    # The item's voice note and photos (bot/attachments.py), shown under the card.
    media: tuple[Media, ...] = ()
    # Where it happened, if the citizen said (moderators see an exact point if given).
    place: Place | None = None

    @property
    def other_language(self) -> str | None:
        """The language the item was detected in when it is not the default one (None when
        it is, or when the detector was unsure)."""
        language = self.item.language
        if language in (None, "und", self.default_language):
            return None
        return language

    @property
    def model_unread(self) -> bool:
        """Whether the item is in a language the theme model does not read."""
        return foreign(self.item.language)

    @property
    def themes_checked(self) -> bool:
        """Whether a person has set the item's themes (the model's scores then matter less)."""
        return any(t.set_by_person for t in self.themes)

    @property
    def unsure_kind(self) -> float | None:
        """The model's score for the kind when it is weak and no person has set the kind."""
        item = self.item
        if item.kind_set_by is not None or item.kind_score is None or not item.kind:
            return None
        return item.kind_score if percent(item.kind_score) < SURE_KIND else None

    @property
    def themes_by_author(self) -> bool:
        """Whether the author set some of the item's themes (and no moderator changed them)."""
        return any(t.source == "citizen" for t in self.themes)

    @property
    def unsure_themes(self) -> float | None:
        """The best theme's score when it is weak (0 when no theme was found), while no
        person has set the themes; None when the model is sure enough."""
        if self.themes_checked or self.item.tagged_at is None:
            return None
        best = max((t.score for t in self.themes if t.active), default=0.0)
        return best if percent(best) < SURE_THEME else None

    @property
    def redactions(self) -> list[dict[str, object]]:
        """What redaction found, as stored."""
        return list(json.loads(self.item.redactions)) if self.item.redactions else []

    @property
    def removed_kinds(self) -> list[str]:
        """The kinds of detail redaction found that are not in the shown text (any more)."""
        return removed_kinds(self.item.text, self.shown_text, self.redactions)

    @property
    def to_check(self) -> list[tuple[str, str]]:
        """What a moderator should look at in the shown text, as (kind, text): what
        redaction was unsure of, and anything it found that is still there (a moderator's
        edit may have put it back). What an edit took out is not asked about."""
        shown = self.shown_text
        flagged = json.loads(self.item.redaction_flags or "[]")
        found = [(str(f["kind"]), str(f.get("text", ""))) for f in flagged]
        found += [(str(r["kind"]), str(r.get("text", ""))) for r in self.redactions]
        return list(dict.fromkeys((kind, text) for kind, text in found if holds(shown, text)))

    @property
    def shown_text(self) -> str:
        """The text the card quotes: the published text once approved, else the working one."""
        item = self.item
        published = item.status in ("approved", "withdrawn")
        return (item.published_text if published else item.working_text) or ""

    @property
    def placeholders(self) -> list[tuple[int, int]]:
        """Where in `shown_text` the bot's own redaction placeholders are (start, end).

        Only these are marked on a card: a citizen who types "[name]" gets it shown as
        typed. A text a moderator rewrote is theirs, so nothing in it is marked.
        """
        shown = self.shown_text
        if self.item.edited_text or shown != (self.item.redacted_text or ""):
            return []
        found, shift = [], 0
        spans = [r for r in self.redactions if "start" in r and "end" in r]
        for span in sorted(spans, key=lambda r: int(str(r["start"]))):
            start, end = int(str(span["start"])), int(str(span["end"]))
            placeholder = str(span.get("placeholder", ""))
            at = start + shift
            shift += len(placeholder) - (end - start)
            if placeholder and shown[at : at + len(placeholder)] == placeholder:
                found.append((at, at + len(placeholder)))
        return found


def _words(text: str) -> str:
    """A text with its spacing evened out: what a reader sees as the same words."""
    return " ".join(text.split())


def uncased(text: str) -> bool:
    """Whether `text` has letters of a script without capitals (Arabic, Chinese, Hindi…),
    in which the redactor cannot tell a name: the auto-approve rule leaves it to a person."""
    return any(ord(c) > 0x2FF and c.isalpha() and c.lower() == c.upper() for c in text)


def foreign(language: str | None) -> bool:
    """Whether an item was detected as written in a language the model does not read."""
    return language not in (None, "und", "en")


def holds(text: str, part: str) -> bool:
    """Whether `part` is in `text` as typed, not inside a longer word ("Jo" in "Job")."""
    part = part.strip()
    if not part:
        return False
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text) is not None


@dataclass(frozen=True)
class Outcome:
    """The result of a moderator's action: the card as it is now, or why nothing changed."""

    card: Card | None
    problem: Problem | None = None
    # Other items the action changed, whose cards are to be drawn again.
    also: tuple[Card, ...] = ()
    # Problem.EDIT_TAKEN and EDIT_OUTDATED: the other moderator's name ("" when not known).
    by: str = ""
    # Problem.ALREADY_MERGED: the item found merged, and the item it went into.
    merged: tuple[int, int] | None = None


@dataclass(frozen=True)
class AuthorNote:
    """What to tell an author about their item."""

    item_id: int
    telegram_id: int
    service_name: str
    status: str
    reason: str | None
    changed: bool
    redacted_kinds: tuple[str, ...]
    # A moderator rewrote the text (as well as, or instead of, redaction removing things).
    edited: bool = False


@dataclass(frozen=True)
class Queue:
    """How many items wait, and the oldest of them."""

    count: int
    oldest: list[tuple[int, str, datetime]]


MAX_TEXT = 4096
# Posting a card: after this many refusals it waits for a moderator (/queue); between
# attempts the wait doubles from the first to the last.
CARD_ATTEMPTS = 5
CARD_RETRY_FIRST = timedelta(seconds=30)
CARD_RETRY_LAST = timedelta(hours=1)
# An item not tagged yet holds back the cards of newer ones for this long at most (each is
# tagged at once by its author's answer, so two finishing together may be tagged out of
# order; one the language tools choke on must not hold the others back for good).
IN_ORDER_FOR = timedelta(seconds=60)
# An item the language tools fail on this many times, over this long at least, while they
# tag another text fine, is stored unread (`Tagger.unread`): untagged it would never reach
# moderators, and a hundred such would stop `tag_new` for all. An outage of the tools
# themselves (the probe fails too) leaves items waiting, to be tagged in full after it.
TAG_TRIES = 3
UNREAD_AFTER = timedelta(minutes=10)
PROBE = "The bus was late again this morning."


def card_retry_after(attempts: int) -> timedelta:
    """How long to wait before the next try, after `attempts` failed ones."""
    wait = CARD_RETRY_FIRST * (2 ** max(attempts - 1, 0))
    return min(wait, CARD_RETRY_LAST)


@dataclass(frozen=True)
class Stuck:
    """A pending item whose card is not known to be in the moderators' chat."""

    item_id: int
    service_name: str
    # "failed": refused too often; "unsure": sent, but Telegram's answer never came.
    why: str
    error: str


class Moderation:
    """The moderation core over one database."""

    def __init__(self, db: Database, deployment: Deployment, clock: Clock, tagger: Tagger) -> None:
        self.db = db
        self.deployment = deployment
        self.clock = clock
        self.tagger = tagger
        # The languages an item may be written in: the deployment's, then the others its
        # moderation section names (English, Welsh and common community languages unless it
        # says otherwise).
        self.item_languages = item_languages(deployment)
        # (Item id, hash of its text) -> the tagging attempts that failed in this process, and
        # when the first did (with the text: an id SQLite gives again after a deletion, or a
        # text changed meanwhile, starts afresh).
        self._failed: dict[tuple[int, int], tuple[int, datetime]] = {}

    async def tag_new(self, limit: int = 100) -> list[int]:
        """Tag items not tagged yet (and auto-approve what the rule allows); their ids."""
        pending = await feedback.untagged(self.db.reader, limit)
        if len(pending) < limit:
            # Every untagged item is here: what is remembered of others (tagged by another
            # instance, forgotten) goes; before tagging, so a failure meanwhile stays.
            waiting = {(item_id, hash(text)) for item_id, text in pending}
            self._failed = {k: v for k, v in self._failed.items() if k in waiting}
        if not pending:
            return []
        try:
            tagged: list[Tagging | None] = list(
                await self.tagger.tag([t for _, t in pending], self.item_languages)
            )
        except Exception:
            # One text the language tools choke on must not keep the others from moderators:
            # tag them one by one; the one that fails waits (and is logged) alone.
            log.exception("tagging %d items at once failed; tagging them one by one", len(pending))
            tagged = [await self._tag_one(item_id, text) for item_id, text in pending]
        done = []
        for (item_id, text), tagging in zip(pending, tagged, strict=True):
            if tagging is None:
                continue
            self._failed.pop((item_id, hash(text)), None)

            async def run(
                conn: aiosqlite.Connection, i: int = item_id, t: Tagging = tagging
            ) -> bool:
                return await self._store(conn, i, t)

            if await self.db.write(run):
                done.append(item_id)
        return done

    async def tag_item(self, item_id: int) -> None:
        """Tag one item now if it is not tagged yet (its author is to hear its themes)."""
        text = await feedback.untagged_one(self.db.reader, item_id)
        if text is None:
            return
        tagging = await self._tag_one(item_id, text)
        if tagging is None:
            return

        async def run(conn: aiosqlite.Connection) -> bool:
            return await self._store(conn, item_id, tagging)

        await self.db.write(run)

    async def _tag_one(self, item_id: int, text: str) -> Tagging | None:
        try:
            tagging = (await self.tagger.tag([text], self.item_languages))[0]
        except Exception:
            # Isolation boundary: this item waits; the next sweep tries it again.
            now = self.clock()
            key = (item_id, hash(text))
            tries, first = self._failed.get(key, (0, now))
            self._failed[key] = (tries + 1, first)
            log.exception("tagging item #%s failed (try %d)", item_id, tries + 1)
            if tries + 1 < TAG_TRIES or now - first < UNREAD_AFTER or not await self._tools_work():
                return None
            try:
                # The tools work now: the text once more, in case they only just came back.
                tagging = (await self.tagger.tag([text], self.item_languages))[0]
            except Exception:
                # It is this text: a person reads it untagged (stored once: a second store
                # of the item, from a sweep and the author's answer at once, finds it tagged).
                log.error("item #%s stored unread: tagging it failed %d times", item_id, tries + 2)
                self._failed.pop(key, None)
                return await self.tagger.unread(text, self.item_languages)
        self._failed.pop((item_id, hash(text)), None)
        return tagging

    async def _tools_work(self) -> bool:
        """Whether the language tools tag an ordinary text now."""
        try:
            await self.tagger.tag([PROBE], self.item_languages)
        except Exception:
            log.exception("the language tools fail on an ordinary text too: items wait")
            return False
        return True

    async def _store(self, conn: aiosqlite.Connection, item_id: int, tagging: Tagging) -> bool:
        now = self.clock()
        stored = await feedback.save_tagging(conn, item_id, now=now, **_stored(tagging))
        if not stored:
            return False
        item = await feedback.moderated(conn, item_id)
        if item is None or item.status != "pending":
            # Decided before it was read (merged from /queue, say): the rule decides nothing.
            return stored
        held = self._held_back(tagging)
        if not held and self._auto_approves(tagging):
            spoken = any(m.kind == media.VOICE for m in await media.of_item(conn, item_id))
            # A voice note's words are a machine's draft or beside the audio: a person
            # listens before anyone else reads them.
            held = ["check voice note"] if spoken else []
        if held:
            # The rule would have published it: say why a person has to look first.
            await audit.record(
                conn,
                actor=None,
                actor_role="auto",
                action="item.held",
                subject=f"item:{item_id}",
                after={"status": "pending", "why": held},
                now=now,
            )
        elif self._auto_approves(tagging):
            await feedback.bump(conn, item_id, item.version)
            await feedback.decide(
                conn,
                item_id,
                status="approved",
                published_text=item.working_text,
                reject_reason=None,
                moderator=None,
                now=now,
            )
            await audit.record(
                conn,
                actor=None,
                actor_role="auto",
                action="item.approved",
                subject=f"item:{item_id}",
                before={"status": "pending"},
                after={"status": "approved", "rule": "compliment without redactions"},
                now=now,
            )
        return stored

    def _auto_approves(self, tagging: Tagging) -> bool:
        # Nothing found and nothing flagged: a text with a detail removed, or one the
        # redactor is unsure of, is read by a person before anyone else sees it.
        return (
            self.deployment.moderation.auto_approve_compliments
            and tagging.kind == "compliment"
            and not tagging.redactions
            and not tagging.flags
            and not uncased(tagging.redacted_text)
            and not foreign(tagging.language)
        )

    def _held_back(self, tagging: Tagging) -> list[str]:
        """Why the auto-approve rule leaves a compliment to a moderator ([] if it does not)."""
        if not (
            self.deployment.moderation.auto_approve_compliments and tagging.kind == "compliment"
        ):
            return []
        why = sorted({f"removed {r.kind}" for r in tagging.redactions})
        why += sorted({f"check {f.kind}" for f in tagging.flags})
        # Blame beside the praise (the flags say where else it may not be praise).
        why += ["check mixed"] if "complaint" in tagging.also_kinds else []
        why += ["check script"] if uncased(tagging.redacted_text) else []
        # The kind model reads English only: a person reads what it cannot.
        return why + (["check language"] if foreign(tagging.language) else [])

    async def card(self, item_id: int, conn: aiosqlite.Connection | None = None) -> Card | None:
        """The card of an item as it is now."""
        conn = conn or self.db.reader
        item = await feedback.moderated(conn, item_id)
        if item is None:
            return None
        themes = tuple(await feedback.themes_of(conn, item_id))
        name = ""
        if item.moderated_by is not None:
            name = await _staff_name(conn, item.moderated_by)
        undoable = item.undo_until is not None and self.clock() < parse_stamp(item.undo_until)
        found = tuple(await media.of_item(conn, item_id))
        place = (await places.of_items(conn, [item_id])).get(item_id)
        return Card(item, themes, name, undoable, self.deployment.default_language, found, place)

    async def cards_to_post(self, limit: int = 50) -> list[Card]:
        """Tagged items whose card is due (not posted, not begun, not given up)."""
        cards = []
        now = self.clock()
        due = await feedback.uncarded(
            self.db.reader, now, CARD_ATTEMPTS, limit, untagged_since=now - IN_ORDER_FOR
        )
        for item_id in due:
            card = await self.card(item_id)
            if card is not None:
                cards.append(card)
        return cards

    async def cards_shown(self, chat_id: int) -> list[tuple[Card, int]]:
        """Items waiting for a decision with their own card in this chat, and its message."""
        shown = []
        for item_id, message_id in await feedback.cards_shown(self.db.reader, chat_id):
            card = await self.card(item_id)
            if card is not None:
                shown.append((card, message_id))
        return shown

    async def lists_shown(self, chat_id: int) -> list[tuple[int, list[int]]]:
        """Messages in this chat listing several items, with those still waiting in them."""
        return await feedback.lists_shown(self.db.reader, chat_id)

    async def card_lost(self, item_id: int, message_id: int) -> bool:
        """The item's card is no longer in the chat: it is posted again (with its media)."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await feedback.card_lost(conn, item_id, message_id)

        return await self.db.write(run)

    async def cards_due(self) -> int:
        """How many cards are due now."""
        now = self.clock()
        return await feedback.count_uncarded(
            self.db.reader, now, CARD_ATTEMPTS, untagged_since=now - IN_ORDER_FOR
        )

    async def begin_card(self, item_id: int) -> bool:
        """Record that the item's card is being sent, before sending; False if already begun."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await feedback.begin_card(conn, item_id, self.clock())

        return await self.db.write(run)

    async def card_posted(
        self, item_id: int, chat_id: int, message_id: int, batched: bool = False
    ) -> None:
        """Remember where an item's card (or the message listing it) was posted."""

        async def run(conn: aiosqlite.Connection) -> None:
            await feedback.set_card(conn, item_id, chat_id, message_id, batched)

        await self.db.write(run)

    async def card_failed(self, item_id: int, error: str) -> int:
        """Telegram refused the card: try again later, waiting longer each time; the
        number of attempts so far."""

        async def run(conn: aiosqlite.Connection) -> int:
            item = await feedback.moderated(conn, item_id)
            attempts = (item.card_attempts if item else 0) + 1
            retry_at = self.clock() + card_retry_after(attempts)
            return await feedback.card_failed(conn, item_id, error, retry_at)

        return await self.db.write(run)

    async def cards_back(self) -> int:
        """The bot is back in the moderators' group: cards refused while it was out are due
        at once (not after their backoff, nor left for /queue); how many."""

        async def run(conn: aiosqlite.Connection) -> int:
            # The group is there again: the next time it refuses the bot, the staff hear it.
            await reminders.lost_clear(conn)
            return await feedback.cards_due_again(conn)

        return await self.db.write(run)

    async def card_waits(self, item_id: int) -> None:
        """Telegram asked to wait (429) before the card could go: it is due again once the
        wait is over, and the wait is no failed try (it would count towards giving up)."""

        async def run(conn: aiosqlite.Connection) -> None:
            await feedback.card_waits(conn, item_id)

        await self.db.write(run)

    async def card_unsure(self, item_id: int, error: str) -> None:
        """The card may be in the chat: it stays begun, so it is not sent again unasked."""

        async def run(conn: aiosqlite.Connection) -> None:
            await feedback.card_unsure(conn, item_id, error)

        await self.db.write(run)

    async def card_seen(
        self, item_ids: list[int], chat_id: int, message_id: int, batched: bool
    ) -> list[int]:
        """A moderator pressed a card (or list) whose sending was in doubt: it arrived, so
        note where; the items it settled."""
        doubtful = []
        for item_id in item_ids:
            item = await feedback.moderated(self.db.reader, item_id)
            if item is not None and item.card_message_id is None and item.card_sending_at:
                doubtful.append(item_id)
        if not doubtful:
            return []

        async def run(conn: aiosqlite.Connection) -> list[int]:
            settled = []
            for item_id in doubtful:
                item = await feedback.moderated(conn, item_id)
                if item is None or item.card_message_id is not None:
                    continue
                if item.card_sending_at is None:
                    continue  # not sent by the sweep: not this message's item
                await feedback.set_card(conn, item_id, chat_id, message_id, batched)
                settled.append(item_id)
            return settled

        return await self.db.write(run)

    async def batch(self, chat_id: int, message_id: int) -> list[Card]:
        """The cards of the items one message lists together."""
        cards = []
        for item_id in await feedback.in_batch(self.db.reader, chat_id, message_id):
            card = await self.card(item_id)
            if card is not None:
                cards.append(card)
        return cards

    async def with_card(self, item_ids: list[int]) -> list[int]:
        """Which of these items have a card of their own in the chat (as far as the bot knows:
        a person may have deleted it)."""
        found = []
        for item_id in item_ids:
            item = await feedback.moderated(self.db.reader, item_id)
            if item is not None and item.card_message_id is not None and not item.card_batched:
                found.append(item_id)
        return found

    async def stuck(self) -> list[Stuck]:
        """Pending items whose card failed too often or may be missing."""
        # A card being sent now (perhaps waiting its turn under the group's limit of 20
        # messages a minute) is not in doubt yet.
        begun_before = self.clock() - timedelta(minutes=10)
        rows = await feedback.needing_a_look(self.db.reader, CARD_ATTEMPTS, begun_before)
        return [Stuck(*row) for row in rows]

    async def approve(self, who: Who, item_id: int, version: int) -> Outcome:
        """Publish the item's working text (redacted, maybe edited)."""
        return await self._decide(who, item_id, version, "approved", None)

    async def reject(self, who: Who, item_id: int, version: int, reason: Reason) -> Outcome:
        """Do not publish the item, for a reason the author will be told."""
        return await self._decide(who, item_id, version, "rejected", reason)

    async def _decide(
        self, who: Who, item_id: int, version: int, status: str, reason: Reason | None
    ) -> Outcome:
        released: list[int] = []

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            published = item.working_text if status == "approved" else None
            window = timedelta(minutes=self.deployment.moderation.undo_minutes)
            await feedback.decide(
                conn,
                item_id,
                status=status,
                published_text=published,
                reject_reason=reason,
                moderator=who.telegram_id,
                now=now,
                undo_until=now + window if window else None,
            )
            if not window:
                # Written down and approved, or rejected: the voice note's file_id is no
                # longer kept and the audio leaves the moderators' chat once the decision can
                # no longer be undone (now, without an undo window; else when it runs out,
                # `undo_ended`: an undo puts the item back in the queue with its audio, which
                # a card posted again must still carry).
                await media.release_voice(conn, item_id)
                await media.take_back_voice(conn, item_id, now)
            if published is not None:
                return {"status": status, "published_text": published}
            # Items merged into it (while it was back in the queue) count with it no more.
            released[:] = await _release_merged(conn, who, item_id, str(reason), now)
            after: dict[str, object] = {"status": status, "reason": str(reason)}
            if released:
                after["back_to_queue"] = list(released)
            return after

        async def check(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> Problem | None:
            editor = await feedback.editor_of(
                conn, item_id, now - EDIT_HOLD, other_than=who.telegram_id
            )
            if editor is not None:
                return Problem.BEING_EDITED
            if status == "approved" and not item.working_text.strip():
                return Problem.NEEDS_TRANSCRIPT
            return None

        outcome = await self._act(
            who, item_id, version, f"item.{status}", change, pending_only=True, check=check
        )
        return await self._with_released(outcome, released)

    async def undo(self, who: Who, item_id: int, version: int) -> Outcome:
        """Take back an approval or rejection within the undo window: pending again."""

        async def check(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> Problem | None:
            if item.status not in ("approved", "rejected"):
                return Problem.NOT_DECIDED
            if item.undo_until is None or now >= parse_stamp(item.undo_until):
                return Problem.TOO_LATE
            if await responses.answered(conn, item_id):
                return Problem.ANSWERED
            if await supporters.merged_in(conn, item_id):
                return Problem.MERGED_INTO
            if await supporters.counts(conn, [item_id]):
                return Problem.JOINED
            return None

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            told = await feedback.undo(conn, item_id, now)
            # Back in the queue: a photo a provider asked for meanwhile leaves their chat
            # (what a moderator takes back never reaches a provider).
            photos = [m.id for m in await media.of_item(conn, item_id) if m.kind == media.PHOTO]
            await media.take_back_given(conn, photos, now)
            return {"status": "pending", "author_told_before": told}

        return await self._act(
            who, item_id, version, "item.undone", change, pending_only=False, check=check
        )

    async def unpublish(
        self,
        who: Who,
        item_id: int,
        version: int | None,
        reason: str,
        update_id: int | None = None,
    ) -> Outcome:
        """Withdraw a published item, for a reason: it leaves everything providers read from
        now on (digests already sent stay as they were). `version` None: as it is now (a
        command); `update_id`: the command's update, so a replay does nothing."""
        reason = reason.strip()[:200]
        if not reason:
            return Outcome(None, Problem.EMPTY_REASON)
        if version is None:
            current = await feedback.moderated(self.db.reader, item_id)
            if current is None:
                return Outcome(None, Problem.NO_SUCH_ITEM)
            version = current.version

        async def check(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> Problem | None:
            return None if item.status == "approved" else Problem.NOT_PUBLISHED

        released: list[int] = []

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            await feedback.withdraw(conn, item_id, reason, who.telegram_id, now)
            # Unpublished within its approval's undo window, which ends here: its voice note
            # goes as at the window's end (done already for one unpublished after it).
            await media.release_voice(conn, item_id)
            await media.take_back_voice(conn, item_id, now)
            released[:] = await _release_merged(conn, who, item_id, reason, now)
            after: dict[str, object] = {"status": "withdrawn", "reason": reason}
            if released:
                after["back_to_queue"] = list(released)
            return after

        outcome = await self._act(
            who,
            item_id,
            version,
            "item.unpublished",
            change,
            pending_only=False,
            check=check,
            update_id=update_id,
        )
        return await self._with_released(outcome, released)

    async def _with_released(self, outcome: Outcome, released: list[int]) -> Outcome:
        """The outcome with the cards of the items it put back in the queue."""
        if outcome.problem is not None or not released:
            return outcome
        cards = [await self.card(i) for i in released]
        return replace(outcome, also=tuple(c for c in cards if c is not None))

    async def merge(
        self, who: Who, into: int, merged: int, update_id: int | None = None
    ) -> Outcome:
        """/merge A B: B says what published item A says. B's author supports A (counted
        with it, hears back on it once), and B leaves the queue and every count ('merged',
        its card says into which). Both must be the same service's; A published; B not
        merged already. Audited with B as the subject."""
        if into == merged:
            return Outcome(None, Problem.SAME_ITEM)

        async def check(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> Problem | None:
            target = await feedback.moderated(conn, into)
            if target is None:
                return Problem.NO_SUCH_ITEM
            if target.service_slug != item.service_slug:
                return Problem.OTHER_SERVICE
            if item.status == "merged" or target.status == "merged":
                return Problem.ALREADY_MERGED
            if item.status not in ("pending", "approved"):
                return Problem.TAKEN_DOWN
            if target.status != "approved" or not (target.published_text or "").strip():
                # Erased by its author, A still counts but shows no words: B's would go too.
                return Problem.NOT_PUBLISHED
            if not item.working_text.strip():
                # A voice note nobody wrote down: merged, its audio would go for good, and
                # were it ever back in the queue, no one could write it down.
                return Problem.NEEDS_TRANSCRIPT
            return None

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            await supporters.merge(conn, into, merged, who.telegram_id, now)
            # Answered already: B's author and supporters who hear back have the answer now.
            await responses.send_latest(conn, into, now)
            # Final, as an approval past its undo: its voice note's file is no longer kept
            # and the audio leaves the moderators' chat.
            await media.release_voice(conn, merged)
            await media.take_back_voice(conn, merged, now)
            # Its photos show the same thing: the provider sees them with the item it is now.
            await media.move_photos(conn, merged, into)
            return {"status": "merged", "into": into}

        current = await feedback.moderated(self.db.reader, merged)
        if current is None:
            return Outcome(None, Problem.NO_SUCH_ITEM)
        outcome = await self._act(
            who,
            merged,
            current.version,
            "item.merged",
            change,
            pending_only=False,
            check=check,
            update_id=update_id,
        )
        if outcome.problem is Problem.ALREADY_MERGED:
            # Which of the two it was, and where it counts now: the moderator's next step.
            for item_id in (merged, into):
                went = await supporters.merged_into(self.db.reader, item_id)
                if went is not None:
                    return replace(outcome, merged=(item_id, went))
        return outcome

    async def undo_ended(self) -> list[Card]:
        """Cards whose Undo has run out, to draw again without it (each once)."""
        now = self.clock()
        cards = []
        for item_id in await feedback.undo_ended(self.db.reader, now):

            async def run(conn: aiosqlite.Connection, i: int = item_id) -> Card | None:
                if not await feedback.end_undo(conn, i, now):
                    return None
                card = await self.card(i, conn)
                if card is not None and card.item.status in ("approved", "rejected"):
                    # Decided for good: its voice note is no longer kept and leaves the
                    # moderators' chat.
                    await media.release_voice(conn, i)
                    await media.take_back_voice(conn, i, now)
                return card

            card = await self.db.write(run)
            if card is not None:
                cards.append(card)
        return cards

    async def corrections_to_tell(self) -> list[AuthorNote]:
        """Authors told an outcome that a moderator then undid, not yet told so."""
        notes = []
        for item_id, telegram_id in await feedback.corrections(self.db.reader):
            item = await feedback.moderated(self.db.reader, item_id)
            if item is not None:
                notes.append(
                    AuthorNote(
                        item_id, telegram_id, item.service_name, item.status, None, False, ()
                    )
                )
        return notes

    async def claim_correction(self, item_id: int) -> bool:
        """Claim telling an author about an undone outcome; False if already claimed."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await feedback.claim_correction(conn, item_id)

        return await self.db.write(run)

    async def toggle_theme(
        self, who: Who, item_id: int, version: int, theme_id: str, on: bool | None = None
    ) -> Outcome:
        """Add or remove a theme (a moderator's correction, kept for training): switched to
        `on` when given (the author may have switched it meanwhile), else the other way."""
        if theme_id not in self.tagger.labels:
            return Outcome(None, Problem.STALE)

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            current = {t.theme_id: t.active for t in await feedback.themes_of(conn, item_id)}
            active = not current.get(theme_id, False) if on is None else on
            await feedback.set_theme(conn, item_id, theme_id, active, now)
            return {"theme": theme_id, "active": active}

        return await self._act(who, item_id, version, "item.themes", change, pending_only=False)

    async def set_kind(self, who: Who, item_id: int, version: int, kind: str) -> Outcome:
        """Set an item's kind (a moderator's correction, kept beside the model's for training)."""
        if kind not in KINDS:
            return Outcome(None, Problem.STALE)

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            await feedback.set_kind(conn, item_id, kind, who.telegram_id, now)
            return {"kind": kind, "model_kind": item.model_kind or item.kind}

        return await self._act(who, item_id, version, "item.kind", change, pending_only=False)

    async def edit(self, who: Who, text: str, reply_to: tuple[int, int] | None) -> Outcome:
        """The corrected text a moderator sent in reply (`reply_to`: chat id, message id) to
        the bot's edit prompt; a message that answers anything else is not an edit."""
        text = text.strip()
        pending = await feedback.pending_edit(self.db.reader, who.telegram_id)
        prompt = await feedback.edit_prompt(self.db.reader, who.telegram_id)
        if pending is None or prompt is None or reply_to != prompt:
            return Outcome(None, Problem.NO_EDIT)
        item_id, _ = pending
        current = await feedback.moderated(self.db.reader, item_id)
        if current is None:
            return Outcome(None, Problem.NO_SUCH_ITEM)
        # A theme toggled meanwhile does not spoil the edit; a decision does (below).
        version = current.version
        if not text:
            return Outcome(await self.card(item_id), Problem.EMPTY_TEXT)
        if len(text) > MAX_TEXT:
            return Outcome(await self.card(item_id), Problem.TOO_LONG)

        summarising = await feedback.pending_purpose(self.db.reader, who.telegram_id) == "summary"
        if _words(text) == _words((current.summary or "") if summarising else current.working_text):
            # Sent back as it is (spaces aside): nothing was corrected, so the card is not
            # marked and no change is recorded; the edit (or summary) ends all the same.
            await self.end_edit(who)
            return Outcome(await self.card(item_id), Problem.UNCHANGED)

        if summarising:

            async def summarise(
                conn: aiosqlite.Connection, item: Moderated, now: datetime
            ) -> dict[str, object]:
                await feedback.set_summary(conn, item_id, text, who.telegram_id, now)
                await feedback.clear_pending_edit(conn, who.telegram_id)
                await feedback.outdate_edits(conn, item_id, "summary", who.telegram_id)
                return {"summary": text}

            return await self._unless_outdated(
                who,
                await self._act(
                    who, item_id, version, "item.summary", summarise, True, self._fresh(who)
                ),
            )

        # A voice note's words typed for the first time are its text: tagged and redacted as
        # typed words are (done before the transaction: the model takes its time).
        heard = None
        if not without_voice(current.text):
            found = await self._tag_one(item_id, text)
            heard = found if found is not None and found.redacted_text.strip() else None

        async def change(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> dict[str, object]:
            if heard is not None and not without_voice(item.text):
                await feedback.save_transcript(conn, item_id, text=text, now=now, **_stored(heard))
            else:
                await feedback.set_edited_text(conn, item_id, text, now)
            await feedback.clear_pending_edit(conn, who.telegram_id)
            await feedback.outdate_edits(conn, item_id, "edit", who.telegram_id)
            return {"edited_text": text}

        return await self._unless_outdated(
            who,
            await self._act(who, item_id, version, "item.edited", change, True, self._fresh(who)),
        )

    @staticmethod
    def _fresh(
        who: Who,
    ) -> Callable[[aiosqlite.Connection, Moderated, datetime], Awaitable[Problem | None]]:
        """A check for `_act`: the text a moderator's prompt was given for is still the
        item's (no other moderator saved theirs since)."""

        async def check(
            conn: aiosqlite.Connection, item: Moderated, now: datetime
        ) -> Problem | None:
            if await feedback.outdated_by(conn, who.telegram_id) is not None:
                return Problem.EDIT_OUTDATED
            return None

        return check

    async def _unless_outdated(self, who: Who, outcome: Outcome) -> Outcome:
        """A reply written against a text another moderator replaced since is not saved (it
        would undo theirs unseen): the edit ends, holding the item up no longer."""
        if outcome.problem is not Problem.EDIT_OUTDATED:
            return outcome
        saver = await feedback.outdated_by(self.db.reader, who.telegram_id)
        name = "" if saver is None else await _staff_name(self.db.reader, saver)
        await self.end_edit(who)
        return Outcome(outcome.card, outcome.problem, by=name)

    async def begin_edit(
        self,
        who: Who,
        item_id: int,
        version: int,
        prompt_chat_id: int,
        prompt_message_id: int,
        purpose: str = "edit",
    ) -> Problem | None:
        """A moderator pressed edit (or summary, `purpose` "summary"): their next reply is
        the corrected text (or the summary in the deployment's default language)."""
        if not who.moderates:
            return Problem.NOT_ALLOWED

        async def run(conn: aiosqlite.Connection) -> Problem | None:
            item = await feedback.moderated(conn, item_id)
            if item is None:
                return Problem.NO_SUCH_ITEM
            if item.version != version:
                return Problem.STALE
            if item.status != "pending":
                return Problem.ALREADY_DECIDED
            since = self.clock() - EDIT_HOLD
            if await feedback.editor_of(conn, item_id, since, purpose, who.telegram_id) is not None:
                return Problem.EDIT_TAKEN
            await feedback.set_pending_edit(
                conn,
                who.telegram_id,
                item_id,
                version,
                prompt_chat_id,
                prompt_message_id,
                self.clock(),
                purpose,
            )
            return None

        return await self.db.write(run)

    async def other_editor(self, who: Who, item_id: int, purpose: str = "edit") -> str | None:
        """Another moderator whose prompt to correct this item's text (or, `purpose`
        "summary", to summarise it) is open and holds it: their name ("" when not known),
        or None."""
        since = self.clock() - EDIT_HOLD
        editor = await feedback.editor_of(self.db.reader, item_id, since, purpose, who.telegram_id)
        return None if editor is None else await _staff_name(self.db.reader, editor)

    async def cancel_edit(self, who: Who) -> bool:
        """Forget a moderator's pending edit; True if there was one."""
        return await self.end_edit(who) is not None

    async def end_edit(self, who: Who) -> tuple[int, tuple[int, int]] | None:
        """End a moderator's pending edit: the item and where its prompt is, or None."""

        async def run(conn: aiosqlite.Connection) -> tuple[int, tuple[int, int]] | None:
            pending = await feedback.pending_edit(conn, who.telegram_id)
            prompt = await feedback.edit_prompt(conn, who.telegram_id)
            if pending is None or prompt is None:
                return None
            await feedback.clear_pending_edit(conn, who.telegram_id)
            return pending[0], prompt

        return await self.db.write(run)

    async def edits_in(self, chat_id: int) -> list[feedback.OpenEdit]:
        """The open edit (and summary) prompts in a chat, oldest first."""
        return await feedback.edits_in(self.db.reader, chat_id)

    async def edit_moved(self, moderator: int, old: tuple[int, int], new: tuple[int, int]) -> bool:
        """A moderator's open edit prompt was posted again at `new` (its group moved): the
        reply to it is taken there. False when the edit ended (or moved) meanwhile."""
        return await self.db.write(
            lambda conn: feedback.move_edit_prompt(conn, moderator, old, new)
        )

    async def drop_edit(self, moderator: int, prompt: tuple[int, int]) -> bool:
        """Let go of a moderator's open edit whose prompt at `prompt` nobody can answer (the
        others may decide the item at once); False when it had ended or moved meanwhile."""
        return await self.db.write(lambda conn: feedback.clear_edit_at(conn, moderator, prompt))

    async def edit_prompt(self, who: Who) -> tuple[int, int] | None:
        """Where the prompt of a moderator's pending edit is (chat id, message id)."""
        return await feedback.edit_prompt(self.db.reader, who.telegram_id)

    async def summarising(self, who: Who) -> bool:
        """Whether a moderator's pending reply is a summary (not a corrected text)."""
        return await feedback.pending_purpose(self.db.reader, who.telegram_id) == "summary"

    async def others_prompt(self, who: Who, prompt: tuple[int, int]) -> int | None:
        """The item whose edit prompt this message (chat id, message id) is, when the prompt
        is another moderator's."""
        found = await feedback.prompt_of(self.db.reader, *prompt)
        if found is None or found[0] == who.telegram_id:
            return None
        return found[1]

    async def editing(self, who: Who) -> int | None:
        """The item a moderator is editing, if any."""
        pending = await feedback.pending_edit(self.db.reader, who.telegram_id)
        return pending[0] if pending else None

    async def original(self, who: Who, item_id: int) -> str | Problem:
        """The text as the citizen wrote it (moderators only); the viewing is audited."""
        return await self._viewed(who, item_id, "item.original_viewed", whole=False)

    async def whole_text(self, who: Who, item_id: int) -> str | Problem:
        """The text a shortened card quotes, whole (moderators only); the viewing is audited."""
        return await self._viewed(who, item_id, "item.text_viewed", whole=True)

    async def _viewed(self, who: Who, item_id: int, action: str, whole: bool) -> str | Problem:
        if not who.moderates:
            return Problem.NOT_ALLOWED
        card = await self.card(item_id)
        if card is None:
            return Problem.NO_SUCH_ITEM

        async def run(conn: aiosqlite.Connection) -> None:
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action=action,
                subject=f"item:{item_id}",
                now=self.clock(),
            )

        await self.db.write(run)
        return card.shown_text if whole else card.item.text

    async def queue(self) -> Queue:
        """How many items wait, and the oldest."""
        count, oldest = await feedback.waiting(self.db.reader)
        return Queue(count, [(i, name, parse_stamp(at)) for i, name, at in oldest])

    async def overdue(self) -> Queue | None:
        """The queue, if its oldest item has waited longer than the deployment allows."""
        queue = await self.queue()
        limit = timedelta(minutes=self.deployment.moderation.remind_after_minutes)
        if queue.oldest and self.clock() - queue.oldest[0][2] > limit:
            return queue
        return None

    async def reminder_due(self) -> tuple[Queue, datetime] | None:
        """The overdue queue and the time of the reminder to give of it now, claimed (once
        in each reminder period, across restarts and instances); None when none is due.
        While nothing is overdue the last reminder is forgotten: the next overdue item is
        reminded of at once."""
        queue = await self.overdue()
        if queue is None:
            if await reminders.last(self.db.reader) is not None:
                await self.db.write(reminders.clear)
            return None
        now = self.clock()
        every = timedelta(minutes=self.deployment.moderation.remind_after_minutes)

        async def run(conn: aiosqlite.Connection) -> bool:
            return await reminders.claim(conn, now, every)

        return (queue, now) if await self.db.write(run) else None

    async def reminder_not_sent(self, at: datetime) -> None:
        """The reminder claimed `at` did not reach the moderators: the next check tries."""

        async def run(conn: aiosqlite.Connection) -> None:
            await reminders.release(conn, at)

        await self.db.write(run)

    async def chat_lost(self, chat_id: int) -> datetime | None:
        """The moderators' group `chat_id` refuses the bot for good: the time of the telling
        of the staff, claimed (once until the group is reached again, across restarts and
        instances); None when they were told already."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> bool:
            return await reminders.lost_claim(conn, chat_id, now)

        return now if await self.db.write(run) else None

    async def chat_lost_untold(self, at: datetime) -> None:
        """The telling claimed `at` reached nobody: the next refused card or reminder check
        tries again."""

        async def run(conn: aiosqlite.Connection) -> None:
            await reminders.lost_release(conn, at)

        await self.db.write(run)

    async def chat_reached(self) -> None:
        """Something reached the moderators' group: the next time it refuses the bot, the
        staff are told again (a read only, while nothing was told)."""
        if await reminders.lost_told(self.db.reader):
            await self.db.write(reminders.lost_clear)

    async def authors_to_tell(self) -> list[AuthorNote]:
        """Decided items whose author has not been told yet."""
        notes = []
        for item_id, telegram_id in await feedback.untold(self.db.reader):
            item = await feedback.moderated(self.db.reader, item_id)
            if item is None:
                continue
            published = item.published_text or item.text
            kinds = tuple(removed_kinds(item.text, published, json.loads(item.redactions or "[]")))
            notes.append(
                AuthorNote(
                    item_id=item_id,
                    telegram_id=telegram_id,
                    service_name=item.service_name,
                    status=item.status,
                    reason=item.reject_reason,
                    changed=(item.published_text or item.text) != item.text,
                    redacted_kinds=kinds,
                    edited=item.edited_text is not None
                    and item.edited_text != (item.redacted_text or item.text),
                )
            )
        return notes

    async def claim_telling(self, item_id: int) -> bool:
        """Claim telling the author of an item; False if another path already has."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await feedback.claim_telling(conn, item_id, self.clock())

        return await self.db.write(run)

    async def telling_failed(self, item_id: int) -> None:
        """The author certainly was not told: a later sweep tries again."""

        async def run(conn: aiosqlite.Connection) -> None:
            await feedback.release_telling(conn, item_id)

        await self.db.write(run)

    async def _act(
        self,
        who: Who,
        item_id: int,
        version: int,
        action: str,
        change: object,
        pending_only: bool,
        check: Callable[[aiosqlite.Connection, Moderated, datetime], Awaitable[Problem | None]]
        | None = None,
        update_id: int | None = None,
    ) -> Outcome:
        if not who.moderates:
            return Outcome(None, Problem.NOT_ALLOWED)

        async def run(conn: aiosqlite.Connection) -> Outcome:
            now = self.clock()
            if update_id is not None and not await updates.claim(conn, update_id, now):
                return Outcome(None, Problem.REPLAYED)
            item = await feedback.moderated(conn, item_id)
            if item is None:
                return Outcome(None, Problem.NO_SUCH_ITEM)
            if pending_only and item.status != "pending":
                return Outcome(await self.card(item_id, conn), Problem.ALREADY_DECIDED)
            problem = await check(conn, item, now) if check is not None else None
            if problem is not None:
                return Outcome(await self.card(item_id, conn), problem)
            if not await feedback.bump(conn, item_id, version):
                return Outcome(await self.card(item_id, conn), Problem.STALE)
            before = {
                "status": item.status,
                "kind": item.kind,
                "text": item.working_text,
                "themes": [t.theme_id for t in await feedback.themes_of(conn, item_id) if t.active],
            }
            after = await change(conn, item, now)  # type: ignore[operator]
            await audit.record(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action=action,
                subject=f"item:{item_id}",
                before=before,
                after=after,
                now=now,
            )
            return Outcome(await self.card(item_id, conn))

        return await self.db.write(run)


async def _release_merged(
    conn: aiosqlite.Connection, who: Who, item_id: int, reason: str, now: datetime
) -> list[int]:
    """The item counts nowhere from now on: the items merged into it said the same in
    their own words, and stand on their own again with their photos, published as they
    were or back in the queue (else they would count nowhere too, and a merge into such an
    item is refused); their ids. Those merged into them stay so, their photos going back
    with them."""
    released = await supporters.unmerge_all(conn, item_id, now)
    for merged, status in released:
        inside = await supporters.merged_under(conn, merged)
        await media.move_photos_back(conn, item_id, merged, inside)
        await audit.record(
            conn,
            actor=who.telegram_id,
            actor_role=who.label,
            action="item.unmerged",
            subject=f"item:{merged}",
            before={"status": "merged", "into": item_id},
            after={"status": status, "reason": reason},
            now=now,
        )
    return [merged for merged, _ in released]


def item_languages(deployment: Deployment) -> tuple[str, ...]:
    """The languages an item of this deployment may be written in, as nlp.language knows
    them: the deployment's own first, then `[moderation] item_languages` (or the default
    list)."""
    from nlp.language import COMMUNITY, candidates

    others = deployment.moderation.item_languages or ["en", "cy", *COMMUNITY]
    return candidates(deployment.languages, others)


async def _staff_name(conn: aiosqlite.Connection, telegram_id: int) -> str:
    held = await staff.active_roles(conn, telegram_id)
    names = [r.display_name for r in held if r.display_name]
    return names[0] if names else ""


def _stored(tagging: Tagging) -> dict[str, Any]:
    """What tagging found, as storage keeps it."""
    return {
        "kind": tagging.kind,
        "redacted_text": tagging.redacted_text,
        "redactions": json.dumps([r.__dict__ for r in tagging.redactions], ensure_ascii=False),
        "flags": json.dumps([f.__dict__ for f in tagging.flags], ensure_ascii=False),
        "kind_score": tagging.kind_score,
        "also_kinds": json.dumps(list(tagging.also_kinds)),
        "language": tagging.language,
        "language_score": tagging.language_score,
        "themes": [
            (t.id, t.score, t.source, json.dumps(t.evidence, ensure_ascii=False))
            for t in tagging.themes
        ],
    }

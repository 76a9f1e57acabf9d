"""A citizen's voice notes and photos, in their conversation (no Telegram types here).

A voice note stands for the words of an item: the conversation goes on to the service and
rating as after typed words, and the item is saved with the words typed besides (or none)
until a moderator types the transcript. A photo joins the item being told (up to
MAX_PHOTOS); with nothing being told it is refused kindly, unless it is a photo of an album
(a Telegram media group): an album's words may be on any of its photos, each its own
message, so its photos before the words are kept waiting for them (`waiting`), and join the
conversation the words start (`Intake.text`). Each step returns a Step with Show.MEDIA and a
note saying what happened, or the conversation's next question.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import aiosqlite

from bot.intake import (
    MAX_TEXT,
    REPLAYED,
    SIDE_PROMPTS,
    TELLING,
    VOICE_MARK,
    Clock,
    Show,
    State,
    Step,
    _advance,
    _consented,
    _show,
    _take_waiting,
    knowing,
)
from bot.media import MAX_PHOTOS, MediaSettings
from bot.moderation import CARD_ATTEMPTS, _staff_name
from bot.outbox import RETRY_LEAST, backoff
from bot.places import Places
from bot.roles import Who, services_spoken_for
from storage import audit, citizens, conversations, feedback, media, traces, updates
from storage.conversations import Conversation
from storage.db import Database
from storage.media import OwedNote


def with_transcript(text: str, transcript: str) -> str | None:
    """The conversation's words with a confirmed draft transcript in them: in the voice
    note's place when it stood for the words (before anything typed after it), after
    words typed before it otherwise. None when it is in already or would not fit."""
    if transcript in text:
        return None
    if text.startswith(VOICE_MARK):
        rest = text.removeprefix(VOICE_MARK).strip("\n")
        joined = f"{VOICE_MARK}{transcript}" + (f"\n{rest}" if rest else "")
    else:
        joined = f"{text}\n{transcript}" if text else f"{VOICE_MARK}{transcript}"
    return joined if len(joined) <= MAX_TEXT else None


# A voice note or photo taken to be posted this long ago and never recorded as posted (its
# instance died on the way) is taken again by the next posting under its card: sending,
# with its retries, takes seconds.
POSTING_STALE = timedelta(minutes=10)
# A photo's buttons can be pressed as soon as its message is in the moderators' chat, before
# its poster (this process or another instance) has recorded which message carries it: the
# press waits this long for the record, then the moderator is asked to press again. Short:
# the moderators' chat's next updates wait behind it (each chat's go in order), and the
# record normally follows the message within milliseconds.
PRESS_WAITS = 5.0
# How often a waiting press looks for a record made by another instance (one made by this
# process wakes it at once).
PRESS_LOOKS_EVERY = 0.2
# What `decide_photo` says of a press on a photo whose message is not recorded yet.
ON_ITS_WAY = "on_its_way"
# A press on a copy of a photo that is gone (forgotten, past retention): see `take_down`.
GONE = "gone"
# A note on photos that joined a saved item, owed after a passing fault, is told only this
# long after it was first due (tried at each round of the answer-again job meanwhile).
NOTE_OWED_FOR = timedelta(hours=1)
# The most photos of one album kept waiting for its words: Telegram's apps send up to ten
# in one album (an item takes MAX_PHOTOS of them; the rest are refused once words come).
ALBUM_MOST = 10


@dataclass(frozen=True)
class PhotoDecision:
    """A moderator's decision on a photo, as its caption under the card says it."""

    item_id: int
    # The photo's number on its item.
    number: int
    status: str
    # Who decided it (the first moderator, pressed again for the same status).
    decided_by: int | None
    # Other copies of it under the card (posted twice) were queued to be taken back.
    copies_gone: bool = False
    # The message (chat id, message id) whose caption shows the decision, where it is not
    # the pressed one: pressed on a copy taken back as one too many (another press kept the
    # other copy), it is the copy that stays; None if none stays.
    shown_on: tuple[int, int] | None = None
    # Pressed on a copy taken back as one too many: the decision is the photo's, shown on
    # `shown_on`; the pressed copy goes.
    on_duplicate: bool = False


class Attachments:
    """Voice notes and photos joining the citizen conversation, over one database."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: MediaSettings,
        places: Places | None = None,
        waiting: timedelta = timedelta(minutes=30),
    ) -> None:
        self.db = db
        # How long an album's photos wait for words (as long as a quiet conversation).
        self.waiting = waiting
        # The services' sites: a voice note at the "which site?" question shows it again.
        self.places = places
        self.clock = clock
        self.settings = settings
        # Set when this process records a voice note or photo as posted (then replaced): a
        # press waiting for that record is woken at once.
        self._recorded = asyncio.Event()

    async def photo_refused(self, telegram_id: int, album: str | None = None) -> Step | None:
        """What to say of a photo that cannot join an item now (None if it can): checked
        before downloading. Of an item already saved, it names the item. A photo of an
        `album` with nothing being told can wait for its album's words."""
        current = await self._conversation(self.db.reader, telegram_id)
        if current == "no_item":
            item, why = await self._saved_room(self.db.reader, telegram_id)
            if why and album is not None:
                return await self._no_wait(self.db.reader, telegram_id, album)
            return Step(Show.MEDIA, note=why, reference=item.id if item else None) if why else None
        why = await self.photo_room(telegram_id)
        return Step(Show.MEDIA, note=why) if why else None

    async def photo_room(self, telegram_id: int) -> str:
        """Why a photo cannot join an item now ("" if it can): checked before downloading.
        "consent", "no_item", "too_many", "side_prompt" or "saved_checked"."""
        reader = self.db.reader
        current = await self._conversation(reader, telegram_id)
        if current == "no_item":
            return (await self._saved_room(reader, telegram_id))[1]
        if isinstance(current, str):
            return current
        if current.state in SIDE_PROMPTS:
            return "side_prompt"
        kept = await media.of_conversation(reader, current.citizen_id, current.seq)
        if sum(m.kind == media.PHOTO for m in kept) >= MAX_PHOTOS:
            return "too_many"
        return ""

    async def photo(
        self,
        update_id: int | None,
        telegram_id: int,
        data: bytes,
        *,
        after_text: bool = False,
        album: str | None = None,
    ) -> Step:
        """Keep a cleaned photo with the item being told. `update_id` None: the update was
        claimed already (the photo's caption went on as words first). A photo of an
        `album` (one without words) that nothing being told can take waits for its
        album's words: note "waiting", `total` the album's photos waiting now."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if update_id is not None and not await updates.claim(conn, update_id, now):
                return REPLAYED
            current = await self._conversation(conn, telegram_id)
            if current == "no_item":
                return await self._to_saved(conn, telegram_id, data, now, album)
            if isinstance(current, str):
                return Step(Show.MEDIA, note=current)
            if current.state in SIDE_PROMPTS:
                return Step(Show.MEDIA, note="side_prompt")
            kept = await media.of_conversation(conn, current.citizen_id, current.seq)
            photos = sum(m.kind == media.PHOTO for m in kept)
            if photos >= MAX_PHOTOS:
                return Step(Show.MEDIA, seq=current.seq, note="too_many")
            await media.add(
                conn,
                citizen_id=current.citizen_id,
                seq=current.seq,
                kind=media.PHOTO,
                now=now,
                data=data,
            )
            await conversations.save(conn, current, now)
            note = "photo_added_words" if after_text else "photo_added"
            return Step(Show.MEDIA, seq=current.seq, note=note, total=photos + 1)

        return await self.db.write(run)

    async def _saved_room(
        self, conn: aiosqlite.Connection, telegram_id: int
    ) -> tuple[feedback.Moderated | None, str]:
        """With nothing being told, the item just saved a photo may join: the citizen's most
        recent, while no moderator has decided on it (their photos are checked on its card).
        The item, and why it cannot ("" if it can): "no_item" (none, the latest is a comment
        or an answer, which take no photos, or a conversation began after it: a "me too" on
        someone else's item, a report given up), "saved_checked" or "too_many"."""
        citizen = await citizens.by_telegram_id(conn, telegram_id)
        latest = await feedback.latest_of(conn, citizen.id) if citizen else None
        if latest is None or latest.response_id is not None or latest.ask_id is not None:
            return None, "no_item"
        assert citizen is not None
        if await feedback.conversation_of(conn, latest.id) != citizen.conversation_seq:
            return None, "no_item"
        if latest.status != "pending":
            return latest, "saved_checked"
        photos = sum(m.kind == media.PHOTO for m in await media.of_item(conn, latest.id))
        return latest, "too_many" if photos >= MAX_PHOTOS else ""

    async def _to_saved(
        self,
        conn: aiosqlite.Connection,
        telegram_id: int,
        data: bytes,
        now: datetime,
        album: str | None = None,
    ) -> Step:
        """A photo sent just after an item was saved joins it, if it still can; one of an
        `album` waits for its album's words: they may be on a later photo, and start an item
        that the album goes with (if none come, it joins the saved item if it still can:
        `join_saved`)."""
        item, why = await self._saved_room(conn, telegram_id)
        citizen_id = await _citizen_id(conn, telegram_id)
        if album is not None and citizen_id is not None:
            refused = await self._no_wait(conn, telegram_id, album)
            if refused is not None:
                return refused
            # The latest album is the one waiting: an earlier one's photos give way to it,
            # but not those the citizen was told are kept for their next words.
            await media.drop_waiting(conn, citizen_id, but=album)
            total = await media.add_waiting(conn, citizen_id, album, data, now)
            return Step(Show.MEDIA, note="waiting", total=total)
        if item is None or why:
            return Step(Show.MEDIA, note=why, reference=item.id if item else None)
        assert citizen_id is not None
        await media.add_to_item(conn, citizen_id, item.id, data, now)
        photos = sum(m.kind == media.PHOTO for m in await media.of_item(conn, item.id))
        return Step(Show.MEDIA, note="photo_added_saved", reference=item.id, total=photos)

    async def _no_wait(
        self, conn: aiosqlite.Connection, telegram_id: int, album: str
    ) -> Step | None:
        """Why a photo of `album` cannot wait for its words (None if it can): as many
        photos as an album holds wait already (ALBUM_MOST: this album's, and those of
        earlier albums the citizen was told are kept)."""
        citizen_id = await _citizen_id(conn, telegram_id)
        if (
            citizen_id is not None
            and await media.kept_waiting(conn, citizen_id, album) >= ALBUM_MOST
        ):
            return Step(Show.MEDIA, note="too_many")
        return None

    async def join_saved(self, telegram_id: int, album: str) -> Step | None:
        """No words came with an album sent with nothing being told: its photos waiting for
        them (none told of yet) join the item just saved, if it can still take photos, as
        far as it has room (the rest go). What to tell the citizen (note "photo_added_saved"
        or "album_added_saved", the item's photos now, `photos_left` those that went); None
        when they did not join (they wait for the next words, to be told so)."""

        async def run(conn: aiosqlite.Connection) -> Step | None:
            item, why = await self._saved_room(conn, telegram_id)
            citizen_id = await _citizen_id(conn, telegram_id)
            if item is None or why or citizen_id is None:
                return None
            photos = sum(m.kind == media.PHOTO for m in await media.of_item(conn, item.id))
            joined, left = await media.waiting_to_item(
                conn, citizen_id, album, item.id, MAX_PHOTOS - photos
            )
            if not joined:
                return None
            note = "album_added_saved" if joined > 1 else "photo_added_saved"
            return Step(
                Show.MEDIA, note=note, reference=item.id, total=photos + joined, photos_left=left
            )

        return await self.db.write(run)

    async def tell_waiting(self, telegram_id: int, album: str) -> int:
        """How many of an album's photos wait for words and are to be told of now (0 when
        none wait, or the citizen was told already: once an album, on any instance)."""

        async def run(conn: aiosqlite.Connection) -> int:
            citizen_id = await _citizen_id(conn, telegram_id)
            return 0 if citizen_id is None else await media.tell_waiting(conn, citizen_id, album)

        return await self.db.write(run)

    async def untell_waiting(self, telegram_id: int, album: str) -> None:
        """The note on an album's waiting photos was lost to a passing fault: it is to be
        told at a later round (if they still wait)."""

        async def run(conn: aiosqlite.Connection) -> None:
            citizen_id = await _citizen_id(conn, telegram_id)
            if citizen_id is not None:
                await media.untell_waiting(conn, citizen_id, album)

        await self.db.write(run)

    async def owe_joined_note(
        self,
        telegram_id: int,
        step: Step,
        wait: timedelta | None = None,
        owed: OwedNote | None = None,
    ) -> None:
        """The note on photos that joined a saved item (`step`, of `join_saved`) met a
        passing fault: owed, told by a later round after `wait` (Telegram's retry_after) or
        its own backoff; `owed`: the owed note whose telling failed again."""
        attempts = (owed.attempts if owed is not None else 0) + 1
        now = self.clock()
        wait = backoff(attempts) if wait is None else max(wait, RETRY_LEAST)
        first = owed.owed_at if owed is not None else now
        assert step.reference is not None

        async def run(conn: aiosqlite.Connection) -> None:
            citizen_id = await _citizen_id(conn, telegram_id)
            if citizen_id is None or await feedback.get(conn, step.reference or 0) is None:
                return  # forgotten meanwhile: nothing of theirs to tell
            counts = (step.total, step.photos_left)
            await media.owe_note(
                conn,
                citizen_id,
                step.reference or 0,
                step.note,
                counts,
                attempts,
                (now + wait, first),
            )

        await self.db.write(run)

    async def owed_joined_notes(self) -> list[tuple[OwedNote, Step]]:
        """Owed notes on photos that joined a saved item, due now, taken to be told (once):
        each with the step that says it. Those owed longer than NOTE_OWED_FOR go untold."""
        if not await media.any_owed_notes(self.db.reader):
            return []
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> list[OwedNote]:
            return await media.take_owed_notes(conn, now)

        due = []
        for owed in await self.db.write(run):
            if now - owed.owed_at > NOTE_OWED_FOR:
                continue  # "added to #N" out of the blue, much later, would puzzle more than help
            step = Step(
                Show.MEDIA,
                note=owed.note,
                reference=owed.feedback_id,
                total=owed.photos,
                photos_left=owed.photos_left,
            )
            due.append((owed, step))
        return due

    async def words_came(self, telegram_id: int, album: str) -> bool:
        """Whether words came with a message of this album already (any instance)."""
        citizen_id = await _citizen_id(self.db.reader, telegram_id)
        return citizen_id is not None and await media.had_words(self.db.reader, citizen_id, album)

    async def chat_busy(self, telegram_id: int) -> bool:
        """Whether the citizen's chat has updates received and not handled yet (the rest of
        an album, behind a slow photo or a restart)."""
        return await updates.waiting_in(self.db.reader, telegram_id)

    async def untold_albums(self, quiet_for: timedelta) -> list[tuple[int, str]]:
        """Albums whose photos wait for words, quiet for `quiet_for` and not told of yet (the
        job that would have told them was lost to a restart): (telegram id, album)."""
        reader = self.db.reader
        found = []
        for citizen_id, album in await media.untold_albums(reader, self.clock() - quiet_for):
            telegram_id = await citizens.telegram_id_of(reader, citizen_id)
            if telegram_id is not None:
                found.append((telegram_id, album))
        return found

    async def drop_waiting(self) -> int:
        """Albums' photos that waited for words longer than `waiting` go: none came."""

        async def run(conn: aiosqlite.Connection) -> int:
            return await media.drop_waiting_before(conn, self.clock() - self.waiting)

        return await self.db.write(run)

    async def card_of(self, item_id: int) -> tuple[int, int] | None:
        """Where an item's own card is in the moderators' chat (chat, message); None while
        it has none."""
        item = await feedback.moderated(self.db.reader, item_id)
        if item and item.card_chat_id and item.card_message_id and not item.card_batched:
            return item.card_chat_id, item.card_message_id
        return None

    async def voice(
        self,
        update_id: int,
        telegram_id: int,
        file_id: str,
        duration: int,
        captioned: bool = False,
    ) -> Step:
        """A voice note as the words of an item (or besides words already typed).
        `captioned`: its words went on first, from the same update (claimed by them): the
        voice note goes with them, the question they led to left as it is."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not captioned and not await updates.claim(conn, update_id, now):
                return REPLAYED
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None or not await _consented(conn, citizen.id):
                # Agreeing comes first, whatever the voice note (too long, empty).
                return Step(Show.MEDIA, note="consent")
            if duration <= 0:
                return Step(Show.MEDIA, note="voice_empty")
            if duration > self.settings.voice_max_seconds:
                limit = self.settings.voice_max_seconds
                return Step(Show.MEDIA, note="voice_too_long", total=limit)
            current = await conversations.get(conn, citizen.id)
            if current is not None and current.state in SIDE_PROMPTS:
                return Step(Show.MEDIA, note="side_prompt")
            # The item just saved, which this voice note does not join: said plainly.
            before = None
            if current is None:
                before = await self._just_saved(conn, citizen.id, citizen.conversation_seq)
                seq = await citizens.next_conversation_seq(conn, citizen.id)
                current = Conversation(citizen.id, seq, State.SERVICE)
            kept = await media.of_conversation(conn, citizen.id, current.seq)
            if any(m.kind == media.VOICE for m in kept):
                # Typed words join a voice note up to the rating, not past it.
                typed = current.state in (State.TEXT, State.RATING)
                return Step(
                    Show.MEDIA, seq=current.seq, note="voice_once" if typed else "voice_one"
                )
            await media.add(
                conn,
                citizen_id=citizen.id,
                seq=current.seq,
                kind=media.VOICE,
                now=now,
                file_id=file_id,
                duration=duration,
            )
            if current.text and captioned:
                # Its own words led to the question shown with it.
                return Step(Show.MEDIA, seq=current.seq, note="voice_added")
            if current.text:
                # Besides words already typed: the item goes on as it was, at the question
                # shown next (the rating, so a "me too" list above no longer waits for a
                # typed number: its buttons still work).
                current = current.but(offered=False)
                await conversations.save(conn, current, now)
                step = await _show(conn, current)
                return replace(step, note="voice_added")
            if current.state == State.TEXT:
                current = current.but(state=State.RATING)
            step = await _advance(conn, current.but(text=VOICE_MARK), now, note="voice_kept")
            # The item's words, as typed ones are: an album's photos waiting for words join.
            step = await _take_waiting(conn, telegram_id, step, None)
            if before is not None and step.note == "voice_kept":
                step = replace(step, note="voice_new_item", reference=before)
            return step

        with knowing(self.places):
            return await self.db.write(run)

    @staticmethod
    async def _just_saved(conn: aiosqlite.Connection, citizen_id: int, seq: int) -> int | None:
        """The item the citizen saved last, when nothing was begun since (a voice note now
        starts a new item, not a part of it); None otherwise."""
        latest = await feedback.latest_of(conn, citizen_id)
        if latest is None or latest.response_id is not None or latest.ask_id is not None:
            return None
        return latest.id if await feedback.conversation_of(conn, latest.id) == seq else None

    async def voice_to_transcribe(self, telegram_id: int, file_id: str) -> int | None:
        """The id of this voice note (`file_id`) if it is still in the conversation under way
        without a draft transcript. By its file_id: a job that starts late must not take the
        voice note sent after a /cancel for its own (that one has its own job)."""
        current = await self._conversation(self.db.reader, telegram_id)
        if isinstance(current, str):
            return None
        for item in await media.of_conversation(self.db.reader, current.citizen_id, current.seq):
            if item.kind == media.VOICE and item.file_id == file_id and item.transcript is None:
                return item.id
        return None

    async def still_told(self, media_id: int) -> bool:
        """Whether a voice note is still in a conversation under way (a draft of it could
        still be confirmed)."""
        found = await media.get(self.db.reader, media_id)
        return found is not None and found.feedback_id is None

    async def silent_note(self, media_id: int) -> str | None:
        """What to say of a voice note in which the engine heard no words: "voice_silent"
        while typed words still join it (its item's words, or the rating, being asked),
        "voice_silent_kept" when they would not (the service, a site or the last questions
        asked: typing there answers them); None once it is in no conversation under way."""
        reader = self.db.reader
        found = await media.get(reader, media_id)
        if found is None or found.feedback_id is not None:
            return None
        current = await conversations.get(reader, found.citizen_id)
        if current is None:
            return None
        kept = await media.of_conversation(reader, current.citizen_id, current.seq)
        if all(m.id != media_id for m in kept):
            return None
        typing_joins = current.state in (State.TEXT, State.RATING)
        return "voice_silent" if typing_joins else "voice_silent_kept"

    async def draft_transcript(self, media_id: int, text: str) -> bool:
        """The engine's draft, kept for the citizen to confirm; False (nothing kept) when the
        voice note is no longer in a conversation (the item was saved, cancelled or forgotten
        meanwhile): there is nothing left to confirm."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await media.set_draft_transcript(conn, media_id, text)

        return await self.db.write(run)

    async def confirm_transcript(
        self, update_id: int, telegram_id: int, media_id: int, yes: bool
    ) -> Step:
        """The citizen says the draft transcript is right (it becomes the item's words, the
        moderators still checking it against the audio) or not (they type it)."""

        async def run(conn: aiosqlite.Connection) -> Step:
            now = self.clock()
            if not await updates.claim(conn, update_id, now):
                return REPLAYED
            current = await self._conversation(conn, telegram_id)
            found = await media.get(conn, media_id)
            if isinstance(current, str) or found is None or found.transcript is None:
                return Step(Show.EXPIRED)
            if found.citizen_id != current.citizen_id or found.feedback_id is not None:
                return Step(Show.EXPIRED)
            if not yes:
                # Wrong: not kept, and the moderators write it down from the audio.
                await media.set_transcript(conn, media_id, None)
                return Step(Show.MEDIA, seq=current.seq, note="transcript_wrong")
            text = with_transcript(current.text or "", found.transcript)
            if text is None:
                # Already in, or no room left in one item: the words stay as they are.
                return Step(Show.MEDIA, seq=current.seq, note="transcript_kept")
            await _advance(conn, current.but(text=text), now)
            return Step(Show.MEDIA, seq=current.seq, note="transcript_kept")

        return await self.db.write(run)

    async def _conversation(
        self, conn: aiosqlite.Connection, telegram_id: int
    ) -> Conversation | str:
        """The item being told, or why there is none ("consent", "no_item")."""
        citizen = await citizens.by_telegram_id(conn, telegram_id)
        if citizen is None or not await _consented(conn, citizen.id):
            return "consent"
        current = await conversations.get(conn, citizen.id)
        if current is None:
            return "no_item"
        if current.state not in TELLING and current.state not in SIDE_PROMPTS:
            return "no_item"
        return current

    # -- moderators and providers --------------------------------------------------------

    async def of_item(self, item_id: int) -> list[media.Media]:
        """An item's voice note and photos, in the order sent."""
        return await media.of_item(self.db.reader, item_id)

    async def take_to_post(self, media_id: int, card: tuple[int, int], anew: bool) -> bool:
        """Whether this process is the one to post a voice note or photo under this card
        (chat, message): taken in the database, so that of several instances posting an
        item's media at once (its card going out, a photo joining it) one posts each. Not
        if it is posted or on its way under a card already (this very card, when `anew`)."""

        async def run(conn: aiosqlite.Connection) -> bool:
            now = self.clock()
            return await media.claim_posting(conn, media_id, card, now, now - POSTING_STALE, anew)

        return await self.db.write(run)

    async def not_posted(
        self, media_id: int, card: tuple[int, int], refused: bool, failed: bool = False
    ) -> bool:
        """A voice note or photo taken to post under this card did not go: Telegram asked to
        wait (a moderation sweep posts it, `to_post`), `failed` to take it (the network, a
        5xx: a sweep tries again, up to CARD_ATTEMPTS tries as for a card), or `refused` it.
        True if it is not to be tried again under this card (refused, or failed its last
        try): it stays taken until `given_up` says whether the note saying so went."""
        if refused:
            return True

        async def run(conn: aiosqlite.Connection) -> bool:
            if failed:
                return await media.failed_posting(conn, media_id, card, CARD_ATTEMPTS)
            await media.release_posting(conn, media_id, card)
            return False

        return await self.db.write(run)

    async def voice_again(self, media_id: int, card: tuple[int, int]) -> media.Media | None:
        """A voice note whose sending under this card went unanswered, taken to post again
        (a moderator says it did not arrive); None if it is not (posted, gone, or being
        posted again by another press)."""

        async def run(conn: aiosqlite.Connection) -> media.Media | None:
            if not await media.claim_again(conn, media_id, card, self.clock()):
                return None
            return await media.get(conn, media_id)

        return await self.db.write(run)

    async def not_again(self, media_id: int, card: tuple[int, int]) -> None:
        """A voice note taken to post again did not go: left for another press."""

        async def run(conn: aiosqlite.Connection) -> None:
            await media.refused_posting(conn, media_id, card)

        await self.db.write(run)

    async def given_up(self, media_ids: list[int], card: tuple[int, int], told: bool) -> None:
        """Voice notes or photos `not_posted` for good under this card: not tried again
        under it (only a card posted anew takes them again) once the note under the card
        saying so went (`told`); else free to take again, so that the moderators learn of
        them at a later sweep (they go, or the note goes)."""

        async def run(conn: aiosqlite.Connection) -> None:
            for media_id in media_ids:
                if told:
                    await media.refused_posting(conn, media_id, card)
                else:
                    await media.release_posting(conn, media_id, card)

        await self.db.write(run)

    async def to_post(self) -> list[int]:
        """Items whose own card has a voice note or photo still to go under it."""
        return await media.to_post(self.db.reader, self.clock() - POSTING_STALE)

    async def posted(
        self, media_id: int, chat_id: int, message_id: int, card: tuple[int, int] | None = None
    ) -> bool:
        """A voice note or photo went to staff as this message (taken back by retention),
        under this `card`. False if it is not kept: forgotten or past retention meanwhile,
        or one copy too many under the card: while it was on its way, another copy was
        recorded there (a moderator pressed a copy from an earlier sending Telegram took
        but answered too late); it is queued to be taken back."""

        async def run(conn: aiosqlite.Connection) -> bool:
            if await self._arrived_gone(conn, media_id, chat_id, message_id):
                return False
            if (
                card is not None
                and card[0] == chat_id
                and not await media.carried_by(conn, media_id, chat_id, message_id)
                and not await media.taken_under(conn, media_id, card)
                and await media.copies_under(conn, media_id, card)
            ):
                # Remembered as one too many: a press on it is never taken to keep it.
                await media.take_back_copies(conn, media_id, chat_id, [message_id], self.clock())
                return False
            await media.posted(conn, media_id, chat_id, message_id)
            return True

        kept = await self.db.write(run)
        self._recorded.set()
        self._recorded = asyncio.Event()
        return kept

    async def _arrived_gone(
        self, conn: aiosqlite.Connection, media_id: int, chat_id: int, message_id: int
    ) -> bool:
        """Whether the file was forgotten or past retention while its message was on its
        way: then that message is taken back now."""
        if await media.get(conn, media_id) is not None:
            return False
        await traces.take_back_messages(
            conn, [(chat_id, message_id)], traces.RETENTION, self.clock()
        )
        return True

    async def take_down(self, media_id: int, chat_id: int, message_id: int) -> bool:
        """A press on a copy of a photo that is gone (`decide_photo` said GONE: the bot's own
        photo message with that photo's buttons, under a card): the message is queued to be
        taken back (a copy recorded nowhere, posted twice, that its /forget or retention
        could not find). False if the photo is there after all, or the message is recorded
        as another's."""

        async def run(conn: aiosqlite.Connection) -> bool:
            if await media.get(conn, media_id) is not None:
                return False
            if await media.carrying(conn, chat_id, message_id) is not None:
                return False
            # Said on it where Telegram will not delete it: its author asked, or its age.
            forgotten = await media.forgotten(conn, media_id)
            reason = traces.FORGET if forgotten else traces.RETENTION
            await traces.take_back_messages(conn, [(chat_id, message_id)], reason, self.clock())
            return True

        return await self.db.write(run)

    async def photo_bytes(self, media_id: int) -> bytes | None:
        return await media.photo_bytes(self.db.reader, media_id)

    async def staff_name(self, telegram_id: int) -> str:
        return await _staff_name(self.db.reader, telegram_id)

    async def decide_photo(
        self,
        moderator: int,
        media_id: int,
        status: str,
        pressed: tuple[int, int],
        copy_under: int | None = None,
    ) -> PhotoDecision | str | None:
        """A moderator's decision on one photo, pressed under the message that carries it
        (`pressed`: chat id, message id), audited; None if there is no such photo (forgotten
        meanwhile) or the button was not that photo's own. Pressed again for the same
        status, it stays the first moderator's decision.

        A message not recorded as the photo's is taken as one of its copies when Telegram
        shows it as the bot's own photo message carrying this photo's buttons, replying to a
        message (`copy_under`, given only then) that is the card it is posted under, in that
        card's chat, and it is no other photo's: Telegram took a sending of it but answered
        after the bot stopped waiting (it was sent again), or has not answered yet. It is
        recorded as the photo's, and any other copy under the card is queued to be taken
        back: the moderators keep the one they pressed. Pressed from any other message on a
        photo on its way to that chat, not recorded yet as posted, it waits for the record
        (up to PRESS_WAITS seconds): ON_ITS_WAY if it is not there by then."""

        async def run(conn: aiosqlite.Connection) -> PhotoDecision | str | None:
            now = self.clock()
            found = await media.get(conn, media_id)
            if found is None and copy_under is not None:
                # The photo is gone (its author's /forget, retention), and this is a copy of
                # it Telegram still shows (posted twice, one recorded nowhere).
                return GONE
            if found is None or found.kind != media.PHOTO or found.feedback_id is None:
                return None
            gone: list[int] = []
            shown_on: tuple[int, int] | None = pressed
            duplicate = await media.duplicate_of(conn, *pressed)
            if duplicate is not None:
                # A copy taken back as one too many (another press kept the other one):
                # never the photo's again. Its press decides the photo, if it is this one's.
                if duplicate != media_id:
                    return None
                card = await media.posted_under(conn, media_id)
                kept = await media.copies_under(conn, media_id, card) if card else []
                shown_on = (card[0], kept[0]) if card and kept else None
            elif not await media.carried_by(conn, media_id, *pressed):
                adopted = None
                if copy_under is not None:
                    adopted = await _adopt(conn, found, pressed, copy_under, now)
                if adopted is None:
                    if await media.on_its_way(conn, media_id, pressed[0], now - POSTING_STALE):
                        # Its message may be this one, its poster not having recorded it yet.
                        return ON_ITS_WAY
                    # Another photo's (or a card's) message: its caption would say the wrong one.
                    return None
                gone = adopted
            if await media.decide(conn, media_id, status, moderator, now):
                await audit.record(
                    conn,
                    actor=moderator,
                    actor_role="moderator",
                    action=f"photo.{status}",
                    subject=f"item:{found.feedback_id}",
                    before={"photo": media_id, "status": found.status},
                    after={"photo": media_id, "status": status},
                    now=now,
                )
                if status == "rejected":
                    # Kept back: the copies providers asked for leave their chats too.
                    await media.take_back_given(conn, [media_id], now)
            photos = [m for m in await media.of_item(conn, found.feedback_id) if m.kind == "photo"]
            number = [m.id for m in photos].index(media_id) + 1
            return PhotoDecision(
                found.feedback_id,
                number,
                status,
                photos[number - 1].decided_by,
                bool(gone),
                shown_on,
                duplicate is not None,
            )

        loop = asyncio.get_running_loop()
        until = loop.time() + PRESS_WAITS
        while True:
            # Taken before looking: a record made here meanwhile has set it already.
            recorded = self._recorded
            decided = await self.db.write(run)
            left = until - loop.time()
            if decided != ON_ITS_WAY or left <= 0:
                return decided
            # Woken at once by a record made here; another instance's is looked for again.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, PRESS_LOOKS_EVERY)):
                    await recorded.wait()

    async def given(self, media_id: int, chat_id: int, message_id: int) -> None:
        """A photo sent to a provider on request: taken back whenever the photo goes (its
        author's /forget, whichever item it was shown with; retention), or is no longer
        theirs to see (kept back, its item's approval undone). One that arrives after that
        is taken back now."""

        async def run(conn: aiosqlite.Connection) -> None:
            if await self._arrived_gone(conn, media_id, chat_id, message_id):
                return
            if not await media.still_shown(conn, media_id):
                # Kept back, or its item undone or unpublished, while it was on its way.
                await traces.take_back_messages(
                    conn, [(chat_id, message_id)], traces.UNSHARED, self.clock()
                )
                return
            await media.given(conn, media_id, chat_id, message_id)

        await self.db.write(run)

    async def photo_for(self, media_id: int, who: Who) -> tuple[int, bytes] | None:
        """An approved photo of a published item about a service `who` speaks for:
        (the item's id, the cleaned bytes); None otherwise."""
        reader = self.db.reader
        slug = await media.photo_service(reader, media_id)
        if slug is None:
            return None
        if slug not in {s.slug for s in await services_spoken_for(self.db, who)}:
            return None
        found = await media.get(reader, media_id)
        data = await media.photo_bytes(reader, media_id)
        if found is None or found.feedback_id is None or data is None:
            return None
        return found.feedback_id, data


async def _adopt(
    conn: aiosqlite.Connection,
    found: media.Media,
    pressed: tuple[int, int],
    replies_to: int,
    now: datetime,
) -> list[int] | None:
    """Record the pressed message (chat id, message id), Telegram's photo message of the
    bot carrying this photo's buttons and replying to `replies_to`, as a copy of the photo
    if that is the card it is posted (or taken to be posted) under, and the message is no
    other photo's and not being taken back. The photo's other copies under the card, queued
    to be taken back: their message ids. None if it is not taken as a copy."""
    card = (pressed[0], replies_to)
    if found.feedback_id is None or await media.posted_under(conn, found.id) != card:
        return None
    if await media.carrying(conn, *pressed) is not None:
        return None  # recorded as another photo's: these buttons are not its own
    if await traces.queued(conn, *pressed):
        return None  # a copy being taken back (another press kept the other one)
    others = await media.copies_under(conn, found.id, card)
    # On its way no longer: a sending still waiting for Telegram's answer finds this copy
    # and takes its own back (`Attachments.posted`); a sweep posts it again no more.
    await media.adopt(conn, found.id, card, pressed[1])
    await traces.record_item(conn, found.feedback_id, *pressed, now)
    await media.take_back_copies(conn, found.id, pressed[0], others, now)
    return others


async def _citizen_id(conn: aiosqlite.Connection, telegram_id: int) -> int | None:
    citizen = await citizens.by_telegram_id(conn, telegram_id)
    return citizen.id if citizen else None

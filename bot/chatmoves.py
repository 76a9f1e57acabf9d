"""Groups that became supergroups: the bot follows each to its new id by itself.

Telegram gives a group that becomes a supergroup a new id, and every call on the old one
fails. The deployment file names the id a group had when it was set up, so each move is
recorded in the database (all instances read it there) and every configured id is resolved
through it: where to send (`current`, chained if a group moved twice) and which configured
group a chat is (`home`). Cards still waiting for a moderator in the old group (items,
questions and invitations, responses waiting for a language), which can no longer be pressed
or edited there, are posted again where it is now, by the instance that recorded the move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from bot.config import Deployment
from bot.intake import Clock
from storage import audit, chat_moves
from storage.db import Database

log = logging.getLogger(__name__)

# A chain longer than this is a loop in the data, not moves (a group moves once).
LONGEST_CHAIN = 8


@dataclass(frozen=True)
class Move:
    """A group became a supergroup: its old and new ids, the id the deployment file names
    it by (None for a group not in it) and what waited for a moderator there, whose cards
    are to be posted again: items, asks (questions and invitations), responses."""

    old: int
    new: int
    home: int | None
    cards: tuple[int, ...] = ()
    asks: tuple[int, ...] = ()
    responses: tuple[int, ...] = ()


class ChatMoves:
    """Where each group the bot knows is now, read from the database and kept at hand."""

    def __init__(self, db: Database, deployment: Deployment, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.configured = frozenset(
            [c for c in [deployment.moderators_chat] if c is not None]
            + [c for p in deployment.providers for c in p.chats]
        )
        self._next: dict[int, int] = {}
        # Told of each move recorded here first (not of those another instance recorded).
        self.listeners: list[Callable[[Move], object]] = []

    async def load(self) -> None:
        """Read every move recorded (by any instance)."""
        self._next = await chat_moves.everything(self.db.reader)

    def current(self, chat_id: int) -> int:
        """Where a chat is now: its id, or where it moved to (following every move)."""
        for _ in range(LONGEST_CHAIN):
            moved = self._next.get(chat_id)
            if moved is None:
                break
            chat_id = moved
        return chat_id

    def home(self, chat_id: int) -> int:
        """The id the deployment file names this chat by (it, or a group it moved from);
        the chat's own id when the file names none of them."""
        back = {new: old for old, new in self._next.items()}
        seen = chat_id
        for _ in range(LONGEST_CHAIN):
            if seen in self.configured:
                return seen
            earlier = back.get(seen)
            if earlier is None:
                break
            seen = earlier
        return chat_id

    def known(self, chat_id: int) -> bool:
        """Whether this chat is a configured group or where one moved (as far as read)."""
        return chat_id in self.configured or chat_id in self._next.values()

    async def notice(self, chat_id: int) -> None:
        """An update came from this chat: a group not known here may be where a configured
        group moved (recorded by another instance), so the moves are read again."""
        if chat_id < 0 and not self.known(chat_id):
            await self.load()

    async def moved(self, old: int, new: int) -> Move | None:
        """Telegram says group `old` is now `new`: record it (once, whichever instance sees
        it first) and take its pending cards back, to post them again where it is now. The
        move, for the instance that recorded it; None when it was known already."""
        if old == new or old >= 0 or new >= 0:
            return None
        self._next[old] = new
        home = self.home(old)

        async def run(conn: aiosqlite.Connection) -> Move | None:
            now = self.clock()
            if not await chat_moves.record(conn, old, new, now):
                return None
            cards = await chat_moves.cards_again(conn, old)
            asks = await chat_moves.asks_again(conn, old)
            responses = await chat_moves.responses_again(conn, old)
            await audit.record(
                conn,
                actor=None,
                actor_role="telegram",
                action="chat.moved",
                subject=str(old),
                after={
                    "new_chat_id": new,
                    "cards_posted_again": cards,
                    "asks_posted_again": asks,
                    "responses_posted_again": responses,
                },
                now=now,
            )
            return Move(
                old,
                new,
                home if home in self.configured else None,
                tuple(cards),
                tuple(asks),
                tuple(responses),
            )

        move = await self.db.write(run)
        if move is not None:
            for listener in self.listeners:
                listener(move)
        return move

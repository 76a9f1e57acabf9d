"""Groups that became supergroups: recorded once for every instance, followed through every
move, and the cards still waiting in the old group taken back to be posted again."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chatmoves import ChatMoves, Move
from bot.config import load_deployment
from bot.intake import sync_services
from storage.db import Database
from storage.services import ServiceRow
from tests.conftest import EXAMPLE
from tests.e2e.helpers import add_item

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FIRST, SECOND, THIRD = -4_000_000_001, -1_004_000_000_002, -1_004_000_000_003


def moves_on(db: Database) -> ChatMoves:
    """The moves as one instance sees them, its moderators' chat FIRST."""
    deployment = load_deployment(EXAMPLE).model_copy(update={"moderators_chat": FIRST})
    return ChatMoves(db, deployment, lambda: NOW)


async def test_a_group_that_moved_twice_is_followed_to_the_end(db: Database) -> None:
    moves = moves_on(db)
    told: list[Move] = []
    moves.listeners.append(told.append)
    assert moves.current(FIRST) == FIRST
    assert await moves.moved(FIRST, SECOND) is not None
    assert await moves.moved(SECOND, THIRD) is not None
    assert moves.current(FIRST) == THIRD and moves.current(SECOND) == THIRD
    # Each id it had is still the moderators' chat of the file.
    assert moves.home(THIRD) == FIRST and moves.home(SECOND) == FIRST
    assert moves.home(-77) == -77
    assert [(m.old, m.new, m.home) for m in told] == [
        (FIRST, SECOND, FIRST),
        (SECOND, THIRD, FIRST),
    ]


async def test_a_move_is_recorded_once_and_every_instance_follows_it(db: Database) -> None:
    here, there = moves_on(db), moves_on(db)
    await here.load()
    await there.load()
    told: list[Move] = []
    there.listeners.append(told.append)
    assert await here.moved(FIRST, SECOND) is not None
    # The other instance hears of it from Telegram too: known already, nobody told twice.
    assert await there.moved(FIRST, SECOND) is None and told == []
    assert there.current(FIRST) == SECOND
    # A third learns it from the database, when an update comes from the new group.
    third = moves_on(db)
    await third.notice(SECOND)
    assert third.current(FIRST) == SECOND and third.home(SECOND) == FIRST
    # A restart reads it back.
    again = moves_on(db)
    await again.load()
    assert again.current(FIRST) == SECOND


async def test_only_cards_still_waiting_in_the_old_group_are_taken_back(db: Database) -> None:
    await sync_services(db, [ServiceRow("library", "Library", "", "culture-leisure")])
    decided = await add_item(db, 501, "library", "Closed early.", NOW)
    waiting = await add_item(db, 502, "library", "No notice given.", NOW)
    elsewhere = await add_item(db, 503, "library", "Cold inside.", NOW)

    async def carded(conn: object) -> None:
        for item, chat, message in ((decided, FIRST, 1), (waiting, FIRST, 2), (elsewhere, -9, 3)):
            await conn.execute(  # type: ignore[attr-defined]
                "UPDATE feedback SET card_chat_id = ?, card_message_id = ? WHERE id = ?",
                (chat, message, item),
            )
        await conn.execute(  # type: ignore[attr-defined]
            "UPDATE feedback SET status = 'pending' WHERE id IN (?, ?)", (waiting, elsewhere)
        )

    await db.write(carded)
    move = await moves_on(db).moved(FIRST, SECOND)
    assert move is not None and move.cards == (waiting,)
    async with db.reader.execute(
        "SELECT id, card_chat_id, card_message_id FROM feedback ORDER BY id"
    ) as cursor:
        rows = [tuple(r) for r in await cursor.fetchall()]
    assert rows == [(decided, FIRST, 1), (waiting, None, None), (elsewhere, -9, 3)]

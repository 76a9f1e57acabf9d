"""Every update python-telegram-bot can give is saved and reads back as it came (a crash's
replay reads it with Update.de_json), on both engines; one that cannot be saved stops no one."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from telegram import InaccessibleMessage, Message, Update
from telegram.constants import ZERO_DATE

from bot.processing import Kept, Poller, Row, keep, stored_form
from bot.turns import ChatTurns
from storage import updates
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WHEN = 1_793_000_000  # a Unix time, as Telegram sends dates
CHAT = {"id": 42, "type": "private", "first_name": ""}
ANN = {"id": 42, "is_bot": False, "first_name": ""}
GONE = {"chat": CHAT, "message_id": 1, "date": 0}


def message(**fields: Any) -> dict[str, Any]:
    return {"message_id": 7, "date": WHEN, "chat": CHAT, "from": ANN, **fields}


# Updates with dates in every place they come: a message's, an edit's, a forward's, a
# reply's, a pin's, a message the bot cannot see (date 0), a member's restriction, a timer.
PAYLOADS: dict[str, dict[str, Any]] = {
    "pin-of-a-message-not-seen": {"message": message(pinned_message=GONE)},
    "pin": {"message": message(pinned_message=message(message_id=3, text="Rate it"))},
    "edit": {"edited_message": message(text="fixed", edit_date=WHEN + 60)},
    "forward": {
        "message": message(
            text="fwd", forward_origin={"type": "user", "date": WHEN - 600, "sender_user": ANN}
        )
    },
    "reply": {"message": message(text="yes", reply_to_message=message(message_id=2, text="?"))},
    "auto-delete-timer": {
        "message": message(message_auto_delete_timer_changed={"message_auto_delete_time": 86400})
    },
    "button-on-a-message-not-seen": {
        "callback_query": {
            "id": "q1",
            "from": ANN,
            "chat_instance": "ci",
            "data": "s:buses",
            "message": GONE,
        }
    },
    "member": {
        "my_chat_member": {
            "chat": CHAT,
            "from": ANN,
            "date": WHEN,
            "old_chat_member": {"status": "member", "user": ANN},
            "new_chat_member": {"status": "kicked", "user": ANN, "until_date": WHEN + 3600},
        }
    },
}


async def save(db: Database, rows: list[tuple[int, dict[str, Any] | None, int]]) -> list[int]:
    async def run(conn: aiosqlite.Connection) -> list[int]:
        return await updates.save_new(conn, rows, NOW)

    return await db.write(run)


@pytest.mark.parametrize("kind", list(PAYLOADS))
async def test_an_update_is_saved_and_reads_back_as_it_came(db: Database, kind: str) -> None:
    original = Update.de_json({"update_id": 100, **PAYLOADS[kind]}, None)
    assert await save(db, [(100, stored_form(original), 42)]) == [100]
    [payload] = await updates.unhandled(db.reader)
    back = Update.de_json(payload, None)
    assert stored_form(back) == stored_form(original)
    if kind == "pin-of-a-message-not-seen":
        assert back.message is not None
        assert isinstance(back.message.pinned_message, InaccessibleMessage)
        assert back.message.pinned_message.date == ZERO_DATE
    if kind == "edit":
        assert back.edited_message is not None
        assert back.edited_message.edit_date == datetime.fromtimestamp(WHEN + 60, UTC)
    if kind == "member":
        assert back.my_chat_member is not None
        until = back.my_chat_member.new_chat_member.until_date  # type: ignore[attr-defined]
        assert until == datetime.fromtimestamp(WHEN + 3600, UTC)
    if kind == "auto-delete-timer":
        assert payload["message"]["message_auto_delete_timer_changed"] == {
            "message_auto_delete_time": 86400
        }
    if kind == "pin":
        assert back.message is not None
        assert isinstance(back.message.pinned_message, Message)
        assert back.message.pinned_message.date == datetime.fromtimestamp(WHEN, UTC)


def test_dates_are_stored_as_unix_times() -> None:
    update = Update.de_json({"update_id": 1, **PAYLOADS["pin-of-a-message-not-seen"]}, None)
    form = stored_form(update)
    assert form["message"]["date"] == WHEN
    assert form["message"]["pinned_message"]["date"] == 0
    assert form["message"]["chat"]["type"] == "private"
    # One made here, not read from Telegram: a naive date is UTC, as Telegram's are.
    assert update.message is not None
    made = Update(2, message=Message(3, datetime(2026, 1, 1, 12), chat=update.message.chat))
    assert stored_form(made)["message"]["date"] == int(
        datetime(2026, 1, 1, 12, tzinfo=UTC).timestamp()
    )


async def test_an_update_that_cannot_be_saved_is_handled_and_the_others_saved(
    db: Database,
) -> None:
    """A value python-telegram-bot holds that JSON cannot (a kind newer than this code, say):
    that update is still handed on, once; the rest of its batch is saved as usual."""
    odd = Update.de_json({"update_id": 5, "message": message(text="hi")}, None)
    odd = Update(5, message=odd.message, api_kwargs={"poll_v2": object()})
    fine = Update.de_json({"update_id": 6, "message": message(message_id=8, text="/help")}, None)
    queue: asyncio.Queue[object] = asyncio.Queue()
    poller = Poller(None, db, queue, lambda: NOW)  # type: ignore[arg-type]
    handed = await poller.receive([odd, fine])
    assert [u.update_id for u in handed] == [5, 6]
    assert [p["update_id"] for p in await updates.unhandled(db.reader)] == [6]
    assert await updates.highest_id(db.reader) == 6


def refusing(db: Database, refuse: Callable[[Row], bool], calls: list[list[Row]]) -> Any:
    """A save (as both modes give `keep`) whose database refuses some rows for their values."""

    def save(rows: list[Row]) -> Any:
        calls.append(rows)
        if any(refuse(row) for row in rows):
            raise sqlite3.DataError("refused for its values")
        return db.write(lambda conn: updates.save_new(conn, rows, NOW))

    return save


async def test_what_the_database_refuses_for_its_values_is_saved_bare_or_handled_from_memory(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """One function decides for both modes: a payload refused is saved without it (its place
    and a redelivery known); refused even bare, handed on from memory; the rest saved."""
    batch = [
        Update.de_json({"update_id": n, "message": message(message_id=n, text=f"m{n}")}, None)
        for n in (11, 12, 13)
    ]
    calls: list[list[Row]] = []
    kept = await keep(batch, refusing(db, lambda r: r[1] is not None and r[0] == 12, calls))
    assert kept == Kept(new={11, 12, 13}, unsaved=set())
    assert [p["update_id"] for p in await updates.unhandled(db.reader)] == [11, 13]
    assert await updates.bare(db.reader) == [12]
    assert "update 12 cannot be saved whole" in caplog.text
    # Redelivered: known, not handed on again.
    again = await keep(batch[1:2], refusing(db, lambda r: r[1] is not None, []))
    assert again == Kept()
    # Refused even without its payload: handed on from memory, said.
    odd = Update.de_json({"update_id": 14, "message": message(message_id=14, text="x")}, None)
    kept = await keep([odd], refusing(db, lambda r: r[0] == 14, []))
    assert kept == Kept(unsaved={14})
    assert "update 14 cannot be saved even without its payload" in caplog.text


async def test_a_database_outage_confirms_nothing(db: Database) -> None:
    fine = Update.de_json({"update_id": 21, "message": message(text="hi")}, None)

    def down(rows: list[Row]) -> Any:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError):
        await keep([fine], down)
    assert await updates.highest_id(db.reader) is None


async def test_a_bare_update_left_by_a_stop_is_not_left_waiting(db: Database) -> None:
    """Saved without its payload, and the process stopped before handling it: at the next
    start it is marked handled (nothing to handle it with), so its chat is not busy for good."""
    assert await save(db, [(31, None, 42)]) == [31]
    queue: asyncio.Queue[object] = asyncio.Queue()
    poller = Poller(None, db, queue, lambda: NOW)  # type: ignore[arg-type]
    await poller.recover()
    assert queue.empty()
    assert await updates.is_handled(db.reader, 31)
    assert not await updates.waiting_in(db.reader, 42)


class Handled:
    """Stands for the Application: records the updates it is given."""

    def __init__(self) -> None:
        self.bot = None
        self.updates: list[int] = []
        self.done = asyncio.Event()

    async def process_update(self, update: Update) -> None:
        self.updates.append(update.update_id)
        self.done.set()


async def test_over_the_webhook_an_update_refused_even_bare_is_handled_not_dropped(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Webhook mode takes the same path as polling (`keep`): an update the database refuses
    even without its payload is handled from memory (it was answered 200 and dropped)."""
    app = Handled()
    chat_turns = ChatTurns(db, app, lambda: NOW, limit=1, lease=30)  # type: ignore[arg-type]
    await chat_turns.start(alone=False)

    async def refuse(*args: object) -> list[int]:
        raise sqlite3.DataError("refused for its values")

    monkeypatch.setattr(updates, "save_new", refuse)
    update = Update.de_json({"update_id": 41, "message": message(text="hi")}, None)
    assert await chat_turns.receive(update)
    await asyncio.wait_for(app.done.wait(), 5)
    assert app.updates == [41]
    await chat_turns.stop()


async def test_over_the_webhook_an_update_that_cannot_be_stored_is_handled_in_its_turn(
    db: Database,
) -> None:
    app = Handled()
    chat_turns = ChatTurns(db, app, lambda: NOW, limit=1, lease=30)  # type: ignore[arg-type]
    await chat_turns.start(alone=False)
    odd = Update.de_json({"update_id": 51, "message": message(text="hi")}, None)
    odd = Update(51, message=odd.message, api_kwargs={"poll_v2": object()})
    assert await chat_turns.receive(odd)
    await asyncio.wait_for(app.done.wait(), 5)
    assert app.updates == [51]
    await chat_turns.stop()
    assert await updates.is_handled(db.reader, 51)

"""Every update python-telegram-bot can give is saved and reads back as it came (a crash's
replay reads it with Update.de_json), on both engines; one that cannot be saved stops no one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from telegram import InaccessibleMessage, Message, Update
from telegram.constants import ZERO_DATE

from bot.processing import Poller, stored_form
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

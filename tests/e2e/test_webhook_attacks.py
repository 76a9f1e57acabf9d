"""Webhook mode against bodies Telegram would never send, and methods it never uses: each is
answered so that Telegram does the right thing, nothing is stored twice, the instance goes on."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from bot.app import YousaidBot
from emulator import Emulator
from tests.e2e.test_citizen import consent, say, stored
from tests.e2e.test_webhook import SECRET, hooked, port, post

__all__ = ["hooked", "port"]  # fixtures, used by name


def message(update_id: int | bool, chat: object = 7, date: int = 1_700_000_000) -> bytes:
    """An update carrying a text message, as JSON."""
    payload = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": date,
            "chat": {"id": chat, "type": "private"},
            "text": "hello",
        },
    }
    return json.dumps(payload).encode()


# Each one is the body's fault, the same at every retry: 200, so that Telegram stops.
NOT_UPDATES = {
    "a message that is a string": b'{"update_id": 5, "message": "text"}',
    "a message that is a list": b'{"update_id": 5, "message": [1]}',
    "a date out of range": message(6, date=10**30),
    "an update_id beyond 64 bits": message(2**70),
    "an update_id that is a bool": message(True),
    "a chat id that is text": message(8, chat="abc"),
    "a chat id beyond 64 bits": message(9, chat=2**64),
    "JSON nested past the recursion limit": b"[" * 100_000 + b"]" * 100_000,
    "bytes that are not UTF-8": b'{"update_id": 10, "\xff": 1}',
    "a JSON list": b"[1, 2]",
    "JSON null": b"null",
}


@pytest.mark.parametrize("body", NOT_UPDATES.values(), ids=NOT_UPDATES.keys())
async def test_a_body_that_is_not_an_update_is_answered_200_and_stored_nowhere(
    hooked: YousaidBot, port: int, db_path: Path, body: bytes
) -> None:
    assert await post(port, body) == 200
    # Nothing of it; at most its id, marked handled, where its private chat is told it
    # could not be read (so that a redelivery is not told again).
    kept = "SELECT COUNT(*) FROM updates WHERE payload IS NOT NULL OR handled_at IS NULL"
    assert stored(db_path, kept) == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE update_id <> 6") == [(0,)]
    assert hooked.webhook is not None and await hooked.webhook.problem() is None


async def test_methods_sizes_and_replays_are_answered_as_telegram_needs(
    hooked: YousaidBot, emu: Emulator, port: int, db_path: Path
) -> None:
    url = f"http://127.0.0.1:{port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:
        for method in ("GET", "PUT", "DELETE"):
            async with session.request(method, url, headers=headers) as answer:
                assert answer.status == 405, method
        # Far larger than any update: refused before it is read whole (413, or the upload
        # cut short once the answer is sent), nothing stored.
        big = b'{"update_id": 11, "x": "' + b"a" * 10 * 2**20 + b'"}'
        try:
            async with session.post(url, data=big, headers=headers) as answer:
                assert answer.status == 413
        except aiohttp.ClientConnectionError:
            pass
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE update_id = 11") == [(0,)]
    async with aiohttp.ClientSession() as session:
        # Telegram always says application/json; another type is read the same.
        plain = {**headers, "Content-Type": "text/plain"}
        async with session.post(url, data=message(12), headers=plain) as answer:
            assert answer.status == 200
    # The same update_id again with other words: the first is the update, once.
    other = message(12).replace(b"hello", b"other words")
    assert await post(port, other) == 200
    # Stored once; its payload is the first one's (or gone already: handled updates keep none).
    [(payload,)] = stored(db_path, "SELECT payload FROM updates WHERE update_id = 12")
    assert payload is None or ("hello" in str(payload) and "other words" not in str(payload))
    # The instance still serves a citizen whole.
    alice = emu.person("Alice")
    await consent(alice)
    assert await say(alice, "/help")

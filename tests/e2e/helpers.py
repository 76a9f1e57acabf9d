"""What the end-to-end tests share: approved items straight into storage, and reading and
pressing the buttons of the messages people see."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import aiosqlite

from bot.intake import CONSENT_VERSION
from emulator import Group, MessageView, Person
from storage import citizens, feedback
from storage.db import Database


async def add_item(
    db: Database,
    telegram_id: int,
    service: str,
    text: str,
    at: datetime,
    themes: tuple[str, ...] = ("access_waiting",),
    hear_back: bool = True,
    rating: int = 2,
    kind: str = "complaint",
) -> int:
    """An approved item by this person, published at `at`, straight into storage."""

    async def run(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, telegram_id, at)
        if await citizens.latest_consent(conn, citizen.id) is None:
            await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", at)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug=service,
            text=text,
            rating=rating,
            hear_back=hear_back,
            now=at,
        )
        await feedback.save_tagging(
            conn,
            item,
            kind=kind,
            redacted_text=text,
            redactions="[]",
            themes=[(t, 0.9, "model", "[]") for t in themes],
            now=at,
        )
        await feedback.decide(
            conn,
            item,
            status="approved",
            published_text=text,
            reject_reason=None,
            moderator=1,
            now=at,
        )
        # The author was told it was published long ago: only the response is news.
        await feedback.mark_told(conn, item, at)
        return item

    return await db.write(run)


def last_has(words: str) -> Callable[[list[MessageView]], bool]:
    """A wait_for predicate: the newest message contains these words."""
    return lambda messages: bool(messages) and words in (messages[-1].text or "")


def has(words: str) -> Callable[[list[MessageView]], bool]:
    """A wait_for predicate: some message contains these words."""
    return lambda messages: any(words in (m.text or "") for m in messages)


def with_text(messages: list[MessageView], words: str) -> MessageView:
    """The newest message containing these words."""
    return next(m for m in reversed(messages) if words in (m.text or ""))


def buttons_of(message: MessageView) -> dict[str, str]:
    """Label -> callback data of a message's buttons."""
    return {
        label: data or ""
        for labels, datas in zip(message.buttons, message.button_data, strict=True)
        for label, data in zip(labels, datas, strict=True)
    }


async def press_on(
    person: Person, message: MessageView, label: str, chat: Group | None = None
) -> dict[str, object]:
    """Press a button of a given message (in her private chat unless `chat`); the answer."""
    result = await person.press_data(message.message_id, buttons_of(message)[label], chat=chat)
    return await result.answered()


async def while_progressing(
    done: Callable[[], bool], progress: Callable[[], object], stall: float = 60.0
) -> None:
    """Wait until `done()`, for as long as `progress()` keeps changing: fails only when nothing
    moved for `stall` seconds, so a slow machine is waited for and a stuck bot is not."""
    loop = asyncio.get_running_loop()
    last, moved = progress(), loop.time()
    while not done():
        await asyncio.sleep(0.05)
        now = progress()
        if now != last:
            last, moved = now, loop.time()
        elif loop.time() - moved > stall:
            raise AssertionError(f"no progress for {stall:.0f} s (at {last!r})")

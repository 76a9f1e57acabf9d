"""Attacks as an independent Telegram client and Bot API server would make them: valid update
shapes the bot rarely sees, and Telegram's own faults at the moments that matter. Through the
emulator, on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Group, Person
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import while_progressing
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_moderation import card_of, give, invite

STORY = "The heating in the study room was off all week and it was freezing in there"


def poll_update(emu: Emulator) -> dict[str, Any]:
    """A poll's new state: valid Telegram, and an update of no chat and no one."""
    poll = {
        "id": "5807160214151184432",
        "question": "Which day suits you?",
        "options": [
            {"persistent_id": "a", "text": "Monday", "voter_count": 0},
            {"persistent_id": "b", "text": "Friday", "voter_count": 1},
        ],
        "total_voter_count": 1,
        "is_closed": True,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    emu.spec.check_object("Poll", poll, "poll")
    return {"poll": poll}


async def test_an_update_of_no_chat_and_no_one_does_not_stop_polling(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    # Created before the bot first asked for its update types (Telegram: allowed_updates
    # "doesn't affect updates created before the call"), so it is delivered all the same.
    assert emu.inject(poll_update(emu)) is not None
    async with make_bot():
        alice = emu.person("Alice")
        assert "Is that OK with you?" in await say(alice, "/start")
        await emu.idle(quiet=0.3)
        assert emu.pending_updates == 0
    # Stored under no chat; after a restart it is not read again, and polling goes on.
    assert stored(db_path, "SELECT chat_key FROM updates WHERE update_id = 1") == [(0,)]
    async with make_bot():
        assert "Which service" in await press(alice, texts.CONSENT_YES)


async def _to_the_last_question(emu: Emulator) -> Person:
    """A citizen who has told her story, rated it, and is asked whether to be involved."""
    ann = emu.person("Ann", language_code=None)
    await consent(ann)
    await press(ann, "Central Library")
    assert "How would you rate it" in await say(ann, STORY)
    await press(ann, "4")
    assert "involved" in await press(ann, texts.YES)
    return ann


@pytest.mark.parametrize("fault", ["502", "late"])
async def test_saved_is_shown_when_telegram_fails_the_edit_that_says_so(
    bot: YousaidBot, emu: Emulator, db_path: Path, fault: str
) -> None:
    ann = await _to_the_last_question(emu)
    if fault == "502":
        failed = emu.faults.server_error("editMessageText", status=502, times=1)
    else:
        # It takes effect, and the answer comes after the bot stopped waiting for it.
        failed = emu.faults.late("editMessageText", delay=12.0, times=1)
    edits = len(emu.calls_to("editMessageText"))
    await (await ann.press(texts.NO)).answered()
    await ann.wait_for(lambda m: "Saved as #1" in (m[-1].text or ""), timeout=20)
    # Until the failed edit's answer came (a late one, after the bot stopped waiting).
    await while_progressing(
        lambda: failed.hits == 1 and len(emu.calls_to("editMessageText")) > edits,
        lambda: len(emu.calls),
    )
    await emu.idle(quiet=0.5, timeout=20)
    assert stored(db_path, "SELECT id, status FROM feedback") == [(1, "pending")]
    # Told once that it is saved, and not told to try again what was done.
    said = [m.text or "" for m in ann.messages]
    assert sum("Saved as #1" in s for s in said) == 1, said
    assert not any(texts.ERROR in s for s in said), said


async def test_words_kept_when_telegram_fails_the_reply_are_not_asked_for_again(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    bea = emu.person("Bea")
    await consent(bea)
    await press(bea, "Central Library")
    failed = emu.faults.server_error("sendMessage", chat_id=bea.id, status=502, times=1)
    await bea.send(STORY)
    shown = await bea.wait_for(lambda m: bool(m[-1].buttons), timeout=10)
    await emu.idle(quiet=0.3)
    assert failed.hits == 1
    # Shown where she is (her words were kept), not told to send them again.
    said = shown[-1].text or ""
    assert "How would you rate it" in said and texts.ERROR not in said, said
    assert not any(texts.ERROR in (m.text or "") for m in bea.messages)
    assert "hear back" in await press(bea, "4")
    assert stored(db_path, "SELECT text FROM conversations") == [(STORY,)]


async def test_an_item_saved_when_telegram_keeps_failing_the_edit_is_told_by_its_number(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ann = await _to_the_last_question(emu)
    # More failures than the edit is tried: the number still comes, as a message.
    emu.faults.server_error("editMessageText", chat_id=ann.id, status=502, times=5)
    await ann.press(texts.NO)
    await ann.wait_for(lambda m: "Saved as #1" in (m[-1].text or ""), timeout=20)
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT id, status FROM feedback") == [(1, "pending")]
    assert not any(texts.ERROR in (m.text or "") for m in ann.messages)


async def test_a_story_sent_twice_at_once_is_kept_once(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    cai = emu.person("Cai")
    await consent(cai)
    await press(cai, "Central Library")
    # A double send: both arrive before she sees the bot's answer.
    await cai.send(STORY)
    await cai.send(STORY)
    await cai.wait_for(lambda m: len(m) >= 3)
    await emu.idle(quiet=0.3)
    assert not any(texts.ADDED_TEXT.strip() in (m.text or "") for m in cai.messages)
    # Words that differ are still more of the story.
    more = "The radiators by the windows were stone cold as well"
    await cai.send(more)
    await cai.wait_for(lambda m: texts.ADDED_TEXT.strip() in (m[-1].text or ""))
    await press(cai, "3")
    await press(cai, texts.NO)
    assert "Saved as #1" in await press(cai, texts.NO)
    assert stored(db_path, "SELECT text FROM feedback") == [(f"{STORY}\n{more}",)]


ANONYMOUS = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


def as_the_group(emu: Emulator, group: Group, fields: dict[str, Any]) -> None:
    """A message from an admin who posts as the group ("Remain anonymous"), as Telegram sends
    it: from its placeholder bot, with the group as sender_chat."""
    message = emu.store_message(
        group.chat, dict(ANONYMOUS), {"sender_chat": group.chat.api, **fields}
    )
    emu.spec.check_object("Message", message, "message")
    emu.inject({"message": message})


async def test_a_moderator_posting_as_the_group_is_told_how_to_be_known(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    ada, sam, cy = emu.person("Ada"), emu.person("Sam"), emu.person("Cy")
    group = emu.group("Riverside moderators", members=[ada, sam], supergroup=True)
    staffed = deployment.model_copy(update={"admins": [ada.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(ada, sam, "moderator")
        item = await give(cy, "Buses", "The 42 bus was late again and the driver shouted at us.")
        card = await card_of(group, item)
        before = len(group.messages)
        as_the_group(emu, group, {"text": "/queue", "entities": [command(6)]})
        await group.wait_for(lambda m: len(m) > before)
        assert group.messages[-1].text == texts.ANONYMOUS_ADMIN
        # A correction typed in reply to the bot's card: told, not silently ignored.
        as_the_group(
            emu,
            group,
            {"text": "The 42 bus was late again.", "reply_to_message": card.data},
        )
        await group.wait_for(lambda m: len(m) > before + 1)
        assert group.messages[-1].text == texts.ANONYMOUS_ADMIN
        # Ordinary words posted as the group, and a channel's post in the group, get nothing.
        as_the_group(emu, group, {"text": "Coffee at eleven?"})
        channel = {"id": -1009999999999, "type": "channel", "title": "Riverside news"}
        post = emu.store_message(
            group.chat,
            {"id": 777000, "is_bot": False, "first_name": "Telegram"},
            {"sender_chat": channel, "is_automatic_forward": True, "text": "Open late on Friday"},
        )
        emu.inject({"message": post})
        await sam.send("/queue", chat=group)
        await group.wait_for(lambda m: "waiting" in (m[-1].text or ""))
        assert sum(m.text == texts.ANONYMOUS_ADMIN for m in group.messages) == 2


def command(length: int) -> dict[str, Any]:
    """A bot_command entity at the start of a text."""
    return {"type": "bot_command", "offset": 0, "length": length}

"""Attack, round 46: a citizen's and a newcomer's Telegram client, as a checker would write it
from PRODUCT.md alone: what each kind of update gets back, and what is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import YousaidBot
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import stored_bytes
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import consent, press, stored
from tests.e2e.test_webhook import hooked as hooked  # the fixture
from tests.e2e.test_webhook import port as port  # the fixture

STORY = "The 42 bus was late again and the driver shouted at me at the market stop"


async def saved_item(person: Person, service: str, story: str) -> dict[str, object]:
    """A whole conversation, no to both questions; the story's message."""
    await consent(person)
    await press(person, service)
    sent = await person.send(story)
    await person.wait_for(lambda ms: bool(ms) and ["1", "2", "3", "4", "5"] in ms[-1].buttons)
    await press(person, "2")
    await press(person, texts.NO)
    await press(person, texts.NO)
    await person.wait_for(lambda ms: any("Saved as #1" in (m.text or "") for m in ms))
    return sent


@pytest.mark.sqlite_only
async def test_words_of_a_newcomer_who_says_no_are_not_left_in_the_database_file(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """A newcomer writes first, with a neighbour's name in it, and is asked for consent; she
    says no and is told "I haven't kept anything you said, only that you said no". What she
    sees is true only of the tables: her words (the whole update, as Telegram sent it) were
    written to the database's write-ahead log on arrival and stay in the -wal file on disk
    after the refusal, readable by anyone with the file or a copy of it (a backup).
    What she should get: nothing of what she wrote anywhere in the database's files once she
    said no, as /forget already guarantees for erased people (a TRUNCATE checkpoint).
    Likely cause: storage/updates.py keeps every update's payload (text included) before it
    is handled, bot/processing.py; the decline (bot/intake.py) clears the payload but, unlike
    /forget (bot/privacy.py), never empties the WAL."""
    nell = emu.person("Nell")
    await nell.send("My neighbour Jonathan Quirkleby dumps his rubbish on Elm Road every week")
    await nell.wait_for(
        lambda ms: bool(ms) and [texts.CONSENT_YES, texts.CONSENT_NO] in ms[-1].buttons
    )
    await press(nell, texts.CONSENT_NO)
    await nell.wait_for(lambda ms: any("haven't kept anything" in (m.text or "") for m in ms))
    assert stored(db_path, "SELECT decision FROM consents") == [("declined",)]
    assert b"Quirkleby" not in stored_bytes(db_path)


async def test_a_pin_of_a_message_the_bot_cannot_see_stops_no_one(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Ann, halfway through telling the bot about her bus, pins a message of her chat with
    the bot that the bot can no longer see; Telegram sends the bot the service message
    with `pinned_message` as an InaccessibleMessage (`date` 0), a shape of the Bot API.
    What everyone sees: the bot stops answering anyone at all (Bob's /help gets nothing),
    and, since the update is never confirmed, it stops on it again after each restart.
    What they should see: Ann answered kindly (or not at all) and carrying on; Bob served.
    Likely cause: bot/processing.py `receive` stores `u.to_dict()`; python-telegram-bot's
    InaccessibleMessage.to_dict() keeps its `date` as a datetime, so json.dumps in
    storage/updates.py `save_new` raises TypeError, which `_round`/`run` do not catch (only
    errors of get_updates itself are): the polling task ends."""
    ann = emu.person("Ann")
    await consent(ann)
    await press(ann, "Buses")
    await ann.send(STORY)
    rating = (
        await ann.wait_for(lambda ms: bool(ms) and ["1", "2", "3", "4", "5"] in ms[-1].buttons)
    )[-1]
    gone = {"chat": dict(ann.chat.api), "message_id": 1, "date": 0}
    pin = emu.store_message(ann.chat, dict(ann.user), {"pinned_message": gone})
    emu.inject({"message": pin})
    bob = emu.person("Bob")
    await bob.send("/help")
    await bob.wait_for(lambda ms: any("/mine" in (m.text or "") for m in ms), timeout=10)
    # And Ann carries on where she was.
    await ann.press_data(rating.message_id, buttons_of(rating)["2"])
    await ann.wait_for(
        lambda ms: [texts.YES, texts.NO] in ms[-1].buttons or "hear back" in (ms[-1].text or "")
    )


async def test_over_the_webhook_a_pin_the_bot_cannot_see_holds_up_no_chat(
    hooked: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """As above, in webhook mode (several instances): Ann pins a message the bot cannot see.
    What she sees: her chat is stuck for good; her rating press and everything she sends
    after get no answer, as Telegram retries the refused update first, forever.
    What she should see: her rating taken and the next question, as before the pin.
    Likely cause: bot/turns.py `receive` saves `update.to_dict()` (json.dumps fails on the
    InaccessibleMessage's datetime in storage/updates.py), so the POST is answered 5xx."""
    ann = emu.person("Ann")
    await consent(ann)
    await press(ann, "Buses")
    await ann.send(STORY)
    rating = (
        await ann.wait_for(lambda ms: bool(ms) and ["1", "2", "3", "4", "5"] in ms[-1].buttons)
    )[-1]
    gone = {"chat": dict(ann.chat.api), "message_id": 1, "date": 0}
    emu.inject({"message": emu.store_message(ann.chat, dict(ann.user), {"pinned_message": gone})})
    await ann.press_data(rating.message_id, buttons_of(rating)["2"])
    await ann.wait_for(lambda ms: "hear back" in (ms[-1].text or ""), timeout=15)


@pytest.mark.parametrize(
    "service",
    [
        "pinned_message",
        {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}},
    ],
    ids=["pin", "auto-delete-timer"],
)
async def test_pinning_a_question_or_setting_a_timer_is_not_called_a_message_not_kept(
    bot: YousaidBot, emu: Emulator, db_path: Path, service: object
) -> None:
    """Ann, at the rating question, pins that question to find it again (or sets her chat
    with the bot to delete messages after a day). Telegram tells the bot with a service
    message; she sent nothing. What she sees: "Sorry, I can't keep that kind of message.
    Words, photos and voice notes all work.", as if she had sent something unusable.
    What she should see: nothing (as for a live location's moves), her question where it is.
    Likely cause: handlers/__init__.py, the last MessageHandler `new & ~filters.TEXT` answers
    service messages (filters.StatusUpdate) with common.unsupported ("other")."""
    ann = emu.person("Ann")
    await consent(ann)
    await press(ann, "Buses")
    await ann.send(STORY)
    rating = (
        await ann.wait_for(lambda ms: bool(ms) and ["1", "2", "3", "4", "5"] in ms[-1].buttons)
    )[-1]
    if service == "pinned_message":
        shown = {k: v for k, v in ann.chat.messages[rating.message_id].items()}
        fields = {"pinned_message": shown}
    else:
        assert isinstance(service, dict)
        fields = service
    seen = len(ann.messages)
    emu.inject({"message": emu.store_message(ann.chat, dict(ann.user), fields)})
    await emu.idle(quiet=0.5)
    said = [m.text or "" for m in ann.messages[seen:]]
    assert not any(texts.UNSUPPORTED["other"] in t for t in said), said
    # The rating question is still the one to answer.
    await ann.press_data(rating.message_id, buttons_of(rating)["2"])
    await ann.wait_for(lambda ms: "hear back" in (ms[-1].text or ""))


async def answer_in_a_neighbours_group(emu: Emulator, words: str) -> MessageView:
    """What the bot answers Ann in a group it was added to (not the moderators')."""
    ann, ben = emu.person("Ann"), emu.person("Ben")
    neighbours = emu.group("Elm Road neighbours", [ann, ben])
    emu.add_bot_to(neighbours, by=ben)
    await ann.send(words.format(bot=emu.bot_username), chat=neighbours)
    answered = await ann.wait_for(lambda ms: bool(ms), chat=neighbours, timeout=10)
    return answered[-1]


@pytest.mark.parametrize(
    "words",
    [
        "@{bot} the bins on Elm Road have not been collected for three weeks now",
        "/mine@{bot}",
        "/help@{bot}",
        "/forget@{bot}",
    ],
)
async def test_a_citizen_writing_to_the_bot_in_a_neighbours_group_is_pointed_to_a_private_chat(
    bot: YousaidBot, emu: Emulator, db_path: Path, words: str
) -> None:
    """The bot is a member of a neighbourhood group (not the moderators' chat). Ann, there,
    mentions the bot with a complaint, or sends /mine, /help or /forget addressed to it.
    What she sees: nothing at all, so she cannot tell whether her complaint was taken or
    her data erased (only /start gets "Let's talk in a private chat").
    What she should see: a kind pointer to the private chat (as for /start), nothing of hers
    shown in the group, nothing kept or erased.
    Likely cause: handlers/__init__.py registers these only for private chats (filters `new`)
    and nothing answers the rest in a group that is not the moderators'; the string
    texts.GROUP_ONLY_PRIVATE exists (handlers/english.py) but is used nowhere."""
    answer = await answer_in_a_neighbours_group(emu, words)
    assert "private chat" in (answer.text or "")
    assert "Elm Road" not in (answer.text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]


async def test_an_addition_sent_as_the_edit_note_says_goes_with_the_item_saved(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Ann's item is saved as #1. She edits her story's message to add a detail; the bot says
    "Edits don't change what I already have; if you'd like to add something, just send it
    as a new message." She does, as a reply to "Saved as #1". What she sees: "Thank you,
    I've kept what you wrote. Which service is this about?": a second, separate item is
    begun, #1 stays without the detail, and nothing told her the advice does not apply
    once an item is saved.
    What she should see: the addition goes with #1 (still waiting for a moderator), or the
    edit note says that #1 was saved as first written and what to do instead.
    Likely cause: handlers/common.py `_unsupported` answers every edit with the one text
    texts.UNSUPPORTED["edited"] whatever the state; bot/intake.py `text` starts a new item for
    any words after saving (a reply to the saved message is not looked at)."""
    ann = emu.person("Ann")
    story = await saved_item(ann, "Buses", STORY)
    saved = next(m for m in ann.messages if "Saved as #1" in (m.text or ""))
    await ann.edit(story, STORY + ", and he drove off before I sat down")
    note = await ann.wait_for(lambda ms: "edited a message" in (ms[-1].text or ""))
    advice = note[-1].text or ""
    await ann.send("He also drove off before I could sit down and I fell over", reply_to=saved)
    reply = (await ann.wait_for(lambda ms: ms[-1].message_id > note[-1].message_id))[-1]
    said = reply.text or ""
    added = "#1" in said or texts.ADDED_TEXT.strip() in said
    advice_true = "#1" in advice
    assert added or advice_true, (advice, said)

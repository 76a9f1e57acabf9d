"""A citizen gives feedback through the real bot, over HTTP, against the emulator."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment, Service
from emulator import Emulator, Person
from handlers import texts
from storage.db import Database
from tests.conftest import FakeClock, connect, stored_bytes
from tests.e2e.conftest import BotFactory


def stored(db_path: Path | Database, sql: str) -> list[tuple[object, ...]]:
    with connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def say(person: Person, text: str) -> str:
    """Send text; return the text of the bot's reply."""
    await person.send(text)
    return (await person.next_message()).text or ""


async def press(person: Person, label: str) -> str:
    """Press a button; return the text the pressed message now shows."""
    before = [(m.message_id, m.text) for m in person.messages]
    result = await person.press(label)
    answer = await result.answered()
    assert answer is not None
    await person.wait_for(lambda msgs: [(m.message_id, m.text) for m in msgs] != before)
    return person.messages[-1].text or ""


async def consent(person: Person) -> None:
    assert "Is that OK with you?" in await say(person, "/start")
    assert "Which service" in await press(person, texts.CONSENT_YES)


async def test_whole_conversation(bot: YousaidBot, emu: Emulator, db_path: Path) -> None:
    alice = emu.person("Alice", username="alice_r")
    welcome = await say(alice, "/start")
    assert "What I keep" in welcome and "Who sees what" in welcome
    assert alice.last.buttons == [[texts.CONSENT_YES, texts.CONSENT_NO]]
    shown = await press(alice, texts.CONSENT_YES)
    assert "Which service" in shown
    assert ["Central Library"] in alice.last.buttons
    assert "What happened" in await press(alice, "Central Library")
    assert "Tell me a little more" in (await say(alice, "ok")).replace("Could you tell", "Tell")
    reply = await say(alice, "The study room was far too cold and the heating was off again")
    assert "How would you rate it" in reply
    assert "hear back" in await press(alice, "4")
    assert "involved" in await press(alice, texts.YES)
    done = await press(alice, texts.NO)
    assert "Saved as #1" in done and "Central Library" in done and "let you know" in done
    rows = stored(db_path, "SELECT service_slug, text, rating, hear_back, status FROM feedback")
    assert rows == [
        (
            "library",
            "The study room was far too cold and the heating was off again",
            4,
            1,
            "pending",
        )
    ]
    assert stored(db_path, "SELECT involve FROM citizens WHERE id != 0") == [("no",)]
    # No name or username anywhere in the database.
    assert b"alice_r" not in stored_bytes(db_path)
    mine = await say(alice, "/mine")
    assert "#1" in mine and "waiting to be checked" in mine


async def test_deep_link_preselects_service(bot: YousaidBot, emu: Emulator) -> None:
    bob = emu.person("Bob")
    assert "Is that OK" in await say(bob, "/start s_buses")
    assert "<b>" not in await press(bob, texts.CONSENT_YES)
    assert bob.last.text and bob.last.text.startswith("Buses")
    await say(bob, "The number 7 was twenty minutes late twice this week")
    await press(bob, texts.SKIP)
    await press(bob, texts.NO)
    assert "Saved as #1 (Buses)" in await press(bob, texts.NO)
    # A link to a service that does not exist: the list, with a word of explanation.
    reply = await say(bob, "/start s_moon-base")
    assert "don't know the service that link points to" in reply


async def test_declining_keeps_only_the_decision(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    carol = emu.person("Carol")
    await say(carol, "/start")
    assert "haven't kept anything" in await press(carol, texts.CONSENT_NO)
    assert stored(db_path, "SELECT decision FROM consents") == [("declined",)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    # Words sent without consent are not kept: the consent question comes back.
    assert "need your OK" in await say(carol, "The bins were missed again on our road")
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]


async def test_services_are_paged_past_eight(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    many = deployment.model_copy(
        update={
            "services": [
                Service(slug=f"s{i}", name=f"Service {i}", provider=deployment.providers[0].id)
                for i in range(11)
            ]
        }
    )
    async with make_bot(deployment=many):
        dan = emu.person("Dan")
        await say(dan, "/start")
        assert "page 1 of 2" in await press(dan, texts.CONSENT_YES)
        assert len(dan.last.buttons) == 9 and dan.last.buttons[-1] == [texts.NEXT]
        assert "page 2 of 2" in await press(dan, texts.NEXT)
        assert dan.last.buttons == [
            ["Service 8"],
            ["Service 9"],
            ["Service 10"],
            [texts.PREVIOUS],
        ]
        assert "Service 9" in await press(dan, "Service 9")


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        # Photos and voice notes are taken (tests/e2e/test_media.py), and locations
        # (tests/e2e/test_places.py).
        ("send_sticker", "sticker"),
        ("send_document", "document"),
        ("send_contact", "contact"),
        ("send_video", "video"),
        ("send_audio", "audio"),
        ("send_video_note", "video"),
    ],
)
async def test_odd_messages_get_a_kind_answer(
    bot: YousaidBot, emu: Emulator, action: str, kind: str
) -> None:
    erin = emu.person("Erin")
    await consent(erin)
    await getattr(erin, action)()
    reply = (await erin.next_message()).text or ""
    assert reply.startswith(texts.UNSUPPORTED[kind][:20])
    # And she is reminded where she was, with the buttons to carry on.
    assert "Which service" in reply and ["Central Library"] in erin.last.buttons


@pytest.mark.parametrize("action", ["send_sticker", "send_contact", "send_video", "send_audio"])
async def test_an_odd_message_before_agreeing_comes_with_the_consent_question(
    bot: YousaidBot, emu: Emulator, action: str
) -> None:
    newcomer = emu.person("Nell")
    await getattr(newcomer, action)()
    reply = (await newcomer.next_message()).text or ""
    kind = {"send_sticker": "sticker", "send_contact": "contact"}.get(action, action[5:])
    assert reply.startswith(texts.UNSUPPORTED[kind][:20]) and "/start" not in reply
    assert [texts.CONSENT_YES, texts.CONSENT_NO] in newcomer.last.buttons
    await press(newcomer, texts.CONSENT_YES)
    await newcomer.wait_for(lambda msgs: ["Central Library"] in msgs[-1].buttons)


async def test_words_sent_with_a_photo_are_kept_with_the_photo(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    gus = emu.person("Gus")
    await consent(gus)
    await press(gus, "Bins and recycling")
    await gus.send_photo(caption="The bins on Elm Road were left open and rubbish blew everywhere")
    reply = (await gus.next_message()).text or ""
    assert reply.startswith(texts.MEDIA_NOTES["photo_added_words"].format(1))
    assert "How would you rate" in reply
    await press(gus, "2")
    await press(gus, texts.NO)
    assert "Saved as #1" in await press(gus, texts.NO)
    assert stored(db_path, "SELECT text FROM feedback") == [
        ("The bins on Elm Road were left open and rubbish blew everywhere",)
    ]
    assert stored(db_path, "SELECT feedback_id, kind FROM media") == [(1, "photo")]
    # Without words and with nothing being told, a photo goes with the item just saved
    # (not checked yet); with nothing saved, it gets a kind answer alone.
    await gus.send_photo()
    assert "Photo added to #1 (2 of 3)" in ((await gus.next_message()).text or "")
    assert stored(db_path, "SELECT feedback_id, kind FROM media") == [(1, "photo"), (1, "photo")]
    ida = emu.person("Ida")
    await consent(ida)
    await say(ida, "/cancel")
    await ida.send_photo()
    assert (await ida.next_message()).text == texts.MEDIA_NOTES["no_item"]


async def test_edits_and_forwards_are_not_taken_as_feedback(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    fay = emu.person("Fay")
    other = emu.person("Other")
    await consent(fay)
    await press(fay, "Parks and green spaces")
    await fay.forward("The park cafe is great", from_user=other)
    assert "forwarded" in (await fay.next_message()).text  # type: ignore[operator]
    sent = await fay.send("The play area gate is broken and dogs get in")
    await fay.next_message()
    await fay.edit(sent, "Something else entirely, edited later")
    assert "edited a message" in (await fay.next_message()).text  # type: ignore[operator]
    await press(fay, texts.SKIP)  # which of the parks: not said
    await press(fay, "3")
    # Past the rating, words sent are no longer added: the note says to answer and save.
    await fay.edit(sent, "The play area gate is broken, dogs get in and the swings too")
    note = (await fay.next_message()).text or ""
    assert note.startswith(texts.EDITED_WRITTEN) and "hear back" in note, note
    await press(fay, texts.NO)
    await press(fay, texts.NO)
    assert stored(db_path, "SELECT text FROM feedback") == [
        ("The play area gate is broken and dogs get in",)
    ]
    # Once saved, the note names the item kept as first written, and that what comes next
    # is a new report (as it is).
    await fay.edit(sent, "The play area gate is broken and dogs get in, and the swings")
    note = (await fay.next_message()).text or ""
    assert note == texts.EDITED_SAVED.format(reference=1).replace("<b>", "").replace("</b>", "")


async def test_help_privacy_cancel_and_unknown_commands(bot: YousaidBot, emu: Emulator) -> None:
    gus = emu.person("Gus")
    assert "/mine" in await say(gus, "/help")
    assert "Who sees what" in await say(gus, "/privacy")
    assert "nothing to cancel" in await say(gus, "/cancel")
    assert "don't know that command" in await say(gus, "/frobnicate")
    await consent(gus)
    assert "Nothing from this conversation was kept" in await say(gus, "/cancel")
    # The list from the cancelled conversation is still on screen; its buttons are dead.
    answer = await (await gus.press("Buses")).answered()
    assert answer["text"] == texts.EXPIRED


async def test_a_telegram_fault_on_a_reply_is_one_line_and_the_person_told(
    bot: YousaidBot, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    gus = emu.person("Gus")
    fault = emu.faults.server_error("sendMessage", chat_id=gus.id, times=1)
    await gus.send("/help")
    await gus.wait_for(lambda msgs: any(texts.ERROR in (m.text or "") for m in msgs))
    assert fault.hits == 1
    failures = [r for r in caplog.records if "while handling an update" in r.getMessage()]
    assert failures and all(r.exc_info is None for r in failures)
    assert all(r.levelno == logging.WARNING for r in failures)
    await gus.send("/help")  # and the next try works
    await gus.wait_for(lambda msgs: "/mine" in (msgs[-1].text or ""))


async def test_stale_and_forged_buttons_do_nothing(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    hal = emu.person("Hal")
    await consent(hal)
    keyboard = hal.last
    await say(hal, "/cancel")
    press_old = await hal.press_data(keyboard.message_id, keyboard.button_data[0][0] or "")
    assert (await press_old.answered())["text"] == texts.EXPIRED
    for forged in ["r:1:9", "x:y:z", "s:abc:library", "c:y:1999-01:", "h:999:y", "p:1:-5"]:
        press_forged = await hal.press_data(keyboard.message_id, forged)
        answer = await press_forged.answered()
        assert answer.get("text") in (texts.EXPIRED, None) or "OK" in str(answer)
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_an_earlier_welcomes_no_thanks_after_yes_changes_nothing(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    dee = emu.person("Dee")
    # Words before /start get the welcome too; she then says yes to a later one.
    assert "need your OK" in await say(dee, "Hello, is this the council?")
    earlier = dee.last
    # Her /start just after is answered briefly: the whole text is just above.
    again = await say(dee, "/start")
    assert "need your OK" in again and "What I keep" not in again
    assert "Which service" in await press(dee, texts.CONSENT_YES)
    await press(dee, "Central Library")
    assert "How would you rate" in await say(dee, "The lift to the first floor is broken again")
    no = await dee.press_data(earlier.message_id, earlier.button_data[0][1] or "")
    assert (await no.answered())["text"] == texts.EXPIRED
    # Her words are still there: the conversation goes on to the end.
    await press(dee, "2")
    await press(dee, texts.NO)
    assert "Saved as #1" in await press(dee, texts.NO)
    assert stored(db_path, "SELECT decision FROM consents") == [("given",)]
    assert stored(db_path, "SELECT text FROM feedback") == [
        ("The lift to the first floor is broken again",)
    ]


async def test_yes_or_no_typed_at_a_yes_no_question_answers_it(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    eli = emu.person("Eli")
    await consent(eli)
    await press(eli, "Buses")
    await say(eli, "The 42 never turned up this morning and nobody said why")
    assert texts.HEAR_BACK in await press(eli, "1")
    reply = await say(eli, "Yes!")
    assert reply.startswith(texts.INVOLVE) and texts.ADDED_TEXT.strip() not in reply
    assert "Saved as #1" in await say(eli, "no thanks")
    assert stored(db_path, "SELECT text, hear_back FROM feedback") == [
        ("The 42 never turned up this morning and nobody said why", 1)
    ]
    assert stored(db_path, f"SELECT involve FROM citizens WHERE telegram_id = {eli.id}") == [
        ("no",)
    ]


async def test_commands_are_registered_for_private_chats(bot: YousaidBot, emu: Emulator) -> None:
    commands = emu.commands(scope_type="all_private_chats")
    assert [c["command"] for c in commands] == [name for name, _ in texts.COMMANDS]


async def test_conversation_survives_a_restart(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    ivy = emu.person("Ivy")
    async with make_bot():
        await consent(ivy)
        await press(ivy, "Bins and recycling")
    async with make_bot():
        await say(ivy, "Our recycling was missed three weeks in a row now")
        await press(ivy, "2")
        await press(ivy, texts.YES)
        assert "Saved as #1" in await press(ivy, texts.YES)
    assert stored(db_path, "SELECT service_slug, rating FROM feedback") == [("bins", 2)]


async def test_idle_conversation_times_out_with_a_message(
    bot: YousaidBot, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    jo = emu.person("Jo")
    kim = emu.person("Kim")
    await consent(jo)
    await consent(kim)
    await press(kim, "Council tax office")
    await say(kim, "Nobody answered the phone for an hour this morning")
    clock.advance(hours=1)
    job_queue = bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("expire-idle-conversations")
    await job.run(bot.application)
    assert "went quiet" in (await jo.next_message()).text  # type: ignore[operator]
    kim_told = (await kim.next_message()).text or ""
    assert "saved what you wrote as #1" in kim_told
    assert stored(db_path, "SELECT text, rating FROM feedback") == [
        ("Nobody answered the phone for an hour this morning", None)
    ]

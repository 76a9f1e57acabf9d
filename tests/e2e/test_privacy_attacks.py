"""Citizens who care about their data, and careless or hostile ones, on the privacy path:
/mydata, /forget at awkward moments, blocking the bot, retention, in other languages. Each
reply is read as the person reads it, and the database is checked for what it holds."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.config import Deployment
from bot.languages import endonym
from emulator import Emulator, Person
from handlers import texts
from storage import supporters
from storage.db import stamp
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, has, last_has, press_on
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_languages import World as LanguageWorld
from tests.e2e.test_languages import staffed, t
from tests.e2e.test_languages import urdu as urdu  # the fixture
from tests.e2e.test_languages import welsh as welsh  # the fixture
from tests.e2e.test_metoo import SAME, WIFI, offered
from tests.e2e.test_moderation import card_of, give, press_card
from tests.e2e.test_privacy import everything_in
from tests.e2e.test_responses import WEDNESDAY, World, answer_item, notice_of, send_words
from tests.e2e.test_responses import world as world  # the fixture

SECRET = "My neighbour Gwilym Prydderch keeps shouting at the library staff on Tuesdays"


def holds_id(dump: str, telegram_id: int) -> bool:
    """Whether a Telegram id appears in the dump as a whole number (besides the pace of
    sending to a chat written to in the last minute, on PostgreSQL: `send_slots`, pruned a
    minute on, and erased with the citizen)."""
    kept = "\n".join(line for line in dump.splitlines() if not line.startswith("('chat:"))
    return re.search(rf"(?<!\d){telegram_id}(?!\d)", kept) is not None


async def forgotten_once_marked(db_path: Path, person: Person) -> None:
    """No row holds the person's id, once the updates just answered are marked handled
    (marks are written in batches, a moment after the answer; until then an update keeps
    its chat, so that an answer lost to a crash is given again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while holds_id(everything_in(db_path), person.id):
        assert loop.time() < deadline, [
            line for line in everything_in(db_path).splitlines() if str(person.id) in line
        ]
        await asyncio.sleep(0.05)


def member_update(person: Person, emu: Emulator, old: str, new: str) -> dict[str, object]:
    """Telegram's word that a person blocked (kicked) or let back (member) the bot."""
    bot_user = {"id": emu.bot_id, "is_bot": True, "first_name": emu.bot_name}

    def member(status: str) -> dict[str, object]:
        found: dict[str, object] = {"status": status, "user": bot_user}
        if status == "kicked":
            found["until_date"] = 0
        return found

    return {
        "my_chat_member": {
            "chat": {"id": person.id, "type": "private", "first_name": person.user["first_name"]},
            "from": dict(person.user),
            "date": 1764150000,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


async def forget_all(person: Person) -> None:
    """/forget, then "delete everything"; back once the bot says it is done."""
    await person.send("/forget")
    await person.wait_for(last_has("can't be undone"))
    await press_on(person, person.messages[-1], texts.FORGET_ALL)
    await person.wait_for(last_has(texts.FORGET_DONE))


async def mydata(person: Person) -> Any:
    await person.send("/mydata")
    found = await person.wait_for(lambda m: bool(m) and m[-1].document is not None)
    return json.loads(found[-1].document or b"{}")


async def test_forgotten_then_blocking_the_bot_leaves_no_telegram_id(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The natural last step after /forget is to block the bot: Telegram tells the bot,
    which used to keep the person's Telegram id as an unreachable chat, for ever."""
    alice = emu.person("Alice")
    await add_item(world.bot.db, alice.id, "library", SECRET, WEDNESDAY)
    await forget_all(alice)
    assert not holds_id(everything_in(db_path), alice.id)
    emu.inject(member_update(alice, emu, "member", "kicked"))
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT COUNT(*) FROM unreachable_chats") == [(0,)]
    await forgotten_once_marked(db_path, alice)
    # A stranger who never agreed to anything, blocking it: nothing kept either.
    stranger = emu.person("Stranger")
    emu.inject(member_update(stranger, emu, "member", "kicked"))
    await emu.idle(quiet=0.3)
    await forgotten_once_marked(db_path, stranger)
    # A citizen the bot knows is still marked (so nothing is sent into the void), and
    # letting the bot back in clears it.
    bob = emu.person("Bob")
    await add_item(world.bot.db, bob.id, "library", "Open on Sundays please.", WEDNESDAY)
    emu.inject(member_update(bob, emu, "member", "kicked"))
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT chat_id FROM unreachable_chats") == [(bob.id,)]
    emu.inject(member_update(bob, emu, "kicked", "member"))
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT COUNT(*) FROM unreachable_chats") == [(0,)]


async def test_retention_keeps_a_citizen_who_joined_an_item_lately(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Bob wrote long ago, and lately said "me too" on a published item: he is in touch,
    and retention must not forget him (his support would go with him)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, bob.id, "parks", "The park gates are locked too early", WEDNESDAY)
    clock.advance(days=700)
    item = await add_item(world.bot.db, alice.id, "library", WIFI, clock.now)
    assert "Which service" in await say(bob, "/start")
    assert "Is it one of these?" in await offered(bob, SAME)
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    clock.advance(days=60)
    done = await world.bot.privacy.retention()
    assert done.citizens_forgotten == 0
    assert stored(
        db_path,
        "SELECT s.feedback_id FROM supporters s JOIN citizens c ON c.id = s.citizen_id"
        f" WHERE c.telegram_id = {bob.id}",
    ) == [(item,)]
    # Two years after his last sign of life, he is forgotten, support and all.
    clock.advance(days=731)
    done = await world.bot.privacy.retention()
    assert done.citizens_forgotten == 2
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]


async def test_retention_keeps_a_citizen_who_rated_a_response_lately(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Please open on Sundays.", WEDNESDAY)
    clock.advance(days=700)
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await press_on(alice, await notice_of(alice), texts.ANSWERED_YES)
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT reply FROM outbox") == [("yes",)]
    clock.advance(days=60)
    assert (await world.bot.privacy.retention()).citizens_forgotten == 0
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {alice.id}") == [
        (1,)
    ]


async def test_forget_in_the_middle_of_writing_keeps_none_of_the_words(
    world: World, emu: Emulator, db_path: Path
) -> None:
    cy = emu.person("Cy")
    await consent(cy)
    assert "What happened" in await press(cy, "Central Library")
    assert "How would you rate it" in await say(cy, SECRET)
    await cy.send("/forget")
    await cy.wait_for(last_has("can't be undone"))
    await press_on(cy, cy.messages[-1], texts.FORGET_ALL)
    await cy.wait_for(last_has(texts.FORGET_DONE))
    dump = everything_in(db_path)
    assert "Prydderch" not in dump and not holds_id(dump, cy.id)
    # The rating buttons of the conversation forgotten do nothing, and keep nothing.
    before = len(cy.messages)
    await (await cy.press("4")).answered()
    await emu.idle(quiet=0.3)
    # Answered as a newcomer: asked for consent, with nothing of before.
    shown = [m.text or "" for m in cy.messages]
    assert any(text.startswith("Before we start, I need your OK") for text in shown)
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]
    await forgotten_once_marked(db_path, cy)
    # Twice: the second /forget finds nothing, says so, and keeps nothing.
    await cy.send("/forget")
    await cy.wait_for(lambda m: len(m) > before and "can't be undone" in (m[-1].text or ""))
    await press_on(cy, cy.messages[-1], texts.FORGET_ALL)
    await cy.wait_for(last_has(texts.FORGET_NOTHING))
    await forgotten_once_marked(db_path, cy)
    # Writing again starts from consent, as a newcomer.
    await cy.send("/start")
    await cy.wait_for(last_has("Is that OK with you?"))


async def test_forget_after_a_merge_and_me_too_leaves_the_others_whole(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Bob said "me too" on Alice's item, and his own item was merged into it: /forget takes
    his support and his words (his item stays counted, anonymous), and Alice's item, her
    words and Carol's support stand."""
    alice, bob, carol = emu.person("Alice"), emu.person("Bob"), emu.person("Carol")
    db = world.bot.db
    kept = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    bobs = await add_item(db, bob.id, "library", "Library wifi drops all the time, Bob", WEDNESDAY)
    await consent(carol)
    assert "Is it one of these?" in await offered(carol, SAME)
    await press_on(carol, carol.messages[-1], "It's 1")
    await carol.wait_for(last_has("your support is added"))

    async def merge(conn: aiosqlite.Connection) -> None:
        await supporters.merge(conn, kept, bobs, 1, WEDNESDAY)

    await db.write(merge)
    data = await mydata(bob)
    assert [i["status"] for i in data["items"]] == [texts.MYDATA_VALUES["status"]["merged"]]
    await forget_all(bob)
    # His merged item stays counted with hers, without words or author.
    assert stored(db_path, f"SELECT citizen_id, text, status FROM feedback WHERE id = {bobs}") == [
        (0, "", "merged")
    ]
    assert stored(db_path, f"SELECT text, status FROM feedback WHERE id = {kept}") == [
        (WIFI, "approved")
    ]
    assert stored(
        db_path,
        "SELECT c.telegram_id FROM supporters s JOIN citizens c ON c.id = s.citizen_id"
        f" WHERE s.feedback_id = {kept}",
    ) == [(carol.id,)]
    dump = everything_in(db_path)
    assert "Bob" not in dump and not holds_id(dump, bob.id)
    # A response on the item reaches Alice and Carol, never Bob.
    await answer_item(world.pat, kept, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "A new wifi router is ordered.")
    await notice_of(alice)
    await notice_of(carol)
    await emu.idle(quiet=0.3)
    assert not any("has responded" in (m.text or "") for m in bob.messages)


async def test_forget_with_a_response_waiting_to_be_sent_sends_it_never(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """A response to Alice could not leave (Telegram busy for her chat); she forgets
    meanwhile: it is never sent, and nothing of hers is kept for the retry."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Please open on Sundays.", WEDNESDAY)
    broken = emu.faults.server_error("sendMessage", chat_id=alice.id, status=502, times=1)
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await emu.idle(quiet=0.3)
    assert broken.hits == 1
    assert stored(db_path, "SELECT state, attempts FROM outbox") == [("pending", 1)]
    await forget_all(alice)
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    clock.advance(hours=2)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert not any("has responded" in (m.text or "") for m in alice.messages)
    assert not holds_id(everything_in(db_path), alice.id)


async def test_mydata_and_forget_in_welsh(
    welsh: LanguageWorld, emu: Emulator, db_path: Path
) -> None:
    nia = emu.person("Nia", language_code="cy")
    await add_item(welsh.bot.db, nia.id, "library", SECRET, WEDNESDAY)

    async def in_welsh(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE citizens SET language = 'cy' WHERE telegram_id = ?", (nia.id,))

    await welsh.bot.db.write(in_welsh)
    await nia.send("/mydata")
    found = await nia.wait_for(lambda m: bool(m) and m[-1].document is not None)
    assert found[-1].text == t("cy", "MYDATA_CAPTION") or t("cy", "MYDATA_CAPTION") in (
        found[-1].caption or ""
    )
    data = json.loads(found[-1].document or b"{}")
    # Its field names in Welsh too.
    keys = t("cy", "MYDATA_KEYS")
    assert data[keys["items"]][0][keys["what_you_wrote"]] == SECRET
    await nia.send("/forget")
    asked = await nia.wait_for(lambda m: bool(m) and bool(m[-1].buttons))
    assert asked[-1].text == t("cy", "FORGET_ASK")
    await press_on(nia, asked[-1], t("cy", "FORGET_ALL"))
    await nia.wait_for(last_has(t("cy", "FORGET_DONE")))
    assert not holds_id(everything_in(db_path), nia.id)


async def test_mydata_and_forget_in_urdu(urdu: LanguageWorld, emu: Emulator, db_path: Path) -> None:
    words = "لائبریری کا وائی فائی بار بار بند ہو جاتا ہے، میرا نمبر 07700 900123 ہے"
    ali = emu.person("Ali", language_code="ur")
    await add_item(urdu.bot.db, ali.id, "library", words, WEDNESDAY)

    async def in_urdu(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE citizens SET language = 'ur' WHERE telegram_id = ?", (ali.id,))

    await urdu.bot.db.write(in_urdu)
    data = await mydata(ali)
    # The file keeps the words as written (not escaped, not reordered), under Urdu names.
    keys = t("ur", "MYDATA_KEYS")
    assert data[keys["items"]][0][keys["what_you_wrote"]] == words
    assert ali.messages[-1].caption == t("ur", "MYDATA_CAPTION")
    await ali.send("/forget")
    asked = await ali.wait_for(lambda m: bool(m) and bool(m[-1].buttons))
    assert asked[-1].text == t("ur", "FORGET_ASK")
    await press_on(ali, asked[-1], t("ur", "FORGET_ALL"))
    await ali.wait_for(last_has(t("ur", "FORGET_DONE")))
    assert words not in everything_in(db_path)


@pytest.mark.parametrize("language", ["cy", "pl", "ur"])
async def test_mydata_says_its_fixed_values_in_the_citizens_language_and_keeps_their_words(
    make_bot: BotFactory,
    emu: Emulator,
    deployment: Deployment,
    clock: FakeClock,
    db_path: Path,
    language: str,
) -> None:
    """What was shared, yes and no, kinds and states come out in her language; what she
    wrote (even a word that is also a state, "sent") stays as written."""
    rhi = emu.person("Rhi", language_code=language)
    async for here in staffed(make_bot, emu, deployment, clock, ([language, "en"], {})):
        item = await add_item(here.bot.db, rhi.id, "library", "sent", WEDNESDAY)

        async def kept(conn: aiosqlite.Connection) -> None:
            citizen = "(SELECT id FROM citizens WHERE telegram_id = ?)"
            await conn.execute(
                f"UPDATE citizens SET language = ?, involve = 'yes' WHERE id = {citizen}",
                (language, rhi.id),
            )
            await conn.execute(
                "INSERT INTO asks (id, kind, provider_id, service_slug, text, author,"
                " author_chat, state, created_at) VALUES (7, 'invitation', 'culture-leisure',"
                " 'library', 'Join our users panel', 1, 1, 'approved', ?)",
                (stamp(WEDNESDAY),),
            )
            await conn.execute(
                "INSERT INTO outbox (kind, ref_id, citizen_id, feedback_id, state, created_at,"
                f" reply) VALUES ('invitation', 7, {citizen}, NULL, 'sent', ?, 'accepted')",
                (rhi.id, stamp(WEDNESDAY)),
            )
            await conn.execute(
                "INSERT INTO acceptances (ask_id, citizen_id, share, first_name, created_at)"
                f" VALUES (7, {citizen}, 'name', 'Rhi', ?)",
                (rhi.id, stamp(WEDNESDAY)),
            )

        await here.bot.db.write(kept)
        data = await mydata(rhi)
    keys, values = t(language, "MYDATA_KEYS"), t(language, "MYDATA_VALUES")
    english = texts.MYDATA_VALUES
    (mine,) = data[keys["items"]]
    assert mine[keys["reference"]] == item
    assert mine[keys["what_you_wrote"]] == "sent"  # her words, not a delivery state
    assert mine[keys["status"]] == values["status"]["approved"]
    assert mine[keys["kind"]] == values["kind"]["complaint"]
    assert mine[keys["themes"]][0][keys["found_by"]] == values["found_by"]["model"]
    assert (
        data[keys["you"]][keys["would_like_to_be_involved"]]
        == values["would_like_to_be_involved"]["yes"]
    )
    (asked,) = data[keys["questions_and_invitations_sent_to_you"]]
    assert asked[keys["kind"]] == values["kind"]["invitation"]
    assert asked[keys["delivery"]] == values["delivery"]["sent"]
    assert asked[keys["your_answer"]] == values["your_answer"]["accepted"]
    assert asked[keys["text"]] == "Join our users panel"
    (accepted,) = data[keys["invitations_you_accepted"]]
    assert accepted[keys["shared"]] == values["shared"]["name"]
    assert accepted[keys["first_name_shared"]] == "Rhi"
    # Not one English word of the fixed values left (each language says them its own way),
    # her own words aside.
    said = json.dumps({k: v for k, v in data.items() if k != keys["items"]}, ensure_ascii=False)
    words = (keys["what_you_wrote"], keys["as_published"])
    said += json.dumps({k: v for k, v in mine.items() if k not in words}, ensure_ascii=False)
    for field in ("status", "kind", "found_by", "delivery", "your_answer", "shared"):
        for raw, words in english[field].items():
            assert f'"{words}"' not in said, (field, raw)
    assert '"your name"' not in said and '"accepted"' not in said and '"complaint"' not in said


async def test_a_stale_card_of_a_forgotten_item_approves_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The card could not be taken back yet (Telegram failing for the moderators' chat): a
    moderator pressing Approve on it publishes nothing, and the author hears nothing."""
    cy = emu.person("Cy")
    item = await give(cy, "Central Library", SECRET)
    card = await card_of(world.mods, item)
    emu.faults.server_error("deleteMessage", chat_id=world.mods.id, status=502)
    emu.faults.server_error("editMessageText", chat_id=world.mods.id, status=502)
    await forget_all(cy)
    await emu.idle(quiet=0.3)
    heard = len(cy.messages)
    answer = await press_card(world.sam, world.mods, card, texts.APPROVE)
    await emu.idle(quiet=0.3)
    assert answer.get("text"), answer  # told something, not silence
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert len(cy.messages) == heard
    assert "Prydderch" not in everything_in(db_path)


async def test_urdu_words_in_mine_are_isolated_and_mixed_input_is_kept_whole(
    urdu: LanguageWorld, emu: Emulator, db_path: Path
) -> None:
    # Urdu with English words and a stray right-to-left override in the middle.
    words = "لائبریری wifi بار بار بند \u202eہو جاتا ہے"
    ali = emu.person("Ali", language_code="ur")
    item = await add_item(urdu.bot.db, ali.id, "library", words, WEDNESDAY)

    async def in_urdu(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE citizens SET language = 'ur' WHERE telegram_id = ?", (ali.id,))

    await urdu.bot.db.write(in_urdu)
    await ali.send("/mine")
    found = await ali.wait_for(lambda m: bool(m) and f"#{item}" in (m[-1].text or ""))
    text = found[-1].text or ""
    # The override is kept inside an isolate: nothing after the words is reversed.
    assert "\u2068" in text and "\u2069" in text
    start, end = text.index("\u2068"), text.rindex("\u2069")
    assert "\u202e" not in text[:start] + text[end:]
    data = await mydata(ali)
    keys = t("ur", "MYDATA_KEYS")
    assert data[keys["items"]][0][keys["what_you_wrote"]] == words


async def test_forget_in_polish_mid_conversation_and_back_as_a_newcomer(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    async for polish in staffed(make_bot, emu, deployment, clock, (["en", "pl"], {})):
        ola = emu.person("Ola", language_code="pl")
        words = "Autobus linii 7 znowu się spóźnił o 40 minut, a kierowca był niemiły"
        await ola.send(words)
        await ola.wait_for(lambda m: bool(m) and bool(m[-1].buttons))
        await press_on(ola, ola.messages[-1], "✓ " + endonym("pl"))
        await ola.wait_for(
            lambda m: bool(m) and [t("pl", "CONSENT_YES"), t("pl", "CONSENT_NO")] in m[-1].buttons
        )
        await press_on(ola, ola.messages[-1], t("pl", "CONSENT_YES"))
        await ola.wait_for(lambda m: bool(m) and "Bus" in str(m[-1].buttons))
        assert stored(db_path, "SELECT text FROM conversations") == [(words,)]
        await ola.send("/forget")
        asked = await ola.wait_for(lambda m: bool(m) and m[-1].text == t("pl", "FORGET_ASK"))
        await press_on(ola, asked[-1], t("pl", "FORGET_ALL"))
        await ola.wait_for(last_has(t("pl", "FORGET_DONE")))
        dump = everything_in(db_path)
        assert "kierowca" not in dump and not holds_id(dump, ola.id)
        assert polish.bot is not None


async def test_mydata_and_a_forget_declined_mid_conversation_lose_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    cy = emu.person("Cy")
    await consent(cy)
    assert "What happened" in await press(cy, "Central Library")
    assert "How would you rate it" in await say(cy, SECRET)
    data = await mydata(cy)
    talk = data["conversation_in_progress"]
    assert talk["text_so_far"] == SECRET and talk["service"] == "library"
    await cy.send("/forget")
    await cy.wait_for(last_has("can't be undone"))
    await press_on(cy, cy.messages[-1], texts.FORGET_NO)
    await cy.wait_for(last_has(texts.FORGET_CANCELLED))
    # The conversation goes on where it was: the rating, then the rest.
    assert stored(db_path, "SELECT state, text FROM conversations") == [("rating", SECRET)]
    rating = next(m for m in reversed(cy.messages) if "How would you rate it" in (m.text or ""))
    await press_on(cy, rating, "4")
    for asked in ("hear back", "involved"):
        found = await cy.wait_for(has(asked))
        await press_on(cy, next(x for x in found if asked in (x.text or "")), texts.NO)
    await cy.wait_for(has("Saved as #1"))
    assert stored(db_path, "SELECT text, rating FROM feedback") == [(SECRET, 4)]


async def test_mydata_of_a_long_history_lists_every_item_place_and_support(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    for n in range(120):
        # Over months (the daily limit is for new items).
        at = WEDNESDAY - timedelta(days=200 - n)
        await add_item(world.bot.db, bob.id, "buses", f"Bus {n} was late again, {SECRET}", at)
    # One more at the park, at a place, through the bot; then "me too" on Alice's item.
    assert "Which service" in await say(bob, "/start")
    assert "What happened" in await press(bob, "Parks and green spaces")
    assert "Where was this?" in await say(bob, "The swings in the play area are broken")
    reply = await press(bob, "Mill Lane play area")
    if "Is it one of these?" in reply:
        reply = await press(bob, texts.METOO_DIFFERENT)
    assert "How would you rate it" in reply
    assert "hear back" in await press(bob, "2")
    assert "involved" in await press(bob, texts.NO)
    assert "Saved as #122" in await press(bob, texts.NO)
    assert "Which service" in await say(bob, "/start")
    assert "Is it one of these?" in await offered(bob, SAME)
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    data = await mydata(bob)
    assert bob.messages[-1].caption == texts.MYDATA_CAPTION
    items = data["items"]
    assert len(items) == 121
    assert [i["reference"] for i in items] == list(range(2, 123))
    assert data["places"] == [
        {
            "with_item": 122,
            "site": "Mill Lane play area",
            "latitude": None,
            "longitude": None,
            "exact": False,
            "accuracy_metres": None,
            "given_at": data["places"][0]["given_at"],
        }
    ]
    assert [s["reference"] for s in data["supported"]] == [item]
    assert WIFI not in json.dumps(data["items"]) and str(alice.id) not in json.dumps(data)
    assert str(bob.id) not in json.dumps(data)
    # /mine, over several messages if need be, lists the newest and says how many more.
    await bob.send("/mine")
    found = await bob.wait_for(lambda m: any("earlier" in (x.text or "") for x in m[-3:]))
    assert any("#122" in (x.text or "") for x in found[-3:])


async def test_blocked_mid_conversation_then_back_loses_nothing_and_sees_the_response(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Kim blocks the bot in the middle of writing: the conversation times out without a
    fault and her words are saved; a response sent while she is away is not lost: back,
    /mine shows it, and what follows reaches her."""
    kim = emu.person("Kim")
    earlier = await add_item(world.bot.db, kim.id, "library", "Open on Sundays please.", WEDNESDAY)
    assert "Which service" in await say(kim, "/start")
    assert "What happened" in await press(kim, "Council tax office")
    await say(kim, "Nobody answered the phone for an hour this morning")
    kim.block()
    emu.inject(member_update(kim, emu, "member", "kicked"))
    await emu.idle(quiet=0.3)
    await answer_item(world.pat, earlier, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    clock.advance(hours=1)
    await run_job(world.bot, "expire-idle-conversations")
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT text FROM feedback ORDER BY id") == [
        ("Open on Sundays please.",),
        ("Nobody answered the phone for an hour this morning",),
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",)]
    # Back: she unblocks and writes.
    kim.unblock()
    emu.inject(member_update(kim, emu, "kicked", "member"))
    await kim.send("/mine")
    found = await kim.wait_for(
        lambda m: any("Sunday funding" in (x.text or "") for x in m), timeout=10
    )
    assert any(f"#{earlier}" in (x.text or "") for x in found)
    assert stored(db_path, "SELECT COUNT(*) FROM unreachable_chats") == [(0,)]


async def test_back_after_blocking_only_recent_answers_are_sent_and_older_stay_in_mine(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Answers that could not reach Kim while she had blocked the bot: back, she is sent
    those of the last 30 days (YOUSAID_RESEND_BLOCKED_DAYS), not one from longer ago out of
    the blue; /mine still shows both."""
    kim = emu.person("Kim")
    recent = await add_item(world.bot.db, kim.id, "library", "Open on Sundays please.", WEDNESDAY)
    old = await add_item(world.bot.db, kim.id, "library", "More seats upstairs.", WEDNESDAY)
    kim.block()
    emu.inject(member_update(kim, emu, "member", "kicked"))
    await emu.idle(quiet=0.3)
    for item, words in ((recent, "Sunday funding"), (old, "new chairs")):
        await answer_item(world.pat, item, texts.RESPONSE_STATUS["in_progress"])
        await send_words(world.pat, f"We are asking the council for {words}.")
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",), ("blocked",)]
    # She stays away a while: one answer is just within the bound, the other just past it.
    bound = timedelta(days=world.bot.settings.resend_blocked_days)
    assert bound == timedelta(days=30)
    ages = {recent: bound - timedelta(minutes=1), old: bound + timedelta(minutes=1)}

    async def queued_long_ago(conn: aiosqlite.Connection) -> None:
        for item, age in ages.items():
            await conn.execute(
                "UPDATE outbox SET created_at = ? WHERE feedback_id = ?",
                (stamp(clock.now - age), item),
            )

    await world.bot.db.write(queued_long_ago)
    kim.unblock()
    emu.inject(member_update(kim, emu, "kicked", "member"))
    await kim.wait_for(lambda m: any("Sunday funding" in (x.text or "") for x in m), timeout=10)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert not any("new chairs" in (m.text or "") for m in kim.messages)
    assert stored(db_path, "SELECT feedback_id, state FROM outbox ORDER BY feedback_id") == [
        (recent, "sent"),
        (old, "blocked"),
    ]
    # The older answer is where her answers are shown.
    before = len(kim.messages)
    await kim.send("/mine")
    shown = await kim.wait_for(
        lambda m: any("new chairs" in (x.text or "") for x in m[before:]), timeout=10
    )
    assert any("Sunday funding" in (x.text or "") for x in shown[before:])


async def outdated(world: World, person: Person) -> int:
    """An approved item of hers, given under an earlier version of the privacy text."""
    item = await add_item(world.bot.db, person.id, "library", "Open on Sundays please.", WEDNESDAY)

    async def earlier(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE consents SET version = '2025-01'")

    await world.bot.db.write(earlier)
    return item


async def test_a_new_privacy_version_is_asked_again_and_kept_in_mydata(
    world: World, emu: Emulator, db_path: Path
) -> None:
    vi = emu.person("Vi")
    item = await outdated(world, vi)
    shown = await say(vi, "/start")
    assert shown.startswith(texts.CONSENT_AGAIN.strip()) and "Is that OK with you?" in shown
    assert "Which service" in await press(vi, texts.CONSENT_YES)
    data = await mydata(vi)
    assert [(c["version"], c["decision"]) for c in data["consents"]] == [
        ("2025-01", "given"),
        ("2026-12", "given"),
    ]
    assert [i["reference"] for i in data["items"]] == [item]


async def test_declining_a_new_privacy_version_says_truly_what_is_kept(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Declining the new text used to say "I haven't kept anything you said", while her
    items, given under the earlier text, are kept: she is told what is, and how to erase it."""
    vi = emu.person("Vi")
    item = await outdated(world, vi)
    assert "Is that OK with you?" in await say(vi, "/start")
    reply = await press(vi, texts.CONSENT_NO)
    assert reply == texts.DECLINED_KEPT
    assert "/forget" in reply and "/mydata" in reply
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]
    assert stored(db_path, "SELECT version, decision FROM consents ORDER BY id") == [
        ("2025-01", "given"),
        ("2026-12", "declined"),
    ]
    # A newcomer who says no is told nothing was kept (true for them).
    zed = emu.person("Zed")
    assert "Is that OK with you?" in await say(zed, "/start")
    assert await press(zed, texts.CONSENT_NO) == texts.DECLINED


async def test_an_edit_under_way_when_the_author_forgets_is_taken_back_too(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Sam was editing Cy's item when Cy forgot: the card went, and the edit prompt stayed,
    its Cancel button dead, inviting a reply carrying Cy's words that nothing would tidy
    away. It goes with the card; Sam's next message is ordinary chat, and nothing is kept."""
    cy, sam, mods = emu.person("Cy"), world.sam, world.mods
    item = await give(cy, "Central Library", SECRET)
    card = await card_of(mods, item)
    await press_card(sam, mods, card, texts.EDIT)
    prompt = (await mods.wait_for(lambda m: "reply to this message" in (m[-1].text or "")))[-1]
    await forget_all(cy)
    gone = {card.message_id, prompt.message_id}
    await mods.wait_for(lambda m: not gone & {x.message_id for x in m})
    await sam.send("My neighbour keeps shouting at the library staff on Tuesdays", chat=mods)
    await emu.idle(quiet=0.3)
    assert mods.messages == []
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM pending_edits") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]
    assert "shouting" not in everything_in(db_path)


async def test_mydata_and_forget_in_a_group_show_nobody_anything(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A citizen sends /mydata and /forget in a group they share with others: no file of
    theirs lands in the group, and nobody else's press there erases them."""
    cy = emu.person("Cy")
    await add_item(world.bot.db, cy.id, "library", SECRET, WEDNESDAY)
    friends = emu.group("Friends", members=[cy, world.sam])
    await cy.send("/mydata", chat=friends)
    await cy.send("/forget", chat=friends)
    await emu.idle(quiet=0.3)
    assert all(m.document is None for m in friends.messages)
    for message in friends.messages:
        for data in (d for row in message.button_data for d in row if d):
            await (await world.sam.press_data(message.message_id, data, chat=friends)).answered()
    await emu.idle(quiet=0.3)
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {cy.id}") == [(1,)]
    assert stored(db_path, "SELECT text FROM feedback") == [(SECRET,)]
    assert all(SECRET not in (m.text or "") for m in friends.messages)


async def test_retention_keeps_an_inactive_citizen_until_the_answer_queued_for_them_has_gone(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Kim has not been in touch for longer than the deployment keeps people, and a provider
    answers her old item just now: while Telegram fails to take the answer, the daily
    retention does not forget her (nor the chat it goes to); once it has gone, it does."""
    kim = emu.person("Kim")
    long_ago = WEDNESDAY - timedelta(days=800)
    item = await add_item(world.bot.db, kim.id, "library", "Open on Sundays please.", long_ago)
    down = emu.faults.server_error("sendMessage", chat_id=kim.id)
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert down.hits >= 1
    assert stored(db_path, "SELECT state FROM outbox") == [("pending",)]
    assert (await world.bot.privacy.retention()).citizens_forgotten == 0
    # Telegram takes it again: the answer reaches her at the next try.
    emu.faults.remove(down)
    clock.advance(hours=1)
    await run_job(world.bot, "send-to-citizens")
    await kim.wait_for(has("Sunday funding"), timeout=10)
    assert stored(db_path, "SELECT state FROM outbox") == [("sent",)]
    # Nothing is on its way to her any more: she is forgotten as any inactive citizen.
    assert (await world.bot.privacy.retention()).citizens_forgotten == 1
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {kim.id}") == [(0,)]


async def test_retention_keeps_a_blocked_citizen_while_their_answer_may_still_be_resent(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """An answer that could not reach Kim (she had blocked the bot) is sent when she comes
    back within YOUSAID_RESEND_BLOCKED_DAYS: retention keeps her that long, not longer."""
    kim = emu.person("Kim")
    long_ago = WEDNESDAY - timedelta(days=800)
    item = await add_item(world.bot.db, kim.id, "library", "Open on Sundays please.", long_ago)
    kim.block()
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",)]
    bound = timedelta(days=world.bot.settings.resend_blocked_days)
    clock.advance(seconds=(bound - timedelta(minutes=1)).total_seconds())
    assert (await world.bot.privacy.retention()).citizens_forgotten == 0
    assert stored(db_path, f"SELECT COUNT(*) FROM unreachable_chats WHERE chat_id = {kim.id}") == [
        (1,)
    ]
    # Past the bound the answer would not be sent any more: nothing keeps her.
    clock.advance(minutes=2)
    assert (await world.bot.privacy.retention()).citizens_forgotten == 1
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert not holds_id(everything_in(db_path), kim.id)


async def test_an_inactive_citizen_back_within_the_bound_after_blocking_gets_the_answer(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Kim, long quiet, had blocked the bot when a provider answered her: a retention run
    meanwhile does not take the answer from her; back, she reads it."""
    kim = emu.person("Kim")
    long_ago = WEDNESDAY - timedelta(days=800)
    item = await add_item(world.bot.db, kim.id, "library", "Open on Sundays please.", long_ago)
    kim.block()
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    clock.advance(days=3)
    await world.bot.privacy.retention()
    kim.unblock()
    emu.inject(member_update(kim, emu, "kicked", "member"))
    await kim.wait_for(has("Sunday funding"), timeout=10)

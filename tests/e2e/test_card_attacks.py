"""Attacks on the card's lines about redaction and on the auto-approve rule, through the
emulator: texts that are odd, long or full of markup, edits, undos and lists."""

from __future__ import annotations

import json
from pathlib import Path

from bot.bidi import FSI, PDI
from emulator import Group, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.test_card_flags import _edit, _tagged, auto, lines  # noqa: F401 - the fixture, shared
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    outcome,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_moderation_faults import sweep


async def test_a_name_removed_once_and_left_once_is_said_removed_and_asked_about(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(team.citizen, "Buses", "Thanks Dr Patel. Patel was great with my mum.")
    card = await card_of(team.group, item)
    text = card.text or ""
    assert "Dr [name]" in text
    assert lines(text, "🔒") == ["🔒 Removed: a name"]
    assert lines(text, "⚠️") == ["⚠️ Please check: a possible name (“Patel”)"]


async def test_flagged_text_full_of_markup_still_makes_a_card(
    team: Team,  # noqa: F811 - the fixture imported above
    clock: FakeClock,
) -> None:
    # Through the redactor: markup all round a number it flags, whatever it makes of the rest.
    said = "Thank you <b>all</b> & co. *ref <441 2998>* `x` [y] _z_ < > & شكرا 😀"
    given = await give(team.citizen, "Buses", said)
    card = await card_of(team.group, given)
    assert lines(card.text, "⚠️") == ["⚠️ Please check: a long number (“441 2998”)"]
    assert "*ref <441 2998>* `x` [y] _z_ < > &" in (card.text or "")
    # Flagged as the redactor would flag names it is unsure of: the markup inside the flags.
    text = (
        "Thank you <b>Priya Sharma</b> & co. *Kamil Nowak* `x` [y] _z_ < > & "
        "شكرا [Ahmed_Khan] 😀 ref `441 2998`"
    )
    flagged = [
        ("name", "<b>Priya Sharma</b>"),
        ("name", "*Kamil Nowak*"),
        ("name", "[Ahmed_Khan]"),
        ("number", "`441 2998`"),
    ]
    flags = [
        {"kind": kind, "start": text.index(bit), "end": text.index(bit) + len(bit), "text": bit}
        for kind, bit in flagged
    ]
    (item,) = await _tagged(team.bot.db, team.citizen.id, clock(), [(text, json.dumps(flags))])
    await sweep(team)
    card = await card_of(team.group, item)
    assert lines(card.text, "⚠️") == [
        "⚠️ Please check: a possible name (“<b>Priya Sharma</b>”), a possible name "
        "(“*Kamil Nowak*”), a possible name (“[Ahmed_Khan]”), a long number (“`441 2998`”)"
    ]
    shown = (card.text or "").replace(FSI, "").replace(PDI, "")
    assert "<b>Priya Sharma</b> & co. *Kamil Nowak* `x` [y] _z_ < > &" in shown


async def test_a_card_near_the_limit_with_many_flags_still_goes_and_counts_them(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    filler = "The bus was late again and the driver would not wait for us. " * 63
    numbers = ", ".join(f"{n}41 29{n}8" for n in range(1, 10))
    item = await give(team.citizen, "Buses", f"{filler}Thanks all. Refs {numbers}.")
    card = await card_of(team.group, item)
    text = card.text or ""
    # The quote is shortened; what to check at its end is still listed.
    assert "characters more)" in text and "141 2918" not in text.split("⚠️")[0]
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    (check,) = lines(text, "⚠️")
    assert check.startswith("⚠️ Please check: a long number (“141 2918”), a long number (“241")
    assert check.count("a long number") == 5
    assert check.endswith(", and 4 more")


async def test_a_flag_with_markup_and_a_line_break_is_quoted_on_one_line(
    team: Team,  # noqa: F811 - the fixture imported above
    clock: FakeClock,
) -> None:
    said = "Thanks <Ola>\nNowak & *co* from `us` [x]_"
    flag = json.dumps([{"kind": "name", "start": 7, "end": 25, "text": said[7:25]}])
    (item,) = await _tagged(team.bot.db, team.citizen.id, clock(), [(said, flag)])
    await sweep(team)
    card = await card_of(team.group, item)
    assert lines(card.text, "⚠️") == ["⚠️ Please check: a possible name (“<Ola> Nowak & *co*”)"]
    shown = (card.text or "").replace(FSI, "").replace(PDI, "")
    assert "Thanks <Ola>\nNowak & *co* from `us` [x]_" in shown


async def test_an_undone_approval_keeps_the_cards_lines_true(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(
        team.citizen, "Buses", "Ring me on 07700 900123 please. The ref is 441 2998, he saw it."
    )
    card = await card_of(team.group, item)
    before = (lines(card.text, "🔒"), lines(card.text, "⚠️"))
    assert before == (
        ["🔒 Removed: a phone number"],
        ["⚠️ Please check: a long number (“441 2998”)"],
    )
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card.text or ""))
    assert (lines(card.text, "🔒"), lines(card.text, "⚠️")) == before
    await press_card(team.sam, team.group, card, texts.UNDO)
    await team.group.wait_for(lambda _: "Waiting for a moderator" in (card.text or ""))
    assert (lines(card.text, "🔒"), lines(card.text, "⚠️")) == before


async def test_auto_approve_holds_a_bare_name_and_capitals_and_passes_plain_praise(
    auto: tuple[Person, Group],  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    citizen, group = auto
    bare = await give(citizen, "Central Library", "Thank you so much Nadia", rating="5")
    loud = await give(
        citizen, "Central Library", "THANK YOU PRIYA SHARMA, WONDERFUL STAFF!", rating="5"
    )
    twice = await give(
        citizen, "Central Library", "Thank you Dr Patel, Patel is wonderful!", rating="5"
    )
    plain = await give(
        citizen, "Central Library", "Lovely staff, thank you all so much! 😀", rating="5"
    )
    card = await card_of(group, plain)
    assert "Published by the auto-approve rule" in (card.text or "")
    for item in (bare, loud, twice):
        card = await card_of(group, item)
        assert "Waiting for a moderator" in (card.text or ""), card.text
        assert lines(card.text, "⚠️") or lines(card.text, "🔒")
    rows = stored(db_path, "SELECT id, status FROM feedback ORDER BY id")
    assert rows == [(bare, "pending"), (loud, "pending"), (twice, "pending"), (plain, "approved")]


async def test_the_author_hears_a_name_was_removed_when_it_was_typed_twice(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(team.citizen, "Buses", "Thanks Dr Patel. Patel was great with my mum.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    assert "a name" in await outcome(team.citizen, item)


async def test_a_card_drawn_again_after_retention_still_says_what_was_removed(
    team: Team,  # noqa: F811 - the fixture imported above
    clock: FakeClock,
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Buses", "Ring me on 07700 900123, the driver was rude.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card.text or ""))
    clock.advance(days=181)
    assert (await team.bot.privacy.retention()).originals_removed == 1
    assert "07700" not in str(stored(db_path, f"SELECT * FROM feedback WHERE id = {item}"))
    # The card is drawn again (Undo is out of time): it still says what was removed.
    await press_card(team.sam, team.group, card, texts.UNDO)
    await team.group.wait_for(lambda _: texts.UNDO not in str(card.buttons))
    assert lines(card.text, "🔒") == ["🔒 Removed: a phone number"]
    assert lines(card.text, "⚠️") == []
    kept = stored(db_path, f"SELECT redactions, redaction_flags FROM feedback WHERE id = {item}")
    assert kept == [('[{"kind": "phone"}]', "[]")]


async def test_an_edit_that_puts_back_one_of_two_removed_numbers_is_told_both_ways(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(
        team.citizen, "Buses", "Ring 07700 900123 or 07700 900123 again, the driver was rude."
    )
    card = await card_of(team.group, item)
    assert lines(card.text, "🔒") == ["🔒 Removed: a phone number"]
    await _edit(team, "Ring [phone]", item, "Ring 07700 900123 or [phone] again, he was rude.")
    card = await card_of(team.group, item)
    # One is still removed, the other is back and asked about.
    assert lines(card.text, "🔒") == ["🔒 Removed: a phone number"]
    assert lines(card.text, "⚠️") == ["⚠️ Please check: a phone number (“07700 900123”)"]
    await _edit(team, "or [phone] again", item, "Ring 07700 900123 or 07700 900123, rude.")
    card = await card_of(team.group, item)
    assert lines(card.text, "🔒") == []


async def test_auto_approve_holds_names_written_with_letters_beyond_latin_1(
    auto: tuple[Person, Group],  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    citizen, group = auto
    polish = await give(citizen, "Central Library", "Thanks Łukasz Wiśniewski, great help!", "5")
    turkish = await give(citizen, "Central Library", "Thank you Şule Yılmaz, so kind!", "5")
    russian = await give(citizen, "Central Library", "Спасибо Иван Петров, всё отлично!", "5")
    named = ((polish, "Łukasz Wiśniewski"), (turkish, "Şule Yılmaz"), (russian, "Иван Петров"))
    for item, name in named:
        card = await card_of(group, item)
        text = (card.text or "").replace(FSI, "").replace(PDI, "")
        assert "Waiting for a moderator" in text and "auto-approve" not in text, text
        # Removed and said so, or left in and asked about: never shown without a word.
        checks = "".join(lines(text, "⚠️"))
        if f"“{name}”" in checks:
            assert text.count(name) == 2, text  # in the quote, and in the line asking
        else:
            assert "a name" in "".join(lines(text, "🔒")), text
            assert name not in text, text
    rows = stored(db_path, "SELECT id, status, published_text FROM feedback ORDER BY id")
    assert rows == [(item, "pending", None) for item, _ in named]
    held = stored(db_path, "SELECT subject FROM audit WHERE action = 'item.held'")
    assert sorted(str(subject) for (subject,) in held) == sorted(
        f"item:{item}" for item, _ in named
    )


async def test_auto_approve_leaves_scripts_without_capitals_to_a_person(
    auto: tuple[Person, Group],  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    citizen, group = auto
    arabic = await give(citizen, "Central Library", "Thank you so much أحمد, lovely service!", "5")
    chinese = await give(citizen, "Central Library", "感谢王伟, 服务很好", "5")
    plain = await give(citizen, "Central Library", "Lovely staff, thank you all! 😀👍", "5")
    card = await card_of(group, plain)
    assert "Published by the auto-approve rule" in (card.text or "")
    for item in (arabic, chinese):
        card = await card_of(group, item)
        assert "Waiting for a moderator" in (card.text or ""), card.text
    held = stored(db_path, "SELECT subject, after FROM audit WHERE action = 'item.held'")
    assert {subject: json.loads(str(after))["why"] for subject, after in held} == {
        f"item:{arabic}": ["check script"],
        f"item:{chinese}": ["check script"],
    }


async def test_a_titled_name_beyond_latin_1_is_removed_whole_and_said_so(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(team.citizen, "Buses", "Dr Łukasz Wiśniewski was rude to my mum.")
    card = await card_of(team.group, item)
    assert "Łukasz" not in (card.text or "") and "Wiśniewski" not in (card.text or "")
    assert lines(card.text, "🔒") == ["🔒 Removed: a name"]
    assert lines(card.text, "⚠️") == []

"""Every string a person reads comes from handlers/english.py (through texts or
bot/wording), so that it can be translated: no English written straight into a message,
an answer to a button, a caption or a button's label in handlers/ or bot/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The words themselves, and the demo's narration (read by whoever runs the demo, not by
# the bot's users).
EXEMPT = {"handlers/english.py", "bot/demo.py"}

# Calls that put text in front of a person: the name of the call, the positional index
# of its text (None: keyword only) and the keywords that carry text.
SENDING: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "send_message": (1, ("text",)),
    "edit_message_text": (0, ("text",)),
    "reply_text": (0, ("text",)),
    "reply_html": (0, ("text",)),
    "edit_text": (0, ("text",)),
    "answer": (0, ("text",)),
    "answer_callback_query": (1, ("text",)),
    "send_document": (None, ("caption",)),
    "send_photo": (None, ("caption",)),
    "reply_document": (None, ("caption",)),
    "reply_photo": (None, ("caption",)),
    "edit_message_caption": (None, ("caption",)),
    "InlineKeyboardButton": (0, ("text",)),
    "KeyboardButton": (0, ("text",)),
}
LETTERS = re.compile(r"[A-Za-z]{2,}")


def _sources() -> list[Path]:
    found = [*sorted((ROOT / "handlers").glob("*.py")), *sorted((ROOT / "bot").glob("*.py"))]
    return [p for p in found if p.relative_to(ROOT).as_posix() not in EXEMPT]


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def literal_words(node: ast.AST | None) -> str | None:
    """English written in place: a string literal or an f-string's literal part with
    letters, also inside `a + b` and `x if c else y`; None when there is none."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if LETTERS.search(node.value) else None
    if isinstance(node, ast.JoinedStr):
        for part in node.values:
            found = literal_words(part)
            if found:
                return found
        return None
    if isinstance(node, ast.BinOp):
        return literal_words(node.left) or literal_words(node.right)
    if isinstance(node, ast.IfExp):
        return literal_words(node.body) or literal_words(node.orelse)
    return None


def violations(source: str, where: str = "") -> list[str]:
    """Each call in `source` that sends English not taken from the catalogue."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _name(node) not in SENDING:
            continue
        index, keywords = SENDING[_name(node)]
        texts = [k.value for k in node.keywords if k.arg in keywords]
        if index is not None and len(node.args) > index:
            texts.append(node.args[index])
        for text in texts:
            words = literal_words(text)
            if words:
                found.append(f"{where}:{node.lineno}: {_name(node)}({words!r})")
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_english_is_sent_from_outside_the_catalogue(path: Path) -> None:
    where = path.relative_to(ROOT).as_posix()
    assert violations(path.read_text(encoding="utf-8"), where) == []


@pytest.mark.parametrize(
    "source",
    [
        'await message.reply_text("Thanks!")',
        'await bot.send_message(chat, f"Item {n} saved")',
        'await bot.send_message(chat_id=chat, text="Done " + name)',
        'await query.answer("Too late" if late else texts.OK)',
        'InlineKeyboardButton("Yes please", callback_data="y")',
        'await bot.send_document(chat, data, caption="The audit log")',
    ],
)
def test_the_check_finds_english_written_in_place(source: str) -> None:
    assert violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "await message.reply_text(texts.THANKS)",
        'await bot.send_message(chat, texts.SAVED.format(reference=f"{n}"))',
        'await bot.send_message(chat, head + "\\n\\n" + body)',
        "await query.answer()",
        'InlineKeyboardButton(texts.YES, callback_data="yes:1")',
    ],
)
def test_the_check_lets_the_catalogue_s_words_through(source: str) -> None:
    assert violations(source) == []


POSITIONAL = re.compile(r"\{\d*(?:[:!][^{}]*)?\}|%[sdif]")


def test_every_placeholder_has_a_name() -> None:
    """A translator moves words around: `{}`, `{0}` or `%s` would lose what goes where."""
    from bot.i18n import messages

    unnamed = [
        f"{m.context}: {text!r}"
        for m in messages()
        for text in (m.msgid, m.plural or "")
        if POSITIONAL.search(text.replace("{{", "").replace("}}", ""))
    ]
    assert unnamed == []


def test_the_placeholder_check_finds_unnamed_ones() -> None:
    assert POSITIONAL.search("Sent to {} people")
    assert POSITIONAL.search("Sent to {0} people")
    assert POSITIONAL.search("Sent to %s people")
    assert not POSITIONAL.search("Sent to {n} people at {hour:02d}")

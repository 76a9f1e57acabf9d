"""Languages: which one is spoken now, and the catalogues that translate the English words.

The English words are the source (handlers/english.py); every other language is a gettext
catalogue in bot/locales/<lang>/LC_MESSAGES/yousaid.po, kept in step with `make i18n` and
compiled to .mo at install. Each entry's msgctxt is the name of its constant (`CONSENT`),
of an item in a tuple (`COMMANDS[0][1]`) or of a value in a dict (`DIGEST.title`), so the
same English words may be translated differently in different places.

The language of whoever will read a message is a context variable: set once per update
(the person or chat the update comes from) and around anything written for someone else
(`speaking`), so the words are looked up in the right catalogue wherever they are used.
"""

from __future__ import annotations

import ast
import gettext
import importlib
import io
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "yousaid"
SOURCE = "en"
# The English source of every string a person reads.
ENGLISH = "handlers.english"

_SPEAKING: ContextVar[str] = ContextVar("speaking", default=SOURCE)
PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)[^{}]*\}")


@dataclass(frozen=True)
class Plural:
    """Words that change with a number: `format(n, ...)` picks the form the language needs."""

    one: str
    other: str
    context: str = ""

    def form(self, n: int) -> str:
        """The words for `n`, unformatted."""
        if self.context and current() != SOURCE:
            return catalogue(current()).npgettext(self.context, self.one, self.other, n)
        return self.one if n == 1 else self.other

    def format(self, n: int, **values: object) -> str:
        """The words for `n`, with `{n}` and the other placeholders filled in."""
        return self.form(n).format(n=n, **values)


def current() -> str:
    """The language the words are in now."""
    return _SPEAKING.get()


def speak(language: str) -> None:
    """Speak `language` for the rest of this task (an update's handling)."""
    _SPEAKING.set(language)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak `language` inside the block: words written for someone else."""
    token = _SPEAKING.set(language)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def available() -> list[str]:
    """The languages that have a catalogue, English first."""
    found = sorted(p.name for p in LOCALES.iterdir() if (p / "LC_MESSAGES").is_dir())
    return [SOURCE, *found]


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language; compiled now from its .po when the .mo is
    missing or older (a checkout that skipped `make install`)."""
    if language == SOURCE:
        return gettext.NullTranslations()
    po = po_path(language)
    mo = po.with_suffix(".mo")
    if not po.exists():
        raise LookupError(f"no catalogue for {language!r} (in {LOCALES})")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    log.info("catalogue %s compiled in memory (run make install to compile it once)", language)
    return gettext.GNUTranslations(io.BytesIO(_compiled(po)))


def _compiled(po: Path) -> bytes:
    from babel.messages import mofile, pofile

    with po.open("rb") as handle:
        parsed = pofile.read_po(handle)
    out = io.BytesIO()
    mofile.write_mo(out, parsed)
    return out.getvalue()


@cache
def _english() -> Any:
    return importlib.import_module(ENGLISH)


def translated(name: str) -> Any:
    """The constant `name` of the English source, in the language spoken now."""
    english = getattr(_english(), name)
    language = current()
    if language == SOURCE or not name.isupper():
        return english
    return _translate_cached(language, name)


@cache
def _translate_cached(language: str, name: str) -> Any:
    return _translate(catalogue(language), name, getattr(_english(), name))


def _translate(cat: gettext.NullTranslations, context: str, value: Any) -> Any:
    if isinstance(value, str):
        return cat.pgettext(context, value) if value else value
    if isinstance(value, Plural):
        return replace(value, context=context)  # its form is chosen when formatted
    if isinstance(value, tuple):
        return tuple(
            item if _is_command(context, i) else _translate(cat, f"{context}[{i}]", item)
            for i, item in enumerate(value)
        )
    if isinstance(value, Mapping):
        return {key: _translate(cat, f"{context}.{key}", item) for key, item in value.items()}
    return value


def _is_command(context: str, index: int) -> bool:
    """A command's own name (`COMMANDS[0][0]`) is never translated."""
    return index == 0 and context.split("[", 1)[0].endswith("COMMANDS") and "[" in context


@dataclass(frozen=True)
class Message:
    """One entry of the catalogue."""

    context: str
    msgid: str
    plural: str | None
    comment: str


def messages() -> list[Message]:
    """Every entry the English source has, in the order it defines them."""
    module = _english()
    notes = _comments(Path(module.__file__))
    found: list[Message] = []

    def walk(context: str, value: Any, comment: str) -> None:
        if isinstance(value, str):
            if value:
                found.append(Message(context, value, None, comment))
        elif isinstance(value, Plural):
            found.append(Message(context, value.one, value.other, comment))
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                if not _is_command(context, i):
                    walk(f"{context}[{i}]", item, comment)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{context}.{key}", item, comment)

    for name, value in vars(module).items():
        if name.isupper() and not name.startswith("_"):
            walk(name, value, notes.get(name, ""))
    return found


def _comments(source: Path) -> dict[str, str]:
    """The comment lines just above each top-level constant: notes for translators."""
    text = source.read_text(encoding="utf-8")
    lines = text.splitlines()
    notes: dict[str, str] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if not isinstance(target, ast.Name):
                continue
            above: list[str] = []
            row = node.lineno - 2
            while row >= 0 and lines[row].lstrip().startswith("#"):
                above.insert(0, lines[row].lstrip()[1:].strip())
                row -= 1
            if above:
                notes[target.id] = " ".join(above)
    return notes


def decimal(value: float, places: int = 1, trim: bool = False) -> str:
    """A number as the language spoken now writes it ("4.2", "4,2"); `trim` drops ",0"."""
    from babel.numbers import format_decimal

    pattern = "0." + "0" * places if places else "0"
    if trim:
        pattern = "0." + "#" * places if places else "0"
    return str(format_decimal(round(value, places), format=pattern, locale=current()))


def percent(share: float) -> str:
    """A share as a whole percentage, halves rounded up, as the language writes it."""
    from babel.numbers import format_percent

    whole = int(share * 100 + 0.5) / 100
    return str(format_percent(whole, format="0%", locale=current()))


def placeholders(text: str) -> set[str]:
    """The names of a text's `{placeholders}`."""
    return set(PLACEHOLDER.findall(text))


def main(argv: list[str]) -> int:
    """`python -m bot.i18n extract|compile`: keep the catalogues in step, compile them."""
    from bot import i18n_tools

    return i18n_tools.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

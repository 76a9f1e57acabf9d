"""What a catalogue lacks or gets wrong against the English source (used by the tests and
by translators: `python -m bot.i18n_check cy`)."""

from __future__ import annotations

import re
import sys
from collections import Counter

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import available, messages, placeholders, po_path

TAG = re.compile(r"</?[a-z]+[^>]*>")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]{2,}\b")


def load(language: str) -> Catalog:
    """A language's catalogue as written (the .po)."""
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def problems(language: str) -> list[str]:
    """Every way the catalogue falls short: missing, fuzzy or empty entries, placeholders,
    HTML tags or commands that differ from the English, wrong number of plural forms."""
    cat = load(language)
    found: list[str] = []
    for message in messages():
        key = message.msgid if message.plural is None else (message.msgid, message.plural)
        entry = cat.get(key, context=message.context)
        where = f"{language} {message.context}"
        if entry is None:
            found.append(f"{where}: missing")
            continue
        if entry.fuzzy:
            found.append(f"{where}: fuzzy")
        forms = list(entry.string) if isinstance(entry.string, tuple | list) else [entry.string]
        if message.plural is not None and len(forms) != cat.num_plurals:
            found.append(f"{where}: {len(forms)} plural forms, {cat.num_plurals} wanted")
        english = [message.msgid] if message.plural is None else [message.msgid, message.plural]
        wanted = set().union(*(placeholders(e) for e in english))
        for form in forms:
            if not form:
                found.append(f"{where}: not translated")
                continue
            got = placeholders(form)
            if message.plural is None and got != wanted:
                found.append(f"{where}: placeholders {sorted(got)}, English has {sorted(wanted)}")
            elif message.plural is not None and not got <= wanted | {"n"}:
                found.append(f"{where}: placeholders {sorted(got)} not in {sorted(wanted)}")
            if Counter(TAG.findall(form)) != Counter(TAG.findall(english[-1])):
                found.append(f"{where}: HTML tags differ from the English")
            if set(COMMAND.findall(form)) != set(COMMAND.findall(english[-1])):
                found.append(f"{where}: commands differ from the English")
            if _edges(form) != _edges(english[-1]):
                found.append(f"{where}: leading or trailing spaces/newlines differ")
    return found


def _edges(text: str) -> tuple[str, str]:
    start = text[: len(text) - len(text.lstrip())]
    end = text[len(text.rstrip()) :]
    return start, end


def main(argv: list[str]) -> int:
    """Print the problems of the named catalogues (all when none named)."""
    languages = argv or available()[1:]
    total = 0
    for language in languages:
        for line in problems(language):
            print(line)
            total += 1
    print(f"{total} problems", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Keeping the catalogues in step with the English source (`make i18n`) and compiling them."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES, available, messages, po_path

# The header a catalogue carries until a native speaker has reviewed it.
REVIEW_HEADER = "X-Review-Status"
NOT_REVIEWED = "not reviewed by a native speaker"

TEMPLATE = LOCALES / f"{DOMAIN}.pot"
PROJECT = "yousaid"


def template() -> Catalog:
    """The catalogue template: every entry of the English source, with translators' notes."""
    cat = Catalog(project=PROJECT, domain=DOMAIN, charset="utf-8", fuzzy=False)
    cat.creation_date = datetime(2026, 1, 1, tzinfo=UTC)  # stable, so the file diffs cleanly
    for message in messages():
        msgid: str | tuple[str, str] = (
            message.msgid if message.plural is None else (message.msgid, message.plural)
        )
        notes = [message.comment] if message.comment else []
        cat.add(msgid, context=message.context, auto_comments=notes, flags=_flags(message))
    return cat


def _flags(message: object) -> list[str]:
    return ["python-brace-format"] if "{" in getattr(message, "msgid", "") else []


def extract() -> list[str]:
    """Write the template and bring every language's catalogue up to it; what changed."""
    tmpl = template()
    with TEMPLATE.open("wb") as handle:
        write_po(handle, tmpl, width=100, omit_header=False, sort_output=False)
    changed = [str(TEMPLATE)]
    for language in available()[1:]:
        path = po_path(language)
        status = review_status(language)
        with path.open("rb") as handle:
            cat = read_po(handle, locale=language)
        cat.update(tmpl, no_fuzzy_matching=True, update_header_comment=False)
        with path.open("wb") as handle:
            write_po(handle, cat, width=100, ignore_obsolete=True)
        if status:
            mark_review(language, status)
        changed.append(str(path))
    return changed


def review_status(language: str) -> str:
    """What the catalogue's header says of its review ("" once a native speaker reviewed it)."""
    found = re.search(
        rf'^"{REVIEW_HEADER}: ([^"\\]*)\\n"$', po_path(language).read_text("utf-8"), re.M
    )
    return found.group(1) if found else ""


def mark_review(language: str, status: str = NOT_REVIEWED) -> None:
    """Say in the header how far the catalogue is reviewed (Babel keeps no header of its own
    that says so, and drops unknown ones when it writes)."""
    path = po_path(language)
    text = path.read_text("utf-8")
    text = re.sub(rf'^"{REVIEW_HEADER}: .*\n', "", text, flags=re.M)
    line = f'"{REVIEW_HEADER}: {status}\\n"\n'
    text = re.sub(r'^("Language: .*\n)', lambda m: m.group(1) + line, text, count=1, flags=re.M)
    path.write_text(text, "utf-8")


def init(language: str) -> str:
    """Start a catalogue for a new language, every entry empty."""
    path = po_path(language)
    if path.exists():
        raise SystemExit(f"{path} exists already")
    path.parent.mkdir(parents=True)
    cat = Catalog(locale=language, project=PROJECT, domain=DOMAIN, charset="utf-8")
    cat.update(template(), no_fuzzy_matching=True)
    with path.open("wb") as handle:
        write_po(handle, cat, width=100)
    mark_review(language)
    return str(path)


def compile_all() -> list[str]:
    """Compile every catalogue to its .mo beside it."""
    done = []
    for language in available()[1:]:
        path = po_path(language)
        with path.open("rb") as handle:
            cat = read_po(handle, locale=language)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, cat)
        done.append(str(path.with_suffix(".mo")))
    return done


def main(argv: list[str]) -> int:
    """The command line of `python -m bot.i18n`."""
    parser = argparse.ArgumentParser(prog="python -m bot.i18n")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="update the template and every catalogue from the source")
    sub.add_parser("compile", help="compile every catalogue to .mo")
    new = sub.add_parser("init", help="start a catalogue for a new language")
    new.add_argument("language")
    options = parser.parse_args(argv)
    if options.command == "extract":
        done = extract()
    elif options.command == "compile":
        done = compile_all()
    else:
        done = [init(options.language)]
    for path in done:
        print(path)
    return 0

"""The Polish catalogue speaks to everyone, staff included, with the formal "Państwo"."""

import re

from babel.messages.pofile import read_po

from bot.i18n import po_path

# Informal second-person words ("ty" forms) that have no place in a formal catalogue.
INFORMAL = re.compile(
    r"\b(możesz|napisz|wyślij|naciśnij|twój|twoje|twoja|twojego|twoim|twoją|twoich|twojej"
    r"|ciebie|tobie|cię|ci|masz|jesteś|chcesz|wpisz|dodaj|zobacz|sprawdź|zobaczysz"
    r"|piszesz|prowadzisz|dostajesz|dowiesz|reprezentujesz|naciśniesz|pisałeś)\b",
    re.IGNORECASE,
)

# A button's name quoted in a sentence („Wyślij”) is the label, not an address to the reader.
QUOTED = re.compile(r"„[^”]*”")

# Hits that are not informal address, by msgctxt.
EXCEPTIONS = {
    # "ci, którzy…" is "those who…", not "to you".
    "EVIDENCE.md_notes",
    # Button labels: Polish interfaces name the action in the imperative whatever the address
    # ("Wyślij", "Dodaj"), as Telegram's own Polish buttons do.
    "RESPOND_SEND",
    "QUEUE_POST",
    "HEARD_ADD",
    "FOLLOW_UP_BUTTON",
    "LANG_ADD_BUTTON",
    "LANG_ADD_BUTTON_REF",
    "ASKS_WRITE",
}


def informal_entries() -> dict[str, list[str]]:
    """Each non-excepted entry of the Polish catalogue with informal words, and the words."""
    with po_path("pl").open("rb") as handle:
        catalogue = read_po(handle, locale="pl")
    found: dict[str, list[str]] = {}
    for message in catalogue:
        if not message.id or message.context in EXCEPTIONS:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        hits = [hit for text in strings for hit in INFORMAL.findall(QUOTED.sub("", text or ""))]
        if hits:
            found[str(message.context)] = hits
    return found


def test_polish_catalogue_uses_formal_address_throughout() -> None:
    assert informal_entries() == {}


def test_exceptions_are_still_needed() -> None:
    """An exception whose entry no longer has the word should be dropped from the list."""
    with po_path("pl").open("rb") as handle:
        catalogue = read_po(handle, locale="pl")
    by_context = {m.context: m.string for m in catalogue if m.id}
    for context in EXCEPTIONS:
        text = by_context[context]
        strings = text if isinstance(text, tuple | list) else [text]
        assert any(INFORMAL.search(s or "") for s in strings), context

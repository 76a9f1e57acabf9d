"""Words that change with a number (Plural in handlers/english.py) take the form the
language needs: English's two, and Polish's three through a catalogue (built here, so the
test does not depend on the real catalogues, which are being translated)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog

from bot import evidence, i18n
from bot.i18n import Plural, placeholders, speaking
from bot.wording import Words
from handlers import english, texts


def _plurals() -> list[tuple[str, Plural]]:
    found: list[tuple[str, Plural]] = []
    for name, value in vars(english).items():
        if not name.isupper():
            continue
        if isinstance(value, Plural):
            found.append((name, value))
        elif isinstance(value, dict):
            found += [(f"{name}.{k}", v) for k, v in value.items() if isinstance(v, Plural)]
    return found


PLURALS = _plurals()


def _values(entry: Plural) -> dict[str, object]:
    """A value for each placeholder but the number (7: an int fits every format spec)."""
    return dict.fromkeys(placeholders(entry.one) | placeholders(entry.other), 7)


def test_there_are_plurals_to_check() -> None:
    assert len(PLURALS) > 30


@pytest.mark.parametrize(("name", "entry"), PLURALS, ids=[n for n, _ in PLURALS])
def test_each_plural_picks_the_english_form(name: str, entry: Plural) -> None:
    # The whole phrase with its number: both forms say the number, and the same other words.
    assert "{n}" in entry.one and "{n}" in entry.other, name
    assert placeholders(entry.one) == placeholders(entry.other), name
    values = {k: v for k, v in _values(entry).items() if k != "n"}
    one = entry.format(1, **values)
    assert one == entry.one.format(n=1, **values)
    for n in (0, 2, 5):
        assert entry.format(n, **values) == entry.other.format(n=n, **values)
    assert "1" in one


def test_english_plurals_read_right() -> None:
    assert texts.QUEUE_HEAD.format(1) == "<b>1 waiting</b>, oldest first:"
    words = Words("DIGEST")
    assert words.plural("summary_first").format(1) == "<b>1</b> new item approved."
    assert words.plural("summary_first").format(0) == "<b>0</b> new items approved."
    assert words.plural("empty_before").format(1, span="The week before") == (
        "The week before there was 1 item."
    )
    assert words.plural("empty_before").format(2, span="The week before") == (
        "The week before there were 2 items."
    )
    assert evidence.duration(24) == "24 hours" and evidence.duration(1.04) == "1 hour"
    assert evidence.duration(36.5) == "36.5 hours" and evidence.duration(72) == "3 days"


# Polish: one (1), few (2-4, 22-24, ...), many (0, 5-21, 25-31, ...).
POLISH = {
    "DIGEST.summary_first": (
        "<b>{n}</b> nowa opinia zatwierdzona.",
        "<b>{n}</b> nowe opinie zatwierdzone.",
        "<b>{n}</b> nowych opinii zatwierdzonych.",
    ),
    "QUEUE_HEAD": (
        "<b>{n} czeka</b>, najstarsze najpierw:",
        "<b>{n} czekają</b>, najstarsze najpierw:",
        "<b>{n} czeka</b>, najstarsze najpierw:",
    ),
}


@pytest.fixture
def polish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A tiny Polish catalogue in tmp_path, compiled to .mo with Babel, used in place of
    bot/locales while the test runs."""
    catalog = Catalog(locale="pl", domain=i18n.DOMAIN)
    for context, forms in POLISH.items():
        name, _, key = context.partition(".")
        entry = getattr(english, name)
        entry = entry[key] if key else entry
        catalog.add((entry.one, entry.other), forms, context=context)
    folder = tmp_path / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.po").open("wb") as handle:
        pofile.write_po(handle, catalog)
    with (folder / f"{i18n.DOMAIN}.mo").open("wb") as handle:
        mofile.write_mo(handle, catalog)
    assert catalog.num_plurals == 3
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.catalogue.cache_clear()
    i18n._translate_cached.cache_clear()
    yield
    i18n.catalogue.cache_clear()
    i18n._translate_cached.cache_clear()


@pytest.mark.parametrize(
    ("n", "form"), [(1, 0), (2, 1), (4, 1), (22, 1), (0, 2), (5, 2), (12, 2), (25, 2)]
)
def test_a_plural_takes_each_of_polish_three_forms(polish: None, n: int, form: int) -> None:
    summary = POLISH["DIGEST.summary_first"][form].format(n=n)
    waiting = POLISH["QUEUE_HEAD"][form].format(n=n)
    with speaking("pl"):
        assert Words("DIGEST").plural("summary_first").format(n) == summary
        assert texts.QUEUE_HEAD.format(n) == waiting
    # English again outside: the catalogue is only for those who speak Polish.
    assert texts.QUEUE_HEAD.format(n) == english.QUEUE_HEAD.format(n)


def test_an_entry_the_catalogue_lacks_stays_english(polish: None) -> None:
    with speaking("pl"):
        assert texts.MINE_MORE.format(3) == "…and 3 earlier."
        assert Words("DIGEST").plural("more_items").format(1) == "1 item"

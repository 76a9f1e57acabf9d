"""The list of given names from many cultures that are never ordinary English words.

Built from Faker's person providers (MIT licence) for the locales of names.FAKER_LOCALES
and the hand-written lists of name_lists.py, without any word of common_words.txt or
lower_words.txt ("Will", "Grace", "Mark" are words too), so the redactor can take a
capitalised "Priya" or "Oluwaseun" as a name wherever it stands.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path

from nlp.redact_train.name_lists import EXTRA_NAMES
from nlp.redact_train.names import FAKER_LOCALES, is_latin, strip_accents

FILE_NAME = "given_names.txt"
MIN_LENGTH = 3


def _faker_given(locale: str) -> set[str]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names: Iterable[object] = (
        getattr(provider, "first_romanized_names", None)
        or getattr(provider, "first_names", None)
        or ()
    )
    return {str(n) for n in names}


def given_names(ordinary: set[str]) -> list[str]:
    """Given names, lower case, with and without accents, that are not in `ordinary`."""
    names: set[str] = set()
    for locale in FAKER_LOCALES:
        names |= _faker_given(locale)
    for given, _family in EXTRA_NAMES.values():
        names |= set(given)
    out: set[str] = set()
    for name in names:
        if not is_latin(name) or " " in name.strip() or "." in name:
            continue
        for form in (name.lower(), strip_accents(name).lower()):
            if len(form) >= MIN_LENGTH and form not in ordinary and form.isalpha():
                out.add(form)
    return sorted(out)


def write_given_names(folder: Path) -> int:
    """Write the list beside the model (after common_words.txt); returns its length."""
    ordinary: set[str] = set()
    for file in ("common_words.txt", "lower_words.txt"):
        ordinary |= set((folder / file).read_text(encoding="utf-8").split())
    names = given_names(ordinary)
    (folder / FILE_NAME).write_text("\n".join(names) + "\n", encoding="utf-8")
    return len(names)

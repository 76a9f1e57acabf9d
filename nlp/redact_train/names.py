"""People's names from many cultures of UK towns, for the generated training data."""

from __future__ import annotations

import random
import unicodedata
import zlib
from dataclasses import dataclass

from nlp.redact_train.name_lists import EXTRA_NAMES

# Faker locales with Latin-script names, and how often each culture turns up (a rough
# picture of UK towns, weighted towards British and Irish names).
FAKER_LOCALES: dict[str, float] = {
    "en_GB": 8.0,
    "en_IE": 2.0,
    "ga_IE": 0.5,
    "pl_PL": 1.5,
    "ro_RO": 1.0,
    "tr_TR": 0.8,
    "it_IT": 0.8,
    "pt_PT": 0.8,
    "es_ES": 0.6,
    "fr_FR": 0.6,
    "de_DE": 0.5,
    "lt_LT": 0.6,
    "lv_LV": 0.3,
    "nl_NL": 0.3,
    "cs_CZ": 0.3,
    "sk_SK": 0.3,
    "hr_HR": 0.3,
    "hu_HU": 0.3,
    "yo_NG": 0.8,
    "en_NG": 0.8,
    "ig_NG": 0.6,
    "ha_NG": 0.4,
    "sw": 0.4,
    "en_IN": 0.8,
    "az_AZ": 0.2,
    "zh_CN": 0.6,
}
EXTRA_WEIGHT = 0.7
PER_LOCALE = 400


@dataclass(frozen=True)
class NamePool:
    """Given names and family names of one culture."""

    culture: str
    given: tuple[str, ...]
    family: tuple[str, ...]


def is_latin(text: str) -> bool:
    """Whether every letter of the text is a Latin one."""
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def strip_accents(text: str) -> str:
    """The text without accents, as people type "Zoe" for "Zoë"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def held_out(word: str, share: int = 5) -> bool:
    """Whether a name or template belongs to the held-out part (one in `share`), stably."""
    return zlib.crc32(word.lower().encode()) % share == 0


def _faker_pool(locale: str, seed: int) -> NamePool:
    from faker import Faker  # build time only

    fake = Faker(locale)
    fake.seed_instance(seed)
    romanised = locale == "zh_CN"
    given: set[str] = set()
    family: set[str] = set()
    for _ in range(PER_LOCALE):
        first = fake.first_romanized_name() if romanised else fake.first_name()
        last = fake.last_romanized_name() if romanised else fake.last_name()
        if is_latin(first) and " " not in first.strip("."):
            given.add(first)
        if is_latin(last):
            family.add(last)
    return NamePool(locale, tuple(sorted(given)), tuple(sorted(family)))


def name_pools(seed: int = 13) -> tuple[list[NamePool], list[float]]:
    """Every culture's pool of names and its weight."""
    pools = [_faker_pool(locale, seed) for locale in FAKER_LOCALES]
    weights = list(FAKER_LOCALES.values())
    for culture, (given, family) in EXTRA_NAMES.items():
        pools.append(NamePool(culture, tuple(given), tuple(family)))
        weights.append(EXTRA_WEIGHT)
    return pools, weights


class NameMaker:
    """Draws names for one part of the data (training or held-out)."""

    def __init__(self, rng: random.Random, held: bool, seed: int = 13) -> None:
        self.rng = rng
        pools, self.weights = name_pools(seed)
        self.pools = []
        for pool in pools:
            given = tuple(n for n in pool.given if held_out(n) == held) or pool.given
            family = tuple(n for n in pool.family if held_out(n) == held) or pool.family
            self.pools.append(NamePool(pool.culture, given, family))

    def _pool(self) -> NamePool:
        return self.rng.choices(self.pools, self.weights)[0]

    def _finish(self, name: str) -> str:
        if self.rng.random() < 0.25:
            name = strip_accents(name)
        return name

    def given(self) -> str:
        """A given name."""
        return self._finish(self.rng.choice(self._pool().given))

    def family(self) -> str:
        """A family name."""
        return self._finish(self.rng.choice(self._pool().family))

    def full(self) -> str:
        """A full name, sometimes with a middle name or an initial."""
        pool = self._pool()
        rng = self.rng
        first = rng.choice(pool.given)
        last = rng.choice(pool.family)
        roll = rng.random()
        if roll < 0.08:
            name = f"{first} {rng.choice(pool.given)} {last}"
        elif roll < 0.14:
            name = f"{first} {rng.choice(pool.given)[0]}. {last}"
        elif roll < 0.18:
            name = f"{first[0]}. {last}"
        elif roll < 0.21:
            name = f"{first} {last}-{rng.choice(pool.family)}"
        else:
            name = f"{first} {last}"
        return self._finish(name)

    def any(self) -> str:
        """A full name or, less often, a given name alone."""
        return self.full() if self.rng.random() < 0.65 else self.given()

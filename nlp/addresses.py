"""Addresses as people write them: a flat or house number, or a house name, before a street.

"12 Elm Road", "flat 2, 40 high road", "2/1, 47 Dalmeny Street", "no. 12 Mill St", "number 12 on
Mill Street", "4 Heol y Felin", "12 Pen-y-Bryn", "Rose Cottage, Church Lane". A street alone
("the bus stop on Mill Street") is a place, not an address, and a number before a street is
not always a house ("the 38 to Station Road", "a 10 minute walk", "2 big green bins"). The
span runs from the flat or house number (or house name) to the end of the street; the town and
the postcode are left to their own rules. The word lists live in redact_patterns.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nlp.wordmatch import alternation

__all__ = ["AddressFinder"]

# Letters of street names, with the accented ones of Welsh, Irish and Scots Gaelic ("Lôn", "Tŷ").
# Between the words of a phrase: spaces and tabs, not a line break.
_PHRASE_GAP = r"[ \t]+"
_L = "A-Za-zÀ-ÖØ-öø-ÿĀ-ſ"
_TOKEN = re.compile(rf"[{_L}](?:[{_L}]|['’-](?=[{_L}]))*(?:(?<=s)['’](?![{_L}]))?")
_SPACE = re.compile(r"[ \t]+")
# A house number: "12", "12a", "12-14"; not a price, a time, a decimal or part of "2/1".
_HOUSE_NUMBER = re.compile(
    r"(?<![\w£$€:/@&+-])(?<!(?<![Nn]o)\.)[0-9]{1,4}(?:[A-Ha-h](?!\w)|/[0-9]{1,2}(?=[ \t]))?"
    r"(?:[ \t]?[-–][ \t]?[0-9]{1,4}(?:[A-Ha-h](?!\w))?)?"
    r"(?![\w%°£:/'’-]|[.,][0-9])"
)
# After the house number: "12 Elm Road", "12, Elm Road", "12,Elm Road"; after "number 12"
# also "on" or "in": "number 12 on Mill Street".
_GAP = re.compile(r"[ \t]*,[ \t]*|[ \t]+")
_INTRO_GAP = re.compile(r"(?:[ \t]*,[ \t]*|[ \t]+)(?:(?:on|in)[ \t]+)?")
_CHAIN_GAP = re.compile(r",?[ \t]+")
_COMMA = re.compile(r",[ \t]*")
_FLOOR_FLAT = re.compile(r"[0-9]f[0-9]")  # Edinburgh's "3F2": third floor, second flat
_LETTERS = re.compile(rf"[{_L}]+")
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_WELSH_COMPOUND = re.compile(rf"[{_L}]+-(?:y|yr|['’]r)-[{_L}]+", re.IGNORECASE)
_PREVIOUS_WORD = re.compile(rf"([{_L}'’]+)[ \t]+$")
_LAST_WORD = re.compile(rf"([{_L}]+)$")
_WORD_BEFORE = re.compile(rf"([{_L}]+)[ \t]*$")


def _lower_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w.lower() for w in words)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    word: str
    glued: bool = False  # digits follow at once: "ls1" is a postcode, not a word
    # Written in capitals in a text that has lower case around it: a name, as if title case.
    loud: bool = False

    @property
    def key(self) -> str:
        return self.word.lower().rstrip("'’")


def _is_title(word: str) -> bool:
    return word[0].isupper()


def _is_caps(word: str) -> bool:
    return word.isupper()


class AddressFinder:
    """Finds addresses by the [address] rules of the redaction rules file."""

    MAX_NAME_WORDS = 3

    def __init__(
        self,
        rules: dict[str, Any],
        function_words: Iterable[str],
        months: Iterable[str] = (),
        postcode: re.Pattern[str] | None = None,
    ) -> None:
        self._postcode = postcode
        self.street_words = _lower_set(rules["street_words"])
        self.ambiguous = _lower_set(rules["ambiguous_street_words"])
        self.building_words = _lower_set(rules["building_words"])
        self.abbreviations = _lower_set(rules["abbreviations"])
        self.prefix_words = _lower_set(rules["prefix_words"])
        self.connectors = _lower_set(rules["connectors"])
        self.welsh_adjectives = _lower_set(rules["welsh_adjectives"])
        self.compound_endings = tuple(w.lower() for w in rules["compound_endings"])
        self.compound_not = _lower_set(rules["compound_not"])
        self.compound_starts = tuple(w.lower() for w in rules["compound_starts"])
        self.function_words = _lower_set(function_words) | _lower_set(rules["stop_words"])
        self.measure_words = _lower_set(rules["measure_words"])
        self.weak_first_not = _lower_set(rules["weak_first_not"])
        self.count_words = _lower_set(rules["count_words_before"])
        self.label_words = _lower_set(rules["label_words"])
        self.strong_labels = _lower_set(rules["strong_label_words"])
        self.months = _lower_set(months)
        self.cue_words = _lower_set(rules["cue_words_before"])
        self.time_words = _lower_set(rules["time_words_before"])
        self.not_before_title = _lower_set(rules["end_not_before_a_name"])
        self.house_words = _lower_set(rules["house_words"])
        self.residential = _lower_set(rules["residential_house_words"])
        self.public_words = _lower_set(rules["public_words"])
        self.public_house_words = _lower_set(rules["public_house_words"])

        self._any_street = (
            self.street_words | self.building_words | self.abbreviations | self.prefix_words
        )
        ignore = re.IGNORECASE
        self._intro = re.compile(
            rf"(?:\b(?:{alternation(rules['number_words'], _PHRASE_GAP)})\.?|#)[ \t]*$", ignore
        )
        units = alternation(rules["unit_words"], _PHRASE_GAP)
        self._unit_stems = tuple({u.lower()[:2] for u in rules["unit_words"]})
        worded = alternation(rules["number_in_words"], _PHRASE_GAP)
        floors = alternation(rules["floor_words"], _PHRASE_GAP)
        self._unit = re.compile(
            rf"(?:\b(?:{floors})[ \t-]+(?:floor[ \t]+)?(?:{units})\.?"
            rf"|\b(?:{units})\.?[ \t]*(?:no\.?[ \t]*)?(?:[0-9]{{1,4}}[A-Za-z]?|[A-Za-z]|{worded})?"
            r"|(?<![\w/])[0-9]{1,2}/[0-9]{1,2}|\b[0-9]{1,2}F[0-9]{1,2})"
            r"(?:[ \t]*,[ \t]*|[ \t]+)$",
            ignore,
        )
        # "number twelve on Mill Street": a house number in words, only after "number".
        self._worded = re.compile(
            rf"(?<=\bnumber )(?:{alternation(rules['number_in_words'], _PHRASE_GAP)})"
            rf"(?:[ -](?:{alternation(rules['number_in_words'], _PHRASE_GAP)}))?\b",
            ignore,
        )
        self.directions = _lower_set(rules["direction_words"])
        word = rf"[{_L}][{_L}'’-]*"
        self._postcode_after = re.compile(
            rf"{word}(?:[ \t]+{word}){{0,2}},?[ \t]+(?:{word}(?:[ \t]+{word})?,?[ \t]+)?"
            rf"(?:{postcode.pattern if postcode else '(?!)'})",
            re.IGNORECASE,
        )
        self._postcode_near = re.compile(
            rf"(?:{word}(?:[ \t]+{word})?,?[ \t]+)?(?:{postcode.pattern if postcode else '(?!)'})",
            re.IGNORECASE,
        )
        self._cue_stems = tuple({c.split()[0].lower()[:4] for c in rules["cues"]})
        self._cue = re.compile(
            rf"\b(?:{alternation(rules['cues'], _PHRASE_GAP)})[ \t]*[:,-]?[ \t]*$", ignore
        )
        self._house_word = re.compile(
            rf"\b(?:{alternation(rules['house_words'], _PHRASE_GAP)})\b", ignore
        )
        self._plural_the = re.compile(rf"\bThe[ \t]+[A-Z][{_L}]+s\b")
        # "Fairview, 12 Church Road", "Sunnyside, Mill Lane": one word ending like a house name.
        self._compound_house = re.compile(
            rf"\b[A-Z][a-z]+(?:{alternation(rules['house_name_endings'], _PHRASE_GAP)})(?=,)"
        )
        # Welsh house names start with a house word: "Ty Gwyn", "Bryn Awel", "Hafod y Coed".
        self._welsh_house_words = _lower_set(rules["welsh_house_words"])
        self._welsh_house = re.compile(
            rf"\b(?:{alternation((w.title() for w in rules['welsh_house_words']), _PHRASE_GAP)})"
            rf"(?:[ \t]+(?:y|yr))?[ \t]+[A-Z][{_L}]+(?=,)"
        )

    # -- public ------------------------------------------------------------------------

    def has_street_word(self, text: str) -> bool:
        """Whether any word of this text is a street or building word ("Lane", "Heol", "Court")."""
        return any(w.strip(".,'’").lower() in self._any_street for w in re.split(r"[\s,-]+", text))

    def find(self, text: str, has_digit: bool) -> list[tuple[int, int]]:
        """Where the addresses in the text are, as (start, end) pairs."""
        found: list[tuple[int, int]] = []
        numbers: list[re.Match[str]] = []
        lower = text.lower()
        if has_digit:
            numbers += _HOUSE_NUMBER.finditer(text)
        if "number " in lower:
            numbers += self._worded.finditer(text)
        if numbers:
            for m in sorted(numbers, key=lambda m: m.start()):
                span = self._numbered(text, m)
                if span and not (found and span[0] < found[-1][1]):
                    found.append(span)
        # Most texts have no house name: a look at their words is cheaper than the regexes.
        words = _LETTERS.findall(lower)
        if (
            not self.house_words.isdisjoint(words)
            or "The " in text
            or ("," in text and not self._welsh_house_words.isdisjoint(words))
            or ("," in text and self._compound_house.search(text))
        ):
            found = self._with_house_names(text, found)
        return found

    # -- numbered addresses --------------------------------------------------------------

    def _numbered(self, text: str, number: re.Match[str]) -> tuple[int, int] | None:
        first = _GAP.match(text, number.end())
        if first is None or not _TOKEN.match(text, first.end()):
            return None  # no word after the number: "12.", "12 £"
        start = number.start()
        window = max(0, start - 40)
        before_text = text[window:start].lower()
        intro = unit = None
        if any(stem in before_text for stem in ("no", "nu", "nr", "#")):
            intro = self._intro.search(text, window, start)
            if intro:
                start = intro.start()
        if (
            "/" in before_text
            or any(u in before_text for u in self._unit_stems)
            or _FLOOR_FLAT.search(before_text)
        ):
            unit = self._unit.search(text, window, start)
            if unit:
                start = unit.start()
        digits = number.group()
        if not digits[0].isdigit():
            digits = ""  # a number in words
        elif _YEAR.fullmatch(digits) and not (intro or unit):
            return None
        if (digits.startswith("0") or "/0" in digits) and not unit:
            return None  # "07 ...", "12/03 Station Road": not a house
        pos = number.end()
        gap = (_INTRO_GAP if intro else _GAP).match(text, pos)
        if gap is None:
            return None
        before = self._word_before(text, start)
        if before in self.strong_labels:
            return None
        phrase_cued = self._cued(text, start)
        cued = phrase_cued or before in self.cue_words or bool(intro or unit)
        # "at 7 The Crown" is a time and a pub; "I live at 12 The Maltings" is an address.
        clock = (
            before in self.time_words
            and digits.isdigit()
            and int(digits) <= 12
            and not (phrase_cued or intro or unit)
        )
        end = self._street(text, gap.end(), before, cued and not clock, digits, clock)
        if end is None and (phrase_cued or self._postcode_follows(text, gap.end())):
            end = self._words_after_cue(text, gap.end())
        if end is None:
            return None
        return start, self._chained(text, end)

    @staticmethod
    def _word_before(text: str, start: int) -> str:
        m = _WORD_BEFORE.search(text, max(0, start - 30), start)
        return m.group(1).lower() if m else ""

    def _tokens(self, text: str, pos: int, limit: int = 6) -> list[_Token]:
        """Words from pos separated only by spaces (a "." after "St" or "Rd" too)."""
        tokens: list[_Token] = []
        window = text[max(0, pos - 60) : pos + 60]
        loud = any(c.islower() for c in window)
        while len(tokens) < limit:
            m = _TOKEN.match(text, pos)
            if m is None:
                break
            word = m.group()
            if word[-2:] in ("'s", "’s") and word[:-2].lower() in self.street_words:
                # "12 Elm Road's bins": the street ends before the "'s"
                tokens.append(_Token(m.start(), m.end() - 2, word[:-2]))
                break
            glued = text[m.end() : m.end() + 1].isdigit()
            token = _Token(m.start(), m.end(), word, glued, loud and _is_caps(word))
            tokens.append(token)
            after = m.end()
            if token.key in self.abbreviations and text.startswith(".", after):
                after += 1
            gap = _SPACE.match(text, after)
            if gap is None:
                break
            pos = gap.end()
        return tokens

    def _street(
        self,
        text: str,
        pos: int,
        before: str,
        cued: bool,
        number: str = "",
        clock: bool = False,
    ) -> int | None:
        """The end of the street that starts at pos, if one does."""
        tokens = self._tokens(text, pos)
        if not tokens:
            return None
        ends = [
            self._suffix_end(tokens, before, cued, number, text),
            self._prefix_end(tokens, before),
            self._welsh_end(tokens),
        ]
        if not any(ends):
            ends.append(self._compound_end(tokens, cued and not clock))
            if (cued or before not in self.count_words) and not clock:
                ends.append(self._the_end(tokens))
        valid = [e for e in ends if e is not None]
        return max(valid) if valid else None

    def _suffix_end(
        self, tokens: list[_Token], before: str, cued: bool, number: str, text: str
    ) -> int | None:
        """ "Elm Road", "St Mary's Close", "the green": name words, then a street word."""
        best = None
        for k in range(1, min(len(tokens), self.MAX_NAME_WORDS + 1)):
            street = tokens[k]
            if street.key not in self.street_words and street.key not in self.building_words:
                continue
            names = tokens[:k]
            if not self._names_ok(names, street):
                break
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            if (
                street.key in self.not_before_title
                and (
                    (nxt is not None and _is_title(nxt.word) and nxt.start - street.end <= 2)
                    # The name a pass before this one took out: "111 told Dr [name]".
                    or text[street.end : street.end + 3].lstrip(" ").startswith("[")
                )
            ):
                continue  # "12 Elm Dr Patel": a doctor, not a drive
            words = [t.word.title() if t.loud else t.word for t in [*names, street]]
            weak = not self._strong(words)
            ambiguous = street.key in self.ambiguous
            if not self._count_ok(names, weak, ambiguous, before, number):
                break
            if weak and not cued and ambiguous and nxt is not None:
                if (
                    nxt.start == street.end + 1
                    and nxt.key not in self.function_words
                    and not nxt.glued
                    and not (len(tokens) > k + 2 and tokens[k + 2].glued)
                ):
                    continue  # "2 big green bins", "a 10 minute walk home"
            best = street.end
            after = tokens[k + 2] if k + 2 < len(tokens) else None
            if (
                nxt is not None
                and nxt.key in self.directions
                and (after is None or not _is_title(after.word))
            ):
                best = nxt.end  # "12 Station Road North"
        return best

    def _names_ok(self, names: list[_Token], street: _Token) -> bool:
        for i, t in enumerate(names):
            if t.key in self.connectors and i > 0:
                continue
            if i == 0 and (
                t.word == "The"
                or (
                    t.word == "the" and (_is_title(street.word) or street.key not in self.ambiguous)
                )
            ):
                continue  # "12 The Green", "no 7 the paddock"; "at 9 the park gates" is a time
            if t.key in self.function_words:
                return False
        return True

    def _strong(self, words: list[str]) -> bool:
        """Written in title case, as street names are, rather than in lower case or capitals."""
        cased = [w for w in words if w.lower() not in self.connectors]
        return all(_is_title(w) for w in cased) and not all(_is_caps(w) for w in cased)

    def _count_ok(
        self, names: list[_Token], weak: bool, ambiguous: bool, before: str, number: str
    ) -> bool:
        """Not a count of things: "a 10 minute walk", "the 2 dog park visits", "2 new road
        signs". In lower case "the 12 elm road" is kept as an address: "road" is no count."""
        first = names[0].key
        if first == "the" and len(names) > 1:
            first = names[1].key
        if first in self.months and number.isdigit() and int(number) <= 31:
            return False  # "since 3 June Church Street has been shut": a date
        if first in self.measure_words and (weak or len(names) == 1):
            return False
        if weak and first in self.weak_first_not:
            return False
        return not (weak and ambiguous and before in self.count_words | self.label_words)

    def _prefix_end(self, tokens: list[_Token], before: str) -> int | None:
        """Welsh streets, street word first: "Heol y Felin", "Lôn Goch", "Pen-y-Bryn"."""
        first = tokens[0]
        if _WELSH_COMPOUND.fullmatch(first.word):
            end = first.end
            if len(tokens) > 1 and tokens[1].key in self.welsh_adjectives:
                end = tokens[1].end
            return end if self._strong([first.word]) or before not in self.count_words else None
        key = re.sub(r"['’]r$", "", first.key)
        if key not in self.prefix_words or len(tokens) < 2:
            return None
        rest = tokens[1:]
        # "Rhodfa'r Môr" has its article on the street word already.
        if key == first.key and rest[0].key in self.connectors:
            rest = rest[1:]
        if not rest or rest[0].key in self.function_words or rest[0].key in self.measure_words:
            return None
        name = rest[0]
        if not (_is_title(name.word) or not _is_title(first.word)):
            return None
        end = name.end
        more = rest[1:]
        if more and more[0].key in self.welsh_adjectives:
            end = more[0].end
        elif len(more) >= 2 and more[0].key in self.connectors:
            end = more[1].end
        if (
            not self._strong([first.word, name.word])
            and key in self.ambiguous
            and before in self.count_words
        ):
            return None  # "the 2 pen pals"
        return end

    @staticmethod
    def _welsh_end(tokens: list[_Token]) -> int | None:
        """ "Gwel y Môr", "Bro yr Ysgol": two Welsh words joined by "y" or "yr" are a name."""
        if len(tokens) < 3 or tokens[1].word not in ("y", "yr"):
            return None
        first, last = tokens[0].word, tokens[2].word
        if _is_title(first) == _is_title(last) and (_is_title(first) or first.islower()):
            return tokens[2].end
        return None

    def _the_end(self, tokens: list[_Token]) -> int | None:
        """ "12 The Maltings", "Flat 4, The Sidings": a title-case name after "The"."""
        if tokens[0].word != "The" or len(tokens) < 2:
            return None
        end = None
        for t in tokens[1:3]:
            if not _is_title(t.word) or t.key in self.function_words or _is_caps(t.word):
                break
            end = t.end
        return end

    def _compound_end(self, tokens: list[_Token], cued: bool = False) -> int | None:
        """One word that is a street by how it ends or starts: "Kingsway", "Eastgate",
        "Brynteg"; in lower case only after a word like "at" ("i'm at 23 kirkgate")."""
        word = tokens[0]
        key = word.key
        title = word.word[0].isupper() and word.word[1:].islower()
        if not (title or (cued and word.word.islower())) or key in self.compound_not:
            return None
        for ending in self.compound_endings:
            if key.endswith(ending) and len(key) >= len(ending) + 3:
                return word.end
        for start in self.compound_starts:
            if key.startswith(start) and len(key) >= len(start) + 3 and key.isalpha():
                return word.end
        return None

    def _cued(self, text: str, start: int) -> bool:
        """Whether words like "I live at" or "address:" come just before start."""
        window = text[max(0, start - 40) : start].lower()
        if not any(stem in window for stem in self._cue_stems):
            return False
        return self._cue.search(text, max(0, start - 40), start) is not None

    def _postcode_follows(self, text: str, pos: int) -> bool:
        """Whether a street's words, perhaps a town, then a postcode come next ("12 Coniston,
        Leeds LS1 4AB"): the postcode makes the words before it an address."""
        if self._postcode is None:
            return False
        return self._postcode_after.match(text, pos) is not None

    def _words_after_cue(self, text: str, pos: int) -> int | None:
        """After "I live at 12", the next words are the street even without a street word."""
        tokens = self._tokens(text, pos, self.MAX_NAME_WORDS)
        title = bool(tokens) and _is_title(tokens[0].word)
        end = None
        for i, t in enumerate(tokens):
            if t.key in self.function_words or t.key in self.measure_words:
                break
            if i == 0 and t.key in self.weak_first_not:
                break
            if _is_title(t.word) != title or (not title and i >= 2):
                break
            end = t.end
        return end

    def _chained(self, text: str, end: int) -> int:
        """ "Flat 3, Rose Court, Mill Lane": a block's name, then its street."""
        last = _LAST_WORD.search(text, max(0, end - 20), end)
        if last is None or last.group(1).lower() not in self.building_words:
            return end
        gap = _CHAIN_GAP.match(text, end)
        if gap is None:
            return end
        more = self._street(text, gap.end(), "", False)
        return more if more is not None else end

    # -- house names -------------------------------------------------------------------

    def _with_house_names(self, text: str, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """ "Rose Cottage, Church Lane", "The Old Forge, 12 Mill Lane"."""
        starts = {s: e for s, e in found}
        extra: list[tuple[int, int]] = []
        for m in self._house_word.finditer(text):
            start = self._house_name_start(text, m)
            if start is not None:
                span = self._after_house_name(text, start, m.end(), m.group(), starts)
                if span:
                    extra.append(span)
        for m in [
            *self._plural_the.finditer(text),
            *self._welsh_house.finditer(text),
            *self._compound_house.finditer(text),
        ]:
            span = self._after_house_name(text, m.start(), m.end(), "", starts, comma=True)
            if span:
                extra.append(span)
        if not extra:
            return found
        merged: list[tuple[int, int]] = []
        for s, e in sorted([*found, *extra]):
            if merged and s < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        return merged

    def _house_name_start(self, text: str, m: re.Match[str]) -> int | None:
        """Where the house name ending in this house word starts ("The Old Forge")."""
        word = m.group()
        if not (_is_title(word) or word.islower()):
            return None
        tokens = []
        pos = m.start()
        for _ in range(2):
            prev = _PREVIOUS_WORD.search(text, max(0, pos - 30), pos)
            if prev is None:
                break
            w = prev.group(1)
            if w.lower() in self.function_words and w.lower() != "the":
                break
            if _is_title(w) != _is_title(word) and not (_is_caps(w) and _is_caps(word)):
                break
            pos = prev.start()
            tokens.append(w.lower())
            if w.lower() == "the":
                break
        if not any(t != "the" for t in tokens) and not text.startswith("The", pos):
            return None  # "the cottage" is any cottage; "The Cottage" is a house's name
        if (
            word.lower() in self.public_house_words
            and any(t in self.public_words for t in tokens)
            and "old" not in tokens  # "Old School House" is somebody's home now
        ):
            return None
        if not _is_title(word) and word.lower() not in self.residential:
            return None
        return pos

    def _after_house_name(
        self,
        text: str,
        start: int,
        end: int,
        house_word: str,
        starts: dict[int, int],
        comma: bool = False,
    ) -> tuple[int, int] | None:
        # A lower-case house name needs its comma ("rose cottage, church lane").
        g = (_COMMA if comma or not _is_title(house_word) else _CHAIN_GAP).match(text, end)
        if g is not None:
            pos = g.end()
            if pos in starts:
                return start, starts[pos]
            street = self._street(text, pos, "", True)
            if street is not None:
                return start, street
            if self._postcode_near.match(text, pos):
                return start, end  # "Rose Cottage, Little Snoring NR21 0AB"
        if self._cued(text, start):
            return start, end  # "I live at Rose Cottage"
        return None

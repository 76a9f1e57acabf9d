"""Near-duplicate reports ("me too"): which recent published items say what a new text says.

Offline and cheap: TF-IDF over word features (folded words and word pairs) and character
n-grams within words, cosine similarity, the two blended. Pure functions over texts; the
caller (bot/) chooses the texts (one service's recent published items) and, where items
have places, may narrow them by place first (`Candidate.place`, see `search`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import sparse

# Chosen on the tuning half of nlp/eval/duplicates.jsonl (`python -m nlp duplicates-eval`).
THRESHOLD = 0.18
# At most this many suggestions.
LIMIT = 3
# How much the word block counts against the character block.
WORD_WEIGHT = 0.6
CHAR_SIZES = (3, 4, 5)

STOP_WORDS = frozenset(
    """a an the and or but of to in on at for from by with is are was were be been being it its
    this that these those there here i me my we our us you your they them their he she his her
    again still just very really so too also as if then than have has had do does did not no
    any some all every each about into over after before up down out off can could would should
    will shall may might must am s t d ll ve re m week weeks day days today yesterday time
    please thanks thank hi hello""".split()
)  # fmt: skip

# Different words people use for one thing ("missed" the bins, bins "not collected").
CANON = {
    "bins": "bin", "wheelie": "bin", "rubbish": "waste", "refuse": "waste", "trash": "waste",
    "garbage": "waste", "litter": "waste", "collected": "collect", "collection": "collect",
    "collecting": "collect", "collections": "collect", "missed": "collect", "emptied": "collect",
    "empty": "collect", "pickup": "collect", "picked": "collect",
    "lights": "light", "lamp": "light", "lamps": "light", "streetlight": "light",
    "streetlights": "light", "lamppost": "light", "dark": "light", "unlit": "light",
    "broken": "broken", "smashed": "broken", "snapped": "broken", "damaged": "broken",
    "vandalised": "broken", "busted": "broken", "wrecked": "broken",
    "potholes": "pothole", "hole": "pothole", "holes": "pothole", "crater": "pothole",
    "late": "late", "delayed": "late", "delay": "late", "delays": "late", "waited": "late",
    "wait": "late", "waiting": "late", "turned": "turn", "cancelled": "cancel",
    "toilets": "toilet", "loos": "toilet", "loo": "toilet", "wc": "toilet",
    "closed": "closed", "shut": "closed", "locked": "closed",
    "dirty": "dirty", "filthy": "dirty", "disgusting": "dirty", "smelly": "dirty",
    "swings": "swing", "slide": "slide", "playground": "play", "play": "play",
    "flooded": "flood", "flooding": "flood", "floods": "flood", "puddle": "flood",
    "drain": "drain", "drains": "drain", "blocked": "blocked", "clogged": "blocked",
    "overflowing": "full", "overflow": "full", "full": "full", "spilling": "full",
    "appointment": "appointment", "appointments": "appointment", "booking": "appointment",
    "phone": "phone", "phones": "phone", "call": "phone", "calls": "phone", "ring": "phone",
    "rang": "phone", "line": "phone", "answer": "phone", "answered": "phone",
    "receptionist": "reception", "receptionists": "reception", "staff": "staff",
    "rude": "rude", "unhelpful": "rude", "dismissive": "rude", "impolite": "rude",
    "books": "book", "wifi": "wifi", "internet": "wifi", "computers": "computer", "pcs": "computer",
    "bus": "bus", "buses": "bus", "driver": "driver", "drivers": "driver",
    "heating": "heat", "cold": "heat", "freezing": "heat", "heater": "heat",
    "leak": "leak", "leaking": "leak", "leaks": "leak", "dripping": "leak",
    "graffiti": "graffiti", "tagged": "graffiti", "spray": "graffiti",
    "dog": "dog", "dogs": "dog", "poo": "mess", "fouling": "mess", "mess": "mess",
}  # fmt: skip

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Names written short ("Elm Rd") as in full.
NAME_FORMS = {"rd": "road", "st": "street", "ave": "avenue", "ln": "lane", "pk": "park"}
# Capitalised but no place: a report about "the 12" on "Tuesday" names no other place.
NOT_NAMES = frozenset(
    """i im i'm my we our the a an it its this that they there why can could please what when
    how where who yes no ok dr mr mrs ms monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november
    december wifi app pm am""".split()
)  # fmt: skip
# A score when both texts name places and no name is the same (another park's swing).
OTHER_PLACE = 0.0


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _stem(word: str) -> str:
    word = word.split("'")[0]
    if word in CANON:
        return CANON[word]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            base = word[: -len(suffix)]
            return CANON.get(base, base)
    return word


def words(text: str) -> list[str]:
    """The words of a text that carry meaning, folded to one form each."""
    found = [_stem(w) for w in _WORD.findall(_fold(text))]
    return [w for w in found if w and w not in STOP_WORDS and not w.isdigit()]


def word_features(text: str) -> Counter[str]:
    """Folded words and neighbouring pairs."""
    found = words(text)
    counts: Counter[str] = Counter(found)
    counts.update(f"{a} {b}" for a, b in pairwise(found))
    return counts


def char_features(text: str) -> Counter[str]:
    """Character n-grams within each word (padded), of the raw folded words: catches
    spellings ("Elm Rd" / "Elm Road", "colected")."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall(_fold(text)):
        if word in STOP_WORDS:
            continue
        padded = f" {word} "
        for n in CHAR_SIZES:
            counts.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return counts


def names(text: str) -> frozenset[str]:
    """Words written with a capital letter past the start of a sentence (places, mostly:
    "Elm Road", "Riverside Park"), folded ("Rd" is "road"), and numbers ("the 12")."""
    found = set()
    for sentence in re.split(r"[.!?\n]+", text):
        for i, word in enumerate(_WORD.findall(sentence)):
            folded = _fold(word).split("'")[0]
            if word.isdigit():
                found.add(folded)
            elif i > 0 and word[0].isupper() and folded not in NOT_NAMES:
                found.add(NAME_FORMS.get(folded, folded))
    # "Road", "Park" alone say nothing about which one.
    return frozenset(found - {"road", "street", "avenue", "lane", "park", "close"})


@dataclass(frozen=True)
class Candidate:
    """A published item that may be suggested: its id, its text, and its place if known."""

    id: int
    text: str
    place: str | None = None


class _Block:
    """One TF-IDF space: sublinear term counts times smoothed IDF, rows of unit length."""

    def __init__(self, docs: Sequence[Counter[str]]) -> None:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        self.vocab = {term: i for i, term in enumerate(df)}
        n = len(docs)
        self.idf = np.array(
            [math.log((1 + n) / (1 + df[t])) + 1.0 for t in self.vocab], dtype=np.float32
        )
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            for term, count in doc.items():
                rows.append(r)
                cols.append(self.vocab[term])
                vals.append((1.0 + math.log(count)) * self.idf[self.vocab[term]])
        matrix = sparse.csr_matrix(
            (np.array(vals, dtype=np.float32), (rows, cols)), shape=(n, len(self.vocab))
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        # Columns first: a query touches only its own terms' postings.
        self.matrix = sparse.csc_matrix(sparse.diags(1.0 / norms) @ matrix, dtype=np.float32)

    def scores(self, doc: Counter[str]) -> np.ndarray:
        """Cosine of the query with every row."""
        known = [(self.vocab[t], c) for t, c in doc.items() if t in self.vocab]
        out = np.zeros(self.matrix.shape[0], dtype=np.float32)
        if not known:
            return out
        cols = np.array([i for i, _ in known])
        weights = np.array([(1.0 + math.log(c)) * self.idf[i] for i, c in known])
        # Terms the index has never seen still count in the query's length.
        unseen = sum((1.0 + math.log(c)) ** 2 for t, c in doc.items() if t not in self.vocab)
        norm = math.sqrt(float(weights @ weights) + unseen) or 1.0
        out += np.asarray(self.matrix[:, cols] @ (weights / norm)).ravel().astype(np.float32)
        return out


class Index:
    """The similarity index over one set of candidates (e.g. a service's recent items)."""

    def __init__(self, candidates: Sequence[Candidate], word_weight: float = WORD_WEIGHT) -> None:
        self.candidates = list(candidates)
        self.word_weight = word_weight
        self._words = _Block([word_features(c.text) for c in self.candidates])
        self._chars = _Block([char_features(c.text) for c in self.candidates])
        named = [Counter(names(c.text)) for c in self.candidates]
        self._names = _Block(named)
        self._named = np.array([bool(n) for n in named], dtype=bool)

    def __len__(self) -> int:
        return len(self.candidates)

    def scores(self, text: str) -> np.ndarray:
        """Blended cosine of `text` with every candidate, in order."""
        if not self.candidates:
            return np.zeros(0, dtype=np.float32)
        w = self._words.scores(word_features(text))
        c = self._chars.scores(char_features(text))
        blended = self.word_weight * w + (1.0 - self.word_weight) * c
        wanted = names(text)
        if wanted:
            # Both name places and none is shared: most likely another place's problem.
            shared = self._names.scores(Counter(wanted)) > 0
            blended[self._named & ~shared] *= OTHER_PLACE
        return blended

    def search(
        self,
        text: str,
        threshold: float = THRESHOLD,
        limit: int = LIMIT,
        place: str | None = None,
        exclude: Sequence[int] = (),
    ) -> list[tuple[Candidate, float]]:
        """Up to `limit` candidates at least `threshold` similar to `text`, best first. With
        a `place`, candidates known to be elsewhere are left out (unknown places stay)."""
        if not self.candidates:
            return []
        scores = self.scores(text)
        above = np.flatnonzero(scores >= threshold)
        if above.size == 0:
            return []
        order = above[np.argsort(-scores[above], kind="stable")]
        found = []
        skip = set(exclude)
        for i in order:
            candidate = self.candidates[int(i)]
            if candidate.id in skip:
                continue
            if place is not None and candidate.place not in (None, place):
                continue
            found.append((candidate, float(scores[i])))
            if len(found) == limit:
                break
        return found


def similar(
    text: str,
    candidates: Sequence[Candidate],
    threshold: float = THRESHOLD,
    limit: int = LIMIT,
    place: str | None = None,
) -> list[tuple[Candidate, float]]:
    """The candidates most like `text` above the threshold (an index built for one query)."""
    return Index(candidates).search(text, threshold, limit, place)

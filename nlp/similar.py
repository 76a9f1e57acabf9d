"""Near-duplicate reports ("me too"): which recent published items say what a new text says.

Offline and cheap: TF-IDF over word features (folded words and word pairs) and character
n-grams within words, cosine similarity, the two blended, then blended with closeness in
meaning (word vectors learned offline on the services corpus, nlp/wordspace.py) for the
candidates closest in words, and lowered where the two texts' likeliest themes differ or
where what they are about ("objects": the lift, the toilets) has no counterpart, or where both
state what is wrong and not the same (nlp/problems.py: "broken" / "smells"). Pure
functions over texts; the caller (bot/) chooses the texts (one service's recent published
items) and, where items have places, may narrow them by place first (`Candidate.place`, see
`search`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
from scipy import sparse

from nlp import problems, wordspace
from nlp import sentence as sentences
from nlp.kind import KINDS

# Chosen on the tuning half of nlp/eval/duplicates.jsonl and raised for the development set
# nlp/data/duplicates_dev.jsonl (`python -m nlp duplicates-eval`, see choose_threshold).
THRESHOLD = 0.04
# At most this many suggestions.
LIMIT = 3
# Scores under this are 0 rather than scaled (see Index.scores).
SENTENCE_FLOOR = THRESHOLD / 2
# At most this many candidates are compared as sentences (the best in words and the rest).
SENTENCE_TOP = 1024
# The factor for a text in another language than English: as if offered at the threshold
# used before the sentence space (0.18), which the score was built for.
FOREIGN = THRESHOLD / 0.18
# Further suggestions only at this share of the best one's score, at least.
RELATIVE = 0.8
# How much the word block counts against the character block.
WORD_WEIGHT = 0.6
CHAR_SIZES = (3, 4, 5)
# How much closeness in the learned word space (nlp/wordspace.py) counts against the
# blend of the two blocks, and the cosine below which it counts nothing.
MEANING_WEIGHT = 0.2
MEANING_FLOOR = 0.2
# How many candidates, the closest in words, are compared in meaning too.
MEANING_TOP = 256
# Objects (what a report is about: "lift", "toilet", "nets"): one at least of each text's
# OBJECTS most telling ones must have one near among the other text's OBJECT_POOL (the same
# word, the same first four letters, or at least OBJECT_CLOSE in the word space), or the
# score keeps only OTHER_OBJECT: "the library lift is broken" is not "the library toilets
# are broken". Applied to the MEANING_TOP candidates closest in words.
OBJECTS = 2
OBJECT_POOL = 8
OBJECT_CLOSE = 0.6
OTHER_OBJECT = 0.5
# What a score keeps when both texts state problems (nlp/problems.py) and share none, nor
# a related one: "the lift is broken" is not "the lift smells".
OTHER_PROBLEM = 0.5
# A word leaning this far to complaint or compliment in the corpus says how, not what.
OBJECT_TONE = 2.5
# A word this common in the corpus (corpus IDF below it) is what a whole service is about
# ("library", "bin", "appointment"), not which thing of it.
OBJECT_IDF = 5.5
# How a thing is or what happened to it, never what it is (stems, as `words` gives them),
# and words of amount, order or place that go with any thing ("near", "more", "first").
STATES = frozenset(
    """broken late closed dirty full blocked collect arrive cancel rude leak fix drop remove
    shout mow flood order working work near more less most first last next other same new
    old whole much many lot cant dont wont didnt isnt doesnt""".split()
)  # fmt: skip
# How strongly the words of a text must lean one way in the services corpus (summed
# log-odds) to give it that tone if it has no praise or problem word, or to take away the
# tone its listed words give if they lean the other way.
LEARNED_TONE = 4.0

STOP_WORDS = frozenset(
    """a an the and or but of to in on at for from by with is are was were be been being it its
    this that these those there here i me my we our us you your they them their he she his her
    again still just very really so too also as if then than have has had do does did not no
    any some all every each about into over after before up down out off can could would should
    will shall may might must am s t d ll ve re m week weeks day days today yesterday time
    please thanks thank hi hello never always ever every got get gets getting keep keeps kept
    had one going went even yet ago morning evening night weekend weekends month months hour
    hours minute minutes""".split()
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
    # Turning up (a bus, a crew, a nurse) and not.
    "turn": "arrive", "came": "arrive", "come": "arrive", "arrived": "arrive",
    "arrive": "arrive", "arriving": "arrive", "showed": "arrive", "skipped": "collect",
    "closes": "closed", "closing": "closed", "shuts": "closed",
    "lorry": "truck", "lorries": "truck", "van": "truck", "crew": "crew", "crews": "crew",
    "collectors": "crew", "binmen": "crew", "men": "crew",
    "shouted": "shout", "yelled": "shout", "screamed": "shout", "swore": "shout",
    "pushchair": "pram", "buggy": "pram", "pram": "pram", "wheelchair": "pram",
    "fixed": "fix", "repaired": "fix", "mended": "fix", "repair": "fix", "repairs": "fix",
    "mowed": "mow", "mown": "mow", "overgrown": "mow", "uncut": "mow",
    "disconnects": "drop", "dropping": "drop", "drops": "drop", "dropped": "drop",
    "printer": "print", "printers": "print", "printing": "print",
    "phoned": "phone", "phoning": "phone", "ringing": "phone", "calling": "phone",
    "called": "phone", "slot": "appointment", "slots": "appointment",
    "screen": "screen", "display": "screen", "board": "screen", "departure": "screen",
    "removed": "remove", "stopped": "remove", "withdrawn": "remove",
}  # fmt: skip

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Names written short ("Elm Rd") as in full.
NAME_FORMS = {
    "rd": "road", "st": "street", "ave": "avenue", "ln": "lane", "pk": "park", "ct": "court",
    "hse": "house", "sq": "square", "cres": "crescent",
}  # fmt: skip
# Capitalised but no place: a report about "the 12" on "Tuesday" names no other place.
NOT_NAMES = frozenset(
    """i im i'm my we our the a an it its this that they there why can could please what when
    how where who yes no ok dr mr mrs ms monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november
    december wifi app pm am keep thanks thank dear lovely love great big huge well shout
    another gp nhs ae pc tv uk id diy asap mot cctv esol dwp hmrc easter christmas xmas
    halloween""".split()
)  # fmt: skip
# What a score keeps when the two texts' likeliest themes differ.
OTHER_THEME = 0.7
# A score when both texts name places and no name is the same (another park's swing).
OTHER_PLACE = 0.0

# Tone: praise and problem words. A text with words of one kind and none of the other has
# that tone; praise is never the same report as a problem ("friendly on the phone" is not
# "told to call back tomorrow"), however many words they share. Sarcasm ("great, another
# cancelled bus") has both kinds, so no tone, and is compared on its words alone.
PRAISE = frozenset(
    """thank thanks thankyou grateful friendly patient lovely great helpful kind excellent
    brilliant fantastic amazing wonderful superb spotless clean tidy polite caring efficient
    pleased happy love loved beautiful impressed praise well done fab fabulous gorgeous
    marvellous smashing cheers appreciate appreciated outstanding""".split()
)  # fmt: skip
PROBLEM = frozenset(
    """not no never nobody nothing none cannot can't couldn't won't wouldn't didn't doesn't
    don't isn't wasn't aren't weren't hasn't haven't broken late rude dirty missed cancelled
    closed waited waiting again still bad awful terrible poor worst unsafe dangerous
    overflowing problem complaint told leak leaking smashed damaged blocked flooded filthy
    disgusting useless ridiculous joke shocking appalling unacceptable fed annoyed angry
    upset disappointed missing lost wrong failed stuck overgrown dumped dropping drops
    disconnects disconnecting crashes crashing crashed failing fails freezes froze""".split()
)  # fmt: skip


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


def _said(text: str) -> list[str]:
    """The folded words of a text, but the names of places in it: a place is a condition of
    being the same report (see `names`), never evidence that it is ("the swing in Jubilee
    Park" and "the toilets in Jubilee Park" share only the place)."""
    # A word guessed to be a name from its place alone ("at the skatepark") stays evidence.
    named = _named_words(text, guess=False)
    found = _WORD.findall(_fold(text))
    return [w for w in found if _name_form(w) not in named]


def _named(said: list[str], i: int, capitals: bool = False) -> bool:
    """Whether the i-th word of a sentence is written as a name: capitalised past the
    sentence's start, or at its start with a capitalised word after it ("Riverside Park");
    not a common word shouted ("STILL broken", "AGAIN")."""
    word = said[i]
    if not word[0].isupper() or _shouted(word) or capitals:
        return False
    # "Do I pay it": "I" is not part of a name.
    return i > 0 or (
        len(said) > 1 and said[1][0].isupper() and not _shouted(said[1]) and said[1] != "I"
    )


def _capitals(said: list[str]) -> bool:
    """Whether a sentence is written in capitals (where capitals say nothing of names: see
    `_named`, given it once per sentence)."""
    long = [w for w in said if len(w) > 1 and w.isalpha()]
    return len(long) >= 3 and sum(w.isupper() for w in long) >= 0.6 * len(long)


def _shouted(word: str) -> bool:
    """A word in capitals that the language knows as a common word ("STILL", "BINS"), not
    a name ("NORTHGATE"); a place's name in capitals is still one before its ending ("ELM
    CLOSE", see `_before_place`)."""
    if len(word) < 2 or not word.isupper():
        return False
    folded = _fold(word).split("'")[0]
    # Short ones are most often letters that stand for something ("PCN", "TTOs").
    return len(folded) <= 4 or folded in STOP_WORDS or _stem(folded) in wordspace.load().index


def words(text: str) -> list[str]:
    """The words of a text that carry meaning, folded to one form each."""
    found = [_stem(w) for w in _said(text)]
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
    for word in _said(text):
        if word in STOP_WORDS:
            continue
        padded = f" {word} "
        for n in CHAR_SIZES:
            counts.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return counts


def raw_words(text: str) -> list[str]:
    """The words of a text as typed, folded (no stems, no stop words left out)."""
    return _WORD.findall(_fold(text))


def tone(text: str) -> int:
    """+1 for praise alone, -1 for problems alone; for both or neither, the tone the
    services corpus gives its words (nlp/wordspace.py), if clear, else 0; 0 if the listed
    words say one tone and the corpus clearly the other ("listened and didn't rush me")."""
    found = set(raw_words(text))
    praise, problem = bool(found & PRAISE), bool(found & PROBLEM)
    learned = wordspace.load().tone
    leaning = sum(learned.get(w, 0.0) for w in found)
    corpus = 0 if abs(leaning) < LEARNED_TONE else (-1 if leaning > 0 else 1)
    if praise and problem:
        # "So kind when I was upset": the corpus says which, where it clearly does.
        return corpus
    listed = int(praise) - int(problem)
    if listed and corpus == -listed:
        return 0
    return listed or corpus


def names(text: str) -> frozenset[str]:
    """Words written with a capital letter past the start of a sentence (places, mostly:
    "Elm Road", "Riverside Park"), folded ("Rd" is "road"), and numbers ("the 12")."""
    # "House", "Court", "Station" say nothing about which place where the name has more to
    # it ("Kestrel House" is not "Osprey House"), but "Station Road" is one place.
    return _names(text, _name_runs(text))


def _names(text: str, runs: list[list[str]]) -> frozenset[str]:
    """`names`, given the text's name runs (`_name_runs`), read once by `places` too."""
    every = _all_names(text)
    found = every - GENERIC_STREETS  # as `_named_words`
    # But "Hill" of "Hill Street", "Park" of "Park Road": a street's name, whatever word it is.
    street_names = {
        word
        for run in runs
        for word, after in pairwise(run)
        if word in GENERIC_PLACES and after in STREET_ENDINGS
    }
    # (Those are left out of `found`: add them back from all the names.)
    return (found - GENERIC_PLACES) | (every & street_names) or found


def places(text: str) -> frozenset[tuple[str, str]]:
    """The text's `names`, each with the word that ends it where the text gives one
    ("Church Road": ("church", "road")), else "" ("Church" alone, "the 12")."""
    runs = _name_runs(text)
    endings: dict[str, set[str]] = {name: set() for name in _names(text, runs)}
    for run in runs:
        for i, word in enumerate(run):
            # The first ending after the name: "Hythe Road stop" is on Hythe Road.
            after = next((w for w in run[i + 1 :] if w in GENERIC_PLACES), "")
            ending = ENDING_FORMS.get(after, after)
            if word in endings and ending:
                endings[word].add(ending)
    return frozenset((n, e) for n, found in endings.items() for e in found or {""})


# Endings that say one kind of place ("Brindley Rec" is "Brindley Park" to its users), and
# those that name what is at a place, not which ("Marden stop", "the Mill surgery"): "".
ENDING_FORMS = {
    "rec": "park", "field": "park", "fields": "park", "woods": "wood", "stop": "",
    "station": "", "surgery": "", "library": "", "clinic": "", "centre": "", "gym": "",
    "pool": "", "baths": "", "branch": "", "hospital": "", "school": "", "depot": "",
    "market": "", "pond": "", "lake": "", "playground": "",
}  # fmt: skip


def place_terms(text: str) -> Counter[str]:
    """A candidate's places as terms that a query's `place_query` shares only where they
    may be one place: a name with its ending, or the name alone, and "any" of the name;
    each again marked as a site's or a unit's (see `_marked`)."""
    terms = [(n, t) for n, e in places(text) for t in (f"{n} {e}" if e else n, f"{n} *")]
    return Counter(_marked(terms))


def place_query(text: str) -> frozenset[str]:
    """A query's places as terms (see `place_terms`): "Church Road" meets "Church Road" and
    "Church" alone, never "Church Lane"; "Church" alone meets any Church."""
    terms = [(n, t) for n, e in places(text) for t in ((f"{n} {e}", n) if e else (f"{n} *",))]
    return frozenset(_marked(terms))


# Marks of the terms of a site's name ("Moor Lane") and of a unit's ("pitch 2", "the 14").
SITE, UNIT = "@", "#"
_UNIT_NAME = re.compile(r"[a-z]|\d{1,3}[a-z]?|[a-z]\d{1,2}")


def _marked(terms: list[tuple[str, str]]) -> list[str]:
    """Each (name, term) as the term, and the term marked as a unit's (a number or letter)
    or a site's: "pitch 2 at Moor Lane" and "pitch 2 at Sandy Lane" share a unit, not a
    site, and are not one place."""
    out = [t for _, t in terms]
    out += [(UNIT if _UNIT_NAME.fullmatch(n) else SITE) + t for n, t in terms]
    return out


def _name_runs(text: str) -> list[list[str]]:
    """The names of a text as runs of neighbouring words, folded ("Church Rd": ["church",
    "road"]), with the word that ends a place's name after one ("birch close")."""
    runs: list[list[str]] = []
    for said in _sentences(text):
        run: list[str] = []
        capitals = _capitals(said)
        for i, word in enumerate(said):
            folded = _name_form(word)
            if _name_at(said, i, capitals=capitals) or (run and folded in GENERIC_PLACES):
                run.append(folded)
                continue
            if run:
                runs.append(run)
            run = []
        if run:
            runs.append(run)
    return runs


def _named_words(text: str, guess: bool = True) -> frozenset[str]:
    """The words of a text's names, but "Road", "Park" (which say nothing about which one):
    left out of its words (see `_said`)."""
    return _all_names(text, guess) - GENERIC_STREETS


GENERIC_STREETS = frozenset({"road", "street", "avenue", "lane", "park", "close"})


def _all_names(text: str, guess: bool = True) -> frozenset[str]:
    """`names` with the generic words of place names ("Park", "Road") kept; with `guess`,
    words unknown to the language after "at" too (see `_unknown_after_at`)."""
    found = set()
    for said in _sentences(text):
        capitals = _capitals(said)
        for i, word in enumerate(said):
            if _name_at(said, i, guess, capitals):
                found.add(_name_form(word))
    return frozenset(found)


# Times ("the 7.50", "by 10:05") name no route, and their dot ends no sentence.
_TIME = re.compile(r"\b\d{1,2}[.:]\d{2}\b")
_AE = re.compile(r"\bA\s?&\s?E\b", re.IGNORECASE)


def _sentences(text: str) -> list[list[str]]:
    """A text's sentences as lists of words as written, times left out."""
    text = _AE.sub("AE", _TIME.sub(" ", text))
    return [_WORD.findall(sentence) for sentence in re.split(r"[.!?\n]+", text)]


def _name_form(word: str) -> str:
    """A word of a name, folded to one form: "Rd" is "road", and "St Peter's", "st peters"
    and "Hatters Park", "Hatter's Park" are one place."""
    folded = _fold(word).split("'")[0]
    folded = NAME_FORMS.get(folded, folded)
    if (
        folded not in GENERIC_PLACES
        and len(folded) > 4
        and folded.endswith("s")
        and not folded.endswith(("ss", "is", "us", "as"))
    ):
        return folded[:-1]
    return folded


def _name_at(said: list[str], i: int, guess: bool = True, capitals: bool = False) -> bool:
    """Whether the i-th word of a sentence is (part of) a name: a route's number, the
    number or letter of a block, ward or clinic, or a word written as a name, before a
    place's ending or, unknown to the language, after "at" or "in" ("at northgate")."""
    if _marks_unit(said, i):
        return True
    if said[i].isdigit():
        return _route(said, i)
    folded = _fold(said[i]).split("'")[0]
    return (
        _named(said, i, capitals)
        or _before_place(said, i)
        or (guess and _unknown_after_at(said, i))
    ) and not _not_name(folded)


# Words after which a number or a letter says which one: "Block B" is not "Block D", nor
# "clinic 4" "clinic 7".
UNIT_WORDS = frozenset(
    """block blocks ward wards clinic zone gate platform bay room floor level stand court flat
    pitch screen unit wing building tower""".split()
)  # fmt: skip


def _marks_unit(said: list[str], i: int) -> bool:
    """Whether the i-th word is the number or letter of a unit ("block B", "ward 12",
    "b block", "clinic 4b")."""
    word = _fold(said[i])
    if not _UNIT_NAME.fullmatch(word):
        return False
    if i > 0 and _fold(said[i - 1]) in UNIT_WORDS:
        return not (i + 1 < len(said) and _fold(said[i + 1]) in NOT_ROUTE_AFTER)
    # "b block", but not "a block of flats".
    return (
        len(word) == 1
        and word not in ("a", "i")
        and i + 1 < len(said)
        and _fold(said[i + 1]) in UNIT_WORDS
    )


# Words after which a word the language does not know is most likely a place's name.
AT_WORDS = frozenset("at in near by outside behind opposite".split())


def _unknown_after_at(said: list[str], i: int) -> bool:
    """Whether the i-th word, in lower case, follows "at" or "in" and is unknown to the
    language: neither in the services corpus nor a whole word of the sentence space's
    vocabulary ("treadmills at northgate", not "in agony")."""
    word = said[i]
    before = [_fold(w) for w in said[max(0, i - 2) : i]]
    if before[-1:] == ["the"]:
        before = before[:-1]
    if not before or before[-1] not in AT_WORDS or not word.isalpha() or len(word) < 4:
        return False
    folded = _fold(word)
    return _unknown(folded) and not _misspelt(folded)


def _unknown(folded: str) -> bool:
    """Whether a word is unknown to the language: neither in the services corpus nor a whole
    word of the sentence space's vocabulary (a name, most likely: "marys", "northgate")."""
    return (
        folded.isalpha()
        and folded not in STOP_WORDS
        and _stem(folded) not in wordspace.load().index
        and not sentences.knows(folded)
    )


def _misspelt(word: str) -> bool:
    """Whether a word is a known one with one letter left out, added, changed or two
    swapped ("libary", "hospitl", "raod"): most likely that word, not a place's name."""
    known = _known()
    cut = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return (
        any(a + b[1:] in known for a, b in cut if b)
        or any(a + b[1] + b[0] + b[2:] in known for a, b in cut if len(b) > 1)
        or any(a + c + b[1:] in known for a, b in cut if b for c in letters)
        or any(a + c + b in known for a, b in cut for c in letters)
    )


@cache
def _known() -> frozenset[str]:
    """The words the services corpus knows, and the places' endings."""
    return frozenset(wordspace.load().index) | STREET_WORDS | PLACE_WORDS | UNIT_WORDS


def _not_name(folded: str) -> bool:
    return folded in NOT_NAMES or (folded.endswith("s") and folded[:-1] in NOT_NAMES)


# A number names something (a bus route, "the 14", "number 3", "14 never came") after these
# words or first in a sentence; not times and amounts ("till 6", "my 10:20 appointment").
ROUTE_BEFORE = frozenset("the number no route bus service line on".split())
NOT_ROUTE_AFTER = frozenset(
    """am pm minutes minute mins min hours hour hrs days day weeks week months month years
    year times percent pounds quid p mph hr wk wks yr yrs mth mths sec secs""".split()
)  # fmt: skip


def _route(said: list[str], i: int) -> bool:
    """Whether the i-th word, a number, names a route rather than counting or telling time."""
    if i + 1 < len(said) and _fold(said[i + 1]) in NOT_ROUTE_AFTER:
        return False
    # A house number: "22 Park Road".
    if i + 1 < len(said) and said[i + 1][0].isupper():
        return True
    return i == 0 or _fold(said[i - 1]) in ROUTE_BEFORE


# Words that end a street's name: "maple drive", "cedar st" typed in lower case are places
# too. Not "park" or "house" ("skate park", "moved house"), which end other things as well.
STREET_WORDS = frozenset("road rd street st lane ln drive avenue ave close crescent grove".split())


# Words that end other places' names ("ferncliffe rec", "marden hill stop"): the word before
# one is a name only if the corpus does not know it ("skate park", "bus stop" are things).
PLACE_WORDS = frozenset(
    """park rec fields field hill green common estate court house gardens square way centre
    stop station parade place row walk terrace wood woods meadow heights tower clinic
    surgery library gym pool baths branch hospital school depot market pond lake
    cemetery playground precinct""".split()
)  # fmt: skip


# The words that end places' names say nothing about which place: "Kestrel House" and
# "Osprey House" share no place.
GENERIC_PLACES = frozenset(NAME_FORMS.get(w, w) for w in STREET_WORDS | PLACE_WORDS | UNIT_WORDS)
STREET_ENDINGS = frozenset(NAME_FORMS.get(w, w) for w in STREET_WORDS)


def _before_place(said: list[str], i: int) -> bool:
    """Whether the i-th word is the first part of a place's name written in lower case."""
    if i + 1 >= len(said):
        return False
    folded, after = _fold(said[i]), _fold(said[i + 1])
    if folded in STOP_WORDS or folded in STREET_WORDS or folded in NOT_STREET_NAMES:
        return False
    # "don't close", "can't park": a verb, not "Birch Close".
    if folded.endswith("n't"):
        return False
    if after in STREET_WORDS:
        # "new street lamps", "the street lights": a thing of the street, not a street.
        return not (i + 2 < len(said) and _fold(said[i + 2]) in STREET_THINGS)
    # "way too late": not a Way.
    if after == "way" and i + 2 < len(said) and _fold(said[i + 2]) in NOT_AFTER_WAY:
        return False
    # "riverside leisure centre", "ashworth car park": the place's ending is one further.
    if after in PLACE_KINDS and i + 2 < len(said) and _fold(said[i + 2]) in PLACE_WORDS:
        after = _fold(said[i + 2])
    return (
        after in PLACE_WORDS
        and folded not in PLACE_WORDS
        and folded not in PLACE_KINDS
        and _stem(folded) not in wordspace.load().index
    )


# Said between a place's name and its ending: "Riverside leisure centre", "Ashworth car park".
PLACE_KINDS = frozenset(
    "car leisure sports health community medical shopping swimming bus train retail".split()
)


# Said before "road" of no one road in particular ("the main road", "a side street").
NOT_STREET_NAMES = frozenset(
    """main busy same other whole next side back ring slip dont cant wont didnt doesnt isnt
    wasnt to will please never not""".split()
)  # fmt: skip
STREET_THINGS = frozenset(
    "light lights lamp lamps lighting cleaner cleaners cleaning sweeper sign signs".split()
)
NOT_AFTER_WAY = frozenset("too more less better worse".split())


@dataclass(frozen=True)
class Candidate:
    """A published item that may be suggested: its id, its text, and its place if known."""

    id: int
    text: str
    place: str | None = None
    # When it was published (seconds since the epoch), for a window of time.
    at: float = 0.0
    # The kinds of feedback it is (complaint, compliment, suggestion, question), if known.
    kinds: Collection[str] = ()
    # Known to be in a language other than English, which the sentence space cannot read.
    foreign: bool = False


class _Block:
    """One TF-IDF space: sublinear term counts times smoothed IDF, rows of unit length.

    With a `base`, the block holds rows added later to the base's space: the base's IDF
    for terms it knows, a rare term's IDF for the others, so both blocks' scores compare."""

    def __init__(self, docs: Sequence[Counter[str]], base: _Block | None = None) -> None:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        self.vocab: dict[str, int] = {term: i for i, term in enumerate(df)}
        n = len(docs) if base is None else base.n
        self.n: int = n
        # What a term seen in one document weighs.
        self.rare = math.log((1 + n) / 2) + 1.0
        if base is None:
            idf = [math.log((1 + n) / (1 + df[t])) + 1.0 for t in self.vocab]
        else:
            idf = [base.idf[base.vocab[t]] if t in base.vocab else base.rare for t in self.vocab]
        self.idf: np.ndarray = np.array(idf, dtype=np.float32)
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            for term, count in doc.items():
                rows.append(r)
                cols.append(self.vocab[term])
                vals.append((1.0 + math.log(count)) * self.idf[self.vocab[term]])
        matrix = sparse.csr_matrix(
            (np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(docs), len(self.vocab))
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        # Columns first: a query touches only its own terms' postings.
        self.matrix = sparse.csc_matrix(sparse.diags(1.0 / norms) @ matrix, dtype=np.float32)

    def norm(self, doc: Counter[str]) -> float:
        """The length of a query in this space (terms never seen count as IDF 1)."""
        total = 0.0
        for term, count in doc.items():
            weight = 1.0 + math.log(count)
            if term in self.vocab:
                weight *= float(self.idf[self.vocab[term]])
            total += weight * weight
        return math.sqrt(total) or 1.0

    def scores(self, doc: Counter[str], norm: float | None = None) -> np.ndarray:
        """Cosine of the query with every row (`norm`: the query's length in the base's
        space, for a block of rows added later)."""
        known = [(self.vocab[t], c) for t, c in doc.items() if t in self.vocab]
        out = np.zeros(self.matrix.shape[0], dtype=np.float32)
        if not known:
            return out
        cols = np.array([i for i, _ in known])
        weights = np.array([(1.0 + math.log(c)) * self.idf[i] for i, c in known])
        length = self.norm(doc) if norm is None else norm
        out += np.asarray(self.matrix[:, cols] @ (weights / length)).ravel().astype(np.float32)
        return out


@dataclass(frozen=True)
class Query:
    """A text's features, computed once for every part of an index."""

    words: Counter[str]
    chars: Counter[str]
    # The text's places as terms (see `place_query`).
    places: frozenset[str]
    tone: int = 0
    # The text's unit vector in the learned word space (see `meaning`).
    meaning: np.ndarray | None = None
    # The text's likeliest theme (see `theme`), -1 for none.
    theme: int = -1
    # The text's objects (see `objects`), as rows of the word space, -1 past the last.
    objects: np.ndarray | None = None
    # The kinds of feedback the text is (see `kind_bits`), 0 if not known.
    kinds: int = 0
    # The problem classes the text states (nlp/problems.py), 0 for none.
    problems: int = 0
    # The text's unit vector in the sentence space (nlp/sentence.py).
    sentence: np.ndarray | None = None
    # Known to be in a language other than English (see Candidate.foreign).
    foreign: bool = False


def kind_bits(kinds: Collection[str]) -> int:
    """Kinds of feedback as bits (one per nlp.kind.KINDS), 0 for none known."""
    return sum(1 << i for i, kind in enumerate(KINDS) if kind in kinds)


def query(text: str, kinds: Collection[str] = (), foreign: bool = False) -> Query:
    """A text's features for searching an index; `kinds`: the kinds of feedback it is,
    where known (a text and an item that share none are not the same report); `foreign`:
    known to be in a language other than English."""
    return Query(
        word_features(text),
        char_features(text),
        place_query(text),
        tone(text),
        meaning(text),
        theme(text),
        object_rows(text),
        kind_bits(kinds),
        problems.signature(text),
        sentences.vector(text),
        foreign,
    )


def theme(text: str) -> int:
    """The text's likeliest theme of the services corpus (nlp/wordspace.py), -1 for none."""
    return wordspace.load().theme(words(text))


def objects(text: str) -> list[str]:
    """What a text is about: its words the word space knows that say neither how it was
    (praise, problem, state, or a clear lean to either in the corpus) nor where, the
    rarest in the corpus first (the most telling), at most OBJECT_POOL."""
    space = wordspace.load()
    found: list[tuple[float, int, str]] = []
    for word in dict.fromkeys(words(text)):
        i = space.index.get(word)
        if i is None or word in _TONE_STEMS or word in STATES:
            continue
        if abs(space.tone.get(word, 0.0)) >= OBJECT_TONE or space.idf[i] < OBJECT_IDF:
            continue
        found.append((-float(space.idf[i]), len(found), word))
    return [word for *_, word in sorted(found)[:OBJECT_POOL]]


_TONE_STEMS = frozenset(_stem(w) for w in PRAISE | PROBLEM)


def object_rows(text: str) -> np.ndarray:
    """`objects` as rows of the word space, padded with -1 to OBJECT_POOL."""
    index = wordspace.load().index
    rows = np.full(OBJECT_POOL, -1, dtype=np.int32)
    found = [index[w] for w in objects(text)]
    rows[: len(found)] = found
    return rows


@cache
def _prefixes() -> np.ndarray:
    """By row of the word space, a number for its word's first four letters (each word
    shorter than that its own): "zipwire" and "zipwires", "taped" and "tape" are one."""
    space = wordspace.load()
    seen: dict[str, int] = {}
    out = np.zeros(len(space.index), dtype=np.int64)
    for word, i in space.index.items():
        key = word[:4] if len(word) >= 4 else f"{word} "
        out[i] = seen.setdefault(key, len(seen))
    return out


def _covered(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """By row, whether any of the first OBJECTS of `mine` (rows × OBJECT_POOL word rows,
    -1 for none) has one near among `theirs` (as wide); true where either has none."""
    space = wordspace.load()
    prefix = _prefixes()
    top = mine[:, :OBJECTS]
    a_ok, b_ok = top >= 0, theirs >= 0
    a, b = np.where(a_ok, top, 0), np.where(b_ok, theirs, 0)
    cosine = np.einsum("nkd,npd->nkp", space.vectors[a], space.vectors[b])
    near = (cosine >= OBJECT_CLOSE) | (prefix[a][:, :, None] == prefix[b][:, None, :])
    near &= a_ok[:, :, None] & b_ok[:, None, :]
    return near.any(axis=(1, 2)) | ~a_ok.any(axis=1) | ~b_ok.any(axis=1)


def meaning(text: str) -> np.ndarray:
    """A text's unit vector in the learned word space (nlp/wordspace.py): its words'
    vectors weighted by how rare each is in the corpus; zero if it knows none of them."""
    space = wordspace.load()
    out = np.zeros(space.vectors.shape[1], dtype=np.float32)
    for word, count in Counter(words(text)).items():
        i = space.index.get(word)
        if i is not None:
            out += (1.0 + math.log(count)) * space.idf[i] * space.vectors[i]
    length = float(np.linalg.norm(out))
    return out / length if length else out


def close_to_best(score: float, best: float) -> bool:
    """Whether a suggestion is near enough the best one to be offered beside it: a second
    offer far below the first is most often another problem sharing the subject's words."""
    return score >= RELATIVE * best


def _select(
    candidates: Sequence[Candidate],
    scores: np.ndarray,
    threshold: float,
    limit: int,
    place: str | None,
    exclude: Collection[int],
    relative: bool = True,
) -> list[tuple[Candidate, float]]:
    above = np.flatnonzero(scores >= threshold)
    if above.size == 0:
        return []
    order = above[np.argsort(-scores[above], kind="stable")]
    found: list[tuple[Candidate, float]] = []
    seen = set(exclude)
    for i in order:
        candidate = candidates[int(i)]
        if candidate.id in seen:
            continue
        if place is not None and candidate.place not in (None, place):
            continue
        if relative and found and not close_to_best(float(scores[i]), found[0][1]):
            break
        # An item indexed twice (its words edited) is offered once, at its best.
        seen.add(candidate.id)
        found.append((candidate, float(scores[i])))
        if len(found) == limit:
            break
    return found


class Index:
    """The similarity index over one set of candidates (e.g. a service's recent items).

    With a `base`, the candidates are added to the base's space (see `Growing`)."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        word_weight: float = WORD_WEIGHT,
        base: Index | None = None,
    ) -> None:
        self.candidates = list(candidates)
        self.word_weight = word_weight
        self.base = base
        self._words = _Block([word_features(c.text) for c in self.candidates], _of(base, "w"))
        self._chars = _Block([char_features(c.text) for c in self.candidates], _of(base, "c"))
        named = [place_terms(c.text) for c in self.candidates]
        self._names = _Block(named)
        self._named = np.array([bool(n) for n in named], dtype=bool)
        self._sited = np.array([any(t[0] == SITE for t in n) for n in named], dtype=bool)
        self._united = np.array([any(t[0] == UNIT for t in n) for n in named], dtype=bool)
        self._tone = np.array([tone(c.text) for c in self.candidates], dtype=np.int8)
        self._kinds = np.array([kind_bits(c.kinds) for c in self.candidates], dtype=np.int8)
        self._problems = np.array(
            [problems.signature(c.text) for c in self.candidates], dtype=np.int64
        )
        self._theme = np.array([theme(c.text) for c in self.candidates], dtype=np.int16)
        self._themed = self._theme >= 0
        dimensions = wordspace.load().vectors.shape[1]
        self._meaning = np.zeros((len(self.candidates), dimensions), dtype=np.float32)
        for i, c in enumerate(self.candidates):
            self._meaning[i] = meaning(c.text)
        self._objects = np.full((len(self.candidates), OBJECT_POOL), -1, dtype=np.int32)
        for i, c in enumerate(self.candidates):
            self._objects[i] = object_rows(c.text)
        self.at = np.array([c.at for c in self.candidates], dtype=np.float64)
        space = sentences.load()
        self._sentence = np.zeros((len(self.candidates), space.dimensions), dtype=np.float16)
        for i, c in enumerate(self.candidates):
            self._sentence[i] = space.vector(c.text)
        self._foreign = np.array([c.foreign for c in self.candidates], dtype=bool)

    def __len__(self) -> int:
        return len(self.candidates)

    def scores(self, text: str | Query) -> np.ndarray:
        """Blended cosine of `text` with every candidate, in order."""
        if not self.candidates:
            return np.zeros(0, dtype=np.float32)
        q = query(text) if isinstance(text, str) else text
        ref = self.base or self
        w = self._words.scores(q.words, ref._words.norm(q.words))
        c = self._chars.scores(q.chars, ref._chars.norm(q.chars))
        blended = self.word_weight * w + (1.0 - self.word_weight) * c
        top = self._top(blended)
        if q.meaning is not None:
            blended = (1.0 - MEANING_WEIGHT) * blended + MEANING_WEIGHT * self._close(q, top)
        if q.objects is not None:
            # The same subject, another thing wrong with it ("the library lift" / "the
            # library toilets", "tennis nets" / "dog bins by the courts").
            blended[top[~self._agree(q.objects, top)]] *= OTHER_OBJECT
        if q.problems:
            # Both state what is wrong and it is not the same ("the lift is broken" / "the
            # lift smells"); a text that states no problem class is left as it is.
            other = (self._problems != 0) & ((self._problems & problems.related(q.problems)) == 0)
            blended[other] *= OTHER_PROBLEM
        if q.theme >= 0:
            # Words in common but likely about different themes ("the boiler is broken" /
            # "the repairs man was rude about the boiler"): more likely another problem.
            blended[self._themed & (self._theme != q.theme)] *= OTHER_THEME
        if q.places:
            # Both name places and none may be the same ("Church Road" is not "Church
            # Lane", but may be "Church"): most likely another place's problem.
            # So too where both name sites, or units ("Block B"), and none is the same.
            for mark, having in ((None, self._named), (SITE, self._sited), (UNIT, self._united)):
                terms = Counter(
                    t for t in q.places if (t[0] if t[0] in (SITE, UNIT) else None) == mark
                )
                if terms:
                    shared = self._names.scores(terms) > 0
                    blended[having & ~shared] *= OTHER_PLACE
        if q.tone:
            # Praise is not the same report as a problem.
            blended[self._tone == -q.tone] = 0.0
        if q.kinds:
            # Nor a request for something new the same as a complaint about what is there,
            # by the kinds the theme model (or a moderator) gave: a report and its duplicate
            # share one kind at least (nlp/data/duplicates_*.jsonl).
            blended[(self._kinds != 0) & ((self._kinds & q.kinds) == 0)] = 0.0
        if q.sentence is not None:
            # Scaled by how close the two are as sentences: words in common about another
            # problem ("gym rammed at 6" / "waited weeks for a gym induction") fall away.
            # Only those at SENTENCE_FLOOR or more are compared, the SENTENCE_TOP best of
            # them at most (the rest are 0): under the floor none reaches a threshold.
            keep = np.flatnonzero(blended >= SENTENCE_FLOOR)
            if len(keep) > SENTENCE_TOP:
                keep = keep[np.argpartition(blended[keep], -SENTENCE_TOP)[-SENTENCE_TOP:]]
            factor = np.clip(self._sentence[keep].astype(np.float32) @ q.sentence, 0.0, 1.0)
            # The space reads English only: other languages' texts are all close in it.
            factor[q.foreign | self._foreign[keep]] = FOREIGN
            scaled = np.zeros_like(blended)
            scaled[keep] = blended[keep] * factor
            blended = scaled
        return blended

    @staticmethod
    def _top(lexical: np.ndarray) -> np.ndarray:
        """The MEANING_TOP candidates closest in words (comparing meaning and objects with
        every row would cost most of a search at 100,000 items; a text with no word in
        common is rarely the same report)."""
        if len(lexical) > MEANING_TOP:
            return np.argpartition(lexical, -MEANING_TOP)[-MEANING_TOP:]
        return np.arange(len(lexical))

    def _agree(self, objects: np.ndarray, top: np.ndarray) -> np.ndarray:
        """Whether the query's and each `top` candidate's objects agree, both ways."""
        theirs = self._objects[top]
        mine = np.broadcast_to(objects, theirs.shape)
        return _covered(mine, theirs) & _covered(theirs, mine)

    def _close(self, q: Query, top: np.ndarray) -> np.ndarray:
        """Closeness in meaning to the `top` candidates (zero for the rest)."""
        close = np.zeros(len(self.candidates), dtype=np.float32)
        # Only what is past what any two texts of a service share counts.
        cosine = self._meaning[top] @ q.meaning
        close[top] = np.maximum(cosine - MEANING_FLOOR, 0.0) / (1.0 - MEANING_FLOOR)
        return close

    def search(
        self,
        text: str | Query,
        threshold: float = THRESHOLD,
        limit: int = LIMIT,
        place: str | None = None,
        exclude: Collection[int] = (),
    ) -> list[tuple[Candidate, float]]:
        """Up to `limit` candidates at least `threshold` similar to `text` (or its `query`),
        best first. With a `place`, candidates known to be elsewhere are left out (unknown
        places stay)."""
        if not self.candidates:
            return []
        return _select(self.candidates, self.scores(text), threshold, limit, place, exclude)


def _of(base: Index | None, block: str) -> _Block | None:
    if base is None:
        return None
    return base._words if block == "w" else base._chars


class Growing:
    """An index that grows without being rebuilt: a base built once over many candidates,
    and parts added since in the base's space (each costs only its own candidates). Never
    changed in place: `add` gives a new one, so a search running meanwhile is unaffected.
    Scores are as if the added items had been in the base, but for their terms' IDF (the
    base's, frozen at its build; a term new to it counts as rare) until the next rebuild."""

    def __init__(self, base: Index, parts: tuple[Index, ...] = ()) -> None:
        self.base = base
        self.parts = parts
        self.candidates = [c for index in (base, *parts) for c in index.candidates]
        self.at = np.concatenate([index.at for index in (base, *parts)])

    @classmethod
    def build(cls, candidates: Sequence[Candidate]) -> Growing:
        return cls(Index(candidates))

    def __len__(self) -> int:
        return len(self.candidates)

    @property
    def added(self) -> int:
        """How many candidates were added since the base was built."""
        return sum(len(part) for part in self.parts)

    def add(self, candidates: Sequence[Candidate]) -> Growing:
        if not candidates:
            return self
        parts = [*self.parts, Index(candidates, self.base.word_weight, base=self.base)]
        # Parts of like size are merged (as a binary counter): about log2(added) parts to
        # search, and each item re-indexed about log2(added) times in all.
        while len(parts) > 1 and len(parts[-2]) <= len(parts[-1]):
            merged = parts[-2].candidates + parts[-1].candidates
            parts[-2:] = [Index(merged, self.base.word_weight, base=self.base)]
        return Growing(self.base, tuple(parts))

    def search(
        self,
        text: str | Query,
        threshold: float = THRESHOLD,
        limit: int = LIMIT,
        place: str | None = None,
        exclude: Collection[int] = (),
        since: float | None = None,
        relative: bool = True,
    ) -> list[tuple[Candidate, float]]:
        """As Index.search over every part; `since`: candidates older are left out;
        `relative`: False to keep those far below the best (for a caller that leaves some
        out first, then cuts with `close_to_best`)."""
        if not self.candidates:
            return []
        q = query(text) if isinstance(text, str) else text
        scores = np.concatenate([index.scores(q) for index in (self.base, *self.parts)])
        if since is not None:
            scores[self.at < since] = -1.0
        return _select(self.candidates, scores, threshold, limit, place, exclude, relative)


def similar(
    text: str,
    candidates: Sequence[Candidate],
    threshold: float = THRESHOLD,
    limit: int = LIMIT,
    place: str | None = None,
    kinds: Collection[str] = (),
) -> list[tuple[Candidate, float]]:
    """The candidates most like `text` (of `kinds`, where known) above the threshold (an
    index built for one query)."""
    return Index(candidates).search(query(text, kinds), threshold, limit, place)

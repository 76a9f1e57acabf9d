"""The kinds of feedback: complaint, compliment, suggestion and question, several at once."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import IS_ALPHA, IS_PUNCT, IS_SPACE, LEMMA, LOWER, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import ensure_path, minibatch

from nlp.classifier import doc_views
from nlp.linear import FeatureSpace, load_arrays, load_json, save_arrays, save_json, sigmoid

KINDS = ("complaint", "compliment", "suggestion", "question")
CUE_NAMES = ("question", "rhetorical", "suggestion", "complaint", "compliment")
DEFAULT_CUES = Path(__file__).with_name("kinds.toml")
# Lemma n-grams, plus the cues found in the text as words of their own ("cue_rhetorical").
FEATURES: list[dict[str, Any]] = [
    {"view": "lemmas", "analyzer": "word", "ngram_range": [1, 2], "sublinear_tf": True},
    {"view": "cues", "analyzer": "word", "ngram_range": [1, 1]},
]
# The learned parts: complaint (0) against compliment (1), and question and suggestion each
# against the rest. Chosen by 5-fold cross-validation on the services train split: balancing
# the rare question and suggestion classes made every complaining "why?" a question.
HEADS: dict[str, dict[str, Any]] = {
    "polarity": {"C": 10.0, "balanced": True},
    "question": {"C": 10.0, "balanced": False},
    "suggestion": {"C": 10.0, "balanced": False},
}
# Rated comments know nothing of questions and suggestions, and are many: they teach polarity
# with less weight than a hand-labelled service message.
RATED_WEIGHT = 0.3
# A text is both a compliment and a complaint when, cut where it turns ("but"), one part
# leans this far each way. Chosen by cross-validation on the services train split.
# A text opening with an asking phrase is a question at least this sure (unless scornful).
ASKING_SCORE = 0.6
# A question or suggestion head must reach its threshold (the cues alone reach 0.5).
DEFAULT_DECISION = {"mixed_high": 0.6, "mixed_low": 0.4, "question": 0.5, "suggestion": 0.5}
_CUE_LISTS = (
    "patterns",
    "openers",
    "greetings",
    "asking",
    "reproach",
    "reproach_openers",
    "sound_after",
)
_SENTENCE_END = {".", "!", "?", "\n", ";", ":", "..."}
# Negation: the words after one of these (up to NEGATION_SCOPE words, punctuation or a turn)
# reach the learned heads as "not_" + lemma, so "not helpful" and "hardly friendly" weigh
# against "helpful" and "friendly" instead of with them.
NEGATORS = tuple(
    "not n't nt never no hardly barely scarcely nothing nobody none neither nor cannot".split()
)
NEGATION_SCOPE = 4
# Negations of degree: "hardly helpful" is "not helpful" ("hardly" alone weighs little).
_DEGREE = ("hardly", "barely", "scarcely")
_SCOPE_ENDS = ("but", "however", "although", "though", "yet", "and", "because")
# "not only" and "not just" add rather than deny.
_NOT_NEGATING = ("only", "just")
# "never had such bad service", "never been so well looked after": an exclamation, not a
# denial; the words after "such" or "so" keep their own weight.
_EXCLAIMING = ("such", "so")
# "couldn't be worse", "could not have been better": the comparative is meant as it stands.
_COMPARATIVES = tuple(
    "better worse best worst happier more less nicer easier harder quicker faster slower "
    "kinder friendlier cleaner".split()
)
_COULD = ("could", "can", "ca")
_PREFIX = "not_"
# How strongly each word leans to praise or blame, from -4 to 4 (nlp/lexicon/README.md): a
# word of blame the training texts never used still counts (see blame_only).
VALENCE = Path(__file__).parent / "lexicon" / "valence.tsv"
# Words of British public-service feedback it lacks or reads otherwise ("shambolic", "joke").
VALENCE_EXTRA = Path(__file__).parent / "lexicon" / "valence_extra.tsv"
# A word leans at least this far to count as praise; blame must lean this far (strong).
VALENCE_MIN = 1.0
VALENCE_STRONG = 1.5
# The compliment score of a text with words of blame and none of praise, at most.
BLAMED = 0.3
# A leaning word in the scope of a negation leans the other way, less ("not bad").
VALENCE_NEGATED = -0.74
# Words that only strengthen the next one ("very rude", "really slow"): praise in most of the
# rated comments the heads learn from uses them ("very good", "really helpful"), so as features
# they taught that "very" is praise and made "very rude staff" a compliment. The heads read
# the words they strengthen instead.
INTENSIFIERS = frozenset(
    "very really so extremely incredibly absolutely totally completely utterly quite such"
    " super truly highly genuinely seriously".split()
)
_SET_OFF = {",", ".", "!", "...", "-", ":", ";", "…"}
# Salutations opening a sentence say nothing of the service: "Good morning, the streetlight
# is out" is no praise, "have a lovely weekend, I'll be here with no heating" less so. The
# learned heads do not read them (as praise said in scorn). Plain ones ("hi", "dear sir")
# lean nowhere and are left as they are.
_SALUTATIONS = (
    "good morning", "good afternoon", "good evening", "good day", "happy new year",
    "happy monday", "happy friday", "merry christmas",
    "hope you are well", "hope you're well", "hope you are ok", "hope you're ok",
    "hope all is well", "have a lovely day", "have a nice day", "have a good day",
    "have a lovely weekend", "have a nice weekend", "have a good weekend", "kind regards",
    "best regards", "best wishes", "warm regards", "yours sincerely", "yours faithfully",
)  # fmt: skip
# Words that tell a failure as put right: praise after them is thanks, not sarcasm.
_RESOLVED = (
    "after", "finally", "eventually", "fixed", "sorted", "replaced", "repaired", "came", "rang",
    "rebooked", "offered", "sent", "found", "instead", "drove", "brought", "helped",
)  # fmt: skip
# Words that may follow closing praise and keep it closing: whom it thanks, and "a lot".
_TRAILING = (
    "council", "nhs", "mate", "guys", "a", "lot", "for", "that", "this", "lol", "job", "just",
    "again", "everyone", "folks", "team", "you", "very", "much", "so",
)  # fmt: skip
# How far a word must lean to praise to count as praise between the failure and the thanks,
# and laughter, which leans to praise in the lexicon and is scorn here.
_LIKED = 2.0
_LAUGHS = ("lol", "lmao", "lmfao", "haha", "hahaha", "rofl")

if not Doc.has_extension("kind"):
    Doc.set_extension("kind", default=None)
    Doc.set_extension("kinds", default=None)
    Doc.set_extension("kind_scores", default=None)


def load_cues(path: Path | str | None = None) -> dict[str, Any]:
    """Read the cue phrases, sarcasm words and mixed-feedback splitters from kinds.toml."""
    with Path(path or DEFAULT_CUES).open("rb") as f:
        data = tomllib.load(f)
    return normalise_cues(data)


def normalise_cues(data: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults and check names; also accepts the older {"kinds": {...}} layout."""
    cues = dict(data.get("cues") or data.get("kinds") or {})
    for name, entry in cues.items():
        if name not in CUE_NAMES:
            raise ValueError(f"unknown cue {name!r} in cues")
        for key in _CUE_LISTS:
            entry.setdefault(key, [])
        entry["score"] = float(entry.get("score", 0.8))
    sarcasm = {"praise": [], "letdown": [], "closing": [], **data.get("sarcasm", {})}
    mixed = {"splitters": [], **data.get("mixed", {})}
    return {"cues": cues, "sarcasm": sarcasm, "mixed": mixed}


@cache
def valence_words(paths: tuple[Path, ...] = (VALENCE, VALENCE_EXTRA)) -> dict[str, float]:
    """The valence lexicon: word (lower case) to how it leans, -4 (blame) to 4 (praise);
    a later file's word overrides an earlier one's."""
    out: dict[str, float] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, value = line.partition("\t")
            if word and value and " " not in word:
                out[word] = float(value)
    return out


@dataclass
class Found:
    """What the cues found in one text: hits as (cue name, token start), words left out of
    what the heads read (praise said in scorn, the "never" of an exclamation), and the parts
    a text falls into where it turns (as token ranges)."""

    lemmas: np.ndarray
    space: np.ndarray
    hits: list[tuple[str, int]] = field(default_factory=list)
    scorn: set[int] = field(default_factory=set)
    parts: list[tuple[int, int]] = field(default_factory=list)
    # Punctuation tokens with "?" or "!" in them, as (position, text).
    signs: list[tuple[int, str]] = field(default_factory=list)
    # Token positions in the scope of a negation ("not [very helpful]").
    negated: set[int] = field(default_factory=set)
    # Negations of degree ("hardly", "barely"), which the heads read as "not".
    softened: set[int] = field(default_factory=set)
    # Words of the valence lexicon, as (position, how they lean).
    leaning: list[tuple[int, float]] = field(default_factory=list)
    # Where a word or phrase of praise starts ("well done", "cheers"; kinds.toml [sarcasm]).
    praise: list[int] = field(default_factory=list)

    def names(self, start: int = 0, end: int | None = None) -> set[str]:
        """The cue names found between token positions start and end."""
        return {n for n, i in self.hits if i >= start and (end is None or i < end)}


class FeedbackKind:
    """Sets doc._.kind (the main kind), doc._.kinds (every kind that applies, main first) and
    doc._.kind_scores (a score per kind)."""

    def __init__(self, nlp: Language, name: str, batch_size: int) -> None:
        self.nlp = nlp
        self.name = name
        self.batch_size = batch_size
        self.cues: dict[str, dict[str, Any]] = {}
        self.sarcasm: dict[str, list[str]] = {"praise": [], "letdown": [], "closing": []}
        self.mixed: dict[str, list[str]] = {"splitters": []}
        self.decision = dict(DEFAULT_DECISION)
        self.features: FeatureSpace | None = None
        self.heads: dict[str, tuple[np.ndarray, float]] = {}
        self._matcher: PhraseMatcher | None = None
        self._id_cache: dict[tuple[str, ...], frozenset[int]] = {}
        self._valence: dict[int, float] | None = None

    # Kept for code that reads the polarity head directly (and older saved models).
    @property
    def coef(self) -> np.ndarray:
        """The polarity head's weights."""
        return self.heads["polarity"][0] if "polarity" in self.heads else np.zeros(0, np.float32)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        cues: str | None = None,
    ) -> None:
        """Load the cue phrases (the default kinds.toml when none is given)."""
        self.set_cues(load_cues(cues))

    def set_cues(self, data: dict[str, Any]) -> None:
        """Use these cues (as load_cues returns them); the matcher is rebuilt on first use."""
        data = normalise_cues(data) if "cues" not in data or "sarcasm" not in data else data
        self.cues = data["cues"]
        self.sarcasm = data["sarcasm"]
        self.mixed = data["mixed"]
        self._matcher = None

    @property
    def matcher(self) -> PhraseMatcher:
        """One matcher for every phrase list; labels say which list ("question:o")."""
        if self._matcher is None:
            lists: dict[str, list[str]] = {
                "sound": ["sound"],
                "praise": self.sarcasm["praise"],
                "letdown": self.sarcasm["letdown"],
                "closing": self.sarcasm.get("closing", []),
                "split": self.mixed["splitters"],
                "salutation": list(_SALUTATIONS),
            }
            for name, entry in self.cues.items():
                lists[f"{name}:p"] = entry["patterns"]
                lists[f"{name}:o"] = entry["openers"]
                if entry["greetings"]:
                    lists["greeting"] = entry["greetings"]
                if entry["asking"]:
                    lists["asking"] = entry["asking"]
                if entry["reproach"]:
                    lists["reproach"] = entry["reproach"]
                    lists["reproach:o"] = entry["reproach_openers"]
            matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
            for label, phrases in lists.items():
                if phrases:
                    matcher.add(label, [self.nlp.make_doc(p) for p in phrases])
            self._matcher = matcher
        return self._matcher

    def _ids(self, words: Iterable[str]) -> frozenset[int]:
        """The string-store ids of words (cached: called for every doc)."""
        key = tuple(words)
        if key not in self._id_cache:
            self._id_cache[key] = frozenset(self.nlp.vocab.strings.add(w) for w in key)
        return self._id_cache[key]

    @property
    def valence(self) -> dict[int, float]:
        """The valence lexicon by string-store id of the lower-case word (built once)."""
        if self._valence is None:
            add = self.nlp.vocab.strings.add
            self._valence = {add(w): v for w, v in valence_words().items()}
        return self._valence

    def find(self, doc: Doc) -> Found:
        """Find the cues in a doc: kind cues, rhetorical questions, sarcasm and turning points."""
        strings = self.nlp.vocab.strings
        n = len(doc)
        # Token attributes as lists: creating Token objects is slow, and this runs per doc.
        arr = doc.to_array([ORTH, LEMMA, IS_SPACE, IS_PUNCT, IS_ALPHA, LOWER]).reshape(-1, 6)
        orth = arr[:, 0].tolist()
        space = arr[:, 2].astype(bool)
        punct = arr[:, 3].tolist()
        alpha = arr[:, 4]
        end_ids = self._ids(_SENTENCE_END)
        is_end = [o in end_ids for o in orth]
        for k in np.flatnonzero(space).tolist():
            is_end[k] = is_end[k] or "\n" in doc[k].text
        found = Found(lemmas=arr[:, 1], space=space)
        marks = [(i, strings[orth[i]]) for i, p in enumerate(punct) if p and not space[i]]
        found.signs = [(i, m) for i, m in marks if "?" in m or "!" in m]
        lower = arr[:, 5].tolist()
        valence = self.valence
        found.leaning = [(i, valence[w]) for i, w in enumerate(lower) if w in valence]
        found.negated, exclaimed = self._negated(lower, punct, space)
        if found.negated or exclaimed:
            found.scorn.update(exclaimed)
            degree = self._ids(_DEGREE)
            found.softened = {i for i, w in enumerate(lower) if w in degree}
        by_label: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self.matcher(doc):
            by_label.setdefault(strings[match_id], []).append((start, end))
        if not by_label:
            found.parts = [(0, n)]
            return found
        found.praise = [start for start, _ in by_label.get("praise", [])]
        # sentence[i]: how many sentence ends come before token i.
        sentence = [0, *accumulate(is_end)][:n]

        def starts_sentence(i: int) -> bool:
            return i == 0 or is_end[i - 1] or bool(space[i - 1])

        # "Hi, can I pay ..." opens with its question: a greeting does not hide an opener.
        greeted = set()
        for start, end in by_label.get("greeting", []):
            if starts_sentence(start):
                greeted.add(end + 1 if end < n and punct[end] else end)

        def opens(i: int) -> bool:
            return starts_sentence(i) or i in greeted

        for start, end in by_label.get("salutation", []):
            if starts_sentence(start):
                found.scorn.update(range(start, end))

        for name in self.cues:
            for start, _ in by_label.get(f"{name}:p", []):
                found.hits.append((name, start))
            for start, _ in by_label.get(f"{name}:o", []):
                if opens(start):
                    found.hits.append((name, start))
        suggestion_starts = {i for name, i in found.hits if name == "suggestion"}
        # "When will the new timetable start" asks, question mark or not.
        for start, _ in by_label.get("asking", []):
            if (start == 0 or start in greeted) and start not in suggestion_starts:
                found.hits.append(("asking", start))
        # "Why not open on Sundays?" and "how about ...?" open like questions but propose.
        question_opens = {start for start, _ in by_label.get("question:o", []) if opens(start)}
        for start in sorted(suggestion_starts & question_opens):
            found.hits.append(("proposal", start))
        # "Why is the tip never open on Sundays??" reproaches; "why not open on Sundays?"
        # suggests (a suggestion cue at the same word wins).
        reproach = [r for r, _ in by_label.get("reproach", [])]
        for start, end in by_label.get("reproach:o", []):
            if opens(start) and start not in suggestion_starts:
                if any(r >= end and sentence[r] == sentence[start] for r in reproach):
                    found.hits.append(("rhetorical", start))
        # "The crew were sound" is slang praise; "the sound of the lorry" is not.
        after = self._ids(self.cues.get("compliment", {}).get("sound_after", []))
        for i, _ in by_label.get("sound", []):
            # ... or when it is all its sentence says ("Sound, cheers").
            alone = opens(i) and (i + 1 == n or punct[i + 1])
            if alone or (i > 0 and doc[i - 1].lower in after):
                found.hits.append(("compliment", i))
        # Sarcasm: praise opening a sentence, set off by punctuation, then a letdown in the
        # same sentence or, when the praise stands alone ("Great. Missed again."), the next.
        letdowns = [r for r, _ in by_label.get("letdown", [])]
        set_off = self._ids(_SET_OFF)
        for start, end in by_label.get("praise", []):
            if not opens(start) or end >= n or orth[end] not in set_off:
                continue
            wanted = {sentence[start], sentence[start] + 1} if is_end[end] else {sentence[start]}
            if any(r > end and sentence[r] in wanted for r in letdowns):
                found.hits.append(("complaint", start))
                found.scorn.update(range(start, end))
        # Sarcasm closing a sentence: what went wrong, then praise set off by punctuation
        # with nothing after it in its sentence but more praise, emoji or a few words of
        # address ("shut on Saturdays now, brilliant, thanks"; "missed again. Great.";
        # "cancelled again, cheers council"), and no turn ("but"), other praise or word of
        # a problem put right between the two: such a thank-you stays praise.
        failures = [r for r, _ in by_label.get("closing", []) if r not in found.negated]
        if failures:
            praised = {i for a, b in by_label.get("praise", []) for i in range(a, b)}
            # "yet again" insists; it does not turn.
            turns = [
                a
                for a, _ in by_label.get("split", [])
                if not (
                    a + 1 < n
                    and strings[lower[a]] == "yet"
                    and lower[a + 1] in self._ids(("again", "another"))
                )
            ]
            laughs = self._ids(_LAUGHS)
            liked = [i for i, v in found.leaning if v >= _LIKED and lower[i] not in laughs]
            resolved = self._ids(_RESOLVED)
            trailing = self._ids(_TRAILING)
            for start, end in by_label.get("praise", []):
                if start == 0 or not (orth[start - 1] in set_off or is_end[start - 1]):
                    continue
                closes, extra = True, 0
                for i in range(end, n):
                    if is_end[i]:
                        break
                    if punct[i] or i in praised or not alpha[i]:
                        continue
                    extra += 1
                    if lower[i] not in trailing or extra > 3:
                        closes = False
                        break
                wanted = {sentence[start], sentence[start] - 1}
                before = [r for r in failures if r < start and sentence[r] in wanted]
                if not closes or not before:
                    continue
                # The failure must be in the clause right before the praise, and not told
                # as put right ("missed twice, now collected, thanks"; "after being missed").
                last = max(before)
                clause = last
                while clause > 0 and not (orth[clause - 1] in set_off or is_end[clause - 1]):
                    clause -= 1
                if any(orth[k] in set_off for k in range(last + 1, start - 1)):
                    continue
                if any(
                    lower[k] in resolved and k not in found.negated for k in range(clause, start)
                ):
                    continue
                if any(clause <= k < start - 1 for k in [*turns, *liked, *praised]):
                    continue
                found.hits.append(("complaint", start))
                found.scorn.update(range(start, end))
        # The parts: cut where a text turns ("but"). Cutting at every sentence end too found
        # more mixed texts but mostly wrong ones ("I could cry" after thanks).
        cuts = sorted({0, n} | {start for start, _ in by_label.get("split", [])})
        found.parts = [(a, b) for a, b in pairwise(cuts) if alpha[a:b].any()]
        return found

    def _negated(
        self, lower: list[int], punct: list[int], space: np.ndarray
    ) -> tuple[set[int], set[int]]:
        """The token positions a negation word covers (the next NEGATION_SCOPE words, up to
        punctuation, a turn ("but") or another negation), and the negation words that deny
        nothing ("never" in "never had such bad service", "not" in "not only", "n't" in
        "couldn't be worse"), to be left out."""
        negators = self._ids(NEGATORS)
        if negators.isdisjoint(lower):
            return set(), set()
        ends = self._ids(_SCOPE_ENDS)
        exclaiming = self._ids(_EXCLAIMING)
        comparatives = self._ids(_COMPARATIVES)
        could = self._ids(_COULD)
        never = self._ids(("never",))
        not_negating = self._ids(_NOT_NEGATING)
        n = len(lower)
        negated: set[int] = set()
        left_out: set[int] = set()
        for i in [k for k, w in enumerate(lower) if w in negators]:
            word = lower[i]
            if i + 1 < n and lower[i + 1] in not_negating:
                left_out.add(i)
                continue
            after_could = i > 0 and lower[i - 1] in could
            scope: list[int] = []
            j = i + 1
            while j < n and len(scope) < NEGATION_SCOPE:
                w = lower[j]
                if punct[j] or w in ends or w in negators:
                    break
                if word in never and w in exclaiming:
                    left_out.add(i)
                    scope = []
                    break
                if after_could and w in comparatives:
                    left_out.add(i)
                    scope = []
                    break
                if not space[j]:
                    scope.append(j)
                j += 1
            negated.update(scope)
        return negated, left_out

    def views(self, doc: Doc, found: Found | None = None) -> dict[str, str]:
        """What the learned heads read: lemmas (praise said in scorn left out) and cue words."""
        found = found if found is not None else self.find(doc)
        return self._views(doc, found, 0, len(doc))

    def _views(self, doc: Doc, found: Found, start: int, end: int) -> dict[str, str]:
        """The views of the tokens from start to end."""
        if start == 0 and end == len(doc) and not (found.scorn or found.negated):
            # The theme classifier has already joined the lemmas of the whole doc.
            lemmas = doc_views(doc)["lemmas"]
        else:
            strings = self.nlp.vocab.strings
            space = found.space[start:end].tolist()
            words = [strings[x] for x in found.lemmas[start:end].tolist()]
            for i in found.softened:
                if start <= i < end:
                    words[i - start] = "not"
            for i in found.negated:
                if start <= i < end:
                    words[i - start] = _PREFIX + words[i - start]
            for i in found.scorn:
                if start <= i < end:
                    words[i - start] = "_"
            lemmas = " ".join([w for w, blank in zip(words, space, strict=True) if not blank])
        lemmas = " ".join(w for w in lemmas.split(" ") if w not in INTENSIFIERS)
        # Question and exclamation marks, from the punctuation found (doc.text is slow).
        marks = []
        signs = [(i, p) for i, p in found.signs if start <= i < end]
        last = end - 1
        while last >= start and found.space[last]:
            last -= 1
        if signs and signs[-1][0] == last and signs[-1][1].endswith("?"):
            marks.append("mark_q_end")
        if any("?" in p for _, p in signs):
            marks.append("mark_q")
        joined = "".join(
            p if i == j + 1 else " " + p for (j, _), (i, p) in pairwise([(-2, ""), *signs])
        )
        if "??" in joined or "?!" in joined or "!?" in joined:
            marks.append("mark_qq")
        if any("!" in p for _, p in signs):
            marks.append("mark_excl")
        cues = " ".join(sorted(f"cue_{n}" for n in found.names(start, end)) + marks)
        return {"lemmas": lemmas, "cues": cues}

    def fit(
        self,
        views: list[dict[str, str]],
        kinds: list[list[str]],
        complete: list[bool] | None = None,
        weights: list[float] | None = None,
        seed: int = 0,
    ) -> None:
        """Learn the heads from texts with their kinds: polarity from texts that are a
        complaint or a compliment (not both), question and suggestion from texts whose
        kinds were all judged (complete), not only rated."""
        from sklearn.linear_model import LogisticRegression  # only needed to train

        complete = complete if complete is not None else [True] * len(views)
        w = np.asarray(weights if weights is not None else [1.0] * len(views), dtype=float)
        space = FeatureSpace.create(FEATURES)
        X = space.fit_transform(views)
        heads: dict[str, tuple[np.ndarray, float]] = {}
        for head, spec in HEADS.items():
            if head == "polarity":
                rows = [
                    i for i, ks in enumerate(kinds) if ("complaint" in ks) != ("compliment" in ks)
                ]
                y = np.asarray([int("compliment" in kinds[i]) for i in rows])
            else:
                rows = [i for i, ok in enumerate(complete) if ok]
                y = np.asarray([int(head in kinds[i]) for i in rows])
            if len(set(y.tolist())) < 2:
                continue
            model = LogisticRegression(
                C=spec["C"], class_weight="balanced" if spec["balanced"] else None, max_iter=3000
            )
            model.fit(X[rows], y, sample_weight=w[rows])
            heads[head] = (model.coef_[0].astype(np.float32), float(model.intercept_[0]))
        self.features = space
        self.heads = heads

    def head_scores(self, views: list[dict[str, str]]) -> dict[str, np.ndarray]:
        """The probability from each learned head for each text (vectorised once)."""
        if self.features is None or not self.heads or not views:
            return {}
        X = self.features.transform(views)
        return {h: sigmoid(np.asarray(X @ c) + b) for h, (c, b) in self.heads.items()}

    def polarity(self, views: list[dict[str, str]]) -> np.ndarray:
        """Probability that each text is a compliment rather than a complaint."""
        if self.features is None or "polarity" not in self.heads or not views:
            return np.full(len(views), 0.5)
        coef, intercept = self.heads["polarity"]
        return sigmoid(np.asarray(self.features.transform(views) @ coef) + intercept)

    def __call__(self, doc: Doc) -> Doc:
        """Set the kinds of one doc."""
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Set the kinds of docs, batched so the heads vectorise many texts at once."""
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            founds = [self.find(doc) for doc in batch]
            views = [self.views(doc, f) for doc, f in zip(batch, founds, strict=True)]
            # Parts are weighed only in texts that have more than one.
            part_views, owners = [], []
            for n, (doc, f) in enumerate(zip(batch, founds, strict=True)):
                if len(f.parts) > 1:
                    for a, b in f.parts:
                        part_views.append(self._views(doc, f, a, b))
                        owners.append((n, a, b))
            learned = self.head_scores(views)
            compliment = learned.get("polarity", np.full(len(batch), 0.5))
            question, suggestion = learned.get("question"), learned.get("suggestion")
            part_p = self.polarity(part_views) if part_views else np.zeros(0)
            parts: list[list[float]] = [[] for _ in batch]
            for (n, a, b), p in zip(owners, part_p, strict=True):
                parts[n].append(self._lean(float(p), founds[n].names(a, b)))
            for n, (doc, f) in enumerate(zip(batch, founds, strict=True)):
                names = f.names()
                p = self._lean(float(compliment[n]), names)
                if "compliment" not in names and self.blame_only(f):
                    # Words of blame and none of praise: the heads learned praise from
                    # words like "service" and "staff", which complaints use as much.
                    p = min(p, BLAMED)
                q = self._cue_score("question", names, None if question is None else question[n])
                s = self._cue_score(
                    "suggestion", names, None if suggestion is None else suggestion[n]
                )
                scores = {"complaint": 1 - p, "compliment": p, "suggestion": s, "question": q}
                kinds = self.decide(scores, parts[n])
                ext = doc._  # each doc._ makes an object: once per doc
                ext.kind_scores = scores
                ext.kinds = kinds
                ext.kind = kinds[0]
                yield doc

    def blame_only(self, found: Found) -> bool:
        """Whether every word of the valence lexicon in the text leans to blame, one of
        them strongly ("the service was terrible", "very rude staff"), negations counted
        ("not helpful"), and no praise is said but in scorn."""
        # Praise the lexicon has no word for ("well done", "cheers"), unless said in scorn.
        if any(i not in found.scorn for i in found.praise):
            return False
        strongest = 0.0
        for i, v in found.leaning:
            if i not in found.scorn:
                v = v * VALENCE_NEGATED if i in found.negated else v
                if v >= VALENCE_MIN:
                    return False
                strongest = min(strongest, v)
        return strongest <= -VALENCE_STRONG

    def _lean(self, p: float, names: set[str]) -> float:
        """Polarity after the unambiguous cues: scorn makes a complaint, understatement and
        slang praise a compliment (when only one of them is present)."""
        if "complaint" in names and "compliment" not in names:
            return min(p, 1 - self.cues["complaint"]["score"])
        if "compliment" in names and "complaint" not in names:
            return max(p, self.cues["compliment"]["score"])
        return p

    def _cue_score(self, kind: str, names: set[str], learned: float | None) -> float:
        """A question's or suggestion's score: the learned head's, else the cue's; a
        rhetorical question is never a real one, and a proposal ("why not ...?") suggests."""
        if learned is not None:
            score = float(learned)
        elif kind == "question":
            real = "question" in names and "suggestion" not in names
            score = self.cues["question"]["score"] if real else 0.0
        else:
            score = self.cues["suggestion"]["score"] if kind in names else 0.0
        if kind == "question" and "asking" in names and not names & {"rhetorical", "complaint"}:
            score = max(score, ASKING_SCORE)
        if kind == "question" and "rhetorical" in names:
            score = min(score, 1 - self.cues["rhetorical"]["score"])
        if "proposal" in names:
            cue = self.cues["suggestion"]["score"]
            score = max(score, cue) if kind == "suggestion" else min(score, 1 - cue)
        return score

    def decide(self, scores: dict[str, float], parts: list[float] | None = None) -> list[str]:
        """Every kind that applies, the main one first: a real question, else a suggestion,
        else complaint or compliment; mixed texts get both of those, the side of their last
        part first. (Adding complaint to
        a complaining question lowered exact matches in cross-validation: people label such
        texts by what they ask.)"""
        d = self.decision
        polar = "compliment" if scores["compliment"] >= 0.5 else "complaint"
        both = bool(parts) and max(parts or [0.5]) >= d["mixed_high"]
        both = both and min(parts or [0.5]) <= d["mixed_low"]
        asked = [k for k in ("question", "suggestion") if scores[k] >= d[k]]
        asked.sort(key=lambda k: -scores[k])
        if both and parts:
            # "X but Y" puts Y forward: a mixed text's main side is its last part's.
            polar = "compliment" if parts[-1] >= 0.5 else "complaint"
        kinds = asked or [polar]
        if both:
            kinds += [k for k in (polar, "compliment" if polar == "complaint" else "complaint")]
        return list(dict.fromkeys(kinds))

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the cues, the decision thresholds and the learned heads."""
        path = Path(ensure_path(path))
        path.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "format": 2,
            "cues": self.cues,
            "sarcasm": self.sarcasm,
            "mixed": self.mixed,
            "decision": self.decision,
            "intercepts": {h: b for h, (_, b) in self.heads.items()},
        }
        if self.features is not None:
            data["features"] = self.features.to_dict()
            coefs = {h: c.astype(np.float16) for h, (c, _) in self.heads.items()}
            save_arrays(path / "weights.npz", **coefs)
        save_json(path / "kind.json", data)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> FeedbackKind:
        """Load what to_disk saved; also reads the older one-head format (question and
        suggestion then come from the cues)."""
        path = Path(ensure_path(path))
        data = load_json(path / "kind.json")
        try:
            return self._from_data(path, data)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            # Callers load models they may fall back from: a damaged one is a ValueError.
            raise ValueError(f"{path}: damaged kind model ({exc!r})") from None

    def _from_data(self, path: Path, data: Any) -> FeedbackKind:
        self.set_cues(normalise_cues(data))
        self.decision = {**DEFAULT_DECISION, **data.get("decision", {})}
        self.heads = {}
        self.features = None
        if "features" in data:
            self.features = FeatureSpace.from_dict(data["features"])
            arrays = load_arrays(path / "weights.npz")
            if "intercepts" in data:
                for head, b in data["intercepts"].items():
                    self.heads[head] = (arrays[head].astype(np.float32), float(b))
            else:
                self.heads["polarity"] = (
                    arrays["coef"].astype(np.float32),
                    float(data["intercept"]),
                )
        return self


@Language.factory(
    "feedback_kind",
    assigns=["doc._.kind", "doc._.kinds", "doc._.kind_scores"],
    default_config={"batch_size": 1000},
)
def make_feedback_kind(nlp: Language, name: str, batch_size: int) -> FeedbackKind:
    """The kind classifier; its heads are fitted by nlp.train."""
    return FeedbackKind(nlp, name, batch_size)

"""The learned name and address detector: a small spaCy NER shipped in nlp/redact_model/.

It is trained on generated data (nlp/redact_train/, `python -m nlp train-redactor`) and run
on the normalised text by nlp/redact.py, beside the rules. What its greedy parse finds is
redacted; what a small beam search half believes in is flagged for a moderator.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

MODEL_DIR = Path(__file__).with_name("redact_model")
KINDS = {"NAME": "name", "ADDRESS": "address"}
# A beam score is the share of the beam's probability on parses that hold the span.
ACCEPT = 0.5
UNSURE = 0.2
BEAM_WIDTH = 2
# A span never starts or ends on these: the evidence is the name or the address only.
_EDGE = " \t\r\n.,;:!?()[]{}\"'“”‘’-–—/*"
# A title is not part of the name ("Dr Patel" is redacted as "Dr [name]").
_TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "doctor",
    "prof",
    "professor",
    "nurse",
    "sister",
    "cllr",
    "councillor",
    "rev",
    "reverend",
    "father",
    "sir",
    "dame",
    "lady",
    "lord",
}


@dataclass(frozen=True)
class Scored:
    """A span the model found: where, which kind ("name" or "address") and how sure."""

    start: int
    end: int
    kind: str
    score: float


@cache
def load_detector(path: Path | None = None) -> Language | None:
    """The shipped detector, loaded once; None when it is not there."""
    folder = path or MODEL_DIR
    if not (folder / "meta.json").exists():
        return None
    return spacy.load(folder)


def _trim(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE and not text[start:end].endswith(" St."):
        end -= 1
    if kind == "name":
        # Only a whole leading title word goes: "Dr. Ann Lee" -> "Ann Lee".
        while True:
            word, _, rest = text[start:end].partition(" ")
            if not rest or word.lower().rstrip(".") not in _TITLES:
                break
            start += len(word) + 1
            while start < end and text[start] == " ":
                start += 1
    return start, end


def _span(text: str, start: int, end: int, kind: str) -> tuple[int, int] | None:
    start, end = _trim(text, start, end, kind)
    return (start, end) if start < end else None


@lru_cache(maxsize=64)
def find_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """The names and addresses the detector finds in the text, as (start, end, kind).

    The last texts are remembered: redaction and the moderators' flags ask about the same one.
    """
    nlp = load_detector()
    if nlp is None or not text.strip():
        return ()
    found = []
    for ent in nlp(text).ents:
        kind = KINDS.get(ent.label_)
        span = _span(text, ent.start_char, ent.end_char, kind) if kind else None
        if kind and span:
            found.append((*span, kind))
    return tuple(found)


@lru_cache(maxsize=64)
def score_spans(text: str) -> tuple[Scored, ...]:
    """Spans a narrow beam search gives some weight to, with that weight (0 to 1).

    The detector is trained greedily, and a wide beam over such a model drifts into long
    spans, so the beam is kept to two parses: what the greedy parse would do and its best
    alternative.
    """
    nlp = load_detector()
    if nlp is None or not text.strip():
        return ()
    ner = nlp.get_pipe("ner")
    doc = nlp.make_doc(text)
    beams = ner.beam_parse([doc], beam_width=BEAM_WIDTH)  # type: ignore[attr-defined]
    found: dict[tuple[int, int, str], float] = {}
    for (first, last, label), score in ner.scored_ents(beams)[0].items():  # type: ignore[attr-defined]
        kind = KINDS.get(label)
        span = doc[first:last]
        where = _span(text, span.start_char, span.end_char, kind) if kind else None
        if kind and where and score >= UNSURE:
            key = (*where, kind)
            found[key] = max(found.get(key, 0.0), float(score))
    return tuple(Scored(s, e, k, v) for (s, e, k), v in sorted(found.items()))


def sure(text: str) -> list[tuple[int, int, str]]:
    """The spans the detector is sure of (its greedy parse), as (start, end, kind)."""
    return list(find_spans(text))


def unsure(text: str) -> list[Scored]:
    """The spans the detector half believes in: worth a moderator's look, not a redaction."""
    taken = find_spans(text)
    return [
        s
        for s in score_spans(text)
        if s.score < ACCEPT and not any(s.start < e and b < s.end for b, e, _ in taken)
    ]

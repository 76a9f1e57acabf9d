"""The language an item is written in, detected offline (py3langid: its model ships in the
package, nothing is downloaded).

`detect(text, candidates)` answers one of the candidates with how sure it is, or "und"
(undetermined) when it is not sure enough: a short "ok thanks" or a Roman-script Urdu message
is better left unlabelled than labelled wrong. The measured accuracy on short texts is in
nlp/eval/languages.jsonl, printed by `python -m nlp language-eval`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

# Undetermined (ISO 639-2 "und"): the detector was not sure enough.
UNDETERMINED = "und"

# Languages many people in the UK are more at ease in, beside a deployment's own: the
# detector chooses among these and the deployment's languages (`[moderation]
# community_languages` replaces this list).
COMMUNITY = ("pl", "ur", "pa", "bn", "ar", "ro", "gu", "pt", "es", "lt", "so", "ta", "fr")

# Below this (the probability among the candidates) the answer is "und": on the evaluation
# set this left every item of six words or fewer in the eight languages right and turned
# most wrong guesses on tricky texts ("ok", "ta", Roman Urdu) into "und".
THRESHOLD = 0.7

# Texts with fewer letters than this are not detected at all ("ok", "ta", "no").
MIN_LETTERS = 3

_lock = threading.Lock()
_identifiers: dict[tuple[str, ...], Any] = {}


def known() -> frozenset[str]:
    """The languages the detector can tell."""
    return frozenset(_base().nb_classes)


def _base() -> Any:
    return _identifier(())


def _identifier(languages: tuple[str, ...]) -> Any:
    """A detector restricted to `languages` (all it knows when empty): the model is read
    once; each restriction is a shallow copy holding only its languages' columns."""
    with _lock:
        found = _identifiers.get(languages)
        if found is None:
            base = _identifiers.get(())
            if base is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                base = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                _identifiers[()] = base
            found = base
            if languages:
                found = copy.copy(base)
                found.set_languages(list(languages))
            _identifiers[languages] = found
        return found


def candidates(languages: Iterable[str], community: Iterable[str] = COMMUNITY) -> tuple[str, ...]:
    """The plausible languages, in order, without repeats or any the detector cannot tell."""
    can = known()
    out: list[str] = []
    for code in [*languages, *community]:
        code = code.strip().lower()
        if code in can and code not in out:
            out.append(code)
    return tuple(out)


def detect(
    text: str, languages: Iterable[str] = ("en", "cy", *COMMUNITY), threshold: float = THRESHOLD
) -> tuple[str, float]:
    """(language, confidence 0..1) of `text` among `languages`, or ("und", confidence)
    when the best is below `threshold` or the text has too few letters to tell."""
    chosen = candidates(languages, ())
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS or not chosen:
        return UNDETERMINED, 0.0
    if len(chosen) == 1:
        return chosen[0], 1.0
    language, probability = _identifier(chosen).classify(text)
    confidence = round(float(probability), 4)
    if confidence < threshold:
        return UNDETERMINED, confidence
    return str(language), confidence


def warm(languages: Iterable[str]) -> None:
    """Load the detector for `languages` now (it takes about half a second)."""
    detect("warm up", languages)

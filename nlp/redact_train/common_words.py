"""The list of words more often written in lower case than capitalised, for the detector.

Built from spaCy's English word probabilities (spacy-lookups-data, MIT licence,
`en_lexeme_prob`): a word is kept when it is reasonably common and its lower-case form is
more than e (about 2.7) times as likely as its capitalised one ("will", "hope", "ring";
not "john", and not "bill" or "mark", which are names about as often as words). A second
list holds the words that are written in lower case at least a third as often as
capitalised, for names found in lower case.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

FLOOR = -15.0
MARGIN = 1.0
FILE_NAME = "common_words.txt"
LOWER_MARGIN = -1.0
LOWER_FILE_NAME = "lower_words.txt"
_WORD = re.compile(r"[a-z][a-z'-]*")


def common_words(margin: float = MARGIN) -> list[str]:
    """The words whose lower-case form is more likely than their capitalised one by more
    than `margin` (natural log), sorted."""
    import spacy_lookups_data  # build time only (the `model` extra)

    folder = Path(spacy_lookups_data.__file__).parent / "data"
    with gzip.open(folder / "en_lexeme_prob.json.gz", "rt", encoding="utf-8") as f:
        prob: dict[str, float] = json.load(f)
    return sorted(
        word
        for word, p in prob.items()
        if _WORD.fullmatch(word) and p >= FLOOR and p - prob.get(word.title(), -99.0) > margin
    )


def write_common_words(folder: Path) -> int:
    """Write the lists beside the model; returns how many words the first has."""
    words = common_words()
    (folder / FILE_NAME).write_text("\n".join(words) + "\n", encoding="utf-8")
    # Words written in lower case at least a third as often as capitalised ("boom",
    # "grace"): a name in lower case made only of these is flagged, not redacted.
    lower = sorted(set(common_words(LOWER_MARGIN)) - set(words))
    (folder / LOWER_FILE_NAME).write_text("\n".join(lower) + "\n", encoding="utf-8")
    return len(words)

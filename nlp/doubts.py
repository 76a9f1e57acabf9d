"""Why a text read as praise may not be praise: what a person reads before it is published.

The kind model reads "help me" as in "so helpful", "fantastic until last month" as fantastic,
"thanks in advance for fixing the light" as thanks, "not great" as great. Where a deployment
publishes compliments without a moderator, a text with any of these is left to one instead,
who is shown where on the card: a plea, a turn for the worse, praise denied, thanks for what
is not done yet, a question. Holding praise back costs a moderator's tap; publishing a
complaint as praise costs the citizen's trust. Regular expressions over the text, English
only (as the kind model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Praise words a negation right before denies ("not great", "never helpful").
_PRAISED = (
    "great good helpful friendly kind lovely nice excellent brilliant fantastic amazing"
    " wonderful happy pleased impressed clean polite professional quick fast easy useful"
    " reliable efficient responsive caring"
)
_NEGATION = (
    r"(?:not|never|no|(?:do|does|did|is|was|are|were|ca|could|would|wo|should|have|has|had)"
    r"n[’']?t)"
)


def _phrases(*phrases: str) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)


_DENIALS = _phrases(
    "far from",
    "anything but",
    "my foot",
    "so-called",
    "so called",
    "supposedly",
    "allegedly",
    "yeah right",
)
_REQUESTS = _phrases(
    "in advance",
    "in anticipation",
    "ahead of time",
    "tia",
    "grateful if",
    "appreciate it if",
    "would appreciate",
    "would be grateful",
    "looking forward to",
    "please could",
    "could you please",
    "can you please",
    "please can",
    "good luck with that",
)
_PRAISE_WORDS = "|".join(_PRAISED.split())

# Each doubt and what raises it (whole words, any case).
DOUBTS = {
    # A plea: help asked for ("help me", "please help", "need help", "Help!", a text that is
    # only "help"), not the help given ("thanks for your help", "happy to help me").
    "plea": (
        r"\b(?:need|needs|needed|please|pls|plz|someone|somebody|anyone|anybody)\s+help\b"
        r"|(?<!\bto\s)\bhelp\s+(?:me|us|please|pls|plz|needed)\b"
        r"|(?:^|[.!?\n]\s*)help\s*!|^\W*help\W*$|\bsos\b"
    ),
    # Good once, not now ("brilliant until last month", "used to be lovely").
    "turn": (
        r"\b(?:until|till)\s+(?:last|recently|this\s+(?:year|month|week)|they|a\s+(?:few|couple))\b"
        r"|\bused\s+to\s+be\b|\b(?:gone|went|going)\s+downhill\b"
        r"|\bnot\s+what\s+it\s+(?:was|used)\b"
    ),
    # Praise denied or put in doubt ("far from excellent", "not great", "so-called helpful").
    "denied": (
        rf"\b{_NEGATION}\s+(?:[^\W_]+\s+)?(?:{_PRAISE_WORDS})\b|\b(?:{_DENIALS})\b"
        r"|(?-i:\bNOT)\W*$"
    ),
    # Thanks for what is not done yet: a request.
    "request": rf"\b(?:{_REQUESTS})\b",
    # A question: an answer is wanted, or the praise is asked about.
    "question": r"[?？؟]",
}  # fmt: skip

_PATTERNS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in DOUBTS.items()}
# A shouted NOT closing praise ("Excellent service NOT") is no denial in a text all in
# capitals; a "not" in lower case closing a text ("why not") none at all.
_CLOSING_NOT = re.compile(r"NOT\W*")
_LOWER = re.compile(r"[a-z]")


@dataclass(frozen=True)
class Doubt:
    """A doubt and where in the text it is raised."""

    kind: str
    start: int
    end: int


def doubts(text: str) -> list[Doubt]:
    """The doubts a text raises, the first place of each, in DOUBTS order ([] if none)."""
    found = []
    for name, pattern in _PATTERNS.items():
        for match in pattern.finditer(text):
            if _CLOSING_NOT.fullmatch(match.group()) and not _LOWER.search(text):
                continue
            found.append(Doubt(name, match.start(), match.end()))
            break
    return found

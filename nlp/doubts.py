"""Why a text read as praise may not be praise: what a person reads before it is published.

The kind model reads "help" as in "so helpful", "fantastic until this year" as fantastic,
"thanks in advance for fixing the light" as thanks. Where a deployment publishes compliments
without a moderator, a text with any of these is left to one instead: a plea, a question, a
turn for the worse over time, praise denied or put in doubt, thanks for what is not done yet.
Holding a compliment back costs a moderator's tap; publishing a complaint as praise costs the
citizen's trust. Pure regular expressions over the text, English only (as the kind model).
"""

from __future__ import annotations

import re

# Each doubt and the phrases that raise it (whole words, any case).
DOUBTS = {
    # A plea or a danger: someone needs something done.
    "plea": ["help", "sos", "urgent", "urgently", "asap", "emergency", "danger", "dangerous",
             "unsafe"],
    # Good once, not now ("was brilliant until last month", "used to be lovely").
    "turn": ["until", "till", "used to", "no longer", "anymore", "any more", "not what it was",
             "not what it used", "gone downhill", "went downhill", "the new one"],
    # Praise denied or put in doubt ("far from excellent", "so-called helpful team").
    "denied": ["far from", "anything but", "my foot", "so-called", "so called", "supposedly",
               "allegedly", "yeah right", "as if"],
    # Thanks for what is not done yet: a request.
    "request": ["in advance", "grateful if", "appreciate it if", "would appreciate",
                "would be grateful", "please could", "could you please", "can you please",
                "please can", "good luck"],
}  # fmt: skip

_PATTERNS = {
    name: re.compile(
        r"(?<![^\W_])(?:"
        + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
        + r")(?![^\W_])",
        re.IGNORECASE,
    )
    for name, phrases in DOUBTS.items()
}
# "Help" as the help given ("thanks for the help", "their help was great") is no plea.
_GIVEN = frozenset("the your their his her our all great such much any this that".split())
_WORD = re.compile(r"[^\W_]+")
# "Excellent service NOT": a capital NOT after praise undoes it.
_SHOUTED_NOT = re.compile(r"(?<![^\W_])NOT(?![^\W_])")


def doubts(text: str) -> list[str]:
    """The doubts a text raises, in DOUBTS order, "question" and "denied" as found ([] if
    none)."""
    found = [
        name
        for name, pattern in _PATTERNS.items()
        if any(name != "plea" or _pleads(text, m) for m in pattern.finditer(text))
    ]
    if "denied" not in found and _SHOUTED_NOT.search(text):
        found.append("denied")
    if "?" in text:
        found.append("question")
    return found


def _pleads(text: str, match: re.Match[str]) -> bool:
    if match.group().lower() != "help":
        return True
    before = _WORD.findall(text[: match.start()])
    return not before or before[-1].lower() not in _GIVEN

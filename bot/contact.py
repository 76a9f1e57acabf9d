"""Whether a citizen's words ask to be contacted ("ring me on …", "please email me").

A small rule set, no spaCy: the point is only to tell them, when their item is saved, that
the service never sees contact details and how to reach it directly.
"""

from __future__ import annotations

import re

# A verb of getting in touch aimed at the writer ("call me", "get back to me", "email me
# at"), or an explicit request for a call back. Not "told to call back" or "tried to get in
# touch with them": those tell of the writer reaching the service, not asking to be reached.
_ASKS = re.compile(
    r"\b(?:"
    r"(?:ring|call|phone|text|e-?mail|contact|message|reach|txt)\s+me\b"
    r"|get\s+(?:back\s+)?(?:in\s+touch\s+)?(?:with|to)\s+me\b"
    r"|(?:please|pls|plz)\s+(?:call|ring|phone)\s+back\b"
    r"|(?:like|want|need|request|requested|get|have)\s+a\s+call\s*-?\s*back\b"
    r"|contact\s+(?:details|number)\s+(?:is|are)\b"
    r"|my\s+(?:number|mobile|phone\s+number|email(?:\s+address)?)\s+is\b"
    r")",
    re.IGNORECASE,
)


def asks_to_be_contacted(text: str) -> bool:
    """True if the text asks the service to get in touch with the writer."""
    return bool(_ASKS.search(text))

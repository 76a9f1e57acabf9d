"""Messages built around a person's text fit Telegram's limits by construction.

Telegram refuses a message whose text, after its HTML is parsed, is longer than 4,096
UTF-16 code units (1,024 for a caption). A card, a relay or a response quotes what a
person wrote, which may itself be 4,096 long: the quoted text is shortened, at a word
boundary, with a note of how much more there is, until the whole message fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from handlers import texts

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# Room kept for what a renderer may add that this module cannot see (a trailing newline).
_SLACK = 8
_TAG = re.compile(r"<[^>]*>")


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html: str) -> int:
    """How long Telegram counts a message sent as HTML (tags out, entities read)."""
    return utf16_len(unescape(_TAG.sub("", html)).strip())


def cut(text: str, room: int) -> str:
    """The start of `text` within `room` UTF-16 units, ending at a word boundary if one is near."""
    if utf16_len(text) <= room:
        return text
    head = text.encode("utf-16-le")[: max(room, 0) * 2].decode("utf-16-le", errors="ignore")
    space = head.rfind(" ")
    # A word boundary in the last fifth is worth a few characters; a text with no spaces
    # (a URL, a language written without them) is cut where it must be.
    if space >= len(head) * 4 // 5:
        head = head[:space]
    return head.rstrip()


def fit(render: Callable[[str], str], text: str, limit: int = MESSAGE_LIMIT) -> tuple[str, int]:
    """`render(quoted)` with `text` shortened until it fits `limit`; the HTML and the
    number of characters left out (0 when it fits whole).

    `render` puts the (plain, unescaped) quoted text into the message and escapes it.
    """
    html = render(text)
    excess = visible_length(html) - limit
    if excess <= 0:
        return html, 0
    total = len(text)
    room = utf16_len(text) - excess - _SLACK
    while True:
        head = cut(text, room)
        more = total - len(head)
        html = render(head + "… " + texts.SHORTENED.format(more=more))
        over = visible_length(html) - limit
        if over <= 0 or room <= 0:
            return html, more
        room -= over + _SLACK

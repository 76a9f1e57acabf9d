"""Messages built around a person's text fit Telegram's limits by construction.

Telegram refuses a message whose text, after its HTML is parsed, is longer than 4,096
UTF-16 code units (1,024 for a caption). A card, a relay or a response quotes what a
person wrote, which may itself be 4,096 long: the quoted text is shortened, at a word
boundary, with a note of how much more there is, until the whole message fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import unescape

from bot.bidi import isolate
from handlers import texts

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# answerCallbackQuery's text: a notification or an alert of at most 200 characters.
ALERT_LIMIT = 200
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
        html = render(head + "… " + texts.SHORTENED.format(more))
        over = visible_length(html) - limit
        if over <= 0 or room <= 0:
            return html, more
        room -= over + _SLACK


# Names and labels from the deployment file sit in headings: long ones are cut to this.
NAME_MAX = 80


def alert(text: str) -> str:
    """A button's answer (plain text, not HTML) within Telegram's 200 characters."""
    return text if utf16_len(text) <= ALERT_LIMIT else cut(text, ALERT_LIMIT - 1) + "…"


def name(text: str, limit: int = NAME_MAX) -> str:
    """A name from the deployment file, escaped and at most `limit` long."""
    return texts.esc(text if utf16_len(text) <= limit else cut(text, limit - 1) + "…")


def person(text: str, limit: int = NAME_MAX) -> str:
    """What a person chose to be called (or typed), like `name` and isolated from the line."""
    return quote(text if utf16_len(text) <= limit else cut(text, limit - 1) + "…")


def quote(text: str) -> str:
    """A person's text ready to put in a message: escaped and isolated from the line."""
    return texts.esc(isolate(text))


def pack(blocks: Sequence[str], sep: str = "\n\n", limit: int = MESSAGE_LIMIT) -> list[str]:
    """HTML blocks joined by `sep` into as few messages as fit `limit`, in order.

    A block too long for a message of its own is cut (tags out) with a note of how much more;
    blocks are built so that does not happen.
    """
    messages: list[str] = []
    current = ""
    for block in filter(None, blocks):
        if visible_length(block) > limit - _SLACK:
            plain = unescape(_TAG.sub("", block))
            block, _ = fit(texts.esc, plain, limit - _SLACK)
        joined = current + sep + block if current else block
        if current and visible_length(joined) > limit - _SLACK:
            messages.append(current)
            joined = block
        current = joined
    if current:
        messages.append(current)
    return messages


def _longest(render: Callable[[str], str], text: str, limit: int) -> str:
    """The longest start of `text` (at a word boundary when near) with which `render` fits."""
    head = text
    while head:
        size = visible_length(render(head))
        if size <= limit:
            break
        # In proportion: isolates and escapes make the rendered text grow faster than the text.
        length = utf16_len(head)
        head = cut(head, min(length * limit // size, length) - _SLACK)
    return head


def pieces(render: Callable[[str], str], text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`render(quoted)` with as much of `text` as fits, then the rest in follow-up messages.

    For a reader who needs every word (a relayed message): nothing is left out.
    """
    html = render(text)
    if visible_length(html) <= limit:
        return [html]
    head = _longest(lambda part: render(part + "…"), text, limit)
    messages = [render(head + "…")]
    rest = text[len(head) :].lstrip()
    while rest:
        part = _longest(lambda part: quote("…" + part + "…"), rest, limit) or rest[:1]
        rest = rest[len(part) :].lstrip()
        messages.append(quote("…" + part + ("…" if rest else "")))
    return messages

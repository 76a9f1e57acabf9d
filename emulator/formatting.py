"""Text formatting as Telegram does it: parse_mode markup to plain text + entities.

Entity offsets and lengths are in UTF-16 code units, as the Bot API specifies; length
limits (4096 for text, 1024 for captions) are counted on the text left after parsing.
"""

from __future__ import annotations

import html
import re
from typing import Any

from emulator.errors import bad_request

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
# Entities a person's client detects by itself in what they type.
_AUTO_ENTITIES = [
    ("bot_command", re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{5,32}")),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
    ("url", re.compile(r"\bhttps?://[^\s]+")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
]


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units (how the Bot API measures entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities for `text` under `parse_mode` (None, HTML, MarkdownV2, Markdown)."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown(text, v2=True)
    if mode == "markdown":
        return _parse_markdown(text, v2=False)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def strip_entities(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram does, shifting and clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    out = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        stop = min(end, entity["offset"] + entity["length"] - shift)
        if stop > start:
            out.append({**entity, "offset": start, "length": stop - start})
    return stripped, out


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client attaches to typed text: commands, mentions, hashtags, urls."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            start, stop = match.span()
            if any(start < t_stop and t_start < stop for t_start, t_stop in taken):
                continue
            taken.append((start, stop))
            found.append((start, stop, kind))
    found.sort()
    return [
        {
            "type": kind,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:stop]),
        }
        for start, stop, kind in found
    ]


def _entity(kind: str, offset: int, length: int, attrs: dict[str, str]) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        entity["url"] = attrs.get("href", "")
    if kind == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    if kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    length = 0  # UTF-16 units emitted so far
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    for match in _TAG_RE.finditer(source):
        chunk = _html_text(source[pos : match.start()], source, pos)
        out.append(chunk)
        length += utf16_len(chunk)
        pos = match.end()
        closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        offset = len(source[: match.start()].encode())
        if name not in _HTML_TAGS:
            which = "end" if closing else "start"
            raise bad_request(
                f'can\'t parse entities: Unsupported {which} tag "{name}" at byte offset {offset}'
            )
        if not closing:
            attrs = {
                m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                for m in _ATTR_RE.finditer(raw_attrs)
            }
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise bad_request(
                    f'can\'t parse entities: Tag "span" must have class "tg-spoiler" '
                    f"at byte offset {offset}"
                )
            if name == "code" and stack and stack[-1][0] == "pre":
                # <pre><code class="language-x"> sets the pre block's language.
                lang = attrs.get("class", "").removeprefix("language-")
                if lang:
                    stack[-1][2]["language"] = lang
            stack.append((name, length, attrs))
            continue
        if not stack or stack[-1][0] != name:
            raise bad_request(
                f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                f'expected "</{stack[-1][0] if stack else name}>", found "</{name}>"'
            )
        open_name, start, attrs = stack.pop()
        if length > start:
            entities.append(_entity(_HTML_TAGS[open_name], start, length - start, attrs))
    tail = _html_text(source[pos:], source, pos)
    out.append(tail)
    if stack:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_text(chunk: str, source: str, base: int) -> str:
    if "<" in chunk:
        # A "<" that did not start a tag: Telegram refuses it, it must be written &lt;.
        index = chunk.find("<")
        offset = len(source[: base + index].encode())
        raise bad_request(
            f"can't parse entities: Unexpected end of name token at byte offset {offset}"
        )
    return html.unescape(chunk)


_MD_MARKERS_V2 = [("```", "pre"), ("||", "spoiler"), ("__", "underline"), ("*", "bold"),
                  ("_", "italic"), ("~", "strikethrough"), ("`", "code")]  # fmt: skip
_MD_MARKERS_V1 = [("```", "pre"), ("*", "bold"), ("_", "italic"), ("`", "code")]


def _parse_markdown(source: str, *, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    markers = _MD_MARKERS_V2 if v2 else _MD_MARKERS_V1
    out: list[str] = []
    length = 0
    stack: list[tuple[str, str, int]] = []  # marker, kind, start
    link_starts: list[int] = []
    entities: list[dict[str, Any]] = []
    i = 0

    def emit(text: str) -> None:
        nonlocal length
        out.append(text)
        length += utf16_len(text)

    while i < len(source):
        char = source[i]
        in_code = bool(stack) and stack[-1][1] in ("code", "pre")
        if char == "\\" and v2 and i + 1 < len(source):
            emit(source[i + 1])
            i += 2
            continue
        marker = next(((m, k) for m, k in markers if source.startswith(m, i)), None)
        if marker and (not in_code or marker[0] == stack[-1][0]):
            mark, kind = marker
            if stack and stack[-1][0] == mark:
                _, open_kind, start = stack.pop()
                if length > start:
                    entities.append({"type": open_kind, "offset": start, "length": length - start})
            else:
                stack.append((mark, kind, length))
            i += len(mark)
            if kind == "pre" and stack and stack[-1][0] == mark:
                # ```lang\n — the first line names the language.
                newline = source.find("\n", i)
                if newline != -1 and re.fullmatch(r"[\w+-]*", source[i:newline]):
                    i = newline + 1
            continue
        if char == "[" and not in_code:
            link_starts.append(length)
            i += 1
            continue
        if char == "]" and link_starts and source.startswith("(", i + 1):
            close = source.find(")", i + 2)
            if close == -1:
                raise bad_request("can't parse entities: Can't find end of a URL")
            start = link_starts.pop()
            if length > start:
                entities.append(
                    {
                        "type": "text_link",
                        "offset": start,
                        "length": length - start,
                        "url": source[i + 2 : close],
                    }
                )
            i = close + 1
            continue
        if v2 and char in _MDV2_RESERVED and not in_code:
            raise bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        emit(char)
        i += 1
    if stack or link_starts:
        kind = stack[-1][1] if stack else "text_link"
        offset = len(source.encode())
        raise bad_request(
            f"can't parse entities: Can't find end of {kind.title()} entity at byte offset {offset}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities

"""Charts for digests: themes this period against the last, drawn with Pillow as PNG bytes.

Pillow, not matplotlib: measured on this 2-core machine, matplotlib took 150 to 450 ms a
chart and Pillow about 12 to 30 ms for the same picture. A Monday with 300 providers due at
once needs 300 charts inside the ten seconds Telegram's 30 messages a second allow, so the
slower one would hold every digest back.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH = 800
MARGIN = 16
LABEL_WIDTH = 250
ROW = 46
BAR = 16
TOP = 76
NOW_COLOUR = "#1f6fb2"
BEFORE_COLOUR = "#b8c7d6"
INK = "#222222"
SOFT_INK = "#555555"


@dataclass(frozen=True)
class Bar:
    """One theme's count in the period and in the period before."""

    label: str
    now: int
    before: int


FONTS = Path(__file__).with_name("fonts")


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    # Shipped with the project: the same picture on every machine, dashes and accents too.
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _fit(text: str, size: int, width: int) -> list[str]:
    """The label in at most two lines that fit `width` pixels (shortened with … if need be)."""
    font = _font(size)
    words: list[str] = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
    lines.append(line)
    if len(lines) > 2:
        last = lines[1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [lines[0], last.rstrip() + "…"]
    return lines


def theme_chart(bars: Sequence[Bar], *, title: str, now_label: str, before_label: str) -> bytes:
    """A horizontal bar chart of themes, this period against the last, as PNG bytes."""
    height = TOP + ROW * max(len(bars), 1) + MARGIN
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 12), title, font=_font(17, bold=True), fill=INK)
    x = MARGIN
    for colour, name in ((NOW_COLOUR, now_label), (BEFORE_COLOUR, before_label)):
        draw.rectangle((x, 46, x + 12, 58), fill=colour)
        draw.text((x + 18, 44), name, font=_font(13), fill=SOFT_INK)
        x += 18 + int(_font(13).getlength(name)) + 24
    left = MARGIN + LABEL_WIDTH
    right = WIDTH - 56
    largest = max([b.now for b in bars] + [b.before for b in bars] + [1])
    for index, bar in enumerate(bars):
        y = TOP + index * ROW
        lines = _fit(bar.label, 13, LABEL_WIDTH - 12)
        label_top = y + (ROW - 6 - 17 * len(lines)) // 2
        for number, line in enumerate(lines):
            draw.text((MARGIN, label_top + 17 * number), line, font=_font(13), fill=INK)
        now = round((right - left) * bar.now / largest)
        before = round((right - left) * bar.before / largest)
        draw.rectangle((left, y + 4, left + max(now, 1), y + 4 + BAR), fill=NOW_COLOUR)
        draw.text((left + now + 6, y + 4), str(bar.now), font=_font(13), fill=INK)
        draw.rectangle(
            (left, y + 6 + BAR, left + max(before, 1), y + 6 + 2 * BAR - 4), fill=BEFORE_COLOUR
        )
    draw.line((left, TOP - 4, left, TOP + ROW * len(bars) - 8), fill="#999999")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


CHANGED_COLOUR = "#2e8b57"


@dataclass(frozen=True)
class Shares:
    """One row of a share chart: two fractions (0 to 1, None when there is nothing to share)."""

    label: str
    first: float | None
    second: float | None


def share_chart(
    rows: Sequence[Shares], *, title: str, first_label: str, second_label: str
) -> bytes:
    """Horizontal bars of two percentages a row (say, covered and changed), as PNG bytes."""
    height = TOP + ROW * max(len(rows), 1) + MARGIN
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 12), title, font=_font(17, bold=True), fill=INK)
    x = MARGIN
    for colour, name in ((NOW_COLOUR, first_label), (CHANGED_COLOUR, second_label)):
        draw.rectangle((x, 46, x + 12, 58), fill=colour)
        draw.text((x + 18, 44), name, font=_font(13), fill=SOFT_INK)
        x += 18 + int(_font(13).getlength(name)) + 24
    left = MARGIN + LABEL_WIDTH
    # Room after the longest bar for "100%".
    right = WIDTH - 56
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        lines = _fit(row.label, 13, LABEL_WIDTH - 12)
        label_top = y + (ROW - 6 - 17 * len(lines)) // 2
        for number, line in enumerate(lines):
            draw.text((MARGIN, label_top + 17 * number), line, font=_font(13), fill=INK)
        for offset, colour, share in (
            (2, NOW_COLOUR, row.first),
            (4 + BAR, CHANGED_COLOUR, row.second),
        ):
            top = y + offset
            # Shares are clamped: the scale is fixed at 0 to 100% whatever comes in.
            length = round((right - left) * min(max(share or 0.0, 0.0), 1.0))
            draw.rectangle((left, top, left + max(length, 1), top + BAR - 2), fill=colour)
            text = "–" if share is None else f"{round(share * 100)}%"
            draw.text((left + length + 6, top), text, font=_font(12), fill=INK)
    draw.line((left, TOP - 4, left, TOP + ROW * len(rows) - 8), fill="#999999")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

"""Charts for digests: themes this period against the last, drawn with Pillow as PNG bytes.

Pillow, not matplotlib: measured on this 2-core machine, matplotlib took 150 to 450 ms a
chart and Pillow about 12 to 30 ms for the same picture. A Monday with 300 providers due at
once needs 300 charts inside the ten seconds Telegram's 30 messages a second allow, so the
slower one would hold every digest back.
"""

from __future__ import annotations

import io
import re
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
# Room under the bars for the axis and what it measures.
AXIS = 22


@dataclass(frozen=True)
class Bar:
    """One theme's count in the period and in the period before."""

    label: str
    now: int
    before: int


FONTS = Path(__file__).with_name("fonts")


@cache
def _font(size: int, bold: bool = False, arabic: bool = False) -> ImageFont.FreeTypeFont:
    # Shipped with the project: the same picture on every machine, dashes and accents too.
    if arabic:
        name = "NotoSansArabic-Bold.ttf" if bold else "NotoSansArabic-Regular.ttf"
    else:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


# Letters of the Arabic script (Urdu, Arabic, Persian...), which DejaVu only partly has.
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
# A letter or digit that is not Arabic script: where a run of the other font begins.
_OTHER = re.compile(r"[^\W\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


def _runs(text: str) -> list[tuple[str, bool]]:
    """The text cut where the script changes: (words, Arabic script?), in reading order.
    Spaces stay with the run before them."""
    runs: list[tuple[str, bool]] = []
    for char in text:
        if _ARABIC.match(char):
            arabic = True
        elif _OTHER.match(char):
            arabic = False
        elif char.isspace():
            arabic = runs[-1][1] if runs else False
        else:
            arabic = False  # brackets, dashes, signs: DejaVu has them all
        if runs and runs[-1][1] == arabic:
            runs[-1] = (runs[-1][0] + char, arabic)
        else:
            runs.append((char, arabic))
    return runs


def _visual(text: str, size: int, bold: bool) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """The runs of a text with their fonts, left to right as they are drawn: a text that
    starts in Arabic script reads right to left, so its runs are laid out from the right."""
    runs = [(words, _font(size, bold, arabic)) for words, arabic in _runs(text)]
    if runs and _ARABIC.search(text) and _starts_arabic(text):
        runs.reverse()
        runs = [(words.strip() + " ", font) for words, font in runs]
    return runs


def _starts_arabic(text: str) -> bool:
    for char in text:
        if _ARABIC.match(char):
            return True
        if _OTHER.match(char):
            return False
    return False


def _length(text: str, size: int, bold: bool = False) -> float:
    """How wide a text is drawn, in pixels."""
    return sum(font.getlength(words) for words, font in _visual(text, size, bold))


def _text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: str,
    bold: bool = False,
) -> None:
    """Draw a text from its left edge, each script in a font that has its letters."""
    x, y = xy
    # One baseline for every run: the fonts' ascents differ.
    baseline = y + _font(size, bold).getmetrics()[0]
    for words, font in _visual(text, size, bold):
        draw.text((x, baseline), words, font=font, fill=fill, anchor="ls")
        x += font.getlength(words)


def _fit(text: str, size: int, width: int) -> list[str]:
    """The label in at most two lines that fit `width` pixels (shortened with … if need be)."""
    words: list[str] = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if _length(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
    lines.append(line)
    if len(lines) > 2:
        last = lines[1]
        while last and _length(last + "…", size) > width:
            last = last[:-1]
        lines = [lines[0], last.rstrip() + "…"]
    return lines


def _legend(draw: ImageDraw.ImageDraw, series: Sequence[tuple[str, str]]) -> None:
    x = MARGIN
    for colour, name in series:
        draw.rectangle((x, 46, x + 12, 58), fill=colour)
        _text(draw, (x + 18, 44), name, 13, SOFT_INK)
        x += 18 + int(_length(name, 13)) + 24


def _axis(draw: ImageDraw.ImageDraw, rows: int, left: int, right: int, text: str) -> None:
    """The value axis: a line under the bars and what they measure."""
    y = TOP + ROW * max(rows, 1) - 4
    draw.line((left, y, right, y), fill="#999999")
    _text(draw, (left, y + 6), text, 12, SOFT_INK)


def theme_chart(
    bars: Sequence[Bar], *, title: str, now_label: str, before_label: str, axis: str = ""
) -> bytes:
    """A horizontal bar chart of themes, this period against the last, as PNG bytes.

    Each bar carries its count; the period before is left out (legend and bars) when it
    has nothing, so the legend never names a series that is not drawn.
    """
    before_shown = any(b.before for b in bars)
    height = TOP + ROW * max(len(bars), 1) + MARGIN + AXIS
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    _text(draw, (MARGIN, 12), title, 17, INK, bold=True)
    series = [(NOW_COLOUR, now_label)]
    if before_shown:
        series.append((BEFORE_COLOUR, before_label))
    _legend(draw, series)
    left = MARGIN + LABEL_WIDTH
    right = WIDTH - 56
    largest = max([b.now for b in bars] + [b.before for b in bars] + [1])
    for index, bar in enumerate(bars):
        y = TOP + index * ROW
        lines = _fit(bar.label, 13, LABEL_WIDTH - 12)
        label_top = y + (ROW - 6 - 17 * len(lines)) // 2
        for number, line in enumerate(lines):
            _text(draw, (MARGIN, label_top + 17 * number), line, 13, INK)
        now = round((right - left) * bar.now / largest)
        draw.rectangle((left, y + 4, left + max(now, 1), y + 4 + BAR), fill=NOW_COLOUR)
        draw.text((left + now + 6, y + 4), str(bar.now), font=_font(13), fill=INK)
        if before_shown:
            before = round((right - left) * bar.before / largest)
            draw.rectangle(
                (left, y + 6 + BAR, left + max(before, 1), y + 6 + 2 * BAR - 4),
                fill=BEFORE_COLOUR,
            )
            draw.text(
                (left + before + 6, y + 4 + BAR), str(bar.before), font=_font(11), fill=SOFT_INK
            )
    draw.line((left, TOP - 4, left, TOP + ROW * len(bars) - 8), fill="#999999")
    if axis:
        _axis(draw, len(bars), left, right, axis)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


CHANGED_COLOUR = "#2e8b57"


@dataclass(frozen=True)
class Shares:
    """One row of a share chart: two fractions (0 to 1, None when there is nothing to share),
    and the counts behind them (shown beside the percentages when given)."""

    label: str
    first: float | None
    second: float | None
    first_count: int | None = None
    second_count: int | None = None
    out_of: int | None = None


def _share_text(share: float | None, count: int | None, out_of: int | None, counted: str) -> str:
    if share is None:
        return "–"
    percent = f"{round(share * 100)}%"
    if count is None or out_of is None or not counted:
        return percent
    return counted.format(percent=percent, count=count, out_of=out_of)


def share_chart(
    rows: Sequence[Shares],
    *,
    title: str,
    first_label: str,
    second_label: str,
    axis: str = "",
    counted: str = "",
) -> bytes:
    """Horizontal bars of two percentages a row (say, covered and changed), as PNG bytes;
    `counted` puts the counts beside each percentage ("{percent} ({count} of {out_of})"); a
    series with no value at all is left out of the legend."""
    height = TOP + ROW * max(len(rows), 1) + MARGIN + AXIS
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    _text(draw, (MARGIN, 12), title, 17, INK, bold=True)
    series = [
        (colour, name)
        for colour, name, values in (
            (NOW_COLOUR, first_label, [r.first for r in rows]),
            (CHANGED_COLOUR, second_label, [r.second for r in rows]),
        )
        if any(v is not None for v in values)
    ]
    _legend(draw, series)
    left = MARGIN + LABEL_WIDTH
    # Room after the longest bar for "100% (300 of 300)".
    right = WIDTH - 140
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        lines = _fit(row.label, 13, LABEL_WIDTH - 12)
        label_top = y + (ROW - 6 - 17 * len(lines)) // 2
        for number, line in enumerate(lines):
            _text(draw, (MARGIN, label_top + 17 * number), line, 13, INK)
        for offset, colour, share, count in (
            (2, NOW_COLOUR, row.first, row.first_count),
            (4 + BAR, CHANGED_COLOUR, row.second, row.second_count),
        ):
            top = y + offset
            # Shares are clamped: the scale is fixed at 0 to 100% whatever comes in.
            length = round((right - left) * min(max(share or 0.0, 0.0), 1.0))
            if share is not None:
                # Nothing to share is a dash, not a sliver of colour.
                draw.rectangle((left, top, left + max(length, 1), top + BAR - 2), fill=colour)
            text = _share_text(share, count, row.out_of, counted)
            _text(draw, (left + length + 6, top), text, 12, INK)
    draw.line((left, TOP - 4, left, TOP + ROW * len(rows) - 8), fill="#999999")
    if axis:
        _axis(draw, len(rows), left, right, axis)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

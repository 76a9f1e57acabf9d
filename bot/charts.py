"""Charts for digests, drawn with matplotlib into PNG bytes in memory (no files, no pyplot).

Figures are made with the object API on the Agg canvas, not `pyplot`, so nothing global
is touched and charts can be drawn in a worker thread while the bot keeps answering.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Telegram shows photos about this wide on a phone; 8 x 0.5 inches per bar at 100 dpi
# keeps the labels readable there.
WIDTH_IN = 8.0
BAR_HEIGHT_IN = 0.55
DPI = 100
NOW_COLOUR = "#1f6fb2"
BEFORE_COLOUR = "#b8c7d6"
LABEL_WIDTH = 28


@dataclass(frozen=True)
class Bar:
    """One theme's count in the period and in the period before."""

    label: str
    now: int
    before: int


def theme_chart(bars: Sequence[Bar], *, title: str, now_label: str, before_label: str) -> bytes:
    """A horizontal bar chart of themes, this period against the last, as PNG bytes."""
    figure = Figure(
        figsize=(WIDTH_IN, 1.4 + BAR_HEIGHT_IN * max(len(bars), 1)), dpi=DPI, layout="tight"
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Largest on top: barh draws the first bar at the bottom, so reverse.
    ordered = list(reversed(bars))
    positions = list(range(len(ordered)))
    height = 0.38
    axes.barh(
        [p - height / 2 for p in positions],
        [b.before for b in ordered],
        height=height,
        color=BEFORE_COLOUR,
        label=before_label,
    )
    now_bars = axes.barh(
        [p + height / 2 for p in positions],
        [b.now for b in ordered],
        height=height,
        color=NOW_COLOUR,
        label=now_label,
    )
    axes.bar_label(now_bars, padding=3, fontsize=9)
    axes.set_yticks(positions, [textwrap.fill(b.label, LABEL_WIDTH) for b in ordered])
    axes.tick_params(axis="y", labelsize=10)
    axes.set_title(title, fontsize=12, loc="left", pad=24)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    # Room on the right for the value labels of the longest bar.
    axes.set_xlim(0, max([b.now for b in bars] + [b.before for b in bars] + [1]) * 1.12)
    # Above the bars, this period first, so it never hides a bar.
    handles, names = axes.get_legend_handles_labels()
    axes.legend(
        handles[::-1],
        names[::-1],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=2,
        frameon=False,
        fontsize=9,
    )
    buffer = io.BytesIO()
    # No "Software" stamp: the same data gives the same bytes on any matplotlib version.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()

"""Evidence of value: what providers' responses achieved, per service and period.

For the approved items of each service published in a period [start, end):
- items: how many;
- covered: how many a visible response covers, published by the end of the period;
- median hours from an item's publication to the first visible response covering it;
- changed: how many led to a change (a visible 'changed' response covers the item, or
  answered one of its active themes, or the broad theme of one of its sub-themes, at its
  service after it was published);
- what citizens answered, in the period, when asked whether a response met their point;
- people: the items' authors and those who said "me too" to them, and of them those
  behind items that led to a change.
And the same over all the services together. Reads through `storage.evidence` (counts
only: never who wrote or answered what). Rendered as a Markdown table, a CSV file, a
PNG chart, and a few HTML lines for a provider's digest.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import charts, i18n, spreadsheet
from bot.digest_content import Period, format_period
from bot.wording import Words
from storage import evidence as store
from storage.db import Database, parse_stamp
from storage.services import ServiceRow

# A digest's evidence covers the items of this many recent weeks.
RECENT_WEEKS = 4

# Every string a person reads here: in handlers/texts.py.
TEXTS = Words("EVIDENCE")


@dataclass(frozen=True)
class Figures:
    """The figures of one service (or of all of them) in one period."""

    # "" for the total over all services.
    slug: str
    name: str
    items: int
    covered: int
    # Median hours from publication to the first response, over covered items.
    median_hours: float | None
    changed: int
    yes: int
    no: int
    # The people behind the items (each item's author and its supporters, "me too"), and
    # those behind the items that led to a change.
    people: int = 0
    people_changed: int = 0

    @property
    def covered_share(self) -> float | None:
        """Covered items as a share of items, or None without items."""
        return self.covered / self.items if self.items else None

    @property
    def changed_share(self) -> float | None:
        """Items that led to a change as a share of items, or None without items."""
        return self.changed / self.items if self.items else None

    @property
    def rated(self) -> int:
        """How many citizens said whether a response answered their point."""
        return self.yes + self.no

    @property
    def satisfaction(self) -> float | None:
        """The share who said yes, or None when nobody answered."""
        return self.yes / self.rated if self.rated else None


@dataclass(frozen=True)
class Evidence:
    """The figures of a period, per service (in the order given) and in total."""

    period: Period
    services: tuple[Figures, ...]
    total: Figures
    # People (not replies: one person may reply to several responses) who said a response
    # answered their point, and who replied at all, over all the services.
    people_yes: int = 0
    people_replied: int = 0


async def evidence(
    db: Database,
    services: Sequence[ServiceRow],
    period: Period,
    broad: Mapping[str, str] | None = None,
) -> Evidence:
    """The evidence-of-value figures of `services` for `period`; `broad` (sub-theme id ->
    broad theme id): a 'changed' answer to a broad theme counts for items with its sub-themes."""
    slugs = [s.slug for s in services]
    facts = await store.items(db.reader, slugs, period.since, period.until, broad)
    replies = await store.replies(db.reader, slugs, period.since, period.until)
    rows = tuple(
        _figures(
            s.slug,
            s.name,
            [f for f in facts if f.service_slug == s.slug],
            [replies.get(s.slug, store.Replies(0, 0))],
        )
        for s in services
    )
    total = _figures("", TEXTS["total"], facts, list(replies.values()))
    yes, replied = await store.people_replying(db.reader, slugs, period.since, period.until)
    return Evidence(period, rows, total, yes, replied)


def _figures(
    slug: str, name: str, facts: Sequence[store.ItemFacts], replies: Sequence[store.Replies]
) -> Figures:
    delays = [
        (parse_stamp(f.first_response_at) - parse_stamp(f.published_at)).total_seconds() / 3600
        for f in facts
        if f.first_response_at is not None
    ]
    return Figures(
        slug=slug,
        name=name,
        items=len(facts),
        covered=len(delays),
        # The median of all covered items (for the total too: not a median of medians).
        median_hours=statistics.median(delays) if delays else None,
        changed=sum(1 for f in facts if f.changed),
        yes=sum(r.yes for r in replies),
        no=sum(r.no for r in replies),
        # Each person once, however many items of theirs or ones they joined.
        people=len(frozenset().union(*(f.people for f in facts))),
        people_changed=len(frozenset().union(*(f.people for f in facts if f.changed))),
    )


# ------------------------------------------------------------------------------- numbers


def percent(share: float) -> str:
    """A share as a whole percentage, halves rounded up: 0.125 -> "13%"."""
    return i18n.percent(math.floor(share * 100 + 0.5) / 100)


def _decimal(value: float) -> str:
    return i18n.decimal(value, 1, trim=True)


def duration(hours: float) -> str:
    """Hours as a person reads them: under an hour, hours up to two days, then days."""
    if hours < 1:
        return TEXTS["under_an_hour"]
    if hours < 48:
        return _counted(_decimal(hours), "hours")
    return _counted(_decimal(hours / 24), "days")


def _counted(n: str, unit: str) -> str:
    """`n` (a decimal as written) hours or days: whole numbers take the language's plural
    form, numbers with a decimal part their own words."""
    if n.isdigit():
        return TEXTS.plural(unit).format(int(n))
    return TEXTS[unit + "_fraction"].format(n=n)


def satisfied_line(yes: int, rated: int) -> str:
    """How many of the people who replied to a response said it answered their point."""
    if yes == 0:
        if rated == 1:
            return TEXTS["digest_satisfied_none_one"]
        return TEXTS.plural("digest_satisfied_none").format(rated)
    if rated == 1:
        return TEXTS["digest_satisfied_one"]
    if yes == rated:
        return TEXTS.plural("digest_satisfied_all").format(rated)
    return TEXTS.plural("digest_satisfied").format(rated, yes=yes)


# ---------------------------------------------------------------------------- renderings


def digest_lines(ev: Evidence) -> list[str]:
    """A short HTML section for a digest: a heading and up to three lines; [] if no news."""
    total = ev.total
    lines: list[str] = []
    if total.items and total.covered:
        median = (
            ""
            if total.median_hours is None
            else TEXTS["digest_median"].format(duration=duration(total.median_hours))
        )
        lines.append(
            TEXTS.plural("digest_covered").format(
                total.items,
                covered=total.covered,
                share=percent(total.covered / total.items),
                median=median,
            )
        )
    elif total.items:
        lines.append(TEXTS.plural("digest_uncovered").format(total.items))
    if total.changed:
        lines.append(TEXTS.plural("digest_changed").format(total.changed))
    if ev.people_replied:
        lines.append(satisfied_line(ev.people_yes, ev.people_replied))
    return [TEXTS["digest_heading"], *lines] if lines else []


async def recent_lines(
    db: Database,
    services: Sequence[ServiceRow],
    end: datetime,
    weeks: int = RECENT_WEEKS,
    broad: Mapping[str, str] | None = None,
) -> list[str]:
    """Digest lines on what responses did for the items of the last `weeks` weeks.

    A digest shows the items of the period just ended, and responses come after it: the
    evidence of that period alone would always read "no response yet".
    """
    window = Period(end - timedelta(weeks=weeks), end)
    lines = digest_lines(await evidence(db, services, window, broad))
    if lines:
        lines[0] = TEXTS.plural("digest_recent_heading").format(weeks)
    return lines


def _md_cell(text: str) -> str:
    # A name with a pipe or a line break would break the table's row.
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def _cells(row: Figures) -> list[str]:
    none = TEXTS["none"]
    covered = (
        none
        if row.covered_share is None
        else TEXTS["count_share"].format(count=row.covered, share=percent(row.covered_share))
    )
    changed = (
        none
        if row.changed_share is None
        else TEXTS["count_share"].format(count=row.changed, share=percent(row.changed_share))
    )
    answered = (
        none
        if row.satisfaction is None
        else TEXTS["answered"].format(yes=row.yes, rated=row.rated, share=percent(row.satisfaction))
    )
    median = none if row.median_hours is None else duration(row.median_hours)
    return [_md_cell(row.name), str(row.items), str(row.people), covered, median, changed, answered]


def markdown(ev: Evidence, timezone: str = "UTC") -> str:
    """The figures as a Markdown table: a row per service, then the total in bold."""
    header = TEXTS["md_header"].split("|")
    lines = [
        TEXTS["title"].format(dates=format_period(ev.period, ZoneInfo(timezone))),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for row in ev.services:
        lines.append("| " + " | ".join(_cells(row)) + " |")
    lines.append("| " + " | ".join(f"**{cell}**" for cell in _cells(ev.total)) + " |")
    lines += ["", TEXTS["md_notes"], ""]
    return "\n".join(lines)


def _pct(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def csv_bytes(ev: Evidence) -> bytes:
    """The figures as CSV (UTF-8 with BOM): a row per service, then the total (no slug).

    Shares are percentages with one decimal, the median in hours with two; empty where
    there is nothing to divide by.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEXTS["csv_header"].split(","))
    for row in (*ev.services, ev.total):
        writer.writerow(
            spreadsheet.row(
                [
                    row.slug,
                    row.name,
                    row.items,
                    row.covered,
                    _pct(row.covered_share),
                    "" if row.median_hours is None else f"{row.median_hours:.2f}",
                    row.changed,
                    _pct(row.changed_share),
                    row.yes,
                    row.no,
                    _pct(row.satisfaction),
                    row.people,
                    row.people_changed,
                ]
            )
        )
    return buffer.getvalue().encode("utf-8-sig")


def chart_png(ev: Evidence, timezone: str = "UTC", provider: str = "") -> bytes:
    """A PNG of covered and changed shares by service (the total first, with several),
    titled with the provider's name when the figures are one provider's."""
    rows = [*ev.services]
    if len(rows) != 1:
        rows.insert(0, ev.total)
    return charts.share_chart(
        [
            charts.Shares(
                " ".join(r.name.split())[:60],
                r.covered_share,
                r.changed_share,
                r.covered,
                r.changed,
                r.items,
            )
            for r in rows
        ],
        title=TEXTS["chart_title_provider" if provider else "chart_title"].format(
            provider=" ".join(provider.split())[:80],
            dates=format_period(ev.period, ZoneInfo(timezone)),
        ),
        first_label=TEXTS["chart_covered"],
        second_label=TEXTS["chart_changed"],
        axis=TEXTS["chart_axis"],
        counted=TEXTS["chart_counted"],
    )

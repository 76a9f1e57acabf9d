"""What a provider's digest says: counts, changes, quotes, a chart and a CSV of one period.

`build_digest` reads only through `storage.published` (approved, redacted text; never who
wrote it) and returns a `Digest`: HTML text for Telegram (parse_mode=HTML) whose visible
length fits Telegram's 4,096 characters by construction, a PNG chart, and counts.
`build_csv` gives the period's items as a CSV file (bytes) for when the provider asks.

How the text is kept short: every section has a cap (lines, quote length), and every line
has a rank. Lines of low rank are dropped first until the text fits a one-minute read
(READ_TARGET); then, only if still needed, more lines go until it fits the hard limit.
A list of counts (services, themes, places) ends with one line for all it leaves out,
past its cap or dropped to fit, so its lines always add up.
Quotes are shortened at a word boundary with "…", never mid-word. Scheduling and sending
are not here (see bot/digests.py).
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import charts, dates, i18n, spreadsheet
from bot.bidi import isolate
from bot.config import Provider
from bot.digests import next_fire, previous_fire
from bot.wording import Words, plural, word
from storage import media, places, published, supporters
from storage.db import Database, stamp
from storage.places import Place
from storage.published import QuoteCandidate, Tally
from storage.services import ServiceRow

# Every string a provider reads in a digest: in handlers/texts.py. Values are HTML
# templates: whatever is put into them from people or the deployment file is escaped first.
TEXTS = Words("DIGEST")
KINDS = Words("DIGEST_KINDS")

# Telegram's limit, counted on the visible text (after entities are parsed), in UTF-16
# code units as the Bot API counts: an emoji may count two.
TELEGRAM_LIMIT = 4096
# What reads comfortably on a phone in about a minute; optional lines go past this.
READ_TARGET = 2200
# Lines ranked below this are optional: dropped first, to reach READ_TARGET.
OPTIONAL_BELOW = 40
# Section caps.
MAX_SERVICES = 6
MAX_THEMES = 6
MAX_SITES = 6
MAX_RISING = 3
MAX_ATTENTION_THEMES = 2
MAX_ATTENTION_SERVICES = 2
QUOTED_THEMES = 3
QUOTES_PER_THEME = 3
CHART_THEMES = 8
# Sub-themes named on their broad theme's line.
MAX_SUB_THEMES = 3
# Lengths (visible characters) of what comes from people or the deployment file.
QUOTE_MAX = 180
# Quotes of about this length say something and still read at a glance.
QUOTE_IDEAL = (50, 180)
NAME_MAX = 48
PROVIDER_MAX = 80
# "Needs attention": a theme rising sharply, ratings falling.
SHARP_RISE_MIN = 3  # at least this many more items than before...
SHARP_RISE_FACTOR = 1.5  # ...and at least this many times as many
RATING_FALL = 0.5  # the average fell by at least this much...
RATING_FALL_SERVICE = 0.7  # ...or this much for one service...
RATING_MIN_COUNT = 5  # ...with at least this many ratings in each period


@dataclass(frozen=True)
class Period:
    """A span of time [start, end) with timezone-aware ends."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Period needs timezone-aware datetimes")
        if self.end <= self.start:
            raise ValueError("Period must end after it starts")

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    @property
    def since(self) -> str:
        """The start as stored in the database."""
        return stamp(self.start)

    @property
    def until(self) -> str:
        """The end as stored in the database."""
        return stamp(self.end)


@dataclass(frozen=True)
class Digest:
    """One provider's digest of one period, ready to send."""

    provider_id: str
    period: Period
    # HTML for parse_mode=HTML; visible length <= TELEGRAM_LIMIT.
    text: str
    # None when there is nothing to draw (no themes in this period or the one before).
    chart_png: bytes | None
    # Approved items in the period.
    items: int
    empty: bool
    # The themes listed with items this period (most first) and the items quoted: what a
    # provider may answer from the digest.
    top_themes: tuple[str, ...] = ()
    quoted: tuple[int, ...] = ()


async def build_digest(
    db: Database,
    *,
    provider: Provider,
    services: Sequence[ServiceRow],
    period: Period,
    labels: dict[str, str],
    timezone: str | None = None,
    chart: bool = True,
    notes: Sequence[Sequence[str]] = (),
    broad: Mapping[str, str] | None = None,
    sites: Mapping[str, str] | None = None,
) -> Digest:
    """The digest of `services` for `period`; dates in `timezone` (default the provider's).

    `broad` (sub-theme id -> broad theme id, from the taxonomy): themes are listed by broad
    theme, an item with a sub-theme counted under its broad theme too, with the sub-themes
    named on the broad theme's line.

    `sites` names each site of a service in several places in the digest's language (as
    the deployment file gives it by default): items are counted per site of those alone
    (of every site where None).

    `notes` are extra sections of HTML lines (a heading, then lines), shown after the counts
    and dropped before them when space is short: what responses did, questions asked.
    """
    zone = ZoneInfo(timezone or provider.timezone)
    slugs = [s.slug for s in services]
    names = {s.slug: s.name for s in services}
    before = previous_period(provider, period)
    broad = dict(broad or {})
    now_tally = await published.tally(db.reader, slugs, period.since, period.until, broad)
    before_tally = await published.tally(db.reader, slugs, before.since, before.until, broad)
    facts = _Facts(
        provider.name,
        period,
        zone,
        names,
        labels,
        now_tally,
        before_tally,
        broad,
        _span(before, ZoneInfo(provider.timezone)),
        _span(before, ZoneInfo(provider.timezone), capital=True),
    )

    png: bytes | None = None
    if chart:
        bars = _chart_bars(facts)
        if bars:
            # Drawing takes a noticeable moment: keep the event loop free meanwhile.
            png = await asyncio.to_thread(
                charts.theme_chart,
                bars,
                title=TEXTS["chart_title"].format(
                    provider=" ".join(provider.name.split())[:PROVIDER_MAX],
                    dates=format_period(period, zone),
                ),
                now_label=TEXTS["chart_now"],
                before_label=facts.span_cap,
                axis=TEXTS["chart_axis"],
            )

    extra = [_note(lines) for lines in notes if lines]
    if now_tally.items == 0:
        text = _render(_fit(_empty_sections(facts) + extra))
        return Digest(provider.id, period, text, png, 0, True)

    # The themes quoted are those the text lists first: broad themes when grouped, an item
    # with a sub-theme quoted under its broad theme (where the text counts it).
    listed = facts.grouped(now_tally) if facts.sub_themes else now_tally.by_theme
    top = _ranked(listed, {}, labels)[:QUOTED_THEMES]
    quotes = await _quotes(db, slugs, period, top, broad)
    # "Me too": how many more people said the same as each quoted item.
    backed = await supporters.counts(
        db.reader, [item.id for picks in quotes.values() for item, _ in picks]
    )
    sections = _sections(facts, top, quotes, backed)
    by_site = await _site_lines(db, facts, slugs, period, sites)
    if by_site.lines:
        # After the themes, before the kinds.
        sections.insert(-2, _Section(TEXTS["sites"], [by_site]))
    # After the counts, before the quotes.
    fitted = _fit(sections[:-1] + extra + sections[-1:])
    text = _render(fitted)
    # Only the quotes left after fitting: a button for an item the text does not show would
    # answer something the provider cannot read.
    shown = {
        line.item
        for section in fitted
        for group in section.groups
        for line in group.lines
        if line.item is not None
    }
    quoted = tuple(item.id for picks in quotes.values() for item, _ in picks if item.id in shown)
    # Every theme the digest lists with items this period can be answered.
    themes = answerable(now_tally, broad, labels)
    return Digest(provider.id, period, text, png, now_tally.items, False, themes, quoted)


def answerable(
    tally: Tally, broad: Mapping[str, str], labels: Mapping[str, str]
) -> tuple[str, ...]:
    """The themes with items a provider may answer, in the order a digest of `tally` lists
    them: each broad theme followed by the sub-themes named on its line."""
    if not tally.by_broad:
        return tuple(_ranked(tally.by_theme, {}, labels)[:MAX_THEMES])
    found: list[str] = []
    for theme in _ranked(tally.by_broad, {}, labels)[:MAX_THEMES]:
        found.append(theme)
        found += [sub for sub, _ in _subs_of(tally, broad, labels, theme)[:MAX_SUB_THEMES]]
    return tuple(found)


def _subs_of(
    tally: Tally, broad: Mapping[str, str], labels: Mapping[str, str], theme: str
) -> list[tuple[str, int]]:
    """The sub-themes of a broad theme with items in `tally`, most first."""
    found = [(s, tally.by_theme.get(s, 0)) for s, b in broad.items() if b == theme]
    found = [(s, n) for s, n in found if n]
    return sorted(found, key=lambda p: (-p[1], _label(labels, p[0]), p[0]))


def _label(labels: Mapping[str, str], theme: str) -> str:
    return labels.get(theme, theme.replace("_", " ").capitalize())


async def build_csv(
    db: Database,
    *,
    services: Sequence[ServiceRow],
    period: Period,
    labels: dict[str, str],
    timezone: str,
) -> bytes:
    """The period's approved items as CSV (UTF-8 with BOM, so spreadsheets read it right).

    Columns: item (reference number), published (local time), service, kind, rating,
    themes (labels joined by "; "), text (the published text), summary, photos (approved
    photos as /photo N commands). Nothing about who wrote it.
    """
    zone = ZoneInfo(timezone)
    names = {s.slug: s.name for s in services}
    rows = await published.items(db.reader, [s.slug for s in services], period.since, period.until)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            *TEXTS["csv_header"].split(","),
            word("CSV_SUMMARY"),
            word("CSV_PHOTOS"),
            word("CSV_PLACE"),
        ]
    )
    # Approved photos, as the commands that fetch them (the bot sends them on request).
    photos = await media.approved_photos(db.reader, [item.id for item in rows])
    where = await places.of_items(db.reader, [item.id for item in rows])
    for item in rows:
        moment = datetime.fromisoformat(item.published_at).astimezone(zone)
        writer.writerow(
            spreadsheet.row(
                [
                    item.id,
                    moment.strftime("%Y-%m-%d %H:%M"),
                    names.get(item.service_slug, item.service_slug),
                    # In the chat's words, as the header (a spreadsheet is read by people).
                    word("KINDS").get(item.kind, item.kind) if item.kind else "",
                    "" if item.rating is None else item.rating,
                    "; ".join(labels.get(t, t) for t in item.themes),
                    item.text,
                    item.summary or "",
                    " ".join(f"/photo {n}" for n in photos.get(item.id, [])),
                    provider_place(where.get(item.id)),
                ]
            )
        )
    return buffer.getvalue().encode("utf-8-sig")


def provider_place(place: Place | None) -> str:
    """Where an item happened as a provider may see it: the site, else the area to about
    1 km (never the exact spot, even when the citizen gave it)."""
    if place is None:
        return ""
    if place.site:
        return place.site
    if place.latitude is None or place.longitude is None:
        return ""
    point = f"{round(place.latitude, 2):.2f}, {round(place.longitude, 2):.2f}"
    return word("CSV_AREA").format(point=point)


# ---------------------------------------------------------------------------- text tools


def visible_length(text: str) -> int:
    """Length of an HTML message as Telegram counts it: tags out, entities in, UTF-16."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(plain.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str | None:
    """Text on one line, whole if it fits, else cut at a word boundary with "…".

    None when no word boundary leaves anything (one enormous word): better no quote
    than half a word.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    # The last space at or before `limit - 1` leaves room for the ellipsis.
    cut = flat.rfind(" ", 0, limit)
    head = flat[:cut].rstrip(" ,;:-–—(")
    return head + "…" if cut > 0 and head else None


def clip(text: str, limit: int) -> str:
    """`shorten`, or cut hard with "…" when the text is one enormous word: never longer."""
    return shorten(text, limit) or " ".join(text.split())[: limit - 1] + "…"


def _name(text: str, limit: int = NAME_MAX) -> str:
    # Names and labels come from the deployment file: a long one is shortened like a
    # quote, or cut hard when it is one word, so the headings never break the budget.
    return html.escape(clip(text, limit), quote=False)


def _change(now: int, before: int, compare: bool) -> str:
    if not compare:
        return ""
    if before == 0 and now > 0:
        word = TEXTS["change_new"]
    elif now == before:
        word = TEXTS["change_same"]
    else:
        word = f"+{now - before}" if now > before else f"−{before - now}"
    return TEXTS["change"].format(change=word)


def previous_period(provider: Provider, period: Period) -> Period:
    """The period a digest compares with: the one the provider's digest before it covered
    (from the scheduled time before this period's start to that start) when the period ends
    on the schedule; the same length just before it otherwise (the period so far)."""
    end = period.end.astimezone(UTC)
    if next_fire(provider, end - timedelta(microseconds=1)) == end:
        # A week is still a week across a clock change; a Thursday's digest of Mon-Thu
        # compares with Monday's of Thu-Mon, February's with January's.
        start = previous_fire(provider, period.start)
        if start < period.start:
            return Period(start, period.start)
    return period.previous()


def _span(before: Period, zone: ZoneInfo, capital: bool = False) -> str:
    """How to call the period before: the day, the week, or N days (on the provider's
    clock: the week the clocks go back is still a week)."""
    length = _wall(before.end, zone) - _wall(before.start, zone)
    suffix = "_cap" if capital else ""
    if length == timedelta(days=1):
        return TEXTS["span_day" + suffix]
    if length == timedelta(days=7):
        return TEXTS["span_week" + suffix]
    if length % timedelta(days=1) == timedelta(0):
        return TEXTS.plural("span_days" + suffix).format(length.days)
    return TEXTS["span_other" + suffix]


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The local wall-clock reading of a moment, without its zone."""
    return moment.astimezone(zone).replace(tzinfo=None)


def format_period(period: Period, zone: ZoneInfo) -> str:
    """The period as a provider reads it, in its time zone: "4–11 Dec 2026"."""
    return dates.period(period.start, period.end, zone)


# ------------------------------------------------------------------------------ sections


@dataclass
class _Line:
    html: str
    # Higher is more important; lines of the lowest rank are dropped first.
    rank: int
    # The item a quote line quotes (its button goes with it when the line is dropped).
    item: int | None = None
    # Items a count line counts (added to its list's "other" line when it is dropped).
    count: int = 0


@dataclass
class _Rest:
    """What a list of counts leaves out, past its cap or dropped to fit, said in one line
    at its end: "• 2 other themes: 5 items"."""

    # "services", "themes" or "places".
    what: str
    keys: int = 0
    items: int = 0

    def html(self) -> str:
        """The "other" line."""
        return TEXTS["more"].format(
            what=TEXTS.plural("more_" + self.what).format(self.keys),
            items=TEXTS.plural("more_items").format(self.items),
        )


@dataclass
class _Group:
    # Shown only while the group has a line left.
    heading: str | None
    lines: list[_Line] = field(default_factory=list)
    # A list of counts: what it leaves out is never dropped, so its lines always add up.
    rest: _Rest | None = None


@dataclass
class _Section:
    heading: str | None
    groups: list[_Group] = field(default_factory=list)
    # Blank line before the section.
    gap: bool = True


# Ranks: the head is never dropped (its parts are all of bounded length).
HEAD = 1000
RATING = 90
ATTENTION_FIRST = 85
ATTENTION = 70
TOP_LINES = 60  # the first three services and themes
KINDS_RANK = 55
RISING = 50
NOTES = 45  # what responses did, questions asked (see `notes`)
FIRST_QUOTE = 48  # minus the theme's place
SECOND_QUOTE = 38
EXTRA_LINES = 30  # services and themes past the third
THIRD_QUOTE = 20


@dataclass(frozen=True)
class _Facts:
    provider: str
    period: Period
    zone: ZoneInfo
    names: dict[str, str]
    labels: dict[str, str]
    now: Tally
    before: Tally
    broad: dict[str, str] = field(default_factory=dict)
    # How the text calls the period before ("the week before"), and at a sentence's start.
    span: str = ""
    span_cap: str = ""

    @property
    def sub_themes(self) -> bool:
        """Whether either period has an item with a sub-theme: themes are then grouped."""
        return bool(self.now.by_broad or self.before.by_broad)

    def grouped(self, tally: Tally) -> dict[str, int]:
        """Items by broad theme (sub-themes counted under theme they belong to)."""
        if tally.by_broad:
            return tally.by_broad
        return {t: n for t, n in tally.by_theme.items() if t not in self.broad}

    def subs_of(self, theme: str) -> list[tuple[str, int]]:
        """The sub-themes of a broad theme with items this period, most first."""
        return _subs_of(self.now, self.broad, self.labels, theme)

    @property
    def compare(self) -> bool:
        # With nothing the period before, every change would read "new": say nothing.
        return self.before.items > 0

    def label(self, theme: str) -> str:
        return _label(self.labels, theme)

    def service(self, slug: str) -> str:
        return self.names.get(slug, slug)


def _head(facts: _Facts, title: str) -> _Section:
    lines = [
        _Line(TEXTS[title].format(provider=_name(facts.provider, PROVIDER_MAX)), HEAD),
        _Line(TEXTS["dates"].format(dates=format_period(facts.period, facts.zone)), HEAD),
    ]
    return _Section(None, [_Group(None, lines)], gap=False)


def _empty_sections(facts: _Facts) -> list[_Section]:
    lines = [_Line(TEXTS["empty"], HEAD)]
    if facts.before.items:
        count = facts.before.items
        lines.append(
            _Line(
                TEXTS.plural("empty_before").format(count, span=facts.span_cap),
                HEAD,
            )
        )
    return [_head(facts, "empty_title"), _Section(None, [_Group(None, lines)])]


def _summary(facts: _Facts) -> _Line:
    count = facts.now.items
    if not facts.compare:
        return _Line(TEXTS.plural("summary_first").format(count), HEAD)
    diff = count - facts.before.items
    span = facts.span
    if diff == 0:
        change = TEXTS["summary_same"].format(span=span)
    else:
        change = TEXTS.plural("summary_more" if diff > 0 else "summary_fewer").format(
            abs(diff), span=span
        )
    return _Line(TEXTS.plural("summary").format(count, change=change), HEAD)


def _rating(facts: _Facts) -> _Line | None:
    average = facts.now.average_rating
    if average is None:
        return None
    change = ""
    before = facts.before.average_rating
    if before is not None:
        diff = round(average, 1) - round(before, 1)
        word = (
            TEXTS["no_change"]
            if abs(diff) < 0.05
            else f"{TEXTS['up' if diff > 0 else 'down']} {i18n.decimal(abs(diff))}"
        )
        change = TEXTS["rating_change"].format(change=word, before=i18n.decimal(before))
    count = facts.now.rating_count
    return _Line(
        TEXTS.plural("rating").format(count, average=i18n.decimal(average), change=change),
        RATING,
    )


def _attention(facts: _Facts) -> list[_Line]:
    if not facts.compare:
        return []
    found: list[str] = []
    rising = [
        theme
        for theme in _ranked(facts.now.by_theme, facts.before.by_theme, facts.labels, rise=True)
        if _sharp_rise(facts.now.by_theme.get(theme, 0), facts.before.by_theme.get(theme, 0))
    ]
    for theme in rising[:MAX_ATTENTION_THEMES]:
        found.append(
            TEXTS["attention_theme"].format(
                theme=_name(facts.label(theme)),
                now=facts.now.by_theme.get(theme, 0),
                before=facts.before.by_theme.get(theme, 0),
            )
        )
    falls: list[tuple[float, str, float, float]] = []
    for slug, (_, now_count) in facts.now.ratings.items():
        now_avg, before_avg = facts.now.service_average(slug), facts.before.service_average(slug)
        before_count = facts.before.ratings.get(slug, (0, 0))[1]
        if (
            now_avg is not None
            and before_avg is not None
            and _rating_fell(now_avg, before_avg, now_count, before_count, RATING_FALL_SERVICE)
        ):
            falls.append((now_avg - before_avg, facts.service(slug), now_avg, before_avg))
    falls.sort()
    now_avg, before_avg = facts.now.average_rating, facts.before.average_rating
    if (
        now_avg is not None
        and before_avg is not None
        and _rating_fell(
            now_avg, before_avg, facts.now.rating_count, facts.before.rating_count, RATING_FALL
        )
    ):
        # One line for falling ratings, naming the service that fell most (if several).
        if falls and len(facts.now.ratings) > 1:
            found.append(
                TEXTS["attention_rating_most"].format(
                    now=i18n.decimal(now_avg),
                    before=i18n.decimal(before_avg),
                    service=_name(falls[0][1]),
                )
            )
        else:
            found.append(
                TEXTS["attention_rating"].format(
                    now=i18n.decimal(now_avg), before=i18n.decimal(before_avg)
                )
            )
    elif len(facts.now.ratings) > 1:
        # Overall steady, but one service fell: that is worth a line of its own.
        for _, service, service_now, service_before in falls[:MAX_ATTENTION_SERVICES]:
            found.append(
                TEXTS["attention_service_rating"].format(
                    service=_name(service),
                    now=i18n.decimal(service_now),
                    before=i18n.decimal(service_before),
                )
            )
    return [_Line(text, ATTENTION_FIRST if i == 0 else ATTENTION) for i, text in enumerate(found)]


def _sharp_rise(now: int, before: int) -> bool:
    return now - before >= SHARP_RISE_MIN and now >= SHARP_RISE_FACTOR * before


def _rating_fell(now: float, before: float, now_count: int, before_count: int, fall: float) -> bool:
    return min(now_count, before_count) >= RATING_MIN_COUNT and before - now >= fall - 1e-9


def _ranked(
    now: Mapping[str, int],
    before: Mapping[str, int],
    names: Mapping[str, str],
    rise: bool = False,
) -> list[str]:
    """Keys by count now (or by rise), then count before, then name: one stable order."""
    keys = [k for k in set(now) | set(before) if now.get(k, 0) or before.get(k, 0)]
    if rise:
        keys = [k for k in keys if now.get(k, 0) > before.get(k, 0)]
        return sorted(
            keys,
            key=lambda k: (
                -(now.get(k, 0) - before.get(k, 0)),
                -now.get(k, 0),
                names.get(k, k),
                k,
            ),
        )
    return sorted(keys, key=lambda k: (-now.get(k, 0), -before.get(k, 0), names.get(k, k), k))


def _count_lines(
    facts: _Facts,
    now: dict[str, int],
    before: dict[str, int],
    names: dict[str, str],
    cap: int,
    what: str,
    details: Mapping[str, str] | None = None,
) -> _Group:
    """A line per key (service or theme, `what`), the biggest first, followed by its
    `details` if any; past `cap`, one line for the rest: "• 2 other themes: 5 items"."""
    keys = _ranked(now, before, names)
    lines = [
        _Line(
            TEXTS["count_line"].format(
                name=_name(names.get(key, key)),
                count=now.get(key, 0),
                change=_change(now.get(key, 0), before.get(key, 0), facts.compare),
            )
            + (details or {}).get(key, ""),
            TOP_LINES if index < 3 else EXTRA_LINES,
            count=now.get(key, 0),
        )
        for index, key in enumerate(keys[:cap])
    ]
    rest = keys[cap:]
    return _Group(None, lines, _Rest(what, len(rest), sum(now.get(key, 0) for key in rest)))


def _sub_details(facts: _Facts) -> dict[str, str]:
    """Broad theme -> what follows its line: its sub-themes with items, " — missed
    collections 7, late collections 2"."""
    details = {}
    for theme in facts.grouped(facts.now):
        subs = facts.subs_of(theme)
        if not subs:
            continue
        parts = [
            TEXTS["sub_theme_part"].format(name=_name(facts.label(sub)), count=count)
            for sub, count in subs[:MAX_SUB_THEMES]
        ]
        if len(subs) > MAX_SUB_THEMES:
            parts.append(TEXTS.plural("sub_theme_more").format(len(subs) - MAX_SUB_THEMES))
        details[theme] = TEXTS["sub_themes"].format(parts=TEXTS["sub_theme_separator"].join(parts))
    return details


def _kinds(facts: _Facts) -> _Line:
    order = [*KINDS, *sorted(set(facts.now.by_kind) - set(KINDS))]
    parts = [
        TEXTS["kind_part"].format(
            name=html.escape(KINDS.get(kind, kind.capitalize()), quote=False),
            count=facts.now.by_kind.get(kind, 0),
            change=_change(
                facts.now.by_kind.get(kind, 0), facts.before.by_kind.get(kind, 0), facts.compare
            ),
        )
        for kind in order
        if facts.now.by_kind.get(kind, 0) or facts.before.by_kind.get(kind, 0)
    ]
    return _Line(TEXTS["kind_separator"].join(parts), KINDS_RANK)


def _rising(facts: _Facts) -> _Line | None:
    if not facts.compare:
        return None
    themes = _ranked(facts.now.by_theme, facts.before.by_theme, facts.labels, rise=True)
    if not themes:
        return None
    parts = [
        TEXTS["rising_part"].format(
            theme=_name(facts.label(theme)),
            change=f"+{facts.now.by_theme.get(theme, 0) - facts.before.by_theme.get(theme, 0)}",
        )
        for theme in themes[:MAX_RISING]
    ]
    return _Line(TEXTS["rising"].format(themes=TEXTS["rising_separator"].join(parts)), RISING)


def _sections(
    facts: _Facts,
    top: list[str],
    quotes: dict[str, list[tuple[published.PublishedItem, str]]],
    backed: Mapping[int, int] | None = None,
) -> list[_Section]:
    head = _head(facts, "title")
    head.groups[0].lines.append(_summary(facts))
    rating = _rating(facts)
    if rating:
        head.groups[0].lines.append(rating)
    sections = [head, _Section(TEXTS["attention"], [_Group(None, _attention(facts))])]
    labels = {
        theme: facts.label(theme) for theme in set(facts.now.by_theme) | set(facts.before.by_theme)
    }
    services = _count_lines(
        facts, facts.now.by_service, facts.before.by_service, facts.names, MAX_SERVICES, "services"
    )
    sections.append(_Section(TEXTS["services"], [services]))
    if facts.sub_themes:
        now_grouped, before_grouped = facts.grouped(facts.now), facts.grouped(facts.before)
        for theme in set(now_grouped) | set(before_grouped):
            labels[theme] = facts.label(theme)
        theme_lines = _count_lines(
            facts, now_grouped, before_grouped, labels, MAX_THEMES, "themes", _sub_details(facts)
        )
    else:
        theme_lines = _count_lines(
            facts, facts.now.by_theme, facts.before.by_theme, labels, MAX_THEMES, "themes"
        )
    sections.append(_Section(TEXTS["themes"], [theme_lines]))
    rising = _rising(facts)
    if rising:
        sections.append(_Section(None, [_Group(None, [rising])]))
    sections.append(_Section(TEXTS["kinds"], [_Group(None, [_kinds(facts)])]))
    groups = []
    for place, theme in enumerate(top):
        lines = []
        for number, (item, text) in enumerate(quotes.get(theme, [])):
            rank = (FIRST_QUOTE, SECOND_QUOTE, THIRD_QUOTE)[min(number, 2)] - place
            stars = "" if item.rating is None else TEXTS["quote_rating"].format(rating=item.rating)
            lines.append(
                _Line(
                    TEXTS["quote"].format(
                        # A direction control in a quote never turns the rest of the line.
                        text=html.escape(isolate(text), quote=False),
                        id=item.id,
                        service=_name(facts.service(item.service_slug)),
                        rating=stars,
                    )
                    + _backed((backed or {}).get(item.id, 0))
                    + _summary_line(item.summary),
                    rank,
                    item.id,
                )
            )
        groups.append(_Group(TEXTS["quote_theme"].format(theme=_name(facts.label(theme))), lines))
    sections.append(_Section(TEXTS["quotes"], groups))
    return sections


async def _site_lines(
    db: Database,
    facts: _Facts,
    slugs: Sequence[str],
    period: Period,
    named: Mapping[str, str] | None,
) -> _Group:
    """Items per site of the services in several places (the sites `named`; every site
    when None), most first, each with the theme most of them are about (when at least two
    share one); past MAX_SITES, one line for the rest."""
    every = named is None
    named = named or {}
    rows = await published.items(db.reader, slugs, period.since, period.until)
    where = await places.of_items(db.reader, [item.id for item in rows])
    by_site: dict[str, list[published.PublishedItem]] = {}
    for item in rows:
        site = where[item.id].site if item.id in where else None
        if site and (every or site in named):
            by_site.setdefault(site, []).append(item)
    lines = []
    ranked = sorted(by_site.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    for number, (site, items) in enumerate(ranked[:MAX_SITES]):
        line = TEXTS.plural("site_line").format(len(items), site=_name(named.get(site, site)))
        themes = Counter(theme for item in items for theme in item.themes)
        if themes:
            theme, count = min(themes.items(), key=lambda pair: (-pair[1], pair[0]))
            if count >= 2:
                label = _name(facts.label(theme))
                line += TEXTS.plural("site_theme").format(count, theme=label)
        lines.append(_Line(line, TOP_LINES if number < 3 else EXTRA_LINES, count=len(items)))
    rest = ranked[MAX_SITES:]
    return _Group(None, lines, _Rest("places", len(rest), sum(len(items) for _, items in rest)))


def _backed(count: int) -> str:
    """After a quote: how many more people said the same ("me too"), or ''."""
    return plural("METOO_SUPPORTERS").format(count) if count else ""


def _summary_line(summary: str | None) -> str:
    """A moderator's summary under a quote (items in another language), or ''."""
    if not summary:
        return ""
    words = word("SUMMARY_FOR_PROVIDER").format(summary=html.escape(isolate(summary), quote=False))
    return "\n" + words


def _note(lines: Sequence[str]) -> _Section:
    """An extra section: its first line is the heading; the lines are optional."""
    heading, *rest = lines
    return _Section(heading, [_Group(None, [_Line(line, NOTES) for line in rest])])


def _render(sections: Iterable[_Section]) -> str:
    blocks: list[str] = []
    for section in sections:
        lines: list[str] = []
        for group in section.groups:
            shown = [line.html for line in group.lines]
            if group.rest and group.rest.keys:
                shown.append(group.rest.html())
            if not shown:
                continue
            if group.heading:
                lines.append(group.heading)
            lines.extend(shown)
        if not lines:
            continue
        if section.heading:
            lines.insert(0, section.heading)
        blocks.append(("\n" if section.gap and blocks else "") + "\n".join(lines))
    return "\n".join(blocks)


def _fit(sections: list[_Section]) -> list[_Section]:
    """Drop the least important lines until the text reads in a minute and fits Telegram."""
    _drop(sections, READ_TARGET, below=OPTIONAL_BELOW)
    _drop(sections, TELEGRAM_LIMIT, below=HEAD)
    assert visible_length(_render(sections)) <= TELEGRAM_LIMIT
    return sections


def _drop(sections: list[_Section], budget: int, below: int) -> None:
    # Candidates in the order they go: lowest rank first, later lines before earlier ones.
    candidates = [
        (line.rank, -position, group, line)
        for position, (group, line) in enumerate(
            (group, line)
            for section in sections
            for group in section.groups
            for line in group.lines
        )
        if line.rank < below
    ]
    candidates.sort(key=lambda c: (c[0], c[1]))
    for _, _, group, line in candidates:
        if visible_length(_render(sections)) <= budget:
            return
        group.lines.remove(line)
        if group.rest:
            group.rest.keys += 1
            group.rest.items += line.count


# -------------------------------------------------------------------------------- quotes


def _length_penalty(length: int) -> int:
    low, high = QUOTE_IDEAL
    return low - length if length < low else max(0, length - high) // 2


def choose_quotes(
    candidates: Sequence[QuoteCandidate],
    themes: Sequence[str],
    excluded: AbstractSet[int] = frozenset(),
) -> dict[str, list[QuoteCandidate]]:
    """Up to QUOTES_PER_THEME items for each theme: strongest, medium-length, varied services.

    Deterministic: the order depends only on score, length and id. An item is quoted once
    across all themes; each theme's quotes come from different services while it can.
    """
    by_theme: dict[str, list[QuoteCandidate]] = {}
    for candidate in candidates:
        if candidate.id not in excluded:
            by_theme.setdefault(candidate.theme_id, []).append(candidate)
    used: set[int] = set()
    chosen: dict[str, list[QuoteCandidate]] = {}
    for theme in themes:
        ordered = sorted(
            by_theme.get(theme, []),
            # Scores in bands of 0.1 so that length can matter among near-equals; newest
            # first among equals.
            key=lambda c: (-round(c.score, 1), _length_penalty(c.length), -c.id),
        )
        picks: list[QuoteCandidate] = []
        services: set[str] = set()
        for varied in (True, False):
            for candidate in ordered:
                if len(picks) == QUOTES_PER_THEME:
                    break
                if candidate.id in used or (varied and candidate.service_slug in services):
                    continue
                picks.append(candidate)
                used.add(candidate.id)
                services.add(candidate.service_slug)
        chosen[theme] = picks
    return chosen


async def _quotes(
    db: Database,
    slugs: list[str],
    period: Period,
    themes: list[str],
    broad: Mapping[str, str] | None = None,
) -> dict[str, list[tuple[published.PublishedItem, str]]]:
    candidates = await published.quote_candidates(
        db.reader, slugs, period.since, period.until, themes, broad
    )
    excluded: set[int] = set()
    # A text that cannot be shortened at a word boundary is passed over; choosing again
    # without it is rare and cheap.
    while True:
        chosen = choose_quotes(candidates, themes, excluded)
        ids = sorted({c.id for picks in chosen.values() for c in picks})
        found = await published.texts(db.reader, ids)
        unusable = {i for i in ids if i not in found or shorten(found[i].text, QUOTE_MAX) is None}
        # The same words twice (a copy, a template) say nothing new: keep the first chosen.
        seen: set[str] = set()
        for picks in chosen.values():
            for pick in picks:
                if pick.id in found and pick.id not in unusable:
                    words = " ".join(found[pick.id].text.split()).casefold()
                    if words in seen:
                        unusable.add(pick.id)
                    seen.add(words)
        if not unusable:
            break
        excluded |= unusable
    return {
        theme: [(found[c.id], shorten(found[c.id].text, QUOTE_MAX) or "") for c in picks]
        for theme, picks in chosen.items()
    }


def _chart_bars(facts: _Facts) -> list[charts.Bar]:
    # With sub-themes, the bars are the broad themes, as the text lists them.
    now, before = facts.now.by_theme, facts.before.by_theme
    if facts.sub_themes:
        now, before = facts.grouped(facts.now), facts.grouped(facts.before)
    themes = _ranked(now, before, facts.labels)
    # The largest of either period, so a theme that vanished still shows its old bar.
    themes.sort(key=lambda t: -max(now.get(t, 0), before.get(t, 0)))
    return [
        charts.Bar(" ".join(facts.label(t).split())[:60], now.get(t, 0), before.get(t, 0))
        for t in themes[:CHART_THEMES]
    ]

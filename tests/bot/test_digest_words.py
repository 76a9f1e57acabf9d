"""How digests read: the rest of a long list, charts that say what they show, dates and
schedules in words, and every word from the one catalogue (handlers/texts.py)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from bot import asks, charts, dates
from bot import digest_content as dc
from bot import evidence as ev
from handlers import texts
from storage.db import Database
from tests.bot.test_digest_content import LABELS, Spec, build, day, seed, visible


async def test_the_rest_of_a_long_list_says_what_it_counts(db: Database) -> None:
    themes = [f"theme_{n}" for n in range(dc.MAX_THEMES + 2)]
    labels = {**LABELS, **{t: f"Theme {n}" for n, t in enumerate(themes)}}
    # Theme n has n + 1 items, so the two smallest (1 and 2 items) are the ones left over.
    specs = [
        Spec(f"about {theme} {k}", day(1), themes=((theme, 0.9),))
        for n, theme in enumerate(themes)
        for k in range(n + 1)
    ]
    await seed(db, specs)
    text = visible((await build(db, labels=labels)).text)
    assert "…and" not in text
    assert "• 2 other themes: 3 items" in text


async def test_one_other_theme_is_singular(db: Database) -> None:
    themes = [f"theme_{n}" for n in range(dc.MAX_THEMES + 1)]
    labels = {**LABELS, **{t: f"Theme {n}" for n, t in enumerate(themes)}}
    specs = [
        Spec(f"about {theme} {k}", day(1), themes=((theme, 0.9),))
        for n, theme in enumerate(themes)
        for k in range(n + 1)
    ]
    await seed(db, specs)
    text = visible((await build(db, labels=labels)).text)
    assert "• 1 other theme: 1 item" in text


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_a_chart_without_a_period_before_has_no_legend_for_it() -> None:
    first = [charts.Bar("Access", 3, 0), charts.Bar("Staff", 1, 0)]
    png = charts.theme_chart(first, title="T", now_label="This period", before_label="Before")
    assert _rgb(charts.BEFORE_COLOUR) not in _colours(png)
    both = [charts.Bar("Access", 3, 2)]
    png = charts.theme_chart(both, title="T", now_label="This period", before_label="Before")
    assert _rgb(charts.BEFORE_COLOUR) in _colours(png)


def test_a_share_chart_without_any_change_figure_has_no_legend_for_it() -> None:
    rows = [charts.Shares("Library", 0.5, None), charts.Shares("Parks", 0.25, None)]
    png = charts.share_chart(rows, title="T", first_label="Covered", second_label="Changed")
    assert _rgb(charts.CHANGED_COLOUR) not in _colours(png)


async def test_the_digest_chart_carries_the_providers_name_and_an_axis(db: Database) -> None:
    await seed(db, [Spec("slow queue", day(1))])
    one = (await build(db)).chart_png
    other = (await build(db, provider=dc.Provider(id="x", name="Another Name"))).chart_png
    assert one and other and one != other  # the same figures, a different name in the title
    assert texts.DIGEST["chart_title"] == "{provider}: themes, {dates}"
    assert texts.DIGEST["chart_axis"]
    # Room under the bars for the axis and what it measures.
    height = Image.open(io.BytesIO(one)).size[1]
    assert height == charts.TOP + charts.ROW + charts.MARGIN + charts.AXIS


def test_a_share_chart_shows_counts_beside_percentages() -> None:
    period = dc.Period(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))

    def figures(items: int, covered: int) -> ev.Figures:
        return ev.Figures("library", "Library", items, covered, 1.0, 0, 0, 0)

    # 50% both times, of different counts: the pictures differ because the counts show.
    half_of_two = ev.chart_png(ev.Evidence(period, (figures(2, 1),), figures(2, 1)))
    half_of_ten = ev.chart_png(ev.Evidence(period, (figures(10, 5),), figures(10, 5)))
    assert half_of_two != half_of_ten
    titled = ev.chart_png(ev.Evidence(period, (figures(2, 1),), figures(2, 1)), provider="Team")
    assert titled != half_of_two


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        (date(2026, 12, 4), date(2026, 12, 4), "4 Dec 2026"),
        (date(2026, 12, 4), date(2026, 12, 11), "4–11 Dec 2026"),
        (date(2026, 11, 30), date(2026, 12, 6), "30 Nov – 6 Dec 2026"),
        (date(2026, 12, 28), date(2027, 1, 3), "28 Dec 2026 – 3 Jan 2027"),
    ],
)
def test_days_in_one_format(first: date, last: date, shown: str) -> None:
    assert dates.days(first, last) == shown


def test_moments_and_stored_stamps() -> None:
    assert dates.day("2026-12-04T09:30:00.000000+00:00") == "4 Dec 2026"
    assert dates.day_time("2026-12-04T09:30:00+00:00") == "4 Dec 2026, 09:30"
    assert dates.day_time(datetime(2026, 7, 1, 8, tzinfo=UTC), dates.ZoneInfo("Europe/London")) == (
        "1 Jul 2026, 09:00"
    )


@pytest.mark.parametrize(
    ("cron", "zone", "words"),
    [
        ("0 17 * * fri", "Europe/London", "Fridays at 17:00 (London time)"),
        ("0 9 * * mon", "Europe/London", "Mondays at 09:00 (London time)"),
        ("30 8 * * 1,4", "America/New_York", "Mondays and Thursdays at 08:30 (New York time)"),
        ("0 9 * * mon-fri", "Europe/London", "Monday to Friday at 09:00 (London time)"),
        ("0 9 * * *", "UTC", "Every day at 09:00 (UTC)"),
        ("0 6 1 * *", "Europe/London", "On the 1st of each month at 06:00 (London time)"),
        ("0 6 22 * *", "Europe/London", "On the 22nd of each month at 06:00 (London time)"),
        ("*/30 9-17 * * mon", "Europe/London", "On the schedule “*/30 9-17 * * mon” (London time)"),
    ],
)
def test_a_schedule_in_words(cron: str, zone: str, words: str) -> None:
    assert dates.schedule(cron, zone) == words


def test_the_core_reads_its_words_from_the_one_catalogue() -> None:
    for module, table in ((dc, "DIGEST"), (ev, "EVIDENCE"), (asks, "ASK_LINES")):
        catalogue = getattr(texts, table)
        assert dict(module.TEXTS) == catalogue, module.__name__
        assert (
            module.TEXTS["csv_header" if module is not asks else "heading"]
            is (catalogue["csv_header" if module is not asks else "heading"])
        )
    assert dict(dc.KINDS) == texts.DIGEST_KINDS

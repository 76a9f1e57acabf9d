"""Charts draw every script they are given: Urdu's letters in a font that has them, in
right-to-left order, Latin beside them in DejaVu."""

from __future__ import annotations

from pathlib import Path

from bot.charts import Bar, _runs, _visual, theme_chart


def _file(font: object) -> str:
    return Path(str(getattr(font, "path", ""))).name


def test_a_text_is_cut_where_the_script_changes() -> None:
    assert _runs("عملے کا رویہ (NHS)") == [("عملے کا رویہ ", True), ("(NHS)", False)]
    assert _runs("Staff") == [("Staff", False)]


def test_right_to_left_words_are_laid_out_from_the_right() -> None:
    runs = _visual("موضوعات: اس ہفتے", 13, False)
    assert [words.strip() for words, _ in runs] == ["اس ہفتے", ":", "موضوعات"]
    assert [_file(font) for _, font in runs] == [
        "NotoSansArabic-Regular.ttf",
        "DejaVuSans.ttf",
        "NotoSansArabic-Regular.ttf",
    ]
    # Left-to-right words keep their order, whatever script is inside.
    mixed = _visual("Staff اردو mixed", 13, True)
    assert [words.strip() for words, _ in mixed] == ["Staff", "اردو", "mixed"]
    assert _file(mixed[1][1]) == "NotoSansArabic-Bold.ttf"


def test_a_chart_in_urdu_is_drawn() -> None:
    png = theme_chart(
        [Bar("عملے کا رویہ اور بات چیت", 5, 3), Bar("Gwastraff ac ailgylchu", 4, 1)],
        title="موضوعات: اس ہفتے بمقابلہ پچھلے ہفتے",
        now_label="یہ ہفتہ",
        before_label="پچھلا ہفتہ",
        axis="آراء کی تعداد",
    )
    assert png.startswith(b"\x89PNG")

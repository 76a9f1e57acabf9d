"""The themes heard, as the saved message shows them: short names in the reader's language,
the fix button, and buttons whose data Telegram takes."""

from __future__ import annotations

from bot.heard import Heard
from bot.i18n import speaking
from bot.intake import Show, Step
from handlers import texts
from handlers.citizen import render, theme_keyboard
from storage.services import ServiceRow

LIBRARY = ServiceRow("library", "Central Library", "", "culture")
LABELS = {"access_waiting": "Access and waiting times", "local_theme": "A deployment's own"}


def saved(heard: tuple[str, ...] | None) -> Step:
    return Step(Show.SAVED, reference=12, service=LIBRARY, heard=heard)


def test_the_line_names_the_themes_heard_in_the_readers_language() -> None:
    text, markup = render(saved(("access_waiting", "local_theme")), labels=LABELS)
    assert "🏷 I heard: Waiting times, A deployment's own." in text
    assert markup is not None and markup.inline_keyboard[0][0].text == texts.HEARD_FIX
    assert markup.inline_keyboard[0][0].callback_data == "e:12:o"
    with speaking("cy"):
        text, markup = render(saved(("access_waiting",)), labels=LABELS)
        assert "Amseroedd aros" in text and "Waiting times" not in text
        assert markup is not None and markup.inline_keyboard[0][0].text == texts.HEARD_FIX
        assert texts.HEARD_FIX != "🏷 Not quite? Fix the themes"


def test_nothing_heard_offers_to_add_one_and_unknown_shows_no_line() -> None:
    text, markup = render(saved(()), labels=LABELS)
    assert texts.HEARD_NONE.strip() in text
    assert markup is not None and markup.inline_keyboard[0][0].text == texts.HEARD_ADD
    text, markup = render(saved(None), labels=LABELS)
    assert "🏷" not in text and markup is None


def test_the_keyboard_ticks_what_is_heard_and_keeps_data_within_64_bytes() -> None:
    broad = ["access_waiting", "safety", "x" * 60]
    markup = theme_keyboard(Heard(2**62, ("safety",)), broad, LABELS)
    rows = markup.inline_keyboard
    assert [b.text for b in rows[0]] == ["Waiting times", "✓ Safety"]
    assert [b.callback_data for b in rows[0]] == [
        f"e:{2**62}:1:access_waiting",
        f"e:{2**62}:0:safety",
    ]
    # A theme whose id would not fit Telegram's 64 bytes is left off, not sent to fail.
    assert [b.text for b in rows[-1]] == [texts.HEARD_DONE] and len(rows) == 2
    assert all(len((b.callback_data or "").encode()) <= 64 for row in rows for b in row)


def test_each_short_name_reads_as_one_theme_in_the_comma_separated_line() -> None:
    """The line "I heard: Accessibility, Cleanliness, facilities" read as three themes: no
    short name may hold the separator the line puts between themes, in any language."""
    for language in ("en", "cy", "pl", "ur"):
        with speaking(language):
            for theme, short in texts.THEME_SHORT.items():
                assert "," not in short and "،" not in short, (language, theme, short)
    text, _ = render(saved(("accessibility", "environment")), labels=LABELS)
    assert "🏷 I heard: Accessibility, Cleanliness and facilities." in text

"""A person's text never turns the direction of the line around it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.bidi import balanced, isolate

RLO, LRO, RLE, PDF = "\u202e", "\u202d", "\u202b", "\u202c"
RLI, FSI, PDI = "\u2067", "\u2068", "\u2069"
OPENERS = {"\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068"}
CLOSERS = {PDF, PDI}


def depth_never_leaks(text: str) -> bool:
    """Every opener is closed on its own line and no closer closes what it did not open."""
    for line in text.split("\n"):
        stack: list[str] = []
        for char in line:
            if char in OPENERS:
                stack.append(char)
            elif char == PDF:
                if not stack or stack[-1] in {RLI, FSI, "\u2066"}:
                    return False
                stack.pop()
            elif char == PDI:
                if not stack or stack[-1] not in {RLI, FSI, "\u2066"}:
                    return False
                stack.pop()
        if stack:
            return False
    return True


def test_an_unclosed_override_is_dropped_and_the_text_isolated() -> None:
    assert isolate(f"abc{RLO}def") == f"{FSI}abcdef{PDI}"


def test_balanced_controls_stay_and_stray_closers_go() -> None:
    assert balanced(f"{RLE}x{PDF}y{PDF}{PDI}z") == f"{RLE}x{PDF}yz"
    assert balanced(f"{RLI}a{RLO}b{PDI}c") == f"{RLI}ab{PDI}c"  # the override inside is unclosed


def test_each_line_is_isolated_on_its_own() -> None:
    assert isolate(f"one{RLO}\ntwo") == f"{FSI}one{PDI}\n{FSI}two{PDI}"


def test_arabic_text_is_kept_whole() -> None:
    assert isolate("مرحبا بالعالم") == f"{FSI}مرحبا بالعالم{PDI}"
    assert isolate("") == ""


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from([*OPENERS, *CLOSERS, "a", "ب", " ", "\n"]), max_size=60))
def test_nothing_leaks_out_of_any_text(text: str) -> None:
    kept = isolate(text)
    assert depth_never_leaks(kept)
    # Only direction controls were dropped.
    plain = {*OPENERS, *CLOSERS}
    assert [c for c in kept if c not in plain] == [c for c in text if c not in plain]

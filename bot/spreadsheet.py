"""The cells of every CSV file the bot writes for people to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable

# A cell starting with one of these runs as a formula in Excel, LibreOffice or Google Sheets
# (OWASP, "CSV Injection"): a citizen's "=HYPERLINK(...)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """Text as a spreadsheet shows it and never runs it: a leading single quote where it would
    start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def row(values: Iterable[object]) -> list[object]:
    """A row of a CSV file with each text cell defused (numbers and empty cells as they are)."""
    return [cell(value) if isinstance(value, str) else value for value in values]

"""Every kind of button has its own callback prefix: two kinds on one prefix would send one's
presses to the other's handler (a "me too" join and a transcript answer once shared "t")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_two_button_prefixes_are_the_same() -> None:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "handlers").glob("*.py")):
        for name, value in re.findall(r'^([A-Z_]*PREFIX) = "([^"]+)"', path.read_text(), re.M):
            found.setdefault(value, []).append(f"{path.name}:{name}")
    shared = {value: names for value, names in found.items() if len(names) > 1}
    assert not shared, shared
    assert len(found) >= 10

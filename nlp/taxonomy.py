"""The taxonomy of themes: loading and checking the data file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.toml")
_THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed."""


@dataclass(frozen=True)
class Theme:
    """One theme: what people read, and the phrases that mark it."""

    id: str
    label: str
    description: str
    patterns: tuple[str, ...]
    nhs_labels: tuple[str, ...] = field(default=())


def themes_from_dict(data: dict[str, Any]) -> dict[str, Theme]:
    """Check and convert the parsed taxonomy (the `themes` table) into Theme objects."""
    raw = data.get("themes")
    if not isinstance(raw, dict) or not raw:
        raise TaxonomyError("the taxonomy needs a non-empty [themes] table")
    themes: dict[str, Theme] = {}
    for theme_id, entry in raw.items():
        if not _THEME_ID.match(theme_id):
            raise TaxonomyError(f"theme id {theme_id!r}: use lower case, digits and _")
        for key in ("label", "description"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise TaxonomyError(f"theme {theme_id!r}: {key} must be a non-empty string")
        patterns = entry.get("patterns")
        if not isinstance(patterns, list) or not patterns:
            raise TaxonomyError(f"theme {theme_id!r}: patterns must be a non-empty list")
        if not all(isinstance(p, str) and p.strip() for p in patterns):
            raise TaxonomyError(f"theme {theme_id!r}: every pattern must be a non-empty string")
        nhs = entry.get("nhs_labels", [])
        if not isinstance(nhs, list) or not all(isinstance(x, str) for x in nhs):
            raise TaxonomyError(f"theme {theme_id!r}: nhs_labels must be a list of strings")
        themes[theme_id] = Theme(
            id=theme_id,
            label=entry["label"].strip(),
            description=entry["description"].strip(),
            patterns=tuple(p.strip() for p in patterns),
            nhs_labels=tuple(nhs),
        )
    return themes


def load_taxonomy(path: Path | str | None = None) -> dict[str, Theme]:
    """Read and check a taxonomy TOML file (the default one when path is None)."""
    path = Path(path) if path else DEFAULT_TAXONOMY
    with path.open("rb") as f:
        return themes_from_dict(tomllib.load(f))


def theme_to_dict(theme: Theme) -> dict[str, Any]:
    """The TOML/JSON form of a theme (without its id)."""
    return {
        "label": theme.label,
        "description": theme.description,
        "patterns": list(theme.patterns),
        "nhs_labels": list(theme.nhs_labels),
    }


def label_mapping(themes: dict[str, Theme]) -> dict[str, list[str]]:
    """External (NHS) label -> the theme ids it maps onto."""
    mapping: dict[str, list[str]] = {}
    for theme in themes.values():
        for label in theme.nhs_labels:
            mapping.setdefault(label, []).append(theme.id)
    return mapping

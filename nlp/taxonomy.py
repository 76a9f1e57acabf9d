"""The taxonomy of themes: loading and checking the data file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.toml")
_THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PHRASE_LISTS = ("patterns", "cues", "not_patterns")
# `patterns_<language>`: a language code of two or three letters.
_LOCAL_PATTERNS = re.compile(r"^patterns_([a-z]{2,3})$")
_LOCAL_LABEL = re.compile(r"^label_([a-z]{2,3})$")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed."""


@dataclass(frozen=True)
class Theme:
    """One theme: what people read, and the phrases that mark it."""

    id: str
    label: str
    description: str
    # Unambiguous phrases: enough on their own where the model knows little of the theme.
    patterns: tuple[str, ...]
    nhs_labels: tuple[str, ...] = field(default=())
    # Words with other senses too: they only lower the bar the model must clear.
    cues: tuple[str, ...] = field(default=())
    # Phrases of other senses ("cut my knee"): a pattern or cue inside one does not count.
    not_patterns: tuple[str, ...] = field(default=())
    # For a sub-theme, the top-level theme it belongs to (and implies).
    broad: str | None = None
    # Given only when no other theme is (e.g. overall: general praise or criticism).
    only_alone: bool = False
    # Patterns in other languages (`patterns_cy = [...]`): (language, phrases), for items
    # written in a language the model does not know (nlp.language_themes).
    patterns_in: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    # The label in other languages (`label_cy = "..."`): (language, label).
    labels_in: tuple[tuple[str, str], ...] = field(default=())

    def patterns_for(self, language: str) -> tuple[str, ...]:
        """The patterns given for `language` (none when the taxonomy has none)."""
        return next((p for lang, p in self.patterns_in if lang == language), ())


def _phrases(theme_id: str, entry: dict[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise TaxonomyError(f"theme {theme_id!r}: {key} must be a list of non-empty strings")
    return tuple(p.strip() for p in value)


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
        patterns, cues, not_patterns = (_phrases(theme_id, entry, k) for k in _PHRASE_LISTS)
        if not patterns:
            raise TaxonomyError(f"theme {theme_id!r}: patterns must be a non-empty list")
        nhs = entry.get("nhs_labels", [])
        if not isinstance(nhs, list) or not all(isinstance(x, str) for x in nhs):
            raise TaxonomyError(f"theme {theme_id!r}: nhs_labels must be a list of strings")
        broad = entry.get("broad")
        if broad is not None and (not isinstance(broad, str) or not broad.strip()):
            raise TaxonomyError(f"theme {theme_id!r}: broad must be a theme id")
        only_alone = entry.get("only_alone", False)
        if not isinstance(only_alone, bool):
            raise TaxonomyError(f"theme {theme_id!r}: only_alone must be true or false")
        patterns_in = tuple(
            (found.group(1), _phrases(theme_id, entry, key))
            for key in entry
            if (found := _LOCAL_PATTERNS.match(key))
        )
        labels_in = []
        for key, value in entry.items():
            if found := _LOCAL_LABEL.match(key):
                if not isinstance(value, str) or not value.strip():
                    raise TaxonomyError(f"theme {theme_id!r}: {key} must be a non-empty string")
                labels_in.append((found.group(1), value.strip()))
        themes[theme_id] = Theme(
            id=theme_id,
            label=entry["label"].strip(),
            description=entry["description"].strip(),
            patterns=patterns,
            nhs_labels=tuple(nhs),
            cues=cues,
            not_patterns=not_patterns,
            broad=broad.strip() if broad else None,
            only_alone=only_alone,
            patterns_in=patterns_in,
            labels_in=tuple(labels_in),
        )
    _check_broad(themes)
    return themes


def _check_broad(themes: dict[str, Theme]) -> None:
    # Two levels only: a sub-theme names a top-level theme, which names none itself.
    for theme in themes.values():
        if theme.broad is None:
            continue
        parent = themes.get(theme.broad)
        if parent is None:
            raise TaxonomyError(f"theme {theme.id!r}: broad theme {theme.broad!r} is not defined")
        if parent.broad is not None:
            raise TaxonomyError(
                f"theme {theme.id!r}: broad theme {theme.broad!r} is itself a sub-theme"
            )
        if theme.nhs_labels:
            raise TaxonomyError(f"theme {theme.id!r}: a sub-theme takes no nhs_labels")


def load_taxonomy(path: Path | str | None = None) -> dict[str, Theme]:
    """Read and check a taxonomy TOML file (the default one when path is None)."""
    path = Path(path) if path else DEFAULT_TAXONOMY
    with path.open("rb") as f:
        return themes_from_dict(tomllib.load(f))


def theme_to_dict(theme: Theme) -> dict[str, Any]:
    """The TOML/JSON form of a theme (without its id)."""
    data: dict[str, Any] = {
        "label": theme.label,
        "description": theme.description,
        "patterns": list(theme.patterns),
        "nhs_labels": list(theme.nhs_labels),
        "cues": list(theme.cues),
        "not_patterns": list(theme.not_patterns),
        "only_alone": theme.only_alone,
    }
    if theme.broad:
        data["broad"] = theme.broad
    for language, phrases in theme.patterns_in:
        data[f"patterns_{language}"] = list(phrases)
    for language, label in theme.labels_in:
        data[f"label_{language}"] = label
    return data


def label_translations(themes: dict[str, Theme]) -> dict[str, dict[str, str]]:
    """{language: {theme id: label}} for every label the taxonomy gives in another language."""
    found: dict[str, dict[str, str]] = {}
    for theme in themes.values():
        for language, label in theme.labels_in:
            found.setdefault(language, {})[theme.id] = label
    return found


def top_level(themes: dict[str, Theme]) -> list[str]:
    """The ids of the broad themes (those without a `broad` of their own), in file order."""
    return [t.id for t in themes.values() if t.broad is None]


def broad_of(themes: dict[str, Theme]) -> dict[str, str]:
    """Sub-theme id -> the id of the broad theme it counts under."""
    return {t.id: t.broad for t in themes.values() if t.broad and t.broad != t.id}


def label_mapping(themes: dict[str, Theme]) -> dict[str, list[str]]:
    """External (NHS) label -> the theme ids it maps onto."""
    mapping: dict[str, list[str]] = {}
    for theme in themes.values():
        for label in theme.nhs_labels:
            mapping.setdefault(label, []).append(theme.id)
    return mapping

"""How well the language detector tells short texts apart (`python -m nlp language-eval`).

The set (nlp/eval/languages.jsonl) is written by hand: short messages as people write to a
council bot, at least 40 each in English, Welsh, Polish and Urdu and 15 each in Punjabi
(Gurmukhi), Bengali, Arabic and Romanian, plus tricky lines (a `case`: very short, Welsh
place names in English, mixed English and Welsh, typos, no diacritics, Roman Urdu).
Detection chooses among the deployment-like candidates: English, Welsh and the community
languages of nlp.language.COMMUNITY.

Other detectors can be measured beside the shipped one when installed
(`--detector lingua`, `--detector langdetect`); they are not dependencies.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from nlp import language

LANGUAGES_SET = Path(__file__).parent / "eval" / "languages.jsonl"
CANDIDATES = ("en", "cy", *language.COMMUNITY)

Detect = Callable[[str], tuple[str, float]]


def _rss() -> int | None:
    """This process's resident memory in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _size(package: str) -> int | None:
    """Bytes a package takes on disk, or None when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    total = 0
    for folder in spec.submodule_search_locations:
        for root, _dirs, files in os.walk(folder):
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _py3langid(candidates: tuple[str, ...], threshold: float) -> tuple[Detect, str]:
    language.warm(candidates)
    return (lambda text: language.detect(text, candidates, threshold)), "py3langid"


def _lingua(candidates: tuple[str, ...], threshold: float) -> tuple[Detect, str]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
        for c in candidates
        if hasattr(IsoCode639_1, c.upper())
    ]
    detector = LanguageDetectorBuilder.from_languages(*langs).build()

    def detect(text: str) -> tuple[str, float]:
        values = detector.compute_language_confidence_values(text)
        if not values:
            return language.UNDETERMINED, 0.0
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        return (code if best.value >= threshold else language.UNDETERMINED), best.value

    detect("warm up")
    return detect, "lingua"


def _langdetect(candidates: tuple[str, ...], threshold: float) -> tuple[Detect, str]:
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    detector_factory.init_factory()
    factory = detector_factory._factory

    def detect(text: str) -> tuple[str, float]:
        d = factory.create()
        d.append(text)
        try:
            found = [p for p in d.get_probabilities() if p.lang in candidates]
        except LangDetectException:
            return language.UNDETERMINED, 0.0
        if not found:
            return language.UNDETERMINED, 0.0
        best = found[0]
        return (best.lang if best.prob >= threshold else language.UNDETERMINED), best.prob

    detect("warm up")
    return detect, "langdetect"


DETECTORS = {"py3langid": _py3langid, "lingua": _lingua, "langdetect": _langdetect}


def _band(text: str) -> str:
    words = len(text.split())
    return "1-2 words" if words <= 2 else "3-5 words" if words <= 5 else "6+ words"


def _share(hits: Iterable[bool]) -> dict[str, float | int]:
    hits = list(hits)
    return {"n": len(hits), "accuracy": round(sum(hits) / len(hits), 3) if hits else 0.0}


def evaluate(
    detector: str = "py3langid",
    path: Path = LANGUAGES_SET,
    candidates: tuple[str, ...] = CANDIDATES,
    threshold: float = language.THRESHOLD,
) -> dict[str, object]:
    """Accuracy overall, per language, by length and per tricky case; how often it said
    "und" and how often it was wrong while sure; load time, memory and speed."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    before = _rss()
    started = time.perf_counter()
    detect, package = DETECTORS[detector](candidates, threshold)
    load_seconds = time.perf_counter() - started
    after = _rss()
    started = time.perf_counter()
    answers = [detect(row["text"])[0] for row in rows]
    seconds = time.perf_counter() - started

    main = [(row, answer) for row, answer in zip(rows, answers, strict=True) if "case" not in row]
    tricky = [(row, answer) for row, answer in zip(rows, answers, strict=True) if "case" in row]
    per_language: dict[str, list[bool]] = defaultdict(list)
    per_band: dict[str, list[bool]] = defaultdict(list)
    per_case: dict[str, list[bool]] = defaultdict(list)
    for row, answer in main:
        per_language[row["language"]].append(answer == row["language"])
        per_band[_band(row["text"])].append(answer == row["language"])
    for row, answer in tricky:
        per_case[row["case"]].append(answer == row["language"])
    everything = main + tricky
    mistakes = [
        {"text": row["text"], "expected": row["language"], "detected": answer}
        for row, answer in everything
        if answer != row["language"]
    ]
    size = _size(package)
    return {
        "detector": detector,
        "threshold": threshold,
        "candidates": list(candidates),
        "texts": len(rows),
        "overall": _share(answer == row["language"] for row, answer in main),
        "per_language": {k: _share(v) for k, v in per_language.items()},
        "by_length": {k: _share(v) for k, v in sorted(per_band.items())},
        "tricky": _share(answer == row["language"] for row, answer in tricky),
        "tricky_by_case": {k: _share(v) for k, v in per_case.items()},
        "undetermined": sum(a == language.UNDETERMINED for _, a in everything),
        "wrong_while_sure": sum(
            a != language.UNDETERMINED and a != row["language"] for row, a in everything
        ),
        "install_mb": round(size / 2**20, 1) if size is not None else None,
        "load_seconds": round(load_seconds, 3),
        "memory_mb": round((after - before) / 2**20, 1) if before and after else None,
        "ms_per_text": round(seconds / len(rows) * 1000, 3),
        "mistakes": mistakes,
    }

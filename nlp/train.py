"""Train and evaluate the theme pipeline on a CSV of labelled feedback."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from spacy.language import Language

from nlp.classifier import ThemeClassifier, doc_views
from nlp.kind import KINDS, RATED_WEIGHT, FeedbackKind
from nlp.learn import n_fits
from nlp.pipeline import Analysis, build, load
from nlp.taxonomy import load_taxonomy

NHS_DATA = Path(__file__).parent / "data" / "nhs-fft-themes" / "train.csv"
# Rated feedback teaches complaint against compliment: 1-2 of 5 is very/fairly positive in
# the NHS data (1 = very positive), 4-5 negative; 3 (mixed) is left out.
POSITIVE_SENTIMENT = {"1", "2"}
NEGATIVE_SENTIMENT = {"4", "5"}


@dataclass
class Example:
    """One labelled text; sentiment and kind are optional, for the kind classifier."""

    text: str
    labels: list[str]
    sentiment: str = ""
    kind: str = ""
    # Every kind that applies (mixed feedback has several), and the service family, where known.
    kinds: list[str] = field(default_factory=list)
    family: str = ""


def read_csv(
    path: Path | str, text_column: str = "text", label_column: str = "labels", sep: str = ";"
) -> list[Example]:
    """Read labelled texts from a CSV; labels are separated by sep, empty texts skipped."""
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        try:
            fieldnames = reader.fieldnames
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from None
        missing = {text_column, label_column} - set(fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        rows = []
        for row in _rows(reader, path):
            text = (row[text_column] or "").strip()
            if not text:
                continue
            labels = [lab.strip() for lab in (row[label_column] or "").split(sep) if lab.strip()]
            rows.append(
                Example(
                    text=text,
                    labels=sorted(set(labels)),
                    sentiment=(row.get("sentiment") or "").strip(),
                    kind=(row.get("kind") or "").strip().lower(),
                )
            )
    return rows


def _rows(reader: csv.DictReader[str], path: Path | str) -> Iterator[dict[str, str]]:
    """The rows of a CSV, a file that is not UTF-8 or not CSV named as such."""
    try:
        yield from reader
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise ValueError(f"{path}:{reader.line_num}: {exc}") from None


def map_labels(examples: list[Example], taxonomy: Path | str | None) -> list[Example]:
    """Replace external (NHS) labels by the taxonomy themes they map onto; drop the others."""
    themes = load_taxonomy(taxonomy)
    mapping: dict[str, set[str]] = {}
    for theme in themes.values():
        for label in theme.nhs_labels:
            mapping.setdefault(label, set()).add(theme.id)
    out = []
    for ex in examples:
        mapped = {t for lab in ex.labels for t in mapping.get(lab, {lab} & set(themes))}
        out.append(Example(ex.text, sorted(mapped), ex.sentiment, ex.kind, ex.kinds, ex.family))
    return out


@dataclass
class KindData:
    """Texts for the kind model with their kinds; complete means all four kinds were judged
    (a kinds list or kind column), not only a rating given (which teaches polarity only)."""

    texts: list[str] = field(default_factory=list)
    kinds: list[list[str]] = field(default_factory=list)
    complete: list[bool] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def add(self, text: str, kinds: list[str], complete: bool, weight: float) -> None:
        """Add one text."""
        self.texts.append(text)
        self.kinds.append(kinds)
        self.complete.append(complete)
        self.weights.append(weight)


def kind_examples(examples: list[Example], data: KindData | None = None) -> KindData:
    """The examples that teach the kind model: judged kinds first, else a rating."""
    data = data if data is not None else KindData()
    for ex in examples:
        if ex.kinds or ex.kind in KINDS:
            data.add(ex.text, list(ex.kinds) or [ex.kind], True, 1.0)
        elif ex.sentiment in POSITIVE_SENTIMENT | NEGATIVE_SENTIMENT:
            polar = "compliment" if ex.sentiment in POSITIVE_SENTIMENT else "complaint"
            data.add(ex.text, [polar], False, RATED_WEIGHT)
    return data


def fit_kinds(nlp: Language, examples: list[Example], seed: int = 0) -> None:
    """Fit the kind component on the examples' kinds and ratings, adding the shipped rated
    NHS comments and the services train split where the examples lack either."""
    from nlp.corpus import services_examples

    data = kind_examples(examples)
    # Both sources teach: ratings give breadth of praise and blame, the services messages
    # questions, suggestions, sarcasm and the words of councils (never their dev split).
    if sum(not c for c in data.complete) < 50:
        kind_examples(read_csv(NHS_DATA), data)
    if sum(data.complete) < 50:
        kind_examples(services_examples("train"), data)
    kind = cast(FeedbackKind, nlp.get_pipe("feedback_kind"))
    with nlp.select_pipes(enable=["lemmatizer"]):
        views = [kind.views(doc) for doc in nlp.pipe(data.texts)]
    kind.fit(views, data.kinds, data.complete, data.weights, seed=seed)


def train(
    examples: list[Example],
    out: Path | str | None = None,
    *,
    taxonomy: Path | str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Language:
    """Build, fit and (when out is given) save the pipeline; returns it."""
    from tqdm import tqdm

    if not examples:
        raise ValueError("no training texts")
    nlp = build(taxonomy=taxonomy)
    clf = cast(ThemeClassifier, nlp.get_pipe("theme_classifier"))
    # Features come from the components before the classifier (lemmas and rule hits).
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        views = [
            doc_views(doc, sentences=clf.sentence_weight > 0)
            for doc in nlp.pipe(ex.text for ex in examples)
        ]
    labels = [ex.labels for ex in examples]
    n_labels = len({lab for labs in labels for lab in labs})
    with tqdm(
        total=n_fits(clf, n_labels, len(examples)),
        desc="training themes",
        unit="fit",
        disable=not progress,
    ) as bar:
        clf.fit(views, labels, seed=seed, progress=bar.update)

    fit_kinds(nlp, examples, seed=seed)

    if out is not None:
        out = Path(out)
        nlp.meta["name"] = "yousaid_themes"
        nlp.meta["description"] = "yousaid themes and kind of feedback"
        nlp.meta["labels_trained"] = {"themes": clf.labels, "n_texts": len(examples)}
        # The config's paths are read only to initialise, never at load: an absolute path
        # there would tie the saved folder to the machine that built it.
        nlp.config["paths"]["taxonomy"] = portable_path(taxonomy)
        nlp.to_disk(out)
    return nlp


def portable_path(path: Path | str | None) -> str | None:
    """A file of this package as a path relative to it (e.g. "taxonomy.toml"), else None."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(Path(__file__).parent.resolve()).as_posix()
    except ValueError:
        return None


def predicted_labels(model: Path | str, texts: Iterable[str]) -> list[list[str]]:
    """The broad theme ids the saved pipeline gives each text (sub-themes count as broad)."""
    return [broad_ids(a) for a in load(Path(model)).analyse(list(texts))]


def broad_ids(analysis: Analysis) -> list[str]:
    """The analysis's themes with each sub-theme replaced by its broad theme, once each."""
    return sorted({hit.broad or hit.id for hit in analysis.themes})


def scores(gold: list[list[str]], predicted: list[list[str]]) -> dict[str, Any]:
    """Micro F1 (all labels), macro F1 (over labels present in gold) and per-label scores."""
    present = sorted({lab for labs in gold for lab in labs})
    every = sorted(set(present) | {lab for labs in predicted for lab in labs})
    counts = {lab: [0, 0, 0] for lab in every}  # tp, fp, fn
    for g, p in zip(gold, predicted, strict=True):
        gs, ps = set(g), set(p)
        for lab in gs & ps:
            counts[lab][0] += 1
        for lab in ps - gs:
            counts[lab][1] += 1
        for lab in gs - ps:
            counts[lab][2] += 1
    per_label = {}
    for lab in every:
        tp, fp, fn = counts[lab]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        per_label[lab] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    macro = float(np.mean([per_label[lab]["f1"] for lab in present])) if present else 0.0
    return {
        "n": len(gold),
        "micro_f1": round(micro, 4),
        "macro_f1": round(macro, 4),
        "micro_precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "micro_recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "labels": per_label,
    }


def evaluate(model: Path | str, examples: list[Example]) -> dict[str, Any]:
    """Score a saved pipeline on labelled texts: scores, theme counts, kinds, per family."""
    started = time.perf_counter()
    analyses = load(Path(model)).analyse([ex.text for ex in examples])
    result = summary(examples, analyses)
    families = sorted({ex.family for ex in examples if ex.family})
    if families:
        result["families"] = {}
        for family in families:
            pairs = [
                (ex, a) for ex, a in zip(examples, analyses, strict=True) if ex.family == family
            ]
            part = summary([ex for ex, _ in pairs], [a for _, a in pairs])
            result["families"][family] = {k: v for k, v in part.items() if k != "labels"}
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def summary(examples: list[Example], analyses: list[Analysis]) -> dict[str, Any]:
    """F1 scores, the shares of texts with no theme and with 4 or more, and kind accuracy."""
    predicted = [broad_ids(a) for a in analyses]
    result = scores([ex.labels for ex in examples], predicted)
    n = max(len(predicted), 1)
    result["no_theme_share"] = round(sum(not p for p in predicted) / n, 4)
    result["four_or_more_share"] = round(sum(len(p) >= 4 for p in predicted) / n, 4)
    # Mixed feedback has several gold kinds: the primary kind predicted must be one of them.
    kinded = [
        (ex.kinds or [ex.kind], a.kind)
        for ex, a in zip(examples, analyses, strict=True)
        if ex.kinds or ex.kind
    ]
    if kinded:
        result["kind_accuracy"] = round(sum(k in gold for gold, k in kinded) / len(kinded), 4)
    return result


def to_json(data: Any) -> str:
    """One line of JSON, keeping non-ASCII text readable."""
    return json.dumps(data, ensure_ascii=False)

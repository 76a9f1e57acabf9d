"""Score the redactor on a labelled evaluation set: recall per kind, leaks, words kept.

The sets live in nlp/eval/ (JSON lines: text, spans with start, end and kind, source).
`python -m nlp evaluate-redaction` prints the figures as JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

EVAL_DIR = Path(__file__).resolve().parent / "eval"
FEEDBACK_SET = EVAL_DIR / "feedback.jsonl"
VARIANTS_SET = EVAL_DIR / "variants.jsonl"

# The kinds a planted span may have. The redactor may name its findings differently;
# a caught span found as another kind still counts as caught, and shows in the confusion.
KINDS = (
    "name",
    "address",
    "postcode",
    "phone",
    "email",
    "url",
    "nhs",
    "ni",
    "card",
    "date_of_birth",
    "bank",
    "vehicle_registration",
    "passport",
    "account_reference",
    "handle",
)
# The issue sets its goals for names, addresses, and everything else together.
GROUPS = {"names": ("name",), "addresses": ("address",)}
STRUCTURED = tuple(k for k in KINDS if k not in ("name", "address"))

# A word: letters or digits, with inner apostrophes ("don't", "O'Brien") kept whole.
_WORD = re.compile(r"\w+(?:['’]\w+)*")
# How many examples `--verbose` lists per kind of leak, and of false redactions.
VERBOSE_LIMIT = 20


@dataclass(frozen=True)
class Planted:
    """One labelled personal detail in an evaluation text."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Item:
    """One evaluation text with its planted details."""

    text: str
    spans: tuple[Planted, ...]
    source: str = ""


class FoundSpan(Protocol):
    """What the scorer needs of a redactor's finding (nlp.redact.Found fits)."""

    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class Redacted(Protocol):
    """What the scorer needs of a redaction (nlp.redact.Redaction fits)."""

    @property
    def spans(self) -> Sequence[FoundSpan]: ...


RedactMany = Callable[[list[str]], Sequence[Redacted]]


class EvalSetError(ValueError):
    """An evaluation set line that does not hold together."""


def check_item(item: Item) -> None:
    """Raise EvalSetError if a span is out of range, empty, space-padded, unknown or overlaps."""
    previous_end = -1
    for span in sorted(item.spans, key=lambda s: s.start):
        if span.kind not in KINDS:
            raise EvalSetError(f"unknown kind {span.kind!r} in {item.text!r}")
        if not 0 <= span.start < span.end <= len(item.text):
            raise EvalSetError(f"span {span.start}-{span.end} outside {item.text!r}")
        piece = item.text[span.start : span.end]
        if piece != piece.strip():
            raise EvalSetError(f"span {piece!r} starts or ends with a space in {item.text!r}")
        if span.start < previous_end:
            raise EvalSetError(f"overlapping spans in {item.text!r}")
        previous_end = span.end


def parse_line(line: str) -> Item:
    """One JSON line of an evaluation set as an Item, checked."""
    record = json.loads(line)
    spans = tuple(Planted(int(s["start"]), int(s["end"]), str(s["kind"])) for s in record["spans"])
    item = Item(str(record["text"]), spans, str(record.get("source", "")))
    check_item(item)
    return item


def load_set(path: Path | str) -> list[Item]:
    """Every item of a JSON-lines evaluation set, checked; blank lines are skipped."""
    items = []
    with Path(path).open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                items.append(parse_line(line))
            except (EvalSetError, KeyError, ValueError) as e:
                raise EvalSetError(f"{path}:{number}: {e}") from e
    return items


def _covered(found: Sequence[FoundSpan], length: int) -> list[str | None]:
    """For each character, the kind of the redaction covering it (None if kept)."""
    cover: list[str | None] = [None] * length
    for span in found:
        for i in range(max(span.start, 0), min(span.end, length)):
            cover[i] = span.kind
    return cover


def _verdict(text: str, span: Planted, cover: list[str | None]) -> tuple[str, str | None]:
    """Whether a planted span is caught, partial or missed, and the kind that covered most of it."""
    # Spaces inside a span ("07700 900123") need not be redacted for it to count as caught.
    positions = [i for i in range(span.start, span.end) if not text[i].isspace()]
    kinds = [cover[i] for i in positions]
    hit = [k for k in kinds if k is not None]
    if not hit:
        return "missed", None
    main_kind = Counter(hit).most_common(1)[0][0]
    return ("caught" if len(hit) == len(kinds) else "partial"), main_kind


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(
    items: Sequence[Item], redactions: Sequence[Redacted], verbose: bool = False
) -> dict[str, Any]:
    """Recall per kind, leaks, confusion and words kept of redactions against planted spans."""
    if len(items) != len(redactions):
        raise ValueError(f"{len(items)} items but {len(redactions)} redactions")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    leaks: dict[str, list[dict[str, str]]] = defaultdict(list)
    words_total = words_kept = 0
    plain_total = plain_kept = 0
    false_redactions: list[dict[str, Any]] = []
    for item, redaction in zip(items, redactions, strict=True):
        found = list(redaction.spans)
        cover = _covered(found, len(item.text))
        for span in item.spans:
            verdict, kind = _verdict(item.text, span, cover)
            counts[span.kind][verdict] += 1
            if kind is not None:
                confusion[span.kind][kind] += 1
            if verdict != "caught" and len(leaks[span.kind]) < VERBOSE_LIMIT:
                leaks[span.kind].append(
                    {"span": item.text[span.start : span.end], "as": verdict, "text": item.text}
                )
        planted = [False] * len(item.text)
        for span in item.spans:
            for i in range(span.start, span.end):
                planted[i] = True
        for word in _WORD.finditer(item.text):
            if any(planted[word.start() : word.end()]):
                continue
            kept = not any(c is not None for c in cover[word.start() : word.end()])
            words_total += 1
            words_kept += kept
            if not item.spans:
                plain_total += 1
                plain_kept += kept
        for f in found:
            # A finding that touches no planted span removed something ordinary.
            if not any(planted[max(f.start, 0) : f.end]):
                false_redactions.append(
                    {"kind": f.kind, "span": item.text[f.start : f.end], "text": item.text}
                )

    def recall_of(kinds: Iterable[str]) -> dict[str, Any]:
        total = Counter[str]()
        for k in kinds:
            total.update(counts.get(k, Counter()))
        n = total["caught"] + total["partial"] + total["missed"]
        return {
            "planted": n,
            "caught": total["caught"],
            "partial": total["partial"],
            "missed": total["missed"],
            "recall": _ratio(total["caught"], n),
        }

    per_kind = {k: recall_of([k]) for k in KINDS if counts.get(k)}
    overall = recall_of(KINDS)
    groups = {name: recall_of(kinds) for name, kinds in GROUPS.items()}
    groups["structured"] = recall_of(STRUCTURED)
    groups = {name: group for name, group in groups.items() if group["planted"]}
    result: dict[str, Any] = {
        "lines": len(items),
        "lines_without_identifiers": sum(1 for i in items if not i.spans),
        "planted": overall["planted"],
        "caught": overall["caught"],
        "leaked": overall["partial"] + overall["missed"],
        "leak_rate": _ratio(overall["partial"] + overall["missed"], overall["planted"]),
        "recall": overall["recall"],
        "recall_by_group": groups,
        "recall_by_kind": per_kind,
        # Caught or partly caught, by the kind the redactor gave it.
        "confusion": {k: dict(sorted(confusion[k].items())) for k in KINDS if confusion.get(k)},
        "words_kept": {
            "kept": words_kept,
            "total": words_total,
            "rate": _ratio(words_kept, words_total),
            "rate_on_lines_without_identifiers": _ratio(plain_kept, plain_total),
        },
        "false_redactions": len(false_redactions),
    }
    if verbose:
        result["leaks"] = {k: leaks[k] for k in KINDS if leaks.get(k)}
        result["false_redaction_examples"] = false_redactions[:VERBOSE_LIMIT]
    return result


def evaluate(
    feedback: Path | str = FEEDBACK_SET,
    variants: Path | str | None = VARIANTS_SET,
    redact_many: RedactMany | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Run a redactor (default: the shipped one) over the sets and score it."""
    if redact_many is None:
        from nlp.redact import redact_many as shipped

        redact_many = shipped
    result: dict[str, Any] = {}
    items = load_set(feedback)
    result["feedback"] = score(items, redact_many([i.text for i in items]), verbose)
    if variants is not None:
        items = load_set(variants)
        result["variants"] = score(items, redact_many([i.text for i in items]), verbose)
    return result


def cli(feedback: Path, variants: Path | None, verbose: bool) -> int:
    """`nlp evaluate-redaction`: print the scores as JSON."""
    print(json.dumps(evaluate(feedback, variants, verbose=verbose), indent=2, ensure_ascii=False))
    return 0

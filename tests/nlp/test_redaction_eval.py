"""The redaction scorer, on tiny made-up texts and a fake redactor."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from nlp.cli import main
from nlp.redact import Found, Redaction
from nlp.redaction_eval import (
    FEEDBACK_SET,
    VARIANTS_SET,
    EvalSetError,
    Item,
    Planted,
    check_item,
    evaluate,
    load_set,
    score,
)


def item(text: str, *spans: tuple[str, str]) -> Item:
    """An item with each (piece, kind) planted at the piece's first occurrence."""
    return Item(text, tuple(Planted(text.index(p), text.index(p) + len(p), k) for p, k in spans))


def redacted(text: str, *found: tuple[str, str]) -> Redaction:
    """A fake redaction removing each (piece, kind) at the piece's first occurrence."""
    spans = [Found(k, text.index(p), text.index(p) + len(p), p, f"[{k}]") for p, k in found]
    return Redaction(text, text, spans)


def test_a_span_covered_apart_from_its_spaces_is_caught() -> None:
    text = "ring 0123 456 today"
    result = score(
        [item(text, ("0123 456", "phone"))],
        [redacted(text, ("0123", "phone"), ("456", "phone"))],
    )
    assert result["recall_by_kind"]["phone"] == {
        "planted": 1,
        "caught": 1,
        "partial": 0,
        "missed": 0,
        "recall": 1.0,
    }
    assert result["leaked"] == 0


def test_partial_and_missed_spans_both_leak() -> None:
    text = "I am Ann Bee at 9 Elm Row"
    result = score(
        [item(text, ("Ann Bee", "name"), ("9 Elm Row", "address"))],
        [redacted(text, ("Ann", "name"))],
    )
    assert result["recall_by_kind"]["name"]["partial"] == 1
    assert result["recall_by_kind"]["address"]["missed"] == 1
    assert result["leaked"] == 2
    assert result["recall"] == 0.0
    assert result["leak_rate"] == 1.0


def test_caught_as_another_kind_counts_and_shows_in_the_confusion() -> None:
    text = "sort code 11-22-33 thanks"
    result = score([item(text, ("11-22-33", "bank"))], [redacted(text, ("11-22-33", "phone"))])
    assert result["recall_by_kind"]["bank"]["recall"] == 1.0
    assert result["confusion"] == {"bank": {"phone": 1}}


def test_groups_split_names_addresses_and_the_rest() -> None:
    text = "Zed Quux, 1 Ab Lane, ZZ1 1ZZ"
    result = score(
        [item(text, ("Zed Quux", "name"), ("1 Ab Lane", "address"), ("ZZ1 1ZZ", "postcode"))],
        [redacted(text, ("ZZ1 1ZZ", "postcode"))],
    )
    groups = result["recall_by_group"]
    assert (groups["names"]["recall"], groups["addresses"]["recall"]) == (0.0, 0.0)
    assert groups["structured"]["recall"] == 1.0


def test_groups_with_nothing_planted_are_left_out() -> None:
    text = "mail a@b.cd"
    result = score([item(text, ("a@b.cd", "email"))], [redacted(text, ("a@b.cd", "email"))])
    assert list(result["recall_by_group"]) == ["structured"]


def test_words_kept_counts_only_words_outside_planted_spans() -> None:
    texts = ["Mr Whippy van at noon", "I'm Jo Ng, thanks"]
    items = [item(texts[0]), item(texts[1], ("Jo Ng", "name"))]
    result = score(
        items,
        [redacted(texts[0], ("Whippy", "name")), redacted(texts[1], ("Jo Ng", "name"))],
        verbose=True,
    )
    # Words: Mr Whippy van at noon (5) + I'm thanks (2); one removed.
    assert result["words_kept"] == {
        "kept": 6,
        "total": 7,
        "rate": round(6 / 7, 4),
        "rate_on_lines_without_identifiers": 0.8,
    }
    assert result["false_redactions"] == 1
    assert result["false_redaction_examples"] == [
        {"kind": "name", "span": "Whippy", "text": texts[0]}
    ]


def test_verbose_lists_leaks_per_kind_and_plain_mode_does_not() -> None:
    text = "call 0 1 2 3 now"
    items, redactions = [item(text, ("0 1 2 3", "phone"))], [redacted(text)]
    assert "leaks" not in score(items, redactions)
    leaks = score(items, redactions, verbose=True)["leaks"]
    assert leaks == {"phone": [{"span": "0 1 2 3", "as": "missed", "text": text}]}


def test_items_and_redactions_must_pair_up() -> None:
    with pytest.raises(ValueError):
        score([item("a"), item("b")], [redacted("a")])


@pytest.mark.parametrize(
    "bad",
    [
        Item("abc", (Planted(1, 9, "name"),)),
        Item("abc", (Planted(2, 2, "name"),)),
        Item("a bc", (Planted(1, 4, "name"),)),
        Item("abc", (Planted(0, 3, "shoe_size"),)),
        Item("abcdef", (Planted(0, 3, "name"), Planted(2, 5, "name"))),
    ],
)
def test_check_item_rejects_broken_spans(bad: Item) -> None:
    with pytest.raises(EvalSetError):
        check_item(bad)


def write_set(path: Path, records: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n", encoding="utf-8")
    return path


def test_load_set_reads_json_lines_and_names_the_bad_line(tmp_path: Path) -> None:
    good = {"text": "hi Al", "spans": [{"start": 3, "end": 5, "kind": "name"}], "source": "x"}
    items = load_set(write_set(tmp_path / "good.jsonl", [good]))
    assert items == [Item("hi Al", (Planted(3, 5, "name"),), "x")]
    bad = {"text": "hi Al", "spans": [{"start": 2, "end": 5, "kind": "name"}]}
    with pytest.raises(EvalSetError, match=r"bad\.jsonl:2"):
        load_set(write_set(tmp_path / "bad.jsonl", [good, bad]))


def test_evaluate_runs_a_redactor_over_both_sets(tmp_path: Path) -> None:
    feedback = write_set(
        tmp_path / "f.jsonl",
        [{"text": "Al here", "spans": [{"start": 0, "end": 2, "kind": "name"}]}],
    )
    variants = write_set(
        tmp_path / "v.jsonl",
        [
            {"text": "x at y dot zz", "spans": [{"start": 0, "end": 13, "kind": "email"}]},
            {"text": "tel 1 2 3", "spans": [{"start": 4, "end": 9, "kind": "phone"}]},
        ],
    )

    def only_names(texts: list[str]) -> list[Redaction]:
        return [redacted(t, ("Al", "name")) if "Al" in t else redacted(t) for t in texts]

    result = evaluate(feedback, variants, redact_many=only_names)
    assert result["feedback"]["recall"] == 1.0
    assert result["variants"]["leak_rate"] == 1.0
    assert "variants" not in evaluate(feedback, None, redact_many=only_names)


def test_the_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feedback = write_set(tmp_path / "f.jsonl", [{"text": "nothing here", "spans": []}])
    assert main(["evaluate-redaction", "--feedback", str(feedback), "--no-variants"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["feedback"]["words_kept"]["total"] == 2


def test_the_shipped_sets_are_well_formed() -> None:
    # Structure only: what the sets say is for the scorer to measure, not for tests.
    for path in (FEEDBACK_SET, VARIANTS_SET):
        items = load_set(path)
        assert items and all(i.source == "written for yousaid" for i in items)

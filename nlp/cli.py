"""The nlp command line: train, evaluate, tag, redact (`python -m nlp` or `python -m bot nlp`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from nlp.pipeline import Analysis
from nlp.redaction_eval import FEEDBACK_SET, VARIANTS_SET


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nlp", description="The theme model and redaction: train, evaluate, tag, redact."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def csv_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--csv", type=Path, required=True, help="CSV of labelled feedback")
        p.add_argument("--text-column", default="text", help="column of the text (text)")
        p.add_argument("--label-column", default="labels", help="column of the labels (labels)")
        p.add_argument("--sep", default=";", help="separator between labels (;)")

    train = sub.add_parser("train", help="train a pipeline on a CSV and save it")
    csv_options(train)
    train.add_argument("--out", type=Path, required=True, help="directory to save the model")
    train.add_argument("--seed", type=int, default=0, help="random seed (0)")
    train.add_argument("--taxonomy", type=Path, help="taxonomy TOML (default: nlp/taxonomy.toml)")
    train.add_argument(
        "--map-to-taxonomy",
        action="store_true",
        help="map external (NHS) labels onto the taxonomy's themes before training",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    evaluate = sub.add_parser(
        "evaluate",
        help="print F1, no-theme and 4-or-more shares, kind accuracy (and per family) as JSON",
    )
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, help="CSV of labelled feedback")
    source.add_argument(
        "--jsonl", type=Path, help="JSON lines of labelled feedback (text, themes, kinds, family)"
    )
    source.add_argument(
        "--dev", action="store_true", help="the shipped services dev split (nlp/data/services)"
    )
    source.add_argument(
        "--eval-set", action="store_true", help="the theme evaluation set (nlp/eval/themes)"
    )
    evaluate.add_argument("--text-column", default="text", help="column of the text (text)")
    evaluate.add_argument("--label-column", default="labels", help="column of the labels (labels)")
    evaluate.add_argument("--sep", default=";", help="separator between labels (;)")
    evaluate.add_argument(
        "--model", type=Path, help="trained model directory (default: the shipped model)"
    )

    tag = sub.add_parser("tag", help="print themes and kind of TEXT, or of each stdin line")
    tag.add_argument("text", nargs="?", help="text to tag (default: each line of stdin)")
    tag.add_argument("--model", type=Path, help="model directory (default: the shipped model)")

    redact = sub.add_parser(
        "redact", help="print TEXT, or each stdin line, with personal details replaced"
    )
    # Several words are one text, as typed: `nlp redact Call Dr Patel`.
    redact.add_argument("text", nargs="*", help="text to redact (default: each line of stdin)")

    trainer = sub.add_parser(
        "train-redactor",
        help="generate data, train the name and address detector and save it (needs faker)",
    )
    trainer.add_argument("--out", type=Path, help="directory to save it (default: the shipped one)")
    trainer.add_argument("--epochs", type=int, default=5, help="passes over the data (5)")
    trainer.add_argument("--seed", type=int, default=13, help="random seed (13)")

    scored = sub.add_parser(
        "evaluate-redaction",
        help="print the redactor's recall per kind, leaks and words kept on the evaluation sets",
    )
    scored.add_argument(
        "--feedback", type=Path, default=FEEDBACK_SET, help="labelled feedback (JSON lines)"
    )
    scored.add_argument(
        "--variants", type=Path, default=VARIANTS_SET, help="labelled spelling variants"
    )
    scored.add_argument("--no-variants", action="store_true", help="score the feedback set only")
    scored.add_argument(
        "--verbose", action="store_true", help="also list leaks per kind and false redactions"
    )
    languages = sub.add_parser(
        "language-eval",
        help="print the language detector's accuracy on short texts, size and speed as JSON",
    )
    languages.add_argument(
        "--detector",
        default="py3langid",
        choices=("py3langid", "lingua", "langdetect"),
        help="detector to measure (py3langid, the shipped one; the others if installed)",
    )
    languages.add_argument("--set", type=Path, help="JSON lines of text, language (and case)")
    languages.add_argument("--threshold", type=float, help="below this: undetermined")
    languages.add_argument("--mistakes", action="store_true", help="also list every mistake")
    duplicates = sub.add_parser(
        "duplicates-eval",
        help='print the "me too" suggestions\' precision and recall (threshold chosen on half)',
    )
    duplicates.add_argument("--set", type=Path, help="JSON lines of service, group, text")
    return parser


def tag_json(analysis: Analysis) -> dict[str, object]:
    """The JSON form of an analysis, as `tag` prints it."""
    data = asdict(analysis)
    for theme in data["themes"]:
        theme["score"] = round(theme["score"], 4)
        theme["evidence"] = [{"start": s, "end": e, "text": t} for s, e, t in theme["evidence"]]
    data["kind_score"] = round(data["kind_score"], 4)
    return data


def _evaluate(args: argparse.Namespace) -> int:
    from nlp import corpus
    from nlp import train as training
    from nlp.pipeline import DEFAULT_MODEL

    if args.csv:
        examples = training.read_csv(args.csv, args.text_column, args.label_column, args.sep)
    elif args.jsonl:
        examples = corpus.read_jsonl([args.jsonl])
    elif args.dev:
        examples = corpus.services_examples("dev")
    else:
        examples = corpus.themes_eval_examples()
    if not examples:
        print("nlp evaluate: no labelled texts found", file=sys.stderr)
        return 2
    print(training.to_json(training.evaluate(args.model or DEFAULT_MODEL, examples)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one nlp subcommand; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (OSError, ValueError) as exc:
        # A missing or unreadable file or model, a malformed data file: one line, not a
        # traceback (spaCy's own messages name the folder).
        print(f"nlp {args.command}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "duplicates-eval":
        from nlp import duplicates_eval

        print(json.dumps(duplicates_eval.evaluate(args.set or duplicates_eval.DUPLICATES_SET)))
        return 0
    if args.command == "redact":
        # The rules and the small name and address detector, not the theme model.
        from nlp.redact import cli as redact_cli

        return redact_cli(args.text)
    if args.command == "train-redactor":
        from nlp.redact_train.train import MODEL_DIR
        from nlp.redact_train.train import train as train_redactor

        figures = train_redactor(args.out or MODEL_DIR, epochs=args.epochs, seed=args.seed)
        print(json.dumps(figures))
        return 0
    if args.command == "evaluate-redaction":
        from nlp.redaction_eval import cli as evaluation_cli

        return evaluation_cli(
            args.feedback, None if args.no_variants else args.variants, args.verbose
        )
    if args.command == "language-eval":
        from nlp import language, language_eval

        figures = language_eval.evaluate(
            args.detector,
            args.set or language_eval.LANGUAGES_SET,
            threshold=language.THRESHOLD if args.threshold is None else args.threshold,
        )
        if not args.mistakes:
            figures.pop("mistakes")
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    # Imported here so `--help` stays fast and spaCy loads only when needed.
    from nlp import train as training
    from nlp.pipeline import load

    if args.command == "train":
        examples = training.read_csv(args.csv, args.text_column, args.label_column, args.sep)
        if args.map_to_taxonomy:
            examples = training.map_labels(examples, args.taxonomy)
        started = time.perf_counter()
        nlp = training.train(
            examples, args.out, taxonomy=args.taxonomy, seed=args.seed, progress=not args.quiet
        )
        labels = getattr(nlp.get_pipe("theme_classifier"), "labels", ())
        print(
            training.to_json(
                {
                    "model": str(args.out),
                    "n": len(examples),
                    "labels": len(labels),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
        )
        return 0
    if args.command == "evaluate":
        return _evaluate(args)
    analyser = load(args.model)
    if args.text is not None:
        texts = [args.text]
    else:
        texts = [line.rstrip("\n") for line in sys.stdin]
    for analysis in analyser.analyse(texts):
        print(training.to_json(tag_json(analysis)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

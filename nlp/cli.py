"""The nlp command line: train, evaluate, tag, redact (`python -m nlp` or `python -m bot nlp`)."""

from __future__ import annotations

import argparse
import codecs
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from nlp.pipeline import Analysis
from nlp.redaction_eval import FEEDBACK_SET, VARIANTS_SET


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nlp",
        description="The theme model and redaction: train, evaluate, tag, redact.",
        # They read the deployment's settings (its database and models), so only the bot runs
        # them.
        epilog="The deployment's model: python -m bot nlp retrain, python -m bot nlp rollback"
        " (see python -m bot nlp retrain --help).",
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
    # Several words are one text, as typed: `nlp tag The nurse was rude`.
    tag.add_argument("text", nargs="*", help="text to tag (default: each line of stdin)")
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
    duplicates.add_argument(
        "--all", action="store_true", help="every set, at the shipped threshold and at its best"
    )
    return parser


# The longest text `tag` and `redact` take: a 1 MB line is analysed (tag needs about 10 s
# and 600 MB for it); a longer one is refused by name rather than exhausting memory.
LONGEST_LINE = 2_000_000
# Lines analysed together when standard input has them ready: batches are ten times faster
# than lines one by one, and a line typed alone is still answered at once.
BATCH = 1000


@dataclass
class Line:
    """One line of standard input, decoded; `bad` when it was not valid UTF-8."""

    number: int
    text: str
    bad: bool = False


def read_lines(stream: Iterator[bytes]) -> Iterator[Line]:
    """The lines of a byte stream as texts: without their line end (LF or CRLF) or a leading
    byte order mark, invalid UTF-8 read as U+FFFD (and the line marked bad)."""
    for number, raw in enumerate(stream, 1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        raw = raw.removesuffix(b"\n").removesuffix(b"\r")
        try:
            yield Line(number, raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield Line(number, raw.decode("utf-8", "replace"), bad=True)


def _stdin_bytes() -> Iterator[bytes]:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        yield from buffer
    else:  # a text stream put in place of stdin (tests, embedding)
        for line in sys.stdin:
            yield line.encode("utf-8", "surrogateescape")


_END = object()


def _batches(lines: Iterator[Line], size: int = BATCH) -> Iterator[list[Line]]:
    """The lines in batches of what has arrived (at most size), as soon as one line has:
    a pipe that sends a line and waits for its answer gets it."""
    ready: queue.Queue[object] = queue.Queue(maxsize=4 * size)

    def read() -> None:
        try:
            for line in lines:
                ready.put(line)
            ready.put(_END)
        except BaseException as exc:  # handed to the main thread, which reports it
            ready.put(exc)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while True:
        batch: list[Line] = []
        item = ready.get()
        while True:
            if isinstance(item, BaseException):
                yield batch
                raise item
            if item is _END:
                if batch:
                    yield batch
                return
            assert isinstance(item, Line)
            batch.append(item)
            if len(batch) >= size:
                break
            try:
                item = ready.get_nowait()
            except queue.Empty:
                break
        yield batch


def _check_length(line: Line, where: str) -> None:
    if len(line.text) > LONGEST_LINE:
        raise ValueError(
            f"{where} is {len(line.text):,} characters long: at most {LONGEST_LINE:,} are taken"
        )


def each_line(command: str, words: list[str], handle: Callable[[list[str]], list[str]]) -> int:
    """Print handle's output for the text of words, or for each line of standard input as
    it comes (in order, one output line per input line); the exit status."""
    if hasattr(sys.stdout, "reconfigure") and (sys.stdout.encoding or "").lower() != "utf-8":
        # JSON lines are UTF-8 whatever the locale (LC_ALL=C would make them ASCII).
        sys.stdout.reconfigure(encoding="utf-8")
    bad: list[int] = []
    try:
        if words:
            # The shell hands undecodable bytes over as surrogates: read them as U+FFFD.
            raw = " ".join(words).encode("utf-8", "surrogateescape")
            [line] = read_lines(iter([raw]))
            _check_length(line, "TEXT")
            bad += [1] if line.bad else []
            print(handle([line.text])[0], flush=True)
        else:
            for batch in _batches(read_lines(_stdin_bytes())):
                for line in batch:
                    _check_length(line, f"line {line.number} of standard input")
                bad += [line.number for line in batch if line.bad]
                if batch:
                    sys.stdout.write("".join(out + "\n" for out in handle([x.text for x in batch])))
                    sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped reading (`| head`): nothing is wrong, and nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if bad:
        where = "TEXT" if words else f"line {bad[0]} of standard input"
        more = f" (and {len(bad) - 1} more line(s))" if len(bad) > 1 else ""
        print(
            f"nlp {command}: {where}{more} is not valid UTF-8: its bad bytes were read as U+FFFD",
            file=sys.stderr,
        )
        return 1
    return 0


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

        if args.all:
            for row in duplicates_eval.every_set():
                print(json.dumps(row))
        else:
            print(json.dumps(duplicates_eval.evaluate(args.set or duplicates_eval.DUPLICATES_SET)))
        return 0
    if args.command == "redact":
        # The rules and the small name and address detector, not the theme model.
        from nlp.redact import redact_json, redact_many

        return each_line(
            "redact", args.text, lambda texts: list(map(redact_json, redact_many(texts)))
        )
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
        if args.out.exists() and not args.out.is_dir():
            # Said before minutes of training, not after.
            raise ValueError(f"--out {args.out} is a file, not a folder")
        examples = training.read_csv(args.csv, args.text_column, args.label_column, args.sep)
        if args.map_to_taxonomy:
            examples = training.map_labels(examples, args.taxonomy)
        if not examples:
            raise ValueError(f"{args.csv}: no training texts")
        from nlp.taxonomy import load_taxonomy

        unknown = sorted(
            {lab for ex in examples for lab in ex.labels} - set(load_taxonomy(args.taxonomy))
        )
        if unknown:
            # Allowed (a deployment may train on labels of its own), but then the taxonomy's
            # rules give no themes: said before minutes of training.
            shown = ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else "")
            print(
                f"nlp train: {len(unknown)} label(s) not in the taxonomy ({shown}): the model"
                " will tag them, and the taxonomy's rules will add no themes (for NHS labels,"
                " use --map-to-taxonomy)",
                file=sys.stderr,
            )
        # A folder that cannot be made (no permission, a file on the way) stops us here.
        args.out.mkdir(parents=True, exist_ok=True)
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
    # spaCy refuses texts over a million characters by default, for parsers and NER; this
    # pipeline has neither (memory grows about 0.6 GB per million characters).
    analyser.nlp.max_length = max(analyser.nlp.max_length, LONGEST_LINE + 1)
    return each_line(
        "tag",
        args.text,
        lambda texts: [training.to_json(tag_json(a)) for a in analyser.analyse(texts)],
    )


if __name__ == "__main__":
    sys.exit(main())

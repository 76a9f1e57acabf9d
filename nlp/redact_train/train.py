"""Train the name and address detector on generated data and save it (build time only)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Example
from spacy.util import compounding, minibatch

from nlp.redact_train.common_words import write_common_words
from nlp.redact_train.generate import ADDRESS, NAME, Sample, generate

MODEL_DIR = Path(__file__).resolve().parents[1] / "redact_model"
SEED = 13
TRAIN_SIZE = 30000
HELD_OUT_SIZE = 3000

# A small CNN over hashed word features; no vectors, so the model stays small and fast.
# NORM is the lower-case word and SHAPE carries its capitals, so lower-case names are seen
# through their context.
NER_MODEL: dict[str, Any] = {
    "@architectures": "spacy.TransitionBasedParser.v2",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 64,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": 96,
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [5000, 1000, 2500, 1000],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": 96,
            "depth": 3,
            "window_size": 1,
            "maxout_pieces": 3,
        },
    },
}


def blank() -> Language:
    """An untrained pipeline with the NER component."""
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner", config={"model": NER_MODEL})
    for label in (NAME, ADDRESS):
        ner.add_label(label)  # type: ignore[attr-defined]
    return nlp


def to_examples(nlp: Language, samples: Iterable[Sample]) -> tuple[list[Example], int]:
    """spaCy examples of the samples, and how many spans did not fall on token edges."""
    examples = []
    misaligned = 0
    for sample in samples:
        doc = nlp.make_doc(sample.text)
        ents = []
        for start, end, label in sample.spans:
            span = doc.char_span(start, end, label=label, alignment_mode="contract")
            if span is None or not span.text.strip():
                misaligned += 1
                continue
            ents.append(span)
        try:
            doc.ents = ents
        except ValueError:
            misaligned += 1
            continue
        examples.append(Example(nlp.make_doc(sample.text), doc))
    return examples, misaligned


def score(nlp: Language, examples: list[Example]) -> dict[str, Any]:
    """Precision, recall and F per label on the examples."""
    predicted = [
        Example(doc, ex.reference)
        for doc, ex in zip(nlp.pipe(ex.predicted.text for ex in examples), examples, strict=True)
    ]
    scores = Scorer.score_spans(predicted, "ents")
    return {
        "p": round(scores["ents_p"], 4),
        "r": round(scores["ents_r"], 4),
        "f": round(scores["ents_f"], 4),
        "per_label": {
            label: {k: round(v, 4) for k, v in figures.items()}
            for label, figures in scores["ents_per_type"].items()
        },
    }


def _forget_strings(out: Path) -> None:
    """Keep only a blank pipeline's strings and the labels in the saved vocabulary.

    The model reads hashed features, so the words of the generated texts (names, streets)
    need not be shipped.
    """
    strings = sorted({*spacy.blank("en").vocab.strings, NAME, ADDRESS})
    (out / "vocab" / "strings.json").write_text(json.dumps(strings, indent=0), encoding="utf-8")


def train(
    out: Path = MODEL_DIR,
    epochs: int = 5,
    train_size: int = TRAIN_SIZE,
    held_out_size: int = HELD_OUT_SIZE,
    seed: int = SEED,
    log: bool = True,
) -> dict[str, Any]:
    """Generate the data, train, score on the held-out part, save; returns the figures."""
    started = time.perf_counter()
    spacy.util.fix_random_seed(seed)
    nlp = blank()
    train_examples, bad_train = to_examples(nlp, generate(train_size, seed, held=False))
    held_examples, bad_held = to_examples(nlp, generate(held_out_size, seed + 1, held=True))
    optimizer = nlp.initialize(lambda: train_examples)
    rng = random.Random(seed)
    history = []
    for epoch in range(epochs):
        rng.shuffle(train_examples)
        losses: dict[str, float] = {}
        for batch in minibatch(train_examples, size=compounding(8.0, 64.0, 1.001)):
            nlp.update(batch, drop=0.15, sgd=optimizer, losses=losses)
        # Averaged weights are steadier from one pass to the next than the last ones.
        with nlp.use_params(optimizer.averages):
            figures = score(nlp, held_examples)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": round(float(losses["ner"]), 1),
                "s": round(time.perf_counter() - started),
                **figures,
            }
        )
        if log:
            print(json.dumps(history[-1]), flush=True)
    nlp.meta["name"] = "yousaid_redact"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Names and postal addresses in feedback, trained on generated data"
    with nlp.use_params(optimizer.averages):
        nlp.to_disk(out)
    _forget_strings(out)
    words = write_common_words(out)
    return {
        "model": str(out),
        "train": len(train_examples),
        "held_out": len(held_examples),
        "misaligned": bad_train + bad_held,
        "common_words": words,
        "seconds": round(time.perf_counter() - started, 1),
        "held_out_scores": history[-1],
    }

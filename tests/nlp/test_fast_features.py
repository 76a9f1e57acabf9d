"""The numpy feature path gives what scikit-learn's TfidfVectorizer gives, so speed work
changes no prediction (checked against the shipped model's own vocabularies, whatever it was
trained on: a retrained model keeps the check meaningful)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from benchmarks.nlp_golden import all_texts
from nlp.classifier import doc_views, ensemble_scores, pooled_scores, stacked_scores
from nlp.linear import FeatureSpace, FittedVectorizer, vectorizer_from_sklearn
from nlp.pipeline import Analyser

EDGE = [
    "",
    " ",
    "  \n\n x\ty  ",
    "a",
    "ÉCOLE Straße ﬁ İstanbul",
    "😀😀 bins!!",
    "ab\0cd",
    "??!",
    "a\u00a0b\x1cc\u2003d  e",
]


@pytest.fixture(scope="module")
def sample() -> list[str]:
    texts = all_texts()
    return texts[:: max(1, len(texts) // 200)] + EDGE


def same(a, b) -> bool:
    a = a.tocsr()
    a.sort_indices()
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def test_theme_and_kind_features_match_scikit_learn(analyser: Analyser, sample: list[str]) -> None:
    docs = list(analyser.nlp.pipe(sample))
    kind: Any = analyser.nlp.get_pipe("feedback_kind")
    clf: Any = analyser.nlp.get_pipe("theme_classifier")
    checks = [(clf.features, [doc_views(d) for d in docs])]
    checks.append((kind.features, [kind.views(d) for d in docs]))
    for space, views in checks:
        for view, vec in zip(space.views, space.vectorizers, strict=True):
            assert isinstance(vec, FittedVectorizer)
            texts = [v[view] for v in views]
            reference = vectorizer_from_sklearn(vec.params, vec.vocabulary_, vec.idf_)
            assert same(reference.transform(texts), vec.transform(texts)), view
            # One text at a time too (short texts have fewer n-grams than the longest n).
            for text in texts[-len(EDGE) :]:
                assert same(reference.transform([text]), vec.transform([text])), (view, text)


def test_theme_scores_match_scikit_learn(analyser: Analyser, sample: list[str]) -> None:
    clf: Any = analyser.nlp.get_pipe("theme_classifier")
    views = [doc_views(d, sentences=True) for d in analyser.nlp.pipe(sample)]
    references = [
        vectorizer_from_sklearn(vec.params, vec.vocabulary_, vec.idf_)
        for vec in clf.features.vectorizers
    ]
    reference = FeatureSpace(clf.features.views, clf.features.params, references)
    fast = ensemble_scores(clf.features.transform(views), clf.weights, clf.shares)
    expected = ensemble_scores(reference.transform(views), clf.weights, clf.shares)
    assert np.abs(fast - expected).max() <= 1e-6
    # The shipped model also scores sentences (sentence_weight): the same vectorizers read them.
    assert clf.sentence_weight > 0
    pooled = pooled_scores(reference, clf.weights, views, clf.sentence_weight, clf.shares)
    # ... and its second stage (stack_weight) reads the pooled scores.
    assert clf.stack is not None and clf.stack_weight > 0
    stacked = stacked_scores(pooled, clf.stack, clf.stack_weight)
    assert np.abs(clf.raw_scores(views) - stacked).max() <= 1e-6
    assert np.abs(pooled - expected).max() > 0.01  # some sample texts have several sentences


@pytest.mark.parametrize("analyzer", ["word", "char"])
def test_a_vocabulary_too_large_to_number_falls_back(analyzer: str) -> None:
    # 5-grams over an alphabet of 10,000 units do not fit in 63 bits: scikit-learn does it.
    words = [chr(0x4E00 + i) for i in range(10_000)]
    joiner = " " if analyzer == "word" else ""
    vocab = [joiner.join(words[:5])]
    vocab += words
    params = {"analyzer": analyzer, "ngram_range": [1, 5]}
    vec = FittedVectorizer(params, vocab, np.ones(len(vocab), np.float32))
    assert vec._fallback is not None
    text = joiner.join(words[:7])
    assert vec.transform([text]).nnz > 0


def test_an_empty_batch_and_empty_vocabulary() -> None:
    vec = FittedVectorizer({"analyzer": "char", "ngram_range": [2, 3]}, ["ab"], np.ones(1))
    assert vec.transform([]).shape == (0, 1)
    assert vec.transform(["xyz"]).nnz == 0
    empty = FittedVectorizer({"analyzer": "word"}, [], np.ones(0))
    assert empty.transform(["a b"]).shape == (1, 0)


def test_lemmas_match_the_token_by_token_lemmatizer(analyser: Analyser, sample: list[str]) -> None:
    from spacy.attrs import LEMMA
    from spacy.pipeline import Lemmatizer

    lemmatizer: Any = analyser.nlp.get_pipe("lemmatizer")
    for text in [*sample, "WAITED Waited waited İstanbul"]:
        fast, slow = analyser.nlp.make_doc(text), analyser.nlp.make_doc(text)
        lemmatizer(fast)
        Lemmatizer.__call__(lemmatizer, slow)
        assert fast.to_array(LEMMA).tolist() == slow.to_array(LEMMA).tolist(), text


def test_a_saved_tokenizer_unlike_the_default_is_read(tmp_path) -> None:
    import shutil

    import spacy

    from nlp.pipeline import DEFAULT_MODEL, load

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    nlp = spacy.load(model)
    tokenizer: Any = nlp.tokenizer
    tokenizer.add_special_case("binday", [{"ORTH": "bin"}, {"ORTH": "day"}])
    tokenizer.to_disk(model / "tokenizer", exclude=["vocab"])
    assert [t.text for t in load(model, keep=False).nlp.make_doc("binday")] == ["bin", "day"]
    default: Any = load(DEFAULT_MODEL, keep=False).nlp
    assert [t.text for t in default.make_doc("binday")] == ["binday"]
    saved = (DEFAULT_MODEL / "tokenizer").read_bytes()
    assert default.tokenizer.to_bytes(exclude=["vocab"]) == saved


def test_settings_it_does_not_reproduce_go_to_scikit_learn() -> None:
    params = {"analyzer": "word", "ngram_range": [1, 1], "binary": True}
    vec = FittedVectorizer(params, ["a", "b"], np.ones(2, np.float32))
    assert vec._fallback is not None
    wb = FittedVectorizer({"analyzer": "char_wb", "ngram_range": [2, 3]}, ["ab"], np.ones(1))
    assert wb._fallback is not None
    assert wb.transform(["ab cd"]).nnz == 1

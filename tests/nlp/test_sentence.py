"""The sentence space "me too" scales its score by: paraphrases close, other problems not."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from nlp import build_sentence, sentence
from nlp.similar import FOREIGN, Candidate, Index, query


def cosine(a: str, b: str) -> float:
    return float(sentence.vector(a) @ sentence.vector(b))


def test_the_same_problem_in_few_shared_words_is_closer_than_another_problem() -> None:
    same = cosine("the 14 never came", "no number 14 bus again this morning")
    other = cosine("the 14 never came", "the library toilets are out of order")
    assert same > other + 0.2
    heating = cosine("boiler's packed in", "no heating or hot water since friday")
    assert heating > cosine("boiler's packed in", "the grass in the park needs cutting")


def test_a_text_is_a_unit_vector_and_one_with_no_tokens_is_zeros() -> None:
    v = sentence.vector("Bins not emptied on Elm Road AGAIN!!")
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-4
    assert not sentence.vector("").any()
    assert not sentence.vector("   \n").any()


def test_every_token_of_the_tokenizer_has_a_vector_and_a_weight() -> None:
    space = sentence.load()
    size = space.tokenizer.get_vocab_size()
    assert space.vectors.shape == (size, sentence.DIMENSIONS)
    assert space.weight.shape == (size,)
    # Common tokens weigh less than rare ones.
    common, rare = (space.tokenizer.token_to_id(t) for t in ("the", "boiler"))
    assert space.weight[common] < space.weight[rare]


def test_a_lone_surrogate_is_read_as_a_replacement() -> None:
    assert abs(float(np.linalg.norm(sentence.vector("bins \ud800 not emptied"))) - 1.0) < 1e-4


def test_a_long_text_costs_only_its_first_tokens() -> None:
    head = "the lift in the library is broken " * 40
    assert np.allclose(sentence.vector(head), sentence.vector(head + "zebra " * 500))


def test_a_paraphrase_outscores_words_in_common_about_another_problem() -> None:
    for text, other, paraphrase in (
        (
            "bedroom window wont shut, handle snapped, draught coming straight in",
            "are the old ceiling tiles asbestos?? nobody will give us a straight answer",
            "cant close the window in my bedroom since the catch broke, freezing at night",
        ),
        (
            "the outpatient booking number just rings out, cant change my appt",
            "signs in that hospital are shocking, nobody can find outpatients",
            "no way of contacting the booking office, phone rings out every time i try",
        ),
    ):
        scores = Index([Candidate(1, other), Candidate(2, paraphrase)]).scores(text)
        assert scores[1] > scores[0], text


def test_the_build_writes_a_space_that_loads(tmp_path: Path) -> None:
    tokenizer = Tokenizer.from_file(str(sentence.SHIPPED / "tokenizer.json"))
    size = tokenizer.get_vocab_size()
    rng = np.random.default_rng(0)
    build_sentence.write(rng.normal(size=(size, 384)).astype(np.float32), tokenizer, tmp_path)
    (tmp_path / "tokenizer.json").write_bytes((sentence.SHIPPED / "tokenizer.json").read_bytes())
    space = sentence.load(tmp_path)
    assert space.vectors.shape == (size, sentence.DIMENSIONS)
    # Weighed by the corpus' own tokens, not the padding the tokenizer file asks for.
    assert space.weight[tokenizer.token_to_id("[PAD]")] == 1.0
    assert space.weight[tokenizer.token_to_id("the")] < 0.05
    v = space.vector("bins not emptied")
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-4


def test_safetensors_are_read_as_written(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([[7, 8]], dtype=np.int64)
    header = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "b": {"dtype": "I64", "shape": [1, 2], "data_offsets": [24, 40]},
    }
    raw = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + a.tobytes() + b.tobytes())
    tensors = build_sentence.read_safetensors(path)
    assert np.array_equal(tensors["a"], a) and np.array_equal(tensors["b"], b)


def test_the_forward_pass_keeps_its_shape_and_is_unchanged_by_batching() -> None:
    rng = np.random.default_rng(1)
    d, inner, vocab = 24, 48, 50
    w: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": rng.normal(size=(vocab, d)),
        "embeddings.position_embeddings.weight": rng.normal(size=(8, d)),
        "embeddings.token_type_embeddings.weight": rng.normal(size=(2, d)),
    }
    norms = ["embeddings.LayerNorm"]
    for layer in range(build_sentence.LAYERS):
        p = f"encoder.layer.{layer}."
        for name, shape in (
            ("attention.self.query", (d, d)),
            ("attention.self.key", (d, d)),
            ("attention.self.value", (d, d)),
            ("attention.output.dense", (d, d)),
            ("intermediate.dense", (inner, d)),
            ("output.dense", (d, inner)),
        ):
            w[p + name + ".weight"] = rng.normal(size=shape) * 0.1
            w[p + name + ".bias"] = np.zeros(shape[0])
        norms += [p + "attention.output.LayerNorm", p + "output.LayerNorm"]
    for name in norms:
        w[name + ".weight"], w[name + ".bias"] = np.ones(d), np.zeros(d)
    rows = np.array([[1, 5, 2], [1, 9, 2]])
    both = build_sentence.encode(w, rows)
    assert both.shape == (2, d)
    assert np.allclose(both[1], build_sentence.encode(w, rows[1:])[0])
    assert not np.allclose(both[0], both[1])


def test_texts_in_another_language_are_scaled_as_before_not_by_the_english_space() -> None:
    late = "Autobus 14 znowu się spóźnił dziś rano"
    rude = Candidate(1, "Kierowca autobusu 14 był bardzo niegrzeczny", foreign=True)
    # The space reads English only: two Polish texts on two problems look close in it.
    assert cosine(late, rude.text) > 0.5
    raw = Index([rude]).scores(replace(query(late, foreign=True), sentence=None))[0]
    scaled = Index([rude]).scores(query(late, foreign=True))[0]
    assert abs(scaled - raw * FOREIGN) < 1e-6
    assert Index([rude]).search(query(late, foreign=True)) == []
    # A text in English against an item known to be in Polish: the same.
    english = Index([rude]).scores(query("the 14 bus was late again this morning"))[0]
    assert (
        english
        <= Index([rude]).scores(
            replace(query("the 14 bus was late again this morning"), sentence=None)
        )[0]
        * FOREIGN
        + 1e-6
    )


def test_an_emoji_or_a_script_the_vocabulary_lacks_says_nothing() -> None:
    assert cosine("😡😡 bins not emptied", "😡😡 the swings are broken") < 0.3
    assert not sentence.vector("😡🙏").any()


def test_a_paraphrase_is_scored_in_a_large_index_too() -> None:
    text = "the 14 bus never came this morning"
    paraphrase = Candidate(0, "no number 14 bus again this morning, waited ages")
    others = [
        Candidate(i, f"the 14 bus this morning never came to stop {i}") for i in range(1, 400)
    ]
    index = Index([paraphrase, *others])
    raw = index.scores(replace(query(text), sentence=None))
    # Hundreds of others closer in words: the paraphrase is still compared as a sentence.
    assert (raw > raw[0]).sum() > 256
    assert index.scores(text)[0] == pytest.approx(raw[0] * cosine(text, paraphrase.text), rel=1e-2)

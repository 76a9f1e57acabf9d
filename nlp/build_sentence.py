"""Distil the shipped sentence space (nlp/sentence/) from all-MiniLM-L6-v2, offline.

Run by hand, never at run time or in tests (`python -m nlp.build_sentence MODEL_DIR`, with
MODEL_DIR the model's files: `model.safetensors`, `tokenizer.json`; see
nlp/sentence/README.md for where they come from and their checksums). Each token of the
model's vocabulary is passed through the transformer alone ("[CLS] token [SEP]") and its
mean-pooled output kept; the vectors are centred, reduced by PCA, and stored as float16
with a weight per token from how common it is in the services corpus (rarer weighs more).
A text's vector is then a weighted mean of its tokens' (nlp/sentence.py): most of what the
transformer knows of which words go together, at a lookup's cost.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nlp import sentence, wordspace

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# sentence-transformers/all-MiniLM-L6-v2, revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
LAYERS = 6
HEADS = 12
BATCH = 512


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (float32 and int64 only, as this model has)."""
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    body = memoryview(data)[8 + size :]
    types = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype=types[spec["dtype"]]).reshape(
            spec["shape"]
        )
    return out


def _norm(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def encode(w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """BERT's forward pass over a batch of unpadded token rows of one length, mean-pooled."""
    b, n = ids.shape
    d = w["embeddings.word_embeddings.weight"].shape[1]
    head = d // HEADS
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:n]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _norm(x, w, "embeddings.LayerNorm")
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}."

        def heads(name: str, x: np.ndarray = x, p: str = p) -> np.ndarray:
            return _linear(x, w, p + name).reshape(b, n, HEADS, head).transpose(0, 2, 1, 3)

        q, k, v = (
            heads("attention.self.query"),
            heads("attention.self.key"),
            heads("attention.self.value"),
        )
        a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
        c = _linear(c, w, p + "attention.output.dense")
        x = _norm(c + x, w, p + "attention.output.LayerNorm")
        h = _gelu(_linear(x, w, p + "intermediate.dense"))
        x = _norm(_linear(h, w, p + "output.dense") + x, w, p + "output.LayerNorm")
    return x.mean(1)


def token_vectors(w: dict[str, np.ndarray], cls: int, sep: int) -> np.ndarray:
    """Every vocabulary token's vector, passed alone between [CLS] and [SEP]."""
    size = w["embeddings.word_embeddings.weight"].shape[0]
    out = np.zeros((size, w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
    for start in range(0, size, BATCH):
        ids = np.arange(start, min(size, start + BATCH))
        rows = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        out[ids] = encode(w, rows)
        print(f"{min(size, start + BATCH)}/{size}", file=sys.stderr, flush=True)
    return out


def build(model_dir: Path, out_dir: Path = sentence.SHIPPED) -> None:
    """Distil and write the shipped sentence space."""
    from tokenizers import Tokenizer

    weights, tokenizer_file = model_dir / "model.safetensors", model_dir / "tokenizer.json"
    for path, digest in ((weights, MODEL_SHA256), (tokenizer_file, TOKENIZER_SHA256)):
        if _sha256(path) != digest:
            raise SystemExit(f"{path}: not the all-MiniLM-L6-v2 file this was built from")
    w = read_safetensors(weights)
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls is None or sep is None:
        raise SystemExit(f"{tokenizer_file}: no [CLS] or [SEP] token")
    vectors = token_vectors(w, cls, sep)
    write(vectors, tokenizer, out_dir)
    shutil.copyfile(tokenizer_file, out_dir / "tokenizer.json")


def write(vectors: np.ndarray, tokenizer: Tokenizer, out_dir: Path) -> None:
    """Weigh, centre and reduce the token vectors; write them."""
    # The tokenizer file pads every text to 128 tokens and cuts it there: neither here.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    counts: Counter[int] = Counter()
    texts = wordspace.corpus()
    for encoding in tokenizer.encode_batch(texts, add_special_tokens=False):
        counts.update(encoding.ids)
    total = sum(counts.values())
    # Smooth inverse frequency (Arora, Liang and Ma 2017): tokens seen often weigh less.
    weight = np.array(
        [sentence.SIF / (sentence.SIF + counts[i] / total) for i in range(len(vectors))],
        dtype=np.float32,
    )
    # Centre on the tokens the corpus uses (a common direction every text shares), then PCA.
    seen = np.array([counts[i] > 0 for i in range(len(vectors))])
    centre = vectors[seen].mean(0)
    centred = vectors - centre
    _, _, vt = np.linalg.svd(centred[seen], full_matrices=False)
    reduced = centred @ vt[: sentence.DIMENSIONS].T
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / "vectors.npz", vectors=reduced.astype(np.float16), weight=weight)
    print(f"{len(vectors)} tokens, {sentence.DIMENSIONS} dimensions, {len(texts)} corpus texts")


if __name__ == "__main__":
    build(Path(sys.argv[1]))

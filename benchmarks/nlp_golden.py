"""Dump the Analyser's predictions on every text of nlp/eval/ and nlp/data/, or compare two dumps.

python benchmarks/nlp_golden.py dump OUT.jsonl       # themes, scores and kinds of every text
python benchmarks/nlp_golden.py compare A.jsonl B.jsonl  # exit 1 if any prediction differs

Speed work must not change a prediction: dump before, dump after, compare (scores to 1e-6).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOLERANCE = 1e-6


def all_texts() -> list[str]:
    """Every text of nlp/eval/ and nlp/data/ (jsonl "text" fields and csv "text" columns)."""
    texts: list[str] = []
    for folder in (ROOT / "nlp" / "eval", ROOT / "nlp" / "data"):
        for path in sorted(folder.rglob("*.jsonl")):
            for line in path.read_text("utf8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    if isinstance(row.get("text"), str):
                        texts.append(row["text"])
        for path in sorted(folder.rglob("*.csv")):
            with path.open(newline="", encoding="utf-8") as f:
                texts.extend(row["text"] for row in csv.DictReader(f) if row.get("text"))
    return texts


def predictions(texts: list[str]) -> list[dict[str, object]]:
    """What the shipped model says about each text, as plain JSON."""
    from nlp.pipeline import load

    analyser = load()
    out = []
    for text, a in zip(texts, analyser.analyse(texts), strict=True):
        out.append(
            {
                "text": text,
                "themes": [
                    [h.id, h.score, h.source, [list(e) for e in h.evidence]] for h in a.themes
                ],
                "kind": a.kind,
                "kind_score": a.kind_score,
                "kinds": a.kinds,
            }
        )
    return out


def differences(a: list[dict], b: list[dict]) -> list[str]:
    """Where two dumps disagree (scores to TOLERANCE)."""
    if len(a) != len(b):
        return [f"{len(a)} texts against {len(b)}"]
    found = []
    for x, y in zip(a, b, strict=True):
        same = (
            x["text"] == y["text"]
            and x["kind"] == y["kind"]
            and x["kinds"] == y["kinds"]
            and abs(x["kind_score"] - y["kind_score"]) <= TOLERANCE
            and [t[0] for t in x["themes"]] == [t[0] for t in y["themes"]]
            and [t[2:] for t in x["themes"]] == [t[2:] for t in y["themes"]]
            and all(
                abs(s - t) <= TOLERANCE
                for (_, s, *_), (_, t, *_) in zip(x["themes"], y["themes"], strict=True)
            )
        )
        if not same:
            found.append(f"{x['text']!r}: {x['themes']} {x['kinds']} / {y['themes']} {y['kinds']}")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["dump"] and len(argv) == 2:
        rows = predictions(all_texts())
        with open(argv[1], "w", encoding="utf8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{len(rows)} texts")
        return 0
    if argv[:1] == ["compare"] and len(argv) == 3:
        a, b = ([json.loads(line) for line in open(p, encoding="utf8")] for p in argv[1:])
        diff = differences(a, b)
        for d in diff[:20]:
            print(d)
        print(f"{len(a)} texts, {len(diff)} differ")
        return 1 if diff else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Language detection: offline, among plausible languages, "und" when unsure."""

from nlp import language


def test_detects_welsh_polish_and_urdu_among_the_candidates():
    candidates = ("en", "cy", "pl", "ur")
    assert (
        language.detect("Mae'r bws wedi bod yn hwyr bob dydd yr wythnos hon", candidates)[0] == "cy"
    )
    assert (
        language.detect("Kierowca autobusu był bardzo niemiły dla mojej mamy", candidates)[0]
        == "pl"
    )
    assert language.detect("ہماری گلی میں کئی دنوں سے صفائی نہیں ہوئی", candidates)[0] == "ur"
    found, confidence = language.detect("The swimming pool changing rooms were dirty", candidates)
    assert found == "en" and 0.7 <= confidence <= 1.0


def test_too_few_letters_is_undetermined():
    assert language.detect("ok", ("en", "cy")) == (language.UNDETERMINED, 0.0)
    assert language.detect("👍 10/10", ("en", "cy"))[0] == language.UNDETERMINED


def test_an_unsure_answer_is_undetermined():
    found, confidence = language.detect("the bins", ("en", "cy", "pl", "ur", "so"), 0.999)
    assert found == language.UNDETERMINED and confidence < 0.999


def test_answers_only_among_the_candidates():
    # Polish text, but Polish is not a candidate: the answer is one of the candidates.
    assert language.detect("Kierowca autobusu był bardzo niemiły", ("en", "cy"), 0.0)[0] in {
        "en",
        "cy",
    }


def test_candidates_keep_order_drop_repeats_and_unknown_codes():
    assert language.candidates(["en", "cy"], ["pl", "EN", "xx-unknown", "ur"]) == (
        "en",
        "cy",
        "pl",
        "ur",
    )


def test_language_eval_prints_figures(tmp_path, capsys):
    import json

    from nlp.cli import main

    path = tmp_path / "set.jsonl"
    lines = [
        {"text": "Mae'r llyfrgell ar gau eto heddiw", "language": "cy"},
        {"text": "The library is closed again today", "language": "en"},
        {"text": "ok", "language": "en", "case": "very short"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    assert main(["language-eval", "--set", str(path), "--mistakes"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["overall"] == {"n": 2, "accuracy": 1.0}
    assert figures["tricky"] == {"n": 1, "accuracy": 0.0}
    assert figures["mistakes"] == [{"text": "ok", "expected": "en", "detected": "und"}]
    assert figures["install_mb"] > 0


def test_the_tagger_records_the_language_and_reads_other_languages_with_their_patterns():
    from types import SimpleNamespace

    from bot.tagging import Tagger

    model_theme = SimpleNamespace(
        id="overall", label="Overall", score=0.9, source="model", evidence=()
    )

    class Analyser:
        def analyse(self, texts):
            return [
                SimpleNamespace(themes=[model_theme], kind="complaint", kind_score=0.5, kinds=())
                for _ in texts
            ]

    tagger = Tagger(Analyser(), lambda t: SimpleNamespace(text=t, spans=(), flags=()), {})
    welsh, english = tagger.tag_now(
        ["Roedd y bws yn hwyr eto bore ma", "The bus was late again this morning"],
        ("en", "cy", "pl"),
    )
    assert welsh.language == "cy" and welsh.language_score >= 0.7
    assert "bus_reliability" in {t.id for t in welsh.themes}
    assert "overall" not in {t.id for t in welsh.themes}  # the English model's guess is dropped
    assert english.language == "en" and [t.id for t in english.themes] == ["overall"]
    # Without languages to choose among, nothing is detected and the model's themes stand.
    (plain,) = tagger.tag_now(["Roedd y bws yn hwyr eto bore ma"])
    assert plain.language is None and [t.id for t in plain.themes] == ["overall"]


def test_reading_gives_no_kinds_and_not_read_for_another_language() -> None:
    """What "me too" asks of a new text: its kinds, and whether the English models read it."""
    from types import SimpleNamespace

    from bot.tagging import Tagger

    class Analyser:
        def analyse(self, texts):
            return []

        def kinds(self, text):
            return ["complaint"]

    tagger = Tagger(Analyser(), lambda t: SimpleNamespace(text=t, spans=(), flags=()), {})
    languages = ("en", "cy", "pl")
    assert tagger.reading("Roedd y bws yn hwyr eto bore ma", languages) == ([], False)
    assert tagger.reading("The bus was late again this morning", languages) == (
        ["complaint"],
        True,
    )
    # Without languages to choose among, every text is read.
    assert tagger.reading("Roedd y bws yn hwyr eto bore ma") == (["complaint"], True)

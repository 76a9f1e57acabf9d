"""The "me too" similarity: near-duplicates found, other problems and places not."""

from __future__ import annotations

from nlp import duplicates_eval
from nlp.similar import THRESHOLD, Candidate, Index, names, similar

ITEMS = [
    Candidate(1, "Bin not collected on Elm Road again"),
    Candidate(2, "The swing in Riverside Park is broken"),
    Candidate(3, "Street lights on Station Road have been out for a week"),
]


def test_the_same_problem_in_other_words_is_found() -> None:
    found = similar("They missed our bins on Elm Rd this week", ITEMS)
    assert [c.id for c, _ in found] == [1]


def test_another_place_or_another_problem_is_not() -> None:
    assert similar("The swing in Jubilee Park is broken", ITEMS) == []
    assert similar("Lovely new benches by the river", ITEMS) == []


def test_nothing_to_search_finds_nothing() -> None:
    assert similar("Bin not collected on Elm Road", []) == []
    assert Index([]).search("anything") == []


def test_a_place_given_leaves_out_items_known_elsewhere() -> None:
    placed = [Candidate(1, ITEMS[0].text, place="north"), Candidate(4, ITEMS[0].text)]
    found = Index(placed).search("Elm Road bin not collected again", place="south")
    assert [c.id for c, _ in found] == [4]


def test_at_most_three_best_first() -> None:
    many = [Candidate(i, f"Bin not collected on Elm Road {'again ' * i}") for i in range(6)]
    found = Index(many).search("Bin not collected on Elm Road")
    assert len(found) == 3
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_names_are_the_places_and_numbers() -> None:
    assert names("Bins missed on Elm Rd, again. The 7 bus too") == {"elm", "7"}
    assert names("Why are the toilets shut on Tuesday?") == frozenset()


def test_the_threshold_is_the_one_chosen_on_the_tuning_half() -> None:
    tune, _ = duplicates_eval.split(duplicates_eval.load())
    assert duplicates_eval.choose_threshold(tune) == THRESHOLD


def test_the_held_out_half_finds_most_duplicates() -> None:
    figures = duplicates_eval.evaluate()
    assert figures["test"]["recall"] >= 0.7  # type: ignore[index]
    assert figures["test"]["unrelated_share"] < 0.1  # type: ignore[index]

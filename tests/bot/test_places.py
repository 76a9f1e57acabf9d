"""Places: rounding a shared point, the site it is near, the deployment's area."""

from __future__ import annotations

import math
import random

import pytest

from bot.places import (
    KEPT_SLACK_M,
    MAX_ACCURACY_M,
    Area,
    Places,
    Site,
    accuracy_of,
    distance_m,
    exact_enough,
    nearest,
    rounded,
    site_of,
    spread_m,
    valid_point,
)

PARK = Site("Riverside Park", 52.4105, -1.5080)
PLAY = Site("Mill Lane play area", 52.4031, -1.5172)


def test_a_point_is_kept_to_about_100_metres() -> None:
    point = (52.41092, -1.50753)
    kept = rounded(*point)
    assert kept == (52.411, -1.508)
    moved = distance_m(*point, *kept)
    assert 0 < moved < 100
    # Two homes 30 m apart on one street land on the same point or a neighbour.
    assert distance_m(*rounded(52.41092, -1.50753), *rounded(52.41110, -1.50730)) < 150


def test_the_nearest_site_within_300_metres_names_the_place() -> None:
    assert nearest([PARK, PLAY], 52.4109, -1.5075) == PARK
    assert nearest([PARK, PLAY], 52.4035, -1.5170) == PLAY
    # Half a kilometre from both: no site.
    assert nearest([PARK, PLAY], 52.4070, -1.5000) is None
    assert nearest([], 52.4105, -1.5080) is None


def test_an_uncertain_point_is_named_after_no_site_it_could_miss() -> None:
    """Telegram's horizontal accuracy (metres): a site is named only when the circle of
    uncertainty is no wider than the naming radius and holds no other site."""
    near_park = (52.41092, -1.50753)  # 60 m from the park, about 1 km from the play area
    # Not said, 0, or a good fix: as `nearest`.
    for accuracy in (None, 0.0, 5.0, 65.0, 300.0):
        assert site_of([PARK, PLAY], *near_park, accuracy) == PARK, accuracy
    # Wider than the naming radius: it could be anywhere around; no site.
    assert site_of([PARK], *near_park, 301.0) is None
    assert site_of([PARK, PLAY], *near_park, 1500.0) is None
    # A site 200 m from another: a 250 m circle holds both.
    close = Site("Bandstand", 52.4123, -1.5080)
    assert 190 < distance_m(52.4105, -1.5080, 52.4123, -1.5080) < 210
    assert site_of([PARK, close], 52.4105, -1.5080, 100.0) == PARK
    assert site_of([PARK, close], 52.4105, -1.5080, 250.0) is None
    # Near no site: none, however good the fix; nonsense: not named.
    assert site_of([PARK, PLAY], 52.4070, -1.5000, 5.0) is None
    assert site_of([PARK, PLAY], *near_park, math.nan) is None
    assert site_of([PARK, PLAY], *near_park, -1.0) is None


def test_the_area_keeps_out_what_is_far_away() -> None:
    places = Places({"parks": (PARK, PLAY)}, Area(52.408, -1.510, 15))
    assert places.inside(52.41, -1.50)
    assert not places.inside(51.5072, -0.1276)  # London
    assert Places({}).inside(-33.86, 151.21)  # no area: anywhere
    assert places.of("parks") == (PARK, PLAY) and places.of("library") == ()


@pytest.mark.parametrize(
    ("lat", "lon", "ok"),
    [(0, 0, True), (90, 180, True), (91, 0, False), (0, -181, False), (math.nan, 0, False)],
)
def test_only_points_on_earth_are_points(lat: float, lon: float, ok: bool) -> None:
    assert valid_point(lat, lon) is ok


def test_distances_are_right_to_a_metre() -> None:
    # One degree of latitude is about 111.2 km anywhere.
    assert abs(distance_m(52.0, -1.5, 53.0, -1.5) - 111_195) < 1


def test_a_point_kept_is_named_only_after_the_site_the_point_shared_would_be() -> None:
    """A point kept (rounded) stands for any point of its cell: named later only after the
    site each of them would be, so never after one the point shared was judged not to be
    at (310 m north of the park: an area; kept as 52.413, 278 m from it)."""
    shared = (52.41329, -1.5080)
    assert site_of([PARK, PLAY], *shared, 20.0) is None
    kept = rounded(*shared)
    assert distance_m(*kept, PARK.latitude, PARK.longitude) < 300
    assert site_of([PARK, PLAY], *kept, 20.0, slack_m=KEPT_SLACK_M) is None
    # Well inside the naming radius: named, with the accuracy said or not.
    near_park = rounded(52.41092, -1.50753)
    for said in (None, 0.0, 20.0):
        assert site_of([PARK, PLAY], *near_park, said, slack_m=KEPT_SLACK_M) == PARK
    assert site_of([PARK, PLAY], *near_park, 1500.0, slack_m=KEPT_SLACK_M) is None
    # Every point of a cell is within the slack of the point kept.
    assert distance_m(52.0, -1.0, 52.0005, -1.0005) < KEPT_SLACK_M
    # Whatever the point, the accuracy and the sites: the point kept is named after the
    # site the point shared is, or after none.
    rng = random.Random(46)
    bandstand = Site("Bandstand", 52.4123, -1.5080)
    sites = [PARK, PLAY, bandstand]
    for _ in range(5000):
        point = (52.400 + rng.random() * 0.02, -1.525 + rng.random() * 0.025)
        said = rng.choice([None, 0.0, 5.0, 50.0, 150.0, 299.0, 1500.0])
        first = site_of(sites, *point, said)
        later = site_of(sites, *rounded(*point), said, slack_m=KEPT_SLACK_M)
        assert later in (None, first), (point, said, first, later)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (None, None),
        (0, 0.0),
        (20, 20.0),
        (1500.0, 1500.0),
        # Never sent by Telegram (a forged update): the widest it says.
        (math.nan, MAX_ACCURACY_M),
        (math.inf, MAX_ACCURACY_M),
        (-math.inf, MAX_ACCURACY_M),
        (-5.0, MAX_ACCURACY_M),
        (1e9, MAX_ACCURACY_M),
        ("20", MAX_ACCURACY_M),
        ([20], MAX_ACCURACY_M),
        ({"m": 20}, MAX_ACCURACY_M),
        (True, MAX_ACCURACY_M),
        (False, MAX_ACCURACY_M),
    ],
)
def test_an_accuracy_not_a_number_of_metres_is_taken_as_the_widest(
    raw: object, kept: float | None
) -> None:
    assert accuracy_of(raw) == kept
    assert kept is None or type(accuracy_of(raw)) is float


def test_only_a_fix_within_about_100_metres_is_worth_keeping_exactly() -> None:
    for good in (None, 0.0, 5.0, 100.0):
        assert exact_enough(good), good
    for poor in (100.5, 1500.0, math.nan, math.inf):
        assert not exact_enough(poor), poor
    # Comparing places: not said is 0, nonsense the widest.
    assert spread_m(None) == 0.0 and spread_m(65.0) == 65.0
    assert spread_m(math.nan) == MAX_ACCURACY_M

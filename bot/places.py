"""Where an item happened: a service's sites, the deployment's area, and how a shared
location is kept (no Telegram types here).

A shared location is kept rounded to about 100 m (3 decimal places of a degree), so a
report sent from home never pins the home;
the exact point only when the citizen agrees. The nearest site within SITE_RADIUS_M becomes
the item's site: providers see the site, or an area, never the exact point. A point Telegram
says is uncertain (its horizontal accuracy: a phone located by its cell tower may be 1,500 m
off) is named after no site its circle of uncertainty could miss: it stays an area, and
its exact point is not offered to keep (it is no more exact than the rounded one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_000.0
# A shared point this close to one of the service's sites is about that site.
SITE_RADIUS_M = 300.0
# A shared point is kept to 3 decimal places of a degree (about 100 m).
GRID_DIGITS = 3
# The most Telegram says a location may be off (the Bot API's horizontal_accuracy: 0-1500).
MAX_ACCURACY_M = 1500.0
# A point uncertain by more than this is no more exact than the point kept (to about 100 m,
# as the citizen is told): its exact point is not offered to keep.
EXACT_ACCURACY_M = 100.0


@dataclass(frozen=True)
class Site:
    """A place a service runs (a park, a stop, a branch library)."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Area:
    """The deployment's area: a centre and how far from it reports are expected."""

    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class Places:
    """The sites of each service (by slug) and the deployment's area (None: anywhere)."""

    sites: Mapping[str, tuple[Site, ...]]
    area: Area | None = None

    def of(self, slug: str) -> tuple[Site, ...]:
        """The sites of a service, in the deployment file's order."""
        return tuple(self.sites.get(slug, ()))

    def inside(self, latitude: float, longitude: float) -> bool:
        """Whether a point is inside the deployment's area (always, without an area)."""
        if self.area is None:
            return True
        away = distance_m(latitude, longitude, self.area.latitude, self.area.longitude)
        return away <= self.area.radius_km * 1000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def rounded(latitude: float, longitude: float, digits: int = GRID_DIGITS) -> tuple[float, float]:
    """A point to `digits` decimal places: 3 is about 110 m north-south and 70 m east-west
    in Britain (less further north), so a point shared from home shows the street, not the
    house."""
    return round(latitude, digits), round(longitude, digits)


def nearest(sites: Iterable[Site], latitude: float, longitude: float) -> Site | None:
    """The site within SITE_RADIUS_M of a point, nearest first; None if none is."""
    best: tuple[float, Site] | None = None
    for site in sites:
        away = distance_m(latitude, longitude, site.latitude, site.longitude)
        if away <= SITE_RADIUS_M and (best is None or away < best[0]):
            best = (away, site)
    return best[1] if best else None


def site_of(
    sites: Iterable[Site],
    latitude: float,
    longitude: float,
    accuracy_m: float | None = None,
    slack_m: float = 0.0,
) -> Site | None:
    """The site a shared point is about: the nearest within SITE_RADIUS_M, unless the point
    is uncertain by `accuracy_m` metres (Telegram's horizontal accuracy; None or 0: not said)
    so that where the citizen was could be another site, or further than SITE_RADIUS_M
    from this one: the circle of uncertainty is wider than SITE_RADIUS_M, or holds another
    of the sites. None then, as for a point near no site (it stays an area).

    `slack_m`: the point stands for any point within that many metres of it (a point kept,
    rounded: KEPT_SLACK_M); the site is the one every such point would be named after, else
    None. So a point kept is never named after a site the point shared was not."""
    sites = tuple(sites)
    near = nearest(sites, latitude, longitude)
    if near is None:
        return None
    if accuracy_m and not 0 < accuracy_m <= SITE_RADIUS_M:
        return None  # wider (or not a number of metres at all)
    said = bool(accuracy_m)
    reach = (accuracy_m or 0.0) + slack_m
    here = distance_m(latitude, longitude, near.latitude, near.longitude)
    if here + slack_m > SITE_RADIUS_M:
        return None
    for site in sites:
        if site == near:
            continue
        away = distance_m(latitude, longitude, site.latitude, site.longitude)
        if said and away <= reach:
            return None  # the circle of uncertainty could hold it
        if slack_m and away - slack_m <= here + slack_m:
            return None  # nearer than `near` to some point it stands for
    return near


def accuracy_of(raw: object) -> float | None:
    """Telegram's horizontal accuracy of a shared location, in metres, as kept: None when
    not said. Telegram sends a number from 0 to 1500; anything else (a forged update: not a
    number, a bool, NaN, infinite, negative, more than 1500) is taken as the most it says,
    MAX_ACCURACY_M: the point is not trusted to name a site or to be exact, and what is
    kept is a number of metres (never NaN, which the two engines keep differently)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return MAX_ACCURACY_M
    if not math.isfinite(raw) or not 0 <= raw <= MAX_ACCURACY_M:
        return MAX_ACCURACY_M
    return float(raw)


def exact_enough(accuracy_m: float | None) -> bool:
    """Whether a shared point is worth keeping exactly: its accuracy not said, or within
    EXACT_ACCURACY_M (a wider one is no more exact than the point kept to about 100 m)."""
    return accuracy_m is None or (math.isfinite(accuracy_m) and accuracy_m <= EXACT_ACCURACY_M)


def spread_m(accuracy_m: float | None) -> float:
    """How far a point may be from where it says, for comparing places: its accuracy (not
    said: 0; not a number of metres from 0 to 1500: the most Telegram says)."""
    kept = accuracy_of(accuracy_m)
    return 0.0 if kept is None else kept


# The furthest a point kept (rounded to GRID_DIGITS) can be from the point shared: half a
# cell's diagonal at the equator, where the cell is widest (about 79 m).
_HALF = 0.5 * 10**-GRID_DIGITS
KEPT_SLACK_M = distance_m(0.0, 0.0, _HALF, _HALF) + 0.01


def valid_point(latitude: float, longitude: float) -> bool:
    """Whether two numbers are a point on Earth."""
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )

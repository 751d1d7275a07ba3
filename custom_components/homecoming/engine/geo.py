"""Geodesy: great-circle distance, and a fast local approximation.

Both run once or twice for every fix, so they multiply by :data:`RADIANS_PER_DEGREE`
instead of calling :func:`math.radians` (the same product, without a call) and the
:class:`Origin` of the home keeps what depends on the home alone.
"""

from __future__ import annotations

from math import asin, cos, pi, sin, sqrt
from typing import Final

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

RADIANS_PER_DEGREE: Final = pi / 180.0
"""The factor :func:`math.radians` multiplies by: ``x * RADIANS_PER_DEGREE`` is
bit for bit ``radians(x)``."""

METRES_PER_DEGREE: Final = EARTH_RADIUS_M * RADIANS_PER_DEGREE
"""A degree of latitude in metres, and the most a degree of longitude can be.

Two points whose latitudes differ by ``a`` degrees and longitudes by ``b`` are never
farther apart by :func:`local_m` than ``(|a| + |b|) * METRES_PER_DEGREE`` plus
:data:`LOCAL_ROUNDING_M` (a cosine is at most 1, ``sqrt(x² + y²) <= |x| + |y|``, and the
longitude difference it wraps round the date line is never longer): a bound without
trigonometry."""

LOCAL_ROUNDING_M: Final = 0.01
"""Covers the rounding of :func:`local_m` and of that bound: nanometres for points on
Earth, so a centimetre leaves room."""


class Origin:
    """A fixed point, with what the haversine formula needs of it computed once."""

    __slots__ = ("_cos_lat", "_lat", "_lon")

    def __init__(self, latitude: float, longitude: float) -> None:
        """Precompute the origin's latitude in radians and its cosine."""
        self._lat = latitude * RADIANS_PER_DEGREE
        self._cos_lat = cos(self._lat)
        self._lon = longitude

    def distance_m(self, latitude: float, longitude: float) -> float:
        """Great-circle distance from the origin to a point, in metres."""
        p = latitude * RADIANS_PER_DEGREE
        a = (
            sin((p - self._lat) * 0.5) ** 2
            + self._cos_lat
            * cos(p)
            * sin((longitude - self._lon) * RADIANS_PER_DEGREE * 0.5) ** 2
        )
        # Rounding can put a hair above 1 near the antipode: keep asin in its domain.
        return 2.0 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in metres."""
    return Origin(lat1, lon1).distance_m(lat2, lon2)


def local_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in metres, for points a few kilometres apart at most."""
    dlon = (lon2 - lon1 + 540.0) % 360.0 - 180.0
    x = dlon * RADIANS_PER_DEGREE * cos((lat1 + lat2) * 0.5 * RADIANS_PER_DEGREE)
    y = (lat2 - lat1) * RADIANS_PER_DEGREE
    return EARTH_RADIUS_M * sqrt(x * x + y * y)

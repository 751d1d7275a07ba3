"""Geodesy: great-circle distance, and a fast local approximation."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""


class Origin:
    """A fixed point, with what the haversine formula needs of it computed once."""

    __slots__ = ("_cos_lat", "_lat", "_lon")

    def __init__(self, latitude: float, longitude: float) -> None:
        """Precompute the origin's latitude in radians and its cosine."""
        self._lat = radians(latitude)
        self._cos_lat = cos(self._lat)
        self._lon = longitude

    def distance_m(self, latitude: float, longitude: float) -> float:
        """Great-circle distance from the origin to a point, in metres."""
        p = radians(latitude)
        a = (
            sin((p - self._lat) * 0.5) ** 2
            + self._cos_lat * cos(p) * sin(radians(longitude - self._lon) * 0.5) ** 2
        )
        return 2.0 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in metres."""
    return Origin(lat1, lon1).distance_m(lat2, lon2)


def local_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in metres, for points a few kilometres apart at most."""
    dlon = (lon2 - lon1 + 540.0) % 360.0 - 180.0
    x = radians(dlon) * cos(radians((lat1 + lat2) * 0.5))
    y = radians(lat2 - lat1)
    return EARTH_RADIUS_M * sqrt(x * x + y * y)

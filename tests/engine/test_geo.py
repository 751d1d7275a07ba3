"""Tests of the geodesy helpers."""

import math

from hypothesis import given, strategies as st
import pytest

from custom_components.homecoming.engine.geo import (
    LOCAL_ROUNDING_M,
    METRES_PER_DEGREE,
    RADIANS_PER_DEGREE,
    Origin,
    haversine_m,
    local_m,
)


def test_haversine_known_distances() -> None:
    """Paris to London and a degree of latitude, against published figures."""
    assert haversine_m(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(
        343_560, rel=2e-3
    )
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(10.0, 20.0, 10.0, 20.0) == 0.0
    # antipodes: the rounding clamp keeps asin in its domain
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(20_015_115, rel=1e-4)


def test_origin_matches_haversine() -> None:
    """The precomputed origin gives the same distance as the plain formula."""
    origin = Origin(52.37, 4.89)
    assert origin.distance_m(52.40, 4.95) == haversine_m(52.37, 4.89, 52.40, 4.95)


@pytest.mark.parametrize(
    ("lat1", "lon1", "lat2", "lon2"),
    [
        (52.37, 4.89, 52.38, 4.90),
        (-33.9, 18.4, -33.91, 18.43),
        (10.0, 179.99, 10.0, -179.99),
    ],
)
def test_local_distance_agrees_nearby(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    """Within a few kilometres the fast approximation is within 0.1 %, across the date line too."""
    assert local_m(lat1, lon1, lat2, lon2) == pytest.approx(
        haversine_m(lat1, lon1, lat2, lon2), rel=1e-3
    )


_LATITUDES = st.floats(-90.0, 90.0)
_LONGITUDES = st.floats(-180.0, 180.0)
_OFFSETS = st.floats(-0.05, 0.05)


def _bound(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return (abs(lat2 - lat1) + abs(lon2 - lon1)) * METRES_PER_DEGREE + LOCAL_ROUNDING_M


@given(_LATITUDES, _LONGITUDES, _OFFSETS, _OFFSETS)
def test_the_bound_without_trigonometry_is_never_short_nearby(
    lat: float, lon: float, north: float, east: float
) -> None:
    """Degrees apart times METRES_PER_DEGREE, plus the margin, is never less.

    Points up to a few kilometres apart, at the poles and across the date line too.
    """
    lat2 = max(-90.0, min(90.0, lat + north))
    lon2 = (lon + east + 180.0) % 360.0 - 180.0
    assert local_m(lat, lon, lat2, lon2) <= _bound(lat, lon, lat2, lon2)


@given(_LATITUDES, _LONGITUDES, _LATITUDES, _LONGITUDES)
def test_the_bound_without_trigonometry_is_never_short_far_away(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    """...and for any two points on Earth."""
    assert local_m(lat1, lon1, lat2, lon2) <= _bound(lat1, lon1, lat2, lon2)


@given(st.floats(-540.0, 540.0))
def test_radians_per_degree_is_what_radians_multiplies_by(degrees: float) -> None:
    """The geodesy multiplies by the factor instead of calling math.radians: same bits."""
    assert degrees * RADIANS_PER_DEGREE == math.radians(degrees)

"""Tests of the engine's value types."""

from datetime import UTC, datetime
import math
from typing import Any

import pytest

from custom_components.homecoming.engine import Fix, Home, Settings

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_fix_accepts_a_full_fix() -> None:
    """Every optional field can be given."""
    fix = Fix(
        latitude=52.0,
        longitude=4.0,
        timestamp=NOW,
        accuracy=5.0,
        speed=12.5,
        heading=270.0,
        ignition=True,
        driver="anna",
        travel_time=600.0,
    )
    assert fix.driver == "anna"
    assert fix.travel_time == 600.0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"latitude": 91.0}, ValueError),
        ({"latitude": -90.5}, ValueError),
        ({"longitude": 180.5}, ValueError),
        ({"latitude": math.nan}, ValueError),
        ({"longitude": math.inf}, ValueError),
        ({"latitude": 10**400}, ValueError),
        ({"latitude": "52"}, TypeError),
        ({"latitude": True}, TypeError),
        ({"timestamp": "2026-01-01T00:00:00Z"}, TypeError),
        ({"timestamp": datetime(2026, 1, 1)}, ValueError),  # noqa: DTZ001
        ({"accuracy": -1.0}, ValueError),
        ({"accuracy": math.nan}, ValueError),
        ({"speed": -0.1}, ValueError),
        ({"travel_time": -5.0}, ValueError),
        ({"heading": math.inf}, ValueError),
        ({"ignition": 1}, TypeError),
        ({"driver": 7}, TypeError),
    ],
)
def test_fix_refuses_impossible_values(
    changes: dict[str, Any], error: type[Exception]
) -> None:
    """A fix that cannot describe a real position is refused on construction."""
    fields: dict[str, Any] = {"latitude": 52.0, "longitude": 4.0, "timestamp": NOW}
    fields |= changes
    with pytest.raises(error):
        Fix(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": 95.0, "longitude": 4.0, "radius": 100.0},
        {"latitude": 52.0, "longitude": -181.0, "radius": 100.0},
        {"latitude": 52.0, "longitude": 4.0, "radius": 0.0},
        {"latitude": 52.0, "longitude": 4.0, "radius": math.nan},
    ],
)
def test_home_refuses_impossible_values(fields: dict[str, float]) -> None:
    """A home needs real coordinates and a positive radius."""
    with pytest.raises(ValueError, match=r"latitude|longitude|radius|finite"):
        Home(**fields)


def test_settings_defaults_are_valid() -> None:
    """The defaults pass their own validation and can switch off both reach limits."""
    assert Settings().arrival_radius_m > 0
    assert Settings(reach_m=None, reach_eta_s=None).reach_m is None


@pytest.mark.parametrize(
    "changes",
    [
        {"arrival_radius_m": -1.0},
        {"window_s": math.nan},
        {"reach_m": math.inf},
        {"max_accuracy_m": "x"},
    ],
)
def test_settings_refuse_nonsense(changes: dict[str, Any]) -> None:
    """Negative, infinite or non-numeric settings are refused."""
    with pytest.raises(ValueError, match="must be a number from"):
        Settings(**changes)

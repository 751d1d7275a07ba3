"""Tests of the engine's value types."""

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
import math
from typing import Any

import pytest

from custom_components.homecoming.engine import Fix, Home, Settings
from custom_components.homecoming.engine.models import (
    MAX_REPORTED_SPEED_MPS,
    MAX_TRAVEL_TIME_S,
)
from custom_components.homecoming.engine.settings import RANGES

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
EAST = timezone(timedelta(hours=1))
WEST = timezone(timedelta(hours=-1))


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
        ({"travel_time_gone": 1}, TypeError),
        ({"travel_time_gone": True, "travel_time": 60.0}, ValueError),
        ({"driver": "x" * 256}, ValueError),
        ({"timestamp": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)}, ValueError),
        ({"timestamp": datetime(2100, 1, 1, tzinfo=UTC)}, ValueError),
        ({"timestamp": datetime(1969, 12, 31, tzinfo=UTC)}, ValueError),
        ({"travel_time": 1e12}, ValueError),
        ({"travel_time": 86_400.5}, ValueError),
        ({"speed": 150.5}, ValueError),
        ({"speed": 10**400}, ValueError),
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
        {"silence_timeout_s": 1e300},
        {"stop_tolerance_s": 86_401.0},
        {"progress_fraction": 1.5},
        {"reanchor_fixes": 0},
        {"clock_skew_s": True},
    ],
)
def test_settings_refuse_nonsense(changes: dict[str, Any]) -> None:
    """Negative, infinite or non-numeric settings are refused."""
    with pytest.raises(ValueError, match="must be a number from"):
        Settings(**changes)


def test_fix_takes_the_edges_of_its_ranges() -> None:
    """The last valid values of each range are accepted."""
    fix = Fix(
        latitude=-90.0,
        longitude=180.0,
        timestamp=datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC),
        accuracy=0.0,
        speed=MAX_REPORTED_SPEED_MPS,
        travel_time=MAX_TRAVEL_TIME_S,
        driver="x" * 255,
    )
    assert fix.speed == MAX_REPORTED_SPEED_MPS


def test_every_setting_has_a_range_and_its_default_is_in_it() -> None:
    """One table gives each setting's valid range; the defaults lie inside."""
    defaults = Settings()
    assert set(RANGES) == {field.name for field in fields(Settings)}
    for name, (low, high) in RANGES.items():
        value = getattr(defaults, name)
        assert low <= value <= high, name
        Settings(**{name: low})
        Settings(**{name: high})


def test_a_fix_carries_its_time_in_posix_seconds() -> None:
    """``epoch`` is the timestamp in POSIX seconds, made with the fix, not compared."""
    fix = Fix(latitude=52.0, longitude=4.0, timestamp=NOW)
    assert fix.epoch == NOW.timestamp()
    assert replace(fix, timestamp=NOW + timedelta(seconds=90)).epoch == fix.epoch + 90
    elsewhere = replace(fix, timestamp=NOW.astimezone(timezone(timedelta(hours=-5))))
    assert elsewhere == fix
    assert elsewhere.epoch == fix.epoch
    assert "epoch" not in repr(fix)
    with pytest.raises(TypeError):
        Fix(latitude=52.0, longitude=4.0, timestamp=NOW, epoch=0.0)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("timestamp", "valid"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), True),
        (datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), False),
        (datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), True),
        (datetime(2100, 1, 1, tzinfo=UTC), False),
        # the same instants in other time zones
        (datetime(1970, 1, 1, 1, tzinfo=EAST), True),
        (datetime(1970, 1, 1, 0, 59, 59, tzinfo=EAST), False),
        (datetime(2099, 12, 31, 22, 59, 59, tzinfo=WEST), True),
        (datetime(2099, 12, 31, 23, tzinfo=WEST), False),
    ],
)
def test_the_time_range_is_exact_to_the_microsecond(
    timestamp: datetime, valid: bool
) -> None:
    """1970-01-01 is in, a microsecond earlier is out; 2100-01-01 is out, in any zone."""
    if valid:
        assert Fix(latitude=0.0, longitude=0.0, timestamp=timestamp).epoch >= 0
    else:
        with pytest.raises(ValueError, match="between the years"):
            Fix(latitude=0.0, longitude=0.0, timestamp=timestamp)

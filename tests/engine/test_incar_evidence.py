"""The engine with the in-car signal: an approach starts on less evidence, never wrongly.

A fix marked ``in_car`` comes from a phone in the car, so the car is known to be driving:
:attr:`Settings.in_car_min_progress_m`, :attr:`Settings.in_car_progress_fraction` and
:attr:`Settings.in_car_fixes` apply instead of the usual evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from hypothesis import given, settings as hypothesis_settings, strategies as st
import pytest

from custom_components.homecoming.engine import (
    ApproachDetector,
    EventType,
    Fix,
    Home,
    Settings,
)
from custom_components.homecoming.engine.settings import RANGES
from devtools import sim


def in_car(fixes: Iterable[Fix]) -> list[Fix]:
    """Return the fixes as a phone in the car reports them."""
    return [replace(fix, in_car=True) for fix in fixes]


def approach_started(
    home: Home, fixes: Iterable[Fix], settings: Settings | None = None
) -> list[datetime]:
    """Return when each approach of a drive started."""
    engine = ApproachDetector(home, settings)
    return [
        transition.timestamp
        for fix in fixes
        for transition in engine.update(fix).transitions
        if transition.event is EventType.APPROACH_STARTED
    ]


@pytest.mark.parametrize(
    "scenario",
    [
        sim.straight_approach(seed=1),
        sim.straight_approach(25_000.0, 30.0, seed=2),
        sim.red_lights(seed=3),
        sim.car_park_exit(seed=4),
    ],
    ids=["10 km", "motorway", "red lights", "car park"],
)
def test_the_approach_starts_earlier_in_the_car(scenario: sim.Scenario) -> None:
    """The same drive: one approach either way, the one in the car seconds earlier."""
    (without,) = approach_started(scenario.home, scenario.fixes)
    (with_signal,) = approach_started(scenario.home, in_car(scenario.fixes))
    assert with_signal < without
    assert (without - with_signal).total_seconds() >= 5.0


def test_the_in_car_settings_are_the_ones_used() -> None:
    """With the in-car settings set to the usual ones, the signal changes nothing."""
    scenario = sim.straight_approach(seed=5)
    same = Settings(
        in_car_min_progress_m=100.0, in_car_progress_fraction=0.03, in_car_fixes=2
    )
    assert approach_started(scenario.home, in_car(scenario.fixes), same) == (
        approach_started(scenario.home, scenario.fixes)
    )


@pytest.mark.parametrize(
    "scenario",
    [
        sim.parked_drift(hours=2, seed=6),
        sim.parked_drift(hours=2, at_m=1_500.0, seed=7),
        sim.cell_fixes_far(seed=8),
    ],
    ids=["parked at home", "parked 1.5 km away", "cell fixes"],
)
def test_no_false_approach_in_the_car(scenario: sim.Scenario) -> None:
    """Sitting in a parked car with the phone connected starts nothing."""
    assert approach_started(scenario.home, in_car(scenario.fixes)) == []


def test_a_short_trip_home_passes_through_its_approach_in_the_car() -> None:
    """An errand 1 km out and back, in the car: approach, arriving, arrived."""
    scenario = sim.short_errand(seed=9)
    engine = ApproachDetector(scenario.home)
    events = [
        transition.event
        for fix in in_car(scenario.fixes)
        for transition in engine.update(fix).transitions
    ]
    assert events[-3:] == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.ARRIVED,
    ]
    assert events.count(EventType.APPROACH_STARTED) == 1


def test_in_car_is_a_boolean() -> None:
    """A fix refuses an in-car flag that is not a boolean."""
    fix = sim.straight_approach().fixes[0]
    with pytest.raises(TypeError, match="in_car must be a boolean"):
        replace(fix, in_car=1)  # type: ignore[arg-type]
    assert not fix.in_car


def test_the_in_car_settings_have_ranges() -> None:
    """Each in-car setting has a range; one outside it is refused."""
    for name in ("in_car_min_progress_m", "in_car_progress_fraction", "in_car_fixes"):
        assert name in RANGES
    with pytest.raises(ValueError, match="in_car_fixes"):
        Settings(in_car_fixes=3)
    with pytest.raises(ValueError, match="in_car_progress_fraction"):
        Settings(in_car_progress_fraction=1.5)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    bearing=st.floats(0.0, 359.0),
    start_m=st.floats(800.0, 40_000.0),
    speed=st.floats(2.0, 40.0),
    interval=st.sampled_from([1.0, 5.0, 15.0, 60.0, 180.0]),
    noise=st.floats(0.0, 8.0),
    seed=st.integers(0, 10_000),
)
def test_never_an_approach_for_a_receding_car_in_the_car(
    bearing: float,
    start_m: float,
    speed: float,
    interval: float,
    noise: float,
    seed: int,
) -> None:
    """With the signal on, a car driving straight away from home never approaches.

    GPS scatter up to the accuracy the phone reports (8 m); scatter several times that
    is what :attr:`Settings.in_car_fixes` (two fixes) guards against.
    """
    drive = (
        sim.Drive(interval=interval, seed=seed)
        .with_noise(noise)
        .at(*sim.along(bearing, start_m))
        .drive_to(*sim.along(bearing, start_m + max(speed * 600.0, 2_000.0)), speed)
    )
    assert approach_started(drive.home_zone(), in_car(drive.fixes)) == []

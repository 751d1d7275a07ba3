"""Realistic drives from the simulator: what the engine must do on real roads."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from custom_components.homecoming.engine import (
    ApproachDetector,
    EventType,
    Phase,
    RejectReason,
    Transition,
)
from tests import sim

TRIP = [EventType.APPROACH_STARTED, EventType.ARRIVING, EventType.ARRIVED]
SEEDS = [0, 1, 2, 3, 4]


def replay(
    scenario: sim.Scenario,
) -> tuple[ApproachDetector, list[Transition], Counter[RejectReason]]:
    """Feed a scenario's fixes in emission order, as they would arrive."""
    engine = ApproachDetector(scenario.home)
    transitions: list[Transition] = []
    rejected: Counter[RejectReason] = Counter()
    for fix in scenario.fixes:
        result = engine.update(fix)
        if result.reason is not None:
            rejected[result.reason] += 1
        transitions.extend(result.transitions)
    return engine, transitions, rejected


def kinds(transitions: list[Transition]) -> list[EventType]:
    """Return the event types, in order."""
    return [tr.event for tr in transitions]


@pytest.mark.parametrize("seed", SEEDS)
def test_straight_approach_is_detected_minutes_ahead(seed: int) -> None:
    """10 km at 54 km/h: detected within the first minute, one of each event."""
    scenario = sim.straight_approach(seed=seed)
    engine, transitions, _ = replay(scenario)
    assert kinds(transitions) == TRIP
    started, arriving, arrived = transitions
    arrive = scenario.marks["arrive"]
    assert arrive - started.timestamp > timedelta(minutes=9)
    assert started.timestamp - scenario.marks["start"] < timedelta(minutes=1)
    assert timedelta(0) < arrive - arriving.timestamp < timedelta(minutes=1)
    assert abs(arrived.timestamp - arrive) < timedelta(seconds=15)
    assert started.eta is not None
    assert abs(started.eta - arrive) < timedelta(minutes=2)
    assert engine.phase is Phase.HOME


@pytest.mark.parametrize("seed", SEEDS)
def test_red_lights_do_not_cancel(seed: int) -> None:
    """Halts of 30 to 90 s in town keep the approach."""
    _, transitions, _ = replay(sim.red_lights(seed=seed))
    assert kinds(transitions) == TRIP


@pytest.mark.parametrize("seed", SEEDS)
def test_four_minute_jam_does_not_cancel(seed: int) -> None:
    """Stop-and-go for 4 minutes 2 km out keeps the approach."""
    _, transitions, _ = replay(sim.jam(minutes=4, at_m=2_000, seed=seed))
    assert kinds(transitions) == TRIP


@pytest.mark.parametrize("seed", SEEDS)
def test_standing_jam_up_to_tolerance_does_not_cancel(seed: int) -> None:
    """Even standing still (crawling at 0.2 m/s) for 6 minutes keeps the approach."""
    _, transitions, _ = replay(
        sim.jam(minutes=6, at_m=3_000, crawl_speed=0.2, seed=seed)
    )
    assert kinds(transitions) == TRIP


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("closest", [500.0, 800.0, 1_500.0])
def test_drive_by_never_arrives(seed: int, closest: float) -> None:
    """Passing home outside the arrival radius: no arriving, no arrived, ended soon."""
    scenario = sim.drive_by(closest_m=closest, seed=seed)
    engine, transitions, _ = replay(scenario)
    assert EventType.ARRIVING not in kinds(transitions)
    assert EventType.ARRIVED not in kinds(transitions)
    assert engine.phase is Phase.AWAY
    if transitions:
        assert kinds(transitions) == [
            EventType.APPROACH_STARTED,
            EventType.APPROACH_CANCELLED,
        ]
        after = transitions[-1].timestamp - scenario.marks["closest"]
        assert timedelta(0) < after < timedelta(minutes=2)


@pytest.mark.parametrize("seed", SEEDS)
def test_drive_by_inside_the_arrival_radius_arrives_but_never_arrived(
    seed: int,
) -> None:
    """A road 250 m from home is within the arrival radius, never within the zone."""
    _, transitions, _ = replay(sim.drive_by(closest_m=250.0, seed=seed))
    assert kinds(transitions) == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.APPROACH_CANCELLED,
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_night_parked_at_home_is_quiet(seed: int) -> None:
    """Eight hours of drift and wild fixes at home: no transition at all."""
    engine, transitions, rejected = replay(
        sim.parked_drift(hours=8, at_m=0.0, seed=seed)
    )
    assert transitions == []
    assert engine.phase is Phase.HOME
    assert rejected[RejectReason.INACCURATE] > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_a_night_parked_away_is_quiet(seed: int) -> None:
    """Eight hours parked 1.5 km from home: never an approach."""
    engine, transitions, _ = replay(sim.parked_drift(hours=8, at_m=1_500.0, seed=seed))
    assert transitions == []
    assert engine.phase is Phase.AWAY


@pytest.mark.parametrize("seed", SEEDS)
def test_tunnel_gap_keeps_the_approach(seed: int) -> None:
    """Three minutes without fixes in a tunnel: still one of each."""
    scenario = sim.tunnel(gap_s=180.0, seed=seed)
    engine = ApproachDetector(scenario.home)
    transitions: list[Transition] = []
    for fix in scenario.fixes:
        # time passes in the tunnel too: the integration calls advance every few seconds
        transitions.extend(engine.advance(fix.timestamp - timedelta(seconds=1)))
        transitions.extend(engine.update(fix).transitions)
    assert kinds(transitions) == TRIP


@pytest.mark.parametrize("seed", SEEDS)
def test_replayed_queue_after_arrival_changes_nothing(seed: int) -> None:
    """Old queued points sent after arrival are ignored; the car stays home."""
    engine, transitions, rejected = replay(sim.replayed_queue_after_arrival(seed=seed))
    assert kinds(transitions) == TRIP
    assert engine.phase is Phase.HOME
    assert rejected[RejectReason.STALE] > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_cell_fixes_far_away_never_count(seed: int) -> None:
    """1.5 km cell fixes are all rejected: nothing is known, nothing happens."""
    engine, transitions, rejected = replay(sim.cell_fixes_far(seed=seed))
    assert transitions == []
    assert engine.phase is None
    assert rejected[RejectReason.INACCURATE] == len(sim.cell_fixes_far(seed=seed).fixes)


@pytest.mark.parametrize("seed", SEEDS)
def test_parking_outside_home_cancels(seed: int) -> None:
    """Parking 1 km from home for 20 minutes ends the approach after the tolerance."""
    drive = sim.Drive(seed=seed).at(*sim.along(60.0, 8_000.0))
    drive.drive_to(*sim.along(60.0, 1_000.0), 14.0).mark("park").drift(1_200.0)
    engine, transitions, _ = replay(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [
        EventType.APPROACH_STARTED,
        EventType.APPROACH_CANCELLED,
    ]
    waited = transitions[-1].timestamp - drive.marks["park"]
    tolerance = engine.settings.stop_tolerance_s
    # the last moving fix comes one interval before the true stop
    assert tolerance - 5 <= waited.total_seconds() <= tolerance + 60


@pytest.mark.parametrize("seed", SEEDS)
def test_leaving_home_is_confirmed_once(seed: int) -> None:
    """Driving off after a night at home: one departed, after the zone and margin."""
    drive = sim.Drive(seed=seed, interval=30.0).at(0.0, 0.0)
    drive.drift(3_600.0, wild_every=20).with_interval(5.0)
    drive.mark("leave").drive_to(*sim.along(200.0, 6_000.0), 15.0)
    engine, transitions, _ = replay(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [EventType.DEPARTED]
    assert transitions[0].timestamp - drive.marks["leave"] < timedelta(minutes=1)
    assert engine.phase is Phase.AWAY


def test_whole_day_gives_one_trip_each_way() -> None:
    """Home, to work, a day there, home again: departed then one trip home."""
    drive = sim.Drive(seed=7).at(0.0, 0.0).drift(1_800.0)
    drive.route([sim.along(80.0, 3_000.0), sim.along(95.0, 14_000.0)], 20.0)
    drive.drift(8 * 3_600.0, wild_every=30)
    drive.route([sim.along(90.0, 5_000.0), (0.0, 0.0)], 18.0).stop(600.0)
    _, transitions, _ = replay(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [EventType.DEPARTED, *TRIP]

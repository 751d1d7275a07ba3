"""Realistic drives from the simulator: what the engine must do on real roads."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from custom_components.homecoming.engine import (
    ApproachDetector,
    EventType,
    Phase,
    RejectReason,
    Transition,
)
from devtools import sim

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
    assert rejected[RejectReason.TOO_OLD] > 0


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


# --- impossible jumps (a second tracker, cell fixes with a fake accuracy) -------------


@pytest.mark.parametrize("seed", SEEDS)
def test_two_fixes_at_home_from_200_km_away_change_nothing(seed: int) -> None:
    """A phone 200 km away reports the home zone's centre twice, 60 s apart: nothing."""
    drive = sim.Drive(seed=seed, interval=30.0).at(*sim.along(40.0, 200_000.0))
    drive.drift(600.0, accuracy=(10.0, 20.0), wild_every=None)
    far = drive.fixes
    home_fixes = [
        replace(far[-1], latitude=sim.DEFAULT_HOME[0], longitude=sim.DEFAULT_HOME[1])
    ]
    t = far[-1].timestamp
    ghosts = [
        replace(
            home_fixes[0], timestamp=t + timedelta(seconds=30 + 60 * k), accuracy=5.0
        )
        for k in range(2)
    ]
    drive.replay(ghosts).gap(180.0).drift(600.0, wild_every=None)
    engine, transitions, rejected = replay(sim.Scenario(drive, drive.home_zone()))
    assert transitions == []
    assert engine.phase is Phase.AWAY
    assert rejected[RejectReason.OUTLIER] == 2


def test_a_tracker_that_really_moved_is_followed_after_five_minutes() -> None:
    """Fixes that agree for five minutes, with nothing from the old track, are the truth.

    The person's tracker was switched for good.
    """
    drive = sim.Drive(seed=1, interval=30.0).at(*sim.along(40.0, 200_000.0))
    drive.drift(600.0, accuracy=(10.0, 20.0), wild_every=None)
    drive.gap(30.0, moving_to=(0.0, 0.0)).drift(600.0, wild_every=None)
    engine, transitions, rejected = replay(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [EventType.ARRIVED]
    arrived = transitions[0].timestamp
    assert arrived - drive.fixes[0].timestamp >= timedelta(seconds=600 + 300)
    assert rejected[RejectReason.OUTLIER] == 10  # every 30 s for five minutes
    assert engine.phase is Phase.HOME


# --- moving about near home after arriving -------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("accuracy", [8.0, 25.0])
@pytest.mark.parametrize("shape", list(sim.NEAR_HOME_SHAPES))
def test_moving_about_near_home_is_one_arrival(
    shape: str, accuracy: float, seed: int
) -> None:
    """A loop round the block, a U-turn, re-parking: one arrived and nothing else."""
    scenario = sim.moving_about_near_home(shape, accuracy=accuracy, seed=seed)
    engine, transitions, _ = replay(scenario)
    assert kinds(transitions) == TRIP
    assert engine.phase is Phase.HOME


@pytest.mark.parametrize("seed", SEEDS)
def test_parking_round_the_corner_for_good_departs_once_moving_away(seed: int) -> None:
    """Leaving slowly within the leave radius departs after the dwell time, once."""
    drive = sim.Drive(seed=seed).at(0.0, 0.0).stop(60.0).mark("leave")
    drive.crawl(400.0, 0.9, toward=(0.0, 380.0)).drive_to(0.0, 3_000.0, 12.0)
    _, transitions, _ = replay(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [EventType.DEPARTED]


# --- short trips ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_short_errand_gets_its_approach(seed: int) -> None:
    """1 km out and back at town speed: departed, then a whole trip home.

    The approach comes at least 60 s before arrived.
    """
    _, transitions, _ = replay(sim.short_errand(1_000.0, seed=seed))
    assert kinds(transitions) == [EventType.DEPARTED, *TRIP]
    started, arriving, arrived = transitions[1:]
    assert arrived.timestamp - started.timestamp >= timedelta(seconds=60)
    assert arriving.timestamp < arrived.timestamp


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("out_m", [600.0, 800.0, 1_500.0])
def test_short_errand_with_a_stop_on_the_way_back(seed: int, out_m: float) -> None:
    """Return legs of 500 m and more with a 2-minute stop keep their approach.

    It comes at least 60 s before arrived.
    """
    scenario = sim.short_errand(out_m, stop_back_s=120.0, seed=seed)
    _, transitions, _ = replay(scenario)
    assert kinds(transitions) == [EventType.DEPARTED, *TRIP]
    started, _, arrived = transitions[1:]
    assert arrived.timestamp - started.timestamp >= timedelta(seconds=60)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("out_m", [500.0, 700.0])
def test_every_return_leg_of_500_m_passes_through_arriving(
    seed: int, out_m: float
) -> None:
    """Returning from beyond the arrival radius never jumps from away to arrived."""
    _, transitions, _ = replay(sim.short_errand(out_m, seed=seed))
    assert kinds(transitions) == [EventType.DEPARTED, *TRIP]


# --- sparse sources and crawls -------------------------------------------------------


def replay_ticking(
    scenario: sim.Scenario, every: float = 10.0
) -> tuple[ApproachDetector, list[Transition]]:
    """Feed a scenario with time passing between fixes, as the integration's clock does."""
    engine = ApproachDetector(scenario.home)
    transitions: list[Transition] = []
    previous = None
    for fix in scenario.fixes:
        if previous is not None:
            moment = previous + timedelta(seconds=every)
            while moment < fix.timestamp:
                transitions.extend(engine.advance(moment))
                moment += timedelta(seconds=every)
        transitions.extend(engine.update(fix).transitions)
        previous = fix.timestamp
    return engine, transitions


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("phase_s", [0.0, 45.0, 100.0])
@pytest.mark.parametrize("interval", [120.0, 180.0, 300.0])
def test_sparse_source_with_a_stop_keeps_the_approach(
    interval: float, phase_s: float, seed: int
) -> None:
    """A car cloud reporting every 2-5 minutes, a 90 s stop 4 km out: one whole trip."""
    scenario = sim.sparse_trip_with_stop(interval, phase_s=phase_s, seed=seed)
    engine, transitions = replay_ticking(scenario)
    assert kinds(transitions) == TRIP
    assert engine.phase is Phase.HOME


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("crawl_speed", [0.4, 0.6, 0.9])
def test_ten_minute_crawl_is_progress(seed: int, crawl_speed: float) -> None:
    """A jam at walking pace that keeps getting closer never cancels the approach."""
    scenario = sim.crawling_jam(10.0, crawl_speed, seed=seed)
    _, transitions = replay_ticking(scenario)
    assert kinds(transitions) == TRIP


@pytest.mark.parametrize("seed", SEEDS)
def test_parked_with_a_sparse_source_still_cancels(seed: int) -> None:
    """Parked 1.5 km out, reported every 3 minutes: cancelled, one cadence late at most."""
    drive = sim.Drive(seed=seed, interval=180.0).at(*sim.along(300.0, 12_000.0))
    drive.drive_to(*sim.along(300.0, 1_500.0), 15.0).mark("park").drift(3_600.0)
    _, transitions = replay_ticking(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [
        EventType.APPROACH_STARTED,
        EventType.APPROACH_CANCELLED,
    ]
    waited = transitions[-1].timestamp - drive.marks["park"]
    assert waited <= timedelta(seconds=480 + 2 * 180 + 10)


# --- noticing sooner -----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("distance_m", "speed"),
    [(3_000.0, 10.0), (10_000.0, 15.0), (25_000.0, 30.0)],
)
def test_a_car_already_driving_home_is_noticed_within_45_s(
    seed: int, distance_m: float, speed: float
) -> None:
    """From the first fix of a car already driving home to approach_started."""
    scenario = sim.straight_approach(distance_m, speed, seed=seed)
    _, transitions, _ = replay(scenario)
    delay = transitions[0].timestamp - scenario.fixes[0].timestamp
    assert delay <= timedelta(seconds=45)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_car_leaving_a_car_park_is_noticed_once_it_heads_home(seed: int) -> None:
    """Manoeuvres away from home first; the approach follows the turn within 45 s."""
    scenario = sim.car_park_exit(seed=seed)
    _, transitions, _ = replay(scenario)
    assert kinds(transitions) == TRIP
    delay = transitions[0].timestamp - scenario.marks["homeward"]
    assert timedelta(0) <= delay <= timedelta(seconds=45)


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("interval", [1.0, 5.0, 10.0, 20.0])
@pytest.mark.parametrize("out_m", [700.0, 1_000.0, 1_500.0])
@pytest.mark.parametrize("stop_back", [False, True])
def test_errands_at_any_cadence_pass_through_arriving(
    seed: int, interval: float, out_m: float, stop_back: bool
) -> None:
    """Errands reported every 1-20 s pass through arriving, whatever the cadence.

    With or without a stop on the way back (within the arrival radius, for the 700 m
    one): approach_started and arriving come before arrived.
    """
    drive = sim.Drive(seed=seed, interval=interval).at(0.0, 0.0).stop(60.0)
    drive.drive_to(*sim.along(45.0, out_m), 11.0).stop(300.0)
    if stop_back:
        drive.drive_to(*sim.along(45.0, out_m / 2.0), 11.0).stop(120.0)
    drive.drive_to(0.0, 0.0, 11.0).stop(120.0)
    _, transitions, _ = replay(sim.Scenario(drive, drive.home_zone()))
    assert kinds(transitions) == [EventType.DEPARTED, *TRIP]

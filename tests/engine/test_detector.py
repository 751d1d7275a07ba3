"""Unit tests of the approach detector: filtering, phases, time, persistence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import json
import math
from typing import Any

import pytest

from custom_components.homecoming.engine import (
    ApproachDetector,
    Direction,
    EventType,
    Fix,
    Home,
    Phase,
    RejectReason,
    Settings,
    Transition,
)
from custom_components.homecoming.engine.state import STATE_VERSION
from devtools import sim
from devtools.sim import offset

HOME = Home(latitude=52.37, longitude=4.89, radius=100.0)
T0 = datetime(2026, 1, 12, 17, 0, tzinfo=UTC)


def at(
    north_m: float,
    seconds: float,
    *,
    east_m: float = 0.0,
    accuracy: float | None = 8.0,
    **extra: Any,
) -> Fix:
    """Build a fix at a point north/east of home, ``seconds`` after T0."""
    lat, lon = offset(HOME.latitude, HOME.longitude, east_m, north_m)
    return Fix(
        latitude=lat,
        longitude=lon,
        timestamp=T0 + timedelta(seconds=seconds),
        accuracy=accuracy,
        **extra,
    )


def drive(
    engine: ApproachDetector,
    start_m: float,
    end_m: float,
    *,
    speed: float = 15.0,
    t0: float = 0.0,
    every: float = 5.0,
    **extra: Any,
) -> tuple[list[Transition], float]:
    """Drive straight north-south from start_m to end_m; return transitions and end time."""
    out: list[Transition] = []
    steps = max(1, round(abs(end_m - start_m) / (speed * every)))
    t = t0
    for i in range(steps + 1):
        north = start_m + (end_m - start_m) * i / steps
        t = t0 + i * every
        out.extend(engine.update(at(north, t, speed=speed, **extra)).transitions)
    return out, t


def events(transitions: list[Transition]) -> list[EventType]:
    """Return just the event types."""
    return [tr.event for tr in transitions]


def test_snapshot_before_any_fix() -> None:
    """Before the first fix the engine knows nothing."""
    snap = ApproachDetector(HOME).snapshot
    assert snap.phase is None
    assert snap.distance_m is None
    assert snap.eta is None
    assert snap.direction is None


@pytest.mark.parametrize(
    ("north", "phase"), [(30.0, Phase.HOME), (5_000.0, Phase.AWAY)]
)
def test_first_fix_only_initialises(north: float, phase: Phase) -> None:
    """A car first seen at home is home, elsewhere away, with no event."""
    engine = ApproachDetector(HOME)
    result = engine.update(at(north, 0))
    assert result.accepted
    assert result.transitions == ()
    assert engine.phase is phase
    snap = engine.snapshot
    assert snap.distance_m == pytest.approx(north, abs=1)
    assert snap.direction is Direction.STATIONARY
    assert snap.last_fix == T0


def test_filters_reject_duplicates_late_and_replayed_fixes() -> None:
    """Repeated, out-of-order and replayed points change nothing."""
    engine = ApproachDetector(HOME)
    assert engine.update(at(5_000, 600)).accepted
    before = engine.as_dict()
    assert engine.update(at(4_000, 600)).reason is RejectReason.DUPLICATE
    assert engine.update(at(4_000, 590)).reason is RejectReason.OUT_OF_ORDER
    assert engine.update(at(0, 100)).reason is RejectReason.TOO_OLD
    assert engine.as_dict() == before


def test_inaccurate_fixes_never_count() -> None:
    """A 1.5 km cell fix neither confirms a departure nor starts anything."""
    engine = ApproachDetector(HOME)
    engine.update(at(10, 0))
    for i in range(1, 20):
        result = engine.update(at(3_000, i * 10, accuracy=1_500.0))
        assert result.reason is RejectReason.INACCURATE
    assert engine.phase is Phase.HOME


def test_unknown_accuracy_uses_the_assumed_one() -> None:
    """A source without accuracy is taken at the assumed accuracy."""
    engine = ApproachDetector(HOME, Settings(assumed_accuracy_m=33.0))
    engine.update(at(500, 0, accuracy=None))
    assert engine.snapshot.accuracy == 33.0
    strict = ApproachDetector(HOME, Settings(assumed_accuracy_m=200.0))
    assert strict.update(at(500, 0, accuracy=None)).reason is RejectReason.INACCURATE


def test_outliers_are_rejected_and_agreeing_outliers_need_time_to_reanchor() -> None:
    """A 50 km jump in 10 s is an outlier; agreeing jumps need time to move the track.

    They must agree for the re-anchor time, with more fixes than the track gives over as
    long a time, while the track says nothing.
    """
    engine = ApproachDetector(HOME)
    engine.update(at(5_000, 0))
    assert engine.update(at(55_000, 10)).reason is RejectReason.OUTLIER
    # back on track (every two minutes): accepted, and the outlier is forgotten
    assert engine.update(at(5_010, 120)).accepted
    # two agreeing outliers a few seconds apart are not enough
    assert engine.update(at(60_000, 130)).reason is RejectReason.OUTLIER
    assert engine.update(at(60_100, 140)).reason is RejectReason.OUTLIER
    # five minutes of agreeing fixes, more than the track's, nothing from the track
    assert engine.update(at(60_200, 300)).reason is RejectReason.OUTLIER
    assert engine.update(at(60_300, 430)).accepted
    assert engine.snapshot.distance_m == pytest.approx(60_300, abs=5)
    # a second outlier at the same moment as the first cannot confirm it
    assert engine.update(at(60_250, 440)).accepted
    for _ in range(4):
        result = engine.update(at(0, 440.5, east_m=90_000))
    assert result.reason is RejectReason.OUTLIER
    assert engine.snapshot.distance_m == pytest.approx(60_250, abs=5)


def test_an_outlier_is_judged_to_the_metre_with_or_without_a_speed() -> None:
    """Ten seconds at 250 km/h is 694 m, plus both accuracies (8 m each): 710 m.

    A fix 705 m on is used and one 715 m on is an outlier, whether or not it reports a
    speed.
    """
    for speed in (None, 20.0):
        engine = ApproachDetector(HOME)
        engine.update(at(5_000, 0, speed=speed))
        assert engine.update(at(5_715, 10, speed=speed)).reason is RejectReason.OUTLIER
        assert engine.update(at(5_705, 10, speed=speed)).accepted


def test_agreeing_outliers_must_outnumber_the_track() -> None:
    """A car reporting every 10 s is not replaced by a tracker reporting every minute.

    The second tracker reports home's centre six times in five minutes while the car
    is silent (a ``person`` switching trackers): the car's track has given thirty fixes
    over as long before, so nothing moves; the car's next fix continues its track.
    """
    engine = ApproachDetector(HOME)
    t = 0.0
    for _ in range(360):
        engine.update(at(200_000, t, accuracy=15.0))
        t += 10.0
    results = [engine.update(at(0, t + 60.0 * k, accuracy=5.0)) for k in range(6)]
    assert [r.reason for r in results] == [RejectReason.OUTLIER] * 6
    assert engine.update(at(200_000, t + 400.0, accuracy=15.0)).transitions == ()
    assert engine.phase is Phase.AWAY


def test_a_fix_of_the_track_drops_the_candidate_track() -> None:
    """Outliers interleaved with the track never add up to a new track."""
    engine = ApproachDetector(HOME)
    engine.update(at(50_000, 0))
    t = 0.0
    for _ in range(20):
        t += 30.0
        assert engine.update(at(0, t)).reason is RejectReason.OUTLIER
        t += 30.0
        assert engine.update(at(50_000, t)).accepted
    assert engine.snapshot.distance_m == pytest.approx(50_000, abs=5)


def test_one_trip_home_gives_one_of_each() -> None:
    """Approach started, arriving, arrived: once each, in order, with facts."""
    engine = ApproachDetector(HOME)
    transitions, _ = drive(engine, 12_000, 20, speed=14.0, driver="anna")
    assert events(transitions) == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.ARRIVED,
    ]
    started, arriving, arrived = transitions
    assert started.previous is Phase.AWAY
    assert started.phase is Phase.APPROACHING
    assert started.distance_m > 10_000
    assert started.eta is not None
    assert started.driver == "anna"
    assert arriving.phase is Phase.ARRIVING
    assert arriving.distance_m <= Settings().arrival_radius_m
    assert arrived.phase is Phase.HOME
    assert arrived.distance_m <= HOME.radius
    assert arrived.eta is None
    # the ETA given at the start was close to the real arrival
    real = arrived.timestamp
    assert abs((started.eta - real).total_seconds()) < 90


def test_snapshot_while_approaching() -> None:
    """While approaching, the snapshot has direction, speeds and an ETA."""
    engine = ApproachDetector(HOME)
    drive(engine, 12_000, 6_000, speed=20.0)
    snap = engine.snapshot
    assert snap.phase is Phase.APPROACHING
    assert snap.direction is Direction.TOWARDS
    assert snap.speed == pytest.approx(20.0, abs=0.5)
    assert snap.closing_speed == pytest.approx(20.0, abs=1.0)
    assert snap.eta is not None
    remaining = (snap.eta - snap.last_fix).total_seconds()  # type: ignore[operator]
    assert remaining == pytest.approx((6_000 - 100) / 20.0, rel=0.1)


def test_driving_away_reads_away_from() -> None:
    """Moving off from home reads away_from, and departs after confirmation."""
    engine = ApproachDetector(HOME)
    engine.update(at(0, 0))
    transitions, _ = drive(engine, 0, 3_000, speed=15.0, t0=5)
    assert events(transitions) == [EventType.DEPARTED]
    assert transitions[0].distance_m > HOME.radius + Settings().exit_margin_m
    assert engine.snapshot.direction is Direction.AWAY_FROM
    assert engine.snapshot.eta is None


def test_departure_needs_confirmation() -> None:
    """Beyond the leave radius one fix is pending; a fix back in cancels it; two depart."""
    engine = ApproachDetector(HOME)
    engine.update(at(0, 0))
    assert engine.update(at(500, 60)).transitions == ()
    assert engine.update(at(20, 120)).transitions == ()
    assert engine.update(at(500, 180)).transitions == ()
    assert events(list(engine.update(at(550, 240)).transitions)) == [EventType.DEPARTED]


def test_near_home_a_departure_needs_time_moving_away() -> None:
    """Within the leave radius only the dwell time while moving away confirms."""
    engine = ApproachDetector(HOME)
    engine.update(at(0, 0))
    assert engine.update(at(300, 60)).transitions == ()
    assert engine.update(at(350, 200)).transitions == ()
    # still out there after the dwell time but not farther: not a departure
    assert engine.update(at(320, 400, speed=0.0)).transitions == ()
    assert engine.update(at(320, 410, speed=2.0)).transitions == ()
    # moving away after the dwell time: departed
    assert events(list(engine.update(at(380, 420, speed=2.0)).transitions)) == [
        EventType.DEPARTED
    ]


def test_departure_with_reported_speed_is_immediate() -> None:
    """A fix well outside with the car moving confirms on its own."""
    engine = ApproachDetector(HOME)
    engine.update(at(0, 0))
    result = engine.update(at(2_000, 300, speed=20.0))
    assert events(list(result.transitions)) == [EventType.DEPARTED]


def test_drift_across_the_zone_edge_is_not_an_arrival() -> None:
    """A car parked just outside the zone whose fixes drift inside stays away."""
    engine = ApproachDetector(HOME)
    for i in range(20):
        assert engine.update(at(150, i * 10, speed=0.0)).transitions == ()
    assert engine.update(at(80, 200, speed=0.0)).transitions == ()
    assert engine.phase is Phase.AWAY


def test_arrival_after_a_gap_from_far_away() -> None:
    """A sparse source that next reports the car at home: arrived, nothing else."""
    engine = ApproachDetector(HOME)
    engine.update(at(5_000, 0, speed=0.0))
    engine.update(at(5_000, 600, speed=0.0))
    result = engine.update(at(10, 1_200))
    assert events(list(result.transitions)) == [EventType.ARRIVED]


def test_parked_outside_cancels_after_the_tolerance() -> None:
    """Stopping for longer than the tolerance ends the approach; shorter does not."""
    settings = Settings()
    engine = ApproachDetector(HOME)
    _, t = drive(engine, 8_000, 2_000, speed=15.0)
    assert engine.phase is Phase.APPROACHING
    stop = settings.stop_tolerance_s
    for k in range(1, int(stop // 30)):
        assert engine.update(at(2_000, t + 30 * k, speed=0.0)).transitions == ()
    result = engine.update(at(2_000, t + stop + 1, speed=0.0))
    assert events(list(result.transitions)) == [EventType.APPROACH_CANCELLED]
    assert engine.phase is Phase.AWAY


def test_silence_after_stopping_cancels_through_advance() -> None:
    """A tracker that stops reporting once parked: advance ends the approach."""
    engine = ApproachDetector(HOME)
    _, t = drive(engine, 8_000, 2_000, speed=15.0)
    engine.update(at(2_000, t + 10, speed=0.0))
    stop = Settings().stop_tolerance_s
    assert engine.advance(T0 + timedelta(seconds=t + stop - 60)) == ()
    cancelled = engine.advance(T0 + timedelta(seconds=t + 10 + stop))
    assert events(list(cancelled)) == [EventType.APPROACH_CANCELLED]
    assert cancelled[0].timestamp == T0 + timedelta(seconds=t + 10 + stop)


def test_ignition_off_shortens_the_tolerance() -> None:
    """With the ignition off, a stop is parking sooner."""
    engine = ApproachDetector(HOME)
    _, t = drive(engine, 8_000, 2_000, speed=15.0, ignition=True)
    engine.update(at(2_000, t + 10, speed=0.0, ignition=False))
    tolerance = Settings().ignition_off_tolerance_s
    cancelled = engine.advance(T0 + timedelta(seconds=t + 10 + tolerance))
    assert events(list(cancelled)) == [EventType.APPROACH_CANCELLED]


def test_tunnel_gap_does_not_cancel_but_long_silence_does() -> None:
    """Silence while moving is a tunnel; only the stale timeout ends it."""
    engine = ApproachDetector(HOME)
    _, t = drive(engine, 9_000, 4_000, speed=15.0)
    stale = Settings().silence_timeout_s
    assert engine.advance(T0 + timedelta(seconds=t + stale - 1)) == ()
    assert engine.advance(T0 + timedelta(seconds=t)) == ()
    cancelled = engine.advance(T0 + timedelta(seconds=t + stale))
    assert events(list(cancelled)) == [EventType.APPROACH_CANCELLED]


def test_advance_does_nothing_when_not_approaching() -> None:
    """Time alone never changes home or away."""
    engine = ApproachDetector(HOME)
    assert engine.advance(T0) == ()
    engine.update(at(0, 0))
    assert engine.advance(T0 + timedelta(days=2)) == ()
    assert engine.phase is Phase.HOME


def test_reach_limits_where_an_approach_can_start() -> None:
    """Beyond the reach nothing starts; the ETA reach or no limit widens it."""
    far = Settings(reach_m=5_000.0, reach_eta_s=None)
    transitions, _ = drive(ApproachDetector(HOME, far), 20_000, 6_000, speed=20.0)
    assert transitions == []
    by_eta = Settings(reach_m=5_000.0, reach_eta_s=1_200.0)
    transitions, _ = drive(ApproachDetector(HOME, by_eta), 20_000, 15_000, speed=30.0)
    assert events(transitions) == [EventType.APPROACH_STARTED]
    assert transitions[0].distance_m > 15_000
    unlimited = Settings(reach_m=None, reach_eta_s=None)
    transitions, _ = drive(
        ApproachDetector(HOME, unlimited), 120_000, 110_000, speed=30.0
    )
    assert events(transitions) == [EventType.APPROACH_STARTED]


def test_external_travel_time_takes_precedence_then_expires() -> None:
    """A travel-time sensor's ETA wins while fresh; after that the own ETA is back."""
    engine = ApproachDetector(HOME)
    drive(engine, 12_000, 8_000, speed=15.0)
    t = 300.0
    engine.update(at(7_900, t, speed=15.0, travel_time=900.0))
    assert engine.snapshot.eta == T0 + timedelta(seconds=t + 900)
    max_age = Settings().external_eta_max_age_s
    engine.update(at(7_850, t + max_age + 1, speed=15.0))
    own = engine.snapshot.eta
    assert own is not None
    assert own != T0 + timedelta(seconds=t + 900)


def test_travel_time_gone_gives_the_own_eta_at_once() -> None:
    """A source that says its travel time is gone: the own ETA from that fix on.

    A fix that only leaves the travel time out keeps it (the push hold above); one that
    says it is gone drops it at once, and a later travel time is used again.
    """
    engine = ApproachDetector(HOME)
    drive(engine, 12_000, 8_000, speed=15.0)
    t = 300.0
    external = T0 + timedelta(seconds=t + 900)
    engine.update(at(7_900, t, speed=15.0, travel_time=900.0))
    engine.update(at(7_850, t + 5, speed=15.0))
    assert engine.snapshot.eta == external  # left out: held
    reference = ApproachDetector(HOME)
    drive(reference, 12_000, 8_000, speed=15.0)
    reference.update(at(7_900, t, speed=15.0))
    reference.update(at(7_850, t + 5, speed=15.0))
    reference.update(at(7_800, t + 10, speed=15.0))

    result = engine.update(at(7_800, t + 10, speed=15.0, travel_time_gone=True))
    assert result.accepted
    own = engine.snapshot.eta
    assert own is not None
    assert own == reference.snapshot.eta
    assert own != external
    assert engine.as_dict()["external_eta"] is None
    engine.update(at(7_750, t + 15, speed=15.0))
    assert engine.snapshot.eta != external  # nothing held comes back

    engine.update(at(7_700, t + 20, speed=15.0, travel_time=600.0))
    assert engine.snapshot.eta == T0 + timedelta(seconds=t + 20 + 600)


def test_travel_time_gone_of_an_unused_fix_changes_nothing() -> None:
    """Only a fix the engine uses speaks for its source (as its travel time does)."""
    engine = ApproachDetector(HOME)
    drive(engine, 12_000, 8_000, speed=15.0)
    t = 300.0
    external = T0 + timedelta(seconds=t + 900)
    engine.update(at(7_900, t, speed=15.0, travel_time=900.0))
    late = engine.update(at(7_950, t - 1, speed=15.0, travel_time_gone=True))
    assert late.reason is RejectReason.OUT_OF_ORDER
    inaccurate = engine.update(
        at(7_850, t + 5, accuracy=5_000.0, speed=15.0, travel_time_gone=True)
    )
    assert inaccurate.reason is RejectReason.INACCURATE
    assert engine.snapshot.eta == external


def test_drive_by_cancels_after_the_closest_point() -> None:
    """A road passing home at 800 m: the approach ends soon after the closest point."""
    engine = ApproachDetector(HOME)
    out: list[Transition] = []
    for i in range(241):
        north = 15_000 - 125 * i
        out.extend(engine.update(at(north, 5 * i, east_m=800, speed=25.0)).transitions)
    assert EventType.ARRIVING not in events(out)
    assert EventType.ARRIVED not in events(out)
    assert events(out)[-1] is EventType.APPROACH_CANCELLED
    cancelled = out[-1]
    closest = T0 + timedelta(seconds=5 * 120)
    assert timedelta(0) < cancelled.timestamp - closest < timedelta(minutes=2)


def test_state_round_trips_through_json() -> None:
    """An engine restored mid-approach continues exactly as one never stopped."""
    straight = ApproachDetector(HOME)
    restored = ApproachDetector(HOME)
    first, t = drive(straight, 12_000, 5_000, speed=15.0, driver="ben")
    drive(restored, 12_000, 5_000, speed=15.0, driver="ben")
    data = json.loads(json.dumps(restored.as_dict()))
    restored = ApproachDetector.from_dict(data, HOME)
    assert restored.snapshot == straight.snapshot
    rest_a, _ = drive(straight, 5_000, 0, speed=15.0, t0=t + 5)
    rest_b, _ = drive(restored, 5_000, 0, speed=15.0, t0=t + 5)
    assert rest_a == rest_b
    assert events(first + rest_a) == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.ARRIVED,
    ]


def test_state_round_trips_with_every_optional_part() -> None:
    """Candidate track, external ETA, ignition and the empty state survive too."""
    assert (
        ApproachDetector.from_dict(ApproachDetector(HOME).as_dict(), HOME).snapshot
        == ApproachDetector(HOME).snapshot
    )
    engine = ApproachDetector(HOME)
    drive(engine, 9_000, 7_000, speed=15.0, ignition=True)
    engine.update(at(6_900, 200, travel_time=700.0))
    engine.update(at(90_000, 205))  # an outlier, remembered as a candidate track
    data = engine.as_dict()
    assert data["version"] == STATE_VERSION
    assert data["candidate_first"] is not None
    assert data["external_eta"] is not None
    again = ApproachDetector.from_dict(json.loads(json.dumps(data)), HOME)
    assert again.as_dict() == data


V1_STATE: dict[str, Any] = {
    "version": 1,
    "phase": "approaching",
    "last_t": 1768237200.0,
    "last_ts": "2026-01-12T17:00:00+00:00",
    "positioned": True,
    "lat": 52.38,
    "lon": 4.89,
    "acc": 8.0,
    "dist": 1112.0,
    "last_speed": 14.0,
    "path": 3000.0,
    "window": [[1768237050.0, 3200.0, 8.0, 900.0], [1768237200.0, 1112.0, 8.0, 3000.0]],
    "speed": 14.0,
    "closing": 13.9,
    "anchor": [1768237200.0, 52.38, 4.89, 8.0],
    "min_dist": 1112.0,
    "mark_dist": 1112.0,
    "mark_t": 1768237200.0,
    "qualified": 0,
    "pending_departure": False,
    "driver": "anna",
    "ignition": True,
    "ext_eta": [1768237300.0, 1768237200.0],
    "outlier": [1768237190.0, 53.0, 5.0, 10.0],
}
"""A state saved by the first release (version 1, positional lists)."""


def test_version_1_state_is_migrated() -> None:
    """A state saved by the first release continues where it was."""
    engine = ApproachDetector.from_dict(V1_STATE, HOME)
    data = engine.as_dict()
    assert data["version"] == STATE_VERSION
    assert engine.phase is Phase.APPROACHING
    assert data["window"][0] == {
        "t": 1768237050.0,
        "dist": 3200.0,
        "acc": 8.0,
        "path": 900.0,
    }
    assert data["anchor"] == {"t": 1768237200.0, "lat": 52.38, "lon": 4.89, "acc": 8.0}
    assert data["external_eta"] == {"eta_t": 1768237300.0, "given_t": 1768237200.0}
    assert data["candidate_first"] == data["candidate_last"]
    assert data["candidate_count"] == 1
    assert engine.snapshot.driver == "anna"
    assert engine.snapshot.last_fix == T0


@pytest.mark.parametrize(
    "damage",
    [
        {"version": 99},
        {"version": 3},
        {"phase": "flying"},
        {"last_t": None},
        {"last_t": "2026-01-01T00:00:00"},
        {"last_t": 1e300},
        {"window": [[1.0, 2.0]]},
        {"window": []},
        {"window": [{"t": 1768237200.0, "dist": math.nan, "acc": 8.0, "path": 0}]},
        {"anchor": "abc"},
        {"lat": None},
        {"lat": 91.0},
        {"external_eta": 5},
        {"external_eta": {"eta_t": math.inf, "given_t": 0.0}},
        {"dist": 10**400},
        {"qualified": -1},
        {"qualified": math.inf},
        {"positioned": "yes"},
        {"driver": 5},
        {"driver": "x" * 1000},
        {"candidate_first": None},
        {"speed": 1e300},
    ],
)
def test_malformed_state_is_refused(damage: dict[str, Any]) -> None:
    """A damaged or newer stored state gives ValueError, never a half-built detector."""
    engine = ApproachDetector(HOME)
    drive(engine, 9_000, 8_000, speed=15.0)
    engine.update(at(90_000, 200))  # an outlier: a candidate track
    data = engine.as_dict() | damage
    with pytest.raises(ValueError, match=r"."):
        ApproachDetector.from_dict(data, HOME)


@pytest.mark.parametrize("damage", [{"outlier": [1.0]}, {"window": [[1.0, 2.0]]}])
def test_malformed_version_1_state_is_refused(damage: dict[str, Any]) -> None:
    """Migration checks the old lists too."""
    with pytest.raises(ValueError, match=r"."):
        ApproachDetector.from_dict(V1_STATE | damage, HOME)


def test_a_state_without_a_phase_but_with_a_time_is_refused() -> None:
    """The parts of a state must agree with each other."""
    data = ApproachDetector(HOME).as_dict() | {"phase": "away"}
    with pytest.raises(ValueError, match="without a report"):
        ApproachDetector.from_dict(data, HOME)


def test_missing_key_is_refused() -> None:
    """A stored state without a key is refused."""
    data = ApproachDetector(HOME).as_dict()
    del data["phase"]
    with pytest.raises(ValueError, match="malformed"):
        ApproachDetector.from_dict(data, HOME)


def test_batch_is_applied_oldest_first() -> None:
    """A queued upload in any order is applied in time order."""
    fixes = [at(12_000 - 75 * i, 5 * i, speed=15.0) for i in range(160)]
    in_order = ApproachDetector(HOME)
    shuffled = ApproachDetector(HOME)
    a = [tr for r in in_order.update_batch(fixes) for tr in r.transitions]
    b = [tr for r in shuffled.update_batch(fixes[::-1]) for tr in r.transitions]
    assert a == b
    assert EventType.ARRIVED in events(a)


def test_properties_expose_construction() -> None:
    """The home and settings given are the ones used."""
    settings = replace(Settings(), arrival_radius_m=250.0)
    engine = ApproachDetector(HOME, settings)
    assert engine.home is HOME
    assert engine.settings.arrival_radius_m == 250.0


def test_sparse_source_can_start_and_arrive_in_one_step() -> None:
    """A fix a minute later, already inside the arrival radius: started and arriving."""
    engine = ApproachDetector(HOME)
    engine.update(at(2_000, 0, speed=15.0))
    result = engine.update(at(300, 90, speed=15.0))
    assert events(list(result.transitions)) == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
    ]


def test_approach_straight_into_the_zone_passes_through_arriving() -> None:
    """A gap that skips the arrival ring still gives arriving before arrived."""
    engine = ApproachDetector(HOME)
    _, t = drive(engine, 8_000, 1_000, speed=15.0)
    result = engine.update(at(20, t + 60, speed=5.0))
    assert events(list(result.transitions)) == [EventType.ARRIVING, EventType.ARRIVED]


def test_eta_disappears_during_a_long_standstill() -> None:
    """Standing still for long (with a generous tolerance) leaves no ETA to give."""
    engine = ApproachDetector(HOME, Settings(stop_tolerance_s=3_600.0))
    _, t = drive(engine, 8_000, 3_000, speed=15.0)
    assert engine.snapshot.eta is not None
    for k in range(1, 120):
        engine.update(at(3_000, t + 10 * k, speed=0.0))
    assert engine.phase is Phase.APPROACHING
    assert engine.snapshot.eta is None


def test_zone_only_reports_drive_the_home_phase() -> None:
    """A tracker without positions: home / not home give arrived and departed."""
    engine = ApproachDetector(HOME)
    assert engine.update_presence(True, T0).transitions == ()
    assert engine.phase is Phase.HOME
    assert engine.snapshot.distance_m == 0.0
    assert engine.snapshot.latitude is None
    left = engine.update_presence(False, T0 + timedelta(hours=1))
    assert events(list(left.transitions)) == [EventType.DEPARTED]
    assert left.transitions[0].distance_m is None
    assert engine.snapshot.distance_m is None
    assert engine.snapshot.direction is None
    assert engine.update_presence(False, T0 + timedelta(hours=2)).transitions == ()
    back = engine.update_presence(True, T0 + timedelta(hours=3))
    assert events(list(back.transitions)) == [EventType.ARRIVED]
    late = engine.update_presence(False, T0 + timedelta(hours=2))
    assert late.reason is RejectReason.TOO_OLD


def test_zone_only_start_away_and_arrival_during_an_approach() -> None:
    """An approach seen by GPS that ends with a zone-only "home" gives arriving, arrived."""
    engine = ApproachDetector(HOME)
    assert engine.update_presence(False, T0).transitions == ()
    assert engine.phase is Phase.AWAY
    # the first position after zone-only reports starts a fresh track (no outlier check)
    _, t = drive(engine, 9_000, 3_000, speed=15.0, t0=10.0)
    assert engine.phase is Phase.APPROACHING
    result = engine.update_presence(True, T0 + timedelta(seconds=t + 30))
    assert events(list(result.transitions)) == [EventType.ARRIVING, EventType.ARRIVED]
    assert result.transitions[-1].distance_m == 0.0


def test_wifi_jumps_of_a_still_car_at_home_are_not_a_departure() -> None:
    """Repeated jumps of a few hundred metres while reporting speed 0: still home."""
    engine = ApproachDetector(HOME)
    engine.update(at(0, 0, speed=0.0))
    for k in range(1, 10):
        assert (
            engine.update(at(350, 60 * k, accuracy=30.0, speed=0.0)).transitions == ()
        )
    assert engine.phase is Phase.HOME
    assert engine.update(at(10, 1_000, speed=0.0)).transitions == ()
    # far away, the second fix confirms even when the car stands still (a sparse
    # source that next reports the car parked at work)
    assert engine.update(at(5_000, 1_200, speed=0.0)).transitions == ()
    left = engine.update(at(5_000, 1_500, speed=0.0))
    assert events(list(left.transitions)) == [EventType.DEPARTED]


def test_a_still_car_never_starts_an_approach() -> None:
    """A position jump towards home while the car reports speed 0 starts nothing."""
    engine = ApproachDetector(HOME)
    engine.update(at(3_000, 0, speed=0.0))
    for k in range(1, 6):
        assert engine.update(at(2_600, 10 * k, speed=0.0)).transitions == ()
    assert engine.phase is Phase.AWAY


def test_a_new_trip_forgets_the_last_trips_driver() -> None:
    """The driver id of one trip does not stick to the next one."""
    engine = ApproachDetector(HOME)
    engine.update(at(0, 0, driver="anna"))
    assert engine.snapshot.driver == "anna"
    left = engine.update(at(2_000, 300, speed=20.0))
    assert events(list(left.transitions)) == [EventType.DEPARTED]
    assert left.transitions[0].driver is None
    engine.update(at(2_300, 315, speed=20.0, driver="ben"))
    assert engine.snapshot.driver == "ben"


def test_a_newest_fix_far_in_the_future_is_a_wrong_clock() -> None:
    """A fix stamped a day ahead (Home Assistant started before NTP) freezes nothing.

    The track restarts at the corrected time, keeping the phase, and fixes flow again.
    """
    engine = ApproachDetector(HOME)
    drive(engine, 9_000, 6_000, speed=15.0)
    assert engine.phase is Phase.APPROACHING
    ahead = 86_400.0
    engine.update(at(5_900, 210 + ahead))
    # the clock is corrected: every later fix would be refused as stale
    assert engine.update(at(5_800, 215)).reason is RejectReason.TOO_OLD
    now = T0 + timedelta(seconds=216)
    assert engine.correct_clock(now) is True
    assert engine.snapshot.last_fix == now
    assert engine.phase is Phase.APPROACHING
    assert engine.correct_clock(now) is False  # once only
    out, _ = drive(engine, 5_700, 0, speed=15.0, t0=220.0)
    assert events(out) == [EventType.ARRIVING, EventType.ARRIVED]


def test_a_clock_within_the_skew_is_left_alone() -> None:
    """Device clocks a few minutes ahead are not a wrong Home Assistant clock."""
    engine = ApproachDetector(HOME)
    assert engine.correct_clock(T0) is False  # nothing known yet
    engine.update(at(5_000, 200))
    assert engine.correct_clock(T0) is False
    assert engine.snapshot.last_fix == T0 + timedelta(seconds=200)


def test_a_corrected_clock_survives_a_restart() -> None:
    """The restarted track saves and restores like any other."""
    engine = ApproachDetector(HOME)
    drive(engine, 9_000, 6_000, speed=15.0, t0=86_400.0)
    assert engine.correct_clock(T0)
    again = ApproachDetector.from_dict(engine.as_dict(), HOME)
    assert again.as_dict() == engine.as_dict()


def test_a_walk_home_is_no_approach() -> None:
    """Getting closer at 1.5 m/s (a walk) gains enough metres but is too slow."""
    engine = ApproachDetector(HOME)
    out, _ = drive(engine, 3_000, 2_000, speed=1.5, every=10.0)
    assert out == []
    assert engine.phase is Phase.AWAY


def test_last_fix_is_the_newest_report_time() -> None:
    """last_fix is known without a snapshot, and None before any report."""
    engine = ApproachDetector(HOME)
    assert engine.last_fix is None
    engine.update(at(5_000, 30))
    assert engine.last_fix == T0 + timedelta(seconds=30)


def test_leaving_soon_after_a_jump_home_is_no_approach() -> None:
    """A sparse arrival from 4 km, then leaving within the window: departed only."""
    engine = ApproachDetector(HOME)
    drive(engine, 6_000, 4_000, speed=15.0)
    out = list(engine.update(at(20, 300, speed=0.0)).transitions)
    assert engine.phase is Phase.HOME
    more, _ = drive(engine, 0, 3_000, speed=15.0, t0=330.0)
    assert events(out + more) == [
        EventType.ARRIVING,
        EventType.ARRIVED,
        EventType.DEPARTED,
    ]


def test_arriving_right_after_a_first_qualifying_fix_passes_through_the_approach() -> (
    None
):
    """A fix every 20 s from 700 m: one qualifying fix, then the zone: all three events."""
    engine = ApproachDetector(HOME)
    engine.update(at(900, 0, speed=0.0))
    out = []
    for k, north in enumerate((700, 420, 140, 20), start=1):
        out += engine.update(at(north, 20.0 * k, speed=14.0)).transitions
    assert events(out) == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.ARRIVED,
    ]


def test_a_sparse_arrival_after_a_long_silence_invents_no_approach() -> None:
    """At home after an hour without a fix: arrived alone, nothing invented."""
    engine = ApproachDetector(HOME)
    drive(engine, 6_000, 5_000, speed=15.0)
    engine.advance(T0 + timedelta(seconds=1_200))
    out = engine.update(at(10, 3_600, speed=0.0)).transitions
    assert events(list(out)) == [EventType.ARRIVED]


def test_jitter_of_dense_coarse_fixes_is_no_path() -> None:
    """One fix a second with 35 m accuracy on a drive home at 30 km/h starts an approach."""
    scenario = sim.straight_approach(4_000.0, 8.3, seed=3)
    drive_ = sim.Drive(interval=1.0, seed=3, accuracy=35.0).at(
        *sim.along(30.0, 4_000.0)
    )
    drive_.drive_to(0.0, 0.0, 8.3).stop(60.0)
    engine = ApproachDetector(scenario.home)
    out = [tr for fix in drive_.fixes for tr in engine.update(fix).transitions]
    assert events(out) == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.ARRIVED,
    ]


def test_no_speed_smoothing_takes_each_speed_as_it_comes() -> None:
    """Speed smoothing of 0 s: the first fix after a zone report takes its own speed.

    Its time step is 0: the speed must not be 0 / 0 (it raised).
    """
    engine = ApproachDetector(HOME, Settings(speed_smoothing_s=0.0))
    engine.update_presence(False, T0)
    assert engine.update(at(5_000.0, 10.0, speed=12.0)).accepted
    assert engine.snapshot.speed == 12.0
    assert engine.update(at(4_900.0, 20.0, speed=10.0)).accepted
    assert engine.snapshot.speed == 10.0


@pytest.mark.parametrize(("smoothing", "kept"), [(120.0, True), (0.0, False)])
def test_a_new_tracks_first_fix_has_no_time_step(smoothing: float, kept: bool) -> None:
    """The first fix of a new track (agreeing outliers) comes no time after the track.

    The smoothed speeds stay as they were; with no smoothing (0 s) the fix's own stand:
    its speed, and no speed towards home (its window is itself alone).
    """
    engine = ApproachDetector(HOME, Settings(speed_smoothing_s=smoothing))
    engine.update(at(5_000, 0, speed=10.0))
    engine.update(at(5_010, 120, speed=12.0))
    for north, seconds in ((60_000, 130), (60_100, 140), (60_200, 300)):
        outlier = engine.update(at(north, seconds, speed=30.0))
        assert outlier.reason is RejectReason.OUTLIER
    before = engine.snapshot
    assert engine.update(at(60_300, 430, speed=30.0)).accepted
    after = engine.snapshot
    expected = (before.speed, before.closing_speed) if kept else (30.0, 0.0)
    assert (after.speed, after.closing_speed) == expected


@pytest.mark.parametrize(
    ("settings", "extra"),
    [
        (Settings(silence_timeout_s=0.0), {}),
        (Settings(stop_tolerance_s=0.0), {}),
        (Settings(ignition_off_tolerance_s=0.0), {"ignition": False}),
    ],
)
def test_a_zero_tolerance_ends_an_approach_at_its_next_fix(
    settings: Settings, extra: dict[str, Any]
) -> None:
    """No time at all without progress, or in silence: the fix after the start ends it.

    Even though that fix makes progress (the quick stall test in the detector must
    leave this to the whole rule).
    """
    engine = ApproachDetector(HOME, settings)
    out, _ = drive(engine, 8_000, 2_000, speed=15.0, **extra)
    assert events(out)[:2] == [EventType.APPROACH_STARTED, EventType.APPROACH_CANCELLED]
    assert out[1].timestamp - out[0].timestamp == timedelta(seconds=5)

"""Property-based tests of the engine: whatever the input, the invariants hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import math
import random

from hypothesis import given, settings as hsettings, strategies as st

from custom_components.homecoming.engine import (
    ApproachDetector,
    EventType,
    Fix,
    Home,
    Phase,
    RejectReason,
    Settings,
    Transition,
)
from custom_components.homecoming.engine.geo import local_m
from devtools.sim import along, offset

HOME = Home(latitude=48.85, longitude=2.35, radius=120.0)
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
SETTINGS = Settings()

_NEXT = {
    EventType.APPROACH_STARTED: (Phase.AWAY, Phase.APPROACHING),
    EventType.APPROACH_CANCELLED: (None, Phase.AWAY),
    EventType.ARRIVING: (Phase.APPROACHING, Phase.ARRIVING),
    EventType.ARRIVED: (None, Phase.HOME),
    EventType.DEPARTED: (Phase.HOME, Phase.AWAY),
}


@st.composite
def fixes(draw: st.DrawFn, *, max_size: int = 80) -> list[Fix]:
    """Draw any sequence of fixes around home: jumps, gaps, repeats, disorder."""
    count = draw(st.integers(min_value=0, max_value=max_size))
    out: list[Fix] = []
    t = 0.0
    east = draw(st.floats(-20_000, 20_000))
    north = draw(st.floats(-20_000, 20_000))
    for _ in range(count):
        t += draw(st.sampled_from([0.0, -30.0, -600.0, 1.0, 5.0, 10.0, 60.0, 900.0]))
        step = draw(st.sampled_from([0.0, 10.0, 100.0, 1_000.0, 50_000.0]))
        angle = draw(st.floats(0, 2 * math.pi))
        east += step * math.cos(angle)
        north += step * math.sin(angle)
        lat, lon = offset(HOME.latitude, HOME.longitude, east, north)
        travel_time = draw(st.none() | st.floats(0, 7_200))
        out.append(
            Fix(
                latitude=max(-90.0, min(90.0, lat)),
                longitude=(lon + 180.0) % 360.0 - 180.0,
                timestamp=T0 + timedelta(seconds=t),
                accuracy=draw(st.none() | st.floats(0, 3_000)),
                speed=draw(st.none() | st.floats(0, 80)),
                ignition=draw(st.none() | st.booleans()),
                driver=draw(st.none() | st.sampled_from(["a", "b"])),
                travel_time=travel_time,
                travel_time_gone=travel_time is None and draw(st.booleans()),
            )
        )
    return out


def check(transitions: list[Transition], start: Phase | None) -> Phase | None:
    """Every transition leaves the phase it says and obeys the radius rules."""
    phase = start
    for tr in transitions:
        expected_from, expected_to = _NEXT[tr.event]
        assert tr.previous is phase
        if expected_from is not None:
            assert tr.previous is expected_from
        assert tr.phase is expected_to
        if tr.event is EventType.ARRIVED:
            assert tr.distance_m <= HOME.radius
        if tr.event is EventType.ARRIVING:
            assert tr.distance_m <= max(SETTINGS.arrival_radius_m, HOME.radius)
        if tr.event is EventType.APPROACH_CANCELLED:
            assert tr.previous in {Phase.APPROACHING, Phase.ARRIVING}
        phase = tr.phase
    return phase


@given(fixes(), st.lists(st.floats(0, 3_600), max_size=5))
def test_any_sequence_never_raises_and_stays_consistent(
    sequence: list[Fix], waits: list[float]
) -> None:
    """Whatever comes in, the engine answers, and its transitions chain correctly."""
    engine = ApproachDetector(HOME)
    phase: Phase | None = None
    for fix in sequence:
        result = engine.update(fix)
        assert result.accepted == (result.reason is None)
        if phase is None and result.accepted:
            assert result.transitions == ()
            phase = engine.phase
            continue
        phase = check(list(result.transitions), phase)
        assert phase is engine.phase
    for wait in waits:
        last = engine.snapshot.last_fix or T0
        phase = check(list(engine.advance(last + timedelta(seconds=wait))), phase)
    json.dumps(engine.as_dict())
    assert (
        ApproachDetector.from_dict(engine.as_dict(), HOME).as_dict() == engine.as_dict()
    )


@st.composite
def receding(draw: st.DrawFn) -> list[Fix]:
    """Draw a car whose true distance never decreases, with noise within accuracy."""
    count = draw(st.integers(min_value=2, max_value=120))
    distance = draw(st.floats(HOME.radius + 300, 40_000))
    bearing = draw(st.floats(0, 2 * math.pi))
    t = 0.0
    out: list[Fix] = []
    for _ in range(count):
        t += draw(st.floats(1, 120))
        distance += draw(st.floats(0, 400))
        accuracy = draw(st.floats(3, 150))
        error = draw(st.floats(0, accuracy))
        error_angle = draw(st.floats(0, 2 * math.pi))
        east = distance * math.cos(bearing) + error * math.cos(error_angle)
        north = distance * math.sin(bearing) + error * math.sin(error_angle)
        lat, lon = offset(HOME.latitude, HOME.longitude, east, north)
        out.append(
            Fix(
                latitude=lat,
                longitude=lon,
                timestamp=T0 + timedelta(seconds=t),
                accuracy=accuracy,
                speed=draw(st.none() | st.floats(0, 40)),
            )
        )
    return out


@given(receding())
def test_a_car_that_never_gets_closer_never_approaches(sequence: list[Fix]) -> None:
    """Noise within the reported accuracy never makes a receding car approach."""
    engine = ApproachDetector(HOME)
    for fix in sequence:
        for tr in engine.update(fix).transitions:
            assert tr.event is not EventType.APPROACH_STARTED
    assert engine.phase is Phase.AWAY


@given(fixes(max_size=60), st.randoms(use_true_random=False))
def test_shuffled_batch_gives_the_same_transitions(
    sequence: list[Fix], rng: random.Random
) -> None:
    """A batch in any order gives the transitions of the same batch sorted by time."""
    unique = list({fix.timestamp: fix for fix in sequence}.values())
    shuffled = list(unique)
    rng.shuffle(shuffled)
    ordered = sorted(unique, key=lambda fix: fix.timestamp)
    a = [
        tr
        for r in ApproachDetector(HOME).update_batch(shuffled)
        for tr in r.transitions
    ]
    engine = ApproachDetector(HOME)
    b = [tr for fix in ordered for tr in engine.update(fix).transitions]
    assert a == b


@hsettings(max_examples=50)
@given(fixes(max_size=60), st.integers(min_value=0, max_value=60))
def test_restart_anywhere_changes_nothing(sequence: list[Fix], cut: int) -> None:
    """Serialising and restoring at any point gives the same future."""
    straight = ApproachDetector(HOME)
    restarted = ApproachDetector(HOME)
    a: list[Transition] = []
    b: list[Transition] = []
    for index, fix in enumerate(sequence):
        if index == cut:
            restarted = ApproachDetector.from_dict(
                json.loads(json.dumps(restarted.as_dict())), HOME
            )
        a.extend(straight.update(fix).transitions)
        b.extend(restarted.update(fix).transitions)
    assert a == b
    assert straight.snapshot == restarted.snapshot


@st.composite
def track_with_bursts(
    draw: st.DrawFn,
) -> tuple[list[Fix], list[int]]:
    """Draw a car parked 20-300 km away, reporting every 30 s, with bursts of outliers.

    Each burst is 1-5 agreeing impossible fixes (at random distances, home included) at
    random gaps that stay under the re-anchor time; the track goes on after it.
    """
    distance = draw(st.floats(20_000, 300_000))
    bearing = draw(st.floats(0, 360))
    east, north = along(bearing, distance)
    out: list[Fix] = []
    t = 0.0
    bursts: list[int] = []

    def fix(e: float, n: float, accuracy: float) -> Fix:
        lat, lon = offset(HOME.latitude, HOME.longitude, e, n)
        return Fix(
            latitude=lat,
            longitude=lon,
            timestamp=T0 + timedelta(seconds=t),
            accuracy=accuracy,
        )

    for _ in range(draw(st.integers(1, 4))):
        for _ in range(draw(st.integers(3, 10))):
            t += 30.0
            out.append(fix(east, north, 15.0))
        ghost_e, ghost_n = draw(
            st.sampled_from([(0.0, 0.0), (150.0, -90.0)])
            | st.tuples(st.floats(-5_000, 5_000), st.floats(-5_000, 5_000))
        )
        size = draw(st.integers(1, 5))
        bursts.append(size)
        for _ in range(size):
            t += draw(st.floats(1.0, SETTINGS.reanchor_s / 5.0 - 1.0))
            out.append(fix(ghost_e, ghost_n, draw(st.floats(3.0, 30.0))))
        t += 30.0
        out.append(fix(east, north, 15.0))
    return out, bursts


@given(track_with_bursts())
@hsettings(deadline=None, max_examples=150)
def test_bursts_of_agreeing_outliers_never_move_the_car(
    case: tuple[list[Fix], list[int]],
) -> None:
    """Agreeing impossible fixes shorter than the re-anchor time change nothing."""
    track, bursts = case
    engine = ApproachDetector(HOME)
    results = [engine.update(fix) for fix in track]
    assert [tr for r in results for tr in r.transitions] == []
    assert engine.phase is Phase.AWAY
    assert sum(1 for r in results if not r.accepted) == sum(bursts)


@given(
    st.floats(-89.99, 89.99),
    st.floats(-180.0, 180.0),
    st.floats(0.0, 360.0),
    st.floats(0.0, 2.0),
    st.sampled_from([1e-6, 0.5, 1.0, 5.0, 60.0, 3_600.0]),
    st.tuples(st.floats(0.0, 150.0), st.floats(0.0, 150.0)),
    st.none() | st.floats(0.0, 80.0),
)
def test_an_outlier_is_what_the_top_speed_cannot_reach(
    lat: float,
    lon: float,
    bearing: float,
    reach: float,
    dt: float,
    accuracies: tuple[float, float],
    speed: float | None,
) -> None:
    """An outlier is exactly a fix the top speed cannot reach from the previous one.

    That is, its distance from the previous fix less both accuracies is more than the
    top speed covers in the time between them: around that reach, anywhere on Earth,
    with or without a reported speed (the detector takes a short cut for fixes it can
    show are near enough).
    """
    engine = ApproachDetector(Home(latitude=0.0, longitude=0.0, radius=100.0))
    first = Fix(latitude=lat, longitude=lon, timestamp=T0, accuracy=accuracies[0])
    assert engine.update(first).accepted
    covered = SETTINGS.max_speed_mps * dt
    east, north = along(bearing, reach * (covered + sum(accuracies)))
    lat2, lon2 = offset(lat, lon, east, north)
    second = Fix(
        latitude=max(-90.0, min(90.0, lat2)),
        longitude=lon2,
        timestamp=T0 + timedelta(seconds=dt),
        accuracy=accuracies[1],
        speed=speed,
    )
    jump = local_m(lat, lon, second.latitude, second.longitude)
    covered = SETTINGS.max_speed_mps * (second.epoch - first.epoch)  # as rounded
    impossible = jump - accuracies[1] - accuracies[0] > covered
    result = engine.update(second)
    assert (result.reason is RejectReason.OUTLIER) == impossible

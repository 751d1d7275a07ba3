"""Tests of the drive simulator the scenario tests build their traces with."""

from datetime import UTC, datetime, timedelta
import itertools
import math

import pytest

from custom_components.homecoming.engine.models import Fix, Home
from devtools.sim import (
    DEFAULT_HOME,
    DRIFT_BOUND_M,
    Drive,
    Scenario,
    along,
    bearing,
    cell_fixes_far,
    distance_to_home,
    drive_by,
    haversine_m,
    home_at,
    jam,
    offset,
    parked_drift,
    red_lights,
    replayed_queue_after_arrival,
    straight_approach,
    to_local,
    tunnel,
)

LAT, LON = DEFAULT_HOME
HOME = home_at(LAT, LON)


def _times(fixes: list[Fix]) -> list[datetime]:
    return [fix.timestamp for fix in fixes]


def _strictly_increasing(fixes: list[Fix]) -> bool:
    times = _times(fixes)
    return all(a < b for a, b in itertools.pairwise(times))


def _local(fix: Fix) -> tuple[float, float]:
    return to_local(LAT, LON, fix.latitude, fix.longitude)


def _between(scenario: Scenario, first: str, last: str) -> list[Fix]:
    start, end = scenario.marks[first], scenario.marks[last]
    return [fix for fix in scenario.fixes if start <= fix.timestamp < end]


@pytest.mark.parametrize("distance", [10.0, 1_000.0, 15_000.0, 50_000.0])
@pytest.mark.parametrize(
    "direction", [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]
)
def test_offset_keeps_the_distance_from_home(distance: float, direction: float) -> None:
    """The projection's distance back to home matches the great circle to 0.01 %."""
    lat, lon = offset(LAT, LON, *along(direction, distance))
    assert haversine_m(LAT, LON, lat, lon) == pytest.approx(distance, rel=1e-4)


def test_to_local_inverts_offset() -> None:
    """Local coordinates survive a round trip through latitude and longitude."""
    lat, lon = offset(LAT, LON, -12_345.0, 6_789.0)
    east, north = to_local(LAT, LON, lat, lon)
    assert east == pytest.approx(-12_345.0, abs=1e-6)
    assert north == pytest.approx(6_789.0, abs=1e-6)


def test_bearing_is_a_compass_bearing() -> None:
    """North is 0, east 90, south 180, west 270."""
    assert bearing(0.0, 1.0) == pytest.approx(0.0)
    assert bearing(1.0, 0.0) == pytest.approx(90.0)
    assert bearing(0.0, -1.0) == pytest.approx(180.0)
    assert bearing(-1.0, 0.0) == pytest.approx(270.0)


def test_home_at_builds_a_home() -> None:
    """The helper gives an engine Home with the default radius."""
    assert home_at(1.0, 2.0) == Home(latitude=1.0, longitude=2.0, radius=100.0)


def test_drive_without_noise_is_exact() -> None:
    """Without noise a straight drive reports the true positions on the time grid."""
    drive = Drive(noise=0.0).at(0.0, 1_000.0).drive_to(0.0, 0.0, 10.0)
    fixes = drive.fixes
    assert len(fixes) == 20
    for k, fix in enumerate(fixes):
        assert fix.timestamp == drive.start + timedelta(seconds=5 * k)
        assert distance_to_home(fix, HOME) == pytest.approx(
            1_000.0 - 50.0 * k, abs=1e-3
        )
        assert fix.speed == pytest.approx(10.0, abs=1.5)
        assert fix.heading == pytest.approx(180.0)
        assert fix.accuracy == 8.0
    assert drive.position == (0.0, 0.0)
    assert drive.now == drive.start + timedelta(seconds=100)


def test_steps_chain_on_one_time_grid() -> None:
    """Consecutive steps neither repeat nor skip a grid time."""
    drive = Drive(noise=0.0).at(0.0, 103.0).drive_to(0.0, 0.0, 10.0).stop(20.0)
    times = _times(drive.fixes)
    assert times == [drive.start + timedelta(seconds=5 * k) for k in range(7)]
    assert drive.fixes[3].speed == 0.0
    assert distance_to_home(drive.fixes[3], HOME) == pytest.approx(0.0, abs=1e-6)


def test_route_and_crawl() -> None:
    """A route visits its points; a crawl stops where it is going."""
    drive = Drive(noise=0.0).route([(100.0, 0.0), (100.0, 100.0)], 10.0)
    assert drive.position == (100.0, 100.0)
    headings = [round(fix.heading) for fix in drive.fixes if fix.heading is not None]
    assert headings == [90, 90, 0, 0]
    drive.crawl(60.0, 1.0, toward=(100.0, 130.0))
    assert drive.position == pytest.approx((100.0, 130.0))
    assert drive.fixes[-1].speed == 0.0


def test_noise_follows_accuracy() -> None:
    """The default noise is half the accuracy, in both axes."""
    drive = Drive(accuracy=20.0).stop(3_600.0)
    errors = [math.hypot(*_local(fix)) for fix in drive.fixes]
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert rms == pytest.approx(10.0 * math.sqrt(2), rel=0.1)
    assert drive.with_accuracy(2.0).sigma == 1.0
    assert drive.with_noise(3.0).sigma == 3.0


def test_with_interval_changes_the_spacing() -> None:
    """A new interval applies to the following fixes."""
    drive = Drive().stop(20.0).with_interval(60.0).stop(300.0)
    times = _times(drive.fixes)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps == [5.0, 5.0, 5.0, 5.0, 60.0, 60.0, 60.0, 60.0]


def test_start_must_be_aware() -> None:
    """A naive start time is refused, as Fix would refuse it."""
    with pytest.raises(ValueError, match="timezone-aware"):
        Drive(start=datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="positive"):
        Drive(interval=0.0)
    with pytest.raises(ValueError, match="positive"):
        Drive().drive_to(1.0, 1.0, 0.0)


def test_same_seed_same_fixes() -> None:
    """The simulator is deterministic per seed."""
    assert straight_approach(seed=3).fixes == straight_approach(seed=3).fixes
    assert parked_drift(hours=1, seed=3).fixes == parked_drift(hours=1, seed=3).fixes
    assert straight_approach(seed=3).fixes != straight_approach(seed=4).fixes


def test_straight_approach() -> None:
    """It starts 10 km out, closes in steadily, heads home and parks there."""
    scenario = straight_approach()
    fixes = scenario.fixes
    assert _strictly_increasing(fixes)
    distances = [distance_to_home(fix, scenario.home) for fix in fixes]
    assert distances[0] == pytest.approx(10_000.0, abs=30.0)
    assert distances[-1] < 30.0
    # Over a minute the distance always shrinks by about 15 m/s.
    for a, b in zip(distances, distances[12:], strict=False):
        assert a - b == pytest.approx(15.0 * 60.0, abs=60.0) or b < 100.0
    moving = [fix for fix in fixes if fix.timestamp < scenario.marks["arrive"]]
    assert len(moving) == 134
    for fix in moving[:-20]:
        east, north = _local(fix)
        assert fix.heading == pytest.approx(bearing(-east, -north), abs=2.0)
        assert fix.speed == pytest.approx(15.0, abs=1.5)
    parked = [fix for fix in fixes if fix.timestamp >= scenario.marks["arrive"]]
    assert len(parked) == 24
    assert all(fix.speed == 0.0 and fix.heading is None for fix in parked)


def test_red_lights() -> None:
    """The approach halts three times, 30 to 90 seconds each."""
    scenario = red_lights()
    assert _strictly_increasing(scenario.fixes)
    for i, seconds in enumerate((45.0, 90.0, 30.0), start=1):
        start = scenario.marks[f"stop{i}"]
        halt = [
            fix
            for fix in scenario.fixes
            if start <= fix.timestamp < start + timedelta(seconds=seconds)
        ]
        assert len(halt) == pytest.approx(seconds / 5.0, abs=1)
        assert all(fix.speed == 0.0 for fix in halt)
    stopped = [
        fix for fix in scenario.fixes if fix.timestamp < scenario.marks["arrive"]
    ]
    assert sum(fix.speed == 0.0 for fix in stopped) == pytest.approx(33, abs=2)


def test_jam() -> None:
    """For four minutes at 2 km the car stands or crawls."""
    scenario = jam()
    assert scenario.marks["jam_end"] - scenario.marks["jam_start"] == timedelta(
        minutes=4
    )
    jammed = _between(scenario, "jam_start", "jam_end")
    assert len(jammed) == 48
    assert all(fix.speed is not None and fix.speed < 2.0 for fix in jammed)
    assert any(fix.speed for fix in jammed)
    for fix in jammed:
        assert distance_to_home(fix, scenario.home) == pytest.approx(1_940.0, abs=80.0)


def test_drive_by() -> None:
    """The road passes home 800 m away, from 15 km before to 15 km after."""
    scenario = drive_by()
    distances = [distance_to_home(fix, scenario.home) for fix in scenario.fixes]
    closest = min(range(len(distances)), key=distances.__getitem__)
    assert distances[closest] == pytest.approx(800.0, abs=20.0)
    assert abs(
        scenario.fixes[closest].timestamp - scenario.marks["closest"]
    ) <= timedelta(seconds=5)
    assert distances[0] == pytest.approx(math.hypot(800.0, 15_000.0), abs=30.0)
    assert distances[-1] == pytest.approx(math.hypot(800.0, 15_000.0), abs=150.0)
    assert {fix.heading for fix in scenario.fixes} == {0.0}


@pytest.mark.parametrize("at_m", [0.0, 1_500.0])
def test_parked_drift_stays_bounded(at_m: float) -> None:
    """Eight hours of drift stay within 60 m, with accuracies from 15 to 65 m."""
    scenario = parked_drift(hours=8, at_m=at_m, wild_every=None)
    fixes = scenario.fixes
    assert len(fixes) == 8 * 60
    assert _strictly_increasing(fixes)
    for fix in fixes:
        east, north = _local(fix)
        assert math.hypot(east - at_m, north) <= DRIFT_BOUND_M + 1e-6
        assert fix.accuracy is not None
        assert 15.0 <= fix.accuracy <= 65.0
        assert fix.speed == 0.0
    # It does wander: the reported positions are not all the same.
    assert len({(fix.latitude, fix.longitude) for fix in fixes}) == len(fixes)


def test_parked_drift_wild_fixes() -> None:
    """Every wild_every-th fix is 800 m off and reports the wild accuracy."""
    scenario = parked_drift(hours=8, at_m=1_500.0, wild_every=40)
    fixes = scenario.fixes
    for k, fix in enumerate(fixes, start=1):
        east, north = _local(fix)
        off = math.hypot(east - 1_500.0, north)
        if k % 40 == 0:
            assert fix.accuracy == 1500.0
            assert off == pytest.approx(800.0, abs=1e-3)
        else:
            assert fix.accuracy is not None
            assert fix.accuracy <= 65.0
            assert off <= DRIFT_BOUND_M + 1e-6
    assert sum(fix.accuracy == 1500.0 for fix in fixes) == 12


def test_tunnel() -> None:
    """No fixes for three minutes, after which the car is further along."""
    scenario = tunnel(gap_s=180.0)
    fixes = scenario.fixes
    assert _strictly_increasing(fixes)
    assert not _between(scenario, "tunnel_in", "tunnel_out")
    gaps = [
        (b.timestamp - a.timestamp).total_seconds()
        for a, b in itertools.pairwise(fixes)
    ]
    assert max(gaps) == pytest.approx(185.0, abs=5.0)
    after = next(fix for fix in fixes if fix.timestamp >= scenario.marks["tunnel_out"])
    assert distance_to_home(after, scenario.home) == pytest.approx(2_400.0, abs=120.0)


def test_replayed_queue_after_arrival() -> None:
    """After arriving, older fixes come again, then fresh ones resume."""
    scenario = replayed_queue_after_arrival()
    fixes = scenario.fixes
    times = _times(fixes)
    backwards = [i for i in range(1, len(times)) if times[i] <= times[i - 1]]
    assert len(backwards) == 1
    start = backwards[0]
    assert times[start - 1] < scenario.marks["replay"]
    replayed = [
        fix for fix in fixes[start:] if fix.timestamp < scenario.marks["arrive"]
    ]
    assert replayed == fixes[start : start + len(replayed)]
    assert all(fix in fixes[:start] for fix in replayed)
    distances = [distance_to_home(fix, scenario.home) for fix in replayed]
    assert max(distances) == pytest.approx(3_000.0, abs=80.0)
    assert min(distances) == pytest.approx(1_500.0, abs=80.0)
    fresh = fixes[start + len(replayed) :]
    assert fresh
    assert _strictly_increasing(fresh)
    assert fresh[0].timestamp >= scenario.marks["replay"]


def test_cell_fixes_far() -> None:
    """Cell fixes are far away, inaccurate, and lack speed and heading."""
    scenario = cell_fixes_far()
    fixes = scenario.fixes
    assert len(fixes) == 10
    assert _strictly_increasing(fixes)
    for fix in fixes:
        assert fix.accuracy == 1500.0
        assert fix.speed is None
        assert fix.heading is None
        east, north = _local(fix)
        assert math.hypot(east - 20_000.0, north) <= 1_500.0 + 1e-6


def test_replay_keeps_the_clock() -> None:
    """Replaying fixes appends them without moving time on."""
    drive = Drive().stop(30.0)
    now = drive.now
    drive.replay(drive.fixes[:2])
    assert drive.now == now
    assert drive.fixes[-2:] == drive.fixes[:2]


def test_tags_reach_the_fixes() -> None:
    """Driver and ignition tags are copied into the fixes."""
    drive = Drive(start=datetime(2025, 1, 1, tzinfo=UTC)).with_driver("anna")
    drive.with_ignition(True).stop(5.0)
    assert drive.fixes[0].driver == "anna"
    assert drive.fixes[0].ignition is True

"""Tests of replaying a recorded history: trips, drive-bys, cancelled approaches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
import math
from typing import Any

import pytest

from custom_components.homecoming.engine import EventType, Fix, Settings
from custom_components.homecoming.engine.models import RejectReason
from custom_components.homecoming.engine.reports import RecordedState, read_report
from custom_components.homecoming.engine.trips import (
    IGNORED_REASONS,
    TICK_S,
    HistoryReplay,
    HistoryReplayer,
    replay_history,
)
from devtools import sim
from tests.replay_day import a_day

TRACKER = "device_tracker.phone"
HOME = sim.home_at(*sim.DEFAULT_HOME)
START = sim.DEFAULT_START - timedelta(minutes=1)


def gps_state(fix: Fix, state: str = "not_home", **extra: Any) -> RecordedState:
    """Return the state a GPS tracker writes for a fix."""
    attributes = {
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "gps_accuracy": fix.accuracy,
        **extra,
    }
    return RecordedState(state, attributes, fix.timestamp)


def replay(
    states: Iterable[RecordedState],
    end: datetime,
    entity_id: str = TRACKER,
    settings: Settings | None = None,
    **kwargs: Any,
) -> HistoryReplay:
    """Replay states against the simulated home."""
    return replay_history(
        states,
        HOME,
        settings or Settings(),
        START,
        end,
        entity_id=entity_id,
        **kwargs,
    )


def events(result: HistoryReplay) -> list[str]:
    """Return the replay's transitions by event."""
    return [transition.event.value for transition in result.transitions]


def test_a_day_sorted_into_trips() -> None:
    """Two trips home, a drive-by, an approach cancelled by silence, a departure."""
    drive = a_day()
    fixes = drive.fixes
    end = fixes[-1].timestamp + timedelta(hours=1)
    result = replay([gps_state(fix) for fix in fixes], end)
    assert events(result) == [
        "approach_started",
        "arriving",
        "arrived",
        "departed",
        "approach_started",
        "approach_cancelled",
        "approach_started",
        "approach_cancelled",
        "approach_started",
        "arriving",
        "arrived",
    ]
    first, second = result.trips
    assert [t.event for t in first.transitions] == [
        EventType.APPROACH_STARTED,
        EventType.ARRIVING,
        EventType.ARRIVED,
    ]
    for trip in result.trips:
        started, *_, arrived = trip.transitions
        assert trip.lead_s == (arrived.timestamp - started.timestamp).total_seconds()
    assert first.lead_s is not None and first.lead_s > 400  # from 7.5 km out
    (drive_by,) = result.drive_bys
    assert drive_by.closest_m == pytest.approx(800, abs=30)
    assert drive_by.transitions[-1].timestamp > drive.marks["past"] - timedelta(
        minutes=10
    )
    (silent,) = result.cancelled
    # Silent after the last fix before the gap: cancelled at the first tick 15 min on.
    last = max(fix.timestamp for fix in fixes if fix.timestamp < drive.marks["silent"])
    cancel = silent.transitions[-1].timestamp
    assert cancel - last >= timedelta(minutes=15)
    assert cancel - last < timedelta(minutes=15, seconds=TICK_S)
    assert cancel.timestamp() % TICK_S == 0
    assert silent.closest_m == pytest.approx(silent.transitions[-1].distance_m)
    assert result.departures == 1
    assert result.start == START
    assert result.end == end
    summary = result.summary()
    assert summary == {
        "trips_home": 2,
        "median_lead_s": round((first.lead_s + (second.lead_s or 0)) / 2),
        "false_approaches": 2,
        "drive_bys": 1,
        "cancelled_approaches": 1,
        "departures": 1,
        "states": len(fixes),
        "fixes_used": len(fixes),
        "ignored": dict.fromkeys([*IGNORED_REASONS, "unparseable"], 0),
    }


def test_the_replay_as_a_response() -> None:
    """Times ISO 8601 in the zone asked for, distances in whole metres, leads in s."""
    fixes = a_day().fixes
    result = replay([gps_state(fix) for fix in fixes], fixes[-1].timestamp)
    data = result.as_dict(UTC)
    assert list(data) == [
        "start",
        "end",
        "trips",
        "drive_bys",
        "cancelled_approaches",
        "summary",
    ]
    assert data["start"] == START.isoformat()
    trip = data["trips"][0]
    assert list(trip) == ["arrived", "lead_s", "transitions"]
    assert trip["transitions"][0] == {
        "event": "approach_started",
        "time": result.trips[0].transitions[0].timestamp.isoformat(),
        "distance_m": round(result.trips[0].transitions[0].distance_m or 0),
    }
    assert isinstance(trip["lead_s"], int)
    assert trip["arrived"] == trip["transitions"][-1]["time"]
    (drive_by,) = data["drive_bys"]
    assert list(drive_by) == ["started", "cancelled", "closest_m", "transitions"]
    assert isinstance(drive_by["closest_m"], int)
    assert [t["event"] for t in drive_by["transitions"]] == [
        "approach_started",
        "approach_cancelled",
    ]
    local = result.as_dict()
    assert local["start"] == START.astimezone().isoformat()


def test_ticks_follow_the_clock_of_home_assistant() -> None:
    """A coarser clock cancels the silent approach at its own first tick."""
    drive = a_day()
    states = [gps_state(fix) for fix in drive.fixes]
    replayer = HistoryReplayer(HOME, Settings(), START, entity_id=TRACKER, tick_s=60.0)
    transitions = [t for recorded in states for t in replayer.feed(recorded)]
    assert replayer.finish(states[-1].timestamp) == []
    cancels = [t for t in transitions if t.event is EventType.APPROACH_CANCELLED]
    assert cancels[-1].timestamp.timestamp() % 60 == 0


def test_an_approach_under_way_at_the_end_is_cancelled_by_time() -> None:
    """The period's end lets time pass: an approach that went silent ends in it."""
    fixes = a_day().fixes
    silent_from = next(
        i for i, fix in enumerate(fixes) if fix.timestamp >= a_day().marks["silent"]
    )
    states = [gps_state(fix) for fix in fixes[:silent_from]]
    short = replay(states, states[-1].timestamp + timedelta(minutes=5))
    assert events(short)[-1] == "approach_started"
    long = replay(states, states[-1].timestamp + timedelta(minutes=20))
    assert events(long)[-1] == "approach_cancelled"
    assert len(long.cancelled) == 1


def test_states_that_say_nothing_or_cannot_be_read() -> None:
    """Unknown and unavailable are counted apart; junk and no position are unparseable."""
    fix = a_day().fixes[0]
    moment = fix.timestamp
    states = [
        RecordedState("unavailable", {}, moment),
        RecordedState("unknown", {"latitude": 1.0, "longitude": 2.0}, moment),
        RecordedState("not_home", {"latitude": 95.0, "longitude": 4.9}, moment),
        RecordedState("not_home", {"latitude": "52", "longitude": 4.9}, moment),
        RecordedState(
            "not_home",
            {"latitude": 52.0, "longitude": 4.9, "gps_accuracy": math.inf},
            moment,
        ),
        gps_state(fix),
        gps_state(fix),  # the same time again
        gps_state(fix, gps_accuracy=500),  # later, too inaccurate
    ]
    states[-1] = RecordedState(
        "not_home", states[-1].attributes, moment + timedelta(seconds=10)
    )
    result = replay(states, moment + timedelta(minutes=1))
    assert result.ignored() == {
        "inaccurate": 1,
        "duplicate": 1,
        "out_of_order": 0,
        "too_old": 0,
        "outlier": 0,
        "unavailable": 2,
        "unparseable": 3,
    }
    assert result.summary()["fixes_used"] == 1
    assert result.summary()["states"] == len(states)
    assert result.median_lead_s is None
    sensor = replay(
        [RecordedState("12", {"battery": 40}, moment)],
        moment + timedelta(minutes=1),
        entity_id="sensor.car",
    )
    assert sensor.ignored()["unparseable"] == 1


def test_zone_only_states() -> None:
    """A zone-based tracker's home / not home: arrivals without a lead, departures."""
    t0 = START + timedelta(minutes=1)
    states = [
        RecordedState("Work", {}, t0),
        RecordedState("Cottage", {}, t0 + timedelta(hours=1)),
        RecordedState("not_home", {}, t0 + timedelta(hours=9)),
        RecordedState("Cottage", {}, t0 + timedelta(hours=10)),
    ]
    result = replay(
        states, t0 + timedelta(hours=11), entity_id="person.anna", home_state="Cottage"
    )
    assert events(result) == ["arrived", "departed", "arrived"]
    assert [trip.lead_s for trip in result.trips] == [None, None]
    assert result.departures == 1
    assert result.summary()["median_lead_s"] is None
    assert result.summary()["fixes_used"] == 4


class Knots:
    """A speed attribute in knots."""

    name = "speed"

    def to_mps(self, value: float) -> float:
        """Convert knots to metres per second."""
        return value * 1852 / 3600


def test_speed_is_read_only_with_its_unit() -> None:
    """A speed is read when the integration's unit is known, and must be in range."""
    fix = a_day().fixes[0]
    states = [gps_state(fix, speed=400)]  # 206 m/s in knots: out of range
    end = fix.timestamp + timedelta(minutes=1)
    assert replay(states, end).summary()["fixes_used"] == 1
    with_unit = replay(states, end, speed=Knots())
    assert with_unit.ignored()["unparseable"] == 1
    read = read_report(
        TRACKER, "not_home", {**states[0].attributes, "speed": 10}, end, speed=Knots()
    )
    assert isinstance(read, Fix)
    assert read.speed == pytest.approx(10 * 1852 / 3600)


def test_a_stop_far_from_home_cancels_as_a_stop() -> None:
    """Parked on the way with the tracker still writing: a cancelled approach."""
    drive = sim.Drive(start=sim.DEFAULT_START, interval=10.0, seed=3)
    drive.at(0.0, 9_000.0).drive_to(0.0, 4_000.0, 15.0).stop(1_200.0)
    fixes = drive.fixes
    result = replay([gps_state(fix) for fix in fixes], fixes[-1].timestamp)
    assert events(result) == ["approach_started", "approach_cancelled"]
    (stopped,) = result.cancelled
    assert result.drive_bys == []
    assert stopped.closest_m == pytest.approx(4_000, abs=30)


def test_the_settings_decide() -> None:
    """A shorter reach notices the approach later: a shorter lead."""
    fixes = a_day().fixes
    states = [gps_state(fix) for fix in fixes]
    end = fixes[-1].timestamp
    wide = replay(states, end).trips[0].lead_s
    near = replay(states, end, settings=Settings(reach_m=2_000.0, reach_eta_s=None))
    assert near.trips[0].lead_s is not None and wide is not None
    assert near.trips[0].lead_s < wide


def test_rejections_of_the_engine_are_named_first() -> None:
    """The ignored reasons: the engine's, in its order, then the states' own."""
    assert list(IGNORED_REASONS) == [
        *(reason.value for reason in RejectReason),
        "unavailable",
    ]

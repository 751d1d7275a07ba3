"""Tests of the coordinator: events, restart, the clock, the home zone."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from functools import partial
import logging
import math
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.homecoming.const import (
    CONF_ARRIVAL_RADIUS,
    CONF_MAX_ACCURACY,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_SILENCE_TIMEOUT,
    CONF_STOP_TOLERANCE,
    DOMAIN,
    EVENT_HOMECOMING,
    LOGGER,
    SAVE_DELAY,
    SERVICE_UPDATE_LOCATION,
)
from custom_components.homecoming.coordinator import CLOCK_RESTART_MARGIN
from custom_components.homecoming.detection import (
    DETECTION_RANGES,
    settings_from_options,
)
from custom_components.homecoming.engine import (
    ApproachDetector,
    Fix,
    Home,
    Phase,
    Settings,
)
from custom_components.homecoming.sensor import ETA_HOLD
from devtools import sim
from tests import common
from tests.common import (
    HOME,
    add_car,
    car_states,
    diagnostics,
    distance,
    feed,
    half_way,
    last_fix,
    phase_state,
    position,
    silent,
    stats,
    stored,
    tick,
)

drive_home = partial(common.drive_home, distance_m=10_000.0, interval=5.0, park_s=120.0)
"""A drive straight home from 10 km at 54 km/h, then two minutes parked."""

ETA_SENSOR = "sensor.family_car_arrival_time"


async def test_drive_home_fires_each_event_once(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Fire approach_started, arriving and arrived once each, in order, with facts."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    fixes = drive_home(dt_util.utcnow(), driver="anna")
    await feed(hass, freezer, init_push, fixes)

    assert [event.data["type"] for event in events] == [
        "approach_started",
        "arriving",
        "arrived",
    ]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "WVWZZZ1JZXW000001"), init_push.entry_id
    )
    assert device is not None
    for event in events:
        assert event.data["device_id"] == device.id
        assert event.data["entry_id"] == init_push.entry_id
        # An id that is none of the car's drivers: the id alone.
        assert event.data["driver"] == {
            "name": None,
            "id": "anna",
            "person": None,
            "found_by": "driver_id",
        }
        assert isinstance(event.data["distance"], int)
    started, arriving, arrived = (event.data for event in events)
    assert started["phase"] == "approaching"
    assert started["distance"] > 9_000
    assert dt_util.parse_datetime(started["eta"]) is not None
    assert arriving["phase"] == "arriving"
    assert arriving["distance"] <= 400
    assert arriving["eta"] is not None
    assert arrived["phase"] == "home"
    assert arrived["distance"] <= 100
    assert arrived["eta"] is None
    assert phase_state(hass, init_push) == "home"
    assert (await stats(hass, init_push))["accepted"] == len(fixes)


async def test_restart_mid_approach_is_silent(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Restore a saved approach silently; the rest of the drive completes it."""
    fixes = drive_home(dt_util.utcnow())
    engine = half_way(fixes, 60)
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = stored(engine)
    freezer.move_to(fixes[60].timestamp)
    events = async_capture_events(hass, EVENT_HOMECOMING)

    await add_car(hass, push_entry)
    assert position(hass, push_entry) == (
        engine.snapshot.latitude,
        engine.snapshot.longitude,
    )
    assert await last_fix(hass, push_entry) == fixes[59].timestamp
    assert phase_state(hass, push_entry) == "approaching"
    assert events == []

    await feed(hass, freezer, push_entry, fixes[60:])
    assert [event.data["type"] for event in events] == ["arriving", "arrived"]


V1_STATE: dict[str, Any] = {
    "version": 1,
    "phase": "approaching",
    "last_t": 1736181010.0,
    "last_ts": "2025-01-06T16:30:10+00:00",
    "positioned": True,
    "lat": 52.399,
    "lon": 4.89,
    "acc": 10,
    "dist": 3224.6573267725366,
    "last_speed": None,
    "path": 111.19508023327376,
    "window": [
        [1736181000.0, 3335.8524070057797, 10, 0.0],
        [1736181010.0, 3224.6573267725366, 10, 111.19508023327376],
    ],
    "speed": 11.119508023327375,
    "closing": 11.119508023324306,
    "anchor": [1736181010.0, 52.399, 4.89, 10],
    "min_dist": 3224.0,
    "mark_dist": 3224.0,
    "mark_t": 1736181010.0,
    "qualified": 0,
    "pending_departure": False,
    "driver": None,
    "ignition": None,
    "ext_eta": [1736181610.0, 1736181010.0],
    "outlier": None,
}
"""A detector state as the first release saved it (version 1): approaching, 3.2 km out."""


def saved_state(data: Any, version: int = 1) -> dict[str, Any]:
    """Wrap data the way the Store writes it, with a storage version."""
    return {"version": version, "minor_version": 1, "key": DOMAIN, "data": data}


def state_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the car's saved_state_unusable repair issue, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"saved_state_unusable_{entry.entry_id}"
    )


@pytest.mark.parametrize(
    ("stored_data", "reason"),
    [
        (
            saved_state({"engine": {"version": 99}}),
            "written by a newer version of Homecoming (state version 99)",
        ),
        (
            saved_state({"engine": {**V1_STATE, "version": "2b"}}),
            "unsupported state version",
        ),
        (
            saved_state({"engine": {**ApproachDetector(HOME).as_dict(), "phase": "x"}}),
            "ValueError",
        ),
        (
            saved_state(
                {"engine": {**ApproachDetector(HOME).as_dict(), "qualified": math.inf}}
            ),
            "ValueError",
        ),
        (
            saved_state({"engine": {**V1_STATE, "ext_eta": [1e12, 1736181010.0]}}),
            "ValueError",
        ),
        (saved_state({"something": "else"}), "KeyError"),
        (saved_state(["not", "a", "dict"]), "TypeError"),
        (saved_state("text"), "TypeError"),
        (
            saved_state({"engine": V1_STATE}, version=2),
            "written by a newer version of Homecoming (storage version 2)",
        ),
        (
            saved_state({"engine": V1_STATE}, version=0),
            "a storage version this version of Homecoming cannot read",
        ),
    ],
    ids=[
        "newer-engine",
        "odd-version",
        "phase",
        "overflow",
        "travel-time",
        "no-engine",
        "list",
        "text",
        "newer-storage",
        "older-storage",
    ],
)
async def test_unusable_saved_state_starts_afresh(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored_data: dict[str, Any],
    reason: str,
) -> None:
    """Start with no knowledge of the car, a warning and a repair issue; never fail.

    The issue goes when a good state is read back (a reload after the next save).
    """
    freezer.move_to(datetime.fromisoformat(V1_STATE["last_ts"]))
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = stored_data
    events = async_capture_events(hass, EVENT_HOMECOMING)
    with caplog.at_level(logging.WARNING):
        await add_car(hass, push_entry)
    assert push_entry.state is ConfigEntryState.LOADED
    assert phase_state(hass, push_entry) == STATE_UNKNOWN
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and record.name == LOGGER.name
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith("Family car: the saved state could not be read (")
    assert reason in warnings[0]
    assert "upgrade" not in caplog.text.lower()
    issue = state_issue(hass, push_entry)
    assert issue is not None
    assert issue.translation_key == "saved_state_unusable"
    assert issue.translation_placeholders == {"name": "Family car"}
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert not issue.is_persistent

    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow(), accuracy=10)
    await feed(hass, freezer, push_entry, [fix])
    assert await hass.config_entries.async_reload(push_entry.entry_id)
    await hass.async_block_till_done()
    assert position(hass, push_entry)[0] == 52.4
    assert state_issue(hass, push_entry) is None
    assert events == []


async def test_older_saved_state_is_migrated(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Read a state of the first release: the approach goes on, silently, no issue."""
    freezer.move_to(datetime.fromisoformat(V1_STATE["last_ts"]) + timedelta(minutes=1))
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = saved_state({"engine": V1_STATE})
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await add_car(hass, push_entry)
    assert position(hass, push_entry)[0] == 52.399
    assert phase_state(hass, push_entry) == "approaching"
    assert state_issue(hass, push_entry) is None
    assert events == []


async def test_reload_keeps_the_state(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Write the state on unload and read it back on setup, firing nothing."""
    fixes = drive_home(dt_util.utcnow())
    await feed(hass, freezer, init_push, fixes[:60])
    assert phase_state(hass, init_push) == "approaching"
    before = car_states(hass, init_push)
    facts = (await diagnostics(hass, init_push))["car"]
    events = async_capture_events(hass, EVENT_HOMECOMING)

    assert await hass.config_entries.async_reload(init_push.entry_id)
    await hass.async_block_till_done()
    after = car_states(hass, init_push)
    # The arrival time shown was held within a minute of the engine's; it is now the
    # engine's own.
    shown, eta = (
        dt_util.parse_datetime(states[ETA_SENSOR][0]) for states in (before, after)
    )
    assert shown is not None
    assert eta == dt_util.parse_datetime(facts["eta"]).replace(microsecond=0)
    assert abs(eta - shown) < ETA_HOLD
    assert {**after, ETA_SENSOR: None} == {**before, ETA_SENSOR: None}
    assert (await diagnostics(hass, init_push))["car"] == facts
    assert events == []
    saved = hass_storage[f"{DOMAIN}.{init_push.entry_id}"]["data"]
    assert saved["engine"]["phase"] == "approaching"
    assert saved["driver"] is None  # the car has no drivers


async def test_time_while_down_cancels_silently(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """End a saved approach that went silent while Home Assistant was down, quietly."""
    fixes = drive_home(dt_util.utcnow())
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = stored(half_way(fixes, 60))
    freezer.move_to(fixes[59].timestamp + timedelta(minutes=30))
    events = async_capture_events(hass, EVENT_HOMECOMING)

    await add_car(hass, push_entry)
    assert silent(hass, push_entry)
    assert phase_state(hass, push_entry) == "away"
    await tick(hass, freezer, 30)
    assert events == []


async def test_stop_ends_an_approach_through_the_clock(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Cancel an approach once the car has stood still for the stop tolerance."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    drive = sim.Drive(start=dt_util.utcnow()).at(*sim.along(30.0, 10_000.0))
    drive.drive_to(*sim.along(30.0, 6_000.0), 15.0).mark("stop").stop(60.0)
    await feed(hass, freezer, init_push, drive.fixes)
    assert [event.data["type"] for event in events] == ["approach_started"]

    stopped = drive.marks["stop"]
    await tick(
        hass,
        freezer,
        (stopped + timedelta(minutes=7) - dt_util.utcnow()).total_seconds(),
    )
    assert len(events) == 1
    assert phase_state(hass, init_push) == "approaching"
    await tick(hass, freezer, 80)
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "approach_cancelled",
    ]
    cancelled = events[1].data
    assert cancelled["phase"] == "away"
    assert cancelled["eta"] is None
    assert 5_500 < cancelled["distance"] < 6_500
    assert not silent(hass, init_push)
    assert phase_state(hass, init_push) == "away"


async def test_silence_ends_an_approach_and_makes_the_data_stale(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Cancel an approach and mark the data stale after the stale timeout; a fix revives it."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    fixes = drive_home(dt_util.utcnow())
    await feed(hass, freezer, init_push, fixes[:40])
    assert not silent(hass, init_push)

    await tick(hass, freezer, 14 * 60)
    assert [event.data["type"] for event in events] == ["approach_started"]
    assert not silent(hass, init_push)
    await tick(hass, freezer, 70)
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "approach_cancelled",
    ]
    assert silent(hass, init_push)
    assert phase_state(hass, init_push) == "away"

    await tick(hass, freezer, 60)  # stays stale, nothing more happens
    assert len(events) == 2
    fix = fixes[40]
    await feed(hass, freezer, init_push, [sim_fix_now(fix)])
    assert not silent(hass, init_push)


async def test_cars_share_one_clock_while_time_matters(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    other_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One timer ticks every car time can change; silent parked cars rest, unticked."""
    with patch(
        "custom_components.homecoming.coordinator.async_track_time_interval",
        wraps=async_track_time_interval,
    ) as timers:
        await add_car(hass, other_entry)
        assert timers.call_count == 0  # silent from the start, parked: nothing ticks
        fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow(), accuracy=10)
        await feed(hass, freezer, other_entry, [fix])
        await feed(hass, freezer, init_push, [sim_fix_now(fix)])
        assert timers.call_count == 1  # one timer for both cars
        assert await hass.config_entries.async_unload(init_push.entry_id)
        await tick(hass, freezer, 15 * 60 + 10)
        assert silent(hass, other_entry)  # the other car's time still passed
        await feed(hass, freezer, other_entry, [sim_fix_now(fix)])
        assert timers.call_count == 2  # stopped once both rested, started again
        assert not silent(hass, other_entry)
        assert await hass.config_entries.async_unload(other_entry.entry_id)
        assert await hass.config_entries.async_setup(init_push.entry_id)
        await hass.async_block_till_done()
        await feed(hass, freezer, init_push, [sim_fix_now(fix)])
        assert timers.call_count == 3
        await tick(hass, freezer, 15 * 60 + 10)
        assert silent(hass, init_push)


def sim_fix_now(fix: Fix) -> Fix:
    """Return the fix stamped with the current time."""
    return Fix(
        latitude=fix.latitude,
        longitude=fix.longitude,
        timestamp=dt_util.utcnow(),
        accuracy=fix.accuracy,
    )


async def test_staleness_without_an_approach(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Mark a parked car's position stale after the timeout, without any event."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await tick(hass, freezer, 30)  # no fix yet: stale from the start
    assert silent(hass, init_push)
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow(), accuracy=10)
    await feed(hass, freezer, init_push, [fix])
    assert not silent(hass, init_push)
    await tick(hass, freezer, 15 * 60 + 10)
    assert silent(hass, init_push)
    assert events == []


async def test_zone_moves_change_the_distance(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The distance follows the zone at once; a parked car's next fix starts nothing."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    coordinator = init_push.runtime_data.coordinator
    lat, lon = sim.offset(*sim.DEFAULT_HOME, 0.0, 1_000.0)
    now = dt_util.utcnow()
    await feed(
        hass,
        freezer,
        init_push,
        [Fix(latitude=lat, longitude=lon, timestamp=now, accuracy=10, speed=0)],
    )
    assert distance(hass, init_push) == pytest.approx(1_000, abs=1)

    # The same zone written again (another attribute changed): nothing to redo.
    engine = coordinator.engine
    zone = hass.states.get("zone.home")
    assert zone is not None
    hass.states.async_set("zone.home", zone.state, {**zone.attributes, "icon": "x"})
    await hass.async_block_till_done()
    assert coordinator.engine is engine

    new_lat, new_lon = sim.offset(*sim.DEFAULT_HOME, 0.0, 3_000.0)
    await hass.config.async_update(latitude=new_lat, longitude=new_lon, radius=250)
    await hass.async_block_till_done()
    assert distance(hass, init_push) == pytest.approx(2_000, abs=5)  # at once
    await feed(
        hass,
        freezer,
        init_push,
        [
            Fix(
                latitude=lat,
                longitude=lon,
                timestamp=now + timedelta(seconds=10),
                accuracy=10,
                speed=0,
            )
        ],
    )
    assert distance(hass, init_push) == pytest.approx(2_000, abs=5)
    # Measured against the old home, the car would have come 1 km nearer in 10 s.
    assert phase_state(hass, init_push) == "away"
    assert events == []


async def test_a_moved_zone_restarts_the_evidence(hass: HomeAssistant) -> None:
    """Parked 5 km out, the zone moves 1 km nearer: the next fix shows no progress.

    The same when the state is restored against a home other than the one it was
    measured to (the zone moved while Home Assistant was down).
    """
    home = Home(latitude=52.37, longitude=4.89, radius=100.0)
    engine = ApproachDetector(home)
    lat, lon = sim.offset(52.37, 4.89, 0.0, 5_000.0)
    start = dt_util.utcnow()
    for second in range(0, 300, 10):
        engine.update(
            Fix(
                latitude=lat,
                longitude=lon,
                timestamp=start + timedelta(seconds=second),
                accuracy=10,
                speed=0,
            )
        )
    near = sim.offset(52.37, 4.89, 0.0, 1_000.0)
    engine.move_home(Home(latitude=near[0], longitude=near[1], radius=100.0))
    assert engine.snapshot.distance_m == pytest.approx(4_000, abs=5)
    assert engine.snapshot.eta is None
    after = start + timedelta(seconds=310)
    result = engine.update(
        Fix(latitude=lat, longitude=lon, timestamp=after, accuracy=10)
    )
    assert result.transitions == ()
    assert engine.phase is Phase.AWAY
    saved = engine.as_dict()
    assert ApproachDetector.from_dict(saved, engine.home).as_dict() == saved
    # Restored against the old home (the zone moved back while Home Assistant was
    # down): measured anew, as a live move is.
    restored = ApproachDetector.from_dict(saved, home)
    assert restored.snapshot.distance_m == pytest.approx(5_000, abs=5)
    later = Fix(
        latitude=lat,
        longitude=lon,
        timestamp=after + timedelta(seconds=10),
        accuracy=10,
    )
    assert restored.update(later).transitions == ()
    fresh = ApproachDetector(home)
    fresh.update_presence(True, start)
    fresh.move_home(Home(latitude=near[0], longitude=near[1], radius=100.0))
    assert fresh.snapshot.distance_m == 0.0  # at home by a zone report: kept as it was


async def test_zone_gone_keeps_the_last_home(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Keep measuring against the last known home when the zone disappears."""
    with caplog.at_level(logging.WARNING):
        hass.states.async_remove("zone.home")
        await hass.async_block_till_done()
    assert "the home zone zone.home is gone" in caplog.text
    lat, lon = sim.offset(*sim.DEFAULT_HOME, 0.0, 1_000.0)
    fix = Fix(latitude=lat, longitude=lon, timestamp=dt_util.utcnow(), accuracy=10)
    await feed(hass, freezer, init_push, [fix])
    assert distance(hass, init_push) == pytest.approx(1_000, abs=1)


async def test_clock_ahead_is_taken_as_now(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Take a fix stamped an hour ahead as current, and count it."""
    now = dt_util.utcnow()
    await hass.services.async_call(
        DOMAIN,
        SERVICE_UPDATE_LOCATION,
        {
            "config_entry_id": init_push.entry_id,
            "latitude": 52.4,
            "longitude": 4.9,
            "timestamp": (now + timedelta(hours=1)).isoformat(),
        },
        blocking=True,
    )
    assert (await stats(hass, init_push))["clock_ahead"] == 1
    assert await last_fix(hass, init_push) == now
    # A fix a minute later is not blocked by the clock that ran ahead.
    freezer.tick(timedelta(minutes=1))
    fix = Fix(latitude=52.401, longitude=4.9, timestamp=dt_util.utcnow())
    await feed(hass, freezer, init_push, [fix])
    assert await last_fix(hass, init_push) == fix.timestamp
    assert (await stats(hass, init_push))["accepted"] == 2


async def test_duplicate_fix_changes_nothing(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Count a repeated fix as a duplicate and leave the car's data alone."""
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow())
    await feed(hass, freezer, init_push, [fix])
    before = car_states(hass, init_push)
    facts = (await diagnostics(hass, init_push))["car"]
    await feed(hass, freezer, init_push, [fix])
    assert (await stats(hass, init_push))["duplicate"] == 1
    assert car_states(hass, init_push) == before
    assert (await diagnostics(hass, init_push))["car"] == facts


async def test_update_entity_recomputes_the_data(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Recompute the car's data on homeassistant.update_entity (staleness included)."""
    assert await async_setup_component(hass, "homeassistant", {})
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow())
    await feed(hass, freezer, init_push, [fix])
    assert not silent(hass, init_push)
    freezer.tick(timedelta(minutes=16))  # no tick fired: the data is not stale yet
    assert not silent(hass, init_push)
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{init_push.unique_id}_phase"
    )
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    assert silent(hass, init_push)


@pytest.mark.parametrize(
    ("options", "changes"),
    [
        ({}, {}),
        (
            {
                CONF_REACH_KM: 12,
                CONF_REACH_MINUTES: 20,
                CONF_ARRIVAL_RADIUS: 300,
                CONF_STOP_TOLERANCE: 5,
                CONF_SILENCE_TIMEOUT: 10,
                CONF_MAX_ACCURACY: 80,
            },
            {
                "reach_m": 12_000.0,
                "reach_eta_s": 1_200.0,
                "arrival_radius_m": 300.0,
                "stop_tolerance_s": 300.0,
                "silence_timeout_s": 600.0,
                "max_accuracy_m": 80.0,
            },
        ),
        (
            {CONF_REACH_KM: 0, CONF_REACH_MINUTES: 0},
            {"reach_m": None, "reach_eta_s": None},
        ),
    ],
    ids=["defaults", "all", "no-limits"],
)
def test_settings_from_options(
    options: dict[str, Any], changes: dict[str, Any]
) -> None:
    """Convert the options (user units) to engine settings; defaults for the rest."""
    settings = settings_from_options(options)
    defaults = Settings()
    for name in defaults.__dataclass_fields__:
        assert getattr(settings, name) == changes.get(name, getattr(defaults, name))


async def test_options_reach_the_engine(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> None:
    """Use the entry's options in the car's engine: a shorter stop tolerance."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Van",
        unique_id="van",
        data=dict(push_entry.data),
        options={CONF_STOP_TOLERANCE: 2},
    )
    await add_car(hass, entry)
    assert (await diagnostics(hass, entry))["settings"]["stop_tolerance_s"] == 120.0


# ------------------------------------------------------------ a wrong clock


def clock_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings about a wrong clock."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "ahead of Home Assistant" in record.msg
    ]


async def test_clock_set_back_a_day_does_not_freeze_the_car(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant started a day ahead (no NTP yet) and took a fix; NTP set it back.

    The fix stamped a day ahead is recognised at the next batch: one warning naming
    the car, counted once, the track starts afresh, and every later fix is used: the
    drive home fires its events.
    """
    fixes = drive_home(dt_util.utcnow())
    freezer.move_to(fixes[0].timestamp + timedelta(days=1))
    await add_car(hass, push_entry)
    await common.update_location(hass, push_entry, fixes[0], stamped=False)
    assert await last_fix(hass, push_entry) == fixes[0].timestamp + timedelta(days=1)
    events = async_capture_events(hass, EVENT_HOMECOMING)

    with caplog.at_level(logging.WARNING):
        freezer.move_to(fixes[1].timestamp)  # NTP: the clock goes back a day
        await feed(hass, freezer, push_entry, fixes[1:])
    counters = await stats(hass, push_entry)
    assert counters["clock_corrected"] == 1
    assert counters["stale"] == 0
    assert counters["accepted"] == len(fixes)
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "arriving",
        "arrived",
    ]
    assert phase_state(hass, push_entry) == "home"
    (warning,) = clock_warnings(caplog)
    assert warning.startswith("Family car: the newest position is stamped ")


async def test_clock_corrected_on_the_tick(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without any fix, the next tick recognises the wrong stamp; later ones only count.

    The data is not stale: the track restarted now. A second wrong clock in the same
    run is counted and logged at debug level, not warned about again.
    """
    now = dt_util.utcnow()
    # A report first, so the home's clock ticks the car from now on (its timer runs on
    # the loop's time, which the frozen clock moves along with the wall clock).
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=now)
    await common.update_location(hass, init_push, fix)
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name):
        for _ in range(2):
            freezer.move_to(now + timedelta(days=1))
            fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow())
            await common.update_location(hass, init_push, fix)
            freezer.move_to(now)
            await tick(hass, freezer, 10)
            assert await last_fix(hass, init_push) == (
                dt_util.utcnow() - CLOCK_RESTART_MARGIN
            )
            assert not silent(hass, init_push)
            now += timedelta(minutes=1)
    assert (await stats(hass, init_push))["clock_corrected"] == 2
    assert len(clock_warnings(caplog)) == 1
    assert "the clock was wrong then" in caplog.text


async def test_clock_corrected_at_setup(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A saved state whose newest fix is a day ahead: corrected as the car is set up.

    The approach it tells of goes on (phase kept, nothing fired); the next fixes count.
    """
    fixes = drive_home(dt_util.utcnow())
    ahead = [
        Fix(
            latitude=fix.latitude,
            longitude=fix.longitude,
            timestamp=fix.timestamp + timedelta(days=1),
            accuracy=fix.accuracy,
            speed=fix.speed,
        )
        for fix in fixes
    ]
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = stored(half_way(ahead, 60))
    freezer.move_to(fixes[60].timestamp)
    events = async_capture_events(hass, EVENT_HOMECOMING)
    with caplog.at_level(logging.WARNING):
        await add_car(hass, push_entry)
    assert (await stats(hass, push_entry))["clock_corrected"] == 1
    assert phase_state(hass, push_entry) == "approaching"
    assert await last_fix(hass, push_entry) == (
        fixes[60].timestamp - CLOCK_RESTART_MARGIN
    )
    assert len(clock_warnings(caplog)) == 1

    await feed(hass, freezer, push_entry, fixes[61:])
    assert [event.data["type"] for event in events] == ["arriving", "arrived"]


async def test_clock_corrected_before_a_zone_report(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A zone-only tracker's report after the clock went back a day is used."""
    now = dt_util.utcnow()
    freezer.move_to(now + timedelta(days=1))
    hass.states.async_set(common.TRACKER, "not_home")
    await add_car(hass, entity_entry)
    freezer.move_to(now + timedelta(minutes=1))
    events = async_capture_events(hass, EVENT_HOMECOMING)
    hass.states.async_set(common.TRACKER, "home")
    await hass.async_block_till_done()
    assert (await stats(hass, entity_entry))["clock_corrected"] == 1
    assert phase_state(hass, entity_entry) == "home"
    assert [event.data["type"] for event in events] == ["arrived"]


# ------------------------------------------------------------ options out of range


@pytest.mark.parametrize(
    ("options", "refused"),
    [
        ({CONF_SILENCE_TIMEOUT: 1e300}, {CONF_SILENCE_TIMEOUT: 1e300}),
        ({CONF_SILENCE_TIMEOUT: math.nan}, {CONF_SILENCE_TIMEOUT: math.nan}),
        ({CONF_REACH_KM: 10**400}, {CONF_REACH_KM: 10**400}),
        (
            {CONF_REACH_KM: -5, CONF_REACH_MINUTES: "20"},
            {CONF_REACH_KM: -5, CONF_REACH_MINUTES: "20"},
        ),
        (
            {CONF_ARRIVAL_RADIUS: 49.9, CONF_MAX_ACCURACY: True},
            {CONF_ARRIVAL_RADIUS: 49.9, CONF_MAX_ACCURACY: True},
        ),
        (
            {CONF_STOP_TOLERANCE: None, CONF_SILENCE_TIMEOUT: 240},
            {CONF_STOP_TOLERANCE: None},
        ),
    ],
    ids=["huge", "nan", "too-large-int", "negative-text", "small-bool", "none"],
)
async def test_saved_options_out_of_range_use_defaults(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
    refused: dict[str, Any],
) -> None:
    """Set the car up with the default in place of each saved value out of range.

    A warning per value names the car, the option and its range; valid values are used.
    """
    entry = common.push_car(push_entry, options=options)
    with caplog.at_level(logging.WARNING):
        await add_car(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    expected = settings_from_options(
        {key: value for key, value in options.items() if key not in refused}
    )
    assert (await diagnostics(hass, entry))["settings"] == asdict(expected)
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and record.name == LOGGER.name
    ]
    assert len(warnings) == len(refused)
    for key in refused:
        low, high = DETECTION_RANGES[key]
        assert any(
            message.startswith(f"Family car: the saved option {key} = ")
            and f"from {low:g} to {high:g}; using the default" in message
            for message in warnings
        ), key


async def test_repeated_presence_changes_nothing(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Count a zone-only report of the same moment as a duplicate; change nothing."""
    hass.states.async_set(common.TRACKER, "not_home")
    await add_car(hass, entity_entry)
    events = async_capture_events(hass, EVENT_HOMECOMING)
    freezer.tick(timedelta(minutes=5))
    hass.states.async_set(common.TRACKER, "home")
    await hass.async_block_till_done()
    assert [event.data["type"] for event in events] == ["arrived"]
    before = car_states(hass, entity_entry)

    # An attribute changes at the same moment (the clock has not moved): no news.
    hass.states.async_set(common.TRACKER, "home", {"battery": 80})
    await hass.async_block_till_done()

    assert (await stats(hass, entity_entry))["duplicate"] == 1
    assert car_states(hass, entity_entry) == before
    assert len(events) == 1


async def test_positions_streaming_in_are_saved_every_ten_seconds(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A position every 5 s, no phase change: the saved state is never 10 s behind.

    (A write postponed by every position was never made while driving: a crash lost
    the drive since the last change of phase.)
    """
    fixes = drive_home(dt_util.utcnow())
    await feed(hass, freezer, init_push, fixes[:30])
    key = f"{DOMAIN}.{init_push.entry_id}"
    for fix in fixes[30:60]:
        await feed(hass, freezer, init_push, [fix])
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        saved_t = hass_storage[key]["data"]["engine"]["last_t"]
        assert fix.timestamp.timestamp() - saved_t <= SAVE_DELAY + 1

"""Tests of the coordinator: events, restart, the clock, the home zone."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import (
    CONF_ARRIVAL_RADIUS,
    CONF_MAX_ACCURACY,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_STALE_TIMEOUT,
    CONF_STOP_TOLERANCE,
    DOMAIN,
    EVENT_HOMECOMING,
    SERVICE_UPDATE_LOCATION,
)
from custom_components.homecoming.coordinator import settings_from_options
from custom_components.homecoming.engine import Engine, Fix, Phase, Settings
from tests import common, sim
from tests.common import HOME, add_car, feed, half_way, phase_state, stored, tick

drive_home = partial(common.drive_home, distance_m=10_000.0, interval=5.0, park_s=120.0)
"""A drive straight home from 10 km at 54 km/h, then two minutes parked."""


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
        assert event.data["driver"] == "anna"
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
    assert init_push.runtime_data.stats["accepted"] == len(fixes)


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
    snapshot = push_entry.runtime_data.data.snapshot
    assert snapshot.phase is Phase.APPROACHING
    assert snapshot.latitude == engine.snapshot.latitude
    assert snapshot.longitude == engine.snapshot.longitude
    assert snapshot.last_fix == fixes[59].timestamp
    assert phase_state(hass, push_entry) == "approaching"
    assert events == []

    await feed(hass, freezer, push_entry, fixes[60:])
    assert [event.data["type"] for event in events] == ["arriving", "arrived"]


@pytest.mark.parametrize(
    "data",
    [
        {"engine": {"version": 99}},
        {"engine": {**Engine(HOME).as_dict(), "phase": "flying"}},
        {"engine": {**Engine(HOME).as_dict(), "qualified": math.inf}},
        {"something": "else"},
        ["not", "a", "dict"],
    ],
    ids=["version", "phase", "overflow", "no-engine", "list"],
)
async def test_corrupt_saved_state_starts_afresh(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    data: Any,
) -> None:
    """Start with no knowledge of the car, and a warning, when the state is unreadable."""
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": "homecoming",
        "data": data,
    }
    with caplog.at_level(logging.WARNING):
        await add_car(hass, push_entry)
    assert push_entry.runtime_data.data.snapshot.phase is None
    assert phase_state(hass, push_entry) == STATE_UNKNOWN
    assert "the saved state could not be read" in caplog.text


async def test_reload_keeps_the_state(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Write the state on unload and read it back on setup, firing nothing."""
    fixes = drive_home(dt_util.utcnow())
    await feed(hass, freezer, init_push, fixes[:60])
    before = init_push.runtime_data.data.snapshot
    assert before.phase is Phase.APPROACHING
    events = async_capture_events(hass, EVENT_HOMECOMING)

    assert await hass.config_entries.async_reload(init_push.entry_id)
    await hass.async_block_till_done()
    assert init_push.runtime_data.data.snapshot == before
    assert events == []
    saved = hass_storage[f"{DOMAIN}.{init_push.entry_id}"]["data"]
    assert saved["engine"]["phase"] == "approaching"


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
    data = push_entry.runtime_data.data
    assert data.snapshot.phase is Phase.AWAY
    assert data.stale
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
    assert init_push.runtime_data.data.snapshot.phase is Phase.APPROACHING
    await tick(hass, freezer, 80)
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "approach_cancelled",
    ]
    cancelled = events[1].data
    assert cancelled["phase"] == "away"
    assert cancelled["eta"] is None
    assert 5_500 < cancelled["distance"] < 6_500
    data = init_push.runtime_data.data  # read anew: the tick replaced it
    assert data.snapshot.phase is Phase.AWAY
    assert not data.stale
    assert phase_state(hass, init_push) == "away"


async def test_silence_ends_an_approach_and_makes_the_data_stale(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Cancel an approach and mark the data stale after the stale timeout; a fix revives it."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    fixes = drive_home(dt_util.utcnow())
    await feed(hass, freezer, init_push, fixes[:40])
    coordinator = init_push.runtime_data
    assert not coordinator.data.stale

    await tick(hass, freezer, 14 * 60)
    assert [event.data["type"] for event in events] == ["approach_started"]
    assert not coordinator.data.stale
    await tick(hass, freezer, 70)
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "approach_cancelled",
    ]
    assert coordinator.data.stale
    assert coordinator.data.snapshot.phase is Phase.AWAY

    await tick(hass, freezer, 60)  # stays stale, nothing more happens
    assert len(events) == 2
    fix = fixes[40]
    await feed(hass, freezer, init_push, [sim_fix_now(fix)])
    assert not coordinator.data.stale


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
    coordinator = init_push.runtime_data
    await tick(hass, freezer, 30)  # no fix yet: stale from the start
    assert coordinator.data.stale
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow(), accuracy=10)
    await feed(hass, freezer, init_push, [fix])
    assert not coordinator.data.stale
    await tick(hass, freezer, 15 * 60 + 10)
    assert coordinator.data.stale
    assert events == []


async def test_zone_moves_change_the_distance(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Measure the next fix against the home zone's new centre."""
    coordinator = init_push.runtime_data
    lat, lon = sim.offset(*sim.DEFAULT_HOME, 0.0, 1_000.0)
    now = dt_util.utcnow()
    await feed(
        hass,
        freezer,
        init_push,
        [Fix(latitude=lat, longitude=lon, timestamp=now, accuracy=10, speed=0)],
    )
    assert coordinator.data.snapshot.distance_m == pytest.approx(1_000, abs=1)

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
    assert coordinator.engine.home == sim.home_at(new_lat, new_lon, 250)
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
    assert coordinator.data.snapshot.distance_m == pytest.approx(2_000, abs=5)


async def test_zone_gone_keeps_the_last_home(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Keep measuring against the last known home when the zone disappears."""
    coordinator = init_push.runtime_data
    with caplog.at_level(logging.WARNING):
        hass.states.async_remove("zone.home")
        await hass.async_block_till_done()
    assert "the home zone zone.home is gone" in caplog.text
    lat, lon = sim.offset(*sim.DEFAULT_HOME, 0.0, 1_000.0)
    fix = Fix(latitude=lat, longitude=lon, timestamp=dt_util.utcnow(), accuracy=10)
    await feed(hass, freezer, init_push, [fix])
    assert coordinator.engine.home == HOME
    assert coordinator.data.snapshot.distance_m == pytest.approx(1_000, abs=1)


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
    coordinator = init_push.runtime_data
    assert coordinator.stats["clock_ahead"] == 1
    assert coordinator.data.snapshot.last_fix == now
    # A fix a minute later is not blocked by the clock that ran ahead.
    freezer.tick(timedelta(minutes=1))
    fix = Fix(latitude=52.401, longitude=4.9, timestamp=dt_util.utcnow())
    await feed(hass, freezer, init_push, [fix])
    assert coordinator.data.snapshot.last_fix == fix.timestamp
    assert coordinator.stats["accepted"] == 2


async def test_duplicate_fix_changes_nothing(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Count a repeated fix as a duplicate and leave the car's data alone."""
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow())
    coordinator = init_push.runtime_data
    await feed(hass, freezer, init_push, [fix])
    data = coordinator.data
    await feed(hass, freezer, init_push, [fix])
    assert coordinator.stats["duplicate"] == 1
    assert coordinator.data is data


async def test_update_entity_recomputes_the_data(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Recompute the car's data on homeassistant.update_entity (staleness included)."""
    assert await async_setup_component(hass, "homeassistant", {})
    fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow())
    await feed(hass, freezer, init_push, [fix])
    coordinator = init_push.runtime_data
    assert not coordinator.data.stale
    freezer.tick(timedelta(minutes=16))  # no tick fired: the data is not stale yet
    assert not coordinator.data.stale
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{init_push.unique_id}_phase"
    )
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    assert coordinator.data.stale


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
                CONF_STALE_TIMEOUT: 10,
                CONF_MAX_ACCURACY: 80,
            },
            {
                "reach_m": 12_000.0,
                "reach_eta_s": 1_200.0,
                "arrival_radius_m": 300.0,
                "stop_tolerance_s": 300.0,
                "stale_timeout_s": 600.0,
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
    assert entry.runtime_data.engine.settings.stop_tolerance_s == 120.0

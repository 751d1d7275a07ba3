"""Tests of the Homecoming device tracker: the car's position on the map."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_FRIENDLY_NAME,
    ATTR_GPS_ACCURACY,
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    STATE_HOME,
    STATE_NOT_HOME,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homecoming.const import DOMAIN
from custom_components.homecoming.device_tracker import MIN_MOVE_M
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.engine.geo import haversine_m
from devtools import sim
from tests.common import (
    APPROACHING_AFTER,
    HOME_LAT,
    HOME_LON,
    STALE_AFTER,
    TRACKER,
    add_car,
    entity_state,
    feed,
    update_location,
)

DRIVE = sim.straight_approach(park_s=300.0)
"""10 km straight home at 15 m/s, then five minutes parked."""

CAR = "device_tracker.family_car"
ATTR_SILENT = "silent"

pytestmark = [
    pytest.mark.platforms(Platform.DEVICE_TRACKER),
    pytest.mark.usefixtures("start_of_drive"),
]


def assert_at(state: State, fix: Fix) -> None:
    """Assert that the tracker shows a fix's position and accuracy.

    Within :data:`MIN_MOVE_M`: a car that moved less keeps the position shown.
    """
    shown = haversine_m(
        state.attributes[ATTR_LATITUDE],
        state.attributes[ATTR_LONGITUDE],
        fix.latitude,
        fix.longitude,
    )
    assert shown < MIN_MOVE_M
    assert abs(state.attributes[ATTR_GPS_ACCURACY] - (fix.accuracy or 0.0)) < MIN_MOVE_M


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_push: MockConfigEntry,
) -> None:
    """Snapshot the tracker's registry entry and state during an approach."""
    await feed(hass, freezer, init_push, DRIVE.fixes[:APPROACHING_AFTER])

    await snapshot_platform(hass, entity_registry, snapshot, init_push.entry_id)


async def test_position(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Show the last position, its accuracy and freshness; home once in the zone."""
    state = entity_state(hass, CAR)
    assert state.state == STATE_UNKNOWN
    assert ATTR_LATITUDE not in state.attributes
    assert ATTR_GPS_ACCURACY not in state.attributes

    await feed(hass, freezer, init_push, DRIVE.fixes[:APPROACHING_AFTER])
    state = entity_state(hass, CAR)
    assert state.state == STATE_NOT_HOME
    assert_at(state, DRIVE.fixes[APPROACHING_AFTER - 1])
    assert state.attributes[ATTR_SILENT] is False

    await feed(hass, freezer, init_push, DRIVE.fixes[APPROACHING_AFTER:])
    state = entity_state(hass, CAR)
    assert state.state == STATE_HOME
    assert_at(state, DRIVE.fixes[-1])


async def test_silent(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Mark the car silent after the silence timeout, keep its position, clear on a fix."""
    await feed(hass, freezer, init_push, DRIVE.fixes[:APPROACHING_AFTER])
    last = DRIVE.fixes[APPROACHING_AFTER - 1]

    freezer.tick(timedelta(minutes=14))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert entity_state(hass, CAR).attributes[ATTR_SILENT] is False

    freezer.tick(STALE_AFTER - timedelta(minutes=14))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = entity_state(hass, CAR)
    assert state.attributes[ATTR_SILENT] is True
    assert state.state == STATE_NOT_HOME
    assert_at(state, last)

    # A new fix, stamped now, is fresh again.
    fix = DRIVE.fixes[APPROACHING_AFTER]
    await update_location(hass, init_push, fix, stamped=False)
    await hass.async_block_till_done()
    state = entity_state(hass, CAR)
    assert state.attributes[ATTR_SILENT] is False
    assert_at(state, fix)


async def test_disabled_by_default_when_following_an_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    home_zone: None,
    other_entry: MockConfigEntry,
    entity_entry: MockConfigEntry,
) -> None:
    """Create a followed car's tracker disabled (the entity is on the map); a push car's not.

    Enabled by the user, it shows the followed entity's position.
    """
    position = {ATTR_LATITUDE: HOME_LAT + 0.05, ATTR_LONGITUDE: HOME_LON}
    hass.states.async_set(TRACKER, STATE_NOT_HOME, position | {ATTR_GPS_ACCURACY: 10})
    await add_car(hass, entity_entry, webhook=True)
    await add_car(hass, other_entry)

    pushed = entity_registry.async_get("device_tracker.other_car")
    assert pushed is not None
    assert pushed.config_entry_id == other_entry.entry_id
    assert pushed.disabled_by is None
    assert hass.states.get(pushed.entity_id) is not None
    [followed] = [
        entity
        for entity in er.async_entries_for_config_entry(
            entity_registry, entity_entry.entry_id
        )
        if entity.domain == "device_tracker"
    ]
    assert followed.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(followed.entity_id) is None

    entity_registry.async_update_entity(followed.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entity_entry.entry_id)
    await hass.async_block_till_done()
    state = entity_state(hass, followed.entity_id)
    assert state.state == STATE_NOT_HOME
    assert state.attributes[ATTR_LATITUDE] == pytest.approx(HOME_LAT + 0.05)
    assert state.attributes[ATTR_GPS_ACCURACY] == 10


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_follows_source_availability(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    home_zone: None,
    entity_entry: MockConfigEntry,
) -> None:
    """Go unavailable with the tracked entity and come back when it reports again."""
    position = {ATTR_LATITUDE: HOME_LAT + 0.05, ATTR_LONGITUDE: HOME_LON}
    hass.states.async_set(TRACKER, STATE_NOT_HOME, position | {ATTR_GPS_ACCURACY: 10})
    await add_car(hass, entity_entry)
    # The followed tracker already has the car's name: ours takes the next id.
    [entity] = er.async_entries_for_config_entry(entity_registry, entity_entry.entry_id)
    assert entity.entity_id == f"{TRACKER}_2"
    assert entity_state(hass, entity.entity_id).attributes[ATTR_GPS_ACCURACY] == 10

    hass.states.async_set(TRACKER, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert entity_state(hass, entity.entity_id).state == STATE_UNAVAILABLE

    freezer.tick(timedelta(seconds=30))
    hass.states.async_set(TRACKER, STATE_NOT_HOME, position | {ATTR_GPS_ACCURACY: 30})
    await hass.async_block_till_done()
    state = entity_state(hass, entity.entity_id)
    assert state.state == STATE_NOT_HOME
    assert state.attributes[ATTR_GPS_ACCURACY] == 30


async def test_named_after_the_car(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_push: MockConfigEntry,
) -> None:
    """Name the tracker after the car's device and put it on that device."""
    entity = entity_registry.async_get(CAR)
    assert entity is not None
    assert entity.has_entity_name
    assert entity.original_name is None
    assert entity.unique_id == "WVWZZZ1JZXW000001_location"
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "WVWZZZ1JZXW000001"), init_push.entry_id
    )
    assert device is not None
    assert entity.device_id == device.id
    assert (
        entity_state(hass, CAR).attributes[ATTR_FRIENDLY_NAME]
        == device.name
        == "Family car"
    )

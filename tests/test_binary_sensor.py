"""Tests of the Homecoming binary sensor: approaching home."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homecoming.const import ATTR_TYPE, DOMAIN, EVENT_HOMECOMING
from devtools import sim
from tests.common import (
    APPROACHING_AFTER,
    HOME_LAT,
    HOME_LON,
    TRACKER,
    add_car,
    feed,
    state,
)

DRIVE = sim.straight_approach(park_s=300.0)
"""10 km straight home at 15 m/s, then five minutes parked."""

APPROACHING = "binary_sensor.family_car_approaching_home"

pytestmark = [
    pytest.mark.platforms(Platform.BINARY_SENSOR),
    pytest.mark.usefixtures("start_of_drive"),
]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_push: MockConfigEntry,
) -> None:
    """Snapshot the binary sensor's registry entry and state during an approach."""
    await feed(hass, freezer, init_push, DRIVE.fixes[:APPROACHING_AFTER])

    await snapshot_platform(hass, entity_registry, snapshot, init_push.entry_id)


async def test_on_while_coming_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Turn on when the approach starts, stay on while arriving, turn off at home."""
    # Before any position the car is at no phase at all: not approaching.
    assert state(hass, APPROACHING) == STATE_OFF
    transitions = async_capture_events(hass, EVENT_HOMECOMING)
    seen: list[tuple[str | None, str]] = []

    for fix in DRIVE.fixes:
        await feed(hass, freezer, init_push, [fix])
        last = transitions[-1].data[ATTR_TYPE] if transitions else None
        seen.append((last, state(hass, APPROACHING)))

    # Each stretch of the drive, named by the last transition, has one state.
    stretches = {
        last: {state for other, state in seen if other == last} for last, _ in seen
    }
    assert stretches == {
        None: {STATE_OFF},
        "approach_started": {STATE_ON},
        "arriving": {STATE_ON},
        "arrived": {STATE_OFF},
    }


async def test_follows_source_availability(
    hass: HomeAssistant, home_zone: None, entity_entry: MockConfigEntry
) -> None:
    """Go unavailable with the tracked entity and come back when it reports again."""
    position = {ATTR_LATITUDE: HOME_LAT + 0.05, ATTR_LONGITUDE: HOME_LON}
    hass.states.async_set(TRACKER, "not_home", position)
    await add_car(hass, entity_entry)
    assert state(hass, APPROACHING) == STATE_OFF

    hass.states.async_set(TRACKER, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert state(hass, APPROACHING) == STATE_UNAVAILABLE

    hass.states.async_set(TRACKER, STATE_UNKNOWN)
    await hass.async_block_till_done()
    assert state(hass, APPROACHING) == STATE_OFF


async def test_on_the_car_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_push: MockConfigEntry,
) -> None:
    """Put the binary sensor on the car's device with a translated name."""
    entity = entity_registry.async_get(APPROACHING)
    assert entity is not None
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "WVWZZZ1JZXW000001"), init_push.entry_id
    )
    assert device is not None
    assert entity.device_id == device.id
    assert entity.unique_id == "WVWZZZ1JZXW000001_approaching"
    state = hass.states.get(APPROACHING)
    assert state is not None
    assert state.name == "Family car Approaching home"

"""Tests of the Homecoming binary sensor: approaching home."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import ATTR_TYPE, EVENT_HOMECOMING
from devtools import sim
from tests.common import (
    TRACKER,
    SnapshotApproach,
    assert_on_car_device,
    each_fix,
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
async def test_snapshot(snapshot_approach: SnapshotApproach) -> None:
    """Snapshot the binary sensor's registry entry and state during an approach."""
    await snapshot_approach(DRIVE.fixes)


async def test_on_while_coming_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Turn on when the approach starts, stay on while arriving, turn off at home."""
    # Before any position the car is at no phase at all: not approaching.
    assert state(hass, APPROACHING) == STATE_OFF
    transitions = async_capture_events(hass, EVENT_HOMECOMING)
    seen: list[tuple[str | None, str]] = []

    async for _ in each_fix(hass, freezer, init_push, DRIVE.fixes):
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


@pytest.mark.usefixtures("init_entity")
async def test_follows_source_availability(hass: HomeAssistant) -> None:
    """Go unavailable with the tracked entity and come back when it reports again."""
    assert state(hass, APPROACHING) == STATE_OFF

    hass.states.async_set(TRACKER, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert state(hass, APPROACHING) == STATE_UNAVAILABLE

    hass.states.async_set(TRACKER, STATE_UNKNOWN)
    await hass.async_block_till_done()
    assert state(hass, APPROACHING) == STATE_OFF


async def test_on_the_car_device(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Put the binary sensor on the car's device with a translated name."""
    assert_on_car_device(
        hass,
        init_push,
        APPROACHING,
        unique_id="WVWZZZ1JZXW000001_approaching",
        name="Family car Approaching home",
    )

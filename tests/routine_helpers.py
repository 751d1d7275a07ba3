"""Shared set-up for the routines tests: a home with a porch light and a thermostat."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_TIMESTAMP,
    DOMAIN,
    SERVICE_UPDATE_LOCATION,
)
from custom_components.homecoming.engine import Fix

from . import sim

PORCH = "input_boolean.porch"
HEATER = "input_boolean.heater"
INDOOR = "sensor.living_room_temperature"
LIVING_ROOM = "climate.living_room"
SWITCH = "switch.family_car_routines"

OPTIONS: dict[str, Any] = {
    "arrival_lights": {"targets": [PORCH], "when": "arriving", "condition": "always"},
    "climate": {
        "targets": [LIVING_ROOM],
        "target_temperature": 21.0,
        "hvac_mode": "heat",
        "timing": "fixed",
        "lead": 0,
    },
    "departure": {"enabled": True, "mode": "eco", "eco_temperature": 17.0},
    "cooldown": 15,
}
"""A car's routines: the porch light on arrival, heating, eco on departure."""

DRIVE = sim.straight_approach()
"""10 km straight home at 15 m/s: about 11 minutes, then parked."""


async def set_up_home(hass: HomeAssistant) -> None:
    """Give the home a porch light and a living-room thermostat (off, at 18 °C)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {"porch": {"name": "Porch"}, "heater": {"name": "Heater"}}},
    )
    hass.states.async_set(INDOOR, "18.0", {"unit_of_measurement": "°C"})
    assert await async_setup_component(
        hass,
        "climate",
        {
            "climate": {
                "platform": "generic_thermostat",
                "name": "Living room",
                "heater": HEATER,
                "target_sensor": INDOOR,
                "initial_hvac_mode": "off",
                "target_temp": 19,
            }
        },
    )
    await hass.async_block_till_done()


async def set_up_car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Set up the push car with routines (``OPTIONS`` unless given), at the drive's start.

    Needs the home zone (the ``home_zone`` fixture).
    """
    freezer.move_to(sim.DEFAULT_START)
    await set_up_home(hass)
    assert await async_setup_component(hass, "webhook", {})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=push_entry.title,
        unique_id=push_entry.unique_id,
        data=dict(push_entry.data),
        options=OPTIONS if options is None else options,
        entry_id=push_entry.entry_id,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def car_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the device of a car."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1
    return devices[0]


async def drive(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    fixes: list[Fix],
) -> None:
    """Report a drive through the public action, Home Assistant's clock in step."""
    for fix in fixes:
        freezer.move_to(fix.timestamp)
        await hass.services.async_call(
            DOMAIN,
            SERVICE_UPDATE_LOCATION,
            {
                ATTR_CONFIG_ENTRY_ID: entry.entry_id,
                ATTR_LATITUDE: fix.latitude,
                ATTR_LONGITUDE: fix.longitude,
                "accuracy": fix.accuracy,
                "speed": fix.speed,
                ATTR_TIMESTAMP: fix.timestamp.isoformat(),
            },
            blocking=True,
        )
    await hass.async_block_till_done()


async def call(hass: HomeAssistant, service: str, **data: Any) -> None:
    """Call one of the integration's actions and wait for it."""
    await hass.services.async_call(DOMAIN, service, data, blocking=True)
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, failing if it has none."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state

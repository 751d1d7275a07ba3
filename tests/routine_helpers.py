"""Shared set-up for the routines tests: a home with a porch light and a thermostat."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from devtools import sim

from .common import add_car, push_car

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
    car = push_car(push_entry, options=OPTIONS if options is None else options)
    return await add_car(hass, car, webhook=True)

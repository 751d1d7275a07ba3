"""A real home for the routine tests: lights, thermostats, persons, built from core parts.

Everything the routines act on is a real Home Assistant component: template lights and
switches backed by ``input_boolean`` helpers, a scene and a script, ``generic_thermostat``
climates whose heater is an ``input_boolean`` and whose sensor is a template sensor over an
``input_number``, a template heat pump (``heat_cool``), ``sun`` and ``person``. The drives are
fed through ``homecoming.update_location`` on a frozen clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.components.notify.const import DATA_COMPONENT as NOTIFY_COMPONENT
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SECRET,
    CONF_SOURCE,
    DOMAIN,
    MINOR_VERSION,
    SOURCE_PUSH,
)
from custom_components.homecoming.engine import Fix
from devtools import sim
from tests.common import add_car, push_car

NIGHT = sim.DEFAULT_START
"""16:30 UTC on a January Monday: the sun has set in Amsterdam."""
DAY = NIGHT.replace(hour=11)
"""11:00 UTC the same day: the sun is up."""

PORCH = "light.porch"
HALL = "light.hall"
BROKEN = "light.broken"
DRIVEWAY = "switch.driveway"
WELCOME = "scene.welcome"
GARAGE = "script.garage"
LIVING = "climate.living_room"
STUDY = "climate.study"
BEDROOM = "climate.bedroom"
HEAT_PUMP = "climate.heat_pump"
LUX = "sensor.outdoor_lux"
INDOOR = "sensor.living_room_temperature"
ANNA_PHONE = "device_tracker.anna_phone"
BOB_PHONE = "device_tracker.bob_phone"
"""Bob's phone: away unless a test brings him home."""
GARAGE_DOOR = "cover.garage_door"
"""A template garage door over ``input_boolean.garage_open`` (unavailable while
``input_boolean.garage_broken`` is on)."""
BROKEN_GATE = "cover.broken_gate"
"""A gate over ``input_boolean.gate_open`` that opens but whose close action fails."""
STUCK_GATE = "cover.stuck_gate"
"""A closed gate whose open action fails."""
OBSTRUCTION = "binary_sensor.garage_door_obstruction"
"""On while ``input_boolean.garage_blocked`` is on."""
NOTIFIER = "notify.notifier"
"""A notify entity: each message is a ``notify`` bus event."""
PHONE_APP = "mobile_app_anna_phone"
"""The Companion app's notify action of Anna's phone (``notify.mobile_app_anna_phone``)."""
SWITCH = "switch.family_car_routines"
"""The routines switch of the car of ``set_up_car``."""


def _toggle(name: str, flag: str) -> dict[str, Any]:
    """Return a template light or switch backed by ``input_boolean.<flag>``."""
    target = {"entity_id": f"input_boolean.{flag}"}
    return {
        "name": name,
        "state": f"{{{{ is_state('input_boolean.{flag}', 'on') }}}}",
        "turn_on": [{"action": "input_boolean.turn_on", "target": target}],
        "turn_off": [{"action": "input_boolean.turn_off", "target": target}],
    }


def _set_number(entity_id: str, value: str) -> dict[str, Any]:
    """Return an action that sets an ``input_number``."""
    return {
        "action": "input_number.set_value",
        "target": {"entity_id": entity_id},
        "data": {"value": value},
    }


def _when_running(entity_id: str) -> str:
    """Return a template of the number's value while the heat pump runs, else none."""
    return (
        f"{{{{ states('{entity_id}') | float "
        "if not is_state('input_select.pump_mode', 'off') else none }}"
    )


GARAGE_COVER: dict[str, Any] = {
    "name": "Garage door",
    "device_class": "garage",
    "state": "{{ 'open' if is_state('input_boolean.garage_open', 'on') else 'closed' }}",
    "availability": "{{ is_state('input_boolean.garage_broken', 'off') }}",
    "open_cover": [
        {
            "action": "input_boolean.turn_on",
            "target": {"entity_id": "input_boolean.garage_open"},
        }
    ],
    "close_cover": [
        {
            "action": "input_boolean.turn_off",
            "target": {"entity_id": "input_boolean.garage_open"},
        }
    ],
}


BROKEN_GATE_COVER: dict[str, Any] = {
    "name": "Broken gate",
    "device_class": "gate",
    "state": "{{ 'open' if is_state('input_boolean.gate_open', 'on') else 'closed' }}",
    "open_cover": [
        {
            "action": "input_boolean.turn_on",
            "target": {"entity_id": "input_boolean.gate_open"},
        }
    ],
    # Its motor fails: the number does not go that high.
    "close_cover": [_set_number("input_number.indoor", "99")],
}
STUCK_GATE_COVER: dict[str, Any] = {
    "name": "Stuck gate",
    "device_class": "gate",
    "state": "closed",
    "open_cover": [_set_number("input_number.indoor", "99")],
    "close_cover": [],
}


def thermostat(name: str, heater: str, **extra: Any) -> dict[str, Any]:
    """Return a generic_thermostat heating from ``input_boolean.<heater>``."""
    return {
        "platform": "generic_thermostat",
        "name": name,
        "heater": f"input_boolean.{heater}",
        "target_sensor": INDOOR,
        "target_temp": 19.0,
        "initial_hvac_mode": "off",
        **extra,
    }


DEFAULT_THERMOSTATS: tuple[dict[str, Any], ...] = (
    thermostat("Living room", "heater", away_temp=16.0),
    thermostat("Study", "study_heater"),
    thermostat("Bedroom", "air_conditioner", ac_mode=True, target_temp=26.0),
)


async def async_build_home(
    hass: HomeAssistant,
    *,
    indoor: float = 19.0,
    lux: float = 20.0,
    thermostats: Sequence[dict[str, Any]] = DEFAULT_THERMOSTATS,
    persons_home: bool = False,
    sun: bool = True,
) -> None:
    """Set up the home's helpers, lights, thermostats and people (and ``sun``)."""
    flags = ["porch", "hall", "driveway", "welcome", "garage", "lux_ok"]
    flags += ["garage_open", "garage_broken", "garage_blocked", "gate_open"]
    flags += ["heater", "study_heater", "air_conditioner"]
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {flag: {"initial": flag == "lux_ok"} for flag in flags}},
    )
    numbers = {
        "indoor": {"min": 0, "max": 40, "step": 0.1, "initial": indoor},
        "lux": {"min": 0, "max": 10_000, "step": 1, "initial": lux},
        "pump_low": {"min": 10, "max": 30, "step": 0.5, "initial": 18},
        "pump_high": {"min": 10, "max": 30, "step": 0.5, "initial": 24},
    }
    assert await async_setup_component(hass, "input_number", {"input_number": numbers})
    assert await async_setup_component(
        hass,
        "input_select",
        {"input_select": {"pump_mode": {"options": ["off", "heat_cool"]}}},
    )
    # Before the template heat pump: a second setup of "climate" would be a no-op.
    assert await async_setup_component(
        hass, "climate", {"climate": [dict(spec) for spec in thermostats]}
    )
    pump = {
        "name": "Heat pump",
        "hvac_modes": "{{ ['off', 'heat_cool'] }}",
        "hvac_mode": "{{ states('input_select.pump_mode') }}",
        "current_temperature": "{{ states('input_number.indoor') | float }}",
        # Like many heat pumps, it reports no setpoints while it is off.
        "target_temperature_low": _when_running("input_number.pump_low"),
        "target_temperature_high": _when_running("input_number.pump_high"),
        "set_hvac_mode": [
            {
                "action": "input_select.select_option",
                "target": {"entity_id": "input_select.pump_mode"},
                "data": {"option": "{{ hvac_mode }}"},
            }
        ],
        "set_temperature": [
            _set_number("input_number.pump_low", "{{ target_temp_low }}"),
            _set_number("input_number.pump_high", "{{ target_temp_high }}"),
        ],
    }
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "light": [
                        _toggle("Porch", "porch"),
                        _toggle("Hall", "hall"),
                        {
                            # Its action fails: the number does not go that high.
                            **_toggle("Broken", "hall"),
                            "turn_on": [_set_number("input_number.indoor", "99")],
                        },
                    ],
                    "switch": [_toggle("Driveway", "driveway")],
                    "cover": [GARAGE_COVER, BROKEN_GATE_COVER, STUCK_GATE_COVER],
                    "binary_sensor": [
                        {
                            "name": "Garage door obstruction",
                            "state": "{{ is_state('input_boolean.garage_blocked', 'on') }}",
                            "device_class": "problem",
                        }
                    ],
                    "climate": [pump],
                    "sensor": [
                        {
                            "name": "Living room temperature",
                            "state": "{{ states('input_number.indoor') }}",
                            "unit_of_measurement": "°C",
                            "device_class": "temperature",
                        },
                        {
                            "name": "Outdoor lux",
                            "state": "{{ states('input_number.lux') }}",
                            "availability": "{{ is_state('input_boolean.lux_ok', 'on') }}",
                            "unit_of_measurement": "lx",
                            "device_class": "illuminance",
                        },
                    ],
                }
            ]
        },
    )
    assert await async_setup_component(
        hass,
        "scene",
        {
            "scene": [
                {"name": "Welcome", "entities": {"input_boolean.welcome": "on"}},
            ]
        },
    )
    garage_on = {
        "action": "input_boolean.turn_on",
        "target": {"entity_id": "input_boolean.garage"},
    }
    assert await async_setup_component(
        hass, "script", {"script": {"garage": {"sequence": [garage_on]}}}
    )
    await _async_add_notifiers(hass)
    if sun:
        assert await async_setup_component(hass, "sun", {})
    hass.states.async_set(ANNA_PHONE, "home" if persons_home else "not_home")
    hass.states.async_set(BOB_PHONE, "not_home")
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {"id": "anna", "name": "Anna", "device_trackers": [ANNA_PHONE]},
                {"id": "bob", "name": "Bob", "device_trackers": [BOB_PHONE]},
            ]
        },
    )
    await hass.async_block_till_done()


class HouseholdNotifier(NotifyEntity):
    """A notify entity (like a TV's or a smart speaker's) that reports each message.

    Added to core's ``notify`` entity component, so ``notify.send_message`` reaches it
    as it reaches any integration's notify entity; each message becomes a ``notify``
    bus event (as core's demo notify entity does).
    """

    _attr_name = "Notifier"
    _attr_unique_id = "household_notifier"
    _attr_supported_features = NotifyEntityFeature.TITLE
    _attr_should_poll = False

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Report the message."""
        self.hass.bus.async_fire("notify", {"message": message, "title": title})


async def _async_add_notifiers(hass: HomeAssistant) -> None:
    """Add a notify entity and the stand-in of a phone's notify action.

    The Companion app registers ``notify.mobile_app_<device>`` when a phone with push
    notifications registers; here a service with the same name and data reports each
    call as a :data:`PHONE_EVENT` (the phone itself is outside Home Assistant).
    """
    assert await async_setup_component(hass, "notify", {})
    await hass.data[NOTIFY_COMPONENT].async_add_entities([HouseholdNotifier()])

    @callback
    def _deliver(call: ServiceCall) -> None:
        hass.bus.async_fire(PHONE_EVENT, dict(call.data))

    hass.services.async_register("notify", PHONE_APP, _deliver)


PHONE_EVENT = "test_anna_phone_notification"
"""Fired with the data of each call of ``notify.mobile_app_anna_phone``."""


def car(
    title: str,
    options: dict[str, Any],
    *,
    number: int = 1,
    drivers: Sequence[dict[str, Any]] = (),
) -> MockConfigEntry:
    """Return a push car with these routine options (and driver subentries)."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
        title=title,
        unique_id=f"car{number}",
        data={
            CONF_SOURCE: SOURCE_PUSH,
            CONF_WEBHOOK_ID: f"{number:064d}",
            CONF_SECRET: "",
            CONF_HOME_ZONE: "zone.home",
        },
        options=options,
        entry_id=f"01ROUTINECAR{number}",
        subentries_data=list(drivers),
    )


def driver(name: str, driver_id: str, **preferences: Any) -> dict[str, Any]:
    """Return the data of a ``driver`` subentry recognised by the fix's driver id."""
    return {
        "data": {"name": name, "driver_id": driver_id, **preferences},
        "subentry_id": f"driver_{driver_id}",
        "subentry_type": "driver",
        "title": name,
        "unique_id": None,
    }


def drive_away(start: datetime, *, interval: float = 10.0) -> list[Fix]:
    """Return a car parked at home for two minutes that then drives 3 km away."""
    drive = sim.Drive(start=start, interval=interval).stop(120.0)
    return drive.drive_to(*sim.along(30.0, 3_000.0), 15.0).fixes


def drive_and_stop(
    start: datetime, *, interval: float = 10.0, resume: bool = False
) -> list[Fix]:
    """Return an approach that halts 3 km out for ten minutes (then goes on home)."""
    drive = sim.Drive(start=start, interval=interval).at(*sim.along(30.0, 8_000.0))
    drive.drive_to(*sim.along(30.0, 3_000.0), 15.0).stop(600.0)
    if resume:
        drive.drive_to(0.0, 0.0, 15.0).stop(60.0)
    return drive.fixes


OPTIONS: dict[str, Any] = {
    "arrival_lights": {"targets": [PORCH], "when": "arriving", "condition": "always"},
    "climate": {
        "targets": [LIVING],
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
    """Build the home for the control-surface tests (switch, button, actions, restarts).

    The living room has no away preset, so eco sets a temperature; it is 18 °C inside,
    and there is no ``sun`` (these tests do not unload it).
    """
    await async_build_home(
        hass, indoor=18.0, thermostats=[thermostat("Living room", "heater")], sun=False
    )


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

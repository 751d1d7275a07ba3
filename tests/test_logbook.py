"""Tests of the logbook entries: transitions and routines, read back from the logbook."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceContextManager,
    WebSocketGenerator,
)

from custom_components.homecoming.const import DOMAIN, EVENT_HOMECOMING, EVENT_ROUTINE
from devtools import sim

from .common import car_device, feed
from .routine_home import DRIVE, LIVING, PORCH, set_up_car


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Prepare the recorder's database before Home Assistant starts."""


@pytest.fixture
async def car(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    home_zone: None,
    push_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set up the logbook and the car with routines.

    The frontend's files are not installed with the test package: the logbook's
    dependency on it is marked as met and its panel is not registered.
    """
    hass.config.components.add("frontend")
    with patch(
        "homeassistant.components.frontend.async_register_built_in_panel"
    ) as register_panel:
        assert await async_setup_component(hass, "logbook", {})
    register_panel.assert_called_once()
    return await set_up_car(hass, freezer, push_entry)


async def logbook(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    device_ids: list[str] | None = None,
) -> list[tuple[str, str]]:
    """Return the name and message of every Homecoming entry in the logbook."""
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    request: dict[str, Any] = {
        "id": 1,
        "type": "logbook/get_events",
        "start_time": (sim.DEFAULT_START - timedelta(hours=1)).isoformat(),
        "end_time": (sim.DEFAULT_START + timedelta(days=1)).isoformat(),
    }
    if device_ids is not None:
        request["device_ids"] = device_ids
    await client.send_json(request)
    response = await client.receive_json()
    assert response["success"], response
    return [
        (entry["name"], entry["message"])
        for entry in response["result"]
        if entry.get("domain") == DOMAIN
    ]


async def test_drive_home(
    hass: HomeAssistant,
    car: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Tell the story of a drive home: approach, arrival and what the home did."""
    await feed(hass, freezer, car, DRIVE.fixes)
    device = car_device(hass, car)
    assert await logbook(hass, hass_ws_client, [device.id]) == [
        ("Family car", "started approaching home"),
        ("Family car", "is arriving"),
        ("Family car", "is arriving — turned on Porch, heating Living room to 21 °C"),
        ("Family car", "arrived home"),
    ]


async def test_device_renamed(
    hass: HomeAssistant,
    car: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Call the car by the name the user gave its device."""
    device = car_device(hass, car)
    device_registry.async_update_device(device.id, name_by_user="Anna's Golf")
    hass.bus.async_fire(
        EVENT_HOMECOMING,
        {"type": "departed", "device_id": device.id, "entry_id": car.entry_id},
    )
    assert await logbook(hass, hass_ws_client) == [("Anna's Golf", "left home")]


async def test_every_transition_and_action(
    hass: HomeAssistant,
    car: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Describe each transition and each kind of action a routine takes."""
    device_id = car_device(hass, car).id
    base = {"device_id": device_id, "entry_id": car.entry_id}
    hass.states.async_set("light.hall", "on", {"friendly_name": "Hall"})
    hass.states.async_set("cover.garage_door", "open", {"friendly_name": "Garage door"})
    for kind in ("approach_cancelled", "departed", "teleported"):
        hass.bus.async_fire(EVENT_HOMECOMING, {**base, "type": kind})
    routines: list[dict[str, Any]] = [
        {
            "routine": "arrival",
            "trigger": "approach_cancelled",
            "actions": [
                {"action": "restore", "entity_id": LIVING, "temperature": 19.5},
                {"action": "restore", "entity_id": LIVING},
            ],
        },
        {
            "routine": "departure",
            "trigger": None,
            "actions": [
                {"action": "eco", "entity_id": LIVING, "temperature": 17},
                {"action": "away", "entity_id": "climate.attic"},
                {"action": "turn_off", "entity_id": "light.hall"},
                {"action": "dance", "entity_id": PORCH},
                "not an action",
            ],
        },
        {
            "routine": "arrival",
            "trigger": None,
            "actions": [
                {
                    "action": "comfort",
                    "entity_id": LIVING,
                    "temperature": True,
                    "hvac_mode": "heat",
                }
            ],
        },
        {"routine": "arrival", "trigger": "teleported", "actions": []},
        {
            "routine": "arrival",
            "trigger": "arriving",
            "actions": [{"action": "open", "entity_id": "cover.garage_door"}],
        },
        {
            "routine": "departure",
            "trigger": None,
            "actions": [{"action": "close", "entity_id": "cover.garage_door"}],
        },
        {
            "routine": "arrival",
            "trigger": None,
            "actions": [],
            "skipped": "skip_this_time",
        },
        {
            "routine": "departure",
            "trigger": None,
            "actions": [],
            "skipped": "someone_home",
        },
        {"routine": "departure", "trigger": None, "actions": [], "skipped": "why"},
    ]
    for routine in routines:
        hass.bus.async_fire(EVENT_ROUTINE, {**base, **routine})
    assert await logbook(hass, hass_ws_client) == [
        ("Family car", "stopped approaching home"),
        ("Family car", "left home"),
        ("Family car", "teleported"),
        (
            "Family car",
            (
                "stopped approaching home — put Living room back to 19.5 °C,"
                " put Living room back"
            ),
        ),
        (
            "Family car",
            (
                "set the home back — set Living room to 17 °C (eco),"
                " set climate.attic to away, turned off Hall, dance Porch"
            ),
        ),
        ("Family car", "got the home ready — heating Living room"),
        ("Family car", "teleported"),
        ("Family car", "is arriving — opened Garage door"),
        ("Family car", "set the home back — closed Garage door"),
        ("Family car", "routines held for this trip (Skip this time)"),
        (
            "Family car",
            "left home — the home was not set back: someone is still home",
        ),
        ("Family car", "skipped (why)"),
    ]


@pytest.mark.parametrize(
    ("mode", "verb"),
    [("heat", "heating"), ("cool", "cooling"), ("heat_cool", "bringing")],
)
async def test_comfort_in_the_unit_system(
    hass: HomeAssistant,
    car: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    mode: str,
    verb: str,
) -> None:
    """Say heating or cooling as it was done, in the unit system's unit.

    The options changing afterwards does not change what the logbook says.
    """
    hass.config.units = US_CUSTOMARY_SYSTEM
    hass.bus.async_fire(
        EVENT_ROUTINE,
        {
            "device_id": car_device(hass, car).id,
            "entry_id": car.entry_id,
            "routine": "arrival",
            "trigger": "arriving",
            "actions": [
                {
                    "action": "comfort",
                    "entity_id": LIVING,
                    "temperature": 70,
                    "hvac_mode": mode,
                }
            ],
        },
    )
    hass.config_entries.async_update_entry(
        car, options={**car.options, "climate": {"hvac_mode": "cool"}}
    )
    assert await logbook(hass, hass_ws_client) == [
        ("Family car", f"is arriving — {verb} Living room to 70 °F")
    ]


async def test_unknown_car(
    hass: HomeAssistant,
    car: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Fall back to the entry's title, then to Homecoming, for an unknown device."""
    hass.bus.async_fire(
        EVENT_HOMECOMING,
        {"type": "arrived", "device_id": "gone", "entry_id": car.entry_id},
    )
    hass.bus.async_fire(EVENT_HOMECOMING, {"type": "arrived", "entry_id": "gone"})
    hass.bus.async_fire(
        EVENT_ROUTINE,
        {"routine": "arrival", "trigger": "arrived", "actions": None},
    )
    assert await logbook(hass, hass_ws_client) == [
        ("Family car", "arrived home"),
        ("Homecoming", "arrived home"),
        ("Homecoming", "arrived home"),
    ]

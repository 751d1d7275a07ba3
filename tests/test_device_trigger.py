"""Tests of the device triggers: a car's trip events in the automation engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.homecoming.const import DOMAIN, EVENT_HOMECOMING, EVENT_TYPES
from custom_components.homecoming.engine import Fix
from devtools import sim

from .common import add_car, automate_device_triggers, feed

UNKNOWN_ENTITY = "<unknown entity>"
"""What the frontend puts for ``{entity_name}`` when a trigger names no entity."""

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "approach_started": "Started approaching home",
        "approach_cancelled": "Stopped approaching home",
        "arriving": "Arriving home",
        "arrived": "Arrived home",
        "departed": "Left home",
    },
    "de": {
        "approach_started": "Nähert sich dem Zuhause",
        "approach_cancelled": "Nähert sich nicht mehr dem Zuhause",
        "arriving": "Kommt gleich zu Hause an",
        "arrived": "Ist zu Hause angekommen",
        "departed": "Hat das Zuhause verlassen",
    },
    "es": {
        "approach_started": "Empezó a acercarse a casa",
        "approach_cancelled": "Dejó de acercarse a casa",
        "arriving": "Está llegando a casa",
        "arrived": "Llegó a casa",
        "departed": "Salió de casa",
    },
    "fr": {
        "approach_started": "Commence à approcher du domicile",
        "approach_cancelled": "N'approche plus du domicile",
        "arriving": "Est en train d'arriver au domicile",
        "arrived": "Est arrivée au domicile",
        "departed": "A quitté le domicile",
    },
    "it": {
        "approach_started": "Ha iniziato ad avvicinarsi a casa",
        "approach_cancelled": "Ha smesso di avvicinarsi a casa",
        "arriving": "Sta arrivando a casa",
        "arrived": "È arrivata a casa",
        "departed": "È partita da casa",
    },
    "nl": {
        "approach_started": "Begint huis te naderen",
        "approach_cancelled": "Nadert huis niet meer",
        "arriving": "Komt zo thuis aan",
        "arrived": "Is thuisgekomen",
        "departed": "Is van huis vertrokken",
    },
}
"""The label of each trigger in the automation editor, in every language shipped: the
event it is, listed under the car (the device) the user picked."""


def render(strings: dict[str, str], trigger: dict[str, Any]) -> str:
    """Render a trigger's label as the frontend does (``localizeDeviceAutomationTrigger``).

    The string ``component.<domain>.device_automation.trigger_type.<type>`` with two
    placeholders: ``entity_name`` (the trigger's entity's name, ``<unknown entity>``
    without one) and ``subtype``; the trigger's type when there is no string.
    """
    key = f"component.{trigger['domain']}.device_automation.trigger_type.{trigger['type']}"
    template = strings.get(key)
    if not template:
        return str(trigger["type"])
    values = {
        "entity_name": trigger.get("entity_id") or UNKNOWN_ENTITY,
        "subtype": trigger.get("subtype") or "",
    }
    for name, value in values.items():
        template = template.replace(f"{{{name}}}", value)
    return template


@pytest.fixture
async def init_other(
    hass: HomeAssistant, init_push: MockConfigEntry, other_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the second car next to the first."""
    return await add_car(hass, other_entry)


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the calls of the automations' action, test.automation."""
    return async_mock_service(hass, "test", "automation")


def _device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the device-registry id of a car."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id or entry.entry_id), entry.entry_id
    )
    assert device is not None
    return device.id


def _round_trip() -> list[Fix]:
    """Leave home, turn back, park on the way for a while, then come home.

    The engine sees every trip event in it: departed, approach_started,
    approach_cancelled (the long stop), approach_started again, arriving, arrived.
    """
    drive = sim.Drive(start=sim.DEFAULT_START + timedelta(hours=1))
    drive.stop(120).drive_to(4_000, 0, 15).drive_to(1_200, 0, 15)
    drive.stop(700).drive_to(0, 0, 15).stop(120)
    return drive.fixes


TRIGGER_DATA = {
    "trigger_id": "{{ trigger.id }}",
    "platform": "{{ trigger.platform }}",
    "type": "{{ trigger.event.data.type }}",
    "device_id": "{{ trigger.event.data.device_id }}",
    "entry_id": "{{ trigger.event.data.entry_id }}",
    "phase": "{{ trigger.event.data.phase }}",
}
"""What each automation run records of its trigger (``test.automation``'s data)."""


async def _setup_automation(
    hass: HomeAssistant, device_id: str, types: list[str]
) -> None:
    """Set up one automation with a device trigger of the car per type."""
    await automate_device_triggers(hass, device_id, types, TRIGGER_DATA)


async def test_triggers_listed(hass: HomeAssistant, init_push: MockConfigEntry) -> None:
    """List exactly the five trip events for a car's device."""
    device_id = _device_id(hass, init_push)

    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device_id
    )

    expected = [
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": device_id,
            "type": event_type,
            "metadata": {},
        }
        for event_type in (
            "approach_started",
            "approach_cancelled",
            "arriving",
            "arrived",
            "departed",
        )
    ]
    own = [trigger for trigger in triggers if trigger["domain"] == DOMAIN]
    assert sorted(own, key=lambda t: t["type"]) == sorted(
        expected, key=lambda t: t["type"]
    )
    assert {trigger["type"] for trigger in own} == set(EVENT_TYPES)


@pytest.mark.parametrize("language", sorted(LABELS))
async def test_trigger_labels_as_the_editor_shows_them(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    init_push: MockConfigEntry,
    language: str,
) -> None:
    """Label every trigger with its event, no unresolved placeholder, in each language.

    The triggers as the automation editor fetches them (websocket), their strings as Home
    Assistant serves them to the frontend, rendered as the frontend renders them: the
    triggers belong to the car's device and name no entity, so a ``{entity_name}``
    would read "<unknown entity> started approaching home".
    """
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "device_automation/trigger/list",
            "device_id": _device_id(hass, init_push),
        }
    )
    response = await client.receive_json()
    assert response["success"]
    triggers = [t for t in response["result"] if t["domain"] == DOMAIN]
    assert all("entity_id" not in trigger for trigger in triggers)
    strings = await async_get_translations(
        hass, language, "device_automation", [DOMAIN]
    )

    labels = {trigger["type"]: render(strings, trigger) for trigger in triggers}

    assert labels == LABELS[language]
    for label in labels.values():
        assert UNKNOWN_ENTITY not in label
        assert "{" not in label
        assert "}" not in label
    assert set(labels) == set(EVENT_TYPES)
    assert all(labels[kind] != kind for kind in labels)  # a string, not the fallback


def test_render_as_the_frontend() -> None:
    """Fill the frontend's two placeholders; fall back to the type without a string."""
    key = f"component.{DOMAIN}.device_automation.trigger_type.arrived"
    trigger = {"domain": DOMAIN, "type": "arrived"}
    assert render({key: "{entity_name} arrived"}, trigger) == "<unknown entity> arrived"
    assert (
        render({key: "{subtype} arrived"}, {**trigger, "subtype": "x"}) == "x arrived"
    )
    assert render({}, trigger) == "arrived"


async def test_automation_runs_on_own_car_only(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_push: MockConfigEntry,
    init_other: MockConfigEntry,
    calls: list[ServiceCall],
) -> None:
    """Run a car's automation on each of its trip events, never on another car's."""
    device_id = _device_id(hass, init_push)
    other_device_id = _device_id(hass, init_other)
    assert other_device_id != device_id
    await _setup_automation(hass, device_id, list(EVENT_TYPES))
    events = async_capture_events(hass, EVENT_HOMECOMING)

    # The other car drives home: its events go out, this car's automation stays quiet.
    await feed(hass, freezer, init_other, sim.straight_approach().fixes)

    assert [event.data["device_id"] for event in events] == [other_device_id] * 3
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "arriving",
        "arrived",
    ]
    assert calls == []

    # This car leaves, turns back, stops on the way, and comes home.
    events.clear()
    await feed(hass, freezer, init_push, _round_trip())

    expected = [
        ("departed", "away"),
        ("approach_started", "approaching"),
        ("approach_cancelled", "away"),
        ("approach_started", "approaching"),
        ("arriving", "arriving"),
        ("arrived", "home"),
    ]
    assert [(e.data["type"], e.data["phase"]) for e in events] == expected
    assert [call.data for call in calls] == [
        {
            "trigger_id": event_type,
            "platform": "device",
            "type": event_type,
            "device_id": device_id,
            "entry_id": init_push.entry_id,
            "phase": phase,
        }
        for event_type, phase in expected
    ]


async def test_automation_runs_for_chosen_types(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_push: MockConfigEntry,
    calls: list[ServiceCall],
) -> None:
    """Run an automation on the trip events it names and on no others."""
    device_id = _device_id(hass, init_push)
    await _setup_automation(hass, device_id, ["approach_started", "arrived"])

    await feed(hass, freezer, init_push, sim.straight_approach().fixes)

    assert [call.data["type"] for call in calls] == [
        "approach_started",
        "arrived",
    ]


async def test_invalid_trigger_type(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refuse an automation with an unknown trip event type."""
    device_id = _device_id(hass, init_push)

    await _setup_automation(hass, device_id, ["teleported"])

    assert "failed to setup triggers" in caplog.text
    state = hass.states.get("automation.car_trips")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE

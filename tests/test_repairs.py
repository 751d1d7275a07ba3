"""Tests of the missing_target repair: its fix removes the entity from the options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.homecoming.const import DOMAIN, SERVICE_RUN_ROUTINE

from .common import add_car, call, state, store_file
from .routine_home import LIVING, OPTIONS, PORCH

GONE = "switch.garden_lights"
LUX = "sensor.outdoor_lux"
INDOOR = "sensor.hall_temperature"

WITH_GONE: dict[str, Any] = {
    **OPTIONS,
    "arrival_lights": {
        "targets": [PORCH, GONE],
        "when": "arriving",
        "condition": "illuminance",
        "illuminance_sensor": LUX,
        "illuminance_below": 50.0,
    },
    "climate": {**OPTIONS["climate"], "indoor_sensor": INDOOR},
    "departure": {**OPTIONS["departure"], "lights_off": True},
}
"""The routines with a target that does not exist, and two sensors."""


def issue_id(entry: MockConfigEntry, entity_id: str) -> str:
    """Return the id of the repair issue of a missing routine target."""
    return f"missing_target_{entry.entry_id}_{entity_id}"


def raise_missing(hass: HomeAssistant, entry_id: str, entity_id: str, name: str) -> str:
    """Raise the repair issue of a missing routine target by hand; return its id."""
    issue = f"missing_target_{entry_id}_{entity_id}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue,
        data={"entry_id": entry_id, "entity_id": entity_id},
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="missing_target",
        translation_placeholders={"entity": entity_id, "name": name},
    )
    return issue


async def fix(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, issue: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open the issue's fix flow over HTTP and confirm it; return both answers."""
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue}
    )
    assert response.status == 200
    shown: dict[str, Any] = await response.json()
    if shown["type"] != "form":
        return shown, {}
    response = await client.post(f"/api/repairs/issues/fix/{shown['flow_id']}")
    assert response.status == 200
    done: dict[str, Any] = await response.json()
    await hass.async_block_till_done()
    return shown, done


async def fix_missing(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    car: MockConfigEntry,
    entity_id: str,
) -> None:
    """Raise the repair issue of a car's missing target by hand, and fix it."""
    raise_missing(hass, car.entry_id, entity_id, car.title)
    _, done = await fix(hass, hass_client, issue_id(car, entity_id))
    assert done["type"] == "create_entry"


async def run_arrival(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Run the car's arrival routine now, through ``homecoming.run_routine``."""
    await call(
        hass, SERVICE_RUN_ROUTINE, config_entry_id=car.entry_id, routine="arrival"
    )


@pytest.fixture
def routine_options() -> dict[str, Any]:
    """Give ``routine_car`` arrival lights that include an entity that does not exist."""
    return WITH_GONE


@pytest.fixture
async def arrival_ran(hass: HomeAssistant, routine_car: MockConfigEntry) -> None:
    """Run the car's arrival routine once: it raises the issue of the missing target."""
    await run_arrival(hass, routine_car)


@pytest.mark.usefixtures("arrival_ran")
async def test_missing_target_fixed(
    hass: HomeAssistant,
    routine_car: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Explain the missing entity, then drop it from the options and reload."""
    assert state(hass, PORCH) == STATE_ON
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(routine_car, GONE))
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "missing_target"
    old_runner = routine_car.runtime_data.routines

    shown, done = await fix(hass, hass_client, issue_id(routine_car, GONE))

    assert shown["step_id"] == "confirm"
    assert shown["description_placeholders"] == {"entity": GONE, "name": "Family car"}
    assert done["type"] == "create_entry"
    assert routine_car.options["arrival_lights"]["targets"] == [PORCH]
    assert routine_car.options["arrival_lights"]["illuminance_sensor"] == LUX
    assert routine_car.options["climate"]["targets"] == [LIVING]
    assert routine_car.options["departure"] == WITH_GONE["departure"]
    assert issue_registry.async_get_issue(DOMAIN, issue_id(routine_car, GONE)) is None
    # Reloaded: the routines run with the new options and raise no issue again.
    assert routine_car.state is ConfigEntryState.LOADED
    assert routine_car.runtime_data.routines is not old_runner
    await run_arrival(hass, routine_car)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(routine_car, GONE)) is None


@pytest.mark.parametrize(
    ("entity_id", "section", "key"),
    [
        (LUX, "arrival_lights", "illuminance_sensor"),
        (INDOOR, "climate", "indoor_sensor"),
    ],
)
async def test_missing_sensor_fixed(
    hass: HomeAssistant,
    routine_car: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
    entity_id: str,
    section: str,
    key: str,
) -> None:
    """Drop a missing illuminance or indoor sensor from its section."""
    await fix_missing(hass, hass_client, routine_car, entity_id)
    assert key not in routine_car.options[section]
    assert routine_car.options["arrival_lights"]["targets"] == [PORCH, GONE]
    assert (
        issue_registry.async_get_issue(DOMAIN, issue_id(routine_car, entity_id)) is None
    )


@pytest.mark.usefixtures("arrival_ran")
async def test_fixed_while_unloaded(
    hass: HomeAssistant,
    routine_car: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Change the options of an unloaded car without loading it."""
    assert await hass.config_entries.async_unload(routine_car.entry_id)
    _, done = await fix(hass, hass_client, issue_id(routine_car, GONE))
    assert done["type"] == "create_entry"
    assert routine_car.options["arrival_lights"]["targets"] == [PORCH]
    assert routine_car.state is ConfigEntryState.NOT_LOADED


ODD_OPTIONS: dict[str, Any] = {
    "reach_km": 10,
    "arrival_lights": None,
    "climate": {"targets": None},
}
"""Options without routine targets: a section that is not a mapping, no targets."""


@pytest.mark.parametrize("routine_options", [ODD_OPTIONS], ids=["odd_options"])
async def test_options_without_routines(
    hass: HomeAssistant,
    routine_car: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Leave options alone that have no routine sections (or odd ones)."""
    await fix_missing(hass, hass_client, routine_car, GONE)
    assert routine_car.options == ODD_OPTIONS


async def test_car_removed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Abort the fix when the car itself is gone, and keep the issue."""
    assert await async_setup_component(hass, DOMAIN, {})
    issue = raise_missing(hass, "gone_car", "light.porch", "Old car")
    shown, _ = await fix(hass, hass_client, issue)
    assert shown["type"] == "abort"
    assert shown["reason"] == "car_removed"
    assert issue_registry.async_get_issue(DOMAIN, issue)


async def test_unusable_saved_state_issue(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A car that started afresh shows a warning in Repairs, nothing to fix, ignorable."""
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = store_file(
        DOMAIN, {"engine": {}}, version=3
    )
    assert await async_setup_component(hass, "repairs", {})
    await add_car(hass, push_entry)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "repairs/list_issues"})
    response = await client.receive_json()
    assert response["success"]
    (issue,) = (
        issue for issue in response["result"]["issues"] if issue["domain"] == DOMAIN
    )
    issue_id = f"saved_state_unusable_{push_entry.entry_id}"
    assert issue["issue_id"] == issue_id
    assert issue["translation_key"] == "saved_state_unusable"
    assert issue["translation_placeholders"] == {"name": "Family car"}
    assert issue["severity"] == "warning"
    assert not issue["is_fixable"]
    assert issue["ignored"] is False

    await client.send_json_auto_id(
        {
            "type": "repairs/ignore_issue",
            "domain": DOMAIN,
            "issue_id": issue_id,
            "ignore": True,
        }
    )
    assert (await client.receive_json())["success"]
    found = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert found is not None
    assert found.dismissed_version is not None

"""Drivers of a car: config subentries added and changed through their flow."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.config_flow import (
    DriverSubentryFlow,
    HomecomingConfigFlow,
)
from custom_components.homecoming.const import (
    CONF_DRIVER_ID,
    CONF_PERSON,
    CONF_SCENE,
    CONF_TEMPERATURE,
    SUBENTRY_DRIVER,
)

ALEX: dict[str, Any] = {
    CONF_NAME: "Alex",
    CONF_PERSON: "person.alex",
    CONF_DRIVER_ID: "alex-01",
    CONF_TEMPERATURE: 22.5,
    CONF_SCENE: "scene.cosy",
}
"""A driver with every field, as stored."""


@pytest.fixture(autouse=True)
def people(hass: HomeAssistant) -> None:
    """Create the people and scenes drivers refer to."""
    hass.states.async_set("person.alex", "not_home", {"friendly_name": "Alex"})
    hass.states.async_set("person.sam", "home", {"friendly_name": "Sam"})
    hass.states.async_set("scene.cosy", "unknown")
    hass.states.async_set("scene.bright", "unknown")


def _suggested(result: SubentryFlowResult) -> dict[str, Any]:
    """Return the suggested values of a form's fields that have one."""
    schema = result["data_schema"]
    assert isinstance(schema, probatio.Schema)
    return {
        str(marker): marker.description["suggested_value"]
        for marker in schema.schema
        if "suggested_value" in (marker.description or {})
    }


async def _open_add(hass: HomeAssistant, entry: MockConfigEntry) -> SubentryFlowResult:
    """Open the add-driver form of a car."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_DRIVER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"car": entry.title}
    return result


async def _add(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> SubentryFlowResult:
    """Add a driver through the flow; return the final result."""
    result = await _open_add(hass, entry)
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


def _drivers(entry: MockConfigEntry) -> list[ConfigSubentry]:
    """Return a car's drivers."""
    return [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_DRIVER
    ]


async def _open_edit(
    hass: HomeAssistant, entry: MockConfigEntry, subentry: ConfigSubentry
) -> SubentryFlowResult:
    """Open the reconfigure form of a driver."""
    result = await entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {
        "name": subentry.title,
        "car": entry.title,
    }
    return result


def test_drivers_are_the_only_subentry_type(push_entry: MockConfigEntry) -> None:
    """Offer drivers as the car's subentries."""
    assert HomecomingConfigFlow.async_get_supported_subentry_types(push_entry) == {
        SUBENTRY_DRIVER: DriverSubentryFlow
    }


async def test_add_driver(hass: HomeAssistant, init_push: MockConfigEntry) -> None:
    """Add a driver with every field: stored as documented, titled by name."""
    result = await _open_add(hass, init_push)
    assert _suggested(result) == {}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**ALEX, CONF_NAME: "  Alex ", CONF_DRIVER_ID: " alex-01 "},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alex"
    (driver,) = _drivers(init_push)
    assert driver.title == "Alex"
    assert dict(driver.data) == ALEX
    assert driver.unique_id is None
    assert init_push.state is ConfigEntryState.LOADED


async def test_add_driver_with_a_name_only(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Store only the name when the optional fields are left empty."""
    result = await _add(hass, init_push, {CONF_NAME: "Sam", CONF_DRIVER_ID: "  "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (driver,) = _drivers(init_push)
    assert dict(driver.data) == {CONF_NAME: "Sam"}


async def test_name_required_then_recovery(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse a blank name, keep what was entered, then accept a name."""
    result = await _add(hass, init_push, {CONF_NAME: "   ", CONF_SCENE: "scene.cosy"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: "name_required"}
    assert _suggested(result) == {CONF_NAME: "   ", CONF_SCENE: "scene.cosy"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Sam", CONF_SCENE: "scene.cosy"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [dict(d.data) for d in _drivers(init_push)] == [
        {CONF_NAME: "Sam", CONF_SCENE: "scene.cosy"}
    ]


async def test_duplicate_name_then_recovery(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse a name another driver of the car has (ignoring case), then recover."""
    await _add(hass, init_push, ALEX)
    result = await _add(hass, init_push, {CONF_NAME: " alex "})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: "name_taken"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alex junior"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sorted(d.title for d in _drivers(init_push)) == ["Alex", "Alex junior"]


async def test_duplicate_driver_id_then_recovery(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse a driver id another driver of the car has, then recover."""
    await _add(hass, init_push, ALEX)
    result = await _add(hass, init_push, {CONF_NAME: "Sam", CONF_DRIVER_ID: "alex-01"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_DRIVER_ID: "driver_id_taken"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Sam", CONF_DRIVER_ID: "sam-02"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert {d.title: d.data.get(CONF_DRIVER_ID) for d in _drivers(init_push)} == {
        "Alex": "alex-01",
        "Sam": "sam-02",
    }


async def test_both_taken_at_once(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Report a taken name and a taken driver id together."""
    await _add(hass, init_push, ALEX)
    result = await _add(hass, init_push, {CONF_NAME: "ALEX", CONF_DRIVER_ID: "alex-01"})
    assert result["errors"] == {
        CONF_NAME: "name_taken",
        CONF_DRIVER_ID: "driver_id_taken",
    }


async def test_drivers_are_per_car(
    hass: HomeAssistant, init_push: MockConfigEntry, entity_entry: MockConfigEntry
) -> None:
    """Let two cars each have a driver of the same name and id."""
    entity_entry.add_to_hass(hass)
    await _add(hass, init_push, ALEX)
    result = await _add(hass, entity_entry, ALEX)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [dict(d.data) for d in _drivers(entity_entry)] == [ALEX]


async def test_other_subentry_types_do_not_clash(hass: HomeAssistant) -> None:
    """Compare a driver only with the car's drivers, not its other subentries."""
    entry = MockConfigEntry(
        domain="homecoming",
        title="Family car",
        subentries_data=[
            ConfigSubentryData(
                data={CONF_NAME: "Alex", CONF_DRIVER_ID: "alex-01"},
                subentry_type="passenger",
                title="Alex",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    result = await _add(hass, entry, ALEX)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [d.title for d in _drivers(entry)] == ["Alex"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_PERSON, "device_tracker.alex_phone"),
        (CONF_SCENE, "light.porch"),
        (CONF_TEMPERATURE, 120),
        (CONF_TEMPERATURE, 0),
    ],
)
async def test_wrong_values_refused(
    hass: HomeAssistant, init_push: MockConfigEntry, field: str, value: Any
) -> None:
    """Refuse a person or scene of another domain and a temperature out of range."""
    result = await _open_add(hass, init_push)
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_NAME: "Sam", field: value}
        )
    assert _drivers(init_push) == []


async def test_reconfigure_driver(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Show the driver's values, then replace them (cleared fields are removed)."""
    await _add(hass, init_push, ALEX)
    (driver,) = _drivers(init_push)
    result = await _open_edit(hass, init_push, driver)
    assert _suggested(result) == ALEX
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: " Alexandra ", CONF_PERSON: "person.alex", CONF_TEMPERATURE: 20},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    (driver,) = _drivers(init_push)
    assert driver.title == "Alexandra"
    assert dict(driver.data) == {
        CONF_NAME: "Alexandra",
        CONF_PERSON: "person.alex",
        CONF_TEMPERATURE: 20,
    }
    assert init_push.state is ConfigEntryState.LOADED


async def test_reconfigure_keeps_own_name_and_id(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Save a driver with its own name and id: they do not clash with itself."""
    await _add(hass, init_push, ALEX)
    (driver,) = _drivers(init_push)
    result = await _open_edit(hass, init_push, driver)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**ALEX, CONF_SCENE: "scene.bright"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    (driver,) = _drivers(init_push)
    assert dict(driver.data) == {**ALEX, CONF_SCENE: "scene.bright"}


async def test_reconfigure_duplicates_then_recovery(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse another driver's name or id when editing, keep the input, recover."""
    await _add(hass, init_push, ALEX)
    await _add(hass, init_push, {CONF_NAME: "Sam", CONF_DRIVER_ID: "sam-02"})
    sam = next(d for d in _drivers(init_push) if d.title == "Sam")
    result = await _open_edit(hass, init_push, sam)
    assert result["description_placeholders"] == {
        "name": "Sam",
        "car": init_push.title,
    }
    taken = {CONF_NAME: "alex", CONF_DRIVER_ID: "alex-01"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], taken
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {
        CONF_NAME: "name_taken",
        CONF_DRIVER_ID: "driver_id_taken",
    }
    assert _suggested(result) == taken

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "   "}
    )
    assert result["errors"] == {CONF_NAME: "name_required"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Samantha", CONF_DRIVER_ID: "sam-03"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert {d.title: dict(d.data) for d in _drivers(init_push)} == {
        "Alex": ALEX,
        "Samantha": {CONF_NAME: "Samantha", CONF_DRIVER_ID: "sam-03"},
    }
    assert init_push.subentries[sam.subentry_id].title == "Samantha"

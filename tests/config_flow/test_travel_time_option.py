"""Tests of the travel-time sensor in a car's detection options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from homeassistant.helpers import config_validation as cv
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONF_REACH_KM,
    CONF_SILENCE_TIMEOUT,
    CONF_TRAVEL_TIME_SENSOR,
)
from custom_components.homecoming.detection import DETECTION_DEFAULTS
from tests.common import TRACKER, add_car

WAZE = "sensor.waze_travel_time"
DURATION = {"unit_of_measurement": "min", "device_class": "duration"}


@pytest.fixture
async def car(
    hass: HomeAssistant, home_zone: None, entity_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the car that follows a tracker, and a Waze-like travel-time sensor."""
    hass.states.async_set(TRACKER, "not_home", {"latitude": 52.4, "longitude": 4.9})
    hass.states.async_set(WAZE, "23", DURATION)
    return await add_car(hass, entity_entry)


async def open_detection(
    hass: HomeAssistant, entry: MockConfigEntry, menu: list[str]
) -> ConfigFlowResult:
    """Open a car's options and choose the detection step."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == menu
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "detection"
    return result


def fields(result: ConfigFlowResult) -> dict[str, dict[str, Any]]:
    """Return the form's fields as the frontend receives them, by name."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        item["name"]: item
        for item in probatio.to_field_list(
            schema, custom_serializer=cv.custom_serializer
        )
    }


def suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """Return the suggested value of each field of a form that has one."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description and "suggested_value" in key.description
    }


async def save(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a form and let the car reload."""
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()
    return result


async def test_offered_to_a_car_that_follows_an_entity(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """An optional picker of duration sensors, empty at first."""
    result = await open_detection(hass, car, ["detection", "routines"])
    field = fields(result)[CONF_TRAVEL_TIME_SENSOR]
    assert field["optional"] is True
    entity = field["selector"]["entity"]
    assert (entity["domain"], entity["device_class"]) == (["sensor"], ["duration"])
    assert entity["multiple"] is False
    assert suggested(result) == {}


async def test_not_offered_to_a_push_car(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Pushes and the action carry their own travel_time."""
    result = await open_detection(hass, init_push, ["detection", "routines", "webhook"])
    assert CONF_TRAVEL_TIME_SENSOR not in fields(result)
    with pytest.raises(InvalidData):
        await save(hass, result, {CONF_TRAVEL_TIME_SENSOR: WAZE})
    assert CONF_TRAVEL_TIME_SENSOR not in init_push.options


async def test_the_option_round_trip(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Saved, shown again, kept by the routines step, and removed when cleared."""
    result = await open_detection(hass, car, ["detection", "routines"])
    result = await save(
        hass, result, {**DETECTION_DEFAULTS, CONF_TRAVEL_TIME_SENSOR: WAZE}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(car.options) == {**DETECTION_DEFAULTS, CONF_TRAVEL_TIME_SENSOR: WAZE}

    # Shown again with the saved sensor; saving it unchanged keeps it.
    result = await open_detection(hass, car, ["detection", "routines"])
    assert suggested(result) == {CONF_TRAVEL_TIME_SENSOR: WAZE}
    result = await save(
        hass, result, {**DETECTION_DEFAULTS, CONF_TRAVEL_TIME_SENSOR: WAZE}
    )
    assert car.options[CONF_TRAVEL_TIME_SENSOR] == WAZE

    # The routines step keeps the detection options.
    result = await hass.config_entries.options.async_init(car.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "routines"}
    )
    schema = result["data_schema"]
    assert schema is not None
    sections = {
        key: {} for key, value in schema.schema.items() if isinstance(value, section)
    }
    result = await save(hass, result, schema(sections))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert car.options[CONF_TRAVEL_TIME_SENSOR] == WAZE

    # Cleared: the frontend leaves the field out.
    result = await open_detection(hass, car, ["detection", "routines"])
    result = await save(hass, result, {CONF_SILENCE_TIMEOUT: 20})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_TRAVEL_TIME_SENSOR not in car.options
    assert car.options[CONF_SILENCE_TIMEOUT] == 20


@pytest.mark.parametrize(
    ("entity_id", "state", "attributes"),
    [
        ("sensor.gone", None, None),
        ("sensor.no_unit", "23", {"device_class": "duration"}),
        ("sensor.distance", "23", {"unit_of_measurement": "km"}),
        ("sensor.not_text", "23", {"unit_of_measurement": ["min"]}),
    ],
    ids=["missing", "no-unit", "not-a-duration", "unit-not-text"],
)
async def test_a_sensor_without_a_duration_is_refused(
    hass: HomeAssistant,
    car: MockConfigEntry,
    entity_id: str,
    state: str | None,
    attributes: dict[str, Any] | None,
) -> None:
    """A sensor that does not exist or gives no duration: a form error, nothing saved.

    The form shows what was entered; the corrected form is saved.
    """
    if state is not None:
        hass.states.async_set(entity_id, state, attributes)
    result = await open_detection(hass, car, ["detection", "routines"])
    entered = {
        **DETECTION_DEFAULTS,
        CONF_REACH_KM: 12,
        CONF_TRAVEL_TIME_SENSOR: entity_id,
    }
    result = await save(hass, result, entered)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TRAVEL_TIME_SENSOR: "travel_time_sensor"}
    assert suggested(result) == entered
    assert dict(car.options) == {}

    result = await save(hass, result, {**entered, CONF_TRAVEL_TIME_SENSOR: WAZE})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert car.options[CONF_TRAVEL_TIME_SENSOR] == WAZE
    assert car.options[CONF_REACH_KM] == 12


async def test_an_unavailable_sensor_is_accepted(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Unavailable for now, it still shows its unit: it is a travel-time sensor."""
    hass.states.async_set(WAZE, "unavailable", DURATION)
    result = await open_detection(hass, car, ["detection", "routines"])
    result = await save(hass, result, {CONF_TRAVEL_TIME_SENSOR: WAZE})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert car.options[CONF_TRAVEL_TIME_SENSOR] == WAZE


async def test_the_other_fields_are_still_checked(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """The schema refuses a number out of range and a sensor that is no entity id."""
    result = await open_detection(hass, car, ["detection", "routines"])
    for user_input, field in (
        ({CONF_REACH_KM: 501, CONF_TRAVEL_TIME_SENSOR: WAZE}, CONF_REACH_KM),
        ({CONF_TRAVEL_TIME_SENSOR: "not an entity"}, CONF_TRAVEL_TIME_SENSOR),
    ):
        with pytest.raises(InvalidData) as err:
            await hass.config_entries.options.async_configure(
                result["flow_id"], user_input
            )
        assert set(err.value.schema_errors) == {field}
    assert dict(car.options) == {}


@pytest.mark.parametrize("saved", [42, "not an entity", ["sensor.waze"]])
async def test_junk_saved_by_hand_is_not_suggested(
    hass: HomeAssistant, car: MockConfigEntry, saved: object
) -> None:
    """A saved value that is no entity id shows an empty picker; saving drops it."""
    hass.config_entries.async_update_entry(
        car, options={CONF_TRAVEL_TIME_SENSOR: saved}
    )
    await hass.async_block_till_done()
    result = await open_detection(hass, car, ["detection", "routines"])
    assert suggested(result) == {}
    result = await save(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(car.options) == DETECTION_DEFAULTS


async def test_minor_version_1_keeps_the_option(
    hass: HomeAssistant, home_zone: None, entity_entry: MockConfigEntry
) -> None:
    """A new optional key needs no migration: 1.1 → 1.2 leaves it as it is."""
    hass.states.async_set(TRACKER, "not_home", {"latitude": 52.4, "longitude": 4.9})
    entry = MockConfigEntry(
        domain=entity_entry.domain,
        data=dict(entity_entry.data),
        unique_id=entity_entry.unique_id,
        options={"stale_timeout": 30, CONF_TRAVEL_TIME_SENSOR: WAZE},
        minor_version=1,
    )
    await add_car(hass, entry)
    assert entry.minor_version == 2
    assert entry.options == {CONF_SILENCE_TIMEOUT: 30, CONF_TRAVEL_TIME_SENSOR: WAZE}

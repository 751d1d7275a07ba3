"""Tests of the config flow, the reconfigure flow and the options flow."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.homecoming.const import (
    CONF_ARRIVAL_RADIUS,
    CONF_CLOUDHOOK,
    CONF_HOME_ZONE,
    CONF_MAKE,
    CONF_MAX_ACCURACY,
    CONF_MODEL,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_SECRET,
    CONF_SILENCE_TIMEOUT,
    CONF_SOURCE,
    CONF_STOP_TOLERANCE,
    CONF_TRACKED_ENTITY,
    CONF_VIN,
    DOMAIN,
    SOURCE_ENTITY,
    SOURCE_PUSH,
)
from custom_components.homecoming.coordinator import HomecomingCoordinator
from custom_components.homecoming.detection import DETECTION_DEFAULTS, DETECTION_RANGES
from custom_components.homecoming.engine import Settings
from tests.common import HOME_LAT, HOME_LON, TRACKER, diagnostics, distance

VIN = "WVWZZZ1JZXW000001"
"""The VIN of the ``push_entry`` fixture."""


@dataclass(frozen=True, slots=True)
class Car:
    """A car integration's car: a device with two registered GPS trackers."""

    device_id: str
    gps: str
    """The car's main tracker."""
    gps2: str
    """A second tracker of the same car (for example its own GPS module)."""


@pytest.fixture
async def zones(hass: HomeAssistant) -> None:
    """Set up the real zone integration: zone.home and zone.work."""
    hass.config.latitude = HOME_LAT
    hass.config.longitude = HOME_LON
    hass.config.radius = 100
    assert await async_setup_component(
        hass,
        "zone",
        {
            "zone": [
                {
                    "name": "Work",
                    "latitude": HOME_LAT + 0.05,
                    "longitude": HOME_LON,
                    "radius": 150,
                }
            ]
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("zone.home") is not None
    assert hass.states.get("zone.work") is not None


def _set_gps(
    hass: HomeAssistant,
    entity_id: str,
    name: str = "Family car",
    latitude: float = HOME_LAT + 0.1,
) -> None:
    """Give an entity a GPS tracker's state: a position with an accuracy."""
    hass.states.async_set(
        entity_id,
        "not_home",
        {
            "friendly_name": name,
            "latitude": latitude,
            "longitude": HOME_LON,
            "gps_accuracy": 10,
            "source_type": "gps",
        },
    )


def _add_car(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    serial: str,
) -> Car:
    """Register a car integration's car (a device) and its two trackers."""
    car_entry = MockConfigEntry(domain="test_car", title=f"Car {serial}")
    car_entry.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=car_entry.entry_id,
        identifiers={("test_car", serial)},
        name=f"Car {serial}",
    )
    trackers = [
        entity_registry.async_get_or_create(
            "device_tracker",
            "test_car",
            f"{serial}_{key}",
            suggested_object_id=f"car_{serial}_{key}",
            device_id=device.id,
            config_entry=car_entry,
        ).entity_id
        for key in ("gps", "gps2")
    ]
    for entity_id in trackers:
        _set_gps(hass, entity_id, name=f"Car {serial}")
    return Car(device_id=device.id, gps=trackers[0], gps2=trackers[1])


@pytest.fixture
def car(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> Car:
    """Register one car of a car integration."""
    return _add_car(hass, device_registry, entity_registry, "one")


@pytest.fixture
def other_car(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> Car:
    """Register another car of the same car integration."""
    return _add_car(hass, device_registry, entity_registry, "two")


async def _start(hass: HomeAssistant, step: str) -> ConfigFlowResult:
    """Open the user flow and choose ``step`` from its menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return result


async def _add_entity_car(
    hass: HomeAssistant,
    user_input: dict[str, Any],
    zone: str = "zone.home",
    name: str | None = None,
) -> ConfigFlowResult:
    """Go through the entity and zone steps; return the final result.

    ``name``: typed in the zone step (``None``: the field left out).
    """
    result = await _start(hass, SOURCE_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    if result["type"] is not FlowResultType.FORM:
        return result
    assert result["step_id"] == "zone"
    zone_input = {CONF_HOME_ZONE: zone}
    if name is not None:
        zone_input[CONF_NAME] = name
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], zone_input
    )
    await hass.async_block_till_done()
    return result


def _schema(result: ConfigFlowResult) -> probatio.Schema:
    """Return a form's schema."""
    schema = result["data_schema"]
    assert schema is not None
    return schema


def _suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """Return the suggested value of each field of a form."""
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in _schema(result).schema
    }


def _coordinator(entry: MockConfigEntry) -> HomecomingCoordinator:
    """Return a loaded entry's coordinator."""
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert isinstance(coordinator, HomecomingCoordinator)
    return coordinator


# ---------------------------------------------------------------- user: entity


async def test_user_menu(hass: HomeAssistant) -> None:
    """Offer the two ways a car's position can come."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == [SOURCE_ENTITY, SOURCE_PUSH]


async def test_entity_car_created_and_loaded(
    hass: HomeAssistant, zones: None, entity_registry: er.EntityRegistry
) -> None:
    """Follow a GPS tracker: the entry is created, loads, and its entities exist."""
    _set_gps(hass, TRACKER, latitude=HOME_LAT + 0.1)
    result = await _start(hass, SOURCE_ENTITY)
    assert result["errors"] == {}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: TRACKER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zone"
    assert _schema(result)({}) == {CONF_HOME_ZONE: "zone.home"}
    # Not the followed entity's name ("Family car"): a name of its own, suggested.
    assert _suggested(result) == {CONF_NAME: "Car", CONF_HOME_ZONE: None}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Car", CONF_HOME_ZONE: "zone.home"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Car"
    assert result["data"] == {
        CONF_SOURCE: SOURCE_ENTITY,
        CONF_TRACKED_ENTITY: TRACKER,
        CONF_HOME_ZONE: "zone.home",
    }
    assert result["options"] == {}
    entry = result["result"]
    assert entry.unique_id == TRACKER
    assert entry.state is ConfigEntryState.LOADED
    # The entry follows the chosen entity: its position was read at start-up.
    assert distance(hass, entry) == pytest.approx(11_119, abs=1)
    assert (await diagnostics(hass, entry))["home"]["zone"] == "zone.home"

    registered = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert {
        f"{TRACKER}_location",
        f"{TRACKER}_approaching",
        f"{TRACKER}_trip",
        f"{TRACKER}_phase",
        f"{TRACKER}_distance",
    } <= {item.unique_id for item in registered}
    for item in registered:
        if not item.disabled:
            assert hass.states.get(item.entity_id) is not None, item.entity_id
    # Its own tracker would be a second marker on the followed entity's position.
    [tracker] = [item for item in registered if item.domain == "device_tracker"]
    assert tracker.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Blue car", "Blue car"),
        (" Blue car ", "Blue car"),
        ("Family car", "Family car"),
        ("", "Car"),
        ("  ", "Car"),
        (None, "Car"),
    ],
    ids=["given", "trimmed", "the_entitys_name", "empty", "blank", "left_out"],
)
async def test_entity_car_title(
    hass: HomeAssistant, zones: None, name: str | None, title: str
) -> None:
    """Title the car with the name typed (any name), or the suggestion without one."""
    _set_gps(hass, TRACKER, name="Family car")
    result = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: TRACKER}, name=name)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert CONF_NAME not in result["data"]


@pytest.fixture
def people(hass: HomeAssistant) -> None:
    """Anna, with her phone's tracker, and Bert without a tracker."""
    _set_gps(hass, "device_tracker.pixel_8", name="Pixel 8")
    hass.states.async_set(
        "person.anna",
        "not_home",
        {
            "friendly_name": "Anna",
            "latitude": HOME_LAT + 0.1,
            "longitude": HOME_LON,
            "device_trackers": ["device_tracker.pixel_8"],
        },
    )
    hass.states.async_set(
        "person.bert",
        "not_home",
        {
            "friendly_name": "Bert",
            "latitude": HOME_LAT + 0.1,
            "longitude": HOME_LON,
            "device_trackers": "device_tracker.pixel",  # not a list: no tracker
        },
    )


async def _suggestion(hass: HomeAssistant, entity_id: str) -> str:
    """Return the car name the zone step suggests for an entity, then leave."""
    result = await _start(hass, SOURCE_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: entity_id}
    )
    assert result["step_id"] == "zone"
    hass.config_entries.flow.async_abort(result["flow_id"])
    return str(_suggested(result)[CONF_NAME])


@pytest.mark.usefixtures("zones", "people")
@pytest.mark.parametrize(
    ("language", "entity_id", "name"),
    [
        ("en", "device_tracker.pixel_8", "Anna's car"),
        ("en", "person.anna", "Anna's car"),
        ("en", "person.bert", "Bert's car"),
        ("en", TRACKER, "Car"),
        ("de", "device_tracker.pixel_8", "Auto von Anna"),
        ("de", TRACKER, "Auto"),
        ("es", "person.anna", "Coche de Anna"),
        ("fr", "person.anna", "Voiture (Anna)"),
        ("it", "person.anna", "Auto di Anna"),
        ("nl", "person.anna", "Auto van Anna"),
        ("nl", TRACKER, "Auto"),
    ],
)
async def test_entity_car_name_suggested(
    hass: HomeAssistant, language: str, entity_id: str, name: str
) -> None:
    """Suggest "<owner>'s car" for a person or a person's tracker, else "Car".

    In Home Assistant's language; never the followed entity's name ("Pixel 8").
    """
    hass.config.language = language
    _set_gps(hass, TRACKER, name="Family car")
    assert await _suggestion(hass, entity_id) == name


@pytest.mark.usefixtures("zones")
async def test_entity_car_name_suggestion_is_free(
    hass: HomeAssistant, car: Car, other_car: Car, device_registry: dr.DeviceRegistry
) -> None:
    """Number the suggestion while another car, the entity or its device has it."""
    device_registry.async_update_device(car.device_id, name="Car")
    # The device is called "Car", and so is the entity: "Car 2".
    _set_gps(hass, car.gps, name="car")
    first = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: car.gps})
    assert first["title"] == "Car 2"
    # The user renamed the other car's device "Car 3": "Car" is free again.
    device_registry.async_update_device(other_car.device_id, name_by_user="Car 3")
    assert await _suggestion(hass, other_car.gps) == "Car"
    second = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: other_car.gps})
    assert second["title"] == "Car"
    # Cars "Car" and "Car 2" exist; "Car 3" is the name of another entity's device.
    _set_gps(hass, TRACKER, name="Family car")
    assert await _suggestion(hass, TRACKER) == "Car 3"


@pytest.mark.usefixtures("zones")
async def test_entity_car_name_kept_after_a_zone_error(hass: HomeAssistant) -> None:
    """Show the name typed again when the zone is refused; the suggestion if cleared."""
    _set_gps(hass, TRACKER)
    result = await _start(hass, SOURCE_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: TRACKER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "", CONF_HOME_ZONE: "zone.nowhere"}
    )
    assert result["errors"] == {CONF_HOME_ZONE: "zone_not_found"}
    assert _suggested(result)[CONF_NAME] == "Car"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: " Blue car ", CONF_HOME_ZONE: "zone.nowhere"}
    )
    assert result["errors"] == {CONF_HOME_ZONE: "zone_not_found"}
    assert _suggested(result)[CONF_NAME] == "Blue car"
    # Submitted as shown (the form keeps the name filled in).
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Blue car", CONF_HOME_ZONE: "zone.work"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Blue car"


@pytest.mark.usefixtures("zones")
@pytest.mark.parametrize(
    "cleared", ["", "   ", None], ids=["empty", "blank", "left_out"]
)
@pytest.mark.parametrize("errors", [1, 2], ids=["one_error", "two_errors"])
async def test_entity_car_name_cleared_after_a_zone_error(
    hass: HomeAssistant, cleared: str | None, errors: int
) -> None:
    """A name typed before an error does not stick: cleared, it is the suggestion.

    What is typed counts for its own submission only, however many errors came before.
    """
    _set_gps(hass, TRACKER)
    result = await _start(hass, SOURCE_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: TRACKER}
    )
    for name in ["x", "y"][:errors]:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_NAME: name, CONF_HOME_ZONE: "zone.nowhere"}
        )
        assert result["errors"] == {CONF_HOME_ZONE: "zone_not_found"}
        assert _suggested(result)[CONF_NAME] == name
    user_input: dict[str, Any] = {CONF_HOME_ZONE: "zone.work"}
    if cleared is not None:
        user_input[CONF_NAME] = cleared
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Car"


async def test_push_car_has_no_name_in_the_zone_step(
    hass: HomeAssistant, zones: None
) -> None:
    """Ask a push car's name with its make and model, not again with its zone."""
    result = await _start(hass, SOURCE_PUSH)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Van"}
    )
    assert result["step_id"] == "zone"
    assert list(_suggested(result)) == [CONF_HOME_ZONE]
    hass.config_entries.flow.async_abort(result["flow_id"])


@pytest.mark.parametrize("registration", ["device", "no_device", "unregistered"])
async def test_entity_car_unique_id(
    hass: HomeAssistant,
    zones: None,
    car: Car,
    entity_registry: er.EntityRegistry,
    registration: str,
) -> None:
    """Identify the car by its device, else its registry entry, else its entity id."""
    if registration == "device":
        entity_id, unique_id = car.gps, car.device_id
    elif registration == "no_device":
        registered = entity_registry.async_get_or_create(
            "device_tracker", "test_car", "loose", suggested_object_id="loose"
        )
        entity_id, unique_id = registered.entity_id, registered.id
        _set_gps(hass, entity_id)
    else:
        entity_id = unique_id = TRACKER
        _set_gps(hass, entity_id)
    assert entity_id.startswith("device_tracker.")
    result = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: entity_id})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == unique_id
    assert result["data"][CONF_TRACKED_ENTITY] == entity_id


@pytest.mark.parametrize(
    ("entity_id", "state", "attributes"),
    [
        ("person.anna", "not_home", {"latitude": 52.4, "longitude": 4.9}),
        ("person.bert", "home", {}),
        ("device_tracker.router_car", "home", {"source_type": "router"}),
        ("sensor.car_position", "ok", {"latitude": 52.4, "longitude": 4.9}),
    ],
    ids=["person", "person_zone_only", "zone_only_tracker", "sensor_with_position"],
)
async def test_entity_car_other_sources(
    hass: HomeAssistant,
    zones: None,
    entity_id: str,
    state: str,
    attributes: dict[str, Any],
) -> None:
    """Accept persons, zone-only trackers and any entity with a position."""
    hass.states.async_set(entity_id, state, attributes)
    result = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: entity_id})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TRACKED_ENTITY] == entity_id
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("entity_id", "error"),
    [
        ("sensor.outside_temperature", "no_position"),
        ("sensor.car_latitude_only", "no_position"),
        ("device_tracker.does_not_exist", "entity_not_found"),
    ],
)
async def test_entity_error_then_recovery(
    hass: HomeAssistant, zones: None, entity_id: str, error: str
) -> None:
    """Refuse an unusable entity with a form error, then accept a GPS tracker."""
    hass.states.async_set("sensor.outside_temperature", "12.5", {})
    hass.states.async_set("sensor.car_latitude_only", "on", {"latitude": 52.4})
    _set_gps(hass, TRACKER)
    result = await _start(hass, SOURCE_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: entity_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == SOURCE_ENTITY
    assert result["errors"] == {CONF_TRACKED_ENTITY: error}
    # What was entered is kept in the form.
    assert _suggested(result) == {CONF_TRACKED_ENTITY: entity_id}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: TRACKER}
    )
    assert result["step_id"] == "zone"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Blue car", CONF_HOME_ZONE: "zone.home"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Blue car"
    assert result["data"][CONF_TRACKED_ENTITY] == TRACKER


async def test_entity_already_configured(
    hass: HomeAssistant, zones: None, car: Car
) -> None:
    """Refuse to add the same entity twice."""
    first = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: car.gps})
    assert first["type"] is FlowResultType.CREATE_ENTRY
    second = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: car.gps})
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_entity_same_device_already_configured(
    hass: HomeAssistant, zones: None, car: Car, other_car: Car
) -> None:
    """Refuse a second tracker of a car already added; accept another car's."""
    first = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: car.gps})
    assert first["type"] is FlowResultType.CREATE_ENTRY
    same_car = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: car.gps2})
    assert same_car["type"] is FlowResultType.ABORT
    assert same_car["reason"] == "already_configured"
    another = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: other_car.gps})
    assert another["type"] is FlowResultType.CREATE_ENTRY
    assert another["result"].unique_id == other_car.device_id


async def test_entity_registered_since_already_configured(
    hass: HomeAssistant,
    zones: None,
    entity_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Refuse an entity already followed, even if its identity changed since."""
    entity_entry.add_to_hass(hass)
    # Added while not in the registry (unique id = entity id); registered now.
    registered = entity_registry.async_get_or_create(
        "device_tracker", "test_car", "family", suggested_object_id="family_car"
    )
    assert registered.entity_id == TRACKER
    _set_gps(hass, TRACKER)
    result = await _add_entity_car(hass, {CONF_TRACKED_ENTITY: TRACKER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# ---------------------------------------------------------------- user: push


async def test_push_car_created(hass: HomeAssistant, zones: None) -> None:
    """Name a push car: VIN normalised and used as the unique id, text trimmed."""
    result = await _start(hass, SOURCE_PUSH)
    assert not result.get("errors")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "  Family car ",
            CONF_MAKE: " Volkswagen ",
            CONF_MODEL: "Golf ",
            CONF_VIN: " wvw zzz1jz xw000001 ",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zone"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.work"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Family car"
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert result["data"] == {
        CONF_SOURCE: SOURCE_PUSH,
        CONF_MAKE: "Volkswagen",
        CONF_MODEL: "Golf",
        CONF_VIN: VIN,
        CONF_WEBHOOK_ID: webhook_id,
        CONF_SECRET: "",
        CONF_CLOUDHOOK: False,
        CONF_HOME_ZONE: "zone.work",
    }
    entry = result["result"]
    assert entry.unique_id == VIN
    assert (await diagnostics(hass, entry))["home"]["zone"] == "zone.work"


async def test_push_car_without_vin(hass: HomeAssistant, zones: None) -> None:
    """Give each push car without a VIN its own random unique id."""
    unique_ids = set()
    for name in ("Car one", "Car two"):
        result = await _start(hass, SOURCE_PUSH)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_NAME: name}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOME_ZONE: "zone.home"}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"] == {
            CONF_SOURCE: SOURCE_PUSH,
            CONF_MAKE: "",
            CONF_MODEL: "",
            CONF_VIN: "",
            CONF_WEBHOOK_ID: result["data"][CONF_WEBHOOK_ID],
            CONF_SECRET: "",
            CONF_CLOUDHOOK: False,
            CONF_HOME_ZONE: "zone.home",
        }
        unique_id = result["result"].unique_id
        assert unique_id is not None
        assert len(unique_id) == 32
        int(unique_id, 16)  # hexadecimal
        unique_ids.add(unique_id)
    assert len(unique_ids) == 2


async def test_push_duplicate_vin(
    hass: HomeAssistant, zones: None, push_entry: MockConfigEntry
) -> None:
    """Refuse a VIN already added, however it is written."""
    push_entry.add_to_hass(hass)
    result = await _start(hass, SOURCE_PUSH)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Again", CONF_VIN: "wvwzzz1jz xw000001"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# ---------------------------------------------------------------- user: zone


@pytest.mark.parametrize(
    ("step", "user_input"),
    [
        (SOURCE_ENTITY, {CONF_TRACKED_ENTITY: TRACKER}),
        (SOURCE_PUSH, {CONF_NAME: "Family car"}),
    ],
)
@pytest.mark.parametrize("zone", ["zone.nowhere", "zone.home_2"])
async def test_zone_not_found_then_recovery(
    hass: HomeAssistant,
    zones: None,
    step: str,
    user_input: dict[str, Any],
    zone: str,
) -> None:
    """Refuse a zone that does not exist, then accept a real one."""
    _set_gps(hass, TRACKER)
    result = await _start(hass, step)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: zone}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zone"
    assert result["errors"] == {CONF_HOME_ZONE: "zone_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.work"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOME_ZONE] == "zone.work"
    assert result["data"][CONF_SOURCE] == step


# ---------------------------------------------------------------- reconfigure


@pytest.fixture
async def car_entry(hass: HomeAssistant, zones: None, car: Car) -> MockConfigEntry:
    """Set up a car that follows the main tracker of a car integration's car."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Car one",
        unique_id=car.device_id,
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: car.gps,
            CONF_HOME_ZONE: "zone.home",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def test_reconfigure_entity_car(
    hass: HomeAssistant, car_entry: MockConfigEntry, car: Car
) -> None:
    """Switch to another tracker of the same car and another zone; reload."""
    before = _coordinator(car_entry)
    result = await car_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"name": "Car one"}
    assert _suggested(result) == {
        CONF_TRACKED_ENTITY: car.gps,
        CONF_HOME_ZONE: "zone.home",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_TRACKED_ENTITY: car.gps2, CONF_HOME_ZONE: "zone.work"},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(car_entry.data) == {
        CONF_SOURCE: SOURCE_ENTITY,
        CONF_TRACKED_ENTITY: car.gps2,
        CONF_HOME_ZONE: "zone.work",
    }
    assert car_entry.unique_id == car.device_id
    after = _coordinator(car_entry)
    assert after is not before  # reloaded
    assert (await diagnostics(hass, car_entry))["home"]["zone"] == "zone.work"


async def test_reconfigure_entity_of_another_car(
    hass: HomeAssistant, car_entry: MockConfigEntry, car: Car, other_car: Car
) -> None:
    """Refuse a tracker of another car; nothing changes."""
    before = _coordinator(car_entry)
    result = await car_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_TRACKED_ENTITY: other_car.gps, CONF_HOME_ZONE: "zone.home"},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert car_entry.data[CONF_TRACKED_ENTITY] == car.gps
    assert _coordinator(car_entry) is before


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {CONF_TRACKED_ENTITY: "gps2", CONF_HOME_ZONE: "zone.nowhere"},
            {CONF_HOME_ZONE: "zone_not_found"},
        ),
        (
            {CONF_TRACKED_ENTITY: "device_tracker.gone", CONF_HOME_ZONE: "zone.work"},
            {CONF_TRACKED_ENTITY: "entity_not_found"},
        ),
        (
            {
                CONF_TRACKED_ENTITY: "sensor.outside_temperature",
                CONF_HOME_ZONE: "zone.work",
            },
            {CONF_TRACKED_ENTITY: "no_position"},
        ),
        (
            {
                CONF_TRACKED_ENTITY: "device_tracker.gone",
                CONF_HOME_ZONE: "zone.nowhere",
            },
            {
                CONF_TRACKED_ENTITY: "entity_not_found",
                CONF_HOME_ZONE: "zone_not_found",
            },
        ),
    ],
    ids=["zone", "entity_not_found", "no_position", "both"],
)
async def test_reconfigure_entity_car_error_then_recovery(
    hass: HomeAssistant,
    car_entry: MockConfigEntry,
    car: Car,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """Show each error in the form, keep the input, then succeed."""
    hass.states.async_set("sensor.outside_temperature", "12.5", {})
    if user_input[CONF_TRACKED_ENTITY] == "gps2":
        user_input = {**user_input, CONF_TRACKED_ENTITY: car.gps2}
    result = await car_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == errors
    assert _suggested(result) == user_input
    assert car_entry.data[CONF_TRACKED_ENTITY] == car.gps

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_TRACKED_ENTITY: car.gps2, CONF_HOME_ZONE: "zone.work"},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert car_entry.data[CONF_TRACKED_ENTITY] == car.gps2
    assert car_entry.data[CONF_HOME_ZONE] == "zone.work"
    assert (await diagnostics(hass, car_entry))["home"]["zone"] == "zone.work"


async def test_reconfigure_push_car(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Offer only the zone for a push car; refuse a missing zone, then save."""
    before = _coordinator(init_push)
    result = await init_push.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _suggested(result) == {CONF_HOME_ZONE: "zone.home"}
    assert result["description_placeholders"] == {"name": "Family car"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.cottage"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOME_ZONE: "zone_not_found"}
    assert _suggested(result) == {CONF_HOME_ZONE: "zone.cottage"}

    # A push car has no entity: the form refuses one.
    with pytest.raises(InvalidData) as raised:
        await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOME_ZONE: "zone.home", CONF_TRACKED_ENTITY: TRACKER},
        )
    assert raised.value.path == [CONF_TRACKED_ENTITY]

    # The user adds the zone in the UI, then picks it.
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "zone/create",
            "name": "Cottage",
            "latitude": HOME_LAT + 1,
            "longitude": HOME_LON,
            "radius": 200,
        }
    )
    assert (await client.receive_json())["success"]
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.cottage"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(init_push.data) == {
        CONF_SOURCE: SOURCE_PUSH,
        CONF_MAKE: "Volkswagen",
        CONF_MODEL: "Golf",
        CONF_VIN: VIN,
        CONF_WEBHOOK_ID: "0123456789abcdef" * 4,
        CONF_SECRET: "",
        CONF_HOME_ZONE: "zone.cottage",
    }
    after = _coordinator(init_push)
    assert after is not before
    assert after.engine.home.latitude == pytest.approx(HOME_LAT + 1)


# ---------------------------------------------------------------- options


def test_detection_defaults_are_the_engines() -> None:
    """Show the engine's defaults in the user's units."""
    defaults = Settings()
    assert defaults.reach_m is not None
    assert defaults.reach_eta_s is not None
    assert {
        CONF_REACH_KM: defaults.reach_m / 1000,
        CONF_REACH_MINUTES: defaults.reach_eta_s / 60,
        CONF_ARRIVAL_RADIUS: defaults.arrival_radius_m,
        CONF_STOP_TOLERANCE: defaults.stop_tolerance_s / 60,
        CONF_SILENCE_TIMEOUT: defaults.silence_timeout_s / 60,
        CONF_MAX_ACCURACY: defaults.max_accuracy_m,
    } == DETECTION_DEFAULTS


async def _open_detection(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ConfigFlowResult:
    """Open the options menu and choose the detection settings."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["detection", "routines", "webhook"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "detection"
    return result


async def test_options_detection(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Show the defaults, save the values, and reload the car with them."""
    before = _coordinator(init_push)
    assert before.settings == Settings()
    result = await _open_detection(hass, init_push)
    assert _schema(result)({}) == {
        CONF_REACH_KM: 30,
        CONF_REACH_MINUTES: 30,
        CONF_ARRIVAL_RADIUS: 400,
        CONF_STOP_TOLERANCE: 8,
        CONF_SILENCE_TIMEOUT: 15,
        CONF_MAX_ACCURACY: 150,
    }
    values = {
        CONF_REACH_KM: 0,
        CONF_REACH_MINUTES: 20,
        CONF_ARRIVAL_RADIUS: 250,
        CONF_STOP_TOLERANCE: 5,
        CONF_SILENCE_TIMEOUT: 10,
        CONF_MAX_ACCURACY: 80,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], values
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_push.options) == values

    after = _coordinator(init_push)
    assert after is not before  # reloaded
    settings = (await diagnostics(hass, init_push))["settings"]
    assert settings["reach_m"] is None  # 0: no distance limit
    assert settings["reach_eta_s"] == 20 * 60
    assert settings["arrival_radius_m"] == 250
    assert settings["stop_tolerance_s"] == 5 * 60
    assert settings["silence_timeout_s"] == 10 * 60
    assert settings["max_accuracy_m"] == 80

    # Opened again, the form shows the saved values.
    result = await _open_detection(hass, init_push)
    assert _schema(result)({}) == values


async def test_options_detection_keep_defaults(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Save the form untouched: the engine keeps its own defaults."""
    hass.config_entries.async_update_entry(init_push, options={"future": "kept"})
    result = await _open_detection(hass, init_push)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_push.options) == {"future": "kept", **DETECTION_DEFAULTS}
    assert (await diagnostics(hass, init_push))["settings"] == asdict(Settings())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_REACH_KM, -1),
        (CONF_REACH_KM, 500.5),
        (CONF_REACH_MINUTES, 241),
        (CONF_ARRIVAL_RADIUS, 49),
        (CONF_ARRIVAL_RADIUS, 5_001),
        (CONF_STOP_TOLERANCE, 0),
        (CONF_STOP_TOLERANCE, 61),
        (CONF_SILENCE_TIMEOUT, 1e300),
        (CONF_SILENCE_TIMEOUT, float("nan")),
        (CONF_SILENCE_TIMEOUT, float("inf")),
        (CONF_SILENCE_TIMEOUT, 10**400),
        (CONF_MAX_ACCURACY, 19),
        (CONF_MAX_ACCURACY, 2_001),
    ],
)
async def test_options_detection_out_of_range(
    hass: HomeAssistant, init_push: MockConfigEntry, field: str, value: float
) -> None:
    """Refuse a value outside its range with an error on the field; save nothing.

    The form's boxes show the same range; the corrected form is then saved.
    """
    result = await _open_detection(hass, init_push)
    fields = {
        item["name"]: item
        for item in probatio.to_field_list(
            _schema(result), custom_serializer=cv.custom_serializer
        )
    }
    low, high = DETECTION_RANGES[field]
    number = fields[field]["selector"]["number"]
    assert (number["min"], number["max"]) == (low, high)
    assert (fields[field]["valueMin"], fields[field]["valueMax"]) == (low, high)

    with pytest.raises(InvalidData) as err:
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**DETECTION_DEFAULTS, field: value}
        )
    assert set(err.value.schema_errors) == {field}
    assert dict(init_push.options) == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DETECTION_DEFAULTS, field: high}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_push.options[field] == high


async def test_options_detection_shows_defaults_for_saved_junk(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Saved values out of range (by hand) show as the defaults the car uses instead."""
    hass.config_entries.async_update_entry(
        init_push,
        options={
            CONF_SILENCE_TIMEOUT: 1e300,
            CONF_REACH_KM: "far",
            CONF_ARRIVAL_RADIUS: 300,
        },
    )
    await hass.async_block_till_done()
    settings = (await diagnostics(hass, init_push))["settings"]
    assert settings["silence_timeout_s"] == 15 * 60
    result = await _open_detection(hass, init_push)
    assert _schema(result)({}) == {
        **DETECTION_DEFAULTS,
        CONF_ARRIVAL_RADIUS: 300,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_push.options) == {**DETECTION_DEFAULTS, CONF_ARRIVAL_RADIUS: 300}

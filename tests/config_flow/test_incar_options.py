"""The options step In the car: which signals say the followed phone is in the car."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONF_IN_CAR_BLUETOOTH_DEVICES,
    CONF_IN_CAR_BLUETOOTH_SENSOR,
    CONF_IN_CAR_SIGNALS,
    CONF_REACH_KM,
)
from tests.common import add_car, car_entity, entity_car, state

PHONE = "device_tracker.pixel_8"
BLUETOOTH = "sensor.pixel_8_bluetooth_connection"
OTHER_BLUETOOTH = "sensor.iphone_bluetooth_connection"
ANDROID_AUTO = "binary_sensor.pixel_8_android_auto"
GOLF = "00:1A:7D:DA:71:13"
GPS = {"latitude": 52.4, "longitude": 4.9, "gps_accuracy": 10}


@pytest.fixture(autouse=True)
def phone_states(hass: HomeAssistant) -> None:
    """Set the phone, its Bluetooth connection sensor (app shapes) and Android Auto."""
    hass.states.async_set(PHONE, "not_home", GPS)
    hass.states.async_set(
        BLUETOOTH,
        "1",
        {
            "unit_of_measurement": "connection(s)",
            "connected_paired_devices": ["F4:4E:FC:11:22:33 (Galaxy Buds)"],
            "connected_not_paired_devices": [],
            "paired_devices": [
                f"{GOLF} (VW Golf)",
                "F4:4E:FC:11:22:33 (Galaxy Buds)",
            ],
        },
    )
    hass.states.async_set(
        OTHER_BLUETOOTH, "0", {"paired_devices": ["AA:BB:CC:DD:EE:FF (Polo)"]}
    )
    hass.states.async_set("sensor.temperature", "20", {})
    hass.states.async_set(ANDROID_AUTO, "off", {})


def register_phone(hass: HomeAssistant, platform: str = "mobile_app") -> None:
    """Register the phone's tracker as its app's integration does."""
    hass.states.async_remove(PHONE)
    er.async_get(hass).async_get_or_create(
        "device_tracker", platform, "pixel_8", suggested_object_id="pixel_8"
    )
    hass.states.async_set(PHONE, "not_home", GPS)


async def open_menu(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    """Open a car's options menu."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return result


async def open_in_car(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    """Open a car's In the car step."""
    result = await open_menu(hass, entry)
    assert "in_car" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "in_car"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "in_car"
    return result


def offered(result: ConfigFlowResult) -> list[dict[str, str]]:
    """Return the Bluetooth devices the form offers."""
    schema = result["data_schema"]
    assert schema is not None
    for key, field in schema.schema.items():
        if str(key) == CONF_IN_CAR_BLUETOOTH_DEVICES:
            return list(field.config["options"])
    raise AssertionError


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize(
    ("tracked", "platform", "menu"),
    [
        (PHONE, "mobile_app", ["detection", "routines", "in_car"]),
        (PHONE, "tesla_fleet", ["detection", "routines"]),
        (PHONE, None, ["detection", "routines"]),
        ("person.anna", None, ["detection", "routines", "in_car"]),
    ],
)
async def test_offered_for_phones_only(
    hass: HomeAssistant, tracked: str, platform: str | None, menu: list[str]
) -> None:
    """A phone or a person is offered in-car signals; a car integration's car is not."""
    if platform is not None:
        register_phone(hass, platform)
    hass.states.async_set("person.anna", "not_home", GPS)
    entry = await add_car(hass, entity_car(tracked=tracked))
    assert (await open_menu(hass, entry))["menu_options"] == menu


@pytest.mark.usefixtures("home_zone")
async def test_name_the_signals(hass: HomeAssistant) -> None:
    """Pick the car's Bluetooth from the devices seen, add Android Auto: saved."""
    register_phone(hass)
    entry = await add_car(hass, entity_car(tracked=PHONE, options={CONF_REACH_KM: 20}))
    result = await open_in_car(hass, entry)
    # No sensor chosen yet: every Bluetooth sensor's devices are offered.
    assert offered(result) == [
        {"value": "F4:4E:FC:11:22:33", "label": "Galaxy Buds (F4:4E:FC:11:22:33)"},
        {"value": GOLF, "label": f"VW Golf ({GOLF})"},
        {"value": "AA:BB:CC:DD:EE:FF", "label": "Polo (AA:BB:CC:DD:EE:FF)"},
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
            CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF, " "],
            CONF_IN_CAR_SIGNALS: [ANDROID_AUTO],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {
        CONF_REACH_KM: 20,
        CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
        CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF],
        CONF_IN_CAR_SIGNALS: [ANDROID_AUTO],
    }
    await hass.async_block_till_done()
    # Reloaded with the signals: the Phone in car sensor is there, off.
    assert state(hass, car_entity(hass, entry, "binary_sensor", "in_car")) == "off"
    # Opened again: the saved signals, and only the chosen sensor's devices.
    result = await open_in_car(hass, entry)
    assert [option["value"] for option in offered(result)] == [
        "F4:4E:FC:11:22:33",
        GOLF,
    ]


@pytest.mark.usefixtures("home_zone")
async def test_clear_the_signals(hass: HomeAssistant) -> None:
    """Everything cleared: the car has no signals, and no Phone in car sensor."""
    entry = await add_car(
        hass,
        entity_car(
            tracked=PHONE,
            options={
                CONF_REACH_KM: 20,
                CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
                CONF_IN_CAR_BLUETOOTH_DEVICES: ["VW Golf"],
                CONF_IN_CAR_SIGNALS: [ANDROID_AUTO],
            },
        ),
    )
    # Not a registered phone, but it names signals: the step is offered to clear them.
    result = await open_in_car(hass, entry)
    schema = result["data_schema"]
    assert schema is not None
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description
    }
    assert suggested == {
        CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
        CONF_IN_CAR_BLUETOOTH_DEVICES: ["VW Golf"],
        CONF_IN_CAR_SIGNALS: [ANDROID_AUTO],
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {CONF_REACH_KM: 20}
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.family_car_phone_in_car") is None


@pytest.mark.usefixtures("home_zone")
async def test_only_android_auto(hass: HomeAssistant) -> None:
    """A binary signal alone is enough; the form shows it when opened again."""
    register_phone(hass, "owntracks")
    entry = await add_car(hass, entity_car(tracked=PHONE))
    result = await open_in_car(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_IN_CAR_SIGNALS: [ANDROID_AUTO]}
    )
    assert dict(entry.options) == {CONF_IN_CAR_SIGNALS: [ANDROID_AUTO]}
    await hass.async_block_till_done()
    result = await open_in_car(hass, entry)
    schema = result["data_schema"]
    assert schema is not None
    assert {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description
    } == {CONF_IN_CAR_SIGNALS: [ANDROID_AUTO]}


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {
                CONF_IN_CAR_BLUETOOTH_SENSOR: "sensor.temperature",
                CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF],
            },
            {CONF_IN_CAR_BLUETOOTH_SENSOR: "bluetooth_sensor"},
        ),
        (
            {
                CONF_IN_CAR_BLUETOOTH_SENSOR: "sensor.gone",
                CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF],
            },
            {CONF_IN_CAR_BLUETOOTH_SENSOR: "bluetooth_sensor"},
        ),
        (
            {CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH},
            {CONF_IN_CAR_BLUETOOTH_DEVICES: "bluetooth_devices_required"},
        ),
        (
            {CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF]},
            {CONF_IN_CAR_BLUETOOTH_SENSOR: "bluetooth_sensor_required"},
        ),
        (
            {CONF_IN_CAR_SIGNALS: ["binary_sensor.gone"]},
            {CONF_IN_CAR_SIGNALS: "signal_not_found"},
        ),
        (
            {
                CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
                CONF_IN_CAR_BLUETOOTH_DEVICES: ["x" * 101],
            },
            {CONF_IN_CAR_BLUETOOTH_DEVICES: "bluetooth_device_invalid"},
        ),
        (
            {
                CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
                CONF_IN_CAR_BLUETOOTH_DEVICES: ["My Car\x00\n"],
            },
            {CONF_IN_CAR_BLUETOOTH_DEVICES: "bluetooth_device_invalid"},
        ),
    ],
)
async def test_form_errors(
    hass: HomeAssistant, user_input: dict[str, Any], errors: dict[str, str]
) -> None:
    """Each mistake is an error on its field; fixed, the form saves."""
    register_phone(hass)
    entry = await add_car(hass, entity_car(tracked=PHONE))
    result = await open_in_car(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_IN_CAR_SIGNALS: [ANDROID_AUTO]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("home_zone")
async def test_the_same_device_or_signal_is_saved_once(hass: HomeAssistant) -> None:
    """A device named twice (in any case) or a signal picked twice is kept once."""
    register_phone(hass)
    entry = await add_car(hass, entity_car(tracked=PHONE))
    result = await open_in_car(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
            CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF, GOLF.lower(), f" {GOLF} "],
            CONF_IN_CAR_SIGNALS: [ANDROID_AUTO, ANDROID_AUTO],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_IN_CAR_BLUETOOTH_DEVICES] == [GOLF]
    assert entry.options[CONF_IN_CAR_SIGNALS] == [ANDROID_AUTO]

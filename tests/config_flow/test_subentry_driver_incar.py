"""The driver form's in-car signals: the driver's phone's Bluetooth or other signals."""

from __future__ import annotations

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONF_IN_CAR_BLUETOOTH_DEVICES,
    CONF_IN_CAR_BLUETOOTH_SENSOR,
    CONF_IN_CAR_SIGNALS,
)
from tests.config_flow.test_subentry_driver import (
    _add,
    _drivers,
    _open_edit,
    _suggested,
)

BLUETOOTH = "sensor.alex_phone_bluetooth_connection"
ANDROID_AUTO = "binary_sensor.alex_phone_android_auto"
GOLF = "00:1A:7D:DA:71:13"


@pytest.fixture(autouse=True)
def phone(hass: HomeAssistant) -> None:
    """Alex's phone's Bluetooth connection sensor and Android Auto sensor."""
    hass.states.async_set(
        BLUETOOTH,
        "1",
        {
            "connected_paired_devices": [f"{GOLF} (VW Golf)"],
            "paired_devices": [f"{GOLF} (VW Golf)"],
            "unit_of_measurement": "connection(s)",
        },
    )
    hass.states.async_set(ANDROID_AUTO, "off")
    hass.states.async_set("sensor.temperature", "20")


async def test_add_a_driver_with_their_phone(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """A driver's phone signals are stored with the same keys as a car's."""
    result = await _add(
        hass,
        init_push,
        {
            CONF_NAME: "Alex",
            CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
            CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF],
            CONF_IN_CAR_SIGNALS: [ANDROID_AUTO],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (driver,) = _drivers(init_push)
    assert dict(driver.data) == {
        CONF_NAME: "Alex",
        CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
        CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF],
        CONF_IN_CAR_SIGNALS: [ANDROID_AUTO],
    }
    edit = await _open_edit(hass, init_push, driver)
    suggested = _suggested(edit)
    assert suggested[CONF_IN_CAR_BLUETOOTH_SENSOR] == BLUETOOTH
    assert suggested[CONF_IN_CAR_BLUETOOTH_DEVICES] == [GOLF]
    result = await hass.config_entries.subentries.async_configure(
        edit["flow_id"], {CONF_NAME: "Alex"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert dict(_drivers(init_push)[0].data) == {CONF_NAME: "Alex"}


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH},
            {CONF_IN_CAR_BLUETOOTH_DEVICES: "bluetooth_devices_required"},
        ),
        (
            {CONF_IN_CAR_BLUETOOTH_SENSOR: "sensor.temperature"},
            {CONF_IN_CAR_BLUETOOTH_SENSOR: "bluetooth_sensor"},
        ),
        (
            {CONF_IN_CAR_BLUETOOTH_DEVICES: [GOLF]},
            {CONF_IN_CAR_BLUETOOTH_SENSOR: "bluetooth_sensor_required"},
        ),
        (
            {CONF_IN_CAR_SIGNALS: ["binary_sensor.gone"]},
            {CONF_IN_CAR_SIGNALS: "signal_not_found"},
        ),
    ],
)
async def test_a_driver_phone_that_cannot_work(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    user_input: dict[str, object],
    errors: dict[str, str],
) -> None:
    """The same checks as the car's In the car form; nothing is stored."""
    result = await _add(hass, init_push, {CONF_NAME: "Alex", **user_input})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _drivers(init_push) == []

"""Temperatures in the forms are in Home Assistant's unit system, never a bare degree."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import SUBENTRY_DRIVER


@pytest.mark.parametrize(("units", "unit"), [("metric", "°C"), ("us_customary", "°F")])
async def test_a_drivers_temperature_in_the_unit_system(
    hass: HomeAssistant, init_push: MockConfigEntry, units: str, unit: str
) -> None:
    """The driver form's comfort temperature shows °C or °F."""
    await hass.config.async_update(unit_system=units)
    result = await hass.config_entries.subentries.async_init(
        (init_push.entry_id, SUBENTRY_DRIVER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    selector = next(
        value for marker, value in schema.schema.items() if marker == "temperature"
    )
    assert selector.config["unit_of_measurement"] == unit

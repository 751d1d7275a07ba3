"""Tests of the run-arrival button."""

from __future__ import annotations

from homeassistant.const import ATTR_TEMPERATURE, STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import DOMAIN, SERVICE_SNOOZE

from .common import SnapshotCar, call, state
from .routine_home import LIVING, PORCH, SWITCH

BUTTON = "button.family_car_run_arrival_routine"


async def press(hass: HomeAssistant) -> None:
    """Press the button and wait for the routine."""
    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )
    await hass.async_block_till_done()


@pytest.mark.platforms(Platform.BUTTON)
async def test_snapshot(
    routine_car: MockConfigEntry, snapshot_car: SnapshotCar
) -> None:
    """Snapshot the button's registry entry and state."""
    await snapshot_car(routine_car)


async def test_press_runs_arrival(
    hass: HomeAssistant, routine_car: MockConfigEntry
) -> None:
    """Run the arrival routine now, even while snoozed: porch on, heating to 21."""
    await call(
        hass, SERVICE_SNOOZE, config_entry_id=routine_car.entry_id, duration=3600
    )
    await press(hass)
    assert state(hass, PORCH) == STATE_ON
    thermostat = hass.states.get(LIVING)
    assert thermostat is not None
    assert thermostat.state == "heat"
    assert thermostat.attributes[ATTR_TEMPERATURE] == 21


@pytest.mark.usefixtures("routine_car")
async def test_press_refused_while_off(hass: HomeAssistant) -> None:
    """Refuse to run anything while the routines are switched off."""
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": SWITCH}, blocking=True
    )
    with pytest.raises(ServiceValidationError) as err:
        await press(hass)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "routines_off"
    assert state(hass, PORCH) == STATE_OFF


@pytest.mark.usefixtures("routine_car")
async def test_press_that_could_do_nothing_is_an_error(hass: HomeAssistant) -> None:
    """Every target gone: the press reports the failure instead of a success."""
    hass.states.async_remove(PORCH)
    hass.states.async_remove(LIVING)
    with pytest.raises(HomeAssistantError) as err:
        await press(hass)
    assert err.value.translation_key == "routine_failed"

"""Tests of the homecoming.snooze and homecoming.run_routine actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_TEMPERATURE, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import (
    DOMAIN,
    EVENT_ROUTINE,
    SERVICE_RUN_ROUTINE,
    SERVICE_SNOOZE,
)
from devtools import sim

from .common import call, car_device, feed, state
from .routine_home import DRIVE, LIVING, PORCH, SWITCH, set_up_car


@pytest.fixture
async def car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    home_zone: None,
    push_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set up the push car with routines, at the start of the drive."""
    return await set_up_car(hass, freezer, push_entry)


async def test_run_arrival_now(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Run the arrival routine at once: porch on, heating to 21 °C, one event."""
    events = async_capture_events(hass, EVENT_ROUTINE)
    await call(
        hass, SERVICE_RUN_ROUTINE, config_entry_id=car.entry_id, routine="arrival"
    )
    assert state(hass, PORCH) == STATE_ON
    thermostat = hass.states.get(LIVING)
    assert thermostat is not None
    assert thermostat.state == "heat"
    assert thermostat.attributes[ATTR_TEMPERATURE] == 21
    assert len(events) == 1
    assert events[0].data["routine"] == "arrival"
    assert events[0].data["trigger"] is None
    assert [a["action"] for a in events[0].data["actions"]] == ["turn_on", "comfort"]


async def test_run_departure_now(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Run the departure routine at once by device: the thermostat goes to eco."""
    device = car_device(hass, car)
    await call(hass, SERVICE_RUN_ROUTINE, device_id=device.id, routine="departure")
    thermostat = hass.states.get(LIVING)
    assert thermostat is not None
    assert thermostat.attributes[ATTR_TEMPERATURE] == 17


async def test_run_ignores_snooze(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Run a routine on demand even while the routines are snoozed."""
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=3600)
    await call(
        hass, SERVICE_RUN_ROUTINE, config_entry_id=car.entry_id, routine="arrival"
    )
    assert state(hass, PORCH) == STATE_ON


async def test_run_refused_while_switched_off(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Refuse to run a routine while the car's routines are switched off."""
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": SWITCH}, blocking=True
    )
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, SERVICE_RUN_ROUTINE, config_entry_id=car.entry_id, routine="arrival"
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "routines_off"
    assert err.value.translation_placeholders == {"car": "Family car"}
    assert state(hass, PORCH) == STATE_OFF


@pytest.mark.parametrize("routine", ["arrival", "departure"])
async def test_run_that_could_do_nothing_is_an_error(
    hass: HomeAssistant, car: MockConfigEntry, routine: str
) -> None:
    """Every target gone (or failing): a translated error, not a silent success."""
    hass.states.async_remove(PORCH)
    hass.states.async_remove(LIVING)
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, SERVICE_RUN_ROUTINE, config_entry_id=car.entry_id, routine=routine
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "routine_failed"
    assert err.value.translation_placeholders == {
        "car": "Family car",
        "routine": routine,
        "failed": "1" if routine == "departure" else "2",
    }


async def test_run_with_nothing_to_change_succeeds(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Running twice: the second run finds everything done, which is no failure."""
    for _ in range(2):
        await call(
            hass, SERVICE_RUN_ROUTINE, config_entry_id=car.entry_id, routine="arrival"
        )
    assert state(hass, PORCH) == STATE_ON


async def test_drive_home_runs_arrival(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, car: MockConfigEntry
) -> None:
    """Turn the porch light on and heat when the car comes home (the baseline)."""
    await feed(hass, freezer, car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_ON
    assert state(hass, LIVING) == "heat"


async def test_snooze_holds_routines(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, car: MockConfigEntry
) -> None:
    """Run nothing on the way home while snoozed; show until when."""
    events = async_capture_events(hass, EVENT_ROUTINE)
    await call(
        hass,
        SERVICE_SNOOZE,
        config_entry_id=car.entry_id,
        duration={"hours": 1},
    )
    switch = hass.states.get(SWITCH)
    assert switch is not None
    assert switch.state == STATE_ON
    assert switch.attributes["snoozed_until"] == (
        (sim.DEFAULT_START + timedelta(hours=1)).isoformat()
    )
    await feed(hass, freezer, car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_OFF
    assert state(hass, LIVING) == "off"
    assert events == []


async def test_snooze_runs_out(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, car: MockConfigEntry
) -> None:
    """Run the routines again once the snooze is over, and say so."""
    device = car_device(hass, car)
    await call(hass, SERVICE_SNOOZE, device_id=device.id, duration="00:05:00")
    await feed(hass, freezer, car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_ON
    switch = hass.states.get(SWITCH)
    assert switch is not None
    assert switch.attributes["snoozed_until"] is None


async def test_snooze_of_zero_ends_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, car: MockConfigEntry
) -> None:
    """End a snooze with a duration of 0: the drive home runs the routines."""
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=7200)
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=0)
    switch = hass.states.get(SWITCH)
    assert switch is not None
    assert switch.attributes["snoozed_until"] is None
    await feed(hass, freezer, car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_ON


@pytest.mark.parametrize(
    ("service", "fields"),
    [
        (SERVICE_SNOOZE, {"duration": 60}),
        (SERVICE_RUN_ROUTINE, {"routine": "arrival"}),
    ],
)
@pytest.mark.parametrize(
    "target",
    [{"config_entry_id": "no_such_entry"}, {"device_id": "no_such_device"}],
    ids=["entry", "device"],
)
async def test_unknown_car(
    hass: HomeAssistant,
    car: MockConfigEntry,
    service: str,
    fields: dict[str, Any],
    target: dict[str, str],
) -> None:
    """Refuse a car that does not exist, with a translated error."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, **fields, **target)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "car_not_found"


@pytest.mark.parametrize(
    ("service", "fields"),
    [
        (SERVICE_SNOOZE, {"duration": 60}),
        (SERVICE_RUN_ROUTINE, {"routine": "departure"}),
    ],
)
async def test_unloaded_car(
    hass: HomeAssistant, car: MockConfigEntry, service: str, fields: dict[str, Any]
) -> None:
    """Refuse a car that is not loaded, with a translated error."""
    assert await hass.config_entries.async_unload(car.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, config_entry_id=car.entry_id, **fields)
    assert err.value.translation_key == "car_not_loaded"
    assert err.value.translation_placeholders == {"car": "Family car"}


@pytest.mark.parametrize(
    ("service", "data"),
    [
        (SERVICE_SNOOZE, {"duration": -60}),
        (SERVICE_SNOOZE, {"duration": "soon"}),
        (SERVICE_SNOOZE, {}),
        (SERVICE_RUN_ROUTINE, {"routine": "bedtime"}),
        (SERVICE_RUN_ROUTINE, {}),
    ],
    ids=["negative", "not-a-duration", "no-duration", "unknown-routine", "none"],
)
async def test_schema_errors(
    hass: HomeAssistant, car: MockConfigEntry, service: str, data: dict[str, Any]
) -> None:
    """Refuse malformed data before it reaches the car."""
    with pytest.raises(probatio.Invalid):
        await call(hass, service, config_entry_id=car.entry_id, **data)


async def test_target_needed_exactly_once(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Require the entry or the device, not both, not neither."""
    device = car_device(hass, car)
    with pytest.raises(probatio.Invalid):
        await call(hass, SERVICE_RUN_ROUTINE, routine="arrival")
    with pytest.raises(probatio.Invalid):
        await call(
            hass,
            SERVICE_SNOOZE,
            config_entry_id=car.entry_id,
            device_id=device.id,
            duration=60,
        )

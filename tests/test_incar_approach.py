"""A car following a phone with in-car signals: faster approach, and the gate holds.

Real core entities stand in for the Companion app's (tests/test_incar.py's fixtures).
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import EVENT_HOMECOMING
from custom_components.homecoming.incar import IN_CAR_OFF_DELAY
from devtools import sim
from tests.common import add_car, entity_car, phase_state, position
from tests.test_incar import (
    BLUETOOTH_SWITCH,
    PHONE,
    START,
    later,
    phone,
    phone_sensors,  # noqa: F401 - the fixture
    setup_car,
    switch,
    types,
    wait,
)

pytestmark = pytest.mark.usefixtures("phone_sensors")


async def test_the_approach_starts_earlier_with_the_phone_in_the_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Two cars follow the same phone on the same drive: the one with signals is first."""
    fixes = sim.straight_approach(seed=3).fixes
    with_signal = await setup_car(hass, freezer, fixes[0], in_car=True)
    plain = entity_car(tracked=PHONE)
    without = MockConfigEntry(
        domain=plain.domain,
        minor_version=plain.minor_version,
        title="Second car",
        unique_id="second",
        data=dict(plain.data),
        entry_id="02SECONDCAR",
    )
    await add_car(hass, without)
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await phone(hass, freezer, fixes[1:40])
    started = {
        event.data["entry_id"]: event.time_fired
        for event in events
        if event.data["type"] == "approach_started"
    }
    assert started[with_signal.entry_id] < started[without.entry_id]


async def test_a_phone_out_of_the_car_is_no_departure(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Home, the phone leaves the car and walks off: the car has not departed."""
    fixes = sim.straight_approach(3_000.0, 10.0, seed=4).fixes
    entry = await setup_car(hass, freezer, fixes[0], in_car=True)
    await phone(hass, freezer, fixes[1:])
    assert phase_state(hass, entry) == "home"
    parked = position(hass, entry)
    await switch(hass, BLUETOOTH_SWITCH, False)
    await wait(hass, freezer, IN_CAR_OFF_DELAY + timedelta(seconds=10))
    events = async_capture_events(hass, EVENT_HOMECOMING)
    walk = later(list(reversed(fixes[1:])), 4_000)
    await phone(hass, freezer, walk)
    assert events == []
    assert phase_state(hass, entry) == "home"
    assert position(hass, entry) == parked


async def test_a_phone_out_of_the_car_is_no_drive_by(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Approaching, the phone leaves the car and rides on past home: no drive-by."""
    drive = sim.Drive(start=START, interval=5.0).at(*sim.along(30.0, 6_000.0))
    fixes = drive.drive_to(*sim.along(30.0, 2_000.0), 15.0).fixes
    await setup_car(hass, freezer, fixes[0], in_car=True)
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await phone(hass, freezer, fixes[1:])
    assert types(events) == ["approach_started"]
    await switch(hass, BLUETOOTH_SWITCH, False)
    await wait(hass, freezer, IN_CAR_OFF_DELAY)
    # A friend drives the phone past home and 4 km beyond, within the stop tolerance.
    onward = sim.Drive(start=fixes[-1].timestamp, interval=5.0).at(
        *sim.along(30.0, 2_000.0)
    )
    past = onward.drive_to(*sim.along(210.0, 4_000.0), 25.0).fixes
    await phone(hass, freezer, later(past, 130))
    assert types(events) == ["approach_started"]

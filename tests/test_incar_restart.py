"""After a reload, a phone heard out of the car is news: the trip that follows is announced.

Found by a fresh test in a real Home Assistant: the first in-car report after a reload
was "applied silently" although the phone had been reporting all along, out of the car,
so the drive became ``approaching`` without ``approach_started`` (and no routine ran).
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.homecoming.const import CONF_IN_CAR_SIGNALS, EVENT_HOMECOMING
from devtools import sim
from tests.common import (
    add_car,
    drive_home,
    entity_car,
    phase_state,
    report_phone,
    switch_input_boolean,
)

SIGNAL = "input_boolean.android_auto"


async def test_a_drive_after_a_reload_is_announced(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Reload; the phone rides a train to 6 km out; then it drives home: announced."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"android_auto": {}}}
    )
    parked = drive_home(sim.DEFAULT_START, 20_000.0)[0]
    await report_phone(hass, freezer, parked)
    entry = await add_car(hass, entity_car(options={CONF_IN_CAR_SIGNALS: [SIGNAL]}))
    await switch_input_boolean(hass, SIGNAL, True)
    await report_phone(hass, freezer, parked)  # the car is parked 20 km out
    await switch_input_boolean(hass, SIGNAL, False)
    freezer.tick(timedelta(minutes=3))
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_HOMECOMING)
    train = drive_home(parked.timestamp + timedelta(minutes=5), 20_000.0, speed=25.0)
    at_6_km = next(
        i
        for i, fix in enumerate(train)
        if sim.distance_to_home(fix, sim.home_at(*sim.DEFAULT_HOME)) < 6_000
    )
    for fix in train[:at_6_km]:  # on the train: heard, out of the car
        await report_phone(hass, freezer, fix)
    assert phase_state(hass, entry) == "away"
    await switch_input_boolean(hass, SIGNAL, True)  # into a car at the station
    phases: list[str] = []
    for fix in train[at_6_km:]:
        await report_phone(hass, freezer, fix)
        phases.append(phase_state(hass, entry))
    assert "approaching" in phases
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "arriving",
        "arrived",
    ]

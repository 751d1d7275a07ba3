"""Tests of the routines switch: on by default, restored, off means nothing runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache,
)

from custom_components.homecoming.const import EVENT_ROUTINE, SERVICE_SNOOZE
from devtools import sim

from .common import (
    SnapshotCar,
    add_car,
    call,
    diagnostics,
    entity_car,
    entity_state,
    feed,
    state,
)
from .routine_home import DRIVE, LIVING, OPTIONS, PORCH, SWITCH, set_up_car, set_up_home


async def switch(hass: HomeAssistant, service: str) -> None:
    """Turn the routines switch on or off through the switch actions."""
    await hass.services.async_call(
        "switch", service, {"entity_id": SWITCH}, blocking=True
    )
    await hass.async_block_till_done()


async def snooze(hass: HomeAssistant, car: MockConfigEntry, seconds: int) -> None:
    """Snooze the car's routines through ``homecoming.snooze``."""
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=seconds)


def snoozed_until(hass: HomeAssistant) -> str | None:
    """Return the end of the snooze that the switch shows."""
    return entity_state(hass, SWITCH).attributes["snoozed_until"]


async def time_passes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: datetime
) -> None:
    """Move the clock to ``until`` and let the timers due by then run."""
    freezer.move_to(until)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


@pytest.mark.platforms(Platform.SWITCH)
async def test_snapshot(
    routine_car: MockConfigEntry, snapshot_car: SnapshotCar
) -> None:
    """Snapshot the switch's registry entry and state (a config entity, on)."""
    await snapshot_car(routine_car)


async def test_off_runs_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, routine_car: MockConfigEntry
) -> None:
    """Run no routine on the way home while the switch is off."""
    events = async_capture_events(hass, EVENT_ROUTINE)
    await switch(hass, "turn_off")
    assert state(hass, SWITCH) == STATE_OFF
    await feed(hass, freezer, routine_car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_OFF
    assert state(hass, LIVING) == "off"
    assert events == []


async def test_on_again_runs(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, routine_car: MockConfigEntry
) -> None:
    """Run the routines again once the switch is back on."""
    await switch(hass, "turn_off")
    await switch(hass, "turn_on")
    assert state(hass, SWITCH) == STATE_ON
    await feed(hass, freezer, routine_car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_ON


@pytest.mark.parametrize(
    ("restored", "expected"),
    [(STATE_OFF, STATE_OFF), (STATE_ON, STATE_ON), (STATE_UNAVAILABLE, STATE_ON)],
)
@pytest.mark.usefixtures("home_zone")
async def test_restored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    restored: str,
    expected: str,
) -> None:
    """Take the switch's last state back after a restart (on when there is none)."""
    mock_restore_cache(hass, [State(SWITCH, restored)])
    car = await set_up_car(hass, freezer, push_entry)
    assert state(hass, SWITCH) == expected
    await feed(hass, freezer, car, DRIVE.fixes)
    assert state(hass, PORCH) == expected


async def test_kept_across_reload(
    hass: HomeAssistant, routine_car: MockConfigEntry
) -> None:
    """Keep the routines off when the car is reloaded (options changed)."""
    await switch(hass, "turn_off")
    assert await hass.config_entries.async_reload(routine_car.entry_id)
    await hass.async_block_till_done()
    assert state(hass, SWITCH) == STATE_OFF
    assert (await diagnostics(hass, routine_car))["routines"]["enabled"] is False


async def test_snooze_shown_until_over(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, routine_car: MockConfigEntry
) -> None:
    """Show a snooze's end as an attribute, and drop it when the time comes."""
    await snooze(hass, routine_car, 600)
    until = sim.DEFAULT_START + timedelta(minutes=10)
    assert snoozed_until(hass) == until.isoformat()

    # A longer snooze replaces the first one (and its timer).
    await snooze(hass, routine_car, 1200)
    await time_passes(hass, freezer, until + timedelta(seconds=1))
    assert snoozed_until(hass) == (until + timedelta(minutes=10)).isoformat()

    await time_passes(hass, freezer, until + timedelta(minutes=10, seconds=1))
    assert snoozed_until(hass) is None


async def test_unload_while_snoozed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, routine_car: MockConfigEntry
) -> None:
    """Leave no snooze timer behind when the car is unloaded."""
    await snooze(hass, routine_car, 600)
    assert await hass.config_entries.async_unload(routine_car.entry_id)
    await time_passes(hass, freezer, dt_util.utcnow() + timedelta(minutes=11))
    assert state(hass, SWITCH) == STATE_UNAVAILABLE


@pytest.mark.usefixtures("home_zone")
async def test_available_without_position_source(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Keep the switch usable while the car's tracked entity does not exist."""
    freezer.move_to(sim.DEFAULT_START)
    await set_up_home(hass)
    await add_car(
        hass, entity_car(tracked="device_tracker.missing_car", options=OPTIONS)
    )
    assert state(hass, "sensor.family_car_trip_phase") == STATE_UNAVAILABLE
    assert state(hass, SWITCH) == STATE_ON
    await switch(hass, "turn_off")
    assert state(hass, SWITCH) == STATE_OFF

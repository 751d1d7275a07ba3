"""Tests of the routines switch: on by default, restored, off means nothing runs."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    DOMAIN,
    EVENT_ROUTINE,
    SERVICE_SNOOZE,
    SOURCE_ENTITY,
)
from devtools import sim

from .common import call, diagnostics, feed, state
from .routine_home import DRIVE, LIVING, OPTIONS, PORCH, SWITCH, set_up_car, set_up_home


async def switch(hass: HomeAssistant, service: str) -> None:
    """Turn the routines switch on or off through the switch actions."""
    await hass.services.async_call(
        "switch", service, {"entity_id": SWITCH}, blocking=True
    )
    await hass.async_block_till_done()


@pytest.mark.usefixtures("home_zone")
@pytest.mark.platforms(Platform.SWITCH)
async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Snapshot the switch's registry entry and state (a config entity, on)."""
    car = await set_up_car(hass, freezer, push_entry)
    await snapshot_platform(hass, entity_registry, snapshot, car.entry_id)


@pytest.mark.usefixtures("home_zone")
async def test_off_runs_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Run no routine on the way home while the switch is off."""
    car = await set_up_car(hass, freezer, push_entry)
    events = async_capture_events(hass, EVENT_ROUTINE)
    await switch(hass, "turn_off")
    assert state(hass, SWITCH) == STATE_OFF
    await feed(hass, freezer, car, DRIVE.fixes)
    assert state(hass, PORCH) == STATE_OFF
    assert state(hass, LIVING) == "off"
    assert events == []


@pytest.mark.usefixtures("home_zone")
async def test_on_again_runs(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Run the routines again once the switch is back on."""
    car = await set_up_car(hass, freezer, push_entry)
    await switch(hass, "turn_off")
    await switch(hass, "turn_on")
    assert state(hass, SWITCH) == STATE_ON
    await feed(hass, freezer, car, DRIVE.fixes)
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


@pytest.mark.usefixtures("home_zone")
async def test_kept_across_reload(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Keep the routines off when the car is reloaded (options changed)."""
    car = await set_up_car(hass, freezer, push_entry)
    await switch(hass, "turn_off")
    assert await hass.config_entries.async_reload(car.entry_id)
    await hass.async_block_till_done()
    assert state(hass, SWITCH) == STATE_OFF
    assert (await diagnostics(hass, car))["routines"]["enabled"] is False


@pytest.mark.usefixtures("home_zone")
async def test_snooze_shown_until_over(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Show a snooze's end as an attribute, and drop it when the time comes."""
    car = await set_up_car(hass, freezer, push_entry)
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=600)
    until = sim.DEFAULT_START + timedelta(minutes=10)
    current = hass.states.get(SWITCH)
    assert current is not None
    assert current.attributes["snoozed_until"] == until.isoformat()

    # A longer snooze replaces the first one (and its timer).
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=1200)
    freezer.move_to(until + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    current = hass.states.get(SWITCH)
    assert current is not None
    assert current.attributes["snoozed_until"] == (
        (until + timedelta(minutes=10)).isoformat()
    )

    freezer.move_to(until + timedelta(minutes=10, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    current = hass.states.get(SWITCH)
    assert current is not None
    assert current.attributes["snoozed_until"] is None


@pytest.mark.usefixtures("home_zone")
async def test_unload_while_snoozed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Leave no snooze timer behind when the car is unloaded."""
    car = await set_up_car(hass, freezer, push_entry)
    await call(hass, SERVICE_SNOOZE, config_entry_id=car.entry_id, duration=600)
    assert await hass.config_entries.async_unload(car.entry_id)
    freezer.tick(timedelta(minutes=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state(hass, SWITCH) == STATE_UNAVAILABLE


@pytest.mark.usefixtures("home_zone")
async def test_available_without_position_source(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Keep the switch usable while the car's tracked entity does not exist."""
    freezer.move_to(sim.DEFAULT_START)
    await set_up_home(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id="device_tracker.missing_car",
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: "device_tracker.missing_car",
            CONF_HOME_ZONE: "zone.home",
        },
        options=OPTIONS,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, "sensor.family_car_trip_phase") == STATE_UNAVAILABLE
    assert state(hass, SWITCH) == STATE_ON
    await switch(hass, "turn_off")
    assert state(hass, SWITCH) == STATE_OFF

"""Tests of the Homecoming event entity: the car's trip transitions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import (
    ATTR_DISTANCE,
    ATTR_DRIVER,
    ATTR_ETA,
    ATTR_TYPE,
    EVENT_HOMECOMING,
)
from devtools import sim
from tests.common import (
    APPROACHING_AFTER,
    AWAY,
    TRACKER,
    SnapshotApproach,
    add_car,
    assert_on_car_device,
    each_fix,
    entity_state,
    feed,
)

DRIVE = (
    sim.Drive(driver="alice")
    .at(*sim.along(30.0, 10_000.0))
    .drive_to(0.0, 0.0, 15.0)
    .stop(300.0)
)
"""Alice drives 10 km straight home at 15 m/s, then parks for five minutes."""

TRIP = "event.family_car_trip"
OTHER_TRIP = "event.other_car_trip"
ATTRIBUTES = (ATTR_EVENT_TYPE, ATTR_DISTANCE, ATTR_ETA, ATTR_DRIVER)

pytestmark = [
    pytest.mark.platforms(Platform.EVENT),
    pytest.mark.usefixtures("start_of_drive"),
]


def recorded(state: State) -> dict[str, Any]:
    """Return what an event entity recorded of its last transition."""
    return {key: state.attributes[key] for key in ATTRIBUTES}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(snapshot_approach: SnapshotApproach) -> None:
    """Snapshot the event entity's registry entry and state after an approach began."""
    await snapshot_approach(DRIVE.fixes)


async def test_records_each_transition(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Record each transition of a drive home with its type, distance, ETA, driver."""
    assert entity_state(hass, TRIP).state == STATE_UNKNOWN
    transitions = async_capture_events(hass, EVENT_HOMECOMING)
    history: list[tuple[str, dict[str, Any]]] = []

    async for fix in each_fix(hass, freezer, init_push, DRIVE.fixes):
        state = entity_state(hass, TRIP)
        if state.state != STATE_UNKNOWN and (
            not history or history[-1][0] != state.state
        ):
            # The event's time is the moment of the fix that caused it.
            assert dt_util.parse_datetime(state.state) == fix.timestamp
            history.append((state.state, recorded(state)))

    assert [entry for _, entry in history] == [
        {
            ATTR_EVENT_TYPE: event.data[ATTR_TYPE],
            ATTR_DISTANCE: event.data[ATTR_DISTANCE],
            ATTR_ETA: event.data[ATTR_ETA],
            ATTR_DRIVER: event.data[ATTR_DRIVER],
        }
        for event in transitions
    ]
    started, arriving, arrived = (entry for _, entry in history)
    assert started[ATTR_EVENT_TYPE] == "approach_started"
    assert arriving[ATTR_EVENT_TYPE] == "arriving"
    assert arrived[ATTR_EVENT_TYPE] == "arrived"
    assert started[ATTR_DISTANCE] > arriving[ATTR_DISTANCE] > arrived[ATTR_DISTANCE]
    for entry in (started, arriving):
        eta = dt_util.parse_datetime(entry[ATTR_ETA])
        assert eta is not None
        assert eta > DRIVE.start
    assert arrived[ATTR_ETA] is None
    assert [entry[ATTR_DRIVER]["id"] for _, entry in history] == ["alice"] * 3


async def test_ignores_other_cars(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_push: MockConfigEntry,
    other_entry: MockConfigEntry,
) -> None:
    """Record only the own car's transitions, not those of another car."""
    await add_car(hass, other_entry)

    await feed(hass, freezer, other_entry, DRIVE.fixes[:APPROACHING_AFTER])

    assert (
        recorded(entity_state(hass, OTHER_TRIP))[ATTR_EVENT_TYPE] == "approach_started"
    )
    assert entity_state(hass, TRIP).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_entity")
async def test_follows_source_availability(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Go unavailable with the tracked entity and come back when it reports again."""
    assert entity_state(hass, TRIP).state == STATE_UNKNOWN

    hass.states.async_set(TRACKER, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert entity_state(hass, TRIP).state == STATE_UNAVAILABLE

    freezer.tick(timedelta(seconds=30))
    hass.states.async_set(TRACKER, "not_home", AWAY)
    await hass.async_block_till_done()
    assert entity_state(hass, TRIP).state == STATE_UNKNOWN


async def test_on_the_car_device(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Put the event entity on the car's device with a translated name."""
    assert_on_car_device(
        hass,
        init_push,
        TRIP,
        unique_id="WVWZZZ1JZXW000001_trip",
        name="Family car Trip",
    )

"""Tests of the Homecoming sensors: phase, distance, ETA, speed, direction, last fix."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
    UnitOfLength,
    UnitOfSpeed,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homecoming.const import DOMAIN
from devtools import sim
from tests.common import (
    APPROACHING_AFTER,
    AWAY,
    STALE_AFTER,
    TRACKER,
    SnapshotApproach,
    add_car,
    each_fix,
    feed,
    state,
    update_location,
)

DRIVE = sim.straight_approach(park_s=600.0)
"""10 km straight home at 15 m/s (54 km/h), then ten minutes parked."""

PHASE = "sensor.family_car_trip_phase"
DISTANCE = "sensor.family_car_distance_to_home"
ETA = "sensor.family_car_arrival_time"
SPEED = "sensor.family_car_speed"
DIRECTION = "sensor.family_car_direction_of_travel"
LAST_FIX = "sensor.family_car_last_position"
SENSORS = (PHASE, DISTANCE, ETA, SPEED, DIRECTION, LAST_FIX)
DRIVER = "sensor.family_car_driver"
"""Unknown without drivers; see test_drivers.py."""

pytestmark = [
    pytest.mark.platforms(Platform.SENSOR),
    pytest.mark.usefixtures("start_of_drive"),
]


def changes(values: Iterable[str]) -> list[str]:
    """Return the values without consecutive repeats."""
    result: list[str] = []
    for value in values:
        if not result or result[-1] != value:
            result.append(value)
    return result


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(snapshot_approach: SnapshotApproach) -> None:
    """Snapshot the sensors' registry entries and states during an approach."""
    await snapshot_approach(DRIVE.fixes)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_unknown_before_first_fix(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Show every sensor as unknown until the car reports a position."""
    assert {state(hass, entity_id) for entity_id in SENSORS} == {STATE_UNKNOWN}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_drive_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Follow a drive home: phases, shrinking distance, ETA, speed and direction."""
    steps = [
        {entity_id: state(hass, entity_id) for entity_id in SENSORS}
        async for _ in each_fix(hass, freezer, init_push, DRIVE.fixes)
    ]

    assert changes(step[PHASE] for step in steps) == [
        "away",
        "approaching",
        "arriving",
        "home",
    ]
    # Distance in kilometres, shrinking all the way to the zone.
    distance = hass.states.get(DISTANCE)
    assert distance is not None
    assert distance.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfLength.KILOMETERS
    driving = [float(step[DISTANCE]) for step in steps if step[PHASE] != "home"]
    assert driving[0] == pytest.approx(10.0, abs=0.05)
    assert driving == sorted(driving, reverse=True)
    assert float(steps[-1][DISTANCE]) < 0.1

    # The ETA is a time close to the true arrival while on the way, unknown otherwise.
    arrival = DRIVE.marks["arrive"]
    on_the_way = [step for step in steps if step[PHASE] in ("approaching", "arriving")]
    for step in on_the_way:
        eta = dt_util.parse_datetime(step[ETA])
        assert eta is not None
        assert abs(eta - arrival) < timedelta(minutes=1)
    assert {step[ETA] for step in steps if step[PHASE] == "home"} == {STATE_UNKNOWN}

    # Speed in km/h (15 m/s), direction towards home while on the way.
    speed = hass.states.get(SPEED)
    assert speed is not None
    assert speed.attributes[ATTR_UNIT_OF_MEASUREMENT] == (
        UnitOfSpeed.KILOMETERS_PER_HOUR
    )
    for step in on_the_way:
        assert float(step[SPEED]) == pytest.approx(54.0, abs=3.0)
        assert step[DIRECTION] == "towards"

    # Parked at home: stationary, slowing to a standstill.
    assert steps[-1][DIRECTION] == "stationary"
    assert float(steps[-1][SPEED]) < 1.0
    assert dt_util.parse_datetime(steps[-1][LAST_FIX]) == DRIVE.fixes[-1].timestamp


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_us_customary_units(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    home_zone: None,
    push_entry: MockConfigEntry,
) -> None:
    """Show distance in miles and speed in miles per hour in US customary units."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await add_car(hass, push_entry)

    await feed(hass, freezer, push_entry, DRIVE.fixes[:APPROACHING_AFTER])

    distance = hass.states.get(DISTANCE)
    speed = hass.states.get(SPEED)
    assert distance is not None
    assert speed is not None
    assert distance.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfLength.MILES
    assert float(distance.state) == pytest.approx(9.2 / 1.609344, abs=0.05)
    assert speed.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfSpeed.MILES_PER_HOUR
    assert float(speed.state) == pytest.approx(54.0 / 1.609344, abs=2.0)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_stale(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Without fixes for the stale timeout, fresh-only values go unknown until a fix."""
    await feed(hass, freezer, init_push, DRIVE.fixes[:APPROACHING_AFTER])
    before = {entity_id: state(hass, entity_id) for entity_id in SENSORS}
    assert STATE_UNKNOWN not in before.values()

    freezer.tick(STALE_AFTER)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    for entity_id in (ETA, SPEED, DIRECTION):
        assert state(hass, entity_id) == STATE_UNKNOWN
    for entity_id in (DISTANCE, LAST_FIX):
        assert state(hass, entity_id) == before[entity_id]

    # A new fix, stamped now, makes the data fresh again.
    fix = DRIVE.fixes[APPROACHING_AFTER]
    await update_location(hass, init_push, fix, stamped=False)
    await hass.async_block_till_done()

    assert state(hass, SPEED) != STATE_UNKNOWN
    assert state(hass, DIRECTION) != STATE_UNKNOWN
    assert dt_util.parse_datetime(state(hass, LAST_FIX)) == dt_util.utcnow()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_follows_source_availability(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_entity: MockConfigEntry,
) -> None:
    """Go unavailable with the tracked entity and come back when it reports again."""
    entity_ids = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            entity_registry, init_entity.entry_id
        )
    ]
    assert len(entity_ids) == len(SENSORS) + 1  # with the driver
    assert state(hass, DISTANCE) != STATE_UNAVAILABLE

    hass.states.async_set(TRACKER, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert {state(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}

    hass.states.async_set(TRACKER, "not_home", AWAY | {"gps_accuracy": 12})
    await hass.async_block_till_done()
    assert STATE_UNAVAILABLE not in {state(hass, entity_id) for entity_id in entity_ids}
    assert float(state(hass, DISTANCE)) == pytest.approx(5.56, abs=0.01)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_push: MockConfigEntry,
) -> None:
    """Put the sensors on the car's one device, named after their device."""
    devices = dr.async_entries_for_config_entry(device_registry, init_push.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.identifiers == {(DOMAIN, "WVWZZZ1JZXW000001")}
    assert device.name == "Family car"
    assert device.manufacturer == "Volkswagen"
    assert device.model == "Golf"
    assert device.serial_number == "WVWZZZ1JZXW000001"

    entities = er.async_entries_for_config_entry(entity_registry, init_push.entry_id)
    assert sorted(entity.entity_id for entity in entities) == sorted((*SENSORS, DRIVER))
    for entity in entities:
        assert entity.device_id == device.id
        assert entity.has_entity_name
        assert entity.unique_id.startswith("WVWZZZ1JZXW000001_")
    distance = hass.states.get(DISTANCE)
    assert distance is not None
    assert distance.name == "Family car Distance to home"


async def test_speed_is_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, init_push: MockConfigEntry
) -> None:
    """The speed sensor changes with every fix, so it starts disabled."""
    entry = entity_registry.async_get("sensor.family_car_speed")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.family_car_speed") is None

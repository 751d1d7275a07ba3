"""Helpers shared by the integration's tests: cars, drives, the clock and states."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    DOMAIN,
    MINOR_VERSION,
    SERVICE_UPDATE_LOCATION,
    SOURCE_ENTITY,
)
from custom_components.homecoming.diagnostics import async_get_config_entry_diagnostics
from custom_components.homecoming.engine import ApproachDetector, Fix, Phase, Settings
from devtools import sim

HOME_LAT = 52.37
HOME_LON = 4.89
TRACKER = "device_tracker.family_car"
"""The tracker the ``entity_entry`` fixture follows (not in the entity registry)."""
AWAY = {ATTR_LATITUDE: HOME_LAT + 0.05, ATTR_LONGITUDE: HOME_LON}
"""A tracker's position 5.56 km north of home (where ``init_entity`` finds the car)."""

HOME = sim.home_at(*sim.DEFAULT_HOME)
"""The home of the simulated drives."""
APPROACHING_AFTER = 12
"""The number of a straight approach's first fixes after which the car is approaching."""
STALE_AFTER = timedelta(minutes=16)
"""Comfortably past the default stale timeout of 15 minutes."""

type SnapshotCar = Callable[[MockConfigEntry], Awaitable[None]]
"""The ``snapshot_car`` fixture: snapshots a car's entities (of the test's platforms)."""
type SnapshotApproach = Callable[[Sequence[Fix]], Awaitable[None]]
"""The ``snapshot_approach`` fixture: snapshots the car's entities once a drive began."""

OPTIONAL_FIELDS = ("accuracy", "speed", "heading", "driver")
"""The fields of a fix that ``homecoming.update_location`` takes when they are known."""


def location_data(entry: MockConfigEntry, fix: Fix) -> dict[str, Any]:
    """Return the ``homecoming.update_location`` data that reports a fix for a car."""
    data: dict[str, Any] = {
        "config_entry_id": entry.entry_id,
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "timestamp": fix.timestamp.isoformat(),
    }
    for name in OPTIONAL_FIELDS:
        if (value := getattr(fix, name)) is not None:
            data[name] = value
    return data


async def update_location(
    hass: HomeAssistant, entry: MockConfigEntry, fix: Fix, *, stamped: bool = True
) -> None:
    """Report one fix of a car through ``homecoming.update_location``.

    Unless ``stamped``, leave out the fix's timestamp: the fix is then taken as of now.
    """
    data = location_data(entry, fix)
    if not stamped:
        del data["timestamp"]
    await hass.services.async_call(DOMAIN, SERVICE_UPDATE_LOCATION, data, blocking=True)


async def feed_cars(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    drives: Iterable[tuple[MockConfigEntry, Iterable[Fix]]],
) -> None:
    """Report the fixes of one or more cars in time order, the clock at each fix."""
    reports = sorted(
        ((fix, entry) for entry, fixes in drives for fix in fixes),
        key=lambda report: report[0].timestamp,
    )
    for fix, entry in reports:
        freezer.move_to(fix.timestamp)
        await update_location(hass, entry, fix)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def feed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    fixes: Iterable[Fix],
) -> None:
    """Report a car's fixes through the action, the clock at each fix."""
    await feed_cars(hass, freezer, [(entry, fixes)])


async def each_fix(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    fixes: Iterable[Fix],
) -> AsyncIterator[Fix]:
    """Report a car's fixes one at a time, yielding each once it has been handled."""
    for fix in fixes:
        await feed(hass, freezer, entry, [fix])
        yield fix


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass in ten-second steps (the coordinator's tick)."""
    for _ in range(math.ceil(seconds / 10)):
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def drive_home(
    start: datetime,
    distance_m: float = 5_000.0,
    *,
    speed: float = 15.0,
    interval: float = 10.0,
    park_s: float = 60.0,
    bearing: float = 30.0,
    driver: str | None = None,
) -> list[Fix]:
    """Return a drive straight home at ``speed``, then parked for ``park_s``."""
    drive = sim.Drive(start=start, interval=interval, driver=driver)
    drive.at(*sim.along(bearing, distance_m))
    return drive.drive_to(0.0, 0.0, speed).stop(park_s).fixes


def half_way(fixes: Sequence[Fix], count: int) -> ApproachDetector:
    """Return an engine that saw the first ``count`` fixes of a drive: approaching."""
    engine = ApproachDetector(HOME, Settings())
    for fix in fixes[:count]:
        engine.update(fix)
    assert engine.phase is Phase.APPROACHING
    return engine


def store_file(key: str, data: Any, version: int = 1) -> dict[str, Any]:
    """Wrap data the way a Store of this key and version writes it (for hass_storage)."""
    return {"version": version, "minor_version": 1, "key": key, "data": data}


def stored(engine: ApproachDetector) -> dict[str, Any]:
    """Wrap an engine's state the way the Store writes it."""
    return store_file(DOMAIN, {"engine": engine.as_dict()})


def entity_car(
    *,
    tracked: str = TRACKER,
    home_zone: str = "zone.home",
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Return a car that follows a tracker (by default the ``entity_entry`` car)."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
        title="Family car",
        unique_id=tracked,
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: tracked,
            CONF_HOME_ZONE: home_zone,
        },
        options=options or {},
        entry_id="01HOMECOMINGENTITY",
    )


def push_car(
    entry: MockConfigEntry,
    *,
    options: dict[str, Any] | None = None,
    drivers: Iterable[dict[str, Any]] = (),
) -> MockConfigEntry:
    """Return a copy of a push car with these options and driver subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=options or {},
        entry_id=entry.entry_id,
        subentries_data=list(drivers),
        minor_version=entry.minor_version,
    )


async def add_car(
    hass: HomeAssistant, entry: MockConfigEntry, *, webhook: bool = False
) -> MockConfigEntry:
    """Add a car and set it up (with the webhook component first, if asked)."""
    if webhook:
        assert await async_setup_component(hass, "webhook", {})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def automate_device_triggers(
    hass: HomeAssistant,
    device_id: str,
    types: Iterable[str],
    data: dict[str, str],
) -> None:
    """Set up an automation with a device trigger of a car per type (its ``id`` too).

    Each run calls ``test.automation`` (mock it) with ``data``, a template of the trigger.
    """
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "alias": "Car trips",
                "triggers": [
                    {
                        "trigger": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        "type": event_type,
                        "id": event_type,
                    }
                    for event_type in types
                ],
                "actions": {"action": "test.automation", "data": data},
            }
        },
    )
    await hass.async_block_till_done()


async def switch_input_boolean(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    """Turn an ``input_boolean`` (a stand-in signal) on or off, and let it settle."""
    await hass.services.async_call(
        "input_boolean",
        "turn_on" if on else "turn_off",
        {"entity_id": entity_id},
        blocking=True,
    )
    await hass.async_block_till_done()


async def setup_bluetooth_stand_in(
    hass: HomeAssistant,
    switches: Iterable[str],
    name: str,
    state_template: str,
    attributes: dict[str, str],
) -> None:
    """Set up stand-ins for a phone's in-car signals.

    ``input_boolean`` ``switches`` (object ids) and a template sensor ``name`` in the
    shape of the Companion app's Bluetooth connection sensor.
    """
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {object_id: {} for object_id in switches}},
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "sensor": [
                        {
                            "name": name,
                            "state": state_template,
                            "unit_of_measurement": "connection(s)",
                            "attributes": attributes,
                        }
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()


def car_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the device of a car."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1
    return devices[0]


def assert_on_car_device(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_id: str,
    *,
    unique_id: str,
    name: str,
) -> None:
    """Assert that an entity is on the car's device, with this unique id and name."""
    entity = er.async_get(hass).async_get(entity_id)
    assert entity is not None
    assert entity.unique_id == unique_id
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id), entry.entry_id
    )
    assert device is not None
    assert entity.device_id == device.id
    assert entity_state(hass, entity_id).name == name


def car_entity(
    hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str
) -> str:
    """Return the entity id of one of a car's entities, by platform and key."""
    entity_id = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.unique_id}_{key}"
    )
    assert entity_id is not None
    return entity_id


def phase_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the state of a car's trip phase sensor."""
    return state(hass, car_entity(hass, entry, "sensor", "phase"))


def sensor_state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """Return the state of one of a car's sensors (``distance``, ``driver``, ...)."""
    return state(hass, car_entity(hass, entry, "sensor", key))


def distance(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Return a car's distance to home in metres, from its distance sensor (in km)."""
    return float(sensor_state(hass, entry, "distance")) * 1000


async def diagnostics(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return a car's diagnostics, as Download diagnostics gives them."""
    return await async_get_config_entry_diagnostics(hass, entry)


async def last_fix(hass: HomeAssistant, entry: MockConfigEntry) -> datetime | None:
    """Return the time of a car's last fix, to the microsecond, from its diagnostics.

    (The last fix sensor shows it to the second only.)
    """
    moment = (await diagnostics(hass, entry))["car"]["last_fix"]
    return None if moment is None else dt_util.parse_datetime(moment)


def silent(hass: HomeAssistant, entry: MockConfigEntry) -> bool:
    """Return whether a car's position is stale, as its device tracker says."""
    return tracker(hass, entry).attributes["silent"]


def car_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return the state and attributes of each of a car's entities, by entity id."""
    return {
        registered.entity_id: (
            (current := entity_state(hass, registered.entity_id)).state,
            dict(current.attributes),
        )
        for registered in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if hass.states.get(registered.entity_id) is not None
    }


def tracker(hass: HomeAssistant, entry: MockConfigEntry) -> State:
    """Return the state object of a car's device tracker."""
    return entity_state(hass, car_entity(hass, entry, "device_tracker", "location"))


def position(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[Any, Any]:
    """Return a car's latitude and longitude as its device tracker shows them."""
    attributes = tracker(hass, entry).attributes
    return attributes.get("latitude"), attributes.get("longitude")


async def stats(hass: HomeAssistant, entry: MockConfigEntry) -> Counter[str]:
    """Return a car's counters as its diagnostics show them (a missing one is 0)."""
    return Counter((await diagnostics(hass, entry))["stats"])


async def call(hass: HomeAssistant, service: str, **data: Any) -> None:
    """Call one of the integration's actions and wait for it."""
    await hass.services.async_call(DOMAIN, service, data, blocking=True)
    await hass.async_block_till_done()


def entity_state(hass: HomeAssistant, entity_id: str) -> State:
    """Return an entity's state object, failing if it has none."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, failing if it has none."""
    return entity_state(hass, entity_id).state


async def report_phone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fix: Fix
) -> None:
    """Report a phone position on ``TRACKER`` as the Companion app does."""
    freezer.move_to(fix.timestamp)
    hass.states.async_set(
        TRACKER,
        "not_home",
        {
            "latitude": fix.latitude,
            "longitude": fix.longitude,
            "gps_accuracy": 10,
            "source_type": "gps",
        },
    )
    await hass.async_block_till_done()

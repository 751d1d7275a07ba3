"""Tests of the homecoming.update_location action."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import DOMAIN, SERVICE_UPDATE_LOCATION
from tests.common import (
    HOME_LAT,
    HOME_LON,
    TRACKER,
    add_car,
    diagnostics,
    last_fix,
    phase_state,
    position,
    sensor_state,
    stats,
    tracker,
)


async def update_location(hass: HomeAssistant, **data: Any) -> None:
    """Call the action and wait for it."""
    await hass.services.async_call(DOMAIN, SERVICE_UPDATE_LOCATION, data, blocking=True)


def car_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the device of a car."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1
    return devices[0]


async def test_by_config_entry_id(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Feed a full fix to the car the entry id names."""
    now = dt_util.utcnow()
    await update_location(
        hass,
        config_entry_id=init_push.entry_id,
        latitude=52.4,
        longitude=4.9,
        accuracy=12,
        speed=10,
        heading=200,
        ignition=True,
        driver="anna",
        travel_time=300,
        timestamp=(now - timedelta(seconds=5)).isoformat(),
    )
    assert position(hass, init_push) == (52.4, 4.9)
    assert tracker(hass, init_push).attributes["gps_accuracy"] == 12
    # Not one of the car's drivers: no name to show, but the report carried a driver.
    assert sensor_state(hass, init_push, "driver") == STATE_UNKNOWN
    assert (await diagnostics(hass, init_push))["car"]["driver_known"]
    assert await last_fix(hass, init_push) == now - timedelta(seconds=5)


async def test_by_device_id(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Feed a fix to the car of a device; the time defaults to now."""
    device = car_device(hass, init_push)
    await update_location(hass, device_id=device.id, latitude="52.41", longitude=4.9)
    assert position(hass, init_push)[0] == 52.41
    assert await last_fix(hass, init_push) == dt_util.utcnow()


async def test_naive_timestamp_is_local_time(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Take a timestamp without a time zone as Home Assistant's local time."""
    local = dt_util.now().replace(microsecond=0) - timedelta(seconds=30)
    naive = local.replace(tzinfo=None)
    await update_location(
        hass,
        config_entry_id=init_push.entry_id,
        latitude=52.4,
        longitude=4.9,
        timestamp=naive.isoformat(),
    )
    assert await last_fix(hass, init_push) == local
    assert isinstance(naive, datetime)


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ({"config_entry_id": "no_such_entry"}, "car_not_found"),
        ({"device_id": "no_such_device"}, "car_not_found"),
    ],
)
async def test_unknown_car(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    target: dict[str, str],
    key: str,
) -> None:
    """Refuse an entry or device that does not exist, with a translated error."""
    with pytest.raises(ServiceValidationError) as err:
        await update_location(hass, latitude=52.4, longitude=4.9, **target)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key


async def test_entry_of_another_integration(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse an entry that is not a Homecoming car."""
    other = MockConfigEntry(domain="other_car_maker")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await update_location(
            hass, config_entry_id=other.entry_id, latitude=52.4, longitude=4.9
        )
    assert err.value.translation_key == "car_not_found"
    assert err.value.translation_placeholders == {"car": other.entry_id}


async def test_device_that_is_not_a_car(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse a device of another integration."""
    other = MockConfigEntry(domain="other_car_maker")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other_car_maker", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await update_location(hass, device_id=device.id, latitude=52.4, longitude=4.9)
    assert err.value.translation_key == "car_not_found"
    assert err.value.translation_placeholders == {"car": device.id}


async def test_unloaded_car(hass: HomeAssistant, init_push: MockConfigEntry) -> None:
    """Refuse a car whose entry is not loaded."""
    device = car_device(hass, init_push)
    assert await hass.config_entries.async_unload(init_push.entry_id)
    for target in ({"config_entry_id": init_push.entry_id}, {"device_id": device.id}):
        with pytest.raises(ServiceValidationError) as err:
            await update_location(hass, latitude=52.4, longitude=4.9, **target)
        assert err.value.translation_key == "car_not_loaded"
        assert err.value.translation_placeholders == {"car": "Family car"}


@pytest.mark.parametrize("by", ["config_entry_id", "device_id"])
async def test_car_that_follows_an_entity_is_refused(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    by: str,
) -> None:
    """Refuse to move a car that follows an entity: its position is the entity's.

    A fix from the action would move it only until the entity's next report. The error
    is translated and names the car and the entity; nothing changes.
    """
    hass.states.async_set(
        TRACKER, "not_home", {"latitude": HOME_LAT + 0.05, "longitude": HOME_LON}
    )
    await add_car(hass, entity_entry)
    before = await diagnostics(hass, entity_entry)
    target = (
        entity_entry.entry_id
        if by == "config_entry_id"
        else car_device(hass, entity_entry).id
    )

    with pytest.raises(ServiceValidationError) as err:
        await update_location(hass, latitude=52.4, longitude=4.9, **{by: target})

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "car_follows_entity"
    assert err.value.translation_placeholders == {
        "car": "Family car",
        "entity": TRACKER,
    }
    assert str(err.value).startswith(
        f"Family car follows {TRACKER}: its position comes from that entity"
    )
    assert await diagnostics(hass, entity_entry) == before


@pytest.mark.parametrize(
    ("fields", "field", "low", "high"),
    [
        ({"latitude": 90.001}, "latitude", "-90", "90"),
        ({"latitude": -95}, "latitude", "-90", "90"),
        ({"latitude": float("nan")}, "latitude", "-90", "90"),
        ({"longitude": -180.5}, "longitude", "-180", "180"),
        ({"longitude": "1e999"}, "longitude", "-180", "180"),
        ({"accuracy": -5}, "accuracy", "0", "100000"),
        ({"accuracy": 100_001}, "accuracy", "0", "100000"),
        ({"speed": float("inf")}, "speed", "0", "150"),
        ({"speed": 150.5}, "speed", "0", "150"),
        ({"speed": -1}, "speed", "0", "150"),
        ({"heading": 360.5}, "heading", "0", "360"),
        ({"heading": -1}, "heading", "0", "360"),
        ({"travel_time": 1e12}, "travel_time", "0", "86400"),
        ({"travel_time": -60}, "travel_time", "0", "86400"),
        (
            {"timestamp": "9999-12-31T23:59:59"},
            "timestamp",
            "2000-01-01T00:00:00+00:00",
            "2099-12-31T23:59:59+00:00",
        ),
        (
            {"timestamp": "2100-01-01T00:00:00+00:00"},
            "timestamp",
            "2000-01-01T00:00:00+00:00",
            "2099-12-31T23:59:59+00:00",
        ),
        (
            {"timestamp": "1999-12-31T23:59:59Z"},
            "timestamp",
            "2000-01-01T00:00:00+00:00",
            "2099-12-31T23:59:59+00:00",
        ),
        (
            {"timestamp": "0001-01-01T00:00:00"},
            "timestamp",
            "2000-01-01T00:00:00+00:00",
            "2099-12-31T23:59:59+00:00",
        ),
    ],
    ids=[
        "latitude",
        "latitude-low",
        "latitude-nan",
        "longitude",
        "longitude-inf",
        "accuracy-negative",
        "accuracy",
        "speed-inf",
        "speed",
        "speed-negative",
        "heading",
        "heading-negative",
        "travel_time",
        "travel_time-negative",
        "timestamp-year-9999",
        "timestamp-2100",
        "timestamp-1999",
        "timestamp-year-1",
    ],
)
async def test_value_out_of_range(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    fields: dict[str, Any],
    field: str,
    low: str,
    high: str,
) -> None:
    """Refuse a value outside its range with a translated error naming it; no change."""
    data = {"latitude": 52.4, "longitude": 4.9, **fields}
    with pytest.raises(ServiceValidationError) as err:
        await update_location(hass, config_entry_id=init_push.entry_id, **data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "out_of_range"
    placeholders = err.value.translation_placeholders
    assert placeholders is not None
    assert (placeholders["field"], placeholders["min"], placeholders["max"]) == (
        field,
        low,
        high,
    )
    assert placeholders["value"]
    assert phase_state(hass, init_push) == STATE_UNKNOWN
    assert await stats(hass, init_push) == {}


async def test_out_of_range_message_is_translated(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Home Assistant shows the action's error in words, with the field and its range."""
    with pytest.raises(ServiceValidationError) as err:
        await update_location(
            hass,
            config_entry_id=init_push.entry_id,
            latitude=52.4,
            longitude=4.9,
            speed=200,
        )
    assert str(err.value).startswith(
        "speed must be from 0 to 150; 200.0 is outside that range"
    )


async def test_values_at_the_limits(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Accept every field at both ends of its range."""
    now = dt_util.utcnow()
    for extreme in (
        {"latitude": -90, "longitude": -180, "accuracy": 0, "speed": 0, "heading": 0},
        {
            "latitude": 90,
            "longitude": 180,
            "accuracy": 100_000,
            "speed": 150,
            "heading": 360,
            "travel_time": 86_400,
        },
        {"latitude": 52.4, "longitude": 4.9, "travel_time": 0},
    ):
        now += timedelta(minutes=1)
        freezer.move_to(now)
        await update_location(hass, config_entry_id=init_push.entry_id, **extreme)
    for timestamp in ("2000-01-01T00:00:00Z", "2099-12-31T23:59:59Z"):
        await update_location(
            hass,
            config_entry_id=init_push.entry_id,
            latitude=52.4,
            longitude=4.9,
            timestamp=timestamp,
        )
    # Each reached the car (used or not); the one from 2099 was taken as current.
    counters = await stats(hass, init_push)
    assert counters["clock_ahead"] == 1
    assert sum(counters.values()) - counters["clock_ahead"] == 5


async def test_invalid_location(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse what the engine refuses beyond the ranges (a driver id too long)."""
    with pytest.raises(ServiceValidationError) as err:
        await update_location(
            hass,
            config_entry_id=init_push.entry_id,
            latitude=52.4,
            longitude=4.9,
            driver="x" * 256,
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_location"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["reason"]
    assert phase_state(hass, init_push) == STATE_UNKNOWN


@pytest.mark.parametrize(
    "data",
    [
        {"latitude": 52.4},
        {"longitude": 4.9},
        {"latitude": "north", "longitude": 4.9},
        {"latitude": 52.4, "longitude": 4.9, "timestamp": "yesterday"},
        {"latitude": 52.4, "longitude": 4.9, "colour": "red"},
    ],
    ids=["no-longitude", "no-latitude", "not-a-number", "bad-time", "extra"],
)
async def test_schema_errors(
    hass: HomeAssistant, init_push: MockConfigEntry, data: dict[str, Any]
) -> None:
    """Refuse malformed data before it reaches the car."""
    with pytest.raises(probatio.Invalid):
        await update_location(hass, config_entry_id=init_push.entry_id, **data)


async def test_target_needed_exactly_once(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Require one target: the entry or the device, not both, not neither."""
    device = car_device(hass, init_push)
    with pytest.raises(probatio.Invalid):
        await update_location(hass, latitude=52.4, longitude=4.9)
    with pytest.raises(probatio.Invalid):
        await update_location(
            hass,
            config_entry_id=init_push.entry_id,
            device_id=device.id,
            latitude=52.4,
            longitude=4.9,
        )

"""Tests of the homecoming.update_location action."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import DOMAIN, SERVICE_UPDATE_LOCATION


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
    snapshot = init_push.runtime_data.data.snapshot
    assert snapshot.latitude == 52.4
    assert snapshot.longitude == 4.9
    assert snapshot.accuracy == 12
    assert snapshot.driver == "anna"
    assert snapshot.last_fix == now - timedelta(seconds=5)


async def test_by_device_id(
    hass: HomeAssistant, init_push: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Feed a fix to the car of a device; the time defaults to now."""
    device = car_device(hass, init_push)
    await update_location(hass, device_id=device.id, latitude="52.41", longitude=4.9)
    snapshot = init_push.runtime_data.data.snapshot
    assert snapshot.latitude == 52.41
    assert snapshot.last_fix == dt_util.utcnow()


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
    assert init_push.runtime_data.data.snapshot.last_fix == local
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


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": 95, "longitude": 4.9},
        {"latitude": 52.4, "longitude": -181},
        {"latitude": float("nan"), "longitude": 4.9},
        {"latitude": 52.4, "longitude": 4.9, "accuracy": -5},
        {"latitude": 52.4, "longitude": 4.9, "speed": float("inf")},
    ],
    ids=["latitude", "longitude", "nan", "accuracy", "speed"],
)
async def test_invalid_location(
    hass: HomeAssistant, init_push: MockConfigEntry, fields: dict[str, Any]
) -> None:
    """Refuse an impossible position with a translated error; change nothing."""
    with pytest.raises(ServiceValidationError) as err:
        await update_location(hass, config_entry_id=init_push.entry_id, **fields)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_location"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["reason"]
    assert init_push.runtime_data.data.snapshot.phase is None


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

"""Tests of setting up, unloading and removing a car."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    DOMAIN,
    EVENT_HOMECOMING,
    SERVICE_UPDATE_LOCATION,
)
from custom_components.homecoming.engine import ApproachDetector, Phase, Settings
from devtools import sim
from tests.common import (
    add_car,
    car_device,
    diagnostics,
    feed,
    phase_state,
    silent,
    store_file,
    stored,
    tracker,
)


def _store_key(entry: MockConfigEntry) -> str:
    """Return the storage key of a car's saved state."""
    return f"{DOMAIN}.{entry.entry_id}"


def car_at_home(zone: str) -> MockConfigEntry:
    """Return a push car whose home is ``zone``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id="car",
        data={"source": "push", CONF_HOME_ZONE: zone},
    )


def of_version(
    push_entry: MockConfigEntry, unique_id: str, **fields: Any
) -> MockConfigEntry:
    """Return another car with the push car's data, of an entry version (``fields``)."""
    return MockConfigEntry(
        domain=push_entry.domain,
        data=dict(push_entry.data),
        unique_id=unique_id,
        **fields,
    )


async def test_setup_registers_the_car(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Load the entry: one device for the car, its entities, the action."""
    assert init_push.state is ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "WVWZZZ1JZXW000001"), init_push.entry_id
    )
    assert device is not None
    assert car_device(hass, init_push) == device
    assert device.name == "Family car"
    assert device.manufacturer == "Volkswagen"
    assert device.model == "Golf"
    assert device.serial_number == "WVWZZZ1JZXW000001"
    entities = er.async_entries_for_config_entry(er.async_get(hass), init_push.entry_id)
    assert entities
    assert hass.services.has_service(DOMAIN, SERVICE_UPDATE_LOCATION)
    assert phase_state(hass, init_push) == STATE_UNKNOWN
    assert silent(hass, init_push)
    assert tracker(hass, init_push).state != STATE_UNAVAILABLE


async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Unload: no clock, no zone listener, no bus listener; the state written once more."""
    coordinator = init_push.runtime_data.coordinator
    scenario = sim.straight_approach()
    freezer.move_to(scenario.fixes[20].timestamp)
    await feed(hass, freezer, init_push, scenario.fixes[:20])
    assert coordinator.data.snapshot.phase is Phase.APPROACHING
    # The event entity hears the coordinator, not the bus.
    assert hass.bus.async_listeners().get(EVENT_HOMECOMING, 0) == 0
    home = coordinator.engine.home

    assert await hass.config_entries.async_unload(init_push.entry_id)
    await hass.async_block_till_done()
    assert init_push.state is ConfigEntryState.NOT_LOADED
    assert hass.bus.async_listeners().get(EVENT_HOMECOMING, 0) == 0
    saved = hass_storage[_store_key(init_push)]["data"]["engine"]
    assert saved["phase"] == Phase.APPROACHING

    # Left alone, the clock would cancel the approach: nothing runs any more.
    events = async_capture_events(hass, EVENT_HOMECOMING)
    hass_storage.pop(_store_key(init_push))
    freezer.tick(timedelta(hours=2))
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done()
    # Nor does anything follow the home zone.
    await hass.config.async_update(latitude=52.0, longitude=5.0)
    await hass.async_block_till_done()
    zone = hass.states.get("zone.home")
    assert zone is not None
    assert zone.attributes["latitude"] == 52.0
    assert events == []
    assert coordinator.engine.phase is Phase.APPROACHING
    assert coordinator.engine.home == home
    assert _store_key(init_push) not in hass_storage


async def test_remove_entry_forgets_the_car(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Remove the entry: its saved state and its repair issue go with it."""
    hass.states.async_set(
        "device_tracker.family_car",
        "not_home",
        {"latitude": 52.4, "longitude": 4.9, "gps_accuracy": 10},
    )
    await add_car(hass, entity_entry)
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _store_key(entity_entry) in hass_storage
    issues = ir.async_get(hass)
    issue_id = f"source_removed_{entity_entry.entry_id}"
    hass.states.async_remove("device_tracker.family_car")
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is not None

    assert await hass.config_entries.async_remove(entity_entry.entry_id)
    await hass.async_block_till_done()
    assert _store_key(entity_entry) not in hass_storage
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_missing_home_zone_is_a_setup_error(
    hass: HomeAssistant,
    home_zone: None,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A home zone that does not exist stops the setup with a translated error.

    The saved state of the car is left as it was, for when the zone is back.
    """
    entry = car_at_home("zone.nowhere")
    engine = ApproachDetector(sim.home_at(*sim.DEFAULT_HOME), Settings())
    engine.update(sim.straight_approach().fixes[0])
    hass_storage[_store_key(entry)] = saved = stored(engine)
    entry.add_to_hass(hass)
    with caplog.at_level(logging.ERROR):
        assert not await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "home_zone_missing"
    assert entry.error_reason_translation_placeholders == {"zone": "zone.nowhere"}
    assert hass_storage[_store_key(entry)] == saved
    assert "AttributeError" not in caplog.text


async def test_home_zone_without_position_is_a_setup_error(
    hass: HomeAssistant, home_zone: None
) -> None:
    """A home zone whose state has no coordinates cannot be measured against."""
    hass.states.async_set("zone.broken", "0", {"radius": 100})
    entry = car_at_home("zone.broken")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "home_zone_missing"


async def test_remove_entry_forgets_the_unusable_state_issue(
    hass: HomeAssistant,
    home_zone: None,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Remove a car that started afresh: its saved_state_unusable issue goes with it."""
    hass_storage[_store_key(push_entry)] = store_file(
        _store_key(push_entry), {"engine": {"version": 99}}
    )
    await add_car(hass, push_entry)
    issues = ir.async_get(hass)
    issue_id = f"saved_state_unusable_{push_entry.entry_id}"
    assert issues.async_get_issue(DOMAIN, issue_id) is not None

    assert await hass.config_entries.async_remove(push_entry.entry_id)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert _store_key(push_entry) not in hass_storage


async def test_options_of_minor_version_1_are_migrated(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> None:
    """1.1 → 1.2: the option stale_timeout is now silence_timeout."""
    entry = await add_car(
        hass,
        of_version(
            push_entry,
            "OLDER",
            options={"stale_timeout": 30, "reach_km": 12},
            minor_version=1,
        ),
    )
    assert entry.minor_version == 2
    assert entry.options == {"silence_timeout": 30, "reach_km": 12}
    settings = (await diagnostics(hass, entry))["settings"]
    assert settings["silence_timeout_s"] == 30 * 60


async def test_an_entry_of_a_newer_major_version_is_not_loaded(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> None:
    """A version this code does not know: a migration error, nothing half-loaded."""
    entry = of_version(push_entry, "NEWER", version=2)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR

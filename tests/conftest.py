"""Fixtures shared by the integration's tests."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_MAKE,
    CONF_MODEL,
    CONF_SECRET,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    CONF_VIN,
    DOMAIN,
    SOURCE_ENTITY,
    SOURCE_PUSH,
)

HOME_LAT = 52.37
HOME_LON = 4.89
TRACKER = "device_tracker.family_car"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/homecoming."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize as Home Assistant does, into ``tests/snapshots``."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
async def home_zone(hass: HomeAssistant) -> None:
    """Put zone.home in Amsterdam with a 100 m radius."""
    hass.config.latitude = HOME_LAT
    hass.config.longitude = HOME_LON
    hass.config.radius = 100
    assert await async_setup_component(hass, "zone", {})
    await hass.async_block_till_done()


@pytest.fixture
def push_entry() -> MockConfigEntry:
    """Return a car that receives pushes."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id="WVWZZZ1JZXW000001",
        data={
            CONF_SOURCE: SOURCE_PUSH,
            CONF_MAKE: "Volkswagen",
            CONF_MODEL: "Golf",
            CONF_VIN: "WVWZZZ1JZXW000001",
            CONF_WEBHOOK_ID: "0123456789abcdef" * 4,
            CONF_SECRET: "",
            CONF_HOME_ZONE: "zone.home",
        },
        entry_id="01HOMECOMINGPUSH",
    )


@pytest.fixture
def entity_entry() -> MockConfigEntry:
    """Return a car that follows a device tracker."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id=TRACKER,
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: TRACKER,
            CONF_HOME_ZONE: "zone.home",
        },
        entry_id="01HOMECOMINGENTITY",
    )


@pytest.fixture
async def init_push(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the push car."""
    assert await async_setup_component(hass, "webhook", {})
    push_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()
    return push_entry

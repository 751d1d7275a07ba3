"""Fixtures shared by the integration's tests."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, settings as hsettings
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
    MINOR_VERSION,
    SOURCE_ENTITY,
    SOURCE_PUSH,
)
from devtools import sim
from tests.common import HOME_LAT, HOME_LON, TRACKER, add_car

pytest_plugins = ["tests.translation_check"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``platforms`` marker."""
    config.addinivalue_line(
        "markers", "platforms(*platforms): set up only these platforms of a car"
    )


@pytest.fixture(autouse=True)
def only_platforms(request: pytest.FixtureRequest) -> Generator[None]:
    """Set up only the platforms of the ``platforms`` marker, if a test has one."""
    marker = request.node.get_closest_marker("platforms")
    if marker is None:
        yield
        return
    with patch("custom_components.homecoming.PLATFORMS", list(marker.args)):
        yield


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
def start_of_drive(freezer: FrozenDateTimeFactory) -> None:
    """Freeze the clock at the start of the simulated drives, before anything is set up."""
    freezer.move_to(sim.DEFAULT_START)


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
        minor_version=MINOR_VERSION,
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
def other_entry() -> MockConfigEntry:
    """Return a second push car, with neither make, model nor VIN."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
        title="Other car",
        unique_id="other_car",
        data={
            CONF_SOURCE: SOURCE_PUSH,
            CONF_HOME_ZONE: "zone.home",
            CONF_WEBHOOK_ID: "fedcba9876543210" * 4,
        },
        entry_id="01HOMECOMINGOTHER",
    )


@pytest.fixture
def entity_entry() -> MockConfigEntry:
    """Return a car that follows a device tracker."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
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
    return await add_car(hass, push_entry, webhook=True)


# Hypothesis: the examples, not the machine's load, decide a test. On a busy 2-core CI
# machine input generation can be slow; no per-example deadline either.
hsettings.register_profile(
    "homecoming", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hsettings.load_profile("homecoming")

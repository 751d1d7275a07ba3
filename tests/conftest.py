"""Fixtures shared by the integration's tests."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_GPS_ACCURACY, CONF_WEBHOOK_ID, STATE_NOT_HOME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, settings as hsettings
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_MAKE,
    CONF_MODEL,
    CONF_SECRET,
    CONF_SOURCE,
    CONF_VIN,
    DOMAIN,
    MINOR_VERSION,
    SOURCE_PUSH,
)
from custom_components.homecoming.engine import Fix
from devtools import sim
from tests.common import (
    APPROACHING_AFTER,
    AWAY,
    HOME_LAT,
    HOME_LON,
    TRACKER,
    SnapshotApproach,
    SnapshotCar,
    add_car,
    entity_car,
    feed,
)
from tests.routine_home import set_up_car as set_up_routine_car
from tests.sources.webhook_http import SECRET, ClientFactory, setup_car

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


def _push_car(
    title: str, unique_id: str, entry_id: str, data: dict[str, Any]
) -> MockConfigEntry:
    """Return a push car at zone.home with more data (its webhook id, ...)."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
        title=title,
        unique_id=unique_id,
        data={CONF_SOURCE: SOURCE_PUSH, CONF_HOME_ZONE: "zone.home", **data},
        entry_id=entry_id,
    )


@pytest.fixture
def push_entry() -> MockConfigEntry:
    """Return a car that receives pushes."""
    return _push_car(
        "Family car",
        "WVWZZZ1JZXW000001",
        "01HOMECOMINGPUSH",
        {
            CONF_MAKE: "Volkswagen",
            CONF_MODEL: "Golf",
            CONF_VIN: "WVWZZZ1JZXW000001",
            CONF_WEBHOOK_ID: "0123456789abcdef" * 4,
            CONF_SECRET: "",
        },
    )


@pytest.fixture
def other_entry() -> MockConfigEntry:
    """Return a second push car, with neither make, model nor VIN."""
    return _push_car(
        "Other car",
        "other_car",
        "01HOMECOMINGOTHER",
        {CONF_WEBHOOK_ID: "fedcba9876543210" * 4},
    )


@pytest.fixture
def entity_entry() -> MockConfigEntry:
    """Return a car that follows a device tracker."""
    return entity_car()


@pytest.fixture
async def init_push(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the push car."""
    return await add_car(hass, push_entry, webhook=True)


@pytest.fixture
async def init_entity(
    hass: HomeAssistant, home_zone: None, entity_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the car that follows ``TRACKER``, the tracker away (at ``AWAY``, ±10 m)."""
    hass.states.async_set(TRACKER, STATE_NOT_HOME, AWAY | {ATTR_GPS_ACCURACY: 10})
    return await add_car(hass, entity_entry)


@pytest.fixture
def snapshot_car(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> SnapshotCar:
    """Return a check: a car's registry entries and states match the test's snapshot.

    Only the entities of the platforms the test sets up (its ``platforms`` marker).
    """

    async def check(entry: MockConfigEntry) -> None:
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)

    return check


@pytest.fixture
def snapshot_approach(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    snapshot_car: SnapshotCar,
    init_push: MockConfigEntry,
) -> SnapshotApproach:
    """Return a check: the push car's entities, snapshotted once a drive's approach began.

    The check feeds the drive's first ``APPROACHING_AFTER`` fixes, then snapshots.
    """

    async def check(fixes: Sequence[Fix]) -> None:
        await feed(hass, freezer, init_push, fixes[:APPROACHING_AFTER])
        await snapshot_car(init_push)

    return check


@pytest.fixture
async def open_client(
    hass: HomeAssistant,
    home_zone: None,
    hass_client_no_auth: ClientFactory,
) -> TestClient[Any, Any]:
    """Return an HTTP client of Home Assistant with the webhook car, without a secret."""
    await setup_car(hass)
    return await hass_client_no_auth()


@pytest.fixture
async def secret_client(
    hass: HomeAssistant,
    home_zone: None,
    hass_client_no_auth: ClientFactory,
) -> TestClient[Any, Any]:
    """Return an HTTP client of Home Assistant with the webhook car, with a secret."""
    await setup_car(hass, SECRET)
    return await hass_client_no_auth()


@pytest.fixture
def routine_options() -> dict[str, Any] | None:
    """Return the routines of ``routine_car`` (None: ``routine_home.OPTIONS``)."""
    return None


@pytest.fixture
async def routine_car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    home_zone: None,
    push_entry: MockConfigEntry,
    routine_options: dict[str, Any] | None,
) -> MockConfigEntry:
    """Set up the push car with routines in the routine home, at the drive's start."""
    return await set_up_routine_car(hass, freezer, push_entry, routine_options)


# Hypothesis: the examples, not the machine's load, decide a test. On a busy 2-core CI
# machine input generation can be slow; no per-example deadline either.
hsettings.register_profile(
    "homecoming", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hsettings.load_profile("homecoming")

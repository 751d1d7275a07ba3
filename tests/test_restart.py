"""A restart fires nothing, also when the followed entity comes up late.

Cloud car integrations and ``mobile_app`` finish setting up after Homecoming: the followed
tracker has no state yet, or the entity registry's restored ``unavailable``, when the car is
set up. Whatever the tracker reports first is applied silently, however late; what follows
is live and fires as usual. Everything here goes through the real entry set-up, state
writes, the bus, device triggers and the car's routines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import CoreState, HomeAssistant, ServiceCall, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
    mock_restore_cache,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.homecoming.const import (
    DOMAIN,
    EVENT_HOMECOMING,
    EVENT_ROUTINE,
    EVENT_TYPES,
)
from custom_components.homecoming.engine import ApproachDetector, Fix, Phase, Settings
from devtools import sim
from tests.common import (
    HOME,
    STALE_AFTER,
    TRACKER,
    add_car,
    automate_device_triggers,
    car_device,
    diagnostics,
    entity_car,
    entity_state,
    last_fix,
    phase_state,
    state,
    stats,
    stored,
    tick,
    tracker,
)
from tests.routine_home import LIVING, OPTIONS, PORCH, set_up_home

DRIVE = sim.Drive(interval=10.0).at(*sim.along(30.0, 10_000.0))
DRIVE.drive_to(0.0, 0.0, 15.0).stop(120.0)
FIXES = DRIVE.fixes
"""10 km straight home at 54 km/h, a fix every 10 s, then two minutes parked."""
ON_THE_WAY = 40
"""Fixes of the drive seen before Home Assistant went down: about 4 km from home."""
DOWN = timedelta(minutes=5)
"""How long Home Assistant was down; the car arrived home meanwhile."""


def gps(fix: Fix, **extra: Any) -> dict[str, Any]:
    """Return a GPS tracker's attributes for a fix."""
    return {
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "gps_accuracy": fix.accuracy,
        "source_type": "gps",
        **extra,
    }


def at_home() -> dict[str, Any]:
    """Return a GPS tracker's attributes at home."""
    return gps(FIXES[-1])


def car() -> MockConfigEntry:
    """Return the car that follows ``TRACKER``, with the routines of ``OPTIONS``."""
    return entity_car(options=OPTIONS)


def seen(fixes: Iterable[Fix]) -> ApproachDetector:
    """Return an engine that saw these fixes."""
    engine = ApproachDetector(HOME, Settings())
    for fix in fixes:
        engine.update(fix)
    return engine


class Home:
    """What a restart must not touch: the bus, device triggers and routines."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start recording."""
        self.hass = hass
        self.events = async_capture_events(hass, EVENT_HOMECOMING)
        self.routines = async_capture_events(hass, EVENT_ROUTINE)
        self.calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")

    async def add_car(self) -> MockConfigEntry:
        """Set up the car, and an automation with every device trigger of it."""
        entry = await add_car(self.hass, car())
        await automate_device_triggers(
            self.hass,
            car_device(self.hass, entry).id,
            EVENT_TYPES,
            {"type": "{{ trigger.event.data.type }}"},
        )
        return entry

    def fired(self) -> list[str]:
        """Return the types of the trip events fired so far."""
        return [event.data["type"] for event in self.events]

    def triggered(self) -> list[str]:
        """Return the types the device triggers ran the automation for."""
        return [call.data["type"] for call in self.calls]

    def assert_quiet(self) -> None:
        """Nothing fired, nothing triggered, no routine ran, the home untouched."""
        assert self.fired() == []
        assert self.triggered() == []
        assert self.routines == []
        assert state(self.hass, PORCH) == STATE_OFF
        assert state(self.hass, LIVING) == STATE_OFF

    async def assert_home_quietly(self, entry: MockConfigEntry) -> None:
        """Write the car home: it is home, and nothing else happened."""
        await write(self.hass, "home", at_home())
        assert phase_state(self.hass, entry) == "home"
        self.assert_quiet()


type Restart = Callable[[ApproachDetector, datetime], Awaitable[Home]]


@pytest.fixture
def restart(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> Restart:
    """Return a start of Home Assistant at a moment, the car's state saved by an engine.

    After it the home (porch light, thermostat) is set up; the car is not yet.
    """

    async def restart_at(engine: ApproachDetector, moment: datetime) -> Home:
        hass_storage[f"{DOMAIN}.{car().entry_id}"] = stored(engine)
        freezer.move_to(moment)
        hass.set_state(CoreState.not_running)
        await set_up_home(hass)
        return Home(hass)

    return restart_at


async def start(hass: HomeAssistant) -> None:
    """Finish Home Assistant's start (automations start with it)."""
    await hass.async_start()
    await hass.async_block_till_done()


async def leave(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Stay parked five minutes, then drive away 3 km, a fix every 10 s."""
    drive = sim.Drive(start=dt_util.utcnow(), interval=10.0)
    for fix in drive.stop(300.0).drive_to(*sim.along(200.0, 3_000.0), 15.0).fixes:
        freezer.move_to(fix.timestamp)
        await write(hass, "not_home", gps(fix))


def register_tracker(
    hass: HomeAssistant, platform: str = "car_maker"
) -> er.RegistryEntry:
    """Register the followed tracker, as its integration did before the restart."""
    return er.async_get(hass).async_get_or_create(
        "device_tracker", platform, "family_car", suggested_object_id="family_car"
    )


async def write(
    hass: HomeAssistant, new_state: str, attributes: dict[str, Any] | None = None
) -> None:
    """Let the tracker's integration write its state."""
    hass.states.async_set(TRACKER, new_state, attributes)
    await hass.async_block_till_done()


@pytest.fixture
async def restarted(restart: Restart) -> Home:
    """Home Assistant starting again 5 minutes after the car was last seen approaching.

    The home (porch light, thermostat) is set up; the car is not yet.
    """
    engine = seen(FIXES[:ON_THE_WAY])
    assert engine.phase is Phase.APPROACHING
    return await restart(engine, FIXES[ON_THE_WAY - 1].timestamp + DOWN)


# ---------------------------------------------------------------- the late source


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "before",
    ["missing", "registry_restored", "unavailable", "unknown"],
)
async def test_late_source_after_restart_fires_nothing(
    hass: HomeAssistant,
    restarted: Home,
    freezer: FrozenDateTimeFactory,
    before: str,
) -> None:
    """The tracker is written at home after Homecoming started: the car is simply home.

    Before that it has no state, the entity registry's restored ``unavailable``, or is
    ``unavailable`` or ``unknown`` while its integration connects.
    """
    entry = register_tracker(hass)
    if before == "registry_restored":
        entry.write_unavailable_state(hass)
        assert entity_state(hass, TRACKER).attributes["restored"] is True
    elif before != "missing":
        hass.states.async_set(TRACKER, before)
    car = await restarted.add_car()
    assert phase_state(hass, car) in ("approaching", STATE_UNAVAILABLE)
    await start(hass)

    freezer.tick(timedelta(seconds=40))
    await write(hass, "home", at_home())
    await tick(hass, freezer, 60)

    assert phase_state(hass, car) == "home"
    assert tracker(hass, car).state != STATE_UNAVAILABLE
    restarted.assert_quiet()

    # What follows is live: leaving home fires and triggers.
    await leave(hass, freezer)
    assert restarted.fired() == ["departed"]
    assert restarted.triggered() == ["departed"]


async def test_source_later_than_the_stale_timeout(
    hass: HomeAssistant, restarted: Home, freezer: FrozenDateTimeFactory
) -> None:
    """The clock ends the approach while the tracker is still away: silently too."""
    register_tracker(hass).write_unavailable_state(hass)
    car = await restarted.add_car()
    await start(hass)

    await tick(hass, freezer, STALE_AFTER.total_seconds())
    assert (await diagnostics(hass, car))["detector"]["phase"] == "away"
    await write(hass, "home", at_home())

    assert phase_state(hass, car) == "home"
    restarted.assert_quiet()


async def test_reload_while_the_source_is_away(
    hass: HomeAssistant, restarted: Home, freezer: FrozenDateTimeFactory
) -> None:
    """A reload of the car is a start too: the tracker's first news is silent."""
    await start(hass)
    car = await restarted.add_car()
    await write(hass, STATE_UNAVAILABLE)
    assert await hass.config_entries.async_reload(car.entry_id)
    await hass.async_block_till_done()
    assert (await diagnostics(hass, car))["detector"]["phase"] == "approaching"

    freezer.tick(timedelta(seconds=30))
    await restarted.assert_home_quietly(car)


# ---------------------------------------------------------------- live data after it


async def test_sparse_source_after_the_silent_state_fires(
    hass: HomeAssistant, restart: Restart, freezer: FrozenDateTimeFactory
) -> None:
    """A car cloud polling every 5 minutes: after its first, silent state, it is live.

    Its states arrive minutes apart, yet each is what the car does now: the trip home
    fires approach_started, arriving and arrived, and the porch light goes on.
    """
    drive = sim.Drive(interval=300.0).at(*sim.along(30.0, 25_000.0))
    drive.stop(3_600.0).drive_to(0.0, 0.0, 15.0).stop(600.0)
    fixes = drive.fixes
    parked = next(
        i
        for i, fix in enumerate(fixes)
        if fix.timestamp >= fixes[0].timestamp + timedelta(minutes=30)
    )
    home = await restart(
        seen(fixes[:parked]),
        fixes[parked].timestamp - timedelta(seconds=10),
    )
    register_tracker(hass).write_unavailable_state(hass)
    await home.add_car()
    await start(hass)

    for fix in fixes[parked:]:
        freezer.move_to(fix.timestamp)
        await write(hass, "not_home", gps(fix))
        await tick(hass, freezer, 10)
    assert home.fired() == ["approach_started", "arriving", "arrived"]
    assert home.triggered() == ["approach_started", "arriving", "arrived"]
    assert state(hass, PORCH) == STATE_ON


async def test_reload_mid_approach_keeps_firing(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reload with the tracker live: its current state is known, the rest fires."""
    freezer.move_to(FIXES[0].timestamp)
    await set_up_home(hass)
    home = Home(hass)
    hass.states.async_set(TRACKER, "not_home", gps(FIXES[0]))
    car = await home.add_car()
    for fix in FIXES[1:ON_THE_WAY]:
        freezer.move_to(fix.timestamp)
        await write(hass, "not_home", gps(fix))
    assert home.fired() == ["approach_started"]

    assert await hass.config_entries.async_reload(car.entry_id)
    await hass.async_block_till_done()
    assert (await diagnostics(hass, car))["detector"]["phase"] == "approaching"
    for fix in FIXES[ON_THE_WAY:]:
        freezer.move_to(fix.timestamp)
        await write(hass, "not_home", gps(fix))
    assert home.fired() == ["approach_started", "arriving", "arrived"]
    assert home.triggered() == ["approach_started", "arriving", "arrived"]
    assert state(hass, PORCH) == STATE_ON


# ---------------------------------------------------------------- restored trackers


@pytest.mark.parametrize("written", ["before", "after"])
async def test_restored_position_keeps_the_restart_silent(
    hass: HomeAssistant,
    restarted: Home,
    freezer: FrozenDateTimeFactory,
    written: str,
) -> None:
    """A tracker that restores its last state repeats the car's last known position.

    That is no news (the phone has not reported yet): the phone's first report, at
    home, is still applied silently. Restored before or after the car's set-up.
    """
    last = FIXES[ON_THE_WAY - 1]
    register_tracker(hass, "mobile_app")
    if written == "before":
        hass.states.async_set(TRACKER, "not_home", gps(last))
    car = await restarted.add_car()
    if written == "after":
        await write(hass, "not_home", gps(last))
    await start(hass)
    assert await last_fix(hass, car) == last.timestamp
    assert (await stats(hass, car))["repeated"] == 1

    await tick(hass, freezer, 120)
    await restarted.assert_home_quietly(car)
    await leave(hass, freezer)
    assert restarted.fired() == ["departed"]


async def test_unusable_first_report_keeps_the_restart_silent(
    hass: HomeAssistant, restarted: Home, freezer: FrozenDateTimeFactory
) -> None:
    """A first report too coarse to use changes nothing: the next one is the news."""
    register_tracker(hass)
    car = await restarted.add_car()
    await start(hass)
    await write(hass, "not_home", gps(FIXES[ON_THE_WAY], gps_accuracy=1_500))
    assert (await stats(hass, car))["inaccurate"] == 1
    freezer.tick(timedelta(seconds=30))
    await restarted.assert_home_quietly(car)


async def test_zone_only_tracker_restored(
    hass: HomeAssistant, restart: Restart, freezer: FrozenDateTimeFactory
) -> None:
    """A zone-only tracker restoring ``not_home``: its ``home`` that follows is silent."""
    engine = ApproachDetector(HOME, Settings())
    engine.update_presence(False, FIXES[0].timestamp)
    home = await restart(engine, FIXES[0].timestamp + DOWN)
    register_tracker(hass)
    car = await home.add_car()
    await start(hass)
    await write(hass, "not_home")
    freezer.tick(timedelta(minutes=1))
    await write(hass, "home")
    assert phase_state(hass, car) == "home"
    home.assert_quiet()

    freezer.tick(timedelta(hours=1))
    await write(hass, "not_home")
    assert home.fired() == ["departed"]
    assert home.triggered() == ["departed"]


async def test_gpslogger_restores_then_the_phone_reports(
    hass: HomeAssistant,
    restarted: Home,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The real GPSLogger integration: its tracker restores the last position first.

    Like ``mobile_app``, it writes its last state again as it starts, before the phone
    reports. Then the phone reports from home (the car arrived while Home Assistant was
    down): no event. The next reports are live: driving away fires ``departed``, with
    the app's speed in m/s.
    """
    last = FIXES[ON_THE_WAY - 1]
    phone = MockConfigEntry(
        domain="gpslogger", title="GPSLogger", data={"webhook_id": "gpslogger-hook"}
    )
    phone.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=phone.entry_id,
        identifiers={("gpslogger", "family_car")},
        name="family_car",
    )
    er.async_get(hass).async_get_or_create(
        "device_tracker",
        "gpslogger",
        "family_car",
        suggested_object_id="family_car",
        config_entry=phone,
        device_id=device.id,
    )
    mock_restore_cache(hass, [State(TRACKER, "not_home", gps(last, speed=15.0))])
    car = await restarted.add_car()
    assert await hass.config_entries.async_setup(phone.entry_id)
    await start(hass)
    restored = entity_state(hass, TRACKER)
    assert (restored.attributes["latitude"], restored.attributes["longitude"]) == (
        last.latitude,
        last.longitude,
    )
    registered = er.async_get(hass).async_get(TRACKER)
    assert registered is not None
    assert registered.platform == "gpslogger"

    client = await hass_client_no_auth()

    async def report(fix: Fix) -> None:
        response = await client.post(
            "/api/webhook/gpslogger-hook",
            data={
                "device": "family_car",
                "latitude": fix.latitude,
                "longitude": fix.longitude,
                "accuracy": 8,
                "speed": fix.speed or 0,
            },
        )
        assert response.status == HTTPStatus.OK
        await hass.async_block_till_done()

    freezer.tick(timedelta(seconds=45))
    await report(FIXES[-1])
    assert phase_state(hass, car) == "home"
    restarted.assert_quiet()

    drive = sim.Drive(start=dt_util.utcnow(), interval=10.0).stop(300.0)
    for fix in drive.drive_to(*sim.along(200.0, 3_000.0), 15.0).fixes:
        freezer.move_to(fix.timestamp)
        await report(fix)
    assert restarted.fired() == ["departed"]
    assert restarted.triggered() == ["departed"]
    # The app's 15 m/s, smoothed (knots or km/h would be under 8).
    speed = (await diagnostics(hass, car))["car"]["speed"]
    assert speed is not None
    assert 10 < speed <= 15


async def test_car_parked_through_the_restart(
    hass: HomeAssistant, restart: Restart, freezer: FrozenDateTimeFactory
) -> None:
    """A car cloud writes the parked car where it was: no news, and nothing is lost.

    Hours later the car drives home (a state every 5 minutes). Its first move is the
    news that ends the catching up (one fix after a long stand starts no approach);
    the trip then fires approach_started, arriving and arrived.
    """
    drive = sim.Drive(interval=300.0, noise=0.0).at(*sim.along(30.0, 20_000.0))
    drive.stop(1_800.0).mark("restart").stop(7_200.0)
    drive.drive_to(0.0, 0.0, 15.0).stop(600.0)
    fixes = drive.fixes
    before = [fix for fix in fixes if fix.timestamp < drive.marks["restart"]]
    home = await restart(seen(before), drive.marks["restart"] + DOWN)
    register_tracker(hass)
    car = await home.add_car()
    await start(hass)
    await write(hass, "not_home", gps(before[-1]))
    assert (await stats(hass, car))["repeated"] == 1

    for fix in fixes[len(before) :]:
        freezer.move_to(fix.timestamp)
        await write(hass, "not_home", gps(fix))
    assert home.fired() == ["approach_started", "arriving", "arrived"]
    assert home.triggered() == ["approach_started", "arriving", "arrived"]
    assert state(hass, PORCH) == STATE_ON

"""Scenario tests of the routines, in a real home (see ``tests/routine_home.py``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import DOMAIN, EVENT_ROUTINE
from custom_components.homecoming.diagnostics import async_get_config_entry_diagnostics
from custom_components.homecoming.engine import Phase
from custom_components.homecoming.routines import RoutineOptions, RoutineRunner
from custom_components.homecoming.routines.runner import _number
from tests import routine_home as home
from tests.common import (
    add_car,
    car_device,
    car_entity,
    drive_home,
    entity_state,
    feed_cars,
    half_way,
    phase_state,
    sensor_state,
    state,
    stored,
    tick,
)

LIGHTS = "arrival_lights"
CLIMATE = "climate"
DEPARTURE = "departure"


@pytest.fixture(autouse=True)
async def unload_sun(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Unload the sun after the test: its polling timer would outlive it."""
    yield
    for entry in hass.config_entries.async_entries("sun"):
        await hass.config_entries.async_unload(entry.entry_id)
    for platform in async_get_platforms(hass, "sun"):
        platform.async_shutdown()  # the sun entity polls; unloading leaves the timer


@dataclass(frozen=True, slots=True)
class Moment:
    """The car as it was when a watched entity changed."""

    when: datetime
    phase: Phase | None
    eta: datetime | None
    state: str
    attributes: dict[str, Any]


def watch(hass: HomeAssistant, entry: MockConfigEntry, entity_id: str) -> list[Moment]:
    """Record every change of ``entity_id`` with the car's phase and ETA at that time."""
    moments: list[Moment] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        assert new is not None
        phase = phase_state(hass, entry)
        moments.append(
            Moment(
                dt_util.utcnow(),
                Phase(phase) if phase in iter(Phase) else None,
                arrival_time(hass, entry),
                new.state,
                dict(new.attributes),
            )
        )

    async_track_state_change_event(hass, [entity_id], _changed)
    return moments


def arrival_time(hass: HomeAssistant, entry: MockConfigEntry) -> datetime | None:
    """Return the car's ETA as its arrival time sensor shows it (None if unknown)."""
    return dt_util.parse_datetime(sensor_state(hass, entry, "eta"))


def updates(
    hass: HomeAssistant, entry: MockConfigEntry
) -> list[tuple[datetime, datetime | None]]:
    """Record the time and the ETA at every change of the car's arrival time sensor."""
    seen: list[tuple[datetime, datetime | None]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        seen.append((dt_util.utcnow(), arrival_time(hass, entry)))

    entity_id = car_entity(hass, entry, "sensor", "eta")
    entry.async_on_unload(async_track_state_change_event(hass, [entity_id], _changed))
    return seen


def attribute(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    """Return one attribute of an entity."""
    return entity_state(hass, entity_id).attributes.get(name)


def runner(entry: MockConfigEntry) -> RoutineRunner:
    """Return a car's routine runner."""
    routines: RoutineRunner = entry.runtime_data.routines
    return routines


def active(routines: RoutineRunner) -> bool:
    """Return whether the routines run on their own now (read afresh each time)."""
    return routines.active


async def arrive(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    start: datetime,
    options: dict[str, Any],
    **home_options: Any,
) -> MockConfigEntry:
    """Build the home at ``start``, add a car with ``options`` and drive it home."""
    freezer.move_to(start)
    await home.async_build_home(hass, **home_options)
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    await feed_cars(hass, freezer, [(entry, drive_home(start))])
    return entry


# ------------------------------------------------------------------ lights


async def test_night_arrival_turns_the_lights_on(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Turn lights, switches, scenes and scripts on at arriving, after dark, once."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    hass.states.async_set("input_boolean.hall", "on")  # someone is already home
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.hall"}, blocking=True
    )
    targets = [home.PORCH, home.HALL, home.DRIVEWAY, home.WELCOME, home.GARAGE]
    entry = home.car("Family car", {LIGHTS: {"targets": targets}})
    await add_car(hass, entry, webhook=True)
    porch = watch(hass, entry, home.PORCH)
    hall = watch(hass, entry, home.HALL)
    routines = async_capture_events(hass, EVENT_ROUTINE)

    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT))])

    assert state(hass, "sun.sun") == "below_horizon"
    assert [(moment.state, moment.phase) for moment in porch] == [
        ("on", Phase.ARRIVING)
    ]
    assert hall == []  # already on: left alone
    for flag in ("driveway", "welcome", "garage"):
        assert state(hass, f"input_boolean.{flag}") == "on"
    assert len(routines) == 1
    assert routines[0].data["routine"] == "arrival"
    assert routines[0].data["trigger"] == "arriving"
    assert routines[0].data["device_id"] == car_device(hass, entry).id
    assert [action["entity_id"] for action in routines[0].data["actions"]] == [
        home.PORCH,
        home.DRIVEWAY,
        home.WELCOME,
        home.GARAGE,
    ]


async def test_day_arrival_leaves_the_lights_off(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Leave the lights off when the sun is up, and tell the logbook nothing."""
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await arrive(hass, freezer, home.DAY, {LIGHTS: {"targets": [home.PORCH]}})
    assert state(hass, "sun.sun") == "above_horizon"
    assert state(hass, home.PORCH) == "off"
    assert routines == []


@pytest.mark.parametrize(
    ("start", "lights", "lux_ok", "expected"),
    [
        (home.DAY, {"condition": "illuminance", "illuminance_below": 50}, True, "on"),
        (
            home.NIGHT,
            {"condition": "illuminance", "illuminance_below": 10},
            True,
            "off",
        ),
        (home.NIGHT, {"condition": "illuminance"}, False, "on"),
        (
            home.DAY,
            {"condition": "illuminance", "illuminance_sensor": None},
            True,
            "off",
        ),
        (home.DAY, {"condition": "always"}, True, "on"),
    ],
    ids=["dark-day", "bright-night", "no-reading-uses-sun", "no-sensor", "always"],
)
async def test_light_conditions(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    start: datetime,
    lights: dict[str, Any],
    lux_ok: bool,
    expected: str,
) -> None:
    """Follow the illuminance sensor (the sun without a reading), or always."""
    freezer.move_to(start)
    await home.async_build_home(hass, lux=20.0)
    if not lux_ok:
        await hass.services.async_call(
            "input_boolean", "turn_off", {"entity_id": "input_boolean.lux_ok"}
        )
        await hass.async_block_till_done()
        assert state(hass, home.LUX) == "unavailable"
    options = {"targets": [home.PORCH], "illuminance_sensor": home.LUX, **lights}
    entry = home.car("Family car", {LIGHTS: options})
    await add_car(hass, entry, webhook=True)
    await feed_cars(hass, freezer, [(entry, drive_home(start))])
    assert state(hass, home.PORCH) == expected


async def test_lights_at_approach_started(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Turn the lights on as the approach starts when so chosen, and only then."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car(
        "Family car", {LIGHTS: {"targets": [home.PORCH], "when": "approach_started"}}
    )
    await add_car(hass, entry, webhook=True)
    porch = watch(hass, entry, home.PORCH)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT))])
    assert [(moment.state, moment.phase) for moment in porch] == [
        ("on", Phase.APPROACHING)
    ]


async def test_arrivals_without_an_approach(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    entity_entry: MockConfigEntry,
) -> None:
    """Run the arrival at every arrival of a zone-only tracker, outside the cooldown."""
    freezer.move_to(home.NIGHT - timedelta(minutes=10))
    await home.async_build_home(hass)
    tracker = entity_entry.data["tracked_entity"]
    hass.states.async_set(tracker, "not_home")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id=entity_entry.unique_id,
        data=dict(entity_entry.data),
        options={
            LIGHTS: {"targets": [home.PORCH]},
            CLIMATE: {"targets": [home.LIVING]},
        },
        entry_id=entity_entry.entry_id,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    routines = async_capture_events(hass, EVENT_ROUTINE)

    decisions = []
    for minutes in (0, 5, 60):  # the second arrival falls within the cooldown
        freezer.move_to(home.NIGHT + timedelta(minutes=minutes))
        hass.states.async_set(tracker, "home")
        await hass.async_block_till_done()
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        lights = diagnostics["routines"]["decisions"]["lights"]
        decisions.append((lights["outcome"], lights["reason"], lights["trigger"]))
        freezer.tick(timedelta(minutes=1))
        hass.states.async_set(tracker, "not_home")
        await hass.services.async_call(
            "input_boolean", "turn_off", {"entity_id": "input_boolean.porch"}
        )
        await hass.async_block_till_done()

    assert [event.data["trigger"] for event in routines] == ["arrived", "arrived"]
    assert [action["entity_id"] for action in routines[1].data["actions"]] == [
        home.PORCH
    ]
    assert decisions == [
        ("ran", "done", "arrived"),
        ("skipped", "cooldown", "arrived"),
        ("ran", "done", "arrived"),
    ]


# ------------------------------------------------------------------ climate


async def test_preheat_starts_at_once_when_the_lead_is_longer(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Start heating as the approach starts: 2 °C at 2 °C/h is longer than the drive."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, indoor=19.0)
    entry = home.car(
        "Family car",
        {CLIMATE: {"targets": [home.LIVING], "target_temperature": 21, "rate": 2}},
    )
    await add_car(hass, entry, webhook=True)
    living = watch(hass, entry, home.LIVING)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    fixes = drive_home(home.NIGHT, 18_000.0)  # 20 minutes

    await feed_cars(hass, freezer, [(entry, fixes)])

    first = living[0]
    assert first.phase is Phase.APPROACHING
    assert first.eta is not None
    assert first.eta - first.when > timedelta(minutes=15)
    assert state(hass, home.LIVING) == "heat"
    assert attribute(hass, home.LIVING, "temperature") == 21.0
    assert state(hass, "input_boolean.heater") == "on"
    assert routines[0].data["trigger"] == "approach_started"
    assert routines[0].data["actions"] == [
        {
            "action": "comfort",
            "entity_id": home.LIVING,
            "temperature": 21.0,
            "hvac_mode": "heat",
            "rate_source": "set",
        }
    ]
    assert len(routines) == 1  # nothing more to do at arriving


@pytest.mark.parametrize(
    ("climate", "indoor", "lead"),
    [
        ({"target_temperature": 20.5, "rate": 2}, 20.0, timedelta(minutes=15)),
        (
            {"target_temperature": 21, "timing": "fixed", "lead": 10},
            19.0,
            timedelta(minutes=10),
        ),
    ],
    ids=["rate", "fixed"],
)
async def test_preheat_starts_when_the_eta_falls_under_the_lead(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    climate: dict[str, Any],
    indoor: float,
    lead: timedelta,
) -> None:
    """Start the thermostat at the first update with ETA - now at most the lead."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, indoor=indoor)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING], **climate}})
    await add_car(hass, entry, webhook=True)
    living = watch(hass, entry, home.LIVING)
    seen = updates(hass, entry)

    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 18_000.0))])

    assert living
    started = living[0]
    assert started.phase is Phase.APPROACHING  # long before the zone's edge
    assert started.eta is not None
    assert started.eta - started.when <= lead
    before = [eta - when for when, eta in seen if when < started.when and eta]
    assert before
    assert before[-1] > lead
    assert started.state == "heat"
    target = climate["target_temperature"]
    assert attribute(hass, home.LIVING, "temperature") == target


@pytest.mark.parametrize(
    ("target", "climate", "indoor", "expected"),
    [
        (
            home.BEDROOM,
            {"target_temperature": 24, "hvac_mode": "cool", "rate": 2},
            28.0,
            ("cool", {"temperature": 24.0}),
        ),
        (
            home.HEAT_PUMP,
            {"target_temperature": 21, "hvac_mode": "heat_cool"},
            19.0,
            ("heat_cool", {"target_temp_low": 20.0, "target_temp_high": 22.0}),
        ),
        (
            home.LIVING,
            {"target_temperature": 21, "hvac_mode": "keep"},
            19.0,
            ("off", {"temperature": 21.0}),
        ),
        (
            home.LIVING,
            {"target_temperature": 21, "hvac_mode": "cool"},
            22.0,
            ("off", {"temperature": 21.0}),
        ),
    ],
    ids=["cool", "heat-cool", "keep", "unsupported-mode"],
)
async def test_climate_modes(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    target: str,
    climate: dict[str, Any],
    indoor: float,
    expected: tuple[str, dict[str, float]],
) -> None:
    """Pre-cool, set a heat/cool range, keep the mode, or keep an unsupported one."""
    options = {"targets": [target], "indoor_sensor": home.INDOOR, **climate}
    await arrive(hass, freezer, home.NIGHT, {CLIMATE: options}, indoor=indoor)
    mode, setpoints = expected
    assert state(hass, target) == mode
    for name, value in setpoints.items():
        assert attribute(hass, target, name) == value


async def test_indoor_sensor_without_a_reading(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Use the thermostat's own temperature when the chosen sensor has no reading."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, indoor=20.0)
    options = {
        "targets": [home.LIVING],
        "target_temperature": 20.5,
        "indoor_sensor": home.LUX,
    }
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.lux_ok"}
    )
    entry = home.car("Family car", {CLIMATE: options})
    await add_car(hass, entry, webhook=True)
    living = watch(hass, entry, home.LIVING)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 18_000.0))])
    started = living[0]
    assert started.eta is not None
    assert timedelta(minutes=14) < started.eta - started.when <= timedelta(minutes=15)


async def test_warm_home_is_set_at_arriving(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Set the comfort target at arriving when the home needs no pre-heat."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, indoor=23.0)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    await add_car(hass, entry, webhook=True)
    living = watch(hass, entry, home.LIVING)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT))])
    assert living[0].phase is Phase.ARRIVING
    assert state(hass, home.LIVING) == "heat"
    assert state(hass, "input_boolean.heater") == "off"  # warm enough


# ------------------------------------------------------------------ cancel


@pytest.mark.parametrize(
    ("target", "climate", "before", "comfort"),
    [
        (home.LIVING, {}, {"temperature": 19.0}, {"temperature": 21.0}),
        (
            home.HEAT_PUMP,
            {"hvac_mode": "heat_cool"},
            {},  # no setpoints while off: only the mode goes back
            {"target_temp_low": 20.0, "target_temp_high": 22.0},
        ),
    ],
    ids=["thermostat", "heat-pump"],
)
async def test_cancelled_approach_restores_the_thermostat(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    target: str,
    climate: dict[str, Any],
    before: dict[str, float],
    comfort: dict[str, float],
) -> None:
    """Put back mode and target on a cancelled approach; pre-heat again when it resumes."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [target], **climate}})
    await add_car(hass, entry, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    fixes = home.drive_and_stop(home.NIGHT, resume=True)
    halt = home.NIGHT + timedelta(minutes=15)
    stopped = [fix for fix in fixes if fix.timestamp < halt]

    await feed_cars(hass, freezer, [(entry, stopped)])
    assert [event.data["trigger"] for event in routines] == [
        "approach_started",
        "approach_cancelled",
    ]
    assert phase_state(hass, entry) == "away"
    assert state(hass, target) == "off"
    for name in ("temperature", "target_temp_low", "target_temp_high"):
        assert attribute(hass, target, name) == before.get(name)
    assert state(hass, "input_boolean.heater") == "off"
    assert routines[1].data["actions"] == [
        {"action": "restore", "entity_id": target, **before}
    ]

    # The car goes on home within the cooldown: the heating starts again.
    await feed_cars(hass, freezer, [(entry, fixes[len(stopped) :])])
    assert routines[2].data["trigger"] == "approach_started"
    assert state(hass, target) != "off"
    for name, value in comfort.items():
        assert attribute(hass, target, name) == value


async def test_cancel_leaves_a_thermostat_changed_meanwhile(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Leave a thermostat someone set by hand during the approach as they set it."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    await add_car(hass, entry, webhook=True)
    fixes = home.drive_and_stop(home.NIGHT)
    await feed_cars(hass, freezer, [(entry, fixes[:40])])
    assert attribute(hass, home.LIVING, "temperature") == 21.0
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": home.LIVING, "temperature": 23},
        blocking=True,
    )
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await feed_cars(hass, freezer, [(entry, fixes[40:])])
    assert phase_state(hass, entry) == "away"
    assert state(hass, home.LIVING) == "heat"
    assert attribute(hass, home.LIVING, "temperature") == 23.0
    assert routines == []


async def test_cancel_restores_only_what_changed(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Put back only the target of a thermostat already heating; skip one now gone."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    await hass.services.async_call(
        "climate",
        "set_hvac_mode",
        {"entity_id": home.LIVING, "hvac_mode": "heat"},
        blocking=True,
    )
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING, home.STUDY]}})
    await add_car(hass, entry, webhook=True)
    fixes = home.drive_and_stop(home.NIGHT)
    await feed_cars(hass, freezer, [(entry, fixes[:40])])
    assert attribute(hass, home.STUDY, "temperature") == 21.0
    hass.states.async_remove(home.STUDY)  # the study's thermostat is gone
    calls = async_capture_events(hass, EVENT_CALL_SERVICE)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await feed_cars(hass, freezer, [(entry, fixes[40:])])
    assert state(hass, home.LIVING) == "heat"
    assert attribute(hass, home.LIVING, "temperature") == 19.0
    assert [
        call.data["service"] for call in calls if call.data["domain"] == "climate"
    ] == ["set_temperature"]
    assert [action["entity_id"] for action in routines[0].data["actions"]] == [
        home.LIVING
    ]


async def test_no_preheat_while_the_car_stands_still(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Start nothing while the car stands still with no ETA, and restore nothing."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    options = {CLIMATE: {"targets": [home.LIVING], "timing": "fixed", "lead": 1}}
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    seen = updates(hass, entry)
    living = watch(hass, entry, home.LIVING)
    await feed_cars(hass, freezer, [(entry, home.drive_and_stop(home.NIGHT))])
    assert any(eta is None for _, eta in seen)
    assert living == []
    assert phase_state(hass, entry) == "away"


async def test_no_preheat_without_an_eta(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    entity_entry: MockConfigEntry,
) -> None:
    """Start nothing on an update without an ETA (a zone-only report mid-approach)."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    tracker = entity_entry.data["tracked_entity"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id=entity_entry.unique_id,
        data=dict(entity_entry.data),
        options={CLIMATE: {"targets": [home.LIVING], "timing": "fixed", "lead": 1}},
        entry_id=entity_entry.entry_id,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    seen = updates(hass, entry)
    for fix in drive_home(home.NIGHT, 8_000.0)[:30]:
        freezer.move_to(fix.timestamp)
        position = {"latitude": fix.latitude, "longitude": fix.longitude}
        hass.states.async_set(tracker, "not_home", {**position, "gps_accuracy": 8})
        await hass.async_block_till_done()
    assert phase_state(hass, entry) == "approaching"

    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(tracker, "not_home")  # no position: no ETA either
    await hass.async_block_till_done()
    assert seen[-1][1] is None
    assert phase_state(hass, entry) == "approaching"
    assert state(hass, home.LIVING) == "off"


async def test_failed_restore_is_not_reported(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Log a restore the thermostat refuses (its old target is below its minimum)."""
    freezer.move_to(home.NIGHT)
    low = home.thermostat("Study", "study_heater", target_temp=12.0, min_temp=15.0)
    await home.async_build_home(hass, thermostats=[low])
    entry = home.car("Family car", {CLIMATE: {"targets": [home.STUDY]}})
    await add_car(hass, entry, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    with caplog.at_level(logging.WARNING):
        await feed_cars(hass, freezer, [(entry, home.drive_and_stop(home.NIGHT))])
    assert "climate.set_temperature for climate.study failed" in caplog.text
    assert state(hass, home.STUDY) == "off"  # the mode went back
    assert attribute(hass, home.STUDY, "temperature") == 21.0
    assert [event.data["trigger"] for event in routines] == ["approach_started"]


# ------------------------------------------------------------------ departure


@pytest.mark.parametrize(
    ("departure", "expected"),
    [
        (
            {"enabled": True, "mode": "eco", "eco_temperature": 17},
            {home.LIVING: (17.0, "none"), home.STUDY: (17.0, None)},
        ),
        (
            {"enabled": True, "mode": "away_preset", "lights_off": True},
            {home.LIVING: (16.0, "away"), home.STUDY: (17.0, None)},
        ),
    ],
    ids=["eco", "away-preset"],
)
async def test_departure_with_nobody_home(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    departure: dict[str, Any],
    expected: dict[str, tuple[float, str | None]],
) -> None:
    """Set the eco target (or the away preset) and turn the lights off."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    options = {
        LIGHTS: {"targets": [home.PORCH, home.HALL, home.WELCOME, "light.gone"]},
        CLIMATE: {"targets": [home.LIVING, home.STUDY]},
        DEPARTURE: departure,
    }
    for flag in ("porch", "welcome"):
        await hass.services.async_call(
            "input_boolean", "turn_on", {"entity_id": f"input_boolean.{flag}"}
        )
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)

    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])

    assert state(hass, "person.anna") == "not_home"
    for entity_id, (temperature, preset) in expected.items():
        assert attribute(hass, entity_id, "temperature") == temperature
        assert attribute(hass, entity_id, "preset_mode") == preset
    lights_off = departure.get("lights_off", False)
    assert state(hass, home.PORCH) == ("off" if lights_off else "on")
    assert state(hass, "input_boolean.welcome") == "on"  # a scene is not undone
    assert [event.data["routine"] for event in routines] == ["departure"]
    assert routines[0].data["trigger"] is None

    # Once done, a second run changes nothing and tells nothing.
    await runner(entry).async_run("departure")
    assert len(routines) == 1


async def test_departure_with_someone_home_changes_nothing(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Leave the home alone when a person is still at home."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, persons_home=True)
    options = {
        LIGHTS: {"targets": [home.PORCH]},
        CLIMATE: {"targets": [home.LIVING]},
        DEPARTURE: {"enabled": True, "lights_off": True},
    }
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.porch"}
    )
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    assert state(hass, "person.anna") == "home"
    await tick(hass, freezer, 130)  # the household had two minutes to leave
    assert attribute(hass, home.LIVING, "temperature") == 19.0
    assert state(hass, home.PORCH) == "on"
    # The logbook says the home was not set back, and why.
    assert [(event.data["routine"], event.data["skipped"]) for event in routines] == [
        ("departure", "someone_home")
    ]
    assert routines[0].data["actions"] == []


async def test_departure_disabled_and_cooldown(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Do nothing on departure when it is off; never twice within the cooldown."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car(
        "Family car",
        {CLIMATE: {"targets": [home.LIVING]}, DEPARTURE: {"enabled": True}},
    )
    await add_car(hass, entry, webhook=True)
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    assert attribute(hass, home.LIVING, "temperature") == 17.0
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": home.LIVING, "temperature": 19},
        blocking=True,
    )
    back = home.NIGHT + timedelta(minutes=5)
    drives = drive_home(back, 1_000.0) + home.drive_away(back + timedelta(minutes=3))
    await feed_cars(hass, freezer, [(entry, drives)])
    assert attribute(hass, home.LIVING, "temperature") == 21.0  # arrival, no eco

    other = home.car("Van", {DEPARTURE: {"enabled": False}}, number=2)
    await add_car(hass, other, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await feed_cars(hass, freezer, [(other, home.drive_away(dt_util.utcnow()))])
    assert routines == []


# ------------------------------------------------------------------ two cars


async def two_cars(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> tuple[MockConfigEntry, MockConfigEntry]:
    """Set up the home at night and two cars with the same porch light and heating."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    options = {LIGHTS: {"targets": [home.PORCH]}, CLIMATE: {"targets": [home.LIVING]}}
    first = home.car("Family car", options)
    second = home.car("Van", options, number=2)
    await add_car(hass, first, webhook=True)
    await add_car(hass, second, webhook=True)
    return first, second


async def test_two_cars_arriving_together(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Turn the lights on once and start the heating once for two cars."""
    first, second = await two_cars(hass, freezer)
    calls = async_capture_events(hass, EVENT_CALL_SERVICE)
    porch = watch(hass, first, "input_boolean.porch")

    await feed_cars(
        hass,
        freezer,
        [
            (first, drive_home(home.NIGHT)),
            (second, drive_home(home.NIGHT, 5_200.0, bearing=200.0)),
        ],
    )

    assert phase_state(hass, first) == "home"
    assert phase_state(hass, second) == "home"
    assert [moment.state for moment in porch] == ["on"]
    called = [
        (call.data["domain"], call.data["service"])
        for call in calls
        if call.data["domain"] in ("light", "climate")
    ]
    assert called == [
        ("climate", "set_hvac_mode"),
        ("climate", "set_temperature"),
        ("light", "turn_on"),
    ]


async def test_guard_skips_a_light_another_car_switched(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Leave alone what another car switched within the cooldown, and was undone."""
    first, second = await two_cars(hass, freezer)
    await feed_cars(hass, freezer, [(first, drive_home(home.NIGHT))])
    assert state(hass, home.PORCH) == "on"
    await hass.services.async_call(
        "light", "turn_off", {"entity_id": home.PORCH}, blocking=True
    )
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": home.LIVING, "temperature": 18},
        blocking=True,
    )
    await feed_cars(hass, freezer, [(second, drive_home(dt_util.utcnow(), 3_000.0))])
    assert state(hass, home.PORCH) == "off"
    assert attribute(hass, home.LIVING, "temperature") == 18.0


# ------------------------------------------------------------------ restart


async def test_restart_mid_approach_fires_nothing(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Change nothing on start-up mid-approach; run the arrival at arriving."""
    fixes = drive_home(home.NIGHT, 18_000.0)
    freezer.move_to(fixes[40].timestamp)
    await home.async_build_home(hass)
    entry = home.car(
        "Family car",
        {LIGHTS: {"targets": [home.PORCH]}, CLIMATE: {"targets": [home.LIVING]}},
    )
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = stored(half_way(fixes, 40))
    changes = async_capture_events(hass, "state_changed")

    await add_car(hass, entry, webhook=True)
    await tick(hass, freezer, 30)

    assert phase_state(hass, entry) == "approaching"
    touched = {event.data["entity_id"] for event in changes}
    assert not touched & {home.PORCH, home.LIVING, "input_boolean.heater"}
    living = watch(hass, entry, home.LIVING)
    porch = watch(hass, entry, home.PORCH)
    await feed_cars(hass, freezer, [(entry, fixes[43:])])
    assert [moment.phase for moment in porch] == [Phase.ARRIVING]
    assert living[0].phase is Phase.ARRIVING
    assert state(hass, home.LIVING) == "heat"


@pytest.mark.parametrize(
    ("changed_by_hand", "expected"), [(None, 19.0), (23, 23.0)], ids=["kept", "hand"]
)
async def test_cancel_after_a_restart_restores_as_without_it(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    changed_by_hand: float | None,
    expected: float,
) -> None:
    """What the pre-heat changed survives a restart; a later cancel puts it back.

    Unless someone changed the thermostat since: then it is left as they set it.
    """
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    await add_car(hass, entry, webhook=True)
    fixes = home.drive_and_stop(home.NIGHT)
    await feed_cars(hass, freezer, [(entry, fixes[:40])])
    assert attribute(hass, home.LIVING, "temperature") == 21.0

    # Home Assistant restarts mid-approach (the entry is set up anew from storage).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    if changed_by_hand is not None:
        await hass.services.async_call(
            "climate",
            "set_temperature",
            {"entity_id": home.LIVING, "temperature": changed_by_hand},
            blocking=True,
        )
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await feed_cars(hass, freezer, [(entry, fixes[40:])])

    assert state(hass, "sensor.family_car_trip_phase") == "away"
    assert attribute(hass, home.LIVING, "temperature") == expected
    triggers = [event.data["trigger"] for event in routines]
    assert triggers == (["approach_cancelled"] if changed_by_hand is None else [])


async def test_a_transition_is_saved_at_once(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """An approach and arrival in one request are on disk before the save delay."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    await add_car(hass, entry, webhook=True)
    key = f"{DOMAIN}.{entry.entry_id}"
    fixes = drive_home(home.NIGHT, 3_000.0)
    await feed_cars(hass, freezer, [(entry, fixes[:1])])
    await hass.async_block_till_done()
    saved_before = hass_storage.get(key)
    # Everything else of the drive arrives in one request (a queue sent at once).
    client_fixes = fixes[1:]
    freezer.move_to(client_fixes[-1].timestamp)
    await hass.services.async_call(
        DOMAIN,
        "update_location",
        {
            "config_entry_id": entry.entry_id,
            "latitude": client_fixes[-1].latitude,
            "longitude": client_fixes[-1].longitude,
            "timestamp": client_fixes[-1].timestamp.isoformat(),
            "speed": 0.0,
        },
        blocking=True,
    )
    await hass.async_block_till_done()  # no time passes: the save delay is not over
    assert hass_storage[key]["data"]["engine"]["phase"] == "home"
    assert saved_before is None or saved_before["data"]["engine"]["phase"] != "home"
    record = hass_storage[f"{DOMAIN}.{entry.entry_id}.routines"]["data"]
    assert set(record) == {
        "changed",
        "comfort_done",
        "lights_done",
        "last_run",
        "skipped_trip",
        "garage_door",
    }


EMPTY_RECORD: dict[str, Any] = {
    "changed": {},
    "comfort_done": [],
    "lights_done": False,
    "last_run": {},
}
"""A routine record as version 0.1.0 wrote it (no garage door, no skipped trip)."""
EMPTY_DOORS: dict[str, Any] = {
    "opened": {},
    "opened_this_trip": False,
    "auto_close_pending": False,
}
NOON = "2026-01-05T12:00:00+00:00"


def save_record(
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    data: Any,
    version: int = 1,
) -> None:
    """Put a routine record for ``entry`` in storage, as the runner saves it."""
    key = f"{DOMAIN}.{entry.entry_id}.routines"
    hass_storage[key] = {
        "version": version,
        "minor_version": 1,
        "key": key,
        "data": data,
    }


@pytest.mark.parametrize(
    "record",
    [
        {"changed": "x", "comfort_done": [], "lights_done": False, "last_run": {}},
        {"changed": {}, "comfort_done": [5], "lights_done": False, "last_run": {}},
        {"changed": {}, "comfort_done": [], "lights_done": "no", "last_run": {}},
        {
            "changed": {},
            "comfort_done": [],
            "lights_done": False,
            "last_run": {"arrival": "x"},
        },
        {
            "changed": {
                "climate.living_room": {
                    "hvac_mode": "heat",
                    "setpoints": {"temperature": "hot"},
                    "previous_hvac_mode": "off",
                    "previous_setpoints": {},
                }
            },
            "comfort_done": [],
            "lights_done": False,
            "last_run": {},
        },
        {
            "changed": {
                "climate.living_room": {
                    "hvac_mode": "heat",
                    "setpoints": {"colour": 1},
                    "previous_hvac_mode": "off",
                    "previous_setpoints": {},
                }
            },
            "comfort_done": [],
            "lights_done": False,
            "last_run": {},
        },
        {
            "changed": {"climate.x": {}},
            "comfort_done": [],
            "lights_done": False,
            "last_run": {},
        },
        {
            "changed": {},
            "comfort_done": [],
            "lights_done": False,
            "last_run": {"arrival": 5},
        },
        {"changed": {}, "comfort_done": [], "lights_done": False, "last_run": []},
        {
            "changed": {
                "climate.x": {
                    "hvac_mode": "",
                    "setpoints": {},
                    "previous_hvac_mode": "off",
                    "previous_setpoints": [],
                }
            },
            "comfort_done": [],
            "lights_done": False,
            "last_run": {},
        },
        {
            "changed": {
                "climate.x": {
                    "hvac_mode": "heat",
                    "setpoints": {},
                    "previous_hvac_mode": "off",
                    "previous_setpoints": [],
                }
            },
            "comfort_done": [],
            "lights_done": False,
            "last_run": {},
        },
        {},
        {**EMPTY_RECORD, "skipped_trip": "yes"},
        {**EMPTY_RECORD, "garage_door": "open"},
        {**EMPTY_RECORD, "garage_door": {**EMPTY_DOORS, "opened": {"cover.x": 1}}},
        {**EMPTY_RECORD, "garage_door": {**EMPTY_DOORS, "opened": {"x": NOON}}},
        {**EMPTY_RECORD, "garage_door": {**EMPTY_DOORS, "opened_this_trip": 1}},
        {**EMPTY_RECORD, "garage_door": {**EMPTY_DOORS, "auto_close_pending": 1}},
    ],
)
async def test_unusable_routine_record_is_forgotten(
    hass: HomeAssistant,
    home_zone: None,
    hass_storage: dict[str, Any],
    record: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A damaged record starts the routines with a clean slate, never a set-up error."""
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    save_record(hass_storage, entry, record)
    await add_car(hass, entry, webhook=True)
    assert entry.state is ConfigEntryState.LOADED
    assert "routines' saved record could not be read" in caplog.text


async def test_a_newer_routine_record_starts_afresh_with_a_repair(
    hass: HomeAssistant,
    home_zone: None,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A record written by a newer version: a warning and a repair, never setup_error."""
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    save_record(hass_storage, entry, {}, version=2)
    await add_car(hass, entry, webhook=True)
    assert entry.state is ConfigEntryState.LOADED
    assert "routines' saved record could not be read" in caplog.text
    assert "upgrade" not in caplog.text.lower()
    issue_id = f"routine_record_unusable_{entry.entry_id}"
    found = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert found is not None
    assert found.translation_key == "routine_record_unusable"
    # A good record read back (the next start) clears it.
    save_record(
        hass_storage,
        entry,
        {"changed": {}, "comfort_done": [], "lights_done": False, "last_run": {}},
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    # Removing the car removes the issue too.
    save_record(hass_storage, entry, {}, version=2)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_saved_cooldown_holds_across_a_restart(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """An arrival routine that ran just before a restart does not run again at once."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car("Family car", {LIGHTS: {"targets": [home.PORCH]}})
    save_record(
        hass_storage,
        entry,
        {
            "changed": {},
            "comfort_done": [],
            "lights_done": False,
            "last_run": {"arrival": home.NIGHT.isoformat(), "party": "x"},
        },
    )
    await add_car(hass, entry, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 2_000.0))])
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["routines"]["decisions"]["lights"]["reason"] == "cooldown"
    assert routines == []


async def test_removing_a_car_forgets_its_routine_record(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The record goes with the car."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    await add_car(hass, entry, webhook=True)
    await feed_cars(hass, freezer, [(entry, home.drive_and_stop(home.NIGHT)[:40])])
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{entry.entry_id}.routines"
    assert key in hass_storage
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


# ------------------------------------------------------------------ control


async def test_snoozed_and_disabled_routines_do_nothing(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Run nothing while snoozed or switched off; run the arrival on demand."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    options = {LIGHTS: {"targets": [home.PORCH]}, CLIMATE: {"targets": [home.LIVING]}}
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    routines = runner(entry)
    events = async_capture_events(hass, EVENT_ROUTINE)

    routines.async_snooze(timedelta(hours=1))
    assert not active(routines)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT))])
    assert state(hass, home.PORCH) == "off"
    assert state(hass, home.LIVING) == "off"

    freezer.tick(timedelta(hours=1))
    assert active(routines)
    routines.async_snooze(timedelta(hours=1))
    routines.async_snooze(timedelta(0))
    assert routines.snoozed_until is None
    routines.enabled = False
    assert not active(routines)
    later = dt_util.utcnow()
    await feed_cars(
        hass,
        freezer,
        [
            (
                entry,
                home.drive_away(later) + drive_home(later + timedelta(minutes=8)),
            )
        ],
    )
    assert state(hass, home.PORCH) == "off"
    assert events == []

    freezer.move_to(home.DAY + timedelta(days=1))  # daylight: forced all the same
    await routines.async_run("arrival")
    assert state(hass, home.PORCH) == "on"
    assert state(hass, home.LIVING) == "heat"
    assert [(event.data["routine"], event.data["trigger"]) for event in events] == [
        ("arrival", None)
    ]


async def test_run_departure_on_demand(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Run the departure now even when it is off in the options."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, persons_home=True)
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING]}})
    await add_car(hass, entry, webhook=True)
    await runner(entry).async_run("departure")
    assert attribute(hass, home.LIVING, "temperature") == 17.0


# ------------------------------------------------------------------ isolation


async def test_missing_targets_raise_a_repair_once(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Report a missing target once as a repair; run the others; clear it when back."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    options = {
        LIGHTS: {"targets": ["light.gone", home.HALL, home.PORCH]},
        CLIMATE: {"targets": ["climate.gone", home.LIVING]},
        DEPARTURE: {"enabled": True},
    }
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    hass.states.async_remove(home.HALL)  # the hall light is gone for now
    issues = ir.async_get(hass)

    with caplog.at_level(logging.WARNING):
        await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT))])
        await runner(entry).async_run("arrival")
        await runner(entry).async_run("departure")

    for entity_id in ("light.gone", home.HALL, "climate.gone"):
        issue = issues.async_get_issue(
            DOMAIN, f"missing_target_{entry.entry_id}_{entity_id}"
        )
        assert issue is not None
        assert issue.is_fixable
        assert issue.translation_key == "missing_target"
        assert issue.data == {"entry_id": entry.entry_id, "entity_id": entity_id}
        assert caplog.text.count(f"routine target {entity_id} does not exist") == 1
    assert state(hass, home.PORCH) == "on"
    assert state(hass, home.LIVING) == "heat"

    # The hall light is back (it writes its state again): the repair goes.
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.hall"}, blocking=True
    )
    assert state(hass, home.HALL) == "on"
    await runner(entry).async_run("arrival")
    hall_issue = f"missing_target_{entry.entry_id}_{home.HALL}"
    assert issues.async_get_issue(DOMAIN, hall_issue) is None


async def test_failing_target_does_not_stop_the_others(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Log thermostats that refuse the target or whose action fails; set the next."""
    freezer.move_to(home.NIGHT)
    capped = home.thermostat("Study", "study_heater", max_temp=20.0)
    await home.async_build_home(
        hass, thermostats=[capped, home.thermostat("Living room", "heater")]
    )
    # The heat pump's action needs a low and a high: a single target breaks it.
    targets = [home.STUDY, home.HEAT_PUMP, home.LIVING]
    options = {
        LIGHTS: {"targets": [home.BROKEN, home.PORCH]},
        CLIMATE: {"targets": targets},
    }
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    with caplog.at_level(logging.WARNING):
        await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT))])
    assert "climate.set_temperature for climate.study failed" in caplog.text
    assert "climate.set_temperature for climate.heat_pump failed" in caplog.text
    assert "light.turn_on for light.broken failed" in caplog.text
    assert state(hass, home.PORCH) == "on"
    assert attribute(hass, home.STUDY, "temperature") == 19.0
    assert attribute(hass, home.LIVING, "temperature") == 21.0
    assert [
        action["entity_id"] for event in routines for action in event.data["actions"]
    ] == [home.LIVING, home.PORCH]


# ------------------------------------------------------------------ drivers


async def test_drivers_get_their_own_temperature_and_scene(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Heat to the driver's temperature and turn their scene on; else the car's own."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    drivers = [
        home.driver("Anna", "anna", temperature=22.5, scene=home.WELCOME),
        home.driver("Ben", "ben", temperature=19.5),
        home.driver("Carl", "carl"),  # no preferences: the car's own
    ]
    options = {LIGHTS: {"targets": [home.PORCH]}, CLIMATE: {"targets": [home.LIVING]}}
    entry = home.car("Family car", options, drivers=drivers)
    await add_car(hass, entry, webhook=True)

    expected = [("anna", 22.5, "on"), ("ben", 19.5, "off"), ("carl", 21.0, "off")]
    start = home.NIGHT
    for driver_id, temperature, welcome in expected:
        await hass.services.async_call(
            "input_boolean", "turn_off", {"entity_id": "input_boolean.welcome"}
        )
        fixes = drive_home(start, driver=driver_id)
        await feed_cars(hass, freezer, [(entry, fixes)])
        assert attribute(hass, home.LIVING, "temperature") == temperature
        assert state(hass, "input_boolean.welcome") == welcome
        await hass.services.async_call(
            "light", "turn_off", {"entity_id": home.PORCH}, blocking=True
        )
        await hass.services.async_call(
            "climate",
            "set_temperature",
            {"entity_id": home.LIVING, "temperature": 18},
            blocking=True,
        )
        start = dt_util.utcnow() + timedelta(minutes=20)  # past the cooldown


async def test_a_drivers_missing_scene_is_logged_not_a_repair(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A driver's scene that is gone: logged once; the routine's lights still run."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    drivers = [home.driver("Anna", "anna", scene="scene.gone")]
    entry = home.car("Family car", {LIGHTS: {"targets": [home.PORCH]}}, drivers=drivers)
    await add_car(hass, entry, webhook=True)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, driver="anna"))])
    assert state(hass, home.PORCH) == "on"
    assert caplog.text.count("scene.gone does not exist") == 1
    issues = ir.async_get(hass).issues
    assert not [key for key in issues if "scene.gone" in key[1]]


# ------------------------------------------------------------------ options


def test_options_defaults_and_values() -> None:
    """Read the documented options; absent keys are the defaults (routines off)."""
    defaults = RoutineOptions.from_options({})
    assert defaults.lights.targets == ()
    assert defaults.climate.targets == ()
    assert not defaults.departure.enabled
    assert defaults.cooldown == timedelta(minutes=15)
    options = RoutineOptions.from_options(
        {
            LIGHTS: {"targets": [home.PORCH], "illuminance_sensor": ""},
            CLIMATE: {"targets": [home.LIVING], "rate": "1.5", "max_lead": 90},
            DEPARTURE: {"enabled": True, "eco_temperature": 16},
            "cooldown": 5,
        }
    )
    assert options.lights.targets == (home.PORCH,)
    assert options.lights.illuminance_sensor is None
    assert options.climate.rate == 1.5
    assert options.climate.max_lead == 90.0
    assert options.departure.eco_temperature == 16.0
    assert options.cooldown == timedelta(minutes=5)


@pytest.mark.parametrize(
    "options",
    [
        {"cooldown": 1e300},
        {"cooldown": "soon"},
        {"cooldown": True},
        {LIGHTS: "porch"},
        {LIGHTS: {"targets": "light.porch"}},
        {LIGHTS: {"targets": ["light.porch", 7, "not an entity"]}},
        {LIGHTS: {"when": "never", "condition": None, "illuminance_below": -5}},
        {LIGHTS: {"illuminance_sensor": "???"}},
        {CLIMATE: {"rate": 0, "max_lead": math.inf, "lead": math.nan}},
        {CLIMATE: {"target_temperature": 10**400, "hvac_mode": 3, "timing": "x"}},
        {DEPARTURE: {"enabled": "yes", "mode": [], "eco_temperature": -40}},
        {DEPARTURE: {"lights_off": None}},
    ],
)
async def test_unusable_saved_options_fall_back_to_defaults(
    hass: HomeAssistant,
    home_zone: None,
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Options written by hand or an older version never stop a car from starting."""
    defaults = RoutineOptions.from_options({})
    read = RoutineOptions.from_options(options)
    assert "using its default" in caplog.text
    assert read.cooldown == defaults.cooldown
    assert read.departure.enabled is defaults.departure.enabled
    assert read.climate.rate == defaults.climate.rate
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    assert entry.state is ConfigEntryState.LOADED
    assert "Traceback" not in caplog.text


def test_good_targets_are_kept_from_a_damaged_list() -> None:
    """A list with junk keeps its valid entity ids."""
    read = RoutineOptions.from_options({LIGHTS: {"targets": [home.PORCH, 7]}})
    assert read.lights.targets == (home.PORCH,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("21.5", 21.5), (7, 7.0), ("nan", None), ("unavailable", None), (None, None)],
)
def test_number(value: Any, expected: float | None) -> None:
    """Read a number from a state or attribute; nothing for NaN and non-numbers."""
    assert _number(value) == expected

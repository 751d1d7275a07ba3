"""The heating rate learned from a thermostat's recorded history, end to end.

A real recorder is filled through real state changes: a ``generic_thermostat`` (of
``tests/routine_home.py``) heats a simulated room — the heater on, the room warms at a
constant rate a minute at a time (the room's sensor rounds to 0.1 °C) until the
thermostat stops it, then the room is set back and cools over the night — on a frozen
clock. The car then learns the rate from the recorder as it would after a start, and its
pre-heat is timed by it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import logging
import threading
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, UnitOfTemperature
from homeassistant.core import (
    CoreState,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceContextManager
from sqlalchemy.exc import OperationalError

from custom_components.homecoming.const import DOMAIN, EVENT_ROUTINE
from custom_components.homecoming.engine.heating_rate import Rejection, Sample
from custom_components.homecoming.routines import RoutineRunner
from custom_components.homecoming.routines.rates import (
    RELEARN_INTERVAL,
    RateLearner,
    samples,
)
from tests import routine_home as home
from tests.common import add_car, diagnostics, drive_home, entity_state, feed_cars

PACKAGE = "custom_components.homecoming"
CLIMATE = "climate"
RATE = 4.0
"""The simulated room warms this many °C per hour while the heater is on."""
LOW = 17.0
HIGH = 21.0
HEATING_RATE = "sensor.family_car_living_room_heating_rate"
FIRST_DAY = home.NIGHT - timedelta(days=4, hours=10)
"""06:30 UTC four days before the drive home: the first heat-up."""


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Prepare the recorder's database before Home Assistant starts."""


@pytest.fixture(autouse=True)
async def unload_sun(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Unload the sun after the test: its polling timer would outlive it."""
    yield
    for platform in async_get_platforms(hass, "sun"):
        platform.async_shutdown()


async def set_indoor(hass: HomeAssistant, temperature: float) -> None:
    """Set the room's temperature (its sensor reads ``input_number.indoor``)."""
    await hass.services.async_call(
        "input_number",
        "set_value",
        {"entity_id": "input_number.indoor", "value": round(temperature, 1)},
        blocking=True,
    )
    await hass.async_block_till_done()


async def set_target(hass: HomeAssistant, temperature: float) -> None:
    """Set the living room thermostat's target."""
    await hass.services.async_call(
        CLIMATE,
        "set_temperature",
        {"entity_id": home.LIVING, "temperature": temperature},
        blocking=True,
    )
    await hass.async_block_till_done()


async def build_home(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Build the home on the first morning: the living room heating, set back.

    The study (off, reading the same room) never heats.
    """
    freezer.move_to(FIRST_DAY - timedelta(hours=1))
    await home.async_build_home(
        hass,
        indoor=LOW,
        thermostats=[
            home.thermostat("Living room", "heater"),
            home.thermostat("Study", "study_heater"),
        ],
    )
    await set_target(hass, LOW)
    await hass.services.async_call(
        CLIMATE,
        "set_hvac_mode",
        {"entity_id": home.LIVING, "hvac_mode": "heat"},
        blocking=True,
    )
    await hass.async_block_till_done()


async def heat_ups(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    days: range,
    *,
    rate: float = RATE,
) -> None:
    """Heat the room up on each of ``days`` (from ``FIRST_DAY``), then set it back.

    The thermostat is set to 21 °C at 06:30; while its heater is on the room warms at
    ``rate`` °C per hour (read every minute); once the thermostat stops, it is set back
    to 17 °C and the room cools to it over the next hours.
    """
    for day in days:
        freezer.move_to(FIRST_DAY + timedelta(days=day))
        temperature = LOW
        await set_indoor(hass, temperature)
        await set_target(hass, HIGH)
        assert entity_state(hass, home.LIVING).attributes["hvac_action"] == "heating"
        while hass.states.is_state("input_boolean.heater", "on"):
            freezer.tick(timedelta(minutes=1))
            temperature += rate / 60
            await set_indoor(hass, temperature)
        await set_target(hass, LOW)
        while temperature > LOW:
            freezer.tick(timedelta(hours=1))
            temperature = max(LOW, temperature - 1.0)
            await set_indoor(hass, temperature)
    await async_wait_recording_done(hass)


async def learned(hass: HomeAssistant) -> None:
    """Wait for a learning under way (a background task) to end."""
    await hass.async_block_till_done(wait_background_tasks=True)


def runner(entry: MockConfigEntry) -> RoutineRunner:
    """Return a car's routine runner."""
    routines: RoutineRunner = entry.runtime_data.routines
    return routines


async def add_routine_car(
    hass: HomeAssistant, climate: dict[str, Any]
) -> MockConfigEntry:
    """Add the car with this climate routine for the living room; wait for learning."""
    entry = home.car("Family car", {CLIMATE: {"targets": [home.LIVING], **climate}})
    await add_car(hass, entry, webhook=True)
    await learned(hass)
    return entry


@pytest.mark.usefixtures("home_zone")
async def test_the_sensor_shows_the_rate_once_learned(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Unknown after two heat-ups; the simulated rate (within 3 %) after the third."""
    await build_home(hass, freezer)
    await heat_ups(hass, freezer, range(2))
    # Home Assistant starts: the car learns once it has started.
    hass.set_state(CoreState.starting)
    entry = await add_routine_car(hass, {})
    shown = entity_state(hass, HEATING_RATE)
    assert shown.state == "unknown"
    assert shown.attributes["periods"] is None  # not read yet
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await learned(hass)
    shown = entity_state(hass, HEATING_RATE)
    assert shown.state == "unknown"
    assert shown.attributes["periods"] == 2
    assert shown.attributes["unit_of_measurement"] == "°C/h"
    assert shown.attributes["state_class"] == "measurement"
    assert shown.name == "Family car Living room heating rate"
    registered = er.async_get(hass).async_get(HEATING_RATE)
    assert registered is not None
    assert registered.entity_category == "diagnostic"
    assert registered.unique_id == f"{entry.unique_id}_heating_rate_{home.LIVING}"
    # The living room only heats: no cooling rate.
    assert hass.states.get("sensor.family_car_living_room_cooling_rate") is None

    await heat_ups(hass, freezer, range(2, 3))
    learned_at = dt_util.utcnow()
    async_fire_time_changed(hass, learned_at + RELEARN_INTERVAL)
    await learned(hass)

    shown = entity_state(hass, HEATING_RATE)
    assert float(shown.state) == pytest.approx(RATE, rel=0.05)
    assert shown.attributes["periods"] == 3
    rate = runner(entry).rates.rate(home.LIVING, "heating")
    assert rate is not None
    assert float(shown.state) == round(rate, 1)


def watch_starts(hass: HomeAssistant, entry: MockConfigEntry) -> list[timedelta]:
    """Record, at each change of the living room's target, how long before the ETA.

    The ETA as the car's engine has it then.
    """
    leads: list[timedelta] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        assert old is not None
        assert new is not None
        if old.attributes.get("temperature") != new.attributes.get("temperature"):
            eta = entry.runtime_data.coordinator.data.snapshot.eta
            assert eta is not None
            leads.append(eta - dt_util.utcnow())

    entry.async_on_unload(async_track_state_change_event(hass, [home.LIVING], _changed))
    return leads


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize(
    ("learned_rate", "source"), [(True, "learned"), (False, "set")]
)
async def test_preheat_is_timed_by_the_learned_rate(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    learned_rate: bool,
    source: str,
) -> None:
    """The option on: the lead is (comfort - indoor) / learned rate; off: the set rate.

    The room learned 4 °C/h, the option says 1 °C/h: half a degree takes 7.5 minutes
    (started on the way, when the ETA falls under it) or 30 (at once: the drive takes
    20).
    """
    await build_home(hass, freezer)
    await heat_ups(hass, freezer, range(3))
    freezer.move_to(home.NIGHT)
    await set_indoor(hass, 20.0)
    entry = await add_routine_car(
        hass, {"target_temperature": 20.5, "rate": 1.0, "learned_rate": learned_rate}
    )
    rate = runner(entry).rates.rate(home.LIVING, "heating")
    assert rate == pytest.approx(RATE, rel=0.05)
    starts = watch_starts(hass, entry)
    events = async_capture_events(hass, EVENT_ROUTINE)

    fixes = iter(drive_home(home.NIGHT, 18_000.0))
    while not starts:
        await feed_cars(hass, freezer, [(entry, [next(fixes)])])

    lead = timedelta(hours=0.5 / rate)
    if learned_rate:
        # At the first update (every 10 s) with the ETA under the lead.
        assert lead - timedelta(seconds=30) < starts[0] <= lead
    else:
        assert starts[0] > timedelta(minutes=15)
    assert entity_state(hass, home.LIVING).attributes["temperature"] == 20.5
    decision = (await diagnostics(hass, entry))["routines"]["decisions"]["climate"]
    assert (decision["reason"], decision["rate_source"]) == ("done", source)
    await feed_cars(hass, freezer, [(entry, fixes)])
    (action,) = [
        a for e in events for a in e.data["actions"] if a["action"] == "comfort"
    ]
    assert action["rate_source"] == source


@pytest.mark.usefixtures("home_zone")
async def test_a_check_before_the_start_says_which_rate(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Checks that start nothing yet say the rate that timed them.

    Learned for the living room; the study, which never heated, has only the set rate:
    mixed.
    """
    await build_home(hass, freezer)
    await heat_ups(hass, freezer, range(3))
    freezer.move_to(home.NIGHT)
    await set_indoor(hass, 20.0)
    entry = home.car(
        "Family car",
        {
            CLIMATE: {
                "targets": [home.LIVING, home.STUDY],
                "target_temperature": 20.5,
                "learned_rate": True,
            }
        },
    )
    await add_car(hass, entry, webhook=True)
    await learned(hass)
    assert runner(entry).rates.rate(home.STUDY, "heating") is None
    fixes = drive_home(home.NIGHT, 18_000.0)
    await feed_cars(hass, freezer, [(entry, fixes[:20])])
    decision = (await diagnostics(hass, entry))["routines"]["decisions"]["climate"]
    assert (decision["reason"], decision["rate_source"]) == ("not_yet", "mixed")


def climate_state(
    temperature: float | None, action: str, **attributes: Any
) -> dict[str, Any]:
    """Return a thermostat's attributes (one that heats and cools) at a reading."""
    return {
        "hvac_modes": ["off", "heat", "cool"],
        "hvac_action": action,
        "current_temperature": temperature,
        "friendly_name": "Den",
        **attributes,
    }


async def write_heat_ups(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    days: range,
    *,
    rate: float,
    low: float,
    high: float,
    window: frozenset[int] = frozenset(),
    reading: str | None = None,
) -> None:
    """Write a thermostat's states through heat-ups from ``low`` to ``high``.

    ``climate.den`` reports its ``hvac_action`` and ``current_temperature`` (to a
    tenth) every minute while heating at ``rate`` per hour; on the days of ``window``
    a window is open from the 20th to the 40th minute and the room cools meanwhile.
    With ``reading``, that sensor reports the room and the thermostat a meaningless
    temperature of its own.
    """
    for day in days:
        freezer.move_to(FIRST_DAY + timedelta(days=day))
        temperature = low
        minute = 0

        def write(action: str, temperature: float) -> None:
            shown = round(temperature, 1)
            if reading is None:
                hass.states.async_set(DEN, "heat", climate_state(shown, action))
                return
            hass.states.async_set(reading, str(shown))
            hass.states.async_set(DEN, "heat", climate_state(30.0, action))

        write("heating", temperature)
        while temperature < high:
            freezer.tick(timedelta(minutes=1))
            minute += 1
            opened = day in window and 20 <= minute < 40
            temperature += -rate / 60 if opened else rate / 60
            write("heating", temperature)
            await hass.async_block_till_done()
        write("idle", temperature)
        while temperature > low:
            freezer.tick(timedelta(hours=1))
            temperature = max(low, temperature - 2.0)
            write("idle", temperature)
            await hass.async_block_till_done()
    await async_wait_recording_done(hass)


DEN = "climate.den"
READING = "sensor.den_temperature"


async def add_den_car(
    hass: HomeAssistant, targets: list[str], **climate: Any
) -> MockConfigEntry:
    """Add the car with a climate routine for ``targets``; wait for the learning."""
    entry = home.car("Family car", {CLIMATE: {"targets": targets, **climate}})
    await add_car(hass, entry, webhook=True)
    await learned(hass)
    return entry


@pytest.mark.usefixtures("home_zone")
async def test_fahrenheit(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """With °F, the rate in °F/h: 7.2 °F/h is 4 °C/h (thresholds scaled by 1.8)."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await write_heat_ups(hass, freezer, range(3), rate=7.2, low=63.0, high=70.0)
    # A rise of 1.6 °F is more than 1 but less than the 1 °C (1.8 °F) a period needs.
    await write_heat_ups(hass, freezer, range(3, 6), rate=3.6, low=63.0, high=64.6)
    entry = await add_den_car(hass, [DEN])
    shown = entity_state(hass, "sensor.family_car_den_heating_rate")
    assert shown.attributes["unit_of_measurement"] == "°F/h"
    assert float(shown.state) == pytest.approx(7.2, rel=0.05)
    assert shown.attributes["periods"] == 3  # the small rises are not periods
    cooling = entity_state(hass, "sensor.family_car_den_cooling_rate")
    assert cooling.state == "unknown"
    assert cooling.attributes["unit_of_measurement"] == "°F/h"
    assert cooling.attributes["periods"] == 0
    estimate = runner(entry).rates.estimate(DEN, "heating")
    assert estimate is not None
    assert estimate.rejected == {Rejection.SMALL: 3}


@pytest.mark.usefixtures("home_zone")
async def test_an_open_window_is_not_used(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A heat-up during which the room cooled (a window) is no period of the rate."""
    await write_heat_ups(
        hass, freezer, range(4), rate=3.0, low=17.0, high=21.0, window=frozenset({1})
    )
    entry = await add_den_car(hass, [DEN])
    shown = entity_state(hass, "sensor.family_car_den_heating_rate")
    assert float(shown.state) == pytest.approx(3.0, rel=0.05)
    assert shown.attributes["periods"] == 3
    estimate = runner(entry).rates.estimate(DEN, "heating")
    assert estimate is not None
    assert estimate.rejected == {Rejection.FELL: 1}


@pytest.mark.usefixtures("home_zone")
async def test_learned_from_the_indoor_sensor(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """With an indoor sensor, its readings, with the thermostat's action by time."""
    await write_heat_ups(
        hass, freezer, range(3), rate=2.0, low=18.0, high=21.0, reading=READING
    )
    await add_den_car(hass, [DEN], indoor_sensor=READING)
    shown = entity_state(hass, "sensor.family_car_den_heating_rate")
    assert float(shown.state) == pytest.approx(2.0, rel=0.05)
    assert shown.attributes["periods"] == 3


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize("recorder_config", [{"exclude": {"entities": [DEN, READING]}}])
async def test_not_recorded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A thermostat not recorded has no rate; one with its sensor not recorded, its own."""
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    await build_home(hass, freezer)
    await heat_ups(hass, freezer, range(3))
    await write_heat_ups(hass, freezer, range(3, 6), rate=2.0, low=18.0, high=21.0)
    entry = await add_den_car(hass, [DEN, home.LIVING], indoor_sensor=READING)
    assert entity_state(hass, "sensor.family_car_den_heating_rate").state == "unknown"
    living = entity_state(hass, HEATING_RATE)
    assert float(living.state) == pytest.approx(RATE, rel=0.05)
    runner(entry).rates.async_schedule()
    await learned(hass)
    assert (
        _messages(caplog).count(f"Family car: {DEN} is not recorded; no heating rate")
        == 1
    )


@pytest.mark.usefixtures("home_zone")
async def test_bounded_and_without_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only the newest states are read; a thermostat without history has no rate."""
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    await write_heat_ups(hass, freezer, range(4), rate=3.0, low=17.0, high=21.0)
    # A state at the start, one per tenth of a degree (40), idle, two while cooling.
    per_day = 44
    with patch("custom_components.homecoming.routines.rates.MAX_STATES", 2 * per_day):
        entry = await add_den_car(hass, [DEN, "climate.gone"])
        runner(entry).rates.async_schedule()
        await learned(hass)
    estimate = runner(entry).rates.estimate(DEN, "heating")
    assert estimate is not None
    assert estimate.periods == 2  # of four: the newest states only
    messages = _messages(caplog)
    assert (
        messages.count(
            f"{DEN} has more than {2 * per_day} states in the last 30 days; "
            "only the newest are read"
        )
        == 2
    )
    assert (
        messages.count("Family car: climate.gone has no history; no heating rate") == 1
    )
    assert runner(entry).rates.estimate("climate.gone", "heating") is None
    state = entity_state(hass, "sensor.family_car_climate_gone_heating_rate")
    assert state.state == "unknown"


@pytest.mark.usefixtures("home_zone")
async def test_a_failed_read_keeps_the_rate(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database fails: the rate learned before stays, nothing logged above debug."""
    await write_heat_ups(hass, freezer, range(3), rate=3.0, low=17.0, high=21.0)
    entry = await add_den_car(hass, [DEN])
    before = entity_state(hass, "sensor.family_car_den_heating_rate")
    assert before.state != "unknown"
    rates = runner(entry).rates
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    release = threading.Event()

    def failing_read(*_: Any, **__: Any) -> None:
        # Held until the second call: the first learning is surely under way then
        # (a read done at once would end it before the second call).
        release.wait(10)
        raise OperationalError("SELECT", None, Exception("disk I/O error"))

    with patch(
        "custom_components.homecoming.routines.rates.get_significant_states_with_session",
        side_effect=failing_read,
    ):
        rates.async_schedule()
        rates.async_schedule()  # while the first runs: one learning at a time
        release.set()
        await learned(hass)
    after = entity_state(hass, "sensor.family_car_den_heating_rate")
    assert (after.state, after.last_updated) == (before.state, before.last_updated)
    messages = _messages(caplog)
    assert "Family car: heating rates are being learned" in messages
    failed = (
        f"Family car: the history of {DEN} could not be read: "
        "OperationalError('(builtins.Exception) disk I/O error')"
    )
    assert [m for m in messages if "could not be read" in m] == [failed]
    ours = [r for r in caplog.records if r.name.startswith(PACKAGE)]
    assert [r for r in ours if r.levelno > logging.DEBUG or r.exc_info] == []


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith(PACKAGE)]


@pytest.mark.usefixtures("home_zone")
async def test_without_a_recorder(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No recorder: the set rate times the pre-heat; said once at debug, no error."""
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    freezer.move_to(home.NIGHT)
    await home.async_build_home(
        hass, indoor=20.0, thermostats=[home.thermostat("Living room", "heater")]
    )
    entry = await add_routine_car(
        hass, {"target_temperature": 20.5, "rate": 2.0, "learned_rate": True}
    )
    runner(entry).rates.async_schedule()
    await learned(hass)
    shown = entity_state(hass, HEATING_RATE)
    assert (shown.state, shown.attributes["periods"]) == ("unknown", None)
    starts = watch_starts(hass, entry)
    fixes = iter(drive_home(home.NIGHT, 18_000.0))
    while not starts:
        await feed_cars(hass, freezer, [(entry, [next(fixes)])])
    lead = timedelta(minutes=15)  # half a degree at 2 °C/h
    assert lead - timedelta(seconds=30) < starts[0] <= lead
    decision = (await diagnostics(hass, entry))["routines"]["decisions"]["climate"]
    assert decision["rate_source"] == "set"
    messages = _messages(caplog)
    assert messages.count("Family car: no recorder; no heating rate is learned") == 1
    ours = [r for r in caplog.records if r.name.startswith(PACKAGE)]
    assert [r for r in ours if r.levelno >= logging.WARNING or r.exc_info] == []


def rate_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return a car's learned-rate sensors: ``<key>_<thermostat>`` -> entity id."""
    prefix = f"{entry.unique_id}_"
    return {
        e.unique_id.removeprefix(prefix): e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.removeprefix(prefix).startswith(
            ("heating_rate_", "cooling_rate_")
        )
    }


@pytest.mark.usefixtures("home_zone")
async def test_a_sensor_per_thermostat(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """A heating rate each, a cooling rate for those that cool; gone with their target.

    The modes come from the thermostat's state, else its registry entry; while
    neither knows them, a cooling rate sensor the thermostat had is kept.
    """
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass)
    entity_registry.async_get_or_create(
        CLIMATE,
        "demo",
        "attic",
        suggested_object_id="attic",
        original_name="Attic",
        capabilities={"hvac_modes": ["off", "cool"]},
    )
    entity_registry.async_get_or_create(
        CLIMATE, "demo", "odd", suggested_object_id="odd"
    )
    hass.states.async_set("climate.weird", "heat", {"hvac_modes": "heat"})
    targets = [
        home.LIVING,
        home.HEAT_PUMP,
        home.BEDROOM,
        "climate.attic",
        "climate.odd",
        "climate.weird",
        "climate.gone",
    ]
    entry = home.car("Family car", {CLIMATE: {"targets": targets}})
    entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{entry.unique_id}_cooling_rate_climate.gone",
        config_entry=entry,
        suggested_object_id="family_car_climate_gone_cooling_rate",
    )
    await add_car(hass, entry, webhook=True)

    sensors = rate_sensors(hass, entry)
    assert set(sensors) == {
        f"heating_rate_{home.LIVING}",
        f"heating_rate_{home.HEAT_PUMP}",
        f"cooling_rate_{home.HEAT_PUMP}",
        f"heating_rate_{home.BEDROOM}",
        f"cooling_rate_{home.BEDROOM}",
        "heating_rate_climate.attic",
        "cooling_rate_climate.attic",
        "heating_rate_climate.odd",
        "heating_rate_climate.weird",
        "heating_rate_climate.gone",
        "cooling_rate_climate.gone",
    }
    names = {
        key: entity_state(hass, entity_id).name for key, entity_id in sensors.items()
    }
    assert (
        names[f"cooling_rate_{home.HEAT_PUMP}"] == "Family car Heat pump cooling rate"
    )
    assert names["heating_rate_climate.attic"] == "Family car Attic heating rate"
    assert names["heating_rate_climate.odd"] == "Family car climate.odd heating rate"
    for entity_id in sensors.values():
        shown = entity_state(hass, entity_id)
        assert shown.state == "unknown"  # no recorder here
        assert shown.attributes["unit_of_measurement"] == "°C/h"

    # The car's position changes nothing they show.
    before = {e: entity_state(hass, e).last_updated for e in sensors.values()}
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert {e: entity_state(hass, e).last_updated for e in sensors.values()} == before

    hass.config_entries.async_update_entry(
        entry, options={CLIMATE: {"targets": [home.LIVING]}}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert rate_sensors(hass, entry) == {
        f"heating_rate_{home.LIVING}": sensors[f"heating_rate_{home.LIVING}"]
    }
    removed = set(sensors.values()) - {sensors[f"heating_rate_{home.LIVING}"]}
    assert [e for e in removed if entity_registry.async_get(e) is not None] == []


def test_samples_of_a_heat_pump() -> None:
    """A range's low end is the target while heating, its high end while cooling."""
    start = dt_util.utcnow()

    def at(minutes: int, state: str, **attributes: Any) -> State:
        moment = start + timedelta(minutes=minutes)
        return State(home.HEAT_PUMP, state, attributes, moment, moment, moment)

    heat_cool = {"target_temp_low": 20, "target_temp_high": 24}
    climate = [
        at(
            0,
            "heat_cool",
            hvac_action="heating",
            current_temperature="19.5",
            **heat_cool,
        ),
        at(1, "heat_cool", hvac_action="cooling", current_temperature=25, **heat_cool),
        at(2, "heat_cool", hvac_action="idle", current_temperature="n/a", **heat_cool),
        at(3, "heat", hvac_action="heating", current_temperature=19, temperature=21),
        at(4, "unavailable"),
    ]
    minute = timedelta(minutes=1)
    assert samples(climate, [], UnitOfTemperature.CELSIUS) == [
        Sample(start, 19.5, "heating", 20.0),
        Sample(start + minute, 25.0, "cooling", 24.0),
        Sample(start + 2 * minute, None, "idle", None),
        Sample(start + 3 * minute, 19.0, "heating", 21.0),
        Sample(start + 4 * minute, None, None, None),
    ]


def test_a_sensor_reading_in_another_unit_is_converted() -> None:
    """An indoor sensor that read °F (then) gives °C to a °C home, and the other way."""
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    climate = [State("climate.living_room", "heat", {"hvac_action": "heating"}, start)]
    readings = [
        State("sensor.indoor", "68", {"unit_of_measurement": "°F"}, start + minute),
        State(
            "sensor.indoor", "20.5", {"unit_of_measurement": "°C"}, start + 2 * minute
        ),
        State(
            "sensor.indoor", "19", {"unit_of_measurement": "lux"}, start + 3 * minute
        ),
    ]
    celsius = samples(climate, readings, UnitOfTemperature.CELSIUS)
    assert [sample.temperature for sample in celsius] == [
        None,
        pytest.approx(20.0),
        20.5,
        19.0,
    ]
    fahrenheit = samples(climate, readings, UnitOfTemperature.FAHRENHEIT)
    assert [sample.temperature for sample in fahrenheit] == [
        None,
        68.0,
        pytest.approx(68.9),
        19.0,
    ]


@pytest.mark.usefixtures("home_zone")
async def test_learned_every_six_hours_until_unloaded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Learned again every 6 hours while the car is loaded, never after."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(
        hass, thermostats=[home.thermostat("Living room", "heater")]
    )
    entry = await add_routine_car(hass, {})
    with patch.object(RateLearner, "async_schedule") as schedule:
        freezer.tick(RELEARN_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert schedule.call_count == 1
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        freezer.tick(RELEARN_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert schedule.call_count == 1

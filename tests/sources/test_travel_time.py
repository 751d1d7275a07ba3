"""Tests of a travel-time sensor as the ETA of a car that follows an entity.

The car follows a real ``template`` sensor whose position is an ``input_number`` (its
distance north of home, in km); the travel time is another ``template`` sensor (device
class duration, like Waze and Google Travel Time) over an ``input_number``. A second car
follows the same entity without a travel-time sensor: its ETA is the engine's own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import DurationConverter
from hypothesis import given, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    CONF_TRAVEL_TIME_SENSOR,
    DOMAIN,
    EVENT_HOMECOMING,
    MINOR_VERSION,
    SERVICE_UPDATE_LOCATION,
    SOURCE_ENTITY,
    TRAVEL_TIME_MAX_AGE,
)
from custom_components.homecoming.engine import Settings
from custom_components.homecoming.engine.models import MAX_TRAVEL_TIME_S
from custom_components.homecoming.sources.entity import (
    travel_time_from_state,
    travel_time_seconds,
)
from tests.common import (
    HOME_LAT,
    HOME_LON,
    add_car,
    drive_home,
    feed,
    location_data,
    phase_state,
    sensor_state,
    state,
    switch_input_boolean,
)

CAR = "sensor.car_position"
"""The entity both cars follow: a template sensor with a position."""
TRAVEL = "sensor.travel_time"
"""The travel-time sensor of the car under test."""
CAR_KM = "input_number.car_km"
TRAVEL_VALUE = "input_number.travel_time"
TRAVEL_UP = "input_boolean.travel_time_up"
KM_PER_DEGREE = 111.195
"""Kilometres per degree of latitude (the car drives south along a meridian)."""
START_KM = 5.0
STEP_KM = 0.15
"""15 m/s at one position every 10 seconds."""
STEP = timedelta(seconds=10)
LOGGER_NAME = "custom_components.homecoming"
HOLD = timedelta(seconds=Settings().external_eta_max_age_s)
"""How long the engine keeps a travel time that a fix leaves out."""


# ------------------------------------------------------------------ set-up helpers


async def setup_sensors(
    hass: HomeAssistant, unit: str = "min", value: float = 20.0
) -> None:
    """Set up the car's position and its travel-time sensor (read now)."""
    assert await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                "car_km": {"min": 0, "max": 100, "step": 0.001, "initial": START_KM},
                "travel_time": {
                    "min": -1e9,
                    "max": 1e9,
                    "step": 0.001,
                    "initial": value,
                },
            }
        },
    )
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"travel_time_up": {"initial": True}}}
    )
    km = f"states('{CAR_KM}') | float"
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "sensor": [
                        {
                            "name": "Car position",
                            "unique_id": "car_position",
                            "state": f"{{{{ states('{CAR_KM}') }}}}",
                            "attributes": {
                                "latitude": f"{{{{ {HOME_LAT} + {km} / {KM_PER_DEGREE} }}}}",
                                "longitude": f"{{{{ {HOME_LON} }}}}",
                                "gps_accuracy": "{{ 10 }}",
                            },
                        },
                        {
                            "name": "Travel time",
                            "unique_id": "travel_time",
                            "device_class": "duration",
                            "unit_of_measurement": unit,
                            "state": f"{{{{ states('{TRAVEL_VALUE}') }}}}",
                            "availability": f"{{{{ is_state('{TRAVEL_UP}', 'on') }}}}",
                        },
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()
    travel = hass.states.get(TRAVEL)
    assert travel is not None
    assert travel.attributes["unit_of_measurement"] == unit
    assert travel.attributes["device_class"] == "duration"


def car(options: dict[str, Any], **kwargs: Any) -> MockConfigEntry:
    """Return a car that follows the template sensor."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
        title=kwargs.get("title", "Family car"),
        unique_id=kwargs.get("unique_id", "family_car"),
        entry_id=kwargs.get("entry_id", "01FAMILYCAR"),
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: CAR,
            CONF_HOME_ZONE: "zone.home",
        },
        options=options,
    )


async def add_cars(hass: HomeAssistant, sensor: object = TRAVEL) -> MockConfigEntry:
    """Add the car under test (with this travel-time sensor) and the reference car."""
    entry = await add_car(hass, car({CONF_TRAVEL_TIME_SENSOR: sensor}))
    await add_car(hass, reference())
    return entry


def reference() -> MockConfigEntry:
    """Return the reference car: the same entity, no travel-time sensor."""
    return car(
        {}, title="Reference car", unique_id="reference_car", entry_id="01REFERENCE"
    )


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Set an input_number."""
    await hass.services.async_call(
        "input_number",
        "set_value",
        {"entity_id": entity_id, "value": value},
        blocking=True,
    )
    await hass.async_block_till_done()


async def switch(hass: HomeAssistant, on: bool) -> None:
    """Make the travel-time sensor available (on) or unavailable."""
    await switch_input_boolean(hass, TRAVEL_UP, on)


async def drive(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, steps: int
) -> None:
    """Drive ``steps`` positions further towards home, one every 10 seconds."""
    km = float(state(hass, CAR_KM))
    for _ in range(steps):
        km -= STEP_KM
        freezer.tick(STEP)
        await set_value(hass, CAR_KM, round(km, 3))


def eta(hass: HomeAssistant, entry: MockConfigEntry) -> datetime | None:
    """Return a car's ETA as its arrival-time sensor shows it."""
    return dt_util.parse_datetime(sensor_state(hass, entry, "eta"))


def own_eta(hass: HomeAssistant) -> datetime:
    """Return the reference car's ETA: the engine's own."""
    reference_eta = eta(hass, reference())
    assert reference_eta is not None
    return reference_eta


def started_eta(events: list[Any], entry: MockConfigEntry) -> datetime | None:
    """Return the ETA of a car's ``approach_started`` event."""
    (event,) = (
        event
        for event in events
        if event.data["type"] == "approach_started"
        and event.data["entry_id"] == entry.entry_id
    )
    return dt_util.parse_datetime(event.data["eta"])


def log_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Return the integration's log messages of one level."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER_NAME and record.levelno == level
    ]


# ------------------------------------------------------------------ the ETA


@pytest.mark.parametrize(
    ("unit", "value", "seconds"),
    [
        ("min", 20, 1200),
        ("s", 1500, 1500),
        ("h", 0.5, 1800),
        ("ms", 1_380_000, 1380),
        ("d", 0.0125, 1080),
    ],
)
@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_travel_time_is_the_eta(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    unit: str,
    value: float,
    seconds: float,
) -> None:
    """The sensor's value, converted from its unit, is the ETA while approaching.

    A reading says when the car arrives (the moment it was reported plus its value): a
    reading two minutes old still gives the same arrival, a newer one replaces it.
    """
    await setup_sensors(hass, unit, value)
    read_at = dt_util.utcnow()
    events = async_capture_events(hass, EVENT_HOMECOMING)
    entry = await add_cars(hass)
    assert eta(hass, entry) is None  # away: no ETA

    await drive(hass, freezer, 15)
    assert phase_state(hass, entry) == "approaching"
    expected = read_at + timedelta(seconds=seconds)
    assert eta(hass, entry) == expected
    assert started_eta(events, entry) == expected
    assert abs(own_eta(hass) - expected) > timedelta(minutes=5)
    assert started_eta(events, reference()) != expected

    # A new reading: its own moment plus its value.
    freezer.tick(STEP)
    await set_value(hass, TRAVEL_VALUE, value / 2)
    read_at = dt_util.utcnow()
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == read_at + timedelta(seconds=seconds / 2)


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_unavailable_sensor_gives_the_engines_eta(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """An unavailable sensor gives no travel time: the engine's own ETA."""
    await setup_sensors(hass)
    await switch(hass, on=False)
    assert state(hass, TRAVEL) == "unavailable"
    events = async_capture_events(hass, EVENT_HOMECOMING)
    entry = await add_cars(hass)
    await drive(hass, freezer, 15)
    assert phase_state(hass, entry) == "approaching"
    assert eta(hass, entry) == own_eta(hass)
    assert started_eta(events, entry) == started_eta(events, reference())

    # Available again: its reading is the ETA from the next position on.
    await switch(hass, on=True)
    read_at = dt_util.utcnow()
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == read_at + timedelta(minutes=20)


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_stale_reading_gives_the_engines_eta(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reading not reported again for longer than the bound is stale."""
    await setup_sensors(hass)
    entry = await add_cars(hass)
    freezer.tick(TRAVEL_TIME_MAX_AGE)
    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        await drive(hass, freezer, 15)
    assert phase_state(hass, entry) == "approaching"
    assert eta(hass, entry) == own_eta(hass)
    assert (
        f"Family car: no travel time from {TRAVEL} ('20.0' 'min', reported "
        in caplog.text
    )


async def approach_with_reading(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sensor: str = TRAVEL
) -> tuple[MockConfigEntry, datetime]:
    """Approach from 15 km with a 25-minute reading; return the car and its ETA."""
    read_at = dt_util.utcnow()
    await set_value(hass, CAR_KM, 15.0)
    entry = await add_cars(hass, sensor)
    await drive(hass, freezer, 15)
    assert phase_state(hass, entry) == "approaching"
    external = read_at + timedelta(minutes=25)
    assert eta(hass, entry) == external
    assert abs(own_eta(hass) - external) > timedelta(minutes=5)
    return entry, external


@pytest.mark.parametrize(
    ("value", "attributes"),
    [
        ("unavailable", {"unit_of_measurement": "min"}),
        ("unknown", {"unit_of_measurement": "min"}),
        ("-5", {"unit_of_measurement": "min"}),
        ("100000", {"unit_of_measurement": "min"}),
        ("3", {"unit_of_measurement": "d"}),
        ("soon", {"unit_of_measurement": "min"}),
        ("nan", {"unit_of_measurement": "min"}),
        ("25", {}),
        ("25", {"unit_of_measurement": "km"}),
    ],
    ids=[
        "unavailable",
        "unknown",
        "negative",
        "100000-min",
        "3-days",
        "text",
        "nan",
        "no-unit",
        "not-a-duration",
    ],
)
@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_a_lost_reading_gives_the_engines_eta_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    value: str,
    attributes: dict[str, Any],
) -> None:
    """A sensor that says it has no usable value: the engine's ETA from the next position.

    Not the last reading for another 10 minutes (the hold kept for pushes that leave the
    travel time out): the sensor the car reads says there is none.
    """
    await setup_sensors(hass)
    waze = "sensor.waze_travel_time"
    hass.states.async_set(waze, "25", {"unit_of_measurement": "min"})
    entry, external = await approach_with_reading(hass, freezer, waze)

    hass.states.async_set(waze, value, attributes)
    await hass.async_block_till_done()
    assert eta(hass, entry) == external  # nothing until the next position
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == own_eta(hass)
    await drive(hass, freezer, 3)
    assert eta(hass, entry) == own_eta(hass)  # the old reading never comes back

    # A usable reading again: the ETA from the next position on.
    hass.states.async_set(waze, "7", {"unit_of_measurement": "min"})
    read_at = dt_util.utcnow()
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == read_at + timedelta(minutes=7)


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_an_unavailable_sensor_gives_the_engines_eta_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The travel-time sensor's integration losing it mid-approach (a failed poll)."""
    await setup_sensors(hass, value=25)
    entry, _external = await approach_with_reading(hass, freezer)
    await switch(hass, on=False)
    assert state(hass, TRAVEL) == "unavailable"
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == own_eta(hass)


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_a_stale_reading_gives_the_engines_eta_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A sensor not reported again: its reading is used until stale, then no longer."""
    await setup_sensors(hass, value=25)
    entry, external = await approach_with_reading(hass, freezer)
    # 15 minutes after the reading: at the bound, still used.
    await drive(hass, freezer, 75)
    assert phase_state(hass, entry) == "approaching"
    assert eta(hass, entry) == external
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == own_eta(hass)


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_a_removed_sensor_gives_the_engines_eta_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A travel-time sensor removed mid-approach: the engine's ETA at once."""
    await setup_sensors(hass, value=25)
    entry, _external = await approach_with_reading(hass, freezer)
    er.async_get(hass).async_remove(TRAVEL)
    await hass.async_block_till_done()
    assert hass.states.get(TRAVEL) is None
    await drive(hass, freezer, 1)
    assert eta(hass, entry) == own_eta(hass)


@pytest.mark.usefixtures("start_of_drive")
async def test_a_push_without_travel_time_keeps_it_for_ten_minutes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """A sender that leaves the travel time out of some pushes: it holds 10 minutes.

    That is the engine's rule for a fix that says nothing about it
    (``external_eta_max_age_s``, docs/engine.md); then the engine's own ETA takes over.
    """
    fixes = drive_home(dt_util.utcnow(), 20_000.0)
    await feed(hass, freezer, init_push, fixes[:30])
    assert phase_state(hass, init_push) == "approaching"
    given = fixes[30]
    freezer.move_to(given.timestamp)
    await hass.services.async_call(
        DOMAIN,
        SERVICE_UPDATE_LOCATION,
        location_data(init_push, given) | {"travel_time": 1500},
        blocking=True,
    )
    external = given.timestamp + timedelta(minutes=25)
    assert eta(hass, init_push) == external

    held = [fix for fix in fixes[31:] if fix.timestamp - given.timestamp <= HOLD]
    await feed(hass, freezer, init_push, held)
    assert len(held) == 60
    assert phase_state(hass, init_push) == "approaching"
    assert eta(hass, init_push) == external
    await feed(hass, freezer, init_push, [fixes[31 + len(held)]])
    own = eta(hass, init_push)
    assert own is not None
    assert own != external


@pytest.mark.parametrize(
    ("state", "attributes"),
    [
        ("unknown", {"unit_of_measurement": "min"}),
        ("unavailable", {"unit_of_measurement": "min"}),
        ("-5", {"unit_of_measurement": "min"}),
        ("nan", {"unit_of_measurement": "min"}),
        ("inf", {"unit_of_measurement": "min"}),
        ("20 min", {"unit_of_measurement": "min"}),
        ("1e400", {"unit_of_measurement": "s"}),
        ("1441", {"unit_of_measurement": "min"}),
        ("20", {}),
        ("20", {"unit_of_measurement": "parsec"}),
        ("20", {"unit_of_measurement": "MIN"}),
        ("20", {"unit_of_measurement": ["min"]}),
        ("20", {"unit_of_measurement": None}),
    ],
    ids=[
        "unknown",
        "unavailable",
        "negative",
        "nan",
        "inf",
        "text",
        "huge",
        "over-a-day",
        "no-unit",
        "unknown-unit",
        "wrong-case-unit",
        "unit-not-text",
        "unit-none",
    ],
)
@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_junk_readings_give_the_engines_eta(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    state: str,
    attributes: dict[str, Any],
) -> None:
    """A state that is no travel time is ignored: no error, the engine's ETA."""
    await setup_sensors(hass)
    junk = "sensor.junk_travel_time"
    hass.states.async_set(junk, state, attributes)
    events = async_capture_events(hass, EVENT_HOMECOMING)
    entry = await add_cars(hass, junk)
    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        await drive(hass, freezer, 15)
    assert phase_state(hass, entry) == "approaching"
    assert eta(hass, entry) == own_eta(hass)
    assert started_eta(events, entry) == started_eta(events, reference())
    assert f"no travel time from {junk}" in caplog.text
    assert log_lines(caplog, logging.ERROR) == []
    assert log_lines(caplog, logging.WARNING) == []


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_removed_sensor_is_logged_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sensor that no longer exists: the engine's ETA, logged once; and once back."""
    await setup_sensors(hass)
    er.async_get(hass).async_remove(TRAVEL)
    await hass.async_block_till_done()
    assert hass.states.get(TRAVEL) is None
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        entry = await add_cars(hass)
        await drive(hass, freezer, 15)
        assert phase_state(hass, entry) == "approaching"
        assert eta(hass, entry) == own_eta(hass)

        # Created again (by its integration, here by hand).
        hass.states.async_set(TRAVEL, "12", {"unit_of_measurement": "min"})
        read_at = dt_util.utcnow()
        await drive(hass, freezer, 3)
        assert eta(hass, entry) == read_at + timedelta(minutes=12)
    assert log_lines(caplog, logging.INFO) == [
        (
            f"Family car: the travel-time sensor {TRAVEL} does not exist; the ETA"
            " is the car's own"
        ),
        f"Family car: the travel-time sensor {TRAVEL} is back",
    ]


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_sensor_missing_while_starting_is_not_logged(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While Home Assistant starts, the sensor's integration may not be set up yet."""
    await setup_sensors(hass)
    hass.set_state(CoreState.starting)
    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        entry = await add_car(hass, car({CONF_TRAVEL_TIME_SENSOR: "sensor.waze"}))
        await drive(hass, freezer, 2)
        assert "the travel-time sensor sensor.waze is not there yet" in caplog.text
        assert log_lines(caplog, logging.INFO) == []

        hass.set_state(CoreState.running)
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
        await drive(hass, freezer, 2)
    assert log_lines(caplog, logging.INFO) == [
        (
            "Family car: the travel-time sensor sensor.waze does not exist; the ETA"
            " is the car's own"
        ),
    ]
    assert phase_state(hass, entry) == "approaching"
    current = eta(hass, entry)
    assert current is not None
    assert current - dt_util.utcnow() < timedelta(minutes=10)  # the engine's own


@pytest.mark.parametrize("saved", [42, "", "not an entity", ["sensor.waze"]])
@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_junk_saved_option_is_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    saved: object,
) -> None:
    """An option saved by hand that is no entity id: a warning, the engine's ETA."""
    await setup_sensors(hass)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        entry = await add_cars(hass, saved)
    assert log_lines(caplog, logging.WARNING) == [
        (
            f"Family car: the saved option travel_time_sensor = {saved!r} is not an"
            " entity id; the ETA is the car's own (open the car's detection options"
            " and save them to fix it)"
        )
    ]
    await drive(hass, freezer, 15)
    assert eta(hass, entry) == own_eta(hass)


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_without_the_option_nothing_is_read(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A car without a travel-time sensor ignores any such sensor."""
    await setup_sensors(hass)
    entry = await add_car(hass, car({}))
    await drive(hass, freezer, 15)
    assert phase_state(hass, entry) == "approaching"
    current = eta(hass, entry)
    assert current is not None
    assert current - dt_util.utcnow() < timedelta(minutes=10)


# ------------------------------------------------------------------ the parser


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [
        ("20", "min", 1200.0),
        ("20.5", "min", 1230.0),
        ("1500", "s", 1500.0),
        ("0.5", "h", 1800.0),
        ("1", "d", 86_400.0),
        ("90000", "ms", 90.0),
        ("0", "min", 0.0),
        ("-0", "min", 0.0),
        (" 7 ", "min", 420.0),
        ("1440", "min", 86_400.0),
        ("1440.01", "min", None),
        ("1", "w", None),
        ("-1", "min", None),
        ("nan", "min", None),
        ("-inf", "min", None),
        ("unknown", "min", None),
        ("unavailable", "min", None),
        ("", "min", None),
        ("20", None, None),
        ("20", "minutes", None),
        ("20", 60, None),
        ("20", ["min"], None),
    ],
)
def test_travel_time_seconds(value: str, unit: object, seconds: float | None) -> None:
    """Convert from any duration unit; anything else is no travel time."""
    result = travel_time_seconds(value, unit)
    assert result == seconds
    if result is not None:
        assert math.copysign(1.0, result) == 1.0  # never -0.0


UNITS = st.one_of(
    st.sampled_from(sorted(str(unit) for unit in DurationConverter.VALID_UNITS)),
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)
VALUES = st.one_of(
    st.text(),
    st.floats().map(str),
    st.floats().map(repr),
    st.integers().map(str),
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.decimals().map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", "1_000", "unknown"]),
)


@given(value=VALUES, unit=UNITS)
def test_travel_time_seconds_never_raises(value: str, unit: object) -> None:
    """Any text and any unit give None or a travel time within the Fix's bounds."""
    result = travel_time_seconds(value, unit)
    assert result is None or (
        isinstance(result, float)
        and math.isfinite(result)
        and 0.0 <= result <= MAX_TRAVEL_TIME_S
    )


@given(
    value=VALUES,
    unit=UNITS,
    age=st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400)),
)
def test_travel_time_from_state_never_raises(
    value: str, unit: object, age: timedelta
) -> None:
    """Whatever the state and its age: None or a travel time within the bounds."""
    reported = datetime(2026, 1, 1, tzinfo=UTC)
    state = State(
        TRAVEL, value[:255], {"unit_of_measurement": unit}, last_reported=reported
    )
    result = travel_time_from_state(state, reported + age)
    assert result is None or 0.0 <= result <= MAX_TRAVEL_TIME_S


@pytest.mark.parametrize(
    ("value", "age", "expected"),
    [
        ("20", timedelta(0), 1200.0),
        ("20", timedelta(minutes=5), 900.0),
        ("20", TRAVEL_TIME_MAX_AGE, 300.0),
        ("20", TRAVEL_TIME_MAX_AGE + timedelta(seconds=1), None),
        ("10", timedelta(minutes=10), 0.0),
        ("10", timedelta(minutes=11), None),
        ("20", timedelta(minutes=-5), 1500.0),
        ("1440", timedelta(seconds=-1), None),
    ],
    ids=[
        "fresh",
        "aged",
        "at-the-bound",
        "stale",
        "arriving-now",
        "arrival-passed",
        "read-after-the-fix",
        "read-after-the-fix-over-a-day",
    ],
)
def test_travel_time_from_state(
    value: str, age: timedelta, expected: float | None
) -> None:
    """A reading foresees an arrival; stale readings and passed arrivals give None."""
    reported = datetime(2026, 1, 1, tzinfo=UTC)
    state = State(TRAVEL, value, {"unit_of_measurement": "min"}, last_reported=reported)
    assert travel_time_from_state(state, reported + age) == expected

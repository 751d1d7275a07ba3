"""Tests of the entity source: following a device tracker, person or positioned entity."""

from __future__ import annotations

from datetime import timedelta
import logging
import math
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STARTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfSpeed,
)
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
from hypothesis import given, settings as hsettings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import (
    CONF_TRACKED_ENTITY,
    DOMAIN,
    EVENT_HOMECOMING,
)
from custom_components.homecoming.engine import ApproachDetector, Fix, Phase, Settings
from custom_components.homecoming.sources.entity import (
    SPEED_ATTRIBUTES,
    SpeedAttribute,
    can_follow,
    report_from_state,
)
from devtools import sim
from tests.common import (
    HOME,
    TRACKER,
    add_car,
    car_states,
    entity_car,
    phase_state,
    position,
    stats,
    tracker,
)


@pytest.fixture
def tracker_registered(hass: HomeAssistant) -> None:
    """Register the followed tracker, as its own integration would have done.

    Its entity id stays taken while its state is missing, so the car's own
    device tracker (named after the car, "Family car") cannot take it.
    """
    er.async_get(hass).async_get_or_create(
        "device_tracker", "car_maker", "family_car", suggested_object_id="family_car"
    )


@pytest.fixture
async def car_at_startup(
    hass: HomeAssistant,
    home_zone: None,
    tracker_registered: None,
    entity_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set up the car while Home Assistant starts, its tracker registered but missing."""
    hass.set_state(CoreState.not_running)
    return await add_car(hass, entity_entry)


async def finish_start(hass: HomeAssistant) -> None:
    """Let Home Assistant finish its start."""
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()


def gps(lat: Any, lon: Any, **extra: Any) -> dict[str, Any]:
    """Return the attributes of a GPS tracker state."""
    return {"latitude": lat, "longitude": lon, "gps_accuracy": 10, **extra}


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the car's source_removed repair issue, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"source_removed_{entry.entry_id}"
    )


# ------------------------------------------------------------ report_from_state


def _state(state: str, attributes: dict[str, Any], entity_id: str = TRACKER) -> State:
    return State(entity_id, state, attributes)


MPS = SpeedAttribute("speed", UnitOfSpeed.METERS_PER_SECOND)
KMH = SpeedAttribute("velocity", UnitOfSpeed.KILOMETERS_PER_HOUR)


@pytest.mark.parametrize(
    ("attributes", "speed_attribute", "accuracy", "speed", "heading"),
    [
        ({"gps_accuracy": 12, "speed": 10, "course": 200}, MPS, 12.0, 10.0, 200.0),
        ({"velocity": 36, "heading": 90}, KMH, None, 10.0, 90.0),
        ({"speed": 10, "velocity": 36, "heading": 90}, None, None, None, 90.0),
        ({"speed": -1, "velocity": 72, "bearing": 45}, MPS, None, None, 45.0),
        ({"gps_accuracy": -1, "course": "N", "direction": 10}, MPS, None, None, 10.0),
        ({"gps_accuracy": 0, "course": -1, "heading": 370}, MPS, None, None, 10.0),
        (
            {"gps_accuracy": True, "speed": "fast", "course": -90},
            MPS,
            None,
            None,
            270.0,
        ),
        ({"gps_accuracy": 100_000, "speed": 150}, MPS, 100_000.0, 150.0, None),
        ({"bearing": -1e-85}, MPS, None, None, 0.0),
    ],
    ids=[
        "mps",
        "kmh",
        "unknown-platform",
        "sentinel-speed",
        "junk",
        "zero-accuracy",
        "not-numbers",
        "limits",
        "tiny-negative-heading",
    ],
)
def test_report_reads_a_position(
    attributes: dict[str, Any],
    speed_attribute: SpeedAttribute | None,
    accuracy: float | None,
    speed: float | None,
    heading: float | None,
) -> None:
    """Read position, accuracy, speed (where its unit is known) and heading.

    -1, other negative values and values that are no numbers mean unknown; 0 is no
    accuracy (Android and Traccar report 0 when they have none); headings are taken
    modulo 360.
    """
    state = _state("not_home", {"latitude": 52.4, "longitude": 4.9, **attributes})
    report = report_from_state(state, speed=speed_attribute)
    assert isinstance(report, Fix)
    assert (report.latitude, report.longitude) == (52.4, 4.9)
    assert report.timestamp == state.last_updated
    assert report.accuracy == accuracy
    assert report.speed == pytest.approx(speed)
    assert report.heading == heading


@pytest.mark.parametrize(
    "attributes",
    [
        {"gps_accuracy": 100_001},
        {"gps_accuracy": 10**400},
        {"gps_accuracy": math.inf},
        {"gps_accuracy": math.nan},
        {"speed": 150.1},
        {"speed": 10**400},
        {"speed": math.nan},
        {"course": math.inf},
        {"heading": math.nan},
        {"latitude": 90.5},
        {"longitude": -180.5},
        {"latitude": math.nan},
        {"longitude": 10**400},
    ],
    ids=[
        "accuracy",
        "accuracy-huge",
        "accuracy-inf",
        "accuracy-nan",
        "speed",
        "speed-huge",
        "speed-nan",
        "heading-inf",
        "heading-nan",
        "latitude",
        "longitude",
        "latitude-nan",
        "longitude-huge",
    ],
)
def test_report_out_of_range_is_dropped(
    attributes: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Drop a report with any number out of its range, with a debug line; never raise."""
    state = _state("not_home", {"latitude": 52.4, "longitude": 4.9, **attributes})
    with caplog.at_level(logging.DEBUG, logger="custom_components.homecoming"):
        assert report_from_state(state, speed=MPS) is None
    assert f"{TRACKER}: unusable position" in caplog.text


@pytest.mark.parametrize(
    ("entity_id", "state", "attributes", "home_state", "expected"),
    [
        (TRACKER, "home", {}, "home", True),
        (TRACKER, "not_home", {}, "home", False),
        (TRACKER, "Work", {}, "home", False),
        ("person.anna", "home", {}, "home", True),
        (TRACKER, "home", {}, "Cottage", False),
        (TRACKER, "Cottage", {}, "Cottage", True),
        ("sensor.car", "home", {}, "home", None),
        (TRACKER, "unknown", gps(52.4, 4.9), "home", None),
        (TRACKER, "unavailable", {}, "home", None),
        (TRACKER, "home", gps(95.0, 4.9), "home", None),
        (TRACKER, "home", gps(math.nan, 4.9), "home", None),
        (TRACKER, "home", gps("52.4", 4.9), "home", None),
        (TRACKER, "home", gps(10**400, 4.9), "home", None),
        (TRACKER, "home", {"latitude": 52.4}, "home", True),
    ],
)
def test_report_without_a_usable_position(
    entity_id: str,
    state: str,
    attributes: dict[str, Any],
    home_state: str,
    expected: bool | None,
) -> None:
    """Read a zone-based state as home / not home; nothing from unusable states."""
    assert (
        report_from_state(_state(state, attributes, entity_id), home_state=home_state)
        is expected
    )


@pytest.mark.parametrize(
    ("entity_id", "attributes", "expected"),
    [
        ("sensor.car", {"latitude": 1, "longitude": 2}, True),
        ("sensor.car", {"latitude": 1}, False),
        ("person.anna", {}, True),
        (TRACKER, {}, True),
    ],
)
def test_can_follow(entity_id: str, attributes: dict[str, Any], expected: bool) -> None:
    """Follow entities with a position, and zone-based trackers and persons."""
    assert can_follow(_state("x", attributes, entity_id)) is expected


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.sampled_from([-1, -1.0, 0, 1e308, -1e308, 5e-324]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
KEYS = st.sampled_from(
    [
        "latitude",
        "longitude",
        "gps_accuracy",
        "speed",
        "velocity",
        "course",
        "heading",
        "bearing",
        "direction",
        "battery",
    ]
)


@hsettings(max_examples=300, deadline=None)
@given(
    entity_id=st.sampled_from([TRACKER, "person.anna", "sensor.car_position"]),
    state=st.sampled_from(["home", "not_home", "Work", "unknown", "unavailable"]),
    position=st.fixed_dictionaries({"latitude": JUNK, "longitude": JUNK}),
    attributes=st.dictionaries(KEYS, JUNK, max_size=10),
    with_position=st.booleans(),
    home_state=st.sampled_from(["home", "Cottage"]),
    speed=st.sampled_from([None, *SPEED_ATTRIBUTES.values()]),
)
def test_report_never_raises(
    entity_id: str,
    state: str,
    position: dict[str, Any],
    attributes: dict[str, Any],
    with_position: bool,
    home_state: str,
    speed: SpeedAttribute | None,
) -> None:
    """Return a valid Fix, a bool or None for any attributes whatsoever."""
    if with_position:
        attributes = {**attributes, **position}
    report = report_from_state(
        State(entity_id, state, attributes), home_state=home_state, speed=speed
    )
    assert report is None or isinstance(report, (bool, Fix))
    if isinstance(report, Fix):
        assert math.isfinite(report.latitude) and -90 <= report.latitude <= 90
        assert math.isfinite(report.longitude) and -180 <= report.longitude <= 180
        assert report.timestamp.utcoffset() is not None
        assert report.accuracy is None or 0 < report.accuracy <= 100_000
        assert report.speed is None or 0 <= report.speed <= 150
        assert report.heading is None or 0 <= report.heading < 360


# ------------------------------------------------------------ following an entity


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_gps_states_feed_fixes(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Feed each GPS state of the tracker to the car; a whole drive fires its events."""
    fixes = (
        sim.Drive(start=dt_util.utcnow())
        .at(*sim.along(30.0, 10_000.0))
        .drive_to(0.0, 0.0, 15.0)
        .stop(120.0)
        .fixes
    )
    first = fixes[0]
    hass.states.async_set(
        TRACKER,
        "not_home",
        gps(first.latitude, first.longitude, gps_accuracy=12, speed=first.speed),
    )
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await add_car(hass, entity_entry)
    assert position(hass, entity_entry) == (first.latitude, first.longitude)
    assert tracker(hass, entity_entry).attributes["gps_accuracy"] == 12
    assert phase_state(hass, entity_entry) == "away"

    for fix in fixes[1:]:
        freezer.move_to(fix.timestamp)
        hass.states.async_set(
            TRACKER,
            "home" if fix is fixes[-1] else "not_home",
            gps(fix.latitude, fix.longitude, velocity=(fix.speed or 0) * 3.6),
        )
        await hass.async_block_till_done()
    assert [event.data["type"] for event in events] == [
        "approach_started",
        "arriving",
        "arrived",
    ]
    assert (await stats(hass, entity_entry))["accepted"] == len(fixes)
    assert phase_state(hass, entity_entry) == "home"


@pytest.mark.parametrize(
    ("state", "attributes"),
    [("home", {}), ("home", gps(*sim.DEFAULT_HOME))],
    ids=["zone-only", "gps"],
)
async def test_state_at_startup_is_applied_silently(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    state: str,
    attributes: dict[str, Any],
) -> None:
    """Apply the state found at start-up without events: the trip ended while down."""
    fixes = (
        sim.Drive(start=dt_util.utcnow())
        .at(*sim.along(30.0, 10_000.0))
        .drive_to(0.0, 0.0, 15.0)
        .fixes
    )
    engine = ApproachDetector(HOME, Settings())
    for fix in fixes[:60]:
        engine.update(fix)
    assert engine.phase is Phase.APPROACHING
    hass_storage[f"{DOMAIN}.{entity_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": "homecoming",
        "data": {"engine": engine.as_dict()},
    }
    freezer.move_to(fixes[59].timestamp + timedelta(minutes=5))
    hass.states.async_set(TRACKER, state, attributes)
    events = async_capture_events(hass, EVENT_HOMECOMING)

    await add_car(hass, entity_entry)
    assert phase_state(hass, entity_entry) == "home"
    assert events == []


async def test_zone_only_tracker(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Turn a home / not_home tracker's changes into arrived and departed."""
    hass.states.async_set(TRACKER, "not_home")
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await add_car(hass, entity_entry)
    assert phase_state(hass, entity_entry) == "away"
    assert events == []

    freezer.tick(timedelta(minutes=5))
    hass.states.async_set(TRACKER, "home")
    await hass.async_block_till_done()
    freezer.tick(timedelta(hours=2))
    hass.states.async_set(TRACKER, "not_home")
    await hass.async_block_till_done()
    assert [event.data["type"] for event in events] == ["arrived", "departed"]
    arrived, departed = (event.data for event in events)
    assert arrived["phase"] == "home"
    assert arrived["distance"] == 0
    assert departed["phase"] == "away"
    assert departed["distance"] is None
    assert departed["eta"] is None
    assert phase_state(hass, entity_entry) == "away"

    # A report older than the newest one known changes nothing: a GPS report stamped
    # a minute ahead, then the zone report of a clock set back.
    freezer.tick(timedelta(minutes=1))
    hass.states.async_set(TRACKER, "not_home", gps(52.5, 4.9))
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=-1))
    before = car_states(hass, entity_entry)
    hass.states.async_set(TRACKER, "home")
    await hass.async_block_till_done()
    assert (await stats(hass, entity_entry))["out_of_order"] == 1
    assert car_states(hass, entity_entry) == before
    assert len(events) == 2


async def test_tracker_without_position_yet(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Wait for a first position from a tracker that has none yet."""
    hass.states.async_set(TRACKER, "unknown")
    await add_car(hass, entity_entry)
    assert phase_state(hass, entity_entry) == STATE_UNKNOWN  # available, no phase
    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(TRACKER, "unknown", {"source_type": "gps"})
    await hass.async_block_till_done()
    assert phase_state(hass, entity_entry) == STATE_UNKNOWN
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await hass.async_block_till_done()
    assert phase_state(hass, entity_entry) == "away"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_unavailable_source(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Make the car's entities unavailable with the source; log lost and back once."""
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await add_car(hass, entity_entry)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="custom_components.homecoming"):
        for attributes in ({}, {"restored": True}):
            freezer.tick(timedelta(seconds=10))
            hass.states.async_set(TRACKER, STATE_UNAVAILABLE, attributes)
            await hass.async_block_till_done()
        assert phase_state(hass, entity_entry) == STATE_UNAVAILABLE
        assert tracker(hass, entity_entry).state == STATE_UNAVAILABLE
        for lat in (52.401, 52.402):
            freezer.tick(timedelta(seconds=10))
            hass.states.async_set(TRACKER, "not_home", gps(lat, 4.9))
            await hass.async_block_till_done()
    assert phase_state(hass, entity_entry) == "away"
    assert tracker(hass, entity_entry).state != STATE_UNAVAILABLE
    assert position(hass, entity_entry)[0] == 52.402
    messages = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "custom_components.homecoming"
    ]
    assert messages == [
        (logging.INFO, "Family car: the position source is unavailable"),
        (logging.INFO, "Family car: the position source is back"),
    ]
    assert issue(hass, entity_entry) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_source_removed_while_running(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Raise a repair issue when the entity is removed; drop it when it is back."""
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await add_car(hass, entity_entry)
    assert issue(hass, entity_entry) is None

    hass.states.async_remove(TRACKER)
    await hass.async_block_till_done()
    found = issue(hass, entity_entry)
    assert found is not None
    assert found.translation_key == "source_removed"
    assert found.severity is ir.IssueSeverity.ERROR
    assert not found.is_fixable
    assert found.translation_placeholders == {"entity": TRACKER, "name": "Family car"}
    assert phase_state(hass, entity_entry) == STATE_UNAVAILABLE

    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(TRACKER, "not_home", gps(52.4001, 4.9))
    await hass.async_block_till_done()
    assert issue(hass, entity_entry) is None
    assert phase_state(hass, entity_entry) == "away"
    assert position(hass, entity_entry)[0] == 52.4001


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_renamed_source_is_followed(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Renaming the followed entity follows it, as core proximity does: no repair."""
    registered = entity_registry.async_get_or_create(
        "device_tracker", "mobile_app", "phone-1", suggested_object_id="family_car"
    )
    assert registered.entity_id == TRACKER
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await add_car(hass, entity_entry)
    events = async_capture_events(hass, EVENT_HOMECOMING)

    new_id = "device_tracker.pixel_8"
    entity_registry.async_update_entity(TRACKER, new_entity_id=new_id)
    # What the entity's platform does on a rename: the old id goes, the new one comes.
    hass.states.async_remove(TRACKER)
    hass.states.async_set(new_id, "not_home", gps(52.4, 4.9))
    await hass.async_block_till_done()

    assert entity_entry.data[CONF_TRACKED_ENTITY] == new_id
    assert issue(hass, entity_entry) is None
    assert phase_state(hass, entity_entry) == "away"
    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(new_id, "not_home", gps(52.4002, 4.9))
    await hass.async_block_till_done()
    assert position(hass, entity_entry)[0] == 52.4002
    assert events == []


async def test_other_registry_changes_are_ignored(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new name or icon of the followed entity changes nothing."""
    entity_registry.async_get_or_create(
        "device_tracker", "mobile_app", "phone-1", suggested_object_id="family_car"
    )
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await add_car(hass, entity_entry)
    entity_registry.async_update_entity(TRACKER, name="Anna's phone")
    await hass.async_block_till_done()
    assert entity_entry.data[CONF_TRACKED_ENTITY] == TRACKER
    assert phase_state(hass, entity_entry) == "away"


async def test_source_missing_while_running(
    hass: HomeAssistant,
    home_zone: None,
    tracker_registered: None,
    entity_entry: MockConfigEntry,
) -> None:
    """Raise the repair issue at once for an entity missing while Home Assistant runs."""
    await add_car(hass, entity_entry)
    assert issue(hass, entity_entry) is not None
    assert phase_state(hass, entity_entry) == STATE_UNAVAILABLE


async def test_source_missing_at_startup(
    hass: HomeAssistant,
    entity_entry: MockConfigEntry,
    car_at_startup: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Raise the repair issue only if the entity is still missing once started."""
    assert issue(hass, entity_entry) is None
    assert phase_state(hass, entity_entry) == STATE_UNAVAILABLE

    await finish_start(hass)
    assert issue(hass, entity_entry) is not None

    # Unloading after the start does not trip over the spent start listener.
    with caplog.at_level(logging.ERROR):
        assert await hass.config_entries.async_unload(entity_entry.entry_id)
        await hass.async_block_till_done()
    assert "Unable to remove unknown job listener" not in caplog.text


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_source_appears_during_startup(
    hass: HomeAssistant, entity_entry: MockConfigEntry, car_at_startup: MockConfigEntry
) -> None:
    """Raise no issue for an entity that its integration sets up during the start."""
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await hass.async_block_till_done()
    assert phase_state(hass, entity_entry) == "away"

    await finish_start(hass)
    assert issue(hass, entity_entry) is None
    assert tracker(hass, entity_entry).state != STATE_UNAVAILABLE


async def test_unload_before_start_completes(
    hass: HomeAssistant, entity_entry: MockConfigEntry, car_at_startup: MockConfigEntry
) -> None:
    """Stop waiting for the start when the car is unloaded first."""
    assert await hass.config_entries.async_unload(entity_entry.entry_id)
    await hass.async_block_till_done()

    await finish_start(hass)
    assert issue(hass, entity_entry) is None


async def test_zone_only_tracker_with_another_home_zone(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With a home zone other than zone.home, the tracker shows that zone's name."""
    hass.states.async_set(
        "zone.cottage",
        "0",
        {"latitude": 52.5, "longitude": 4.7, "radius": 150, "friendly_name": "Cottage"},
    )
    entry = entity_car(home_zone="zone.cottage")
    hass.states.async_set(TRACKER, "not_home")
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await add_car(hass, entry)
    freezer.tick(timedelta(minutes=5))
    hass.states.async_set(TRACKER, "home")  # home is not the cottage
    await hass.async_block_till_done()
    assert events == []
    freezer.tick(timedelta(minutes=5))
    hass.states.async_set(TRACKER, "Cottage")
    await hass.async_block_till_done()
    assert [event.data["type"] for event in events] == ["arrived"]
    # the zone gone: its entity id stands in for its name, and nothing matches it
    hass.states.async_remove("zone.cottage")
    freezer.tick(timedelta(minutes=5))
    hass.states.async_set(TRACKER, "not_home")
    await hass.async_block_till_done()
    assert [event.data["type"] for event in events] == ["arrived", "departed"]


# ------------------------------------------------------------ speed units by integration


@pytest.mark.parametrize(
    ("platform", "attributes", "mps"),
    [
        ("traccar_server", {"speed": 1}, 0.514444),
        ("traccar_server", {"speed": 20}, 10.28888),
        ("owntracks", {"velocity": 36}, 10.0),
        ("owntracks", {"speed": 36}, None),
        ("mobile_app", {"speed": 10}, 10.0),
        ("gpslogger", {"speed": 10.5}, 10.5),
        ("tessie", {"speed": 10}, 4.4704),
        ("traccar", {"speed": 10}, None),
        ("car_maker", {"speed": 10, "velocity": 36}, None),
        (None, {"speed": 10, "velocity": 36}, None),
    ],
    ids=[
        "traccar_server-knot",
        "traccar_server-20kn",
        "owntracks-kmh",
        "owntracks-no-speed-attribute",
        "mobile_app-mps",
        "gpslogger-mps",
        "tessie-mph",
        "traccar-ambiguous",
        "unknown-integration",
        "not-registered",
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_speed_unit_of_the_integration(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    platform: str | None,
    attributes: dict[str, Any],
    mps: float | None,
) -> None:
    """Read the speed in the unit of the tracker's integration; none from unknown ones.

    The car stands still (two states at one place, 10 s apart): the speed sensor shows
    the reported speed when it is read, and 0 (measured) when it is not.
    """
    if platform is not None:
        er.async_get(hass).async_get_or_create(
            "device_tracker", platform, "family_car", suggested_object_id="family_car"
        )
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9, **attributes))
    await add_car(hass, entity_entry)
    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(
        TRACKER, "not_home", gps(52.4, 4.9, gps_accuracy=11, **attributes)
    )
    await hass.async_block_till_done()
    speed = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entity_entry.unique_id}_speed"
    )
    assert speed is not None
    assert float(state_of(hass, speed)) == pytest.approx((mps or 0.0) * 3.6, abs=1e-3)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state."""
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


def test_speed_table_is_documented() -> None:
    """docs/sources.md lists exactly the integrations and units of the code's table."""
    text = (Path(__file__).parents[2] / "docs" / "sources.md").read_text("utf-8")
    section = text.split("<!-- speed-table -->")[1]
    rows = {
        cells[0].strip("` "): cells[1:3]
        for line in section.splitlines()
        if line.startswith("| `")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    assert set(rows) == set(SPEED_ATTRIBUTES)
    for platform, attribute in SPEED_ATTRIBUTES.items():
        if attribute is None:
            assert rows[platform][0] == "none", platform
        else:
            assert rows[platform] == [f"`{attribute.name}`", attribute.unit], platform


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_out_of_range_state_changes_nothing(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A state with an accuracy or a speed out of range is dropped; the next is used."""
    er.async_get(hass).async_get_or_create(
        "device_tracker", "mobile_app", "family_car", suggested_object_id="family_car"
    )
    hass.states.async_set(TRACKER, "not_home", gps(52.4, 4.9))
    await add_car(hass, entity_entry)
    before = car_states(hass, entity_entry)
    for attributes in (
        gps(52.41, 4.9, gps_accuracy=1e9),
        gps(52.41, 4.9, speed=1e6),
        gps(52.41, 4.9, course=math.inf),
    ):
        freezer.tick(timedelta(seconds=10))
        hass.states.async_set(TRACKER, "not_home", attributes)
        await hass.async_block_till_done()
        assert car_states(hass, entity_entry) == before
    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(TRACKER, "not_home", gps(52.41, 4.9, speed=5))
    await hass.async_block_till_done()
    assert position(hass, entity_entry)[0] == 52.41

"""In-car signals: a car that follows a phone moves only while the phone is in it.

The Companion app's sensors are stood in for by real core entities with the shapes the
app sends: a template sensor ``sensor.pixel_8_bluetooth_connection`` (state the number
of connections, attributes lists of ``"ADDRESS (Name)"`` strings) driven by an
``input_boolean``, and an ``input_boolean`` as the CarPlay / Android Auto signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EntityCategory
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from hypothesis import given, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.homecoming.const import (
    CONF_IN_CAR_BLUETOOTH_DEVICES,
    CONF_IN_CAR_BLUETOOTH_SENSOR,
    CONF_IN_CAR_SIGNALS,
    EVENT_HOMECOMING,
)
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.incar import (
    IN_CAR_OFF_DELAY,
    BluetoothDevice,
    InCarSignals,
    in_car_signals,
    parse_device,
    parse_devices,
    seen_devices,
)
from devtools import sim
from tests.common import (
    add_car,
    car_entity,
    diagnostics,
    drive_home,
    entity_car,
    phase_state,
    position,
    setup_bluetooth_stand_in,
    state,
    stats,
    switch_input_boolean,
)

PHONE = "device_tracker.pixel_8"
BLUETOOTH = "sensor.pixel_8_bluetooth_connection"
BLUETOOTH_SWITCH = "input_boolean.golf_bluetooth"
"""Stands in for the phone connecting to the car: drives the template sensor."""
CARPLAY = "input_boolean.carplay"
GOLF = "00:1A:7D:DA:71:13"
BUDS = "F4:4E:FC:11:22:33 (Galaxy Buds)"
NAMELESS = "5C:F3:70:00:00:01"
CONNECTED = (
    "{{ ['"
    + GOLF
    + " (VW Golf)', '"
    + BUDS
    + "'] if is_state('"
    + BLUETOOTH_SWITCH
    + "', 'on') else ['"
    + BUDS
    + "'] }}"
)
OPTIONS = {
    CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH,
    CONF_IN_CAR_BLUETOOTH_DEVICES: ["vw golf"],
    CONF_IN_CAR_SIGNALS: [CARPLAY],
}
START = sim.DEFAULT_START
TRIP = ["approach_started", "arriving", "arrived"]
"""The events of a drive home."""


@pytest.fixture
async def phone_sensors(
    hass: HomeAssistant, home_zone: None, entity_registry_enabled_by_default: None
) -> None:
    """Set up the stand-ins for the Companion app's Bluetooth sensor and CarPlay."""
    await setup_bluetooth_stand_in(
        hass,
        ["golf_bluetooth", "carplay"],
        "Pixel 8 Bluetooth connection",
        "{{ 2 if is_state('" + BLUETOOTH_SWITCH + "', 'on') else 1 }}",
        {
            "connected_paired_devices": CONNECTED,
            "connected_not_paired_devices": "{{ [] }}",
            "paired_devices": "{{ ['"
            + GOLF
            + " (VW Golf)', '"
            + BUDS
            + "', '"
            + NAMELESS
            + "'] }}",
        },
    )


switch = switch_input_boolean


def phone_state(fix: Fix) -> dict[str, Any]:
    """Return the phone tracker's attributes at a fix."""
    return {
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "gps_accuracy": fix.accuracy,
    }


async def phone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fixes: Iterable[Fix]
) -> None:
    """Report the phone's positions, the clock at each."""
    for fix in fixes:
        freezer.move_to(fix.timestamp)
        hass.states.async_set(PHONE, "not_home", phone_state(fix))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def wait(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let time pass in ten-second steps."""
    end = freezer.time_to_freeze + delta  # type: ignore[attr-defined]
    while freezer.time_to_freeze < end:  # type: ignore[attr-defined]
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def stop_short(start: float, stop: float, seconds: float) -> list[Fix]:
    """Return a drive home from ``start`` metres out that stops ``stop`` metres out."""
    drive = sim.Drive(start=START, interval=10.0).at(*sim.along(30.0, start))
    return drive.drive_to(*sim.along(30.0, stop), 15.0).stop(seconds).fixes


def later(fixes: list[Fix], seconds: float) -> list[Fix]:
    """Return fixes shifted ``seconds`` later."""
    shift = timedelta(seconds=seconds)
    return [
        Fix(
            latitude=fix.latitude,
            longitude=fix.longitude,
            timestamp=fix.timestamp + shift,
            accuracy=fix.accuracy,
        )
        for fix in fixes
    ]


async def setup_car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    first: Fix,
    *,
    in_car: bool,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Set up the car following the phone at ``first``, the phone in the car or not."""
    freezer.move_to(first.timestamp)
    await switch(hass, BLUETOOTH_SWITCH, in_car)
    hass.states.async_set(PHONE, "not_home", phone_state(first))
    return await add_car(
        hass, entity_car(tracked=PHONE, options=OPTIONS if options is None else options)
    )


async def start(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, first: Fix, *, in_car: bool
) -> tuple[MockConfigEntry, list[Event]]:
    """Set up the car at ``first`` (as ``setup_car``) and capture its events from then."""
    entry = await setup_car(hass, freezer, first, in_car=in_car)
    return entry, async_capture_events(hass, EVENT_HOMECOMING)


async def leave_car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delay: timedelta = IN_CAR_OFF_DELAY + timedelta(seconds=10),
) -> None:
    """Take the phone out of the car (its Bluetooth drops), then let ``delay`` pass."""
    await switch(hass, BLUETOOTH_SWITCH, False)
    await wait(hass, freezer, delay)


async def parked(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    first: Fix,
    delay: timedelta = IN_CAR_OFF_DELAY + timedelta(seconds=10),
) -> tuple[MockConfigEntry, tuple[Any, Any]]:
    """Set up the car at ``first`` with the phone in it, which then leaves it.

    Return the car and where it was parked.
    """
    entry = await setup_car(hass, freezer, first, in_car=True)
    where = position(hass, entry)
    await leave_car(hass, freezer, delay)
    return entry, where


async def blip(hass: HomeAssistant, entity_id: str) -> None:
    """Turn a signal on and off again."""
    await switch(hass, entity_id, True)
    await switch(hass, entity_id, False)


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Reload the car, as a restart of Home Assistant does."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


def in_car_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the state of the car's Phone in car sensor."""
    return state(hass, car_entity(hass, entry, "binary_sensor", "in_car"))


def types(events: list[Any]) -> list[str]:
    """Return the types of captured homecoming events."""
    return [event.data["type"] for event in events]


# ------------------------------------------------------------ scenarios


@pytest.mark.usefixtures("phone_sensors")
async def test_drive_home_with_the_phone_in_the_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Connected to the car's Bluetooth, the phone's drive home is the car's."""
    fixes = drive_home(START)
    entry, events = await start(hass, freezer, fixes[0], in_car=True)
    assert in_car_state(hass, entry) == "on"
    await phone(hass, freezer, fixes[1:10])
    # A second signal coming and going while in the car changes nothing.
    await blip(hass, CARPLAY)
    await phone(hass, freezer, fixes[10:])
    assert types(events) == TRIP
    assert phase_state(hass, entry) == "home"
    assert (await stats(hass, entry))["not_in_car"] == 0


@pytest.mark.usefixtures("phone_sensors")
async def test_train_home_starts_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The car parked at the office; its driver takes the train home: nothing starts."""
    fixes = drive_home(START, 8_000.0)
    entry, where = await parked(hass, freezer, fixes[0])
    assert in_car_state(hass, entry) == "off"
    events = async_capture_events(hass, EVENT_HOMECOMING)
    train = later(fixes[1:], 600)
    await phone(hass, freezer, train)
    assert events == []
    assert phase_state(hass, entry) == "away"
    assert position(hass, entry) == where
    assert (await stats(hass, entry))["not_in_car"] == len(train)
    assert (await diagnostics(hass, entry))["source"]["in_car"] is False


@pytest.mark.usefixtures("phone_sensors")
async def test_carplay_alone_is_a_signal(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Any binary signal on (CarPlay here) puts the phone in the car at once."""
    fixes = drive_home(START)
    entry, events = await start(hass, freezer, fixes[0], in_car=False)
    assert in_car_state(hass, entry) == "off"
    await switch(hass, CARPLAY, True)
    assert in_car_state(hass, entry) == "on"
    await phone(hass, freezer, fixes[1:])
    assert types(events) == TRIP


@pytest.mark.usefixtures("phone_sensors")
async def test_bluetooth_flapping_at_a_red_light(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A Bluetooth drop at a red light ends nothing; the positions meanwhile count."""
    scenario = sim.red_lights()
    fixes = scenario.fixes
    halt = scenario.marks["stop2"]
    entry, events = await start(hass, freezer, fixes[0], in_car=True)
    before = [fix for fix in fixes[1:] if fix.timestamp <= halt]
    during = [
        fix for fix in fixes if halt < fix.timestamp <= halt + timedelta(seconds=60)
    ]
    after = [fix for fix in fixes if fix.timestamp > halt + timedelta(seconds=60)]
    await phone(hass, freezer, before)
    assert types(events) == ["approach_started"]
    await switch(hass, BLUETOOTH_SWITCH, False)
    await phone(hass, freezer, during[:3])
    # A second signal going off, or the sensor updating, changes nothing more.
    await blip(hass, CARPLAY)
    await phone(hass, freezer, during[3:])
    assert in_car_state(hass, entry) == "on"
    accepted = (await stats(hass, entry))["accepted"]
    await switch(hass, BLUETOOTH_SWITCH, True)
    # The positions held during the drop are used when the signal comes back.
    counts = await stats(hass, entry)
    assert counts["accepted"] > accepted
    assert counts["not_in_car"] == 0
    await phone(hass, freezer, after)
    assert types(events) == TRIP
    assert in_car_state(hass, entry) == "on"


@pytest.mark.usefixtures("phone_sensors")
async def test_leaving_the_car_near_home_is_arriving_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Parked in the street 250 m from home, outside the zone: arrived once it is off."""
    fixes = stop_short(5_000.0, 250.0, 60.0)
    entry, events = await start(hass, freezer, fixes[0], in_car=True)
    await phone(hass, freezer, fixes[1:])
    assert types(events) == ["approach_started", "arriving"]
    await switch(hass, BLUETOOTH_SWITCH, False)
    # The driver walks into the house: held, then dropped with the signal gone.
    home = sim.Drive(start=fixes[-1].timestamp + timedelta(seconds=30)).stop(30.0)
    await phone(hass, freezer, home.fixes)
    await wait(hass, freezer, timedelta(seconds=30))
    assert types(events) == ["approach_started", "arriving"]
    await wait(hass, freezer, IN_CAR_OFF_DELAY)
    assert types(events) == TRIP
    assert phase_state(hass, entry) == "home"
    assert in_car_state(hass, entry) == "off"
    assert (await stats(hass, entry))["not_in_car"] == len(home.fixes)


@pytest.mark.usefixtures("phone_sensors")
async def test_leaving_the_car_at_home_again_changes_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A car already home is not reported home again when the phone leaves it."""
    fixes = drive_home(START)
    entry = await setup_car(hass, freezer, fixes[0], in_car=True)
    await phone(hass, freezer, fixes[1:])
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await leave_car(hass, freezer)
    assert events == []
    assert phase_state(hass, entry) == "home"


@pytest.mark.usefixtures("phone_sensors")
async def test_leaving_the_car_elsewhere_parks_it_there(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Stopped 3 km out, the driver walks on home: the car stays there, not arrived."""
    fixes = stop_short(8_000.0, 3_000.0, 30.0)
    entry, events = await start(hass, freezer, fixes[0], in_car=True)
    await phone(hass, freezer, fixes[1:])
    assert types(events) == ["approach_started"]
    where = position(hass, entry)
    await leave_car(hass, freezer)
    assert in_car_state(hass, entry) == "off"
    walk = later(drive_home(START, 3_000.0, speed=1.5, interval=30.0), 600)
    await phone(hass, freezer, walk)
    assert "arriving" not in types(events)
    assert "arrived" not in types(events)
    assert position(hass, entry) == where
    # The approach ended as a stop does (the stop tolerance), long before the walk did.
    assert types(events) == ["approach_started", "approach_cancelled"]


@pytest.mark.usefixtures("phone_sensors")
async def test_the_car_continues_from_the_phone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Back in the car after a walk, the car is where the phone is, at once."""
    fixes = drive_home(START, 8_000.0, speed=1.2, interval=30.0)
    entry, where = await parked(hass, freezer, fixes[0], IN_CAR_OFF_DELAY)
    await phone(hass, freezer, fixes[10:12])
    assert position(hass, entry) == where
    await switch(hass, BLUETOOTH_SWITCH, True)
    assert position(hass, entry) == (fixes[11].latitude, fixes[11].longitude)


@pytest.mark.usefixtures("phone_sensors")
async def test_signal_on_without_the_phone_entity(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A signal coming on while the followed phone has no state feeds nothing."""
    fixes = drive_home(START)
    entry = await setup_car(hass, freezer, fixes[0], in_car=False)
    hass.states.async_remove(PHONE)
    await hass.async_block_till_done()
    await switch(hass, BLUETOOTH_SWITCH, True)
    assert entry.runtime_data.coordinator.in_car is True
    assert entry.runtime_data.coordinator.engine.phase is None


@pytest.mark.usefixtures("phone_sensors")
async def test_restart_mid_drive_fires_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A restart during a drive with the phone in the car: the trip goes on."""
    fixes = drive_home(START)
    entry, events = await start(hass, freezer, fixes[0], in_car=True)
    await phone(hass, freezer, fixes[1:20])
    assert types(events) == ["approach_started"]
    await switch(hass, BLUETOOTH_SWITCH, False)  # a drop just as it restarts
    await restart(hass, entry)
    assert types(events) == ["approach_started"]
    await switch(hass, BLUETOOTH_SWITCH, True)
    assert in_car_state(hass, entry) == "on"
    await phone(hass, freezer, fixes[20:])
    assert types(events) == TRIP


@pytest.mark.usefixtures("phone_sensors")
async def test_restart_with_the_phone_out_of_the_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A restart with the phone home by train: the car stays parked, nothing fires."""
    fixes = drive_home(START, 8_000.0)
    entry, where = await parked(hass, freezer, fixes[0])
    await phone(hass, freezer, later(fixes[1:], 600))
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await restart(hass, entry)
    await wait(hass, freezer, timedelta(minutes=1))
    assert events == []
    assert in_car_state(hass, entry) == "off"
    assert position(hass, entry) == where


@pytest.mark.usefixtures("phone_sensors")
async def test_unload_during_the_delay(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Unloading the car while a signal is lost leaves no timer behind."""
    fixes = drive_home(START)
    entry = await setup_car(hass, freezer, fixes[0], in_car=True)
    await switch(hass, BLUETOOTH_SWITCH, False)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await wait(hass, freezer, IN_CAR_OFF_DELAY + timedelta(seconds=10))


@pytest.mark.usefixtures("phone_sensors")
async def test_phone_in_car_sensor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A diagnostic sensor on the car's device; none for a car without signals."""
    fixes = drive_home(START)
    entry = await setup_car(hass, freezer, fixes[0], in_car=True)
    entity_id = car_entity(hass, entry, "binary_sensor", "in_car")
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    assert registered.entity_category is EntityCategory.DIAGNOSTIC
    assert registered.translation_key == "in_car"
    assert hass.states.get(entity_id).name == "Family car Phone in car"  # type: ignore[union-attr]


async def test_no_signals_no_sensor(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A car without in-car signals has no Phone in car sensor, no diagnostics key."""
    fixes = drive_home(START)
    freezer.move_to(fixes[0].timestamp)
    hass.states.async_set(PHONE, "not_home", phone_state(fixes[0]))
    entry = await add_car(hass, entity_car(tracked=PHONE))
    assert (
        er.async_get(hass).async_get_entity_id(
            "binary_sensor", "homecoming", f"{entry.unique_id}_in_car"
        )
        is None
    )
    assert "in_car" not in (await diagnostics(hass, entry))["source"]


# ------------------------------------------------------------ reading the signals


def test_parse_device_shapes() -> None:
    """The shapes the Companion app sends, and odd ones."""
    assert parse_device(f"{GOLF} (VW Golf)") == BluetoothDevice(GOLF, "VW Golf")
    assert parse_device(f"{GOLF} (Car (VW))") == BluetoothDevice(GOLF, "Car (VW)")
    assert parse_device(NAMELESS) == BluetoothDevice(NAMELESS, None)
    assert parse_device(f"{GOLF} ()") == BluetoothDevice(f"{GOLF} ()", None)
    assert parse_device(f"{GOLF} (open") == BluetoothDevice(f"{GOLF} (open", None)
    assert parse_device("  ") is None
    assert BluetoothDevice(NAMELESS, None).label == NAMELESS
    assert BluetoothDevice(GOLF, "VW Golf").label == f"VW Golf ({GOLF})"


def test_parse_devices_shapes() -> None:
    """A list of strings; an old app's string; anything else gives nothing."""
    assert parse_devices([f"{GOLF} (VW Golf)", 3, "", NAMELESS]) == [
        BluetoothDevice(GOLF, "VW Golf"),
        BluetoothDevice(NAMELESS, None),
    ]
    assert parse_devices(f"[{GOLF} (VW Golf), {NAMELESS}]") == [
        BluetoothDevice(GOLF, "VW Golf"),
        BluetoothDevice(NAMELESS, None),
    ]
    assert parse_devices(NAMELESS) == [BluetoothDevice(NAMELESS, None)]
    assert parse_devices(None) == []
    assert parse_devices({"a": 1}) == []


def test_matching() -> None:
    """A configured name or address matches, ignoring case; blank matches nothing."""
    golf = BluetoothDevice(GOLF, "VW Golf")
    assert golf.matches(" vw golf ")
    assert golf.matches(GOLF.lower())
    assert not golf.matches("")
    assert not BluetoothDevice(NAMELESS, None).matches("")


ADDRESS = st.lists(st.sampled_from("0123456789ABCDEF"), min_size=12, max_size=12).map(
    lambda digits: ":".join("".join(digits[i : i + 2]) for i in range(0, 12, 2))
)
NAME = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)


@given(address=ADDRESS, name=NAME)
def test_parse_device_round_trip(address: str, name: str) -> None:
    """What the app writes for a named device reads back as its address and name."""
    device = parse_device(f"{address} ({name})")
    assert device == BluetoothDevice(address, name)
    assert device.matches(address)
    assert device.matches(name)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(value=JSONISH)
def test_parse_devices_never_fails(value: object) -> None:
    """Any attribute value gives a list of devices with non-blank addresses."""
    devices = parse_devices(value)
    assert all(isinstance(device, BluetoothDevice) for device in devices)
    assert all(device.address.strip() for device in devices)


def test_in_car_signals_from_options() -> None:
    """Only what the form could have written counts; nothing named is None."""
    assert in_car_signals({}) is None
    assert in_car_signals({CONF_IN_CAR_BLUETOOTH_SENSOR: BLUETOOTH}) is None
    assert in_car_signals({CONF_IN_CAR_SIGNALS: "binary_sensor.x"}) is None
    assert in_car_signals(
        {
            CONF_IN_CAR_BLUETOOTH_SENSOR: "not an id",
            CONF_IN_CAR_BLUETOOTH_DEVICES: ["VW Golf"],
            CONF_IN_CAR_SIGNALS: ["binary_sensor.android_auto", 3, "junk"],
        }
    ) == InCarSignals(None, (), ("binary_sensor.android_auto",))
    assert in_car_signals(OPTIONS) == InCarSignals(BLUETOOTH, ("vw golf",), (CARPLAY,))


def test_signals_on() -> None:
    """Binary signals on, the car's device connected; missing and unknown say off."""
    states = {
        CARPLAY: State(CARPLAY, "unavailable"),
        BLUETOOTH: State(
            BLUETOOTH, "1", {"connected_paired_devices": [f"{GOLF} (VW Golf)"]}
        ),
    }
    signals = InCarSignals(BLUETOOTH, ("VW Golf",), (CARPLAY,))
    assert signals.on(states.get)
    assert not InCarSignals(BLUETOOTH, ("Other",), (CARPLAY,)).on(states.get)
    assert not InCarSignals(None, (), (CARPLAY,)).on(states.get)
    assert not InCarSignals("sensor.gone", ("VW Golf",), ()).on(states.get)
    states[CARPLAY] = State(CARPLAY, "on")
    assert InCarSignals(None, (), (CARPLAY,)).on(states.get)


def test_seen_devices() -> None:
    """Every device a sensor lists, once, connected or paired; none without a state."""
    sensor = State(
        BLUETOOTH,
        "1",
        {
            "connected_paired_devices": [BUDS],
            "paired_devices": [f"{GOLF} (VW Golf)", BUDS.lower()],
        },
    )
    assert seen_devices(sensor) == [
        BluetoothDevice("F4:4E:FC:11:22:33", "Galaxy Buds"),
        BluetoothDevice(GOLF, "VW Golf"),
    ]
    assert seen_devices(None) == []

"""Who is driving, by the phone in the car: drivers naming their phone's in-car signals.

The Companion app's sensors are stood in for by real core entities with the shapes the
app sends (as in tests/test_incar.py): Alice's phone has a Bluetooth connection sensor (a
template sensor driven by an ``input_boolean``), Bob's an Android Auto binary sensor (an
``input_boolean``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
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
from custom_components.homecoming.drivers import FoundBy, _stored_record
from custom_components.homecoming.incar import IN_CAR_OFF_DELAY
from tests.common import setup_bluetooth_stand_in, state, switch_input_boolean
from tests.test_drivers import (
    DRIVE,
    DRIVER,
    drive,
    driver_subentry,
    saved_car,
    setup_car,
    with_driver,
)

pytestmark = [
    pytest.mark.platforms(Platform.SENSOR),
    pytest.mark.usefixtures("start_of_drive", "home_zone", "phones"),
]

ALICE_BT = "sensor.alice_phone_bluetooth_connection"
ALICE_SWITCH = "input_boolean.alice_bluetooth"
BOB_AA = "input_boolean.bob_android_auto"
GOLF = "00:1A:7D:DA:71:13"

ALICE = driver_subentry(
    "Alice",
    driver_id="alice-seat",
    extra={
        CONF_IN_CAR_BLUETOOTH_SENSOR: ALICE_BT,
        CONF_IN_CAR_BLUETOOTH_DEVICES: ["VW Golf"],
    },
)
BOB = driver_subentry("Bob", extra={CONF_IN_CAR_SIGNALS: [BOB_AA]})


@pytest.fixture
async def phones(hass: HomeAssistant) -> None:
    """Set up the stand-ins for Alice's Bluetooth sensor and Bob's Android Auto."""
    await setup_bluetooth_stand_in(
        hass,
        ["alice_bluetooth", "bob_android_auto"],
        "Alice phone Bluetooth connection",
        f"{{{{ 1 if is_state('{ALICE_SWITCH}', 'on') else 0 }}}}",
        {
            "connected_paired_devices": "{{ ['"
            + GOLF
            + " (VW Golf)'] if is_state('"
            + ALICE_SWITCH
            + "', 'on') else [] }}",
            "paired_devices": f"{{{{ ['{GOLF} (VW Golf)'] }}}}",
        },
    )


switch = switch_input_boolean


async def wait(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: Any) -> None:
    """Let time pass (the in-car delay)."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def found_by(hass: HomeAssistant) -> str | None:
    """Return the driver sensor's found_by attribute."""
    sensor = hass.states.get(DRIVER)
    assert sensor is not None
    value: str | None = sensor.attributes["found_by"]
    return value


async def test_two_drivers_two_phones(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """The first phone in the car names the driver while it stays there."""
    entry = await setup_car(hass, push_entry, [ALICE, BOB])
    assert state(hass, DRIVER) == "unknown"
    assert found_by(hass) is None

    await switch(hass, BOB_AA, True)
    assert (state(hass, DRIVER), found_by(hass)) == ("Bob", "signal")
    # Alice's phone connects too: Bob's was first.
    await switch(hass, ALICE_SWITCH, True)
    assert (state(hass, DRIVER), found_by(hass)) == ("Bob", "signal")
    # Android Auto restarting for a few seconds changes nothing.
    await switch(hass, BOB_AA, False)
    await switch(hass, BOB_AA, True)
    assert state(hass, DRIVER) == "Bob"

    events = async_capture_events(hass, EVENT_HOMECOMING)
    await drive(hass, freezer, entry, DRIVE.fixes[:40])
    assert events[0].data["driver"] == {
        "name": "Bob",
        "id": None,
        "person": None,
        "found_by": "signal",
    }

    # Bob's phone leaves the car (2 minutes without the signal): Alice's is still in it.
    await switch(hass, BOB_AA, False)
    await wait(hass, freezer, IN_CAR_OFF_DELAY + timedelta(seconds=1))
    assert (state(hass, DRIVER), found_by(hass)) == ("Alice", "bluetooth")


async def test_the_driver_id_wins_over_the_phone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """A car reporting Alice's seat profile: Alice, though Bob's phone is in the car."""
    entry = await setup_car(hass, push_entry, [ALICE, BOB])
    await switch(hass, BOB_AA, True)
    states = await drive(
        hass, freezer, entry, with_driver(DRIVE.fixes[:5], "alice-seat")
    )
    assert set(states) == {"Alice"}
    assert found_by(hass) == "driver_id"


async def test_phone_in_the_car_at_the_start_and_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A phone already in the car names its driver at once, and after a restart."""
    await switch(hass, ALICE_SWITCH, True)
    entry = await setup_car(hass, push_entry, [BOB, ALICE])
    assert (state(hass, DRIVER), found_by(hass)) == ("Alice", "bluetooth")
    await drive(hass, freezer, entry, DRIVE.fixes[:5])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert saved_car(hass_storage, entry)["driver"]["found_by"] == "bluetooth"
    assert (state(hass, DRIVER), found_by(hass)) == ("Alice", "bluetooth")


def add_bob(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add Bob as a driver of the car while it runs (as the subentry flow does)."""
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=BOB["data"],
            subentry_id=BOB["subentry_id"],
            subentry_type=BOB["subentry_type"],
            title=BOB["title"],
            unique_id=None,
        ),
    )


async def test_a_driver_added_later_is_followed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """A driver added with a phone after the set-up counts from the next update on."""
    entry = await setup_car(hass, push_entry, [ALICE])
    add_bob(hass, entry)
    await drive(hass, freezer, entry, DRIVE.fixes[:2])
    await switch(hass, BOB_AA, True)
    assert (state(hass, DRIVER), found_by(hass)) == ("Bob", "signal")


async def test_a_driver_added_while_no_position_comes_is_followed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Added while the car reports nothing, Bob's phone is followed: the entry changed."""
    entry = await setup_car(hass, push_entry, [ALICE])
    add_bob(hass, entry)
    await wait(hass, freezer, timedelta(seconds=11))  # no position comes
    await switch(hass, BOB_AA, True)  # Bob's phone connects first
    await switch(hass, ALICE_SWITCH, True)
    assert (state(hass, DRIVER), found_by(hass)) == ("Bob", "signal")


async def test_a_renamed_or_removed_driver_is_shown_at_once(
    hass: HomeAssistant, push_entry: MockConfigEntry
) -> None:
    """The driver shown follows a rename and a removal at once, with no position."""
    entry = await setup_car(hass, push_entry, [BOB])
    await switch(hass, BOB_AA, True)
    assert (state(hass, DRIVER), found_by(hass)) == ("Bob", "signal")
    subentry = entry.subentries[BOB["subentry_id"]]
    hass.config_entries.async_update_subentry(
        entry, subentry, title="Robert", data={**subentry.data, CONF_NAME: "Robert"}
    )
    await hass.async_block_till_done()
    assert (state(hass, DRIVER), found_by(hass)) == ("Robert", "signal")
    hass.config_entries.async_remove_subentry(entry, BOB["subentry_id"])
    await hass.async_block_till_done()
    assert (state(hass, DRIVER), found_by(hass)) == ("unknown", None)


async def test_no_phone_no_listener_after_unload(
    hass: HomeAssistant, push_entry: MockConfigEntry
) -> None:
    """Unloaded, a car follows no phone: a signal changes nothing (and fails nothing)."""
    entry = await setup_car(hass, push_entry, [BOB])
    assert await hass.config_entries.async_unload(entry.entry_id)
    await switch(hass, BOB_AA, True)


def test_saved_ways_found() -> None:
    """A saved driver's way found: known, absent (older versions) or unknown."""
    seen = "2026-01-01T08:00:00+00:00"
    record = {"version": 1, "subentry_id": "driver_alice", "seen": seen}
    assert _stored_record(record)[2] is None  # type: ignore[index]
    assert _stored_record({**record, "found_by": "bluetooth"})[2] is FoundBy.BLUETOOTH  # type: ignore[index]
    assert _stored_record({**record, "found_by": "telepathy"})[2] is None  # type: ignore[index]
    assert _stored_record({**record, "found_by": ["x"]})[2] is None  # type: ignore[index]

"""Tests of the car's drivers: who is driving, shown by the ``driver`` sensor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
import logging
import math
from types import MappingProxyType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    CONF_NAME,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.homecoming.const import (
    CONF_DRIVER_ID,
    CONF_PERSON,
    CONF_SCENE,
    CONF_TEMPERATURE,
    DOMAIN,
    EVENT_HOMECOMING,
    SUBENTRY_DRIVER,
)
from custom_components.homecoming.drivers import Driver
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.engine.geo import EARTH_RADIUS_M
from devtools import sim
from tests.common import (
    HOME_LAT,
    HOME_LON,
    add_car,
    half_way,
    phase_state,
    push_car,
    state,
    stored,
    update_location,
)

DRIVER = "sensor.family_car_driver"
ALICE = "person.alice"
BOB = "person.bob"
ALICE_BY_PERSON = {
    "name": "Alice",
    "id": None,
    "person": ALICE,
    "found_by": "moving_with_car",
}
"""Alice in an event, found by her person moving with the car."""

DRIVE = sim.straight_approach(park_s=300.0)
"""10 km straight home at 15 m/s (a fix every 5 s), then five minutes parked."""
CHOSEN_AFTER = 20
"""Fixes after which a person moving with the car has been near it long enough."""

type Place = Callable[[Fix], tuple[float, float] | None]
"""Where a person is at a fix: a latitude and longitude, or ``None`` for no GPS."""

pytestmark = [
    pytest.mark.platforms(Platform.SENSOR),
    pytest.mark.usefixtures("start_of_drive"),
]


def driver_subentry(
    name: str,
    *,
    person: str | None = None,
    driver_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the data of a ``driver`` subentry."""
    data: dict[str, Any] = {CONF_NAME: name, **(extra or {})}
    if person is not None:
        data[CONF_PERSON] = person
    if driver_id is not None:
        data[CONF_DRIVER_ID] = driver_id
    return {
        "data": data,
        "subentry_id": f"driver_{name.lower()}",
        "subentry_type": SUBENTRY_DRIVER,
        "title": name,
        "unique_id": None,
    }


async def setup_car(
    hass: HomeAssistant,
    push_entry: MockConfigEntry,
    drivers: Iterable[dict[str, Any]],
) -> MockConfigEntry:
    """Set up the push car with these driver subentries."""
    return await add_car(hass, push_car(push_entry, drivers=drivers), webhook=True)


def beside(metres: float) -> Place:
    """Place a person ``metres`` north of the car's reported position."""
    shift = math.degrees(metres / EARTH_RADIUS_M)
    return lambda fix: (fix.latitude + shift, fix.longitude)


def at_home(fix: Fix) -> tuple[float, float]:
    """Place a person at home, whatever the car does."""
    return HOME_LAT, HOME_LON


def no_gps(fix: Fix) -> None:
    """Give a person no position (a phone tracked by zone or router only)."""


async def drive(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    fixes: Iterable[Fix],
    people: Mapping[str, Place] | None = None,
) -> list[str]:
    """Move the people, report each fix through the action; return the driver states."""
    states: list[str] = []
    for fix in fixes:
        freezer.move_to(fix.timestamp)
        for person, place in (people or {}).items():
            position = place(fix)
            attributes = (
                {}
                if position is None
                else {ATTR_LATITUDE: position[0], ATTR_LONGITUDE: position[1]}
            )
            hass.states.async_set(person, "not_home", attributes)
        await update_location(hass, entry, fix)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        states.append(state(hass, DRIVER))
    return states


def with_driver(fixes: Iterable[Fix], driver_id: str) -> list[Fix]:
    """Return the fixes as if the car had sent this driver id with each."""
    return [replace(fix, driver=driver_id) for fix in fixes]


async def test_driver_by_id(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Take the driver whose id the car sends, before anyone moving with it."""
    entry = await setup_car(
        hass,
        push_entry,
        [
            driver_subentry("Alice", person=ALICE, driver_id="key-1"),
            driver_subentry(
                "Bob",
                driver_id="key-2",
                extra={CONF_TEMPERATURE: 22.5, CONF_SCENE: "scene.bob"},
            ),
        ],
    )
    assert state(hass, DRIVER) == STATE_UNKNOWN

    states = await drive(
        hass,
        freezer,
        entry,
        with_driver(DRIVE.fixes[:CHOSEN_AFTER], "key-2"),
        {ALICE: beside(10.0)},
    )

    assert set(states) == {"Bob"}
    assert entry.runtime_data.coordinator.data.driver == Driver(
        subentry_id="driver_bob",
        name="Bob",
        driver_id="key-2",
        temperature=22.5,
        scene="scene.bob",
    )


async def test_driver_by_person_moving_with_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Take the driver whose person has been moving with the car for a minute."""
    entry = await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])

    states = await drive(
        hass, freezer, entry, DRIVE.fixes[:CHOSEN_AFTER], {ALICE: beside(30.0)}
    )

    # Not at once: a minute of company (and 400 m travelled) first.
    assert states[:12] == [STATE_UNKNOWN] * 12
    assert states[-1] == "Alice"
    assert entry.runtime_data.coordinator.data.driver == Driver(
        subentry_id="driver_alice", name="Alice", person=ALICE
    )


async def test_person_at_home_not_chosen(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Never take a person who stays at home, not even once the car parks there."""
    entry = await setup_car(
        hass,
        push_entry,
        [
            driver_subentry("Alice", person=ALICE),
            driver_subentry("Bob", person=BOB),
        ],
    )

    states = await drive(
        hass, freezer, entry, DRIVE.fixes, {ALICE: at_home, BOB: no_gps}
    )

    assert set(states) == {STATE_UNKNOWN}


async def test_person_at_home_when_car_departs(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Not take the person who stays in the house while the car leaves slowly."""
    departure = sim.Drive(start=DRIVE.marks["start"]).stop(240.0)
    departure.drive_to(*sim.along(90.0, 2_000.0), 5.0)
    entry = await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])

    states = await drive(hass, freezer, entry, departure.fixes, {ALICE: at_home})

    assert set(states) == {STATE_UNKNOWN}


async def test_closer_person_wins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Take the closer of two people who both move with the car."""
    entry = await setup_car(
        hass,
        push_entry,
        [
            driver_subentry("Alice", person=ALICE),
            driver_subentry("Bob", person=BOB),
        ],
    )

    states = await drive(
        hass,
        freezer,
        entry,
        DRIVE.fixes[:CHOSEN_AFTER],
        {ALICE: beside(150.0), BOB: beside(5.0)},
    )

    assert set(states) == {STATE_UNKNOWN, "Bob"}
    assert states[-1] == "Bob"


async def test_no_match_unknown(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Show unknown while neither the id nor anyone's position matches."""
    entry = await setup_car(
        hass,
        push_entry,
        [
            driver_subentry("Alice", person=ALICE, driver_id="key-1"),
            driver_subentry("Bob", person="person.never_seen"),
            driver_subentry("Carol"),
        ],
    )

    states = await drive(
        hass,
        freezer,
        entry,
        DRIVE.fixes[: CHOSEN_AFTER * 2],
        {ALICE: beside(250.0)},
    )

    assert set(states) == {STATE_UNKNOWN}


async def test_unknown_id_falls_back_to_person(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Fall back to the person moving with the car when the car's id is nobody's."""
    entry = await setup_car(
        hass,
        push_entry,
        [
            driver_subentry("Alice", person=ALICE, driver_id="key-1"),
            driver_subentry("Bob", driver_id="key-2"),
        ],
    )

    states = await drive(
        hass,
        freezer,
        entry,
        with_driver(DRIVE.fixes[:CHOSEN_AFTER], "valet"),
        {ALICE: beside(10.0)},
    )

    assert states[0] == STATE_UNKNOWN
    assert states[-1] == "Alice"


async def test_kept_for_the_trip(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Keep the driver while their phone goes quiet; forget them once parked long."""
    entry = await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])
    fixes = sim.straight_approach(2_000.0, park_s=900.0).fixes
    await drive(hass, freezer, entry, fixes[:CHOSEN_AFTER], {ALICE: beside(10.0)})
    assert state(hass, DRIVER) == "Alice"

    # Parked for long after the trip: nobody is driving any more.
    states = await drive(hass, freezer, entry, fixes[CHOSEN_AFTER:], {ALICE: no_gps})

    last_moving = next(
        index
        for index, fix in reversed(list(enumerate(fixes)))
        if fix.speed is not None and fix.speed > 0
    )
    parked = last_moving + 1 - CHOSEN_AFTER
    assert set(states[:parked]) == {"Alice"}
    assert states[-1] == STATE_UNKNOWN


async def test_another_driver_takes_over(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Switch to the driver the car names, away from the person chosen earlier."""
    entry = await setup_car(
        hass,
        push_entry,
        [
            driver_subentry("Alice", person=ALICE),
            driver_subentry("Bob", driver_id="key-2"),
        ],
    )
    fixes = DRIVE.fixes[: CHOSEN_AFTER * 2]
    await drive(hass, freezer, entry, fixes[:CHOSEN_AFTER], {ALICE: beside(10.0)})
    assert state(hass, DRIVER) == "Alice"

    states = await drive(
        hass, freezer, entry, with_driver(fixes[CHOSEN_AFTER:], "key-2")
    )

    assert set(states) == {"Bob"}


async def test_forgotten_when_silent(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Forget the driver when the car stays silent until its data goes stale."""
    entry = await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])
    await drive(hass, freezer, entry, DRIVE.fixes[:CHOSEN_AFTER], {ALICE: beside(10.0)})
    assert state(hass, DRIVER) == "Alice"

    freezer.tick(timedelta(minutes=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert state(hass, DRIVER) == STATE_UNKNOWN


async def test_follows_subentry_changes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Count a driver added, renamed or removed from the car's next update on."""
    entry = await setup_car(hass, push_entry, [])
    fixes = with_driver(DRIVE.fixes[:4], "key-1")
    assert await drive(hass, freezer, entry, fixes[:1]) == [STATE_UNKNOWN]

    alice = ConfigSubentry(
        data=MappingProxyType({CONF_NAME: "Alice", CONF_DRIVER_ID: "key-1"}),
        subentry_type=SUBENTRY_DRIVER,
        title="Alice",
        unique_id=None,
    )
    hass.config_entries.async_add_subentry(entry, alice)
    assert await drive(hass, freezer, entry, fixes[1:2]) == ["Alice"]

    hass.config_entries.async_update_subentry(
        entry,
        alice,
        data={CONF_NAME: "Alice B.", CONF_DRIVER_ID: "key-1", CONF_TEMPERATURE: ""},
    )
    assert await drive(hass, freezer, entry, fixes[2:3]) == ["Alice B."]
    assert entry.runtime_data.coordinator.drivers.drivers == (
        Driver(subentry_id=alice.subentry_id, name="Alice B.", driver_id="key-1"),
    )

    hass.config_entries.async_remove_subentry(entry, alice.subentry_id)
    assert await drive(hass, freezer, entry, fixes[3:4]) == [STATE_UNKNOWN]


# ---------------------------------------------------------------- the event's driver


@pytest.mark.usefixtures("home_zone")
async def test_event_names_the_driver_found_by_person(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Send the driver found by their person with the transitions, not ``null``."""
    entry = await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])
    events = async_capture_events(hass, EVENT_HOMECOMING)

    await drive(hass, freezer, entry, DRIVE.fixes, {ALICE: beside(10.0)})

    assert [(e.data["type"], e.data["driver"]) for e in events] == [
        # The approach is seen before a minute of company has named her.
        ("approach_started", None),
        ("arriving", ALICE_BY_PERSON),
        ("arrived", ALICE_BY_PERSON),
    ]
    assert state(hass, DRIVER) == "Alice"


@pytest.mark.usefixtures("home_zone")
async def test_event_names_the_driver_found_by_id(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, push_entry: MockConfigEntry
) -> None:
    """Send the driver the car names with their name, id and person."""
    entry = await setup_car(
        hass, push_entry, [driver_subentry("Bob", person=BOB, driver_id="key-2")]
    )
    events = async_capture_events(hass, EVENT_HOMECOMING)

    await drive(hass, freezer, entry, with_driver(DRIVE.fixes, "key-2"))

    bob = {"name": "Bob", "id": "key-2", "person": BOB, "found_by": "driver_id"}
    assert [e.data["driver"] for e in events] == [bob, bob, bob]


# ---------------------------------------------------------------- across a restart


def saved_car(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """Return what a car saved (its engine and its driver)."""
    saved: dict[str, Any] = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    return saved


@pytest.mark.usefixtures("home_zone")
async def test_driver_kept_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Keep the driver found by person through a restart mid-trip, in events too."""
    entry = await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])
    await drive(hass, freezer, entry, DRIVE.fixes[:CHOSEN_AFTER], {ALICE: beside(10.0)})
    assert state(hass, DRIVER) == "Alice"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert saved_car(hass_storage, entry)["driver"] == {
        "version": 1,
        "subentry_id": "driver_alice",
        "seen": DRIVE.fixes[CHOSEN_AFTER - 1].timestamp.isoformat(),
        "found_by": "moving_with_car",
    }
    assert state(hass, DRIVER) == "Alice"

    # Her phone goes quiet: nothing but the saved driver can name her now.
    events = async_capture_events(hass, EVENT_HOMECOMING)
    states = await drive(hass, freezer, entry, DRIVE.fixes[CHOSEN_AFTER:], {})
    assert set(states) == {"Alice"}
    assert [(e.data["type"], e.data["driver"]) for e in events] == [
        ("arriving", ALICE_BY_PERSON),
        ("arrived", ALICE_BY_PERSON),
    ]

    # Parked for longer than a trip's end (noticed when the car goes silent):
    # forgotten, and saved as none.
    freezer.tick(timedelta(minutes=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state(hass, DRIVER) == STATE_UNKNOWN
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert saved_car(hass_storage, entry)["driver"] is None
    assert state(hass, DRIVER) == STATE_UNKNOWN


SAVED_AT = CHOSEN_AFTER
"""The saved state of the tests below: the car approaching, this many fixes in."""


def saved_with_driver(driver: Any) -> dict[str, Any]:
    """Return a saved state of the car half way home, with this saved driver."""
    saved = stored(half_way(DRIVE.fixes, SAVED_AT))
    saved["data"]["driver"] = driver
    return saved


def alice_record(**changes: Any) -> dict[str, Any]:
    """Return Alice saved as the driver seen at the last fix, with these changes."""
    return {
        "version": 1,
        "subentry_id": "driver_alice",
        "seen": DRIVE.fixes[SAVED_AT - 1].timestamp.isoformat(),
        **changes,
    }


def own_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings Homecoming logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.homecoming")
        and record.levelno >= logging.WARNING
    ]


async def restart_with(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    driver: Any,
    *,
    down: timedelta = timedelta(minutes=1),
) -> MockConfigEntry:
    """Start Alice's car from a saved state with this driver, ``down`` after it."""
    hass_storage[f"{DOMAIN}.{push_entry.entry_id}"] = saved_with_driver(driver)
    freezer.move_to(DRIVE.fixes[SAVED_AT - 1].timestamp + down)
    return await setup_car(hass, push_entry, [driver_subentry("Alice", person=ALICE)])


@pytest.mark.usefixtures("home_zone")
async def test_saved_driver_restored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Take the saved driver back when the restart is shorter than a trip's end."""
    entry = await restart_with(
        hass,
        freezer,
        push_entry,
        hass_storage,
        alice_record(),
        down=timedelta(minutes=9),
    )
    assert phase_state(hass, entry) == "approaching"
    assert state(hass, DRIVER) == "Alice"


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize(
    ("driver", "down"),
    [
        (None, timedelta(minutes=1)),
        (alice_record(), timedelta(minutes=10)),
        (alice_record(subentry_id="driver_removed"), timedelta(minutes=1)),
        (alice_record(), timedelta(minutes=-1)),
    ],
    ids=["none", "trip_over", "driver_removed", "seen_after_now"],
)
async def test_saved_driver_not_restored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    driver: Any,
    down: timedelta,
) -> None:
    """Start without a driver whose trip is over or who is gone; quietly."""
    with caplog.at_level(logging.WARNING):
        entry = await restart_with(
            hass, freezer, push_entry, hass_storage, driver, down=down
        )
    assert phase_state(hass, entry) == "approaching"
    assert state(hass, DRIVER) == STATE_UNKNOWN
    assert own_warnings(caplog) == []


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize(
    "driver",
    [
        "driver_alice",
        ["driver_alice"],
        {},
        alice_record(version=2),
        alice_record(version="1"),
        alice_record(version=True),
        alice_record(version=None),
        alice_record(subentry_id=7),
        alice_record(subentry_id=None),
        alice_record(seen=None),
        alice_record(seen=1_736_181_010),
        alice_record(seen="yesterday"),
        alice_record(seen="2026-13-45T00:00:00+00:00"),
        alice_record(seen="2026-01-06T16:30:00+25:00"),
        alice_record(seen="2026-01-06T16:30:00"),
    ],
    ids=[
        "text",
        "list",
        "empty",
        "newer_version",
        "version_text",
        "version_bool",
        "no_version",
        "subentry_number",
        "no_subentry",
        "no_seen",
        "seen_number",
        "seen_text",
        "seen_impossible_date",
        "seen_impossible_offset",
        "seen_without_zone",
    ],
)
async def test_unusable_saved_driver_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    driver: Any,
) -> None:
    """Ignore a saved driver that cannot be used, with one warning; the trip goes on.

    Nothing of it is kept: the next save writes the driver the car finds itself.
    """
    with caplog.at_level(logging.WARNING):
        entry = await restart_with(hass, freezer, push_entry, hass_storage, driver)
    assert phase_state(hass, entry) == "approaching"
    assert state(hass, DRIVER) == STATE_UNKNOWN
    assert own_warnings(caplog) == [
        "Family car: the saved driver could not be read; starting without one"
    ]
    assert "Traceback" not in caplog.text
    assert issue_registry.issues == {}

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["driver"] is None

"""The departure set-back sees the household as it is, not at the instant of leaving.

The usual set-up: Anna's phone is both the car's source and her ``person`` tracker. Her
person leaves the home zone about when the car departs — sometimes a report later — so
the routine waits up to two minutes for the people who were home to leave.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import EVENT_ROUTINE
from custom_components.homecoming.engine import Fix
from devtools import sim
from tests import routine_home as home
from tests.common import (
    add_car,
    diagnostics,
    drive_home,
    entity_car,
    feed_cars,
    phase_state,
    state,
    tick,
)

OPTIONS: dict[str, Any] = {
    "climate": {"targets": [home.LIVING]},
    "departure": {"enabled": True, "mode": "eco", "eco_temperature": 17.0},
}
ZONE_EXIT_M = 600.0
"""Where Anna's phone reports leaving the home zone: a report after the car departs
(the zone's edge plus the phone's accuracy, and its report interval)."""


def temperature(hass: HomeAssistant) -> Any:
    """Return the living room's target temperature."""
    living = hass.states.get(home.LIVING)
    assert living is not None
    return living.attributes["temperature"]


async def report(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fix: Fix, *, zone_exit: float
) -> None:
    """Report a fix as the Companion app does: a position and the zone it is in."""
    freezer.move_to(fix.timestamp)
    distance = sim.distance_to_home(fix, sim.home_at(*sim.DEFAULT_HOME))
    hass.states.async_set(
        home.ANNA_PHONE,
        "home" if distance < zone_exit else "not_home",
        {
            "latitude": fix.latitude,
            "longitude": fix.longitude,
            "gps_accuracy": fix.accuracy or 10,
            "source_type": "gps",
        },
    )
    await hass.async_block_till_done()


async def reason(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return why the departure routine last did what it did (diagnostics)."""
    result = await diagnostics(hass, entry)
    return str(result["routines"]["decisions"]["departure"]["reason"])


async def push_car_with_anna_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> tuple[MockConfigEntry, list[Any]]:
    """Build the home with Anna at home and add a push car; capture its routines."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, sun=False, persons_home=True)
    entry = home.car("Family car", OPTIONS)
    await add_car(hass, entry, webhook=True)
    return entry, async_capture_events(hass, EVENT_ROUTINE)


async def phone_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, start: datetime
) -> MockConfigEntry:
    """Build the home with Anna at home, and a car that follows Anna's phone."""
    freezer.move_to(start)
    await home.async_build_home(hass, sun=False, persons_home=True)
    first = home.drive_away(start)[0]
    hass.states.async_set(
        home.ANNA_PHONE,
        "home",
        {"latitude": first.latitude, "longitude": first.longitude, "gps_accuracy": 10},
    )
    entry = entity_car(tracked=home.ANNA_PHONE, options=OPTIONS)
    await add_car(hass, entry)
    await report(hass, freezer, first, zone_exit=ZONE_EXIT_M)
    return entry


async def test_the_phone_that_is_the_person_sets_the_home_back(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Anna leaves with her phone: the set-back waits for her person, then runs."""
    entry = await phone_car(hass, freezer, home.NIGHT)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    seen: list[tuple[str, str, Any]] = []
    for fix in home.drive_away(home.NIGHT)[1:]:
        await report(hass, freezer, fix, zone_exit=ZONE_EXIT_M)
        seen.append(
            (phase_state(hass, entry), state(hass, "person.anna"), temperature(hass))
        )
    # The car departed while Anna's person was still home; nothing was set back then.
    assert ("away", "home", 19.0) in seen
    assert seen[-1] == ("away", "not_home", 17.0)
    assert [event.data["routine"] for event in routines] == ["departure"]
    assert await reason(hass, entry) == "done"


async def test_someone_who_stays_home_keeps_the_home_as_it_is(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Bob stays home: after two minutes the set-back is skipped, and the log says so."""
    entry = await phone_car(hass, freezer, home.NIGHT)
    hass.states.async_set(home.BOB_PHONE, "home")
    routines = async_capture_events(hass, EVENT_ROUTINE)
    for fix in home.drive_away(home.NIGHT)[1:]:
        await report(hass, freezer, fix, zone_exit=ZONE_EXIT_M)
    await tick(hass, freezer, 130)
    assert state(hass, "person.anna") == "not_home"
    assert state(hass, "person.bob") == "home"
    assert temperature(hass) == 19.0
    assert [(e.data["routine"], e.data.get("skipped")) for e in routines] == [
        ("departure", "someone_home")
    ]
    assert await reason(hass, entry) == "someone_home"


async def test_a_car_back_before_the_household_settled_sets_nothing_back(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """The car returns within the wait: the pending set-back is dropped."""
    entry, routines = await push_car_with_anna_home(hass, freezer)
    away = sim.Drive(start=home.NIGHT, interval=10.0).stop(60.0)
    away.drive_to(*sim.along(30.0, 900.0), 15.0)
    fixes = away.fixes
    await feed_cars(hass, freezer, [(entry, fixes)])
    assert phase_state(hass, entry) == "away"
    back = drive_home(fixes[-1].timestamp + timedelta(seconds=10), 900.0, park_s=30)
    await feed_cars(hass, freezer, [(entry, back)])
    hass.states.async_set(home.ANNA_PHONE, "not_home")  # Anna leaves after all
    await tick(hass, freezer, 150)
    assert phase_state(hass, entry) == "home"
    assert temperature(hass) != 17.0
    assert [
        e.data["routine"] for e in routines if e.data["routine"] == "departure"
    ] == []
    assert await reason(hass, entry) == "came_back"


async def test_unloading_while_waiting_leaves_nothing_behind(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A car removed during the wait cancels it (no timer or listener outlives it)."""
    entry, _ = await push_car_with_anna_home(hass, freezer)
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT)[:20])])
    assert phase_state(hass, entry) == "away"
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.states.async_set(home.ANNA_PHONE, "not_home")
    freezer.tick(timedelta(minutes=3))
    await tick(hass, freezer, 10)
    assert temperature(hass) == 19.0

"""The garage door routine, on real drives, with a template garage door over a helper.

The door is a ``template`` cover over ``input_boolean.garage_open`` (see
``tests/routine_home.py``); notifications go to core's demo notify entity (each message
is a ``notify`` bus event) and to the stand-in of Anna's phone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
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
    feed_cars,
    phase_state,
    state,
    tick,
)

GARAGE = "garage_door"
HOME = sim.home_at(*sim.DEFAULT_HOME)
NOTIFY = "notifications"
NOTIFY_GARAGE = {"targets": [home.NOTIFIER], "events": ["garage_door"]}


def garage(**settings: Any) -> dict[str, Any]:
    """Return routine options with the garage door (and its notifications)."""
    return {
        GARAGE: {"targets": [home.GARAGE_DOOR], **settings},
        NOTIFY: NOTIFY_GARAGE,
    }


def entity_attribute(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    """Return one attribute of an entity."""
    found = hass.states.get(entity_id)
    assert found is not None
    return found.attributes.get(name)


def door(hass: HomeAssistant) -> str:
    """Return the garage door's state."""
    return state(hass, home.GARAGE_DOOR)


async def set_flag(hass: HomeAssistant, flag: str, on: bool) -> None:
    """Switch ``input_boolean.<flag>``."""
    await hass.services.async_call(
        "input_boolean",
        "turn_on" if on else "turn_off",
        {"entity_id": f"input_boolean.{flag}"},
        blocking=True,
    )


def drive_past(start: datetime, closest_m: float = 250.0) -> list[Fix]:
    """Return a drive that passes home ``closest_m`` away, within the arrival radius."""
    drive = sim.Drive(start=start, interval=10.0).at(closest_m, -6_000.0)
    return drive.drive_to(closest_m, 0.0, 15.0).drive_to(closest_m, 4_000.0, 15.0).fixes


async def car_with(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
    **home_options: Any,
) -> MockConfigEntry:
    """Build the home at night (no ``sun``) and add the push car with ``options``."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, sun=False, **home_options)
    entry = home.car("Family car", options)
    await add_car(hass, entry, webhook=True)
    return entry


async def feed_until_open(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    fixes: list[Fix],
) -> int:
    """Report fixes until the door is open; return how many were reported."""
    for index, fix in enumerate(fixes, start=1):
        await feed_cars(hass, freezer, [(entry, [fix])])
        if door(hass) == "open":
            return index
    raise AssertionError("the door never opened")


async def opened_on_a_drive_by(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> tuple[MockConfigEntry, list[Fix]]:
    """Drive the car past home until the door opens; return it and the rest of the drive."""
    entry = await car_with(hass, freezer, garage())
    fixes = drive_past(home.NIGHT)
    index = await feed_until_open(hass, freezer, entry, fixes)
    return entry, fixes[index:]


async def reason(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return why the garage door routine last did what it did (diagnostics)."""
    result = await diagnostics(hass, entry)
    return str(result["routines"]["decisions"][GARAGE]["reason"])


def messages(events: list[Any]) -> list[str]:
    """Return the messages the demo notify entity received."""
    return [event.data["message"] for event in events]


async def test_opens_as_the_car_arrives_never_when_it_starts(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Open at arriving (not at approach started), once, logged and notified."""
    entry = await car_with(hass, freezer, garage())
    notes = async_capture_events(hass, "notify")
    routines = async_capture_events(hass, EVENT_ROUTINE)
    phases_when_open: list[str] = []
    fixes = drive_home(home.NIGHT, 5_000.0)
    for fix in fixes:
        await feed_cars(hass, freezer, [(entry, [fix])])
        if door(hass) == "open" and not phases_when_open:
            phases_when_open.append(phase_state(hass, entry))
    assert phases_when_open == ["arriving"]
    assert door(hass) == "open"
    assert messages(notes) == ["Garage door opened for Family car"]
    opened = [
        action
        for event in routines
        for action in event.data["actions"]
        if action["action"] == "open"
    ]
    assert opened == [{"action": "open", "entity_id": home.GARAGE_DOOR}]
    assert [event.data["trigger"] for event in routines] == ["arriving"]
    assert await reason(hass, entry) == "done"


async def test_open_on_arrived(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """With "arrived", the door stays shut while arriving and opens once home."""
    entry = await car_with(hass, freezer, garage(open_on="arrived"))
    seen: list[tuple[str, str]] = []
    for fix in drive_home(home.NIGHT, 3_000.0):
        await feed_cars(hass, freezer, [(entry, [fix])])
        seen.append((phase_state(hass, entry), door(hass)))
    assert ("arriving", "open") not in seen
    assert ("home", "open") in seen


@pytest.mark.parametrize(
    ("blocker", "reason"),
    [("garage_open", "not_closed"), ("garage_broken", "unavailable")],
)
async def test_only_a_closed_available_door_opens(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    blocker: str,
    reason: str,
) -> None:
    """Leave an open or unavailable door alone, and say why in diagnostics."""
    entry = await car_with(hass, freezer, garage())
    await set_flag(hass, blocker, True)
    calls = async_capture_events(hass, "call_service")
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert [c for c in calls if c.data["domain"] == "cover"] == []
    result = await diagnostics(hass, entry)
    assert result["routines"]["decisions"][GARAGE]["reason"] == reason


async def test_drive_by_within_the_radius_closes_it_again(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A car that passes within the arrival radius: opened, then closed and told."""
    entry = await car_with(hass, freezer, garage())
    notes = async_capture_events(hass, "notify")
    doors: list[tuple[str, str]] = []
    for fix in drive_past(home.NIGHT):
        await feed_cars(hass, freezer, [(entry, [fix])])
        doors.append((phase_state(hass, entry), door(hass)))
    assert ("arriving", "open") in doors
    assert doors[-1] == ("away", "closed")
    assert messages(notes) == [
        "Garage door opened for Family car",
        "Garage door closed again: Family car is not coming home after all",
    ]


async def test_a_late_cancel_leaves_the_door(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Past the close window (or with none), a cancelled approach leaves it open."""
    entry = await car_with(hass, freezer, garage(close_if_cancelled=0))
    await feed_cars(hass, freezer, [(entry, drive_past(home.NIGHT))])
    assert phase_state(hass, entry) == "away"
    assert door(hass) == "open"
    assert await reason(hass, entry) == "too_late"


async def test_a_door_closed_by_hand_is_not_closed_again(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Closed and reopened by someone: not Homecoming's to close on a cancel."""
    entry, rest = await opened_on_a_drive_by(hass, freezer)
    await set_flag(hass, "garage_open", False)  # closed by hand
    await set_flag(hass, "garage_open", True)  # and opened again by hand
    await feed_cars(hass, freezer, [(entry, rest)])
    assert phase_state(hass, entry) == "away"
    assert door(hass) == "open"
    assert await reason(hass, entry) == "nothing_to_do"


async def test_two_cars_open_it_once(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Two cars arriving together: one open call, within the cooldown."""
    first = await car_with(hass, freezer, garage())
    second = await add_car(hass, home.car("Van", garage(), number=2), webhook=True)
    calls = async_capture_events(hass, "call_service")
    start = home.NIGHT
    await feed_cars(
        hass,
        freezer,
        [(first, drive_home(start, 3_000.0)), (second, drive_home(start, 3_100.0))],
    )
    opens = [c for c in calls if c.data["service"] == "open_cover"]
    assert len(opens) == 1
    assert door(hass) == "open"


async def test_auto_close_after_leaving(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Opened on arrival, closed once the departed car is 300 m away; told."""
    sensors = [home.OBSTRUCTION, "binary_sensor.gone"]
    options = garage(auto_close=True, obstruction_sensors=sensors)
    entry = await car_with(hass, freezer, options)
    notes = async_capture_events(hass, "notify")
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert door(hass) == "open"
    seen: list[tuple[str, float, str]] = []
    for fix in home.drive_away(dt_util.utcnow() + timedelta(minutes=1)):
        await feed_cars(hass, freezer, [(entry, [fix])])
        distance = sim.distance_to_home(fix, HOME)
        seen.append((phase_state(hass, entry), distance, door(hass)))
    closed_at = next(i for i, (_, _, shut) in enumerate(seen) if shut == "closed")
    assert seen[closed_at][0] == "away"
    assert seen[closed_at][1] >= 250.0
    assert messages(notes)[-1] == "Garage door closed: Family car has left"


@pytest.mark.parametrize(
    ("flag", "message", "reason"),
    [
        (
            "garage_blocked",
            (
                "Garage door was not closed after Family car left: "
                "it reports an obstruction"
            ),
            "obstruction",
        ),
        (
            "garage_broken",
            "Garage door was not closed after Family car left: it is unavailable",
            "unavailable",
        ),
    ],
)
async def test_auto_close_refuses_an_obstructed_or_unavailable_door(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    flag: str,
    message: str,
    reason: str,
) -> None:
    """Never close a door that reports an obstruction or is unavailable; tell why."""
    options = garage(auto_close=True, obstruction_sensors=[home.OBSTRUCTION])
    entry = await car_with(hass, freezer, options)
    await set_flag(hass, "garage_open", True)  # the door is open as the car leaves
    notes = async_capture_events(hass, "notify")
    await set_flag(hass, flag, True)
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    assert state(hass, "input_boolean.garage_open") == "on"
    assert messages(notes) == [message]
    result = await diagnostics(hass, entry)
    assert result["routines"]["decisions"][GARAGE]["reason"] == reason


@pytest.mark.parametrize(
    ("persons_home", "expected"), [(False, "closed"), (True, "open")]
)
async def test_auto_close_of_a_door_someone_else_opened(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    persons_home: bool,
    expected: str,
) -> None:
    """A door Homecoming did not open is closed only when nobody is home."""
    options = garage(auto_close=True)
    entry = await car_with(hass, freezer, options, persons_home=persons_home)
    await set_flag(hass, "garage_open", True)
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    await tick(hass, freezer, 30)
    assert door(hass) == expected


async def test_auto_close_waits_for_the_distance_and_stops_on_return(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A car that comes back before it is far enough does not close the door."""
    entry = await car_with(
        hass, freezer, garage(auto_close=True, auto_close_distance=5_000)
    )
    await set_flag(hass, "garage_open", True)
    start = home.NIGHT
    away = home.drive_away(start)
    back = drive_home(away[-1].timestamp + timedelta(seconds=10), 3_000.0)
    await feed_cars(hass, freezer, [(entry, away)])
    assert phase_state(hass, entry) == "away"
    assert door(hass) == "open"
    await feed_cars(hass, freezer, [(entry, back)])
    assert phase_state(hass, entry) == "home"
    assert door(hass) == "open"


async def test_switched_off_routines_leave_the_door(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """With the routines switched off, nothing opens and nothing closes."""
    entry = await car_with(hass, freezer, garage(auto_close=True))
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": home.SWITCH}, blocking=True
    )
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert door(hass) == "closed"
    await set_flag(hass, "garage_open", True)
    await feed_cars(
        hass,
        freezer,
        [(entry, home.drive_away(dt_util.utcnow() + timedelta(minutes=1)))],
    )
    assert door(hass) == "open"
    assert await reason(hass, entry) == "switched_off"


async def test_restart_mid_approach_opens_nothing_and_remembers_the_door(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A reload while arriving fires nothing; a cancel after it still closes the door."""
    entry, rest = await opened_on_a_drive_by(hass, freezer)
    calls = async_capture_events(hass, "call_service")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert [c for c in calls if c.data["domain"] in ("cover", "notify")] == []
    await feed_cars(hass, freezer, [(entry, rest)])
    assert phase_state(hass, entry) == "away"
    assert door(hass) == "closed"  # the record said Homecoming opened it


async def test_a_missing_or_failing_door_does_not_stop_the_others(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A door that is gone is a repair; one whose motor fails is logged; others open."""
    options = garage(auto_close=True)
    options[GARAGE]["targets"] = ["cover.gone", home.STUCK_GATE, home.GARAGE_DOOR]
    entry = await car_with(hass, freezer, options)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert door(hass) == "open"
    assert state(hass, home.STUCK_GATE) == "closed"
    issues = ir.async_get(hass)
    assert issues.async_get_issue(
        "homecoming", f"missing_target_{entry.entry_id}_cover.gone"
    )

    # Leaving: the broken gate is open (by hand) and cannot close; the door closes.
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            GARAGE: {
                **options[GARAGE],
                "targets": [home.BROKEN_GATE, home.GARAGE_DOOR],
            },
        },
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await set_flag(hass, "gate_open", True)
    later = dt_util.utcnow() + timedelta(minutes=1)
    await feed_cars(hass, freezer, [(entry, home.drive_away(later))])
    assert door(hass) == "closed"
    assert state(hass, home.BROKEN_GATE) == "open"


async def test_a_gate_that_cannot_close_again_stays_open(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A drive-by opened the gate; its motor then fails to close it: logged, no move."""
    options = garage()
    options[GARAGE]["targets"] = [home.BROKEN_GATE]
    entry = await car_with(hass, freezer, options)
    notes = async_capture_events(hass, "notify")
    await feed_cars(hass, freezer, [(entry, drive_past(home.NIGHT))])
    assert phase_state(hass, entry) == "away"
    assert state(hass, home.BROKEN_GATE) == "open"
    assert messages(notes) == ["Broken gate opened for Family car"]


async def test_the_cooldown_holds_for_every_car(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Closed by hand after one car opened it, the door is not opened by the next."""
    first = await car_with(hass, freezer, garage())
    second = await add_car(hass, home.car("Van", garage(), number=2), webhook=True)
    await feed_cars(hass, freezer, [(first, drive_home(home.NIGHT, 3_000.0))])
    assert door(hass) == "open"
    await set_flag(hass, "garage_open", False)
    later = dt_util.utcnow() + timedelta(minutes=2)
    await feed_cars(hass, freezer, [(second, drive_home(later, 3_000.0))])
    assert door(hass) == "closed"
    assert await reason(hass, second) == "cooldown"


async def test_a_door_unavailable_at_the_cancel_is_left(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Opened, then unavailable when the approach is cancelled: left alone."""
    entry, rest = await opened_on_a_drive_by(hass, freezer)
    await set_flag(hass, "garage_broken", True)
    await feed_cars(hass, freezer, [(entry, rest)])
    assert phase_state(hass, entry) == "away"
    assert await reason(hass, entry) == "not_open"


async def test_auto_close_on_a_later_position(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Beyond a longer distance, the door closes on the position that passes it."""
    options = garage(auto_close=True, auto_close_distance=1_500)
    entry = await car_with(hass, freezer, options)
    routines = async_capture_events(hass, EVENT_ROUTINE)
    await set_flag(hass, "garage_open", True)
    seen: list[tuple[float, str]] = []
    for fix in home.drive_away(home.NIGHT):
        await feed_cars(hass, freezer, [(entry, [fix])])
        seen.append((sim.distance_to_home(fix, HOME), door(hass)))
    assert all(shut == "open" for distance, shut in seen if distance < 1_400)
    assert seen[-1][1] == "closed"
    closes = [e for e in routines if e.data["actions"][0]["action"] == "close"]
    assert [(e.data["routine"], e.data["trigger"]) for e in closes] == [
        ("departure", None)
    ]


async def test_auto_close_with_nothing_to_close(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A door that is already shut, or gone, when the car is far enough: nothing."""
    options = garage(auto_close=True)
    options[GARAGE]["targets"] = [home.GARAGE_DOOR, "cover.gone"]
    entry = await car_with(hass, freezer, options)
    calls = async_capture_events(hass, "call_service")
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    assert [c for c in calls if c.data["domain"] == "cover"] == []
    assert await reason(hass, entry) == "not_open"


@pytest.mark.parametrize("attribute", ["obstruction-detected", "obstruction_detected"])
async def test_a_door_that_reports_an_obstruction_itself(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    attribute: str,
) -> None:
    """A door whose own attribute reports an obstruction (HomeKit) is never closed."""
    homekit = "cover.homekit_garage"
    options = garage(auto_close=True, obstruction_sensors=["binary_sensor.gone"])
    options[GARAGE]["targets"] = [homekit]
    entry = await car_with(hass, freezer, options)
    # As HomeKit Controller shows a garage door that is open and obstructed.
    attributes = {"device_class": "garage", "friendly_name": "HomeKit garage"}
    hass.states.async_set(homekit, "open", {**attributes, attribute: True})
    notes = async_capture_events(hass, "notify")
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    assert state(hass, homekit) == "open"
    assert messages(notes) == [
        (
            "HomeKit garage was not closed after Family car left: "
            "it reports an obstruction"
        )
    ]


async def test_skip_after_the_door_opened_still_closes_it_on_a_drive_by(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Skip this time holds what comes; a cancel still undoes what was done."""
    options = garage()
    options["climate"] = {"targets": [home.LIVING], "timing": "fixed", "lead": 0}
    entry = await car_with(hass, freezer, options)
    before = entity_attribute(hass, home.LIVING, "temperature")
    fixes = drive_past(home.NIGHT)
    index = await feed_until_open(hass, freezer, entry, fixes)
    assert entity_attribute(hass, home.LIVING, "temperature") == 21.0
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": f"HOMECOMING_SKIP_{entry.entry_id}"},
    )
    await hass.async_block_till_done()
    notes = async_capture_events(hass, "notify")
    await feed_cars(hass, freezer, [(entry, fixes[index:])])
    assert phase_state(hass, entry) == "away"
    assert door(hass) == "closed"
    assert entity_attribute(hass, home.LIVING, "temperature") == before
    assert messages(notes) == [
        "Garage door closed again: Family car is not coming home after all"
    ]


async def test_auto_close_waits_for_the_household(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Anna is still home as the car leaves; she leaves a moment later: it closes."""
    entry = await car_with(hass, freezer, garage(auto_close=True), persons_home=True)
    await set_flag(hass, "garage_open", True)  # opened by hand: not Homecoming's
    left = False
    for fix in home.drive_away(home.NIGHT):
        await feed_cars(hass, freezer, [(entry, [fix])])
        if phase_state(hass, entry) == "away" and not left:
            left = True
            assert door(hass) == "open"  # someone is home: it waits
            hass.states.async_set(home.ANNA_PHONE, "not_home")
    assert left
    assert door(hass) == "closed"
    assert await reason(hass, entry) == "done"


async def test_an_obstruction_sensor_speaks_for_its_own_door(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A ratgdo-like sensor blocks the door of its device, not the other door."""
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    config = MockConfigEntry(domain="ratgdo")
    config.add_to_hass(hass)
    for name in ("left", "right"):
        device = devices.async_get_or_create(
            config_entry_id=config.entry_id, identifiers={("ratgdo", name)}
        )
        for domain in ("cover", "binary_sensor"):
            entities.async_get_or_create(
                domain,
                "ratgdo",
                f"{name}_{domain}",
                suggested_object_id=f"{name}_door",
                device_id=device.id,
            )
    hass.states.async_set("cover.left_door", "open", {"friendly_name": "Left door"})
    hass.states.async_set("cover.right_door", "open", {"friendly_name": "Right door"})
    hass.states.async_set("binary_sensor.left_door", "on")  # the left one is blocked
    hass.states.async_set("binary_sensor.right_door", "off")
    options = garage(
        auto_close=True,
        obstruction_sensors=["binary_sensor.left_door", "binary_sensor.right_door"],
    )
    options[GARAGE]["targets"] = ["cover.left_door", "cover.right_door"]
    entry = await car_with(hass, freezer, options)
    notes = async_capture_events(hass, "notify")
    calls = async_capture_events(hass, "call_service")
    await feed_cars(hass, freezer, [(entry, home.drive_away(home.NIGHT))])
    closed = [
        c.data["service_data"]["entity_id"]
        for c in calls
        if c.data["domain"] == "cover"
    ]
    assert closed == ["cover.right_door"]
    assert messages(notes) == [
        "Left door was not closed after Family car left: it reports an obstruction",
        "Right door closed: Family car has left",
    ]

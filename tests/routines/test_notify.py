"""Notifications: messages with the ETA and the driver, and "Skip this time"."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.homecoming.const import EVENT_ROUTINE
from custom_components.homecoming.routines.notify import _Placeholders, minutes_until
from devtools import sim
from tests import routine_home as home
from tests.common import add_car, diagnostics, drive_home, feed_cars, phase_state, state

NOTIFY = "notifications"
EVERYTHING = [
    "approach_started",
    "approach_cancelled",
    "arriving",
    "arrived",
    "departed",
    "garage_door",
    "climate",
]


async def car_with(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
    *,
    drivers: list[dict[str, Any]] | None = None,
    indoor: float = 19.0,
) -> MockConfigEntry:
    """Build the home at night (no ``sun``) and add the push car with ``options``."""
    freezer.move_to(home.NIGHT)
    await home.async_build_home(hass, sun=False, indoor=indoor)
    entry = home.car("Family car", options, drivers=drivers or [])
    await add_car(hass, entry, webhook=True)
    return entry


def notify(events: list[str], *, phone: bool = True) -> dict[str, Any]:
    """Return the notifications section: the notify entity (and Anna's phone)."""
    return {
        "targets": [home.NOTIFIER],
        "mobile_app": [home.PHONE_APP] if phone else [],
        "events": events,
    }


def messages(events: list[Any]) -> list[str]:
    """Return the messages of captured ``notify`` or phone events."""
    return [event.data["message"] for event in events]


async def test_on_its_way_home_with_the_eta_and_the_driver(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Tell the ETA in minutes and as a time, with the driver, to both targets."""
    await hass.config.async_update(time_zone="Europe/Amsterdam")
    entry = await car_with(
        hass,
        freezer,
        {NOTIFY: notify(["approach_started", "arriving", "arrived"])},
        drivers=[home.driver("Anna", "anna")],
    )
    notes = async_capture_events(hass, "notify")
    phone = async_capture_events(hass, home.PHONE_EVENT)
    await feed_cars(
        hass, freezer, [(entry, drive_home(home.NIGHT, 8_000.0, driver="anna"))]
    )

    assert len(notes) == 3
    first = notes[0].data
    assert first["title"] == "Family car"
    on_its_way = first["message"]
    assert on_its_way.startswith("Family car (Anna) is on its way home — about ")
    minutes = int(on_its_way.split("about ")[1].split(" min")[0])
    assert 5 <= minutes <= 12
    clock = on_its_way.split("(")[2].rstrip(")")
    assert len(clock) == 5
    assert clock[2] == ":"
    assert int(clock[:2]) == 17  # 16:xx UTC is 17:xx in Amsterdam in January
    assert messages(notes)[1].startswith("Family car (Anna) is arriving")
    assert messages(notes)[2] == "Family car (Anna) arrived home"

    assert messages(phone) == messages(notes)
    skip = {"action": f"HOMECOMING_SKIP_{entry.entry_id}", "title": "Skip this time"}
    assert phone[0].data["data"]["actions"] == [skip]
    assert phone[1].data["data"]["actions"] == [skip]
    assert "actions" not in phone[2].data["data"]  # the trip is over: nothing to skip
    assert phone[0].data["data"]["tag"] == f"homecoming_{entry.entry_id}"


async def test_only_the_ticked_events(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Send nothing for events that are not ticked, and nothing without targets."""
    entry = await car_with(hass, freezer, {NOTIFY: notify(["departed"], phone=False)})
    notes = async_capture_events(hass, "notify")
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert notes == []
    later = dt_util.utcnow() + timedelta(minutes=1)
    await feed_cars(hass, freezer, [(entry, home.drive_away(later))])
    assert messages(notes) == ["Family car left home"]

    other = home.car("Van", {NOTIFY: {"events": EVERYTHING}}, number=2)
    await add_car(hass, other, webhook=True)
    start = dt_util.utcnow() + timedelta(minutes=1)
    await feed_cars(hass, freezer, [(other, drive_home(start, 3_000.0))])
    assert len(notes) == 1
    result = await diagnostics(hass, other)
    assert NOTIFY not in result["routines"]["decisions"]


async def test_a_drive_by_is_told_as_cancelled(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Say that the car is no longer coming home after a cancelled approach."""
    entry = await car_with(
        hass, freezer, {NOTIFY: notify(["approach_started", "approach_cancelled"])}
    )
    notes = async_capture_events(hass, "notify")
    drive = sim.Drive(start=home.NIGHT, interval=10.0).at(900.0, -6_000.0)
    past = drive.drive_to(900.0, 0.0, 15.0).drive_to(900.0, 6_000.0, 15.0).fixes
    await feed_cars(hass, freezer, [(entry, past)])
    assert messages(notes)[0].startswith("Family car is on its way home")
    assert messages(notes)[-1] == "Family car is no longer coming home"


async def test_heating_started_tells_the_temperatures(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Tell the room and its temperature now and at comfort, in the unit system."""
    options = {
        "climate": {"targets": [home.LIVING], "timing": "fixed", "lead": 0},
        NOTIFY: notify(["climate"], phone=False),
    }
    entry = await car_with(hass, freezer, options, indoor=18.5)
    notes = async_capture_events(hass, "notify")
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert messages(notes) == ["Heating started in Living room (18.5 → 21 °C)"]


async def test_messages_in_home_assistants_language(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Write the messages in the language Home Assistant is set to."""
    await hass.config.async_update(language="de")
    entry = await car_with(hass, freezer, {NOTIFY: notify(["arrived"])})
    notes = async_capture_events(hass, "notify")
    phone = async_capture_events(hass, home.PHONE_EVENT)
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert messages(notes) == ["Family car ist zu Hause angekommen"]
    assert messages(phone) == messages(notes)


async def test_skip_this_time_holds_the_routines_for_the_trip(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """Pressing "Skip this time" holds every routine until this trip ends."""
    options = {
        "arrival_lights": {"targets": [home.PORCH], "condition": "always"},
        "garage_door": {"targets": [home.GARAGE_DOOR]},
        NOTIFY: notify(["approach_started", "arriving", "arrived"]),
    }
    entry = await car_with(hass, freezer, options)
    phone = async_capture_events(hass, home.PHONE_EVENT)
    held = async_capture_events(hass, EVENT_ROUTINE)
    fixes = drive_home(home.NIGHT, 8_000.0)
    index = 0
    while not phone:
        await feed_cars(hass, freezer, [(entry, [fixes[index]])])
        index += 1
    action = phone[0].data["data"]["actions"][0]["action"]
    # What the Companion app fires when the button is pressed.
    hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    await hass.async_block_till_done()
    switch = hass.states.get(home.SWITCH)
    assert switch is not None
    assert switch.attributes["skipped_trip"] is True
    # Once in the logbook, however often it is pressed.
    assert [event.data.get("skipped") for event in held] == ["skip_this_time"]
    await feed_cars(hass, freezer, [(entry, fixes[index:])])
    assert phase_state(hass, entry) == "home"
    assert state(hass, home.PORCH) == "off"
    assert state(hass, home.GARAGE_DOOR) == "closed"
    assert len(phone) == 1  # held: no "arriving", no "arrived"
    result = await diagnostics(hass, entry)
    assert result["routines"]["decisions"]["garage_door"]["reason"] == "snoozed"
    switch = hass.states.get(home.SWITCH)
    assert switch is not None
    assert switch.attributes["skipped_trip"] is False

    # The next trip runs the routines again.
    later = dt_util.utcnow() + timedelta(minutes=30)
    out_and_back = home.drive_away(later) + drive_home(
        later + timedelta(minutes=10), 3_000.0
    )
    await feed_cars(hass, freezer, [(entry, out_and_back)])
    assert state(hass, home.PORCH) == "on"
    assert state(hass, home.GARAGE_DOOR) == "open"


async def test_skip_outside_a_trip_or_for_another_car_is_ignored(
    hass: HomeAssistant, home_zone: None, freezer: FrozenDateTimeFactory
) -> None:
    """A late press (the car is home) or another car's button changes nothing."""
    options = {
        "arrival_lights": {"targets": [home.PORCH], "condition": "always"},
        NOTIFY: notify(["approach_started"]),
    }
    entry = await car_with(hass, freezer, options)
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": f"HOMECOMING_SKIP_{entry.entry_id}"},
    )
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": "HOMECOMING_SKIP_other"}
    )
    hass.bus.async_fire("mobile_app_notification_action", {"action": None})
    await hass.async_block_till_done()
    await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert state(hass, home.PORCH) == "on"


async def test_a_missing_phone_or_target_is_reported_once(
    hass: HomeAssistant,
    home_zone: None,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A phone that is gone is logged once; the other targets still get the message."""
    options = {
        NOTIFY: {
            "targets": ["notify.gone", home.NOTIFIER],
            "mobile_app": ["mobile_app_old_phone"],
            "events": ["arriving", "arrived"],
        }
    }
    entry = await car_with(hass, freezer, options)
    notes = async_capture_events(hass, "notify")
    with caplog.at_level(logging.WARNING):
        await feed_cars(hass, freezer, [(entry, drive_home(home.NIGHT, 3_000.0))])
    assert len(notes) == 2
    assert caplog.text.count("notify.mobile_app_old_phone does not exist") == 1
    assert caplog.text.count("routine target notify.gone does not exist") == 1
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0, 1), (29, 1), (91, 2), (12 * 60 + 20, 12)]
)
def test_minutes_until(seconds: int, expected: int) -> None:
    """Round the time left to whole minutes, never below one."""
    now = dt_util.utcnow()
    assert minutes_until(now + timedelta(seconds=seconds), now) == expected


def test_a_placeholder_a_translation_lacks_shows_as_written() -> None:
    """A translation naming a placeholder that is not given shows it, never raises."""
    text = "{car} ist in {minutes} Min. da ({unknown})"
    assert text.format_map(_Placeholders({"car": "Auto", "minutes": "5"})) == (
        "Auto ist in 5 Min. da ({unknown})"
    )

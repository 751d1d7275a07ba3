"""Tests of ``homecoming.replay``: a car's recorded history, replayed in a real recorder.

The followed tracker drives through real state changes, the recorder writes them, and
the action reads them back with the recorder's history API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import closing
from datetime import datetime, timedelta
import json
from pathlib import Path
import sqlite3
import threading
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceContextManager,
    WebSocketGenerator,
)
from sqlalchemy.exc import OperationalError

from custom_components.homecoming import history
from custom_components.homecoming.const import DOMAIN, EVENT_HOMECOMING
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.engine.replay import main
from tests.common import TRACKER, add_car, car_device, entity_car
from tests.replay_day import a_day

DAY = a_day()
FIXES = DAY.fixes
END = FIXES[-1].timestamp
DRIVE_BY_PAST = DAY.marks["past"]


def gps(fix: Fix) -> dict[str, Any]:
    """Return what a phone's tracker shows for a fix (mobile_app: speed in m/s)."""
    return {
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "gps_accuracy": fix.accuracy,
        "speed": fix.speed,
    }


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Prepare the recorder's database before Home Assistant starts."""


@pytest.fixture
def registered() -> bool:
    """Whether the followed tracker is a phone's (mobile_app, with its speed)."""
    return True


@pytest.fixture
async def car(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    start_of_drive: None,
    home_zone: None,
    registered: bool,
) -> MockConfigEntry:
    """Set up the car that follows the phone, which is at the day's first position.

    Home (zone.home) is set up when the day starts, before the car.
    """
    assert dt_util.utcnow() == FIXES[0].timestamp
    if registered:
        er.async_get(hass).async_get_or_create(
            "device_tracker", "mobile_app", "phone", suggested_object_id="family_car"
        )
    hass.states.async_set(TRACKER, "not_home", gps(FIXES[0]))
    return await add_car(hass, entity_car())


async def drive(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fixes: Iterable[Fix]
) -> None:
    """Write the tracker's states, the clock ticking every 10 s as Home Assistant's."""
    for fix in fixes:
        while dt_util.utcnow() + timedelta(seconds=10) < fix.timestamp:
            freezer.tick(timedelta(seconds=10))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
        freezer.move_to(fix.timestamp)
        hass.states.async_set(TRACKER, "not_home", gps(fix))
        await hass.async_block_till_done()
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def replay(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call ``homecoming.replay`` and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "replay", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


@pytest.fixture
async def day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car: MockConfigEntry,
) -> list[tuple[str, datetime]]:
    """Drive the day; return the live car's events (type and time) once recorded."""
    events = async_capture_events(hass, EVENT_HOMECOMING)
    await drive(hass, freezer, FIXES[1:])
    await async_wait_recording_done(hass)
    freezer.tick(timedelta(seconds=1))  # the period ends before now: after the last
    return [(event.data["type"], event.time_fired) for event in events]


def transitions(response: dict[str, Any]) -> list[tuple[str, datetime]]:
    """Return every transition of a replay, in time order."""
    found = [
        (step["event"], datetime.fromisoformat(step["time"]))
        for kind in ("trips", "drive_bys", "cancelled_approaches")
        for item in response[kind]
        for step in item["transitions"]
    ]
    return sorted(found, key=lambda step: step[1])


async def test_the_day_replayed(
    day: list[tuple[str, datetime]], hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """The replay decides what the live car decided: trips, a drive-by, a silence."""
    response = await replay(hass, config_entry_id=car.entry_id)
    assert response["car"] == "Family car"
    assert response["entity_id"] == TRACKER
    assert response["settings"] == {
        "reach_km": 30.0,
        "reach_minutes": 30.0,
        "arrival_radius": 400.0,
        "stop_tolerance": 8.0,
        "silence_timeout": 15.0,
        "max_accuracy": 150.0,
    }
    end = datetime.fromisoformat(response["end"])
    assert end == dt_util.utcnow()
    assert end - datetime.fromisoformat(response["start"]) == timedelta(days=14)
    assert end.utcoffset() == dt_util.now().utcoffset()  # local time
    # The live car's events, but departed (no trip's) and in the same order and time.
    assert transitions(response) == [e for e in day if e[0] != "departed"]
    assert [e for e, _ in day].count("departed") == 1
    summary = response["summary"]
    leads = [trip["lead_s"] for trip in response["trips"]]
    assert summary == {
        "trips_home": 2,
        "median_lead_s": round(sum(leads) / 2),
        "false_approaches": 2,
        "drive_bys": 1,
        "cancelled_approaches": 1,
        "departures": 1,
        "states": len(FIXES),
        "fixes_used": len(FIXES),
        "ignored": {
            "inaccurate": 0,
            "duplicate": 0,
            "out_of_order": 0,
            "too_old": 0,
            "outlier": 0,
            "unavailable": 0,
            "unparseable": 0,
        },
    }
    (drive_by,) = response["drive_bys"]
    assert 700 < drive_by["closest_m"] < 900
    assert datetime.fromisoformat(drive_by["cancelled"]) < DRIVE_BY_PAST
    (silent,) = response["cancelled_approaches"]
    assert silent["closest_m"] == silent["transitions"][-1]["distance_m"]
    # A device names the car as well; other settings decide otherwise.
    near = await replay(
        hass,
        device_id=car_device(hass, car).id,
        reach_km=2,
        reach_minutes=0,
        stop_tolerance=60,
    )
    assert near["settings"]["reach_km"] == 2.0
    assert near["settings"]["reach_minutes"] == 0.0
    assert near["summary"]["trips_home"] == 2
    assert near["trips"][0]["lead_s"] < response["trips"][0]["lead_s"]


async def test_states_not_used(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car: MockConfigEntry,
) -> None:
    """Unavailable, junk and inaccurate states are counted as the live car counts them."""
    await drive(hass, freezer, FIXES[1:30])
    freezer.tick(timedelta(seconds=5))
    hass.states.async_set(TRACKER, "unavailable", {})
    freezer.tick(timedelta(seconds=1))
    hass.states.async_set(TRACKER, "not_home", {"latitude": 95, "longitude": 4.9})
    freezer.tick(timedelta(seconds=1))
    hass.states.async_set(TRACKER, "not_home", {**gps(FIXES[30]), "gps_accuracy": 900})
    await async_wait_recording_done(hass)
    freezer.tick(timedelta(seconds=1))
    response = await replay(hass, config_entry_id=car.entry_id)
    assert response["summary"]["ignored"] == {
        "inaccurate": 1,
        "duplicate": 0,
        "out_of_order": 0,
        "too_old": 0,
        "outlier": 0,
        "unavailable": 1,
        "unparseable": 1,
    }
    assert response["summary"]["states"] == 33
    assert response["summary"]["fixes_used"] == 30


async def test_over_the_websocket(
    day: list[tuple[str, datetime]],
    hass: HomeAssistant,
    car: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The frontend and other clients call the action over the websocket."""
    client = await hass_ws_client(hass)
    await client.send_json(
        {
            "id": 1,
            "type": "call_service",
            "domain": DOMAIN,
            "service": "replay",
            "service_data": {
                "config_entry_id": car.entry_id,
                "start": (FIXES[0].timestamp - timedelta(minutes=1)).isoformat(),
                "end": END.isoformat(),
            },
            "return_response": True,
        }
    )
    message = await client.receive_json()
    assert message["success"], message
    response = message["result"]["response"]
    assert response["summary"]["trips_home"] == 2
    assert datetime.fromisoformat(response["end"]) == END


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("registered", [False])
async def test_the_command_line_on_the_recorder_database(
    day: list[tuple[str, datetime]],
    hass: HomeAssistant,
    car: MockConfigEntry,
    recorder_db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """scripts/replay on a copy of the database decides what the action decides."""
    copy = tmp_path / "home-assistant_v2.db"
    source = recorder_db_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(copy)) as to:
        live.backup(to)
    start = (FIXES[0].timestamp - timedelta(minutes=1)).isoformat()
    end = (END + timedelta(hours=1)).isoformat()
    response = await replay(hass, config_entry_id=car.entry_id, start=start, end=end)
    argv = ["--recorder", str(copy), "--entity", TRACKER, "--json"]
    assert main([*argv, "--since", start, "--until", end]) == 0
    printed = capsys.readouterr().out.splitlines()
    result = json.loads(printed[-1])
    assert result["summary"] == response["summary"]
    assert transitions(result) == transitions(response)
    assert [json.loads(line)["event"] for line in printed[:-1]] == [
        event for event, _ in day
    ]


async def test_period_bounds(
    recorder_mock: Recorder, hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """At most 31 days; the end after the start; times within the calendar."""
    now = dt_util.utcnow()
    cases = [
        ({"start": now - timedelta(days=32)}, "replay_period_too_long"),
        ({"start": now, "end": now}, "replay_period_empty"),
        ({"start": now + timedelta(days=1)}, "replay_period_empty"),
        ({"start": "1990-01-01T00:00:00+00:00"}, "out_of_range"),
        ({"end": "2150-01-01T00:00:00+00:00"}, "out_of_range"),
    ]
    for data, key in cases:
        with pytest.raises(ServiceValidationError) as err:
            await replay(hass, config_entry_id=car.entry_id, **data)
        assert err.value.translation_key == key, data
    with pytest.raises(ServiceValidationError) as err:
        await replay(hass, config_entry_id=car.entry_id, start=now - timedelta(days=32))
    assert err.value.translation_placeholders == {"days": "32.0", "max": "31"}
    # 31 days exactly is allowed; naive times are local.
    naive = dt_util.as_local(now).replace(tzinfo=None)
    response = await replay(
        hass,
        config_entry_id=car.entry_id,
        start=naive - timedelta(days=31),
        end=naive,
    )
    assert datetime.fromisoformat(response["end"]) == now.replace(microsecond=0)


async def test_too_many_states(
    day: list[tuple[str, datetime]], hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """More states than the bound: an error, never a replay cut short."""
    with (
        patch("custom_components.homecoming.history.MAX_STATES", 100),
        pytest.raises(ServiceValidationError) as err,
    ):
        await replay(hass, config_entry_id=car.entry_id)
    assert err.value.translation_key == "replay_too_many_states"
    assert err.value.translation_placeholders == {
        "entity": TRACKER,
        "count": str(len(FIXES)),
        "max": "100",
    }
    # Written after they were counted: still refused.
    with (
        patch("custom_components.homecoming.history.MAX_STATES", 100),
        patch("custom_components.homecoming.history._count", return_value=0),
        pytest.raises(ServiceValidationError) as err,
    ):
        await replay(hass, config_entry_id=car.entry_id)
    assert err.value.translation_key == "replay_too_many_states"
    assert err.value.translation_placeholders["count"] == str(len(FIXES))


async def test_nothing_recorded(
    recorder_mock: Recorder, hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Nothing in the period, or an entity the recorder never wrote: an empty replay."""
    response = await replay(
        hass,
        config_entry_id=car.entry_id,
        end=dt_util.utcnow() - timedelta(days=1),
    )
    assert response["summary"]["states"] == 0
    assert response["trips"] == []
    assert await hass.config_entries.async_unload(car.entry_id)
    other = await add_car(hass, entity_car(tracked="device_tracker.nobody"))
    response = await replay(hass, config_entry_id=other.entry_id)
    assert response["summary"]["states"] == 0


@pytest.mark.parametrize("recorder_config", [{"exclude": {"entities": [TRACKER]}}])
async def test_entity_not_recorded(
    hass: HomeAssistant, recorder_mock: Recorder, car: MockConfigEntry
) -> None:
    """The recorder excludes the followed entity: said so, with the entity."""
    with pytest.raises(HomeAssistantError) as err:
        await replay(hass, config_entry_id=car.entry_id)
    assert err.value.translation_key == "entity_not_recorded"
    assert err.value.translation_placeholders == {"entity": TRACKER}


async def test_database_error(
    day: list[tuple[str, datetime]], hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """A database error is the action's translated error."""
    failure = OperationalError("SELECT", {}, Exception("disk I/O error"))
    with (
        patch(
            "custom_components.homecoming.history.get_significant_states_with_session",
            side_effect=failure,
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await replay(hass, config_entry_id=car.entry_id)
    assert err.value.translation_key == "replay_failed"
    assert "disk I/O error" in err.value.translation_placeholders["reason"]


async def test_without_the_recorder(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Without the recorder there is no history: said so."""
    with pytest.raises(HomeAssistantError) as err:
        await replay(hass, config_entry_id=car.entry_id)
    assert err.value.translation_key == "recorder_unavailable"


@pytest.mark.parametrize("ready", [None, False])
async def test_recorder_not_ready(
    hass: HomeAssistant, recorder_mock: Recorder, car: MockConfigEntry, ready: bool
) -> None:
    """A recorder still migrating (not ready) or that failed: no history either."""
    future = hass.loop.create_future()
    if ready is not None:
        future.set_result(ready)
    with (
        patch.object(get_instance(hass), "async_db_ready", future),
        pytest.raises(HomeAssistantError) as err,
    ):
        await replay(hass, config_entry_id=car.entry_id)
    assert err.value.translation_key == "recorder_unavailable"


async def test_a_push_car_has_no_history(
    hass: HomeAssistant, recorder_mock: Recorder, init_push: MockConfigEntry
) -> None:
    """A car receiving pushes is refused: the recorder does not keep pushes."""
    with pytest.raises(ServiceValidationError) as err:
        await replay(hass, config_entry_id=init_push.entry_id)
    assert err.value.translation_key == "replay_needs_entity"
    assert err.value.translation_placeholders == {"car": "Family car"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reach_km": 501}, "reach_km"),
        ({"reach_minutes": -1}, "reach_minutes"),
        ({"arrival_radius": "nan"}, "arrival_radius"),
        ({"stop_tolerance": 0.5}, "stop_tolerance"),
        ({"silence_timeout": "inf"}, "silence_timeout"),
        ({"max_accuracy": 10}, "max_accuracy"),
    ],
)
async def test_bad_settings(
    hass: HomeAssistant,
    recorder_mock: Recorder,
    car: MockConfigEntry,
    data: dict[str, Any],
    field: str,
) -> None:
    """A setting outside the range the options allow: an error naming its range."""
    with pytest.raises(ServiceValidationError) as err:
        await replay(hass, config_entry_id=car.entry_id, **data)
    assert err.value.translation_key == "out_of_range"
    assert err.value.translation_placeholders["field"] == field


async def test_not_a_number(
    hass: HomeAssistant, recorder_mock: Recorder, car: MockConfigEntry
) -> None:
    """A setting that is no number is refused by the action's schema."""
    with pytest.raises(probatio.Invalid):
        await replay(hass, config_entry_id=car.entry_id, reach_km="far")
    with pytest.raises(ServiceValidationError) as err:
        await replay(hass, config_entry_id="01UNKNOWN")
    assert err.value.translation_key == "car_not_found"


async def test_one_replay_at_a_time(
    day: list[tuple[str, datetime]], hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Replays called together (actions, a preview) take their turn, one at a time.

    Each holds a period's states in memory: side by side, they would add up.
    """
    running = 0
    most = 0
    guard = threading.Lock()

    def read_and_replay(*args: Any) -> Any:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # long enough for another to start beside it
        try:
            return real(*args)
        finally:
            with guard:
                running -= 1

    real = history._read_and_replay
    with patch.object(history, "_read_and_replay", read_and_replay):
        first, second, shown = await asyncio.gather(
            replay(hass, config_entry_id=car.entry_id),
            replay(hass, config_entry_id=car.entry_id, reach_km=2),
            preview(hass, car),
        )
    assert most == 1
    assert first["summary"]["trips_home"] == second["summary"]["trips_home"] == 2
    assert shown.startswith("Your last 14 days with these values — trips home: 2;")


# ------------------------------------------------------------- the options' preview


async def preview(hass: HomeAssistant, entry: MockConfigEntry, **values: Any) -> str:
    """Open the detection options; return their preview (after submitting ``values``)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    if values:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], values
        )
        assert result["errors"] == {"travel_time_sensor": "travel_time_sensor"}
    assert result["step_id"] == "detection"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    return str(placeholders["preview"])


async def test_the_last_14_days_in_the_options(
    day: list[tuple[str, datetime]], hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """The detection options show what the last 14 days gave, with the values shown."""
    summary = (await replay(hass, config_entry_id=car.entry_id))["summary"]
    minutes = round(summary["median_lead_s"] / 60)
    assert await preview(hass, car) == (
        "Your last 14 days with these values — trips home: 2; approach noticed a"
        f" median of {minutes} min before arrival; false approaches cancelled: 2"
        " (drive-bys: 1)."
    )
    # Sent back with an error: the preview is of the values sent.
    near = await replay(hass, config_entry_id=car.entry_id, reach_km=2, reach_minutes=0)
    sent = {
        "reach_km": 2,
        "reach_minutes": 0,
        "arrival_radius": 400,
        "stop_tolerance": 8,
        "silence_timeout": 15,
        "max_accuracy": 150,
        "travel_time_sensor": "sensor.nothing",
    }
    near_minutes = round(near["summary"]["median_lead_s"] / 60)
    assert near_minutes < minutes
    assert f"a median of {near_minutes} min" in await preview(hass, car, **sent)


async def test_a_preview_with_too_much_history(
    day: list[tuple[str, datetime]], hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """More states than a replay takes: said so, the form still opens."""
    with patch("custom_components.homecoming.history.MAX_STATES", 100):
        assert await preview(hass, car) == (
            "Your last 14 days: too much recorded history to preview (more than 100"
            " states)."
        )


async def test_a_preview_without_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car: MockConfigEntry,
) -> None:
    """Nothing recorded in the last 14 days: a short line."""
    freezer.tick(timedelta(days=20))
    assert await preview(hass, car) == "Your last 14 days: no recorded history yet."


async def test_a_preview_without_the_recorder(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Without the recorder: said so, never an error."""
    assert await preview(hass, car) == (
        "The recorder is not running, or its database is not ready yet: no preview of"
        " your last 14 days."
    )


@pytest.mark.parametrize("recorder_config", [{"exclude": {"entities": [TRACKER]}}])
async def test_a_preview_of_an_entity_not_recorded(
    hass: HomeAssistant, recorder_mock: Recorder, car: MockConfigEntry
) -> None:
    """The recorder excludes the followed entity: said so, and what to do."""
    assert await preview(hass, car) == (
        f"Home Assistant's recorder does not record {TRACKER}: include it in the"
        " recorder's settings to see what Homecoming would have done."
    )


async def test_a_preview_of_a_zone_only_tracker(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car: MockConfigEntry,
) -> None:
    """Arrivals seen only as home: trips without an approach noticed before them."""
    for state in ("home", "not_home", "home"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set(TRACKER, state, {})
    await async_wait_recording_done(hass)
    freezer.tick(timedelta(seconds=1))
    assert await preview(hass, car) == (
        "Your last 14 days with these values — trips home: 2; no approach noticed"
        " before an arrival; false approaches cancelled: 0 (drive-bys: 0)."
    )


async def test_no_preview_for_a_push_car(
    recorder_mock: Recorder, hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """A car receiving pushes has no recorded history: no preview at all."""
    result = await hass.config_entries.options.async_init(init_push.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    assert result["description_placeholders"] == {"preview": ""}


async def test_no_preview_for_a_car_not_set_up(
    recorder_mock: Recorder, hass: HomeAssistant, home_zone: None
) -> None:
    """A car that could not be set up (its zone is gone): no preview."""
    entry = entity_car(home_zone="zone.gone")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert await preview(hass, entry) == ""

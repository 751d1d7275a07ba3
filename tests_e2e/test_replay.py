"""A real Home Assistant: what would Homecoming have done? (``homecoming.replay``).

A phone's tracker drives home through real state changes (``POST /api/states``, in real
time: a followed entity's position is as old as its state), so the recorder holds the
drive; the car that follows the phone reacts live. Then the ``homecoming.replay`` action,
called over the websocket, must tell the same trip from the recorder, and the detection
options must preview it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import time
from typing import Any

from devtools import HarnessError, sim
from devtools.client import HassClient
from devtools.watch import Watcher
from tests_e2e.conftest import Server

PHONE = "device_tracker.e2e_replay_phone"
FLOW = "/api/config/config_entries/flow"
OPTIONS = "/api/config/config_entries/options/flow"
TRIP = ["approach_started", "arriving", "arrived"]


def _position(fix: Any) -> dict[str, Any]:
    """Return the state a phone's GPS tracker writes for a fix."""
    return {
        "state": "not_home",
        "attributes": {
            "latitude": fix.latitude,
            "longitude": fix.longitude,
            "gps_accuracy": fix.accuracy or 10,
            "source_type": "gps",
        },
    }


async def _add_followed_car(client: HassClient, name: str) -> str:
    """Add a car that follows ``PHONE`` through the config flow; return its entry id."""
    result = await client.request("POST", FLOW, {"handler": "homecoming"})
    flow_id = result["flow_id"]
    result = await client.flow_step(FLOW, flow_id, {"next_step_id": "entity"})
    result = await client.flow_step(FLOW, flow_id, {"tracked_entity": PHONE})
    if result.get("step_id") != "zone":
        msg = f"expected the zone step: {result}"
        raise HarnessError(msg)
    result = await client.flow_step(
        FLOW, flow_id, {"home_zone": "zone.home", "name": name}
    )
    if result["type"] != "create_entry":
        msg = f"the car was not created: {result}"
        raise HarnessError(msg)
    return str(result["result"]["entry_id"])


async def _report(client: HassClient, fix: Any) -> None:
    """Write one position of the phone (created at first: 201, then 200)."""
    await client.request(
        "POST", f"/api/states/{PHONE}", _position(fix), expect=(200, 201)
    )


async def _drive(client: HassClient, fixes: list[Any]) -> None:
    """Write the phone's fixes at the pace they were measured."""
    first = fixes[0].timestamp
    started = time.monotonic()
    for fix in fixes:
        wait = (fix.timestamp - first).total_seconds() - (time.monotonic() - started)
        if wait > 0:
            await asyncio.sleep(wait)
        await _report(client, fix)


def test_the_replay_tells_the_trip_the_car_lived(server: Server) -> None:
    """Live and replayed from the recorder: the same trip, the same transitions."""
    # 2 km home at 25 m/s, a fix every 5 s, then parked: about 2 minutes.
    scenario = sim.straight_approach(2_000.0, 25.0, from_bearing=200.0, park_s=30.0)
    fixes = scenario.fixes

    async def body(client: HassClient) -> tuple[list[str], dict[str, Any], str]:
        await _report(client, fixes[0])
        began = datetime.now(UTC)
        entry_id = await _add_followed_car(client, "Replay car")
        async with Watcher.connect(client) as watcher:
            await _drive(client, fixes[1:])
            await watcher.wait_for(
                lambda: (
                    [e.data["type"] for e in watcher.homecoming_events(entry_id)]
                    == TRIP
                ),
                30,
                "the live trip",
            )
            live = [e.data["type"] for e in watcher.homecoming_events(entry_id)]
            # The recorder commits every second: the drive is in the database soon.
            await asyncio.sleep(3)
            answer = await watcher.command(
                "call_service",
                domain="homecoming",
                service="replay",
                service_data={
                    "config_entry_id": entry_id,
                    "start": (began - timedelta(minutes=1)).isoformat(),
                },
                return_response=True,
            )
        flow_id, _ = await client.options_menu(entry_id)
        form = await client.flow_step(OPTIONS, flow_id, {"next_step_id": "detection"})
        await client.abort_options(flow_id)
        return live, answer["response"], form["description_placeholders"]["preview"]

    live, replay, preview = server.run(body)

    assert live == TRIP
    [trip] = replay["trips"]
    assert [step["event"] for step in trip["transitions"]] == TRIP
    assert trip["lead_s"] > 0
    assert replay["drive_bys"] == []
    assert replay["summary"]["trips_home"] == 1
    assert "trips home: 1;" in preview, preview

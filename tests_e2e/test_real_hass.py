"""A real Home Assistant: a drive home, a restart mid-approach, bad pushes.

Everything goes through Home Assistant's public interfaces: the config flow and options
flow REST APIs, the car's webhook, and the websocket API (``homecoming_event`` and
``state_changed``). Each car's routines are set through its options flow
(:func:`devtools.forms.configure_routines`); a routines form that cannot be filled fails
the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import json
import time
from typing import Any

import pytest

from custom_components.homecoming.engine import Home
from devtools import drives, forms, sim
from devtools.client import Car, HassClient
from devtools.drives import Plan, signed_headers
from devtools.home import HEATER, HOME_LAT, HOME_LON, HOME_RADIUS_M, LIGHTS, THERMOSTAT
from devtools.watch import Watcher
from tests_e2e.conftest import Server

HOME = Home(latitude=HOME_LAT, longitude=HOME_LON, radius=HOME_RADIUS_M)
TRIP = ["approach_started", "arriving", "arrived"]


@dataclass(slots=True)
class DriveResult:
    """What the websocket showed during the demo drive of one car."""

    car: Car
    routines: list[str]
    """The options-menu steps that set the car's routines."""
    events: list[str]
    phases: list[str]
    approaching: list[str]
    lights: dict[str, list[str]]
    targets: list[Any]
    heater: list[str]
    order: list[str]
    """Transitions and routine effects in the order they were seen."""


def _targets(watcher: Watcher, initial: Any) -> list[Any]:
    targets: list[Any] = [initial]
    for seen in watcher.events:
        if seen.event_type == "state_changed" and seen.data["entity_id"] == THERMOSTAT:
            new = seen.data.get("new_state") or {}
            value = (new.get("attributes") or {}).get("temperature")
            if not targets or targets[-1] != value:
                targets.append(value)
    return targets


def _order(watcher: Watcher, car: Car) -> list[str]:
    """Car transitions, lights switching on and target changes, in arrival order."""
    order: list[str] = []
    for seen in watcher.events:
        data = seen.data
        if seen.event_type == "homecoming_event" and data["entry_id"] == car.entry_id:
            order.append(data["type"])
        elif seen.event_type == "state_changed":
            old, new = data.get("old_state") or {}, data.get("new_state") or {}
            if data["entity_id"] in LIGHTS and new.get("state") == "on" != old.get(
                "state"
            ):
                order.append("light_on")
            if data["entity_id"] == THERMOSTAT and (old.get("attributes") or {}).get(
                "temperature"
            ) != (new.get("attributes") or {}).get("temperature"):
                order.append("target_changed")
    return order


async def _reset_home(client: HassClient) -> None:
    for light in LIGHTS:
        await client.call("light", "turn_off", entity_id=light)
    await client.call(
        "climate", "set_temperature", entity_id=THERMOSTAT, temperature=17
    )


@pytest.fixture(scope="module")
def drive(server: Server) -> DriveResult:
    """Add a push car, set its routines, and drive it home once (about a minute)."""

    async def body(client: HassClient) -> DriveResult:
        car = await client.add_push_car("E2E car")
        routines = await forms.configure_routines(client, car)
        await _reset_home(client)
        plan = Plan.build(drives.demo_drive(), speed=10)
        assert plan.check(HOME) == []
        async with Watcher.connect(client) as watcher:
            initial_target = watcher.attribute(THERMOSTAT, "temperature")
            await drives.send_plan(client.session, car.webhook_url, plan.batches())
            await watcher.wait_for(
                lambda: watcher.state(car.entity("phase")) == "home", 20, "home"
            )
            time_after = time.monotonic() + 2
            await watcher.wait_for(lambda: time.monotonic() > time_after, 5)
        return DriveResult(
            car=car,
            routines=routines,
            events=[e.data["type"] for e in watcher.homecoming_events(car.entry_id)],
            phases=watcher.state_history(car.entity("phase")),
            approaching=watcher.state_history(car.entity("approaching")),
            lights={light: watcher.state_history(light) for light in LIGHTS},
            targets=_targets(watcher, initial_target),
            heater=watcher.state_history(HEATER),
            order=_order(watcher, car),
        )

    return server.run(body)


def test_events_arrive_in_order(drive: DriveResult) -> None:
    """One trip home: exactly approach_started, arriving, arrived, in that order."""
    assert drive.events == TRIP


def test_nothing_flaps(drive: DriveResult) -> None:
    """Every entity passes through each phase once; the binary sensor turns on once."""
    phases = [p for p in drive.phases if p not in {"unknown", "unavailable"}]
    assert phases[-3:] == ["approaching", "arriving", "home"]
    assert len(phases) == len(set(phases)), phases
    approaching = [s for s in drive.approaching if s not in {"unknown", "unavailable"}]
    assert approaching.count("on") == 1, approaching
    assert approaching[-1] == "off"


def test_the_lights_turn_on_on_arrival(drive: DriveResult) -> None:
    """The arrival routine switches the lights on once, after the car is arriving."""
    for light in LIGHTS:
        assert drive.lights[light][-1] == "on", (light, drive.lights[light])
        assert drive.lights[light].count("on") == 1
    assert drive.order.index("light_on") > drive.order.index("approach_started")


def test_the_thermostat_target_changes_while_approaching(drive: DriveResult) -> None:
    """The climate routine raises the target once, during the approach."""
    assert len(drive.targets) >= 2, drive.targets
    assert drive.targets[-1] > drive.targets[0]
    first_change = drive.order.index("target_changed")
    assert drive.order.index("approach_started") < first_change
    assert first_change < drive.order.index("arrived")


def test_restart_in_the_middle_of_an_approach(server: Server) -> None:
    """Stop Home Assistant mid-approach: the state is restored, nothing fires, it ends."""
    scenario = sim.straight_approach(5_000, 14.0, from_bearing=60.0, seed=3)
    plan = Plan.build(scenario, speed=12)  # no stops: only the stale timeout matters
    assert plan.check(HOME) == []
    batches = plan.batches()

    async def first_half(client: HassClient) -> tuple[Car, int, Any]:
        car = await client.add_push_car("Restart car")
        await forms.configure_routines(client, car)
        await _reset_home(client)
        async with Watcher.connect(client) as watcher:
            progress = {"sent": 0}

            def count(_: Any) -> None:
                progress["sent"] += 1

            sent = await drives.send_plan(
                client.session,
                car.webhook_url,
                batches,
                on_sent=count,
                until=lambda: (
                    watcher.state(car.entity("phase")) == "approaching"
                    and progress["sent"] >= len(batches) // 3
                ),
            )
            assert watcher.state(car.entity("phase")) == "approaching"
            assert [
                e.data["type"] for e in watcher.homecoming_events(car.entry_id)
            ] == ["approach_started"]
            before = {i: watcher.state(i) for i in LIGHTS}
        return car, sent, before

    car, sent, lights_before = server.run(first_half)
    assert sent < len(batches) - 5, "the drive must still be under way"
    restarted_at = datetime.now(UTC)
    server.process.restart()

    async def second_half(client: HassClient) -> list[str]:
        # Watch from as early as the websocket answers, through the end of start-up.
        async with Watcher.connect(client) as watcher:
            await client.wait_running()
            watcher.states = await client.states()
            assert watcher.homecoming_events() == []
            # Restored as it was, without any transition on start-up.
            assert watcher.state(car.entity("phase")) == "approaching"
            assert watcher.state(car.entity("approaching")) == "on"
            assert {i: watcher.state(i) for i in LIGHTS} == lights_before
            await drives.send_plan(client.session, car.webhook_url, batches[sent:])
            await watcher.wait_for(
                lambda: watcher.state(car.entity("phase")) == "home", 20, "home"
            )
            return [e.data["type"] for e in watcher.homecoming_events(car.entry_id)]

    after = server.run(second_half)
    assert after == ["arriving", "arrived"]
    # The recorder stored every event since the restart: the first homecoming_event of
    # this car after start-up is the arriving one, caused by a push.
    time.sleep(2)  # the recorder commits every second
    recorded = [
        e["type"]
        for e in server.process.recorded_events("homecoming_event", restarted_at)
        if e.get("entry_id") == car.entry_id
    ]
    assert recorded == ["arriving", "arrived"]
    lights = server.run(_lights)
    assert all(state == "on" for state in lights.values()), lights


async def _lights(client: HassClient) -> dict[str, str]:
    states = await client.states()
    return {light: states[light]["state"] for light in LIGHTS}


def test_bad_pushes_change_nothing(server: Server) -> None:
    """Oversized, garbage and wrongly signed pushes get 413, 400, 401; nothing moves."""
    secret = "e2e-secret"  # noqa: S105 - a test car's secret

    async def body(client: HassClient) -> None:
        car = await client.add_push_car("Secret car", secret=secret)
        good = json.dumps(
            drives.fix_payload(
                sim.Drive(start=datetime.now(UTC))
                .at(*sim.along(90, 3_000))
                .stop(5)
                .fixes[0]
            )
        ).encode()
        url = car.webhook_url
        session = client.session
        status, answer = await drives.post_push(
            session, url, good, signed_headers(secret, good)
        )
        assert (status, answer) == (200, {"accepted": 1, "ignored": 0})
        ids = sorted(car.entities.values())
        before = {i: s for i, s in (await client.states()).items() if i in ids}
        events_before = len(before)
        async with Watcher.connect(client) as watcher:
            oversized = (
                b'{"latitude": 52.0, "longitude": 4.0, "pad": "' + b"x" * 70_000 + b'"}'
            )
            garbage = b"\x00\x01 this is not a position {"
            no_position = b'{"latitude": "north", "longitude": 4.9}'
            cases = [
                ("oversized", oversized, signed_headers(secret, oversized), 413),
                ("garbage", garbage, signed_headers(secret, garbage), 400),
                (
                    "not a position",
                    no_position,
                    signed_headers(secret, no_position),
                    400,
                ),
                ("wrong signature", good, signed_headers("not-the-secret", good), 401),
                ("wrong bearer", good, {"Authorization": "Bearer nope"}, 401),
                ("unsigned", good, {}, 401),
            ]
            for name, payload, headers, expected in cases:
                status, answer = await drives.post_push(session, url, payload, headers)
                assert status == expected, (name, status, answer)
                assert "error" in answer, (name, answer)
            pause = time.monotonic() + 1.5
            await watcher.wait_for(lambda: time.monotonic() > pause, 5)
            changed = [
                e.data["entity_id"]
                for e in watcher.events
                if e.event_type == "state_changed" and e.data["entity_id"] in ids
            ]
            assert changed == []
            assert watcher.homecoming_events(car.entry_id) == []
        after = {i: s for i, s in (await client.states()).items() if i in ids}
        assert after == before
        assert events_before == len(after)

    server.run(body)

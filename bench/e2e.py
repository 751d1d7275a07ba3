"""Benchmark: a real Home Assistant, end to end.

Run from the repository root:  .venv-hass/bin/python -m bench.e2e [--cars 50] [--fixes 1000]

A real ``hass`` process (the demo home of ``devtools/home.py`` on a free loopback port,
Home Assistant 2026.11.0 with its frontend and recorder) gets ``--cars`` push cars through
the config-flow REST API. Then:

* latency: ``--fixes`` pushes, one at a time, round-robin over the cars (each car stays
  within its webhook's rate limit); for each, the time from starting the POST to the
  car's ``device_tracker`` ``state_changed`` event arriving on a websocket subscription,
  and the POST's round trip;
* start-up: Home Assistant is restarted (graceful stop, start) three times with all the
  cars and three times with one car; reported are the seconds Home Assistant itself
  attributes to setting up ``homecoming`` (``integration/setup_info`` on the websocket:
  the integration's set-up plus its config entries, the same figures as Settings →
  System → Repairs → Integration startup times) and the whole start-up ("Home
  Assistant initialized in … s" in its log).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
import statistics
import tempfile
import time

import aiohttp

from devtools import sim
from devtools.client import Car, HassClient, WebSocket
from devtools.drives import fix_payload, post_push
from devtools.hass import HassProcess, free_port
from devtools.home import write_config
from devtools.watch import Seen, Watcher

INITIALIZED = re.compile(r"Home Assistant initialized in ([0-9.]+)s")


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def car_fixes(index: int, count: int) -> list[bytes]:
    """``count`` push bodies of one car driving home, stamped in the last minutes."""
    start = datetime.now(UTC) - timedelta(seconds=5 * count + 30)
    drive = sim.Drive(start=start, seed=index).at(*sim.along(index * 7.2, 9_000))
    drive.drive_to(0.0, 0.0, 15.0)
    return [json.dumps(fix_payload(f)).encode() for f in drive.fixes[:count]]


async def latency(client: HassClient, cars: list[Car], total: int) -> dict[str, float]:
    """Time ``total`` pushes from POST to the tracker's state change on the websocket."""
    per_car = -(-total // len(cars))
    bodies = {car.entry_id: car_fixes(i, per_car) for i, car in enumerate(cars)}
    waiting: dict[str, asyncio.Future[float]] = {}

    def listener(seen: Seen) -> None:
        if seen.event_type != "state_changed":
            return
        future = waiting.pop(seen.data["entity_id"], None)
        if future is not None and not future.done():
            future.set_result(seen.at)

    to_state: list[float] = []
    round_trip: list[float] = []
    async with Watcher.connect(client) as watcher:
        watcher.add_listener(listener)
        loop = asyncio.get_running_loop()
        sent = 0
        for k in range(per_car):
            for car in cars:
                if sent == total:
                    break
                tracker = car.entity("location")
                future: asyncio.Future[float] = loop.create_future()
                waiting[tracker] = future
                began = time.monotonic()
                status, answer = await post_push(
                    client.session, car.webhook_url, bodies[car.entry_id][k]
                )
                round_trip.append(time.monotonic() - began)
                assert status == 200 and answer == {"accepted": 1, "ignored": 0}, (
                    status,
                    answer,
                )
                seen_at = await asyncio.wait_for(future, 10)
                to_state.append(seen_at - began)
                sent += 1
    return {
        "fixes": float(len(to_state)),
        "p50": percentile(to_state, 0.50) * 1000,
        "p90": percentile(to_state, 0.90) * 1000,
        "p99": percentile(to_state, 0.99) * 1000,
        "max": max(to_state) * 1000,
        "rt_p50": percentile(round_trip, 0.50) * 1000,
        "rt_p99": percentile(round_trip, 0.99) * 1000,
    }


async def setup_seconds(client: HassClient) -> dict[str, float]:
    """Return what Home Assistant recorded for setting up each integration (s)."""
    async with WebSocket.connect(client) as ws:
        info = await ws.command("integration/setup_info")
    return {item["domain"]: float(item["seconds"]) for item in info}


def restart_and_measure(
    process: HassProcess, token: str, runs: int
) -> tuple[list[float], list[float]]:
    """Restart ``runs`` times: homecoming's set-up seconds and the whole start-up."""
    homecoming: list[float] = []
    whole: list[float] = []
    for _ in range(runs):
        process.restart()

        async def measure() -> dict[str, float]:
            async with aiohttp.ClientSession() as session:
                client = HassClient(process.url, session)
                client.token = token
                await client.wait_running()
                return await setup_seconds(client)

        timings = asyncio.run(measure())
        homecoming.append(timings.get("homecoming", float("nan")))
        found = INITIALIZED.findall(process.log_text())
        whole.append(float(found[-1]) if found else float("nan"))
    return homecoming, whole


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cars", type=int, default=50)
    parser.add_argument("--fixes", type=int, default=1000)
    parser.add_argument("--restarts", type=int, default=3)
    args = parser.parse_args()
    config = Path(tempfile.mkdtemp(prefix="homecoming-bench-"))
    port = free_port()
    write_config(config, port)
    process = HassProcess(config, port).start()
    try:

        async def prepare() -> tuple[str, list[Car], dict[str, float]]:
            async with aiohttp.ClientSession() as session:
                client = HassClient(process.url, session)
                await client.authenticate(config)
                process.token = client.token
                cars = [
                    await client.add_push_car(f"Bench car {i:02d}")
                    for i in range(args.cars)
                ]
                return client.token, cars, await latency(client, cars, args.fixes)

        token, cars, lat = asyncio.run(prepare())
        many, many_whole = restart_and_measure(process, token, args.restarts)

        async def keep_one() -> None:
            async with aiohttp.ClientSession() as session:
                client = HassClient(process.url, session)
                client.token = token
                for car in cars[1:]:
                    await client.request(
                        "DELETE", f"/api/config/config_entries/entry/{car.entry_id}"
                    )

        asyncio.run(keep_one())
        one, one_whole = restart_and_measure(process, token, args.restarts)
    finally:
        process.stop()

    print(f"Home Assistant 2026.11.0, {args.cars} push cars, config {config}")
    print(
        f"webhook POST -> state_changed on the websocket, {lat['fixes']:.0f} fixes: "
        f"p50 {lat['p50']:.2f} ms, p90 {lat['p90']:.2f} ms, p99 {lat['p99']:.2f} ms, "
        f"max {lat['max']:.2f} ms"
    )
    print(f"POST round trip: p50 {lat['rt_p50']:.2f} ms, p99 {lat['rt_p99']:.2f} ms")
    for label, setup, whole in (
        (f"{args.cars} cars", many, many_whole),
        ("1 car", one, one_whole),
    ):
        print(
            f"start-up with {label}: homecoming set-up "
            f"{statistics.median(setup) * 1000:.0f} ms (runs: "
            f"{', '.join(f'{s * 1000:.0f}' for s in setup)} ms); Home Assistant "
            f"initialized in {statistics.median(whole):.2f} s (median of {len(whole)})"
        )


if __name__ == "__main__":
    main()

"""Benchmark: pushes through the webhook of a test Home Assistant, and a flood.

Run from the repository root:  .venv/bin/python -m bench.webhook [--pushes N] [--flood N]

A Home Assistant instance from pytest-homeassistant-custom-component (the stack the tests
use: http, webhook, zone, the integration with all its platforms and a real aiohttp server on
127.0.0.1) receives realistic drives (one fix every few seconds per car) as Homecoming JSON
POSTs, **signed** (every car has a secret: timestamp, HMAC-SHA256, replay memory), one
request at a time, for 1 and for 50 cars. Reported per push:

* round trip: client send to response received (aiohttp client and server included; the
  client signs before the clock starts);
* in Home Assistant: from the integration's webhook handler being called to its answer
  (reading, the signature, the checks, parsing, the engine, state writes of every entity,
  bus events).

The rate limits are lifted for the run (they would answer most of these 429).

Then a flood: a separate client process sends 10,000 requests with a wrong signature (a
fresh timestamp, so each is verified in full) to one car, over loopback, 8 at a time.
Reported: the CPU time of the Home Assistant process (all its threads) from the flood's
start to its end, which is the cost of the flood to Home Assistant, the client's own CPU
being in another process; each must be answered 401 and the car must not move. Side by
side, Home Assistant's own floor: the same flood to a webhook id nobody registered (Home
Assistant receives, routes and answers it, and Homecoming is never called). With 1, 8
and 32 connections at once; the least of ``--repeat`` floods each (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from datetime import timedelta
import gc
import hashlib
import hmac
import json
from pathlib import Path
import statistics
import sys
import time
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from homeassistant import loader
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SECRET,
    CONF_SOURCE,
    DOMAIN,
    SOURCE_PUSH,
)
from custom_components.homecoming.sources import webhook as webhook_source
from devtools import sim

HOME = (52.37, 4.89)
SECRET = "bench secret"  # noqa: S105 - the secret of the benchmark's cars
FLOOD_CONCURRENCIES = (1, 8, 32)
"""Connections the flood client keeps busy at once, one measurement each."""
ROOT = Path(__file__).resolve().parents[1]
"""The repository root: the flood client runs there as ``python -m bench.webhook``."""


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """Return the headers of a signed JSON push, timestamped now."""
    stamp = str(int(time.time()))
    digest = hmac.new(
        secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Homecoming-Timestamp": stamp,
        "X-Homecoming-Signature": f"sha256={digest}",
    }


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def drives(cars: int, per_car: int) -> list[list[bytes]]:
    """Build one drive home per car, as Homecoming JSON bodies, ending about now."""
    start = dt_util.utcnow() - timedelta(seconds=5 * per_car + 60)
    out = []
    for index in range(cars):
        drive = sim.Drive(seed=index, start=start).at(*sim.along(index * 7.0, 15_000.0))
        drive.drive_to(0.0, 0.0, 20.0).stop(5.0 * per_car)
        fixes = drive.fixes[:per_car]
        out.append(
            [
                json.dumps(
                    {
                        "latitude": fix.latitude,
                        "longitude": fix.longitude,
                        "accuracy": fix.accuracy,
                        "speed": fix.speed,
                        "timestamp": fix.timestamp.isoformat(),
                    }
                ).encode()
                for fix in fixes
            ]
        )
    return out


async def run(cars: int, pushes: int) -> dict[str, float]:
    """Push ``pushes`` fixes spread over ``cars`` cars; return the figures."""
    handler_times: list[float] = []
    original = webhook_source.WebhookSource._async_handle  # noqa: SLF001

    async def timed(
        self: Any, hass: HomeAssistant, webhook_id: str, request: Any
    ) -> Any:
        start = time.perf_counter()
        response = await original(self, hass, webhook_id, request)
        handler_times.append(time.perf_counter() - start)
        return response

    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        hass.config.latitude, hass.config.longitude = HOME
        with (
            patch.object(webhook_source.WebhookSource, "_async_handle", timed),
            patch.object(webhook_source, "RATE_BURST", 10**9),
            patch.object(webhook_source, "CAR_RATE_BURST", 10**9),
        ):
            for name in ("zone", "http", "webhook"):
                assert await async_setup_component(hass, name, {})
            ids = []
            for index in range(cars):
                webhook_id = f"{index:064x}"
                entry = MockConfigEntry(
                    domain=DOMAIN,
                    title=f"Car {index}",
                    unique_id=f"CAR{index}",
                    data={
                        CONF_SOURCE: SOURCE_PUSH,
                        CONF_HOME_ZONE: "zone.home",
                        CONF_WEBHOOK_ID: webhook_id,
                        CONF_SECRET: SECRET,
                    },
                )
                entry.add_to_hass(hass)
                assert await hass.config_entries.async_setup(entry.entry_id)
                ids.append(webhook_id)
            await hass.async_block_till_done()
            client = TestClient(TestServer(hass.http.app, host="127.0.0.1"))
            await client.start_server()
            bodies = drives(cars, pushes // cars)
            round_trips: list[float] = []
            gc.collect()
            started = time.perf_counter()
            for step in range(pushes // cars):
                for car in range(cars):
                    body = bodies[car][step]
                    headers = signed(body)
                    sent = time.perf_counter()
                    response = await client.post(
                        f"/api/webhook/{ids[car]}", data=body, headers=headers
                    )
                    await response.read()
                    round_trips.append(time.perf_counter() - sent)
                    assert response.status == 200, response.status
            elapsed = time.perf_counter() - started
            await client.close()
            await hass.async_stop(force=True)
    return {
        "pushes": len(round_trips),
        "per_second": len(round_trips) / elapsed,
        "rt_p50_ms": statistics.median(round_trips) * 1000,
        "rt_p99_ms": percentile(round_trips, 0.99) * 1000,
        "ha_p50_ms": statistics.median(handler_times) * 1000,
        "ha_p99_ms": percentile(handler_times, 0.99) * 1000,
    }


async def flood_client(url: str, requests: int, concurrency: int) -> None:
    """Send ``requests`` wrongly signed pushes to ``url``; print the answers' statuses.

    Run in a process of its own (``--flood-client``), so that its CPU time is not
    counted as Home Assistant's.
    """
    body = json.dumps({"latitude": HOME[0] + 0.5, "longitude": HOME[1]}).encode()
    statuses: Counter[int] = Counter()
    queue = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for _ in queue:
                headers = signed(body, secret="not the secret")  # noqa: S106
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(json.dumps(statuses))


async def _flood_once(
    url: str, requests: int, concurrency: int
) -> tuple[float, float, dict[int, int]]:
    """Run the flood client against ``url`` in a process of its own.

    Returns this process's CPU time and the wall time meanwhile, and the statuses the
    client got.
    """
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.webhook",
        "--flood-client",
        url,
        str(requests),
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, _ = await process.communicate()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert process.returncode == 0
    return cpu, elapsed, {int(k): v for k, v in json.loads(out).items()}


async def flood(requests: int, concurrency: int) -> dict[str, Any]:
    """Flood one car with wrongly signed requests; return Home Assistant's CPU time.

    Side by side, the same flood to a webhook id nobody registered: what Home
    Assistant itself spends to receive, route and answer a webhook request.
    """
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        hass.config.latitude, hass.config.longitude = HOME
        for name in ("zone", "http", "webhook"):
            assert await async_setup_component(hass, name, {})
        webhook_id = "f" * 64
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Flooded car",
            unique_id="FLOODED",
            data={
                CONF_SOURCE: SOURCE_PUSH,
                CONF_HOME_ZONE: "zone.home",
                CONF_WEBHOOK_ID: webhook_id,
                CONF_SECRET: SECRET,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        server = TestServer(hass.http.app, host="127.0.0.1")
        await server.start_server()
        before = hass.states.get("device_tracker.flooded_car")
        floor_cpu, _, statuses = await _flood_once(
            str(server.make_url(f"/api/webhook/{'0' * 64}")), requests, concurrency
        )
        assert statuses == {200: requests}, statuses
        cpu, elapsed, statuses = await _flood_once(
            str(server.make_url(f"/api/webhook/{webhook_id}")), requests, concurrency
        )
        assert statuses == {401: requests}, statuses
        after = hass.states.get("device_tracker.flooded_car")
        assert before is not None and after is not None
        assert after.state == before.state and after.attributes == before.attributes
        counted = dict(entry.runtime_data.coordinator.stats)
        await server.close()
        await hass.async_stop(force=True)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "cpu_s": cpu,
        "floor_cpu_s": floor_cpu,
        "wall_s": elapsed,
        "stats": counted,
    }


def main() -> None:
    """Measure and print the figures for 1 car and 50 cars, then the flood."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=3_000)
    parser.add_argument("--flood", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="floods per setting; the least is shown"
    )
    parser.add_argument("--flood-client", nargs=3, metavar=("URL", "N", "CONNECTIONS"))
    args = parser.parse_args()
    if args.flood_client:
        url, requests, concurrency = args.flood_client
        asyncio.run(flood_client(url, int(requests), int(concurrency)))
        return
    print("signed pushes")
    print("cars  pushes  pushes/s  round trip p50/p99 ms  in HA p50/p99 ms")
    for cars in (1, 50):
        figures = asyncio.run(run(cars, args.pushes))
        print(
            f"{cars:>4}  {figures['pushes']:>6.0f}  {figures['per_second']:>8.0f}"
            f"  {figures['rt_p50_ms']:>9.2f} / {figures['rt_p99_ms']:<9.2f}"
            f"  {figures['ha_p50_ms']:>6.2f} / {figures['ha_p99_ms']:.2f}"
        )
    print("target: p99 under 1 ms per signed push inside Home Assistant")
    if not args.flood:
        return
    print(
        f"\nflood of {args.flood} wrongly signed requests (all 401, the car unmoved),"
        f" least of {args.repeat}"
    )
    print(
        "connections  HA CPU s  us/request  HA's own floor s  Homecoming's share s"
        "  wall s"
    )
    for concurrency in FLOOD_CONCURRENCIES:
        runs = [asyncio.run(flood(args.flood, concurrency)) for _ in range(args.repeat)]
        for run_figures in runs:
            assert run_figures["stats"] == {
                "http_401": args.flood,
                "bad_signature": args.flood,
            }, run_figures["stats"]
        figures = min(runs, key=lambda run_figures: run_figures["cpu_s"])
        figures["floor_cpu_s"] = min(run_figures["floor_cpu_s"] for run_figures in runs)
        print(
            f"{concurrency:>11}  {figures['cpu_s']:>8.2f}"
            f"  {figures['cpu_s'] / args.flood * 1e6:>10.0f}"
            f"  {figures['floor_cpu_s']:>16.2f}"
            f"  {figures['cpu_s'] - figures['floor_cpu_s']:>20.2f}"
            f"  {figures['wall_s']:>6.2f}"
        )
    print(
        "target: under 1 s of Home Assistant CPU for 10,000 bad signatures;"
        " HA's own floor: the same requests to a webhook id nobody registered"
    )


if __name__ == "__main__":
    main()

"""Benchmark: pushes through the webhook of a test Home Assistant, for 1 and 50 cars.

Run from the repository root:  .venv/bin/python bench/webhook.py [--pushes N]

A Home Assistant instance from pytest-homeassistant-custom-component (the stack the tests
use: http, webhook, zone, the integration with all its platforms and a real aiohttp server on
127.0.0.1) receives realistic drives (one fix every few seconds per car) as Homecoming JSON
POSTs, one request at a time. Reported per push:

* round trip: client send to response received (aiohttp client and server included);
* in Home Assistant: from the integration's webhook handler being called to its answer
  (parsing, checks, the engine, state writes of every entity, bus events).

The per-car rate limit is lifted for the run (it would answer most of these 429).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
import gc
from pathlib import Path
import statistics
import sys
import time
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
from tests import sim

HOME = (52.37, 4.89)


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def drives(cars: int, per_car: int) -> list[list[dict[str, Any]]]:
    """Build one drive home per car, as Homecoming JSON bodies, ending about now."""
    start = dt_util.utcnow() - timedelta(seconds=5 * per_car + 60)
    out = []
    for index in range(cars):
        drive = sim.Drive(seed=index, start=start).at(*sim.along(index * 7.0, 15_000.0))
        drive.drive_to(0.0, 0.0, 20.0).stop(5.0 * per_car)
        fixes = drive.fixes[:per_car]
        out.append(
            [
                {
                    "latitude": fix.latitude,
                    "longitude": fix.longitude,
                    "accuracy": fix.accuracy,
                    "speed": fix.speed,
                    "timestamp": fix.timestamp.isoformat(),
                }
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
                        CONF_SECRET: "",
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
                    sent = time.perf_counter()
                    response = await client.post(
                        f"/api/webhook/{ids[car]}", json=bodies[car][step]
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


def main() -> None:
    """Measure and print the figures for 1 car and 50 cars."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=3_000)
    args = parser.parse_args()
    print("cars  pushes  pushes/s  round trip p50/p99 ms  in HA p50/p99 ms")
    for cars in (1, 50):
        figures = asyncio.run(run(cars, args.pushes))
        print(
            f"{cars:>4}  {figures['pushes']:>6.0f}  {figures['per_second']:>8.0f}"
            f"  {figures['rt_p50_ms']:>9.2f} / {figures['rt_p99_ms']:<9.2f}"
            f"  {figures['ha_p50_ms']:>6.2f} / {figures['ha_p99_ms']:.2f}"
        )
    print("target: p99 under 5 ms per push inside Home Assistant")


if __name__ == "__main__":
    main()

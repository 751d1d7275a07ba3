"""Benchmark: a month of one car's recorded positions, replayed.

Run from the repository root:  .venv/bin/python -m bench.replay [--days 30]

A recorder database (SQLite, the tables of Home Assistant's own recorder, made from its
``db_schema`` models) gets a month of one phone's positions: every day a drive to work
(12 km), a day parked there, a drive home and a night parked at home, from the drive
simulator, with a position **every 10 s around the clock**, parked or not (a phone app
writes only when the position changes; this is the worst case: 259,200 states in 30
days). Then, each timed from start to answer (the least of ``--repeat`` runs):

* the command line, ``scripts/replay --recorder DB --entity device_tracker.phone
  --days 30`` (``engine.replay.main``): reading the database and replaying every state;
* the ``homecoming.replay`` action in a test Home Assistant whose recorder uses the same
  database, for another phone of the same month at one position every 13 s (199,385
  states: the action replays at most 200,000): counting the states, reading them with
  the recorder's history API and replaying them, in the recorder's executor.

The figures are the replay's alone: the database is written (and Home Assistant set up)
before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
import io
import json
from pathlib import Path
import platform
import sqlite3
import tempfile
import time
from typing import Any

from homeassistant import loader
from homeassistant.components.recorder.db_schema import SCHEMA_VERSION, Base
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)
from sqlalchemy import create_engine

from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    DOMAIN,
    SOURCE_ENTITY,
)
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.engine.replay import main as replay_main
from devtools import sim

CLI_PHONE = "device_tracker.phone"
"""One position every 10 s: replayed by the command line."""
ACTION_PHONE = "device_tracker.phone_13s"
"""One position every 13 s: replayed by the action (at most 200,000 states)."""
END = datetime(2025, 2, 1, tzinfo=UTC)


def month(days: int, interval: float, seed: int) -> list[Fix]:
    """Return ``days`` days of a commuter's positions, one every ``interval`` s."""
    start = END - timedelta(days=days)
    drive = sim.Drive(start=start, interval=interval, seed=seed, accuracy=10.0)
    work = sim.along(70.0, 12_000.0)
    for day in range(days):
        drive.drift(7.5 * 3600, accuracy=(8.0, 30.0))  # the night, parked at home
        drive.route([sim.along(100.0, 3_000.0), work], 15.0)  # to work
        drive.drift(9 * 3600, accuracy=(8.0, 30.0))
        drive.route([sim.along(100.0, 3_000.0), (0.0, 0.0)], 15.0)  # home
        midnight = start + timedelta(days=day + 1)
        drive.drift((midnight - drive.now).total_seconds(), accuracy=(8.0, 30.0))
    return drive.fixes


def create_database(path: Path) -> None:
    """Create the recorder's tables (its own models) at the current schema."""
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute(
            "INSERT INTO schema_changes (schema_version, changed) VALUES (?, ?)",
            (SCHEMA_VERSION, datetime.now(UTC).isoformat()),
        )
        connection.commit()


def write_states(path: Path, entity_id: str, fixes: list[Fix]) -> None:
    """Write a tracker's states as the recorder writes them (attributes shared)."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        cursor = connection.execute(
            "INSERT INTO states_meta (entity_id) VALUES (?)", (entity_id,)
        )
        metadata_id = cursor.lastrowid
        for fix in fixes:
            attributes = json.dumps(
                {
                    "source_type": "gps",
                    "latitude": fix.latitude,
                    "longitude": fix.longitude,
                    "gps_accuracy": fix.accuracy,
                    "speed": fix.speed,
                    "friendly_name": "Phone",
                },
                separators=(",", ":"),
            )
            cursor = connection.execute(
                "INSERT INTO state_attributes (hash, shared_attrs) VALUES (?, ?)",
                (hash(attributes) & 0xFFFFFFFF, attributes),
            )
            moment = fix.timestamp.timestamp()
            connection.execute(
                "INSERT INTO states (state, last_updated_ts, last_changed_ts,"
                " last_reported_ts, attributes_id, metadata_id, origin_idx)"
                " VALUES ('not_home', ?, NULL, ?, ?, ?, 0)",
                (moment, moment, cursor.lastrowid, metadata_id),
            )
        connection.commit()


def run_cli(path: Path, days: int) -> tuple[float, dict[str, Any]]:
    """Replay the month with the command line; return the seconds and the summary."""
    out = io.StringIO()
    argv = [
        "--recorder",
        str(path),
        "--entity",
        CLI_PHONE,
        "--home",
        f"{sim.DEFAULT_HOME[0]},{sim.DEFAULT_HOME[1]}",
        "--since",
        (END - timedelta(days=days)).isoformat(),
        "--until",
        END.isoformat(),
        "--json",
    ]
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        status = replay_main(argv)
    elapsed = time.perf_counter() - started
    assert status == 0, status
    summary: dict[str, Any] = json.loads(out.getvalue().splitlines()[-1])["summary"]
    return elapsed, summary


async def run_action(
    path: Path, days: int, repeat: int
) -> tuple[float, dict[str, Any]]:
    """Replay the 13 s month with the action; return the least seconds and summary."""
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        hass.config.latitude, hass.config.longitude = sim.DEFAULT_HOME
        recorder_helper.async_initialize_recorder(hass)
        assert await async_setup_component(
            hass, "recorder", {"recorder": {"db_url": f"sqlite:///{path}"}}
        )
        assert await recorder_helper.get_instance(hass).async_db_ready
        assert await async_setup_component(hass, "zone", {})
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Car",
            unique_id=ACTION_PHONE,
            data={
                CONF_SOURCE: SOURCE_ENTITY,
                CONF_TRACKED_ENTITY: ACTION_PHONE,
                CONF_HOME_ZONE: "zone.home",
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        data = {
            "config_entry_id": entry.entry_id,
            "start": (END - timedelta(days=days)).isoformat(),
            "end": END.isoformat(),
        }
        best = float("inf")
        response: Any = None
        for _ in range(repeat):
            started = time.perf_counter()
            response = await hass.services.async_call(
                DOMAIN, "replay", data, blocking=True, return_response=True
            )
            best = min(best, time.perf_counter() - started)
        await hass.async_stop(force=True)
    return best, response["summary"]


def main() -> None:
    """Build the month, replay it both ways, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    days: int = args.days
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "home-assistant_v2.db"
        create_database(path)
        cli_fixes = month(days, 10.0, seed=1)
        action_fixes = month(days, 13.0, seed=2)
        write_states(path, CLI_PHONE, cli_fixes)
        write_states(path, ACTION_PHONE, action_fixes)
        size = path.stat().st_size / 1e6
        cli = [run_cli(path, days) for _ in range(args.repeat)]
        cli_s = min(seconds for seconds, _ in cli)
        action_s, action_summary = asyncio.run(run_action(path, days, args.repeat))
    cli_summary = cli[0][1]
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print(f"database {size:.0f} MB, {days} days of one phone")
    print(
        f"command line: {cli_summary['states']:,} states (1 every 10 s) in"
        f" {cli_s:.2f} s ({cli_summary['states'] / cli_s:,.0f} states/s);"
        f" trips home {cli_summary['trips_home']},"
        f" false approaches {cli_summary['false_approaches']}"
    )
    print(
        f"action: {action_summary['states']:,} states (1 every 13 s) in"
        f" {action_s:.2f} s ({action_summary['states'] / action_s:,.0f} states/s);"
        f" trips home {action_summary['trips_home']},"
        f" false approaches {action_summary['false_approaches']}"
    )


if __name__ == "__main__":
    main()

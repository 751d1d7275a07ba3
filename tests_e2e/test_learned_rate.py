"""A real Home Assistant: the heating rate learned from the thermostat's recorded history.

A car's climate routine targets the demo home's thermostat (a real ``generic_thermostat``)
with the option ``learned_rate`` on. Real time cannot give the learner its three heat-ups
of a quarter of an hour or more, so the recorder's own database (SQLite, WAL) gets them:
while Home Assistant runs, :func:`ensure_heating_history` writes :data:`HEATUPS`
backdated heat-ups of :data:`RATE` °C per hour into the recorder's real tables, as the
recorder writes a state (``states`` under the thermostat's ``states_meta`` row, its
attributes in ``state_attributes`` with the recorder's hash). Reloaded, the car learns
from the recorder; its "heating rate" sensor must show that rate, from that many heat-ups.

:func:`write_states` and :func:`ensure_heating_history` also serve the browser test's
pictures. The replay action and the detection options' preview are covered by
``test_replay.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import sqlite3
import time
from typing import Any

from fnv_hash_fast import fnv1a_32
from homeassistant.helpers.json import json_bytes
from homeassistant.util.ulid import ulid_at_time, ulid_to_bytes

from devtools import HarnessError, forms
from devtools.client import HassClient, WebSocket
from devtools.home import THERMOSTAT
from tests_e2e.conftest import Server

RATE = 3.0
"""°C per hour: how fast the room warms in the written heat-ups."""
HEATUPS = 4
"""Heat-ups written (the learner needs three)."""
STEP = 0.1
"""The thermostat reports its temperature in steps of this much (°C)."""
SETBACK, COMFORT = 17.0, 21.0
"""Each heat-up warms the room from the set-back to the comfort temperature."""
HEATUP_EVERY = timedelta(hours=10)
"""The written history fits in the demo home's ``purge_keep_days: 2``."""
TOLERANCE = 0.05
MARKER = "homecoming-heating-history.json"
"""In the configuration folder, once the heat-ups are written (once per Home Assistant)."""
DATABASE = "home-assistant_v2.db"


@dataclass(frozen=True, slots=True)
class Recorded:
    """A state of an entity, as it is to be written into the recorder's database."""

    when: datetime
    state: str
    attributes: Mapping[str, Any]


def _connect(config_dir: Path) -> contextlib.closing[sqlite3.Connection]:
    """Open the recorder's live database (WAL: the recorder keeps writing meanwhile)."""
    return contextlib.closing(sqlite3.connect(config_dir / DATABASE, timeout=30))


def _metadata_id(config_dir: Path, entity_id: str, within: float = 15.0) -> int:
    """Return the entity's ``states_meta`` id, once the recorder has written its state.

    The recorder writes the row with the entity's first state (it commits every second
    in the demo home); a row written here instead would clash with its own.
    """
    deadline = time.monotonic() + within
    while True:
        with _connect(config_dir) as conn:
            row = conn.execute(
                "SELECT metadata_id FROM states_meta WHERE entity_id = ?", (entity_id,)
            ).fetchone()
        if row is not None:
            return int(row[0])
        if time.monotonic() > deadline:
            msg = f"the recorder has not recorded {entity_id} within {within:.0f} s"
            raise HarnessError(msg)
        time.sleep(0.25)


def recorded_attributes(config_dir: Path, entity_id: str) -> dict[str, Any]:
    """Return the attributes of the entity's newest state as the recorder keeps them.

    Without those the recorder leaves out (a thermostat's modes and limits, ...). Fails
    when they, encoded and hashed here as :func:`write_states` does, do not give the
    recorder's own row: the recorder's encoding or hash would have changed.
    """
    metadata_id = _metadata_id(config_dir, entity_id)
    with _connect(config_dir) as conn:
        row = conn.execute(
            "SELECT a.shared_attrs, a.hash FROM states s "
            "JOIN state_attributes a ON s.attributes_id = a.attributes_id "
            "WHERE s.metadata_id = ? ORDER BY s.last_updated_ts DESC LIMIT 1",
            (metadata_id,),
        ).fetchone()
    if row is None:
        msg = f"no recorded attributes of {entity_id}"
        raise HarnessError(msg)
    attributes: dict[str, Any] = json.loads(row[0])
    shared = json_bytes(attributes)
    if shared.decode("utf-8") != row[0] or fnv1a_32(shared) != row[1]:
        msg = f"the recorder's attributes of {entity_id} are not encoded as here: {row}"
        raise HarnessError(msg)
    return attributes


def first_recorded(config_dir: Path, entity_id: str) -> datetime:
    """Return when the recorder wrote the entity's oldest state."""
    metadata_id = _metadata_id(config_dir, entity_id)
    with _connect(config_dir) as conn:
        (first,) = conn.execute(
            "SELECT MIN(last_updated_ts) FROM states WHERE metadata_id = ?",
            (metadata_id,),
        ).fetchone()
    return datetime.fromtimestamp(first, UTC)


def write_states(config_dir: Path, entity_id: str, states: Sequence[Recorded]) -> int:
    """Write states of a recorded entity into the recorder's database; return how many.

    As the recorder writes a state change (``db_schema.States.from_event``): its
    ``states_meta`` id, its attributes shared in ``state_attributes`` (the JSON the
    recorder makes, found again by its FNV-1a hash), ``last_changed_ts`` only when it
    differs from ``last_updated_ts``, a context id of that time, a local origin. One
    transaction, while Home Assistant runs: the recorder's writes wait for it (and it
    for them) on SQLite's lock.
    """
    metadata_id = _metadata_id(config_dir, entity_id)
    attributes_ids: dict[bytes, int] = {}
    previous: str | None = None
    changed = 0.0
    with _connect(config_dir) as conn, conn:
        for item in sorted(states, key=lambda s: s.when):
            updated = item.when.timestamp()
            if item.state != previous:
                changed = updated
            previous = item.state
            shared = json_bytes(dict(item.attributes))
            if (attributes_id := attributes_ids.get(shared)) is None:
                attributes_id = _attributes_id(conn, shared)
                attributes_ids[shared] = attributes_id
            conn.execute(
                "INSERT INTO states (state, last_updated_ts, last_changed_ts, "
                "metadata_id, attributes_id, origin_idx, context_id_bin) "
                "VALUES (?, ?, ?, ?, ?, 0, ?)",
                (
                    item.state,
                    updated,
                    None if changed == updated else changed,
                    metadata_id,
                    attributes_id,
                    ulid_to_bytes(ulid_at_time(updated)),
                ),
            )
    return len(states)


def _attributes_id(conn: sqlite3.Connection, shared: bytes) -> int:
    """Return the id of these shared attributes in ``state_attributes``, added if new."""
    text = shared.decode("utf-8")
    # The recorder's StateAttributes.hash_shared_attrs_bytes (recorder/db_schema.py),
    # without importing the recorder (and Home Assistant's HTTP server) here.
    data_hash = fnv1a_32(shared)
    row = conn.execute(
        "SELECT attributes_id FROM state_attributes WHERE hash = ? AND shared_attrs = ?",
        (data_hash, text),
    ).fetchone()
    if row is not None:
        return int(row[0])
    cursor = conn.execute(
        "INSERT INTO state_attributes (hash, shared_attrs) VALUES (?, ?)",
        (data_hash, text),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def heating_history(
    end: datetime, template: Mapping[str, Any], heatups: int = HEATUPS
) -> list[Recorded]:
    """Return ``heatups`` heat-ups of the thermostat at :data:`RATE`, the last before ``end``.

    Each: idle at the set-back, then heating towards the comfort temperature, its
    ``current_temperature`` rising by :data:`STEP` as the room warms by it, idle again
    at the comfort temperature, then cooling down (idle) for the hours until the next.
    """
    step = timedelta(hours=STEP / RATE)
    rise = round((COMFORT - SETBACK) / STEP)
    out: list[Recorded] = []

    def state(when: datetime, temperature: float, action: str, target: float) -> None:
        attributes = dict(template) | {
            "current_temperature": round(temperature, 1),
            "temperature": target,
            "hvac_action": action,
        }
        out.append(Recorded(when, "heat", attributes))

    first = end - heatups * HEATUP_EVERY
    for k in range(heatups):
        start = first + k * HEATUP_EVERY
        state(start - timedelta(minutes=30), SETBACK, "idle", SETBACK)
        for n in range(rise):
            state(start + n * step, SETBACK + n * STEP, "heating", COMFORT)
        warm = start + rise * step
        state(warm, COMFORT, "idle", COMFORT)
        # Set back, the room cools by half a degree every half hour.
        for n in range(1, 9):
            state(warm + n * timedelta(minutes=30), COMFORT - n * 0.5, "idle", SETBACK)
    return out


def ensure_heating_history(server: Server) -> int:
    """Write the thermostat's backdated heat-ups once per Home Assistant; return how many.

    They end half an hour before the thermostat's oldest recorded state (its state at
    start-up), so the recorded history reads on without overlap.
    """
    config_dir = server.process.config_dir
    marker = config_dir / MARKER
    if marker.exists():
        return int(json.loads(marker.read_text(encoding="utf-8"))["heatups"])
    template = recorded_attributes(config_dir, THERMOSTAT)
    end = first_recorded(config_dir, THERMOSTAT) - timedelta(minutes=30)
    written = write_states(config_dir, THERMOSTAT, heating_history(end, template))
    marker.write_text(
        json.dumps({"heatups": HEATUPS, "rate": RATE, "states": written}),
        encoding="utf-8",
    )
    return HEATUPS


async def rate_sensor(client: HassClient, entry_id: str, within: float = 30.0) -> str:
    """Return the entity id of the car's heating-rate sensor of the thermostat."""
    deadline = time.monotonic() + within
    async with WebSocket.connect(client) as ws:
        while True:
            entities = await ws.command("config/entity_registry/list")
            found = [
                e["entity_id"]
                for e in entities
                if e["config_entry_id"] == entry_id
                and e["unique_id"].endswith(f"_heating_rate_{THERMOSTAT}")
            ]
            if found:
                return str(found[0])
            if time.monotonic() > deadline:
                msg = f"no heating rate sensor of {THERMOSTAT} within {within:.0f} s"
                raise HarnessError(msg)
            await asyncio.sleep(0.3)


async def learned_state(
    client: HassClient, sensor: str, within: float = 30.0
) -> dict[str, Any]:
    """Wait until the rate sensor shows a rate; return its state."""
    deadline = time.monotonic() + within
    while True:
        state = await client.state(sensor)
        if state is not None and state["state"] not in {"unknown", "unavailable"}:
            return state
        if time.monotonic() > deadline:
            msg = f"{sensor} learned no rate within {within:.0f} s: {state}"
            raise HarnessError(msg)
        await asyncio.sleep(0.3)


async def reload(client: HassClient, entry_id: str) -> None:
    """Reload a car's config entry (the rates are learned again)."""
    await client.request("POST", f"/api/config/config_entries/entry/{entry_id}/reload")


def test_the_heating_rate_is_learned_from_the_recorder(server: Server) -> None:
    """Heat-ups of 3 °C/h in the recorder: the car's sensor shows 3 °C/h, from 4."""

    async def body(client: HassClient) -> tuple[dict[str, Any], dict[str, Any], int]:
        car = await client.add_push_car("Learning car")
        await forms.configure_routines(client, car)
        routines = await client.saved_options(car.entry_id, "routines")
        sensor = await rate_sensor(client, car.entry_id)
        heatups = await asyncio.to_thread(ensure_heating_history, server)
        await reload(client, car.entry_id)
        return routines, await learned_state(client, sensor), heatups

    routines, state, heatups = server.run(body)

    assert routines["climate"]["targets"] == [THERMOSTAT], routines
    assert routines["climate"]["learned_rate"] is True, routines
    rate = float(state["state"])
    assert abs(rate - RATE) <= TOLERANCE * RATE, state
    assert state["attributes"]["unit_of_measurement"] == "°C/h", state
    assert state["attributes"]["periods"] == heatups == HEATUPS, state

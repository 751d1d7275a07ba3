"""Benchmark: what a car costs Home Assistant, side by side with core ``proximity``.

Run from the repository root (Home Assistant 2026.11 in ``.venv-hass``)::

    .venv-hass/bin/python -m bench.ha_cost                 # --mode all: every figure
    .venv-hass/bin/python -m bench.ha_cost --quick         # a smoke run, under a minute
    .venv-hass/bin/python -m bench.ha_cost --mode cpu --profile

Everything runs in this one Python process against real Home Assistant core objects:
each instance is started as ``bootstrap`` starts one, but with only what is needed
(registries, ``homeassistant``, ``persistent_notification``, ``http`` bound to 127.0.0.1
on a free port because ``webhook`` needs it and never spoken to, ``recorder`` with SQLite
in the instance's directory, ``zone``, ``device_tracker``; no ``default_config``, no
frontend), in an event loop of its own (``asyncio.run``). Each instance gets a
configuration directory under one temporary directory (``custom_components/homecoming``
linked to this working tree), removed at the end. Home Assistant logs only warnings and
errors.

The home. ``N`` phones are ``device_tracker.*`` states written the way a GPS tracker
integration writes them (``hass.states.async_set`` with ``latitude``, ``longitude``,
``gps_accuracy``, ``source_type: gps``, ``in_zones`` and ``home`` / ``not_home`` from the
home zone), driven by the drive simulator (``devtools/sim.py``): each phone drives home to
``zone.home`` with red lights, a fix every 5 to 10 s (seeded, the same spacing for every
phone), each fix written with its own timestamp. Three *variants* are compared:

* **bare**: the trackers alone;
* **Homecoming**: the same, each tracker followed by one car, added through Homecoming's
  config flow (source ``entity``, home zone ``zone.home``);
* **proximity**: the same, each tracker followed by one core ``proximity`` entry, added
  through its config flow (``zone.home``, one tracked entity).

Why one instance with three disjoint sets of trackers (``device_tracker.bare_*``,
``.hc_*``, ``.px_*``, the i-th of each driven by the same drive) rather than one instance
per variant: the variants then share the process, the recorder and the loop, and within
every step each variant's trackers are written and timed one right after the other, in an
order that rotates from step to step, so that the drift and noise of a shared 2-core
machine hit all three alike. The state machine dispatches ``state_changed`` to the
followers of an entity by its id, so a set costs the others nothing measurable. Start-up
needs a fresh instance per variant (below).

Time. A fix's time is its tracker's ``last_updated`` (that is what Homecoming reads), so
the drives must keep their own clock: the fixes are written with their timestamps, and
``homeassistant.util.dt.utcnow`` (the clock of Homecoming's coordinator, its ticks and the
interval timers' callbacks) is moved to the drive's time while the drive runs. That
clock is never behind the real one: it runs on in real time and jumps ahead to each new
fix; the timers of the event loop itself stay on real time. (Reading it costs about a
quarter of a microsecond more per call than Home Assistant's own ``utcnow``.)

Modes (``--mode``, default ``all``; units in brackets):

* ``cpu``: CPU time of the event-loop thread (``time.thread_time()`` on the loop) per
  tracker update [µs]: for each variant, write all ``N`` trackers' next fix and
  ``await hass.async_block_till_done()``; per step the time of each variant; the median of
  60 steps (after 10 warm-up steps) less the bare variant's median, divided by ``N``.
  ``N`` = 1, 10, 50, two instances (repetitions) each; the table shows their mean. Then,
  untimed, 20 more steps with listeners on the bus count per tracker update the
  integration's own entity state writes (``state_changed`` plus ``state_reported``: core
  fires the latter for a write that changes nothing, so the two are every
  ``async_write_ha_state``) and its ``state_changed`` events, and which entities they were.
  ``--profile`` adds a ``cProfile`` of the Homecoming variant's steps (10 cars, 5 parts
  of 60 steps, its own instance, without the recorder: ``cProfile`` sees every thread,
  and what the executor's threads ran is left out by the call graph; it measures wall
  time, so each share is the median of the parts and each function's time the least):
  the shares of the engine and of Home Assistant's entity code (the state writes), the
  time by where the code lives, and the costliest functions; and a ``cProfile`` of one
  start with the start-up mode's 200 Homecoming entries: Homecoming's functions by
  cumulative time and all functions by own time, per entry.
* ``rows``: recorder rows per fix for a drive home of 5 phones (from 6 km, three red
  lights, arrival, parked 4 min): ``states`` rows of the integration's entities (not the
  trackers) and the new ``state_attributes`` rows those rows point to, counted in the
  SQLite database after the recorder committed, divided by the fixes; logbook entries per
  fix over the same drive from the logbook's own ``EventProcessor`` (the code behind the
  logbook panel and the device page's Activity card; the logbook's event descriptions are
  registered as its ``async_setup`` does, without the frontend it would pull in), and which
  entities or events made them.
* ``memory``: memory per car [KiB] at ``N`` = 50 and 200 (one instance each): the size
  ``tracemalloc`` traces (after ``gc.collect()``) once ``N`` cars are set up and have had
  5 fixes each, less before, divided by ``N``; first Homecoming, then proximity, each after
  one car of each was set up to load the code (so modules and translations are not
  counted), and after the delayed storage writes were done (a registry keeps each
  entry's JSON once saved). It includes all a car adds in the process: config entry,
  device and entity registry entries, states, listeners, the recorder's per-entity
  caches. Also shown:
  which files allocated it (``tracemalloc`` by file, 200 cars).
* ``startup``: CPU of the whole process (``time.process_time()``, all threads) to start
  Home Assistant [s] with 200 Homecoming entries, 200 proximity entries and none (each set
  up once through the config flows, fed a few fixes and stopped): from creating the
  ``HomeAssistant`` object to the integrations and their entries set up, Home Assistant
  started, ``async_block_till_done()`` and the recorder's first commit. The added seconds
  are each median of 3 starts (variants alternating) less the median without entries.
* ``idle``: CPU time of the event-loop thread per car per second while no position
  comes [µs]: what time alone costs (timers). ``N`` = 50 cars of one variant in an
  instance of their own (bare, Homecoming, proximity, two instances each, alternating),
  without the recorder; the cars are set up, fed 5 fixes and left until the delayed
  storage writes are done, then the loop's CPU per second over 30 s of real time (the
  drives' clock runs on with it; the median of 10 windows of 3 s) less the bare
  instances', divided by ``N``. The cars
  have just reported, so Homecoming's clock ticks them (a silent parked car is not
  ticked and costs nothing); a ratio is shown only if proximity's figure is above the
  bare one.
* ``soak``: 5 Homecoming cars × 10,000 fixes each (trips out and home again with red
  lights and stops, about 20 hours of driving); resident memory (``VmRSS`` of
  ``/proc/self/status``) [MiB] and ``len(gc.get_objects())`` after ``gc.collect()``,
  every 1,000 fixes, with ``sys.getallocatedblocks()`` (every object Python allocated,
  strings and numbers too, which the collector does not track), and the trips'
  transitions counted on the bus. Without the recorder: its SQLite page cache grows with
  the database up to its cap and would hide a leak. Run first in ``--mode all``, so that
  memory freed by the other modes cannot hide growth. *Flat*: from the 2,000-fix sample
  to the last, resident memory grows by less than 4 MiB, the collector's objects by fewer
  than 2,000 and the allocated blocks by fewer than 5,000 (a leak of one object per fix
  would add 40,000).

``--quick`` runs every mode small (fewer steps, cars and fixes) as a smoke test; its
figures are not the benchmark's. The machine is shared and has 2 cores: the absolute
figures are noisy; the side-by-side ratios are what count.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
import contextlib
from contextlib import asynccontextmanager
import cProfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
import gc
import logging
import math
import os
from pathlib import Path
import platform
import pstats
import random
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Final

from homeassistant import bootstrap, loader
from homeassistant.components.logbook.const import DOMAIN as LOGBOOK_DOMAIN
from homeassistant.components.logbook.helpers import async_determine_event_types
from homeassistant.components.logbook.models import LogbookConfig
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder.db_schema import States, StatesMeta
from homeassistant.config_entries import SOURCE_USER, ConfigEntries
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    __version__ as HA_VERSION,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.integration_platform import (
    async_process_integration_platforms,
)
from homeassistant.helpers.recorder import (
    async_initialize_recorder,
    get_instance,
    session_scope,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from sqlalchemy import func, select

from custom_components.homecoming.engine.models import Fix
from devtools import sim

REPO: Final = Path(__file__).resolve().parents[1]
HOMECOMING: Final = "homecoming"
PROXIMITY: Final = "proximity"
BARE: Final = "bare"
VARIANTS: Final = (BARE, HOMECOMING, PROXIMITY)
PREFIX: Final = {BARE: "bare", HOMECOMING: "hc", PROXIMITY: "px"}
"""Tracker entity ids by variant: ``device_tracker.<prefix>_phone_<i>``."""
LABEL: Final = {HOMECOMING: "Homecoming", PROXIMITY: "proximity"}
HOME_LAT, HOME_LON = sim.DEFAULT_HOME
ZONE_RADIUS_M: Final = 100.0
EARTH_RADIUS_M: Final = 6_371_008.8
SPACING_S: Final = (5, 10)
"""A fix every 5 to 10 s (whole seconds, seeded), the same for every phone."""
KIB: Final = 1024
MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Plan:
    """How much each mode does (``--quick`` shrinks it)."""

    cpu_cars: tuple[int, ...] = (1, 10, 50)
    cpu_repetitions: int = 2
    cpu_warmup: int = 10
    cpu_steps: int = 60
    count_steps: int = 20
    profile_cars: int = 10
    rows_cars: int = 5
    memory_cars: tuple[int, ...] = (50, 200)
    memory_fixes: int = 5
    memory_wait_s: float = 11.0
    """Longer than the longest delay of a delayed storage write (the registries' and a
    car's: 10 s)."""
    startup_entries: int = 200
    startup_runs: int = 3
    soak_cars: int = 5
    soak_fixes: int = 10_000
    soak_every: int = 1_000
    idle_cars: int = 50
    idle_s: float = 30.0
    idle_repetitions: int = 2


QUICK: Final = Plan(
    cpu_cars=(1, 10),
    cpu_repetitions=1,
    cpu_warmup=3,
    cpu_steps=12,
    count_steps=5,
    rows_cars=2,
    memory_cars=(10,),
    memory_fixes=2,
    memory_wait_s=0.0,
    startup_entries=10,
    startup_runs=1,
    soak_cars=2,
    soak_fixes=600,
    soak_every=100,
    idle_cars=10,
    idle_s=5.0,
    idle_repetitions=1,
)
IDLE_WINDOWS: Final = 10
"""The idle mode's time is cut into this many windows; the median window counts (what
other work on a shared machine takes lands in a few of them)."""
PROFILE_CHUNKS: Final = 5
"""The profile runs the timed steps this many times, each part profiled on its own."""
SOAK_FLAT_RSS_MIB: Final = 4.0
SOAK_FLAT_OBJECTS: Final = 2_000
SOAK_FLAT_BLOCKS: Final = 5_000


# --- the drives' clock ------------------------------------------------------------------


class DriveClock:
    """``dt_util.utcnow`` on the drives' time line while installed (see the docstring).

    It runs with the real clock and moves ahead to :meth:`set` times; it never goes back
    and is never behind the real clock.
    """

    def __init__(self) -> None:
        """Start on the real clock."""
        self.offset = 0.0
        self._real: Callable[[], datetime] = dt_util.utcnow

    def utcnow(self) -> datetime:
        """Return the drives' now."""
        return datetime.fromtimestamp(time.time() + self.offset, UTC)

    def timestamp(self) -> float:
        """Return the drives' now as a POSIX timestamp."""
        return time.time() + self.offset

    def set(self, timestamp: float) -> None:
        """Move the clock to ``timestamp`` if that is ahead of it."""
        self.offset = max(self.offset, timestamp - time.time())

    def install(self) -> None:
        """Make ``dt_util.utcnow`` this clock."""
        dt_util.utcnow = self.utcnow  # type: ignore[assignment]

    def uninstall(self) -> None:
        """Give ``dt_util.utcnow`` back."""
        dt_util.utcnow = self._real  # type: ignore[assignment]


# --- drives -------------------------------------------------------------------------------

type Script = Callable[[int, int], sim.Drive]
"""``(phone, segment)`` → a 1-second drive: segment 0 first, each starting where the last
ended."""


def _dense(index: int, segment: int) -> sim.Drive:
    """Return a drive with a fix every second (sampled at the fix spacing later)."""
    return sim.Drive(home=sim.DEFAULT_HOME, interval=1.0, seed=index * 1_009 + segment)


def approach_script(index: int, segment: int) -> sim.Drive:
    """Drive home from 14–15 km (a red light on the way), then stay parked at home."""
    drive = _dense(index, segment)
    if segment > 0:
        return drive.stop(600.0)
    bearing = (index * 37.0) % 360.0
    far = 14_000.0 + 100.0 * (index % 10)
    speed = 13.0 + index % 4
    drive.at(*sim.along(bearing, far)).drive_to(*sim.along(bearing, 0.55 * far), speed)
    return drive.stop(40.0).drive_to(0.0, 0.0, speed).stop(300.0)


def trip_script(index: int, segment: int) -> sim.Drive:
    """Drive home from 6 km through three red lights, arrive, stay parked."""
    drive = _dense(index, segment)
    if segment > 0:
        return drive.stop(600.0)
    bearing = (index * 53.0 + 20.0) % 360.0
    speed = 12.5 + index % 3
    drive.at(*sim.along(bearing, 6_000.0))
    for at_m, seconds in ((3_800.0, 45.0), (2_200.0, 90.0), (700.0, 30.0)):
        drive.drive_to(*sim.along(bearing, at_m), speed).stop(seconds)
    return drive.drive_to(0.0, 0.0, speed).stop(240.0)


def cycle_script(index: int, segment: int) -> sim.Drive:
    """Drive out 5–8 km, park 5 min, drive home with a red light, park at home."""
    drive = _dense(index, segment)
    rng = random.Random(index * 7_919 + segment)
    bearing = rng.uniform(0.0, 360.0)
    far = rng.uniform(5_000.0, 8_000.0)
    speed = rng.uniform(11.0, 16.0)
    drive.stop(60.0).drive_to(*sim.along(bearing, far), speed).stop(300.0)
    drive.drive_to(*sim.along(bearing, far / 2), speed).stop(45.0)
    return drive.drive_to(0.0, 0.0, speed).stop(600.0)


class Trace:
    """One phone's positions: its script's segments, one after the other, by second."""

    def __init__(self, index: int, script: Script) -> None:
        """Start at segment 0, second 0."""
        self.index = index
        self._script = script
        self._segment = 0
        self._begins = 0
        self._fixes = script(index, 0).fixes

    def at(self, second: int) -> Fix:
        """Return the fix ``second`` seconds after the start (seconds only increase)."""
        while second - self._begins >= len(self._fixes):
            self._begins += len(self._fixes)
            self._segment += 1
            self._fixes = self._script(self.index, self._segment).fixes
        return self._fixes[second - self._begins]


class Timeline:
    """The seconds (from the drive's start) at which the phones report: 5–10 s apart."""

    def __init__(self, seed: int = 0) -> None:
        """Start at second 0."""
        self._rng = random.Random(seed)
        self.second = 0

    def next(self) -> int:
        """Return the next report's second."""
        self.second += self._rng.randint(*SPACING_S)
        return self.second


def _distance_m(lat: float, lon: float) -> float:
    """Great-circle distance from home, in metres."""
    p1, p2 = math.radians(HOME_LAT), math.radians(lat)
    dlat, dlon = p2 - p1, math.radians(lon - HOME_LON)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


type Write = tuple[str, str, dict[str, Any]]
"""A tracker write: entity id, state, attributes."""


def tracker_write(entity_id: str, fix: Fix) -> Write:
    """Return what a GPS tracker integration writes for a fix (core's zone rule)."""
    accuracy = round(fix.accuracy or 10.0)
    inside = _distance_m(fix.latitude, fix.longitude) - accuracy < ZONE_RADIUS_M
    return (
        entity_id,
        "home" if inside else "not_home",
        {
            "source_type": "gps",
            "in_zones": ["zone.home"] if inside else [],
            "latitude": round(fix.latitude, 7),
            "longitude": round(fix.longitude, 7),
            "gps_accuracy": accuracy,
            "friendly_name": entity_id.split(".", 1)[1].replace("_", " ").title(),
        },
    )


def trackers(variant: str, count: int, first: int = 0) -> list[str]:
    """Return the entity ids of a variant's trackers."""
    return [
        f"device_tracker.{PREFIX[variant]}_phone_{i}"
        for i in range(first, first + count)
    ]


# --- a Home Assistant ---------------------------------------------------------------------


class _QuietCustomWarning(logging.Filter):
    """Drop the warning that a custom integration is loaded (once per instance)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("We found a custom integration")


def quiet_logging() -> None:
    """Let Home Assistant log warnings and errors only."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for name in ("homeassistant", "custom_components", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("homeassistant.loader").addFilter(_QuietCustomWarning())
    # Which zlib aiohttp uses does not matter here (no HTTP traffic).
    logging.getLogger("aiohttp_fast_zlib").setLevel(logging.ERROR)


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_config_dir(path: Path) -> Path:
    """Create a configuration directory with Homecoming linked from this working tree."""
    (path / "custom_components").mkdir(parents=True, exist_ok=True)
    link = path / "custom_components" / HOMECOMING
    if not link.exists():
        link.symlink_to(REPO / "custom_components" / HOMECOMING)
    return path


@dataclass
class Home:
    """A running Home Assistant and the drives' clock it runs on."""

    hass: HomeAssistant
    clock: DriveClock
    config_dir: Path
    start_cpu: float = 0.0
    """Process CPU seconds from creating the instance to started and recorded."""


@asynccontextmanager
async def async_home(
    config_dir: Path,
    initial: Iterable[Write] = (),
    *,
    recorder: bool = True,
    logbook: bool = False,
    profiler: cProfile.Profile | None = None,
) -> AsyncIterator[Home]:
    """Start a Home Assistant in ``config_dir``; stop it on leaving.

    ``initial``: tracker states written before the integrations with config entries in
    the directory are set up (the trackers' integration came first). ``profiler``
    profiles the start (until :attr:`Home.start_cpu` is taken).
    """
    clock = DriveClock()
    clock.install()
    if profiler is not None:
        profiler.enable()
    cpu = time.process_time()
    hass = HomeAssistant(str(config_dir))
    try:
        loader.async_setup(hass)
        hass.config.skip_pip = True
        hass.config_entries = ConfigEntries(hass, {})
        await loader.async_get_custom_components(hass)
        assert await bootstrap.async_load_base_functionality(hass)
        for domain in ("homeassistant", "persistent_notification"):
            assert await async_setup_component(hass, domain, {})
        await async_process_ha_core_config(
            hass,
            {
                "name": "Bench home",
                "latitude": HOME_LAT,
                "longitude": HOME_LON,
                "elevation": 0,
                "radius": ZONE_RADIUS_M,
                "unit_system": "metric",
                "time_zone": "UTC",
                "country": "NL",
                "language": "en",
                "currency": "EUR",
            },
        )
        config: dict[str, Any] = {
            "http": {"server_host": ["127.0.0.1"], "server_port": free_port()},
        }
        if recorder:
            async_initialize_recorder(hass)
            config["recorder"] = {
                "db_url": f"sqlite:///{config_dir / 'home-assistant_v2.db'}"
            }
        for domain in ("http", *(["recorder"] if recorder else []), "zone"):
            assert await async_setup_component(hass, domain, config), domain
        assert await async_setup_component(hass, "device_tracker", {})
        if logbook:
            await _async_logbook_descriptions(hass)
        for entity_id, state, attributes in initial:
            hass.states.async_set(entity_id, state, attributes)
        for domain in sorted(hass.config_entries.async_domains()):
            assert await async_setup_component(hass, domain, {}), domain
        await hass.async_start()
        await hass.async_block_till_done()
        if recorder:
            instance = get_instance(hass)
            assert await instance.async_db_ready
            await instance.async_block_till_done()
        home = Home(hass, clock, config_dir, time.process_time() - cpu)
        if profiler is not None:
            profiler.disable()
        yield home
    finally:
        with contextlib.suppress(Exception):
            await hass.async_stop()
        clock.uninstall()


async def _async_logbook_descriptions(hass: HomeAssistant) -> None:
    """Register the integrations' logbook descriptions, as the logbook's set-up does.

    The logbook integration itself depends on the frontend (its panel); its
    ``EventProcessor`` needs only this.
    """
    logbook_config = LogbookConfig({}, None, None)
    hass.data[LOGBOOK_DOMAIN] = logbook_config

    @callback
    def _platform(hass: HomeAssistant, domain: str, platform: Any) -> None:
        @callback
        def _describe(domain: str, event_name: str, describe: Any) -> None:
            logbook_config.external_events[event_name] = (domain, describe)

        platform.async_describe_events(hass, _describe)

    await async_process_integration_platforms(hass, LOGBOOK_DOMAIN, _platform)


async def async_settle(hass: HomeAssistant) -> None:
    """Wait for Home Assistant and, if there is one, the recorder to be done."""
    await hass.async_block_till_done()
    if "recorder" in hass.config.components:
        await get_instance(hass).async_block_till_done()


async def _async_flow(
    hass: HomeAssistant, domain: str, answers: Mapping[str, dict[str, Any]]
) -> str:
    """Go through a config flow with ``answers`` by step; return the new entry's id."""
    manager = hass.config_entries.flow
    result = await manager.async_init(domain, context={"source": SOURCE_USER})
    for _ in range(10):
        kind = result["type"]
        if kind is FlowResultType.CREATE_ENTRY:
            return result["result"].entry_id
        step = result.get("step_id", "")
        if (
            kind not in (FlowResultType.FORM, FlowResultType.MENU)
            or step not in answers
        ):
            raise RuntimeError(f"{domain} flow: unexpected {kind} at step {step!r}")
        if result.get("errors"):
            raise RuntimeError(f"{domain} flow: {result['errors']} at step {step!r}")
        result = await manager.async_configure(result["flow_id"], answers[step])
    raise RuntimeError(f"{domain} flow did not end")


async def async_add_car(hass: HomeAssistant, tracker: str) -> str:
    """Add a Homecoming car following ``tracker`` through the config flow."""
    number = tracker.rsplit("_", 1)[1]
    return await _async_flow(
        hass,
        HOMECOMING,
        {
            "user": {"next_step_id": "entity"},
            "entity": {"tracked_entity": tracker},
            "zone": {"home_zone": "zone.home", "name": f"Car {number}"},
        },
    )


async def async_add_proximity(hass: HomeAssistant, tracker: str) -> str:
    """Add a proximity entry (``zone.home``, tracking ``tracker``) through its config flow."""
    return await _async_flow(
        hass,
        PROXIMITY,
        {"user": {"zone": "zone.home", "tracked_entities": [tracker]}},
    )


ADD: Final = {HOMECOMING: async_add_car, PROXIMITY: async_add_proximity}
SHOWN: Final = {HOMECOMING: "sensor phase", PROXIMITY: "sensor dir_of_travel"}
"""The entity that says whether a car is on its way home, by its label."""


def entities_per_entry(hass: HomeAssistant, domain: str) -> tuple[float, float]:
    """Return the entities an entry of ``domain`` registers, and how many are enabled."""
    registry = er.async_get(hass)
    entries = hass.config_entries.async_entries(domain)
    found = [
        entity
        for entry in entries
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
    ]
    enabled = [entity for entity in found if entity.disabled_by is None]
    return len(found) / len(entries), len(enabled) / len(entries)


def entity_labels(hass: HomeAssistant, domain: str) -> dict[str, str]:
    """Return the entities of ``domain``'s entries, labelled by what they are."""
    registry = er.async_get(hass)
    labels: dict[str, str] = {}
    for entry in hass.config_entries.async_entries(domain):
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            name = entity.translation_key or entity.original_name or entity.domain
            labels[entity.entity_id] = (
                name if name == entity.domain else f"{entity.domain} {name}"
            )
    return labels


class Writer:
    """Writes the trackers' fixes step by step on the drives' clock."""

    def __init__(self, script: Script, phones: int, seed: int = 0) -> None:
        """Drive ``phones`` phones (the i-th of every variant drives the i-th drive)."""
        self._home: Home | None = None
        self.traces = [Trace(i, script) for i in range(phones)]
        self.timeline = Timeline(seed)
        self.start = 0.0
        self.steps = 0

    def initial(self, variants: Iterable[str]) -> list[Write]:
        """Return every tracker's first state (second 0 of its drive)."""
        return [
            tracker_write(entity_id, trace.at(0))
            for variant in variants
            for entity_id, trace in zip(
                trackers(variant, len(self.traces)), self.traces, strict=True
            )
        ]

    @property
    def home(self) -> Home:
        """The Home Assistant written to (see :meth:`begin`)."""
        assert self._home is not None
        return self._home

    def begin(self, home: Home) -> None:
        """Start the drives in ``home`` now (on its drives' clock)."""
        self._home = home
        self.start = home.clock.timestamp() + 1.0

    def next_step(
        self, variants: Iterable[str]
    ) -> tuple[float, dict[str, list[Write]]]:
        """Return the next step's time and each variant's writes (not written yet)."""
        second = self.timeline.next()
        self.steps += 1
        fixes = [trace.at(second) for trace in self.traces]
        return self.start + second, {
            variant: [
                tracker_write(entity_id, fix)
                for entity_id, fix in zip(
                    trackers(variant, len(fixes)), fixes, strict=True
                )
            ]
            for variant in variants
        }

    def write(self, at: float, writes: Sequence[Write]) -> None:
        """Write tracker states stamped ``at``."""
        async_set = self.home.hass.states.async_set
        for entity_id, state, attributes in writes:
            async_set(entity_id, state, attributes, timestamp=at)

    async def async_steps(self, count: int, variants: Iterable[str]) -> None:
        """Write ``count`` steps of the variants' trackers, waiting for each."""
        variants = list(variants)
        for _ in range(count):
            at, writes = self.next_step(variants)
            self.home.clock.set(at)
            for variant in variants:
                self.write(at, writes[variant])
            await self.home.hass.async_block_till_done()


class WriteCounter:
    """Counts state writes and changes of the integrations' entities on the bus."""

    def __init__(self, hass: HomeAssistant, labels: Mapping[str, Mapping[str, str]]):
        """Count for ``labels``: by variant, entity id → label."""
        self.owner = {
            entity_id: (variant, label)
            for variant, entities in labels.items()
            for entity_id, label in entities.items()
        }
        self.writes: Counter[tuple[str, str]] = Counter()
        self.changes: Counter[tuple[str, str]] = Counter()
        self._unsubs = [
            hass.bus.async_listen(
                EVENT_STATE_CHANGED, self._changed, event_filter=self._owned
            ),
            hass.bus.async_listen(
                EVENT_STATE_REPORTED, self._reported, event_filter=self._owned
            ),
        ]

    @callback
    def _owned(self, data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in self.owner

    @callback
    def _changed(self, event: Event[Any]) -> None:
        if (owner := self.owner.get(event.data["entity_id"])) is not None:
            self.writes[owner] += 1
            self.changes[owner] += 1

    @callback
    def _reported(self, event: Event[Any]) -> None:
        if (owner := self.owner.get(event.data["entity_id"])) is not None:
            self.writes[owner] += 1

    def stop(self) -> None:
        """Stop counting."""
        for unsub in self._unsubs:
            unsub()

    def total(self, counter: Counter[tuple[str, str]], variant: str) -> int:
        """Return a variant's count."""
        return sum(n for (owner, _), n in counter.items() if owner == variant)

    def by_label(self, variant: str, updates: int) -> list[tuple[str, float, float]]:
        """Return a variant's writes and changes per update, by entity label."""
        labels = sorted({label for owner, label in self.writes if owner == variant})
        return [
            (
                label,
                self.writes[variant, label] / updates,
                self.changes[variant, label] / updates,
            )
            for label in labels
        ]


# --- cpu ------------------------------------------------------------------------------------


@dataclass
class CpuRun:
    """One instance's CPU figures for ``cars`` cars of each variant."""

    cars: int
    median_s: dict[str, float]
    mean_s: dict[str, float]
    updates: int
    writes: dict[str, float]
    changes: dict[str, float]
    breakdown: dict[str, list[tuple[str, float, float]]]
    setup_s: dict[str, float] = field(default_factory=dict)
    entities: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Entities per car (registered, enabled)."""
    shown: dict[str, Counter[str]] = field(default_factory=dict)
    """What the cars showed after the timed steps (Homecoming's phase, proximity's
    direction of travel): that they were on their way home."""

    def per_update_us(self, variant: str) -> float:
        """Event-loop CPU per tracker update beyond the bare tracker's, µs."""
        return (self.median_s[variant] - self.median_s[BARE]) / self.cars * 1e6


async def async_cpu_run(config_dir: Path, cars: int, plan: Plan, seed: int) -> CpuRun:
    """Time the three variants' steps in one instance (see the docstring)."""
    writer = Writer(approach_script, cars, seed)
    async with async_home(config_dir, writer.initial(VARIANTS)) as home:
        hass = home.hass
        setup_s: dict[str, float] = {}
        for variant, add in ADD.items():
            began = time.perf_counter()
            for entity_id in trackers(variant, cars):
                await add(hass, entity_id)
            await async_settle(hass)
            setup_s[variant] = time.perf_counter() - began
        labels = {variant: entity_labels(hass, variant) for variant in ADD}
        writer.begin(home)
        samples: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        gc.collect()
        for step in range(plan.cpu_warmup + plan.cpu_steps):
            at, writes = writer.next_step(VARIANTS)
            home.clock.set(at)
            shift = step % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                began = time.thread_time()
                writer.write(at, writes[variant])
                await hass.async_block_till_done()
                used = time.thread_time() - began
                if step >= plan.cpu_warmup:
                    samples[variant].append(used)
        shown = {
            variant: Counter(
                state.state
                for entity_id, label in labels[variant].items()
                if label == SHOWN[variant] and (state := hass.states.get(entity_id))
            )
            for variant in ADD
        }
        counter = WriteCounter(hass, labels)
        await writer.async_steps(plan.count_steps, VARIANTS)
        counter.stop()
        updates = plan.count_steps * cars
        return CpuRun(
            cars=cars,
            median_s={v: statistics.median(s) for v, s in samples.items()},
            mean_s={v: statistics.fmean(s) for v, s in samples.items()},
            updates=updates,
            writes={v: counter.total(counter.writes, v) / updates for v in ADD},
            changes={v: counter.total(counter.changes, v) / updates for v in ADD},
            breakdown={v: counter.by_label(v, updates) for v in ADD},
            setup_s=setup_s,
            entities={v: entities_per_entry(hass, v) for v in ADD},
            shown=shown,
        )


def profile_run(config_dir: Path, plan: Plan) -> str:
    """Profile the Homecoming variant's steps; return the report.

    Without the recorder: ``cProfile`` (``sys.monitoring``) sees every thread, and the
    recorder's thread would be counted as the loop's. The steps are profiled in
    :data:`PROFILE_CHUNKS` parts, each on its own profiler (see :func:`profile_report`).
    """

    async def run() -> tuple[list[pstats.Stats], float]:
        cars = plan.profile_cars
        writer = Writer(approach_script, cars)
        async with async_home(
            config_dir, writer.initial([HOMECOMING]), recorder=False
        ) as home:
            for entity_id in trackers(HOMECOMING, cars):
                await async_add_car(home.hass, entity_id)
            await async_settle(home.hass)
            writer.begin(home)
            await writer.async_steps(plan.cpu_warmup, [HOMECOMING])
            chunks: list[pstats.Stats] = []
            used = 0.0
            for _ in range(PROFILE_CHUNKS):
                profiler = cProfile.Profile()
                for _ in range(plan.cpu_steps):
                    at, writes = writer.next_step([HOMECOMING])
                    home.clock.set(at)
                    began = time.thread_time()
                    profiler.enable()
                    writer.write(at, writes[HOMECOMING])
                    await home.hass.async_block_till_done()
                    profiler.disable()
                    used += time.thread_time() - began
                chunks.append(pstats.Stats(profiler))
            return chunks, used / PROFILE_CHUNKS

    chunks, used = asyncio.run(run())
    return profile_report(chunks, plan.cpu_steps * plan.profile_cars, used)


def profile_startup(root: Path, plan: Plan) -> str:
    """Profile a start with the start-up mode's Homecoming entries; return the report."""
    entries = plan.startup_entries
    config_dir = root / f"startup-{HOMECOMING}"
    if not config_dir.exists():
        prepare_config_dir(config_dir)
        asyncio.run(async_prepare_startup(config_dir, HOMECOMING, entries))
    asyncio.run(async_timed_start(config_dir, HOMECOMING, entries))  # as warm as timed
    profiler = cProfile.Profile()
    cpu = asyncio.run(async_timed_start(config_dir, HOMECOMING, entries, profiler))
    raw: dict[Key, Row] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ms = 1e3 / entries
    lines = [
        (
            f"cProfile of a start with {entries} Homecoming entries (all threads;"
            f" {cpu:.2f} s process CPU under the profiler): per entry, ms"
        ),
        "  Homecoming's functions by cumulative time:",
    ]
    ours = sorted(
        (item for item in raw.items() if "custom_components/homecoming/" in item[0][0]),
        key=lambda item: item[1][3],
        reverse=True,
    )[:12]
    lines.extend(
        f"    {cumulative * ms:6.2f}  {_short(filename)}:{line} {name}"
        for (filename, line, name), (_, _, _, cumulative, _) in ours
    )
    lines.append("  all functions by own time:")
    costly = sorted(
        (item for item in raw.items() if not _profiler_itself(item[0])),
        key=lambda item: item[1][2],
        reverse=True,
    )[:12]
    lines.extend(
        f"    {own * ms:6.2f}  {_short(filename)}:{line} {name}"
        for (filename, line, name), (_, _, own, _, _) in costly
    )
    return "\n".join(lines)


def _profiler_itself(key: Key) -> bool:
    """Whether a profiled function is the profiler's own or an idle wait."""
    return any(
        idle in key[2] for idle in ("_lsprof", "SimpleQueue", "epoll", "_thread.lock")
    )


type Key = tuple[str, int, str]
"""A profiled function: file, line, name."""
type Edge = tuple[int, int, float, float]
"""A caller's calls of a function: calls, calls, own time, cumulative time."""
type Row = tuple[int, int, float, float, dict[Key, Edge]]
"""What ``pstats`` keeps of a function: calls, calls, own time, cumulative, callers."""


def _worker_functions(raw: Mapping[Key, Row]) -> set[Key]:
    """Return the functions that ran only in the executor's threads.

    ``cProfile`` sees every thread: what the executor's workers ran (storage writes)
    is not the loop's. A worker runs ``concurrent.futures.thread``; a function all of
    whose callers ran only in workers did too.
    """
    workers = {
        key
        for key in raw
        if key[0].endswith("concurrent/futures/thread.py") or "SimpleQueue" in key[2]
    }
    grown = True
    while grown:
        grown = False
        for key, row in raw.items():
            if key not in workers and row[4] and all(c in workers for c in row[4]):
                workers.add(key)
                grown = True
    return workers


def _loop_time(raw: Mapping[Key, Row], workers: set[Key]) -> dict[Key, Edge]:
    """Return each function's calls and times on the loop: its non-worker callers'."""
    loop: dict[Key, Edge] = {}
    for key, row in raw.items():
        if key in workers or "_lsprof" in key[2]:
            continue
        if not row[4]:
            loop[key] = (row[0], row[1], row[2], row[3])
            continue
        edges = [edge for origin, edge in row[4].items() if origin not in workers]
        loop[key] = (
            sum(edge[0] for edge in edges),
            sum(edge[1] for edge in edges),
            sum(edge[2] for edge in edges),
            sum(edge[3] for edge in edges),
        )
    return loop


def _edges(
    raw: Mapping[Key, Row], callee: Callable[[str], bool], caller: Callable[[str], bool]
) -> float:
    """Return the cumulative time of calls from ``caller`` files into ``callee`` files."""
    return sum(
        edge[3]
        for key, row in raw.items()
        if callee(key[0])
        for origin, edge in row[4].items()
        if caller(origin[0]) and not callee(origin[0])
    )


@dataclass(frozen=True, slots=True)
class _Chunk:
    """One profiled part of the steps, reduced to the loop's time."""

    loop: dict[Key, Edge]
    total: float
    shares: dict[str, float]
    engine: float
    entity_code: float


def _reduce(stats: pstats.Stats) -> _Chunk:
    """Reduce a profile to the loop's time: by function, by place, and inclusive."""
    raw: dict[Key, Row] = stats.stats  # type: ignore[attr-defined]
    workers = _worker_functions(raw)
    loop = _loop_time(raw, workers)
    shares: defaultdict[str, float] = defaultdict(float)
    for key, (_, _, own, _) in loop.items():
        if not key[0].startswith("~"):
            shares[_where(key[0])] += own
            continue
        # A built-in's time goes to whoever called it.
        for origin, edge in raw[key][4].items():
            if origin not in workers:
                shares[_where(origin[0])] += edge[2]
    total = sum(shares.values())

    def engine(filename: str) -> bool:
        return "custom_components/homecoming/engine/" in filename

    def entity_code(filename: str) -> bool:
        return filename.endswith("homeassistant/helpers/entity.py")

    return _Chunk(
        loop=loop,
        total=total,
        shares={name: seconds / total for name, seconds in shares.items()},
        engine=_edges(raw, engine, lambda filename: not engine(filename)) / total,
        entity_code=_edges(raw, entity_code, lambda filename: not entity_code(filename))
        / total,
    )


def profile_report(chunks: Sequence[pstats.Stats], updates: int, used: float) -> str:
    """Summarise a profile: where an update's time goes, and the costliest functions.

    ``cProfile`` measures wall-clock time, so whatever preempts the process on a shared
    machine lands in some function of the loop: each figure is the median (shares) or
    the least (functions) over the chunks, ``updates`` tracker updates each.
    """
    reduced = [_reduce(stats) for stats in chunks]
    names = {name for chunk in reduced for name in chunk.shares}
    shares = {
        name: statistics.median(chunk.shares.get(name, 0.0) for chunk in reduced)
        for name in names
    }
    least: dict[Key, Edge] = {}
    for key in set.intersection(*(set(chunk.loop) for chunk in reduced)):
        rows = [chunk.loop[key] for chunk in reduced]
        least[key] = min(rows, key=lambda row: row[2])
    engine = statistics.median(chunk.engine for chunk in reduced)
    entity_code = statistics.median(chunk.entity_code for chunk in reduced)
    profiled = statistics.median(chunk.total for chunk in reduced)
    lines = [
        (
            f"cProfile of the Homecoming variant, without the recorder:"
            f" {len(chunks)} × {updates} tracker updates; loop CPU"
            f" {used / updates * 1e6:.0f} µs per update under the profiler (which"
            f" inflates it), median {profiled / updates * 1e6:.0f} µs profiled on the"
            " loop; shares of that (median of the parts):"
        ),
        f"  the engine (inclusive)                          {engine:6.1%}",
        (
            f"  Home Assistant's entity code (inclusive)        {entity_code:6.1%}"
            " (the cars' entities' state writes and attribute setters)"
        ),
        "  own time by where the code lives (built-ins counted to their caller):",
    ]
    lines += [
        f"    {name:<44} {share:6.1%}"
        for name, share in sorted(shares.items(), key=lambda item: -item[1])
        if share >= 0.0005
    ]
    lines.append(
        "  costliest functions on the loop (least of the parts): own µs,"
        " cumulative µs, calls per update"
    )
    ranked = sorted(least.items(), key=lambda item: item[1][2], reverse=True)[:20]
    lines.extend(
        f"    {own / updates * 1e6:6.1f} {cumulative / updates * 1e6:7.1f}"
        f" {calls / updates:5.1f}×  {_short(filename)}:{line} {name}"
        for (filename, line, name), (calls, _, own, cumulative) in ranked
    )
    return "\n".join(lines)


def _where(filename: str) -> str:
    """Classify a profiled function's file."""
    if "custom_components/homecoming/engine/" in filename:
        return "Homecoming engine"
    if "custom_components/homecoming/" in filename:
        return "Homecoming (rest of the integration)"
    if "homeassistant/" in filename:
        return "Home Assistant (core, helpers, platforms)"
    if "asyncio" in filename:
        return "asyncio"
    if filename.startswith("~"):
        return "built-ins called by nothing profiled"
    return "other libraries"


def _short(filename: str) -> str:
    """Shorten a profiled file name for printing."""
    for marker in ("custom_components/", "site-packages/", "python3.14/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --- rows -----------------------------------------------------------------------------------


@dataclass
class RowsRun:
    """Recorder rows and logbook entries per fix over a drive home."""

    fixes: int
    states: dict[str, float]
    attributes: dict[str, float]
    logbook: dict[str, float]
    logbook_by: dict[str, Counter[str]]
    states_by: dict[str, Counter[str]]
    attributes_by: dict[str, Counter[str]]


def _max_ids(session: Any) -> tuple[int, int]:
    """Return the largest state id and state attributes id so far."""
    state_id = session.execute(select(func.max(States.state_id))).scalar() or 0
    attributes_id = session.execute(select(func.max(States.attributes_id))).scalar()
    return state_id, attributes_id or 0


def _rows_since(
    session: Any, since: tuple[int, int], entity_ids: Iterable[str]
) -> tuple[Counter[str], Counter[str]]:
    """Count states rows per entity after ``since``, and new attributes rows per entity.

    A new attributes row is counted to the first entity whose row points to it.
    """
    rows = session.execute(
        select(StatesMeta.entity_id, States.attributes_id)
        .join(StatesMeta, States.metadata_id == StatesMeta.metadata_id)
        .where(States.state_id > since[0])
        .where(StatesMeta.entity_id.in_(list(entity_ids)))
    ).all()
    per_entity: Counter[str] = Counter(row[0] for row in rows)
    first: dict[int, str] = {}
    for entity_id, attributes_id in rows:
        if attributes_id is not None and attributes_id > since[1]:
            first.setdefault(attributes_id, entity_id)
    return per_entity, Counter(first.values())


async def async_rows_run(config_dir: Path, cars: int) -> RowsRun:
    """Drive 5 phones home once, followed by each integration; count what is kept."""
    variants = list(ADD)
    writer = Writer(trip_script, cars, seed=7)
    async with async_home(config_dir, writer.initial(variants), logbook=True) as home:
        hass = home.hass
        instance = get_instance(hass)
        for variant, add in ADD.items():
            for entity_id in trackers(variant, cars):
                await add(hass, entity_id)
        await async_settle(hass)
        labels = {variant: entity_labels(hass, variant) for variant in ADD}
        writer.begin(home)
        await writer.async_steps(3, variants)  # set up, caught up: the drive begins
        await async_settle(hass)

        def max_ids() -> tuple[int, int]:
            with session_scope(hass=hass, read_only=True) as session:
                return _max_ids(session)

        since = await instance.async_add_executor_job(max_ids)
        # Entities write on the real clock, the trackers on the drives' (never behind).
        began = datetime.fromtimestamp(time.time(), UTC)
        length = max(len(trip_script(i, 0).fixes) for i in range(cars))
        first = writer.steps
        while writer.timeline.second < length:
            await writer.async_steps(1, variants)
        fixes = (writer.steps - first) * cars
        await async_settle(hass)
        ended = datetime.fromtimestamp(home.clock.timestamp() + 60.0, UTC)

        def count() -> dict[str, tuple[Counter[str], Counter[str]]]:
            with session_scope(hass=hass, read_only=True) as session:
                return {v: _rows_since(session, since, labels[v]) for v in variants}

        counted = await instance.async_add_executor_job(count)
        processor = EventProcessor(
            hass, async_determine_event_types(hass, None, None), None, None, None
        )
        entries = await instance.async_add_executor_job(
            processor.get_events, began, ended
        )
    logbook_by: dict[str, Counter[str]] = {v: Counter() for v in variants}
    for entry in entries:
        logged = entry.get("entity_id")
        for variant in variants:
            if logged in labels[variant]:
                logbook_by[variant][labels[variant][logged]] += 1
            elif logged is None and entry.get("domain") == variant:
                logbook_by[variant][f"event: {entry.get('message')}"] += 1
    return RowsRun(
        fixes=fixes,
        states={v: sum(counted[v][0].values()) / fixes for v in variants},
        attributes={v: sum(counted[v][1].values()) / fixes for v in variants},
        logbook={v: sum(logbook_by[v].values()) / fixes for v in variants},
        logbook_by=logbook_by,
        states_by={v: _by_label(counted[v][0], labels[v]) for v in variants},
        attributes_by={v: _by_label(counted[v][1], labels[v]) for v in variants},
    )


def _by_label(per_entity: Counter[str], labels: Mapping[str, str]) -> Counter[str]:
    """Add up counts per entity by the entities' labels."""
    totals: Counter[str] = Counter()
    for entity_id, count in per_entity.items():
        totals[labels[entity_id]] += count
    return totals


# --- memory ---------------------------------------------------------------------------------


@dataclass
class MemoryRun:
    """Traced memory per car of each integration, and where it was allocated."""

    cars: int
    per_car: dict[str, float]
    by_file: dict[str, list[tuple[str, float]]]


async def async_saved(hass: HomeAssistant, plan: Plan) -> None:
    """Wait for the delayed storage writes (registries, cars) to be done.

    A registry keeps each entry's JSON once it has saved it: a running home has it.
    """
    await asyncio.sleep(plan.memory_wait_s)
    await async_settle(hass)


async def async_memory_run(config_dir: Path, cars: int, plan: Plan) -> MemoryRun:
    """Return the traced bytes per car of each integration (see the docstring)."""
    variants = list(ADD)
    # Phone 0 of each variant warms the integration up; phones 1..cars are measured.
    writer = Writer(approach_script, cars + 1, seed=3)
    per_car: dict[str, float] = {}
    by_file: dict[str, list[tuple[str, float]]] = {}
    async with async_home(config_dir, writer.initial(variants)) as home:
        hass = home.hass
        for variant, add in ADD.items():
            await add(hass, trackers(variant, 1)[0])
        writer.begin(home)
        await writer.async_steps(plan.memory_fixes, variants)
        await async_saved(hass, plan)
        for variant, add in ADD.items():
            tracemalloc.start()
            # The trackers' current states are traced on both sides of the difference.
            await writer.async_steps(1, [variant])
            await async_settle(hass)
            gc.collect()
            first = tracemalloc.take_snapshot()
            before = tracemalloc.get_traced_memory()[0]
            for entity_id in trackers(variant, cars, first=1):
                await add(hass, entity_id)
            await writer.async_steps(plan.memory_fixes, [variant])
            await async_saved(hass, plan)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
            last = tracemalloc.take_snapshot()
            tracemalloc.stop()
            per_car[variant] = (after - before) / cars
            by_file[variant] = [
                (_short(stat.traceback[0].filename), stat.size_diff / cars)
                for stat in last.compare_to(first, "filename")[:8]
            ]
            del first, last
    return MemoryRun(cars, per_car, by_file)


# --- idle -----------------------------------------------------------------------------------


async def async_idle_run(config_dir: Path, variant: str, plan: Plan) -> float:
    """Return the loop's CPU per second with ``variant``'s cars idle, s (see the docstring)."""
    writer = Writer(approach_script, plan.idle_cars)
    async with async_home(
        config_dir, writer.initial([variant]), recorder=False
    ) as home:
        hass = home.hass
        if variant in ADD:
            for entity_id in trackers(variant, plan.idle_cars):
                await ADD[variant](hass, entity_id)
        writer.begin(home)
        await writer.async_steps(plan.memory_fixes, [variant])
        await async_saved(hass, plan)
        gc.collect()
        window_s = plan.idle_s / IDLE_WINDOWS
        used: list[float] = []
        for _ in range(IDLE_WINDOWS):
            began = time.thread_time()
            await asyncio.sleep(window_s)
            used.append((time.thread_time() - began) / window_s)
        return statistics.median(used)


# --- start-up -------------------------------------------------------------------------------


async def async_prepare_startup(config_dir: Path, variant: str, entries: int) -> None:
    """Set up ``entries`` entries of ``variant`` once, feed them fixes, stop."""
    writer = Writer(approach_script, entries, seed=11)
    async with async_home(config_dir, writer.initial([variant])) as home:
        if variant in ADD:
            for entity_id in trackers(variant, entries):
                await ADD[variant](home.hass, entity_id)
        writer.begin(home)
        await writer.async_steps(3, [variant])
        await async_settle(home.hass)


async def async_timed_start(
    config_dir: Path,
    variant: str,
    entries: int,
    profiler: cProfile.Profile | None = None,
) -> float:
    """Start Home Assistant in a prepared directory; return the process CPU seconds."""
    writer = Writer(approach_script, entries, seed=11)
    initial = writer.initial([variant])
    gc.collect()
    async with async_home(config_dir, initial, profiler=profiler) as home:
        entries_found = len(home.hass.config_entries.async_entries(variant))
        assert entries_found == (entries if variant in ADD else 0), entries_found
        return home.start_cpu


# --- soak -----------------------------------------------------------------------------------


def rss_mib() -> float:
    """Return this process's resident memory (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KIB / MIB
    return math.nan


@dataclass
class SoakRun:
    """The soak's samples and the trips' transitions."""

    samples: list[tuple[int, float, int, int]]
    """(fixes per car, RSS MiB, objects tracked by the collector, allocated blocks)."""
    transitions: Counter[str]


async def async_soak(config_dir: Path, plan: Plan) -> SoakRun:
    """Drive the soak's cars, sampling memory and objects (see the docstring)."""
    writer = Writer(cycle_script, plan.soak_cars, seed=5)
    samples: list[tuple[int, float, int, int]] = []
    transitions: Counter[str] = Counter()

    @callback
    def _count(event: Event[Any]) -> None:
        transitions[str(event.data.get("type"))] += 1

    async with async_home(
        config_dir, writer.initial([HOMECOMING]), recorder=False
    ) as home:
        for entity_id in trackers(HOMECOMING, plan.soak_cars):
            await async_add_car(home.hass, entity_id)
        await async_settle(home.hass)
        home.hass.bus.async_listen(f"{HOMECOMING}_event", _count)
        writer.begin(home)
        for done in range(plan.soak_every, plan.soak_fixes + 1, plan.soak_every):
            await writer.async_steps(plan.soak_every, [HOMECOMING])
            await async_settle(home.hass)
            gc.collect()
            samples.append(
                (done, rss_mib(), len(gc.get_objects()), sys.getallocatedblocks())
            )
    return SoakRun(samples, transitions)


def soak_lines(soak: SoakRun, plan: Plan) -> list[str]:
    """Print the soak's samples and whether they are flat."""
    samples = soak.samples
    lines = [
        f"soak: {plan.soak_cars} Homecoming cars × {plan.soak_fixes:,} fixes, trips out"
        " and home ("
        + ", ".join(f"{kind} {n}" for kind, n in sorted(soak.transitions.items()))
        + "), without the recorder; after gc.collect():",
        "| fixes per car | RSS (MiB) | objects (gc) | allocated blocks |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {done:,} | {rss:.1f} | {objects:,} | {blocks:,} |"
        for done, rss, objects, blocks in samples
    ]
    base = samples[1] if len(samples) > 2 else samples[0]
    last = samples[-1]
    growth = (last[1] - base[1], last[2] - base[2], last[3] - base[3])
    flat = (
        growth[0] < SOAK_FLAT_RSS_MIB
        and growth[1] < SOAK_FLAT_OBJECTS
        and growth[2] < SOAK_FLAT_BLOCKS
    )
    lines.append(
        f"from {base[0]:,} to {last[0]:,} fixes per car: RSS {growth[0]:+.1f} MiB,"
        f" objects {growth[1]:+,}, blocks {growth[2]:+,}:"
        f" {'flat' if flat else 'NOT flat'} (flat: less than +{SOAK_FLAT_RSS_MIB:g} MiB,"
        f" +{SOAK_FLAT_OBJECTS:,} objects and +{SOAK_FLAT_BLOCKS:,} blocks)"
    )
    return lines


# --- report ---------------------------------------------------------------------------------


@dataclass
class Results:
    """What the modes measured."""

    cpu: list[CpuRun] = field(default_factory=list)
    rows: RowsRun | None = None
    memory: list[MemoryRun] = field(default_factory=list)
    startup: dict[str, list[float]] = field(default_factory=dict)
    startup_entries: int = 0
    idle: dict[str, list[float]] = field(default_factory=dict)
    """Per variant, the loop's CPU per second of each idle run, s."""
    idle_cars: int = 0
    soak: list[str] = field(default_factory=list)
    profile: str = ""


def _ratio(ours: float, theirs: float) -> str:
    if theirs < 0 or ours < 0:  # below the bare variant's: within the noise
        return "—"
    if theirs == 0:
        return "—" if ours == 0 else "∞"
    return f"{ours / theirs:.2f}×"


def _row(name: str, ours: float, theirs: float, unit: str, digits: int) -> str:
    return (
        f"| {name} | {ours:,.{digits}f}{unit} | {theirs:,.{digits}f}{unit}"
        f" | {_ratio(ours, theirs)} |"
    )


def table(results: Results) -> list[str]:
    """Return the side-by-side table (no rows: nothing)."""
    rows: list[str] = []
    by_cars: dict[int, list[CpuRun]] = {}
    for run in results.cpu:
        by_cars.setdefault(run.cars, []).append(run)
    for cars, runs in sorted(by_cars.items()):
        ours = statistics.fmean(run.per_update_us(HOMECOMING) for run in runs)
        theirs = statistics.fmean(run.per_update_us(PROXIMITY) for run in runs)
        noun = "car" if cars == 1 else "cars"
        rows.append(_row(f"CPU per update, {cars} {noun}", ours, theirs, " µs", 0))
    if results.cpu:
        updates = sum(run.updates for run in results.cpu)
        for name, counts in (
            ("entity state writes per update", [run.writes for run in results.cpu]),
            ("`state_changed` events per update", [run.changes for run in results.cpu]),
        ):
            ours, theirs = (
                sum(
                    count[variant] * run.updates
                    for count, run in zip(counts, results.cpu, strict=True)
                )
                / updates
                for variant in (HOMECOMING, PROXIMITY)
            )
            rows.append(_row(name, ours, theirs, "", 2))
    if (kept := results.rows) is not None:
        rows.extend(
            _row(name, figures[HOMECOMING], figures[PROXIMITY], "", 2)
            for name, figures in (
                ("recorder `states` rows per fix", kept.states),
                ("new `state_attributes` rows per fix", kept.attributes),
                ("logbook entries per fix", kept.logbook),
            )
        )
    rows.extend(
        _row(
            f"memory per car ({run.cars} cars)",
            run.per_car[HOMECOMING] / KIB,
            run.per_car[PROXIMITY] / KIB,
            " KiB",
            0,
        )
        for run in results.memory
    )
    if results.idle:
        bare = statistics.fmean(results.idle[BARE])
        idle = {
            v: (statistics.fmean(results.idle[v]) - bare) / results.idle_cars * 1e6
            for v in ADD
        }
        rows.append(
            _row(
                "idle CPU per car per second",
                idle[HOMECOMING],
                idle[PROXIMITY],
                " µs",
                1,
            )
        )
    if results.startup:
        none = statistics.median(results.startup[BARE])
        added = {v: statistics.median(results.startup[v]) - none for v in ADD}
        rows.append(
            _row(
                f"start-up CPU added by {results.startup_entries} entries",
                added[HOMECOMING],
                added[PROXIMITY],
                " s",
                2,
            )
        )
    if not rows:
        return []
    return ["| | Homecoming | proximity | ratio |", "|---|---|---|---|", *rows]


def _counts(counts: Iterable[tuple[str, float]], digits: int = 0) -> str:
    """Join labelled counts, or say there were none."""
    joined = ", ".join(f"{label} {count:.{digits}f}" for label, count in counts)
    return joined or "none"


def details(results: Results) -> list[str]:
    """Return the figures behind the table."""
    lines = [
        f"cpu, {run.cars} cars: median step (all {run.cars} trackers) "
        + ", ".join(
            f"{v} {run.median_s[v] * 1e3:.2f} ms (mean {run.mean_s[v] * 1e3:.2f})"
            for v in VARIANTS
        )
        + "; per update beyond bare: "
        + ", ".join(f"{LABEL[v]} {run.per_update_us(v):.0f} µs" for v in ADD)
        + "; set-up of the cars: "
        + ", ".join(f"{LABEL[v]} {run.setup_s[v]:.1f} s" for v in ADD)
        + "; shown after the timed steps: "
        + "; ".join(f"{LABEL[v]} {_counts(run.shown[v].most_common())}" for v in ADD)
        for run in results.cpu
    ]
    if results.cpu:
        last = max(results.cpu, key=lambda run: run.cars)
        lines.append(
            "entities per car (enabled): "
            + ", ".join(
                f"{LABEL[v]} {last.entities[v][0]:g} ({last.entities[v][1]:g})"
                for v in ADD
            )
        )
        lines.append(
            f"writes per update by entity ({last.cars} cars, {last.updates} updates):"
            " written (changed)"
        )
        lines.extend(
            f"  {LABEL[variant]}: "
            + (
                ", ".join(
                    f"{label} {written:.2f} ({changed:.2f})"
                    for label, written, changed in last.breakdown[variant]
                )
                or "none"
            )
            for variant in ADD
        )
    if (kept := results.rows) is not None:
        lines.append(
            f"rows: a drive home, {kept.fixes} fixes in all; states rows by entity:"
        )
        lines.extend(
            f"  {LABEL[v]}: {_counts(kept.states_by[v].most_common())}" for v in ADD
        )
        lines.append("new state_attributes rows by entity:")
        lines.extend(
            f"  {LABEL[v]}: {_counts(kept.attributes_by[v].most_common())}" for v in ADD
        )
        lines.append("logbook entries by entity or event:")
        lines.extend(
            f"  {LABEL[v]}: {_counts(kept.logbook_by[v].most_common())}" for v in ADD
        )
    if results.memory:
        run = results.memory[-1]
        lines.append(
            f"memory per car by the file that allocated it, KiB ({run.cars} cars):"
        )
        lines.extend(
            f"  {LABEL[v]}: "
            + _counts(((name, size / KIB) for name, size in run.by_file[v]), 1)
            for v in ADD
        )
    if results.idle:
        lines.append(
            f"idle loop CPU, {results.idle_cars} cars, ms per second (runs): "
            + "; ".join(
                f"{'none' if v == BARE else LABEL[v]} "
                + ", ".join(f"{s * 1e3:.2f}" for s in results.idle[v])
                for v in VARIANTS
            )
        )
    if results.startup:
        lines.append(
            "start-up process CPU, s (runs): "
            + "; ".join(
                f"{'none' if v == BARE else LABEL[v]} "
                + ", ".join(f"{s:.2f}" for s in results.startup[v])
                for v in VARIANTS
            )
        )
    return lines


def machine() -> list[str]:
    """Describe the run: date, machine, Home Assistant."""
    load = os.getloadavg()
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        (
            f"machine: {platform.platform()}, {os.cpu_count()} cores,"
            f" Python {platform.python_version()}, load average {load[0]:.2f}"
        ),
        f"Home Assistant {HA_VERSION}",
    ]


# --- main -----------------------------------------------------------------------------------


def run_mode(mode: str, plan: Plan, root: Path, results: Results) -> None:
    """Run one mode, adding to ``results``."""
    if mode == "cpu":
        for cars in plan.cpu_cars:
            for repetition in range(plan.cpu_repetitions):
                config_dir = prepare_config_dir(root / f"cpu-{cars}-{repetition}")
                run = asyncio.run(async_cpu_run(config_dir, cars, plan, repetition))
                results.cpu.append(run)
                print(
                    f"  cpu {cars} cars, repetition {repetition + 1}: "
                    + ", ".join(
                        f"{LABEL[v]} {run.per_update_us(v):.0f} µs" for v in ADD
                    ),
                    flush=True,
                )
    elif mode == "profile":
        results.profile = profile_run(prepare_config_dir(root / "profile"), plan)
        results.profile += "\n\n" + profile_startup(root, plan)
    elif mode == "rows":
        config_dir = prepare_config_dir(root / "rows")
        results.rows = asyncio.run(async_rows_run(config_dir, plan.rows_cars))
    elif mode == "memory":
        for cars in plan.memory_cars:
            config_dir = prepare_config_dir(root / f"memory-{cars}")
            memory = asyncio.run(async_memory_run(config_dir, cars, plan))
            results.memory.append(memory)
            print(
                f"  memory {cars} cars: "
                + ", ".join(
                    f"{LABEL[v]} {memory.per_car[v] / KIB:.0f} KiB" for v in ADD
                ),
                flush=True,
            )
    elif mode == "startup":
        entries = plan.startup_entries
        results.startup_entries = entries
        dirs = {v: prepare_config_dir(root / f"startup-{v}") for v in VARIANTS}
        for variant, config_dir in dirs.items():
            asyncio.run(async_prepare_startup(config_dir, variant, entries))
        results.startup = {v: [] for v in VARIANTS}
        for index in range(plan.startup_runs):
            order = VARIANTS[index % 3 :] + VARIANTS[: index % 3]
            for variant in order:
                results.startup[variant].append(
                    asyncio.run(async_timed_start(dirs[variant], variant, entries))
                )
    elif mode == "idle":
        results.idle_cars = plan.idle_cars
        results.idle = {v: [] for v in VARIANTS}
        for index in range(plan.idle_repetitions * len(VARIANTS)):
            variant = VARIANTS[index % len(VARIANTS)]
            config_dir = prepare_config_dir(root / f"idle-{index}")
            results.idle[variant].append(
                asyncio.run(async_idle_run(config_dir, variant, plan))
            )
    elif mode == "soak":
        soak = asyncio.run(async_soak(prepare_config_dir(root / "soak"), plan))
        results.soak = soak_lines(soak, plan)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--mode",
        choices=("cpu", "rows", "memory", "startup", "idle", "soak", "all"),
        default="all",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run, small")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the Homecoming variant"
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else Plan()
    quiet_logging()
    modes = (
        ["soak", "cpu", "rows", "memory", "startup", "idle"]
        if args.mode == "all"
        else [args.mode]
    )
    if args.profile:
        modes.append("profile")
    results = Results()
    began = time.perf_counter()
    for line in machine():
        print(line)
    python = os.path.relpath(sys.executable)
    print(f"command: {' '.join([python, '-m', 'bench.ha_cost', *sys.argv[1:]])}")
    with tempfile.TemporaryDirectory(prefix="homecoming-ha-cost-") as tmp:
        root = Path(tmp)
        for mode in modes:
            started = time.perf_counter()
            print(f"{mode}…", flush=True)
            run_mode(mode, plan, root, results)
            print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    print()
    for line in machine()[:2]:
        print(line)
    print(
        f"Home Assistant {HA_VERSION}; {'quick smoke run' if args.quick else 'full run'}"
    )
    if rows := table(results):
        print()
        print("\n".join(rows))
    print()
    for line in details(results):
        print(line)
    if results.soak:
        print()
        for line in results.soak:
            print(line)
    if results.profile:
        print()
        print(results.profile)
    print(f"\nran {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()

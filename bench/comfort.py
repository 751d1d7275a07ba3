"""Comfort benchmark: what each way of starting the heating buys on the same trips home.

Run from the repository root:  .venv/bin/python -m bench.comfort [--houses N] [--no-plots]

The house
---------
A first-order lumped-capacitance ("1R1C") thermal model: one heat capacity ``C`` (air,
walls, furniture) behind one resistance ``R`` to the outdoor air — the hourly 5R1C model of
ISO 13790, which smart-heating studies use to replay occupancy against houses (e.g.
Kleiminger, Mattern and Santini, "Predicting household occupancy for smart heating
control", Energy and Buildings 2015), with its resistances collapsed into one::

    dT/dt = (T_out - T) / tau + P * e          tau = R C, hours
    de/dt = (u - e) / tau_e                    the emitter warming up

``T`` is the indoor temperature, ``P`` the rate (°C per hour) at which the heating at full
output would warm the house if it lost nothing, ``u`` the burner (on/off, a thermostat
with ±0.2 °C hysteresis around its target) and ``e`` the output of the radiators, floor or
air handler, which follows the burner with the time constant ``tau_e`` (the dead time of a
heat-up). Integrated every minute. Each house draws its parameters (seeded):

* kind: radiators (60 %, a set-back-to-comfort heat-up at 1.5-4 °C/h, ``tau_e``
  5-15 min), underfloor heating (20 %, 0.5-1.5 °C/h, 30-60 min), forced air (20 %,
  4-8 °C/h, 1-4 min); ``P`` is solved so that the heat-up from 17 to 21 °C takes that
  long at the house's mean outdoor temperature (and ``P`` can always hold 21 °C);
* ``tau`` 15-60 h; outdoor temperature a daily cosine (coldest 03:00, warmest 15:00) of
  amplitude 3-6 °C around a mean of -5..10 °C, plus a day-to-day drift (sigma 2 °C);
* the thermostat's sensor: resolution 0.1 °C (70 %) or 0.5 °C, noise sigma 0-0.15 °C.

Comfort 21 °C, set-back 17 °C (Homecoming's defaults). The household leaves at 07:30 (the
house is set back) and is measured until 23:00.

MissTime
--------
The measure of PreHeat (Scott et al., "PreHeat: controlling home heating using occupancy
prediction", UbiComp 2011): the time the home is occupied but not warm — here the minutes
after the arrival with the room below comfort - 0.5 °C. (PreHeat measured real homes; the
model above is ours, not theirs.)

The trips
---------
The drives of ``bench/detection.py`` (the drive simulator ``devtools/sim.py``: commutes,
town, motorway, a car park, an errand, a sparse car cloud, jams, red lights, a tunnel;
drive-bys, a car parked 1.5 km away with drifting GPS, cell fixes far away), each with the
house's index as seed, and one recorded drive: ``bench/data/barefoot-x0001-015.json``, a
20-minute, 13 km car drive through Munich sampled every 15 s, from the test data of BMW Car
IT's map matcher Barefoot (Apache License 2.0, see ``bench/data/README.md``), used twice:
as a trip home (home at its last point) and as a drive-by (home 1 km off its middle).

Every house lives one day per trip home (arrival drawn between 16:30 and 19:30); on one day
in three an earlier false episode (a drive-by, the parked car, the cell fixes, the real
drive-by) ends 30-120 minutes before the trip home starts.

The strategies
--------------
* **arrival**: comfort when the car enters the home zone (Home Assistant's zone rule: a fix
  is in the zone when its distance minus its accuracy is under the radius);
* **proximity**: comfort when core ``proximity`` says ``towards`` and the car is under
  5 km from the zone — the common automation, with ``bench/detection.py``'s model of
  proximity (``proximity_episodes``, run on each stretch within 5 km); it never sets back;
* **schedule**: comfort at 17:00 every day;
* **Homecoming (set rate)** and **Homecoming (learned rate)**: the real
  ``ApproachDetector`` fed every fix (and advanced every minute), the routine runner's rule
  (``should_start`` with the ETA, the room's reading, max lead 120 min, on every fix while
  approaching; comfort at ``arriving``/``arrived`` at the latest; back to the set-back on
  ``approach_cancelled``), with 2 °C/h or the rate ``engine/heating_rate.py`` learned from
  28 simulated days of the same house (its routine, open windows, sensor outages), falling
  back to 2 °C/h until learned.

Whatever the strategy, somebody arriving home turns the heating to comfort (so MissTime
ends for every strategy; it is counted until 23:00). Counted per strategy and day:
MissTime; burner hours (07:30-23:00); the burner hours spent while nobody was coming home
(before the trip home started: false approaches, drive-bys, a schedule that runs before
the car leaves), beyond those of the same house holding the set-back — most of that heat is
not lost, the warmer house needs less later, so the burner hours of the whole day are the
energy measure; and the thermostat changes after the 07:30 set-back (the strategy's, and
comfort at the arrival where the strategy had not set it).
"""

from __future__ import annotations

import argparse
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
import random
import statistics
import time

from bench.detection import SCENARIOS, proximity_episodes
from custom_components.homecoming.engine import (
    ApproachDetector,
    EventType,
    Fix,
    Home,
    Phase,
    Transition,
    should_start,
)
from custom_components.homecoming.engine.geo import haversine_m
from custom_components.homecoming.engine.heating_rate import (
    HEATING,
    RECENT_PERIODS,
    Sample,
    find_periods,
    learn_rate,
)
from devtools import sim

COMFORT = 21.0
SETBACK = 17.0
MISS_BELOW = COMFORT - 0.5
"""MissTime counts the minutes at home below this."""
HYSTERESIS = 0.2
SET_RATE = 2.0
"""Homecoming's default rate, °C per hour."""
MAX_LEAD = timedelta(minutes=120)
"""Homecoming's default maximum lead."""
PROXIMITY_M = 5_000.0
STEP_S = 60.0
DAY_START_H = 7.5
DAY_END_H = 23.0
SCHEDULE_H = 17.0
HISTORY_DAYS = 28
WINDOW_TAU_H = 1.5
"""An open window adds a loss with this time constant (airing in winter)."""

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "barefoot-x0001-015.json"
IMAGES = ROOT / "docs" / "images"
BENCH_EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
"""Midnight of the first benchmark day (times are treated as local)."""
HISTORY_EPOCH = BENCH_EPOCH - timedelta(days=HISTORY_DAYS)

STRATEGIES = (
    "arrival",
    "proximity",
    "schedule",
    "Homecoming (set rate)",
    "Homecoming (learned rate)",
)

# --- the house -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class House:
    """One simulated house (see the module docstring)."""

    index: int
    kind: str
    tau_h: float
    lag_h: float
    power: float
    outdoor_mean: float
    outdoor_swing: float
    drift: tuple[float, ...]
    resolution: float
    noise: float
    window_chance: float
    outage_chance: float

    def outdoor(self, day: float, hour: float) -> float:
        """Outdoor temperature on a (fractional) day index at an hour of the day."""
        k = math.floor(day) % len(self.drift)
        frac = day - math.floor(day)
        drift = (
            self.drift[k] * (1 - frac) + self.drift[(k + 1) % len(self.drift)] * frac
        )
        daily = math.cos(2 * math.pi * (hour - 15.0) / 24.0)
        return self.outdoor_mean + self.outdoor_swing * daily + drift


KINDS = (
    # kind, share, heat-up rate (°C/h), emitter lag (minutes)
    ("radiators", 0.6, (1.5, 4.0), (5.0, 15.0)),
    ("underfloor", 0.2, (0.5, 1.5), (30.0, 60.0)),
    ("forced air", 0.2, (4.0, 8.0), (1.0, 4.0)),
)


class Room:
    """The thermal state of a house and its thermostat."""

    __slots__ = ("burner", "emitter", "house", "keep", "temperature")

    def __init__(self, house: House, temperature: float) -> None:
        """Start at ``temperature`` with cold emitters and the burner off."""
        self.house = house
        self.temperature = temperature
        self.emitter = 0.0
        self.burner = 0
        self.keep = math.exp(-STEP_S / 3600.0 / house.lag_h)

    def step(self, setpoint: float, outdoor: float, *, window: bool = False) -> int:
        """Advance one step; return whether the burner ran."""
        t = self.temperature
        if t < setpoint - HYSTERESIS:
            self.burner = 1
        elif t > setpoint + HYSTERESIS:
            self.burner = 0
        house = self.house
        self.emitter = self.burner + (self.emitter - self.burner) * self.keep
        loss = (outdoor - t) / house.tau_h
        if window:
            loss += (outdoor - t) / WINDOW_TAU_H
        self.temperature = t + (loss + house.power * self.emitter) * STEP_S / 3600.0
        return self.burner

    def reading(self, noise: float = 0.0) -> float:
        """Return the thermostat's reading: rounded to the sensor's resolution."""
        q = self.house.resolution
        return round(round((self.temperature + noise) / q) * q, 2)


def heat_up_hours(house: House, outdoor: float, power: float | None = None) -> float:
    """Hours from 17 °C (cold emitters) to 21 °C at a constant outdoor temperature."""
    room = Room(house if power is None else replace(house, power=power), SETBACK)
    room.burner = 1
    steps = 0
    while room.temperature < COMFORT and steps < 48 * 60:
        room.step(99.0, outdoor)
        steps += 1
    return steps * STEP_S / 3600.0


def true_rate(house: House) -> float:
    """Return the house's known rate: 4 °C over its heat-up time at the mean outdoor temperature.

    The rate that makes ``(comfort - indoor) / rate`` exactly right for the pre-heat of a
    set-back house on an average day.
    """
    return (COMFORT - SETBACK) / heat_up_hours(house, house.outdoor_mean)


def make_houses(count: int, seed: int = 2026) -> list[House]:
    """Draw ``count`` houses (see the module docstring)."""
    rng = random.Random(seed)
    houses: list[House] = []
    for index in range(count):
        pick = rng.random()
        kind, rates, lags = KINDS[-1][0], KINDS[-1][2], KINDS[-1][3]
        acc = 0.0
        for name, share, rate_range, lag_range in KINDS:
            acc += share
            if pick < acc:
                kind, rates, lags = name, rate_range, lag_range
                break
        wanted = rng.uniform(*rates)
        house = House(
            index=index,
            kind=kind,
            tau_h=rng.uniform(15.0, 60.0),
            lag_h=rng.uniform(*lags) / 60.0,
            power=1.0,
            outdoor_mean=rng.uniform(-5.0, 10.0),
            outdoor_swing=rng.uniform(3.0, 6.0),
            drift=tuple(rng.gauss(0.0, 2.0) for _ in range(HISTORY_DAYS + 40)),
            resolution=0.1 if rng.random() < 0.7 else 0.5,
            noise=rng.uniform(0.0, 0.15),
            window_chance=rng.uniform(0.0, 0.3),
            outage_chance=0.1,
        )
        # Solve the power for the wanted heat-up rate (bisection on the heat-up time).
        target_h = (COMFORT - SETBACK) / wanted
        low, high = 0.5, 60.0
        for _ in range(30):
            mid = (low + high) / 2
            if heat_up_hours(house, house.outdoor_mean, mid) > target_h:
                low = mid
            else:
                high = mid
        coldest = house.outdoor_mean - house.outdoor_swing - 5.0
        power = max(high, 1.3 * (COMFORT + HYSTERESIS - coldest) / house.tau_h)
        houses.append(replace(house, power=power))
    return houses


# --- the history the rate is learned from --------------------------------------------


def history(house: House) -> tuple[list[Sample], list[float]]:
    """Simulate 28 days of the household's routine.

    Return the recorded thermostat states and the true indoor temperature at the end of
    every minute.

    Weekdays: comfort 06:30-08:00 and from the arrival (16:30-19:30) to 22:30; weekends
    07:30-23:00; 17 °C otherwise. A heat-up may be interrupted by airing (a window open
    10-25 minutes, 10-40 minutes in); a day may have a sensor outage (20-60 minutes with
    no reading). A state is recorded whenever the reading, the action or the target
    changes, as Home Assistant's recorder does.
    """
    rng = random.Random(1_000 + house.index)
    room = Room(house, 19.0)
    samples: list[Sample] = []
    truth: list[float] = []
    last: tuple[float | None, str, float] | None = None
    steps_per_day = int(86_400 / STEP_S)
    for day in range(HISTORY_DAYS):
        weekend = day % 7 in (5, 6)
        if weekend:
            spans = [(7.5, 23.0)]
        else:
            spans = [(6.5, 8.0), (rng.uniform(16.5, 19.5), 22.5)]
        windows: list[tuple[float, float]] = []
        for begin, _ in spans:
            if rng.random() < house.window_chance:
                opened = begin + rng.uniform(10.0, 40.0) / 60.0
                windows.append((opened, opened + rng.uniform(10.0, 25.0) / 60.0))
        outage: tuple[float, float] | None = None
        if rng.random() < house.outage_chance:
            begin = rng.uniform(0.0, 23.0)
            outage = (begin, begin + rng.uniform(20.0, 60.0) / 60.0)
        for step in range(steps_per_day):
            hour = step * STEP_S / 3600.0
            setpoint = COMFORT if any(a <= hour < b for a, b in spans) else SETBACK
            window = any(a <= hour < b for a, b in windows)
            burner = room.step(
                setpoint, house.outdoor(day + hour / 24.0, hour), window=window
            )
            truth.append(room.temperature)
            reading: float | None = room.reading(rng.gauss(0.0, house.noise))
            if outage is not None and outage[0] <= hour < outage[1]:
                reading = None
            action = HEATING if burner else "idle"
            state = (reading, action, setpoint)
            if state != last:
                at = HISTORY_EPOCH + timedelta(days=day, seconds=(step + 1) * STEP_S)
                samples.append(Sample(at, reading, action, setpoint))
                last = state
    return samples, truth


# --- the trips ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trip:
    """A drive with its home: a trip home (``arrive`` set) or a false episode."""

    name: str
    home: Home
    fixes: tuple[Fix, ...]
    arrive: datetime | None


def _shift(fixes: Sequence[Fix], delta: timedelta) -> tuple[Fix, ...]:
    return tuple(replace(f, timestamp=f.timestamp + delta) for f in fixes)


def sim_trips(seed: int) -> tuple[list[Trip], list[Trip]]:
    """Return the drives of ``bench/detection.py`` for one seed: trips home, false episodes."""
    home_trips: list[Trip] = []
    false_trips: list[Trip] = []
    for name, build in SCENARIOS.items():
        if name == "8 h parked at home":
            continue  # somebody is home: not a question of arriving
        scenario = build(seed)
        trip = Trip(
            name,
            scenario.home,
            tuple(scenario.fixes),
            scenario.marks.get("arrive"),
        )
        (home_trips if trip.arrive is not None else false_trips).append(trip)
    return home_trips, false_trips


def recorded_drive() -> list[tuple[datetime, float, float]]:
    """Read the Barefoot test drive: (time, latitude, longitude), every 15 s."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    out: list[tuple[datetime, float, float]] = []
    for row in rows:
        lon, lat = (float(x) for x in row["point"][6:-1].split())
        at = datetime.strptime(row["time"], "%Y-%m-%d %H:%M:%S%z").astimezone(UTC)
        out.append((at, lat, lon))
    return out


def recorded_trips() -> tuple[Trip, Trip, float]:
    """Return the recorded drive as a trip home, as a drive-by, and the drive-by's closest m."""
    drive = recorded_drive()
    fixes = tuple(
        Fix(latitude=lat, longitude=lon, timestamp=at) for at, lat, lon in drive
    )
    end_lat, end_lon = drive[-1][1], drive[-1][2]
    home = Home(latitude=end_lat, longitude=end_lon, radius=sim.DEFAULT_RADIUS_M)
    trip_home = Trip("recorded drive home, 13 km", home, fixes, drive[-1][0])
    # 07:06:37, westbound on a straight road: home 1 km north of it.
    mid = drive[50]
    by_lat, by_lon = sim.offset(mid[1], mid[2], 0.0, 1_000.0)
    by_home = Home(latitude=by_lat, longitude=by_lon, radius=sim.DEFAULT_RADIUS_M)
    closest = min(haversine_m(by_lat, by_lon, lat, lon) for _, lat, lon in drive)
    drive_by = Trip("recorded drive-by, 1 km", by_home, fixes, None)
    return trip_home, drive_by, closest


@dataclass(slots=True)
class Day:
    """One day of one house: the fixes it sees, the trip home and its times."""

    house: House
    trip: str
    false: str | None
    home: Home
    fixes: list[Fix]
    start: datetime
    trip_start: datetime
    arrive: datetime
    end: datetime


def _rehome(fixes: Sequence[Fix], source: Home, target: Home) -> tuple[Fix, ...]:
    """Move fixes recorded around ``source`` so they lie the same way around ``target``."""
    out: list[Fix] = []
    for f in fixes:
        east, north = sim.to_local(
            source.latitude, source.longitude, f.latitude, f.longitude
        )
        lat, lon = sim.offset(target.latitude, target.longitude, east, north)
        out.append(replace(f, latitude=lat, longitude=lon))
    return tuple(out)


def make_day(
    house: House, number: int, trip: Trip, false: Trip | None, rng: random.Random
) -> Day:
    """Place a trip home (and maybe a false episode) on a day of ``house``."""
    midnight = BENCH_EPOCH + timedelta(days=number)
    assert trip.arrive is not None
    arrive = midnight + timedelta(hours=16.5) + timedelta(minutes=rng.uniform(0, 180))
    fixes = list(_shift(trip.fixes, arrive - trip.arrive))
    trip_start = fixes[0].timestamp
    start = midnight + timedelta(hours=DAY_START_H)
    if false is not None:
        moved = _rehome(false.fixes, false.home, trip.home)
        gap = timedelta(minutes=rng.uniform(30, 120))
        earlier = _shift(moved, trip_start - gap - moved[-1].timestamp)
        earliest = start + timedelta(minutes=5)
        fixes = [f for f in earlier if f.timestamp >= earliest] + fixes
    return Day(
        house=house,
        trip=trip.name,
        false=false.name if false is not None else None,
        home=trip.home,
        fixes=fixes,
        start=start,
        trip_start=trip_start,
        arrive=arrive,
        end=midnight + timedelta(hours=DAY_END_H),
    )


# --- the strategies -------------------------------------------------------------------


class Strategy:
    """Decides the thermostat's target from the fixes and the clock."""

    def __init__(self) -> None:
        """Start at the set-back, with nobody home."""
        self.setpoint = SETBACK
        self.occupied = False

    def fix(self, fix: Fix, reading: float) -> None:
        """See one fix (at its time; ``reading`` is the thermostat's now)."""

    def tick(self, now: datetime, reading: float) -> None:
        """See the clock (every minute)."""


class Arrival(Strategy):
    """Comfort when the car enters the home zone (Home Assistant's zone rule)."""

    def __init__(self, home: Home) -> None:
        """Follow entries into ``home``."""
        super().__init__()
        self.home = home
        self.inside: bool | None = None

    def fix(self, fix: Fix, reading: float) -> None:
        """Enter the zone: comfort."""
        home = self.home
        distance = haversine_m(
            home.latitude, home.longitude, fix.latitude, fix.longitude
        )
        inside = distance - (fix.accuracy or 0.0) < home.radius
        if inside and self.inside is False:
            self.setpoint = COMFORT
        self.inside = inside


def proximity_trigger(home: Home, fixes: Sequence[Fix]) -> datetime | None:
    """When "towards and under 5 km" first holds, by ``bench/detection.py``'s proximity.

    Each stretch of fixes within 5 km of the zone (with the fix before it, from which
    proximity takes the first direction) is given to ``proximity_episodes``; its first
    ``towards`` is the automation's trigger.
    """
    edge = [
        max(
            0.0,
            haversine_m(home.latitude, home.longitude, f.latitude, f.longitude)
            - home.radius,
        )
        < PROXIMITY_M
        for f in fixes
    ]
    reference = fixes[-1].timestamp + timedelta(days=1)
    k = 0
    while k < len(fixes):
        if not edge[k]:
            k += 1
            continue
        end = k
        while end < len(fixes) and edge[end]:
            end += 1
        drive = (
            sim.Drive(start=reference).mark("arrive").replay(fixes[max(k - 1, 0) : end])
        )
        episodes, lead, _ = proximity_episodes(sim.Scenario(drive, home))
        if episodes and lead is not None:
            first = reference - timedelta(minutes=lead)
            # Back to the fix itself (the lead went through float minutes).
            times = [f.timestamp for f in fixes[k:end]]
            return min(times, key=lambda t: abs((t - first).total_seconds()))
        k = end
    return None


class Proximity(Strategy):
    """Comfort once proximity says towards within 5 km; never set back."""

    def __init__(self, home: Home, fixes: Sequence[Fix]) -> None:
        """Work out the trigger from the day's fixes."""
        super().__init__()
        self.trigger = proximity_trigger(home, fixes)

    def fix(self, fix: Fix, reading: float) -> None:
        """Comfort from the trigger (one of the fixes) on."""
        if self.trigger is not None and fix.timestamp >= self.trigger:
            self.setpoint = COMFORT


class Schedule(Strategy):
    """Comfort at a fixed time of day."""

    def __init__(self, at: datetime) -> None:
        """Switch at ``at``."""
        super().__init__()
        self.at = at

    def tick(self, now: datetime, reading: float) -> None:
        """Comfort from the scheduled time."""
        if now >= self.at:
            self.setpoint = COMFORT


class Homecoming(Strategy):
    """The engine and the routine runner's pre-heat rule."""

    def __init__(self, home: Home, rate: float) -> None:
        """Start a fresh detector; ``rate`` in °C per hour."""
        super().__init__()
        self.engine = ApproachDetector(home)
        self.rate = rate
        self.done = False

    def fix(self, fix: Fix, reading: float) -> None:
        """Feed the fix; react to transitions; check the pre-heat while approaching."""
        result = self.engine.update(fix)
        self._react(result.transitions)
        snapshot = self.engine.snapshot
        if (
            not self.done
            and snapshot.phase in (Phase.APPROACHING, Phase.ARRIVING)
            and should_start(
                now=fix.timestamp,
                eta=snapshot.eta,
                indoor=reading,
                target=COMFORT,
                rate_per_hour=self.rate,
                max_lead=MAX_LEAD,
            )
        ):
            self.done = True
            self.setpoint = COMFORT

    def tick(self, now: datetime, reading: float) -> None:
        """Let time pass: stops and silence may cancel the approach."""
        self._react(self.engine.advance(now))

    def _react(self, transitions: Sequence[Transition]) -> None:
        for transition in transitions:
            event = transition.event
            if event in (EventType.ARRIVING, EventType.ARRIVED):
                self.setpoint = COMFORT
                self.done = event is EventType.ARRIVING
            elif event is EventType.APPROACH_CANCELLED:
                if self.done:
                    self.setpoint = SETBACK
                self.done = False
            elif event is EventType.DEPARTED and not self.occupied:
                self.setpoint = SETBACK  # with somebody home the runner skips it


# --- one day --------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """What one strategy did on one day."""

    miss_min: float = 0.0
    burner_h: float = 0.0
    before_trip_h: float = 0.0
    changes: int = 0
    trace: list[float] = field(default_factory=list)


def run_day(day: Day, strategy: Strategy, *, keep_trace: bool = False) -> Outcome:
    """Simulate the house through the day under ``strategy``."""
    house = day.house
    room = Room(house, COMFORT)
    room.emitter = 0.0
    outcome = Outcome()
    fixes = day.fixes
    fix_times = [f.timestamp for f in fixes]
    steps = int((day.end - day.start).total_seconds() // STEP_S)
    number = (day.start - BENCH_EPOCH).days + HISTORY_DAYS
    setpoint = SETBACK
    nxt = 0
    for step in range(steps):
        now = day.start + timedelta(seconds=step * STEP_S)
        reading = room.reading()
        until = bisect_right(fix_times, now)
        while nxt < until:
            strategy.fix(fixes[nxt], reading)
            nxt += 1
        strategy.tick(now, reading)
        wanted = strategy.setpoint
        if now >= day.arrive:
            strategy.occupied = True
            if wanted != COMFORT:
                strategy.setpoint = wanted = COMFORT  # somebody is home: turns it up
        if wanted != setpoint:
            outcome.changes += 1
            setpoint = wanted
        hour = DAY_START_H + step * STEP_S / 3600.0
        if now >= day.arrive and room.temperature < MISS_BELOW:
            outcome.miss_min += STEP_S / 60.0
        burner = room.step(setpoint, house.outdoor(number + hour / 24.0, hour))
        outcome.burner_h += burner * STEP_S / 3600.0
        if now < day.trip_start:
            outcome.before_trip_h += burner * STEP_S / 3600.0
        if keep_trace:
            outcome.trace.append(room.temperature)
    return outcome


def strategies_for(day: Day, learned: float | None) -> dict[str, Strategy]:
    """Fresh strategies for one day."""
    midnight = day.start - timedelta(hours=DAY_START_H)
    return {
        "arrival": Arrival(day.home),
        "proximity": Proximity(day.home, day.fixes),
        "schedule": Schedule(midnight + timedelta(hours=SCHEDULE_H)),
        "Homecoming (set rate)": Homecoming(day.home, SET_RATE),
        "Homecoming (learned rate)": Homecoming(
            day.home, learned if learned is not None else SET_RATE
        ),
    }


# --- the run --------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """One strategy on one day."""

    day: Day
    strategy: str
    outcome: Outcome
    wasted_h: float
    """Burner hours beyond the set-back before the trip home started."""


@dataclass(slots=True)
class Learned:
    """The learned rate of one house against its known rates.

    ``true``: the set-back-to-comfort heat-up rate (:func:`true_rate`); ``ideal``: the
    median over the same heat-ups the learned rate was taken from of their rise over their
    duration, read on the true temperature (no noise, no rounding, every minute).
    """

    house: House
    true: float
    ideal: float | None
    learned: float | None
    periods: int

    def error(self, *, ideal: bool = False) -> float | None:
        """Relative error of the learned rate, percent."""
        known = self.ideal if ideal else self.true
        if self.learned is None or known is None:
            return None
        return 100.0 * (self.learned - known) / known


def _truth_at(truth: Sequence[float], moment: datetime) -> float:
    """Return the true temperature of the history at a sample's time (a minute's end)."""
    minute = round((moment - HISTORY_EPOCH).total_seconds() / STEP_S)
    return truth[minute - 1]


def learn_all(houses: Sequence[House]) -> list[Learned]:
    """Learn each house's rate from its simulated history."""
    out: list[Learned] = []
    for house in houses:
        samples, truth = history(house)
        estimate = learn_rate(samples)
        used = [p for p in find_periods(samples) if p.rate is not None]
        used = used[-RECENT_PERIODS:]
        ideal = (
            statistics.median(
                (_truth_at(truth, p.end) - _truth_at(truth, p.start))
                / ((p.end - p.start).total_seconds() / 3600)
                for p in used
            )
            if used
            else None
        )
        out.append(
            Learned(house, true_rate(house), ideal, estimate.rate, estimate.periods)
        )
    return out


def run_days(days: Sequence[Day], learned: Sequence[Learned]) -> list[Result]:
    """Every strategy on every day."""
    results: list[Result] = []
    for day in days:
        rate = learned[day.house.index].learned
        outcomes = {
            name: run_day(day, strategy)
            for name, strategy in strategies_for(day, rate).items()
        }
        # The reference: the set-back held until somebody is home.
        base = run_day(day, Strategy()).before_trip_h
        results.extend(
            Result(day, name, outcome, outcome.before_trip_h - base)
            for name, outcome in outcomes.items()
        )
    return results


def benchmark_days(houses: Sequence[House]) -> tuple[list[Day], float]:
    """One day per house and trip home; a false episode before it on one day in three."""
    real_home, real_by, closest = recorded_trips()
    days: list[Day] = []
    for house in houses:
        home_trips, false_trips = sim_trips(house.index)
        home_trips.append(real_home)
        false_trips.append(real_by)
        rng = random.Random(7_000 + house.index)
        for i, trip in enumerate(home_trips):
            k = house.index + i
            false = false_trips[(k // 3) % len(false_trips)] if k % 3 == 0 else None
            days.append(make_day(house, i, trip, false, rng))
    return days, closest


def sweep_days(houses: Sequence[House], distances_km: Sequence[float]) -> list[Day]:
    """Straight drives home of each length at 20 m/s, no false episodes."""
    days: list[Day] = []
    for house in houses:
        rng = random.Random(9_000 + house.index)
        for i, km in enumerate(distances_km):
            scenario = sim.straight_approach(km * 1_000.0, 20.0, seed=house.index)
            trip = Trip(
                f"{km:g} km",
                scenario.home,
                tuple(scenario.fixes),
                scenario.marks["arrive"],
            )
            days.append(make_day(house, i, trip, None, rng))
    return days


def _by(results: Sequence[Result], name: str) -> list[Result]:
    return [r for r in results if r.strategy == name]


def table(results: Sequence[Result]) -> list[str]:
    """Return the markdown table of the strategies over ``results``' days."""
    prox = _by(results, "proximity")
    prox_miss = sum(r.outcome.miss_min for r in prox)
    prox_burner = sum(r.outcome.burner_h for r in prox)
    lines = [
        (
            "| strategy | MissTime, min per arrival (mean) | arrivals with MissTime |"
            " proximity's MissTime ÷ this | heating h per day | vs proximity |"
            " heating h per day while nobody was coming home | thermostat changes"
            " per day |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in STRATEGIES:
        mine = _by(results, name)
        miss = [r.outcome.miss_min for r in mine]
        burner = [r.outcome.burner_h for r in mine]
        ratio = f"{prox_miss / sum(miss):.2f}" if sum(miss) else "no MissTime"
        lines.append(
            f"| {name} | {statistics.mean(miss):.1f} |"
            f" {100 * sum(1 for m in miss if m > 0) / len(miss):.0f} % | {ratio} |"
            f" {statistics.mean(burner):.2f} |"
            f" {100 * (sum(burner) / prox_burner - 1):+.1f} % |"
            f" {statistics.mean(r.wasted_h for r in mine):.3f} |"
            f" {statistics.mean(r.outcome.changes for r in mine):.2f} |"
        )
    return lines


def grouped_table(
    results: Sequence[Result], key: str, groups: Sequence[str], label: str
) -> list[str]:
    """Mean MissTime per arrival by house kind (``key="kind"``) or trip (``"trip"``)."""
    lines = [
        f"| {label} | "
        + " | ".join(STRATEGIES)
        + " | proximity ÷ Homecoming (set rate) | heating h, Homecoming (set rate)"
        " against proximity |",
        "|---|" + "---:|" * (len(STRATEGIES) + 2),
    ]
    for group in groups:
        cells: list[str] = []
        means: dict[str, float] = {}
        burner: dict[str, float] = {}
        for name in STRATEGIES:
            mine = [
                r.outcome
                for r in _by(results, name)
                if (r.day.house.kind if key == "kind" else r.day.trip) == group
            ]
            if not mine:
                break
            means[name] = statistics.mean(o.miss_min for o in mine)
            burner[name] = sum(o.burner_h for o in mine)
            cells.append(f"{means[name]:.1f}")
        if len(cells) < len(STRATEGIES):
            continue  # no such house or trip in this run
        ours = means["Homecoming (set rate)"]
        factor = f"{means['proximity'] / ours:.2f}" if ours else "∞"
        heat = 100 * (burner["Homecoming (set rate)"] / burner["proximity"] - 1)
        lines.append(
            f"| {group} | " + " | ".join(cells) + f" | {factor} | {heat:+.1f} % |"
        )
    return lines


def goal(results: Sequence[Result]) -> list[str]:
    """Whether Homecoming's MissTime is 5× lower than proximity's at no more heating."""
    prox = _by(results, "proximity")
    prox_miss = sum(r.outcome.miss_min for r in prox)
    prox_burner = sum(r.outcome.burner_h for r in prox)
    lines: list[str] = []
    for name in ("Homecoming (set rate)", "Homecoming (learned rate)"):
        mine = _by(results, name)
        miss = sum(r.outcome.miss_min for r in mine)
        burner = sum(r.outcome.burner_h for r in mine)
        factor = prox_miss / miss if miss else math.inf
        met = factor >= 5 and burner <= prox_burner
        lines.append(
            f"{name}: proximity's MissTime ÷ its MissTime = {factor:.2f} (goal: at"
            f" least 5), heating hours {100 * (burner / prox_burner - 1):+.1f} % against"
            f" proximity (goal: not more) → {'met' if met else 'NOT met'}"
        )
    return lines


def plots(
    results: Sequence[Result],
    learned: Sequence[Learned],
    example: Day,
    learned_rate: float | None,
) -> list[Path]:
    """Draw the PNGs into docs/images/; return their paths."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    IMAGES.mkdir(parents=True, exist_ok=True)
    # Homecoming's two rates often give the same curve: dashed over solid shows both.
    styles = dict(zip(STRATEGIES, ("-", "-", "-", "-", "--"), strict=True))
    markers = dict(zip(STRATEGIES, ("o", "o", "o", "o", "x"), strict=True))
    paths: list[Path] = []
    colours = dict(
        zip(
            STRATEGIES,
            ("#888888", "#d62728", "#9467bd", "#1f77b4", "#2ca02c"),
            strict=True,
        )
    )

    # 1. Comfort against heating.
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for name in STRATEGIES:
        mine = _by(results, name)
        ax.scatter(
            statistics.mean(r.outcome.burner_h for r in mine),
            statistics.mean(r.outcome.miss_min for r in mine),
            s=80,
            color=colours[name],
            marker=markers[name],
            label=name,
        )
    burners = [
        statistics.mean(r.outcome.burner_h for r in _by(results, name))
        for name in STRATEGIES
    ]
    ax.set_xlim(0.9 * min(burners), 1.1 * max(burners))
    ax.set_xlabel("heating (burner) hours per day (axis: ±10 %)")
    ax.set_ylabel("MissTime, mean minutes per arrival")
    ax.set_title("Comfort against heating, same houses and trips")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = IMAGES / "comfort-misstime.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

    # 2. MissTime distribution.
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    ax.boxplot(
        [[r.outcome.miss_min for r in _by(results, name)] for name in STRATEGIES],
        tick_labels=[n.replace("Homecoming ", "Homecoming\n") for n in STRATEGIES],
        showfliers=False,
    )
    ax.set_ylabel("MissTime per arrival, minutes")
    ax.set_title("MissTime per arrival (box: quartiles, whiskers 1.5 IQR)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    path = IMAGES / "comfort-misstime-box.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

    # 3. One day.
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for name, strategy in strategies_for(example, learned_rate).items():
        outcome = run_day(example, strategy, keep_trace=True)
        hours = [DAY_START_H + k * STEP_S / 3600.0 for k in range(len(outcome.trace))]
        ax.plot(
            hours,
            outcome.trace,
            color=colours[name],
            ls=styles[name],
            label=name,
            lw=2.5 if name == "Homecoming (set rate)" else 1.5,
        )
    arrive_h = (example.arrive - example.start).total_seconds() / 3600 + DAY_START_H
    trip_h = (example.trip_start - example.start).total_seconds() / 3600 + DAY_START_H
    ax.axvline(arrive_h, color="black", ls="--", lw=1)
    ax.axvline(trip_h, color="black", ls=":", lw=1)
    ax.axhline(MISS_BELOW, color="black", lw=0.5)
    ax.set_xlim(trip_h - 2.0, arrive_h + 3.0)
    ax.set_xlabel("hour of the day (dotted: the trip home starts; dashed: arrival)")
    ax.set_ylabel("indoor temperature, °C")
    ax.set_title(f"One day: {example.house.kind} house, {example.trip}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = IMAGES / "comfort-day.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

    # 4. Learned against known rates.
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), dpi=100)
    for ax, ideal, title in (
        (axes[0], True, "the same heat-ups, true temperature"),
        (axes[1], False, "set-back to comfort, mean outdoor"),
    ):
        for kind, *_ in KINDS:
            pts = [
                (known, x.learned)
                for x in learned
                if x.house.kind == kind
                and x.learned is not None
                and (known := x.ideal if ideal else x.true) is not None
            ]
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], label=kind, s=22)
        top = max(x.true for x in learned) * 1.15
        ax.plot([0, top], [0, top], color="black", lw=0.8)
        for factor in (0.8, 1.2):
            ax.plot([0, top], [0, top * factor], color="black", lw=0.5, ls=":")
        ax.set_xlabel(f"known rate, °C/h ({title})")
        ax.set_ylabel("learned rate, °C/h")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Learned heating rate against the known rate (dotted: ±20 %)")
    fig.tight_layout()
    path = IMAGES / "comfort-learned-rate.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)
    return paths


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=50)
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    houses = make_houses(args.houses)
    learned = learn_all(houses)
    learn_s = time.perf_counter() - began
    print(f"## Learned heating rate ({len(houses)} houses, {HISTORY_DAYS} days each)")
    print()
    learnt = sum(1 for x in learned if x.learned is not None)
    print(
        f"learned for {learnt} of {len(houses)} houses; valid heating periods per"
        f" house: median {statistics.median(x.periods for x in learned):.0f}"
    )
    print()
    for ideal, what in (
        (True, "the same heat-ups read on the true temperature"),
        (False, "the set-back-to-comfort heat-up (17 → 21 °C, mean outdoor)"),
    ):
        print(f"error against {what}:")
        print()
        for kind in (None, *(k for k, *_ in KINDS)):
            errors = [
                e
                for x in learned
                if (kind is None or x.house.kind == kind)
                and (e := x.error(ideal=ideal)) is not None
            ]
            if not errors:
                continue
            absolute = sorted(abs(e) for e in errors)
            print(
                f"- {kind or 'all'} ({len(errors)} houses): median"
                f" ±{statistics.median(absolute):.1f} %, 90th percentile"
                f" ±{absolute[int(0.9 * (len(absolute) - 1))]:.1f} %, worst"
                f" ±{absolute[-1]:.1f} % (signed median"
                f" {statistics.median(errors):+.1f} %)"
            )
        print()
    days, closest = benchmark_days(houses)
    results = run_days(days, learned)
    falses = sum(1 for d in days if d.false is not None)
    print(
        f"## Strategies: {len(days)} days ({len(houses)} houses × "
        f"{len(days) // len(houses)} trips home), {falses} of them with a false"
        f" episode first (the recorded drive-by passes {closest:.0f} m from home)"
    )
    print()
    print("All days:")
    print()
    print("\n".join(table(results)))
    print()
    print("\n".join(goal(results)))
    print()
    print("The days without a false episode (the trip home alone):")
    print()
    clean = [r for r in results if r.day.false is None]
    print("\n".join(table(clean)))
    print()
    print("Mean MissTime per arrival (minutes), all days, by kind of house:")
    print()
    kinds = [k for k, *_ in KINDS]
    print("\n".join(grouped_table(results, "kind", kinds, "house")))
    print()
    print("...and by trip home (days without a false episode):")
    print()
    trips = list(dict.fromkeys(d.trip for d in days))
    print("\n".join(grouped_table(clean, "trip", trips, "trip home")))
    print()
    distances = (5.0, 10.0, 20.0, 30.0, 40.0)
    sweep = run_days(sweep_days(houses, distances), learned)
    print(
        "Straight drives home at 72 km/h, by length (mean MissTime per arrival, min):"
    )
    print()
    print(
        "\n".join(
            grouped_table(sweep, "trip", [f"{km:g} km" for km in distances], "drive")
        )
    )
    fast = [r for r in sweep if r.day.house.kind == "forced air"]
    if fast:
        print()
        print("...the forced-air houses alone (the fastest heat-ups):")
        print()
        print(
            "\n".join(
                grouped_table(fast, "trip", [f"{km:g} km" for km in distances], "drive")
            )
        )
    if not args.no_plots:
        example = next(
            (
                d
                for d in days
                if d.trip == "recorded drive home, 13 km"
                and d.house.kind == "radiators"
            ),
            days[0],
        )
        rate = learned[example.house.index].learned
        print()
        for path in plots(results, learned, example, rate):
            print(f"plot: {path.relative_to(ROOT)}")
    print(f"\n{time.perf_counter() - began:.0f} s (learning {learn_s:.0f} s)")


if __name__ == "__main__":
    main()

"""Detection quality: Homecoming's engine against core ``proximity``'s rule, same drives.

Run from the repository root:  .venv/bin/python -m bench.detection [--seeds N] [--in-car]

Each scenario of the drive simulator (``devtools/sim.py``) is fed, fix by fix, to the engine
and to a re-implementation of the rule the built-in ``proximity`` integration uses: the
direction of travel from the last two samples only (``towards`` when the distance to the
zone edge shrank by more than the 1 m tolerance, ``away_from`` when it grew, else
``stationary``), no accuracy, no time window. Counted per drive:

* *episodes*: how often "coming home" began — for proximity a change into ``towards``,
  for Homecoming an ``approach_started``. One trip home should give exactly one; a parked
  car or a drive-by should give none (Homecoming may give one drive-by approach, which it
  cancels);
* *lead*: how long before the true arrival the first episode began (trips home only);
* *delay*: how long after the first fix of the trip home (the mark ``homeward`` where the
  drive has one, else its first fix) the first episode began (trips home only). A car
  already driving towards home should be noticed within seconds.

With ``--in-car`` the same drives go to Homecoming twice instead: once as they are, once
with every fix marked ``in_car`` (the phone the car follows is in the car, so the car is
known to be driving: :attr:`~custom_components.homecoming.engine.Settings.in_car_fixes`
and the in-car progress settings apply), and the table compares the two. Every scenario is
run with the signal on, the parked and drive-by ones too (someone sitting in a parked car
with the phone connected), so a false approach the signal causes would show.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from datetime import datetime
import statistics

from custom_components.homecoming.engine import ApproachDetector, EventType
from custom_components.homecoming.engine.geo import haversine_m
from devtools import sim

TOLERANCE_M = 1.0
"""proximity's default tolerance."""


@dataclass
class Counts:
    """Episodes and lead times of one detector over one scenario's drives."""

    episodes: list[int]
    leads: list[float]
    delays: list[float]


type Outcome = tuple[int, float | None, float | None]
"""Episodes, lead of the first (minutes) and its delay (seconds)."""


def proximity_episodes(scenario: sim.Scenario) -> Outcome:
    """Count proximity's "towards" episodes, the lead and delay of the first one."""
    home = scenario.home
    previous: float | None = None
    direction = "stationary"
    episodes = 0
    first = None
    for fix in scenario.fixes:
        distance = max(
            0.0,
            haversine_m(home.latitude, home.longitude, fix.latitude, fix.longitude)
            - home.radius,
        )
        if previous is not None:
            delta = distance - previous
            new = (
                "towards"
                if delta < -TOLERANCE_M
                else "away_from"
                if delta > TOLERANCE_M
                else "stationary"
            )
            if new == "towards" and direction != "towards":
                episodes += 1
                first = first or fix.timestamp
            direction = new
        previous = distance
    return episodes, _lead(scenario, first), _delay(scenario, first)


def homecoming_episodes(scenario: sim.Scenario, *, in_car: bool = False) -> Outcome:
    """Count Homecoming's approaches, the lead and delay of the first one.

    ``in_car``: every fix is marked as coming from a phone in the car.
    """
    engine = ApproachDetector(scenario.home)
    episodes = 0
    first = None
    for fix in scenario.fixes:
        marked = replace(fix, in_car=True) if in_car else fix
        for transition in engine.update(marked).transitions:
            if transition.event is EventType.APPROACH_STARTED:
                episodes += 1
                first = first or transition.timestamp
    return episodes, _lead(scenario, first), _delay(scenario, first)


def _lead(scenario: sim.Scenario, first: datetime | None) -> float | None:
    arrive = scenario.marks.get("arrive")
    if arrive is None or first is None:
        return None
    return (arrive - first).total_seconds() / 60.0


def _delay(scenario: sim.Scenario, first: datetime | None) -> float | None:
    marks = scenario.marks
    if "arrive" not in marks or first is None:
        return None
    homeward = marks.get("homeward", scenario.fixes[0].timestamp)
    return (first - homeward).total_seconds()


SCENARIOS = {
    "trip home, 10 km": lambda seed: sim.straight_approach(seed=seed),
    "trip home, 3 km in town": lambda seed: sim.straight_approach(
        3_000.0, 10.0, seed=seed
    ),
    "trip home, 25 km motorway": lambda seed: sim.straight_approach(
        25_000.0, 30.0, seed=seed
    ),
    "leaving a car park, 6 km": lambda seed: sim.car_park_exit(seed=seed),
    "errand 1 km and back": lambda seed: sim.short_errand(seed=seed),
    "trip home, 1 fix / 3 min": lambda seed: sim.sparse_trip_with_stop(seed=seed),
    "trip home, 10-min crawl": lambda seed: sim.crawling_jam(seed=seed),
    "trip home with red lights": lambda seed: sim.red_lights(seed=seed),
    "trip home, 4-min jam": lambda seed: sim.jam(seed=seed),
    "trip home, tunnel": lambda seed: sim.tunnel(seed=seed),
    "drive-by at 800 m": lambda seed: sim.drive_by(closest_m=800.0, seed=seed),
    "8 h parked at home": lambda seed: sim.parked_drift(hours=8, seed=seed),
    "8 h parked 1.5 km away": lambda seed: sim.parked_drift(
        hours=8, at_m=1_500.0, seed=seed
    ),
    "drive-by at 1.5 km": lambda seed: sim.drive_by(closest_m=1_500.0, seed=seed),
    "far away, cell fixes": lambda seed: sim.cell_fixes_far(seed=seed),
}


def _median(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f}" if values else "–"


def in_car_table(seeds: int) -> None:
    """Print Homecoming on the same drives without and with the in-car signal."""
    print(
        f"{seeds} drives per scenario; episodes: mean (max); lead: median minutes"
        " before arrival; delay: median seconds after the trip home began"
    )
    print(
        f"{'scenario':<28} {'no signal episodes':>19} {'lead':>6} {'delay':>6}"
        f" {'in car episodes':>16} {'lead':>6} {'delay':>6}"
    )
    totals: dict[bool, Counts] = {False: Counts([], [], []), True: Counts([], [], [])}
    gains: list[float] = []
    for name, build in SCENARIOS.items():
        results = {False: Counts([], [], []), True: Counts([], [], [])}
        for seed in range(seeds):
            scenario = build(seed)
            outcomes = {
                in_car: homecoming_episodes(scenario, in_car=in_car)
                for in_car in (False, True)
            }
            for in_car, (episodes, lead, delay) in outcomes.items():
                for counts in (results[in_car], totals[in_car]):
                    counts.episodes.append(episodes)
                    if lead is not None:
                        counts.leads.append(lead)
                    if delay is not None:
                        counts.delays.append(delay)
            off, on = outcomes[False][2], outcomes[True][2]
            if off is not None and on is not None:
                gains.append(off - on)
        cells = [
            (
                f"{statistics.mean(counts.episodes):.1f} ({max(counts.episodes)})",
                _median(counts.leads, 1),
                _median(counts.delays, 0),
            )
            for counts in (results[False], results[True])
        ]
        print(
            f"{name:<28} {cells[0][0]:>19} {cells[0][1]:>6} {cells[0][2]:>6}"
            f" {cells[1][0]:>16} {cells[1][1]:>6} {cells[1][2]:>6}"
        )
    print(
        "median delay over every trip home:"
        f" no signal {_median(totals[False].delays, 1)} s,"
        f" in car {_median(totals[True].delays, 1)} s;"
        f" median lead gained per drive {_median(gains, 1)} s"
        f" (mean {statistics.mean(gains):.1f} s, max {max(gains):.1f} s)"
    )


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--in-car",
        action="store_true",
        help="compare Homecoming without and with the in-car signal",
    )
    args = parser.parse_args()
    if args.in_car:
        in_car_table(args.seeds)
        return
    print(
        f"{args.seeds} drives per scenario; episodes: mean (max); lead: median"
        " minutes before arrival; delay: median seconds after the trip home began"
    )
    print(
        f"{'scenario':<28} {'proximity episodes':>19} {'lead':>6} {'delay':>6}"
        f" {'Homecoming episodes':>20} {'lead':>6} {'delay':>6}"
    )
    all_delays: dict[str, list[float]] = {"proximity": [], "homecoming": []}
    for name, build in SCENARIOS.items():
        results = {
            "proximity": Counts([], [], []),
            "homecoming": Counts([], [], []),
        }
        for seed in range(args.seeds):
            scenario = build(seed)
            for key, run in (
                ("proximity", proximity_episodes),
                ("homecoming", homecoming_episodes),
            ):
                episodes, lead, delay = run(scenario)
                results[key].episodes.append(episodes)
                if lead is not None:
                    results[key].leads.append(lead)
                if delay is not None:
                    results[key].delays.append(delay)
                    all_delays[key].append(delay)
        cells = []
        for key in ("proximity", "homecoming"):
            counts = results[key]
            mean = statistics.mean(counts.episodes)
            lead = f"{statistics.median(counts.leads):.1f}" if counts.leads else "–"
            delay = f"{statistics.median(counts.delays):.0f}" if counts.delays else "–"
            cells.append((f"{mean:.1f} ({max(counts.episodes)})", lead, delay))
        print(
            f"{name:<28} {cells[0][0]:>19} {cells[0][1]:>6} {cells[0][2]:>6}"
            f" {cells[1][0]:>20} {cells[1][1]:>6} {cells[1][2]:>6}"
        )
    print(
        "median delay over every trip home:"
        f" proximity {statistics.median(all_delays['proximity']):.0f} s,"
        f" Homecoming {statistics.median(all_delays['homecoming']):.0f} s"
    )


if __name__ == "__main__":
    main()

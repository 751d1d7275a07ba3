"""Detection quality: Homecoming's engine against core ``proximity``'s rule, same drives.

Run from the repository root:  .venv/bin/python bench/detection.py [--seeds N]

Each scenario of the drive simulator (``tests/sim.py``) is fed, fix by fix, to the engine
and to a re-implementation of the rule the built-in ``proximity`` integration uses: the
direction of travel from the last two samples only (``towards`` when the distance to the
zone edge shrank by more than the 1 m tolerance, ``away_from`` when it grew, else
``stationary``), no accuracy, no time window. Counted per drive:

* *episodes*: how often "coming home" began — for proximity a change into ``towards``,
  for Homecoming an ``approach_started``. One trip home should give exactly one; a parked
  car or a drive-by should give none (Homecoming may give one drive-by approach, which it
  cancels);
* *lead*: how long before the true arrival the first episode began (trips home only).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
import statistics
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.homecoming.engine import ApproachDetector, EventType
from custom_components.homecoming.engine.geo import haversine_m
from tests import sim

TOLERANCE_M = 1.0
"""proximity's default tolerance."""


@dataclass
class Counts:
    """Episodes and lead times of one detector over one scenario's drives."""

    episodes: list[int]
    leads: list[float]


def proximity_episodes(scenario: sim.Scenario) -> tuple[int, float | None]:
    """Count proximity's "towards" episodes and the lead of the first one."""
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
    return episodes, _lead(scenario, first)


def homecoming_episodes(scenario: sim.Scenario) -> tuple[int, float | None]:
    """Count Homecoming's approaches and the lead of the first one."""
    engine = ApproachDetector(scenario.home)
    episodes = 0
    first = None
    for fix in scenario.fixes:
        for transition in engine.update(fix).transitions:
            if transition.event is EventType.APPROACH_STARTED:
                episodes += 1
                first = first or transition.timestamp
    return episodes, _lead(scenario, first)


def _lead(scenario: sim.Scenario, first: object) -> float | None:
    arrive = scenario.marks.get("arrive")
    if arrive is None or first is None:
        return None
    return (arrive - first).total_seconds() / 60.0  # type: ignore[operator]


SCENARIOS = {
    "trip home, 10 km": lambda seed: sim.straight_approach(seed=seed),
    "trip home with red lights": lambda seed: sim.red_lights(seed=seed),
    "trip home, 4-min jam": lambda seed: sim.jam(seed=seed),
    "trip home, tunnel": lambda seed: sim.tunnel(seed=seed),
    "drive-by at 800 m": lambda seed: sim.drive_by(closest_m=800.0, seed=seed),
    "8 h parked at home": lambda seed: sim.parked_drift(hours=8, seed=seed),
    "8 h parked 1.5 km away": lambda seed: sim.parked_drift(
        hours=8, at_m=1_500.0, seed=seed
    ),
}


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    print(
        f"{args.seeds} drives per scenario; episodes: mean (max); lead: median minutes"
    )
    print(
        f"{'scenario':<28} {'proximity episodes':>19} {'lead':>6}"
        f" {'Homecoming episodes':>20} {'lead':>6}"
    )
    for name, build in SCENARIOS.items():
        results = {"proximity": Counts([], []), "homecoming": Counts([], [])}
        for seed in range(args.seeds):
            scenario = build(seed)
            for key, run in (
                ("proximity", proximity_episodes),
                ("homecoming", homecoming_episodes),
            ):
                episodes, lead = run(scenario)
                results[key].episodes.append(episodes)
                if lead is not None:
                    results[key].leads.append(lead)
        cells = []
        for key in ("proximity", "homecoming"):
            counts = results[key]
            mean = statistics.mean(counts.episodes)
            lead = f"{statistics.median(counts.leads):.1f}" if counts.leads else "–"
            cells.append((f"{mean:.1f} ({max(counts.episodes)})", lead))
        print(
            f"{name:<28} {cells[0][0]:>19} {cells[0][1]:>6}"
            f" {cells[1][0]:>20} {cells[1][1]:>6}"
        )


if __name__ == "__main__":
    main()

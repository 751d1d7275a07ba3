"""Benchmark: fixes per second through the engine, against a bare haversine loop.

Run from the repository root:  .venv/bin/python -m bench.engine [--fixes N] [--repeat R]

Both loops see the same fixes (a realistic mix built with the test drive simulator:
approaches with stops, a drive-by, a night of GPS drift at home). The bare loop only
computes the distance of each fix to home, which is the floor any detector pays; the
ratio says what the detection logic costs on top. Single process, one core.
"""

from __future__ import annotations

import argparse
import gc
import platform
import time

from custom_components.homecoming.engine import ApproachDetector, Fix, Home
from custom_components.homecoming.engine.geo import haversine_m
from devtools import sim


def workload(count: int) -> tuple[Home, list[Fix]]:
    """Build about ``count`` fixes of mixed driving, one drive after another in time."""
    drive = sim.Drive(seed=42).at(0.0, 0.0).drift(3_600.0, wild_every=25)
    while len(drive) < count:
        drive.route([sim.along(70.0, 4_000.0), sim.along(110.0, 15_000.0)], 22.0)
        drive.stop(300.0)
        drive.route([sim.along(100.0, 6_000.0), sim.along(60.0, 1_500.0)], 15.0)
        drive.stop(45.0).drive_to(0.0, 0.0, 10.0).drift(1_800.0, wild_every=25)
        drive.drive_to(1_200.0, -15_000.0, 25.0).drive_to(1_200.0, 15_000.0, 25.0)
        drive.drive_to(0.0, 0.0, 20.0).drift(1_800.0)
    return drive.home_zone(), drive.fixes[:count]


def run_engine(home: Home, fixes: list[Fix]) -> float:
    """Seconds to feed every fix to a fresh engine."""
    engine = ApproachDetector(home)
    update = engine.update
    start = time.perf_counter()
    for fix in fixes:
        update(fix)
    return time.perf_counter() - start


def run_haversine(home: Home, fixes: list[Fix]) -> float:
    """Seconds to compute each fix's distance to home and nothing else."""
    lat0 = home.latitude
    lon0 = home.longitude
    start = time.perf_counter()
    for fix in fixes:
        haversine_m(lat0, lon0, fix.latitude, fix.longitude)
    return time.perf_counter() - start


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home, fixes = workload(args.fixes)
    gc.disable()
    engine_best = min(run_engine(home, fixes) for _ in range(args.repeat))
    bare_best = min(run_haversine(home, fixes) for _ in range(args.repeat))
    gc.enable()
    engine_rate = len(fixes) / engine_best
    bare_rate = len(fixes) / bare_best
    print(
        f"python {platform.python_version()} on {platform.machine()}, {len(fixes)} fixes"
    )
    print(f"best of {args.repeat} runs")
    print(
        f"engine:          {engine_rate:>12,.0f} fixes/s  ({1e6 / engine_rate:.2f} us/fix)"
    )
    print(
        f"bare haversine:  {bare_rate:>12,.0f} fixes/s  ({1e6 / bare_rate:.2f} us/fix)"
    )
    print(
        f"ratio:           {bare_rate / engine_rate:>12.1f} x  (engine cost / haversine cost)"
    )
    print("target:          >= 50,000 fixes/s on one core")


if __name__ == "__main__":
    main()

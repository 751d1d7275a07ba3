"""Benchmark: fixes per second through the engine, against a bare haversine loop.

Run from the repository root:  .venv/bin/python -m bench.engine [--fixes N] [--repeat R]

Both loops see the same fixes (a realistic mix built with the test drive simulator:
approaches with stops, a drive-by, a night of GPS drift at home). The bare loop only
computes the distance of each fix to home, which is the floor any detector pays; the
ratio says what the detection logic costs on top. Single process, one core.

Each loop runs ``R`` times over all the fixes (the engine afresh each time), timed in
blocks of ``--block`` fixes. Two figures per loop: the best whole run, and the sum of each
block's best time over the runs, which leaves out most of what other processes on a
shared machine take (a block lasts a few milliseconds, a run a fraction of a second). Both loops
are measured the same way.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import gc
import platform
import time
from typing import TYPE_CHECKING

from custom_components.homecoming.engine import ApproachDetector, Fix, Home
from custom_components.homecoming.engine.geo import haversine_m
from devtools import sim

if TYPE_CHECKING:
    from collections.abc import Callable

TARGET_RATE: float = 300_000.0
"""Fixes per second the detector must reach on one core (docs/benchmarks.md)."""
TARGET_RATIO: float = 3.0
"""At most this many times the cost of the bare haversine loop."""


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


def run_engine(home: Home, blocks: list[list[Fix]]) -> list[float]:
    """Seconds to feed each block of fixes, in order, to one fresh engine."""
    engine = ApproachDetector(home)
    update = engine.update
    clock = time.perf_counter
    times = []
    for block in blocks:
        start = clock()
        for fix in block:
            update(fix)
        times.append(clock() - start)
    return times


def run_haversine(home: Home, blocks: list[list[Fix]]) -> list[float]:
    """Seconds to compute the distance to home of each block's fixes and nothing else."""
    lat0 = home.latitude
    lon0 = home.longitude
    clock = time.perf_counter
    times = []
    for block in blocks:
        start = clock()
        for fix in block:
            haversine_m(lat0, lon0, fix.latitude, fix.longitude)
        times.append(clock() - start)
    return times


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds for all the fixes: the best run, and the sum of each block's best."""

    best_run: float
    best_blocks: float


def measure(run: Callable[[], list[float]], repeat: int) -> Timing:
    """Run ``repeat`` times; keep the best whole run and each block's best."""
    runs = [run() for _ in range(repeat)]
    return Timing(
        best_run=min(sum(times) for times in runs),
        best_blocks=sum(min(block) for block in zip(*runs, strict=True)),
    )


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--block", type=int, default=2_000)
    args = parser.parse_args()
    home, fixes = workload(args.fixes)
    blocks = [fixes[i : i + args.block] for i in range(0, len(fixes), args.block)]
    gc.disable()
    engine = measure(lambda: run_engine(home, blocks), args.repeat)
    bare = measure(lambda: run_haversine(home, blocks), args.repeat)
    gc.enable()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {len(fixes)} fixes"
    )
    for label, engine_s, bare_s in (
        (f"best of {args.repeat} runs", engine.best_run, bare.best_run),
        (
            f"best of {args.repeat} per block of {args.block}",
            engine.best_blocks,
            bare.best_blocks,
        ),
    ):
        engine_rate = len(fixes) / engine_s
        bare_rate = len(fixes) / bare_s
        print(label)
        print(
            f"  engine:          {engine_rate:>12,.0f} fixes/s"
            f"  ({1e6 / engine_rate:.2f} us/fix)"
        )
        print(
            f"  bare haversine:  {bare_rate:>12,.0f} fixes/s"
            f"  ({1e6 / bare_rate:.2f} us/fix)"
        )
        print(
            f"  ratio:           {engine_s / bare_s:>12.2f} x"
            "  (engine cost / haversine cost)"
        )
    print(
        f"target:          >= {TARGET_RATE:,.0f} fixes/s on one core,"
        f" <= {TARGET_RATIO:.1f} x the bare haversine loop"
    )


if __name__ == "__main__":
    main()

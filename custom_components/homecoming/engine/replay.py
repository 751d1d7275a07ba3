"""Replay recorded drives through the approach engine and print what it decides.

Usage::

    python -m custom_components.homecoming.engine.replay [--home LAT,LON] [--radius M]
        [--json] TRACE...

Where to run it:

* installed with HACS: from Home Assistant's configuration directory (the one holding
  ``custom_components/``), with Home Assistant's own Python, e.g. in the container
  ``docker exec -it -w /config homeassistant python3 -m
  custom_components.homecoming.engine.replay /config/drive.gpx``. The engine needs no
  Home Assistant, so any Python >= 3.14 also runs it from the integration's folder:
  ``cd /config/custom_components/homecoming && python3 -m engine.replay drive.gpx``;
* in a clone of the repository: ``scripts/replay TRACE...`` (paths relative to where you
  run it), or ``.venv/bin/python -m custom_components.homecoming.engine.replay`` from
  the repository root.

Each trace (GPX, CSV or JSON lines, see :mod:`.traces`) is replayed on its own, with a
fresh :class:`ApproachDetector`, its fixes fed in file order. The default output is a readable
timeline per trace; ``--json`` prints one JSON object per transition and a summary
object per trace. A trace that cannot be read, or has no home, is reported on stderr
(``replay: PATH: reason``), the others are still replayed, and the exit status is 2.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
import json
import math
from pathlib import Path
import signal
import sys

from .detector import ApproachDetector
from .models import Fix, Home, RejectReason, Transition
from .traces import DEFAULT_HOME_RADIUS_M, TraceError, load_trace

EXIT_OK = 0
EXIT_TRACE_ERROR = 2


@dataclass(frozen=True, slots=True)
class _Place:
    latitude: float
    longitude: float


@dataclass(slots=True)
class _Tally:
    """What happened while replaying one trace."""

    fixes_read: int = 0
    fixes_used: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    transitions: int = 0

    def reasons(self) -> dict[str, int]:
        """Return the rejections by reason, in the order of :class:`RejectReason`."""
        order = [reason.value for reason in RejectReason]
        return {
            reason: self.rejected[reason]
            for reason in sorted(
                self.rejected,
                key=lambda r: (order.index(r) if r in order else len(order), r),
            )
        }

    def summary(self) -> dict[str, object]:
        """Return the summary as a JSON-ready dictionary."""
        return {
            "fixes_read": self.fixes_read,
            "fixes_used": self.fixes_used,
            "rejected": self.reasons(),
            "malformed": self.malformed,
            "transitions": self.transitions,
        }


def _place(text: str) -> _Place:
    """Parse ``LAT,LON`` for ``--home``."""
    latitude, _, longitude = text.partition(",")
    try:
        place = _Place(float(latitude), float(longitude))
        Home(latitude=place.latitude, longitude=place.longitude, radius=1.0)
    except ValueError:
        msg = f"expected LAT,LON in degrees, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return place


def _radius(text: str) -> float:
    """Parse a positive radius in metres for ``--radius``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        msg = f"expected a positive number of metres, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replay",
        description="Replay recorded drives (GPX, CSV, JSON lines) through the "
        "Homecoming approach engine.",
        epilog="A negative latitude needs the = form: --home=-33.92,18.42",
    )
    parser.add_argument(
        "--home",
        type=_place,
        metavar="LAT,LON",
        help="centre of home, overriding any home named in the traces",
    )
    parser.add_argument(
        "--radius",
        type=_radius,
        metavar="M",
        help="radius of home in metres (default: the trace's, else 100)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON lines: one per transition, then a summary per trace",
    )
    parser.add_argument("traces", nargs="+", metavar="TRACE", help="trace files")
    return parser


def _resolve_home(
    trace_home: Home | None, place: _Place | None, radius: float | None
) -> Home | None:
    """Combine the trace's home with the command-line overrides."""
    if trace_home is not None:
        if radius is None:
            radius = trace_home.radius
        if place is None:
            place = _Place(trace_home.latitude, trace_home.longitude)
    if place is None:
        return None
    if radius is None:
        radius = DEFAULT_HOME_RADIUS_M
    return Home(latitude=place.latitude, longitude=place.longitude, radius=radius)


def _distance(metres: float | None) -> str:
    if metres is None:
        return "–"
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"  # noqa: PLR2004


def _local_time(moment: datetime) -> str:
    return moment.astimezone().isoformat(timespec="seconds")


def _text_line(transition: Transition) -> str:
    eta = (
        "–"
        if transition.eta is None
        else transition.eta.astimezone().strftime("%H:%M:%S")
    )
    return (
        f"  {_local_time(transition.timestamp)}  {transition.event.value:<18}"
        f" {transition.phase.value:<11} {_distance(transition.distance_m):>9}  ETA {eta}"
    )


def _json_line(trace: str, transition: Transition) -> str:
    return json.dumps(
        {
            "trace": trace,
            "time": transition.timestamp.isoformat(),
            "event": transition.event.value,
            "phase": transition.phase.value,
            "distance_m": (
                None
                if transition.distance_m is None
                else round(transition.distance_m, 1)
            ),
            "eta": None if transition.eta is None else transition.eta.isoformat(),
        },
        ensure_ascii=False,
    )


def _text_summary(tally: _Tally) -> str:
    rejected = sum(tally.rejected.values())
    reasons = ", ".join(
        f"{reason} {count}" for reason, count in tally.reasons().items()
    )
    detail = f" ({reasons})" if reasons else ""
    return (
        f"  fixes read {tally.fixes_read}, used {tally.fixes_used}, "
        f"rejected {rejected}{detail}, malformed {tally.malformed}, "
        f"transitions {tally.transitions}"
    )


def _replay(name: str, home: Home, fixes: Sequence[Fix], as_json: bool) -> _Tally:
    """Feed ``fixes`` to a fresh engine, printing each transition as it happens."""
    tally = _Tally(fixes_read=len(fixes))
    engine = ApproachDetector(home)
    for fix in fixes:
        result = engine.update(fix)
        if result.accepted:
            tally.fixes_used += 1
        else:
            tally.rejected[result.reason.value if result.reason else "unknown"] += 1
        for transition in result.transitions:
            tally.transitions += 1
            if as_json:
                print(_json_line(name, transition))
            else:
                print(_text_line(transition))
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    """Run the replay tool; return the exit status (0, or 2 if a trace failed)."""
    args = _parser().parse_args(argv)
    place: _Place | None = args.home
    radius: float | None = args.radius
    as_json: bool = args.json
    status = EXIT_OK
    for name in args.traces:
        try:
            trace = load_trace(Path(name))
        except TraceError as err:
            print(f"replay: {name}: {err}", file=sys.stderr)
            status = EXIT_TRACE_ERROR
            continue
        home = _resolve_home(trace.home, place, radius)
        if home is None:
            print(
                f"replay: {name}: no home in the trace (give --home LAT,LON)",
                file=sys.stderr,
            )
            status = EXIT_TRACE_ERROR
            continue
        if not as_json:
            print(
                f"{name}: home {home.latitude:.6f},{home.longitude:.6f}"
                f" radius {home.radius:g} m"
            )
        tally = _replay(name, home, trace.fixes, as_json)
        tally.malformed = trace.malformed
        if as_json:
            print(json.dumps({"trace": name, "summary": tally.summary()}))
        else:
            print(_text_summary(tally))
    return status


if __name__ == "__main__":
    # Piped into `head` and the like: end quietly, as command-line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())

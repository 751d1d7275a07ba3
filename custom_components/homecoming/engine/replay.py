"""Replay recorded drives through the approach engine and print what it decides.

Usage::

    python -m custom_components.homecoming.engine.replay [--home LAT,LON] [--radius M]
        [--json] TRACE...
    python -m custom_components.homecoming.engine.replay --recorder DB --entity ID
        [--zone ZONE | --home LAT,LON [--radius M]] [--since TIME | --days N]
        [--until TIME] [--json]

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

With ``--recorder``, an entity's history is read from a copy of Home Assistant's
recorder database instead (:mod:`.recorder_db`) and replayed as the
``homecoming.replay`` action replays it (:mod:`.trips`): its transitions, then its
trips, drive-bys and cancelled approaches (docs/replay.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import difflib
import json
import math
from pathlib import Path
import re
import signal
import sqlite3
import sys

from .detector import ApproachDetector
from .models import Fix, Home, Transition
from .recorder_db import (
    RecorderDatabaseError,
    entity_ids,
    latest_state,
    open_database,
    read_states,
)
from .reports import zone_state_name
from .settings import Settings
from .traces import DEFAULT_HOME_RADIUS_M, TraceError, load_trace
from .trips import HistoryReplay, HistoryReplayer, Tally

EXIT_OK = 0
EXIT_TRACE_ERROR = 2
DEFAULT_DAYS = 14.0
"""The period ``--recorder`` replays without ``--since``: the last 14 days."""
MAX_DAYS = 3660
"""The longest period ``--days`` takes (ten years)."""
DEFAULT_ZONE = "zone.home"
"""The home zone ``--recorder`` reads without ``--zone``."""
ENTITY_ID = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
"""An entity id, as Home Assistant spells them."""


@dataclass(frozen=True, slots=True)
class _Place:
    latitude: float
    longitude: float


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
    # Home: a place, or (--recorder) the zone read from the database.
    home = parser.add_mutually_exclusive_group()
    home.add_argument(
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
    recorder = parser.add_argument_group(
        "recorder",
        "replay an entity's history from a copy of Home Assistant's recorder database"
        " (SQLite, opened read-only) instead of trace files",
    )
    recorder.add_argument(
        "--recorder", type=Path, metavar="DB", help="e.g. home-assistant_v2.db"
    )
    recorder.add_argument(
        "--entity",
        type=_entity_id,
        metavar="ENTITY_ID",
        help="the entity the car follows, e.g. device_tracker.car",
    )
    home.add_argument(
        "--zone",
        type=_entity_id,
        metavar="ZONE",
        help=f"with --recorder: the car's home zone, read from the database"
        f" (default: {DEFAULT_ZONE})",
    )
    period = recorder.add_mutually_exclusive_group()
    period.add_argument(
        "--since", type=_moment, metavar="TIME", help="ISO 8601 date or time"
    )
    period.add_argument(
        "--days",
        type=_days,
        default=DEFAULT_DAYS,
        metavar="N",
        help=f"the last N days (default {DEFAULT_DAYS:g})",
    )
    recorder.add_argument(
        "--until", type=_moment, metavar="TIME", help="ISO 8601 (default: now)"
    )
    parser.add_argument("traces", nargs="*", metavar="TRACE", help="trace files")
    return parser


def _entity_id(text: str) -> str:
    """Parse an entity id (``domain.object_id``) for ``--entity`` and ``--zone``."""
    if not ENTITY_ID.fullmatch(text):
        msg = f"expected an entity id such as device_tracker.car, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return text


def _moment(text: str) -> datetime:
    """Parse an ISO 8601 date or time for ``--since`` and ``--until`` (naive: local)."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.astimezone()  # local time, as Home Assistant shows it
        moment = moment.astimezone(UTC)
    except ValueError, OverflowError, OSError:
        msg = f"expected an ISO 8601 date or time, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return moment


def _days(text: str) -> float:
    """Parse a number of days for ``--days``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_DAYS:  # NaN too
        msg = f"expected a number of days over 0, at most {MAX_DAYS}, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


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


def _text_summary(tally: Tally) -> str:
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


def _replay(name: str, home: Home, fixes: Sequence[Fix], as_json: bool) -> Tally:
    """Feed ``fixes`` to a fresh engine, printing each transition as it happens."""
    tally = Tally(fixes_read=len(fixes))
    engine = ApproachDetector(home)
    for fix in fixes:
        result = engine.update(fix)
        tally.count(result)
        for transition in result.transitions:
            if as_json:
                print(_json_line(name, transition))
            else:
                print(_text_line(transition))
    return tally


def _recorder_home(
    connection: sqlite3.Connection, args: argparse.Namespace, end: datetime
) -> tuple[Home, str]:
    """Return the home (``--home``, else the zone's last state) and its state name.

    The state name is what a zone-based tracker shows inside the zone.
    """
    zone: str = args.zone or DEFAULT_ZONE
    place: _Place | None = args.home
    radius: float | None = args.radius
    # The zone as it was at the end, else as it is now (the recorder purges old
    # states: a zone that did not change for longer may have none before the end).
    recorded = latest_state(connection, zone, end) or latest_state(
        connection, zone, datetime.max.replace(tzinfo=UTC)
    )
    attributes = {} if recorded is None else recorded.attributes
    home_state = zone_state_name(zone, attributes)
    if place is None:
        try:
            place = _Place(attributes["latitude"], attributes["longitude"])
            Home(latitude=place.latitude, longitude=place.longitude, radius=1.0)
        except KeyError, TypeError, ValueError:
            msg = f"no position of {zone} in the database (give --home LAT,LON)"
            raise RecorderDatabaseError(msg) from None
    if radius is None:
        zone_radius = attributes.get("radius")
        radius = (
            float(zone_radius)
            if isinstance(zone_radius, (int, float))
            and not isinstance(zone_radius, bool)
            and 0 < zone_radius < math.inf
            else DEFAULT_HOME_RADIUS_M
        )
    home = Home(latitude=place.latitude, longitude=place.longitude, radius=radius)
    return home, home_state


def _replay_recorder(args: argparse.Namespace, start: datetime, end: datetime) -> int:
    """Replay an entity's recorded history from a recorder database (``--recorder``)."""
    path: Path = args.recorder
    entity: str = args.entity
    as_json: bool = args.json
    try:
        with closing(open_database(path)) as connection:
            _check_entity(connection, entity)
            home, home_state = _recorder_home(connection, args, end)
            replayer = HistoryReplayer(
                home, Settings(), start, entity_id=entity, home_state=home_state
            )
            if not as_json:
                print(
                    f"{entity}: home {home.latitude:.6f},{home.longitude:.6f}"
                    f" radius {home.radius:g} m, {_local_time(start)}"
                    f" to {_local_time(end)}"
                )
            for recorded in read_states(connection, entity, start, end):
                _print(entity, replayer.feed(recorded), as_json)
    except RecorderDatabaseError as err:
        print(f"replay: {path}: {err}", file=sys.stderr)
        return EXIT_TRACE_ERROR
    _print(entity, replayer.finish(end), as_json)
    result = replayer.result
    if as_json:
        print(json.dumps({"trace": entity, **result.as_dict(UTC)}, ensure_ascii=False))
    else:
        print(_history_summary(result))
    return EXIT_OK


def _check_entity(connection: sqlite3.Connection, entity: str) -> None:
    """Refuse an entity the recorder has no states of, naming those close to it."""
    known = entity_ids(connection)
    if entity in known:
        return
    close = difflib.get_close_matches(entity, known, n=3)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    msg = f"no entity {entity} in the recorder's database{hint}"
    raise RecorderDatabaseError(msg)


def _print(name: str, transitions: Sequence[Transition], as_json: bool) -> None:
    for transition in transitions:
        print(_json_line(name, transition) if as_json else _text_line(transition))


def _history_summary(result: HistoryReplay) -> str:
    """Return the readable summary of a replayed history (two lines)."""
    summary = result.summary()
    median = summary["median_lead_s"]
    lead = "–" if median is None else f"{median / 60:.1f} min"
    ignored = {reason: count for reason, count in result.ignored().items() if count}
    detail = ", ".join(f"{reason} {count}" for reason, count in ignored.items())
    return (
        f"  trips home {summary['trips_home']}, median lead {lead}, false approaches"
        f" {summary['false_approaches']} (drive-bys {summary['drive_bys']},"
        f" cancelled {summary['cancelled_approaches']}), departures"
        f" {summary['departures']}\n"
        f"  states {summary['states']}, used {summary['fixes_used']}, ignored"
        f" {sum(ignored.values())}{f' ({detail})' if detail else ''}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the replay tool; return the exit status (0, or 2 if a trace failed)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.recorder is not None:
        if args.traces:
            parser.error("give either --recorder or trace files, not both")
        if args.entity is None:
            parser.error("--recorder needs --entity")
        end: datetime = args.until or datetime.now(UTC)
        start: datetime = args.since or end - timedelta(days=args.days)
        if start >= end:
            parser.error(
                "--since must be before --until (default: now):"
                f" {_local_time(start)} is not before {_local_time(end)}"
            )
        return _replay_recorder(args, start, end)
    if not args.traces:
        parser.error("the following arguments are required: TRACE")
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

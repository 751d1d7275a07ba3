"""Parsers of recorded drives (GPX, CSV, JSON lines) into :class:`Fix` values.

Recorded drives are the test bench of the engine: the replay tool
(:mod:`custom_components.homecoming.engine.replay`, whose docstring says how to run it
from a Home Assistant configuration directory or a clone) feeds them to it fix by fix. The parsers are forgiving about rows and strict about files. A row or point that
cannot become a :class:`Fix` is skipped and counted in :attr:`Trace.malformed`; a file
that is unreadable, of an unknown kind or without the columns a fix needs raises
:class:`TraceError`, and nothing else ever escapes.

Field values are converted in one place for all formats:

* timestamps: ISO 8601 (``Z``, an offset, or naive, which is read as UTC; also
  ``yyyy-MM-dd HH:mm:ss``), or epoch seconds, or epoch milliseconds (numbers above
  ``1e11``);
* numbers: numbers or their text;
* optional fields (accuracy, speed, heading): empty, missing, ``NaN`` or ``-1`` mean
  "not given".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
import csv
from dataclasses import dataclass
from datetime import datetime
import io
import json
import math
from pathlib import Path
import re
import xml.etree.ElementTree as ET

from .models import Fix, Home
from .values import read_number, read_time

DEFAULT_HOME_RADIUS_M = 100.0
"""Radius of a home taken from a trace that does not give one."""

_ALIASES: dict[str, tuple[str, ...]] = {
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "time": ("time", "timestamp", "tst"),
    "accuracy": ("accuracy", "acc"),
    "speed": ("speed",),
    "heading": ("heading", "bearing", "course"),
}
"""Accepted names (lower case) of each field in CSV headers and JSON objects."""

_REQUIRED = ("latitude", "longitude", "time")

_JSON_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})

_XML_DECLARATIONS = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Trace:
    """A recorded drive.

    ``fixes`` are in file order; ``home`` is the home the file names, if any;
    ``malformed`` counts the rows or points skipped because they make no fix.
    """

    fixes: tuple[Fix, ...]
    home: Home | None
    malformed: int


class TraceError(Exception):
    """A trace file that cannot be read or parsed at all."""


class _MalformedError(Exception):
    """A value (and so its row) that cannot be used."""


# --- field conversion -------------------------------------------------------------------


def _number(value: object) -> float | None:
    """Read a number or its text; ``None`` for empty, missing or NaN."""
    try:
        return read_number(value)
    except ValueError:
        raise _MalformedError from None


def _required_number(value: object) -> float:
    number = _number(value)
    if number is None:
        raise _MalformedError
    return number


def _optional(value: object) -> float | None:
    """Read an optional measurement: ``-1`` is the usual "unknown" marker."""
    number = _number(value)
    return None if number == -1 else number


def _timestamp(value: object) -> datetime:
    """Read an aware datetime from ISO 8601 text or epoch seconds/milliseconds."""
    try:
        return read_time(value)
    except ValueError:
        raise _MalformedError from None


def _fix(fields: Mapping[str, object]) -> Fix:
    """Build a :class:`Fix` from canonical field names, or raise :class:`_MalformedError`."""
    for name in _REQUIRED:
        if fields.get(name) is None:
            raise _MalformedError
    try:
        return Fix(
            latitude=_required_number(fields["latitude"]),
            longitude=_required_number(fields["longitude"]),
            timestamp=_timestamp(fields["time"]),
            accuracy=_optional(fields.get("accuracy")),
            speed=_optional(fields.get("speed")),
            heading=_optional(fields.get("heading")),
        )
    except ValueError, TypeError:
        raise _MalformedError from None


def _home(latitude: object, longitude: object, radius: object) -> Home:
    """Build a :class:`Home`, with the default radius when none is given."""
    size = _number(radius)
    try:
        return Home(
            latitude=_required_number(latitude),
            longitude=_required_number(longitude),
            radius=DEFAULT_HOME_RADIUS_M if size is None else size,
        )
    except ValueError, TypeError:
        raise _MalformedError from None


def _canonical(lookup: Callable[[str], object]) -> dict[str, object]:
    """Map canonical field names to the value of the first alias ``lookup`` finds."""
    fields: dict[str, object] = {}
    for name, aliases in _ALIASES.items():
        for alias in aliases:
            value = lookup(alias)
            if value is not None:
                fields[name] = value
                break
    return fields


class _Collector:
    """Accumulates fixes and counts malformed rows."""

    def __init__(self) -> None:
        self.fixes: list[Fix] = []
        self.home: Home | None = None
        self.malformed = 0

    def add[T](self, build: Callable[[T], Fix], source: T) -> None:
        try:
            self.fixes.append(build(source))
        except _MalformedError:
            self.malformed += 1

    def trace(self) -> Trace:
        return Trace(fixes=tuple(self.fixes), home=self.home, malformed=self.malformed)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


# --- GPX --------------------------------------------------------------------------------


def _local(tag: str) -> str:
    """Return the local name of an element tag, without its namespace."""
    return tag.rpartition("}")[2]


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if _local(child.tag) == name)


def _child_text(element: ET.Element, name: str) -> str | None:
    for child in _children(element, name):
        return child.text
    return None


def _extension_text(element: ET.Element, names: tuple[str, ...]) -> str | None:
    """Text of the first element named one of ``names`` inside ``<extensions>``."""
    for extensions in _children(element, "extensions"):
        for node in extensions.iter():
            if _local(node.tag) in names:
                return node.text
    return None


def _gpx_point(point: ET.Element) -> Fix:
    speed = _child_text(point, "speed")
    if speed is None:
        speed = _extension_text(point, ("speed",))
    heading = _child_text(point, "course")
    if heading is None:
        heading = _extension_text(point, ("course", "heading"))
    return _fix(
        {
            "latitude": point.get("lat"),
            "longitude": point.get("lon"),
            "time": _child_text(point, "time"),
            "accuracy": _extension_text(point, ("accuracy",)),
            "speed": speed,
            "heading": heading,
        }
    )


def _gpx_home(waypoint: ET.Element) -> Home | None:
    """Return the home from a waypoint named ``Home``, or ``None``."""
    name = _child_text(waypoint, "name")
    if name is None or name.strip().casefold() != "home":
        return None
    radius: float | None = None
    for text in (_extension_text(waypoint, ("radius",)), _child_text(waypoint, "desc")):
        try:
            candidate = _number(text)
        except _MalformedError:
            continue
        if candidate is not None and math.isfinite(candidate) and candidate > 0:
            radius = candidate
            break
    try:
        return _home(waypoint.get("lat"), waypoint.get("lon"), radius)
    except _MalformedError:
        return None


def parse_gpx(text: str) -> Trace:
    """Parse a GPX 1.0 or 1.1 document (any or no namespace).

    All ``trkpt`` of all ``trk/trkseg`` and all ``rtept`` of all ``rte`` become fixes, in
    document order. Speed comes from ``<speed>`` or an extension ``speed``, heading from
    ``<course>`` or an extension ``course``/``heading``, accuracy only from an extension
    ``accuracy`` (HDOP is not an accuracy). A waypoint named ``Home`` gives the home,
    its radius from an extension ``radius`` or a numeric ``<desc>`` (else 100 m).
    Documents with DOCTYPE or ENTITY declarations are refused (XML bombs).
    """
    if _XML_DECLARATIONS.search(text):
        msg = "GPX with DOCTYPE or ENTITY declarations is not accepted"
        raise TraceError(msg)
    try:
        # Declarations are refused above, so no entity can expand.
        root = ET.fromstring(text.removeprefix("\ufeff").lstrip())  # noqa: S314
    except (ET.ParseError, ValueError) as err:
        msg = f"not well-formed XML: {_one_line(err)}"
        raise TraceError(msg) from None
    if _local(root.tag) != "gpx":
        msg = f"not a GPX document (root element <{_local(root.tag)}>)"
        raise TraceError(msg)
    collected = _Collector()
    for child in root:
        match _local(child.tag):
            case "wpt":
                if collected.home is None:
                    collected.home = _gpx_home(child)
            case "trk":
                for segment in _children(child, "trkseg"):
                    for point in _children(segment, "trkpt"):
                        collected.add(_gpx_point, point)
            case "rte":
                for point in _children(child, "rtept"):
                    collected.add(_gpx_point, point)
            case _:
                pass
    return collected.trace()


# --- CSV --------------------------------------------------------------------------------


def parse_csv(text: str) -> Trace:
    """Parse CSV with a header row, delimited by ``,`` or ``;``.

    Column names are case-insensitive: ``latitude``/``lat``, ``longitude``/``lon``/``lng``
    and ``time``/``timestamp`` are required; ``accuracy``/``acc``, ``speed`` and
    ``heading``/``bearing``/``course`` are optional. Blank rows are ignored.
    """
    lines = text.removeprefix("\ufeff").splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        msg = "CSV without a header row"
        raise TraceError(msg)
    header_line = lines[header_at]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
        columns: dict[str, int] = {}
        for name, aliases in _ALIASES.items():
            found = [header.index(alias) for alias in aliases if alias in header]
            if found:
                columns[name] = found[0]
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            msg = f"CSV header lacks column(s): {', '.join(missing)}"
            raise TraceError(msg)
        collected = _Collector()
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            fields = {
                name: row[index] for name, index in columns.items() if index < len(row)
            }
            collected.add(_fix, fields)
    except csv.Error as err:
        msg = f"unreadable CSV at line {reader.line_num + header_at}: {_one_line(err)}"
        raise TraceError(msg) from None
    return collected.trace()


# --- JSON lines -------------------------------------------------------------------------


def _json_object(line: str) -> dict[str, object]:
    try:
        value: object = json.loads(line)
    except ValueError, RecursionError:
        raise _MalformedError from None
    if not isinstance(value, dict):
        raise _MalformedError
    return {str(key).strip().lower(): item for key, item in value.items()}


def _json_home(value: object) -> Home:
    if not isinstance(value, dict):
        raise _MalformedError
    spec = {str(key).strip().lower(): item for key, item in value.items()}
    place = _canonical(spec.get)
    return _home(place.get("latitude"), place.get("longitude"), spec.get("radius"))


def parse_jsonl(text: str) -> Trace:
    """Parse JSON lines: one object per line with the same keys as CSV.

    A line ``{"home": {"latitude": .., "longitude": .., "radius": ..}}`` sets the home
    (the first valid one; radius 100 m when absent). Blank lines are ignored.
    """
    collected = _Collector()
    for line in text.removeprefix("\ufeff").splitlines():
        if not line.strip():
            continue
        try:
            fields = _json_object(line)
        except _MalformedError:
            collected.malformed += 1
            continue
        if "home" not in fields:
            collected.add(_fix, _canonical(fields.get))
            continue
        try:
            found = _json_home(fields["home"])
        except _MalformedError:
            collected.malformed += 1
            continue
        if collected.home is None:
            collected.home = found
    return collected.trace()


# --- files ------------------------------------------------------------------------------


def _sniff(text: str) -> Callable[[str], Trace]:
    """Pick a parser from the content of a file with an unknown extension."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return parse_gpx
    if stripped.startswith("{"):
        return parse_jsonl
    return parse_csv


def load_trace(path: Path) -> Trace:
    """Read and parse a trace file, choosing the format by extension or content.

    ``.gpx``, ``.csv`` and ``.jsonl``/``.ndjson``/``.json`` are parsed as such; any other
    file is GPX if it starts with ``<``, JSON lines if its first line starts with ``{``,
    else CSV. The file must be UTF-8 text. Raises :class:`TraceError` when it cannot be
    read or parsed.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"cannot read: {err.strerror or _one_line(err)}"
        raise TraceError(msg) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        msg = "not UTF-8 text"
        raise TraceError(msg) from None
    if not text.strip():
        msg = "empty file"
        raise TraceError(msg)
    suffix = path.suffix.lower()
    if suffix == ".gpx":
        parser: Callable[[str], Trace] = parse_gpx
    elif suffix == ".csv":
        parser = parse_csv
    elif suffix in _JSON_SUFFIXES:
        parser = parse_jsonl
    else:
        parser = _sniff(text)
    return parser(text)

"""Push formats: turn a webhook request into fixes.

One URL accepts every format seen in the wild; the format is recognised from the request:

* Homecoming JSON: ``{"latitude", "longitude", "accuracy", "timestamp", "speed" (m/s),
  "heading", "ignition", "driver", "travel_time"}``, or a JSON array of them (a queue);
* OwnTracks HTTP: ``{"_type": "location", "lat", "lon", "tst", "acc", "vel" (km/h),
  "cog"}``; other message types are acknowledged and ignored; the reply is ``[]``;
* Traccar Client / OsmAnd: ``id``, ``lat``, ``lon``, ``timestamp``, ``speed`` (knots),
  ``bearing``, ``accuracy``, ``ignition``, ``driverUniqueId`` in the query string of a GET or
  POST, or as a form body (client 10.x); client 9.x JSON
  ``{"location": {"coords": {...}, "timestamp": ISO}, "device_id": ..}`` (also a list);
* GPSLogger form bodies: ``latitude``, ``longitude``, ``accuracy``, ``speed`` (m/s),
  ``direction``, optional ``timestamp``.

Units are normalised to metres per second; ``-1`` and empty values mean unknown;
timestamps may be epoch seconds or milliseconds, ISO 8601 or ``yyyy-MM-dd HH:mm:ss`` (UTC).
Unknown fields are ignored. Nothing here imports Home Assistant: the parsers are pure and
fuzzed on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
import json
import math
from typing import Any, Final
from urllib.parse import parse_qsl

from ..engine import Fix
from ..engine.values import read_number, read_time

KNOTS: Final = 0.514444
"""Metres per second in a knot (OsmAnd / Traccar speeds)."""
KMH: Final = 1 / 3.6
"""Metres per second in a km/h (OwnTracks speeds)."""

OWNTRACKS_REPLY: Final[list[Any]] = []
"""OwnTracks expects a JSON array in reply (commands to the phone; none here)."""

MAX_BATCH: Final = 100
"""Most positions accepted in one request (a queued upload)."""

FORM_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data"}
)


class PushError(ValueError):
    """A request that is not a valid push; the message is the short reason returned."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PushRequest:
    """The parts of an HTTP request a push is read from."""

    method: str
    query: Mapping[str, str]
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Push:
    """What a request carried: fixes (possibly none) and the reply its sender expects."""

    fixes: tuple[Fix, ...]
    format: str
    reply: Any = None


def parse_push(request: PushRequest, *, now: datetime) -> Push:
    """Read the fixes of a push; :class:`PushError` with a short reason if there are none.

    ``now`` stamps fixes that carry no time of their own.
    """
    query = request.query
    if "lat" in query:
        return Push(fixes=(_osmand(query, now),), format="osmand")
    if "latitude" in query:
        return Push(fixes=(_gpslogger(query, now),), format="gpslogger")
    body = request.body
    if not body.strip():
        raise PushError("empty request")
    if request.content_type in FORM_TYPES or (
        request.content_type != "application/json"
        and body.lstrip()[:1] not in (b"{", b"[")
    ):
        return _form(body, now)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise PushError("body is not valid JSON") from err
    return _json(data, now)


# ------------------------------------------------------------------ formats


def _form(body: bytes, now: datetime) -> Push:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PushError("body is not UTF-8") from err
    fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=200))
    if "lat" in fields:
        return Push(fixes=(_osmand(fields, now),), format="osmand")
    if "latitude" in fields:
        return Push(fixes=(_gpslogger(fields, now),), format="gpslogger")
    raise PushError("no latitude/longitude in the form")


def _json(data: Any, now: datetime) -> Push:
    if isinstance(data, list):
        if not data:
            raise PushError("empty list")
        if len(data) > MAX_BATCH:
            raise PushError(f"more than {MAX_BATCH} positions in one request")
        fixes = tuple(_native(item, now) for item in data)
        return Push(fixes=fixes, format="homecoming")
    if not isinstance(data, dict):
        raise PushError("JSON body must be an object or a list")
    if "_type" in data:
        if data["_type"] != "location":
            return Push(fixes=(), format="owntracks", reply=OWNTRACKS_REPLY)
        return Push(
            fixes=(_owntracks(data, now),), format="owntracks", reply=OWNTRACKS_REPLY
        )
    if "location" in data:
        locations = data["location"]
        items = locations if isinstance(locations, list) else [locations]
        if not items or len(items) > MAX_BATCH:
            raise PushError("location must hold 1 to 100 positions")
        return Push(
            fixes=tuple(_traccar_json(item, data, now) for item in items),
            format="traccar",
        )
    return Push(fixes=(_native(data, now),), format="homecoming")


def _native(data: Any, now: datetime) -> Fix:
    if not isinstance(data, dict):
        raise PushError("each position must be an object")
    return _fix(
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        timestamp=_time(data.get("timestamp"), now),
        accuracy=_optional(data.get("accuracy"), "accuracy"),
        speed=_optional(data.get("speed"), "speed"),
        heading=_optional(data.get("heading"), "heading"),
        ignition=_flag(data.get("ignition")),
        driver=_text(data.get("driver")),
        travel_time=_optional(data.get("travel_time"), "travel_time"),
    )


def _owntracks(data: dict[str, Any], now: datetime) -> Fix:
    vel = _optional(data.get("vel"), "vel")
    return _fix(
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        timestamp=_time(data.get("tst"), now),
        accuracy=_optional(data.get("acc"), "acc"),
        speed=None if vel is None else vel * KMH,
        heading=_optional(data.get("cog"), "cog"),
        ignition=None,
        driver=None,
        travel_time=None,
    )


def _traccar_json(item: Any, envelope: dict[str, Any], now: datetime) -> Fix:
    if not isinstance(item, dict) or not isinstance(coords := item.get("coords"), dict):
        raise PushError("location.coords missing")
    return _fix(
        latitude=coords.get("latitude"),
        longitude=coords.get("longitude"),
        timestamp=_time(item.get("timestamp"), now),
        accuracy=_optional(coords.get("accuracy"), "accuracy"),
        speed=_optional(coords.get("speed"), "speed"),
        heading=_optional(coords.get("heading"), "heading"),
        ignition=_flag(_extras(item).get("ignition")),
        driver=_text(_extras(item).get("driverUniqueId")),
        travel_time=None,
    )


def _extras(item: dict[str, Any]) -> dict[str, Any]:
    extras = item.get("extras")
    return extras if isinstance(extras, dict) else {}


def _osmand(fields: Mapping[str, str], now: datetime) -> Fix:
    knots = _optional(fields.get("speed"), "speed")
    return _fix(
        latitude=fields.get("lat"),
        longitude=fields.get("lon"),
        timestamp=_time(fields.get("timestamp"), now),
        accuracy=_optional(fields.get("accuracy"), "accuracy"),
        speed=None if knots is None else knots * KNOTS,
        heading=_optional(fields.get("bearing"), "bearing"),
        ignition=_flag(fields.get("ignition")),
        driver=_text(fields.get("driverUniqueId")),
        travel_time=None,
    )


def _gpslogger(fields: Mapping[str, str], now: datetime) -> Fix:
    return _fix(
        latitude=fields.get("latitude"),
        longitude=fields.get("longitude"),
        timestamp=_time(fields.get("timestamp") or fields.get("time"), now),
        accuracy=_optional(fields.get("accuracy"), "accuracy"),
        speed=_optional(fields.get("speed"), "speed"),
        heading=_optional(fields.get("direction"), "direction"),
        ignition=None,
        driver=None,
        travel_time=None,
    )


# ------------------------------------------------------------------ fields


def _fix(*, latitude: Any, longitude: Any, **fields: Any) -> Fix:
    if latitude is None or longitude is None or latitude == "" or longitude == "":
        raise PushError("latitude and longitude are required")
    lat = _number(latitude, "latitude")
    lon = _number(longitude, "longitude")
    try:
        return Fix(latitude=lat, longitude=lon, **fields)
    except (TypeError, ValueError) as err:
        raise PushError(str(err)) from err


def _number(value: Any, name: str) -> float:
    try:
        number = read_number(value)
    except ValueError:
        raise PushError(f"{name} is not a number") from None
    if number is None or not math.isfinite(number):
        raise PushError(f"{name} is not a finite number")
    return number


def _optional(value: Any, name: str) -> float | None:
    """Read an optional measurement: absent, empty, null or negative (-1) is unknown."""
    if value is None or value == "":
        return None
    number = _number(value, name)
    return None if number < 0 else number


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "on", "yes"):
            return True
        if lowered in ("false", "0", "off", "no"):
            return False
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        text = str(value).strip()[:64]
        return text or None
    return None


def _time(value: Any, now: datetime) -> datetime:
    """Read a position's time (see :func:`read_time`); without one, ``now``."""
    if value is None or value == "":
        return now
    try:
        moment = read_time(value)
    except ValueError as err:
        raise PushError(f"timestamp {err}") from None
    if moment.timestamp() <= 0:  # a device with no clock yet: no usable time
        raise PushError("timestamp is not a time")
    return moment

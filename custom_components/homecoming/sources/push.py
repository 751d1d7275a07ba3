"""Push formats: turn a webhook request into fixes.

One URL accepts every format seen in the wild; the format is recognised from the request
(docs/formats.md has the table of senders, units and valid ranges):

* Homecoming JSON: ``{"latitude", "longitude", "accuracy", "timestamp", "speed" (m/s),
  "heading", "ignition", "driver", "travel_time"}``, or a JSON array of them (a queue);
* OwnTracks HTTP: ``{"_type": "location", "lat", "lon", "tst", "acc", "vel" (km/h),
  "cog", "alt", "batt"}``; ``{"_type": "encrypted", "data"}`` is decrypted with the car's
  OwnTracks key (libsodium secretbox) and then read like a plain message; other message
  types are acknowledged and ignored; the reply is always ``[]``;
* Traccar Client / OsmAnd query: ``id``, ``lat``, ``lon``, ``timestamp``, ``speed``,
  ``bearing`` (or ``heading``), ``accuracy`` (or ``hdop``), ``altitude``, ``batt``,
  ``ignition``, ``driverUniqueId`` in the query string of a GET or POST, or as a form body
  (Traccar Client 10.x). Traccar Client sends knots; the OsmAnd app sends m/s and is told
  apart by its ``hdop`` without ``accuracy`` or ``batt``; ``speed_unit`` overrides both;
* Traccar Client 9.x JSON ``{"location": {"coords": {...}, "timestamp": ISO}, ...}``
  (also a list of locations), speeds in m/s;
* Traccar server forwarding (``forward.url`` with ``forward.json``, and
  ``event.forward.url``): ``{"position": {...}, "device": {...}}`` with ``fixTime``,
  ``speed`` in knots, ``course``, ``accuracy`` and ``attributes``; an event without a
  position, and a position that is not ``valid`` (or ``outdated``), move nothing;
* GPSLogger form bodies: ``latitude``, ``longitude``, ``accuracy``, ``speed`` (m/s),
  ``direction``, ``altitude``, ``battery``, optional ``timestamp`` or ``time``.

A query string that carries a position (``lat`` or ``latitude``) wins over the body
(the webhook passes no query for a signed request: its position is in the signed body).
Every number has a valid range (:data:`RANGES`): outside it the request is refused with a
short reason naming the field, so nothing invalid ever reaches the engine. Units are
normalised to metres, metres per second and degrees in ``[0, 360)``; ``-1``, negative
measurements and empty values mean unknown, and so does an accuracy of 0 (Android and
Traccar report 0 when they have none). Timestamps may be epoch seconds or milliseconds,
ISO 8601 or ``yyyy-MM-dd HH:mm:ss`` (UTC), within the years 2000 to 2099. Unknown fields
are ignored. Nothing here imports Home Assistant: the parsers are pure, never raise
anything but :class:`PushError`, and are fuzzed on their own.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import json
import math
from typing import Any, Final
from urllib.parse import parse_qsl

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from ..engine import Fix
from ..engine.models import LATEST_TIME
from ..engine.values import read_number, read_time

KNOTS: Final = 0.514444
"""Metres per second in a knot (Traccar Client and Traccar server speeds)."""
KMH: Final = 1 / 3.6
"""Metres per second in a km/h (OwnTracks speeds)."""
MPH: Final = 0.44704
"""Metres per second in a mile per hour."""
SPEED_UNITS: Final[Mapping[str, float]] = {
    "kn": KNOTS,
    "ms": 1.0,
    "kmh": KMH,
    "mph": MPH,
}
"""Values of the ``speed_unit`` parameter of the query format, in m/s."""

OWNTRACKS_REPLY: Final[list[Any]] = []
"""OwnTracks expects a JSON array in reply (commands to the phone; none here)."""

MAX_BATCH: Final = 100
"""Most positions accepted in one request (a queued upload)."""
MAX_FORM_FIELDS: Final = 200
"""Most fields read from a form body."""

QUERY_FIELDS: Final = frozenset(
    {
        # Traccar Client / OsmAnd
        "lat",
        "lon",
        "timestamp",
        "speed",
        "speed_unit",
        "bearing",
        "heading",
        "accuracy",
        "hdop",
        "altitude",
        "batt",
        "valid",
        "ignition",
        "driverUniqueId",
        # GPSLogger
        "latitude",
        "longitude",
        "time",
        "direction",
        "battery",
    }
)
"""Every field read from a query string: a signed request may carry none of them (its
position must come from the signed body)."""

FORM_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data"}
)

# Valid ranges (docs/formats.md): outside them a request is refused.
MAX_ACCURACY_M: Final = 100_000.0
"""Worst horizontal accuracy accepted (a country-sized cell fix is worse than useless)."""
MAX_SPEED_MS: Final = 150.0
"""Fastest speed accepted after unit conversion (540 km/h: anything faster is no car)."""
MAX_TRAVEL_TIME_S: Final = 86_400.0
"""Longest external travel time accepted (a day)."""
MIN_ALTITUDE_M: Final = -1_000.0
MAX_ALTITUDE_M: Final = 50_000.0
MAX_BATTERY_PERCENT: Final = 100.0
MAX_HDOP: Final = 100.0
"""Largest dimensionless HDOP accepted (NMEA tops out at 99.99)."""
FULL_CIRCLE: Final = 360.0
UERE_M: Final = 5.0
"""Metres of horizontal accuracy per unit of HDOP (a typical GNSS range error)."""
MAX_DRIVER_LENGTH: Final = 64
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
"""No car reports from before 2000; earlier times are clocks not yet set (GPS week
rollovers, boards before NTP)."""
LATEST: Final = LATEST_TIME
"""The engine's own limit (2100-01-01): timestamps must be in ``[EARLIEST, LATEST)``."""
YEARS: Final = f"years {EARLIEST.year} to {(LATEST - timedelta(microseconds=1)).year}"
OWNTRACKS_KEY_BYTES: Final = SecretBox.KEY_SIZE
NONCE_BYTES: Final = SecretBox.NONCE_SIZE

RANGES: Final[Mapping[str, str]] = {
    "latitude": "-90 to 90 degrees",
    "longitude": "-180 to 180 degrees",
    "accuracy": f"0 to {MAX_ACCURACY_M:g} m (0 and negative: unknown)",
    "speed": f"0 to {MAX_SPEED_MS:g} m/s after conversion (negative: unknown)",
    "heading": "any finite number, taken modulo 360 (-1: unknown)",
    "timestamp": f"the {YEARS} (absent: the time of arrival)",
    "travel_time": f"0 to {MAX_TRAVEL_TIME_S:g} s (negative: unknown)",
    "altitude": f"{MIN_ALTITUDE_M:g} to {MAX_ALTITUDE_M:g} m",
    "battery": f"0 to {MAX_BATTERY_PERCENT:g} % (negative: unknown)",
    "hdop": f"0 to {MAX_HDOP:g}, times {UERE_M:g} m (Traccar server attributes)",
    "ignition": "true/false, 1/0, on/off, yes/no",
    "driver": f"text or a whole number, at most {MAX_DRIVER_LENGTH} printable characters",
}
"""The documented valid range of every field, as docs/formats.md shows it."""

# Notes: what a request that moved nothing was, counted in the car's diagnostics.
NOTE_OWNTRACKS_IGNORED: Final = "owntracks_ignored"
"""An OwnTracks message that is not a location (transition, waypoint, lwt, ...)."""
NOTE_ENCRYPTED_NO_KEY: Final = "encrypted_no_key"
"""An encrypted OwnTracks message for a car with no OwnTracks key."""
NOTE_DECRYPT_FAILED: Final = "decrypt_failed"
"""An encrypted OwnTracks message that the car's key does not open."""
NOTE_NO_POSITION: Final = "no_position"
"""A Traccar server event without a position."""
NOTE_INVALID_POSITION: Final = "invalid_position"
"""A position its sender marks as not valid (no GPS fix) or outdated."""


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
    """What a request carried: fixes (possibly none) and the reply its sender expects.

    ``note`` says why a valid request carried no fix (one of the ``NOTE_*`` names);
    ``decrypted`` that it was an encrypted OwnTracks message the car's key opened.
    """

    fixes: tuple[Fix, ...]
    format: str
    reply: Any = None
    note: str | None = None
    decrypted: bool = False


def parse_push(request: PushRequest, *, now: datetime, owntracks_key: str = "") -> Push:
    """Read the fixes of a push; :class:`PushError` with a short reason if it is invalid.

    ``now`` stamps fixes that carry no time of their own; ``owntracks_key`` opens
    encrypted OwnTracks messages.
    """
    query = request.query
    if "lat" in query:
        return _query_format(query, now)
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
    return _json(data, now, owntracks_key)


# ------------------------------------------------------------------ formats


def _form(body: bytes, now: datetime) -> Push:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PushError("body is not UTF-8") from err
    try:
        fields = dict(
            parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        )
    except ValueError as err:
        raise PushError(f"more than {MAX_FORM_FIELDS} fields in the form") from err
    if "lat" in fields:
        return _query_format(fields, now)
    if "latitude" in fields:
        return Push(fixes=(_gpslogger(fields, now),), format="gpslogger")
    raise PushError("no latitude/longitude in the form")


def _json(data: Any, now: datetime, owntracks_key: str) -> Push:
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
        return _owntracks(data, now, owntracks_key)
    if "position" in data or ("event" in data and "device" in data):
        return _traccar_server(data, now)
    if "location" in data:
        locations = data["location"]
        items = locations if isinstance(locations, list) else [locations]
        if not items or len(items) > MAX_BATCH:
            raise PushError(f"location must hold 1 to {MAX_BATCH} positions")
        return Push(
            fixes=tuple(_traccar_json(item, now) for item in items),
            format="traccar_client",
        )
    return Push(fixes=(_native(data, now),), format="homecoming")


def _native(data: Any, now: datetime) -> Fix:
    if not isinstance(data, dict):
        raise PushError("each position must be an object")
    return _fix(
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        timestamp=_time(data.get("timestamp"), now),
        accuracy=_accuracy(data.get("accuracy"), "accuracy"),
        speed=_speed(data.get("speed"), "speed"),
        heading=_heading(data.get("heading"), "heading"),
        ignition=_flag(data.get("ignition"), "ignition"),
        driver=_driver(data.get("driver"), "driver"),
        travel_time=_travel_time(data.get("travel_time")),
    )


def _owntracks(data: dict[str, Any], now: datetime, key: str) -> Push:
    kind = data["_type"]
    if kind == "encrypted":
        return _owntracks_encrypted(data, now, key)
    if kind != "location":
        return Push(
            fixes=(),
            format="owntracks",
            reply=OWNTRACKS_REPLY,
            note=NOTE_OWNTRACKS_IGNORED,
        )
    _altitude(data.get("alt"), "alt")
    _battery(data.get("batt"), "batt")
    fix = _fix(
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        timestamp=_time(data.get("tst"), now, "tst"),
        accuracy=_accuracy(data.get("acc"), "acc"),
        speed=_speed(data.get("vel"), "vel", KMH),
        heading=_heading(data.get("cog"), "cog"),
    )
    return Push(fixes=(fix,), format="owntracks", reply=OWNTRACKS_REPLY)


def _owntracks_encrypted(data: dict[str, Any], now: datetime, key: str) -> Push:
    """Open an encrypted OwnTracks message and read it like a plain one.

    Without a key, or with one that does not open it, the message is acknowledged (the
    app would only send it again, holding back the positions queued behind it) and noted.
    """
    ciphertext = data.get("data")
    if not isinstance(ciphertext, str) or not ciphertext.strip():
        raise PushError("encrypted message has no data")
    if not key:
        return Push(
            fixes=(),
            format="owntracks",
            reply=OWNTRACKS_REPLY,
            note=NOTE_ENCRYPTED_NO_KEY,
        )
    plaintext = decrypt_owntracks(ciphertext, key)
    if plaintext is None:
        return Push(
            fixes=(),
            format="owntracks",
            reply=OWNTRACKS_REPLY,
            note=NOTE_DECRYPT_FAILED,
        )
    try:
        message = json.loads(plaintext)
    except (ValueError, RecursionError) as err:
        raise PushError("decrypted message is not valid JSON") from err
    if not isinstance(message, dict) or "_type" not in message:
        raise PushError("decrypted message is not an OwnTracks message")
    if message["_type"] == "encrypted":
        raise PushError("decrypted message is encrypted again")
    return replace(_owntracks(message, now, ""), decrypted=True)


def owntracks_key_bytes(key: str) -> bytes:
    """Return the secretbox key of an OwnTracks encryption key, as the apps derive it.

    The UTF-8 bytes of the key, cut to 32 bytes or padded with zero bytes to 32 (as core
    ``owntracks`` does).
    """
    return key.encode("utf-8")[:OWNTRACKS_KEY_BYTES].ljust(OWNTRACKS_KEY_BYTES, b"\0")


def decrypt_owntracks(ciphertext: str, key: str) -> bytes | None:
    """Open an OwnTracks ``data`` field (base64 of nonce + secretbox); None if it fails."""
    try:
        raw = base64.b64decode(ciphertext)
    except ValueError:
        return None
    if len(raw) < NONCE_BYTES + SecretBox.MACBYTES:
        return None
    try:
        return SecretBox(owntracks_key_bytes(key)).decrypt(raw)
    except CryptoError, ValueError, TypeError:
        return None


def _traccar_server(data: dict[str, Any], now: datetime) -> Push:
    """Read a Traccar server position or event forward.

    An event without a position, and a position without a valid fix (``valid: false``)
    or one Traccar copied from an earlier report (``outdated: true``), move nothing.
    """
    position = data.get("position")
    if position is None:
        return Push(fixes=(), format="traccar_server", note=NOTE_NO_POSITION)
    if not isinstance(position, dict):
        raise PushError("position must be an object")
    if _flag(position.get("valid"), "valid") is False or _flag(
        position.get("outdated"), "outdated"
    ):
        return Push(fixes=(), format="traccar_server", note=NOTE_INVALID_POSITION)
    attributes = position.get("attributes")
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, dict):
        raise PushError("attributes must be an object")
    _altitude(position.get("altitude"), "altitude")
    _battery(attributes.get("batteryLevel"), "batteryLevel")
    accuracy = _accuracy(position.get("accuracy"), "accuracy")
    hdop = _hdop(attributes.get("hdop"))
    if accuracy is None and hdop is not None:
        accuracy = hdop * UERE_M
    fix = _fix(
        latitude=position.get("latitude"),
        longitude=position.get("longitude"),
        timestamp=_time(position.get("fixTime"), now, "fixTime"),
        accuracy=accuracy,
        speed=_speed(position.get("speed"), "speed", KNOTS),
        heading=_heading(position.get("course"), "course"),
        ignition=_flag(attributes.get("ignition"), "ignition"),
        driver=_driver(attributes.get("driverUniqueId"), "driverUniqueId"),
    )
    return Push(fixes=(fix,), format="traccar_server")


def _traccar_json(item: Any, now: datetime) -> Fix:
    if not isinstance(item, dict) or not isinstance(coords := item.get("coords"), dict):
        raise PushError("location.coords missing")
    extras = item.get("extras")
    if not isinstance(extras, dict):
        extras = {}
    battery = item.get("battery")
    if isinstance(battery, dict):
        _battery(battery.get("level"), "battery.level", full=1.0, unit="")
    _altitude(coords.get("altitude"), "altitude")
    return _fix(
        latitude=coords.get("latitude"),
        longitude=coords.get("longitude"),
        timestamp=_time(item.get("timestamp"), now),
        accuracy=_accuracy(coords.get("accuracy"), "accuracy"),
        speed=_speed(coords.get("speed"), "speed"),
        heading=_heading(coords.get("heading"), "heading"),
        ignition=_flag(extras.get("ignition"), "ignition"),
        driver=_driver(extras.get("driverUniqueId"), "driverUniqueId"),
    )


def _query_format(fields: Mapping[str, str], now: datetime) -> Push:
    """Read the Traccar Client / OsmAnd query format (or its form body).

    The speed unit: ``speed_unit`` when given; else m/s for the OsmAnd app, which sends
    ``hdop`` (its horizontal accuracy in metres) and neither ``accuracy`` nor ``batt``;
    else knots, as Traccar Client and Traccar's URL forwarding send.
    """
    unit = fields.get("speed_unit")
    osmand = "hdop" in fields and "accuracy" not in fields and "batt" not in fields
    if unit is not None:
        if unit.strip().lower() not in SPEED_UNITS:
            raise PushError(f"speed_unit must be one of {', '.join(SPEED_UNITS)}")
        scale = SPEED_UNITS[unit.strip().lower()]
    else:
        scale = 1.0 if osmand else KNOTS
    sender = "osmand" if osmand else "traccar_client"
    if _flag(fields.get("valid"), "valid") is False:
        return Push(fixes=(), format=sender, note=NOTE_INVALID_POSITION)
    _altitude(fields.get("altitude"), "altitude")
    _battery(fields.get("batt"), "batt")
    # OsmAnd's "hdop" is its horizontal accuracy in metres; "accuracy" wins when given.
    accuracy = _accuracy(fields.get("accuracy"), "accuracy")
    hdop_m = _accuracy(fields.get("hdop"), "hdop")
    bearing = _heading(fields.get("bearing"), "bearing")
    heading = _heading(fields.get("heading"), "heading")
    fix = _fix(
        latitude=fields.get("lat"),
        longitude=fields.get("lon"),
        timestamp=_time(fields.get("timestamp"), now),
        accuracy=accuracy if fields.get("accuracy") else hdop_m,
        speed=_speed(fields.get("speed"), "speed", scale),
        heading=heading if not fields.get("bearing") else bearing,
        ignition=_flag(fields.get("ignition"), "ignition"),
        driver=_driver(fields.get("driverUniqueId"), "driverUniqueId"),
    )
    return Push(fixes=(fix,), format=sender)


def _gpslogger(fields: Mapping[str, str], now: datetime) -> Fix:
    _altitude(fields.get("altitude"), "altitude")
    _battery(fields.get("battery"), "battery")
    direction = _heading(fields.get("direction"), "direction")
    heading = _heading(fields.get("heading"), "heading")
    return _fix(
        latitude=fields.get("latitude"),
        longitude=fields.get("longitude"),
        timestamp=_time(fields.get("timestamp") or fields.get("time"), now),
        accuracy=_accuracy(fields.get("accuracy"), "accuracy"),
        speed=_speed(fields.get("speed"), "speed"),
        heading=heading if not fields.get("direction") else direction,
    )


# ------------------------------------------------------------------ fields


def _fix(
    *,
    latitude: Any,
    longitude: Any,
    timestamp: datetime,
    accuracy: float | None,
    speed: float | None,
    heading: float | None,
    ignition: bool | None = None,
    driver: str | None = None,
    travel_time: float | None = None,
) -> Fix:
    """Build a fix from checked fields; the coordinates are checked here."""
    lat = _coordinate(latitude, "latitude", 90.0)
    lon = _coordinate(longitude, "longitude", 180.0)
    try:
        return Fix(
            latitude=lat,
            longitude=lon,
            timestamp=timestamp,
            accuracy=accuracy,
            speed=speed,
            heading=heading,
            ignition=ignition,
            driver=driver,
            travel_time=travel_time,
        )
    except (TypeError, ValueError, OverflowError) as err:
        raise PushError(str(err)) from err


def _coordinate(value: Any, name: str, limit: float) -> float:
    if value is None or value == "":
        raise PushError("latitude and longitude are required")
    number = _number(value, name)
    if not -limit <= number <= limit:
        raise PushError(f"{name} must be between {-limit:g} and {limit:g}")
    return number


def _number(value: Any, name: str) -> float:
    try:
        number = read_number(value)
    except ValueError:
        raise PushError(f"{name} is not a number") from None
    if number is None or not math.isfinite(number):
        raise PushError(f"{name} is not a finite number")
    return number


def _optional(value: Any, name: str) -> float | None:
    """Read an optional number: absent, empty or null is unknown."""
    if value is None or value == "":
        return None
    return _number(value, name)


def _out_of_range(name: str, low: float, high: float, unit: str = "") -> PushError:
    """Return the refusal of a value outside ``[low, high]``."""
    return PushError(f"{name} is out of range ({low:g} to {high:g}{unit})")


def _measure(value: Any, name: str, high: float, unit: str = "") -> float | None:
    """Read an optional measurement in ``[0, high]``; negative (-1) is unknown."""
    number = _optional(value, name)
    if number is None or number < 0:
        return None
    if number > high:
        raise _out_of_range(name, 0.0, high, unit)
    return number


def _accuracy(value: Any, name: str) -> float | None:
    """Read an accuracy radius in metres; 0 is unknown (no receiver is exact)."""
    accuracy = _measure(value, name, MAX_ACCURACY_M, " m")
    return accuracy or None


def _speed(value: Any, name: str, scale: float = 1.0) -> float | None:
    """Read a speed in the sender's unit (``scale`` m/s each), checked in m/s."""
    number = _optional(value, name)
    if number is None or number < 0:
        return None
    speed = number * scale
    if speed > MAX_SPEED_MS:
        raise _out_of_range(name, 0.0, MAX_SPEED_MS, " m/s")
    return speed


def _heading(value: Any, name: str) -> float | None:
    """Read a direction in degrees, folded into ``[0, 360)``; -1 is unknown."""
    number = _optional(value, name)
    if number is None or number == -1:
        return None
    heading = number % FULL_CIRCLE
    return 0.0 if heading >= FULL_CIRCLE else heading  # -1e-20 % 360 rounds to 360.0


def _travel_time(value: Any) -> float | None:
    return _measure(value, "travel_time", MAX_TRAVEL_TIME_S, " s")


def _altitude(value: Any, name: str) -> float | None:
    """Check an altitude in metres (read, not used)."""
    number = _optional(value, name)
    if number is not None and not MIN_ALTITUDE_M <= number <= MAX_ALTITUDE_M:
        raise _out_of_range(name, MIN_ALTITUDE_M, MAX_ALTITUDE_M, " m")
    return number


def _battery(
    value: Any, name: str, full: float = MAX_BATTERY_PERCENT, unit: str = " %"
) -> float | None:
    """Check a battery level (read, not used): 0 to ``full``; negative is unknown."""
    return _measure(value, name, full, unit)


def _hdop(value: Any) -> float | None:
    """Read a dimensionless horizontal dilution of precision; 0 is unknown."""
    return _measure(value, "hdop", MAX_HDOP) or None


def _flag(value: Any, name: str) -> bool | None:
    """Read a yes/no; absent, empty or null is unknown, anything else is refused."""
    if value is None or value == "":
        return None
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
    raise PushError(f"{name} is not true or false")


def _driver(value: Any, name: str) -> str | None:
    """Read a driver id: text or a whole number, printable, at most 64 characters."""
    if value is None:
        return None
    too_long = f"{name} is longer than {MAX_DRIVER_LENGTH} characters"
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**MAX_DRIVER_LENGTH:  # before str(): no huge conversions
            raise PushError(too_long)
        value = str(value)
    if not isinstance(value, str):
        raise PushError(f"{name} is not a text")
    text = value.strip()
    if len(text) > MAX_DRIVER_LENGTH:
        raise PushError(too_long)
    if not text.isprintable():
        raise PushError(f"{name} has characters that cannot be printed")
    return text or None


def _time(value: Any, now: datetime, name: str = "timestamp") -> datetime:
    """Read a position's time (see :func:`read_time`) in UTC; without one, ``now``."""
    if value is None or value == "":
        return now
    try:
        moment = read_time(value)
    except ValueError as err:
        raise PushError(f"{name} is {err}") from None
    if not EARLIEST <= moment < LATEST:
        raise PushError(f"{name} is out of range ({YEARS})")
    return moment.astimezone(UTC)

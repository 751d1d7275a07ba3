"""Tests of the push parsers: every format, every unit, every range, and fuzzing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
from nacl.encoding import Base64Encoder
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes
import pytest

from custom_components.homecoming.engine import Fix
from custom_components.homecoming.sources import push as push_module
from custom_components.homecoming.sources.push import (
    KMH,
    KNOTS,
    MAX_ACCURACY_M,
    MAX_SPEED_MS,
    MAX_TRAVEL_TIME_S,
    NOTE_DECRYPT_FAILED,
    NOTE_ENCRYPTED_NO_KEY,
    NOTE_INVALID_POSITION,
    NOTE_NO_POSITION,
    NOTE_OWNTRACKS_IGNORED,
    OWNTRACKS_REPLY,
    RANGES,
    UERE_M,
    Push,
    PushError,
    PushRequest,
    decrypt_owntracks,
    owntracks_key_bytes,
    parse_push,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
KEY = "correct horse battery staple"
FORMATS_DOC = Path(__file__).parents[2] / "docs" / "formats.md"

OWNTRACKS_OTHER_TYPES = (
    "transition",
    "waypoint",
    "waypoints",
    "lwt",
    "status",
    "cards",
    "steps",
    "beacon",
    "cmd",
    "configuration",
)
"""OwnTracks message types that carry no position of the car."""


def parse(
    body: bytes | str | dict[str, Any] | list[Any] = b"",
    *,
    query: dict[str, str] | None = None,
    content_type: str = JSON,
    method: str = "POST",
    key: str = "",
) -> Push:
    """Parse a request."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return parse_push(
        PushRequest(
            method=method, query=query or {}, content_type=content_type, body=body
        ),
        now=NOW,
        owntracks_key=key,
    )


def push(
    body: bytes | str | dict[str, Any] | list[Any] = b"",
    *,
    query: dict[str, str] | None = None,
    content_type: str = JSON,
    method: str = "POST",
    key: str = "",
) -> list[Fix]:
    """Parse a request and return its fixes."""
    result = parse(body, query=query, content_type=content_type, method=method, key=key)
    return list(result.fixes)


def refused(
    body: bytes | str | dict[str, Any] | list[Any] = b"",
    *,
    query: dict[str, str] | None = None,
    content_type: str = JSON,
    key: str = "",
) -> str:
    """Parse a request that must be refused; return the reason."""
    with pytest.raises(PushError) as caught:
        parse(body, query=query, content_type=content_type, key=key)
    return str(caught.value)


def encrypt(
    message: dict[str, Any] | bytes, key: str = KEY, nonce: bytes = b"n" * 24
) -> dict[str, str]:
    """Encrypt an OwnTracks message as the apps do: base64(nonce + secretbox).

    The apps draw a random nonce; a fixed one keeps the parametrized test ids stable.
    """
    plain = message if isinstance(message, bytes) else json.dumps(message).encode()
    box = SecretBox(owntracks_key_bytes(key))
    return {
        "_type": "encrypted",
        "data": base64.b64encode(box.encrypt(plain, nonce)).decode(),
    }


OWNTRACKS_LOCATION = {
    "_type": "location",
    "lat": 52.37,
    "lon": 4.89,
    "tst": 1_777_636_800,
    "acc": 12,
    "vel": 36,
    "cog": 90,
    "alt": 3,
    "batt": 80,
    "tid": "AB",
}


# ------------------------------------------------------------------ Homecoming JSON


def test_homecoming_json_with_every_field() -> None:
    """The native format: all fields, speed in m/s, ISO time."""
    (fix,) = push(
        {
            "latitude": 52.37,
            "longitude": 4.89,
            "accuracy": 8,
            "timestamp": "2026-05-01T11:59:30Z",
            "speed": 13.9,
            "heading": 270,
            "ignition": True,
            "driver": "anna",
            "travel_time": 600,
            "unknown_field": "ignored",
        }
    )
    assert fix == Fix(
        latitude=52.37,
        longitude=4.89,
        accuracy=8.0,
        timestamp=datetime(2026, 5, 1, 11, 59, 30, tzinfo=UTC),
        speed=13.9,
        heading=270.0,
        ignition=True,
        driver="anna",
        travel_time=600.0,
    )


def test_homecoming_json_minimal_is_stamped_now() -> None:
    """Only latitude and longitude are required; the time is the arrival time."""
    (fix,) = push({"latitude": "52.37", "longitude": "4.89"})
    assert fix.timestamp == NOW
    assert fix.accuracy is None
    assert fix.speed is None


def test_homecoming_json_batch() -> None:
    """A JSON array is a queued batch."""
    fixes = push(
        [
            {"latitude": 52.0, "longitude": 4.0, "timestamp": 1_777_636_000},
            {"latitude": 52.1, "longitude": 4.1, "timestamp": 1_777_636_010},
        ]
    )
    assert [fix.latitude for fix in fixes] == [52.0, 52.1]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (1_777_636_800, datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        (1_777_636_800_000, datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("1777636800", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("1777636800500", datetime(2026, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)),
        ("2026-05-01T14:00:00+02:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T12:00:00.000Z", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T12:00:00.000+00:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01 12:00:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2000-01-01T00:00:00Z", datetime(2000, 1, 1, tzinfo=UTC)),
        ("2099-12-31T23:59:59Z", datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2000-01-01T01:00:00+01:00", datetime(2000, 1, 1, tzinfo=UTC)),
        (946_684_800, datetime(2000, 1, 1, tzinfo=UTC)),
        ("", NOW),
        (None, NOW),
    ],
)
def test_timestamps_in_every_form(stamp: Any, expected: datetime) -> None:
    """Epoch seconds or milliseconds, ISO 8601, or yyyy-MM-dd HH:mm:ss; in UTC."""
    (fix,) = push({"latitude": 1, "longitude": 2, "timestamp": stamp})
    assert fix.timestamp == expected
    assert fix.timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "stamp",
    [
        "9999-12-31T23:59:59",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2100-12-31T23:59:59Z",
        "2000-01-01T00:00:00+01:00",
        0,
        -5,
        946_684_799,
        4_102_444_800,
        253_402_300_799_000,
    ],
)
def test_timestamps_outside_the_years_2000_to_2099_are_refused(stamp: Any) -> None:
    """A time outside 2000-2099 is a 400 naming the field, never an overflow."""
    reason = refused({"latitude": 1, "longitude": 2, "timestamp": stamp})
    assert reason == "timestamp is out of range (years 2000 to 2099)"


# ------------------------------------------------------------------ OwnTracks


def test_owntracks_location() -> None:
    """OwnTracks: vel in km/h, cog, tst; the reply is []."""
    result = parse(OWNTRACKS_LOCATION)
    (fix,) = result.fixes
    assert result.format == "owntracks"
    assert result.reply == OWNTRACKS_REPLY == []
    assert result.note is None
    assert not result.decrypted
    assert fix.speed == pytest.approx(36 * KMH) == pytest.approx(10.0)
    assert fix.heading == 90.0
    assert fix.accuracy == 12.0
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", [*OWNTRACKS_OTHER_TYPES, "card", "unknown", 5])
def test_owntracks_other_messages_are_acknowledged_and_noted(kind: Any) -> None:
    """Other OwnTracks message types: [], no fix, counted as owntracks_ignored."""
    result = parse({"_type": kind, "lat": 1, "lon": 2, "event": "leave"})
    assert result.fixes == ()
    assert result.reply == []
    assert result.note == NOTE_OWNTRACKS_IGNORED


def test_owntracks_encrypted_location_is_read_like_a_plain_one() -> None:
    """An encrypted location opened with the car's key gives the same fix."""
    plain = parse(OWNTRACKS_LOCATION)
    result = parse(encrypt(OWNTRACKS_LOCATION), key=KEY)
    assert result.fixes == plain.fixes
    assert result.reply == []
    assert result.decrypted
    assert result.note is None


def test_owntracks_encrypted_other_message_is_noted_as_ignored() -> None:
    """An encrypted transition is opened, then ignored like a plain one."""
    result = parse(encrypt({"_type": "transition", "event": "enter"}), key=KEY)
    assert result.fixes == ()
    assert result.decrypted
    assert result.note == NOTE_OWNTRACKS_IGNORED


def test_owntracks_encrypted_without_a_key_is_noted() -> None:
    """No key: acknowledged with [], nothing moves, noted as encrypted_no_key."""
    result = parse(encrypt(OWNTRACKS_LOCATION))
    assert result.fixes == ()
    assert result.reply == []
    assert result.note == NOTE_ENCRYPTED_NO_KEY
    assert not result.decrypted


@pytest.mark.parametrize(
    "data",
    [
        encrypt(OWNTRACKS_LOCATION, key="another key")["data"],
        "not base64 at all!",
        "QUJD",  # valid base64, too short for a nonce and a MAC
        base64.b64encode(b"\0" * 40).decode(),  # long enough, not authentic
        "ü" * 60,
        "A",  # bad padding
    ],
    ids=["other key", "not base64", "too short", "forged", "not ascii", "padding"],
)
def test_owntracks_encrypted_that_the_key_does_not_open_is_noted(data: str) -> None:
    """A wrong key or a damaged message: [], nothing moves, noted as decrypt_failed."""
    result = parse({"_type": "encrypted", "data": data}, key=KEY)
    assert result.fixes == ()
    assert result.reply == []
    assert result.note == NOTE_DECRYPT_FAILED


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"_type": "encrypted"}, "encrypted message has no data"),
        ({"_type": "encrypted", "data": 5}, "encrypted message has no data"),
        ({"_type": "encrypted", "data": " "}, "encrypted message has no data"),
        (encrypt(b"{not json"), "decrypted message is not valid JSON"),
        (encrypt(b"\xff\xfe\xfd"), "decrypted message is not valid JSON"),
        (encrypt(b"[1]"), "not an OwnTracks message"),
        (encrypt({"lat": 1, "lon": 2}), "not an OwnTracks message"),
        (encrypt(encrypt(OWNTRACKS_LOCATION)), "encrypted again"),
        (
            encrypt({**OWNTRACKS_LOCATION, "vel": 1_000}),
            "vel is out of range (0 to 150 m/s)",
        ),
    ],
)
def test_owntracks_encrypted_refusals(body: dict[str, Any], reason: str) -> None:
    """A message with no data, or whose content is not a valid message, is a 400."""
    assert reason in refused(body, key=KEY)


def test_owntracks_key_is_padded_and_cut_to_32_bytes() -> None:
    """The key is the UTF-8 secret padded with zero bytes, or cut, to 32 bytes."""
    assert owntracks_key_bytes("abc") == b"abc" + b"\0" * 29
    assert owntracks_key_bytes("x" * 40) == b"x" * 32
    assert owntracks_key_bytes("é") == "é".encode() + b"\0" * 30
    long_key = "k" * 32 + "ignored beyond 32 bytes"
    result = parse(encrypt(OWNTRACKS_LOCATION, key="k" * 32), key=long_key)
    assert len(result.fixes) == 1


def core_key(secret: str) -> bytes:
    """Derive the key as core ``owntracks`` does (``messages._decrypt_payload``)."""
    return secret.encode("utf-8")[: SecretBox.KEY_SIZE].ljust(SecretBox.KEY_SIZE, b"\0")


def core_encrypt(secret: str, message: str) -> str:
    """Encrypt as core ``owntracks.messages.encrypt_message`` (and the apps) do."""
    box = SecretBox(core_key(secret))
    return box.encrypt(message.encode("utf-8"), encoder=Base64Encoder).decode("utf-8")


def core_decrypt(secret: str, ciphertext: str) -> str:
    """Decrypt as core ``owntracks.messages._decrypt_payload`` does."""
    box = SecretBox(core_key(secret))
    return box.decrypt(ciphertext.encode(), encoder=Base64Encoder).decode("utf-8")


@pytest.mark.parametrize("key", ["s3cret", "a key with spaces", "é" * 20, "k" * 40])
def test_owntracks_encryption_matches_core_owntracks(key: str) -> None:
    """What core owntracks encrypts, Homecoming opens, and the other way round."""
    message = json.dumps(OWNTRACKS_LOCATION)
    ciphertext = core_encrypt(key, message)
    assert decrypt_owntracks(ciphertext, key) == message.encode()
    ours = encrypt(OWNTRACKS_LOCATION, key=key)["data"]
    assert core_decrypt(key, ours) == message
    assert decrypt_owntracks(ciphertext, "x" + key) is None


def test_owntracks_random_nonces() -> None:
    """Each encryption has its own nonce; every one opens."""
    box = SecretBox(owntracks_key_bytes(KEY))
    for _ in range(3):
        nonce = random_bytes(SecretBox.NONCE_SIZE)
        data = base64.b64encode(box.encrypt(b'{"_type": "lwt"}', nonce)).decode()
        assert decrypt_owntracks(data, KEY) == b'{"_type": "lwt"}'


# ------------------------------------------------------------------ Traccar Client


def test_traccar_client_query_string_in_knots() -> None:
    """Traccar Client: knots, bearing, -1 for unknown, ignition, driver."""
    query = {
        "id": "123456",
        "lat": "52.37",
        "lon": "4.89",
        "timestamp": "1777636800",
        "speed": "20",
        "bearing": "-1",
        "altitude": "3",
        "accuracy": "-1",
        "batt": "88",
        "ignition": "true",
        "driverUniqueId": "anna",
    }
    for method in ("GET", "POST"):
        result = parse(query=query, method=method, content_type="")
        (fix,) = result.fixes
        assert result.format == "traccar_client"
        assert fix.speed == pytest.approx(20 * KNOTS)
        assert fix.heading is None
        assert fix.accuracy is None
        assert fix.ignition is True
        assert fix.driver == "anna"


def test_traccar_client_10_form_body() -> None:
    """Client 10.x sends the same keys as a form body (knots)."""
    (fix,) = push(
        "id=123&lat=52.37&lon=4.89&timestamp=2026-05-01%2012%3A00%3A00&speed=10&bearing=180&accuracy=9.5&batt=50",
        content_type=FORM,
    )
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert fix.speed == pytest.approx(10 * KNOTS)
    assert fix.heading == 180.0
    assert fix.accuracy == 9.5


def test_traccar_client_9_json_body() -> None:
    """Client 9.x JSON: location.coords with m/s speed; -1 unknown; a list works too."""
    location = {
        "timestamp": "2026-05-01T12:00:00.000Z",
        "coords": {
            "latitude": 52.37,
            "longitude": 4.89,
            "accuracy": 7.5,
            "speed": -1,
            "heading": -1,
            "altitude": 5,
        },
        "is_moving": True,
        "battery": {"level": 0.5, "is_charging": False},
        "extras": {"ignition": "false", "driverUniqueId": 42},
    }
    result = parse({"location": location, "device_id": "123"})
    (fix,) = result.fixes
    assert result.format == "traccar_client"
    assert fix.speed is None
    assert fix.heading is None
    assert fix.accuracy == 7.5
    assert fix.ignition is False
    assert fix.driver == "42"
    assert len(push({"location": [location, location], "device_id": "123"})) == 2
    moving = {**location, "coords": {**location["coords"], "speed": 13.9}}
    (fix,) = push({"location": moving, "battery": "not read here"})
    assert fix.speed == 13.9
    bare = {
        "timestamp": location["timestamp"],
        "coords": {"latitude": 1, "longitude": 2},
    }
    (fix,) = push({"location": bare})
    assert fix.ignition is None


# ------------------------------------------------------------------ OsmAnd app

OSMAND_URL_TEMPLATE = (
    "lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}&speed={5}&bearing={6}"
)
"""What OsmAnd users paste after the car's URL (Trip recording → Online tracking)."""


def osmand(
    lat: float = 52.37,
    lon: float = 4.89,
    time_ms: int = 1_777_636_800_000,
    hdop: float = 6.0,
    altitude: float = 12.3,
    speed: float = 13.9,
    bearing: float = 270.0,
) -> dict[str, str]:
    """Return the query the OsmAnd app sends with the URL template (Java floats)."""
    filled = OSMAND_URL_TEMPLATE.format(
        lat, lon, time_ms, hdop, altitude, speed, bearing
    )
    return dict(part.split("=") for part in filled.split("&"))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_osmand_app_speed_is_in_metres_per_second(method: str) -> None:
    """13.9 m/s from the OsmAnd app is 50 km/h, not 13.9 knots (25.7 km/h)."""
    result = parse(query=osmand(), method=method, content_type="")
    (fix,) = result.fixes
    assert result.format == "osmand"
    assert fix.speed == 13.9
    assert fix.speed * 3.6 == pytest.approx(50.0, abs=0.1)
    assert fix.accuracy == 6.0  # OsmAnd's {3} is Android's accuracy in metres
    assert fix.heading == 270.0
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_osmand_app_crawl_is_not_read_as_a_standstill() -> None:
    """A 6 km/h crawl in a jam stays 6 km/h (as knots it would be 3.1 km/h)."""
    (fix,) = push(query=osmand(speed=6 / 3.6), content_type="")
    assert fix.speed is not None
    assert fix.speed * 3.6 == pytest.approx(6.0)


def test_osmand_app_without_accuracy_sends_hdop_zero() -> None:
    """Android reports 0 when it has no accuracy: unknown, not perfect."""
    (fix,) = push(query=osmand(hdop=0.0, speed=0.0, bearing=0.0), content_type="")
    assert fix.accuracy is None
    assert fix.speed == 0.0
    assert fix.heading == 0.0


def test_osmand_app_as_a_form_body() -> None:
    """The same fields in a form body are read the same way."""
    (fix,) = push("&".join(f"{k}={v}" for k, v in osmand().items()), content_type=FORM)
    assert fix.speed == 13.9


def test_accuracy_wins_over_hdop_and_batt_means_traccar_client() -> None:
    """With accuracy or batt the sender is Traccar Client: knots; accuracy wins."""
    (fix,) = push(query={**osmand(), "accuracy": "4"}, content_type="")
    assert fix.accuracy == 4.0
    assert fix.speed == pytest.approx(13.9 * KNOTS)
    (fix,) = push(query={**osmand(), "batt": "50"}, content_type="")
    assert fix.speed == pytest.approx(13.9 * KNOTS)
    assert fix.accuracy == 6.0


@pytest.mark.parametrize(
    ("unit", "factor"),
    [("kn", KNOTS), ("ms", 1.0), ("kmh", KMH), ("mph", 0.44704), (" KMH ", KMH)],
)
def test_speed_unit_overrides_the_guess(unit: str, factor: float) -> None:
    """``speed_unit`` names the unit whatever the sender looks like."""
    for query in (osmand(speed=20), {"lat": "1", "lon": "2", "speed": "20"}):
        (fix,) = push(query={**query, "speed_unit": unit}, content_type="")
        assert fix.speed == pytest.approx(20 * factor)


def test_unknown_speed_unit_is_refused() -> None:
    """A speed unit that is not known is a 400 listing the known ones."""
    reason = refused(query={"lat": "1", "lon": "2", "speed_unit": "furlongs"})
    assert reason == "speed_unit must be one of kn, ms, kmh, mph"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"heading": "90"}, 90.0),
        ({"bearing": "45", "heading": "90"}, 45.0),
        ({"bearing": "", "heading": "90"}, 90.0),
        ({"bearing": "-1"}, None),
        ({}, None),
    ],
)
def test_heading_is_accepted_as_well_as_bearing(
    fields: dict[str, str], expected: float | None
) -> None:
    """The query format takes ``heading`` too; ``bearing`` wins when both are given."""
    (fix,) = push(query={"lat": "1", "lon": "2", **fields}, content_type="")
    assert fix.heading == expected


def test_query_position_marked_invalid_moves_nothing() -> None:
    """Traccar's URL forwarding can pass ``valid``: false moves nothing."""
    result = parse(query={"lat": "1", "lon": "2", "valid": "false"}, content_type="")
    assert result.fixes == ()
    assert result.note == NOTE_INVALID_POSITION
    (fix,) = push(query={"lat": "1", "lon": "2", "valid": "true"}, content_type="")
    assert fix.latitude == 1.0


def test_query_wins_over_the_body() -> None:
    """A query string with a position is read; the body is not."""
    result = parse(
        {"latitude": 10, "longitude": 20},
        query={"lat": "1", "lon": "2"},
    )
    assert [(fix.latitude, fix.longitude) for fix in result.fixes] == [(1.0, 2.0)]


# ------------------------------------------------------------------ Traccar server


def traccar_forward(**position: Any) -> dict[str, Any]:
    """Return a Traccar server position forward (forward.json) body."""
    return {
        "position": {
            "id": 2_961,
            "attributes": {
                "batteryLevel": 91.0,
                "distance": 12.5,
                "totalDistance": 41_234.9,
                "motion": True,
                "ignition": True,
                "driverUniqueId": "anna",
            },
            "deviceId": 1,
            "protocol": "teltonika",
            "serverTime": "2026-05-01T12:00:01.000+00:00",
            "deviceTime": "2026-05-01T12:00:00.000+00:00",
            "fixTime": "2026-05-01T12:00:00.000+00:00",
            "outdated": False,
            "valid": True,
            "latitude": 52.37,
            "longitude": 4.89,
            "altitude": 4.0,
            "speed": 27.0,
            "course": 181.0,
            "address": None,
            "accuracy": 8.0,
            "network": None,
            "geofenceIds": None,
            **position,
        },
        "device": {
            "id": 1,
            "attributes": {},
            "groupId": 0,
            "name": "Family car",
            "uniqueId": "352093086489291",
            "status": "online",
            "lastUpdate": "2026-05-01T12:00:01.000+00:00",
            "positionId": 2_961,
            "disabled": False,
        },
    }


def test_traccar_server_position_forward() -> None:
    """fixTime, knots, course, accuracy and the attributes ignition and driver."""
    result = parse(traccar_forward())
    (fix,) = result.fixes
    assert result.format == "traccar_server"
    assert result.note is None
    assert (fix.latitude, fix.longitude) == (52.37, 4.89)
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert fix.accuracy == 8.0
    assert fix.speed == pytest.approx(27.0 * KNOTS)  # 27 knots = 50 km/h
    assert fix.heading == 181.0
    assert fix.ignition is True
    assert fix.driver == "anna"
    assert fix.travel_time is None


def test_traccar_server_accuracy_from_hdop() -> None:
    """Traccar's accuracy 0 is unknown; a tracker's HDOP then gives hdop x 5 m."""
    (fix,) = push(traccar_forward(accuracy=0.0))
    assert fix.accuracy is None
    body = traccar_forward(accuracy=0.0)
    body["position"]["attributes"]["hdop"] = 1.4
    (fix,) = push(body)
    assert fix.accuracy == pytest.approx(1.4 * UERE_M)
    body["position"]["accuracy"] = 12.0
    (fix,) = push(body)
    assert fix.accuracy == 12.0
    body = traccar_forward(accuracy=0.0)
    body["position"]["attributes"]["hdop"] = 0
    (fix,) = push(body)
    assert fix.accuracy is None


def test_traccar_server_without_attributes() -> None:
    """Attributes are optional."""
    (fix,) = push(traccar_forward(attributes=None))
    assert fix.ignition is None
    assert fix.driver is None


@pytest.mark.parametrize(
    "position", [{"valid": False}, {"outdated": True}, {"valid": "false"}]
)
def test_traccar_server_invalid_position_moves_nothing(
    position: dict[str, Any],
) -> None:
    """No GPS fix (valid false) or a copied old position (outdated): nothing moves."""
    result = parse(traccar_forward(**position, latitude=0.0, longitude=0.0))
    assert result.fixes == ()
    assert result.note == NOTE_INVALID_POSITION


def test_traccar_server_event_forward() -> None:
    """Event forwarding: with a position it is used; without, nothing moves."""
    event = {
        "id": 7,
        "attributes": {},
        "deviceId": 1,
        "type": "ignitionOn",
        "eventTime": "2026-05-01T12:00:00.000+00:00",
        "positionId": 2_961,
        "geofenceId": 0,
        "maintenanceId": 0,
    }
    body = {**traccar_forward(), "event": event}
    (fix,) = push(body)
    assert fix.ignition is True
    result = parse({"event": {**event, "type": "deviceOnline"}, "device": {"id": 1}})
    assert result.fixes == ()
    assert result.note == NOTE_NO_POSITION
    result = parse({"event": event, "device": {"id": 1}, "position": None})
    assert result.note == NOTE_NO_POSITION


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"position": [1, 2], "device": {}}, "position must be an object"),
        (traccar_forward(attributes=[1]), "attributes must be an object"),
        (traccar_forward(valid="perhaps"), "valid is not true or false"),
        (traccar_forward(speed=300), "speed is out of range (0 to 150 m/s)"),
        (traccar_forward(fixTime="9999-12-31T23:59:59"), "fixTime is out of range"),
        (traccar_forward(altitude=1e6), "altitude is out of range"),
        (traccar_forward(latitude=None), "latitude and longitude are required"),
    ],
)
def test_traccar_server_refusals(body: dict[str, Any], reason: str) -> None:
    """Malformed or out-of-range Traccar bodies are a 400 naming the field."""
    assert reason in refused(body)


# ------------------------------------------------------------------ GPSLogger


def test_gpslogger_form_body_and_query() -> None:
    """GPSLogger: latitude/longitude keys, speed in m/s, direction, optional time."""
    result = parse(
        "latitude=52.37&longitude=4.89&device=phone&accuracy=5&speed=12.5&direction=45&battery=50&altitude=10",
        content_type=FORM,
    )
    (fix,) = result.fixes
    assert result.format == "gpslogger"
    assert fix.speed == 12.5
    assert fix.heading == 45.0
    assert fix.timestamp == NOW
    (fix,) = push(query={"latitude": "1", "longitude": "2", "timestamp": "1777636800"})
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    (fix,) = push(query={"latitude": "1", "longitude": "2", "heading": "30"})
    assert fix.heading == 30.0
    (fix,) = push(
        query={"latitude": "1", "longitude": "2", "time": "2026-05-01T12:00:00Z"}
    )
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


# ------------------------------------------------------------------ ranges


def native(**fields: Any) -> dict[str, Any]:
    """Return a Homecoming JSON position with some fields."""
    return {"latitude": 52.37, "longitude": 4.89, **fields}


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        # accuracy: 0 to 100 000 m; 0 and negative are unknown
        (native(accuracy=MAX_ACCURACY_M), "accuracy", MAX_ACCURACY_M),
        (native(accuracy=0.5), "accuracy", 0.5),
        (native(accuracy=0), "accuracy", None),
        (native(accuracy=-1), "accuracy", None),
        # speed: 0 to 150 m/s after conversion; negative is unknown
        (native(speed=MAX_SPEED_MS), "speed", MAX_SPEED_MS),
        (native(speed=0), "speed", 0.0),
        (native(speed=-1), "speed", None),
        ({**OWNTRACKS_LOCATION, "vel": 540}, "speed", pytest.approx(150.0)),
        ({**OWNTRACKS_LOCATION, "vel": -1}, "speed", None),
        (traccar_forward(speed=291.5), "speed", pytest.approx(291.5 * KNOTS)),
        # heading: modulo 360; -1 is unknown
        (native(heading=0), "heading", 0.0),
        (native(heading=359.5), "heading", 359.5),
        (native(heading=360), "heading", 0.0),
        (native(heading=720.5), "heading", 0.5),
        (native(heading=-90), "heading", 270.0),
        (native(heading=-1), "heading", None),
        (native(heading=-1e-20), "heading", 0.0),
        (native(heading=1e300), "heading", 1e300 % 360),
        ({**OWNTRACKS_LOCATION, "cog": 450}, "heading", 90.0),
        (traccar_forward(course=-180), "heading", 180.0),
        # travel time: 0 to a day; negative is unknown
        (native(travel_time=MAX_TRAVEL_TIME_S), "travel_time", MAX_TRAVEL_TIME_S),
        (native(travel_time=0), "travel_time", 0.0),
        (native(travel_time=-1), "travel_time", None),
        # driver: up to 64 printable characters, or a whole number
        (native(driver="d" * 64), "driver", "d" * 64),
        (native(driver=" anna "), "driver", "anna"),
        (native(driver="Zoë Ødegård"), "driver", "Zoë Ødegård"),
        (native(driver=""), "driver", None),
        (native(driver=7), "driver", "7"),
        (native(driver=None), "driver", None),
        # ignition: booleans, 0/1 and the common words
        (native(ignition=True), "ignition", True),
        (native(ignition=1), "ignition", True),
        (native(ignition=0.0), "ignition", False),
        (native(ignition="on"), "ignition", True),
        (native(ignition="No"), "ignition", False),
        (native(ignition=" yes "), "ignition", True),
        (native(ignition=""), "ignition", None),
        (native(ignition=None), "ignition", None),
    ],
)
def test_values_at_the_edges_of_their_ranges(
    body: dict[str, Any], field: str, expected: Any
) -> None:
    """Every field's valid values, including the edges and the unknown sentinels."""
    (fix,) = push(body)
    assert getattr(fix, field) == expected


@pytest.mark.parametrize(
    ("body", "query", "reason"),
    [
        (native(latitude=90.5), None, "latitude must be between -90 and 90"),
        (native(longitude=-181), None, "longitude must be between -180 and 180"),
        (
            native(accuracy=100_000.5),
            None,
            "accuracy is out of range (0 to 100000 m)",
        ),
        (native(speed=150.1), None, "speed is out of range (0 to 150 m/s)"),
        (native(speed=1e300), None, "speed is out of range (0 to 150 m/s)"),
        (
            {**OWNTRACKS_LOCATION, "vel": 541},
            None,
            "vel is out of range (0 to 150 m/s)",
        ),
        (
            {**OWNTRACKS_LOCATION, "acc": 1e6},
            None,
            "acc is out of range (0 to 100000 m)",
        ),
        (
            {**OWNTRACKS_LOCATION, "alt": -1001},
            None,
            "alt is out of range (-1000 to 50000 m)",
        ),
        (
            {**OWNTRACKS_LOCATION, "batt": 101},
            None,
            "batt is out of range (0 to 100 %)",
        ),
        (
            {**OWNTRACKS_LOCATION, "tst": 1e300},
            None,
            "tst is out of range",
        ),
        (
            {**OWNTRACKS_LOCATION, "cog": "north"},
            None,
            "cog is not a number",
        ),
        (native(heading=math.inf), None, "heading is not a finite number"),
        (
            native(travel_time=1e12),
            None,
            "travel_time is out of range (0 to 86400 s)",
        ),
        (
            native(travel_time=86_400.5),
            None,
            "travel_time is out of range (0 to 86400 s)",
        ),
        (native(ignition="maybe"), None, "ignition is not true or false"),
        (native(ignition=2), None, "ignition is not true or false"),
        (native(ignition=[]), None, "ignition is not true or false"),
        (native(driver="d" * 65), None, "driver is longer than 64 characters"),
        (native(driver=10**64), None, "driver is longer than 64 characters"),
        (native(driver="an\x00na"), None, "driver has characters that cannot"),
        (native(driver="an\nna"), None, "driver has characters that cannot"),
        (native(driver=True), None, "driver is not a text"),
        (native(driver={"a": 1}), None, "driver is not a text"),
        (native(driver=4.5), None, "driver is not a text"),
        (
            {"location": {"coords": {"latitude": 1, "longitude": 2, "speed": 151}}},
            None,
            "speed is out of range (0 to 150 m/s)",
        ),
        (
            {
                "location": {
                    "coords": {"latitude": 1, "longitude": 2},
                    "battery": {"level": 1.5},
                }
            },
            None,
            "battery.level is out of range (0 to 1)",
        ),
        (
            {"location": {"coords": {"latitude": 1, "longitude": 2, "altitude": 6e4}}},
            None,
            "altitude is out of range (-1000 to 50000 m)",
        ),
        (
            {
                "location": {
                    "coords": {"latitude": 1, "longitude": 2},
                    "extras": {"driverUniqueId": "x" * 65},
                }
            },
            None,
            "driverUniqueId is longer than 64 characters",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "speed": "292"},
            "speed is out of range (0 to 150 m/s)",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "hdop": "1e6"},
            "hdop is out of range (0 to 100000 m)",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "batt": "250"},
            "batt is out of range (0 to 100 %)",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "altitude": "1e9"},
            "altitude is out of range (-1000 to 50000 m)",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "bearing": "nan"},
            "bearing is not a finite number",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "ignition": "sometimes"},
            "ignition is not true or false",
        ),
        (
            None,
            {"lat": "1", "lon": "2", "timestamp": "99999999999999999"},
            "timestamp is out of range",
        ),
        (
            None,
            {"latitude": "1", "longitude": "2", "battery": "101"},
            "battery is out of range (0 to 100 %)",
        ),
        (
            None,
            {"latitude": "1", "longitude": "2", "direction": "inf"},
            "direction is not a finite number",
        ),
    ],
)
def test_values_out_of_range_are_refused_naming_the_field(
    body: dict[str, Any] | None, query: dict[str, str] | None, reason: str
) -> None:
    """Out of range: a PushError (a 400) whose reason names the field."""
    assert reason in refused(body or b"", query=query)


def test_hdop_range_of_traccar_attributes() -> None:
    """Traccar's HDOP attribute is dimensionless: 0 to 100."""
    body = traccar_forward(accuracy=0)
    body["position"]["attributes"]["hdop"] = 100
    (fix,) = push(body)
    assert fix.accuracy == 100 * UERE_M
    body["position"]["attributes"]["hdop"] = 100.5
    assert refused(body) == "hdop is out of range (0 to 100)"
    body = traccar_forward()
    body["position"]["attributes"]["batteryLevel"] = 120
    assert refused(body) == "batteryLevel is out of range (0 to 100 %)"


@pytest.mark.parametrize("error", [ValueError, TypeError, OverflowError])
def test_a_fix_refused_by_the_engine_is_a_push_error(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    """Whatever the engine's Fix refuses (it may grow stricter) is a PushError."""

    class Strict(Fix):
        __slots__ = ()

        def __post_init__(self) -> None:
            raise error("timestamp is implausible")

    monkeypatch.setattr(push_module, "Fix", Strict)
    assert refused(native()) == "timestamp is implausible"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", JSON, "empty request"),
        (b"   ", FORM, "empty request"),
        (b"{not json", JSON, "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, JSON, "must be an object"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, "not valid JSON"),
        (b'"text"', JSON, "object or a list"),
        (b"[]", JSON, "empty list"),
        (
            json.dumps([{"latitude": 1, "longitude": 1}] * 101).encode(),
            JSON,
            "more than 100",
        ),
        (b"[1]", JSON, "must be an object"),
        (b'{"longitude": 4}', JSON, "required"),
        (b'{"latitude": "", "longitude": 4}', JSON, "required"),
        (b'{"latitude": 95, "longitude": 4}', JSON, "latitude must be between"),
        (b'{"latitude": "abc", "longitude": 4}', JSON, "not a number"),
        (b'{"latitude": true, "longitude": 4}', JSON, "not a number"),
        (b'{"latitude": [1], "longitude": 4}', JSON, "not a number"),
        (b'{"latitude": "' + b"1" * 50 + b'", "longitude": 4}', JSON, "not a number"),
        (b'{"latitude": 1e999, "longitude": 4}', JSON, "not a finite number"),
        (b'{"latitude": ' + b"9" * 400 + b', "longitude": 4}', JSON, "not a number"),
        (b'{"latitude": ' + b"9" * 5000 + b', "longitude": 4}', JSON, "valid JSON"),
        (
            b'{"latitude": 1, "longitude": 4, "speed": "fast"}',
            JSON,
            "speed is not a number",
        ),
        (
            b'{"latitude": 1, "longitude": 4, "timestamp": "yesterday"}',
            JSON,
            "timestamp is not a time",
        ),
        (
            b'{"latitude": 1, "longitude": 4, "timestamp": {"a": 1}}',
            JSON,
            "timestamp is not a time",
        ),
        (b'{"latitude": 1, "longitude": 4, "timestamp": 1e300}', JSON, "out of range"),
        (b'{"location": []}', JSON, "1 to 100"),
        (b'{"location": {"timestamp": 1}}', JSON, "coords missing"),
        (b"\xff\xfe=1", FORM, "not UTF-8"),
        (b"foo=bar", FORM, "no latitude/longitude"),
        (b"foo=bar", "text/plain", "no latitude/longitude"),
        (b"&".join([b"x=1"] * 201) + b"&lat=1&lon=2", FORM, "more than 200 fields"),
    ],
)
def test_bad_requests_give_a_short_reason(
    body: bytes, content_type: str, reason: str
) -> None:
    """Every refusal is a PushError with a readable reason."""
    assert reason in refused(body, content_type=content_type)


def test_every_range_is_documented() -> None:
    """docs/formats.md shows the range of every field as the parser enforces it."""
    doc = FORMATS_DOC.read_text(encoding="utf-8")
    for field, valid in RANGES.items():
        assert f"| `{field}` | {valid} |" in doc, field


# ------------------------------------------------------------------ fuzzing

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "location",
            "encrypted",
            "transition",
            "9999-12-31T23:59:59",
            "2026-05-01T12:00:00Z",
            "1e12",
            "-1",
            "0",
            "360.5",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "latitude",
        "longitude",
        "lat",
        "lon",
        "timestamp",
        "tst",
        "accuracy",
        "acc",
        "speed",
        "vel",
        "heading",
        "cog",
        "bearing",
        "course",
        "ignition",
        "driver",
        "travel_time",
        "_type",
        "data",
        "location",
        "coords",
        "direction",
        "id",
        "driverUniqueId",
        "hdop",
        "altitude",
        "alt",
        "batt",
        "battery",
        "valid",
        "outdated",
        "position",
        "device",
        "event",
        "attributes",
        "fixTime",
        "speed_unit",
    ]
) | st.text(max_size=8)
_POSITIONS = st.fixed_dictionaries(
    {
        "latitude": st.floats(-90, 90),
        "longitude": st.floats(-180, 180),
    },
    optional={
        "accuracy": _SCALARS,
        "speed": _SCALARS | st.floats(-10, 400),
        "course": _SCALARS,
        "fixTime": _SCALARS,
        "valid": st.booleans(),
        "attributes": st.dictionaries(
            st.sampled_from(["hdop", "ignition", "driverUniqueId", "batteryLevel"]),
            _SCALARS,
        ),
    },
)
_BODIES = st.one_of(
    st.binary(max_size=300),
    st.dictionaries(_KEYS, _VALUES, max_size=8).map(lambda d: json.dumps(d).encode()),
    st.lists(st.dictionaries(_KEYS, _VALUES, max_size=6), max_size=3).map(
        lambda d: json.dumps(d).encode()
    ),
    st.dictionaries(_KEYS, st.text(max_size=20), max_size=6).map(
        lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()
    ),
    _POSITIONS.map(lambda p: json.dumps({"position": p, "device": {}}).encode()),
    st.dictionaries(_KEYS, _VALUES, max_size=8).map(
        lambda d: json.dumps(encrypt({"_type": "location", **d})).encode()
    ),
    st.text(max_size=80).map(
        lambda t: json.dumps({"_type": "encrypted", "data": t}).encode()
    ),
)


def assert_within_ranges(fix: Fix) -> None:
    """Check that a fix has only values inside the documented ranges."""
    assert -90 <= fix.latitude <= 90
    assert -180 <= fix.longitude <= 180
    assert fix.timestamp == NOW or (
        datetime(2000, 1, 1, tzinfo=UTC)
        <= fix.timestamp
        < datetime(2100, 1, 1, tzinfo=UTC)
    )
    assert fix.timestamp.utcoffset() == timedelta(0)
    assert fix.accuracy is None or 0 < fix.accuracy <= MAX_ACCURACY_M
    assert fix.speed is None or 0 <= fix.speed <= MAX_SPEED_MS
    assert fix.heading is None or 0 <= fix.heading < 360
    assert fix.travel_time is None or 0 <= fix.travel_time <= MAX_TRAVEL_TIME_S
    assert fix.ignition is None or isinstance(fix.ignition, bool)
    assert fix.driver is None or (
        0 < len(fix.driver) <= 64 and fix.driver.isprintable()
    )


@settings(max_examples=400)
@given(
    query=st.dictionaries(_KEYS, st.text(max_size=20), max_size=6),
    body=_BODIES,
    content_type=st.sampled_from([JSON, FORM, "", "text/plain", "multipart/form-data"]),
    method=st.sampled_from(["GET", "POST", "PUT"]),
    key=st.sampled_from(["", KEY, "wrong"]),
)
def test_any_request_parses_or_gives_a_reason(
    query: dict[str, str], body: bytes, content_type: str, method: str, key: str
) -> None:
    """Whatever arrives: fixes with valid values, or a PushError — never anything else."""
    request = PushRequest(
        method=method, query=query, content_type=content_type, body=body
    )
    reason = ""
    try:
        result = parse_push(request, now=NOW, owntracks_key=key)
    except PushError as err:
        reason = str(err)
        result = None
    if result is None:
        assert reason
        return
    assert result.fixes or result.note is not None
    for fix in result.fixes:
        assert_within_ranges(fix)


@settings(max_examples=300)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "timestamp",
                "accuracy",
                "speed",
                "heading",
                "ignition",
                "driver",
                "travel_time",
            ]
        ),
        _VALUES,
    ),
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
)
def test_any_native_position_parses_or_gives_a_reason(
    fields: dict[str, Any], latitude: float, longitude: float
) -> None:
    """A valid position with any other fields: in range, or a reason."""
    reason = ""
    try:
        fixes = push({"latitude": latitude, "longitude": longitude, **fields})
    except PushError as err:
        reason = str(err)
        fixes = []
    assert fixes or reason
    for fix in fixes:
        assert_within_ranges(fix)

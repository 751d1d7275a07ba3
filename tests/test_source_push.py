"""Tests of the push parsers: every format, every unit, and fuzzing."""

from __future__ import annotations

from datetime import UTC, datetime
import json
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.homecoming.engine import Fix
from custom_components.homecoming.sources.push import (
    KMH,
    KNOTS,
    OWNTRACKS_REPLY,
    PushError,
    PushRequest,
    parse_push,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def push(
    body: bytes | str | dict[str, Any] | list[Any] = b"",
    *,
    query: dict[str, str] | None = None,
    content_type: str = JSON,
    method: str = "POST",
) -> list[Fix]:
    """Parse a request and return its fixes."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    result = parse_push(
        PushRequest(
            method=method, query=query or {}, content_type=content_type, body=body
        ),
        now=NOW,
    )
    return list(result.fixes)


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
        ("2026-05-01 12:00:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("", NOW),
        (None, NOW),
    ],
)
def test_timestamps_in_every_form(stamp: Any, expected: datetime) -> None:
    """Epoch seconds or milliseconds, ISO 8601, or yyyy-MM-dd HH:mm:ss in UTC."""
    (fix,) = push({"latitude": 1, "longitude": 2, "timestamp": stamp})
    assert fix.timestamp == expected


def test_owntracks_location_and_other_messages() -> None:
    """OwnTracks: vel in km/h, cog, tst; other types acknowledged with [] and ignored."""
    body = {
        "_type": "location",
        "lat": 52.37,
        "lon": 4.89,
        "tst": 1_777_636_800,
        "acc": 12,
        "vel": 36,
        "cog": 90,
        "batt": 80,
        "tid": "AB",
    }
    request = PushRequest(
        method="POST", query={}, content_type=JSON, body=json.dumps(body).encode()
    )
    result = parse_push(request, now=NOW)
    (fix,) = result.fixes
    assert result.reply == OWNTRACKS_REPLY
    assert fix.speed == pytest.approx(36 * KMH)
    assert fix.heading == 90.0
    assert fix.accuracy == 12.0
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for kind in ("transition", "waypoint", "lwt", "card"):
        other = parse_push(
            PushRequest(
                method="POST",
                query={},
                content_type=JSON,
                body=json.dumps({"_type": kind}).encode(),
            ),
            now=NOW,
        )
        assert other.fixes == ()
        assert other.reply == []


def test_osmand_query_string_on_get_and_post() -> None:
    """Traccar Client / OsmAnd: knots, bearing, -1 for unknown, ignition, driver."""
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
        (fix,) = push(query=query, method=method, content_type="")
        assert fix.speed == pytest.approx(20 * KNOTS)
        assert fix.heading is None
        assert fix.accuracy is None
        assert fix.ignition is True
        assert fix.driver == "anna"


def test_traccar_client_10_form_body() -> None:
    """Client 10.x sends the OsmAnd keys as a form body."""
    (fix,) = push(
        "id=123&lat=52.37&lon=4.89&timestamp=2026-05-01%2012%3A00%3A00&speed=0&bearing=180&accuracy=9.5",
        content_type=FORM,
    )
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert fix.speed == 0.0
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
    (fix,) = push({"location": location, "device_id": "123"})
    assert fix.speed is None
    assert fix.heading is None
    assert fix.accuracy == 7.5
    assert fix.ignition is False
    assert fix.driver == "42"
    assert len(push({"location": [location, location], "device_id": "123"})) == 2


def test_gpslogger_form_body_and_query() -> None:
    """GPSLogger: latitude/longitude keys, speed in m/s, direction, optional time."""
    (fix,) = push(
        "latitude=52.37&longitude=4.89&device=phone&accuracy=5&speed=12.5&direction=45&battery=50",
        content_type=FORM,
    )
    assert fix.speed == 12.5
    assert fix.heading == 45.0
    assert fix.timestamp == NOW
    (fix,) = push(query={"latitude": "1", "longitude": "2", "timestamp": "1777636800"})
    assert fix.timestamp == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


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
        (
            b'{"latitude": 1, "longitude": 4, "speed": "fast"}',
            JSON,
            "speed is not a number",
        ),
        (
            b'{"latitude": 1, "longitude": 4, "timestamp": "yesterday"}',
            JSON,
            "not a time",
        ),
        (b'{"latitude": 1, "longitude": 4, "timestamp": {"a": 1}}', JSON, "not a time"),
        (b'{"latitude": 1, "longitude": 4, "timestamp": -5}', JSON, "not a time"),
        (b'{"latitude": 1, "longitude": 4, "timestamp": 1e300}', JSON, "out of range"),
        (b'{"location": []}', JSON, "1 to 100"),
        (b'{"location": {"timestamp": 1}}', JSON, "coords missing"),
        (b"\xff\xfe=1", FORM, "not UTF-8"),
        (b"foo=bar", FORM, "no latitude/longitude"),
        (b"foo=bar", "text/plain", "no latitude/longitude"),
    ],
)
def test_bad_requests_give_a_short_reason(
    body: bytes, content_type: str, reason: str
) -> None:
    """Every refusal is a PushError with a readable reason."""
    with pytest.raises(PushError, match=reason):
        parse_push(
            PushRequest(method="POST", query={}, content_type=content_type, body=body),
            now=NOW,
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (1, True),
        (0, False),
        ("on", True),
        ("No", False),
        ("maybe", None),
        (2, None),
        ([], None),
    ],
)
def test_ignition_values(value: Any, expected: bool | None) -> None:
    """Ignition accepts booleans, 0/1 and common words; anything else is unknown."""
    (fix,) = push({"latitude": 1, "longitude": 2, "ignition": value})
    assert fix.ignition is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" anna ", "anna"), ("", None), (7, "7"), (True, None), ({"a": 1}, None)],
)
def test_driver_values(value: Any, expected: str | None) -> None:
    """A driver id is a short text; junk is unknown."""
    (fix,) = push({"latitude": 1, "longitude": 2, "driver": value})
    assert fix.driver == expected


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
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
        "ignition",
        "driver",
        "travel_time",
        "_type",
        "location",
        "coords",
        "direction",
        "id",
        "driverUniqueId",
    ]
) | st.text(max_size=8)


@settings(max_examples=300)
@given(
    query=st.dictionaries(_KEYS, st.text(max_size=20), max_size=6),
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(_KEYS, _VALUES, max_size=8).map(
            lambda d: json.dumps(d).encode()
        ),
        st.lists(st.dictionaries(_KEYS, _VALUES, max_size=6), max_size=3).map(
            lambda d: json.dumps(d).encode()
        ),
        st.dictionaries(_KEYS, st.text(max_size=20), max_size=6).map(
            lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()
        ),
    ),
    content_type=st.sampled_from([JSON, FORM, "", "text/plain", "multipart/form-data"]),
    method=st.sampled_from(["GET", "POST", "PUT"]),
)
def test_any_request_parses_or_gives_a_reason(
    query: dict[str, str], body: bytes, content_type: str, method: str
) -> None:
    """Whatever arrives: fixes with valid values, or a PushError — never anything else."""
    request = PushRequest(
        method=method, query=query, content_type=content_type, body=body
    )
    reason = ""
    try:
        result = parse_push(request, now=NOW)
    except PushError as err:
        reason = str(err)
        result = None
    if result is None:
        assert reason
        return
    for fix in result.fixes:
        assert -90 <= fix.latitude <= 90
        assert -180 <= fix.longitude <= 180
        assert fix.timestamp.utcoffset() is not None
        for value in (fix.accuracy, fix.speed, fix.travel_time):
            assert value is None or (math.isfinite(value) and value >= 0)

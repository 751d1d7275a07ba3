"""Fuzzing the webhook through Home Assistant's real HTTP stack (issue 10, item 2).

Raw requests (bytes written to the test server's socket, so that any byte can be put
in a header) with random bytes in every header the handler reads, every
``Content-Encoding`` (gzip, deflate, br, zstd, unknown, and lying about the body), chunked
or not, form bodies of 0 to 10,000 fields, JSON nested thousands deep, and numbers at
every IEEE 754 edge. Whatever the request: an answer in the documented set, no log record
at error or above (and nothing of Homecoming's above debug), a refusal counted in the
car's diagnostics, and no change of any of the car's entities unless it was accepted.

Header values are drawn from the bytes HTTP allows in a field value (tab, space, visible
ASCII and obs-text 0x80-0xFF): aiohttp refuses the others (control characters) while
parsing, before any handler is reached, as it does ``Content-Encoding: br`` when the
Brotli library is not installed. Nor is ``Authorization: Bearer`` followed by bytes that
are not UTF-8 sent: Home Assistant's own auth middleware fails on it before the webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from compression import zstd
import gzip
import json
import logging
import math
from typing import Any
from urllib.parse import urlencode
import zlib

from aiohttp import compression_utils
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.coordinator import HomecomingCoordinator
from custom_components.homecoming.sources.webhook import MAX_BODY_BYTES
from tests.common import HOME_LAT, HOME_LON

from .webhook_http import (
    SECRET,
    URL,
    WEBHOOK_ID,
    ClientFactory,
    car_states,
    raw_request,
    setup_car,
    signature,
    unlimited,
)

RESET = -1
"""The status of a request whose connection was reset before an answer was read."""

FIELD_BYTES = [0x09, *range(0x20, 0x7F), *range(0x80, 0x100)]
"""The bytes HTTP allows in a header field value."""
UNSUPPORTED = {
    name
    for name, available in (
        (b"br", compression_utils.HAS_BROTLI),
        (b"zstd", compression_utils.HAS_ZSTD),
    )
    if not available
}
"""Encodings aiohttp refuses itself, at the headers, for want of a library."""

IEEE_EDGES: list[Any] = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    90.0,
    90.00000000000001,
    -90.00000000000001,
    180.00000000000003,
    2**53,
    2**53 + 1,
    2**63,
    -(2**64),
    1e16,
    0.1 + 0.2,
]
NUMBER_TEXTS = [
    "1e999",
    "-1e999",
    "1" + "0" * 5_000,
    "NaN",
    "Infinity",
    "-0",
    "0x10",
    " 12 ",
    "١٢",
    "1_000",
    "",
]
"""Number-like texts, also written raw into JSON (huge integers, non-finite floats)."""


def numbers() -> st.SearchStrategy[Any]:
    """Return numbers at IEEE edges, random floats and integers, and number texts."""
    return st.one_of(
        st.sampled_from(IEEE_EDGES),
        st.floats(),
        st.integers(),
        st.sampled_from(NUMBER_TEXTS),
    )


def field_bytes(max_size: int = 80) -> st.SearchStrategy[bytes]:
    """Return random header-value bytes."""
    return st.lists(st.sampled_from(FIELD_BYTES), max_size=max_size).map(bytes)


FIELDS = [
    "latitude",
    "longitude",
    "lat",
    "lon",
    "timestamp",
    "tst",
    "accuracy",
    "speed",
    "heading",
    "travel_time",
    "hdop",
    "ignition",
    "driver",
    "_type",
]


def json_positions() -> st.SearchStrategy[bytes]:
    """Return JSON bodies with numbers at every edge in their fields."""
    value = st.one_of(numbers(), st.none(), st.booleans(), st.text(max_size=8))
    objects = st.dictionaries(st.sampled_from(FIELDS), value, max_size=6)
    positions = st.fixed_dictionaries(
        {"latitude": numbers(), "longitude": numbers()},
        optional={"timestamp": numbers(), "accuracy": numbers(), "speed": numbers()},
    )
    return st.one_of(
        objects, positions, st.lists(positions, max_size=120), st.just([])
    ).map(lambda data: json.dumps(data).encode())


def raw_numbers() -> st.SearchStrategy[bytes]:
    """Return JSON texts whose numbers json.dumps would never write."""
    return st.tuples(st.sampled_from(NUMBER_TEXTS[:4]), numbers()).map(
        lambda pair: (
            f'{{"latitude": {pair[0] or 0}, "longitude": {json.dumps(pair[1])}}}'
        ).encode()
    )


def nested() -> st.SearchStrategy[bytes]:
    """Return JSON nested up to 30,000 deep (arrays or objects)."""
    depth = st.integers(min_value=0, max_value=30_000)
    arrays = depth.map(lambda n: b"[" * n + b"]" * n)
    objects = depth.map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
    return st.one_of(arrays, objects)


def forms() -> st.SearchStrategy[bytes]:
    """Return form bodies of 0 to 10,000 fields, with or without a position."""
    return st.tuples(
        st.integers(min_value=0, max_value=10_000), st.booleans(), numbers()
    ).map(
        lambda args: "&".join(
            ["a=1"] * args[0] + ([f"lat={args[2]}", "lon=4.9"] if args[1] else [])
        ).encode()
    )


def bodies() -> st.SearchStrategy[bytes]:
    """Return any kind of body: random bytes, JSON, nested JSON, forms, oversized."""
    return st.one_of(
        st.binary(max_size=2_000),
        json_positions(),
        raw_numbers(),
        nested(),
        forms(),
        st.integers(min_value=64 * 1024 - 2, max_value=66 * 1024).map(
            lambda n: b"x" * n
        ),
    )


ENCODERS: dict[bytes, Callable[[bytes], bytes]] = {
    b"gzip": gzip.compress,
    b"deflate": zlib.compress,
    b"zstd": zstd.compress,
}
"""The encodings a body can honestly be sent in here (no Brotli encoder: br lies)."""


def encodings() -> st.SearchStrategy[tuple[bytes | None, bool]]:
    """Return a Content-Encoding (or none) and whether the body really is in it."""
    names = st.one_of(
        st.none(),
        st.sampled_from(
            [b"gzip", b"deflate", b"br", b"zstd", b"identity", b"GZIP", b"x-unknown"]
        ),
        field_bytes(12),
    )
    return st.tuples(names, st.booleans())


def encode(body: bytes, encoding: bytes | None, honest: bool) -> bytes:
    """Return the body as sent: encoded when the encoding is known and honest."""
    if encoding is None or not honest:
        return body
    encoder = ENCODERS.get(encoding.strip().lower())
    return encoder(body) if encoder is not None else body


def refused_by_aiohttp(encoding: bytes | None) -> bool:
    """Tell whether aiohttp refuses the encoding before any handler is reached."""
    return encoding is not None and encoding.strip().lower() in UNSUPPORTED


def authorization() -> st.SearchStrategy[bytes]:
    """Return Authorization values, never ``Bearer`` with bytes that are not UTF-8."""

    def accepted_by_core(value: bytes) -> bool:
        scheme, _, rest = value.partition(b" ")
        if scheme != b"Bearer":
            return True
        try:
            rest.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    structured = st.tuples(
        st.sampled_from([b"Bearer ", b"bearer ", b"Basic ", b""]), field_bytes()
    ).map(b"".join)
    return st.one_of(structured, field_bytes()).filter(accepted_by_core)


def timestamps() -> st.SearchStrategy[bytes]:
    """Return timestamp header values: near now, far, malformed or random bytes."""
    now = int(dt_util.utcnow().timestamp())
    near = st.integers(min_value=now - 400, max_value=now + 400).map(
        lambda n: str(n).encode()
    )
    return st.one_of(near, st.integers().map(lambda n: str(n).encode()), field_bytes())


def signatures() -> st.SearchStrategy[bytes]:
    """Return signature header values: well-formed but wrong, malformed, random."""
    hexes = st.binary(min_size=32, max_size=32).map(
        lambda b: b"sha256=" + b.hex().encode()
    )
    return st.one_of(
        hexes,
        st.tuples(st.just(b"sha256="), field_bytes(70)).map(b"".join),
        field_bytes(),
    )


def headers() -> st.SearchStrategy[dict[bytes, bytes]]:
    """Return the headers the handler reads, each present or not, any value."""
    return st.fixed_dictionaries(
        {},
        optional={
            b"X-Homecoming-Signature": signatures(),
            b"X-Homecoming-Timestamp": timestamps(),
            b"Authorization": authorization(),
            b"Content-Type": st.one_of(
                st.sampled_from(
                    [
                        b"application/json",
                        b"application/x-www-form-urlencoded",
                        b"multipart/form-data; boundary=x",
                        b"text/plain; charset=\xff",
                    ]
                ),
                field_bytes(),
            ),
        },
    )


def queries() -> st.SearchStrategy[bytes]:
    """Return query strings: known fields with odd values, many fields, odd bytes."""
    known = st.lists(
        st.tuples(
            st.sampled_from([*FIELDS, "token", "speed_unit", "valid"]), numbers()
        ),
        max_size=8,
    ).map(lambda pairs: urlencode([(k, str(v)) for k, v in pairs]).encode())
    many = st.integers(min_value=0, max_value=3_000).map(
        lambda n: b"&".join([b"a=1"] * n)
    )
    escaped = st.binary(max_size=40).map(
        lambda raw: b"token=" + b"".join(b"%%%02X" % byte for byte in raw)
    )
    return st.one_of(st.just(b""), known, many, escaped)


def chunking() -> st.SearchStrategy[int | None]:
    """Return how to send the body: with a Content-Length, or chunked in pieces."""
    return st.one_of(st.none(), st.integers(min_value=1, max_value=5_000))


def coordinator_of(entry: MockConfigEntry) -> HomecomingCoordinator:
    """Return a car's coordinator."""
    runtime: HomecomingCoordinator = entry.runtime_data.coordinator
    return runtime


async def send(
    client: TestClient[Any, Any],
    method: bytes,
    query: bytes,
    sent_headers: dict[bytes, bytes],
    body: bytes,
    chunk: int | None,
) -> tuple[int, bytes]:
    """Send a raw request to the car's URL; return the status and the body."""
    target = URL.encode() + (b"?" + query if query else b"")
    chunks = (
        None
        if chunk is None
        else [body[i : i + chunk] for i in range(0, len(body), chunk)]
    )
    try:
        status, content, _ = await raw_request(
            client, method, target, list(sent_headers.items()), body, chunks=chunks
        )
    except ConnectionResetError:
        return RESET, b""
    return status, content


def cut_short(body: bytes, encoding: bytes | None, honest: bool) -> bool:
    """Tell whether the server may answer and close before reading the whole body.

    A body over the limit, or one that does not decode, is answered before its end
    and the connection closed (also by aiohttp, for an encoding it cannot decode): a
    client still sending may then see the connection reset instead of the answer.
    """
    declared = None if encoding is None else encoding.strip().lower()
    lying = declared in {b"gzip", b"deflate", b"zstd", b"br"} and (
        not honest or declared not in ENCODERS
    )
    return lying or refused_by_aiohttp(encoding) or len(body) > MAX_BODY_BYTES


def check_logs(
    caplog: pytest.LogCaptureFixture, encoding: bytes | None, reached: bool
) -> None:
    """Check the log of one request.

    Nothing of Homecoming's above debug, never the webhook id in its records, and
    nothing at error or above from anyone for a request that reached Homecoming.
    A request refused before (aiohttp refusing an encoding it cannot decode, a method
    the webhook view does not have, Home Assistant's security filter) may leave an error
    of aiohttp's when its body does not decode: that is aiohttp reading the rest of a
    body nobody read, outside Homecoming.
    """
    for record in caplog.records:
        if record.name.startswith("custom_components"):
            assert record.levelno <= logging.DEBUG, record.getMessage()
            assert WEBHOOK_ID not in record.getMessage()
        if record.levelno >= logging.ERROR:
            assert not reached, (record.name, record.getMessage())
            assert encoding is not None, (record.name, record.getMessage())
            assert record.name == "aiohttp.server", record.getMessage()


def ours(content: bytes) -> str | None:
    """Return the reason of one of Homecoming's refusals (None: not Homecoming's)."""
    try:
        answer = json.loads(content)
    except ValueError:
        return None
    return answer.get("error") if isinstance(answer, dict) else None


SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
async def secret_car(
    hass: HomeAssistant, home_zone: None, hass_client_no_auth: ClientFactory
) -> tuple[MockConfigEntry, TestClient[Any, Any]]:
    """Return a car with a secret (the rate limits lifted) and a client."""
    with unlimited():
        entry = await setup_car(hass, SECRET)
    return entry, await hass_client_no_auth()


@SETTINGS
@given(
    method=st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH"]),
    query=queries(),
    sent_headers=headers(),
    body=bodies(),
    encoding=encodings(),
    chunk=chunking(),
)
async def test_no_request_without_the_secret_breaks_anything(
    hass: HomeAssistant,
    secret_car: tuple[MockConfigEntry, TestClient[Any, Any]],
    caplog: pytest.LogCaptureFixture,
    method: bytes,
    query: bytes,
    sent_headers: dict[bytes, bytes],
    body: bytes,
    encoding: tuple[bytes | None, bool],
    chunk: int | None,
) -> None:
    """Anything, without the secret: a 4xx, counted, quiet, and the car unchanged."""
    entry, client = secret_car
    name, honest = encoding
    if name is not None:
        sent_headers = {**sent_headers, b"Content-Encoding": name}
    before = car_states(hass, entry)
    counted = dict(coordinator_of(entry).stats)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        status, content = await send(
            client, method, query, sent_headers, encode(body, name, honest), chunk
        )
    if status == RESET:
        assert cut_short(body, name, honest)
    else:
        assert status in {400, 401, 405, 413}, content
    check_logs(caplog, name, reached=ours(content) is not None)
    assert car_states(hass, entry) == before
    if (reason := ours(content)) is not None:
        assert reason
        stats = coordinator_of(entry).stats
        assert stats[f"http_{status}"] == counted.get(f"http_{status}", 0) + 1


@SETTINGS
@given(
    method=st.sampled_from([b"POST", b"PUT"]),
    content_type=st.sampled_from(
        [b"application/json", b"application/x-www-form-urlencoded", b"", b"\xff"]
    ),
    body=bodies(),
    encoding=encodings(),
    chunk=chunking(),
    skew=st.sampled_from([0, -299, 299, -301, 301]),
)
async def test_no_signed_request_breaks_anything(
    hass: HomeAssistant,
    secret_car: tuple[MockConfigEntry, TestClient[Any, Any]],
    caplog: pytest.LogCaptureFixture,
    method: bytes,
    content_type: bytes,
    body: bytes,
    encoding: tuple[bytes | None, bool],
    chunk: int | None,
    skew: int,
) -> None:
    """Correctly signed hostile bodies reach the parsers, and break nothing.

    Never an error, and the car changes only with a position it accepted.
    """
    entry, client = secret_car
    name, honest = encoding
    stamp = int(dt_util.utcnow().timestamp()) + skew
    sent_headers = {
        b"X-Homecoming-Timestamp": str(stamp).encode(),
        b"X-Homecoming-Signature": signature(body, stamp).encode(),
    }
    if content_type:
        sent_headers[b"Content-Type"] = content_type
    if name is not None:
        sent_headers[b"Content-Encoding"] = name
    before = car_states(hass, entry)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        status, content = await send(
            client, method, b"", sent_headers, encode(body, name, honest), chunk
        )
    check_logs(caplog, name, reached=ours(content) is not None or status == 200)
    if status == RESET:
        assert cut_short(body, name, honest)
    elif refused_by_aiohttp(name):
        assert status == 400
    else:
        assert status in {200, 400, 401, 413}, content
    if status == 401:
        assert ours(content) in {
            "request already received (replay)",
            "X-Homecoming-Timestamp is more than 5 minutes from Home Assistant's clock",
            "wrong signature",  # the body as received is not the body signed (lying)
        }
    if status != 200:
        assert car_states(hass, entry) == before
    else:
        answer = json.loads(content)
        assert answer == [] or set(answer) == {"accepted", "ignored"}


async def test_the_fuzzers_reach_past_every_check(
    hass: HomeAssistant,
    secret_car: tuple[MockConfigEntry, TestClient[Any, Any]],
) -> None:
    """A signed position from the same helpers moves the car (the fuzz is not blind)."""
    _, client = secret_car
    body = json.dumps({"latitude": HOME_LAT + 0.01, "longitude": HOME_LON}).encode()
    stamp = int(dt_util.utcnow().timestamp())
    status, content = await send(
        client,
        b"POST",
        b"",
        {
            b"X-Homecoming-Timestamp": str(stamp).encode(),
            b"X-Homecoming-Signature": signature(body, stamp).encode(),
            b"Content-Encoding": b"gzip",
        },
        gzip.compress(body),
        7,
    )
    assert (status, json.loads(content)) == (200, {"accepted": 1, "ignored": 0})

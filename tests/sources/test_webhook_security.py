"""The webhook's security through Home Assistant's real HTTP stack (issue 10, items 1-3).

1. A signature covers everything that is used (the timestamp and the body; a signed
   request's query may carry no position) and cannot be replayed.
2. No request gets a traceback: every failure to read one is a 4xx with a reason, counted,
   and nothing is logged above debug (nor ever the webhook id).
3. One sender cannot lock out the car: rate limits per sender address and per car, failed
   authentication spends nothing, sender tables stay bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
import gzip
import json
import logging
from pathlib import Path
import re
import shutil
from typing import Any
from unittest.mock import patch
import zlib

import aiohttp
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import DOMAIN
from custom_components.homecoming.sources import webhook as webhook_module
from custom_components.homecoming.sources.push import QUERY_FIELDS
from custom_components.homecoming.sources.webhook import (
    CAR_RATE_BURST,
    CLOUD_SENDER,
    RATE_BURST,
    REPLAY_MEMORY,
    SIGNATURE_WINDOW_S,
    WebhookSource,
    sender_of,
)
from tests import common
from tests.common import HOME_LAT, HOME_LON

from .webhook_http import (
    ENTRY_ID,
    SECRET,
    URL,
    WEBHOOK_ID,
    ClientFactory,
    position,
    raw_request,
    setup_car,
    sign,
    signature,
    unlimited,
)

README = Path(__file__).parents[2] / "README.md"
NOW = dt_util.parse_datetime("2026-11-29T12:00:00+00:00")


def fix(offset: float = 0.01, seconds_ago: float = 5) -> bytes:
    """Return a Homecoming JSON body ``offset`` degrees north of home."""
    stamp = dt_util.utcnow() - timedelta(seconds=seconds_ago)
    return json.dumps(
        {
            "latitude": HOME_LAT + offset,
            "longitude": HOME_LON,
            "timestamp": stamp.isoformat(),
        }
    ).encode()


def source(hass: HomeAssistant) -> WebhookSource:
    """Return the car's webhook source (the handler registered for its id)."""
    handler = hass.data[webhook.DOMAIN][WEBHOOK_ID].handler
    owner = handler.__self__
    assert isinstance(owner, WebhookSource)
    return owner


async def stats(hass: HomeAssistant) -> dict[str, int]:
    """Return the car's counters, as its diagnostics show them."""
    (entry,) = hass.config_entries.async_entries("homecoming")
    return dict(await common.stats(hass, entry))


def loud_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the records above debug, but aiohttp's access log and asyncio's timing.

    Home Assistant sets ``aiohttp.access`` to warnings only; the test server logs each
    request there at info. The test loop runs in asyncio's debug mode, which warns of
    any step slower than 0.1 s: on a busy machine that is the machine, not Homecoming.
    """
    return [
        record
        for record in caplog.records
        if record.levelno > logging.DEBUG
        and not (record.name == "aiohttp.access" and record.levelno < logging.WARNING)
        and not (record.name == "asyncio" and str(record.msg).startswith("Executing "))
    ]


@contextmanager
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Check that nothing is logged above debug, and never the webhook id."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        yield
    assert not loud_records(caplog), [
        (r.name, r.getMessage()) for r in loud_records(caplog)
    ]
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert not [r for r in ours if WEBHOOK_ID in r.getMessage()]


async def error_of(response: aiohttp.ClientResponse) -> str:
    """Return the reason of a refusal."""
    reason: str = (await response.json())["error"]
    return reason


# ================================================================== 1. signatures


async def test_a_signed_request_moves_the_car(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """Timestamp and signature of "<timestamp>.<body>": 200, the car moves."""
    body = fix(0.01)
    response = await secret_client.post(URL, data=body, headers=sign(body))
    assert response.status == 200
    assert await response.json() == {"accepted": 1, "ignored": 0}
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)


async def test_upper_case_signature_is_accepted(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """The prefix and the hex digits are read in any case."""
    body = fix(0.01)
    headers = sign(body)
    headers["X-Homecoming-Signature"] = headers["X-Homecoming-Signature"].upper()
    assert (await secret_client.post(URL, data=body, headers=headers)).status == 200


async def test_the_signature_covers_the_timestamp(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """A signature moved to another timestamp (or another body) does not match."""
    body = fix(0.01)
    headers = sign(body)
    headers["X-Homecoming-Timestamp"] = str(int(headers["X-Homecoming-Timestamp"]) - 1)
    response = await secret_client.post(URL, data=body, headers=headers)
    assert response.status == 401
    assert await error_of(response) == "wrong signature"
    response = await secret_client.post(URL, data=fix(0.02), headers=sign(body))
    assert response.status == 401
    assert position(hass) is None
    assert (await stats(hass))["bad_signature"] == 2


@pytest.mark.parametrize(
    "query",
    [
        # the reported attack: a captured signed request plus a position of one's own
        {"lat": HOME_LAT + 0.5, "lon": HOME_LON, "timestamp": "{now}"},
        {"latitude": HOME_LAT + 0.5, "longitude": HOME_LON},
        {"timestamp": "{now}"},
        {"speed": "10", "token": SECRET},
        dict.fromkeys(("lat", "lon", "latitude", "longitude", "batt", "hdop"), "1"),
    ],
)
async def test_a_signed_request_with_a_position_in_its_query_is_refused(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    query: dict[str, Any],
) -> None:
    """Position fields in the query of a signed request: 400, nothing moves."""
    body = fix(0.01)
    headers = sign(body)
    now = str(int(dt_util.utcnow().timestamp()))
    params = {key: str(value).replace("{now}", now) for key, value in query.items()}
    with quiet(caplog):
        response = await secret_client.post(
            URL, params=params, data=body, headers=headers
        )
    assert response.status == 400
    reason = await error_of(response)
    assert reason.startswith("a signed request carries its position in the body")
    assert all(name in reason for name in params if name != "token")
    assert position(hass) is None
    assert (await stats(hass))["signed_query"] == 1
    # The refused copy did not spend the signature: the real request still gets in.
    response = await secret_client.post(URL, data=body, headers=headers)
    assert response.status == 200
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)


async def test_a_signed_request_ignores_other_query_parameters(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """Parameters that are no position field (an app's id, a token) are ignored."""
    body = fix(0.01)
    response = await secret_client.post(
        URL, params={"id": "abc", "token": "wrong"}, data=body, headers=sign(body)
    )
    assert response.status == 200
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)


def test_query_fields_are_every_field_the_query_formats_read() -> None:
    """Every key the query and GPSLogger formats read is a refused position field."""
    text = (Path(webhook_module.__file__).parent / "push.py").read_text()
    read = set(re.findall(r'fields\.get\("([A-Za-z_]+)"\)', text))
    read |= set(re.findall(r'"([A-Za-z_]+)" in (?:query|fields)', text))
    assert read
    assert read <= QUERY_FIELDS


def test_the_docs_list_every_refused_query_field() -> None:
    """docs/formats.md names exactly the fields refused in a signed request's query."""
    doc = (README.parent / "docs" / "formats.md").read_text(encoding="utf-8")
    paragraph = doc[doc.index("of the fields the query formats read") :]
    listed = re.findall(r"`([A-Za-z_]+)`", paragraph[: paragraph.index(")")])
    assert set(listed) == QUERY_FIELDS
    assert len(listed) == len(QUERY_FIELDS)


def test_the_readme_says_what_a_url_without_a_secret_means() -> None:
    """The security section says plainly what anyone with the URL can do."""
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "anyone who has the URL can move the car, and so run its routines" in readme
    assert "protect only as well as HTTPS does" in readme
    assert "use_x_forwarded_for" in readme


async def test_a_replay_is_refused(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same signed request again: 401 replay, whatever came in between."""
    first = fix(0.01, seconds_ago=30)
    first_headers = sign(first)
    assert (
        await secret_client.post(URL, data=first, headers=first_headers)
    ).status == 200
    second = fix(0.02, seconds_ago=10)
    assert (
        await secret_client.post(URL, data=second, headers=sign(second))
    ).status == 200
    with quiet(caplog):
        response = await secret_client.post(URL, data=first, headers=first_headers)
    assert response.status == 401
    assert await error_of(response) == "request already received (replay)"
    assert position(hass) == (HOME_LAT + 0.02, HOME_LON)
    assert (await stats(hass))["replayed"] == 1


async def test_a_replay_after_the_window_is_refused(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A request replayed later (to move the car back) is out of the window: 401.

    Also: the memory forgets a signature once its timestamp has left the window.
    """
    body = fix(0.01)
    headers = sign(body)
    assert (await secret_client.post(URL, data=body, headers=headers)).status == 200
    assert len(source(hass).replays) == 1
    freezer.tick(timedelta(seconds=SIGNATURE_WINDOW_S + 1))
    response = await secret_client.post(URL, data=body, headers=headers)
    assert response.status == 401
    assert "more than 5 minutes" in await error_of(response)
    later = fix(0.02)
    assert (
        await secret_client.post(URL, data=later, headers=sign(later))
    ).status == 200
    assert len(source(hass).replays) == 1  # the first one expired and was forgotten
    assert (await stats(hass))["bad_timestamp"] == 1


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (-SIGNATURE_WINDOW_S - 1, 401),
        (-SIGNATURE_WINDOW_S, 200),
        (0, 200),
        (SIGNATURE_WINDOW_S, 200),
        (SIGNATURE_WINDOW_S + 1, 401),
    ],
)
async def test_the_window_is_five_minutes_either_side(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    freezer: FrozenDateTimeFactory,
    offset: int,
    status: int,
) -> None:
    """Accepted within ±5 minutes of Home Assistant's clock, refused beyond."""
    freezer.move_to(NOW)
    body = fix(0.01, seconds_ago=600)
    stamp = int(NOW.timestamp()) + offset
    response = await secret_client.post(
        URL, data=body, headers=sign(body, timestamp=stamp)
    )
    assert response.status == status


@pytest.mark.parametrize(
    "timestamp",
    [None, "", "abc", "1.5e9", "-5", "١٧٠٠٠٠٠٠٠٠", "0" * 13, "1700000000 1"],
)
async def test_a_signed_request_needs_a_timestamp_in_epoch_seconds(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    timestamp: str | None,
) -> None:
    """No timestamp, or one that is not ASCII digits of epoch seconds: 401."""
    body = fix(0.01)
    headers = {"X-Homecoming-Signature": signature(body, timestamp or "")}
    if timestamp is not None:
        headers["X-Homecoming-Timestamp"] = timestamp
    with quiet(caplog):
        response = await secret_client.post(URL, data=body, headers=headers)
    assert response.status == 401
    assert "X-Homecoming-Timestamp" in await error_of(response)
    assert (await stats(hass)) == {"http_401": 1, "bad_timestamp": 1}


@pytest.mark.parametrize(
    "value",
    ["sha256=", "sha256=" + "0" * 63, "sha256=" + "g" * 64, "sha1=" + "0" * 40, "x"],
)
async def test_a_malformed_signature_is_a_401(
    hass: HomeAssistant, secret_client: TestClient[Any, Any], value: str
) -> None:
    """A signature header that is not ``sha256=<64 hex digits>``: 401, no fallback."""
    body = fix(0.01)
    headers = sign(body) | {"X-Homecoming-Signature": value}
    response = await secret_client.post(
        URL, params={"token": SECRET}, data=body, headers=headers
    )
    assert response.status == 401
    assert await error_of(response) == (
        "X-Homecoming-Signature must be sha256=<64 hex digits>"
    )
    assert position(hass) is None


@pytest.mark.parametrize(
    ("headers", "params", "reason", "counter"),
    [
        ({}, {}, "no signature, bearer token or token parameter", "unauthenticated"),
        ({"Authorization": "Basic eDp5"}, {}, "no signature", "unauthenticated"),
        ({"Authorization": "Bearer wrong"}, {}, "wrong bearer token", "bad_token"),
        ({}, {"token": "wrong"}, "wrong token", "bad_token"),
        ({}, {"token": "é" + SECRET}, "wrong token", "bad_token"),
    ],
)
async def test_wrong_or_missing_tokens_are_a_401_with_a_reason(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    headers: dict[str, str],
    params: dict[str, str],
    reason: str,
    counter: str,
) -> None:
    """Each refusal says why, and is counted by its reason."""
    response = await secret_client.post(URL, params=params, data=fix(), headers=headers)
    assert response.status == 401
    assert (await error_of(response)).startswith(reason)
    assert (await stats(hass)) == {"http_401": 1, counter: 1}


async def test_bearer_scheme_is_read_in_any_case(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """``bearer`` is the same scheme as ``Bearer`` (RFC 7235)."""
    response = await secret_client.post(
        URL, data=fix(), headers={"Authorization": f"bearer {SECRET}"}
    )
    assert response.status == 200


async def test_replay_memory_stays_bounded(
    hass: HomeAssistant, home_zone: None, hass_client_no_auth: ClientFactory
) -> None:
    """A flood of signed requests keeps at most the memory's capacity.

    Bad signatures are never remembered; valid ones up to the capacity (here lowered to
    8, and the rate limits lifted, to flood quickly).
    """
    with unlimited(), patch.object(webhook_module, "REPLAY_MEMORY", 8):
        await setup_car(hass, SECRET)
    client = await hass_client_no_auth()
    memory = source(hass).replays
    for index in range(40):
        body = fix(0.0001 * index, seconds_ago=100 - index)
        bad = sign(body, secret="not the secret")
        assert (await client.post(URL, data=body, headers=bad)).status == 401
        assert (await client.post(URL, data=body, headers=sign(body))).status == 200
        assert len(memory) <= 8
    assert len(memory) == 8


def test_replay_memory_outlasts_what_the_rate_limits_let_through() -> None:
    """Within the rate limits, no signature is forgotten while it could be replayed.

    A timestamp up to 5 minutes ahead stays valid for 10 minutes after it is seen; in
    that time a car accepts at most its burst plus two requests a second.
    """
    window = 2 * SIGNATURE_WINDOW_S
    assert CAR_RATE_BURST + window * webhook_module.CAR_RATE_PER_SECOND <= REPLAY_MEMORY


async def test_readme_example_runs_as_written(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """The README's curl/openssl example, run by bash against the test server.

    The shell snippet is taken from README.md as it is written; only ``SECRET`` and
    ``URL`` are given (the README says to set them), the URL on loopback.
    """
    for tool in ("bash", "curl", "openssl", "date", "cut"):
        if shutil.which(tool) is None:  # pragma: no cover - the CI image has them
            pytest.skip(f"{tool} is not installed")
    readme = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.DOTALL)
    (snippet,) = [block for block in blocks if "X-Homecoming-Signature" in block]
    assert "X-Homecoming-Timestamp" in snippet
    url = str(secret_client.make_url(URL))
    assert url.startswith("http://127.0.0.1:")
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        snippet.replace("curl ", "curl --silent --show-error ", 1),
        env={"SECRET": SECRET, "URL": url, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert json.loads(out) == {"accepted": 1, "ignored": 0}
    body = re.search(r"body='(.*)'", snippet)
    assert body is not None
    sent = json.loads(body.group(1))
    assert position(hass) == (sent["latitude"], sent["longitude"])


# ================================================================== 2. no tracebacks


@pytest.mark.parametrize(
    "headers",
    [
        [(b"X-Homecoming-Signature", "sha256=é".encode() + b"0" * 62)],
        [(b"X-Homecoming-Signature", b"sha256=" + b"\xff" * 64)],
        [(b"X-Homecoming-Signature", b"\xff\xfe")],
        [(b"X-Homecoming-Signature", b"sha256=" + b"0" * 64)],
    ],
)
@pytest.mark.parametrize("timestamp", [b"{now}", b"\xff", "١٧".encode(), b"{now}\xff"])
async def test_non_ascii_signature_headers_are_a_401(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    headers: list[tuple[bytes, bytes]],
    timestamp: bytes,
) -> None:
    """Bytes that are not ASCII in the signature or timestamp: 401, never an error."""
    now = str(int(dt_util.utcnow().timestamp())).encode()
    sent = [*headers, (b"X-Homecoming-Timestamp", timestamp.replace(b"{now}", now))]
    with quiet(caplog):
        status, content, _ = await raw_request(
            secret_client, b"POST", URL.encode(), sent, fix()
        )
    assert status == 401, content
    assert json.loads(content)["error"]
    assert (await stats(hass))["http_401"] == 1
    assert position(hass) is None


@pytest.mark.parametrize(
    "value", [b"Bearer " + "é".encode(), b"Basic \xff\xfe", b"\xff", b"Token \x80"]
)
async def test_non_ascii_authorization_is_a_401(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    value: bytes,
) -> None:
    """An Authorization header that is not ASCII: 401 with a reason.

    (Not ``Bearer`` followed by bytes that are not UTF-8: Home Assistant's own auth
    middleware fails on those before any webhook is reached.)
    """
    with quiet(caplog):
        status, content, _ = await raw_request(
            secret_client, b"POST", URL.encode(), [(b"Authorization", value)], fix()
        )
    assert status == 401
    assert json.loads(content)["error"]


async def test_a_token_that_is_not_utf8_is_a_401(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``?token=%FF%FE`` (not UTF-8 once decoded): 401, no error."""
    with quiet(caplog):
        status, content, _ = await raw_request(
            secret_client, b"POST", URL.encode() + b"?token=%FF%FE%ED%A0%80", [], fix()
        )
    assert status == 401
    assert json.loads(content) == {"error": "wrong token"}


@pytest.mark.parametrize("secret", ["", SECRET])
@pytest.mark.parametrize("encoding", [b"gzip", b"deflate", b"zstd"])
async def test_a_body_that_is_not_its_content_encoding_is_a_400(
    hass: HomeAssistant,
    home_zone: None,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    secret: str,
    encoding: bytes,
) -> None:
    """``Content-Encoding`` lying about the body: 400, counted, nothing logged.

    Neither by Homecoming nor by aiohttp, which would otherwise hit the same error
    again reading the rest of the body after the answer; the connection is closed.
    """
    await setup_car(hass, secret)
    client = await hass_client_no_auth()
    body = b"this is not compressed at all" * 100
    headers = [(b"Content-Encoding", encoding), (b"Content-Type", b"application/json")]
    with quiet(caplog):
        status, content, answer_headers = await raw_request(
            client, b"POST", URL.encode(), headers, body
        )
        await asyncio.sleep(0.05)  # aiohttp would log while finishing the request
    assert status == 400
    assert json.loads(content) == {"error": "request cannot be read"}
    assert answer_headers[b"connection"] == b"close"
    assert (await stats(hass)) == {"http_400": 1, "unreadable": 1}
    # The same in a chunked body, and the next request is served as usual.
    with quiet(caplog):
        status, _, _ = await raw_request(
            client, b"POST", URL.encode(), headers, chunks=[body[:100], body[100:]]
        )
        await asyncio.sleep(0.05)
    assert status == 400
    good = fix(0.01)
    headers = sign(good) if secret else {}
    assert (await client.post(URL, data=good, headers=headers)).status == 200


async def test_an_unreadable_body_is_quiet_without_debug_logging(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With debug logging off (the default), an unreadable body logs nothing at all."""
    caplog.set_level(logging.INFO)
    response = await open_client.post(
        URL, data=b"not gzip", headers={"Content-Encoding": "gzip"}
    )
    assert response.status == 400
    assert not [r for r in caplog.records if r.name.startswith("custom_components")]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
async def test_a_compressed_body_is_read_and_signed_as_received(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    encoding: str,
    compress: Callable[[bytes], bytes],
) -> None:
    """A gzip or deflate body is signed as Home Assistant receives it (decompressed)."""
    body = fix(0.01)
    headers = sign(body) | {"Content-Encoding": encoding}
    response = await secret_client.post(URL, data=compress(body), headers=headers)
    assert response.status == 200
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)


async def test_a_compression_bomb_is_a_413(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """10 MB of zeros in 10 KB of gzip: refused once 64 KiB are unpacked."""
    bomb = gzip.compress(b"0" * 10_000_000)
    assert len(bomb) < 64 * 1024
    with quiet(caplog):
        response = await open_client.post(
            URL, data=bomb, headers={"Content-Encoding": "gzip"}
        )
    assert response.status == 413
    assert (await stats(hass)) == {"http_413": 1}


@pytest.mark.parametrize("fields", [201, 1_000, 10_000])
async def test_forms_with_too_many_fields_are_a_400(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    fields: int,
) -> None:
    """More than 200 form fields: 400 (parse_qsl's limit), never a server error."""
    body = "&".join(["a=1"] * (fields - 2)) + "&lat=1&lon=2"
    with quiet(caplog):
        response = await open_client.post(
            URL,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status == 400
    assert await error_of(response) == "more than 200 fields in the form"


async def test_a_fault_of_homecoming_is_logged_without_the_webhook_id(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug past the checks: 500, an error logged with the car's name, not the id."""
    (entry,) = hass.config_entries.async_entries("homecoming")
    with patch.object(
        entry.runtime_data.coordinator,
        "async_add_fixes",
        side_effect=RuntimeError("boom"),
    ):
        response = await open_client.post(URL, data=fix())
    assert response.status == 500
    assert await error_of(response) == "internal error"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Test car: could not apply a push"]
    assert not [r for r in loud_records(caplog) if WEBHOOK_ID in r.getMessage()]
    assert (await stats(hass)) == {"http_500": 1}


# ------------------------------------------------------------------ cloudhooks


def cloud_request(
    body: bytes, headers: dict[str, str], query: str = "", method: str = "POST"
) -> MockRequest:
    """Return a request as Home Assistant Cloud relays a cloudhook call."""
    return MockRequest(
        content=body,
        headers=headers,
        method=method,
        query_string=query,
        mock_source="cloud",
        remote=None,
    )


async def test_cloudhook_requests_are_read_like_any_other(
    hass: HomeAssistant, home_zone: None, caplog: pytest.LogCaptureFixture
) -> None:
    """A cloudhook call (Home Assistant Cloud's MockRequest): the same checks apply.

    It has no ``content_type``, ``content_length`` or address of its own, and makes a
    new stream each time its content is asked for.
    """
    await setup_car(hass, SECRET)
    body = fix(0.01)
    with quiet(caplog):
        response = await webhook.async_handle_webhook(
            hass, WEBHOOK_ID, cloud_request(body, sign(body))
        )
    assert response.status == 200
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)
    with quiet(caplog):
        response = await webhook.async_handle_webhook(
            hass, WEBHOOK_ID, cloud_request(body, {})
        )
        assert response.status == 401
        response = await webhook.async_handle_webhook(
            hass,
            WEBHOOK_ID,
            cloud_request(body, {"Content-Length": "twelve"} | sign(body)),
        )
        assert response.status == 400
        response = await webhook.async_handle_webhook(
            hass,
            WEBHOOK_ID,
            cloud_request(b"x" * 70_000, {"Content-Length": "70000"}),
        )
        assert response.status == 413
        response = await webhook.async_handle_webhook(
            hass, WEBHOOK_ID, cloud_request(b"x" * 70_000, {})
        )
        assert response.status == 413
    assert list(source(hass).senders._buckets) == [CLOUD_SENDER]


# ================================================================== 3. rate limits


class FakeClock:
    """A monotonic clock the test advances."""

    def __init__(self) -> None:
        """Start at 1,000 s."""
        self.now = 1_000.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """Drive the rate limits' clock by hand."""
    fake = FakeClock()
    with patch.object(webhook_module, "monotonic", fake):
        yield fake


@contextmanager
def client_from(address: str) -> Iterator[aiohttp.ClientSession]:
    """Return a client session whose requests come from a loopback address."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    session = aiohttp.ClientSession(connector=connector)
    try:
        yield session
    finally:
        asyncio.get_running_loop().create_task(session.close())


async def test_a_flooding_sender_cannot_lock_out_the_car(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One address floods, the car's device still gets through.

    Without a secret, 5 requests a second from one address for a minute, while the
    car's device pushes 7 times from another: every push of the device is accepted.
    """
    url = open_client.make_url(URL)
    device_statuses: list[int] = []
    flood_statuses: list[int] = []
    with client_from("127.0.0.2") as flooder, client_from("127.0.0.3") as device:
        for second in range(60):
            if second % 9 == 0:
                body = fix(0.0001 * second, seconds_ago=60 - second)
                response = await device.post(url, data=body)
                device_statuses.append(response.status)
            for _ in range(5):
                response = await flooder.post(url, data=fix(0.5, seconds_ago=3600))
                flood_statuses.append(response.status)
            clock.now += 1.0
    assert device_statuses == [200] * 7
    assert flood_statuses[:RATE_BURST] == [200] * RATE_BURST
    assert flood_statuses.count(429) >= 300 - RATE_BURST - 60
    assert position(hass) == pytest.approx((HOME_LAT + 0.0054, HOME_LON))
    counters = await stats(hass)
    assert counters["rate_limited_sender"] == flood_statuses.count(429)
    assert "rate_limited_car" not in counters
    assert set(source(hass).senders._buckets) == {"127.0.0.2", "127.0.0.3"}
    assert not loud_records(caplog)


async def test_the_car_limit_caps_all_senders_together(
    hass: HomeAssistant, open_client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Three addresses with a full allowance each: the car takes 40 at once, then 429."""
    url = open_client.make_url(URL)
    statuses: list[int] = []
    with (
        client_from("127.0.0.2") as first,
        client_from("127.0.0.3") as second,
        client_from("127.0.0.4") as third,
    ):
        for index in range(RATE_BURST):
            for session in (first, second, third):
                body = fix(0.5, seconds_ago=600 - index)
                statuses.append((await session.post(url, data=body)).status)
    assert statuses.count(200) == CAR_RATE_BURST
    assert statuses.count(429) == 3 * RATE_BURST - CAR_RATE_BURST
    assert (await stats(hass))["rate_limited_car"] == 3 * RATE_BURST - CAR_RATE_BURST


async def test_failed_authentication_spends_no_allowance(
    hass: HomeAssistant, secret_client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A hundred wrong signatures from the device's own address, then its burst: 200."""
    for _ in range(100):
        body = fix(0.5)
        headers = sign(body, secret="guess")
        assert (await secret_client.post(URL, data=body, headers=headers)).status == 401
    statuses = []
    for index in range(RATE_BURST + 1):
        body = fix(0.0001 * index, seconds_ago=100 - index)
        response = await secret_client.post(URL, data=body, headers=sign(body))
        statuses.append(response.status)
    assert statuses == [200] * RATE_BURST + [429]


async def test_senders_behind_a_trusted_proxy(
    hass: HomeAssistant,
    home_zone: None,
    hass_client_no_auth: ClientFactory,
    clock: FakeClock,
) -> None:
    """Behind a trusted proxy, each client has its own allowance.

    With ``use_x_forwarded_for`` and the proxy trusted: an IPv4 address, an IPv6 /64,
    an IPv4-mapped IPv6 address as IPv4. The table of senders keeps the most recent
    ones only.
    """
    assert await async_setup_component(
        hass,
        "http",
        {"http": {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1"]}},
    )
    with patch.object(webhook_module, "MAX_SENDERS", 3):
        await setup_car(hass)
    client = await hass_client_no_auth()

    async def burst(forwarded_for: str) -> list[int]:
        statuses = []
        for _ in range(RATE_BURST + 1):
            response = await client.post(
                URL,
                data=fix(0.5, seconds_ago=600),
                headers={"X-Forwarded-For": forwarded_for},
            )
            statuses.append(response.status)
        return statuses

    assert await burst("203.0.113.7") == [200] * RATE_BURST + [429]
    # 2001:db8::2 is in the /64 of 2001:db8::1: one sender, already out of allowance
    assert (await burst("2001:db8::1"))[-1] == 429
    assert await burst("2001:db8::2") == [429] * (RATE_BURST + 1)
    clock.now += 100.0  # the car's allowance refills; the senders' too
    assert (await burst("::ffff:203.0.113.8"))[-1] == 429
    assert list(source(hass).senders._buckets) == [
        "203.0.113.7",
        "2001:db8::/64",
        "203.0.113.8",
    ]
    assert (await burst("198.51.100.1"))[0] == 200
    assert list(source(hass).senders._buckets) == [
        "2001:db8::/64",
        "203.0.113.8",
        "198.51.100.1",
    ]


def test_sender_of_an_address_that_is_not_an_ip() -> None:
    """A remote that is no IP address (a Unix socket peer) is its own sender."""
    assert sender_of("unix:/run/hass.sock") == "unix:/run/hass.sock"
    assert sender_of(None) == CLOUD_SENDER
    assert sender_of("fe80::1%eth0") == "fe80::/64"


async def test_a_reload_keeps_the_replay_memory_and_forgets_limits(
    hass: HomeAssistant,
    home_zone: None,
    hass_client_no_auth: ClientFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a reload (or a restart) a request already received is still a replay.

    The allowances start afresh; the memory is kept (written on unload, and within
    seconds of each signature so that Home Assistant's final write on stop has it).
    """
    entry: MockConfigEntry = await setup_car(hass, SECRET)
    client = await hass_client_no_auth()
    body = fix(0.01, seconds_ago=30)
    headers = sign(body)
    assert (await client.post(URL, data=body, headers=headers)).status == 200
    later = fix(0.02, seconds_ago=10)
    assert (await client.post(URL, data=later, headers=sign(later))).status == 200
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(source(hass).senders) == 0
    assert len(source(hass).replays) == 2
    with quiet(caplog):
        response = await client.post(URL, data=body, headers=headers)
    assert response.status == 401
    assert await error_of(response) == "request already received (replay)"
    assert position(hass) == (HOME_LAT + 0.02, HOME_LON)
    saved = hass_storage[f"{DOMAIN}.{entry.entry_id}.replays"]["data"]
    assert len(saved) == 2


@pytest.mark.parametrize(
    ("version", "data"),
    [
        # Junk in the saved memory is left out.
        (1, [["zz", 1], ["00" * 32, "soon"], [1, 2, 3], ["00" * 31, 1e18], "x"]),
        (9, []),  # written by a newer version: not read
        (1, {"not": "a list"}),  # of another shape: not read
    ],
    ids=["damaged", "newer", "no_list"],
)
async def test_an_unreadable_replay_memory_is_skipped(
    hass: HomeAssistant,
    home_zone: None,
    hass_storage: dict[str, Any],
    version: int,
    data: object,
) -> None:
    """A saved memory that cannot be used is not read; the car starts."""
    key = f"{DOMAIN}.{ENTRY_ID}.replays"
    hass_storage[key] = common.store_file(key, data, version)
    await setup_car(hass, SECRET)
    assert len(source(hass).replays) == 0


# ------------------------------------------------------------------ refused bodies


async def test_a_refused_large_body_is_read_to_its_end_within_bounds(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """413 for 70 KB: the rest is read and dropped, the connection stays open.

    Beyond a megabyte, the answer closes the connection instead of reading on.
    """
    with quiet(caplog):
        response = await open_client.post(URL, data=b"x" * 70_000)
    assert response.status == 413
    assert await error_of(response) == "body too large"
    assert "Connection" not in response.headers  # kept alive

    async def slowly() -> AsyncIterator[bytes]:
        """Send the same body, its end still on its way when the answer is decided."""
        yield b"x" * 70_000
        await asyncio.sleep(0.05)
        yield b"x" * 1_000

    with quiet(caplog):
        response = await open_client.post(URL, data=slowly())
    assert response.status == 413
    assert "Connection" not in response.headers  # read to its end, kept alive
    with quiet(caplog):
        response = await open_client.post(URL, data=b"x" * 2_000_000)
    assert response.status == 413
    assert response.headers["Connection"] == "close"


async def test_a_large_body_that_does_not_decode_is_cut_short_quietly(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Too large for its length, and not the gzip it claims: 413, closed, quiet."""
    headers = [(b"Content-Encoding", b"gzip")]
    with quiet(caplog):
        status, _, answer_headers = await raw_request(
            open_client, b"POST", URL.encode(), headers, b"not gzip" * 10_000
        )
        await asyncio.sleep(0.05)
    assert status == 413
    assert answer_headers[b"connection"] == b"close"


async def test_a_slow_body_is_not_waited_for(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sender announcing a large body and sending it slowly: 413 in bounded time."""
    reader, writer = await asyncio.open_connection(open_client.host, open_client.port)
    with quiet(caplog), patch.object(webhook_module, "DRAIN_SECONDS", 0.1):
        writer.write(
            b"POST " + URL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: 100000\r\n\r\n" + b"x" * 1_000
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in answer

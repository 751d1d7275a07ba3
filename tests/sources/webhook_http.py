"""Helpers of the webhook tests: push cars, signed requests and raw HTTP on loopback.

Every request these helpers send goes through Home Assistant's real HTTP stack: the
aiohttp server of ``hass.http.app`` (the test client's), its middlewares, the ``webhook``
component and the car's handler. :func:`raw_request` writes the bytes of a request
itself, for header values no HTTP client library would send (bytes that are not UTF-8).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
import hashlib
import hmac
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONF_CLOUDHOOK,
    CONF_HOME_ZONE,
    CONF_SECRET,
    CONF_SOURCE,
    DOMAIN,
    MINOR_VERSION,
    SOURCE_PUSH,
)
from custom_components.homecoming.sources import webhook as webhook_module
from tests.common import add_car

WEBHOOK_ID = "a" * 64
SECRET = "correct horse battery staple"
URL = f"/api/webhook/{WEBHOOK_ID}"
TRACKER = "device_tracker.test_car"

type Headers = Sequence[tuple[bytes, bytes]]
type ClientFactory = Callable[[], Awaitable[TestClient[Any, Any]]]
"""The ``hass_client_no_auth`` fixture."""


ENTRY_ID = "01WEBHOOKTESTCAR"
"""The test car's config entry id (its storage files are named after it)."""


def make_entry(secret: str = "", *, cloudhook: bool = False) -> MockConfigEntry:
    """Return a push car with a webhook (and a secret, if given)."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=MINOR_VERSION,
        title="Test car",
        unique_id="TESTCAR",
        entry_id=ENTRY_ID,
        data={
            CONF_SOURCE: SOURCE_PUSH,
            CONF_HOME_ZONE: "zone.home",
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            CONF_SECRET: secret,
            CONF_CLOUDHOOK: cloudhook,
        },
    )


async def setup_car(
    hass: HomeAssistant, secret: str = "", *, cloudhook: bool = False
) -> MockConfigEntry:
    """Set up a push car (zone and webhook loaded)."""
    return await add_car(hass, make_entry(secret, cloudhook=cloudhook), webhook=True)


def position(hass: HomeAssistant) -> tuple[float, float] | None:
    """Return the car's position as its tracker shows it."""
    state = hass.states.get(TRACKER)
    if state is None or "latitude" not in state.attributes:
        return None
    return state.attributes["latitude"], state.attributes["longitude"]


@contextmanager
def unlimited() -> Iterator[None]:
    """Lift the per-sender and per-car rate limits of cars set up meanwhile."""
    with (
        patch.object(webhook_module, "RATE_BURST", 10**9),
        patch.object(webhook_module, "CAR_RATE_BURST", 10**9),
    ):
        yield


def signature(body: bytes, timestamp: int | str, secret: str = SECRET) -> str:
    """Return the signature header value of a body at a timestamp."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(
    body: bytes, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Return the headers of a signed JSON request (now, by Home Assistant's clock)."""
    stamp = int(dt_util.utcnow().timestamp()) if timestamp is None else timestamp
    return {
        "X-Homecoming-Timestamp": str(stamp),
        "X-Homecoming-Signature": signature(body, stamp, secret),
        "Content-Type": "application/json",
    }


def car_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return the state and attributes of every entity of a car."""
    out: dict[str, Any] = {}
    for registered in er.async_entries_for_config_entry(
        er.async_get(hass), entry.entry_id
    ):
        state = hass.states.get(registered.entity_id)
        out[registered.entity_id] = (
            None if state is None else (state.state, dict(state.attributes))
        )
    return out


ANSWER_TIMEOUT_S = 60.0
"""A request not answered (and closed) within this long fails the test."""


async def raw_request(
    client: TestClient[Any, Any],
    method: bytes,
    target: bytes,
    headers: Headers,
    body: bytes = b"",
    *,
    chunks: Sequence[bytes] | None = None,
) -> tuple[int, bytes, dict[bytes, bytes]]:
    """Send a request as raw bytes to the test server; return status, body, headers.

    With ``chunks`` the body is sent with ``Transfer-Encoding: chunked``, one chunk
    each; otherwise with a ``Content-Length``. The connection is closed after the
    answer.
    """
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Connection: close")
    if chunks is None:
        lines.append(b"Content-Length: %d" % len(body))
        payload = body
    else:
        lines.append(b"Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c)
        payload += b"0\r\n\r\n"
    request = b"\r\n".join(lines) + b"\r\n\r\n" + payload
    assert client.host in ("127.0.0.1", "localhost")  # loopback only
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(ANSWER_TIMEOUT_S):  # never a hang: a failure
            answer = await reader.read()
    finally:
        writer.close()
    head, _, content = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    answer_headers = {}
    for line in header_lines:
        name, _, value = line.partition(b":")
        answer_headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), content, answer_headers

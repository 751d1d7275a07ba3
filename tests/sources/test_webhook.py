"""The webhook through Home Assistant's real HTTP stack: formats, security, limits.

Also the senders as they really send (the OsmAnd app, Traccar server forwarding,
encrypted OwnTracks and its repair issue) and every value out of its range.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
import hashlib
import hmac
import json
import logging
import random
from typing import Any
from unittest.mock import MagicMock, patch
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
from nacl.secret import SecretBox
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.homecoming.const import (
    CONF_OWNTRACKS_KEY,
    CONF_SECRET,
    DOMAIN,
    EVENT_HOMECOMING,
)
from custom_components.homecoming.coordinator import HomecomingCoordinator
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.engine.detector import STILL_SPEED_MPS
from custom_components.homecoming.sources.push import KNOTS, owntracks_key_bytes
from custom_components.homecoming.sources.webhook import owntracks_issue_id
from devtools import sim
from tests import common
from tests.common import HOME_LAT, HOME_LON

from .test_push import OWNTRACKS_OTHER_TYPES
from .webhook_http import (
    SECRET,
    TRACKER,
    URL,
    ClientFactory,
    position,
    setup_car,
    sign,
    unlimited,
)


def ago(seconds: float) -> str:
    """Return an ISO timestamp ``seconds`` before now."""
    return (dt_util.utcnow() - timedelta(seconds=seconds)).isoformat()


async def answer(response: ClientResponse) -> Any:
    """Return the JSON reply of a response."""
    return json.loads(await response.text())


# ------------------------------------------------------------------ formats


async def test_homecoming_json(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """The native JSON format moves the car; the reply counts what was used."""
    response = await open_client.post(
        URL,
        json={
            "latitude": HOME_LAT + 0.01,
            "longitude": HOME_LON,
            "accuracy": 9,
            "timestamp": ago(5),
            "speed": 12,
            "driver": "anna",
        },
    )
    assert response.status == 200
    assert await answer(response) == {"accepted": 1, "ignored": 0}
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)


async def test_owntracks(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """OwnTracks location messages move the car; other messages get [] and nothing else."""
    body = {
        "_type": "location",
        "lat": HOME_LAT + 0.02,
        "lon": HOME_LON,
        "tst": int(dt_util.utcnow().timestamp()) - 3,
        "acc": 15,
        "vel": 50,
        "cog": 180,
        "tid": "ab",
    }
    response = await open_client.post(URL, json=body)
    assert response.status == 200
    assert await answer(response) == []
    assert position(hass) == (HOME_LAT + 0.02, HOME_LON)
    response = await open_client.post(
        URL, json={"_type": "transition", "event": "leave"}
    )
    assert response.status == 200
    assert await answer(response) == []
    assert position(hass) == (HOME_LAT + 0.02, HOME_LON)


type Sent = tuple[str, dict[str, Any]]
"""How a sender sends a fix: the URL, and the body keywords of the client's request."""


def traccar_query(latitude: float) -> Sent:
    """Traccar Client / OsmAnd: the query string (of a GET or a POST)."""
    query = {
        "id": "862374",
        "lat": str(latitude),
        "lon": str(HOME_LON),
        "timestamp": str(int(dt_util.utcnow().timestamp()) - 2),
        "speed": "15.5",
        "bearing": "90",
        "accuracy": "6",
        "batt": "77",
    }
    return f"{URL}?{urlencode(query)}", {}


def traccar_client_10_form(latitude: float) -> Sent:
    """Traccar Client 10.x: the same keys as a form body (core traccar fails on it)."""
    form = {
        "id": "862374",
        "lat": str(latitude),
        "lon": str(HOME_LON),
        "timestamp": (dt_util.utcnow() - timedelta(seconds=2)).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
        "speed": "0",
        "accuracy": "8",
    }
    return URL, {"data": form}


def traccar_client_9_json(latitude: float) -> Sent:
    """Traccar Client 9.x: JSON with location.coords."""
    body = {
        "location": {
            "timestamp": ago(2),
            "coords": {
                "latitude": latitude,
                "longitude": HOME_LON,
                "accuracy": 5,
                "speed": 10,
                "heading": -1,
            },
            "is_moving": True,
            "battery": {"level": 0.8, "is_charging": False},
        },
        "device_id": "862374",
    }
    return URL, {"json": body}


def gpslogger_form(latitude: float) -> Sent:
    """GPSLogger: a form body with latitude/longitude keys."""
    form = {
        "latitude": str(latitude),
        "longitude": str(HOME_LON),
        "device": "phone",
        "accuracy": "12",
        "speed": "3.5",
        "direction": "45",
        "battery": "60",
    }
    return URL, {"data": form}


@pytest.mark.parametrize(
    ("method", "sender"),
    [
        pytest.param("get", traccar_query, id="traccar_query_string_get"),
        pytest.param("post", traccar_query, id="traccar_query_string_post"),
        pytest.param("post", traccar_client_10_form, id="traccar_client_10_form"),
        pytest.param("post", traccar_client_9_json, id="traccar_client_9_json"),
        pytest.param("post", gpslogger_form, id="gpslogger_form"),
    ],
)
async def test_sender_format(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    method: str,
    sender: Callable[[float], Sent],
) -> None:
    """A fix as a sender sends it (see the sender's docstring) moves the car."""
    url, body = sender(HOME_LAT + 0.03)
    response = await getattr(open_client, method)(url, **body)
    assert response.status == 200
    assert position(hass) == (HOME_LAT + 0.03, HOME_LON)


# ------------------------------------------------------------------ rejections


async def test_too_old_duplicate_and_old_fixes_are_ignored_with_200(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """Valid but late fixes: 200, ignored, counted; the car never moves back."""
    fresh = {"latitude": HOME_LAT + 0.01, "longitude": HOME_LON, "timestamp": ago(10)}
    assert (await open_client.post(URL, json=fresh)).status == 200
    for late in (
        fresh,
        {**fresh, "latitude": HOME_LAT + 0.5, "timestamp": ago(60)},
        {**fresh, "timestamp": ago(3600)},
    ):
        response = await open_client.post(URL, json=late)
        assert response.status == 200
        assert await answer(response) == {"accepted": 0, "ignored": 1}
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)
    stats = await common.stats(hass, hass.config_entries.async_entries(DOMAIN)[0])
    assert stats["duplicate"] == 1
    assert stats["out_of_order"] == 1
    assert stats["too_old"] == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty request"),
        (b"{nope", "not valid JSON"),
        (
            json.dumps({"latitude": 100, "longitude": 4}).encode(),
            "latitude must be between",
        ),
        (json.dumps({"longitude": 4}).encode(), "required"),
    ],
)
async def test_invalid_input_is_a_400_with_a_reason(
    hass: HomeAssistant, open_client: TestClient[Any, Any], body: bytes, reason: str
) -> None:
    """Bad input: 400 with a short JSON reason, and the car does not move."""
    response = await open_client.post(
        URL, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert reason in (await answer(response))["error"]
    assert position(hass) is None


async def test_oversized_body_is_413(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """A body over 64 KiB is refused before parsing, with or without a length."""
    big = b'{"latitude": 1, "longitude": 2, "pad": "' + b"x" * 70_000 + b'"}'
    response = await open_client.post(URL, data=big)
    assert response.status == 413

    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 4096

    response = await open_client.post(URL, data=chunks())
    assert response.status == 413
    assert position(hass) is None


async def test_rate_limit_is_429_without_touching_state(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """A flood gets 429 after the burst; refused pushes change nothing."""
    statuses = []
    for index in range(40):
        body = {
            "latitude": HOME_LAT + 0.0001 * index,
            "longitude": HOME_LON,
            "timestamp": ago(100 - index),
        }
        statuses.append((await open_client.post(URL, json=body)).status)
    assert statuses[:20] == [200] * 20
    assert statuses.count(429) >= 15
    last_accepted = max(index for index, status in enumerate(statuses) if status == 200)
    assert position(hass) == pytest.approx(
        (HOME_LAT + 0.0001 * last_accepted, HOME_LON)
    )


# ------------------------------------------------------------------ secret


async def test_secret_accepts_signature_bearer_and_token(
    hass: HomeAssistant, secret_client: TestClient[Any, Any]
) -> None:
    """With a secret: a signature, a bearer token or a token parameter."""
    body = json.dumps(
        {"latitude": HOME_LAT + 0.001, "longitude": HOME_LON, "timestamp": ago(30)}
    ).encode()
    assert (await secret_client.post(URL, data=body, headers=sign(body))).status == 200
    body = json.dumps(
        {"latitude": HOME_LAT + 0.002, "longitude": HOME_LON, "timestamp": ago(20)}
    ).encode()
    headers = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
    assert (await secret_client.post(URL, data=body, headers=headers)).status == 200
    query = urlencode(
        {
            "token": SECRET,
            "lat": HOME_LAT + 0.003,
            "lon": HOME_LON,
            "timestamp": int(dt_util.utcnow().timestamp()) - 10,
        }
    )
    assert (await secret_client.get(f"{URL}?{query}")).status == 200
    assert position(hass) == (HOME_LAT + 0.003, HOME_LON)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Homecoming-Signature": "sha256=" + "0" * 64},
        {"X-Homecoming-Signature": "md5=abc"},
        # the former scheme: an HMAC of the body alone, without a timestamp
        {
            "X-Homecoming-Signature": "sha256="
            + hmac.new(
                SECRET.encode(),
                json.dumps({"latitude": HOME_LAT, "longitude": HOME_LON}).encode(),
                hashlib.sha256,
            ).hexdigest()
        },
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic " + SECRET},
    ],
)
async def test_secret_refuses_anything_else_with_401(
    hass: HomeAssistant, secret_client: TestClient[Any, Any], headers: dict[str, str]
) -> None:
    """Without proof of the secret: 401, and the car does not move."""
    body = json.dumps({"latitude": HOME_LAT, "longitude": HOME_LON}).encode()
    response = await secret_client.post(URL, data=body, headers=headers)
    assert response.status == 401
    assert position(hass) is None
    response = await secret_client.get(f"{URL}?token=wrong&lat=1&lon=2")
    assert response.status == 401


# ------------------------------------------------------------------ concurrency


async def test_concurrent_shuffled_pushes(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """10 tasks x 100 pushes, shuffled: every push answered, the newest fix wins."""
    base = dt_util.utcnow() - timedelta(seconds=1_000)
    fixes = [
        {
            "latitude": HOME_LAT + 0.05 - 0.00005 * index,
            "longitude": HOME_LON,
            "timestamp": (base + timedelta(seconds=index)).isoformat(),
            "accuracy": 10,
        }
        for index in range(1_000)
    ]
    shuffled = list(fixes)
    random.Random(7).shuffle(shuffled)
    answers: list[dict[str, int]] = []

    async def worker(part: list[dict[str, Any]]) -> None:
        for body in part:
            response = await open_client.post(URL, json=body)
            assert response.status == 200
            answers.append(await answer(response))

    with unlimited():
        # fresh buckets with the larger bursts
        await hass.config_entries.async_reload(
            hass.config_entries.async_entries(DOMAIN)[0].entry_id
        )
        await hass.async_block_till_done()
        await asyncio.gather(*(worker(shuffled[i::10]) for i in range(10)))
    assert len(answers) == 1_000
    assert sum(a["accepted"] + a["ignored"] for a in answers) == 1_000
    newest = fixes[-1]
    assert position(hass) == pytest.approx((newest["latitude"], newest["longitude"]))
    snapshot_time = await common.last_fix(
        hass, hass.config_entries.async_entries(DOMAIN)[0]
    )
    assert snapshot_time == dt_util.parse_datetime(newest["timestamp"])


# ------------------------------------------------------------------ fuzzing

_STATUSES = {200, 400, 401, 405, 413, 429}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    query=st.dictionaries(
        st.sampled_from(
            [
                "lat",
                "lon",
                "latitude",
                "longitude",
                "timestamp",
                "speed",
                "token",
                "x",
                "hdop",
                "batt",
                "speed_unit",
                "valid",
                "bearing",
                "heading",
            ]
        ),
        st.text(max_size=12),
        max_size=4,
    ),
    headers=st.dictionaries(
        st.sampled_from(
            ["Content-Type", "X-Homecoming-Signature", "Authorization", "X-Other"]
        ),
        st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "sha256=00",
                "Bearer x",
                "",
                "multipart/form-data",
            ]
        ),
        max_size=3,
    ),
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from(
                [
                    "latitude",
                    "longitude",
                    "_type",
                    "lat",
                    "lon",
                    "location",
                    "timestamp",
                    "tst",
                    "travel_time",
                    "data",
                    "position",
                    "device",
                    "event",
                ]
            ),
            st.one_of(
                st.none(),
                st.floats(),
                st.text(max_size=8),
                st.integers(),
                st.sampled_from(["encrypted", "location", "lwt", "9999-12-31"]),
                st.fixed_dictionaries(
                    {"latitude": st.floats(-90, 90), "longitude": st.floats()}
                ),
            ),
            max_size=5,
        ).map(lambda d: json.dumps(d).encode()),
    ),
)
async def test_fuzzing_never_breaks_anything(
    hass: HomeAssistant,
    secret_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    method: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """Any request: a documented status, no error logged, no change unless accepted."""
    before = position(hass)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = await secret_client.request(
            method, f"{URL}?{urlencode(query)}", data=body, headers=headers
        )
    assert response.status in _STATUSES
    # Home Assistant's own HTTP security filter may warn about hostile query strings;
    # ours never logs above debug for a bad request, and nothing may raise.
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        or (
            record.levelno >= logging.WARNING
            and record.name.startswith("custom_components")
        )
    ]
    if response.status != 200:
        assert position(hass) == before


async def test_unload_unregisters_the_webhook(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """After unload the URL no longer reaches the car."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)
    response = await open_client.post(
        URL, json={"latitude": HOME_LAT, "longitude": HOME_LON}
    )
    # Home Assistant answers unknown webhooks with 200 and does nothing.
    assert response.status == 200
    assert hass.states.get(TRACKER).state == "unavailable"


# ================================================================== senders as they send
# The OsmAnd app (m/s in the Traccar query format), Traccar server forwarding, encrypted
# OwnTracks with its repair issue, OwnTracks messages that are no location, and values
# out of their range: each pushed to the webhook and checked by what the car does.

KEY = "my OwnTracks key"


def car(hass: HomeAssistant) -> MockConfigEntry:
    """Return the car's entry."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return entry  # type: ignore[return-value]


def coordinator(hass: HomeAssistant) -> HomecomingCoordinator:
    """Return the car's coordinator (a new one after each reload)."""
    runtime: HomecomingCoordinator = car(hass).runtime_data.coordinator
    return runtime


@contextmanager
def spy(hass: HomeAssistant) -> Iterator[MagicMock]:
    """Record the fixes the webhook hands to the car's coordinator."""
    target = coordinator(hass)
    with patch.object(
        target, "async_add_fixes", wraps=target.async_add_fixes
    ) as recorder:
        yield recorder


def handed(recorder: MagicMock) -> list[Fix]:
    """Return every fix handed over while spying."""
    return [fix for call in recorder.call_args_list for fix in call.args[0]]


def key_issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    """Return the car's repair issue about its OwnTracks key, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, owntracks_issue_id(car(hass).entry_id)
    )


def encrypted(message: dict[str, Any], key: str = KEY) -> dict[str, str]:
    """Return an OwnTracks message encrypted as the apps do."""
    box = SecretBox(owntracks_key_bytes(key))
    data = box.encrypt(json.dumps(message).encode())
    return {"_type": "encrypted", "data": base64.b64encode(data).decode()}


def owntracks_location(offset: float, seconds_ago: float = 3) -> dict[str, Any]:
    """Return an OwnTracks location ``offset`` degrees north of home."""
    return {
        "_type": "location",
        "lat": HOME_LAT + offset,
        "lon": HOME_LON,
        "tst": int(dt_util.utcnow().timestamp() - seconds_ago),
        "acc": 10,
        "vel": 50,
        "cog": 180,
        "tid": "ab",
    }


async def set_owntracks_key(hass: HomeAssistant, key: str) -> None:
    """Set the car's OwnTracks key in its webhook options (the car reloads)."""
    entry = car(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SECRET: "", CONF_OWNTRACKS_KEY: key}
    )
    assert result["reason"] == "webhook_updated"
    await hass.async_block_till_done()
    assert entry.data[CONF_OWNTRACKS_KEY] == key.strip()


# ------------------------------------------------------------------ OsmAnd app


def osmand_query(fix: Fix) -> str:
    """Return the query the OsmAnd app sends for a fix with its URL template.

    ``lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}&speed={5}&bearing={6}``:
    epoch milliseconds, Android's accuracy in metres, speed in m/s.
    """
    return (
        f"lat={fix.latitude}&lon={fix.longitude}"
        f"&timestamp={int(fix.timestamp.timestamp() * 1000)}"
        f"&hdop={fix.accuracy or 0.0}&altitude=0.0&speed={fix.speed or 0.0}"
        f"&bearing={fix.heading or 0.0}"
    )


async def test_osmand_app_speed_is_read_in_metres_per_second(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """OsmAnd's 13.9 m/s is 50 km/h, not 13.9 knots; hdop is its accuracy in metres."""
    now_ms = int(dt_util.utcnow().timestamp() * 1000) - 2_000
    query = (
        f"lat={HOME_LAT + 0.03}&lon={HOME_LON}&timestamp={now_ms}"
        "&hdop=6.0&altitude=12.3&speed=13.9&heading=270.0"
    )
    with spy(hass) as recorder:
        response = await open_client.get(f"{URL}?{query}")
    assert response.status == 200
    assert await answer(response) == {"accepted": 1, "ignored": 0}
    (fix,) = handed(recorder)
    assert fix.speed == 13.9
    assert fix.speed * 3.6 == pytest.approx(50.0, abs=0.1)
    assert fix.accuracy == 6.0
    assert fix.heading == 270.0
    assert position(hass) == (HOME_LAT + 0.03, HOME_LON)


async def test_traccar_client_query_stays_in_knots(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """Traccar Client sends accuracy and batt: its speed is knots."""
    query = urlencode(
        {
            "id": "862374",
            "lat": HOME_LAT + 0.03,
            "lon": HOME_LON,
            "timestamp": int(dt_util.utcnow().timestamp()) - 2,
            "speed": 27.0,
            "bearing": 90,
            "accuracy": 6,
            "batt": 77,
        }
    )
    with spy(hass) as recorder:
        response = await open_client.post(f"{URL}?{query}")
    assert response.status == 200
    (fix,) = handed(recorder)
    assert fix.speed == pytest.approx(27.0 * KNOTS)


def jam_drive() -> list[Fix]:
    """Drive home and crawl ten minutes at 6 km/h in a jam 2.5 km out."""
    drive = sim.Drive(interval=10.0, seed=3).at(*sim.along(30, 6_000))
    drive.drive_to(*sim.along(30, 2_500), 15.0)
    drive.crawl(600.0, 6 / 3.6)
    return drive.drive_to(0.0, 0.0, 15.0).stop(60.0).fixes


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_osmand_drive_with_a_crawl_in_a_jam(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A drive home pushed by the OsmAnd app, ten minutes at 6 km/h in a jam included.

    Every crawling fix reaches the engine at 6 km/h (read as knots it would be 3.1 km/h,
    under the engine's standstill speed), and the trip gives one approach, one arriving
    and one arrival.
    """
    with unlimited():
        await setup_car(hass)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_HOMECOMING)
    drive = jam_drive()
    with spy(hass) as recorder:
        for fix in drive:
            freezer.move_to(fix.timestamp)
            response = await client.get(f"{URL}?{osmand_query(fix)}")
            assert response.status == 200, await response.text()
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
    received = handed(recorder)
    assert [fix.speed for fix in received] == [
        pytest.approx(fix.speed or 0.0) for fix in drive
    ]
    crawling = [fix.speed for fix in received if fix.speed and fix.speed < 3]
    assert len(crawling) > 50
    assert min(crawling) >= STILL_SPEED_MPS
    types = [event.data["type"] for event in events]
    assert types == ["approach_started", "arriving", "arrived"]


# ------------------------------------------------------------------ Traccar server


def traccar_position(offset: float, **fields: Any) -> dict[str, Any]:
    """Return a Traccar server position ``offset`` degrees north of home."""
    return {
        "id": 12,
        "attributes": {"ignition": True, "driverUniqueId": "anna", "batteryLevel": 90},
        "deviceId": 1,
        "protocol": "teltonika",
        "serverTime": ago(1),
        "deviceTime": ago(2),
        "fixTime": ago(2),
        "outdated": False,
        "valid": True,
        "latitude": HOME_LAT + offset,
        "longitude": HOME_LON,
        "altitude": 3.0,
        "speed": 27.0,
        "course": 180.0,
        "address": None,
        "accuracy": 0.0,
        **fields,
    }


DEVICE = {"id": 1, "name": "Family car", "uniqueId": "352093086489291"}


async def test_traccar_server_position_forwarding(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """A Traccar position forward moves the car: knots, course, attributes."""
    with spy(hass) as recorder:
        response = await open_client.post(
            URL, json={"position": traccar_position(0.02), "device": DEVICE}
        )
    assert response.status == 200
    assert await answer(response) == {"accepted": 1, "ignored": 0}
    (fix,) = handed(recorder)
    assert fix.speed == pytest.approx(27.0 * KNOTS)
    assert fix.heading == 180.0
    assert fix.accuracy is None  # Traccar's 0 is unknown
    assert fix.ignition is True
    assert fix.driver == "anna"
    assert position(hass) == (HOME_LAT + 0.02, HOME_LON)


async def test_traccar_server_events_and_invalid_positions_move_nothing(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """An event without a position and a position that is not valid: 200, counted."""
    event = {"id": 3, "type": "deviceOnline", "deviceId": 1, "eventTime": ago(1)}
    response = await open_client.post(URL, json={"event": event, "device": DEVICE})
    assert response.status == 200
    assert await answer(response) == {"accepted": 0, "ignored": 0}
    for fields in ({"valid": False}, {"outdated": True}):
        response = await open_client.post(
            URL,
            json={"position": traccar_position(0.01, **fields), "device": DEVICE},
        )
        assert response.status == 200
        assert await answer(response) == {"accepted": 0, "ignored": 0}
    assert position(hass) is None
    stats = coordinator(hass).stats
    assert stats["no_position"] == 1
    assert stats["invalid_position"] == 2
    response = await open_client.post(
        URL,
        json={"event": event, "position": traccar_position(0.01), "device": DEVICE},
    )
    assert await answer(response) == {"accepted": 1, "ignored": 0}
    assert position(hass) == (HOME_LAT + 0.01, HOME_LON)


# ------------------------------------------------------------------ OwnTracks


async def test_owntracks_messages_that_are_no_location_are_counted(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """Transition, waypoint, lwt, ...: 200 [], counted, and the car does not move."""
    for kind in OWNTRACKS_OTHER_TYPES:
        response = await open_client.post(
            URL, json={"_type": kind, "lat": HOME_LAT + 0.1, "lon": HOME_LON}
        )
        assert response.status == 200
        assert await answer(response) == []
    assert position(hass) is None
    assert coordinator(hass).stats["owntracks_ignored"] == len(OWNTRACKS_OTHER_TYPES)


async def test_encrypted_owntracks_without_a_key_raises_a_repair(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """No key: 200 [], counted, nothing moves, and a warning says where to set it."""
    for _ in range(2):
        response = await open_client.post(URL, json=encrypted(owntracks_location(0.02)))
        assert response.status == 200
        assert await answer(response) == []
    assert position(hass) is None
    assert coordinator(hass).stats["encrypted_no_key"] == 2
    issue = key_issue(hass)
    assert issue is not None
    assert issue.translation_key == "owntracks_key_missing"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {"name": "Test car"}


async def test_encrypted_owntracks_key_from_missing_to_wrong_to_right(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """The repair follows the key: missing, wrong, then gone once a message opens."""
    await open_client.post(URL, json=encrypted(owntracks_location(0.02, 30)))
    assert key_issue(hass) is not None

    await set_owntracks_key(hass, "not the app's key")
    assert key_issue(hass) is None  # asked again only if the next message fails
    response = await open_client.post(URL, json=encrypted(owntracks_location(0.02, 20)))
    assert await answer(response) == []
    assert coordinator(hass).stats["decrypt_failed"] == 1
    issue = key_issue(hass)
    assert issue is not None
    assert issue.translation_key == "owntracks_key_wrong"
    assert position(hass) is None

    await set_owntracks_key(hass, f" {KEY} ")
    response = await open_client.post(URL, json=encrypted(owntracks_location(0.02, 10)))
    assert response.status == 200
    assert await answer(response) == []
    assert position(hass) == (HOME_LAT + 0.02, HOME_LON)
    assert key_issue(hass) is None
    assert coordinator(hass).stats["accepted"] == 1


async def test_a_message_that_opens_clears_the_repair(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """A message that opens deletes the repair a message from another key raised.

    With the right key set, one message from another key raises the repair; the next
    message that opens (an encrypted lwt) deletes it and is still ignored.
    """
    await set_owntracks_key(hass, KEY)
    response = await open_client.post(
        URL, json=encrypted(owntracks_location(0.02, 20), key="old key")
    )
    assert await answer(response) == []
    assert key_issue(hass) is not None
    response = await open_client.post(URL, json=encrypted({"_type": "lwt", "tst": 1}))
    assert await answer(response) == []
    assert key_issue(hass) is None
    assert coordinator(hass).stats["owntracks_ignored"] == 1
    response = await open_client.post(URL, json=encrypted(owntracks_location(0.03, 10)))
    assert position(hass) == (HOME_LAT + 0.03, HOME_LON)


async def test_removing_the_car_removes_the_repair(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """A removed (or unloaded) car leaves no repair about its key behind."""
    await open_client.post(URL, json=encrypted(owntracks_location(0.02)))
    assert key_issue(hass) is not None
    entry = car(hass)
    issue_id = owntracks_issue_id(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


# ------------------------------------------------------------------ ranges


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"travel_time": 1e12}, "travel_time is out of range (0 to 86400 s)"),
        (
            {"timestamp": "9999-12-31T23:59:59"},
            "timestamp is out of range (years 2000 to 2099)",
        ),
        ({"speed": 200}, "speed is out of range (0 to 150 m/s)"),
        ({"accuracy": 1e9}, "accuracy is out of range (0 to 100000 m)"),
        ({"driver": "x" * 65}, "driver is longer than 64 characters"),
        ({"ignition": "maybe"}, "ignition is not true or false"),
    ],
)
async def test_out_of_range_is_a_400_naming_the_field(
    hass: HomeAssistant,
    open_client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
    reason: str,
) -> None:
    """Out of range: 400 with the reason, nothing logged above debug, nothing moved."""
    caplog.set_level(logging.DEBUG)
    fix = {"latitude": HOME_LAT + 0.01, "longitude": HOME_LON, **body}
    response = await open_client.post(URL, json=fix)
    assert response.status == 400
    assert await answer(response) == {"error": reason}
    assert position(hass) is None
    assert coordinator(hass).stats["http_400"] == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.usefixtures("start_of_drive", "home_zone")
async def test_one_absurd_push_while_approaching_breaks_nothing(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """travel_time 1e12 mid-approach is refused; later pushes work, also after a restart.

    (It used to be accepted, then every later push failed with a raw ValueError, and the
    saved state carried it over a restart.)
    """
    with unlimited():
        await setup_car(hass)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_HOMECOMING)
    drive = sim.Drive(interval=10.0).at(*sim.along(30, 5_000))
    fixes = drive.drive_to(0.0, 0.0, 15.0).stop(60.0).fixes

    async def send(fix: Fix, **extra: Any) -> int:
        freezer.move_to(fix.timestamp)
        body = {
            "latitude": fix.latitude,
            "longitude": fix.longitude,
            "timestamp": fix.timestamp.isoformat(),
            "accuracy": fix.accuracy,
            "speed": fix.speed,
            **extra,
        }
        response = await client.post(URL, json=body)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        return response.status

    half = len(fixes) // 2
    for fix in fixes[:half]:
        assert await send(fix) == 200
    assert [event.data["type"] for event in events] == ["approach_started"]
    assert await send(fixes[half], travel_time=1e12) == 400
    assert await send(fixes[half], timestamp="9999-12-31T23:59:59") == 400
    assert await send(fixes[half]) == 200
    assert await hass.config_entries.async_reload(car(hass).entry_id)
    await hass.async_block_till_done()
    for fix in fixes[half + 1 :]:
        assert await send(fix) == 200
    types = [event.data["type"] for event in events]
    assert types == ["approach_started", "arriving", "arrived"]
    assert coordinator(hass).stats["http_400"] == 0  # counted before the restart


async def test_form_with_too_many_fields_is_a_400(
    hass: HomeAssistant, open_client: TestClient[Any, Any]
) -> None:
    """A form of hundreds of fields is a 400, not a server error."""
    body = "&".join(f"x{i}=1" for i in range(300)) + "&lat=1&lon=2"
    response = await open_client.post(
        URL, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 400
    assert await answer(response) == {"error": "more than 200 fields in the form"}


@pytest.mark.usefixtures("home_zone")
async def test_diagnostics_never_show_the_owntracks_key(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The OwnTracks key is a secret: diagnostics never show it."""
    await setup_car(hass)
    await set_owntracks_key(hass, KEY)
    result = await get_diagnostics_for_config_entry(hass, hass_client, car(hass))
    assert KEY not in json.dumps(result)
    assert CONF_OWNTRACKS_KEY not in json.dumps(result)

"""A real Home Assistant for the demo, the end-to-end tests and ``bench/e2e.py``.

Everything here talks to a ``hass`` process over its public interfaces only: the
onboarding and config-flow REST APIs, the webhook, and the websocket API. Nothing imports
Home Assistant's internals (``tests.sim`` is used to build drives; it imports the
integration's pure engine).

* :func:`write_config` writes the demo home (template lights, a ``generic_thermostat`` with
  its heater and temperature helpers, a person, ``zone.home``) and links the integration
  from the working tree;
* :class:`HassProcess` starts and stops ``hass -c DIR`` on 127.0.0.1;
* :class:`HassClient` onboards, logs in, adds cars, sets options, reads states;
* :class:`Watcher` follows ``state_changed`` and ``homecoming_event`` on the websocket;
* :class:`Plan` maps a simulated drive onto the wall clock (time-accelerated) and
  :func:`send_plan` posts it to a car's webhook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import math
import os
from pathlib import Path
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from typing import Any, Self
import urllib.error
import urllib.request

import aiohttp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from custom_components.homecoming.engine import ApproachDetector, Fix, Home, Settings  # noqa: E402
from tests import sim  # noqa: E402

HOST = "127.0.0.1"
HOME_LAT, HOME_LON = sim.DEFAULT_HOME
HOME_RADIUS_M = 100.0
USERNAME = "demo"
PASSWORD = "homecoming-demo"  # noqa: S105 - the demo home's published login
LIGHTS = ("light.driveway", "light.hallway")
THERMOSTAT = "climate.living_room"
HEATER = "input_boolean.heater"
TEMPERATURE = "input_number.living_room_temperature"
TOKEN_FILE = ".homecoming-demo-token"  # noqa: S105 - a file name
ONBOARDING_EXTRAS = ("met", "radio_browser", "google_translate")
"""Integrations onboarding sets up that need the internet; the demo home removes them."""
CORE_ENTITY_KEYS = frozenset(
    {"location", "phase", "distance", "eta", "speed", "approaching", "trip"}
)
"""Keys of the entities every car has (the ids end in ``_<key>``)."""
MIN_PUSH_GAP_S = 1.0
"""The webhook allows a burst of 20 requests, then one a second per car."""

CONFIGURATION = """\
# The Homecoming demo home, written by tests_e2e/harness.py.
homeassistant:
  name: Homecoming demo
  latitude: {lat}
  longitude: {lon}
  elevation: 2
  radius: {radius}
  unit_system: metric
  time_zone: Europe/Amsterdam
  country: NL
  currency: EUR
  language: en
  internal_url: http://{host}:{port}

frontend:
config:
history:
logbook:
recorder:
  commit_interval: 1
  purge_keep_days: 2
person:
  - id: anna
    name: Anna
sun:
webhook:
logger:
  default: warning
  logs:
    custom_components.homecoming: debug
    homeassistant.core: info
    homeassistant.bootstrap: info

input_boolean:
  heater:
    name: Heater
    icon: mdi:radiator
  driveway_power:
    name: Driveway light power
  hallway_power:
    name: Hallway light power

input_number:
  living_room_temperature:
    name: Living room temperature
    min: 5
    max: 30
    step: 0.5
    initial: 17
    unit_of_measurement: "°C"
    mode: box

climate:
  - platform: generic_thermostat
    name: Living room
    unique_id: demo_living_room_thermostat
    heater: input_boolean.heater
    target_sensor: input_number.living_room_temperature
    min_temp: 7
    max_temp: 25
    target_temp: 17
    initial_hvac_mode: heat
    precision: 0.5

template:
  - light:
      - name: Driveway
        unique_id: demo_driveway_light
        state: "{{{{ is_state('input_boolean.driveway_power', 'on') }}}}"
        turn_on:
          - action: input_boolean.turn_on
            target:
              entity_id: input_boolean.driveway_power
        turn_off:
          - action: input_boolean.turn_off
            target:
              entity_id: input_boolean.driveway_power
      - name: Hallway
        unique_id: demo_hallway_light
        state: "{{{{ is_state('input_boolean.hallway_power', 'on') }}}}"
        turn_on:
          - action: input_boolean.turn_on
            target:
              entity_id: input_boolean.hallway_power
        turn_off:
          - action: input_boolean.turn_off
            target:
              entity_id: input_boolean.hallway_power
"""


class HarnessError(RuntimeError):
    """Something about the real Home Assistant did not go as expected."""


# --- configuration and process ------------------------------------------------------


def hass_executable() -> Path:
    """Return the ``hass`` of the interpreter running this code (.venv-hass)."""
    candidate = Path(sys.executable).with_name("hass")
    if not candidate.exists():
        msg = f"{candidate} not found: run with .venv-hass/bin/python (scripts/setup --hass)"
        raise HarnessError(msg)
    return candidate


def port_in_use(port: int, host: str = HOST) -> bool:
    """Return whether something listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = HOST) -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def write_config(config_dir: Path, port: int) -> None:
    """Write the demo home into ``config_dir`` and link the integration from the tree.

    A demo home's ``configuration.yaml`` is rewritten (for the port); any other
    ``configuration.yaml`` is refused rather than overwritten.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    yaml = config_dir / "configuration.yaml"
    text = CONFIGURATION.format(
        lat=HOME_LAT, lon=HOME_LON, radius=int(HOME_RADIUS_M), host=HOST, port=port
    )
    if yaml.exists() and not yaml.read_text(encoding="utf-8").startswith(
        CONFIGURATION.split("\n", 1)[0]
    ):
        msg = f"{yaml} is not a demo home's; use another --config directory"
        raise HarnessError(msg)
    yaml.write_text(text, encoding="utf-8")
    write_http_storage(config_dir, port)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "homecoming"
    target = REPO / "custom_components" / "homecoming"
    if link.is_symlink() or link.exists():
        if link.resolve() == target.resolve():
            return
        if not link.is_symlink():
            msg = f"{link} exists and is not a link to the working tree"
            raise HarnessError(msg)
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def write_http_storage(config_dir: Path, port: int) -> None:
    """Make Home Assistant listen on 127.0.0.1:``port`` only, from its first start.

    Since 2026.11 Home Assistant keeps its HTTP settings in ``.storage/http``: a YAML
    ``http:`` section is migrated once into an unconfirmed trial that reverts, after five
    minutes, to the default (port 8123 on every interface) unless confirmed in the UI.
    The demo home writes the confirmed ("stable") settings instead, before Home Assistant
    starts, so it never listens anywhere but on the loopback address.
    """
    path = config_dir / ".storage" / "http"
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, Any] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8")).get("data") or {}
    stable = dict(stored.get("stable") or {})
    stable |= {
        "server_port": port,
        "server_host": [HOST],
        "cors_allowed_origins": stable.get(
            "cors_allowed_origins", ["https://cast.home-assistant.io"]
        ),
        "login_attempts_threshold": stable.get("login_attempts_threshold", -1),
        "ip_ban_enabled": stable.get("ip_ban_enabled", True),
        "ssl_profile": stable.get("ssl_profile", "intermediate_v6"),
        "use_x_frame_options": stable.get("use_x_frame_options", True),
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    document = {
        "version": 3,
        "minor_version": 1,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


class HassProcess:
    """A ``hass -c DIR`` process on 127.0.0.1; its output goes to ``DIR/hass.out``."""

    def __init__(self, config_dir: Path, port: int) -> None:
        """Prepare (nothing runs until :meth:`start`)."""
        self.config_dir = config_dir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_after = 0.0
        """Seconds from launching the process to the HTTP API answering."""
        self.token = ""
        """The owner's access token, once known (for a graceful stop)."""

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://{HOST}:{self.port}"

    @property
    def log_file(self) -> Path:
        """Home Assistant's own log."""
        return self.config_dir / "home-assistant.log"

    def start(self, timeout: float = 180.0) -> Self:
        """Start ``hass`` and wait until its HTTP API answers; clear error on a busy port."""
        if port_in_use(self.port):
            msg = (
                f"port {self.port} on {HOST} is already in use; choose another (--port)"
            )
            raise HarnessError(msg)
        out = (self.config_dir / "hass.out").open("ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's hass
            [str(hass_executable()), "-c", str(self.config_dir), "--log-no-color"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = (
                    f"hass exited with {self.proc.returncode} during start-up; "
                    f"see {self.config_dir / 'hass.out'} and {self.log_file}"
                )
                raise HarnessError(msg)
            if self._answers():
                self.ready_after = time.monotonic() - self.started_at
                return self
            time.sleep(0.25)
        self.stop()
        msg = f"hass did not answer on {self.url} within {timeout:.0f} s; see {self.log_file}"
        raise HarnessError(msg)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(  # noqa: S310 - a loopback http URL we built
                f"{self.url}/api/onboarding", timeout=2
            ) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError:
            return True  # answering, just not with 200
        except OSError:
            return False

    def stop(self, timeout: float = 60.0) -> None:
        """Stop ``hass`` gracefully, so that it writes its storage; kill it if stuck.

        With the owner's :attr:`token` the ``homeassistant.stop`` action is called:
        Home Assistant only installs its SIGTERM handler once start-up has wrapped up
        (background tasks of other integrations can delay that for minutes), and a
        SIGTERM before that kills it without saving. Without a token, SIGTERM.
        """
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        if not (self.token and self._call_stop()):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def _call_stop(self) -> bool:
        request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
            f"{self.url}/api/services/homeassistant/stop",
            data=b"{}",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                return True
        except urllib.error.HTTPError:
            return False
        except OSError:
            return True  # the connection closed as it stopped

    def restart(self, timeout: float = 180.0) -> Self:
        """Stop and start again on the same port and config."""
        self.stop()
        deadline = time.monotonic() + 10
        while port_in_use(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.start(timeout)

    def log_text(self) -> str:
        """Home Assistant's log so far."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def recorded_events(self, event_type: str, since: datetime) -> list[dict[str, Any]]:
        """Events of ``event_type`` the recorder stored at or after ``since``."""
        db = self.config_dir / "home-assistant_v2.db"
        with contextlib.closing(
            sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        ) as conn:
            rows = conn.execute(
                "SELECT d.shared_data, e.time_fired_ts FROM events e "
                "JOIN event_types t ON e.event_type_id = t.event_type_id "
                "LEFT JOIN event_data d ON e.data_id = d.data_id "
                "WHERE t.event_type = ? AND e.time_fired_ts >= ? "
                "ORDER BY e.time_fired_ts",
                (event_type, since.timestamp()),
            ).fetchall()
        return [
            {**json.loads(data or "{}"), "time_fired": datetime.fromtimestamp(ts, UTC)}
            for data, ts in rows
        ]


# --- REST ---------------------------------------------------------------------------


@dataclass(slots=True)
class Car:
    """A car added through the config flow."""

    entry_id: str
    title: str
    webhook_url: str
    device_id: str = ""
    entities: dict[str, str] = field(default_factory=dict)
    """Entity ids by the integration's entity key (``phase``, ``distance``, ...)."""

    def entity(self, key: str) -> str:
        """Return the entity id of one of the car's entities."""
        return self.entities[key]


class HassClient:
    """REST and websocket access to a running Home Assistant as its owner."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        """Use ``session`` for every request."""
        self.base_url = base_url
        self.session = session
        self.token = ""
        self.client_id = f"{base_url}/"

    @property
    def headers(self) -> dict[str, str]:
        """The authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        expect: int | Sequence[int] = (200,),
    ) -> Any:
        """Call the REST API; fail on an unexpected status, else return the JSON."""
        expected = (expect,) if isinstance(expect, int) else tuple(expect)
        async with self.session.request(
            method, f"{self.base_url}{path}", json=payload, headers=self.headers
        ) as response:
            text = await response.text()
            if response.status not in expected:
                msg = f"{method} {path}: {response.status} {text[:300]}"
                raise HarnessError(msg)
            return json.loads(text) if text else None

    # authentication

    async def onboarded(self) -> bool:
        """Whether every onboarding step is done."""
        async with self.session.get(f"{self.base_url}/api/onboarding") as response:
            steps = await response.json()
        return all(step["done"] for step in steps)

    async def onboard(
        self, name: str = "Demo", username: str = USERNAME, password: str = PASSWORD
    ) -> None:
        """Run Home Assistant's onboarding over its REST API and keep the token."""
        body = {
            "client_id": self.client_id,
            "name": name,
            "username": username,
            "password": password,
            "language": "en",
        }
        async with self.session.post(
            f"{self.base_url}/api/onboarding/users", json=body
        ) as response:
            if response.status != 200:
                msg = f"onboarding/users: {response.status} {await response.text()}"
                raise HarnessError(msg)
            code = (await response.json())["auth_code"]
        await self._token_from_code(code)
        await self.request("POST", "/api/onboarding/core_config", {})
        await self.request("POST", "/api/onboarding/analytics", {})
        await self.request(
            "POST",
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
        )

    async def login(self, username: str = USERNAME, password: str = PASSWORD) -> None:
        """Log in through the login flow (an onboarded home) and keep the token."""
        flow = await self._post_plain(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
        )
        result = await self._post_plain(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            msg = f"login failed: {result.get('errors') or result}"
            raise HarnessError(msg)
        await self._token_from_code(result["result"])

    async def _post_plain(self, path: str, body: Any) -> Any:
        async with self.session.post(f"{self.base_url}{path}", json=body) as response:
            if response.status != 200:
                msg = f"POST {path}: {response.status} {await response.text()}"
                raise HarnessError(msg)
            return await response.json()

    async def _token_from_code(self, code: str) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            if response.status != 200:
                msg = f"auth/token: {response.status} {await response.text()}"
                raise HarnessError(msg)
            self.token = (await response.json())["access_token"]

    async def long_lived_token(self, name: str) -> str:
        """Create a long-lived access token (survives restarts) and use it from now on."""
        async with Watcher.connect(self, subscribe=False) as ws:
            token = await ws.command(
                "auth/long_lived_access_token", client_name=name, lifespan=365
            )
        self.token = str(token)
        return self.token

    async def authenticate(self, config_dir: Path) -> None:
        """Onboard a fresh home, or log into an onboarded one; reuse a saved token."""
        token_file = config_dir / TOKEN_FILE
        if await self.onboarded():
            if token_file.exists():
                self.token = token_file.read_text(encoding="utf-8").strip()
                async with self.session.get(
                    f"{self.base_url}/api/", headers=self.headers
                ) as response:
                    if response.status == 200:
                        return
            await self.login()
        else:
            await self.onboard()
            await self.remove_onboarding_extras(wait=10.0)
        token_file.write_text(
            await self.long_lived_token(f"homecoming demo {time.time():.0f}"),
            encoding="utf-8",
        )
        token_file.chmod(0o600)

    async def wait_running(self, within: float = 120.0) -> None:
        """Wait until Home Assistant has finished starting (``RUNNING``)."""
        deadline = time.monotonic() + within
        while True:
            config = await self.request("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return
            if time.monotonic() > deadline:
                msg = f"Home Assistant still {config.get('state')} after {within:.0f} s"
                raise HarnessError(msg)
            await asyncio.sleep(0.2)

    async def remove_onboarding_extras(self, wait: float = 0.0) -> list[str]:
        """Remove the internet-bound integrations onboarding adds (met, radio, tts).

        Onboarding's last step starts their config flows in the background; ``wait``
        gives them that long to appear. Without the internet they only retry, log
        errors and hold up Home Assistant's start-up and shutdown.
        """
        removed: list[str] = []
        deadline = time.monotonic() + wait
        wanted = {"met", "radio_browser"}
        while True:
            for entry in await self.request("GET", "/api/config/config_entries/entry"):
                if entry["domain"] in ONBOARDING_EXTRAS:
                    await self.request(
                        "DELETE",
                        f"/api/config/config_entries/entry/{entry['entry_id']}",
                    )
                    removed.append(entry["domain"])
            if wanted <= set(removed) or time.monotonic() >= deadline:
                return removed
            await asyncio.sleep(0.25)

    # states and services

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return the state object of an entity, None when it does not exist."""
        return (
            await self.request(  # type: ignore[no-any-return]
                "GET", f"/api/states/{entity_id}", expect=(200, 404)
            )
            or None
        )

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state by entity id."""
        return {s["entity_id"]: s for s in await self.request("GET", "/api/states")}

    async def call(self, domain: str, service: str, **data: Any) -> None:
        """Call an action."""
        await self.request("POST", f"/api/services/{domain}/{service}", data)

    # config entries

    async def flow_step(self, flow_path: str, flow_id: str, data: Any) -> Any:
        """Post one step of a config or options flow."""
        return await self.request("POST", f"{flow_path}/{flow_id}", data)

    async def add_push_car(
        self,
        name: str,
        *,
        secret: str = "",
        make: str = "",
        model: str = "",
        zone: str = "zone.home",
    ) -> Car:
        """Add a push car through the config flow; return it with its webhook URL."""
        path = "/api/config/config_entries/flow"
        result = await self.request(
            "POST", path, {"handler": "homecoming", "show_advanced_options": False}
        )
        if result["type"] != "menu" or "push" not in result["menu_options"]:
            msg = f"unexpected first step: {result}"
            raise HarnessError(msg)
        flow_id = result["flow_id"]
        result = await self.flow_step(path, flow_id, {"next_step_id": "push"})
        form: dict[str, Any] = {"name": name}
        form |= {k: v for k, v in (("secret", secret), ("make", make)) if v}
        if model:
            form["model"] = model
        result = await self.flow_step(path, flow_id, form)
        if result.get("step_id") != "zone":
            msg = f"expected the zone step: {result}"
            raise HarnessError(msg)
        result = await self.flow_step(path, flow_id, {"home_zone": zone})
        if result["type"] != "create_entry":
            msg = f"the car was not created: {result}"
            raise HarnessError(msg)
        placeholders = result.get("description_placeholders") or {}
        car = Car(
            entry_id=result["result"]["entry_id"],
            title=result["title"],
            webhook_url=placeholders["webhook_url"],
        )
        await self.find_entities(car)
        return car

    async def find_entities(self, car: Car, within: float = 30.0) -> Car:
        """Fill in the car's device and entity ids from the registries."""
        deadline = time.monotonic() + within
        previous = -1
        async with Watcher.connect(self, subscribe=False) as ws:
            while True:
                entities = await ws.command("config/entity_registry/list")
                mine = [e for e in entities if e["config_entry_id"] == car.entry_id]
                keys = {e["unique_id"].rsplit("_", 1)[-1] for e in mine}
                settled = keys >= CORE_ENTITY_KEYS and len(mine) == previous
                if settled or time.monotonic() > deadline:
                    break
                previous = len(mine)
                await asyncio.sleep(0.3)
        if not mine:
            msg = f"no entities for {car.title}"
            raise HarnessError(msg)
        for entity in mine:
            car.entities[entity["unique_id"].rsplit("_", 1)[-1]] = entity["entity_id"]
            car.device_id = entity["device_id"] or car.device_id
        return car

    async def cars(self) -> list[Car]:
        """Return the Homecoming cars already set up (webhook URLs left empty)."""
        entries = await self.request(
            "GET", "/api/config/config_entries/entry?domain=homecoming"
        )
        return [
            await self.find_entities(Car(e["entry_id"], e["title"], ""))
            for e in entries
        ]

    async def webhook_url(self, entry_id: str) -> str:
        """Return a push car's URL, as its options show it (Configure → Webhook)."""
        flow_id, _ = await self.options_menu(entry_id)
        result = await self.flow_step(
            "/api/config/config_entries/options/flow",
            flow_id,
            {"next_step_id": "webhook"},
        )
        await self.abort_options(flow_id)
        return str(result["description_placeholders"]["webhook_url"])

    async def options_menu(self, entry_id: str) -> tuple[str, dict[str, Any]]:
        """Open a car's options flow: its id and first result (the menu)."""
        result = await self.request(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        return result["flow_id"], result

    async def abort_options(self, flow_id: str) -> None:
        """Close an options flow that is left unfinished."""
        await self.request(
            "DELETE", f"/api/config/config_entries/options/flow/{flow_id}"
        )


# --- routines: the one place where they are set ------------------------------------

ROUTINE_STEPS = (
    "routines",
    "arrival_lights",
    "lights",
    "climate",
    "preheat",
    "departure",
)
"""Options-menu steps that configure routines (issue 5), in the order they are set."""

ROUTINE_NUMBERS = (
    (("setback", "away", "eco", "night"), 17.0),
    (("comfort", "target", "temperature"), 21.0),
)
"""Temperature fields by words in their name, for the demo thermostat."""

CONDITION_WORDS = ("sun", "dark", "night", "illuminance", "only")
"""Booleans that restrict a routine to some conditions: off, so the demo runs any time."""


@dataclass(slots=True)
class RoutineSetup:
    """What the routine step of the demo or the tests found and did."""

    available: bool
    configured: list[str] = field(default_factory=list)
    notice: str = ""


def _selector_domains(selector: Mapping[str, Any]) -> set[str]:
    entity = selector.get("entity") or {}
    domains: set[str] = set()
    for flt in entity.get("filter") or []:
        domain = flt.get("domain")
        domains.update([domain] if isinstance(domain, str) else domain or [])
    domain = entity.get("domain")
    domains.update([domain] if isinstance(domain, str) else domain or [])
    return domains


def _entity_value(name: str, selector: Mapping[str, Any]) -> tuple[bool, Any]:
    domains = _selector_domains(selector)
    multiple = bool(selector["entity"].get("multiple"))
    for domain, values in (
        ("light", list(LIGHTS)),
        ("climate", [THERMOSTAT]),
        ("person", ["person.anna"]),
    ):
        if domain in domains or (not domains and domain in name):
            return True, values if multiple else values[0]
    return False, None


def routine_value(item: Mapping[str, Any]) -> tuple[bool, Any]:
    """Guess the demo home's value for one field of a routine form: (known, value)."""
    name = str(item["name"]).lower()
    selector = item.get("selector") or {}
    if item.get("type") == "expandable":
        data, unknown = fill_form(item.get("schema") or [])
        return not unknown, data
    if "entity" in selector:
        return _entity_value(name, selector)
    if "boolean" in selector:
        # Conditions such as "only after sunset" would make the demo depend on the time
        # of day: the demo home runs its routines at any hour; everything else is on.
        return True, not any(word in name for word in CONDITION_WORDS)
    if "select" in selector:
        options = [
            o["value"] if isinstance(o, Mapping) else o
            for o in selector["select"].get("options") or []
        ]
        if "always" in options:
            return True, "always"
    if "number" in selector:
        for words, value in ROUTINE_NUMBERS:
            if any(word in name for word in words):
                return True, value
    if "default" in item:
        return True, item["default"]
    return False, None


def fill_form(schema: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Fill a form (sections included) for the demo home; also return unknown fields."""
    data: dict[str, Any] = {}
    unknown: list[str] = []
    for item in schema:
        known, value = routine_value(item)
        if known:
            data[item["name"]] = value
        elif item.get("required"):
            unknown.append(str(item["name"]))
    return data, unknown


async def configure_routines(client: HassClient, car: Car) -> RoutineSetup:
    """Set the car's routines through the options flow, if the integration has them.

    This is the single place where the demo and the end-to-end tests set routines
    (lights on arrival, thermostat pre-heat, departure set-back). It reads the options
    menu; when it offers no routine step (issue 5 not merged yet) it changes nothing and
    says so. Each routine step found is opened in its own options flow and its form
    filled from the demo home (:func:`fill_form`).
    """
    path = "/api/config/config_entries/options/flow"
    flow_id, menu = await client.options_menu(car.entry_id)
    offered = list(menu.get("menu_options") or [])
    await client.abort_options(flow_id)
    steps = [step for step in ROUTINE_STEPS if step in offered]
    if menu.get("type") != "menu" or not steps:
        return RoutineSetup(
            available=False,
            notice=(
                "the options menu offers no routines step "
                f"(menu: {', '.join(offered) or 'none'}); routines not configured"
            ),
        )
    setup = RoutineSetup(available=True)
    for step in steps:
        flow_id, _ = await client.options_menu(car.entry_id)
        result = await client.flow_step(path, flow_id, {"next_step_id": step})
        for _ in range(6):
            if result.get("type") == "menu":
                nested = [s for s in ROUTINE_STEPS if s in result["menu_options"]]
                if not nested:
                    break
                result = await client.flow_step(
                    path, flow_id, {"next_step_id": nested[0]}
                )
                continue
            if result.get("type") != "form":
                break
            data, unknown = fill_form(result.get("data_schema") or [])
            if unknown:
                setup.notice += f"{result['step_id']}: no demo value for {unknown}; "
                break
            result = await client.flow_step(path, flow_id, data)
            if result.get("errors"):
                setup.notice += f"{result['step_id']}: {result['errors']}; "
                break
        if result.get("type") in {"create_entry", "abort"}:
            setup.configured.append(step)
        else:
            with contextlib.suppress(HarnessError):
                await client.abort_options(flow_id)
    # A "Routines" switch, if the car has one, must be on.
    for key, entity_id in car.entities.items():
        if entity_id.startswith("switch.") and "routine" in key:
            await client.call("switch", "turn_on", entity_id=entity_id)
    if not setup.configured:
        setup.available = False
    return setup


# --- websocket ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """An event received on the websocket, with the monotonic time it arrived."""

    at: float
    event_type: str
    data: dict[str, Any]


class Watcher:
    """A websocket connection: commands, and the events it is subscribed to."""

    def __init__(self, client: HassClient, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Use an authenticated websocket."""
        self.client = client
        self.ws = ws
        self._id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._subscriptions: set[int] = set()
        self.events: list[Seen] = []
        self.states: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[Seen], None]] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, client: HassClient, *, subscribe: bool = True
    ) -> Any:  # an async iterator of Watcher
        """Open, authenticate and (by default) subscribe to the interesting events."""
        url = client.base_url.replace("http", "ws", 1) + "/api/websocket"
        async with client.session.ws_connect(url, max_msg_size=0) as ws:
            hello = await ws.receive_json()
            if hello.get("type") != "auth_required":
                msg = f"unexpected websocket greeting {hello}"
                raise HarnessError(msg)
            await ws.send_json({"type": "auth", "access_token": client.token})
            answer = await ws.receive_json()
            if answer.get("type") != "auth_ok":
                msg = f"websocket authentication failed: {answer}"
                raise HarnessError(msg)
            watcher = cls(client, ws)
            try:
                if subscribe:
                    await watcher.subscribe()
                yield watcher
            finally:
                watcher._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher._reader

    async def subscribe(self) -> None:
        """Follow ``homecoming_event`` and ``state_changed``; load the current states."""
        for event_type in ("homecoming_event", "state_changed"):
            await self.command("subscribe_events", event_type=event_type)
        self.states = await self.client.states()

    async def command(self, command: str, **data: Any) -> Any:
        """Send one command and return its result."""
        self._id += 1
        iden = self._id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[iden] = future
        if command.startswith("subscribe_"):
            self._subscriptions.add(iden)
        await self.ws.send_json({"id": iden, "type": command, **data})
        return await asyncio.wait_for(future, 60)

    def add_listener(self, listener: Callable[[Seen], None]) -> None:
        """Call ``listener`` with every event as it arrives."""
        self._listeners.append(listener)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            for msg in payload if isinstance(payload, list) else [payload]:
                self._dispatch(msg)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HarnessError("websocket closed"))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("type") == "event":
            event = msg["event"]
            seen = Seen(time.monotonic(), event["event_type"], event["data"])
            if seen.event_type == "state_changed":
                new = seen.data.get("new_state")
                entity_id = seen.data["entity_id"]
                if new is None:
                    self.states.pop(entity_id, None)
                else:
                    self.states[entity_id] = new
            self.events.append(seen)
            for listener in self._listeners:
                listener(seen)
            self._changed.set()
            return
        future = self._pending.pop(msg.get("id", -1), None)
        if future is None or future.done():
            return
        if msg.get("success", True):
            future.set_result(msg.get("result"))
        else:
            future.set_exception(HarnessError(f"websocket error: {msg.get('error')}"))

    def state(self, entity_id: str) -> str | None:
        """Return an entity's current state string."""
        state = self.states.get(entity_id)
        return None if state is None else str(state["state"])

    def attribute(self, entity_id: str, name: str) -> Any:
        """Return an attribute of an entity's current state."""
        state = self.states.get(entity_id)
        return None if state is None else state["attributes"].get(name)

    def homecoming_events(self, entry_id: str | None = None) -> list[Seen]:
        """Return the ``homecoming_event`` events seen, optionally of one car."""
        return [
            e
            for e in self.events
            if e.event_type == "homecoming_event"
            and (entry_id is None or e.data.get("entry_id") == entry_id)
        ]

    def state_history(self, entity_id: str) -> list[str]:
        """Return the successive states of an entity (attribute changes skipped)."""
        history: list[str] = []
        for e in self.events:
            if e.event_type == "state_changed" and e.data["entity_id"] == entity_id:
                new = e.data.get("new_state")
                value = "<removed>" if new is None else str(new["state"])
                if not history or history[-1] != value:
                    history.append(value)
        return history

    async def wait_for(
        self, predicate: Callable[[], bool], within: float, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking on every event."""
        deadline = time.monotonic() + within
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"timed out after {within:.0f} s waiting for {what}"
                raise HarnessError(msg)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))


# --- drives -------------------------------------------------------------------------


def demo_drive(seed: int = 7) -> sim.Scenario:
    """Build the demo's drive home: 6 km from the south-west, with stops.

    A main road at about 70 km/h, then town at 50 km/h with two red lights, a junction,
    and the last stretch through the neighbourhood; then two minutes parked at home. GPS
    noise as a phone reports it (10 m accuracy). Marks: ``start``, ``light1``,
    ``light2``, ``junction``, ``arrive``, ``end``.
    """
    drive = sim.Drive(seed=seed, accuracy=10.0).at(*sim.along(205, 6_000))
    drive.mark("start")
    drive.drive_to(*sim.along(200, 3_500), 19.0).mark("light1").stop(40)
    drive.drive_to(*sim.along(190, 1_900), 13.9).mark("light2").stop(60)
    drive.drive_to(*sim.along(175, 700), 11.0).mark("junction").stop(15)
    drive.drive_to(0.0, 0.0, 7.0).mark("arrive").stop(120).mark("end")
    return sim.Scenario(drive, drive.home_zone(HOME_RADIUS_M))


@dataclass(frozen=True, slots=True)
class Timed:
    """A fix to send: its real send time (seconds after the plan starts)."""

    send_at: float
    fix: Fix


@dataclass(slots=True)
class Plan:
    """A drive mapped onto the wall clock, ``speed`` times faster than real time.

    Fix timestamps advance ``speed`` times faster than the wall clock, so the drive's
    clock starts in the past and catches up: the last fix is stamped ``lead`` seconds
    after it is sent (under the integration's 2-minute tolerance for clocks running
    ahead). Home Assistant's own clock still runs meanwhile (stops and silence are
    measured against it every 10 s): :meth:`check` proves offline, with the
    integration's engine, that the lag does not change what happens.
    """

    fixes: list[Timed]
    start: datetime
    speed: float
    lead: float
    marks: dict[str, datetime]
    """The drive's marks on the fix clock."""

    @classmethod
    def build(
        cls,
        scenario: sim.Scenario,
        *,
        speed: float,
        lead: float = 60.0,
        start: datetime | None = None,
        fast_from: str | None = "arrive",
        fast_speed: float = 30.0,
    ) -> Plan:
        """Map ``scenario`` onto the clock; after mark ``fast_from`` go ``fast_speed``."""
        start = start or datetime.now(UTC)
        first = scenario.fixes[0].timestamp
        switch = scenario.marks.get(fast_from) if fast_from else None

        def send_time(elapsed: float) -> float:
            if switch is not None and first + timedelta(seconds=elapsed) > switch:
                before = (switch - first).total_seconds()
                return before / speed + (elapsed - before) / fast_speed
            return elapsed / speed

        last = (scenario.fixes[-1].timestamp - first).total_seconds()
        t0 = start + timedelta(seconds=lead + send_time(last) - last)
        timed: list[Timed] = []
        for fix in scenario.fixes:
            elapsed = (fix.timestamp - first).total_seconds()
            send_at = send_time(elapsed)
            stamped = Fix(
                latitude=fix.latitude,
                longitude=fix.longitude,
                timestamp=t0 + timedelta(seconds=elapsed),
                accuracy=fix.accuracy,
                speed=fix.speed,
                heading=fix.heading,
                ignition=fix.ignition,
                driver=fix.driver,
            )
            timed.append(Timed(send_at, stamped))
        marks = {name: t0 + (when - first) for name, when in scenario.marks.items()}
        return cls(timed, start, speed, lead, marks)

    @property
    def duration(self) -> float:
        """Real seconds the plan takes to send."""
        return self.fixes[-1].send_at if self.fixes else 0.0

    def batches(self, min_gap: float = MIN_PUSH_GAP_S) -> list[list[Timed]]:
        """Group the fixes into requests at least ``min_gap`` seconds apart."""
        out: list[list[Timed]] = []
        last_send = -math.inf
        for timed in self.fixes:
            if out and timed.send_at < last_send + min_gap:
                out[-1].append(timed)
            else:
                out.append([timed])
                last_send = timed.send_at
        return out

    def check(self, home: Home, settings: Settings | None = None) -> list[str]:
        """Replay offline with Home Assistant's 10 s clock ticks; return the differences.

        The ticks are tried at several phases (Home Assistant's are not aligned with the
        plan), and a second late. An empty list means the accelerated plan yields exactly
        the transitions of the drive fed without any wall clock.
        """
        plain = ApproachDetector(home, settings)
        expected = [
            t.event.value
            for timed in self.fixes
            for t in plain.update(timed.fix).transitions
        ]
        problems = []
        for phase in (0.0, 2.5, 5.0, 7.5):
            ticked = ApproachDetector(home, settings)
            got: list[str] = []
            tick = phase
            for batch in self.batches():
                send_at = batch[0].send_at + 1.0
                while tick <= send_at:
                    now = self.start + timedelta(seconds=tick)
                    got.extend(t.event.value for t in ticked.advance(now))
                    tick += 10.0
                for timed in sorted(batch, key=lambda t: t.fix.timestamp):
                    got.extend(
                        t.event.value for t in ticked.update(timed.fix).transitions
                    )
            if got != expected:
                problems.append(f"ticks at +{phase} s: expected {expected}, got {got}")
        return problems


def fix_payload(fix: Fix) -> dict[str, Any]:
    """Homecoming JSON for one fix."""
    body: dict[str, Any] = {
        "latitude": round(fix.latitude, 7),
        "longitude": round(fix.longitude, 7),
        "timestamp": fix.timestamp.isoformat(),
    }
    for name in ("accuracy", "speed", "heading", "ignition", "driver"):
        value = getattr(fix, name)
        if value is not None:
            body[name] = round(value, 2) if isinstance(value, float) else value
    return body


def batch_body(batch: Iterable[Timed]) -> bytes:
    """Return the request body for a batch: one object, or an array of them."""
    payloads = [fix_payload(t.fix) for t in batch]
    return json.dumps(payloads[0] if len(payloads) == 1 else payloads).encode()


async def post_push(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    """POST a push; return the status and the JSON answer (or text)."""
    async with session.post(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    ) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


async def send_plan(
    session: aiohttp.ClientSession,
    url: str,
    batches: Sequence[list[Timed]],
    *,
    on_sent: Callable[[list[Timed]], Awaitable[None] | None] | None = None,
    until: Callable[[], bool] | None = None,
) -> int:
    """Send batches of a plan on their schedule; return how many batches were sent.

    The schedule starts now at the first batch's ``send_at`` (so the rest of a plan can
    be sent later, after a restart, at the same pace). ``until`` is asked after every
    batch: when it holds, sending stops there.
    """
    if not batches:
        return 0
    started = time.monotonic() - batches[0][0].send_at
    count = 0
    for batch in batches:
        wait = started + batch[0].send_at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        status, answer = await post_push(session, url, batch_body(batch))
        if status != 200:
            msg = f"webhook answered {status}: {answer}"
            raise HarnessError(msg)
        count += 1
        if on_sent is not None:
            maybe = on_sent(batch)
            if maybe is not None:
                await maybe
        if until is not None:
            await asyncio.sleep(0.05)  # let the websocket catch up
            if until():
                break
    return count

"""REST and websocket access to a running Home Assistant, as its owner.

:class:`HassClient` onboards a fresh home (or logs into an onboarded one), adds push cars
through the config flow, opens their options flows, calls actions and reads states over
REST; :class:`WebSocket` sends websocket commands (:class:`devtools.watch.Watcher` also
follows events on one).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
import contextlib
from dataclasses import dataclass, field
from http import HTTPStatus
import json
from pathlib import Path
import time
from typing import Any, Self

import aiohttp

from devtools import HarnessError
from devtools.home import PASSWORD, TOKEN_FILE, USERNAME

ONBOARDING_EXTRAS = ("met", "radio_browser", "google_translate")
"""Integrations onboarding sets up that need the internet; the demo home removes them."""
CORE_ENTITY_KEYS = frozenset(
    {"location", "phase", "distance", "eta", "speed", "approaching", "trip"}
)
"""Keys of the entities every car has (the ids end in ``_<key>``)."""


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
        """Whether every onboarding step is done.

        Home Assistant serves ``/api/onboarding`` only while onboarding is under way: a
        404 means it is done.
        """
        async with self.session.get(f"{self.base_url}/api/onboarding") as response:
            if response.status == HTTPStatus.NOT_FOUND:
                return True
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
            if response.status != HTTPStatus.OK:
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
            if response.status != HTTPStatus.OK:
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
            if response.status != HTTPStatus.OK:
                msg = f"auth/token: {response.status} {await response.text()}"
                raise HarnessError(msg)
            self.token = (await response.json())["access_token"]

    async def long_lived_token(self, name: str) -> str:
        """Create a long-lived access token (survives restarts) and use it from now on."""
        async with WebSocket.connect(self) as ws:
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
                    if response.status == HTTPStatus.OK:
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
        state: dict[str, Any] | None = await self.request(
            "GET",
            f"/api/states/{entity_id}",
            expect=(HTTPStatus.OK, HTTPStatus.NOT_FOUND),
        )
        return state or None

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
        async with WebSocket.connect(self) as ws:
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

    async def saved_options(self, entry_id: str, step: str) -> dict[str, Any]:
        """Return the options of a step of a car's options menu, as its form shows them.

        Home Assistant's API does not return a config entry's options; the options
        flow suggests the saved values in the step's form. Opens the step, reads the
        suggested values (sections as nested dictionaries; a field without a
        suggestion is left out) and closes the flow without saving.
        """
        flow_id, _ = await self.options_menu(entry_id)
        try:
            result = await self.flow_step(
                "/api/config/config_entries/options/flow",
                flow_id,
                {"next_step_id": step},
            )
        finally:
            await self.abort_options(flow_id)
        if result.get("type") != "form":
            msg = f"the options step {step} is not a form: {result}"
            raise HarnessError(msg)
        return _suggested(result.get("data_schema") or [])

    async def device_triggers(self, device_id: str) -> list[dict[str, Any]]:
        """Return the device triggers Home Assistant lists for a device."""
        async with WebSocket.connect(self) as ws:
            triggers = await ws.command(
                "device_automation/trigger/list", device_id=device_id
            )
        return list(triggers)


def _suggested(schema: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return the suggested values of a serialized form (sections nested)."""
    values: dict[str, Any] = {}
    for item in schema:
        if item.get("type") == "expandable":
            values[item["name"]] = _suggested(item.get("schema") or [])
        elif "suggested_value" in (item.get("description") or {}):
            values[item["name"]] = item["description"]["suggested_value"]
    return values


class WebSocket:
    """An authenticated websocket connection: commands and their results.

    Events (of subscriptions) go to :meth:`on_event`, which ignores them here;
    :class:`devtools.watch.Watcher` keeps them.
    """

    def __init__(self, client: HassClient, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Use an authenticated websocket; start reading it."""
        self.client = client
        self.ws = ws
        self._id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, client: HassClient) -> AsyncIterator[Self]:
        """Open the websocket API and authenticate with the client's token."""
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
            connection = cls(client, ws)
            try:
                yield connection
            finally:
                connection._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connection._reader

    async def command(self, command: str, **data: Any) -> Any:
        """Send one command and return its result."""
        self._id += 1
        iden = self._id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[iden] = future
        await self.ws.send_json({"id": iden, "type": command, **data})
        return await asyncio.wait_for(future, 60)

    def on_event(self, event: dict[str, Any]) -> None:
        """Handle an event of a subscription (``event_type``, ``data``): ignored."""

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
            self.on_event(msg["event"])
            return
        future = self._pending.pop(msg.get("id", -1), None)
        if future is None or future.done():
            return
        if msg.get("success", True):
            future.set_result(msg.get("result"))
        else:
            future.set_exception(HarnessError(f"websocket error: {msg.get('error')}"))

"""Fixtures of the end-to-end tests: one real Home Assistant for the whole session.

Home Assistant's start-up is the cost of these tests (about 10 s here), so every module
shares one ``hass`` process on a free loopback port with a temporary configuration; the
restart test restarts it in place. Each test adds its own car.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from devtools.client import HassClient
from devtools.hass import HassProcess, free_port
from devtools.home import write_config


@dataclass(slots=True)
class Server:
    """The shared Home Assistant and the owner's token."""

    process: HassProcess
    token: str

    @property
    def url(self) -> str:
        """The base URL."""
        return self.process.url

    def run[T](self, body: Callable[[HassClient], Awaitable[T]]) -> T:
        """Run ``body`` with an authenticated client in a fresh event loop."""

        async def main() -> T:
            async with aiohttp.ClientSession() as session:
                client = HassClient(self.url, session)
                client.token = self.token
                return await body(client)

        return asyncio.run(main())


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start a real Home Assistant, onboarded over REST, for the whole session."""
    config: Path = tmp_path_factory.mktemp("hass-config")
    port = free_port()
    write_config(config, port)
    process = HassProcess(config, port).start()

    async def onboard() -> str:
        async with aiohttp.ClientSession() as session:
            client = HassClient(process.url, session)
            await client.authenticate(config)
            return client.token

    try:
        token = asyncio.run(onboard())
        process.token = token
        yield Server(process, token)
    finally:
        process.stop()
        errors = [
            line
            for line in process.log_text().splitlines()
            if "custom_components.homecoming" in line and " ERROR " in line
        ]
        if errors:
            print("\nHomecoming errors in Home Assistant's log:", *errors, sep="\n")

"""Run the demo home's Home Assistant in the foreground, with Homecoming from this tree.

Run through ``scripts/develop``, or from the repository root as
``.venv-hass/bin/python -m devtools.develop``. Home Assistant's output goes to the
terminal; once it answers, a new home is onboarded through the REST API (the demo
login), so the UI is ready to use. Edit the integration, then restart Home Assistant
(Ctrl-C and run again, or Settings → System → Restart) to load the change.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import subprocess
import sys
import time

import aiohttp

from devtools import HarnessError, home
from devtools.client import HassClient
from devtools.hass import hass_executable, port_in_use

DEFAULT_CONFIG = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "homecoming-develop"
)


def main(argv: list[str] | None = None) -> int:
    """Start Home Assistant in the foreground; return its exit status."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help=f"configuration directory (default {DEFAULT_CONFIG})",
    )
    parser.add_argument("--port", type=int, default=8123, help="port on 127.0.0.1")
    parser.add_argument(
        "--debug", action="store_true", help="Home Assistant's --debug (asyncio checks)"
    )
    args = parser.parse_args(argv)
    config: Path = args.config.resolve()
    if port_in_use(args.port):
        print(
            f"scripts/develop: port {args.port} on 127.0.0.1 is already in use; "
            "stop what runs there or choose --port",
            file=sys.stderr,
        )
        return 1
    try:
        home.write_config(config, args.port)
    except HarnessError as err:
        print(f"scripts/develop: {err}", file=sys.stderr)
        return 1
    command = [str(hass_executable()), "-c", str(config)]
    if args.debug:
        command.append("--debug")
    print(
        f"scripts/develop: Home Assistant with {config} on http://127.0.0.1:{args.port}"
    )
    process = subprocess.Popen(command)  # noqa: S603 - our own venv's hass
    try:
        url = f"http://{home.HOST}:{args.port}"
        while process.poll() is None and not port_in_use(args.port):
            time.sleep(0.5)
        if process.poll() is None:
            asyncio.run(onboard(url, config))
            print(
                f"\nscripts/develop: open {url} and log in as {home.USERNAME!r} "
                f"with password {home.PASSWORD!r}; Ctrl-C stops Home Assistant\n",
                flush=True,
            )
        return process.wait()
    except KeyboardInterrupt:
        return process.wait()


async def onboard(url: str, config: Path) -> None:
    """Onboard a new home (an onboarded one is left alone)."""
    async with aiohttp.ClientSession() as session:
        client = HassClient(url, session)
        for _ in range(240):
            try:
                if await client.onboarded():
                    return
                break
            except aiohttp.ClientError, ValueError:
                await asyncio.sleep(0.5)
        await client.authenticate(config)


if __name__ == "__main__":
    sys.exit(main())

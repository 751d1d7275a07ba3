"""The Homecoming demo: a real Home Assistant, a car, and a drive home.

Run through ``scripts/demo`` (which sets up ``.venv-hass`` first), or from the
repository root as ``.venv-hass/bin/python -m devtools.demo``. It writes a demo home
(lights, a thermostat, a person, ``zone.home``) into a configuration directory, starts
``hass`` on 127.0.0.1 with Homecoming from the working tree, onboards it through the
REST API, adds a car with a push source through the config flow, sets its routines
through the options flow, and drives the car home by posting a simulated drive (red
lights, a junction, GPS noise) to the car's webhook, time-accelerated. A live timeline
shows the phase, distance, ETA, lights and the thermostat's target.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
import signal
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

import aiohttp

from custom_components.homecoming.engine import Home
from devtools import HarnessError, drives, forms
from devtools.client import Car, HassClient
from devtools.drives import Plan, Timed
from devtools.hass import HassProcess, free_port, port_in_use
from devtools.home import (
    HEATER,
    HOME_LAT,
    HOME_LON,
    HOME_RADIUS_M,
    LIGHTS,
    PASSWORD,
    THERMOSTAT,
    USERNAME,
    write_config,
)
from devtools.watch import Seen, Watcher

TZ = ZoneInfo("Europe/Amsterdam")
CAR_NAME = "Family car"
BAR = 24


def hhmmss(when: datetime | None) -> str:
    """Format a time of day in the demo home's time zone."""
    return "–" if when is None else when.astimezone(TZ).strftime("%H:%M:%S")


def km(metres: float | None) -> str:
    """Format a distance for people."""
    if metres is None:
        return "–"
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"  # noqa: PLR2004


def minutes(seconds: float) -> str:
    """Format a duration in minutes and seconds."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(round(seconds))
    return f"{sign}{seconds // 60} min {seconds % 60:02d} s"


@dataclass(slots=True)
class Timeline:
    """What happened, on the drive's clock (the fix timestamps)."""

    interactive: bool
    clock: datetime | None = None
    sent: int = 0
    total: int = 0
    first: dict[str, datetime] = field(default_factory=dict)
    distances: dict[str, float | None] = field(default_factory=dict)
    heating_from: float | None = None
    heating_to: float | None = None
    last_progress: int = -1

    def line(self, what: str, detail: str = "") -> None:
        """Print a timeline line (above the progress bar)."""
        if self.interactive:
            sys.stdout.write("\r\033[K")
        print(f"  {hhmmss(self.clock)}  {what:<18} {detail}".rstrip(), flush=True)

    def note(self, key: str, distance: float | None = None) -> None:
        """Remember the first time something happened."""
        if key not in self.first and self.clock is not None:
            self.first[key] = self.clock
            self.distances[key] = distance


class Demo:
    """Runs the demo against a started Home Assistant."""

    def __init__(self, args: argparse.Namespace, hass: HassProcess) -> None:
        """Keep the options and the process."""
        self.args = args
        self.hass = hass
        self.timeline = Timeline(interactive=sys.stdout.isatty())
        self.car: Car | None = None
        self.watcher: Watcher | None = None

    async def run(self, session: aiohttp.ClientSession) -> None:
        """Onboard, add the car, set the routines, drive home, summarise."""
        client = HassClient(self.hass.url, session)
        await client.authenticate(self.hass.config_dir)
        self.hass.token = client.token
        step("Home Assistant onboarded (user, location, analytics) over its REST API")
        car = await self.car_for(client)
        self.car = car
        step(
            f"car {car.title!r}: {len(car.entities)} entities, webhook {car.webhook_url}"
        )
        routines = await forms.configure_routines(client, car)
        step(f"routines set through the options flow: {', '.join(routines)}")
        await reset_home(client)
        async with Watcher.connect(client) as watcher:
            self.watcher = watcher
            watcher.add_listener(self.on_event)
            await self.drive(session, car)
            await asyncio.sleep(1.0)  # let the last state changes arrive
        self.summary()

    async def car_for(self, client: HassClient) -> Car:
        """Return the demo car: added through the config flow, or the one there."""
        for car in await client.cars():
            if car.title == CAR_NAME:
                car.webhook_url = await client.webhook_url(car.entry_id)
                return car
        car = await client.add_push_car(CAR_NAME, make="Demo", model="Estate")
        removed = await client.remove_onboarding_extras()
        if removed and self.args.verbose:
            step(
                f"removed internet-bound onboarding integrations: {', '.join(removed)}"
            )
        return car

    async def drive(self, session: aiohttp.ClientSession, car: Car) -> None:
        """Post the drive to the webhook on its accelerated schedule."""
        scenario = drives.demo_drive()
        home = Home(
            latitude=HOME_LAT,
            longitude=HOME_LON,
            radius=HOME_RADIUS_M,
        )
        plan = Plan.build(scenario, speed=self.args.speed)
        if problems := plan.check(home):
            msg = (
                f"--speed {self.args.speed} is too fast for Home Assistant's clock: "
                f"{problems[0]}; try a lower --speed"
            )
            raise HarnessError(msg)
        self.arrive = plan.marks["arrive"]
        batches = plan.batches()
        tl = self.timeline
        tl.total = len(plan.fixes)
        drive_min = (scenario.marks["end"] - scenario.marks["start"]).total_seconds()
        step(
            f"driving home: {km(6000)} with two red lights and a junction, "
            f"{minutes(drive_min)} of driving sent in about "
            f"{minutes(plan.duration)} ({len(plan.fixes)} fixes in {len(batches)} pushes)"
        )
        print(flush=True)
        tl.clock = plan.fixes[0].fix.timestamp
        self.progress()
        await drives.send_plan(session, car.webhook_url, batches, on_sent=self.sent)
        if tl.interactive:
            sys.stdout.write("\r\033[K")
        self.progress(final=True)

    def sent(self, batch: list[Timed]) -> None:
        """Move the drive's clock and redraw: a push was answered."""
        tl = self.timeline
        tl.sent += len(batch)
        tl.clock = batch[-1].fix.timestamp
        self.progress()

    def on_event(self, seen: Seen) -> None:
        """Print what matters, as it happens."""
        car = self.car
        if car is None:
            return
        tl = self.timeline
        data = seen.data
        if (
            seen.event_type == "homecoming_event"
            and data.get("entry_id") == car.entry_id
        ):
            kind = data["type"]
            tl.note(kind, data.get("distance"))
            eta = data.get("eta")
            detail = f"{km(data.get('distance'))} from home"
            if eta:
                detail += f", ETA {hhmmss(datetime.fromisoformat(eta))}"
            tl.line(kind.replace("_", " "), detail)
            self.progress()
            return
        if seen.event_type != "state_changed":
            return
        entity_id = data["entity_id"]
        old, new = data.get("old_state") or {}, data.get("new_state") or {}
        if entity_id in LIGHTS and old.get("state") != new.get("state"):
            tl.note(f"light_{new.get('state')}")
            tl.line(f"light {new.get('state')}", entity_id)
        elif entity_id == THERMOSTAT:
            before = (old.get("attributes") or {}).get("temperature")
            after = (new.get("attributes") or {}).get("temperature")
            if before != after:
                tl.note("heating" if (after or 0) > (before or 0) else "setback")
                if tl.heating_from is None:
                    tl.heating_from = before
                tl.heating_to = after
                tl.line("thermostat", f"target {before} → {after} °C")
        elif entity_id == HEATER and old.get("state") != new.get("state"):
            tl.line(f"heater {new.get('state')}", HEATER)
        else:
            return
        self.progress()

    def progress(self, *, final: bool = False) -> None:
        """Draw the progress bar (a line every 10 % when not on a terminal)."""
        tl = self.timeline
        watcher, car = self.watcher, self.car
        share = tl.sent / tl.total if tl.total else 0.0
        if watcher is None or car is None:
            return
        phase = watcher.state(car.entity("phase")) or "–"
        distance = watcher.state(car.entity("distance"))
        unit = watcher.attribute(car.entity("distance"), "unit_of_measurement") or ""
        try:
            distance = f"{float(distance or ''):.2f}"
        except ValueError:
            distance, unit = "–", ""
        eta_state = watcher.state(car.entity("eta"))
        try:
            eta = hhmmss(datetime.fromisoformat(eta_state or ""))
        except ValueError:
            eta = "–"
        lights = "on" if any(watcher.state(e) == "on" for e in LIGHTS) else "off"
        target = watcher.attribute(THERMOSTAT, "temperature")
        filled = round(share * BAR)
        text = (
            f"  [{'█' * filled}{'░' * (BAR - filled)}] {share:4.0%}  {hhmmss(tl.clock)}  "
            f"{phase:<11} {distance or '–':>6} {unit:<2}  ETA {eta:<8}  "
            f"lights {lights:<3}  thermostat {target} °C"
        )
        if tl.interactive:
            sys.stdout.write("\r\033[K" + text + ("\n" if final else ""))
            sys.stdout.flush()
        elif int(share * 10) > tl.last_progress:
            tl.last_progress = int(share * 10)
            print(text, flush=True)

    def summary(self) -> None:
        """Say what happened, relative to the arrival."""
        tl = self.timeline
        arrived = tl.first.get("arrived")
        print("\nSummary (times on the drive's clock)")
        if arrived is None:
            print("  the car did not arrive: see the timeline above")
            return

        def before(key: str) -> str:
            when = tl.first[key]
            return f"{hhmmss(when)}, {minutes((arrived - when).total_seconds())} before arrival"

        if "approach_started" in tl.first:
            print(
                f"  approach detected  {before('approach_started')} "
                f"({km(tl.distances['approach_started'])} from home)"
            )
        else:
            print("  approach detected  never (the car was already close?)")
        if "arriving" in tl.first:
            print(f"  arriving           {before('arriving')}")
        print(f"  arrived            {hhmmss(arrived)}")
        if "heating" in tl.first:
            print(
                f"  heating started    {before('heating')} "
                f"(target {tl.heating_from} → {tl.heating_to} °C)"
            )
        else:
            print("  heating started    –")
        if "light_on" in tl.first:
            print(f"  lights on          {before('light_on')}")
        else:
            print("  lights on          –")
        wrong = [k for k in ("approach_cancelled", "departed") if k in tl.first]
        if wrong:
            print(f"  unexpected: {', '.join(wrong)}")


async def reset_home(client: HassClient) -> None:
    """Lights off and the thermostat set back, so every run starts alike."""
    for light in LIGHTS:
        await client.call("light", "turn_off", entity_id=light)
    await client.call(
        "climate", "set_temperature", entity_id=THERMOSTAT, temperature=17
    )


def step(text: str) -> None:
    """Print a progress line of the set-up."""
    print(f"• {text}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description=(
            "Start a real Home Assistant with a demo home and Homecoming from this working "
            "tree, add a car, and drive it home."
        ),
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration directory (default: a new temporary one)",
    )
    parser.add_argument(
        "--port", type=int, help="HTTP port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave Home Assistant running and print how to log in",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=6.0,
        help="time acceleration of the drive (default 6)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say more")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the exit status."""
    args = parse_args(argv)
    if args.speed < 1:
        print("scripts/demo: --speed must be at least 1", file=sys.stderr)
        return 2
    config = args.config or Path(tempfile.mkdtemp(prefix="homecoming-demo-"))
    config = config.resolve()
    port = args.port or free_port()
    if args.port and port_in_use(port):
        print(
            f"scripts/demo: port {port} on 127.0.0.1 is already in use "
            "(another Home Assistant?); choose another with --port, or leave it out",
            file=sys.stderr,
        )
        return 1
    hass = HassProcess(config, port)
    try:
        write_config(config, port)
        step(f"starting Home Assistant on {hass.url} (config and log: {config})")
        started = time.monotonic()
        hass.start()
        step(f"Home Assistant answers after {time.monotonic() - started:.1f} s")
        asyncio.run(run_demo(args, hass))
    except HarnessError as err:
        print(f"\nscripts/demo: error: {err}", file=sys.stderr)
        print(f"Home Assistant's log: {hass.log_file}", file=sys.stderr)
        hass.stop()
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        hass.stop()
        return 130
    if not args.keep:
        hass.stop()
        step(
            f"Home Assistant stopped (--keep leaves it running); "
            f"its configuration and log are in {config}"
        )
        return 0
    print(
        f"\nHome Assistant keeps running: {hass.url}\n"
        f"  log in as {USERNAME!r} with password {PASSWORD!r}\n"
        f"  the car: {hass.url}/config/integrations/integration/homecoming\n"
        f"  configuration and log: {config}\n"
        "Press Ctrl-C to stop it.",
        flush=True,
    )
    try:
        signal.signal(signal.SIGTERM, _interrupt)
        while hass.proc is not None and hass.proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping Home Assistant…", flush=True)
    hass.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into the Ctrl-C path (stop Home Assistant, then exit)."""
    raise KeyboardInterrupt


async def run_demo(args: argparse.Namespace, hass: HassProcess) -> None:
    """Run the asynchronous part."""
    async with aiohttp.ClientSession() as session:
        await Demo(args, hass).run(session)


if __name__ == "__main__":
    sys.exit(main())

"""Drive plans: a simulated drive on the wall clock, posted to a car's webhook.

:func:`demo_drive` builds the demo's drive home with :mod:`devtools.sim`; a :class:`Plan`
maps a drive onto the wall clock, time-accelerated, and proves offline that the
acceleration does not change what the engine decides; :func:`send_plan` posts it, batch
by batch on its schedule, to a car's webhook as Homecoming JSON (:func:`fix_payload`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
from http import HTTPStatus
import json
import math
import time
from typing import Any

import aiohttp

from custom_components.homecoming.engine import ApproachDetector, Fix, Home, Settings
from devtools import HarnessError, sim
from devtools.home import HOME_RADIUS_M

MIN_PUSH_GAP_S = 1.0
"""The webhook allows a burst of 20 requests, then one a second per car."""


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


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    """Sign a push with the car's secret: a timestamp and HMAC-SHA256 of it and the body."""
    stamp = str(int(time.time()))
    message = stamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {
        "X-Homecoming-Timestamp": stamp,
        "X-Homecoming-Signature": f"sha256={digest}",
    }


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
        if status != HTTPStatus.OK:
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

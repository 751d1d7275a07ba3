"""A deterministic drive simulator: the drives of the tests, the benchmarks and the demo.

Positions live in a local plane around the home point: ``east`` and ``north`` in metres,
home at ``(0, 0)``. A :class:`Drive` moves a true position through that plane and emits a
:class:`Fix` on a fixed time grid (every ``interval`` seconds), each one the true position
plus seeded gaussian noise. Every instant belongs to exactly one step, and a step emits the
grid times in ``[start, end)``: so a ``drive_to`` followed by a ``stop`` reports the
destination at the first fix of the stop, and no fix is ever emitted twice.

The builders at the bottom (:func:`straight_approach`, :func:`jam`, ...) return a
:class:`Scenario` with the fixes, the :class:`Home` and named marks (times of interest such as
``"arrive"`` or ``"jam_start"``). Only :class:`Fix` and :class:`Home` come from the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
import random
from typing import Self

from custom_components.homecoming.engine.geo import EARTH_RADIUS_M, haversine_m
from custom_components.homecoming.engine.models import Fix, Home

type Point = tuple[float, float]
"""A position in the local plane: ``(east_m, north_m)`` from home."""

DEFAULT_HOME: tuple[float, float] = (52.3700, 4.8900)
"""Latitude and longitude of the default home (Amsterdam)."""

DEFAULT_START = datetime(2025, 1, 6, 16, 30, tzinfo=UTC)
"""Default start of a drive: a Monday, late afternoon."""

DEFAULT_RADIUS_M = 100.0
"""Default radius of the home zone."""

DRIFT_BOUND_M = 60.0
"""Parked drift never reports a position farther than this from the true one."""

SPEED_NOISE = 0.05
"""Relative sigma of the reported speed, capped at :data:`SPEED_NOISE_MAX`."""

SPEED_NOISE_MAX = 0.3
"""Largest sigma of the reported speed, metres per second."""

PARK_S = 120.0
"""How long the builders stay parked at home after arriving."""

_EPS = 1e-6


# --- geometry ------------------------------------------------------------------------


def offset(home_lat: float, home_lon: float, east_m: float, north_m: float) -> Point:
    """Latitude and longitude of the point ``east_m``/``north_m`` metres from home.

    An equirectangular projection whose east-west scale uses the mean latitude of the two
    points, so the great-circle distance back to home matches ``hypot(east_m, north_m)`` to
    well under 0.1 % within 50 km. :func:`to_local` is its exact inverse.
    """
    lat = home_lat + math.degrees(north_m / EARTH_RADIUS_M)
    mid = math.radians((home_lat + lat) / 2.0)
    lon = home_lon + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(mid)))
    return lat, (lon + 180.0) % 360.0 - 180.0


def to_local(home_lat: float, home_lon: float, lat: float, lon: float) -> Point:
    """Return the ``(east_m, north_m)`` of a latitude and longitude (inverse of :func:`offset`)."""
    north = math.radians(lat - home_lat) * EARTH_RADIUS_M
    mid = math.radians((home_lat + lat) / 2.0)
    dlon = (lon - home_lon + 540.0) % 360.0 - 180.0
    return math.radians(dlon) * EARTH_RADIUS_M * math.cos(mid), north


def distance_to_home(fix: Fix, home: Home) -> float:
    """Great-circle distance in metres from a fix's reported position to the home centre."""
    return haversine_m(fix.latitude, fix.longitude, home.latitude, home.longitude)


def bearing(east_m: float, north_m: float) -> float:
    """Compass bearing in degrees (0 north, 90 east) of a displacement in the plane."""
    return math.degrees(math.atan2(east_m, north_m)) % 360.0


def along(bearing_deg: float, distance_m: float) -> Point:
    """Return the point ``distance_m`` from home in the compass direction ``bearing_deg``."""
    b = math.radians(bearing_deg)
    return distance_m * math.sin(b), distance_m * math.cos(b)


def home_at(lat: float, lon: float, radius: float = DEFAULT_RADIUS_M) -> Home:
    """Return a :class:`Home` at the given point."""
    return Home(latitude=lat, longitude=lon, radius=radius)


# --- the drive -----------------------------------------------------------------------


class Drive:
    """Builder of a fix trace; every step method returns ``self`` for chaining.

    ``noise`` is the gaussian sigma in metres applied to each axis of every reported
    position (``None``: half the current accuracy, following :meth:`with_accuracy`). All
    randomness comes from ``random.Random(seed)``, so equal calls give equal fixes.
    """

    def __init__(
        self,
        *,
        home: tuple[float, float] = DEFAULT_HOME,
        start: datetime = DEFAULT_START,
        interval: float = 5.0,
        seed: int = 0,
        accuracy: float = 8.0,
        noise: float | None = None,
        driver: str | None = None,
        ignition: bool | None = None,
    ) -> None:
        """Start parked at home at ``start``, with no fixes emitted yet."""
        if start.utcoffset() is None:
            msg = "start must be timezone-aware"
            raise ValueError(msg)
        _positive("interval", interval)
        self.home = home
        self.start = start
        self.interval = interval
        self.accuracy = accuracy
        self.noise = noise
        self.driver = driver
        self.ignition = ignition
        self._rng = random.Random(seed)
        self._clock = 0.0
        self._next = 0.0
        self._pos: Point = (0.0, 0.0)
        self._fixes: list[Fix] = []
        self._marks: dict[str, datetime] = {}

    # state

    @property
    def fixes(self) -> list[Fix]:
        """A copy of the emitted fixes, in emission order."""
        return list(self._fixes)

    @property
    def marks(self) -> dict[str, datetime]:
        """A copy of the named times recorded by :meth:`mark`."""
        return dict(self._marks)

    @property
    def now(self) -> datetime:
        """The current true time."""
        return self._time(self._clock)

    @property
    def position(self) -> Point:
        """The current true position ``(east_m, north_m)``."""
        return self._pos

    @property
    def sigma(self) -> float:
        """The position noise sigma in metres now in effect."""
        return self.accuracy / 2.0 if self.noise is None else self.noise

    def home_zone(self, radius: float = DEFAULT_RADIUS_M) -> Home:
        """Return the :class:`Home` at this drive's home point."""
        return home_at(*self.home, radius=radius)

    def __len__(self) -> int:
        """Return the number of fixes emitted so far."""
        return len(self._fixes)

    # settings

    def with_interval(self, seconds: float) -> Self:
        """Emit fixes every ``seconds`` from now on; the next one comes at most that late."""
        _positive("interval", seconds)
        self.interval = seconds
        self._next = min(self._next, self._clock + seconds)
        return self

    def with_accuracy(self, metres: float) -> Self:
        """Report this accuracy on moving and stopped fixes from now on."""
        self.accuracy = metres
        return self

    def with_noise(self, sigma: float | None) -> Self:
        """Set the position noise sigma (``None``: half the accuracy)."""
        self.noise = sigma
        return self

    def with_driver(self, driver: str | None) -> Self:
        """Tag the following fixes with this driver."""
        self.driver = driver
        return self

    def with_ignition(self, ignition: bool | None) -> Self:
        """Tag the following fixes with this ignition state."""
        self.ignition = ignition
        return self

    def mark(self, name: str) -> Self:
        """Record the current true time under ``name`` (see :attr:`marks`)."""
        self._marks[name] = self.now
        return self

    # steps

    def at(self, east_m: float, north_m: float) -> Self:
        """Put the car at this position without emitting a fix."""
        self._pos = (east_m, north_m)
        return self

    def drive_to(self, east_m: float, north_m: float, speed_mps: float) -> Self:
        """Drive in a straight line at constant speed, emitting fixes on the way."""
        _positive("speed", speed_mps)
        distance = math.dist(self._pos, (east_m, north_m))
        self._move((east_m, north_m), speed_mps, distance / speed_mps)
        return self

    def route(self, points: Sequence[Point], speed_mps: float) -> Self:
        """Drive through ``points`` in turn at constant speed."""
        for east_m, north_m in points:
            self.drive_to(east_m, north_m, speed_mps)
        return self

    def crawl(
        self, seconds: float, speed_mps: float, toward: Point = (0.0, 0.0)
    ) -> Self:
        """Creep toward ``toward`` (home by default) for ``seconds``, as in a jam.

        The car stops if it gets there before the time is up.
        """
        _positive("speed", speed_mps)
        self._move(toward, speed_mps, seconds)
        return self

    def stop(self, seconds: float) -> Self:
        """Stand still for ``seconds`` emitting fixes with speed 0 (red light, parking)."""
        east, north = self._pos
        for t in self._ticks(seconds):
            self._emit(t, self._noisy(east, north), speed=0.0, heading=None)
        return self

    def gap(self, seconds: float, *, moving_to: Point | None = None) -> Self:
        """Emit nothing for ``seconds`` (a tunnel); end at ``moving_to`` if given."""
        self._ticks(seconds)
        if moving_to is not None:
            self._pos = moving_to
        return self

    def drift(
        self,
        seconds: float,
        *,
        step_sigma: float = 5.0,
        accuracy: tuple[float, float] = (15.0, 65.0),
        wild_every: int | None = None,
        wild_accuracy: float = 1500.0,
        wild_offset: float = 800.0,
    ) -> Self:
        """Stand parked for ``seconds`` while the reported position drifts.

        The reported position is the true one plus a random walk (gaussian steps of
        ``step_sigma`` per axis) held within :data:`DRIFT_BOUND_M`; each fix reports an
        accuracy drawn uniformly from ``accuracy``. Every ``wild_every``-th fix of this step
        is instead a wild one, ``wild_offset`` metres away in a random direction, reporting
        ``wild_accuracy``.
        """
        low, high = accuracy
        east, north = self._pos
        walk_e = walk_n = 0.0
        for k, t in enumerate(self._ticks(seconds), start=1):
            walk_e += self._rng.gauss(0.0, step_sigma)
            walk_n += self._rng.gauss(0.0, step_sigma)
            r = math.hypot(walk_e, walk_n)
            if r > DRIFT_BOUND_M:
                walk_e *= DRIFT_BOUND_M / r
                walk_n *= DRIFT_BOUND_M / r
            if wild_every and k % wild_every == 0:
                de, dn = along(self._rng.uniform(0.0, 360.0), wild_offset)
                wild = (east + de, north + dn)
                self._emit(t, wild, speed=0.0, heading=None, accuracy=wild_accuracy)
            else:
                reported = (east + walk_e, north + walk_n)
                acc = self._rng.uniform(low, high)
                self._emit(t, reported, speed=0.0, heading=None, accuracy=acc)
        return self

    def cell_fixes(
        self, count: int, accuracy: float = 1500.0, offset: float = 1500.0
    ) -> Self:
        """Emit ``count`` cell fixes up to ``offset`` metres around the true position.

        They report ``accuracy`` and no speed or heading; the car stands still meanwhile.
        """
        east, north = self._pos
        seconds = (self._next - self._clock) + count * self.interval
        for t in self._ticks(seconds):
            direction = self._rng.uniform(0.0, 360.0)
            de, dn = along(direction, self._rng.uniform(0.0, offset))
            reported = (east + de, north + dn)
            self._emit(t, reported, speed=None, heading=None, accuracy=accuracy)
        return self

    def replay(self, fixes: Iterable[Fix]) -> Self:
        """Append earlier fixes again, as a queue flushed late; the clock does not move."""
        self._fixes.extend(fixes)
        return self

    # internals

    def _time(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def _ticks(self, seconds: float) -> list[float]:
        """Advance the clock by ``seconds``; return the grid times passed, ``[now, end)``."""
        if seconds < 0:
            msg = "seconds must not be negative"
            raise ValueError(msg)
        end = self._clock + seconds
        ticks: list[float] = []
        while self._next < end - _EPS:
            ticks.append(self._next)
            self._next += self.interval
        self._clock = end
        return ticks

    def _move(self, target: Point, speed: float, seconds: float) -> None:
        e0, n0 = self._pos
        de, dn = target[0] - e0, target[1] - n0
        distance = math.hypot(de, dn)
        heading = bearing(de, dn) if distance > 0 else None
        start = self._clock
        for t in self._ticks(seconds):
            travelled = min(speed * (t - start), distance)
            moving = travelled < distance - _EPS
            frac = travelled / distance if distance > 0 else 0.0
            true = (e0 + de * frac, n0 + dn * frac)
            reported = self._noisy(*true)
            if moving:
                self._emit(t, reported, speed=self._speed(speed), heading=heading)
            else:
                self._emit(t, reported, speed=0.0, heading=None)
        frac = min(speed * seconds, distance) / distance if distance > 0 else 0.0
        self._pos = (e0 + de * frac, n0 + dn * frac)

    def _noisy(self, east: float, north: float) -> Point:
        sigma = self.sigma
        if sigma <= 0:
            return east, north
        return east + self._rng.gauss(0.0, sigma), north + self._rng.gauss(0.0, sigma)

    def _speed(self, speed: float) -> float:
        sigma = min(SPEED_NOISE * speed, SPEED_NOISE_MAX)
        return max(0.0, speed + self._rng.gauss(0.0, sigma))

    def _emit(
        self,
        t: float,
        reported: Point,
        *,
        speed: float | None,
        heading: float | None,
        accuracy: float | None = None,
    ) -> None:
        lat, lon = offset(self.home[0], self.home[1], reported[0], reported[1])
        self._fixes.append(
            Fix(
                latitude=lat,
                longitude=lon,
                timestamp=self._time(t),
                accuracy=self.accuracy if accuracy is None else accuracy,
                speed=speed,
                heading=heading,
                ignition=self.ignition,
                driver=self.driver,
            )
        )


def _positive(name: str, value: float) -> None:
    if not value > 0:
        msg = f"{name} must be positive"
        raise ValueError(msg)


# --- scenarios -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """A finished drive with its home zone."""

    drive: Drive
    home: Home

    @property
    def fixes(self) -> list[Fix]:
        """The drive's fixes in emission order."""
        return self.drive.fixes

    @property
    def marks(self) -> dict[str, datetime]:
        """The drive's named times."""
        return self.drive.marks


def _scenario(drive: Drive, radius: float) -> Scenario:
    return Scenario(drive, drive.home_zone(radius))


def straight_approach(
    distance_m: float = 10_000.0,
    speed: float = 15.0,
    *,
    from_bearing: float = 30.0,
    park_s: float = PARK_S,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive straight home from ``distance_m`` away, then park.

    Marks: ``start``, ``arrive`` (true arrival at the centre), ``end``.
    """
    drive = Drive(seed=seed).at(*along(from_bearing, distance_m)).mark("start")
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(park_s).mark("end")
    return _scenario(drive, radius)


def red_lights(
    distance_m: float = 5_000.0,
    speed: float = 13.9,
    stops: Sequence[tuple[float, float]] = (
        (3_800.0, 45.0),
        (2_200.0, 90.0),
        (700.0, 30.0),
    ),
    *,
    from_bearing: float = 120.0,
    park_s: float = PARK_S,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home through town, halting at red lights: ``stops`` are ``(at_m, seconds)``.

    Marks: ``start``, ``stop1``..``stopN`` (start of each halt), ``arrive``, ``end``.
    """
    drive = Drive(seed=seed).at(*along(from_bearing, distance_m)).mark("start")
    for i, (at_m, seconds) in enumerate(stops, start=1):
        drive.drive_to(*along(from_bearing, at_m), speed).mark(f"stop{i}").stop(seconds)
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(park_s).mark("end")
    return _scenario(drive, radius)


def jam(
    minutes: float = 4.0,
    at_m: float = 2_000.0,
    *,
    distance_m: float = 8_000.0,
    speed: float = 20.0,
    crawl_speed: float = 1.0,
    from_bearing: float = 210.0,
    park_s: float = PARK_S,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home and meet a stop-and-go jam at ``at_m`` lasting ``minutes``.

    The jam alternates 30 s standing and 30 s crawling toward home at ``crawl_speed``; the
    rest of the way is driven at ``speed``.
    Marks: ``start``, ``jam_start``, ``jam_end``, ``arrive``, ``end``.
    """
    drive = Drive(seed=seed).at(*along(from_bearing, distance_m)).mark("start")
    drive.drive_to(*along(from_bearing, at_m), speed).mark("jam_start")
    left = minutes * 60.0
    while left > _EPS:
        standing = min(30.0, left)
        drive.stop(standing)
        left -= standing
        if left > _EPS:
            crawling = min(30.0, left)
            drive.crawl(crawling, crawl_speed)
            left -= crawling
    drive.mark("jam_end").drive_to(0.0, 0.0, speed).mark("arrive")
    drive.stop(park_s).mark("end")
    return _scenario(drive, radius)


def drive_by(
    closest_m: float = 800.0,
    speed: float = 25.0,
    *,
    span_m: float = 15_000.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive north along a straight road passing home ``closest_m`` to the east.

    The drive runs from ``span_m`` before the closest point to ``span_m`` after it.
    Marks: ``start``, ``closest``, ``end``.
    """
    drive = Drive(seed=seed).at(closest_m, -span_m).mark("start")
    drive.drive_to(closest_m, 0.0, speed).mark("closest")
    drive.drive_to(closest_m, span_m, speed).mark("end")
    return _scenario(drive, radius)


def parked_drift(
    hours: float = 8.0,
    at_m: float = 0.0,
    *,
    interval: float = 60.0,
    wild_every: int | None = 40,
    accuracy: tuple[float, float] = (15.0, 65.0),
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Stand parked ``at_m`` east of home for ``hours`` with drifting GPS.

    One fix every ``interval`` seconds; every ``wild_every``-th is a wild one (800 m off,
    1500 m accuracy); ``None`` for none. Marks: ``start``, ``end``.
    """
    drive = Drive(seed=seed, interval=interval).at(at_m, 0.0).mark("start")
    drive.drift(hours * 3600.0, accuracy=accuracy, wild_every=wild_every).mark("end")
    return _scenario(drive, radius)


def tunnel(
    gap_s: float = 180.0,
    *,
    at_m: float = 6_000.0,
    distance_m: float = 10_000.0,
    speed: float = 20.0,
    from_bearing: float = 300.0,
    park_s: float = PARK_S,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home, losing all fixes for ``gap_s`` in a tunnel entered ``at_m`` from home.

    The car keeps going at ``speed`` inside (stopping at home at the latest).
    Marks: ``start``, ``tunnel_in``, ``tunnel_out``, ``arrive``, ``end``.
    """
    drive = Drive(seed=seed).at(*along(from_bearing, distance_m)).mark("start")
    drive.drive_to(*along(from_bearing, at_m), speed).mark("tunnel_in")
    exit_m = max(at_m - speed * gap_s, 0.0)
    drive.gap(gap_s, moving_to=along(from_bearing, exit_m)).mark("tunnel_out")
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(park_s).mark("end")
    return _scenario(drive, radius)


def replayed_queue_after_arrival(
    *,
    distance_m: float = 6_000.0,
    speed: float = 15.0,
    replay_from_m: float = 3_000.0,
    replay_to_m: float = 1_500.0,
    from_bearing: float = 45.0,
    park_s: float = PARK_S,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home and park; then the fixes between two distances arrive again, late.

    After ``park_s`` at home the fixes emitted between ``replay_from_m`` and ``replay_to_m``
    are appended once more (old timestamps after newer ones), and the car stays parked for
    another ``park_s`` with fresh fixes.
    Marks: ``start``, ``arrive``, ``replay``, ``end``.
    """
    drive = Drive(seed=seed).at(*along(from_bearing, distance_m)).mark("start")
    drive.drive_to(*along(from_bearing, replay_from_m), speed)
    first = len(drive)
    drive.drive_to(*along(from_bearing, replay_to_m), speed)
    last = len(drive)
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(park_s)
    drive.mark("replay").replay(drive.fixes[first:last]).stop(park_s).mark("end")
    return _scenario(drive, radius)


def cell_fixes_far(
    distance_m: float = 20_000.0,
    count: int = 10,
    *,
    accuracy: float = 1500.0,
    offset_m: float = 1500.0,
    interval: float = 60.0,
    from_bearing: float = 90.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Stand ``distance_m`` from home reporting only ``count`` low-accuracy cell fixes.

    Marks: ``start``, ``end``.
    """
    drive = Drive(seed=seed, interval=interval).at(*along(from_bearing, distance_m))
    drive.mark("start").cell_fixes(count, accuracy=accuracy, offset=offset_m)
    drive.mark("end")
    return _scenario(drive, radius)


NEAR_HOME_SHAPES: dict[str, tuple[tuple[Point, float], ...]] = {
    # (waypoint, seconds standing there) after arriving home
    "loop round a 300 m block": (
        ((0.0, 250.0), 0.0),
        ((200.0, 250.0), 0.0),
        ((200.0, 0.0), 0.0),
        ((0.0, 0.0), 0.0),
    ),
    "U-turn 250 m out": (((0.0, 250.0), 10.0), ((0.0, 0.0), 0.0)),
    "two re-parks": (
        ((150.0, 120.0), 90.0),
        ((20.0, 10.0), 60.0),
        ((-250.0, 180.0), 60.0),
        ((0.0, 0.0), 0.0),
    ),
}
"""Moving about near home after arriving (150-350 m out, back within minutes)."""


def moving_about_near_home(
    shape: str,
    *,
    speed: float = 6.0,
    accuracy: float = 8.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home from 3 km, then move about near home as :data:`NEAR_HOME_SHAPES` says.

    Marks: ``start``, ``arrive``, ``about`` (when the moving about starts), ``end``.
    """
    drive = Drive(seed=seed, accuracy=accuracy).at(*along(150.0, 3_000.0))
    drive.mark("start").drive_to(0.0, 0.0, 12.0).mark("arrive").stop(60.0)
    drive.mark("about")
    for point, seconds in NEAR_HOME_SHAPES[shape]:
        drive.drive_to(*point, speed)
        if seconds:
            drive.stop(seconds)
    drive.stop(PARK_S).mark("end")
    return _scenario(drive, radius)


def short_errand(
    out_m: float = 1_000.0,
    *,
    speed: float = 8.3,
    errand_s: float = 300.0,
    stop_back_s: float = 0.0,
    from_bearing: float = 70.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Leave home for an errand ``out_m`` away at town speed, then drive back.

    ``stop_back_s`` halts the way back half-way (a junction, a queue).
    Marks: ``leave``, ``homeward`` (leaving the errand), ``arrive``, ``end``.
    """
    drive = Drive(seed=seed).at(0.0, 0.0).stop(60.0).mark("leave")
    drive.drive_to(*along(from_bearing, out_m), speed).stop(errand_s).mark("homeward")
    if stop_back_s:
        drive.drive_to(*along(from_bearing, out_m / 2.0), speed).stop(stop_back_s)
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(PARK_S).mark("end")
    return _scenario(drive, radius)


def sparse_trip_with_stop(
    interval: float = 180.0,
    *,
    distance_m: float = 12_000.0,
    stop_at_m: float = 4_000.0,
    stop_s: float = 90.0,
    speed: float = 12.0,
    phase_s: float = 0.0,
    from_bearing: float = 250.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home reported every ``interval`` seconds (a car cloud), halting once.

    ``phase_s`` shifts the report schedule against the drive. Marks: ``start``,
    ``stop``, ``arrive``, ``end``.
    """
    drive = Drive(seed=seed, interval=interval).at(*along(from_bearing, distance_m))
    drive.gap(phase_s).mark("start").drive_to(
        *along(from_bearing, stop_at_m), speed
    ).mark("stop")
    drive.stop(stop_s).drive_to(0.0, 0.0, speed).mark("arrive")
    drive.stop(4 * interval).mark("end")
    return _scenario(drive, radius)


def crawling_jam(
    minutes: float = 10.0,
    crawl_speed: float = 0.6,
    *,
    at_m: float = 3_000.0,
    distance_m: float = 8_000.0,
    speed: float = 15.0,
    from_bearing: float = 20.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Drive home and crawl ``minutes`` at walking pace (under 1 m/s) ``at_m`` out.

    Marks: ``start``, ``jam_start``, ``jam_end``, ``arrive``, ``end``.
    """
    drive = Drive(seed=seed).at(*along(from_bearing, distance_m)).mark("start")
    drive.drive_to(*along(from_bearing, at_m), speed).mark("jam_start")
    drive.crawl(minutes * 60.0, crawl_speed).mark("jam_end")
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(PARK_S).mark("end")
    return _scenario(drive, radius)


def car_park_exit(
    distance_m: float = 6_000.0,
    *,
    speed: float = 13.0,
    from_bearing: float = 100.0,
    seed: int = 0,
    radius: float = DEFAULT_RADIUS_M,
) -> Scenario:
    """Leave a car park ``distance_m`` from home: manoeuvre slowly, then drive home.

    The way out first leads away from home (aisles, the exit ramp, a road round the
    block) before turning towards it. Marks: ``start`` (first fix), ``homeward`` (the car
    starts driving towards home), ``arrive``, ``end``.
    """
    east, north = along(from_bearing, distance_m)
    away_e, away_n = along(from_bearing, distance_m + 250.0)
    side_e, side_n = along(from_bearing + 90.0, 120.0)
    drive = Drive(seed=seed).at(east, north).mark("start").stop(20.0)
    drive.drive_to(east + side_e * 0.3, north + side_n * 0.3, 2.5)
    drive.drive_to(east + side_e, north + side_n, 3.0)
    drive.drive_to(away_e + side_e, away_n + side_n, 6.0)
    drive.drive_to(away_e, away_n, 8.0).mark("homeward")
    drive.drive_to(0.0, 0.0, speed).mark("arrive").stop(PARK_S).mark("end")
    return _scenario(drive, radius)

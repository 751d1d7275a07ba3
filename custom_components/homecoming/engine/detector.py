"""The approach detector: fixes in, phases and transitions out.

The engine never reads a clock: time comes with each fix (:meth:`Engine.update`) or is
given when nothing arrives (:meth:`Engine.advance`). All internal times are POSIX seconds.

How it decides (see ``docs/engine.md`` for the reasoning and figures):

* Filtering: a fix is dropped when it repeats the newest timestamp (``duplicate``), is older
  than the newest (``out_of_order``, or ``stale`` beyond the replay window), has a worse
  accuracy than accepted (``inaccurate``) or implies an impossible speed (``outlier``; two
  consecutive outliers that agree with each other re-anchor the track).
* Progress towards home is the change of distance between the newest fix and the oldest fix
  of a time window, compared with the combined accuracy of those two fixes.
* Stationary: the car stays within a small radius (scaled by accuracy) of an anchor point.
* Hysteresis: the car enters home inside the zone with a good fix, and leaves only when a
  fix is well outside the zone even after subtracting its accuracy, confirmed by a second
  fix or by the car's reported speed.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from math import sqrt
from typing import TYPE_CHECKING, Any, Final

from .geo import Origin, local_m
from .models import (
    Direction,
    EventType,
    Fix,
    Home,
    Phase,
    RejectReason,
    Snapshot,
    Transition,
    UpdateResult,
)
from .settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterable

STATE_VERSION: Final = 1
"""Version of the dictionary written by :meth:`Engine.as_dict`."""

MOVING_SPEED_MPS: Final = 3.0
"""A reported (Doppler) speed at or above this means the car is moving; at rest phones and
cars report well under 1 m/s."""

STILL_SPEED_MPS: Final = 1.0
"""A reported speed under this means the car stands still: apparent movement is drift."""

MIN_ETA_SPEED_MPS: Final = 0.5
"""Below this smoothed speed towards home there is no meaningful ETA."""

SPARSE_GAP_S: Final = 60.0
"""A fix arriving this long after the previous one carries enough evidence on its own; on
denser tracks an approach needs two consecutive qualifying fixes (one noisy fix never
starts anything)."""

_APPROACH_PHASES: Final = frozenset({Phase.APPROACHING, Phase.ARRIVING})

_NO_TRANSITIONS: tuple[Transition, ...] = ()

# A window entry: (time, distance to home, accuracy, cumulative path length).
type _Sample = tuple[float, float, float, float]


class Engine:
    """Detects a car's approach to home from a stream of fixes."""

    __slots__ = (
        "_acc",
        "_anchor",
        "_closing",
        "_dist",
        "_driver",
        "_ext_eta",
        "_home",
        "_ignition",
        "_last_speed",
        "_last_t",
        "_last_ts",
        "_lat",
        "_lon",
        "_mark_dist",
        "_mark_t",
        "_min_dist",
        "_origin",
        "_outlier",
        "_path",
        "_pending_departure",
        "_phase",
        "_positioned",
        "_qualified",
        "_settings",
        "_speed",
        "_window",
    )

    def __init__(self, home: Home, settings: Settings | None = None) -> None:
        """Start with no knowledge of the car."""
        self._home = home
        self._settings = settings or Settings()
        self._origin = Origin(home.latitude, home.longitude)
        self._phase: Phase | None = None
        self._last_t: float | None = None
        self._last_ts: datetime | None = None
        self._positioned = False
        self._lat = 0.0
        self._lon = 0.0
        self._acc = 0.0
        self._dist = 0.0
        self._last_speed: float | None = None
        self._path = 0.0
        self._window: deque[_Sample] = deque()
        self._speed: float | None = None
        self._closing: float | None = None
        self._anchor: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
        self._min_dist = 0.0
        self._mark_dist = 0.0
        self._mark_t = 0.0
        self._qualified = 0
        self._pending_departure = False
        self._driver: str | None = None
        self._ignition: bool | None = None
        self._ext_eta: tuple[float, float] | None = None
        self._outlier: tuple[float, float, float, float] | None = None

    # ------------------------------------------------------------------ public API

    @property
    def home(self) -> Home:
        """The home this engine measures against."""
        return self._home

    @property
    def settings(self) -> Settings:
        """The detection settings in use."""
        return self._settings

    @property
    def phase(self) -> Phase | None:
        """The current phase (``None`` before the first usable fix)."""
        return self._phase

    @property
    def last_fix(self) -> datetime | None:
        """When the newest accepted fix was measured (without building a snapshot)."""
        return self._last_ts

    @property
    def snapshot(self) -> Snapshot:
        """What the engine knows about the car now."""
        if self._last_t is None:
            return Snapshot(
                phase=None,
                distance_m=None,
                direction=None,
                speed=None,
                closing_speed=None,
                eta=None,
                last_fix=None,
                driver=self._driver,
                latitude=None,
                longitude=None,
                accuracy=None,
            )
        eta = self._eta(self._last_t)
        positioned = self._positioned
        at_home = self._phase is Phase.HOME
        return Snapshot(
            phase=self._phase,
            distance_m=self._dist if positioned or at_home else None,
            direction=self._direction() if positioned else None,
            speed=self._speed,
            closing_speed=self._closing,
            eta=None if eta is None else datetime.fromtimestamp(eta, UTC),
            last_fix=self._last_ts,
            driver=self._driver,
            latitude=self._lat if positioned else None,
            longitude=self._lon if positioned else None,
            accuracy=self._acc if positioned else None,
        )

    def update(self, fix: Fix) -> UpdateResult:
        """Offer one fix; returns whether it was used and the transitions it caused."""
        s = self._settings
        t = fix.timestamp.timestamp()
        late = self._late(t)
        if late is not None:
            return UpdateResult(False, late, _NO_TRANSITIONS)
        last_t = self._last_t
        acc = s.assumed_accuracy_m if fix.accuracy is None else fix.accuracy
        if acc > s.max_accuracy_m:
            return UpdateResult(False, RejectReason.INACCURATE, _NO_TRANSITIONS)
        lat = fix.latitude
        lon = fix.longitude
        if last_t is None:
            return self._first(fix, t, lat, lon, acc)
        if not self._positioned:
            # The first position after zone-only reports: a fresh track, nothing to compare.
            self._window.clear()
            self._outlier = None
            return UpdateResult(
                True, None, self._accept(fix, t, 0.0, lat, lon, acc, 0.0)
            )
        dt = t - last_t
        segment = local_m(self._lat, self._lon, lat, lon)
        if segment - acc - self._acc > s.max_speed_mps * dt:
            outlier = self._outlier
            if outlier is None or not self._plausible(outlier, t, lat, lon, acc):
                self._outlier = (t, lat, lon, acc)
                return UpdateResult(False, RejectReason.OUTLIER, _NO_TRANSITIONS)
            # Two outliers that agree: the track before them was wrong. Start afresh.
            self._window.clear()
            self._qualified = 0
            segment = 0.0
            dt = 0.0
        self._outlier = None
        return UpdateResult(
            True, None, self._accept(fix, t, dt, lat, lon, acc, segment)
        )

    def update_presence(self, at_home: bool, timestamp: datetime) -> UpdateResult:
        """Offer a report without a position: a zone-based tracker's home / not home.

        It drives the home phase alone: inside is ``arrived`` (after ``arriving`` when an
        approach was under way), outside after being home is ``departed``. The position,
        distance and speeds are unknown from then on, until the next fix.
        """
        t = timestamp.timestamp()
        late = self._late(t)
        if late is not None:
            return UpdateResult(False, late, _NO_TRANSITIONS)
        previous = self._phase
        self._last_t = t
        self._last_ts = timestamp
        self._positioned = False
        self._dist = 0.0
        self._speed = self._closing = None
        self._window.clear()
        self._window.append((t, 0.0, 0.0, self._path))
        self._anchor = (t, self._lat, self._lon, self._acc)
        self._last_speed = None
        out: list[Transition] = []
        if previous is None:
            self._phase = Phase.HOME if at_home else Phase.AWAY
        elif at_home and previous is not Phase.HOME:
            if previous is Phase.APPROACHING:
                self._to(EventType.ARRIVING, Phase.ARRIVING, timestamp, t, out)
            self._to(EventType.ARRIVED, Phase.HOME, timestamp, t, out)
        elif not at_home and previous is Phase.HOME:
            self._to(EventType.DEPARTED, Phase.AWAY, timestamp, t, out)
        return UpdateResult(True, None, tuple(out))

    def update_batch(self, fixes: Iterable[Fix]) -> list[UpdateResult]:
        """Offer several fixes delivered together (a queued upload), oldest first.

        The order among fixes of the same time is kept.
        """
        return [self.update(fix) for fix in sorted(fixes, key=_fix_time)]

    def advance(self, now: datetime) -> tuple[Transition, ...]:
        """Let time pass without a fix: stops and silence can end an approach."""
        if self._last_t is None or self._phase not in _APPROACH_PHASES:
            return _NO_TRANSITIONS
        t = now.timestamp()
        if t <= self._last_t:
            return _NO_TRANSITIONS
        out: list[Transition] = []
        self._check_time(t, now, out)
        return tuple(out)

    # ----------------------------------------------------------- persistence

    def as_dict(self) -> dict[str, Any]:
        """Return the whole state as plain JSON-compatible data."""
        return {
            "version": STATE_VERSION,
            "phase": None if self._phase is None else self._phase.value,
            "last_t": self._last_t,
            "last_ts": None if self._last_ts is None else self._last_ts.isoformat(),
            "positioned": self._positioned,
            "lat": self._lat,
            "lon": self._lon,
            "acc": self._acc,
            "dist": self._dist,
            "last_speed": self._last_speed,
            "path": self._path,
            "window": [list(sample) for sample in self._window],
            "speed": self._speed,
            "closing": self._closing,
            "anchor": list(self._anchor),
            "min_dist": self._min_dist,
            "mark_dist": self._mark_dist,
            "mark_t": self._mark_t,
            "qualified": self._qualified,
            "pending_departure": self._pending_departure,
            "driver": self._driver,
            "ignition": self._ignition,
            "ext_eta": None if self._ext_eta is None else list(self._ext_eta),
            "outlier": None if self._outlier is None else list(self._outlier),
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], home: Home, settings: Settings | None = None
    ) -> Engine:
        """Rebuild an engine from :meth:`as_dict` output; ``ValueError`` if malformed."""
        engine = cls(home, settings)
        try:
            if data["version"] != STATE_VERSION:
                msg = f"unsupported state version {data['version']!r}"
                raise ValueError(msg)
            phase = data["phase"]
            engine._phase = None if phase is None else Phase(phase)
            engine._last_t = _opt_float(data["last_t"])
            last_ts = data["last_ts"]
            engine._last_ts = (
                None if last_ts is None else datetime.fromisoformat(last_ts)
            )
            if (engine._last_t is None) != (engine._last_ts is None) or (
                engine._last_ts is not None and engine._last_ts.utcoffset() is None
            ):
                msg = "inconsistent last fix time"
                raise ValueError(msg)
            engine._positioned = bool(data["positioned"])
            engine._lat = float(data["lat"])
            engine._lon = float(data["lon"])
            engine._acc = float(data["acc"])
            engine._dist = float(data["dist"])
            engine._last_speed = _opt_float(data["last_speed"])
            engine._path = float(data["path"])
            engine._window = deque(_floats(sample, 4) for sample in data["window"])  # type: ignore[misc]
            engine._speed = _opt_float(data["speed"])
            engine._closing = _opt_float(data["closing"])
            engine._anchor = _floats(data["anchor"], 4)  # type: ignore[assignment]
            engine._min_dist = float(data["min_dist"])
            engine._mark_dist = float(data["mark_dist"])
            engine._mark_t = float(data["mark_t"])
            engine._qualified = int(data["qualified"])
            engine._pending_departure = bool(data["pending_departure"])
            driver = data["driver"]
            engine._driver = None if driver is None else str(driver)
            ignition = data["ignition"]
            engine._ignition = None if ignition is None else bool(ignition)
            ext = data["ext_eta"]
            engine._ext_eta = None if ext is None else _floats(ext, 2)  # type: ignore[assignment]
            outlier = data["outlier"]
            engine._outlier = None if outlier is None else _floats(outlier, 4)  # type: ignore[assignment]
        except (KeyError, TypeError, AttributeError, OverflowError) as err:
            msg = f"malformed engine state: {err!r}"
            raise ValueError(msg) from err
        return engine

    # ------------------------------------------------------------------ internals

    def _late(self, t: float) -> RejectReason | None:
        """Why a report at ``t`` comes too late to use, if it does."""
        last_t = self._last_t
        if last_t is None or t > last_t:
            return None
        if t == last_t:
            return RejectReason.DUPLICATE
        if last_t - t > self._settings.replay_window_s:
            return RejectReason.STALE
        return RejectReason.OUT_OF_ORDER

    def _plausible(
        self,
        ref: tuple[float, float, float, float],
        t: float,
        lat: float,
        lon: float,
        acc: float,
    ) -> bool:
        """Whether a fix is reachable from a reference point at a plausible speed."""
        ref_t, ref_lat, ref_lon, ref_acc = ref
        dt = t - ref_t
        if dt <= 0:
            return False
        gap = local_m(ref_lat, ref_lon, lat, lon) - acc - ref_acc
        return gap <= self._settings.max_speed_mps * dt

    def _first(
        self, fix: Fix, t: float, lat: float, lon: float, acc: float
    ) -> UpdateResult:
        """Initialise the phase from the first usable fix, without an event."""
        self._store(fix, t, lat, lon, acc)
        self._anchor = (t, lat, lon, acc)
        self._window.append((t, self._dist, acc, 0.0))
        self._phase = Phase.HOME if self._inside(self._dist, acc) else Phase.AWAY
        return UpdateResult(True, None, _NO_TRANSITIONS)

    def _store(self, fix: Fix, t: float, lat: float, lon: float, acc: float) -> None:
        self._last_t = t
        self._last_ts = fix.timestamp
        self._positioned = True
        self._lat = lat
        self._lon = lon
        self._acc = acc
        self._dist = self._origin.distance_m(lat, lon)
        self._last_speed = fix.speed
        if fix.driver is not None:
            self._driver = fix.driver
        if fix.ignition is not None:
            self._ignition = fix.ignition
        if fix.travel_time is not None:
            self._ext_eta = (t + fix.travel_time, t)

    def _inside(self, dist: float, acc: float) -> bool:
        radius = self._home.radius
        return dist <= radius and acc <= max(radius, self._settings.home_accuracy_m)

    def _accept(
        self,
        fix: Fix,
        t: float,
        dt: float,
        lat: float,
        lon: float,
        acc: float,
        segment: float,
    ) -> tuple[Transition, ...]:
        s = self._settings
        prev_dist = self._dist
        last_t = self._last_t
        assert last_t is not None  # noqa: S101 - _accept follows the first fix
        # Parked: seen standing still (a later fix at the anchor, or a reported speed of
        # zero) for a while. Drift of a parked car across the zone edge is no arrival.
        anchor_t = self._anchor[0]
        last_speed = self._last_speed
        was_parked = (
            last_t > anchor_t
            or (last_speed is not None and last_speed < STILL_SPEED_MPS)
        ) and last_t - anchor_t >= s.settle_s
        self._store(fix, t, lat, lon, acc)
        dist = self._dist
        self._path += segment

        # Smoothed ground speed: the reported speed when there is one.
        ground = (
            fix.speed if fix.speed is not None else (segment / dt if dt > 0 else 0.0)
        )
        alpha = dt / (s.speed_smoothing_s + dt)
        self._speed = (
            ground
            if self._speed is None
            else self._speed + alpha * (ground - self._speed)
        )

        # The progress window.
        window = self._window
        window.append((t, dist, acc, self._path))
        cut = t - s.window_s
        while len(window) > 1 and window[1][0] <= cut:
            window.popleft()
        ref_t, ref_dist, ref_acc, ref_path = window[0]
        span = t - ref_t
        progress = ref_dist - dist
        noise = s.noise_factor * sqrt(ref_acc * ref_acc + acc * acc)
        closing_now = progress / span if span > 0 else 0.0
        closing = self._closing
        closing = (
            closing_now
            if closing is None
            else closing + alpha * (closing_now - closing)
        )
        self._closing = closing

        # The stationary anchor.
        _, a_lat, a_lon, a_acc = self._anchor
        speed = fix.speed
        if (speed is not None and speed >= MOVING_SPEED_MPS) or (
            (speed is None or speed >= STILL_SPEED_MPS)
            and local_m(a_lat, a_lon, lat, lon)
            > max(s.stationary_m, 1.5 * max(acc, a_acc))
        ):
            self._anchor = (t, lat, lon, acc)

        out: list[Transition] = []
        phase = self._phase
        ts = fix.timestamp
        if phase is Phase.HOME:
            outside = dist - acc - self._home.radius
            if outside > s.exit_margin_m:
                # Confirmed by a second fix, unless the car says it stands still and the
                # jump is short: that is Wi-Fi or cell positioning, not a departure.
                moving = speed is not None and speed >= MOVING_SPEED_MPS
                still = speed is not None and speed < STILL_SPEED_MPS
                far = outside > s.exit_margin_m + s.jump_m
                if moving or (self._pending_departure and (far or not still)):
                    # A new trip: its driver is whoever this trip's fixes name.
                    self._driver = fix.driver
                    self._to(EventType.DEPARTED, Phase.AWAY, ts, t, out)
                else:
                    self._pending_departure = True
            else:
                self._pending_departure = False
        elif phase is Phase.AWAY:
            if self._inside(dist, acc):
                came_from_outside = prev_dist > self._home.radius + s.exit_margin_m
                if came_from_outside or not was_parked:
                    self._to(EventType.ARRIVED, Phase.HOME, ts, t, out)
            elif (speed is None or speed >= STILL_SPEED_MPS) and self._qualifies(
                dist, progress, noise, self._path - ref_path, closing_now, t
            ):
                self._qualified += 1
                if self._qualified >= 2 or dt >= SPARSE_GAP_S:  # noqa: PLR2004
                    self._min_dist = self._mark_dist = dist
                    self._mark_t = t
                    self._closing = max(closing, closing_now)
                    self._to(EventType.APPROACH_STARTED, Phase.APPROACHING, ts, t, out)
                    if dist <= s.arrival_radius_m:
                        self._to(EventType.ARRIVING, Phase.ARRIVING, ts, t, out)
            else:
                self._qualified = 0
        else:  # approaching or arriving
            self._min_dist = min(self._min_dist, dist)
            if dist < self._mark_dist - max(s.stationary_m, acc) and (
                speed is None or speed >= STILL_SPEED_MPS
            ):
                self._mark_dist = dist
                self._mark_t = t
            if self._inside(dist, acc):
                if phase is Phase.APPROACHING:
                    self._to(EventType.ARRIVING, Phase.ARRIVING, ts, t, out)
                self._to(EventType.ARRIVED, Phase.HOME, ts, t, out)
            elif (
                dist - self._min_dist
                > max(s.retreat_m, s.retreat_fraction * self._min_dist) + acc
            ):
                self._to(EventType.APPROACH_CANCELLED, Phase.AWAY, ts, t, out)
            else:
                if phase is Phase.APPROACHING and dist <= s.arrival_radius_m:
                    self._to(EventType.ARRIVING, Phase.ARRIVING, ts, t, out)
                self._check_time(t, ts, out)
        return tuple(out) if out else _NO_TRANSITIONS

    def _qualifies(
        self,
        dist: float,
        progress: float,
        noise: float,
        path: float,
        closing_now: float,
        t: float,
    ) -> bool:
        """Whether the window shows a real approach within reach."""
        s = self._settings
        if (
            progress < noise
            or progress < s.min_progress_m
            or progress < s.progress_fraction * dist
            or progress < s.min_efficiency * path
            or closing_now < s.min_closing_speed_mps
        ):
            return False
        if s.reach_m is None or dist <= s.reach_m:
            return True
        if s.reach_eta_s is None:
            return False
        eta = self._eta_from(t, dist, max(closing_now, self._closing or 0.0))
        return eta is not None and eta - t <= s.reach_eta_s

    def _check_time(self, t: float, ts: datetime, out: list[Transition]) -> None:
        """Time-based ends of an approach: no progress for too long, or silence."""
        s = self._settings
        last_t = self._last_t
        assert last_t is not None  # noqa: S101 - only called once a fix was accepted
        stalled = t - self._mark_t
        last_speed = self._last_speed
        if (
            t > last_t
            and self._mark_t == last_t
            and (last_speed is None or last_speed >= STILL_SPEED_MPS)
        ):
            stalled = 0.0  # silence right after progress: a tunnel, not a stop
        tolerance = (
            s.ignition_off_tolerance_s
            if self._ignition is False
            else s.stop_tolerance_s
        )
        if stalled >= tolerance or t - last_t >= s.stale_timeout_s:
            self._to(EventType.APPROACH_CANCELLED, Phase.AWAY, ts, t, out)

    def _eta_from(self, t: float, dist: float, closing: float) -> float | None:
        ext = self._ext_eta
        if ext is not None and t - ext[1] <= self._settings.external_eta_max_age_s:
            return ext[0]
        if closing < MIN_ETA_SPEED_MPS:
            return None
        return t + max(0.0, dist - self._home.radius) / closing

    def _eta(self, t: float) -> float | None:
        if self._phase not in _APPROACH_PHASES:
            return None
        return self._eta_from(t, self._dist, self._closing or 0.0)

    def _direction(self) -> Direction:
        window = self._window
        _, ref_dist, ref_acc, _ = window[0]
        progress = ref_dist - self._dist
        threshold = max(
            self._settings.stationary_m,
            self._settings.noise_factor
            * sqrt(ref_acc * ref_acc + self._acc * self._acc),
        )
        if progress > threshold:
            return Direction.TOWARDS
        if progress < -threshold:
            return Direction.AWAY_FROM
        return Direction.STATIONARY

    def _to(
        self,
        event: EventType,
        phase: Phase,
        ts: datetime,
        t: float,
        out: list[Transition],
    ) -> None:
        previous = self._phase
        assert previous is not None  # noqa: S101 - transitions follow the first fix
        self._phase = phase
        self._pending_departure = False
        self._qualified = 0
        if phase is Phase.AWAY or phase is Phase.HOME:
            self._ext_eta = None
        if event is EventType.APPROACH_CANCELLED:
            window = self._window
            while len(window) > 1:  # judge a new approach on fresh evidence only
                window.popleft()
        eta = self._eta(t)
        out.append(
            Transition(
                event=event,
                phase=phase,
                previous=previous,
                timestamp=ts,
                distance_m=self._dist
                if self._positioned or phase is Phase.HOME
                else None,
                eta=None if eta is None else datetime.fromtimestamp(eta, UTC),
                driver=self._driver,
            )
        )


def _fix_time(fix: Fix) -> datetime:
    return fix.timestamp


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _floats(values: Any, count: int) -> tuple[float, ...]:
    result = tuple(float(v) for v in values)
    if len(result) != count:
        msg = f"expected {count} numbers, got {len(result)}"
        raise ValueError(msg)
    return result

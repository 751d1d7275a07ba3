"""The approach detector: fixes in, phases and transitions out.

The detector never reads a clock: time comes with each fix (:meth:`ApproachDetector.update`)
or is given when nothing arrives (:meth:`ApproachDetector.advance`). All internal times
are POSIX seconds, distances metres, speeds metres per second.

Where to find each decision (``docs/engine.md`` gives the reasoning and figures):

* which fixes are used: the top of :meth:`ApproachDetector.update` with
  :meth:`ApproachDetector._lateness` (late, inaccurate) and
  :meth:`ApproachDetector._impossible_jump` / :meth:`ApproachDetector._new_track_confirmed`
  (outliers, and when agreeing outliers are a new track);
* what each fix measures: the rest of :meth:`ApproachDetector.update` (whether it is
  inside the home zone, the path, smoothed speeds, the progress window, the stationary
  anchor), in one pass;
* one method per phase: :meth:`ApproachDetector._while_home`,
  :meth:`ApproachDetector._while_away`, :meth:`ApproachDetector._while_approaching`;
* the predicates they call: :meth:`ApproachDetector._approach_qualifies`,
  :meth:`ApproachDetector._departure_confirmed`, :meth:`ApproachDetector._drove_by`,
  :meth:`ApproachDetector._made_progress`, :meth:`ApproachDetector._stalled`.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from math import sqrt
from typing import TYPE_CHECKING, Any, Final

from .geo import LOCAL_ROUNDING_M, METRES_PER_DEGREE, Origin, local_m
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
from .state import STATE_VERSION, ExternalEta, Point, Sample, TrackState

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["STATE_VERSION", "ApproachDetector"]

MOVING_SPEED_MPS: Final = 3.0
"""A reported (Doppler) speed at or above this means the car is driving; at rest phones
and cars report well under 1 m/s."""

STILL_SPEED_MPS: Final = 1.0
"""A reported speed under this means the car stands or creeps: a fix reporting it never
starts an approach and never confirms a departure (apparent movement may be drift)."""

MIN_ETA_SPEED_MPS: Final = 0.5
"""Below this smoothed speed towards home there is no meaningful ETA."""

SPARSE_GAP_S: Final = 60.0
"""A fix arriving this long after the previous one carries enough evidence on its own; on
denser tracks an approach needs two consecutive qualifying fixes (one noisy fix never
starts anything)."""

CADENCE_WEIGHT: Final = 0.3
"""Weight of a new gap in the smoothed time between fixes (the source's cadence)."""

_APPROACH_PHASES: Final = frozenset({Phase.APPROACHING, Phase.ARRIVING})

# The phases every fix compares with, looked up once: an enum member is an attribute
# look-up on the enum class that the interpreter does not speed up.
_AWAY: Final = Phase.AWAY
_HOME: Final = Phase.HOME
_APPROACHING: Final = Phase.APPROACHING

_FRESH_EVIDENCE: Final = frozenset(
    {EventType.APPROACH_CANCELLED, EventType.ARRIVED, EventType.DEPARTED}
)
"""After these a trip is over or begins: the window keeps nothing from before them."""

_NO_TRANSITIONS: tuple[Transition, ...] = ()

_HALF_DEGREE_PER_M: Final = 0.5 / METRES_PER_DEGREE
"""Degrees per metre, halved: two points less than ``d * _HALF_DEGREE_PER_M`` degrees
apart in latitude and in longitude are less than ``d`` metres apart (plus the margin of
:data:`~.geo.LOCAL_ROUNDING_M`) by :func:`~.geo.local_m`."""

_ROUNDING_DEGREES: Final = LOCAL_ROUNDING_M * _HALF_DEGREE_PER_M
"""The margin of :data:`~.geo.LOCAL_ROUNDING_M` in those halved degrees."""

_T: Final = 0
_DIST: Final = 1
"""Where a :data:`~.state.Sample` keeps its time and its distance to home (a
:data:`~.state.Point` its time first too)."""

_SAME_HOME_M: Final = 1.0
"""A saved distance within this of the one measured now was measured to the same home."""

_USED: Final = UpdateResult(True, None, _NO_TRANSITIONS)
_REFUSED: Final = {
    reason: UpdateResult(False, reason, _NO_TRANSITIONS) for reason in RejectReason
}
"""The results without a transition, made once: nearly every fix gives one of them, and
they are immutable."""


class ApproachDetector:
    """Detects a car's approach to home from a stream of fixes."""

    __slots__ = (
        "_home",
        "_home_accuracy_m",
        "_least_progress_m",
        "_least_stop_s",
        "_origin",
        "_peaks",
        "_reach_degrees_per_s",
        "_settings",
        "_state",
    )

    def __init__(self, home: Home, settings: Settings | None = None) -> None:
        """Start with no knowledge of the car."""
        self._settings = s = settings or Settings()
        self._set_home(home)
        self._least_progress_m = min(s.min_progress_m, s.in_car_min_progress_m)
        """The smaller minimum progress: no approach qualifies on less (see
        :meth:`_approach_qualifies`)."""
        self._least_stop_s = min(s.stop_tolerance_s, s.ignition_off_tolerance_s)
        """The shorter stop tolerance: no approach stalls sooner after its last progress,
        unless the silence timeout is 0 s (see :meth:`_stalled`)."""
        self._reach_degrees_per_s = s.max_speed_mps * _HALF_DEGREE_PER_M
        """Half the degrees (of latitude, or at most of longitude) the top speed covers
        in a second (see the outlier check in :meth:`update`)."""
        self._state = TrackState()
        self._peaks: deque[Sample] = deque()
        """The window's samples that are farther from home than every later one: its
        first is the farthest point of the window (a sliding maximum)."""

    # ------------------------------------------------------------------ public API

    @property
    def home(self) -> Home:
        """The home this detector measures against."""
        return self._home

    @property
    def settings(self) -> Settings:
        """The detection settings in use."""
        return self._settings

    @property
    def phase(self) -> Phase | None:
        """The current phase (``None`` before the first usable report)."""
        return self._state.phase

    @property
    def waits_on_time(self) -> bool:
        """Whether :meth:`advance` can change anything: an approach that time may end."""
        return self._state.phase in _APPROACH_PHASES

    @property
    def last_fix(self) -> datetime | None:
        """When the newest accepted report was measured (without building a snapshot)."""
        last_t = self._state.last_t
        return None if last_t is None else datetime.fromtimestamp(last_t, UTC)

    @property
    def snapshot(self) -> Snapshot:
        """What the detector knows about the car now."""
        st = self._state
        if st.last_t is None:
            return Snapshot(
                phase=None,
                distance_m=None,
                direction=None,
                speed=None,
                closing_speed=None,
                eta=None,
                last_fix=None,
                driver=st.driver,
                latitude=None,
                longitude=None,
                accuracy=None,
            )
        eta = self._eta(st.last_t)
        positioned = st.positioned
        return Snapshot(
            phase=st.phase,
            distance_m=st.dist if positioned or st.phase is Phase.HOME else None,
            direction=self._direction() if positioned else None,
            speed=st.speed,
            closing_speed=st.closing,
            eta=None if eta is None else datetime.fromtimestamp(eta, UTC),
            last_fix=datetime.fromtimestamp(st.last_t, UTC),
            driver=st.driver,
            latitude=st.lat if positioned else None,
            longitude=st.lon if positioned else None,
            accuracy=st.acc if positioned else None,
        )

    def update(self, fix: Fix) -> UpdateResult:
        """Offer one fix; returns whether it was used and the transitions it caused.

        Every fix passes here, in one pass: filtering, storing, measuring, then the
        method of the current phase decides. (One method, in sections: a call per
        section would cost a few per cent of a fix's time, see docs/benchmarks.md.)
        """
        st = self._state
        s = self._settings
        t = fix.epoch
        acc = s.assumed_accuracy_m if fix.accuracy is None else fix.accuracy
        last_t = st.last_t
        # Filtering: too late (see _lateness), or too inaccurate.
        if last_t is not None and t <= last_t:
            return _REFUSED[self._lateness(t, last_t)]
        if acc > s.max_accuracy_m:
            return _REFUSED[RejectReason.INACCURATE]
        lat = fix.latitude
        lon = fix.longitude
        speed_now = fix.speed
        segment = dt = 0.0
        if last_t is None:
            pass  # the first fix: nothing to compare it with
        elif st.positioned:
            dt = t - last_t
            # Outliers. Most fixes come seconds and metres after the previous one: one
            # less than `half` degrees from it in latitude and in longitude is nearer
            # than the top speed covers (see geo.METRES_PER_DEGREE), so possible, and
            # that needs no trigonometry; the distance itself is then needed only for
            # a ground speed, of a fix that reports none.
            half = self._reach_degrees_per_s * dt - _ROUNDING_DEGREES
            low = -half
            if speed_now is None or not (
                low < lat - st.lat < half and low < lon - st.lon < half
            ):
                segment = local_m(st.lat, st.lon, lat, lon)
                if self._impossible_jump(segment, acc, dt):
                    if not self._new_track_confirmed((t, lat, lon, acc)):
                        return _REFUSED[RejectReason.OUTLIER]
                    self._start_new_track((t, lat, lon, acc))
                    segment = dt = 0.0
            if st.candidate_count:  # a fix of the track drops any candidate track
                st.candidate_first = st.candidate_last = None
                st.candidate_count = 0
        else:
            # The first position after zone-only reports: a fresh track, nothing to compare.
            self._restart_window()
            st.path_ref = (t, lat, lon, acc)
        phase = st.phase
        away = phase is _AWAY
        dist = self._origin.distance_m(lat, lon)
        # At home by this fix: inside the zone, and accurate enough to say so.
        inside = dist <= self._home.radius and acc <= self._home_accuracy_m
        # Whether the car stood parked before this fix matters only to an arrival from
        # away (see _while_away).
        was_parked = away and inside and self._parked()
        previous_dist = st.dist

        # Store what the fix says.
        st.last_t = t
        st.positioned = True
        st.lat = lat
        st.lon = lon
        st.acc = acc
        st.dist = dist
        st.last_speed = speed_now
        if (
            fix.driver is not None
            or fix.ignition is not None
            or fix.travel_time is not None
            or fix.travel_time_gone
        ):
            self._store_trip_facts(fix, t)
        if phase is None:
            # The first fix initialises the phase, without an event.
            st.anchor = st.path_ref = (t, lat, lon, acc)
            self._restart_window((t, dist, acc, st.path))
            st.phase = Phase.HOME if inside else Phase.AWAY
            return _USED

        # Measuring. The path driven, in steps beyond the noise: jitter of dense,
        # coarse fixes never adds up to a long path (which would make a trip home look
        # aimless). Only an approach starting from away looks at it, and every way into
        # away restarts the window, so it is measured while away only.
        if away:
            _, ref_lat, ref_lon, _ = st.path_ref
            step = local_m(ref_lat, ref_lon, lat, lon)
            if step >= max(s.stationary_m, acc):
                st.path += step
                st.path_ref = (t, lat, lon, acc)

        # Smoothed ground speed (the reported speed when there is one) and cadence.
        ground = (
            speed_now if speed_now is not None else (segment / dt if dt > 0.0 else 0.0)
        )
        if dt > 0.0:
            alpha = dt / (s.speed_smoothing_s + dt)
            interval = st.interval
            st.interval = (
                dt if interval is None else interval + CADENCE_WEIGHT * (dt - interval)
            )
        else:
            # No time step (the first position after zone reports, or of a new track):
            # the speed stays, but with no smoothing (0 s) the new speed stands.
            alpha = 0.0 if s.speed_smoothing_s > 0.0 else 1.0
        speed = st.speed
        st.speed = ground if speed is None else speed + alpha * (ground - speed)

        # The window: the oldest sample goes once the next one is at or before the cut.
        # The newest sample (t is after the cut) always stays; it is alone only after a
        # new track emptied the window.
        sample = (t, dist, acc, st.path)
        window = st.window
        window.append(sample)
        cut = t - s.window_s
        try:
            while window[1][_T] <= cut:
                window.popleft()
        except IndexError:
            pass  # the newest sample alone
        oldest_t, oldest_dist, _, _ = window[0]
        # Its farthest point (a sliding maximum), read only by an approach starting
        # from away; as every way into away restarts the window, it is kept while away
        # only.
        if away:
            peaks = self._peaks
            while peaks and peaks[-1][_DIST] <= dist:
                peaks.pop()
            peaks.append(sample)
            while peaks[0][_T] < oldest_t:
                peaks.popleft()

        # Closing speed over the whole window (negative when moving away), smoothed.
        span = t - oldest_t
        closing_now = (oldest_dist - dist) / span if span > 0.0 else 0.0
        closing = st.closing
        st.closing = (
            closing_now
            if closing is None
            else closing + alpha * (closing_now - closing)
        )

        # The stationary anchor: where the car was when last seen to move.
        if speed_now is not None and speed_now >= MOVING_SPEED_MPS:
            st.anchor = (t, lat, lon, acc)
        elif speed_now is None or speed_now >= STILL_SPEED_MPS:
            _, anchor_lat, anchor_lon, anchor_acc = st.anchor
            if local_m(anchor_lat, anchor_lon, lat, lon) > max(
                s.stationary_m, 1.5 * max(acc, anchor_acc)
            ):
                st.anchor = (t, lat, lon, acc)

        # Let the current phase decide.
        if phase is _HOME:
            if dist - acc - self._home.radius <= s.exit_margin_m:
                # Within the hysteresis band: drift, or back from a loop round the block.
                st.departure_seen = False
                st.outside_since = None
                return _USED
            transitions = self._while_home(fix, t, acc)
        elif away:
            transitions = self._while_away(
                fix, t, dt, acc, inside, previous_dist, was_parked
            )
        else:
            transitions = self._while_approaching(speed_now, t, acc, inside)
        return UpdateResult(True, None, transitions) if transitions else _USED

    def update_presence(self, at_home: bool, timestamp: datetime) -> UpdateResult:
        """Offer a report without a position: a zone-based tracker's home / not home.

        It drives the home phase alone: inside is ``arrived`` (after ``arriving`` when an
        approach was under way), outside after being home is ``departed``. The position,
        distance and speeds are unknown from then on, until the next fix.
        """
        st = self._state
        t = timestamp.timestamp()
        late = self._late(t)
        if late is not None:
            return _REFUSED[late]
        previous = st.phase
        st.last_t = t
        st.positioned = False
        st.dist = 0.0
        st.speed = st.closing = st.last_speed = None
        st.anchor = (t, st.lat, st.lon, st.acc)
        st.outside_since = None
        st.candidate_first = st.candidate_last = None
        st.candidate_count = 0
        self._restart_window((t, 0.0, 0.0, st.path))
        transitions = _NO_TRANSITIONS
        if previous is None:
            st.phase = Phase.HOME if at_home else Phase.AWAY
        elif at_home and previous is not Phase.HOME:
            if previous is Phase.APPROACHING:
                transitions = (self._to(EventType.ARRIVING, Phase.ARRIVING, t),)
            transitions += (self._to(EventType.ARRIVED, Phase.HOME, t),)
        elif not at_home and previous is Phase.HOME:
            transitions = (self._to(EventType.DEPARTED, Phase.AWAY, t),)
        return UpdateResult(True, None, transitions)

    def update_batch(self, fixes: Iterable[Fix]) -> list[UpdateResult]:
        """Offer several fixes delivered together (a queued upload), oldest first.

        The order among fixes of the same time is kept.
        """
        return [self.update(fix) for fix in sorted(fixes, key=_fix_time)]

    def advance(self, now: datetime) -> tuple[Transition, ...]:
        """Let time pass without a fix: stops and silence can end an approach."""
        st = self._state
        if st.last_t is None or st.phase not in _APPROACH_PHASES:
            return _NO_TRANSITIONS
        t = now.timestamp()
        if t <= st.last_t:
            return _NO_TRANSITIONS
        if self._stalled(t):
            return (self._to(EventType.APPROACH_CANCELLED, Phase.AWAY, t),)
        return _NO_TRANSITIONS

    def move_home(self, home: Home) -> None:
        """Measure against a home zone that moved or changed size; nothing fires.

        Distances measured to the old home would read as progress (or retreat) to the
        new one and start a false approach: the newest position's distance is measured
        anew, and the window of distances and the closing speed restart from it, as
        after a wrong clock. The phase is kept: the next fix decides against the new
        home.
        """
        self._set_home(home)
        self._measure_anew()

    def _set_home(self, home: Home) -> None:
        """Measure against ``home`` from now on."""
        self._home = home
        self._origin = Origin(home.latitude, home.longitude)
        self._home_accuracy_m = max(home.radius, self._settings.home_accuracy_m)
        """The worst accuracy of a fix that puts the car at home (inside the zone)."""

    def _measure_anew(self) -> None:
        """Measure the newest position against the home; restart the evidence from it."""
        st = self._state
        if st.last_t is None or not st.positioned:
            return  # no position (or zone reports only): nothing measured yet
        st.dist = self._origin.distance_m(st.lat, st.lon)
        st.closing = None
        self._restart_window((st.last_t, st.dist, st.acc, st.path))

    def correct_clock(self, now: datetime) -> bool:
        """Recover from a newest report stamped far ahead of ``now``.

        A report more than :attr:`Settings.clock_skew_s` in the future of a correct clock
        was stamped by a wrong one (a board that started before NTP set its time): every
        later fix would be refused as late. The track restarts at ``now``: the phase, the
        position and the driver are kept, the evidence of movement is forgotten, and
        nothing fires. Returns whether it did.
        """
        st = self._state
        t = now.timestamp()
        if st.last_t is None or st.last_t - t <= self._settings.clock_skew_s:
            return False
        st.last_t = st.mark_t = t
        st.anchor = (t, st.lat, st.lon, st.acc)
        st.qualified = 0
        st.departure_seen = False
        st.outside_since = None
        st.external_eta = None
        st.candidate_first = st.candidate_last = None
        st.candidate_count = 0
        st.interval = None
        self._restart_window((t, st.dist, st.acc, st.path))
        return True

    # ----------------------------------------------------------- persistence

    def as_dict(self) -> dict[str, Any]:
        """Return the whole state as plain JSON-compatible data (see :mod:`.state`)."""
        return self._state.as_dict()

    @classmethod
    def from_dict(
        cls, data: Any, home: Home, settings: Settings | None = None
    ) -> ApproachDetector:
        """Rebuild a detector from :meth:`as_dict` output of this or an older version.

        A state measured against another home (the zone moved or changed size while
        it was saved) is measured anew, as :meth:`move_home` does.

        Raises :class:`ValueError` for a newer version or anything malformed.
        """
        detector = cls(home, settings)
        st = detector._state = TrackState.from_dict(data)
        detector._peaks = _peaks_of(st.window)
        if (
            st.last_t is not None
            and st.positioned
            and abs(detector._origin.distance_m(st.lat, st.lon) - st.dist)
            > _SAME_HOME_M
        ):
            detector._measure_anew()
        return detector

    # ------------------------------------------------------------------ filtering

    def _late(self, t: float) -> RejectReason | None:
        """Why a report at ``t`` comes too late to use, if it does."""
        last_t = self._state.last_t
        if last_t is None or t > last_t:
            return None
        return self._lateness(t, last_t)

    def _lateness(self, t: float, last_t: float) -> RejectReason:
        """Why a report at ``t``, no later than the newest at ``last_t``, is refused."""
        if t == last_t:
            return RejectReason.DUPLICATE
        if last_t - t > self._settings.replay_window_s:
            return RejectReason.TOO_OLD
        return RejectReason.OUT_OF_ORDER

    def _impossible_jump(self, segment: float, acc: float, dt: float) -> bool:
        """Whether reaching a fix from the newest one needs more than the top speed."""
        return segment - acc - self._state.acc > self._settings.max_speed_mps * dt

    def _new_track_confirmed(self, point: Point) -> bool:
        """Count an impossible fix towards a new track; whether that track is confirmed.

        Impossible fixes that agree with each other (each reachable from the previous one)
        form a candidate track. It replaces the track only once it has lasted
        :attr:`Settings.reanchor_s` with at least :attr:`Settings.reanchor_fixes` fixes,
        more than the track itself gives over as long a time at its usual cadence, while
        the track said nothing (any usable fix of the track drops the candidate).
        A second tracker reporting the home zone's centre for a minute, or a burst of
        cell fixes with a fake accuracy, never moves the car.
        """
        st = self._state
        s = self._settings
        last = st.candidate_last
        if last is None or not self._reachable(last, point):
            st.candidate_first = point
            st.candidate_count = 0
        st.candidate_last = point
        st.candidate_count += 1
        first = st.candidate_first
        assert first is not None  # noqa: S101 - set above
        span = point[_T] - first[_T]
        # The track's own fixes over as long a time, at its usual cadence.
        interval = st.interval
        track = int(span / interval) if interval else 0
        return (
            span >= s.reanchor_s
            and st.candidate_count >= s.reanchor_fixes
            and st.candidate_count > track
        )

    def _reachable(self, ref: Point, point: Point) -> bool:
        """Whether ``point`` is reachable from ``ref`` at a possible speed."""
        ref_t, ref_lat, ref_lon, ref_acc = ref
        t, lat, lon, acc = point
        dt = t - ref_t
        if dt <= 0.0:
            return False
        gap = local_m(ref_lat, ref_lon, lat, lon) - acc - ref_acc
        return gap <= self._settings.max_speed_mps * dt

    # ------------------------------------------------------------ measuring

    def _restart_window(self, sample: Sample | None = None) -> None:
        """Forget the window's evidence, keeping ``sample`` (or the newest) alone."""
        window = self._state.window
        if sample is None:
            sample = window[-1]  # a window is never empty once a report was used
        window.clear()
        window.append(sample)
        peaks = self._peaks
        peaks.clear()
        peaks.append(sample)
        self._state.qualified = 0

    def _start_new_track(self, point: Point) -> None:
        """Start the track afresh at ``point``, its first fix.

        The outliers that led there agreed for long enough: the track before them was
        wrong, and nothing of it is evidence for the new one.
        """
        st = self._state
        st.window.clear()
        self._peaks.clear()
        st.qualified = 0
        st.path_ref = point

    def _store_trip_facts(self, fix: Fix, t: float) -> None:
        """Keep what a fix at ``t`` says beyond its position: driver, ignition, ETA."""
        st = self._state
        if fix.driver is not None:
            st.driver = fix.driver
        if fix.ignition is not None:
            st.ignition = fix.ignition
        if fix.travel_time is not None:
            st.external_eta = ExternalEta(t + fix.travel_time, t)
        elif fix.travel_time_gone:
            st.external_eta = None  # the source says it has none: the own ETA at once

    def _parked(self) -> bool:
        """Whether the car has been seen standing still for a while (before this fix).

        Seen standing: a later fix at the anchor, or a reported speed of zero. Drift of a
        parked car across the zone edge is no arrival.
        """
        st = self._state
        last_t = st.last_t
        assert last_t is not None  # noqa: S101 - only after the first fix
        anchor_t = st.anchor[_T]
        last_speed = st.last_speed
        return (
            last_t > anchor_t
            or (last_speed is not None and last_speed < STILL_SPEED_MPS)
        ) and last_t - anchor_t >= self._settings.settle_s

    # ------------------------------------------------------------------ phases

    def _while_home(self, fix: Fix, t: float, acc: float) -> tuple[Transition, ...]:
        """At home and outside the hysteresis band: decide whether the car has left.

        (:meth:`update` decides nothing for a fix within the band.) Returns the
        transitions.
        """
        st = self._state
        if st.outside_since is None:
            st.outside_since = t
            st.outside_dist = st.dist
        if self._departure_confirmed(fix.speed, t, acc):
            # A new trip: its driver is whoever this trip's fixes name.
            st.driver = fix.driver
            return (self._to(EventType.DEPARTED, Phase.AWAY, t),)
        return _NO_TRANSITIONS

    def _departure_confirmed(self, speed: float | None, t: float, acc: float) -> bool:
        """Whether a car at home, now outside the hysteresis band, has clearly left.

        Beyond the leave radius (the arrival radius, or the band if that is wider) after
        subtracting the accuracy: confirmed by a driving speed or by a second such fix,
        except that a car reporting standstill must have jumped farther than
        :attr:`Settings.jump_m` beyond the band (Wi-Fi and cell positioning jump a few
        hundred metres). Within the leave radius only :attr:`Settings.depart_dwell_s`
        outside the band while moving away confirms: looking for a parking space, a
        U-turn or a re-park near home is not a departure.
        """
        st = self._state
        s = self._settings
        radius = self._home.radius
        still = speed is not None and speed < STILL_SPEED_MPS
        if st.dist - acc > max(s.arrival_radius_m, radius + s.exit_margin_m):
            if speed is not None and speed >= MOVING_SPEED_MPS:
                return True
            far = st.dist - acc - radius > s.exit_margin_m + s.jump_m
            if st.departure_seen and (far or not still):
                return True
            st.departure_seen = True
            return False
        outside_since = st.outside_since
        assert outside_since is not None  # noqa: S101 - set by the caller
        return (
            t - outside_since >= s.depart_dwell_s
            and not still
            and st.dist > st.outside_dist + s.stationary_m
        )

    def _while_away(
        self,
        fix: Fix,
        t: float,
        dt: float,
        acc: float,
        inside: bool,
        previous_dist: float,
        was_parked: bool,
    ) -> tuple[Transition, ...]:
        """Away: decide whether the car has arrived, or started for home.

        Returns the transitions, in order.
        """
        st = self._state
        s = self._settings
        dist = st.dist
        if inside:
            # An arrival comes from outside the hysteresis band or from driving, not
            # from a parked car's drift across the zone edge.
            came_from_outside = previous_dist > self._home.radius + s.exit_margin_m
            if came_from_outside or not was_parked:
                if st.qualified or (
                    dt < SPARSE_GAP_S
                    and self._approach_qualifies(t, dist, acc, fix.in_car)
                ):
                    # The trip home was seen under way (a qualifying fix not yet
                    # confirmed, or this one): it passes through its approach.
                    return (
                        self._to(EventType.APPROACH_STARTED, Phase.APPROACHING, t),
                        self._to(EventType.ARRIVING, Phase.ARRIVING, t),
                        self._to(EventType.ARRIVED, Phase.HOME, t),
                    )
                return (self._to(EventType.ARRIVED, Phase.HOME, t),)
            return _NO_TRANSITIONS
        speed = fix.speed
        if speed is not None and speed < STILL_SPEED_MPS:
            # Standing: a trip home goes on from here, judged on what follows (a
            # qualifying fix before the stop still counts: a stop is not noise).
            qualified = st.qualified
            self._restart_window()
            st.qualified = qualified
            return _NO_TRANSITIONS
        in_car = fix.in_car
        # An approach needs the smaller minimum progress from the window's farthest
        # point at least: a cheap test before the whole rule.
        if self._peaks[0][_DIST] - dist >= self._least_progress_m and (
            rate := self._approach_qualifies(t, dist, acc, in_car)
        ):
            st.qualified += 1
            needed = s.in_car_fixes if in_car else 2
            if st.qualified >= needed or dt >= SPARSE_GAP_S:
                st.min_dist = st.mark_dist = dist
                st.still_dist = None
                st.mark_t = t
                st.closing = max(st.closing or 0.0, rate)
                started = self._to(EventType.APPROACH_STARTED, Phase.APPROACHING, t)
                if dist <= s.arrival_radius_m:
                    return (started, self._to(EventType.ARRIVING, Phase.ARRIVING, t))
                return (started,)
        else:
            st.qualified = 0
        return _NO_TRANSITIONS

    def _approach_qualifies(
        self, t: float, dist: float, acc: float, in_car: bool
    ) -> float | None:
        """Return the speed towards home if the window shows a real approach within reach.

        Measured from the window's farthest point (a trip that turned round within the
        window counts from the turn): the car must have gained more than the noise (the
        combined accuracy), :attr:`Settings.min_progress_m` and
        :attr:`Settings.progress_fraction` of its distance, mostly in a straight line
        (:attr:`Settings.min_efficiency` of the path) and at
        :attr:`Settings.min_closing_speed_mps` or more. ``None`` when it has not.

        ``in_car``: the source knows the car is being driven; the progress needed is
        :attr:`Settings.in_car_min_progress_m` and
        :attr:`Settings.in_car_progress_fraction` instead (the other rules stay).
        """
        s = self._settings
        peak_t, peak_dist, peak_acc, peak_path = self._peaks[0]
        span = t - peak_t
        progress = peak_dist - dist
        if in_car:
            least, fraction = s.in_car_min_progress_m, s.in_car_progress_fraction
        else:
            least, fraction = s.min_progress_m, s.progress_fraction
        if (
            span <= 0.0
            or progress < least
            or progress < fraction * dist
            or progress < s.min_efficiency * (self._state.path - peak_path)
            or progress < s.noise_factor * sqrt(peak_acc * peak_acc + acc * acc)
        ):
            return None
        rate = progress / span
        if rate < s.min_closing_speed_mps:
            return None
        if s.reach_m is None or dist <= s.reach_m:
            return rate
        if s.reach_eta_s is None:
            return None
        eta = self._eta_from(t, dist, max(rate, self._state.closing or 0.0))
        return rate if eta is not None and eta - t <= s.reach_eta_s else None

    def _while_approaching(
        self, speed: float | None, t: float, acc: float, inside: bool
    ) -> tuple[Transition, ...]:
        """Approaching or arriving: decide between arrived, drove by and still on the way.

        Returns the transitions, in order.
        """
        st = self._state
        s = self._settings
        dist = st.dist
        if self._made_progress(speed, acc):
            st.mark_dist = dist
            st.mark_t = t
        st.min_dist = min(st.min_dist, dist)
        if inside:
            if st.phase is Phase.APPROACHING:
                return (
                    self._to(EventType.ARRIVING, Phase.ARRIVING, t),
                    self._to(EventType.ARRIVED, Phase.HOME, t),
                )
            return (self._to(EventType.ARRIVED, Phase.HOME, t),)
        if dist > st.min_dist and self._drove_by(acc):  # not at a new closest point
            return (self._to(EventType.APPROACH_CANCELLED, Phase.AWAY, t),)
        transitions = _NO_TRANSITIONS
        if st.phase is _APPROACHING and dist <= s.arrival_radius_m:
            transitions = (self._to(EventType.ARRIVING, Phase.ARRIVING, t),)
        # Right after a fix, stalled needs no progress for the shorter stop tolerance at
        # least, or a silence timeout of 0 s: a cheap test before the whole rule.
        if (
            t - st.mark_t >= self._least_stop_s or s.silence_timeout_s <= 0.0
        ) and self._stalled(t):
            return (*transitions, self._to(EventType.APPROACH_CANCELLED, Phase.AWAY, t))
        return transitions

    def _made_progress(self, speed: float | None, acc: float) -> bool:
        """Whether the car is at a new closest distance of this approach.

        Beyond the noise (:attr:`Settings.stationary_m`, or the accuracy) whatever the
        reported speed: a crawl in a jam at walking pace is progress, and so is a fix of
        a sparse source that caught the car standing at a light two kilometres closer. A
        fix reporting standstill must be twice as far beyond, and beyond where the car
        stopped: the drift of a parked car never keeps an approach alive.
        """
        st = self._state
        dist = st.dist
        noise = max(self._settings.stationary_m, acc)
        if speed is None or speed >= STILL_SPEED_MPS:
            st.still_dist = None
            return dist < st.mark_dist - noise
        still_dist = st.still_dist
        if still_dist is None:  # the first fix of a standstill: where the car stopped
            st.still_dist = still_dist = dist
            reference = st.mark_dist
        else:
            reference = min(st.mark_dist, still_dist)
        return dist < reference - 2.0 * noise

    def _drove_by(self, acc: float) -> bool:
        """Whether the car is now clearly farther than its closest point of the approach."""
        st = self._state
        s = self._settings
        min_dist = st.min_dist
        return (
            st.dist - min_dist > max(s.retreat_m, s.retreat_fraction * min_dist) + acc
        )

    def _stalled(self, t: float) -> bool:
        """Whether the approach has made no progress for too long, or the car is silent.

        The stop is judged from what the fixes show: time since the last progress, but
        silence right after a fix that showed the car moving is a tunnel, not a stop, and
        the first source interval of any silence is not counted (a car cloud reporting
        every few minutes could not have shown progress sooner). Only
        :attr:`Settings.silence_timeout_s` without any fix ends the approach then.
        """
        st = self._state
        s = self._settings
        last_t = st.last_t
        assert last_t is not None  # noqa: S101 - only once a fix was accepted
        if t - last_t >= s.silence_timeout_s:
            return True
        stalled = t - st.mark_t
        if t > last_t:
            last_speed = st.last_speed
            if st.mark_t == last_t and (
                last_speed is None or last_speed >= STILL_SPEED_MPS
            ):
                return False  # silence right after progress: a tunnel
            stalled -= min(t - last_t, st.interval or 0.0)
        tolerance = (
            s.ignition_off_tolerance_s if st.ignition is False else s.stop_tolerance_s
        )
        return stalled >= tolerance

    # ------------------------------------------------------------------ results

    def _eta_from(self, t: float, dist: float, closing: float) -> float | None:
        ext = self._state.external_eta
        if ext is not None and t - ext.given_t <= self._settings.external_eta_max_age_s:
            return ext.eta_t
        if closing < MIN_ETA_SPEED_MPS:
            return None
        return t + max(0.0, dist - self._home.radius) / closing

    def _eta(self, t: float) -> float | None:
        st = self._state
        if st.phase not in _APPROACH_PHASES:
            return None
        return self._eta_from(t, st.dist, st.closing or 0.0)

    def _direction(self) -> Direction:
        st = self._state
        _, oldest_dist, oldest_acc, _ = st.window[0]
        progress = oldest_dist - st.dist
        threshold = max(
            self._settings.stationary_m,
            self._settings.noise_factor
            * sqrt(oldest_acc * oldest_acc + st.acc * st.acc),
        )
        if progress > threshold:
            return Direction.TOWARDS
        if progress < -threshold:
            return Direction.AWAY_FROM
        return Direction.STATIONARY

    def _to(self, event: EventType, phase: Phase, t: float) -> Transition:
        """Change phase; returns the transition."""
        st = self._state
        previous = st.phase
        assert previous is not None  # noqa: S101 - transitions follow the first fix
        st.phase = phase
        st.departure_seen = False
        st.outside_since = None
        st.qualified = 0
        if phase is Phase.AWAY or phase is Phase.HOME:
            st.external_eta = None
        if event in _FRESH_EVIDENCE:
            self._restart_window()  # judge the next decision on fresh evidence only
            st.path_ref = (t, st.lat, st.lon, st.acc)
        eta = self._eta(t)
        return Transition(
            event=event,
            phase=phase,
            previous=previous,
            timestamp=datetime.fromtimestamp(t, UTC),
            distance_m=st.dist if st.positioned or phase is Phase.HOME else None,
            eta=None if eta is None else datetime.fromtimestamp(eta, UTC),
            driver=st.driver,
        )


def _fix_time(fix: Fix) -> float:
    return fix.epoch


def _peaks_of(window: Iterable[Sample]) -> deque[Sample]:
    """Return the sliding maximum of a window, as :meth:`ApproachDetector.update` keeps it."""
    peaks: deque[Sample] = deque()
    for sample in window:
        while peaks and peaks[-1][_DIST] <= sample[_DIST]:
            peaks.pop()
        peaks.append(sample)
    return peaks

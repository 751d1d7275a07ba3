"""The heating (and cooling) rate of a home, learned from a thermostat's recorded history.

Pre-heat starts ``(comfort - indoor) / rate`` before arrival
(:func:`~.preheat.preheat_lead`). Instead of a rate the user guesses, this module reads how
fast the room really warmed while the thermostat was heating: pure, deterministic, no Home
Assistant import. The caller turns the recorder's states of the climate entity (or of the
chosen indoor sensor, with the climate's ``hvac_action`` beside it) into :class:`Sample`
values, oldest first, and calls :func:`learn_rates` (or :func:`learn_rate` for one
direction).

Method
------
1. **Periods.** The history is cut into *periods*: maximal runs of samples whose
   ``hvac_action`` is ``"heating"`` (for the cooling rate: ``"cooling"``). A period starts
   at its first such sample and ends at the first sample with another action (or at the
   last sample, while it is still running). Any other action (``"idle"``, ``"off"``,
   ``"preheating"``, ``"defrosting"``, ``None``, ...) ends it.
2. **The signal.** Home Assistant records a state only when it changes, so a value holds
   until the next sample. Each period is read as that step signal, sampled on a regular
   grid (every :data:`GRID_S` seconds, at most :data:`MAX_FIT_POINTS` points). The result
   does not depend on how often the source reports: a thermostat that reports every
   0.1 °C change and one polled every minute give the same grid.
3. **Rejection.** A period is not used when (see :class:`Rejection`), in this order:

   * it has a *gap*: an unavailable or impossible reading, or two samples further apart
     than :data:`MAX_GAP_S` (Home Assistant or its recorder was down: what happened then is
     unknown);
   * it is *short*: under :data:`MIN_DURATION_S` (15 minutes). The on/off cycling of a
     thermostat holding its target is all short periods;
   * the room *fell* while heating (rose while cooling) by more than
     :data:`FALL_TOLERANCE` (or two resolution steps) below its best level so far, read
     through a 5-point running median so that a single noisy reading cannot do it: an open
     window or door, whose period says nothing about the heating;
   * it was *cut* short: it ended with the room still more than :data:`TARGET_MARGIN`
     from its target (the target was lowered or the thermostat turned off mid-way; only
     checked when the samples carry the target). A cut heat-up is mostly dead time;
   * it is *small*: it rose less than :data:`MIN_RISE` (1 °C) or less than
     :data:`MIN_STEPS` steps of the sensor's resolution (so a 0.5 °C sensor needs 1.5 °C).
     Over so little the resolution decides the rate.

4. **The rate of a period** is its rise over its duration: from the level when the heating
   was switched on (the median of the first :data:`START_POINTS` minutes) to the level when
   it stopped (the median of the last :data:`END_POINTS` minutes, each carried to the end
   along the Theil-Sen slope of the whole period: the median of the slopes between every
   pair of grid points).

   Why rise over duration and not the slope of a fit: the lead pre-heat needs counts from
   the moment the heating is switched on, *dead time included* — the minutes (for
   underfloor heating the hour) the radiators or the floor take to warm the room. A slope
   leaves most of it out (and a least-squares fit over the period after dropping its
   first minutes leaves all of it out), so it would start every pre-heat late: on the
   simulated houses of ``bench/comfort.py`` the Theil-Sen slope of the periods was 7 %
   above the set-back-to-comfort rate (median; 10 % with the first 10 minutes dropped),
   the rise over the duration within ±3 % (median; +0.2 % signed).

   Why medians and Theil-Sen: a spike, a sunbeam on the sensor, a reading rounded to 0.1
   or 0.5 °C — as often below the true temperature as above it — moves the median of
   several readings little and a Theil-Sen slope (29 % breakdown point) not at all, so
   noise and quantisation do not bias the rate: against the same heat-ups read on the
   true temperature the learned rate is within ±1.1 % (median; ±5.8 % worst) on those
   houses, with sensors of 0.1 and 0.5 °C and noise up to 0.15 °C.
5. **The learned rate** is the median of the rates of the newest :data:`RECENT_PERIODS`
   (10) valid periods — one odd period (a party, the oven, a window the rejection missed)
   cannot move it, and a change of the house (new windows, a new boiler) is followed
   within ten heat-ups. It is ``None`` until :data:`MIN_PERIODS` (3) valid periods exist
   (the caller then uses the rate the user set), and it is bounded to
   :data:`MIN_RATE`..:data:`MAX_RATE` (0.2-10 °C per hour).

Units
-----
The module works in the unit of the history it is given: a history in °F gives a rate in
°F per hour, which the caller converts like any temperature difference. The thresholds
above are written in °C; ``unit_scale`` is the size of one °C in the history's unit
(1.0 for °C, 1.8 for °F) and scales :data:`MIN_RISE`, :data:`FALL_TOLERANCE`,
:data:`TARGET_MARGIN`, :data:`MIN_RATE` and :data:`MAX_RATE` (a ``unit_scale`` that is not
a positive finite number is taken as 1).

Times may be given in any time zone; a naive time is taken as UTC. Samples out of order are
put in order (stably). Nothing raises on odd input: readings that are not finite numbers
or beyond :data:`MAX_ABS_TEMPERATURE` count as unavailable.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
import math
import statistics
from typing import Final, NamedTuple

HEATING: Final = "heating"
"""The ``hvac_action`` of a thermostat that is heating (Home Assistant's ``HVACAction``)."""

COOLING: Final = "cooling"
"""The ``hvac_action`` of a thermostat that is cooling."""

MIN_PERIODS: Final = 3
"""Valid periods needed before a rate is learned: one or two could be a fluke."""

RECENT_PERIODS: Final = 10
"""The learned rate is the median of at most this many newest valid periods."""

MIN_RATE: Final = 0.2
"""Lowest learned rate, °C per hour (slow underfloor heating of a cold house)."""

MAX_RATE: Final = 10.0
"""Highest learned rate, °C per hour (forced air in a small room)."""

MIN_DURATION_S: Final = 15 * 60.0
"""Periods shorter than this (seconds) are not used: a thermostat's on/off cycles."""

MIN_RISE: Final = 1.0
"""A period must change the room by at least this (°C) to be used..."""

MIN_STEPS: Final = 3
"""...and by at least this many steps of the sensor's resolution."""

FALL_TOLERANCE: Final = 0.4
"""A heating period whose (median-filtered) temperature falls this much (°C) below its best
level so far — or two resolution steps, if more — is rejected: a window or a door was
opened."""

MAX_GAP_S: Final = 90 * 60.0
"""Two samples of a period further apart than this (seconds) make it a gap. A heating room
changes by a resolution step much sooner; silence that long means nothing was recorded."""

TARGET_MARGIN: Final = 1.0
"""A period that ended with the room further than this (°C) from its target was cut short
(the target was lowered, the thermostat turned off): not used, when the target is known.
Thermostats that modulate (PWM, valves) may switch off in the last degree."""

START_POINTS: Final = 3
"""The level at the start of a period is the median of its first grid points..."""

END_POINTS: Final = 5
"""...and the level at its end the median of its last ones, each carried to the end
along the period's Theil-Sen slope."""

GRID_S: Final = 60.0
"""Spacing of the grid the step signal is read on, seconds..."""

MAX_FIT_POINTS: Final = 120
"""...with at most this many points (a longer period gets a coarser grid): the Theil-Sen
fit costs the square of the points."""

FILTER_POINTS: Final = 5
"""Width of the running median the fall check reads the grid through."""

MAX_ABS_TEMPERATURE: Final = 1000.0
"""Readings beyond this (in any unit) are not temperatures of a home: unavailable."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_DIRECTIONS: Final = {HEATING: 1.0, COOLING: -1.0}


class Sample(NamedTuple):
    """One recorded state of a thermostat.

    ``temperature`` is the indoor temperature (``None`` when unavailable), ``hvac_action``
    what the thermostat was doing (``"heating"``, ``"cooling"``, ``"idle"``, ``"off"``,
    ``None``...). ``target`` is the target temperature when known (for ``heat_cool``: the
    low target with heating, the high one with cooling): with it, a heat-up cut short
    before the target is not used.
    """

    time: datetime
    temperature: float | None
    hvac_action: str | None
    target: float | None = None


class Rejection(StrEnum):
    """Why a period was not used."""

    GAP = "gap"
    SHORT = "short"
    FELL = "fell"
    CUT = "cut"
    SMALL = "small"


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """One run of heating (or cooling).

    ``rise`` is the change of the room in the period's direction (positive: warmer while
    heating, cooler while cooling) from its start to its end (``None`` when it was
    rejected before it was measured); ``rate`` the rise over the duration in degrees per
    hour, ``None`` when it was rejected.
    """

    start: datetime
    end: datetime
    rise: float | None
    rate: float | None
    rejection: Rejection | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RateEstimate:
    """The rate learned for one direction, with what it was learned from.

    ``rate`` in degrees per hour (the history's unit), ``None`` until :data:`MIN_PERIODS`
    valid periods exist. ``periods`` counts the valid periods found, ``used`` those the
    median was taken over (the newest, at most :data:`RECENT_PERIODS`), whose rates are
    ``recent`` (newest first). ``rejected`` counts the other periods by reason.
    """

    rate: float | None
    periods: int
    used: int
    recent: tuple[float, ...] = ()
    rejected: Mapping[Rejection, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedRates:
    """The heating and the cooling rate of one thermostat."""

    heating: RateEstimate
    cooling: RateEstimate


def learn_rates(
    samples: Iterable[Sample],
    *,
    unit_scale: float = 1.0,
    min_periods: int = MIN_PERIODS,
    recent: int = RECENT_PERIODS,
) -> LearnedRates:
    """Learn the heating and the cooling rate from one thermostat's history."""
    ordered = _ordered(samples)
    return LearnedRates(
        heating=_learn(ordered, HEATING, unit_scale, min_periods, recent),
        cooling=_learn(ordered, COOLING, unit_scale, min_periods, recent),
    )


def learn_rate(
    samples: Iterable[Sample],
    action: str = HEATING,
    *,
    unit_scale: float = 1.0,
    min_periods: int = MIN_PERIODS,
    recent: int = RECENT_PERIODS,
) -> RateEstimate:
    """Learn the rate of one direction: ``action`` is ``"heating"`` or ``"cooling"``."""
    return _learn(_ordered(samples), action, unit_scale, min_periods, recent)


def find_periods(
    samples: Iterable[Sample], action: str = HEATING, *, unit_scale: float = 1.0
) -> list[Period]:
    """Return every heating (or cooling) period of the history, oldest first."""
    return _periods(_ordered(samples), action, unit_scale)


# --- internals -------------------------------------------------------------------------

type _Point = tuple[float, float | None, str | None, datetime, float | None]
"""A sample as (seconds since the epoch, valid temperature or None, action, its time,
valid target or None)."""


def _learn(
    points: list[_Point],
    action: str,
    unit_scale: float,
    min_periods: int,
    recent: int,
) -> RateEstimate:
    periods = _periods(points, action, unit_scale)
    rates = [p.rate for p in periods if p.rate is not None]
    rejected = Counter(p.rejection for p in periods if p.rejection is not None)
    newest = tuple(reversed(rates[-max(recent, 1) :]))
    rate: float | None = None
    if rates and len(rates) >= min_periods:
        scale = _scale(unit_scale)
        rate = min(max(statistics.median(newest), MIN_RATE * scale), MAX_RATE * scale)
    return RateEstimate(
        rate=rate,
        periods=len(rates),
        used=len(newest) if rate is not None else 0,
        recent=newest,
        rejected=dict(rejected),
    )


def _scale(unit_scale: float) -> float:
    """Return the unit scale, or 1 when it is not a usable positive number."""
    return unit_scale if math.isfinite(unit_scale) and unit_scale > 0 else 1.0


def _ordered(samples: Iterable[Sample]) -> list[_Point]:
    points: list[_Point] = []
    for sample in samples:
        time = sample.time
        if time.utcoffset() is None:
            time = time.replace(tzinfo=UTC)
        seconds = (time - _EPOCH).total_seconds()
        points.append(
            (
                seconds,
                _valid(sample.temperature),
                sample.hvac_action,
                time,
                _valid(sample.target),
            )
        )
    points.sort(key=lambda point: point[0])
    return points


def _valid(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_ABS_TEMPERATURE:
        return None
    return number


def _resolution(points: list[_Point]) -> float:
    """Return the smallest change between two readings in a row: the sensor's step."""
    step = math.inf
    previous: float | None = None
    for point in points:
        value = point[1]
        if value is None:
            continue
        if previous is not None and value != previous:
            step = min(step, abs(value - previous))
        previous = value
    return 0.0 if math.isinf(step) else step


def _periods(points: list[_Point], action: str, unit_scale: float) -> list[Period]:
    sign = _DIRECTIONS.get(action)
    if sign is None:
        return []
    scale = _scale(unit_scale)
    resolution = _resolution(points)
    limits = _Limits(
        sign=sign,
        min_rise=max(MIN_RISE * scale, MIN_STEPS * resolution),
        tolerance=max(FALL_TOLERANCE * scale, 2 * resolution),
        margin=TARGET_MARGIN * scale,
    )
    out: list[Period] = []
    i = 0
    count = len(points)
    while i < count:
        if points[i][2] != action:
            i += 1
            continue
        j = i
        while j < count and points[j][2] == action:
            j += 1
        out.append(_period(points[i:j], points[min(j, count - 1)], limits))
        i = j
    return out


@dataclass(frozen=True, slots=True)
class _Limits:
    sign: float
    min_rise: float
    tolerance: float
    margin: float


def _period(run: list[_Point], last: _Point, limits: _Limits) -> Period:
    """Judge and fit one period; ``last`` is the sample that ended it (or its own last)."""
    start, end = run[0][0], last[0]
    times = [p[0] for p in run] + [end]

    def result(
        rejection: Rejection | None,
        rise: float | None = None,
        rate: float | None = None,
    ) -> Period:
        return Period(
            start=run[0][3], end=last[3], rise=rise, rate=rate, rejection=rejection
        )

    values: list[float] = []
    for point in run:
        value = point[1]
        if value is None:
            return result(Rejection.GAP)
        values.append(limits.sign * value)
    if any(b - a > MAX_GAP_S for a, b in pairwise(times)):
        return result(Rejection.GAP)
    if end - start < MIN_DURATION_S:
        return result(Rejection.SHORT)
    grid_t, grid_v = _grid(times[:-1], values, start, end)
    if _fell(grid_v, limits.tolerance):
        return result(Rejection.FELL)
    slope = _theil_sen(grid_t, grid_v)
    hours = grid_t[-1]
    at_end = statistics.median(
        v + slope * (hours - t)
        for t, v in zip(grid_t[-END_POINTS:], grid_v[-END_POINTS:], strict=True)
    )
    rise = at_end - statistics.median(grid_v[:START_POINTS])
    targets = [p[4] for p in run if p[4] is not None]
    if targets and limits.sign * targets[-1] - at_end > limits.margin:
        return result(Rejection.CUT, rise)
    if rise < limits.min_rise:
        return result(Rejection.SMALL, rise)
    return result(None, rise, rise / hours)


def _grid(
    times: list[float], values: list[float], start: float, end: float
) -> tuple[list[float], list[float]]:
    """Read the step signal (each value holds until the next) on a regular grid.

    Times of the result are hours from the start of the period.
    """
    points = max(2, min(MAX_FIT_POINTS, int((end - start) // GRID_S) + 1))
    step = (end - start) / (points - 1)
    grid_t: list[float] = []
    grid_v: list[float] = []
    for k in range(points):
        t = start + k * step
        index = bisect_right(times, t) - 1
        grid_t.append(k * step / 3600.0)
        grid_v.append(values[max(index, 0)])
    return grid_t, grid_v


def _fell(values: list[float], tolerance: float) -> bool:
    """Whether the running-median signal ever drops ``tolerance`` below its best."""
    half = FILTER_POINTS // 2
    best = -math.inf
    for k in range(len(values)):
        level = statistics.median(values[max(0, k - half) : k + half + 1])
        best = max(best, level)
        if best - level > tolerance:
            return True
    return False


def _theil_sen(times: list[float], values: list[float]) -> float:
    """Return the median of the slopes between every pair of points (times increase)."""
    slopes = [
        (values[b] - values[a]) / (times[b] - times[a])
        for a in range(len(times))
        for b in range(a + 1, len(times))
    ]
    return statistics.median(slopes)

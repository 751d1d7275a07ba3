"""Tunable settings of the approach engine, each default with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Detection settings.

    Distances are metres, durations seconds, speeds metres per second.
    """

    reach_m: float | None = 30_000.0
    """An approach may start only this close to home (``None``: no distance limit).

    30 km covers a typical commute's last half hour; farther away, "getting closer" is
    mostly driving about, and no pre-heat needs more lead than that."""

    reach_eta_s: float | None = 1_800.0
    """...or when the ETA is at most this (``None``: no ETA limit). 30 minutes lets a fast
    motorway run start early enough for slow heating systems."""

    arrival_radius_m: float = 400.0
    """Distance from the home centre at which an approaching car is ``arriving``: about a
    minute out in town, the moment for lights and a garage door."""

    stop_tolerance_s: float = 480.0
    """An approach that makes no progress towards home for this long is cancelled (a fix
    reporting a standstill speed never counts as progress, so GPS drift of a parked car
    does not either). Red lights (up to ~2 min), junctions and a jam of several minutes
    stay well under 8 minutes; parking is longer."""

    ignition_off_tolerance_s: float = 120.0
    """The shorter tolerance when the car reports its ignition off while stationary."""

    silence_timeout_s: float = 900.0
    """Without any fix for this long an approach is cancelled (and the integration treats
    car as silent). 15 minutes outlasts tunnels and car-park gaps."""

    max_accuracy_m: float = 150.0
    """Fixes with a worse reported accuracy are ignored: they never start, end or confirm
    anything. Phones outdoors report 5-30 m, indoors 20-65 m; cell fixes 500 m and more."""

    assumed_accuracy_m: float = 25.0
    """Accuracy assumed when a source does not report one (a typical consumer GPS)."""

    max_speed_mps: float = 250.0 / 3.6
    """A fix implying a speed above 250 km/h from the previous one is an outlier."""

    replay_window_s: float = 180.0
    """A fix older than the newest by more than this is a replayed queue point (``too_old``);
    younger ones are ``out_of_order``. Neither changes anything."""

    window_s: float = 150.0
    """Progress towards home is judged over this window, never between two samples."""

    noise_factor: float = 2.0
    """Progress must exceed this many times the combined accuracy of the window's ends."""

    min_progress_m: float = 100.0
    """...and at least this many metres, before an approach starts. 100 m is a few
    seconds of driving in town and beyond the drift of a parked car (tens of metres);
    the noise rule above covers coarse fixes."""

    progress_fraction: float = 0.03
    """...and at least this fraction of the distance to home, so that small moves far away
    (a walk, a car park) never count as an approach. Lowered from 200 m and 4 % when the
    window began measuring from its farthest point: on the simulated drives the median
    notice came down from 30 s to 20 s with no false approach on drift, drive-bys or
    cell fixes (``bench/detection.py``)."""

    in_car_min_progress_m: float = 75.0
    """:attr:`min_progress_m` for a fix whose source knows the car is being driven
    (:attr:`~.models.Fix.in_car`: the phone it follows is in the car). The 100 m rule is
    there so that a parked car's drift and a walk never look like a trip; with the phone
    in the car (connected to the head unit, ignition on) neither is possible, and the
    noise rule (:attr:`noise_factor`) still keeps GPS scatter out. 75 m is 5 seconds at
    town speed. On 800 random drives away from home by a phone whose scatter is 1-4
    times the accuracy it reports, 50 m started a false approach twice, 75 m once
    (without the signal: never)."""

    in_car_progress_fraction: float = 0.01
    """:attr:`progress_fraction` for such a fix: 1 % (100 m at 10 km) instead of 3 %.
    The fraction keeps small moves far away (a car park, a walk) from counting; in the car
    the efficiency and closing-speed rules still refuse driving about. On the simulated
    drives with the phone in the car, the in-car settings bring the median notice from
    20 s to 15 s with no false approach on drift, drive-bys or cell fixes
    (``bench/detection.py --in-car``)."""

    in_car_fixes: int = 2
    """Consecutive qualifying fixes that start an approach for such a fix (either way one
    is enough a minute or more after the previous). One would halve the median notice on
    the simulated drives (20 s to 10 s), but with the lower progress thresholds a single
    fix of a phone whose scatter exceeds its reported accuracy started an approach for a
    car driving away from home in 7 of 400 random drives (1 with two): kept at two, and
    left to be lowered to 1 for a phone known to report its accuracy honestly."""

    min_efficiency: float = 0.35
    """Share of the distance driven in the window that must have been towards home."""

    min_closing_speed_mps: float = 2.0
    """Average speed towards home over the window needed to start an approach (7 km/h)."""

    retreat_m: float = 600.0
    """An approach ends (drive-by) once the car is this much farther than its closest point
    (or :attr:`retreat_fraction` of that closest distance, if larger, plus noise)."""

    retreat_fraction: float = 0.25
    """See :attr:`retreat_m`."""

    stationary_m: float = 40.0
    """A car that stays within this (or 1.5x its accuracy) of a point is stationary."""

    settle_s: float = 60.0
    """A car seen standing still this long is parked: from then on its drift across the
    zone edge is not an arrival (a real arrival comes from outside the hysteresis band or
    from driving)."""

    home_accuracy_m: float = 100.0
    """A fix must be at least this accurate (or as accurate as the zone radius, if that is
    larger) to put the car at home: a coarse fix near home is not evidence of arrival."""

    exit_margin_m: float = 100.0
    """Hysteresis: to leave home the car must be this far outside the zone even after
    subtracting its accuracy, so that drift at night never makes it leave."""

    jump_m: float = 400.0
    """A car at home that reports standing still yet appears this little outside the
    hysteresis band has not left: Wi-Fi and cell positioning jump by a few hundred metres.
    Farther out, or moving, two fixes confirm the departure."""

    speed_smoothing_s: float = 120.0
    """Time constant of the smoothed speeds (ground and towards home)."""

    external_eta_max_age_s: float = 600.0
    """An external travel time is used for ETA for this long after it was given."""

    depart_dwell_s: float = 300.0
    """A car at home that is outside the hysteresis band but within the leave radius
    (:attr:`arrival_radius_m`, or the band if that is wider) has left only after this long
    out there while moving away. Looking for a parking space, a U-turn or a loop round a
    300 m block at town speed takes one to four minutes within a few hundred metres of
    home; leaving for good crosses the leave radius within a minute at any driving speed."""

    reanchor_s: float = 300.0
    """Fixes that jump impossibly far from the track (a second tracker reporting the home
    zone's centre, cell fixes claiming a good accuracy) replace the track only after they
    have agreed with each other for this long, and outnumber the track's own fixes of the
    same length of time before them. Two agreeing outliers a minute apart are no ferry."""

    reanchor_fixes: int = 3
    """...and with at least this many agreeing fixes."""

    clock_skew_s: float = 300.0
    """A newest fix stamped more than this ahead of the clock handed to
    :meth:`~.detector.ApproachDetector.correct_clock` came from a wrong clock (a board
    that started before NTP set its time): the track restarts at the correct time."""

    def __post_init__(self) -> None:
        """Refuse settings that make no sense (:data:`RANGES` gives the valid ranges)."""
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if value is None and name in OPTIONAL:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not low <= value <= high
            ):
                msg = f"{name} must be a number from {low:g} to {high:g}"
                raise ValueError(msg)


DAY_S: Final = 86_400.0
WEEK_S: Final = 7 * DAY_S
EARTH_M: Final = 20_037_509.0
"""Half the Earth's circumference: no distance on Earth is longer."""

RANGES: Final[dict[str, tuple[float, float]]] = {
    "reach_m": (0.0, EARTH_M),
    "reach_eta_s": (0.0, WEEK_S),
    "arrival_radius_m": (0.0, 100_000.0),
    "stop_tolerance_s": (0.0, DAY_S),
    "ignition_off_tolerance_s": (0.0, DAY_S),
    "silence_timeout_s": (0.0, WEEK_S),
    "max_accuracy_m": (0.0, 100_000.0),
    "assumed_accuracy_m": (0.0, 100_000.0),
    "max_speed_mps": (1.0, 1_000.0),
    "replay_window_s": (0.0, DAY_S),
    "window_s": (1.0, 3_600.0),
    "noise_factor": (0.0, 100.0),
    "min_progress_m": (0.0, 100_000.0),
    "progress_fraction": (0.0, 1.0),
    "in_car_min_progress_m": (0.0, 100_000.0),
    "in_car_progress_fraction": (0.0, 1.0),
    "in_car_fixes": (1, 2),
    "min_efficiency": (0.0, 1.0),
    "min_closing_speed_mps": (0.0, 1_000.0),
    "retreat_m": (0.0, 100_000.0),
    "retreat_fraction": (0.0, 100.0),
    "stationary_m": (0.0, 100_000.0),
    "settle_s": (0.0, DAY_S),
    "home_accuracy_m": (0.0, 100_000.0),
    "exit_margin_m": (0.0, 100_000.0),
    "jump_m": (0.0, 100_000.0),
    "speed_smoothing_s": (0.0, DAY_S),
    "external_eta_max_age_s": (0.0, DAY_S),
    "depart_dwell_s": (0.0, DAY_S),
    "reanchor_s": (0.0, WEEK_S),
    "reanchor_fixes": (1, 1_000),
    "clock_skew_s": (60.0, WEEK_S),
}
"""The valid range of every setting, inclusive; every setting is listed (a test checks)."""

OPTIONAL: Final = frozenset({"reach_m", "reach_eta_s"})
"""Settings that may be ``None`` (no limit)."""

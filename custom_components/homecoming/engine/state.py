"""The approach detector's state: what it knows about one car, as it is saved.

:class:`TrackState` is a plain typed record. :meth:`TrackState.as_dict` writes it as
JSON-compatible data with a ``version``; :meth:`TrackState.from_dict` reads every version
it knows (older ones are migrated) and refuses anything it cannot use with
:class:`ValueError`: a newer version, a missing or mistyped field, a number that is not
finite or out of range. A refused state is never half-applied.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from .models import (
    EARLIEST_TIME,
    LATEST_TIME,
    MAX_DRIVER_LENGTH,
    MAX_REPORTED_SPEED_MPS,
    Phase,
)

STATE_VERSION: Final = 2
"""Version written by :meth:`TrackState.as_dict`. 1: the first release (positional
lists); 2: named fields, candidate track, excursion from home, source cadence."""

_EARLIEST_T: Final = EARLIEST_TIME.timestamp()
_LATEST_T: Final = LATEST_TIME.timestamp()
_MAX_DISTANCE_M: Final = 1e8
"""No distance the detector keeps is longer (the Earth's circumference is 4e7 m)."""
_MAX_PATH_M: Final = 1e12
"""No path is longer (a million laps of the Earth)."""
_MAX_SPEED: Final = 1e6
"""No smoothed speed the detector keeps is larger in magnitude (m/s)."""


type Sample = tuple[float, float, float, float]
"""One fix in the progress window: ``(t, dist, acc, path)``, when it was measured (POSIX
seconds), its distance to the home centre, its accuracy radius, and the distance driven
since the track started (metres, cumulative). A plain tuple: the window gets one for
every fix, and a tuple is built in a third of the time of a class instance."""


type Point = tuple[float, float, float, float]
"""A position at a time, with its accuracy: ``(t, lat, lon, acc)``, POSIX seconds,
degrees, degrees and metres. A plain tuple, as :data:`Sample`: the detector may make one
for every fix."""


_SAMPLE_FIELDS: Final = ("t", "dist", "acc", "path")
_POINT_FIELDS: Final = ("t", "lat", "lon", "acc")


_NOWHERE: Final[Point] = (0.0, 0.0, 0.0, 0.0)


class ExternalEta(NamedTuple):
    """An external travel time turned into an arrival moment."""

    eta_t: float
    """The arrival it predicts, POSIX seconds."""
    given_t: float
    """When it was given, POSIX seconds."""


@dataclass(slots=True, kw_only=True)
class TrackState:
    """Everything the detector knows about one car.

    Times are POSIX seconds, distances metres, speeds metres per second.
    """

    phase: Phase | None = None
    """``None`` until the first usable report."""
    last_t: float | None = None
    """When the newest accepted report was measured."""
    positioned: bool = False
    """The newest report had a position (zone-only reports have none)."""
    lat: float = 0.0
    lon: float = 0.0
    acc: float = 0.0
    dist: float = 0.0
    """The newest position, its accuracy and its distance to the home centre."""
    last_speed: float | None = None
    """The speed the newest fix reported, if any."""
    path: float = 0.0
    """Distance driven since the track started (cumulative, in steps beyond the noise)."""
    path_ref: Point = _NOWHERE
    """Where the last step of the path ended."""
    window: deque[Sample] = field(default_factory=deque)
    """The fixes of the progress window, oldest first (at least one once positioned)."""
    speed: float | None = None
    """Smoothed ground speed."""
    closing: float | None = None
    """Smoothed speed towards home (negative: moving away)."""
    interval: float | None = None
    """Smoothed time between fixes: the source's cadence."""
    anchor: Point = _NOWHERE
    """Where the car was when it was last seen to move."""
    min_dist: float = 0.0
    """Closest distance to home since the approach started."""
    still_dist: float | None = None
    """Approaching: where the car stopped (the first fix of a standstill), if it stands."""
    mark_dist: float = 0.0
    mark_t: float = 0.0
    """Distance and time of the approach's last progress (a new closest distance)."""
    qualified: int = 0
    """Consecutive fixes that qualified for an approach."""
    departure_seen: bool = False
    """At home: a fix beyond the leave radius awaits its confirmation."""
    outside_since: float | None = None
    """At home: when the car was first seen outside the hysteresis band, this excursion."""
    outside_dist: float = 0.0
    """...and its distance then."""
    driver: str | None = None
    """The driver id of this trip, if a fix named one."""
    ignition: bool | None = None
    """The ignition, if a fix reported it."""
    external_eta: ExternalEta | None = None
    """The last external travel time, if any."""
    candidate_first: Point | None = None
    candidate_last: Point | None = None
    candidate_count: int = 0
    """Fixes that jumped impossibly far from the track but agree with each other: the
    first and newest of them and how many."""

    def as_dict(self) -> dict[str, Any]:
        """Return the state as plain JSON-compatible data."""
        return {
            "version": STATE_VERSION,
            "phase": None if self.phase is None else self.phase.value,
            "last_t": self.last_t,
            "positioned": self.positioned,
            "lat": self.lat,
            "lon": self.lon,
            "acc": self.acc,
            "dist": self.dist,
            "last_speed": self.last_speed,
            "path": self.path,
            "path_ref": _point_dict(self.path_ref),
            "window": [_sample_dict(sample) for sample in self.window],
            "speed": self.speed,
            "closing": self.closing,
            "interval": self.interval,
            "anchor": _point_dict(self.anchor),
            "min_dist": self.min_dist,
            "still_dist": self.still_dist,
            "mark_dist": self.mark_dist,
            "mark_t": self.mark_t,
            "qualified": self.qualified,
            "departure_seen": self.departure_seen,
            "outside_since": self.outside_since,
            "outside_dist": self.outside_dist,
            "driver": self.driver,
            "ignition": self.ignition,
            "external_eta": None
            if self.external_eta is None
            else self.external_eta._asdict(),
            "candidate_first": _opt_point_dict(self.candidate_first),
            "candidate_last": _opt_point_dict(self.candidate_last),
            "candidate_count": self.candidate_count,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TrackState:
        """Read :meth:`as_dict` output of this or an older version.

        Raises :class:`ValueError` for a newer version or anything malformed.
        """
        try:
            version = data["version"]
            if version == 1:
                data = _migrate_v1(data)
            elif version != STATE_VERSION:
                msg = f"unsupported state version {version!r}"
                raise ValueError(msg)
            state = cls._read(data)
        except (KeyError, TypeError, AttributeError, OverflowError) as err:
            msg = f"malformed detector state: {err!r}"
            raise ValueError(msg) from err
        state.check()
        return state

    @classmethod
    def _read(cls, data: dict[str, Any]) -> TrackState:
        phase = data["phase"]
        candidate_first = _opt_point(data["candidate_first"])
        candidate_last = _opt_point(data["candidate_last"])
        if (candidate_first is None) != (candidate_last is None):
            msg = "inconsistent candidate track"
            raise ValueError(msg)
        external = data["external_eta"]
        return cls(
            phase=None if phase is None else Phase(phase),
            last_t=_opt_time(data["last_t"]),
            positioned=_bool(data["positioned"]),
            lat=_number(data["lat"], -90.0, 90.0),
            lon=_number(data["lon"], -180.0, 180.0),
            acc=_number(data["acc"], 0.0, _MAX_DISTANCE_M),
            dist=_number(data["dist"], 0.0, _MAX_DISTANCE_M),
            last_speed=_opt_number(data["last_speed"], 0.0, MAX_REPORTED_SPEED_MPS),
            path=_number(data["path"], 0.0, _MAX_PATH_M),
            path_ref=_point(data["path_ref"]),
            window=deque(_sample(item) for item in data["window"]),
            speed=_opt_number(data["speed"], -_MAX_SPEED, _MAX_SPEED),
            closing=_opt_number(data["closing"], -_MAX_SPEED, _MAX_SPEED),
            interval=_opt_number(data["interval"], 0.0, _LATEST_T),
            anchor=_point(data["anchor"]),
            min_dist=_number(data["min_dist"], 0.0, _MAX_DISTANCE_M),
            still_dist=_opt_number(data["still_dist"], 0.0, _MAX_DISTANCE_M),
            mark_dist=_number(data["mark_dist"], 0.0, _MAX_DISTANCE_M),
            mark_t=_number(data["mark_t"], 0.0, _LATEST_T),
            qualified=_count(data["qualified"]),
            departure_seen=_bool(data["departure_seen"]),
            outside_since=_opt_number(data["outside_since"], 0.0, _LATEST_T),
            outside_dist=_number(data["outside_dist"], 0.0, _MAX_DISTANCE_M),
            driver=_driver(data["driver"]),
            ignition=None if data["ignition"] is None else _bool(data["ignition"]),
            external_eta=None
            if external is None
            else ExternalEta(
                _number(external["eta_t"], 0.0, _LATEST_T),
                _number(external["given_t"], 0.0, _LATEST_T),
            ),
            candidate_first=candidate_first,
            candidate_last=candidate_last,
            candidate_count=_count(data["candidate_count"]),
        )

    def check(self) -> None:
        """Refuse a state whose parts contradict each other."""
        if self.last_t is None:
            if self.phase is not None or self.window:
                msg = "a phase or window without a report"
                raise ValueError(msg)
        elif self.phase is None or not self.window:
            msg = "a report without a phase or window"
            raise ValueError(msg)


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (positional lists) to version 2."""
    outlier = data["outlier"]
    ext = data["ext_eta"]
    return {
        "version": STATE_VERSION,
        "phase": data["phase"],
        "last_t": data["last_t"],
        "positioned": data["positioned"],
        "lat": data["lat"],
        "lon": data["lon"],
        "acc": data["acc"],
        "dist": data["dist"],
        "last_speed": data["last_speed"],
        "path": data["path"],
        "path_ref": _fields(_POINT_FIELDS, data["anchor"]),
        "window": [_fields(_SAMPLE_FIELDS, item) for item in data["window"]],
        "speed": data["speed"],
        "closing": data["closing"],
        "interval": None,
        "anchor": _fields(_POINT_FIELDS, data["anchor"]),
        "min_dist": data["min_dist"],
        "still_dist": None,
        "mark_dist": data["mark_dist"],
        "mark_t": data["mark_t"],
        "qualified": data["qualified"],
        "departure_seen": data["pending_departure"],
        "outside_since": None,
        "outside_dist": 0.0,
        "driver": data["driver"],
        "ignition": data["ignition"],
        "external_eta": None if ext is None else _fields(ExternalEta._fields, ext),
        "candidate_first": None if outlier is None else _fields(_POINT_FIELDS, outlier),
        "candidate_last": None if outlier is None else _fields(_POINT_FIELDS, outlier),
        "candidate_count": 0 if outlier is None else 1,
    }


def _fields(names: tuple[str, ...], values: Any) -> dict[str, Any]:
    values = list(values)
    if len(values) != len(names):
        msg = f"expected {len(names)} numbers, got {len(values)}"
        raise ValueError(msg)
    return dict(zip(names, values, strict=True))


def _sample_dict(sample: Sample) -> dict[str, float]:
    t, dist, acc, path = sample
    return {"t": t, "dist": dist, "acc": acc, "path": path}


def _point_dict(point: Point) -> dict[str, float]:
    t, lat, lon, acc = point
    return {"t": t, "lat": lat, "lon": lon, "acc": acc}


def _opt_point_dict(point: Point | None) -> dict[str, float] | None:
    return None if point is None else _point_dict(point)


def _number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"not a number: {value!r}"
        raise TypeError(msg)
    number = float(value)
    if not low <= number <= high:  # also refuses NaN
        msg = f"out of range: {number!r}"
        raise ValueError(msg)
    return number


def _opt_number(value: Any, low: float, high: float) -> float | None:
    return None if value is None else _number(value, low, high)


def _opt_time(value: Any) -> float | None:
    return None if value is None else _number(value, _EARLIEST_T, _LATEST_T)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        msg = f"not a boolean: {value!r}"
        raise TypeError(msg)
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"not a count: {value!r}"
        raise ValueError(msg)
    return value


def _driver(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DRIVER_LENGTH:
        msg = "malformed driver"
        raise ValueError(msg)
    return value


def _sample(item: Any) -> Sample:
    return (
        _number(item["t"], _EARLIEST_T, _LATEST_T),
        _number(item["dist"], 0.0, _MAX_DISTANCE_M),
        _number(item["acc"], 0.0, _MAX_DISTANCE_M),
        _number(item["path"], 0.0, _MAX_PATH_M),
    )


def _point(item: Any) -> Point:
    return (
        _number(item["t"], 0.0, _LATEST_T),
        _number(item["lat"], -90.0, 90.0),
        _number(item["lon"], -180.0, 180.0),
        _number(item["acc"], 0.0, _MAX_DISTANCE_M),
    )


def _opt_point(item: Any) -> Point | None:
    return None if item is None else _point(item)

"""Value types of the approach engine.

Everything here is immutable and free of Home Assistant imports. A :class:`Fix` validates
itself on construction, so the engine only ever sees positions that make physical sense;
sources turn a :class:`ValueError` from it into a clear rejection of their input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import math
from typing import Final


class Phase(StrEnum):
    """Where the car is in its trip home."""

    AWAY = "away"
    APPROACHING = "approaching"
    ARRIVING = "arriving"
    HOME = "home"


class EventType(StrEnum):
    """Transitions between phases."""

    APPROACH_STARTED = "approach_started"
    APPROACH_CANCELLED = "approach_cancelled"
    ARRIVING = "arriving"
    ARRIVED = "arrived"
    DEPARTED = "departed"


class Direction(StrEnum):
    """Direction of travel relative to home, judged over a time window."""

    TOWARDS = "towards"
    AWAY_FROM = "away_from"
    STATIONARY = "stationary"


class RejectReason(StrEnum):
    """Why the engine did not use a fix."""

    INACCURATE = "inaccurate"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    TOO_OLD = "too_old"
    OUTLIER = "outlier"


MAX_LATITUDE: Final = 90.0
MAX_LONGITUDE: Final = 180.0
EARLIEST_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""Fixes measured before the POSIX epoch are refused: only broken clocks send them."""
LATEST_TIME: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""Fixes measured after this are refused (``9999-12-31`` would overflow every sum)."""
_EARLIEST_S: Final = EARLIEST_TIME.timestamp()
_LATEST_S: Final = LATEST_TIME.timestamp()
MAX_REPORTED_SPEED_MPS: Final = 150.0
"""Fastest speed a fix may report (540 km/h); faster is junk, not a car."""
MAX_TRAVEL_TIME_S: Final = 86_400.0
"""Longest external travel time accepted (a day)."""
MAX_DRIVER_LENGTH: Final = 255
"""Longest driver id accepted."""


def _check_position(latitude: float, longitude: float) -> None:
    """Refuse coordinates that are not on Earth."""
    lat = _finite("latitude", latitude)
    lon = _finite("longitude", longitude)
    if not -MAX_LATITUDE <= lat <= MAX_LATITUDE:
        msg = "latitude must be between -90 and 90"
        raise ValueError(msg)
    if not -MAX_LONGITUDE <= lon <= MAX_LONGITUDE:
        msg = "longitude must be between -180 and 180"
        raise ValueError(msg)


def _finite(name: str, value: float) -> float:
    number = value
    if type(number) is not float:  # a float, nearly every value, needs no conversion
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = f"{name} must be a number"
            raise TypeError(msg)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    if not math.isfinite(number):
        msg = f"{name} must be finite"
        raise ValueError(msg)
    return number


@dataclass(frozen=True, slots=True, kw_only=True)
class Fix:
    """One reported position of the car.

    ``accuracy`` is the reported horizontal accuracy radius in metres (``None`` when the
    source does not say; the engine then assumes :attr:`Settings.assumed_accuracy_m`).
    ``travel_time`` is an optional external estimate (seconds) of the time left to home, for
    example from a Waze or Google travel-time sensor; when given it takes precedence over the
    engine's own ETA. A fix without one keeps the last one given for
    :attr:`Settings.external_eta_max_age_s` (a sender that leaves it out of some reports),
    unless ``travel_time_gone`` says the source knows there is none now.

    Valid ranges (anything else raises :class:`ValueError` or :class:`TypeError`):
    latitude -90..90, longitude -180..180, timestamp aware and within
    :data:`EARLIEST_TIME`..:data:`LATEST_TIME`, accuracy >= 0 (finite), speed
    0..:data:`MAX_REPORTED_SPEED_MPS` m/s, heading finite (degrees), travel_time
    0..:data:`MAX_TRAVEL_TIME_S` s, driver a string of at most :data:`MAX_DRIVER_LENGTH`
    characters, in_car and travel_time_gone booleans, travel_time_gone only without a
    travel_time.
    """

    latitude: float
    longitude: float
    timestamp: datetime
    accuracy: float | None = None
    speed: float | None = None
    heading: float | None = None
    ignition: bool | None = None
    driver: str | None = None
    travel_time: float | None = None
    travel_time_gone: bool = False
    """The source knows there is no external travel time now (the travel-time sensor it
    reads gives no usable value): one kept from an earlier fix is dropped at once and the
    ETA is the engine's own. ``False`` (the default) says nothing either way."""
    in_car: bool = False
    """The source knows the car is being driven (the phone it follows is in the car,
    :mod:`~custom_components.homecoming.incar`): an approach may start on less evidence
    (:attr:`Settings.in_car_min_progress_m`, :attr:`Settings.in_car_progress_fraction`,
    :attr:`Settings.in_car_fixes`)."""
    epoch: float = field(init=False, repr=False, compare=False)
    """:attr:`timestamp` as POSIX seconds, computed once when the fix is made (not an
    argument): the engine's time. Reading it costs nothing, where converting the
    ``datetime`` is a good share of what the engine spends on a fix."""

    def __post_init__(self) -> None:
        """Refuse values that cannot describe a real position."""
        _check_position(self.latitude, self.longitude)
        timestamp: object = self.timestamp  # checked at run time: sources may be wrong
        if not isinstance(timestamp, datetime):
            msg = "timestamp must be a datetime"
            raise TypeError(msg)
        if timestamp.utcoffset() is None:
            msg = "timestamp must be timezone-aware"
            raise ValueError(msg)
        epoch = timestamp.timestamp()
        # The same test as EARLIEST_TIME <= timestamp < LATEST_TIME: the bounds are
        # whole seconds and timestamp() rounds a whole number of microseconds.
        if not _EARLIEST_S <= epoch < _LATEST_S:
            msg = "timestamp must be between the years 1970 and 2100"
            raise ValueError(msg)
        object.__setattr__(self, "epoch", epoch)
        for name, limit in _LIMITS:
            value = getattr(self, name)
            if value is None:
                continue
            number = _finite(name, value)
            if number < 0:
                msg = f"{name} must not be negative"
                raise ValueError(msg)
            if number > limit:
                msg = f"{name} must be at most {limit:g}"
                raise ValueError(msg)
        if self.heading is not None:
            _finite("heading", self.heading)
        ignition: object = self.ignition
        if ignition is not None and not isinstance(ignition, bool):
            msg = "ignition must be a boolean"
            raise TypeError(msg)
        for name in ("in_car", "travel_time_gone"):
            flag: object = getattr(self, name)
            if not isinstance(flag, bool):
                msg = f"{name} must be a boolean"
                raise TypeError(msg)
        if self.travel_time_gone and self.travel_time is not None:
            msg = "travel_time_gone must not come with a travel_time"
            raise ValueError(msg)
        driver: object = self.driver
        if driver is not None and not isinstance(driver, str):
            msg = "driver must be a string"
            raise TypeError(msg)
        if driver is not None and len(driver) > MAX_DRIVER_LENGTH:
            msg = f"driver must be at most {MAX_DRIVER_LENGTH} characters"
            raise ValueError(msg)


_LIMITS: Final = (
    ("accuracy", math.inf),
    ("speed", MAX_REPORTED_SPEED_MPS),
    ("travel_time", MAX_TRAVEL_TIME_S),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Home:
    """The home zone: its centre and radius in metres."""

    latitude: float
    longitude: float
    radius: float

    def __post_init__(self) -> None:
        """Refuse a home that cannot exist."""
        _check_position(self.latitude, self.longitude)
        if _finite("radius", self.radius) <= 0:
            msg = "home radius must be positive"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """A change of phase, with the facts at the moment it happened."""

    event: EventType
    phase: Phase
    previous: Phase
    timestamp: datetime
    distance_m: float | None
    eta: datetime | None
    driver: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """What the engine knows about the car now."""

    phase: Phase | None
    distance_m: float | None
    direction: Direction | None
    speed: float | None
    closing_speed: float | None
    eta: datetime | None
    last_fix: datetime | None
    driver: str | None
    latitude: float | None
    longitude: float | None
    accuracy: float | None


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """The outcome of offering one fix to the engine."""

    accepted: bool
    reason: RejectReason | None
    transitions: tuple[Transition, ...]

"""Value types of the approach engine.

Everything here is immutable and free of Home Assistant imports. A :class:`Fix` validates
itself on construction, so the engine only ever sees positions that make physical sense;
sources turn a :class:`ValueError` from it into a clear rejection of their input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
    STALE = "stale"
    OUTLIER = "outlier"


MAX_LATITUDE: Final = 90.0
MAX_LONGITUDE: Final = 180.0


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
    engine's own ETA.
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
        for name in ("accuracy", "speed", "travel_time"):
            value = getattr(self, name)
            if value is not None and _finite(name, value) < 0:
                msg = f"{name} must not be negative"
                raise ValueError(msg)
        if self.heading is not None:
            _finite("heading", self.heading)
        ignition: object = self.ignition
        if ignition is not None and not isinstance(ignition, bool):
            msg = "ignition must be a boolean"
            raise TypeError(msg)
        driver: object = self.driver
        if driver is not None and not isinstance(driver, str):
            msg = "driver must be a string"
            raise TypeError(msg)


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

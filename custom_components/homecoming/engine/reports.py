"""What a followed entity's state says about the car: the one reader of such states.

A state is its ``state`` string, its attributes and when it was written
(``last_updated``). The live entity source (``sources/entity.py``) reads each state the
followed entity writes with :func:`read_report`; the replays of recorded history (the
``homecoming.replay`` action and ``scripts/replay --recorder``) read the same states from
the recorder with it, so a replay decides what the live car would have decided.

Pure Python, no Home Assistant import: the names below are Home Assistant's attribute
and state names, spelled out (docs/sources.md has the ranges).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any, Final, Protocol

from .models import Fix

ATTR_LATITUDE: Final = "latitude"
ATTR_LONGITUDE: Final = "longitude"
ATTR_GPS_ACCURACY: Final = "gps_accuracy"
STATE_HOME: Final = "home"
"""What a zone-based tracker shows in ``zone.home``."""
NO_NEWS_STATES: Final = frozenset({"unknown", "unavailable"})
"""States that say nothing about where the car is."""
HEADING_ATTRIBUTES: Final = ("course", "heading", "bearing", "direction")
"""Attributes that give the direction of travel in degrees (all integrations alike)."""
ZONE_BASED_DOMAINS: Final = frozenset({"device_tracker", "person"})
"""Domains whose state names the zone they are in (``home``, ``not_home``, a zone)."""
MAX_ACCURACY_M: Final = 100_000.0
"""Worst accuracy a usable position may report (docs/sources.md)."""
UNKNOWN: Final = -1
"""The value integrations use for an accuracy, speed or heading they do not know."""
FULL_CIRCLE: Final = 360.0
"""Degrees in a circle: headings are taken modulo this."""

type Report = Fix | bool | None
"""A position, a zone-only home (True) / not home (False), or nothing usable."""


@dataclass(frozen=True, slots=True)
class RecordedState:
    """One state of an entity as the recorder kept it (for the replays)."""

    state: str
    attributes: Mapping[str, Any]
    timestamp: datetime
    """When it was written (``last_updated``): when the position was current."""


class SpeedReading(Protocol):
    """Where an integration's trackers show their speed, and how to convert it."""

    @property
    def name(self) -> str:
        """The attribute that holds the speed."""

    def to_mps(self, value: float) -> float:
        """Convert a value of this attribute to metres per second."""


class OutOfRange(ValueError):
    """An attribute holds a number outside its valid range: the report is dropped."""


def read_report(
    entity_id: str,
    state: str,
    attributes: Mapping[str, Any],
    timestamp: datetime,
    *,
    home_state: str = STATE_HOME,
    speed: SpeedReading | None = None,
) -> Report:
    """Read what an entity's state says about the car's whereabouts.

    Entities with ``latitude`` / ``longitude`` attributes give a fix measured at
    ``timestamp`` (accuracy from ``gps_accuracy``, heading when present, speed from
    ``speed`` when the entity's integration is known). Absent and non-numeric values,
    ``-1`` and other negative values mean unknown. Without a position, a zone-based
    tracker's state says whether it is in the home zone: ``home_state`` is what such a
    tracker shows there (``home`` for ``zone.home``, else the zone's name). Unknown and
    unavailable say nothing (None), nor does any other entity without a position.

    Raises :class:`ValueError` or :class:`TypeError` when the position is unusable: a
    number out of its range (:class:`OutOfRange`), or a position not on Earth.
    """
    if state in NO_NEWS_STATES:
        return None
    if ATTR_LATITUDE in attributes and ATTR_LONGITUDE in attributes:
        return Fix(
            latitude=attributes[ATTR_LATITUDE],
            longitude=attributes[ATTR_LONGITUDE],
            timestamp=timestamp,
            accuracy=_accuracy(attributes.get(ATTR_GPS_ACCURACY)),
            speed=_speed(attributes, speed),
            heading=_heading(attributes),
        )
    if entity_id.partition(".")[0] not in ZONE_BASED_DOMAINS:
        return None  # only trackers and persons name the zone they are in
    return state == home_state


def zone_state_name(entity_id: str, attributes: Mapping[str, Any]) -> str:
    """Return what a zone-based tracker shows inside a zone: ``home`` or its name.

    The name is Home Assistant's: the zone's ``friendly_name``, else its object id with
    spaces for underscores.
    """
    if entity_id == "zone.home":
        return STATE_HOME
    name: str = attributes.get("friendly_name") or entity_id.partition(".")[2].replace(
        "_", " "
    )
    return name


def _number(value: object) -> float | None:
    """Return a number attribute as a float (maybe not finite); None if no number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer too large for a float
        return math.inf if value > 0 else -math.inf


def _measure(value: object) -> float | None:
    """Return a measurement that cannot be negative; None when unknown (negative)."""
    number = _number(value)
    if number is None or number < 0:
        return None
    if not math.isfinite(number):
        raise OutOfRange("not finite")
    return number


def _accuracy(value: object) -> float | None:
    """Return the accuracy in metres; None if unknown (0 too: Android, Traccar)."""
    accuracy = _measure(value)
    if accuracy is not None and accuracy > MAX_ACCURACY_M:
        raise OutOfRange(f"gps_accuracy {accuracy:g} m")
    return accuracy or None


def _speed(attributes: Mapping[str, Any], reading: SpeedReading | None) -> float | None:
    if reading is None:
        return None
    value = _measure(attributes.get(reading.name))
    return None if value is None else reading.to_mps(value)


def _heading(attributes: Mapping[str, Any]) -> float | None:
    """Return the first heading given, in ``[0, 360)``; None if none is."""
    for name in HEADING_ATTRIBUTES:
        number = _number(attributes.get(name))
        if number is None or number == UNKNOWN:
            continue
        if not math.isfinite(number):
            raise OutOfRange(f"{name} {number}")
        heading = number % FULL_CIRCLE
        # A tiny negative heading rounds to a full circle: that is north.
        return 0.0 if heading == FULL_CIRCLE else heading
    return None

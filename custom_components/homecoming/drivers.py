"""Drivers of a car (config subentries) and which of them is driving now.

The active driver is, in this order:

1. the driver whose ``driver_id`` is the driver id the car's last fix carried;
2. else the driver whose ``person`` has been moving with the car: within
   :data:`PROXIMITY_M` of it at every car update over the last :data:`WINDOW` (at least
   two updates spanning :data:`MIN_SPAN`), while the car was moving (smoothed speed at
   least the detector's :data:`~.engine.detector.MOVING_SPEED_MPS` once) and covered more than twice the proximity radius,
   so that someone standing still (at home, in the driveway) cannot qualify. If several
   qualify, the one closest on average;
3. else the driver chosen earlier on this trip, until the car has stood still for
   :data:`TRIP_END`; else none.

The active driver is saved with the car's state (:meth:`DriverTracker.as_stored`) and
taken back after a restart while the trip goes on (:meth:`DriverTracker.restore`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import fsum
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DRIVER_ID,
    CONF_PERSON,
    CONF_SCENE,
    CONF_TEMPERATURE,
    LOGGER,
    SUBENTRY_DRIVER,
)
from .engine import Snapshot, haversine_m
from .engine.detector import MOVING_SPEED_MPS

PROXIMITY_M: Final = 200.0
"""A person this close to the car (metres) at a car update may be in it."""

WINDOW: Final = timedelta(minutes=3)
"""How far back a person must have stayed close to the car."""

MIN_SPAN: Final = timedelta(seconds=60)
"""The car updates in the window must span at least this long."""


MIN_TRAVEL_M: Final = 2 * PROXIMITY_M
"""The car must cover more than this in the window: a person standing still cannot
stay within :data:`PROXIMITY_M` of both ends of such a stretch."""

TRIP_END: Final = timedelta(minutes=10)
"""A driver chosen earlier is forgotten once the car has stood still this long."""

STORED_VERSION: Final = 1
"""Version of the saved active driver (:meth:`DriverTracker.as_stored`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Driver:
    """A driver of the car, from a ``driver`` config subentry."""

    subentry_id: str
    name: str
    person: str | None = None
    """The ``person.*`` entity whose position may show that they drive."""
    driver_id: str | None = None
    """The id the car or app sends as ``driver``."""
    temperature: float | None = None
    """Preferred comfort temperature."""
    scene: str | None = None
    """Preferred ``scene.*``, turned on with the arrival lights."""


def drivers_from_subentries(subentries: Mapping[str, Any]) -> tuple[Driver, ...]:
    """Return the drivers among a config entry's subentries, in their order."""
    return tuple(
        Driver(
            subentry_id=subentry.subentry_id,
            name=subentry.data.get(CONF_NAME) or subentry.title,
            person=subentry.data.get(CONF_PERSON) or None,
            driver_id=subentry.data.get(CONF_DRIVER_ID) or None,
            temperature=_float_or_none(subentry.data.get(CONF_TEMPERATURE)),
            scene=subentry.data.get(CONF_SCENE) or None,
        )
        for subentry in subentries.values()
        if subentry.subentry_type == SUBENTRY_DRIVER
    )


def driver_data(driver: Driver | None, sent_id: str | None) -> dict[str, Any] | None:
    """Return the driver as events carry it, whichever way they were found.

    ``name``: the driver's name (``None`` for an id the car sent that is none of the
    car's drivers); ``id``: the driver's id (the one set for the driver, else the one the
    car sent; ``None`` if neither); ``person``: the driver's ``person`` entity, if set.
    ``None`` when no driver is known.
    """
    if driver is not None:
        return {"name": driver.name, "id": driver.driver_id, "person": driver.person}
    if sent_id is not None:
        return {"name": None, "id": sent_id, "person": None}
    return None


def _float_or_none(value: Any) -> float | None:
    """Return a number as a float, nothing (``None`` or empty) as ``None``."""
    return None if value is None or value == "" else float(value)


@dataclass(frozen=True, slots=True)
class _Sample:
    """The car at one update, and how far each candidate person was from it."""

    time: datetime
    latitude: float
    longitude: float
    moving: bool
    distances: tuple[float | None, ...]
    """Per candidate (driver with a person); ``None``: the person's position unknown."""


class DriverTracker:
    """Decide, at every car update, which of a car's drivers is driving.

    The drivers are read from the entry's subentries at every update, so a driver added,
    changed or removed counts from the car's next update on.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Start with no active driver and no history."""
        self._hass = hass
        self._entry = entry
        self._drivers: tuple[Driver, ...] = ()
        self._candidates: tuple[Driver, ...] = ()
        self._people: tuple[str, ...] = ()
        """The candidates' ``person`` entities, in the same order."""
        self._samples: deque[_Sample] = deque()
        self._far: list[int] = []
        """Per candidate: samples in the window where they were not close."""
        self._moving = 0
        """Samples in the window with the car moving."""
        self._sampled: datetime | None = None
        self._active: Driver | None = None
        self._seen: datetime | None = None
        """When the active driver was last chosen or the car last moved with them."""
        self._refresh()

    @property
    def drivers(self) -> tuple[Driver, ...]:
        """The car's drivers."""
        return self._drivers

    @property
    def active(self) -> Driver | None:
        """The driver driving now, if known."""
        return self._active

    def as_stored(self) -> dict[str, Any] | None:
        """Return the active driver as it is saved with the car's state (``None``: none).

        ``{"version": 1, "subentry_id": <the driver's subentry>, "seen": <ISO 8601, when
        the car last moved with them or they were last chosen>}``.
        """
        if self._active is None or self._seen is None:
            return None
        return {
            "version": STORED_VERSION,
            "subentry_id": self._active.subentry_id,
            "seen": self._seen.isoformat(),
        }

    def restore(self, stored: object, now: datetime, car: str) -> Driver | None:
        """Take back the active driver saved before a restart, if the trip goes on.

        The trip goes on if the car moved with the driver less than :data:`TRIP_END`
        before ``now`` (the time Home Assistant was down counts as standing still) and
        the driver is still one of the car's. A record that cannot be read, or one of a
        newer version, is ignored (with a warning naming ``car``); nothing of it is kept.
        """
        if stored is None:
            return None
        record = _stored_record(stored)
        if record is None:
            LOGGER.warning(
                "%s: the saved driver could not be read; starting without one", car
            )
            return None
        subentry_id, seen = record
        driver = next((d for d in self._drivers if d.subentry_id == subentry_id), None)
        if driver is None or not timedelta(0) <= now - seen < TRIP_END:
            LOGGER.debug("%s: the saved driver's trip is over", car)
            return None
        self._active = driver
        self._seen = seen
        return driver

    def update(self, snapshot: Snapshot, now: datetime) -> Driver | None:
        """Take the car's latest state into account; return the active driver."""
        self._refresh()
        if (
            snapshot.last_fix is not None
            and snapshot.last_fix != self._sampled
            and snapshot.latitude is not None
            and snapshot.longitude is not None
        ):
            self._sampled = snapshot.last_fix
            moving = snapshot.speed is not None and snapshot.speed >= MOVING_SPEED_MPS
            self._add(now, snapshot.latitude, snapshot.longitude, moving)
            if moving:
                self._seen = now
        self._prune(now)
        chosen = self._by_id(snapshot.driver) or self._by_company()
        if chosen is not None:
            self._active = chosen
            self._seen = now
        elif self._seen is None or now - self._seen >= TRIP_END:
            self._active = None
        return self._active

    # ------------------------------------------------------------ internals

    def _refresh(self) -> None:
        """Follow added, changed and removed drivers; a new set starts a new history."""
        drivers = drivers_from_subentries(self._entry.subentries)
        if drivers == self._drivers:
            return
        self._drivers = drivers
        self._candidates = tuple(driver for driver in drivers if driver.person)
        self._people = tuple(driver.person or "" for driver in self._candidates)
        self._samples.clear()
        self._far = [0] * len(self._candidates)
        self._moving = 0
        active = self._active
        self._active = next(
            (d for d in drivers if active and d.subentry_id == active.subentry_id),
            None,
        )

    def _add(
        self, now: datetime, latitude: float, longitude: float, moving: bool
    ) -> None:
        """Record the car's position and each candidate's distance from it."""
        distances = tuple(
            self._distance(person, latitude, longitude) for person in self._people
        )
        for index, distance in enumerate(distances):
            if distance is None or distance > PROXIMITY_M:
                self._far[index] += 1
        self._moving += moving
        self._samples.append(_Sample(now, latitude, longitude, moving, distances))

    def _prune(self, now: datetime) -> None:
        """Forget the samples older than the window."""
        samples = self._samples
        while samples and now - samples[0].time > WINDOW:
            old = samples.popleft()
            for index, distance in enumerate(old.distances):
                if distance is None or distance > PROXIMITY_M:
                    self._far[index] -= 1
            self._moving -= old.moving

    def _distance(self, person: str, latitude: float, longitude: float) -> float | None:
        """Return how far a person is from a point; ``None`` if their position is unknown."""
        state = self._hass.states.get(person)
        if state is None:
            return None
        person_lat = state.attributes.get(ATTR_LATITUDE)
        person_lon = state.attributes.get(ATTR_LONGITUDE)
        if not isinstance(person_lat, (int, float)) or not isinstance(
            person_lon, (int, float)
        ):
            return None
        return haversine_m(latitude, longitude, person_lat, person_lon)

    def _by_id(self, driver_id: str | None) -> Driver | None:
        """Return the driver the car names, if it names one we know."""
        if driver_id is None:
            return None
        return next((d for d in self._drivers if d.driver_id == driver_id), None)

    def _by_company(self) -> Driver | None:
        """Return the person who has been moving with the car, the closest if several."""
        samples = self._samples
        if not self._moving:
            return None
        # At least two samples: one cannot span the minimum.
        first, last = samples[0], samples[-1]
        if last.time - first.time < MIN_SPAN:
            return None
        travelled = haversine_m(
            first.latitude, first.longitude, last.latitude, last.longitude
        )
        if travelled <= MIN_TRAVEL_M:
            return None
        close = [index for index, far in enumerate(self._far) if not far]
        if not close:
            return None
        return self._candidates[min(close, key=self._mean_distance)]

    def _mean_distance(self, index: int) -> float:
        """Return a close candidate's mean distance from the car over the window."""
        return fsum(sample.distances[index] or 0.0 for sample in self._samples) / len(
            self._samples
        )


def _stored_record(stored: object) -> tuple[str, datetime] | None:
    """Return the subentry id and time of a saved active driver; ``None`` if unusable."""
    if not isinstance(stored, dict):
        return None
    version = stored.get("version")
    subentry_id = stored.get("subentry_id")
    seen = stored.get("seen")
    if (
        type(version) is not int
        or version != STORED_VERSION
        or not isinstance(subentry_id, str)
        or not isinstance(seen, str)
    ):
        return None
    try:
        moment = dt_util.parse_datetime(seen)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return subentry_id, moment

"""Drivers of a car (config subentries) and which of them is driving now.

The active driver is, in this order:

1. the driver whose ``driver_id`` is the driver id the car's last fix carried (a car
   reporting its driver's seat profile);
2. else the driver whose phone is in the car, by the in-car signals named for the driver
   (the same kinds as a car's, :mod:`.incar`, debounced the same way): the first whose
   phone connected, for as long as it stays connected;
3. else the driver whose ``person`` has been moving with the car: within
   :data:`PROXIMITY_M` of it at every car update over the last :data:`WINDOW` (at least
   two updates spanning :data:`MIN_SPAN`), while the car was moving (smoothed speed at
   least the detector's :data:`~.engine.detector.MOVING_SPEED_MPS` once) and covered more than twice the proximity radius,
   so that someone standing still (at home, in the driveway) cannot qualify. If several
   qualify, the one closest on average;
4. else the driver chosen earlier on this trip, until the car has stood still for
   :data:`TRIP_END`; else none.

How the active driver was found (:class:`FoundBy`) is kept with them: the driver sensor
shows it as its ``found_by`` attribute, and events carry it.

The active driver is saved with the car's state (:meth:`DriverTracker.as_stored`) and
taken back after a restart while the trip goes on (:meth:`DriverTracker.restore`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from math import fsum
from typing import Any, Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, CONF_NAME
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
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
from .incar import InCarChange, InCarMonitor, InCarSignals, in_car_signals

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


class FoundBy(StrEnum):
    """How the active driver was found (the driver sensor's ``found_by`` attribute)."""

    DRIVER_ID = "driver_id"
    """The car (or app) sent the driver's id: a seat profile, a key, a login."""
    BLUETOOTH = "bluetooth"
    """The driver's phone is connected to the car's Bluetooth."""
    SIGNAL = "signal"
    """Another in-car signal of the driver's phone is on (Android Auto, CarPlay)."""
    MOVING_WITH_CAR = "moving_with_car"
    """The driver's ``person`` has been moving with the car."""


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
    signals: InCarSignals | None = None
    """The in-car signals of the driver's phone: on, the phone is in the car."""


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
            signals=in_car_signals(subentry.data),
        )
        for subentry in subentries.values()
        if subentry.subentry_type == SUBENTRY_DRIVER
    )


def driver_data(
    driver: Driver | None, sent_id: str | None, found_by: FoundBy | None = None
) -> dict[str, Any] | None:
    """Return the driver as events carry it, whichever way they were found.

    ``name``: the driver's name (``None`` for an id the car sent that is none of the
    car's drivers); ``id``: the driver's id (the one set for the driver, else the one the
    car sent; ``None`` if neither); ``person``: the driver's ``person`` entity, if set;
    ``found_by``: how they were found (:class:`FoundBy`; ``None`` for a driver taken
    back from a state saved without it). ``None`` when no driver is known.
    """
    if driver is not None:
        return {
            "name": driver.name,
            "id": driver.driver_id,
            "person": driver.person,
            "found_by": None if found_by is None else found_by.value,
        }
    if sent_id is not None:
        return {
            "name": None,
            "id": sent_id,
            "person": None,
            "found_by": FoundBy.DRIVER_ID.value,
        }
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

    The drivers are read from the entry's subentries, again whenever the entry changes
    while the phones are followed, so a driver added, changed or removed counts at once
    (their phones' signals are followed from then on too).
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
        self._found_by: FoundBy | None = None
        self._phones: dict[str, FoundBy] = {}
        """The drivers whose phone is in the car (by subentry id), first connected first."""
        self._listener: Callable[[], None] | None = None
        """Told when a phone enters or leaves the car; set while the phones are followed."""
        self._stop_monitors: list[CALLBACK_TYPE] = []
        self._refresh()

    @property
    def drivers(self) -> tuple[Driver, ...]:
        """The car's drivers."""
        return self._drivers

    @property
    def active(self) -> Driver | None:
        """The driver driving now, if known."""
        return self._active

    @property
    def found_by(self) -> FoundBy | None:
        """How the active driver was found (``None``: no driver, or not known)."""
        return self._found_by if self._active is not None else None

    @callback
    def async_start(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Follow the drivers' phones; call ``listener`` when one enters or leaves.

        The signals are read as they are now (in the subentries' order: who was first
        before a restart is not known) and nothing is announced. Returns the function
        that stops following them.
        """
        self._listener = listener
        self._start_monitors()
        stop_following = async_dispatcher_connect(
            self._hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._entry_changed
        )

        @callback
        def _stop() -> None:
            stop_following()
            self._listener = None
            self._stop_all()

        return _stop

    @callback
    def _entry_changed(
        self, change: ConfigEntryChange, entry: ConfigEntry[Any]
    ) -> None:
        """Follow added, changed and removed drivers (a subentry flow changed the car)."""
        if (
            change is ConfigEntryChange.UPDATED
            and entry is self._entry
            and self._refresh()
            and self._listener is not None
        ):
            self._listener()  # the driver shown may have changed, or be gone

    def _start_monitors(self) -> None:
        """Follow the phone of every driver that names in-car signals."""
        for driver in self._drivers:
            if driver.signals is None:
                continue
            monitor = InCarMonitor(
                self._hass,
                driver.signals,
                f"{self._entry.title} ({driver.name})",
                partial(self._phone_changed, driver),
            )
            self._stop_monitors.append(monitor.async_start())
            if monitor.in_car:
                self._phones[driver.subentry_id] = self._how(driver.signals)

    def _stop_all(self) -> None:
        for stop in self._stop_monitors:
            stop()
        self._stop_monitors = []
        self._phones.clear()

    def _how(self, signals: InCarSignals) -> FoundBy:
        """Return how a phone is known to be in the car: Bluetooth first."""
        on = signals.bluetooth_on(self._hass.states.get)
        return FoundBy.BLUETOOTH if on else FoundBy.SIGNAL

    def _phone_changed(
        self, driver: Driver, change: InCarChange, _now: datetime
    ) -> None:
        """Record a driver's phone entering or leaving the car; tell the listener."""
        if change is InCarChange.ENTERED:
            assert driver.signals is not None  # noqa: S101 - only drivers with signals
            self._phones[driver.subentry_id] = self._how(driver.signals)
        elif change is InCarChange.LEFT:
            del self._phones[driver.subentry_id]
        else:
            return  # a drop within the delay: still in the car
        assert self._listener is not None  # noqa: S101 - monitors run only while started
        self._listener()

    def as_stored(self) -> dict[str, Any] | None:
        """Return the active driver as it is saved with the car's state (``None``: none).

        ``{"version": 1, "subentry_id": <the driver's subentry>, "seen": <ISO 8601, when
        the car last moved with them or they were last chosen>, "found_by": <how they
        were found, :class:`FoundBy`, or null>}`` (``found_by`` may be absent: older
        versions did not write it).
        """
        if self._active is None or self._seen is None:
            return None
        return {
            "version": STORED_VERSION,
            "subentry_id": self._active.subentry_id,
            "seen": self._seen.isoformat(),
            "found_by": None if self._found_by is None else self._found_by.value,
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
        subentry_id, seen, found_by = record
        driver = next((d for d in self._drivers if d.subentry_id == subentry_id), None)
        if driver is None or not timedelta(0) <= now - seen < TRIP_END:
            LOGGER.debug("%s: the saved driver's trip is over", car)
            return None
        self._active = driver
        self._seen = seen
        self._found_by = found_by
        return driver

    def update(self, snapshot: Snapshot, now: datetime) -> Driver | None:
        """Take the car's latest state into account; return the active driver."""
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
        chosen = self._choose(snapshot.driver)
        if chosen is not None:
            self._active, self._found_by = chosen
            self._seen = now
        elif self._seen is None or now - self._seen >= TRIP_END:
            self._active = None
        return self._active

    # ------------------------------------------------------------ internals

    def _choose(self, driver_id: str | None) -> tuple[Driver, FoundBy] | None:
        """Return the driver the evidence names now, and how (see the module)."""
        if (by_id := self._by_id(driver_id)) is not None:
            return by_id, FoundBy.DRIVER_ID
        if self._phones:
            subentry_id, how = next(iter(self._phones.items()))
            return self._by_subentry(subentry_id), how
        if (by_company := self._by_company()) is not None:
            return by_company, FoundBy.MOVING_WITH_CAR
        return None

    def _by_subentry(self, subentry_id: str) -> Driver:
        """Return the driver of a subentry (one whose phone is followed: it exists)."""
        return next(d for d in self._drivers if d.subentry_id == subentry_id)

    def _refresh(self) -> bool:
        """Follow added, changed and removed drivers; a new set starts a new history.

        Returns whether the drivers changed.
        """
        drivers = drivers_from_subentries(self._entry.subentries)
        if drivers == self._drivers:
            return False
        self._drivers = drivers
        if self._listener is not None:
            # Follow the phones of the drivers as they are now.
            self._stop_all()
            self._start_monitors()
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
        return True

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


def _stored_record(stored: object) -> tuple[str, datetime, FoundBy | None] | None:
    """Return the subentry id, time and way found of a saved active driver.

    ``None`` if unusable; a way found that is absent or unknown is ``None`` (the
    driver is still taken back).
    """
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
    found_by = stored.get("found_by")
    if not isinstance(found_by, str) or found_by not in set(FoundBy):
        return subentry_id, moment, None
    return subentry_id, moment, FoundBy(found_by)

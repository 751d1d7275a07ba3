"""Entity source: follow an existing device_tracker, person or any entity with a position."""

from __future__ import annotations

import math

from homeassistant.components.zone import ENTITY_ID_HOME
from homeassistant.const import (
    ATTR_GPS_ACCURACY,
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    STATE_HOME,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.start import async_at_started

from ..const import LOGGER
from ..coordinator import HomecomingCoordinator
from ..engine import Fix

SPEED_ATTRIBUTES_MPS = ("speed",)
"""Speed attributes in metres per second (mobile_app, GPSLogger)."""
SPEED_ATTRIBUTES_KMH = ("velocity",)
"""Speed attributes in kilometres per hour (OwnTracks)."""
HEADING_ATTRIBUTES = ("course", "heading", "bearing", "direction")
ZONE_BASED_DOMAINS = frozenset({"device_tracker", "person"})
"""Domains whose state names the zone they are in (``home``, ``not_home``, a zone)."""

type Report = Fix | bool | None
"""A position, a zone-only home (True) / not home (False), or nothing usable."""


def report_from_state(state: State, *, home_state: str = STATE_HOME) -> Report:
    """Read what an entity's state says about the car's whereabouts.

    Entities with ``latitude`` / ``longitude`` attributes give a fix (accuracy from
    ``gps_accuracy``, speed and heading when present). Without a position, a zone-based
    tracker's state says whether it is in the home zone: ``home_state`` is what such a
    tracker shows there (``home`` for ``zone.home``, else the zone's name). Unknown and
    unavailable say nothing.
    """
    if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    attributes = state.attributes
    if ATTR_LATITUDE in attributes and ATTR_LONGITUDE in attributes:
        try:
            return Fix(
                latitude=attributes[ATTR_LATITUDE],
                longitude=attributes[ATTR_LONGITUDE],
                timestamp=state.last_updated,
                accuracy=_number(attributes.get(ATTR_GPS_ACCURACY)),
                speed=_speed(state),
                heading=_first_number(state, HEADING_ATTRIBUTES),
            )
        except (TypeError, ValueError, OverflowError) as err:
            # OverflowError: an integer too large for a float (a junk attribute).
            LOGGER.debug("%s: unusable position (%s)", state.entity_id, err)
            return None
    if state.domain not in ZONE_BASED_DOMAINS:
        return None  # only trackers and persons name the zone they are in
    return state.state == home_state


def can_follow(state: State) -> bool:
    """Whether an entity can give a car's whereabouts: a position, or a tracker's zone."""
    attributes = state.attributes
    return (
        ATTR_LATITUDE in attributes and ATTR_LONGITUDE in attributes
    ) or state.domain in ZONE_BASED_DOMAINS


def _number(value: object) -> float | None:
    """Return a non-negative finite number, or None for absent, -1 or junk values."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _first_number(state: State, names: tuple[str, ...]) -> float | None:
    for name in names:
        if (value := _number(state.attributes.get(name))) is not None:
            return value
    return None


def _speed(state: State) -> float | None:
    if (mps := _first_number(state, SPEED_ATTRIBUTES_MPS)) is not None:
        return mps
    if (kmh := _first_number(state, SPEED_ATTRIBUTES_KMH)) is not None:
        return kmh / 3.6
    return None


class EntitySource:
    """Feeds an entity's position changes to a car's coordinator."""

    def __init__(
        self, hass: HomeAssistant, coordinator: HomecomingCoordinator, entity_id: str
    ) -> None:
        """Follow ``entity_id`` for ``coordinator``."""
        self.hass = hass
        self.coordinator = coordinator
        self.entity_id = entity_id

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start following; returns the function that stops it."""
        unsub = async_track_state_change_event(
            self.hass, [self.entity_id], self._async_state_changed
        )
        state = self.hass.states.get(self.entity_id)
        if state is not None:
            self._async_handle(state, initial=True)
            return unsub
        self.coordinator.async_set_source_available(False)
        # Missing once Home Assistant has started: the entity was removed. While it is
        # starting, its integration may simply not have set it up yet.
        cancel_started = async_at_started(self.hass, self._async_check_after_start)

        @callback
        def _stop() -> None:
            unsub()
            cancel_started()

        return _stop

    @callback
    def _async_check_after_start(self, _hass: HomeAssistant) -> None:
        """Home Assistant has started: an entity still missing now was removed."""
        if self.hass.states.get(self.entity_id) is None:
            self.coordinator.async_set_source_available(False, removed=True)

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is None:
            self.coordinator.async_set_source_available(False, removed=True)
            return
        self._async_handle(state, initial=False)

    def _home_state(self) -> str:
        """Return what a zone-based tracker shows inside the car's home zone."""
        zone = self.coordinator.zone_entity_id
        if zone == ENTITY_ID_HOME:
            return STATE_HOME
        zone_state = self.hass.states.get(zone)
        return zone_state.name if zone_state is not None else zone

    @callback
    def _async_handle(self, state: State, *, initial: bool) -> None:
        if state.state == STATE_UNAVAILABLE:
            self.coordinator.async_set_source_available(False)
            return
        self.coordinator.async_set_source_available(True)
        report = report_from_state(state, home_state=self._home_state())
        # The state found at start-up may tell of a trip that ended while Home Assistant
        # was down: apply it, but fire nothing.
        if isinstance(report, Fix):
            self.coordinator.async_add_fixes([report], silent=initial)
        elif report is not None:
            self.coordinator.async_add_presence(
                report, state.last_updated, silent=initial
            )
        elif initial:
            LOGGER.debug("%s: no position yet", self.entity_id)

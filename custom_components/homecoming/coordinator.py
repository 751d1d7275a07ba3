"""The coordinator: one per car, owning the engine, time and persistence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_DISTANCE,
    ATTR_DRIVER,
    ATTR_ENTRY_ID,
    ATTR_ETA,
    ATTR_PHASE,
    ATTR_TYPE,
    CONF_ARRIVAL_RADIUS,
    CONF_HOME_ZONE,
    CONF_MAKE,
    CONF_MAX_ACCURACY,
    CONF_MODEL,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_STALE_TIMEOUT,
    CONF_STOP_TOLERANCE,
    CONF_TRACKED_ENTITY,
    CONF_VIN,
    DOMAIN,
    EVENT_HOMECOMING,
    FUTURE_TOLERANCE,
    LOGGER,
    SAVE_DELAY,
    STORAGE_VERSION,
    TICK_INTERVAL,
)
from .drivers import Driver, DriverTracker
from .engine import Engine, Fix, Home, Settings, Snapshot, Transition, UpdateResult

if TYPE_CHECKING:
    from .routines import RoutineRunner

type HomecomingConfigEntry = ConfigEntry[HomecomingCoordinator]


def car_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the storage file that keeps a car's state across restarts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


ATTR_RADIUS = "radius"


@dataclass(frozen=True, slots=True, kw_only=True)
class CarData:
    """What the car's entities show: the engine's snapshot and the data's health."""

    snapshot: Snapshot
    stale: bool
    """No fix for longer than the stale timeout: the position is the last one known."""
    available: bool
    """The position source works (for an entity source: it exists and is available)."""
    driver: Driver | None
    """The driver driving now, if known (see :mod:`.drivers`)."""


def settings_from_options(options: Mapping[str, Any]) -> Settings:
    """Engine settings from the entry options (user units), defaults for the rest."""
    defaults = Settings()
    changes: dict[str, Any] = {}
    if CONF_REACH_KM in options:
        reach = options[CONF_REACH_KM]
        changes["reach_m"] = None if not reach else float(reach) * 1000.0
    if CONF_REACH_MINUTES in options:
        minutes = options[CONF_REACH_MINUTES]
        changes["reach_eta_s"] = None if not minutes else float(minutes) * 60.0
    if CONF_ARRIVAL_RADIUS in options:
        changes["arrival_radius_m"] = float(options[CONF_ARRIVAL_RADIUS])
    if CONF_STOP_TOLERANCE in options:
        changes["stop_tolerance_s"] = float(options[CONF_STOP_TOLERANCE]) * 60.0
    if CONF_STALE_TIMEOUT in options:
        changes["stale_timeout_s"] = float(options[CONF_STALE_TIMEOUT]) * 60.0
    if CONF_MAX_ACCURACY in options:
        changes["max_accuracy_m"] = float(options[CONF_MAX_ACCURACY])
    return replace(defaults, **changes)


class HomecomingCoordinator(DataUpdateCoordinator[CarData]):
    """Feeds a car's fixes to its engine and tells everyone what changed."""

    config_entry: HomecomingConfigEntry
    routines: RoutineRunner
    """The car's routines (set up with the entry, right after the coordinator)."""

    def __init__(self, hass: HomeAssistant, entry: HomecomingConfigEntry) -> None:
        """Prepare; :meth:`async_setup` restores the state and starts the clock."""
        # Set before the base class registers :meth:`async_shutdown` on unload: a setup
        # that fails before the saved state was read must not overwrite it.
        self._restored = False
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {entry.title}"
        )
        self.settings = settings_from_options(entry.options)
        self.zone_entity_id: str = entry.data[CONF_HOME_ZONE]
        self.stats: Counter[str] = Counter()
        self.device_id: str = ""
        self.source_available = True
        self._transition_listeners: list[Callable[[Transition], None]] = []
        self._store = car_store(hass, entry.entry_id)
        self.engine = Engine(self._home(), self.settings)
        # Drivers are config subentries; the tracker follows changes to them itself.
        self.drivers = DriverTracker(hass, entry)

    @property
    def device_info(self) -> DeviceInfo:
        """The car as a device."""
        entry = self.config_entry
        return DeviceInfo(
            identifiers={(DOMAIN, entry.unique_id or entry.entry_id)},
            name=entry.title,
            manufacturer=entry.data.get(CONF_MAKE) or None,
            model=entry.data.get(CONF_MODEL) or None,
            serial_number=entry.data.get(CONF_VIN) or None,
        )

    async def async_setup(self) -> None:
        """Register the device, restore the saved state (silently) and start the clock."""
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id, **self.device_info
        )
        self.device_id = device.id
        stored = await self._store.async_load()
        if stored is not None:
            try:
                self.engine = Engine.from_dict(
                    stored["engine"], self._home(), self.settings
                )
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.warning(
                    "%s: the saved state could not be read (%s); starting afresh",
                    self.config_entry.title,
                    err,
                )
        self._restored = True
        # Time passed while Home Assistant was down: apply it, but fire nothing.
        self.engine.advance(dt_util.utcnow())
        self.data = self._car_data()
        self.config_entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_tick, TICK_INTERVAL)
        )
        self.config_entry.async_on_unload(
            async_track_state_change_event(
                self.hass, [self.zone_entity_id], self._async_zone_changed
            )
        )

    async def async_shutdown(self) -> None:
        """Write the state now (a reload would otherwise read an old copy)."""
        await super().async_shutdown()
        if self._restored:
            await self._store.async_save(self._to_store())

    # ------------------------------------------------------------ input

    @callback
    def async_add_fixes(
        self, fixes: Iterable[Fix], *, silent: bool = False
    ) -> list[UpdateResult]:
        """Feed fixes (one, or a queued batch) to the engine, oldest first.

        ``silent`` applies them without firing events (state read at start-up).
        """
        now = dt_util.utcnow()
        limit = now + FUTURE_TOLERANCE
        results = self.engine.update_batch(
            self._bounded(fix, now, limit) for fix in fixes
        )
        transitions: list[Transition] = []
        for result in results:
            self.stats[result.reason.value if result.reason else "accepted"] += 1
            transitions.extend(result.transitions)
        if any(result.accepted for result in results):
            self._changed([] if silent else transitions)
        return results

    def _bounded(self, fix: Fix, now: datetime, limit: datetime) -> Fix:
        """Take a fix from a device clock running ahead as current.

        One bad clock must not block every later fix.
        """
        if fix.timestamp <= limit:
            return fix
        self.stats["clock_ahead"] += 1
        return replace(fix, timestamp=now)

    @callback
    def async_add_presence(
        self,
        at_home: bool,
        timestamp: datetime,
        *,
        silent: bool = False,
    ) -> UpdateResult:
        """Feed a zone-only report (home / not home) to the engine."""
        result = self.engine.update_presence(at_home, timestamp)
        self.stats[result.reason.value if result.reason else "accepted"] += 1
        if result.accepted:
            self._changed([] if silent else list(result.transitions))
        return result

    @callback
    def async_set_source_available(
        self, available: bool, *, removed: bool = False
    ) -> None:
        """Record that the position source went or came back; a removed one is a repair."""
        entry = self.config_entry
        issue_id = f"source_removed_{entry.entry_id}"
        if removed:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="source_removed",
                translation_placeholders={
                    "entity": entry.data.get(CONF_TRACKED_ENTITY, ""),
                    "name": entry.title,
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if available == self.source_available:
            return
        self.source_available = available
        if available:
            LOGGER.info("%s: the position source is back", entry.title)
        else:
            LOGGER.info("%s: the position source is unavailable", entry.title)
        self.async_set_updated_data(self._car_data())

    # ------------------------------------------------------------ internals

    def _home(self) -> Home:
        state = self.hass.states.get(self.zone_entity_id)
        try:
            if state is None:
                raise ValueError(self.zone_entity_id)  # noqa: TRY301
            return Home(
                latitude=state.attributes[ATTR_LATITUDE],
                longitude=state.attributes[ATTR_LONGITUDE],
                radius=state.attributes.get(ATTR_RADIUS, 100.0),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="home_zone_missing",
                translation_placeholders={"zone": self.zone_entity_id},
            ) from err

    @callback
    def _async_zone_changed(self, event: Event[EventStateChangedData]) -> None:
        """Measure against the home zone anew when it moves or changes size."""
        try:
            home = self._home()
        except ConfigEntryError:
            LOGGER.warning(
                "%s: the home zone %s is gone; keeping the last known home",
                self.config_entry.title,
                self.zone_entity_id,
            )
            return
        if home != self.engine.home:
            self.engine = Engine.from_dict(self.engine.as_dict(), home, self.settings)

    @callback
    def _async_tick(self, now: datetime) -> None:
        """Let time pass: stops and silence may end an approach; data may go stale."""
        transitions = list(self.engine.advance(now))
        stale = self._is_stale(now)
        if transitions or stale != self.data.stale:
            if stale and not self.data.stale:
                LOGGER.debug("%s: no position for a while; marking it stale", self.name)
            self._changed(transitions)

    def _is_stale(self, now: datetime) -> bool:
        last = self.engine.last_fix
        return last is None or now - last >= timedelta(
            seconds=self.settings.stale_timeout_s
        )

    def _car_data(self, snapshot: Snapshot | None = None) -> CarData:
        return CarData(
            snapshot=snapshot or self.engine.snapshot,
            stale=self._is_stale(dt_util.utcnow()),
            available=self.source_available,
            driver=self.drivers.active,
        )

    async def _async_update_data(self) -> CarData:
        """Recompute what the entities show (``homeassistant.update_entity``)."""
        return self._car_data()

    @callback
    def _changed(self, transitions: list[Transition]) -> None:
        """Save, update the entities, then announce the transitions."""
        self._store.async_delay_save(self._to_store, SAVE_DELAY)
        snapshot = self.engine.snapshot  # built once per change: the hot path
        self.drivers.update(snapshot, dt_util.utcnow())
        self.async_set_updated_data(self._car_data(snapshot))
        for transition in transitions:
            self._fire(transition)
            for listener in list(self._transition_listeners):
                listener(transition)

    @callback
    def async_add_transition_listener(
        self, listener: Callable[[Transition], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with every transition as it happens (never on restore)."""
        self._transition_listeners.append(listener)

        @callback
        def _remove() -> None:
            self._transition_listeners.remove(listener)

        return _remove

    @callback
    def _fire(self, transition: Transition) -> None:
        LOGGER.debug(
            "%s: %s (%s m from home)",
            self.config_entry.title,
            transition.event,
            None if transition.distance_m is None else round(transition.distance_m),
        )
        self.hass.bus.async_fire(
            EVENT_HOMECOMING,
            {
                ATTR_TYPE: transition.event.value,
                "device_id": self.device_id,
                ATTR_ENTRY_ID: self.config_entry.entry_id,
                ATTR_PHASE: transition.phase.value,
                ATTR_DISTANCE: (
                    None
                    if transition.distance_m is None
                    else round(transition.distance_m)
                ),
                ATTR_ETA: None
                if transition.eta is None
                else transition.eta.isoformat(),
                ATTR_DRIVER: transition.driver,
            },
        )

    def _to_store(self) -> dict[str, Any]:
        return {"engine": self.engine.as_dict()}

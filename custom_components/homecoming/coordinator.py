"""The coordinator: one per car, owning the engine, time and persistence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import (
    ConfigEntryError,
    HomeAssistantError,
    UnsupportedStorageVersionError,
)
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import (
    ATTR_DISTANCE,
    ATTR_DRIVER,
    ATTR_ENTRY_ID,
    ATTR_ETA,
    ATTR_PHASE,
    ATTR_TYPE,
    CONF_HOME_ZONE,
    CONF_MAKE,
    CONF_MODEL,
    CONF_VIN,
    DOMAIN,
    EVENT_HOMECOMING,
    FUTURE_TOLERANCE,
    LOGGER,
    SAVE_DELAY,
    STORAGE_VERSION,
    TICK_INTERVAL,
)
from .detection import DETECTION_RANGES, detection_options, settings_from_options
from .drivers import Driver, DriverTracker, FoundBy, driver_data
from .engine import (
    ApproachDetector,
    Fix,
    Home,
    Phase,
    Snapshot,
    Transition,
    UpdateResult,
)
from .engine.detector import STATE_VERSION

CLOCK_RESTART_MARGIN: Final = timedelta(seconds=30)
"""After a wrong clock, the track restarts this long before the moment it is recognised,
so that a position measured just before (a push on its way, a state written a moment
earlier, a report stamped now) is still used. Shorter than the 2 minutes a fix may be
ahead of the clock before it is taken as current, so a correct clock never triggers it."""


class Ticker:
    """The clock of the cars: every :data:`TICK_INTERVAL`, each car added lets time pass.

    One timer for the home rather than one per car: the event loop wakes once an
    interval whatever the number of cars, and a car's tick is a plain call. A car is
    added only while time alone can change it (:meth:`HomecomingCoordinator._follow_time`),
    and the timer runs only while a car is added: parked, silent cars cost nothing.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no car and no timer."""
        self._hass = hass
        self._ticks: list[Callable[[datetime], None]] = []
        self._stop: CALLBACK_TYPE | None = None

    @callback
    def async_add(self, tick: Callable[[datetime], None]) -> CALLBACK_TYPE:
        """Call ``tick`` with the time every interval; return what stops it."""
        self._ticks.append(tick)
        if self._stop is None:
            self._stop = async_track_time_interval(
                self._hass, self._async_tick, TICK_INTERVAL, name=f"{DOMAIN} tick"
            )

        @callback
        def _remove() -> None:
            self._ticks.remove(tick)
            if not self._ticks and self._stop is not None:
                self._stop()
                self._stop = None

        return _remove

    @callback
    def _async_tick(self, now: datetime) -> None:
        for tick in tuple(self._ticks):
            tick(now)


TICKER: Final[HassKey[Ticker]] = HassKey(f"{DOMAIN}_ticker")
"""The home's :class:`Ticker`, made when the integration is set up."""


def car_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the storage file that keeps a car's state across restarts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


ATTR_RADIUS = "radius"


@dataclass(frozen=True, slots=True, kw_only=True)
class CarData:
    """What the car's entities show: the engine's snapshot and the data's health."""

    snapshot: Snapshot
    silent: bool
    """No fix for longer than the silence timeout: the position is the last one known."""
    available: bool
    """The position source works (for an entity source: it exists and is available)."""
    driver: Driver | None
    """The driver driving now, if known (see :mod:`.drivers`)."""
    found_by: FoundBy | None = None
    """How the driver was found (see :class:`~.drivers.FoundBy`)."""
    in_car: bool | None = None
    """The phone the car follows is in the car (:mod:`.incar`); None: no signal named."""


def state_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue of a car whose saved state was unusable."""
    return f"saved_state_unusable_{entry_id}"


def _unusable_reason(err: Exception, stored: object) -> str:
    """Say in a log line why a saved state could not be used (no advice to upgrade)."""
    if isinstance(err, UnsupportedStorageVersionError):
        return (
            "written by a newer version of Homecoming"
            f" (storage version {err.found_version})"
        )
    if isinstance(err, NotImplementedError):
        return "a storage version this version of Homecoming cannot read"
    engine = stored.get("engine") if isinstance(stored, dict) else None
    version = engine.get("version") if isinstance(engine, dict) else None
    if isinstance(version, int) and version > STATE_VERSION:
        return f"written by a newer version of Homecoming (state version {version})"
    return f"{type(err).__name__}: {err}"


class CarStats(Mapping[str, int]):
    """How many reports a car got, by what became of them (shown in diagnostics).

    Read like a mapping of counter name to count (absent names are 0); written only
    through :meth:`add` and :meth:`add_result`. Names: ``accepted`` and each
    :class:`~.engine.RejectReason` (a detector's verdict on a fix); ``clock_ahead``,
    ``clock_corrected`` (clocks), ``repeated`` (a restored state repeating the last
    position); the webhook's ``http_<status>`` and what it noted of pushes
    (``owntracks_ignored``, ``encrypted_no_key``, ...).
    """

    __slots__ = ("_counts",)

    def __init__(self) -> None:
        """Start with nothing counted."""
        self._counts: Counter[str] = Counter()

    def add(self, name: str, count: int = 1) -> None:
        """Count ``count`` more of ``name``."""
        self._counts[name] += count

    def add_result(self, result: UpdateResult) -> None:
        """Count what the detector made of a report."""
        self._counts[result.reason.value if result.reason else "accepted"] += 1

    def __getitem__(self, name: str) -> int:
        """Return how many of ``name`` were counted (0 when none)."""
        return self._counts[name]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the names counted at least once."""
        return iter(self._counts)

    def __len__(self) -> int:
        """Return how many different names were counted."""
        return len(self._counts)


@dataclass(frozen=True, slots=True, kw_only=True)
class CarTransition(Transition):
    """A transition as the coordinator announces it: with the car's active driver."""

    active_driver: Driver | None
    """The car's driver when the transition happened, however they were found."""
    found_by: FoundBy | None = None
    """How the active driver was found."""

    @classmethod
    def of(
        cls,
        transition: Transition,
        active_driver: Driver | None,
        found_by: FoundBy | None = None,
    ) -> CarTransition:
        """Return the engine's transition with the car's active driver."""
        facts = {
            field.name: getattr(transition, field.name) for field in fields(transition)
        }
        return cls(**facts, active_driver=active_driver, found_by=found_by)


def transition_data(transition: Transition) -> dict[str, Any]:
    """Return what a transition tells, as the bus event and the event entity show it.

    ``distance``: metres from home, rounded (``None`` unknown); ``eta``: ISO 8601
    (``None`` unknown); ``driver``: the active driver, found by the id the car sent, by
    their phone in the car or by their person moving with the car (see
    :func:`~.drivers.driver_data`: ``name``, ``id``, ``person``, ``found_by``; ``None``
    unknown).
    """
    car = transition if isinstance(transition, CarTransition) else None
    active = None if car is None else car.active_driver
    found_by = None if car is None else car.found_by
    return {
        ATTR_DISTANCE: None
        if transition.distance_m is None
        else round(transition.distance_m),
        ATTR_ETA: None if transition.eta is None else transition.eta.isoformat(),
        ATTR_DRIVER: driver_data(active, transition.driver, found_by),
    }


class HomecomingCoordinator(DataUpdateCoordinator[CarData]):
    """Feeds a car's fixes to its engine and tells everyone what changed."""

    config_entry: ConfigEntry
    engine: ApproachDetector
    """The car's approach detector (made by :meth:`_async_setup`)."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare; :meth:`_async_setup` restores the state and starts the clock.

        Set up with ``async_config_entry_first_refresh``: a home zone that is missing
        fails the set-up with a translated :class:`ConfigEntryError` there.
        """
        # Set before the base class registers :meth:`async_shutdown` on unload: a setup
        # that fails before the saved state was read must not overwrite it.
        self._restored = False
        self._saved_phase: Phase | None = None
        """The phase last written to storage (a new one is written at once)."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {entry.title}"
        )
        values, refused = detection_options(entry.options)
        for key, value in refused.items():
            low, high = DETECTION_RANGES[key]
            LOGGER.warning(
                "%s: the saved option %s = %r is not a number from %g to %g; using"
                " the default %g (open the car's options and save them to fix it)",
                entry.title,
                key,
                value,
                low,
                high,
                values[key],
            )
        self.settings = settings_from_options(entry.options)
        self.zone_entity_id: str = entry.data[CONF_HOME_ZONE]
        self.stats = CarStats()
        self.device_id: str = ""
        self.source_available = True
        self.in_car: bool | None = None
        """Whether the followed phone is in the car, set by the source from the car's
        in-car signals (:mod:`.incar`); None when the car names none."""
        self.catching_up = False
        """The position source has not reported anything new since the car was set up
        (see :class:`~.sources.entity.EntitySource`): what happens meanwhile, the clock
        ending an approach included, happens silently."""
        self._clock_warned = False
        # Each transition is announced once, to these listeners in turn: the bus event
        # first (device triggers, the logbook, automations), then the event entity, the
        # routines and anyone else who subscribes.
        self._transition_listeners: list[Callable[[Transition], None]] = [self._fire]
        self._store = car_store(hass, entry.entry_id)
        self._save_due: datetime | None = None
        """When the state is next written at the latest (:meth:`_save_soon`)."""
        self._stop_ticks: CALLBACK_TYPE | None = None
        """Stops the home's clock ticking this car; None while it does not."""
        self.device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.unique_id or entry.entry_id)},
            name=entry.title,
            manufacturer=entry.data.get(CONF_MAKE) or None,
            model=entry.data.get(CONF_MODEL) or None,
            serial_number=entry.data.get(CONF_VIN) or None,
        )
        """The car as a device (every entity of the car has it)."""
        # Drivers are config subentries; the tracker follows changes to them itself.
        self.drivers = DriverTracker(hass, entry)

    async def _async_setup(self) -> None:
        """Register the device, restore the saved state (silently) and start the clock."""
        self.engine = ApproachDetector(self._home(), self.settings)
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id, **self.device_info
        )
        self.device_id = device.id
        await self._async_restore()
        self._restored = True
        self._saved_phase = self.engine.phase
        now = dt_util.utcnow()
        self._correct_clock(now)
        # Time passed while Home Assistant was down: apply it, but fire nothing.
        self.engine.advance(now)
        self.config_entry.async_on_unload(self._rest)
        self._follow_time(self._is_silent(now))
        self.config_entry.async_on_unload(
            async_track_state_change_event(
                self.hass, [self.zone_entity_id], self._async_zone_changed
            )
        )
        self.config_entry.async_on_unload(
            self.drivers.async_start(self._async_driver_phone)
        )
        # A phone already in the car names its driver at once.
        self.drivers.update(self.engine.snapshot, now)

    async def _async_restore(self) -> None:
        """Read the saved state; an unusable one starts the car afresh, with a repair.

        Unusable: unreadable, malformed, or written by a newer version of Homecoming
        (after going back to an older one). Never a set-up error: the car works on.
        The active driver is taken back with a usable state, while the trip goes on; a
        saved driver that cannot be used is ignored on its own.
        """
        entry = self.config_entry
        issue_id = state_issue_id(entry.entry_id)
        stored: Any = None
        try:
            stored = await self._store.async_load()
            if stored is not None:
                engine = ApproachDetector.from_dict(
                    stored["engine"], self.engine.home, self.settings
                )
                _ = engine.snapshot  # all it shows can be computed
                self.engine = engine
        except (
            HomeAssistantError,
            NotImplementedError,
            LookupError,
            TypeError,
            ValueError,
            OverflowError,
        ) as err:
            LOGGER.warning(
                "%s: the saved state could not be read (%s); starting afresh",
                entry.title,
                _unusable_reason(err, stored),
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="saved_state_unusable",
                translation_placeholders={"name": entry.title},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            saved_driver = stored.get("driver") if isinstance(stored, dict) else None
            self.drivers.restore(saved_driver, dt_util.utcnow(), entry.title)

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
        corrected = self._correct_clock(now)
        limit = now + FUTURE_TOLERANCE
        results = self.engine.update_batch(
            self._bounded(fix, now, limit) for fix in fixes
        )
        transitions: list[Transition] = []
        for result in results:
            self.stats.add_result(result)
            transitions.extend(result.transitions)
        if corrected or any(result.accepted for result in results):
            self._changed([] if silent else transitions)
        return results

    def _bounded(self, fix: Fix, now: datetime, limit: datetime) -> Fix:
        """Take a fix from a device clock running ahead as current.

        One bad clock must not block every later fix.
        """
        if fix.timestamp <= limit:
            return fix
        self.stats.add("clock_ahead")
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
        corrected = self._correct_clock(dt_util.utcnow())
        result = self.engine.update_presence(at_home, timestamp)
        self.stats.add_result(result)
        if corrected or result.accepted:
            self._changed([] if silent else list(result.transitions))
        return result

    @callback
    def async_set_source_available(self, available: bool) -> None:
        """Record that the position source went or came back (logged once each way)."""
        if available == self.source_available:
            return
        self.source_available = available
        title = self.config_entry.title
        if available:
            LOGGER.info("%s: the position source is back", title)
        else:
            LOGGER.info("%s: the position source is unavailable", title)
        self.async_set_updated_data(self._car_data())

    @callback
    def _async_driver_phone(self) -> None:
        """Choose the driver again: a phone entered or left the car, or drivers changed."""
        self.drivers.update(self.engine.snapshot, dt_util.utcnow())
        shown = (self.data.driver, self.data.found_by)
        if (self.drivers.active, self.drivers.found_by) != shown:
            self._save_soon()
            self.async_set_updated_data(self._car_data())

    @callback
    def async_set_in_car(self, in_car: bool) -> None:
        """Record whether the followed phone is in the car (the entities show it)."""
        self.in_car = in_car
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
        """Measure against the home zone anew when it moves or changes size.

        The entities show the new distance at once; nothing fires (see
        :meth:`ApproachDetector.move_home`).
        """
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
            self.engine.move_home(home)
            self._changed([])

    @callback
    def _async_tick(self, now: datetime) -> None:
        """Let time pass: stops and silence may end an approach; the car may go silent."""
        corrected = self._correct_clock(now)
        transitions = list(self.engine.advance(now))
        silent = self._is_silent(now)
        if corrected or transitions or silent != self.data.silent:
            if silent and not self.data.silent:
                LOGGER.debug(
                    "%s: no position for a while; the car is silent", self.name
                )
            self._changed([] if self.catching_up else transitions)
        else:
            self._follow_time(silent)

    def _correct_clock(self, now: datetime) -> bool:
        """Restart the track if its newest fix is far ahead of ``now``; whether it did.

        Home Assistant's clock was wrong when that fix was stamped (a board that started
        before NTP set the time): every later fix would be refused until real time passed
        it. Warned about once per set-up, counted every time. The track restarts
        :data:`CLOCK_RESTART_MARGIN` before ``now``.
        """
        newest = self.engine.last_fix
        if not self.engine.correct_clock(now - CLOCK_RESTART_MARGIN):
            return False
        self.stats.add("clock_corrected")
        level = logging.DEBUG if self._clock_warned else logging.WARNING
        self._clock_warned = True
        LOGGER.log(
            level,
            "%s: the newest position is stamped %s, ahead of Home Assistant's clock"
            " (%s): the clock was wrong then; the track starts afresh from now",
            self.config_entry.title,
            newest.isoformat() if newest else None,
            now.isoformat(),
        )
        return True

    def _is_silent(self, now: datetime) -> bool:
        last = self.engine.last_fix
        return last is None or now - last >= timedelta(
            seconds=self.settings.silence_timeout_s
        )

    def _car_data(self, snapshot: Snapshot | None = None) -> CarData:
        return CarData(
            snapshot=snapshot or self.engine.snapshot,
            silent=self._is_silent(dt_util.utcnow()),
            available=self.source_available,
            driver=self.drivers.active,
            found_by=self.drivers.found_by,
            in_car=self.in_car,
        )

    async def _async_update_data(self) -> CarData:
        """Recompute what the entities show (``homeassistant.update_entity``)."""
        return self._car_data()

    @callback
    def _changed(self, transitions: list[Transition]) -> None:
        """Save, update the entities, then announce the transitions.

        A change of phase is written at once (a crash right after an arrival must not
        lose it); positions alone are batched (:data:`SAVE_DELAY`).
        """
        snapshot = self.engine.snapshot  # built once per change: the hot path
        # The driver first: what is saved and announced has the driver of this change.
        active = self.drivers.update(snapshot, dt_util.utcnow())
        phase = self.engine.phase
        if transitions or phase is not self._saved_phase:
            self._saved_phase = phase
            _ = self.config_entry.async_create_background_task(
                self.hass,
                self._store.async_save(self._to_store()),
                f"{DOMAIN} save {self.config_entry.entry_id}",
            )
        else:
            self._save_soon()
        self.async_set_updated_data(self._car_data(snapshot))
        self._follow_time(self.data.silent)
        for transition in transitions:
            announced = CarTransition.of(transition, active, self.drivers.found_by)
            for listener in list(self._transition_listeners):
                listener(announced)

    @callback
    def _follow_time(self, silent: bool) -> None:
        """Be ticked by the home's clock while time alone can change the car.

        It can while the car is not silent (it may go silent, and a newest position
        ahead of the clock may need correcting) or approaches (a stop or silence may end
        the approach). A silent car that does not approach rests until its next report:
        parked cars cost no time.
        """
        needed = not silent or self.engine.waits_on_time
        if needed and self._stop_ticks is None:
            self._stop_ticks = self.hass.data[TICKER].async_add(self._async_tick)
        elif not needed:
            self._rest()

    @callback
    def _rest(self) -> None:
        """Stop being ticked (if the car was)."""
        if self._stop_ticks is not None:
            self._stop_ticks()
            self._stop_ticks = None

    @callback
    def _save_soon(self) -> None:
        """Write the state :data:`SAVE_DELAY` seconds after the first change since.

        ``Store.async_delay_save`` postpones its write with every call, so, called for
        every position, it would not write while positions come faster than that (a
        crash would lose the drive) and would re-arm a timer per position. Called once
        per :data:`SAVE_DELAY`, it writes the newest state (``_to_store`` is read then),
        and Home Assistant's final write still covers a stop.
        """
        now = dt_util.utcnow()
        if self._save_due is None or now >= self._save_due:
            # A second past the write: a position at the very moment it is due must
            # not call again first, which would postpone it once more.
            self._save_due = now + timedelta(seconds=SAVE_DELAY + 1)
            self._store.async_delay_save(self._to_store, SAVE_DELAY)

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
        """Announce a transition on the bus (device triggers, logbook, automations)."""
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
                **transition_data(transition),
            },
        )

    def _to_store(self) -> dict[str, Any]:
        """Return what is saved: the detector's state and the active driver.

        ``driver`` is ``None`` or :meth:`~.drivers.DriverTracker.as_stored` (versioned on
        its own; older versions of Homecoming read only ``engine``).
        """
        return {"engine": self.engine.as_dict(), "driver": self.drivers.as_stored()}

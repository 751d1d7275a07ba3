"""Routines: get the home ready when the car comes home, set it back when it leaves.

A :class:`RoutineRunner` per car reacts to the car's transitions (never to a restored state:
the coordinator announces no transition on restore or start-up) and to its updates while
it approaches (for pre-heat timing). Every target is handled on its own: a missing or failing
entity is reported and skipped, the others go on. Targets are shared between cars through a
guard, so two cars arriving together switch a light on and start the heating once.
See ``docs/routines.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.climate.const import (
    ATTR_CURRENT_TEMPERATURE,
    ATTR_HVAC_MODE,
    ATTR_HVAC_MODES,
    ATTR_PRESET_MODE,
    ATTR_PRESET_MODES,
    ATTR_TARGET_TEMP_HIGH,
    ATTR_TARGET_TEMP_LOW,
    PRESET_AWAY,
    HVACMode,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_HOME,
    STATE_ON,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
    split_entity_id,
    valid_entity_id,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_state_change_event
from homeassistant.helpers.storage import Store
from homeassistant.helpers.sun import is_up
from homeassistant.util import dt as dt_util

from ..const import (
    CONDITION_ALWAYS,
    CONDITION_ILLUMINANCE,
    DEPARTURE_AWAY_PRESET,
    DEPARTURE_SETTLE,
    DOMAIN,
    EVENT_ROUTINE,
    HVAC_KEEP,
    LOGGER,
    NOTIFY_CLIMATE,
    ROUTINE_ARRIVAL,
    ROUTINE_DEPARTURE,
    TIMING_FIXED,
    WHEN_APPROACH_STARTED,
)
from ..coordinator import HomecomingCoordinator
from ..engine import ClimateMode, EventType, Phase, Transition, should_start
from ..engine.heating_rate import COOLING, HEATING
from ..engine.values import read_number
from ..logbook import car_name
from .actuator import Actuator
from .garage import PART as GARAGE_PART, GarageDoors
from .notify import (
    ATTR_ACTION,
    EVENT_MOBILE_APP_ACTION,
    PART as NOTIFY_PART,
    TRIP_EVENTS,
    Notifier,
    minutes_until,
    skip_action,
)
from .options import RoutineOptions
from .rates import RATE_LEARNED, RATE_SET, RateLearner

CLIMATE_DOMAIN: Final = "climate"
SWITCHABLE_DOMAINS: Final = frozenset({"light", "switch"})
"""Domains with an on/off state: left alone when already on, turned off on departure."""
HEAT_COOL_SPREAD: Final = 1.0
"""For heat_cool, the comfort target becomes target ± this as the low / high setpoints."""


@dataclass(slots=True)
class _Changed:
    """What Homecoming set on a thermostat, and what was there before."""

    hvac_mode: str
    setpoints: dict[str, float]
    previous_hvac_mode: str
    previous_setpoints: dict[str, float]

    @classmethod
    def from_dict(cls, data: Any) -> _Changed:
        """Read :func:`dataclasses.asdict` output; ``ValueError`` if malformed."""
        try:
            return cls(
                hvac_mode=_text_value(data["hvac_mode"]),
                setpoints=_temperatures(data["setpoints"]),
                previous_hvac_mode=_text_value(data["previous_hvac_mode"]),
                previous_setpoints=_temperatures(data["previous_setpoints"]),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(repr(err)) from err


ROUTINE_STORAGE_VERSION: Final = 1


def routine_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue of a car whose routine record was unusable."""
    return f"routine_record_unusable_{entry_id}"


def routine_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the storage file of a car's routine record (what they changed, when)."""
    return Store(hass, ROUTINE_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.routines")


def _text_value(value: Any) -> str:
    if not isinstance(value, str) or not value:
        msg = f"not a text: {value!r}"
        raise ValueError(msg)
    return value


def _temperatures(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        msg = f"not setpoints: {value!r}"
        raise ValueError(msg)  # noqa: TRY004 - every malformed record is alike
    result: dict[str, float] = {}
    for key, number in value.items():
        if key not in (ATTR_TEMPERATURE, ATTR_TARGET_TEMP_LOW, ATTR_TARGET_TEMP_HIGH):
            msg = f"not a setpoint: {key!r}"
            raise ValueError(msg)
        temperature = _number(number)
        if temperature is None:
            msg = f"not a temperature: {number!r}"
            raise ValueError(msg)
        result[key] = temperature
    return result


def _climate_mode(hvac_mode: str) -> ClimateMode:
    if hvac_mode == HVACMode.HEAT:
        return ClimateMode.HEAT
    if hvac_mode == HVACMode.COOL:
        return ClimateMode.COOL
    return ClimateMode.AUTO


def _rate_source(sources: Iterable[str]) -> str | None:
    """Return which rate timed a pre-heat check: ``learned``, ``set`` or ``mixed``.

    ``mixed`` when some thermostats were timed by their learned rate and others by
    the set rate; ``None`` when no rate timed it (fixed timing, no reading).
    """
    found = set(sources)
    if not found:
        return None
    return found.pop() if len(found) == 1 else "mixed"


def _setpoints(attributes: Mapping[str, Any]) -> dict[str, float]:
    """Return the target temperature(s) a thermostat has now."""
    return {
        key: float(attributes[key])
        for key in (ATTR_TEMPERATURE, ATTR_TARGET_TEMP_LOW, ATTR_TARGET_TEMP_HIGH)
        if isinstance(attributes.get(key), (int, float))
    }


def _entity_id(value: Any) -> str:
    if not isinstance(value, str) or not valid_entity_id(value):
        msg = f"not an entity id: {value!r}"
        raise ValueError(msg)
    return value


def _moment(value: Any) -> datetime:
    moment = dt_util.parse_datetime(value) if isinstance(value, str) else None
    if moment is None or moment.utcoffset() is None:
        msg = f"not a time: {value!r}"
        raise ValueError(msg)
    return moment


def _number(value: Any) -> float | None:
    """Read a state or attribute as a number; ``None`` for anything else."""
    try:
        return read_number(value)
    except ValueError:
        return None


_PARTS: Final[dict[EventType, tuple[str, ...]]] = {
    EventType.APPROACH_STARTED: ("lights", "climate", NOTIFY_PART),
    EventType.APPROACH_CANCELLED: (GARAGE_PART, NOTIFY_PART),
    EventType.ARRIVING: ("lights", "climate", GARAGE_PART, NOTIFY_PART),
    EventType.ARRIVED: ("lights", "climate", GARAGE_PART, NOTIFY_PART),
    EventType.DEPARTED: ("departure", GARAGE_PART, NOTIFY_PART),
}
"""The routine parts each transition asks."""

TRIP_ENDS: Final = frozenset(
    {EventType.ARRIVED, EventType.APPROACH_CANCELLED, EventType.DEPARTED}
)
"""Transitions that end a trip (and a "Skip this time")."""


class RoutineRunner:
    """Runs one car's routines."""

    def __init__(self, hass: HomeAssistant, coordinator: HomecomingCoordinator) -> None:
        """Prepare the routines of ``coordinator``'s car."""
        self.hass = hass
        self.coordinator = coordinator
        self.entry = coordinator.config_entry
        self.options = RoutineOptions.from_options(
            self.entry.options, hass.config.units.temperature_unit
        )
        self.enabled = True
        self.snoozed_until: datetime | None = None
        self._last_run: dict[str, datetime] = {}
        self._changed: dict[str, _Changed] = {}
        self._comfort_done: set[str] = set()
        self._lights_done = False
        self._following = False
        """An approach announced by a transition is under way (none after a restore)."""
        self._store = routine_store(hass, self.entry.entry_id)
        self.actuator = Actuator(hass, self.entry, lambda: self.options.cooldown)
        self.notifier = Notifier(
            hass,
            self.entry,
            self.actuator,
            lambda: self.options.notifications,
            self._car_name,
        )
        self.garage = GarageDoors(
            hass,
            coordinator,
            self.actuator,
            self.notifier,
            lambda: self.options.garage_door,
            self._nobody_home,
        )
        self.skipped_trip = False
        """The routines are held until the trip ends ("Skip this time" was pressed)."""
        self.rates = RateLearner(
            hass,
            self.entry,
            self.options.climate.targets,
            self.options.climate.indoor_sensor,
        )
        """The heating and cooling rates learned from the thermostats' history."""
        self._settling: CALLBACK_TYPE | None = None
        """Stops waiting for the household after a departure (while it waits)."""

    async def async_load(self) -> None:
        """Read back what the routines changed before a restart, and when they ran.

        A cancel after a restart then restores exactly as without the restart. An
        unusable record is forgotten with a warning.
        """
        try:
            data = await self._store.async_load()
            if data is None:
                return
            changed = {
                _entity_id(entity_id): _Changed.from_dict(change)
                for entity_id, change in data["changed"].items()
            }
            comfort_done = {_entity_id(entity_id) for entity_id in data["comfort_done"]}
            lights_done = data["lights_done"]
            if not isinstance(lights_done, bool):
                raise TypeError(lights_done)  # noqa: TRY301 - one refusal below
            last_run = {
                routine: _moment(moment)
                for routine, moment in data["last_run"].items()
                if routine in (ROUTINE_ARRIVAL, ROUTINE_DEPARTURE)
            }
            skipped_trip = data.get("skipped_trip", False)
            if not isinstance(skipped_trip, bool):
                raise TypeError(skipped_trip)  # noqa: TRY301 - one refusal below
            self.garage.load_record(data.get("garage_door"), _moment, _entity_id)
        except (
            HomeAssistantError,
            NotImplementedError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
        ) as err:
            # Malformed, or written by a newer version: the routines start with a
            # clean slate (nothing to put back on a cancel), never a set-up error.
            LOGGER.warning(
                "%s: the routines' saved record could not be read (%s); forgetting it",
                self.entry.title,
                type(err).__name__ if isinstance(err, HomeAssistantError) else err,
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                routine_issue_id(self.entry.entry_id),
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="routine_record_unusable",
                translation_placeholders={"name": self.entry.title},
            )
            return
        ir.async_delete_issue(self.hass, DOMAIN, routine_issue_id(self.entry.entry_id))
        self._changed = changed
        self._comfort_done = comfort_done
        self._lights_done = lights_done
        self._last_run = last_run
        self.skipped_trip = skipped_trip

    @callback
    def _save(self) -> None:
        """Write the record now (it changes only when a routine acts)."""
        record = {
            "changed": {
                entity_id: asdict(change) for entity_id, change in self._changed.items()
            },
            "comfort_done": sorted(self._comfort_done),
            "lights_done": self._lights_done,
            "last_run": {
                routine: moment.isoformat()
                for routine, moment in self._last_run.items()
            },
            "skipped_trip": self.skipped_trip,
            "garage_door": self.garage.as_record(),
        }
        _ = self.entry.async_create_background_task(
            self.hass,
            self._store.async_save(record),
            f"{DOMAIN} routines save {self.entry.entry_id}",
        )

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the car; returns the function that stops it."""
        remove_transitions = self.coordinator.async_add_transition_listener(
            self._async_transition
        )
        remove_updates = self.coordinator.async_add_listener(self._async_update)
        remove_skips = self.hass.bus.async_listen(
            EVENT_MOBILE_APP_ACTION,
            self._async_skip_pressed,
            event_filter=self._is_our_skip,
        )
        remove_doors = (
            async_track_state_change_event(
                self.hass, self.options.garage_door.targets, self._async_door_changed
            )
            if self.options.garage_door.targets
            else None
        )
        remove_rates = self.rates.async_start()

        @callback
        def _stop() -> None:
            remove_transitions()
            remove_updates()
            remove_skips()
            remove_rates()
            if remove_doors is not None:
                remove_doors()
            self._stop_settling()

        return _stop

    # ------------------------------------------------------------ control

    @property
    def active(self) -> bool:
        """Whether routines run on their own now (switched on, not snoozed or skipped)."""
        if not self.enabled or self.skipped_trip:
            return False
        return self.snoozed_until is None or dt_util.utcnow() >= self.snoozed_until

    @callback
    def _is_our_skip(self, data: Mapping[str, Any]) -> bool:
        return data.get(ATTR_ACTION) == skip_action(self.entry.entry_id)

    @callback
    def _async_skip_pressed(self, event: Event[Mapping[str, Any]]) -> None:
        """Hold the routines for this trip: "Skip this time" was pressed on a phone."""
        phase = self.coordinator.data.snapshot.phase
        if phase not in (Phase.APPROACHING, Phase.ARRIVING):
            LOGGER.debug(
                "%s: skip pressed while %s; no trip to skip", self.entry.title, phase
            )
            return
        if self.skipped_trip:
            return
        LOGGER.info("%s: routines skipped for this trip", self.entry.title)
        self.skipped_trip = True
        self._log(ROUTINE_ARRIVAL, None, [], skipped="skip_this_time")
        self.coordinator.async_update_listeners()

    @callback
    def _async_door_changed(self, event: Event[EventStateChangedData]) -> None:
        if self.garage.async_door_changed(event):
            self._save()

    @callback
    def async_snooze(self, duration: timedelta) -> None:
        """Hold the routines for ``duration`` (zero ends a snooze)."""
        self.snoozed_until = (
            dt_util.utcnow() + duration if duration > timedelta(0) else None
        )
        self.coordinator.async_update_listeners()

    async def async_run(self, routine: str) -> None:
        """Run a routine now, ignoring conditions, cooldown and snooze.

        Raises a translated :class:`HomeAssistantError` when nothing could be done: some
        target failed or is missing, and no target that exists went right.
        """
        self.actuator.reset()
        if routine == ROUTINE_DEPARTURE:
            actions = await self._async_departure(forced=True)
        else:
            actions = await self._async_lights(forced=True)
            actions += await self._async_comfort(
                self.options.climate.targets, forced=True
            )
            self._log(ROUTINE_ARRIVAL, None, actions)
        if self.actuator.failed and self.actuator.present <= self.actuator.failed:
            # Every target that exists failed (or none exists): nothing was done.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="routine_failed",
                translation_placeholders={
                    "car": self.entry.title,
                    "routine": routine,
                    "failed": str(len(self.actuator.failed)),
                },
            )

    # ------------------------------------------------------------ reactions

    @callback
    def _async_transition(self, transition: Transition) -> None:
        """React to a transition of the car (never called on restore)."""
        event = transition.event
        if self._settling is not None:
            # The car is back before the household settled: nothing to set back.
            self._stop_settling()
            self.actuator.decide("departure", event, "came_back")
        if event is EventType.APPROACH_STARTED:
            self._lights_done = False
            self._comfort_done.clear()
            self._changed.clear()
            self._save()
        # Updates check the pre-heat only inside an approach announced by a transition:
        # the update that starts one comes before its transition (which does the first
        # check, with the trigger for the logbook), and a restored one is decided at
        # arriving.
        self._following = event in (EventType.APPROACH_STARTED, EventType.ARRIVING)
        if not self.active:
            reason = "switched_off" if not self.enabled else "snoozed"
            for part in _PARTS.get(event, ()):
                self.actuator.decide(part, event, reason)
            self.garage.held(event)
            if event is EventType.ARRIVED:
                # The trip is over, held or not: the next one starts afresh.
                self._changed.clear()
                self._lights_done = False
                self._comfort_done.clear()
            if self.skipped_trip and event in TRIP_ENDS:
                # The skipped trip is over: the next one runs the routines again.
                self.skipped_trip = False
                self.coordinator.async_update_listeners()
            self._save()
            if event is EventType.APPROACH_CANCELLED:
                # Held or not, what this trip already did is undone: a garage door
                # opened at arriving must not stay open after a drive-by.
                _ = self.entry.async_create_task(
                    self.hass, self._async_undo(transition), f"{DOMAIN} undo"
                )
            return
        _ = self.entry.async_create_task(
            self.hass, self._async_react(transition), f"{DOMAIN} routine {event}"
        )

    async def _async_undo(self, transition: Transition) -> None:
        """Undo what this trip did (a cancelled approach while the routines are held)."""
        actions = await self._async_restore()
        actions += await self.garage.async_close_cancelled()
        self._log(ROUTINE_ARRIVAL, transition, actions)

    async def _async_react(self, transition: Transition) -> None:
        event = transition.event
        actions: list[dict[str, Any]] = []
        await self._async_notify_transition(transition)
        actions += await self.garage.async_transition(event)
        lights = self.options.lights
        lights_now = (
            event is EventType.APPROACH_STARTED and lights.when == WHEN_APPROACH_STARTED
        ) or event in (EventType.ARRIVING, EventType.ARRIVED)
        if lights_now and not self._lights_done:
            if self._cooled(ROUTINE_ARRIVAL):
                self._lights_done = True
                actions += await self._async_lights(forced=False, trigger=event)
            else:
                self.actuator.decide("lights", event, "cooldown")
        if event is EventType.APPROACH_STARTED:
            actions += await self._async_preheat()
        elif event in (EventType.ARRIVING, EventType.ARRIVED):
            pending = [
                t for t in self.options.climate.targets if t not in self._comfort_done
            ]
            actions += await self._async_comfort(pending, forced=False)
        if event is EventType.ARRIVED:
            # The trip is over: the next arrival (with or without an approach) starts
            # afresh; the cooldown and the guard keep it from repeating too soon.
            self._changed.clear()
            self._lights_done = False
            self._comfort_done.clear()
            self._last_run[ROUTINE_ARRIVAL] = dt_util.utcnow()
        elif event is EventType.APPROACH_CANCELLED:
            actions += await self._async_restore()
        elif event is EventType.DEPARTED:
            if actions:
                self._log(ROUTINE_ARRIVAL, transition, actions)
            self._async_departed()
            return
        self._log(ROUTINE_ARRIVAL, transition, actions)

    async def _async_notify_transition(self, transition: Transition) -> None:
        """Notify a transition the user ticked: "Family car is on its way home…"."""
        event = transition.event
        driver = self.coordinator.data.driver
        placeholders: dict[str, str] = {}
        if driver is not None:
            placeholders["car"] = f"{self._car_name()} ({driver.name})"
        key = event.value
        eta = transition.eta
        if event in TRIP_EVENTS and eta is not None:
            now = dt_util.utcnow()
            placeholders["minutes"] = str(minutes_until(eta, now))
            placeholders["time"] = Notifier.clock(max(eta, now))
            key = f"{key}_eta"
        await self.notifier.async_send(event.value, key, placeholders, trigger=event)

    @callback
    def _async_update(self) -> None:
        """Check on every update while approaching whether the heating must start."""
        if self.garage.auto_close_pending and self.active:
            _ = self.entry.async_create_task(
                self.hass, self._async_auto_close(), f"{DOMAIN} garage auto-close"
            )
        data = self.coordinator.data
        if (
            not self.active
            or not self._following
            or data.snapshot.phase not in (Phase.APPROACHING, Phase.ARRIVING)
            or not self.options.climate.targets
            or all(
                target in self._comfort_done for target in self.options.climate.targets
            )
        ):
            return
        _ = self.entry.async_create_task(
            self.hass, self._async_preheat_logged(), f"{DOMAIN} pre-heat check"
        )

    async def _async_auto_close(self) -> None:
        if actions := await self.garage.async_check_distance():
            self._log(ROUTINE_DEPARTURE, None, actions)

    async def _async_preheat_logged(self) -> None:
        if actions := await self._async_preheat():
            self._log(ROUTINE_ARRIVAL, None, actions)

    # ------------------------------------------------------------ lights

    def _light_condition(self) -> bool:
        lights = self.options.lights
        if lights.condition == CONDITION_ALWAYS:
            return True
        if lights.condition == CONDITION_ILLUMINANCE and lights.illuminance_sensor:
            state = self.hass.states.get(lights.illuminance_sensor)
            value = _number(state.state) if state else None
            if value is not None:
                return value < lights.illuminance_below
            LOGGER.debug("%s: no illuminance reading; using the sun", self.entry.title)
        return not is_up(self.hass)

    async def _async_lights(
        self, *, forced: bool, trigger: EventType | None = None
    ) -> list[dict[str, Any]]:
        lights = self.options.lights
        targets = list(lights.targets)
        driver = self.coordinator.data.driver
        scene = driver.scene if driver is not None else None
        if scene:
            targets.append(scene)
        if not targets:
            self.actuator.decide("lights", trigger, "no_targets")
            return []
        if not (forced or self._light_condition()):
            self.actuator.decide("lights", trigger, "condition")
            return []
        actions: list[dict[str, Any]] = []
        for entity_id in targets:
            state = self.actuator.state(entity_id)
            if state is None:
                # A driver's scene is the driver's setting, not the routine's: the
                # routine's repair could not remove it, so it is only logged.
                self.actuator.report_missing(entity_id, fixable=entity_id != scene)
                continue
            self.actuator.clear_missing(entity_id)
            domain = split_entity_id(entity_id)[0]
            if domain in SWITCHABLE_DOMAINS and state.state == STATE_ON:
                continue
            if not forced and self.actuator.guarded(entity_id, SERVICE_TURN_ON):
                continue
            if await self.actuator.async_call(
                domain, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id}
            ):
                self.actuator.guard(entity_id, SERVICE_TURN_ON)
                actions.append({"action": "turn_on", "entity_id": entity_id})
        self.actuator.decide(
            "lights",
            trigger,
            "manual" if forced else ("done" if actions else "nothing_to_do"),
            len(actions),
        )
        return actions

    # ------------------------------------------------------------ climate

    def _comfort_target(self) -> float:
        driver = self.coordinator.data.driver
        if driver is not None and driver.temperature is not None:
            return driver.temperature
        return self.options.climate.target_temperature

    def _indoor(self, entity_id: str) -> float | None:
        sensor = self.options.climate.indoor_sensor
        if sensor and (state := self.hass.states.get(sensor)) is not None:
            if (value := _number(state.state)) is not None:
                return value
        state = self.hass.states.get(entity_id)
        return (
            _number(state.attributes.get(ATTR_CURRENT_TEMPERATURE)) if state else None
        )

    async def _async_preheat(self) -> list[dict[str, Any]]:
        """Start each thermostat whose lead before the ETA has come."""
        climate = self.options.climate
        if not climate.targets:
            return []
        eta = self.coordinator.data.snapshot.eta
        if eta is None:
            self.actuator.decide("climate", None, "no_eta")
            return []
        now = dt_util.utcnow()
        due: list[str] = []
        sources: dict[str, str] = {}
        target = self._comfort_target()
        for entity_id in climate.targets:
            if entity_id in self._comfort_done:
                continue
            if climate.timing == TIMING_FIXED:
                start = now >= eta - timedelta(minutes=climate.lead)
            else:
                indoor = self._indoor(entity_id)
                if indoor is None:
                    continue  # decided at arriving at the latest
                rate, sources[entity_id] = self._rate(entity_id, indoor, target)
                start = should_start(
                    now=now,
                    eta=eta,
                    indoor=indoor,
                    target=target,
                    rate_per_hour=rate,
                    mode=_climate_mode(climate.hvac_mode),
                    max_lead=timedelta(minutes=climate.max_lead),
                )
            if start:
                due.append(entity_id)
        if not due:
            self.actuator.decide(
                "climate", None, "not_yet", rate_source=_rate_source(sources.values())
            )
            return []
        return await self._async_comfort(due, forced=False, rate_sources=sources)

    def _rate(self, entity_id: str, indoor: float, target: float) -> tuple[float, str]:
        """Return the rate that times a thermostat's pre-heat, and where it came from.

        With the option ``learned_rate``: the thermostat's learned heating rate when it
        must heat (the target above the room), its cooling rate when it must cool, once
        learned; else (and until then) the set rate.
        """
        climate = self.options.climate
        if climate.learned_rate:
            # At the target nothing starts, whichever rate.
            action = HEATING if target > indoor else COOLING
            if (learned := self.rates.rate(entity_id, action)) is not None:
                return learned, RATE_LEARNED
        return climate.rate, RATE_SET

    async def _async_comfort(
        self,
        targets: Iterable[str],
        *,
        forced: bool,
        rate_sources: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Set the comfort target (and mode) on thermostats, each on its own.

        ``rate_sources``: for a pre-heat timed by a rate, which rate timed each
        thermostat (``learned`` or ``set``), told in its action and the decision.
        """
        targets = list(targets)
        sources = rate_sources or {}
        climate = self.options.climate
        temperature = self._comfort_target()
        actions: list[dict[str, Any]] = []
        for entity_id in targets:
            self._comfort_done.add(entity_id)
            state = self.actuator.state(entity_id)
            if state is None:
                self.actuator.report_missing(entity_id)
                continue
            self.actuator.clear_missing(entity_id)
            if (
                climate.hvac_mode == HVAC_KEEP
                or climate.hvac_mode not in state.attributes.get(ATTR_HVAC_MODES, ())
            ):
                mode = state.state
            else:
                mode = climate.hvac_mode
            if mode == HVACMode.HEAT_COOL:
                wanted = {
                    ATTR_TARGET_TEMP_LOW: temperature - HEAT_COOL_SPREAD,
                    ATTR_TARGET_TEMP_HIGH: temperature + HEAT_COOL_SPREAD,
                }
            else:
                wanted = {ATTR_TEMPERATURE: temperature}
            before = _setpoints(state.attributes)
            if state.state == mode and all(
                before.get(k) == v for k, v in wanted.items()
            ):
                continue  # already there (another car, or the user)
            if not forced and self.actuator.guarded(entity_id, "comfort"):
                continue
            ok = True
            if mode != state.state:
                ok = await self.actuator.async_call(
                    CLIMATE_DOMAIN,
                    "set_hvac_mode",
                    {ATTR_ENTITY_ID: entity_id, ATTR_HVAC_MODE: mode},
                )
            ok = ok and await self.actuator.async_call(
                CLIMATE_DOMAIN, "set_temperature", {ATTR_ENTITY_ID: entity_id, **wanted}
            )
            if not ok:
                continue
            self.actuator.guard(entity_id, "comfort")
            self._changed[entity_id] = _Changed(
                hvac_mode=mode,
                setpoints=wanted,
                previous_hvac_mode=state.state,
                previous_setpoints=before,
            )
            actions.append(
                {
                    "action": "comfort",
                    "entity_id": entity_id,
                    "temperature": temperature,
                    "hvac_mode": mode,
                    **(
                        {"rate_source": sources[entity_id]}
                        if entity_id in sources
                        else {}
                    ),
                }
            )
            if not forced:
                await self._async_notify_comfort(state, mode, temperature)
        if climate.targets:
            self.actuator.decide(
                "climate",
                None,
                "manual" if forced else ("done" if actions else "nothing_to_do"),
                len(actions),
                rate_source=_rate_source(
                    sources[entity_id] for entity_id in targets if entity_id in sources
                ),
            )
        return actions

    async def _async_restore(self) -> list[dict[str, Any]]:
        """Put back what Homecoming changed, where nobody changed it since."""
        actions: list[dict[str, Any]] = []
        changed, self._changed = self._changed, {}
        self._comfort_done.clear()
        for entity_id, change in changed.items():
            state = self.hass.states.get(entity_id)
            if state is None:
                continue
            now_setpoints = _setpoints(state.attributes)
            if state.state != change.hvac_mode or any(
                now_setpoints.get(key) != value
                for key, value in change.setpoints.items()
            ):
                LOGGER.debug(
                    "%s: %s was changed meanwhile; left alone",
                    self.entry.title,
                    entity_id,
                )
                continue
            ok = True
            if change.previous_hvac_mode != change.hvac_mode:
                ok = await self.actuator.async_call(
                    CLIMATE_DOMAIN,
                    "set_hvac_mode",
                    {
                        ATTR_ENTITY_ID: entity_id,
                        ATTR_HVAC_MODE: change.previous_hvac_mode,
                    },
                )
            if ok and change.previous_setpoints:
                ok = await self.actuator.async_call(
                    CLIMATE_DOMAIN,
                    "set_temperature",
                    {ATTR_ENTITY_ID: entity_id, **change.previous_setpoints},
                )
            if ok:
                # Undone: a new approach within the cooldown may start it again.
                self.actuator.unguard(entity_id, "comfort")
                actions.append(
                    {
                        "action": "restore",
                        "entity_id": entity_id,
                        **change.previous_setpoints,
                    }
                )
        return actions

    async def _async_notify_comfort(
        self, state: State, mode: str, temperature: float
    ) -> None:
        """Notify "Heating started in Living room (18.5 → 21 °C)"."""
        unit = self.hass.config.units.temperature_unit
        indoor = self._indoor(state.entity_id)
        target = f"{temperature:g} {unit}"
        await self.notifier.async_send(
            NOTIFY_CLIMATE,
            "cooling_started" if mode == HVACMode.COOL else "heating_started",
            {
                "room": state.name,
                "temperatures": target if indoor is None else f"{indoor:g} → {target}",
            },
        )

    # ------------------------------------------------------------ departure

    def _home_people(self) -> list[str]:
        return [
            state.entity_id
            for state in self.hass.states.async_all("person")
            if state.state == STATE_HOME
        ]

    def _nobody_home(self) -> bool:
        return not self._home_people()

    @callback
    def _async_departed(self) -> None:
        """Decide the departure routine once the household has settled.

        Run now if nobody is home; otherwise wait up to :data:`DEPARTURE_SETTLE` for
        the people who were home to leave (a phone that is both the car's source and a
        person's tracker leaves the zone about when the car departs), then run or skip.
        """
        departure = self.options.departure
        reason = (
            "disabled"
            if not departure.enabled
            else "cooldown"
            if not self._cooled(ROUTINE_DEPARTURE)
            else None
        )
        if reason is not None:
            self.actuator.decide("departure", EventType.DEPARTED, reason)
            return
        home = self._home_people()
        if not home:
            self._start_departure()
            return
        self.actuator.decide("departure", EventType.DEPARTED, "waiting")

        @callback
        def _person_changed(_event: Event[EventStateChangedData]) -> None:
            if self._nobody_home():
                self._stop_settling()
                self._start_departure()

        @callback
        def _settled(_now: datetime) -> None:
            # Every person's change was heard: somebody is still home.
            self._settling = None
            remove_people()
            self.actuator.decide("departure", EventType.DEPARTED, "someone_home")
            self._log(ROUTINE_DEPARTURE, None, [], skipped="someone_home")

        people = [state.entity_id for state in self.hass.states.async_all("person")]
        remove_people = async_track_state_change_event(
            self.hass, people, _person_changed
        )
        remove_timer = async_call_later(self.hass, DEPARTURE_SETTLE, _settled)

        @callback
        def _stop() -> None:
            remove_people()
            remove_timer()

        self._settling = _stop

    @callback
    def _stop_settling(self) -> None:
        if self._settling is not None:
            self._settling()
            self._settling = None

    @callback
    def _start_departure(self) -> None:
        _ = self.entry.async_create_task(
            self.hass, self._async_departure(forced=False), f"{DOMAIN} departure"
        )

    async def _async_departure(self, *, forced: bool) -> list[dict[str, Any]]:
        departure = self.options.departure
        self._last_run[ROUTINE_DEPARTURE] = dt_util.utcnow()
        actions: list[dict[str, Any]] = []
        for entity_id in self.options.climate.targets:
            state = self.actuator.state(entity_id)
            if state is None:
                self.actuator.report_missing(entity_id)
                continue
            if departure.mode == DEPARTURE_AWAY_PRESET and PRESET_AWAY in (
                state.attributes.get(ATTR_PRESET_MODES) or ()
            ):
                if state.attributes.get(
                    ATTR_PRESET_MODE
                ) != PRESET_AWAY and await self.actuator.async_call(
                    CLIMATE_DOMAIN,
                    "set_preset_mode",
                    {ATTR_ENTITY_ID: entity_id, ATTR_PRESET_MODE: PRESET_AWAY},
                ):
                    actions.append({"action": "away", "entity_id": entity_id})
                continue
            if _setpoints(state.attributes).get(
                ATTR_TEMPERATURE
            ) != departure.eco_temperature and await self.actuator.async_call(
                CLIMATE_DOMAIN,
                "set_temperature",
                {
                    ATTR_ENTITY_ID: entity_id,
                    ATTR_TEMPERATURE: departure.eco_temperature,
                },
            ):
                actions.append(
                    {
                        "action": "eco",
                        "entity_id": entity_id,
                        "temperature": departure.eco_temperature,
                    }
                )
        if departure.lights_off:
            for entity_id in self.options.lights.targets:
                state = self.actuator.state(entity_id)
                if (
                    state is None
                    or split_entity_id(entity_id)[0] not in SWITCHABLE_DOMAINS
                ):
                    continue
                if state.state == STATE_ON and await self.actuator.async_call(
                    split_entity_id(entity_id)[0],
                    SERVICE_TURN_OFF,
                    {ATTR_ENTITY_ID: entity_id},
                ):
                    actions.append({"action": "turn_off", "entity_id": entity_id})
        self.actuator.decide(
            "departure",
            None if forced else EventType.DEPARTED,
            "manual" if forced else ("done" if actions else "nothing_to_do"),
            len(actions),
        )
        self._log(ROUTINE_DEPARTURE, None, actions)
        return actions

    # ------------------------------------------------------------ plumbing

    def _cooled(self, routine: str) -> bool:
        last = self._last_run.get(routine)
        return last is None or dt_util.utcnow() - last >= self.options.cooldown

    def _car_name(self) -> str:
        """Return the car's name as the logbook gives it (the user's device name)."""
        return car_name(
            self.hass,
            {"entry_id": self.entry.entry_id, "device_id": self.coordinator.device_id},
        )

    def _log(
        self,
        routine: str,
        transition: Transition | None,
        actions: list[dict[str, Any]],
        *,
        skipped: str | None = None,
    ) -> None:
        """Save the record; tell the logbook what a routine did, or why it did not.

        Nothing is logged when nothing was done, unless ``skipped`` says why a
        routine the user expects (the departure set-back) did not run.
        """
        self._save()
        if not actions and skipped is None:
            return
        self.hass.bus.async_fire(
            EVENT_ROUTINE,
            {
                "entry_id": self.entry.entry_id,
                "device_id": self.coordinator.device_id,
                "routine": routine,
                "trigger": transition.event.value if transition else None,
                "actions": actions,
                **({"skipped": skipped} if skipped else {}),
            },
        )

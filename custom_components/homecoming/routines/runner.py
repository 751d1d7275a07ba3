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
    HomeAssistant,
    State,
    callback,
    split_entity_id,
    valid_entity_id,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.sun import is_up
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..const import (
    CONDITION_ALWAYS,
    CONDITION_ILLUMINANCE,
    DEPARTURE_AWAY_PRESET,
    DOMAIN,
    EVENT_ROUTINE,
    HVAC_KEEP,
    LOGGER,
    ROUTINE_ARRIVAL,
    ROUTINE_DEPARTURE,
    TIMING_FIXED,
    WHEN_APPROACH_STARTED,
)
from ..coordinator import HomecomingCoordinator
from ..engine import ClimateMode, EventType, Phase, Transition, should_start
from ..engine.values import read_number
from .options import RoutineOptions

CLIMATE_DOMAIN: Final = "climate"
SWITCHABLE_DOMAINS: Final = frozenset({"light", "switch"})
"""Domains with an on/off state: left alone when already on, turned off on departure."""
HEAT_COOL_SPREAD: Final = 1.0
"""For heat_cool, the comfort target becomes target ± this as the low / high setpoints."""

TARGET_GUARD: HassKey[dict[tuple[str, str], datetime]] = HassKey(
    f"{DOMAIN}_target_guard"
)
"""When each target was last acted on, and how, by any car: two cars, one action."""


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What a routine part last decided, and why (shown in diagnostics)."""

    at: datetime
    trigger: str | None
    """The transition that asked (``None``: a time check or a manual run)."""
    outcome: str
    """``ran`` or ``skipped``."""
    reason: str
    """Why: ``done`` (something was changed), ``nothing_to_do``, ``switched_off``,
    ``snoozed``, ``cooldown``, ``condition`` (daylight / bright enough), ``no_targets``,
    ``disabled``, ``someone_home``, ``no_eta``, ``not_yet``, ``manual``."""
    actions: int = 0


_PARTS: Final[dict[EventType, tuple[str, ...]]] = {
    EventType.APPROACH_STARTED: ("lights", "climate"),
    EventType.ARRIVING: ("lights", "climate"),
    EventType.ARRIVED: ("lights", "climate"),
    EventType.DEPARTED: ("departure",),
}
"""The routine parts each transition asks."""


class RoutineRunner:
    """Runs one car's routines."""

    def __init__(self, hass: HomeAssistant, coordinator: HomecomingCoordinator) -> None:
        """Prepare the routines of ``coordinator``'s car."""
        self.hass = hass
        self.coordinator = coordinator
        self.entry = coordinator.config_entry
        self.options = RoutineOptions.from_options(self.entry.options)
        self.enabled = True
        self.snoozed_until: datetime | None = None
        self._last_run: dict[str, datetime] = {}
        self._changed: dict[str, _Changed] = {}
        self._comfort_done: set[str] = set()
        self._lights_done = False
        self._following = False
        """An approach announced by a transition is under way (none after a restore)."""
        self._reported_missing: set[str] = set()
        self._present: set[str] = set()
        self._failed: set[str] = set()
        """Targets that existed, and that failed or were missing, since the last manual
        run began."""
        self._store = routine_store(hass, self.entry.entry_id)
        self.decisions: dict[str, Decision] = {}
        """The last decision of each part (``lights``, ``climate``, ``departure``)."""

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

        @callback
        def _stop() -> None:
            remove_transitions()
            remove_updates()

        return _stop

    # ------------------------------------------------------------ control

    @property
    def active(self) -> bool:
        """Whether routines run on their own now (switched on and not snoozed)."""
        if not self.enabled:
            return False
        return self.snoozed_until is None or dt_util.utcnow() >= self.snoozed_until

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
        self._present.clear()
        self._failed.clear()
        if routine == ROUTINE_DEPARTURE:
            actions = await self._async_departure(forced=True)
        else:
            actions = await self._async_lights(forced=True)
            actions += await self._async_comfort(
                self.options.climate.targets, forced=True
            )
            self._log(ROUTINE_ARRIVAL, None, actions)
        if self._failed and self._present <= self._failed:
            # Every target that exists failed (or none exists): nothing was done.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="routine_failed",
                translation_placeholders={
                    "car": self.entry.title,
                    "routine": routine,
                    "failed": str(len(self._failed)),
                },
            )

    # ------------------------------------------------------------ reactions

    @callback
    def _async_transition(self, transition: Transition) -> None:
        """React to a transition of the car (never called on restore)."""
        event = transition.event
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
                self._decide(part, event, reason)
            return
        _ = self.entry.async_create_task(
            self.hass, self._async_react(transition), f"{DOMAIN} routine {event}"
        )

    async def _async_react(self, transition: Transition) -> None:
        event = transition.event
        actions: list[dict[str, Any]] = []
        lights = self.options.lights
        lights_now = (
            event is EventType.APPROACH_STARTED and lights.when == WHEN_APPROACH_STARTED
        ) or event in (EventType.ARRIVING, EventType.ARRIVED)
        if lights_now and not self._lights_done:
            if self._cooled(ROUTINE_ARRIVAL):
                self._lights_done = True
                actions += await self._async_lights(forced=False, trigger=event)
            else:
                self._decide("lights", event, "cooldown")
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
            _ = await self._async_departure(forced=False)
            return
        self._log(ROUTINE_ARRIVAL, transition, actions)

    @callback
    def _async_update(self) -> None:
        """Check on every update while approaching whether the heating must start."""
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
            self._decide("lights", trigger, "no_targets")
            return []
        if not (forced or self._light_condition()):
            self._decide("lights", trigger, "condition")
            return []
        actions: list[dict[str, Any]] = []
        for entity_id in targets:
            state = self._target_state(entity_id)
            if state is None:
                # A driver's scene is the driver's setting, not the routine's: the
                # routine's repair could not remove it, so it is only logged.
                self._report_missing(entity_id, fixable=entity_id != scene)
                continue
            self._clear_missing(entity_id)
            domain = split_entity_id(entity_id)[0]
            if domain in SWITCHABLE_DOMAINS and state.state == STATE_ON:
                continue
            if not forced and self._guarded(entity_id, SERVICE_TURN_ON):
                continue
            if await self._async_call(
                domain, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id}
            ):
                self._guard(entity_id, SERVICE_TURN_ON)
                actions.append({"action": "turn_on", "entity_id": entity_id})
        self._decide(
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
            self._decide("climate", None, "no_eta")
            return []
        now = dt_util.utcnow()
        due: list[str] = []
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
                start = should_start(
                    now=now,
                    eta=eta,
                    indoor=indoor,
                    target=target,
                    rate_per_hour=climate.rate,
                    mode=_climate_mode(climate.hvac_mode),
                    max_lead=timedelta(minutes=climate.max_lead),
                )
            if start:
                due.append(entity_id)
        if not due:
            self._decide("climate", None, "not_yet")
            return []
        return await self._async_comfort(due, forced=False)

    async def _async_comfort(
        self, targets: Iterable[str], *, forced: bool
    ) -> list[dict[str, Any]]:
        """Set the comfort target (and mode) on thermostats, each on its own."""
        climate = self.options.climate
        temperature = self._comfort_target()
        actions: list[dict[str, Any]] = []
        for entity_id in targets:
            self._comfort_done.add(entity_id)
            state = self._target_state(entity_id)
            if state is None:
                self._report_missing(entity_id)
                continue
            self._clear_missing(entity_id)
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
            if not forced and self._guarded(entity_id, "comfort"):
                continue
            ok = True
            if mode != state.state:
                ok = await self._async_call(
                    CLIMATE_DOMAIN,
                    "set_hvac_mode",
                    {ATTR_ENTITY_ID: entity_id, ATTR_HVAC_MODE: mode},
                )
            ok = ok and await self._async_call(
                CLIMATE_DOMAIN, "set_temperature", {ATTR_ENTITY_ID: entity_id, **wanted}
            )
            if not ok:
                continue
            self._guard(entity_id, "comfort")
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
                }
            )
        if climate.targets:
            self._decide(
                "climate",
                None,
                "manual" if forced else ("done" if actions else "nothing_to_do"),
                len(actions),
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
                ok = await self._async_call(
                    CLIMATE_DOMAIN,
                    "set_hvac_mode",
                    {
                        ATTR_ENTITY_ID: entity_id,
                        ATTR_HVAC_MODE: change.previous_hvac_mode,
                    },
                )
            if ok and change.previous_setpoints:
                ok = await self._async_call(
                    CLIMATE_DOMAIN,
                    "set_temperature",
                    {ATTR_ENTITY_ID: entity_id, **change.previous_setpoints},
                )
            if ok:
                # Undone: a new approach within the cooldown may start it again.
                self._unguard(entity_id, "comfort")
                actions.append(
                    {
                        "action": "restore",
                        "entity_id": entity_id,
                        **change.previous_setpoints,
                    }
                )
        return actions

    # ------------------------------------------------------------ departure

    def _nobody_home(self) -> bool:
        return not any(
            state.state == STATE_HOME for state in self.hass.states.async_all("person")
        )

    async def _async_departure(self, *, forced: bool) -> list[dict[str, Any]]:
        departure = self.options.departure
        if not forced:
            reason = (
                "disabled"
                if not departure.enabled
                else "cooldown"
                if not self._cooled(ROUTINE_DEPARTURE)
                else "someone_home"
                if not self._nobody_home()
                else None
            )
            if reason is not None:
                self._decide("departure", EventType.DEPARTED, reason)
                return []
        self._last_run[ROUTINE_DEPARTURE] = dt_util.utcnow()
        actions: list[dict[str, Any]] = []
        for entity_id in self.options.climate.targets:
            state = self._target_state(entity_id)
            if state is None:
                self._report_missing(entity_id)
                continue
            if departure.mode == DEPARTURE_AWAY_PRESET and PRESET_AWAY in (
                state.attributes.get(ATTR_PRESET_MODES) or ()
            ):
                if state.attributes.get(
                    ATTR_PRESET_MODE
                ) != PRESET_AWAY and await self._async_call(
                    CLIMATE_DOMAIN,
                    "set_preset_mode",
                    {ATTR_ENTITY_ID: entity_id, ATTR_PRESET_MODE: PRESET_AWAY},
                ):
                    actions.append({"action": "away", "entity_id": entity_id})
                continue
            if _setpoints(state.attributes).get(
                ATTR_TEMPERATURE
            ) != departure.eco_temperature and await self._async_call(
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
                state = self._target_state(entity_id)
                if (
                    state is None
                    or split_entity_id(entity_id)[0] not in SWITCHABLE_DOMAINS
                ):
                    continue
                if state.state == STATE_ON and await self._async_call(
                    split_entity_id(entity_id)[0],
                    SERVICE_TURN_OFF,
                    {ATTR_ENTITY_ID: entity_id},
                ):
                    actions.append({"action": "turn_off", "entity_id": entity_id})
        self._decide(
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

    def _guarded(self, entity_id: str, action: str) -> bool:
        last = self.hass.data.setdefault(TARGET_GUARD, {}).get((entity_id, action))
        return last is not None and dt_util.utcnow() - last < self.options.cooldown

    def _guard(self, entity_id: str, action: str) -> None:
        self.hass.data.setdefault(TARGET_GUARD, {})[(entity_id, action)] = (
            dt_util.utcnow()
        )

    def _unguard(self, entity_id: str, action: str) -> None:
        self.hass.data.setdefault(TARGET_GUARD, {}).pop((entity_id, action), None)

    async def _async_call(
        self, domain: str, service: str, data: dict[str, Any]
    ) -> bool:
        """Call one service for one target; a failure is logged and skipped."""
        try:
            await self.hass.services.async_call(domain, service, data, blocking=True)
        except Exception as err:  # noqa: BLE001 - any target's failure stays its own
            # Not only HomeAssistantError: a template entity's action that fails its
            # schema raises a validation error, an integration may raise anything.
            LOGGER.warning(
                "%s: %s.%s for %s failed: %s",
                self.entry.title,
                domain,
                service,
                data.get(ATTR_ENTITY_ID),
                err,
            )
            self._failed.add(str(data.get(ATTR_ENTITY_ID)))
            return False
        return True

    def _target_state(self, entity_id: str) -> State | None:
        """Return a routine target's state, noting that it exists."""
        state = self.hass.states.get(entity_id)
        if state is not None:
            self._present.add(entity_id)
        return state

    def _report_missing(self, entity_id: str, *, fixable: bool = True) -> None:
        self._failed.add(entity_id)
        if entity_id in self._reported_missing:
            return
        self._reported_missing.add(entity_id)
        LOGGER.warning(
            "%s: routine target %s does not exist", self.entry.title, entity_id
        )
        if not fixable:
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"missing_target_{self.entry.entry_id}_{entity_id}",
            data={"entry_id": self.entry.entry_id, "entity_id": entity_id},
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="missing_target",
            translation_placeholders={"entity": entity_id, "name": self.entry.title},
        )

    def _clear_missing(self, entity_id: str) -> None:
        if entity_id in self._reported_missing:
            self._reported_missing.discard(entity_id)
            ir.async_delete_issue(
                self.hass, DOMAIN, f"missing_target_{self.entry.entry_id}_{entity_id}"
            )

    def _decide(
        self,
        part: str,
        trigger: EventType | None,
        reason: str,
        actions: int = 0,
    ) -> None:
        """Remember (and log at debug) what a routine part decided and why."""
        outcome = "ran" if actions else "skipped"
        self.decisions[part] = Decision(
            at=dt_util.utcnow(),
            trigger=None if trigger is None else trigger.value,
            outcome=outcome,
            reason=reason,
            actions=actions,
        )
        LOGGER.debug(
            "%s: %s %s on %s (%s)",
            self.entry.title,
            part,
            outcome,
            "a check" if trigger is None else trigger.value,
            reason,
        )

    def _log(
        self, routine: str, transition: Transition | None, actions: list[dict[str, Any]]
    ) -> None:
        """Save the record; tell the logbook what a routine did (nothing, if nothing)."""
        self._save()
        if not actions:
            return
        self.hass.bus.async_fire(
            EVENT_ROUTINE,
            {
                "entry_id": self.entry.entry_id,
                "device_id": self.coordinator.device_id,
                "routine": routine,
                "trigger": transition.event.value if transition else None,
                "actions": actions,
            },
        )

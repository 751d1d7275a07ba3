"""Heating and cooling rates learned from each thermostat's recorded history.

Pre-heat starts ``(comfort - indoor) / rate`` before the arrival. With the climate option
``learned_rate`` the rate is the one the house showed, per thermostat: a
:class:`RateLearner` per car reads the recorded history of each thermostat of the car's
climate targets (the last :data:`LEARN_DAYS` days: its ``current_temperature``, or the
chosen indoor sensor's readings with the thermostat's ``hvac_action`` carried alongside
by time, and its target) and learns the heating and the cooling rate with
:func:`~..engine.heating_rate.learn_rates` — the median of the recent heat-ups, open
windows and short cycles left out.

When: once Home Assistant has started, then every :data:`RELEARN_INTERVAL` (and when
the options change: the car is reloaded). Everything is read and learned in the
recorder's executor, never on the event loop, bounded to the newest :data:`MAX_STATES`
states. Kept in memory only: after a restart the rates are learned again from the
recorder. No recorder, a thermostat not recorded, no history or a failed read: no
learned rate (said once at debug), never an error — the set rate is used meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import heapq
from typing import Any, Final, cast

from homeassistant.components.climate.const import (
    ATTR_CURRENT_TEMPERATURE,
    ATTR_HVAC_ACTION,
    ATTR_TARGET_TEMP_HIGH,
    ATTR_TARGET_TEMP_LOW,
)
from homeassistant.components.recorder.db_schema import States
from homeassistant.components.recorder.entity_options import is_entity_recorded
from homeassistant.components.recorder.history import (
    get_significant_states_with_session,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_TEMPERATURE,
    ATTR_UNIT_OF_MEASUREMENT,
    UnitOfTemperature,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, State, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..const import DOMAIN, LOGGER
from ..engine.heating_rate import (
    COOLING,
    HEATING,
    LearnedRates,
    RateEstimate,
    Sample,
    learn_rates,
)
from ..engine.values import read_number

LEARN_DAYS: Final = 30
"""The rates are learned from this many days of history."""
LEARN_PERIOD: Final = timedelta(days=LEARN_DAYS)
RELEARN_INTERVAL: Final = timedelta(hours=6)
"""The rates are learned again this often (a heat-up a day: four reads per heat-up)."""
MAX_STATES: Final = 100_000
"""At most this many recorded states are read per thermostat (with its indoor sensor):
the newest. A thermostat that reports every 0.1 °C writes a few hundred a day."""
FAHRENHEIT_SCALE: Final = 1.8
"""The size of one °C in °F: the learner's thresholds are written in °C."""
RECORDER: Final = "recorder"

RATE_LEARNED: Final = "learned"
"""A pre-heat timed by the thermostat's learned rate (``rate_source``)."""
RATE_SET: Final = "set"
"""A pre-heat timed by the rate set in the options (``rate_source``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Request:
    """What the executor job needs: nothing of the event loop's but ``hass``."""

    entity_id: str
    sensor: str | None
    start: datetime
    end: datetime
    unit: str
    """Home Assistant's temperature unit: the readings of a sensor are converted to it."""
    unit_scale: float


TEMPERATURE_UNITS: Final = frozenset(TemperatureConverter.VALID_UNITS)
"""The units a temperature sensor's reading is converted from."""


class RateLearner:
    """Learns one car's thermostats' heating and cooling rates from the recorder."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        targets: Iterable[str],
        indoor_sensor: str | None,
    ) -> None:
        """Learn the rates of ``targets`` (from ``indoor_sensor``'s readings, if set)."""
        self.hass = hass
        self.entry = entry
        self.targets = tuple(dict.fromkeys(targets))
        self.indoor_sensor = indoor_sensor
        self._rates: dict[str, LearnedRates] = {}
        self._listeners: list[Callable[[], None]] = []
        self._told: set[str] = set()
        self._running = False

    # ------------------------------------------------------------ reading

    def estimate(self, entity_id: str, action: str) -> RateEstimate | None:
        """Return what was learned of a thermostat (``action``: heating or cooling).

        ``None`` until its history has been read.
        """
        learned = self._rates.get(entity_id)
        if learned is None:
            return None
        return learned.heating if action == HEATING else learned.cooling

    def rate(self, entity_id: str, action: str) -> float | None:
        """Return a thermostat's learned rate (degrees per hour), ``None`` until learned."""
        estimate = self.estimate(entity_id, action)
        return None if estimate is None else estimate.rate

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after each learning; returns the function that stops it."""
        self._listeners.append(listener)

        @callback
        def _remove() -> None:
            self._listeners.remove(listener)

        return _remove

    # ------------------------------------------------------------ schedule

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Learn once Home Assistant has started, then every 6 hours.

        Returns the function that stops it (a learning under way is a background task
        of the entry: cancelled when the car is unloaded).
        """
        if not self.targets:
            return lambda: None
        remove_started = async_at_started(self.hass, self._async_started)
        remove_interval = async_track_time_interval(
            self.hass,
            self._async_interval,
            RELEARN_INTERVAL,
            name=f"{DOMAIN} heating rates {self.entry.entry_id}",
            cancel_on_shutdown=True,
        )

        @callback
        def _stop() -> None:
            remove_started()
            remove_interval()

        return _stop

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        self.async_schedule()

    @callback
    def _async_interval(self, _now: datetime) -> None:
        self.async_schedule()

    @callback
    def async_schedule(self) -> None:
        """Learn the rates again in the background, unless that is under way."""
        if self._running:
            LOGGER.debug("%s: heating rates are being learned", self.entry.title)
            return
        self._running = True
        _ = self.entry.async_create_background_task(
            self.hass,
            self.async_learn(),
            f"{DOMAIN} heating rates {self.entry.entry_id}",
        )

    # ------------------------------------------------------------ learning

    async def async_learn(self) -> None:
        """Read each thermostat's history and learn its rates; tell the listeners.

        Never raises: without a recorder, history or a working database a thermostat
        has no learned rate (a failed read keeps what was learned before).
        """
        try:
            if not _recorder_ready(self.hass):
                self._tell_once(
                    RECORDER, "%s: no recorder; no heating rate is learned", ()
                )
                return
            scale = (
                FAHRENHEIT_SCALE
                if self.hass.config.units.temperature_unit
                == UnitOfTemperature.FAHRENHEIT
                else 1.0
            )
            end = dt_util.utcnow()
            for entity_id in self.targets:
                await self._async_learn_one(entity_id, end, scale)
        finally:
            self._running = False
        for listener in list(self._listeners):
            listener()

    async def _async_learn_one(
        self, entity_id: str, end: datetime, unit_scale: float
    ) -> None:
        hass = self.hass
        if not is_entity_recorded(hass, entity_id):
            self._rates.pop(entity_id, None)
            self._tell_once(
                entity_id, "%s: %s is not recorded; no heating rate", (entity_id,)
            )
            return
        sensor = self.indoor_sensor
        if sensor is not None and not is_entity_recorded(hass, sensor):
            sensor = None
        request = _Request(
            entity_id=entity_id,
            sensor=sensor,
            start=end - LEARN_PERIOD,
            end=end,
            unit=hass.config.units.temperature_unit,
            unit_scale=unit_scale,
        )
        try:
            learned = await get_instance(hass).async_add_executor_job(
                _read_and_learn, hass, request
            )
        except Exception as err:  # noqa: BLE001 - a database's failure is anything
            # The database failed (or the recorder is stopping): keep what was
            # learned before, try again at the next learning.
            LOGGER.debug(
                "%s: the history of %s could not be read: %r",
                self.entry.title,
                entity_id,
                err,
            )
            return
        if learned is None:
            self._rates.pop(entity_id, None)
            self._tell_once(
                entity_id, "%s: %s has no history; no heating rate", (entity_id,)
            )
            return
        self._told.discard(entity_id)
        self._rates[entity_id] = learned
        LOGGER.debug(
            "%s: %s learned: heating %s (%d periods), cooling %s (%d periods)",
            self.entry.title,
            entity_id,
            learned.heating.rate,
            learned.heating.periods,
            learned.cooling.rate,
            learned.cooling.periods,
        )

    def _tell_once(self, key: str, message: str, args: tuple[object, ...]) -> None:
        """Log at debug, once per thermostat (or for the recorder) while it lasts."""
        if key in self._told:
            return
        self._told.add(key)
        LOGGER.debug(message, self.entry.title, *args)


def _recorder_ready(hass: HomeAssistant) -> bool:
    """Whether the recorder is set up and its database ready to read."""
    if RECORDER not in hass.config.components:
        return False
    ready = get_instance(hass).async_db_ready
    return ready.done() and ready.result()


# ------------------------------------------------------------ executor


def _read_and_learn(hass: HomeAssistant, request: _Request) -> LearnedRates | None:
    """Read a thermostat's history and learn from it (in the recorder's executor).

    ``None`` when the recorder has no state of the thermostat in the period.
    """
    ids = [request.entity_id]
    if request.sensor is not None:
        ids.append(request.sensor)
    with get_instance(hass).get_session() as session:
        start = _bounded_start(hass, session, ids, request)
        found = get_significant_states_with_session(
            hass,
            session,
            start,
            request.end,
            ids,
            include_start_time_state=True,
            significant_changes_only=False,
        )
    # Neither minimal nor compressed: State objects.
    climate = cast("list[State]", found.get(request.entity_id, []))
    if not climate:
        return None
    readings = (
        cast("list[State]", found.get(request.sensor, [])) if request.sensor else []
    )
    return learn_rates(
        samples(climate, readings, request.unit), unit_scale=request.unit_scale
    )


def _bounded_start(
    hass: HomeAssistant, session: Session, ids: list[str], request: _Request
) -> datetime:
    """Return the start that leaves at most :data:`MAX_STATES` states to read.

    The period's start when it holds no more; else the time of the newest state
    beyond the newest :data:`MAX_STATES` (those after it are read).
    """
    manager = get_instance(hass).states_meta_manager
    metadata_ids = [
        metadata_id
        for metadata_id in manager.get_many(ids, session, False).values()
        if metadata_id is not None
    ]
    if not metadata_ids:
        return request.start
    query = (
        select(States.last_updated_ts)
        .where(
            States.metadata_id.in_(metadata_ids),
            States.last_updated_ts > request.start.timestamp(),
            States.last_updated_ts < request.end.timestamp(),
        )
        .order_by(States.last_updated_ts.desc())
        .offset(MAX_STATES)
        .limit(1)
    )
    beyond = session.execute(query).scalar_one_or_none()
    if beyond is None:
        return request.start
    LOGGER.debug(
        "%s has more than %d states in the last %d days; only the newest are read",
        request.entity_id,
        MAX_STATES,
        LEARN_DAYS,
    )
    return dt_util.utc_from_timestamp(beyond)


def samples(climate: list[State], readings: list[State], unit: str) -> list[Sample]:
    """Return a thermostat's history as the learner's samples, oldest first.

    Without ``readings`` (an indoor sensor's states) the temperature is the
    thermostat's ``current_temperature``; with them it is the sensor's, converted from
    the ``unit_of_measurement`` it had then to ``unit`` (a reading in °F learns a
    °C home's rate right), and each sample carries the thermostat's ``hvac_action`` and
    target as they were then. A thermostat's own temperatures are in the unit system's
    unit of their time (its states do not say which).
    """
    if not readings:
        return [
            Sample(
                state.last_updated,
                _number(state.attributes.get(ATTR_CURRENT_TEMPERATURE)),
                action := _action(state),
                _target(state, action),
            )
            for state in climate
        ]
    # At the same moment, the reading first: the action then meets the room as it is.
    merged = heapq.merge(
        ((state.last_updated, True, state) for state in readings),
        ((state.last_updated, False, state) for state in climate),
        key=lambda item: item[0],
    )
    out: list[Sample] = []
    temperature: float | None = None
    hvac_action: str | None = None
    target: float | None = None
    for when, is_reading, state in merged:
        if is_reading:
            temperature = _reading(state, unit)
        else:
            hvac_action = _action(state)
            target = _target(state, hvac_action)
        out.append(Sample(when, temperature, hvac_action, target))
    return out


def _reading(state: State, unit: str) -> float | None:
    """Return a temperature sensor's reading in ``unit`` (as is in an unknown unit)."""
    value = _number(state.state)
    recorded = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if value is None or recorded == unit or recorded not in TEMPERATURE_UNITS:
        return value
    return TemperatureConverter.convert(value, recorded, unit)


def _action(state: State) -> str | None:
    action = state.attributes.get(ATTR_HVAC_ACTION)
    return action if isinstance(action, str) else None


def _target(state: State, action: str | None) -> float | None:
    """Return the target the thermostat heats (or cools) to.

    For a range (heat/cool): the low end while heating, the high end while cooling.
    """
    attributes = state.attributes
    if (target := _number(attributes.get(ATTR_TEMPERATURE))) is not None:
        return target
    if action == HEATING:
        return _number(attributes.get(ATTR_TARGET_TEMP_LOW))
    if action == COOLING:
        return _number(attributes.get(ATTR_TARGET_TEMP_HIGH))
    return None


def _number(value: object) -> float | None:
    """Read a state or attribute as a number; ``None`` for anything else."""
    try:
        return read_number(value)
    except ValueError:
        return None

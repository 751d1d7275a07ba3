"""Sensors of a car: trip phase, distance, ETA, speed, direction, last fix, driver.

And per thermostat of the car's climate routine, the heating (and cooling) rate learned
from its recorded history (``routines/rates.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.components.climate.const import ATTR_HVAC_MODES, HVACMode
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform, UnitOfLength, UnitOfSpeed
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import CarData, HomecomingCoordinator
from .drivers import FoundBy
from .engine import Direction, Phase
from .engine.heating_rate import COOLING, HEATING
from .entity import HomecomingEntity
from .routines.rates import RateLearner
from .runtime import HomecomingConfigEntry

PARALLEL_UPDATES = 0

ATTR_FOUND_BY = "found_by"
"""The driver sensor's attribute: how the driver was found (:class:`~.drivers.FoundBy`)."""

DISTANCE_RESOLUTION_M: Final = 10.0
"""The distance to home is shown to 10 m: finer is GPS noise, and every change is a
recorder row."""

ETA_HOLD: Final = timedelta(minutes=1)
"""The arrival time shown moves only when the engine's ETA moved by a minute or more:
it is read as a clock time, and every change is a recorder row and a logbook entry."""


@dataclass(frozen=True, kw_only=True)
class HomecomingSensorEntityDescription(SensorEntityDescription):
    """Describes a car sensor: how to read its value from the car's data."""

    value_fn: Callable[[CarData], str | float | datetime | None]
    attributes_fn: Callable[[CarData], Mapping[str, Any]] | None = None
    """The sensor's state attributes, if it has any."""
    attribute_options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The values of the attributes that have a fixed set (translated as states)."""
    hold: timedelta | None = None
    """A time shown is kept until the new one differs by at least this much."""
    step: float | None = None
    """A number is shown rounded to this step, and kept until the new one differs from
    it by a whole step (GPS noise around a rounding boundary does not flip it)."""


def _fresh(
    value: Callable[[CarData], float | datetime | str | None],
) -> Callable[[CarData], float | datetime | str | None]:
    """Read a value that means nothing once the car is silent (speed, ETA, direction)."""
    return lambda data: None if data.silent else value(data)


def _scaled(value: float | None, factor: float) -> float | None:
    """Convert an engine value (metres, metres per second) to the sensor's unit."""
    return None if value is None else value * factor


def _kilometres(distance_m: float | None) -> float | None:
    """Return a distance in metres as kilometres."""
    return None if distance_m is None else distance_m / 1000


SENSORS: tuple[HomecomingSensorEntityDescription, ...] = (
    HomecomingSensorEntityDescription(
        key="phase",
        translation_key="phase",
        device_class=SensorDeviceClass.ENUM,
        options=[phase.value for phase in Phase],
        value_fn=lambda data: data.snapshot.phase,
    ),
    HomecomingSensorEntityDescription(
        key="distance",
        translation_key="distance",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        # Native kilometres: shown as km (metric) or mi (US customary) by the unit system.
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=1,
        value_fn=lambda data: _kilometres(data.snapshot.distance_m),
        step=DISTANCE_RESOLUTION_M / 1000,
    ),
    HomecomingSensorEntityDescription(
        key="eta",
        translation_key="eta",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_fresh(lambda data: data.snapshot.eta),
        hold=ETA_HOLD,
    ),
    HomecomingSensorEntityDescription(
        key="speed",
        translation_key="speed",
        device_class=SensorDeviceClass.SPEED,
        state_class=SensorStateClass.MEASUREMENT,
        # Native km/h: shown as km/h (metric) or mph (US customary) by the unit system.
        native_unit_of_measurement=UnitOfSpeed.KILOMETERS_PER_HOUR,
        suggested_display_precision=0,
        # Changes with every fix: off by default to spare the recorder.
        entity_registry_enabled_default=False,
        value_fn=_fresh(lambda data: _scaled(data.snapshot.speed, 3.6)),
    ),
    HomecomingSensorEntityDescription(
        key="direction",
        translation_key="direction",
        device_class=SensorDeviceClass.ENUM,
        options=[direction.value for direction in Direction],
        value_fn=_fresh(lambda data: data.snapshot.direction),
    ),
    HomecomingSensorEntityDescription(
        key="last_fix",
        translation_key="last_fix",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Changes with every fix (a recorder row and a logbook entry each): off by
        # default; the tracker's "silent" attribute and diagnostics say the same.
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.snapshot.last_fix,
    ),
    HomecomingSensorEntityDescription(
        key="driver",
        translation_key="driver",
        value_fn=lambda data: None if data.driver is None else data.driver.name,
        # How the driver was found (drivers.FoundBy), None without a driver.
        attributes_fn=lambda data: {
            ATTR_FOUND_BY: None if data.found_by is None else data.found_by.value
        },
        attribute_options={ATTR_FOUND_BY: tuple(way.value for way in FoundBy)},
    ),
)


ATTR_PERIODS: Final = "periods"
"""A learned rate's attribute: how many valid heating (cooling) periods were found."""

THERMOSTAT: Final = "thermostat"
"""The placeholder of a learned-rate sensor's name: the thermostat's name."""

COOLING_MODES: Final = frozenset({HVACMode.COOL, HVACMode.HEAT_COOL})
"""A thermostat with one of these modes has a cooling rate sensor."""


@dataclass(frozen=True, kw_only=True)
class HomecomingRateSensorEntityDescription(SensorEntityDescription):
    """Describes a thermostat's learned rate (one sensor per thermostat)."""

    action: str
    """``heating`` or ``cooling``: which of the thermostat's rates it shows."""


RATE_SENSORS: tuple[HomecomingRateSensorEntityDescription, ...] = (
    HomecomingRateSensorEntityDescription(
        key="heating_rate",
        translation_key="heating_rate",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        action=HEATING,
    ),
    HomecomingRateSensorEntityDescription(
        key="cooling_rate",
        translation_key="cooling_rate",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        action=COOLING,
    ),
)
"""The learned rates of each thermostat of the climate routine (no device class fits a
rate of temperature change; the unit is Home Assistant's temperature unit per hour)."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's sensors."""
    async_add_entities(
        HomecomingSensor(entry.runtime_data.coordinator, description)
        for description in SENSORS
    )
    async_add_entities(_rate_sensors(hass, entry))


def _rate_sensors(
    hass: HomeAssistant, entry: HomecomingConfigEntry
) -> list[HomecomingRateSensor]:
    """Return the learned-rate sensors of the car's thermostats.

    A heating rate for every thermostat of the climate routine, a cooling rate for
    one whose modes include cool or heat/cool (while its modes are not known yet —
    not set up so far — a cooling rate sensor it had is kept). The rate sensors of
    thermostats no longer in the options are removed from the entity registry.
    """
    coordinator = entry.runtime_data.coordinator
    learner = entry.runtime_data.routines.rates
    registry = er.async_get(hass)
    unit = f"{hass.config.units.temperature_unit}/h"
    sensors: list[HomecomingRateSensor] = []
    for thermostat in learner.targets:
        modes = _hvac_modes(hass, registry, thermostat)
        name = _thermostat_name(hass, registry, thermostat)
        for description in RATE_SENSORS:
            sensor = HomecomingRateSensor(
                coordinator, learner, description, thermostat, name, unit
            )
            if description.action == COOLING and not (
                COOLING_MODES.intersection(modes)
                if modes is not None
                else registry.async_get_entity_id(
                    Platform.SENSOR, DOMAIN, str(sensor.unique_id)
                )
            ):
                continue
            sensors.append(sensor)
    wanted = {sensor.unique_id for sensor in sensors}
    car = entry.unique_id or entry.entry_id
    prefixes = tuple(f"{car}_{description.key}_" for description in RATE_SENSORS)
    for stale in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (
            stale.domain == Platform.SENSOR
            and stale.unique_id.startswith(prefixes)
            and stale.unique_id not in wanted
        ):
            registry.async_remove(stale.entity_id)
    return sensors


def _hvac_modes(
    hass: HomeAssistant, registry: er.EntityRegistry, thermostat: str
) -> list[str] | None:
    """Return a thermostat's HVAC modes: from its state, else its registry entry.

    ``None`` while neither knows them (a thermostat not set up yet, or gone).
    """
    if (state := hass.states.get(thermostat)) is not None:
        modes = state.attributes.get(ATTR_HVAC_MODES)
    elif (known := registry.async_get(thermostat)) is not None:
        modes = (known.capabilities or {}).get(ATTR_HVAC_MODES)
    else:
        return None
    if not isinstance(modes, (list, tuple)):
        return None
    return [str(mode) for mode in modes]


def _thermostat_name(
    hass: HomeAssistant, registry: er.EntityRegistry, thermostat: str
) -> str:
    """Return a thermostat's name: as shown, else as registered, else its entity id."""
    if (state := hass.states.get(thermostat)) is not None:
        return state.name
    known = registry.async_get(thermostat)
    if known is not None and (name := known.name or known.original_name):
        return name
    return thermostat


class HomecomingSensor(HomecomingEntity, SensorEntity):
    """A sensor of a car."""

    entity_description: HomecomingSensorEntityDescription

    def __init__(
        self,
        coordinator: HomecomingCoordinator,
        description: HomecomingSensorEntityDescription,
    ) -> None:
        """Show ``description``'s value of ``coordinator``'s car."""
        super().__init__(coordinator, description)
        self._read()

    def _read(self) -> None:
        """Take the value and attributes from the car's latest data."""
        description = self.entity_description
        data = self.coordinator.data
        value = description.value_fn(data)
        shown = self._attr_native_value
        if (
            description.hold is not None
            and isinstance(value, datetime)
            and isinstance(shown, datetime)
            and abs(value - shown) < description.hold
        ):
            value = shown
        elif (step := description.step) is not None and isinstance(value, float):
            if isinstance(shown, float) and abs(value - shown) < step:
                value = shown
            else:
                value = round(round(value / step) * step, 6)
        self._attr_native_value = value
        if description.attributes_fn is not None:
            self._attr_extra_state_attributes = dict(description.attributes_fn(data))

    @override
    def _shown(self) -> tuple[object, ...]:
        """Return availability, the value and the attributes (not the formatted state)."""
        return (self.available, self._attr_native_value, self.extra_state_attributes)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Read the car's new data, then write the state if it shows something new."""
        self._read()
        super()._handle_coordinator_update()


class HomecomingRateSensor(HomecomingEntity, SensorEntity):
    """A thermostat's heating (or cooling) rate, learned from its recorded history.

    Unknown until learned; it changes only when the rates are learned again (at most
    every few hours), never with the car's position.
    """

    entity_description: HomecomingRateSensorEntityDescription

    def __init__(
        self,
        coordinator: HomecomingCoordinator,
        learner: RateLearner,
        description: HomecomingRateSensorEntityDescription,
        thermostat: str,
        name: str,
        unit: str,
    ) -> None:
        """Show ``learner``'s rate of ``thermostat`` (named ``name``) in ``unit``."""
        super().__init__(coordinator, description)
        self._attr_unique_id = f"{self._attr_unique_id}_{thermostat}"
        self._attr_translation_placeholders = {THERMOSTAT: name}
        self._attr_native_unit_of_measurement = unit
        self._learner = learner
        self._thermostat = thermostat
        self._read()

    @property
    @override
    def available(self) -> bool:
        """Always: the rate comes from the thermostat's history, not from the car."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the learning as well; show what was learned since it was made."""
        self.async_on_remove(self._learner.async_add_listener(self._handle_learned))
        self._read()
        await super().async_added_to_hass()

    def _read(self) -> None:
        """Take the rate (to 0.1) and the valid periods from what was learned."""
        estimate = self._learner.estimate(
            self._thermostat, self.entity_description.action
        )
        rate = None if estimate is None else estimate.rate
        self._attr_native_value = None if rate is None else round(rate, 1)
        self._attr_extra_state_attributes = {
            ATTR_PERIODS: None if estimate is None else estimate.periods
        }

    @override
    def _shown(self) -> tuple[object, ...]:
        """Return the value and the attributes (always available)."""
        return (self._attr_native_value, self._attr_extra_state_attributes)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Nothing: the car's updates do not change a learned rate."""

    @callback
    def _handle_learned(self) -> None:
        """Show the rates just learned, if they changed what is shown."""
        self._read()
        super()._handle_coordinator_update()

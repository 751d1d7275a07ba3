"""Sensors of a car: trip phase, distance, ETA, speed, direction, last fix, driver."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfLength, UnitOfSpeed
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import CarData, HomecomingCoordinator
from .drivers import FoundBy
from .engine import Direction, Phase
from .entity import HomecomingEntity
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


def _fresh(
    value: Callable[[CarData], float | datetime | str | None],
) -> Callable[[CarData], float | datetime | str | None]:
    """Read a value that means nothing once the car is silent (speed, ETA, direction)."""
    return lambda data: None if data.silent else value(data)


def _scaled(value: float | None, factor: float) -> float | None:
    """Convert an engine value (metres, metres per second) to the sensor's unit."""
    return None if value is None else value * factor


def _kilometres(distance_m: float | None) -> float | None:
    """Return a distance in metres as kilometres, to :data:`DISTANCE_RESOLUTION_M`."""
    if distance_m is None:
        return None
    return round(distance_m / DISTANCE_RESOLUTION_M) * DISTANCE_RESOLUTION_M / 1000


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

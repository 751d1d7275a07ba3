"""Sensors of a car: trip phase, distance, ETA, speed, direction, last fix, driver."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfLength, UnitOfSpeed
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import CarData
from .drivers import FoundBy
from .engine import Direction, Phase
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry

PARALLEL_UPDATES = 0

ATTR_FOUND_BY = "found_by"
"""The driver sensor's attribute: how the driver was found (:class:`~.drivers.FoundBy`)."""


@dataclass(frozen=True, kw_only=True)
class HomecomingSensorEntityDescription(SensorEntityDescription):
    """Describes a car sensor: how to read its value from the car's data."""

    value_fn: Callable[[CarData], str | float | datetime | None]
    attributes_fn: Callable[[CarData], Mapping[str, Any]] | None = None
    """The sensor's state attributes, if it has any."""
    attribute_options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The values of the attributes that have a fixed set (translated as states)."""


def _fresh(
    value: Callable[[CarData], float | datetime | str | None],
) -> Callable[[CarData], float | datetime | str | None]:
    """Read a value that means nothing once the car is silent (speed, ETA, direction)."""
    return lambda data: None if data.silent else value(data)


def _scaled(value: float | None, factor: float) -> float | None:
    """Convert an engine value (metres, metres per second) to the sensor's unit."""
    return None if value is None else value * factor


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
        value_fn=lambda data: _scaled(data.snapshot.distance_m, 1 / 1000),
    ),
    HomecomingSensorEntityDescription(
        key="eta",
        translation_key="eta",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_fresh(lambda data: data.snapshot.eta),
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

    @property
    def native_value(self) -> str | float | datetime | None:
        """The sensor's value from the car's latest data."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The sensor's attributes from the car's latest data (the driver's found_by)."""
        attributes = self.entity_description.attributes_fn
        return None if attributes is None else attributes(self.coordinator.data)

"""Binary sensors of a car: approaching home, and the followed phone in the car."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .engine import Phase
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry
from .sources.entity import EntitySource

PARALLEL_UPDATES = 0

APPROACHING = BinarySensorEntityDescription(
    key="approaching", translation_key="approaching"
)
IN_CAR = BinarySensorEntityDescription(
    key="in_car", translation_key="in_car", entity_category=EntityCategory.DIAGNOSTIC
)
"""The followed phone is in the car (only a car that names in-car signals has it)."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's approaching sensor, and its phone-in-car sensor if it has signals."""
    runtime = entry.runtime_data
    entities: list[BinarySensorEntity] = [
        HomecomingApproachingSensor(runtime.coordinator, APPROACHING)
    ]
    if isinstance(runtime.source, EntitySource) and runtime.source.in_car is not None:
        entities.append(HomecomingInCarSensor(runtime.coordinator, IN_CAR))
    else:
        # Signals cleared in the options: the sensor goes, not left unavailable.
        registry = er.async_get(hass)
        unique_id = f"{entry.unique_id or entry.entry_id}_{IN_CAR.key}"
        if stale := registry.async_get_entity_id(
            Platform.BINARY_SENSOR, DOMAIN, unique_id
        ):
            registry.async_remove(stale)
    async_add_entities(entities)


class HomecomingApproachingSensor(HomecomingEntity, BinarySensorEntity):
    """On while the car approaches or is arriving home."""

    @property
    def is_on(self) -> bool:
        """Whether the car is on its way home."""
        return self.coordinator.data.snapshot.phase in (
            Phase.APPROACHING,
            Phase.ARRIVING,
        )


class HomecomingInCarSensor(HomecomingEntity, BinarySensorEntity):
    """On while the followed phone is in the car (its in-car signals, debounced)."""

    @property
    def is_on(self) -> bool:
        """Whether the phone is in the car."""
        return bool(self.coordinator.data.in_car)

"""Binary sensor of a car: approaching home (the "vehicle approaching" state)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .engine import Phase
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry

PARALLEL_UPDATES = 0

APPROACHING = BinarySensorEntityDescription(
    key="approaching", translation_key="approaching"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's approaching sensor."""
    async_add_entities(
        [HomecomingApproachingSensor(entry.runtime_data.coordinator, APPROACHING)]
    )


class HomecomingApproachingSensor(HomecomingEntity, BinarySensorEntity):
    """On while the car approaches or is arriving home."""

    @property
    def is_on(self) -> bool:
        """Whether the car is on its way home."""
        return self.coordinator.data.snapshot.phase in (
            Phase.APPROACHING,
            Phase.ARRIVING,
        )

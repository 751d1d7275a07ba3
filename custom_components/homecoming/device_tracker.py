"""Device tracker of a car: its position on the map.

A car that follows an entity has that entity's position: its own tracker would put a
second marker on the same spot and write the same positions to the recorder again, so it
is created disabled (enable it on the car's device page). A push car's tracker is the
only place its position shows on the map: enabled.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_tracker.const import SourceType
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_SOURCE, SOURCE_ENTITY
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry

PARALLEL_UPDATES = 0

ATTR_SILENT = "silent"

LOCATION = EntityDescription(key="location", name=None)
FOLLOWED_LOCATION = EntityDescription(
    key="location", name=None, entity_registry_enabled_default=False
)
"""The tracker of a car that follows an entity: disabled by default."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's tracker (disabled by default if the car follows an entity)."""
    follows = entry.data[CONF_SOURCE] == SOURCE_ENTITY
    description = FOLLOWED_LOCATION if follows else LOCATION
    async_add_entities([HomecomingTracker(entry.runtime_data.coordinator, description)])


class HomecomingTracker(HomecomingEntity, TrackerEntity):
    """The car's last known position, named after the car."""

    _attr_source_type = SourceType.GPS

    @property
    def latitude(self) -> float | None:
        """Latitude of the last position."""
        return self.coordinator.data.snapshot.latitude

    @property
    def longitude(self) -> float | None:
        """Longitude of the last position."""
        return self.coordinator.data.snapshot.longitude

    @property
    def location_accuracy(self) -> float:
        """Accuracy radius of the last position, in metres."""
        return self.coordinator.data.snapshot.accuracy or 0.0

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Whether the position is older than the silence timeout."""
        return {ATTR_SILENT: self.coordinator.data.silent}

"""Base entity of the Homecoming integration."""

from __future__ import annotations

from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import HomecomingCoordinator


class HomecomingEntity(CoordinatorEntity[HomecomingCoordinator]):
    """An entity of a car: one device per car, unique ids from the entry."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: HomecomingCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to its car."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.unique_id or entry.entry_id}_{description.key}"
        self._attr_device_info = coordinator.device_info

    @property
    def available(self) -> bool:
        """Unavailable while the car's position source is."""
        return super().available and self.coordinator.data.available

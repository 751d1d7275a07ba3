"""Base entity of the Homecoming integration."""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import HomecomingCoordinator


class HomecomingEntity(CoordinatorEntity[HomecomingCoordinator]):
    """An entity of a car: one device per car, unique ids from the entry.

    The coordinator tells every entity of every position; an entity writes its state
    only when what it shows changed (:meth:`_shown`), so a position that moves the car
    by a few metres costs one state write (the distance), not one per entity.
    """

    _attr_has_entity_name = True
    _written: tuple[object, ...] | None = None
    """What :meth:`_shown` returned when the state was last written by an update."""

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

    async def async_added_to_hass(self) -> None:
        """Remember what is shown: the platform writes it right after."""
        await super().async_added_to_hass()
        self._written = self._shown()

    def _shown(self) -> tuple[object, ...]:
        """Return what the entity shows: its state is written again when this changes.

        Cheap to compute (it runs for every position): availability and the state;
        entities with attributes or costly states override it.
        """
        return (self.available, self.state)

    @callback
    def _async_write_shown(self) -> None:
        """Write the state now (an action changed it), remembering what is shown."""
        self._written = self._shown()
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state if what the entity shows changed."""
        shown = self._shown()
        if shown != self._written:
            self._written = shown
            self.async_write_ha_state()

"""Event entity of a car: its trip transitions, next to the device triggers."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    ATTR_DISTANCE,
    ATTR_DRIVER,
    ATTR_ENTRY_ID,
    ATTR_ETA,
    ATTR_TYPE,
    EVENT_HOMECOMING,
    EVENT_TYPES,
)
from .coordinator import HomecomingConfigEntry
from .entity import HomecomingEntity

PARALLEL_UPDATES = 0

TRIP = EventEntityDescription(
    key="trip", translation_key="trip", event_types=EVENT_TYPES
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's trip event entity."""
    async_add_entities([HomecomingTripEvent(entry.runtime_data, TRIP)])


class HomecomingTripEvent(HomecomingEntity, EventEntity):
    """Fires with each of the car's transitions (approach started, arrived, ...)."""

    async def async_added_to_hass(self) -> None:
        """Listen to this car's transitions on the bus."""
        await super().async_added_to_hass()
        entry_id = self.coordinator.config_entry.entry_id

        @callback
        def _for_this_car(event_data: dict[str, Any]) -> bool:
            return event_data.get(ATTR_ENTRY_ID) == entry_id

        self.async_on_remove(
            self.hass.bus.async_listen(
                EVENT_HOMECOMING, self._async_transition, event_filter=_for_this_car
            )
        )

    @callback
    def _async_transition(self, event: Event[dict[str, Any]]) -> None:
        data = event.data
        self._trigger_event(
            data[ATTR_TYPE],
            {key: data[key] for key in (ATTR_DISTANCE, ATTR_ETA, ATTR_DRIVER)},
        )
        self.async_write_ha_state()

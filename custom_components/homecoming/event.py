"""Event entity of a car: its trip transitions, next to the device triggers."""

from __future__ import annotations

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPES
from .coordinator import transition_data
from .engine import Transition
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry

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
    async_add_entities([HomecomingTripEvent(entry.runtime_data.coordinator, TRIP)])


class HomecomingTripEvent(HomecomingEntity, EventEntity):
    """Fires with each of the car's transitions (approach started, arrived, ...)."""

    async def async_added_to_hass(self) -> None:
        """Listen to this car's transitions, as the coordinator announces them."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_transition_listener(self._async_transition)
        )

    @override
    def _shown(self) -> tuple[object, ...]:
        """Return availability: the state changes only with a transition (written)."""
        return (self.available,)

    @callback
    def _async_transition(self, transition: Transition) -> None:
        self._trigger_event(transition.event.value, transition_data(transition))
        self.async_write_ha_state()

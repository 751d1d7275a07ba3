"""Device tracker of a car: its position on the map.

A car that follows an entity has that entity's position: its own tracker would put a
second marker on the same spot and write the same positions to the recorder again, so it
is created disabled (enable it on the car's device page). A push car's tracker is the
only place its position shows on the map: enabled.
"""

from __future__ import annotations

from typing import Any, Final, override

from homeassistant.components.device_tracker.const import SourceType
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_SOURCE, SOURCE_ENTITY
from .coordinator import HomecomingCoordinator
from .engine.geo import local_m
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry

PARALLEL_UPDATES = 0

ATTR_SILENT = "silent"

MIN_MOVE_M: Final = 10.0
"""The tracker's position is written again when the car moved this far, or its accuracy
changed this much: smaller moves are GPS noise, and every write costs a zone check and a
recorder row with new attributes."""

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
    _shown_at_home = False

    def __init__(
        self, coordinator: HomecomingCoordinator, description: EntityDescription
    ) -> None:
        """Show the position of ``coordinator``'s car."""
        super().__init__(coordinator, description)
        self._read()

    def _read(self) -> None:
        """Take the car's latest position if it moved (or its accuracy changed) enough.

        A position that moved less than :data:`MIN_MOVE_M` keeps the one shown.
        """
        snapshot = self.coordinator.data.snapshot
        latitude, longitude = snapshot.latitude, snapshot.longitude
        accuracy = snapshot.accuracy or 0.0
        at_home = self._at_home(snapshot.distance_m, accuracy)
        shown_latitude, shown_longitude = self._attr_latitude, self._attr_longitude
        if (
            latitude is not None
            and longitude is not None
            and shown_latitude is not None
            and shown_longitude is not None
            and at_home is self._shown_at_home
            and abs(accuracy - self._attr_location_accuracy) < MIN_MOVE_M
            and local_m(shown_latitude, shown_longitude, latitude, longitude)
            < MIN_MOVE_M
        ):
            return
        self._attr_latitude = latitude
        self._attr_longitude = longitude
        self._attr_location_accuracy = accuracy
        self._shown_at_home = at_home

    def _at_home(self, distance_m: float | None, accuracy: float) -> bool:
        """Whether the home zone holds the position by Home Assistant's zone rule.

        Its distance less its accuracy is under the zone's radius. A move across the
        zone's edge is shown however small: the tracker's zone (and a person's) follow.
        """
        radius = self.coordinator.engine.home.radius
        return distance_m is not None and distance_m - accuracy < radius

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Whether the position is older than the silence timeout."""
        return {ATTR_SILENT: self.coordinator.data.silent}

    @override
    def _shown(self) -> tuple[object, ...]:
        """Return availability, the position shown and silence (not the costly zone)."""
        return (
            self.available,
            self._attr_latitude,
            self._attr_longitude,
            self._attr_location_accuracy,
            self.coordinator.data.silent,
        )

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Read the car's new position, then write the state if it shows something new."""
        self._read()
        super()._handle_coordinator_update()

"""Button of a car: run its arrival routine now."""

from __future__ import annotations

from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ROUTINE_ARRIVAL
from .entity import HomecomingEntity
from .runtime import HomecomingConfigEntry
from .services import async_run_routine

PARALLEL_UPDATES = 1

RUN_ARRIVAL = ButtonEntityDescription(key="run_arrival", translation_key="run_arrival")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's run-arrival button."""
    async_add_entities(
        [HomecomingRunArrivalButton(entry.runtime_data.coordinator, RUN_ARRIVAL)]
    )


class HomecomingRunArrivalButton(HomecomingEntity, ButtonEntity):
    """Runs the car's arrival routine now, ignoring conditions, cooldown and snooze."""

    @property
    @override
    def available(self) -> bool:
        """Always available: the home can be readied without the car's position."""
        return True

    @override
    def _shown(self) -> tuple[object, ...]:
        """Return nothing that a position changes: only a press writes the state."""
        return ()

    @override
    async def async_press(self) -> None:
        """Run the arrival routine."""
        await async_run_routine(self.coordinator.config_entry, ROUTINE_ARRIVAL)

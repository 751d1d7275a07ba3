"""Switch of a car: its routines on or off (restored across restarts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.util import dt as dt_util

from .coordinator import HomecomingCoordinator
from .entity import HomecomingEntity
from .routines import RoutineRunner
from .runtime import HomecomingConfigEntry

PARALLEL_UPDATES = 0

ATTR_SNOOZED_UNTIL = "snoozed_until"
ATTR_SKIPPED_TRIP = "skipped_trip"

ROUTINES = SwitchEntityDescription(
    key="routines",
    translation_key="routines",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a car's routines switch."""
    runtime = entry.runtime_data
    async_add_entities(
        [HomecomingRoutinesSwitch(runtime.coordinator, runtime.routines, ROUTINES)]
    )


class HomecomingRoutinesSwitch(HomecomingEntity, SwitchEntity, RestoreEntity):
    """Lets the car's routines run (on) or never run (off)."""

    _snooze_timer: CALLBACK_TYPE | None = None

    def __init__(
        self,
        coordinator: HomecomingCoordinator,
        routines: RoutineRunner,
        description: SwitchEntityDescription,
    ) -> None:
        """Switch ``routines`` of ``coordinator``'s car."""
        super().__init__(coordinator, description)
        self.routines = routines

    @override
    async def async_added_to_hass(self) -> None:
        """Take the last state back (on unless it was off) and follow the snooze."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state in (STATE_ON, STATE_OFF):
            self.routines.enabled = last.state == STATE_ON
        self.async_on_remove(self._cancel_snooze_timer)
        self._follow_snooze()

    @property
    @override
    def available(self) -> bool:
        """Always available: routines can be switched while the car is out of reach."""
        return True

    @property
    @override
    def is_on(self) -> bool:
        """Whether the car's routines may run."""
        return self.routines.enabled

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the snooze's end (None: not snoozed) and whether the trip is skipped.

        A trip is skipped by "Skip this time" on a phone, until it ends.
        """
        until = self._snoozed_until()
        return {
            ATTR_SNOOZED_UNTIL: until.isoformat() if until else None,
            ATTR_SKIPPED_TRIP: self.routines.skipped_trip,
        }

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let the routines run."""
        self.routines.enabled = True
        self._async_write_shown()

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the routines from running."""
        self.routines.enabled = False
        self._async_write_shown()

    @override
    def _shown(self) -> tuple[object, ...]:
        """Return the state and the snooze (the runner tells the coordinator of a new one)."""
        return (self.is_on, self._snoozed_until(), self.routines.skipped_trip)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Show a new snooze (the runner tells the coordinator's listeners)."""
        self._follow_snooze()
        super()._handle_coordinator_update()

    def _snoozed_until(self) -> datetime | None:
        """Return the end of the snooze, if one is running."""
        until = self.routines.snoozed_until
        return until if until is not None and until > dt_util.utcnow() else None

    @callback
    def _follow_snooze(self) -> None:
        """Update the state again when the snooze ends."""
        self._cancel_snooze_timer()
        if (until := self._snoozed_until()) is not None:
            self._snooze_timer = async_track_point_in_utc_time(
                self.hass, self._async_snooze_ended, until
            )

    @callback
    def _async_snooze_ended(self, _now: datetime) -> None:
        """Drop the snooze from the state."""
        self._snooze_timer = None
        self._async_write_shown()

    @callback
    def _cancel_snooze_timer(self) -> None:
        """Stop waiting for the snooze to end."""
        if self._snooze_timer is not None:
            self._snooze_timer()
            self._snooze_timer = None

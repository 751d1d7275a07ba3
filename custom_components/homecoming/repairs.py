"""Fix flows of the repair issues Homecoming raises."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import probatio

from .routines.options import options_without


class MissingTargetRepairFlow(RepairsFlow):
    """Remove a routine target that no longer exists from the car's options."""

    def __init__(self, entry_id: str, entity_id: str) -> None:
        """Remember which car and which entity."""
        self.entry_id = entry_id
        self.entity_id = entity_id

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Explain that the entity is gone; on confirmation, remove it."""
        entry = self.hass.config_entries.async_get_entry(self.entry_id)
        if entry is None:
            return self.async_abort(reason="car_removed")
        if user_input is not None:
            self.hass.config_entries.async_update_entry(
                entry, options=options_without(entry.options, self.entity_id)
            )
            if entry.state is ConfigEntryState.LOADED:
                # The routines read their options when the car is set up.
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=probatio.Schema({}),
            description_placeholders={"entity": self.entity_id, "name": entry.title},
        )


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Return the fix flow of one of Homecoming's repair issues."""
    data = data or {}
    return MissingTargetRepairFlow(
        entry_id=str(data.get("entry_id")), entity_id=str(data.get("entity_id"))
    )

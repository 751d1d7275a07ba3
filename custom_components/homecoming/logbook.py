"""Describe the car's transitions and what its routines did, for the logbook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.components.climate.const import HVACMode
from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.components.logbook.models import LazyEventPartialState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, ATTR_TEMPERATURE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import (
    ATTR_ENTRY_ID,
    ATTR_ROUTINE,
    ATTR_TYPE,
    DOMAIN,
    EVENT_HOMECOMING,
    EVENT_ROUTINE,
    ROUTINE_DEPARTURE,
)
from .engine import EventType

TRANSITIONS: Final[dict[str, str]] = {
    EventType.APPROACH_STARTED: "started approaching home",
    EventType.APPROACH_CANCELLED: "stopped approaching home",
    EventType.ARRIVING: "is arriving",
    EventType.ARRIVED: "arrived home",
    EventType.DEPARTED: "left home",
}
"""What the logbook says after the car's name, by transition."""

WITHOUT_TRIGGER: Final[dict[str, str]] = {
    ROUTINE_DEPARTURE: "set the home back",
}
"""What a routine that no single transition triggered says (arrival otherwise)."""
READY: Final = "got the home ready"

SKIPPED: Final[dict[str, str]] = {
    "someone_home": "left home — the home was not set back: someone is still home",
    "skip_this_time": "routines held for this trip (Skip this time)",
}
"""What the logbook says when a routine the user expects did not run, by reason."""

SEPARATOR: Final = " — "
"""Between what the car did and what the routine did about it."""

type Describer = Callable[[LazyEventPartialState], dict[str, Any]]


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Describer], None],
) -> None:
    """Teach the logbook to describe transitions and routines."""

    @callback
    def describe_transition(event: LazyEventPartialState) -> dict[str, Any]:
        """Describe a transition: "Family car started approaching home"."""
        data = event.data
        kind = str(data.get(ATTR_TYPE))
        return {
            LOGBOOK_ENTRY_NAME: car_name(hass, data),
            LOGBOOK_ENTRY_MESSAGE: TRANSITIONS.get(kind, kind),
        }

    @callback
    def describe_routine(event: LazyEventPartialState) -> dict[str, Any]:
        """Describe a routine: what triggered it, then what it did."""
        data = event.data
        trigger = data.get("trigger")
        if skipped := data.get("skipped"):
            return {
                LOGBOOK_ENTRY_NAME: car_name(hass, data),
                LOGBOOK_ENTRY_MESSAGE: SKIPPED.get(
                    str(skipped), f"skipped ({skipped})"
                ),
            }
        if trigger:
            opening = TRANSITIONS.get(trigger, str(trigger))
        else:
            opening = WITHOUT_TRIGGER.get(str(data.get(ATTR_ROUTINE)), READY)
        done = [
            _action(hass, data, action)
            for action in data.get("actions") or ()
            if isinstance(action, Mapping)
        ]
        message = f"{opening}{SEPARATOR}{', '.join(done)}" if done else opening
        return {
            LOGBOOK_ENTRY_NAME: car_name(hass, data),
            LOGBOOK_ENTRY_MESSAGE: message,
        }

    async_describe_event(DOMAIN, EVENT_HOMECOMING, describe_transition)
    async_describe_event(DOMAIN, EVENT_ROUTINE, describe_routine)


def car_name(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """Return the car's device name (as the user named it), else its entry's title.

    ``data`` carries the car's ``entry_id`` and ``device_id`` (as its events do); the
    logbook and the notifications name the car this way.
    """
    entry_id = data.get(ATTR_ENTRY_ID)
    entry = hass.config_entries.async_get_entry(entry_id) if entry_id else None
    fallback = entry.title if entry else "Homecoming"
    device_id = data.get(ATTR_DEVICE_ID)
    if device_id and (device := dr.async_get(hass).async_get(device_id)):
        return device.name_by_user or device.name or fallback
    return fallback


def _entity_name(hass: HomeAssistant, entity_id: Any) -> str:
    """Return an entity's friendly name, else its id."""
    state = hass.states.get(str(entity_id))
    return state.name if state is not None else str(entity_id)


def _temperature(hass: HomeAssistant, value: Any) -> str | None:
    """Return a temperature with the unit system's unit (21 °C, 70 °F)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return f"{value:g} {hass.config.units.temperature_unit}"


def _comfort_verb(action: Mapping[str, Any]) -> str:
    """Return how a climate action brought a room to comfort, as it was done then.

    The mode is stored with the event, so the wording never follows later options.
    """
    mode = action.get("hvac_mode")
    if mode == HVACMode.HEAT:
        return "heating"
    if mode == HVACMode.COOL:
        return "cooling"
    return "bringing"


def _action(
    hass: HomeAssistant, data: Mapping[str, Any], action: Mapping[str, Any]
) -> str:
    """Describe one thing a routine did to one target."""
    kind = action.get("action")
    name = _entity_name(hass, action.get(ATTR_ENTITY_ID))
    temperature = _temperature(hass, action.get(ATTR_TEMPERATURE))
    to = f" to {temperature}" if temperature else ""
    match kind:
        case "turn_on":
            return f"turned on {name}"
        case "turn_off":
            return f"turned off {name}"
        case "comfort":
            return f"{_comfort_verb(action)} {name}{to}"
        case "restore":
            return f"put {name} back{to}"
        case "eco":
            return f"set {name}{to} (eco)"
        case "away":
            return f"set {name} to away"
        case "open":
            return f"opened {name}"
        case "close":
            return f"closed {name}"
    return f"{kind} {name}"

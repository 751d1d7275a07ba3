"""The garage door routine: open as the car arrives, never on a drive-by.

Opens each chosen ``cover`` when the car is ``arriving`` (or has ``arrived``: the
option), only when it is closed and available, once per trip and once per cooldown for
all cars. Closes it again when the approach is then cancelled (the car drove past, or
parked elsewhere) within the close window of opening it. Optionally closes it when the
car has departed and is beyond a distance, as HomeLink does: only a door Homecoming
opened that nobody closed since, or an open door while nobody is home; never a door that
is unavailable or reports an obstruction. Each move is logged and notified. See
``docs/routines.md`` (with its safety note).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from homeassistant.components.cover import CoverState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_CLOSE_COVER,
    SERVICE_OPEN_COVER,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ..const import DEPARTURE_SETTLE, NOTIFY_GARAGE_DOOR, WHEN_ARRIVING
from ..coordinator import HomecomingCoordinator
from ..engine import EventType
from .actuator import Actuator
from .notify import Notifier
from .options import GarageDoorOptions

COVER_DOMAIN: Final = "cover"
PART: Final = "garage_door"
OBSTRUCTION_ATTRIBUTES: Final = ("obstruction-detected", "obstruction_detected")
"""Cover attributes that report an obstruction (HomeKit Controller, some others)."""


class GarageDoors:
    """One car's garage-door routine and what it remembers across restarts."""

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: HomecomingCoordinator,
        actuator: Actuator,
        notifier: Notifier,
        options: Callable[[], GarageDoorOptions],
        nobody_home: Callable[[], bool],
    ) -> None:
        """Run the garage-door routine of ``coordinator``'s car."""
        self.hass = hass
        self.coordinator = coordinator
        self._actuator = actuator
        self._notifier = notifier
        self._options = options
        self._nobody_home = nobody_home
        self.opened: dict[str, datetime] = {}
        """Doors Homecoming opened that nobody closed since, and when."""
        self.opened_this_trip = False
        self.auto_close_pending = False
        """The car departed; the doors close once it is beyond the distance."""
        self.departed_at: datetime | None = None
        self._handled: set[str] = set()
        """Doors the pending auto-close has dealt with (closed, or told why not)."""

    # ------------------------------------------------------------ record

    def as_record(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "opened": {door: at.isoformat() for door, at in self.opened.items()},
            "opened_this_trip": self.opened_this_trip,
            "auto_close_pending": self.auto_close_pending,
            "departed_at": self.departed_at.isoformat() if self.departed_at else None,
        }

    def load_record(
        self,
        record: Any,
        read_moment: Callable[[Any], datetime],
        read_id: Callable[[Any], str],
    ) -> None:
        """Take back :meth:`as_record`'s output (absent in older records: nothing).

        Raises ``ValueError``, ``TypeError`` or ``KeyError`` when it is malformed.
        """
        if record is None:
            return
        opened = {
            read_id(door): read_moment(at) for door, at in record["opened"].items()
        }
        this_trip = record["opened_this_trip"]
        pending = record["auto_close_pending"]
        if not isinstance(this_trip, bool) or not isinstance(pending, bool):
            raise TypeError((this_trip, pending))
        departed = record.get("departed_at")
        self.departed_at = None if departed is None else read_moment(departed)
        self.opened = opened
        self.opened_this_trip = this_trip
        self.auto_close_pending = pending

    @callback
    def async_door_changed(self, event: Event[EventStateChangedData]) -> bool:
        """Forget that Homecoming opened a door once it is closed; ``True`` if so."""
        new = event.data["new_state"]
        door = event.data["entity_id"]
        if new is not None and new.state == CoverState.CLOSED and door in self.opened:
            del self.opened[door]
            return True
        return False

    # ------------------------------------------------------------ reactions

    async def async_transition(self, event: EventType) -> list[dict[str, Any]]:
        """React to a transition while the routines are active."""
        options = self._options()
        if event in (EventType.APPROACH_STARTED, EventType.ARRIVED):
            # Back again: a departure's auto-close no longer applies.
            self.auto_close_pending = False
        actions: list[dict[str, Any]] = []
        opens = (event is EventType.ARRIVING and options.open_on == WHEN_ARRIVING) or (
            # ``arriving`` may be missed (a sparse source): the car is home anyway.
            event is EventType.ARRIVED
        )
        if opens and not self.opened_this_trip:
            actions += await self._async_open(event)
        elif event is EventType.APPROACH_CANCELLED:
            actions += await self.async_close_cancelled()
        elif event is EventType.DEPARTED and options.targets and options.auto_close:
            self.auto_close_pending = True
            self.departed_at = dt_util.utcnow()
            self._handled.clear()
            actions += await self.async_check_distance()
        if event in (EventType.ARRIVED, EventType.APPROACH_CANCELLED):
            self.opened_this_trip = False
        return actions

    def held(self, event: EventType) -> None:
        """Keep the trip's bookkeeping while the routines are held (nothing moves)."""
        if event in (EventType.APPROACH_STARTED, EventType.ARRIVED, EventType.DEPARTED):
            self.auto_close_pending = False
        if event in (EventType.ARRIVED, EventType.APPROACH_CANCELLED):
            self.opened_this_trip = False

    async def async_check_distance(self) -> list[dict[str, Any]]:
        """Close the doors once a departed car is beyond the auto-close distance."""
        distance = self.coordinator.data.snapshot.distance_m
        if (
            not self.auto_close_pending
            or distance is None
            or distance < self._options().auto_close_distance
        ):
            return []
        # Someone still home just after the car left may be leaving with it (a phone
        # that is also a person's tracker): a door that is not Homecoming's waits for
        # the household to settle, as the departure set-back does.
        settling = (
            self.departed_at is not None
            and dt_util.utcnow() - self.departed_at < DEPARTURE_SETTLE
        )
        actions, waiting = await self._async_auto_close(final=not settling)
        self.auto_close_pending = waiting
        return actions

    # ------------------------------------------------------------ moves

    async def _async_open(self, event: EventType) -> list[dict[str, Any]]:
        options = self._options()
        if not options.targets:
            return []
        self.opened_this_trip = True
        actions: list[dict[str, Any]] = []
        reason = "nothing_to_do"
        for door in options.targets:
            if (state := self._door(door)) is None:
                continue
            if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                reason = "unavailable"
                continue
            if state.state != CoverState.CLOSED:
                reason = "not_closed"
                continue
            if self._actuator.guarded(door, SERVICE_OPEN_COVER):
                reason = "cooldown"
                continue
            if not await self._actuator.async_call(
                COVER_DOMAIN, SERVICE_OPEN_COVER, {ATTR_ENTITY_ID: door}
            ):
                continue
            self._actuator.guard(door, SERVICE_OPEN_COVER)
            self.opened[door] = dt_util.utcnow()
            actions.append({"action": "open", "entity_id": door})
            await self._notifier.async_send(
                NOTIFY_GARAGE_DOOR, "garage_door_opened", {"door": state.name}
            )
        self._actuator.decide(PART, event, "done" if actions else reason, len(actions))
        return actions

    async def async_close_cancelled(self) -> list[dict[str, Any]]:
        """Close again the doors this trip opened, if the close window is still open."""
        options = self._options()
        window = options.close_if_cancelled
        now = dt_util.utcnow()
        actions: list[dict[str, Any]] = []
        reason = "nothing_to_do"
        for door, opened_at in list(self.opened.items()):
            if not window or now - opened_at > window:
                reason = "too_late"
                continue
            state = self._actuator.state(door)
            if state is None or state.state != CoverState.OPEN:
                reason = "not_open"
                continue
            if await self._async_close(
                door, state.name, "garage_door_closed_cancelled"
            ):
                actions.append({"action": "close", "entity_id": door})
        self._actuator.decide(
            PART,
            EventType.APPROACH_CANCELLED,
            "done" if actions else reason,
            len(actions),
        )
        return actions

    async def _async_auto_close(
        self, *, final: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        """Close the open doors that are Homecoming's, or any while nobody is home.

        Returns what was done, and whether a door still waits for the household (only
        when not ``final``). A door that is unavailable or reports an obstruction is
        left open and the household told, once per departure.
        """
        options = self._options()
        actions: list[dict[str, Any]] = []
        reason = "nothing_to_do"
        waiting = False
        for door in options.targets:
            if door in self._handled or (state := self._door(door)) is None:
                continue
            ours = door in self.opened or self._nobody_home()
            if not ours and not final:
                waiting = True
                continue
            self._handled.add(door)
            if not ours:
                reason = "not_ours"
            elif state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                reason = "unavailable"
                await self._tell(state.name, "garage_door_unavailable")
            elif state.state != CoverState.OPEN:
                reason = "not_open"
            elif self._obstructed(door, state.attributes):
                reason = "obstruction"
                await self._tell(state.name, "garage_door_obstructed")
            elif await self._async_close(
                door, state.name, "garage_door_closed_departed"
            ):
                actions.append({"action": "close", "entity_id": door})
        if not waiting:
            self._actuator.decide(
                PART, EventType.DEPARTED, "done" if actions else reason, len(actions)
            )
        return actions, waiting

    def _door(self, door: str) -> State | None:
        """Return a door's state; a door that does not exist is reported (a repair)."""
        state = self._actuator.state(door)
        if state is None:
            self._actuator.report_missing(door)
        else:
            self._actuator.clear_missing(door)
        return state

    def _obstructed(self, door: str, attributes: Mapping[str, Any]) -> bool:
        """Tell whether a door reports an obstruction, itself or by a sensor of its own.

        An obstruction sensor on a device (ratgdo, Meross…) speaks for the door of the
        same device only; one without a device (a template) speaks for every door.
        """
        if any(attributes.get(key) is True for key in OBSTRUCTION_ATTRIBUTES):
            return True
        registry = er.async_get(self.hass)
        door_entry = registry.async_get(door)
        door_device = door_entry.device_id if door_entry else None
        for sensor in self._options().obstruction_sensors:
            state = self.hass.states.get(sensor)
            if state is None or state.state != STATE_ON:
                continue
            sensor_entry = registry.async_get(sensor)
            sensor_device = sensor_entry.device_id if sensor_entry else None
            if None in (sensor_device, door_device) or sensor_device == door_device:
                return True
        return False

    async def _async_close(self, door: str, name: str, message: str) -> bool:
        if not await self._actuator.async_call(
            COVER_DOMAIN, SERVICE_CLOSE_COVER, {ATTR_ENTITY_ID: door}
        ):
            return False
        self.opened.pop(door, None)
        await self._tell(name, message)
        return True

    async def _tell(self, name: str, message: str) -> None:
        """Notify a move of the door ``name``, or why it was left alone."""
        await self._notifier.async_send(NOTIFY_GARAGE_DOOR, message, {"door": name})

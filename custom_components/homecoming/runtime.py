"""Who owns what while a car is set up: the entry's typed runtime data.

One direction of dependency: the source feeds the coordinator; the coordinator owns the
detector, the clock and storage and announces each transition once; the routines, the
entities, the bus event and the logbook listen. Nothing is attached to the coordinator
afterwards. A car that follows a phone owns its in-car signals through its source
(``source.in_car``, :mod:`.incar`): the source decides which of the phone's reports reach
the coordinator, and tells it whether the phone is in the car (for the entities).
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .coordinator import HomecomingCoordinator
from .routines import RoutineRunner
from .sources.entity import EntitySource
from .sources.webhook import WebhookSource


@dataclass(frozen=True, slots=True)
class HomecomingRuntimeData:
    """A set-up car: its coordinator, its routines and its position source."""

    coordinator: HomecomingCoordinator
    routines: RoutineRunner
    source: EntitySource | WebhookSource


type HomecomingConfigEntry = ConfigEntry[HomecomingRuntimeData]

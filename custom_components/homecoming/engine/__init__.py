"""The approach engine: pure Python, no Home Assistant import, time as an input."""

from .detector import ApproachDetector
from .geo import haversine_m, local_m
from .models import (
    Direction,
    EventType,
    Fix,
    Home,
    Phase,
    RejectReason,
    Snapshot,
    Transition,
    UpdateResult,
)
from .preheat import ClimateMode, preheat_lead, preheat_start, should_start
from .settings import Settings

__all__ = [
    "ApproachDetector",
    "ClimateMode",
    "Direction",
    "EventType",
    "Fix",
    "Home",
    "Phase",
    "RejectReason",
    "Settings",
    "Snapshot",
    "Transition",
    "UpdateResult",
    "haversine_m",
    "local_m",
    "preheat_lead",
    "preheat_start",
    "should_start",
]

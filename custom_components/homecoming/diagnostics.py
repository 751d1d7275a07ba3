"""Diagnostics of the Homecoming integration: what a car knows, without where it is.

Built from an allow-list: every value below is picked by name from what is safe to share
(counters, phases, settings, timings, health, the routines' last decisions). Nothing is
copied wholesale, so a field added later to the entry, the options or the detector's
state cannot leak: positions, the VIN, drivers' names and ids, persons, scenes, entity ids
of routine targets, the webhook id, secrets and URLs are never in the output.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant, split_entity_id
from homeassistant.helpers.device_registry import DeviceEntry

from .const import CONF_CLOUDHOOK, CONF_SECRET, CONF_SOURCE, CONF_TRACKED_ENTITY
from .runtime import HomecomingConfigEntry

DETECTOR_FIELDS: Final = (
    "phase",
    "positioned",
    "dist",
    "acc",
    "last_speed",
    "speed",
    "closing",
    "interval",
    "min_dist",
    "mark_dist",
    "still_dist",
    "qualified",
    "departure_seen",
    "outside_dist",
    "ignition",
    "candidate_count",
)
"""The detector's state fields that say how it decides without saying where the car is
(distances to home and accuracies, not positions)."""

DETECTOR_TIMES: Final = ("last_t", "mark_t", "outside_since")
"""Times of the detector's state, shown as ISO 8601."""


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HomecomingConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a car."""
    return _car_diagnostics(entry)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: HomecomingConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of a car's device (one device per car)."""
    return {
        "device": {
            "manufacturer": device.manufacturer,
            "model": device.model,
            "disabled_by": device.disabled_by,
            "renamed": device.name_by_user is not None,
        },
        **_car_diagnostics(entry),
    }


def _car_diagnostics(entry: HomecomingConfigEntry) -> dict[str, Any]:
    """Collect what is safe to know about a car."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    detector = coordinator.engine
    snapshot = data.snapshot
    tracked = entry.data.get(CONF_TRACKED_ENTITY)
    state = detector.as_dict()
    routines = entry.runtime_data.routines
    return {
        "entry": {
            "version": entry.version,
            "minor_version": entry.minor_version,
            "state": entry.state.value,
            "source": entry.data[CONF_SOURCE],
            "has_secret": bool(entry.data.get(CONF_SECRET)),
            "cloudhook": bool(entry.data.get(CONF_CLOUDHOOK)),
            "drivers": len(coordinator.drivers.drivers),
        },
        "source": {
            "type": entry.data[CONF_SOURCE],
            "tracked_domain": split_entity_id(tracked)[0] if tracked else None,
            "available": data.available,
            "silent": data.silent,
            "last_update_success": coordinator.last_update_success,
            # Only of a car that names in-car signals: whether the phone is in it.
            **({} if data.in_car is None else {"in_car": data.in_car}),
        },
        "home": {
            "zone": coordinator.zone_entity_id,
            "radius": detector.home.radius,
        },
        "settings": asdict(detector.settings),
        "car": {
            "phase": snapshot.phase,
            "distance": snapshot.distance_m,
            "direction": snapshot.direction,
            "speed": snapshot.speed,
            "closing_speed": snapshot.closing_speed,
            "eta": _iso(snapshot.eta),
            "last_fix": _iso(snapshot.last_fix),
            "accuracy": snapshot.accuracy,
            "driver_known": snapshot.driver is not None or data.driver is not None,
        },
        "stats": dict(sorted(coordinator.stats.items())),
        "detector": {
            "version": state["version"],
            **{name: state[name] for name in DETECTOR_FIELDS},
            **{name: _iso_t(state[name]) for name in DETECTOR_TIMES},
            "window_fixes": len(state["window"]),
            "external_eta": state["external_eta"] is not None,
        },
        "routines": {
            "enabled": routines.enabled,
            "active": routines.active,
            "snoozed_until": _iso(routines.snoozed_until),
            "decisions": {
                part: {**asdict(decision), "at": decision.at.isoformat()}
                for part, decision in sorted(routines.actuator.decisions.items())
            },
        },
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _iso_t(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()

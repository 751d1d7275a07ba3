"""Diagnostics of the Homecoming integration: what a car knows, without where it is."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    CONF_UNIQUE_ID,
    CONF_URL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import CONF_SOURCE, CONF_TRACKED_ENTITY, CONF_VIN
from .coordinator import HomecomingConfigEntry, HomecomingCoordinator

TO_REDACT: Final = frozenset(
    {
        # Where the car is, was or is heading, wherever it appears (the engine's
        # stored state keeps positions as "lat" / "lon" and inside "anchor" and
        # "outlier").
        ATTR_LATITUDE,
        ATTR_LONGITUDE,
        "lat",
        "lon",
        "anchor",
        "outlier",
        # What identifies the car (a push car's unique id is its VIN).
        CONF_VIN,
        CONF_UNIQUE_ID,
        "serial_number",
        # Webhook and other secrets.
        CONF_WEBHOOK_ID,
        CONF_URL,
        "cloudhook_url",
        "secret",
    }
)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HomecomingConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a car."""
    return async_redact_data(_car_diagnostics(entry), TO_REDACT)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: HomecomingConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of a car's device (one device per car)."""
    return async_redact_data(
        {
            "device": {
                "name": device.name,
                "name_by_user": device.name_by_user,
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial_number": device.serial_number,
                "disabled_by": device.disabled_by,
            },
            **_car_diagnostics(entry),
        },
        TO_REDACT,
    )


def _car_diagnostics(entry: HomecomingConfigEntry) -> dict[str, Any]:
    """Collect everything worth knowing about a car, before redaction."""
    coordinator: HomecomingCoordinator = entry.runtime_data
    data = coordinator.data
    engine = coordinator.engine
    snapshot = data.snapshot
    return {
        "entry": entry.as_dict(),
        "source": {
            "type": entry.data[CONF_SOURCE],
            "tracked_entity": entry.data.get(CONF_TRACKED_ENTITY),
            "available": data.available,
            "stale": data.stale,
            "last_update_success": coordinator.last_update_success,
        },
        "home": {
            "zone": coordinator.zone_entity_id,
            "radius": engine.home.radius,
        },
        "settings": asdict(engine.settings),
        "car": {
            "phase": snapshot.phase,
            "distance": snapshot.distance_m,
            "direction": snapshot.direction,
            "speed": snapshot.speed,
            "closing_speed": snapshot.closing_speed,
            "eta": _iso(snapshot.eta),
            "last_fix": _iso(snapshot.last_fix),
            "driver": snapshot.driver,
            ATTR_LATITUDE: snapshot.latitude,
            ATTR_LONGITUDE: snapshot.longitude,
            "accuracy": snapshot.accuracy,
        },
        "stats": dict(sorted(coordinator.stats.items())),
        "engine_state": engine.as_dict(),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()

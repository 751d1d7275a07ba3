"""Actions of the Homecoming integration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
import math
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import probatio

from .const import (
    ATTR_ACCURACY,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRIVER,
    ATTR_DURATION,
    ATTR_HEADING,
    ATTR_IGNITION,
    ATTR_ROUTINE,
    ATTR_SPEED,
    ATTR_TIMESTAMP,
    ATTR_TRAVEL_TIME,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    DOMAIN,
    ROUTINE_ARRIVAL,
    ROUTINE_DEPARTURE,
    SERVICE_RUN_ROUTINE,
    SERVICE_SNOOZE,
    SERVICE_UPDATE_LOCATION,
    SOURCE_ENTITY,
)
from .detection import DETECTION_RANGES
from .engine import Fix
from .history import MAX_DAYS, PREVIEW_DAYS, async_replay, replay_response
from .runtime import HomecomingConfigEntry

SERVICE_REPLAY: Final = "replay"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

LOCATION_RANGES: Final[Mapping[str, tuple[float, float]]] = {
    ATTR_LATITUDE: (-90.0, 90.0),
    ATTR_LONGITUDE: (-180.0, 180.0),
    ATTR_ACCURACY: (0.0, 100_000.0),
    ATTR_SPEED: (0.0, 150.0),
    ATTR_HEADING: (0.0, 360.0),
    ATTR_TRAVEL_TIME: (0.0, 86_400.0),
}
"""The valid range of each number of ``homecoming.update_location``, inclusive (degrees,
metres, metres per second, seconds; docs/sources.md and services.yaml say the same)."""
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""A timestamp must be from :data:`EARLIEST` to before :data:`LATEST` (UTC)."""

UPDATE_LOCATION_SCHEMA = probatio.All(
    probatio.Schema(
        {
            probatio.Exclusive(ATTR_CONFIG_ENTRY_ID, "car"): cv.string,
            probatio.Exclusive(ATTR_DEVICE_ID, "car"): cv.string,
            probatio.Required(ATTR_LATITUDE): probatio.Coerce(float),
            probatio.Required(ATTR_LONGITUDE): probatio.Coerce(float),
            probatio.Optional(ATTR_ACCURACY): probatio.Coerce(float),
            probatio.Optional(ATTR_TIMESTAMP): cv.datetime,
            probatio.Optional(ATTR_SPEED): probatio.Coerce(float),
            probatio.Optional(ATTR_HEADING): probatio.Coerce(float),
            probatio.Optional(ATTR_IGNITION): cv.boolean,
            probatio.Optional(ATTR_DRIVER): cv.string,
            probatio.Optional(ATTR_TRAVEL_TIME): probatio.Coerce(float),
        }
    ),
    cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID),
)

CAR_FIELDS: dict[Any, Any] = {
    probatio.Exclusive(ATTR_CONFIG_ENTRY_ID, "car"): cv.string,
    probatio.Exclusive(ATTR_DEVICE_ID, "car"): cv.string,
}
"""The fields that name the car an action is for: its entry or its device."""

SNOOZE_SCHEMA = probatio.All(
    probatio.Schema(
        {**CAR_FIELDS, probatio.Required(ATTR_DURATION): cv.positive_time_period}
    ),
    cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID),
)

RUN_ROUTINE_SCHEMA = probatio.All(
    probatio.Schema(
        {
            **CAR_FIELDS,
            probatio.Required(ATTR_ROUTINE): probatio.In(
                [ROUTINE_ARRIVAL, ROUTINE_DEPARTURE]
            ),
        }
    ),
    cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID),
)


REPLAY_SCHEMA = probatio.All(
    probatio.Schema(
        {
            **CAR_FIELDS,
            probatio.Optional(ATTR_START): cv.datetime,
            probatio.Optional(ATTR_END): cv.datetime,
            **{
                probatio.Optional(key): probatio.Coerce(float)
                for key in DETECTION_RANGES
            },
        }
    ),
    cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID),
)
"""The car, the period (default: the last 14 days) and detection options to try (the
options' keys and ranges; default: the car's)."""


def _car_entry(hass: HomeAssistant, data: dict[str, Any]) -> HomecomingConfigEntry:
    """Return the loaded config entry of the car an action targets."""
    entry_id: str | None = data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        # A device belongs to a single config entry (Home Assistant 2026.x).
        device = dr.async_get(hass).async_get(data[ATTR_DEVICE_ID])
        entry_id = device.config_entry_id if device else None
    entry = hass.config_entries.async_get_entry(entry_id) if entry_id else None
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="car_not_found",
            translation_placeholders={
                "car": str(data.get(ATTR_CONFIG_ENTRY_ID) or data.get(ATTR_DEVICE_ID))
            },
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="car_not_loaded",
            translation_placeholders={"car": entry.title},
        )
    return entry


def _out_of_range(
    field: str, value: object, low: object, high: object
) -> ServiceValidationError:
    """Return the translated error of a field whose value is outside its range."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="out_of_range",
        translation_placeholders={
            "field": field,
            "value": str(value),
            "min": str(low),
            "max": str(high),
        },
    )


def _timestamp(value: datetime | None, field: str = ATTR_TIMESTAMP) -> datetime:
    """Return the fix's time in UTC (now if not given); naive times are local."""
    if value is None:
        return dt_util.utcnow()
    try:
        utc = dt_util.as_utc(value)
    except OverflowError:  # a local time near the end of the calendar
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise _out_of_range(
            field,
            value.isoformat(),
            EARLIEST.isoformat(),
            (LATEST - timedelta(seconds=1)).isoformat(),
        )
    return utc


def _fix_from_call(data: dict[str, Any]) -> Fix:
    """Return the fix an action describes; a translated error if it cannot be one."""
    for field, (low, high) in LOCATION_RANGES.items():
        value = data.get(field)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise _out_of_range(field, value, f"{low:g}", f"{high:g}")
    timestamp = _timestamp(data.get(ATTR_TIMESTAMP))
    try:
        return Fix(
            latitude=data[ATTR_LATITUDE],
            longitude=data[ATTR_LONGITUDE],
            timestamp=timestamp,
            accuracy=data.get(ATTR_ACCURACY),
            speed=data.get(ATTR_SPEED),
            heading=data.get(ATTR_HEADING),
            ignition=data.get(ATTR_IGNITION),
            driver=data.get(ATTR_DRIVER),
            travel_time=data.get(ATTR_TRAVEL_TIME),
        )
    except (TypeError, ValueError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_location",
            translation_placeholders={"reason": str(err)},
        ) from err


async def _async_update_location(call: ServiceCall) -> None:
    """Feed one fix to a car, as if its tracker had reported it.

    Refused for a car that follows an entity: its position is that entity's, and a fix
    from elsewhere would move it only until the entity's next report.
    """
    entry = _car_entry(call.hass, dict(call.data))
    if entry.data[CONF_SOURCE] == SOURCE_ENTITY:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="car_follows_entity",
            translation_placeholders={
                "car": entry.title,
                "entity": entry.data[CONF_TRACKED_ENTITY],
            },
        )
    fix = _fix_from_call(dict(call.data))
    entry.runtime_data.coordinator.async_add_fixes([fix])


async def _async_snooze(call: ServiceCall) -> None:
    """Hold a car's routines for a while; a duration of 0 ends the snooze."""
    entry = _car_entry(call.hass, dict(call.data))
    duration: timedelta = call.data[ATTR_DURATION]
    entry.runtime_data.routines.async_snooze(duration)


async def async_run_routine(entry: HomecomingConfigEntry, routine: str) -> None:
    """Run a car's routine now; refused while its routines are switched off."""
    runner = entry.runtime_data.routines
    if not runner.enabled:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="routines_off",
            translation_placeholders={"car": entry.title},
        )
    await runner.async_run(routine)


async def _async_run_routine(call: ServiceCall) -> None:
    """Run a car's arrival or departure routine now."""
    entry = _car_entry(call.hass, dict(call.data))
    await async_run_routine(entry, call.data[ATTR_ROUTINE])


def _replay_period(data: dict[str, Any]) -> tuple[datetime, datetime]:
    """Return the period to replay in UTC: the last 14 days unless the call says.

    Naive times are local; the end must come after the start, at most
    :data:`~.history.MAX_DAYS` days later on Home Assistant's wall clock (a month of
    31 days is 31 days long, though the clocks went back an hour in it). Errors show
    the times in Home Assistant's time zone, as the response does.
    """
    end = _timestamp(data.get(ATTR_END), ATTR_END)
    if ATTR_START in data:
        start = _timestamp(data[ATTR_START], ATTR_START)
    else:
        start = end - timedelta(days=PREVIEW_DAYS)
    if start >= end:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="replay_period_empty",
            translation_placeholders={
                "start": dt_util.as_local(start).isoformat(),
                "end": dt_util.as_local(end).isoformat(),
            },
        )
    days = (_wall_clock(end) - _wall_clock(start)) / timedelta(days=1)
    if days > MAX_DAYS:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="replay_period_too_long",
            translation_placeholders={
                # Rounded up: never "31.0" for a period longer than 31 days.
                "days": f"{math.ceil(days * 10) / 10:.1f}",
                "max": str(MAX_DAYS),
            },
        )
    return start, end


def _wall_clock(moment: datetime) -> datetime:
    """Return a moment as Home Assistant's clock on the wall shows it (naive)."""
    return dt_util.as_local(moment).replace(tzinfo=None)


def replay_options(
    options: Mapping[str, Any], data: Mapping[str, Any]
) -> dict[str, Any]:
    """Return a car's options with the detection options an action call gives.

    Each must be within the range the options form allows (:data:`DETECTION_RANGES`).
    """
    given: dict[str, float] = {}
    for key, (low, high) in DETECTION_RANGES.items():
        if (value := data.get(key)) is None:
            continue
        if not (math.isfinite(value) and low <= value <= high):
            raise _out_of_range(key, value, f"{low:g}", f"{high:g}")
        given[key] = value
    return {**options, **given}


async def _async_replay(call: ServiceCall) -> ServiceResponse:
    """Replay a car's recorded history: what Homecoming would have done.

    Only for a car that follows an entity: the recorder has that entity's states.
    """
    data = dict(call.data)
    entry = _car_entry(call.hass, data)
    if entry.data[CONF_SOURCE] != SOURCE_ENTITY:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="replay_needs_entity",
            translation_placeholders={"car": entry.title},
        )
    start, end = _replay_period(data)
    options = replay_options(entry.options, data)
    result = await async_replay(call.hass, entry, start, end, options)
    return replay_response(entry, options, result)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_UPDATE_LOCATION,
        _async_update_location,
        schema=UPDATE_LOCATION_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SNOOZE, _async_snooze, schema=SNOOZE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_RUN_ROUTINE, _async_run_routine, schema=RUN_ROUTINE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_REPLAY,
        _async_replay,
        schema=REPLAY_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )

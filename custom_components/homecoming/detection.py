"""The detection options: their ranges, defaults, form fields, and the engine settings.

One place converts between what the user sets in the options (kilometres, minutes,
metres) and the detector's :class:`~.engine.Settings` (metres, seconds), both ways, and
gives the options form its fields. A car that follows an entity may also name a
travel-time sensor whose value is its ETA (read by :mod:`.sources.entity`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
import math
from typing import Any, Final, TypeIs

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfLength, UnitOfTime
from homeassistant.core import HomeAssistant, valid_entity_id
from homeassistant.util.unit_conversion import DurationConverter
import probatio

from .const import (
    CONF_ARRIVAL_RADIUS,
    CONF_MAX_ACCURACY,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_SILENCE_TIMEOUT,
    CONF_STOP_TOLERANCE,
    CONF_TRAVEL_TIME_SENSOR,
)
from .engine import Settings
from .selectors import entities, number_box

DETECTION_RANGES: Final[Mapping[str, tuple[float, float]]] = {
    CONF_REACH_KM: (0.0, 500.0),
    CONF_REACH_MINUTES: (0.0, 240.0),
    CONF_ARRIVAL_RADIUS: (50.0, 5_000.0),
    CONF_STOP_TOLERANCE: (1.0, 60.0),
    CONF_SILENCE_TIMEOUT: (2.0, 240.0),
    CONF_MAX_ACCURACY: (20.0, 2_000.0),
}
"""The valid range of each detection option, inclusive, in the units the user sees
(kilometres, minutes, metres; docs/sources.md). The options form allows nothing else."""

_DEFAULTS = Settings()

DETECTION_DEFAULTS: Final[Mapping[str, float]] = {
    CONF_REACH_KM: (_DEFAULTS.reach_m or 0) / 1000,
    CONF_REACH_MINUTES: (_DEFAULTS.reach_eta_s or 0) / 60,
    CONF_ARRIVAL_RADIUS: _DEFAULTS.arrival_radius_m,
    CONF_STOP_TOLERANCE: _DEFAULTS.stop_tolerance_s / 60,
    CONF_SILENCE_TIMEOUT: _DEFAULTS.silence_timeout_s / 60,
    CONF_MAX_ACCURACY: _DEFAULTS.max_accuracy_m,
}
"""The detection options' defaults, in the units the user sees (from the engine's)."""


def detection_options(
    options: Mapping[str, Any],
) -> tuple[dict[str, float], dict[str, Any]]:
    """Return the detection options in force (user units), and the saved values refused.

    A saved value that is not a number within its range (written by hand or by an older
    version) is replaced by its default: the form could not have saved it, so the
    documented default is the only behaviour the user has seen described.
    """
    values = dict(DETECTION_DEFAULTS)
    refused: dict[str, Any] = {}
    for key, (low, high) in DETECTION_RANGES.items():
        if key not in options:
            continue
        value = options[key]
        number = _option_number(value)
        if number is not None and low <= number <= high:
            values[key] = number
        else:
            refused[key] = value
    return values, refused


def _option_number(value: object) -> float | None:
    """Return a saved option as a float, or None if it is no finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def settings_from_options(options: Mapping[str, Any]) -> Settings:
    """Detector settings from the entry options (user units), defaults for the rest.

    Values out of range are replaced by their defaults (see :func:`detection_options`).
    """
    values, _ = detection_options(options)
    reach = values[CONF_REACH_KM]
    minutes = values[CONF_REACH_MINUTES]
    return replace(
        _DEFAULTS,
        reach_m=reach * 1000.0 if reach else None,
        reach_eta_s=minutes * 60.0 if minutes else None,
        arrival_radius_m=values[CONF_ARRIVAL_RADIUS],
        stop_tolerance_s=values[CONF_STOP_TOLERANCE] * 60.0,
        silence_timeout_s=values[CONF_SILENCE_TIMEOUT] * 60.0,
        max_accuracy_m=values[CONF_MAX_ACCURACY],
    )


DETECTION_STEPS: dict[str, tuple[float, str]] = {
    CONF_REACH_KM: (1, UnitOfLength.KILOMETERS),
    CONF_REACH_MINUTES: (1, UnitOfTime.MINUTES),
    CONF_ARRIVAL_RADIUS: (10, UnitOfLength.METERS),
    CONF_STOP_TOLERANCE: (1, UnitOfTime.MINUTES),
    CONF_SILENCE_TIMEOUT: (1, UnitOfTime.MINUTES),
    CONF_MAX_ACCURACY: (10, UnitOfLength.METERS),
}
"""The step and unit of each detection option's box."""

DETECTION_FIELDS: dict[str, probatio.All[float]] = {
    key: probatio.All(
        number_box(low, high, *DETECTION_STEPS[key]), probatio.Range(min=low, max=high)
    )
    for key, (low, high) in DETECTION_RANGES.items()
}
"""Each detection option's box and its range (the range also refuses NaN)."""

TRAVEL_TIME_FIELD: Final = entities("sensor", device_class=SensorDeviceClass.DURATION)
"""The travel-time sensor picker: duration sensors (Waze and Google Travel Time are)."""


def travel_time_sensor(options: Mapping[str, Any]) -> str | None:
    """Return the car's travel-time sensor, or None if it has none (or a junk one).

    Only the options form writes this key, and only an entity id; anything else was
    written by hand and is ignored.
    """
    value = options.get(CONF_TRAVEL_TIME_SENSOR)
    return value if isinstance(value, str) and valid_entity_id(value) else None


def is_duration_unit(unit: object) -> TypeIs[str]:
    """Whether a ``unit_of_measurement`` is one Home Assistant converts as a duration."""
    return isinstance(unit, str) and unit in DurationConverter.VALID_UNITS


def detection_schema(
    options: Mapping[str, Any], *, travel_time: bool
) -> probatio.Schema:
    """Return the detection form, showing the options in force.

    ``travel_time``: offer the travel-time sensor (cars that follow an entity; pushes
    and the action carry their own ``travel_time``).
    """
    current, _ = detection_options(options)
    fields: dict[Any, Any] = {
        probatio.Required(key, default=current[key]): field
        for key, field in DETECTION_FIELDS.items()
    }
    if travel_time:
        fields[probatio.Optional(CONF_TRAVEL_TIME_SENSOR)] = TRAVEL_TIME_FIELD
    return probatio.Schema(fields)


def detection_suggestions(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return what the detection form suggests: the saved travel-time sensor."""
    sensor = travel_time_sensor(options)
    return {} if sensor is None else {CONF_TRAVEL_TIME_SENSOR: sensor}


def detection_errors(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> dict[str, str]:
    """Return what is wrong with a filled-in detection form, by field.

    The numbers are checked by the form's schema; a travel-time sensor must exist and
    have a duration unit (a sensor that is unavailable for now still shows its unit).
    """
    sensor = user_input.get(CONF_TRAVEL_TIME_SENSOR)
    if not sensor:
        return {}
    state = hass.states.get(sensor)
    if state is None or not is_duration_unit(
        state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    ):
        return {CONF_TRAVEL_TIME_SENSOR: "travel_time_sensor"}
    return {}


def detection_form_options(
    options: Mapping[str, Any], user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the entry options after the detection form was saved.

    A travel-time sensor cleared from the form (absent or empty) is removed.
    """
    new = {**options, **user_input}
    if not user_input.get(CONF_TRAVEL_TIME_SENSOR):
        new.pop(CONF_TRAVEL_TIME_SENSOR, None)
    return new

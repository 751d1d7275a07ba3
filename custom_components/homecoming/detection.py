"""The detection options: their ranges, defaults, form fields, and the engine settings.

One place converts between what the user sets in the options (kilometres, minutes,
metres) and the detector's :class:`~.engine.Settings` (metres, seconds), both ways, and
gives the options form its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
import math
from typing import Any, Final

from homeassistant.const import UnitOfLength, UnitOfTime
import probatio

from .const import (
    CONF_ARRIVAL_RADIUS,
    CONF_MAX_ACCURACY,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_SILENCE_TIMEOUT,
    CONF_STOP_TOLERANCE,
)
from .engine import Settings
from .selectors import number_box

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

"""Pre-heat (and pre-cool) timing: when a thermostat must start to be ready on arrival."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ClimateMode(StrEnum):
    """What the thermostat can do to reach the target."""

    HEAT = "heat"
    COOL = "cool"
    AUTO = "auto"


def preheat_lead(
    *,
    indoor: float,
    target: float,
    rate_per_hour: float,
    mode: ClimateMode = ClimateMode.HEAT,
    max_lead: timedelta | None = None,
) -> timedelta | None:
    """Return how long before arrival the thermostat must start.

    ``lead = (target - indoor) / rate`` for heating (``(indoor - target) / rate`` for
    cooling), bounded by ``max_lead``. ``None`` when the mode cannot or need not act: the room
    is already at (or beyond) the target in the mode's direction. ``rate_per_hour`` is the
    degrees per hour the home gains (or loses) with the system running; it must be positive.
    """
    if rate_per_hour <= 0:
        msg = "rate_per_hour must be positive"
        raise ValueError(msg)
    delta = target - indoor
    if delta > 0 and mode is not ClimateMode.COOL:
        needed = delta
    elif delta < 0 and mode is not ClimateMode.HEAT:
        needed = -delta
    else:
        return None
    lead = timedelta(hours=needed / rate_per_hour)
    if not lead:
        return None  # a difference too small to take a microsecond: at the target
    if max_lead is not None and lead > max_lead:
        return max_lead
    return lead


def preheat_start(
    *,
    eta: datetime,
    indoor: float,
    target: float,
    rate_per_hour: float,
    mode: ClimateMode = ClimateMode.HEAT,
    max_lead: timedelta | None = None,
) -> datetime | None:
    """Return when the thermostat must start so the home reaches ``target`` at ``eta``.

    ``None`` when nothing needs to start (see :func:`preheat_lead`). A start in the past
    means: start now.
    """
    lead = preheat_lead(
        indoor=indoor,
        target=target,
        rate_per_hour=rate_per_hour,
        mode=mode,
        max_lead=max_lead,
    )
    return None if lead is None else eta - lead


def should_start(
    *,
    now: datetime,
    eta: datetime | None,
    indoor: float,
    target: float,
    rate_per_hour: float,
    mode: ClimateMode = ClimateMode.HEAT,
    max_lead: timedelta | None = None,
) -> bool:
    """Return whether a thermostat must be started at ``now`` (false without an ETA)."""
    if eta is None:
        return False
    start = preheat_start(
        eta=eta,
        indoor=indoor,
        target=target,
        rate_per_hour=rate_per_hour,
        mode=mode,
        max_lead=max_lead,
    )
    return start is not None and now >= start

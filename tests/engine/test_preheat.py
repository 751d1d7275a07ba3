"""Tests of the pre-heat timing."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.homecoming.engine import (
    ClimateMode,
    preheat_lead,
    preheat_start,
    should_start,
)

ETA = datetime(2026, 1, 1, 18, tzinfo=UTC)


def test_lead_for_heating() -> None:
    """Three degrees at two degrees an hour take 90 minutes."""
    assert preheat_lead(indoor=18.0, target=21.0, rate_per_hour=2.0) == timedelta(
        minutes=90
    )


def test_lead_bounded_by_max_lead() -> None:
    """A slow system never starts earlier than the maximum lead."""
    lead = preheat_lead(
        indoor=10.0, target=21.0, rate_per_hour=1.0, max_lead=timedelta(hours=2)
    )
    assert lead == timedelta(hours=2)


@pytest.mark.parametrize(
    ("indoor", "target", "mode", "expected"),
    [
        (21.0, 21.0, ClimateMode.HEAT, None),
        (23.0, 21.0, ClimateMode.HEAT, None),
        (18.0, 21.0, ClimateMode.COOL, None),
        (27.0, 24.0, ClimateMode.COOL, timedelta(hours=1)),
        (27.0, 24.0, ClimateMode.AUTO, timedelta(hours=1)),
        (18.0, 21.0, ClimateMode.AUTO, timedelta(hours=1)),
    ],
)
def test_lead_follows_the_mode(
    indoor: float, target: float, mode: ClimateMode, expected: timedelta | None
) -> None:
    """Heating only heats, cooling only cools, auto does either."""
    assert (
        preheat_lead(indoor=indoor, target=target, rate_per_hour=3.0, mode=mode)
        == expected
    )


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_rate_must_be_positive(rate: float) -> None:
    """A system that cannot change the temperature has no lead."""
    with pytest.raises(ValueError, match="positive"):
        preheat_lead(indoor=18.0, target=21.0, rate_per_hour=rate)


def test_start_time_and_decision() -> None:
    """The start is the ETA minus the lead; before it nothing starts, from it on it does."""
    start = preheat_start(eta=ETA, indoor=19.0, target=21.0, rate_per_hour=4.0)
    assert start == ETA - timedelta(minutes=30)
    kwargs = {"eta": ETA, "indoor": 19.0, "target": 21.0, "rate_per_hour": 4.0}
    assert not should_start(now=ETA - timedelta(minutes=31), **kwargs)  # type: ignore[arg-type]
    assert should_start(now=ETA - timedelta(minutes=30), **kwargs)  # type: ignore[arg-type]
    assert preheat_start(eta=ETA, indoor=22.0, target=21.0, rate_per_hour=4.0) is None
    assert not should_start(
        now=ETA, eta=ETA, indoor=22.0, target=21.0, rate_per_hour=4.0
    )
    assert not should_start(
        now=ETA, eta=None, indoor=15.0, target=21.0, rate_per_hour=4.0
    )


@given(
    indoor=st.floats(min_value=-30, max_value=45),
    target=st.floats(min_value=5, max_value=35),
    rate=st.floats(min_value=0.1, max_value=20),
    max_hours=st.floats(min_value=0.1, max_value=6),
)
def test_lead_is_never_negative_nor_above_max(
    indoor: float, target: float, rate: float, max_hours: float
) -> None:
    """Whatever the temperatures, the lead is within [0, max_lead]."""
    max_lead = timedelta(hours=max_hours)
    lead = preheat_lead(
        indoor=indoor,
        target=target,
        rate_per_hour=rate,
        mode=ClimateMode.AUTO,
        max_lead=max_lead,
    )
    if lead is None:
        # At the target, or too close to it to take a microsecond.
        assert timedelta(hours=abs(target - indoor) / rate) == timedelta(0)
    else:
        assert timedelta(0) < lead <= max_lead


def test_a_difference_too_small_to_time_is_at_the_target() -> None:
    """A rounding-level difference needs no lead (found by Hypothesis)."""
    assert preheat_lead(indoor=5.0, target=5.000000000000001, rate_per_hour=1.0) is None

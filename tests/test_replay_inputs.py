"""The inputs of ``homecoming.replay``, whatever they are: its period and its settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.exceptions import ServiceValidationError
from hypothesis import given, strategies as st

from custom_components.homecoming.detection import DETECTION_RANGES
from custom_components.homecoming.history import MAX_DAYS
from custom_components.homecoming.services import (
    REPLAY_SCHEMA,
    _replay_period,
    replay_options,
)

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from(["nan", "inf", "-0", "1e308", "12.5"]),
)
TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001 - naive and aware alike
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.one_of(st.none(), st.timezones()),
    ),
    st.datetimes(
        min_value=datetime(2024, 12, 1),  # noqa: DTZ001
        max_value=datetime(2025, 2, 28),  # noqa: DTZ001
        timezones=st.one_of(st.none(), st.timezones()),
    ),
)


@given(st.dictionaries(st.sampled_from(list(DETECTION_RANGES)), NUMBERS))
def test_settings_are_in_range_or_refused(given_settings: dict[str, Any]) -> None:
    """Each setting given is a number within its option's range, or the call fails."""
    data = REPLAY_SCHEMA({"config_entry_id": "car", **given_settings})
    refused: str | None = None
    try:
        options = replay_options({"reach_km": 12.0, "other": "kept"}, data)
    except ServiceValidationError as err:
        refused = err.translation_key
    if refused is not None:
        assert refused == "out_of_range"
        return
    assert options["other"] == "kept"
    for key, (low, high) in DETECTION_RANGES.items():
        if key in given_settings:
            assert low <= options[key] <= high
    assert options["reach_km"] == data.get("reach_km", 12.0)


@given(start=st.one_of(st.none(), TIMES), end=st.one_of(st.none(), TIMES))
def test_a_period_is_bounded_or_refused(
    start: datetime | None, end: datetime | None
) -> None:
    """A period ends after it starts, at most 31 days later, in UTC; or is refused."""
    data = {key: value for key, value in (("start", start), ("end", end)) if value}
    refused: str | None = None
    try:
        first, last = _replay_period(data)
    except ServiceValidationError as err:
        refused = err.translation_key
    if refused is not None:
        assert refused in {
            "out_of_range",
            "replay_period_empty",
            "replay_period_too_long",
        }
        return
    assert first.tzinfo is UTC and last.tzinfo is UTC
    assert timedelta(0) < last - first <= timedelta(days=MAX_DAYS)
    if start is None:
        assert last - first == timedelta(days=14)

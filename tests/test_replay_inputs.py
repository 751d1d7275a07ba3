"""The inputs of ``homecoming.replay``, whatever they are: its period and its settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
from hypothesis import given, strategies as st
import pytest

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


def wall_clock(moment: datetime) -> datetime:
    """Return a moment as Home Assistant's clock on the wall shows it."""
    return dt_util.as_local(moment).replace(tzinfo=None)


@pytest.fixture
def amsterdam() -> Iterator[None]:
    """Home Assistant's time zone is Amsterdam's (summer time until 25 October)."""
    before = dt_util.get_default_time_zone()
    dt_util.set_default_time_zone(ZoneInfo("Europe/Amsterdam"))
    yield
    dt_util.set_default_time_zone(before)


@pytest.mark.usefixtures("amsterdam")
def test_31_days_across_a_clock_change() -> None:
    """A month of 31 days is 31 days, though the clocks went back an hour in it."""
    start, end = _replay_period(
        {"start": datetime(2026, 10, 1), "end": datetime(2026, 11, 1)}  # noqa: DTZ001
    )
    assert end - start == timedelta(days=31, hours=1)
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    # Longer is refused, its length never rounded down to the bound.
    for end_time, days in (
        (datetime(2026, 11, 1, 12), "31.5"),  # noqa: DTZ001
        (datetime(2026, 11, 1, 0, 1), "31.1"),  # noqa: DTZ001
        (datetime(2026, 11, 2), "32.0"),  # noqa: DTZ001
    ):
        with pytest.raises(ServiceValidationError) as err:
            _replay_period({"start": datetime(2026, 10, 1), "end": end_time})  # noqa: DTZ001
        assert err.value.translation_key == "replay_period_too_long"
        assert err.value.translation_placeholders == {"days": days, "max": "31"}
    # In spring the clocks go forward: 31 days on the wall clock are 31 days.
    start, end = _replay_period(
        {"start": datetime(2026, 3, 15), "end": datetime(2026, 4, 15)}  # noqa: DTZ001
    )
    assert end - start == timedelta(days=31, hours=-1)


@pytest.mark.usefixtures("amsterdam")
def test_a_reversed_period_is_shown_in_local_time() -> None:
    """The times of a period that ends before it starts are shown as given: local."""
    with pytest.raises(ServiceValidationError) as err:
        _replay_period(
            {"start": datetime(2026, 11, 28), "end": datetime(2026, 11, 20)}  # noqa: DTZ001
        )
    assert err.value.translation_key == "replay_period_empty"
    assert err.value.translation_placeholders == {
        "start": "2026-11-28T00:00:00+01:00",
        "end": "2026-11-20T00:00:00+01:00",
    }


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
    assert last > first
    # At most 31 days on the wall clock: a clock change adds or takes an hour.
    assert wall_clock(last) - wall_clock(first) <= timedelta(days=MAX_DAYS)
    assert last - first <= timedelta(days=MAX_DAYS, hours=1)
    if start is None:
        assert last - first == timedelta(days=14)

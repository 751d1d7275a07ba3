"""Tests of reading numbers and times from outside input (``engine/values.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
import math

from hypothesis import given, strategies as st
import pytest

from custom_components.homecoming.engine.values import (
    EPOCH_MS_ABOVE,
    MAX_NUMBER_TEXT,
    read_number,
    read_time,
)

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(),
    st.text(),
    st.from_regex(r"\s*-?\d{1,20}(\.\d{0,6})?([eE][+-]?\d{1,4})?\s*", fullmatch=True),
    st.datetimes().map(datetime.isoformat),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=4),
)
"""What a push or a trace might hold: JSON-like values, numeric and time-like text."""


@given(ANYTHING)
def test_read_number_gives_a_number_none_or_value_error(value: object) -> None:
    """Any input is a float (never NaN), ``None``, or a ``ValueError``: nothing else."""
    try:
        number: float | ValueError | None = read_number(value)
    except ValueError as err:
        number = err
    if isinstance(number, ValueError):
        assert str(number) == "not a number"
    else:
        assert number is None or (isinstance(number, float) and not math.isnan(number))


@given(ANYTHING)
def test_read_time_gives_an_aware_time_or_value_error(value: object) -> None:
    """Any input is an aware datetime or a ``ValueError``: nothing else."""
    try:
        moment: datetime | ValueError = read_time(value)
    except ValueError as err:
        moment = err
    if isinstance(moment, ValueError):
        assert str(moment) in {"not a time", "out of range"}
    else:
        assert moment.utcoffset() is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("nan", None),
        (math.nan, None),
        (3, 3.0),
        (2.5, 2.5),
        (" 12.5 ", 12.5),
        ("-1e3", -1000.0),
        ("inf", math.inf),
    ],
)
def test_read_number_reads(value: object, expected: float | None) -> None:
    """Numbers and their text are read; missing, empty and NaN are ``None``."""
    assert read_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [True, False, "abc", "1" * (MAX_NUMBER_TEXT + 1), 10**400, [1], {"a": 1}, b"1"],
)
def test_read_number_refuses(value: object) -> None:
    """Booleans, other types, junk, overlong text and huge integers are refused."""
    with pytest.raises(ValueError, match="not a number"):
        read_number(value)


MOMENT = datetime(2025, 1, 6, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        MOMENT.timestamp(),
        int(MOMENT.timestamp()),
        str(int(MOMENT.timestamp())),
        int(MOMENT.timestamp() * 1000),
        f" {int(MOMENT.timestamp() * 1000)} ",
        "2025-01-06T16:30:00+00:00",
        "2025-01-06T17:30:00+01:00",
        "2025-01-06T16:30:00Z",
        "2025-01-06 16:30:00",
    ],
)
def test_read_time_reads(value: object) -> None:
    """Epoch seconds or milliseconds (number or text) and ISO text; naive is UTC."""
    assert read_time(value) == MOMENT


def test_read_time_milliseconds_threshold() -> None:
    """Numbers above the threshold are milliseconds, at or below it seconds."""
    assert read_time(EPOCH_MS_ABOVE + 1000) == datetime.fromtimestamp(
        (EPOCH_MS_ABOVE + 1000) / 1000, UTC
    )
    assert read_time(EPOCH_MS_ABOVE).year == 5138


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "not a time"),
        (None, "not a time"),
        ([1], "not a time"),
        ("yesterday", "not a time"),
        ("inf", "not a time"),
        (math.nan, "not a time"),
        (10**400, "not a time"),
        (1e300, "out of range"),
        (-1e15, "out of range"),
    ],
)
def test_read_time_refuses(value: object, reason: str) -> None:
    """Other types, junk, non-finite and out-of-range numbers are refused."""
    with pytest.raises(ValueError, match=reason):
        read_time(value)

"""Reading numbers and times from outside input: one place for traces and pushes.

Recorded drives and live pushes write the same things the same ways: numbers as numbers or
text, times as epoch seconds or milliseconds (as numbers or text), ISO 8601 or
``yyyy-MM-dd HH:mm:ss``. A value that cannot be read raises :class:`ValueError` with a
short reason; each parser turns that into its own kind of refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime
import math
from typing import Final

EPOCH_MS_ABOVE: Final = 100_000_000_000
"""Epoch numbers above this are milliseconds (1e11 seconds is the year 5138)."""
MAX_NUMBER_TEXT: Final = 40
"""Longest text read as a number (longer is junk, not precision)."""


def read_number(value: object) -> float | None:
    """Read a number or its text; ``None`` for missing, empty or NaN.

    Booleans, other types, unreadable or overlong text and integers too large for a float
    raise :class:`ValueError`. Infinities are returned as they are (callers that need a
    finite value check it).
    """
    if value is None:
        return None
    try:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if len(text) > MAX_NUMBER_TEXT:
                raise ValueError  # noqa: TRY301 - the one refusal below says why
            number = float(text)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            raise ValueError  # noqa: TRY004, TRY301 - every unreadable value is alike
    except ValueError, OverflowError:
        msg = "not a number"
        raise ValueError(msg) from None
    return None if math.isnan(number) else number


def read_time(value: object) -> datetime:
    """Read an aware time: epoch s or ms (number or text), or ISO 8601 text.

    Naive ISO times (including ``yyyy-MM-dd HH:mm:ss``) are taken as UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                msg = "not a time"
                raise ValueError(msg) from None
            return (
                moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
            )
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        msg = "not a time"
        raise ValueError(msg)  # noqa: TRY004 - every unreadable value is alike
    if not math.isfinite(number):
        msg = "not a time"
        raise ValueError(msg)
    if number > EPOCH_MS_ABOVE:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, UTC)
    except OverflowError, OSError, ValueError:
        msg = "out of range"
        raise ValueError(msg) from None

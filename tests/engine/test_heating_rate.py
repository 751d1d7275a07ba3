"""Tests of the heating (and cooling) rate learned from a thermostat's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import math
import random
from typing import Any, cast

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.homecoming.engine.heating_rate import (
    COOLING,
    HEATING,
    MAX_RATE,
    MIN_PERIODS,
    MIN_RATE,
    RECENT_PERIODS,
    Rejection,
    Sample,
    find_periods,
    learn_rate,
    learn_rates,
)

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def heat_up(
    start: datetime,
    *,
    rate: float,
    minutes: float,
    begin: float = 17.0,
    dead: float = 0.0,
    noise: float = 0.0,
    resolution: float = 0.1,
    action: str = HEATING,
    target: float | None = None,
    every: float | None = None,
    window: tuple[float, float] | None = None,
    seed: int = 0,
) -> tuple[list[Sample], float]:
    """One period of ``action`` at ``rate`` °/h (falling when cooling), then an idle sample.

    Samples come as Home Assistant records them: when the rounded reading changes (or
    every ``every`` minutes when given). ``dead``: minutes before the room moves.
    ``window``: (from, to) minutes during which the room falls 6 °/h instead. Returns
    the samples and the true temperature at the end.
    """
    rng = random.Random(seed)
    sign = 1.0 if action != COOLING else -1.0
    samples: list[Sample] = []
    last: float | None = None
    true = begin
    for minute in range(int(minutes) + 1):
        if minute:
            moving = minute > dead
            falling = window is not None and window[0] <= minute < window[1]
            if falling:
                true -= sign * 6.0 / 60
            elif moving:
                true += sign * rate / 60
        reading = round(
            round((true + rng.gauss(0.0, noise)) / resolution) * resolution, 3
        )
        at = start + timedelta(minutes=minute)
        if minute == 0 or reading != last or (every and minute % every == 0):
            samples.append(Sample(at, reading, action, target))
            last = reading
    samples.append(Sample(start + timedelta(minutes=minutes), last, "idle", target))
    return samples, true


def days(count: int, first: int = 0, **kwargs: Any) -> list[Sample]:
    """``count`` daily heat-ups at 06:00 of the same kind from day ``first``."""
    samples: list[Sample] = []
    for day in range(first, first + count):
        part, _ = heat_up(T0 + timedelta(days=day), seed=day, **kwargs)
        samples += part
    return samples


# --- the learned rate -----------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.5, 2.0, 6.0])
def test_clean_heat_ups_give_their_rate(rate: float) -> None:
    """Five clean heat-ups of 4 °C at a known rate are learned within 3 %."""
    estimate = learn_rate(days(5, rate=rate, minutes=240 / rate, noise=0.03))
    assert estimate.rate == pytest.approx(rate, rel=0.03)
    assert estimate.periods == 5
    assert estimate.used == 5
    assert len(estimate.recent) == 5
    assert estimate.rejected == {}


@pytest.mark.parametrize("resolution", [0.1, 0.5])
def test_quantisation_does_not_bias(resolution: float) -> None:
    """A sensor rounding to 0.1 or 0.5 °C gives the same rate (within 3 %)."""
    estimate = learn_rate(days(6, rate=2.0, minutes=150, resolution=resolution))
    assert estimate.rate == pytest.approx(2.0, rel=0.03)


def test_polled_and_reported_give_the_same_rate() -> None:
    """A state every minute and one per change of the reading give the same grid."""
    polled = learn_rate(days(3, rate=3.0, minutes=80, every=1.0)).rate
    reported = learn_rate(days(3, rate=3.0, minutes=80)).rate
    assert polled == pytest.approx(reported)


def test_dead_time_counts() -> None:
    """20 minutes before the room moves, then 2 h at 2 °C/h: 4 °C in 2 h 20."""
    estimate = learn_rate(days(3, rate=2.0, minutes=140, dead=20.0))
    assert estimate.rate == pytest.approx(4.0 / (140 / 60), rel=0.03)


def test_needs_min_periods() -> None:
    """Two heat-ups are not enough; the third gives a rate."""
    two = learn_rate(days(MIN_PERIODS - 1, rate=2.0, minutes=120))
    assert two.rate is None
    assert two.periods == MIN_PERIODS - 1
    assert two.used == 0
    assert len(two.recent) == MIN_PERIODS - 1
    assert learn_rate(days(MIN_PERIODS, rate=2.0, minutes=120)).rate is not None


def test_median_of_the_newest_periods() -> None:
    """Old periods at another rate are forgotten after ten new ones; newest first."""
    old = days(5, rate=1.0, minutes=180)
    new: list[Sample] = []
    for day in range(RECENT_PERIODS):
        part, _ = heat_up(
            T0 + timedelta(days=10 + day), rate=3.0 + day / 100, minutes=80
        )
        new += part
    estimate = learn_rate(old + new)
    assert estimate.periods == 5 + RECENT_PERIODS
    assert estimate.used == RECENT_PERIODS
    assert estimate.rate == pytest.approx(3.05, rel=0.03)
    assert estimate.recent[0] > estimate.recent[-1]


@pytest.mark.parametrize(("rate", "bound"), [(30.0, MAX_RATE), (0.12, MIN_RATE)])
def test_rate_is_bounded(rate: float, bound: float) -> None:
    """Faster than 10 °C/h or slower than 0.2 °C/h is held at the bound."""
    minutes = max(20.0, 1.5 / rate * 60)
    assert learn_rate(days(3, rate=rate, minutes=minutes)).rate == bound


def test_median_of_an_odd_period() -> None:
    """One heat-up at another rate (the oven was on) does not move the median."""
    samples = days(4, rate=2.0, minutes=120)
    odd, _ = heat_up(T0 + timedelta(days=9), rate=6.0, minutes=40)
    assert learn_rate(samples + odd).rate == pytest.approx(2.0, rel=0.03)


# --- rejected periods -----------------------------------------------------------------


def test_open_window_is_rejected() -> None:
    """A window open mid-way: the room falls while heating; the period is not used."""
    samples, _ = heat_up(T0, rate=2.0, minutes=150, window=(40.0, 55.0))
    (period,) = find_periods(samples)
    assert period.rejection is Rejection.FELL
    assert period.rate is None
    estimate = learn_rate(samples + days(3, first=1, rate=2.0, minutes=120))
    assert estimate.rejected == {Rejection.FELL: 1}
    assert estimate.rate == pytest.approx(2.0, rel=0.03)


def test_noise_is_not_a_window() -> None:
    """Sensor noise of 0.15 °C is no fall."""
    estimate = learn_rate(days(5, rate=2.0, minutes=120, noise=0.15))
    assert estimate.periods == 5
    assert estimate.rate == pytest.approx(2.0, rel=0.05)


def test_unavailable_reading_is_a_gap() -> None:
    """An unavailable reading inside a period: not used."""
    samples, _ = heat_up(T0, rate=2.0, minutes=120)
    samples.insert(5, Sample(samples[4].time + timedelta(seconds=1), None, HEATING))
    (period,) = find_periods(samples)
    assert period.rejection is Rejection.GAP
    assert period.rise is None


@pytest.mark.parametrize("value", [math.nan, math.inf, 5_000.0, True, "21"])
def test_impossible_reading_is_a_gap(value: object) -> None:
    """Not a finite number, or no home's temperature: unavailable."""
    samples, _ = heat_up(T0, rate=2.0, minutes=120)
    samples[3] = samples[3]._replace(temperature=cast("float", value))
    assert find_periods(samples)[0].rejection is Rejection.GAP


def test_silence_is_a_gap() -> None:
    """No state for more than 90 minutes while heating: nothing is known."""
    samples = [
        Sample(T0, 17.0, HEATING),
        Sample(T0 + timedelta(minutes=100), 20.0, HEATING),
        Sample(T0 + timedelta(minutes=110), 20.3, "idle"),
    ]
    assert find_periods(samples)[0].rejection is Rejection.GAP


def test_short_period_is_rejected() -> None:
    """A thermostat's 10-minute cycle says nothing about the heat-up."""
    samples, _ = heat_up(T0, rate=6.0, minutes=10)
    assert find_periods(samples)[0].rejection is Rejection.SHORT


def test_small_rise_is_rejected() -> None:
    """Less than a degree: the resolution would decide the rate."""
    samples, _ = heat_up(T0, rate=0.4, minutes=60)
    (period,) = find_periods(samples)
    assert period.rejection is Rejection.SMALL
    assert period.rise == pytest.approx(0.4, abs=0.11)


def test_coarse_sensor_needs_three_steps() -> None:
    """With a 0.5 °C sensor 1.2 °C is too little (1.5 °C needed)."""
    samples, _ = heat_up(T0, rate=1.2, minutes=60, resolution=0.5)
    assert find_periods(samples)[0].rejection is Rejection.SMALL
    samples, _ = heat_up(T0, rate=1.2, minutes=60, resolution=0.1)
    assert find_periods(samples)[0].rejection is None


def test_cut_short_is_rejected_with_a_target() -> None:
    """A heat-up that stopped 2.5 °C below its target (turned down mid-way)."""
    samples, _ = heat_up(T0, rate=1.0, minutes=90, target=21.0)
    assert find_periods(samples)[0].rejection is Rejection.CUT
    samples, _ = heat_up(T0, rate=1.0, minutes=90)
    assert find_periods(samples)[0].rejection is None
    samples, _ = heat_up(T0, rate=2.0, minutes=120, target=21.0)
    assert find_periods(samples)[0].rejection is None


def test_target_of_the_last_heating_sample_counts() -> None:
    """A target known only for part of the period still counts."""
    samples, _ = heat_up(T0, rate=1.0, minutes=90)
    samples[2] = samples[2]._replace(target=21.0)
    assert find_periods(samples)[0].rejection is Rejection.CUT


# --- cooling, units, odd input --------------------------------------------------------


def test_cooling_rate() -> None:
    """The room falling while the air conditioner cools: a positive cooling rate."""
    samples = days(4, rate=1.5, minutes=160, begin=28.0, action=COOLING, target=24.0)
    rates = learn_rates(samples)
    assert rates.heating.rate is None
    assert rates.heating.periods == 0
    assert rates.cooling.rate == pytest.approx(1.5, rel=0.03)


def test_fahrenheit_history_gives_fahrenheit_per_hour() -> None:
    """°F in, °F per hour out; the thresholds scale with ``unit_scale``."""
    samples = days(3, rate=3.6, minutes=120, begin=62.0)
    assert learn_rate(samples, unit_scale=1.8).rate == pytest.approx(3.6, rel=0.03)
    small, _ = heat_up(T0, rate=1.5, minutes=60, begin=62.0)
    assert find_periods(small)[0].rejection is None
    assert find_periods(small, unit_scale=1.8)[0].rejection is Rejection.SMALL


@pytest.mark.parametrize("scale", [0.0, -1.8, math.nan, math.inf])
def test_unusable_unit_scale_is_one(scale: float) -> None:
    """A unit scale that is not a positive finite number is taken as 1."""
    samples = days(3, rate=2.0, minutes=120)
    assert learn_rate(samples, unit_scale=scale).rate == learn_rate(samples).rate


def test_other_actions_have_no_periods() -> None:
    """Only "heating" and "cooling" are rates."""
    samples = [s._replace(hvac_action="fan") for s in days(3, rate=2.0, minutes=120)]
    assert find_periods(samples) == []
    assert find_periods(days(3, rate=2.0, minutes=120), "drying") == []
    estimate = learn_rate(samples)
    assert estimate.rate is None
    assert estimate.periods == 0


def test_no_history() -> None:
    """Nothing recorded: nothing learned, even when no period is asked for."""
    assert learn_rate([]).rate is None
    assert learn_rate([], min_periods=0, recent=0).rate is None


def test_recent_below_one_uses_one() -> None:
    """``recent`` 0 takes the newest period alone."""
    samples = (
        days(2, rate=1.0, minutes=180)
        + heat_up(T0 + timedelta(days=5), rate=3.0, minutes=80)[0]
    )
    estimate = learn_rate(samples, recent=0, min_periods=1)
    assert estimate.rate == pytest.approx(3.0, rel=0.03)
    assert estimate.used == 1


def test_naive_and_unordered_times() -> None:
    """Naive times are UTC (and come back aware); samples out of order are sorted."""
    samples = days(3, rate=2.0, minutes=120)
    naive = [s._replace(time=s.time.replace(tzinfo=None)) for s in samples]
    shuffled = list(reversed(samples))
    expected = learn_rate(samples).rate
    assert learn_rate(naive).rate == expected
    assert learn_rate(shuffled).rate == expected
    periods = find_periods(naive)
    assert periods[0].start == T0
    assert periods[0].end == T0 + timedelta(minutes=120)


def test_time_zones() -> None:
    """The same instants in another zone give the same rate."""
    samples = days(3, rate=2.0, minutes=120)
    zone = timezone(timedelta(hours=-5))
    moved = [s._replace(time=s.time.astimezone(zone)) for s in samples]
    assert learn_rate(moved).rate == learn_rate(samples).rate


def test_history_ending_while_heating() -> None:
    """A period still running at the end of the history ends at its last sample."""
    samples, _ = heat_up(T0, rate=2.0, minutes=120)
    running = samples[:-1]
    (period,) = find_periods(running)
    assert period.end == running[-1].time
    assert period.rate == pytest.approx(2.0, rel=0.05)


# --- properties -----------------------------------------------------------------------

ACTIONS = st.sampled_from([HEATING, COOLING, "idle", "off", "preheating", None])
READINGS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=10.0, max_value=30.0),
)
TIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(
        min_value=datetime(2020, 1, 1, tzinfo=UTC).replace(tzinfo=None),
        max_value=datetime(2030, 1, 1, tzinfo=UTC).replace(tzinfo=None),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=9))]),
    ),
    st.datetimes(),
)


@st.composite
def histories(draw: st.DrawFn) -> list[Sample]:
    """Any history: random times, readings, actions and targets."""
    count = draw(st.integers(min_value=0, max_value=60))
    if draw(st.booleans()):
        # Times close together, so periods form.
        start = draw(
            st.datetimes(timezones=st.just(UTC)).filter(lambda d: d.year < 9000)
        )
        steps = draw(
            st.lists(
                st.integers(min_value=0, max_value=7_200),
                min_size=count,
                max_size=count,
            )
        )
        times = [start + timedelta(seconds=sum(steps[: i + 1])) for i in range(count)]
    else:
        times = draw(st.lists(TIMES, min_size=count, max_size=count))
    return [
        Sample(
            at,
            draw(READINGS),
            draw(ACTIONS),
            draw(st.one_of(st.none(), st.floats(min_value=5.0, max_value=30.0))),
        )
        for at in times
    ]


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from([1.0, 1.8]))
def test_any_history_never_raises(samples: list[Sample], scale: float) -> None:
    """Whatever the history: no exception; a rate is None or within the bounds."""
    rates = learn_rates(samples, unit_scale=scale)
    for estimate in (rates.heating, rates.cooling):
        assert estimate.rate is None or (
            MIN_RATE * scale <= estimate.rate <= MAX_RATE * scale
        )
        assert estimate.used <= estimate.periods
        assert estimate.used <= RECENT_PERIODS
    for period in find_periods(samples):
        assert (period.rate is None) != (period.rejection is None)


@settings(max_examples=30, deadline=None)
@given(
    rate=st.floats(min_value=0.5, max_value=8.0),
    noise=st.floats(min_value=0.0, max_value=0.1),
    resolution=st.sampled_from([0.1, 0.5]),
    dead=st.floats(min_value=0.0, max_value=10.0),
    seed=st.integers(min_value=0, max_value=1_000),
)
def test_clean_series_is_learned(
    rate: float, noise: float, resolution: float, dead: float, seed: int
) -> None:
    """Known rate, noise, rounding and a little dead time: within a few percent."""
    minutes = 60 * 4.0 / rate + dead
    samples: list[Sample] = []
    for day in range(4):
        part, _ = heat_up(
            T0 + timedelta(days=day),
            rate=rate,
            minutes=minutes,
            dead=dead,
            noise=noise,
            resolution=resolution,
            seed=seed + day,
        )
        samples += part
    expected = 4.0 / (minutes / 60)
    # Each end of a period is read to half the resolution, and noise of two standard
    # deviations: a short heat-up (a high rate) cannot be measured closer than that.
    reading_error = 2 * (resolution / 2 + 2 * noise) / (minutes / 60)
    assert learn_rate(samples).rate == pytest.approx(
        expected, rel=0.06, abs=reading_error
    )


@settings(max_examples=30, deadline=None)
@given(
    opened=st.floats(min_value=20.0, max_value=80.0),
    length=st.floats(min_value=8.0, max_value=25.0),
    gap_at=st.integers(min_value=2, max_value=20),
)
def test_windows_and_gaps_are_rejected(
    opened: float, length: float, gap_at: int
) -> None:
    """A window opened in a heat-up and a reading lost in another: neither is used."""
    window, _ = heat_up(T0, rate=2.0, minutes=150, window=(opened, opened + length))
    gap, _ = heat_up(T0 + timedelta(days=1), rate=2.0, minutes=150)
    gap[gap_at] = gap[gap_at]._replace(temperature=None)
    clean = days(3, first=5, rate=2.0, minutes=120)
    periods = find_periods(window + gap + clean)
    assert [p.rejection for p in periods[:2]] == [Rejection.FELL, Rejection.GAP]
    assert learn_rate(window + gap).rate is None

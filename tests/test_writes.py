"""Tests that a car writes only what changed: the cost of a position (issue: cost).

Every state write is a ``state_changed`` event (or ``state_reported`` when nothing but
the time changed), a recorder row and, for sensors without a unit, a logbook entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_GPS_ACCURACY,
    ATTR_LATITUDE,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_HOME,
    STATE_NOT_HOME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.device_tracker import MIN_MOVE_M
from custom_components.homecoming.engine import Fix
from custom_components.homecoming.engine.geo import EARTH_RADIUS_M
from custom_components.homecoming.sensor import ETA_HOLD
from devtools import sim
from tests.common import (
    HOME_LAT,
    HOME_LON,
    TRACKER,
    diagnostics,
    each_fix,
    entity_state,
    feed,
    report_phone,
    update_location,
)

DRIVE = sim.straight_approach(park_s=300.0)
"""10 km straight home at 15 m/s, then five minutes parked."""

CAR = "device_tracker.family_car"
ETA = "sensor.family_car_arrival_time"
DISTANCE = "sensor.family_car_distance_to_home"
SECOND = timedelta(seconds=1)

pytestmark = pytest.mark.usefixtures("start_of_drive")


class Writes:
    """Counts the state writes of the car's entities (changed or only reported)."""

    def __init__(self, hass: HomeAssistant, prefix: str, exclude: str = "") -> None:
        """Listen to every write of an entity whose id has ``prefix`` (not ``exclude``)."""
        self.counts: Counter[str] = Counter()

        @callback
        def _ours(event_data: Mapping[str, Any]) -> bool:
            entity_id: str = event_data["entity_id"]
            return prefix in entity_id and entity_id != exclude

        @callback
        def _count(event: Event[Mapping[str, Any]]) -> None:
            self.counts[event.data["entity_id"]] += 1

        for event_type in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):
            hass.bus.async_listen(event_type, _count, event_filter=_ours)

    def take(self) -> Counter[str]:
        """Return the counts so far and start again."""
        counts, self.counts = self.counts, Counter()
        return counts


def north(fix: Fix, metres: float, seconds: float = 10.0) -> Fix:
    """Return ``fix`` moved ``metres`` north and ``seconds`` later."""
    return replace(
        fix,
        latitude=fix.latitude + metres / EARTH_RADIUS_M * 180 / 3.141592653589793,
        timestamp=fix.timestamp + timedelta(seconds=seconds),
    )


async def test_a_fix_that_changes_nothing_writes_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Parked at home, the same position again writes no entity at all."""
    await feed(hass, freezer, init_push, DRIVE.fixes)
    writes = Writes(hass, "family_car")

    again = north(DRIVE.fixes[-1], 0.0)
    freezer.move_to(again.timestamp)
    await update_location(hass, init_push, again)
    await hass.async_block_till_done()

    assert writes.take() == Counter()


async def test_a_drive_writes_about_one_entity_per_fix(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_entity: MockConfigEntry
) -> None:
    """A followed car: the distance per fix, the rest only when it changes.

    Proximity writes two entities per fix (distance and direction of travel); a
    followed car writes the distance, and the phase, direction and arrival time
    only when they change.
    """
    writes = Writes(hass, "family_car", exclude=TRACKER)  # the followed phone
    for fix in DRIVE.fixes:
        await report_phone(hass, freezer, fix)

    counts = writes.take()
    per_fix = sum(counts.values()) / len(DRIVE.fixes)
    assert per_fix < 1.2, counts
    # The distance moves with the car; the arrival time only by whole minutes.
    assert counts[DISTANCE] <= len(DRIVE.fixes)
    assert 1 <= counts[ETA] < len(DRIVE.fixes) / 4
    assert "sensor.family_car_last_position" not in counts


async def test_the_arrival_time_moves_by_whole_minutes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """The arrival time shown moves only by a minute or more, and is never a minute off.

    Red lights slow the drive home, so the engine's ETA moves by seconds at most fixes.
    """
    shown: list[datetime] = []
    async for _ in each_fix(hass, freezer, init_push, sim.red_lights().fixes):
        value = dt_util.parse_datetime(entity_state(hass, ETA).state)
        engine = (await diagnostics(hass, init_push))["car"]["eta"]
        if value is None or engine is None:
            assert value is engine is None
            continue
        # The state is written to the second: a second more than the hold at most.
        assert abs(dt_util.parse_datetime(engine) - value) < ETA_HOLD + SECOND
        if not shown or shown[-1] != value:
            shown.append(value)

    moves = [abs(later - earlier) for earlier, later in itertools.pairwise(shown)]
    assert moves
    assert min(moves) >= ETA_HOLD - SECOND


async def test_the_tracker_moves_when_the_car_moved_ten_metres(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """GPS noise of a few metres writes no position; ten metres, or accuracy, do."""
    await feed(hass, freezer, init_push, DRIVE.fixes[:5])
    last = DRIVE.fixes[4]
    writes = Writes(hass, CAR)

    async def report(fix: Fix) -> float:
        freezer.move_to(fix.timestamp)
        await update_location(hass, init_push, fix)
        await hass.async_block_till_done()
        return float(entity_state(hass, CAR).attributes[ATTR_LATITUDE])

    shown = entity_state(hass, CAR).attributes[ATTR_LATITUDE]
    nudged = north(last, MIN_MOVE_M / 2)
    assert await report(nudged) == shown
    assert writes.take() == Counter()

    moved = north(nudged, MIN_MOVE_M)
    assert await report(moved) == pytest.approx(moved.latitude)
    assert writes.take() == Counter({CAR: 1})

    vaguer = replace(
        north(moved, 1.0), accuracy=(moved.accuracy or 0.0) + 2 * MIN_MOVE_M
    )
    await report(vaguer)
    assert entity_state(hass, CAR).attributes[ATTR_GPS_ACCURACY] == vaguer.accuracy
    assert writes.take() == Counter({CAR: 1})


async def test_gps_noise_of_a_parked_car_does_not_flip_the_distance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Parked with a few metres of GPS noise: the distance shown stays put.

    Rounding alone flipped it (0.0 ↔ 0.01 km) at every other position.
    """
    await feed(hass, freezer, init_push, DRIVE.fixes)
    writes = Writes(hass, "family_car")
    parked = DRIVE.fixes[-1]
    for i in range(30):
        # Around 5 m from where it parked: 0.00 or 0.01 km when rounded.
        jitter = 7.0 if i % 2 else 3.0
        fix = north(parked, jitter, 10.0 * (i + 1))
        await feed(hass, freezer, init_push, [fix])
    assert writes.take()[DISTANCE] <= 1


async def test_an_action_is_written_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Switching the routines or pressing the button writes it; the next position not."""
    await feed(hass, freezer, init_push, DRIVE.fixes[:5])
    writes = Writes(hass, "family_car")
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.family_car_run_arrival_routine"},
        blocking=True,
    )
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.family_car_routines"}, blocking=True
    )
    await hass.async_block_till_done()
    assert writes.take() == Counter(
        {"switch.family_car_routines": 1, "button.family_car_run_arrival_routine": 1}
    )
    await feed(hass, freezer, init_push, DRIVE.fixes[5:8])
    counts = writes.take()
    assert "switch.family_car_routines" not in counts
    assert "button.family_car_run_arrival_routine" not in counts
    # The trip event is written by its transition only.
    assert counts["event.family_car_trip"] == counts["sensor.family_car_trip_phase"]


async def test_the_tracker_follows_the_home_zone_edge_however_small_the_move(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_push: MockConfigEntry
) -> None:
    """Crossing the home zone's edge by a few metres (or by accuracy) shows at once.

    The 10 m rule kept a car 105 m out showing ``not_home`` at 96 m (radius 100 m).
    """
    start = dt_util.utcnow()

    async def report(north_m: float, seconds: float, accuracy: float) -> str:
        lat, lon = sim.offset(HOME_LAT, HOME_LON, 0.0, north_m)
        fix = Fix(
            latitude=lat,
            longitude=lon,
            timestamp=start + timedelta(seconds=seconds),
            accuracy=accuracy,
        )
        await feed(hass, freezer, init_push, [fix])
        return entity_state(hass, CAR).state

    for seconds, north_m in enumerate((140.0, 120.0, 105.0), start=1):
        assert await report(north_m, 3.0 * seconds, 1.0) == STATE_NOT_HOME
    assert await report(96.0, 12.0, 1.0) == STATE_HOME
    assert await report(104.0, 15.0, 1.0) == STATE_NOT_HOME
    assert await report(104.0, 18.0, 9.0) == STATE_HOME

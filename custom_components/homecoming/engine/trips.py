"""A recorded history replayed: what a fresh detector decides, sorted into trips.

The core of the replays of Home Assistant's recorded history, the ``homecoming.replay``
action (``history.py``) and ``scripts/replay --recorder`` (:mod:`.replay`): the states of
the entity a car follows, read as the live entity source reads them
(:func:`~.reports.read_report`), fed in order to a fresh :class:`ApproachDetector`, the
clock ticking between them as Home Assistant's does; its transitions sorted into trips
home, drive-bys and cancelled approaches, and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
import math
import statistics
from typing import Any, Final

from .detector import ApproachDetector
from .geo import Origin
from .models import EventType, Fix, Home, Phase, RejectReason, Transition, UpdateResult
from .reports import (
    NO_NEWS_STATES,
    STATE_HOME,
    RecordedState,
    SpeedReading,
    read_report,
)
from .settings import Settings


@dataclass(slots=True)
class Tally:
    """What happened while replaying one trace or history: reports read, used, refused.

    ``rejected`` counts the engine's reasons (:class:`RejectReason`) and, for a history,
    :data:`UNAVAILABLE`; ``malformed`` counts what could not be read (a trace's rows, a
    history's :data:`UNPARSEABLE` states).
    """

    fixes_read: int = 0
    fixes_used: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    transitions: int = 0

    def reasons(self) -> dict[str, int]:
        """Return the rejections by reason, in the order of :class:`RejectReason`."""
        order = [reason.value for reason in RejectReason]
        return {
            reason: self.rejected[reason]
            for reason in sorted(
                self.rejected,
                key=lambda r: (order.index(r) if r in order else len(order), r),
            )
        }

    def summary(self) -> dict[str, object]:
        """Return the summary as a JSON-ready dictionary."""
        return {
            "fixes_read": self.fixes_read,
            "fixes_used": self.fixes_used,
            "rejected": self.reasons(),
            "malformed": self.malformed,
            "transitions": self.transitions,
        }

    def count(self, result: UpdateResult) -> None:
        """Count what the engine made of one report."""
        if result.accepted:
            self.fixes_used += 1
        else:
            self.rejected[result.reason.value if result.reason else "unknown"] += 1
        self.transitions += len(result.transitions)


TICK_S: Final = 10.0
"""How often Home Assistant lets time pass for a car (the coordinator's clock): a live
approach is cancelled at the first tick after it stalled, so a replay ticks too."""
UNAVAILABLE: Final = "unavailable"
"""States that said nothing (``unknown``, ``unavailable``), counted under this name."""
UNPARSEABLE: Final = "unparseable"
"""States that gave no usable report (no position, a number out of range), ditto."""
IGNORED_REASONS: Final = (*(reason.value for reason in RejectReason), UNAVAILABLE)
"""Why a recorded state was not used, in the order a summary shows them (then
:data:`UNPARSEABLE`)."""
_APPROACH: Final = frozenset({Phase.APPROACHING, Phase.ARRIVING})


@dataclass(frozen=True, slots=True)
class Trip:
    """A trip home: the approach that led home (if one was noticed), then ``arrived``."""

    transitions: tuple[Transition, ...]

    @property
    def lead_s(self) -> float | None:
        """Seconds from the approach being noticed to the arrival; None without one."""
        first, last = self.transitions[0], self.transitions[-1]
        if first.event is not EventType.APPROACH_STARTED:
            return None
        return (last.timestamp - first.timestamp).total_seconds()


@dataclass(frozen=True, slots=True)
class FalseApproach:
    """An approach that did not end home, with the closest it came (metres)."""

    transitions: tuple[Transition, ...]
    closest_m: float


@dataclass(slots=True)
class HistoryReplay:
    """What a fresh detector decided on a recorded history, sorted into trips.

    A trip home ends with ``arrived``; an approach cancelled instead is a drive-by when
    the car was, at the cancel, farther than its closest point of the approach by more
    than the engine's retreat distance (:attr:`Settings.retreat_m`, or
    :attr:`Settings.retreat_fraction` of the closest distance), and a cancelled approach
    otherwise (it stopped making progress, or went silent).
    """

    start: datetime
    end: datetime
    transitions: list[Transition] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)
    drive_bys: list[FalseApproach] = field(default_factory=list)
    cancelled: list[FalseApproach] = field(default_factory=list)
    departures: int = 0
    tally: Tally = field(default_factory=Tally)

    @property
    def median_lead_s(self) -> float | None:
        """The median lead of the trips home whose approach was noticed; None if none."""
        leads = [lead for trip in self.trips if (lead := trip.lead_s) is not None]
        return statistics.median(leads) if leads else None

    def ignored(self) -> dict[str, int]:
        """Return the states not used, by reason: each engine reason, then the states'."""
        rejected = self.tally.rejected
        counts = {reason: rejected[reason] for reason in IGNORED_REASONS}
        counts[UNPARSEABLE] = self.tally.malformed
        return counts

    def summary(self) -> dict[str, Any]:
        """Return the figures of the replay, JSON-ready."""
        median = self.median_lead_s
        return {
            "trips_home": len(self.trips),
            "median_lead_s": None if median is None else round(median),
            "false_approaches": len(self.drive_bys) + len(self.cancelled),
            "drive_bys": len(self.drive_bys),
            "cancelled_approaches": len(self.cancelled),
            "departures": self.departures,
            "states": self.tally.fixes_read,
            "fixes_used": self.tally.fixes_used,
            "ignored": self.ignored(),
        }

    def as_dict(self, tz: tzinfo | None = None) -> dict[str, Any]:
        """Return the whole replay, JSON-ready; times ISO 8601 in ``tz`` (local: None)."""

        def when(moment: datetime) -> str:
            return moment.astimezone(tz).isoformat()

        def steps(transitions: Sequence[Transition]) -> list[dict[str, Any]]:
            return [
                {
                    "event": transition.event.value,
                    "time": when(transition.timestamp),
                    "distance_m": None
                    if transition.distance_m is None
                    else round(transition.distance_m),
                }
                for transition in transitions
            ]

        def approaches(found: list[FalseApproach]) -> list[dict[str, Any]]:
            return [
                {
                    "started": when(approach.transitions[0].timestamp),
                    "cancelled": when(approach.transitions[-1].timestamp),
                    "closest_m": round(approach.closest_m),
                    "transitions": steps(approach.transitions),
                }
                for approach in found
            ]

        return {
            "start": when(self.start),
            "end": when(self.end),
            "trips": [
                {
                    "arrived": when(trip.transitions[-1].timestamp),
                    "lead_s": None if (lead := trip.lead_s) is None else round(lead),
                    "transitions": steps(trip.transitions),
                }
                for trip in self.trips
            ],
            "drive_bys": approaches(self.drive_bys),
            "cancelled_approaches": approaches(self.cancelled),
            "summary": self.summary(),
        }


class HistoryReplayer:
    """Feeds recorded states to a fresh detector as the live car would have had them.

    Each state is read as the live entity source reads it
    (:func:`~.reports.read_report`), the engine is given the states in order and, while
    an approach is under way, the clock's ticks between them (a stalled approach is
    cancelled at a tick, as live). Not replayed: the in-car signals of a phone (every
    position counts as the car's), a travel-time sensor (the ETA is the car's own) and
    the catching up after a restart (a restored state repeating the last position is
    used, as a position that did not move).
    """

    def __init__(
        self,
        home: Home,
        settings: Settings,
        start: datetime,
        *,
        entity_id: str,
        home_state: str = STATE_HOME,
        speed: SpeedReading | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        """Replay the states of ``entity_id`` from ``start`` against ``home``."""
        self._engine = ApproachDetector(home, settings)
        self._origin = Origin(home.latitude, home.longitude)
        self._settings = settings
        self._entity_id = entity_id
        self._home_state = home_state
        self._speed = speed
        self._tick_s = tick_s
        self._pending: list[Transition] = []
        """The transitions of the approach under way (or of an arrival being made)."""
        self._closest = math.inf
        """The closest the car came to home during the approach under way."""
        self.result = HistoryReplay(start=start, end=start)

    def feed(self, recorded: RecordedState) -> list[Transition]:
        """Replay one recorded state; return the transitions it (and time) caused."""
        tally = self.result.tally
        tally.fixes_read += 1
        out = self._tick(recorded.timestamp)
        try:
            report = read_report(
                self._entity_id,
                recorded.state,
                recorded.attributes,
                recorded.timestamp,
                home_state=self._home_state,
                speed=self._speed,
            )
        except TypeError, ValueError:
            report = None
        if report is None:
            if recorded.state in NO_NEWS_STATES:
                tally.rejected[UNAVAILABLE] += 1
            else:
                tally.malformed += 1
            return out
        if isinstance(report, Fix):
            result = self._engine.update(report)
        else:
            result = self._engine.update_presence(report, recorded.timestamp)
        tally.count(result)
        if isinstance(report, Fix) and result.accepted:
            self._measured(report, result.transitions)
        self._sort(result.transitions)
        out.extend(result.transitions)
        return out

    def finish(self, end: datetime) -> list[Transition]:
        """Let time pass until ``end``; return the transitions that caused."""
        out = self._tick(end)
        self.result.end = end
        return out

    def _tick(self, until: datetime) -> list[Transition]:
        """Tick the clock while an approach is under way, up to before ``until``."""
        engine = self._engine
        if engine.phase not in _APPROACH:
            return []
        last = engine.last_fix
        assert last is not None  # noqa: S101 - an approach follows a fix
        step = self._tick_s
        moment = (math.floor(last.timestamp() / step) + 1) * step
        end = until.timestamp()
        while moment < end:
            if transitions := engine.advance(datetime.fromtimestamp(moment, UTC)):
                self.result.tally.transitions += len(transitions)
                self._sort(transitions)
                return list(transitions)
            moment += step
        return []

    def _measured(self, fix: Fix, transitions: tuple[Transition, ...]) -> None:
        """Keep the closest the car came to home while approaching."""
        if any(t.event is EventType.APPROACH_STARTED for t in transitions):
            self._closest = math.inf
        if self._engine.phase in _APPROACH:
            distance = self._origin.distance_m(fix.latitude, fix.longitude)
            self._closest = min(self._closest, distance)

    def _sort(self, transitions: Sequence[Transition]) -> None:
        """Sort transitions into trips home, drive-bys and cancelled approaches."""
        result = self.result
        result.transitions.extend(transitions)
        for transition in transitions:
            event = transition.event
            if event is EventType.APPROACH_STARTED:
                self._pending = [transition]
            elif event is EventType.ARRIVING:
                self._pending.append(transition)
            elif event is EventType.ARRIVED:
                result.trips.append(Trip((*self._pending, transition)))
                self._pending = []
            elif event is EventType.APPROACH_CANCELLED:
                self._cancelled((*self._pending, transition))
            else:
                result.departures += 1
                self._pending = []

    def _cancelled(self, transitions: tuple[Transition, ...]) -> None:
        self._pending = []
        closest = self._closest
        distance = transitions[-1].distance_m or 0.0  # always known while approaching
        s = self._settings
        approach = FalseApproach(transitions, closest)
        if distance - closest > max(s.retreat_m, s.retreat_fraction * closest):
            self.result.drive_bys.append(approach)
        else:
            self.result.cancelled.append(approach)


def replay_history(
    states: Iterable[RecordedState],
    home: Home,
    settings: Settings,
    start: datetime,
    end: datetime,
    *,
    entity_id: str,
    home_state: str = STATE_HOME,
    speed: SpeedReading | None = None,
) -> HistoryReplay:
    """Replay a recorded history from ``start`` to ``end`` (see :class:`HistoryReplayer`)."""
    replayer = HistoryReplayer(
        home, settings, start, entity_id=entity_id, home_state=home_state, speed=speed
    )
    for recorded in states:
        replayer.feed(recorded)
    replayer.finish(end)
    return replayer.result

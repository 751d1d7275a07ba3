"""Entity source: follow an existing device_tracker, person or any entity with a position.

Two things make a followed entity more than its attributes (docs/sources.md):

* Units. A ``speed`` attribute means metres per second from one integration and knots from
  another, so speed is read only from the integrations in :data:`SPEED_ATTRIBUTES`, found
  from the entity registry (the entity's ``platform``); any other gives no speed, never a
  wrong one.
* Restarts. The first report the entity gives after the car is set up (Home Assistant
  starting, or the car's entry reloaded) may tell of a trip that ended meanwhile: it is
  applied silently, however late it comes (cloud car integrations and ``mobile_app`` finish
  setting up after Homecoming; the entity registry shows them ``unavailable`` with
  ``restored: true`` until then). A report that only repeats the car's last known position
  or zone (a tracker restoring its last state, as ``mobile_app`` and GPSLogger do before
  the phone reports) is no news: it is not used at all (its time is when the tracker
  started, not when the car was there) and the catching up goes on; the first report that
  tells something new ends it. Until then the clock ends nothing audibly either.

A car may also name a travel-time sensor (Waze, Google Maps or any duration sensor): each
fix built from the followed entity carries the sensor's reading as its ``travel_time``,
which the engine uses as the ETA while the car approaches. A sensor that gives no usable
reading (unavailable, unknown, junk, out of bounds, stale, removed:
:func:`travel_time_from_state`) makes the fix say so (``travel_time_gone``): the engine
drops the travel time it had and its own ETA stands at once. Only a sensor not set up yet
while Home Assistant starts says nothing either way.

A car that follows a phone may name in-car signals (:mod:`..incar`): then the phone's
reports reach the car only while the phone is in the car. Out of it (the train home, a
walk), they are dropped (counted as ``not_in_car``) and the car stays where it was parked.
While every signal is off but the phone still counts as in the car (a red light's
Bluetooth drop), reports are held: used in order when a signal comes back, dropped when
the phone is found to have left. A signal coming on feeds the phone's current report at
once; the phone leaving the car within the arrival radius of home is the car arriving
(:meth:`EntitySource._async_parked`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from homeassistant.components.zone import ENTITY_ID_HOME
from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_HOME,
    STATE_UNAVAILABLE,
    UnitOfSpeed,
    UnitOfTime,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    CoreState,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import (
    async_track_entity_registry_updated_event,
    async_track_state_change_event,
)
from homeassistant.helpers.start import async_at_started
from homeassistant.util.unit_conversion import DurationConverter, SpeedConverter

from ..const import (
    CONF_TRACKED_ENTITY,
    CONF_TRAVEL_TIME_SENSOR,
    DOMAIN,
    LOGGER,
    TRAVEL_TIME_MAX_AGE,
)
from ..coordinator import HomecomingCoordinator
from ..detection import is_duration_unit, travel_time_sensor
from ..engine import Fix, Phase, RejectReason
from ..engine.models import MAX_TRAVEL_TIME_S
from ..engine.reports import ZONE_BASED_DOMAINS, Report, read_report, zone_state_name
from ..incar import InCarChange, InCarMonitor, in_car_signals


@dataclass(frozen=True, slots=True)
class SpeedAttribute:
    """Where an integration's trackers show their speed, and in which unit."""

    name: str
    unit: UnitOfSpeed

    def to_mps(self, value: float) -> float:
        """Convert a value of this attribute to metres per second."""
        return SpeedConverter.convert(value, self.unit, UnitOfSpeed.METERS_PER_SECOND)


SPEED_ATTRIBUTES: Final[dict[str, SpeedAttribute | None]] = {
    # The Companion apps send m/s (Android Location.getSpeed, iOS CLLocation.speed).
    "mobile_app": SpeedAttribute("speed", UnitOfSpeed.METERS_PER_SECOND),
    # The GPSLogger app sends m/s; core keeps it as it came.
    "gpslogger": SpeedAttribute("speed", UnitOfSpeed.METERS_PER_SECOND),
    # OwnTracks' ``vel`` is km/h; core shows it as ``velocity``.
    "owntracks": SpeedAttribute("velocity", UnitOfSpeed.KILOMETERS_PER_HOUR),
    # Traccar measures speed in knots (its speed sensor says so); the tracker shows it
    # when ``speed`` is one of the integration's custom attributes.
    "traccar_server": SpeedAttribute("speed", UnitOfSpeed.KNOTS),
    # Tesla's drive_state.speed is in mph (Tessie's speed sensor says so).
    "tessie": SpeedAttribute("speed", UnitOfSpeed.MILES_PER_HOUR),
    # The old Traccar Client webhook keeps the sender's unit: knots from Traccar Client,
    # m/s from OsmAnd and from the JSON body. One attribute, two units: no speed.
    "traccar": None,
}
"""The integrations whose trackers' speed Homecoming reads, by entity registry platform.

``None``: known, but its speed cannot be trusted. An integration not listed gives no speed.
"""


def report_from_state(
    state: State,
    *,
    home_state: str = STATE_HOME,
    speed: SpeedAttribute | None = None,
) -> Report:
    """Read what an entity's state says about the car's whereabouts.

    Entities with ``latitude`` / ``longitude`` attributes give a fix (accuracy from
    ``gps_accuracy``, heading when present, speed from ``speed`` when the entity's
    integration is known). Absent and non-numeric values, ``-1`` and other negative values
    mean unknown; a number out of its range (docs/sources.md) drops the whole report, as
    does a position that is not on Earth. Without a position, a zone-based tracker's state
    says whether it is in the home zone: ``home_state`` is what such a tracker shows there
    (``home`` for ``zone.home``, else the zone's name). Unknown and unavailable say nothing.
    The reading is :func:`~.engine.reports.read_report`'s, which the replays of recorded
    history share.
    """
    try:
        return read_report(
            state.entity_id,
            state.state,
            state.attributes,
            state.last_updated,
            home_state=home_state,
            speed=speed,
        )
    except (TypeError, ValueError) as err:
        LOGGER.debug("%s: unusable position (%s)", state.entity_id, err)
        return None


def home_state_of(hass: HomeAssistant, zone: str) -> str:
    """Return what a zone-based tracker shows inside the home zone ``zone``."""
    if zone == ENTITY_ID_HOME:
        return STATE_HOME
    zone_state = hass.states.get(zone)
    return zone if zone_state is None else zone_state_name(zone, zone_state.attributes)


def speed_attribute_of(hass: HomeAssistant, entity_id: str) -> SpeedAttribute | None:
    """Return where an entity's integration shows the speed; None if not registered."""
    entry = er.async_get(hass).async_get(entity_id)
    return None if entry is None else SPEED_ATTRIBUTES.get(entry.platform)


def can_follow(state: State) -> bool:
    """Whether an entity can give a car's whereabouts: a position, or a tracker's zone."""
    attributes = state.attributes
    return (
        ATTR_LATITUDE in attributes and ATTR_LONGITUDE in attributes
    ) or state.domain in ZONE_BASED_DOMAINS


def travel_time_seconds(value: str, unit: object) -> float | None:
    """Return a travel-time sensor's state in seconds; None if it gives no travel time.

    ``value`` is the state, ``unit`` its ``unit_of_measurement``, any duration unit Home
    Assistant converts (``d``, ``h``, ``min``, ``s``, ``ms``, ...). No unit or another
    one, ``unknown``, ``unavailable``, text, a negative number, NaN, an infinity and more
    than :data:`~.engine.models.MAX_TRAVEL_TIME_S` give None.
    """
    if not is_duration_unit(unit):
        return None
    try:
        number = float(value)
    except ValueError:  # unknown, unavailable, any other text
        return None
    seconds = DurationConverter.convert(number, unit, UnitOfTime.SECONDS)
    if not 0.0 <= seconds <= MAX_TRAVEL_TIME_S:  # NaN too
        return None
    return seconds + 0.0  # -0.0 is 0.0


def travel_time_from_state(state: State, at: datetime) -> float | None:
    """Return the travel time a sensor's state gives for a fix measured ``at``.

    A reading is taken when the sensor last reported it (``last_reported``: Waze and
    Google write their state at every poll, changed or not), so it says the car arrives
    at ``last_reported`` + its value; the travel time is what is left of it at ``at``.
    None when the state gives no travel time (:func:`travel_time_seconds`), when the
    reading is more than :data:`~.const.TRAVEL_TIME_MAX_AGE` older than the fix
    (stale), or when the arrival it foresaw has passed without the car being home.
    """
    seconds = travel_time_seconds(
        state.state, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    )
    if seconds is None:
        return None
    age = at - state.last_reported
    if age > TRAVEL_TIME_MAX_AGE:
        return None
    left = seconds - age.total_seconds()
    return left if 0.0 <= left <= MAX_TRAVEL_TIME_S else None


def source_issue_id(entry_id: str) -> str:
    """Return the id of a car's repair issue about its removed position source."""
    return f"source_removed_{entry_id}"


class EntitySource:
    """Feeds an entity's position changes to a car's coordinator."""

    def __init__(
        self, hass: HomeAssistant, coordinator: HomecomingCoordinator, entity_id: str
    ) -> None:
        """Follow ``entity_id`` for ``coordinator``."""
        self.hass = hass
        self.coordinator = coordinator
        self.entity_id = entity_id
        self._speed: SpeedAttribute | None = None
        self._platform: str | None = None
        self._entry_id = coordinator.config_entry.entry_id
        options = coordinator.config_entry.options
        self._travel_time_sensor = travel_time_sensor(options)
        if self._travel_time_sensor is None and CONF_TRAVEL_TIME_SENSOR in options:
            LOGGER.warning(
                "%s: the saved option %s = %r is not an entity id; the ETA is the"
                " car's own (open the car's detection options and save them to fix it)",
                coordinator.config_entry.title,
                CONF_TRAVEL_TIME_SENSOR,
                options[CONF_TRAVEL_TIME_SENSOR],
            )
        self._travel_time_missing = False
        """The travel-time sensor's absence has been logged (once, until it is back)."""
        signals = in_car_signals(options)
        self.in_car: InCarMonitor | None = (
            None
            if signals is None
            else InCarMonitor(
                hass, signals, coordinator.config_entry.title, self._async_in_car
            )
        )
        """The car's in-car signals, if it names any."""
        self._held: list[State] = []
        """Reports held while the in-car signals are lost but the delay is not over."""

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start following; returns the function that stops it."""
        # Nothing heard since the start yet: the first news is applied silently.
        self.coordinator.catching_up = True
        unsubs = [
            async_track_state_change_event(
                self.hass, [self.entity_id], self._async_state_changed
            ),
            async_track_entity_registry_updated_event(
                self.hass, [self.entity_id], self._async_registry_updated
            ),
        ]
        if self.in_car is not None:
            # Before the first report: it may not be the car's.
            unsubs.append(self.in_car.async_start())
            self.coordinator.async_set_in_car(self.in_car.in_car)
        state = self.hass.states.get(self.entity_id)
        if state is not None:
            self._async_handle(state)
        else:
            self.coordinator.async_set_source_available(False)
            # Missing once Home Assistant has started: the entity was removed. While it
            # is starting, its integration may simply not have set it up yet.
            unsubs.append(async_at_started(self.hass, self._async_check_after_start))

        @callback
        def _stop() -> None:
            for unsub in unsubs:
                unsub()

        return _stop

    @callback
    def _async_removed(self) -> None:
        """Mark the source unavailable and raise a repair: the entity no longer exists."""
        entry = self.coordinator.config_entry
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            source_issue_id(entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="source_removed",
            translation_placeholders={"entity": self.entity_id, "name": entry.title},
        )
        self.coordinator.async_set_source_available(False)

    @callback
    def _async_registry_updated(
        self, event: Event[er.EventEntityRegistryUpdatedData]
    ) -> None:
        """Follow a rename of the entity (its new id), as core ``proximity`` does."""
        data = event.data
        if data["action"] != "update" or "entity_id" not in data["changes"]:
            return
        new_id = data["entity_id"]
        entry = self.coordinator.config_entry
        LOGGER.info(
            "%s: the followed entity %s is now %s", entry.title, self.entity_id, new_id
        )
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_TRACKED_ENTITY: new_id}
        )
        # Set up again with the new id; its first state is applied silently.
        self.hass.config_entries.async_schedule_reload(entry.entry_id)

    @callback
    def _async_check_after_start(self, _hass: HomeAssistant) -> None:
        """Home Assistant has started: an entity still missing now was removed."""
        if self.hass.states.get(self.entity_id) is None:
            self._async_removed()

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is None:
            self._async_removed()
            return
        self._async_handle(state)

    def _home_state(self) -> str:
        """Return what a zone-based tracker shows inside the car's home zone."""
        return home_state_of(self.hass, self.coordinator.zone_entity_id)

    def _speed_attribute(self) -> SpeedAttribute | None:
        """Return where the entity's integration shows the speed (looked up once)."""
        if self._platform is None:
            entry = er.async_get(self.hass).async_get(self.entity_id)
            if entry is None:
                return None  # not registered (yet): no speed
            self._platform = entry.platform
            self._speed = SPEED_ATTRIBUTES.get(entry.platform)
        return self._speed

    @callback
    def _async_handle(self, state: State) -> None:
        coordinator = self.coordinator
        # The entity exists (again): no removal to repair.
        ir.async_delete_issue(self.hass, DOMAIN, source_issue_id(self._entry_id))
        if state.state == STATE_UNAVAILABLE:
            coordinator.async_set_source_available(False)
            return
        coordinator.async_set_source_available(True)
        report = report_from_state(
            state, home_state=self._home_state(), speed=self._speed_attribute()
        )
        if report is None:
            LOGGER.debug("%s: no position in this state", self.entity_id)
            return
        if self._kept_from_car(state):
            monitor = self.in_car
            if (
                coordinator.catching_up
                and monitor is not None
                and monitor.lost_at is None
                and not self._repeats(report, state)
            ):
                # Live news of the phone, out of the car: the source is in step, so
                # what the phone reports once in the car is news, announced as such.
                LOGGER.debug(
                    "%s: first news since the start (out of the car)", self.entity_id
                )
                coordinator.catching_up = False
            return
        catching_up = coordinator.catching_up
        if catching_up and self._repeats(report, state):
            # A tracker restoring its last state: no news of the car, and its time is
            # not when the car was there. Waiting for the first real report.
            coordinator.stats.add("repeated")
            LOGGER.debug("%s: repeats the car's last known whereabouts", self.entity_id)
            return
        if isinstance(report, Fix):
            if self.in_car is not None:
                # Past the gate: the phone is in the car, so the car is being driven
                # (the engine may start an approach on less evidence).
                report = replace(report, in_car=True)
            if self._travel_time_sensor is not None:
                report = self._with_travel_time(report, self._travel_time_sensor)
            (result,) = coordinator.async_add_fixes([report], silent=catching_up)
        else:
            result = coordinator.async_add_presence(
                report, state.last_updated, silent=catching_up
            )
        # News (applied silently above) ends the catching up; so does the very report
        # the car already has (a reload: the entity and the car are in step). A report
        # not used (too inaccurate, say) changes nothing and ends nothing.
        if catching_up and (result.accepted or result.reason is RejectReason.DUPLICATE):
            LOGGER.debug(
                "%s: first news since the start, applied silently", self.entity_id
            )
            coordinator.catching_up = False

    def _kept_from_car(self, state: State) -> bool:
        """Whether the in-car signals keep a report from the car (held or dropped)."""
        monitor = self.in_car
        if monitor is None:
            return False
        if monitor.lost_at is not None:
            self._held.append(state)
            return True
        if not monitor.in_car:
            self.coordinator.stats.add("not_in_car")
            LOGGER.debug("%s: not in the car; the car stays parked", self.entity_id)
            return True
        return False

    @callback
    def _async_in_car(self, change: InCarChange, now: datetime) -> None:
        """Follow the phone into and out of the car (see the module's docstring)."""
        coordinator = self.coordinator
        if change is InCarChange.SIGNAL_BACK:
            held, self._held = self._held, []
            for report in held:
                self._async_handle(report)
        elif change is InCarChange.LEFT:
            coordinator.stats.add("not_in_car", len(self._held))
            self._held = []
            coordinator.async_set_in_car(False)
            self._async_parked(now)
        elif change is InCarChange.ENTERED:
            coordinator.async_set_in_car(True)
            # The car's position continues from the phone's.
            if (current := self.hass.states.get(self.entity_id)) is not None:
                self._async_handle(current)

    @callback
    def _async_parked(self, now: datetime) -> None:
        """Report the car home if the phone left it near home.

        Within the arrival radius of home (the car's last position while the phone was
        in it), a driver leaving the car is the strongest evidence of an arrival there
        is: the car is reported home (``arrived``, after ``arriving`` if it was still
        approaching), also when it is parked outside the home zone (a driveway, the
        street). Elsewhere, nothing: the car is parked where it was, and an approach
        under way ends as any stop does, after the stop tolerance.
        """
        coordinator = self.coordinator
        snapshot = coordinator.data.snapshot
        if (
            snapshot.phase is Phase.HOME
            or snapshot.distance_m is None
            or snapshot.distance_m > coordinator.settings.arrival_radius_m
        ):
            return
        LOGGER.debug("%s: the phone left the car near home", self.entity_id)
        coordinator.async_add_presence(True, now, silent=coordinator.catching_up)

    def _with_travel_time(self, fix: Fix, sensor: str) -> Fix:
        """Return the fix with the travel-time sensor's reading, or saying it has none.

        A sensor that gives no travel time makes the fix say it is gone: the engine
        drops any it kept and its own ETA stands at once. Only a sensor not set up yet
        while Home Assistant starts says nothing either way (the fix is unchanged).
        """
        state = self.hass.states.get(sensor)
        title = self.coordinator.config_entry.title
        if state is None:
            if self.hass.state is not CoreState.running:
                # Starting: the sensor's integration may not have set it up yet.
                LOGGER.debug(
                    "%s: the travel-time sensor %s is not there yet", title, sensor
                )
                return fix
            if not self._travel_time_missing:
                self._travel_time_missing = True
                LOGGER.info(
                    "%s: the travel-time sensor %s does not exist; the ETA is the"
                    " car's own",
                    title,
                    sensor,
                )
            return replace(fix, travel_time_gone=True)
        if self._travel_time_missing:
            self._travel_time_missing = False
            LOGGER.info("%s: the travel-time sensor %s is back", title, sensor)
        travel_time = travel_time_from_state(state, fix.timestamp)
        if travel_time is None:
            LOGGER.debug(
                "%s: no travel time from %s (%r %r, reported %s): the ETA is the car's own",
                title,
                sensor,
                state.state,
                state.attributes.get(ATTR_UNIT_OF_MEASUREMENT),
                state.last_reported.isoformat(),
            )
            return replace(fix, travel_time_gone=True)
        return replace(fix, travel_time=travel_time)

    def _repeats(self, report: Fix | bool, state: State) -> bool:
        """Whether a report only repeats the car's last known position (or zone).

        Measured later than the car's newest report: the report the car already has
        is no repeat but the entity in step with the car.
        """
        snapshot = self.coordinator.data.snapshot
        if state.last_updated == snapshot.last_fix:
            return False
        if isinstance(report, Fix):
            return (report.latitude, report.longitude) == (
                snapshot.latitude,
                snapshot.longitude,
            )
        return snapshot.phase is not None and report == (snapshot.phase is Phase.HOME)

"""Constants of the Homecoming integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from .engine import EventType

DOMAIN: Final = "homecoming"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data
MINOR_VERSION: Final = 2
"""Minor version of the config entries this version writes (see ``async_migrate_entry``)."""

CONF_SOURCE: Final = "source"
CONF_TRACKED_ENTITY: Final = "tracked_entity"
CONF_HOME_ZONE: Final = "home_zone"
CONF_MAKE: Final = "make"
CONF_MODEL: Final = "model"
CONF_VIN: Final = "vin"
CONF_SECRET: Final = "secret"  # noqa: S105 - the name of a field, not a secret
CONF_CLOUDHOOK: Final = "cloudhook"
CONF_OWNTRACKS_KEY: Final = "owntracks_key"
"""The encryption key of the car's OwnTracks app (a secret, like ``secret``)."""

SOURCE_ENTITY: Final = "entity"
SOURCE_PUSH: Final = "push"

DEFAULT_HOME_ZONE: Final = "zone.home"

# Options: detection settings, in the units the user sees
CONF_REACH_KM: Final = "reach_km"
CONF_REACH_MINUTES: Final = "reach_minutes"
CONF_ARRIVAL_RADIUS: Final = "arrival_radius"
CONF_STOP_TOLERANCE: Final = "stop_tolerance"
CONF_SILENCE_TIMEOUT: Final = "silence_timeout"
CONF_STALE_TIMEOUT_V1: Final = "stale_timeout"
"""The silence timeout's option key in options of minor version 1."""
CONF_MAX_ACCURACY: Final = "max_accuracy"
CONF_TRAVEL_TIME_SENSOR: Final = "travel_time_sensor"
"""A sensor giving the travel time home (Waze, Google): the ETA of a car that follows an
entity, while it is approaching (docs/sources.md#travel-time-as-eta)."""

# Options: in-car signals of a car that follows a phone (see incar.py)
CONF_IN_CAR_BLUETOOTH_SENSOR: Final = "in_car_bluetooth_sensor"
"""The Companion app's Bluetooth connection sensor of the phone the car follows."""
CONF_IN_CAR_BLUETOOTH_DEVICES: Final = "in_car_bluetooth_devices"
"""The car's Bluetooth names or addresses: connected to one, the phone is in the car."""
CONF_IN_CAR_SIGNALS: Final = "in_car_signals"
"""Binary sensors or input_booleans that are on while the phone is in the car."""

# Bus event and its data
EVENT_HOMECOMING: Final = "homecoming_event"
ATTR_TYPE: Final = "type"
ATTR_ENTRY_ID: Final = "entry_id"
ATTR_DISTANCE: Final = "distance"
ATTR_ETA: Final = "eta"
ATTR_DRIVER: Final = "driver"
ATTR_PHASE: Final = "phase"

EVENT_TYPES: Final = [event.value for event in EventType]

# Fix fields shared by the action and the pushes
ATTR_ACCURACY: Final = "accuracy"
ATTR_SPEED: Final = "speed"
ATTR_HEADING: Final = "heading"
ATTR_IGNITION: Final = "ignition"
ATTR_TIMESTAMP: Final = "timestamp"
ATTR_TRAVEL_TIME: Final = "travel_time"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

SERVICE_UPDATE_LOCATION: Final = "update_location"

# Runtime
TICK_INTERVAL: Final = timedelta(seconds=10)
"""How often time is advanced while nothing arrives (stops, silence, staleness)."""

SAVE_DELAY: Final = 10
"""Seconds to batch state writes to storage; the final write happens on shutdown."""

STORAGE_VERSION: Final = 1
FUTURE_TOLERANCE: Final = timedelta(minutes=2)
"""A fix stamped further ahead of Home Assistant's clock than this is refused."""
TRAVEL_TIME_MAX_AGE: Final = timedelta(minutes=15)
"""A travel-time reading older than this is stale: the engine's own ETA is used instead.

Waze Travel Time polls every 5 minutes and Google Maps Travel Time every 10, and both
write their state at every poll (``last_reported``) even when the value is unchanged; a
failed poll makes them ``unknown`` or ``unavailable``. A healthy reading is therefore at
most 10 minutes old: the bound is that interval plus half of it for a slow request. Older
means the sensor has stopped updating. A reading within it is anchored at its own time
(arrival = ``last_reported`` + value), so its age does not shift the ETA."""

# Routines (entry.options), see docs/routines.md
CONF_ARRIVAL_LIGHTS: Final = "arrival_lights"
CONF_CLIMATE: Final = "climate"
CONF_DEPARTURE: Final = "departure"
CONF_COOLDOWN: Final = "cooldown"
CONF_TARGETS: Final = "targets"
CONF_WHEN: Final = "when"
CONF_CONDITION: Final = "condition"
CONF_ILLUMINANCE_SENSOR: Final = "illuminance_sensor"
CONF_ILLUMINANCE_BELOW: Final = "illuminance_below"
CONF_TARGET_TEMPERATURE: Final = "target_temperature"
CONF_HVAC_MODE: Final = "hvac_mode"
CONF_TIMING: Final = "timing"
CONF_RATE: Final = "rate"
CONF_MAX_LEAD: Final = "max_lead"
CONF_INDOOR_SENSOR: Final = "indoor_sensor"
CONF_LEAD: Final = "lead"
CONF_ENABLED: Final = "enabled"
CONF_MODE: Final = "mode"
CONF_ECO_TEMPERATURE: Final = "eco_temperature"
CONF_LIGHTS_OFF: Final = "lights_off"
CONF_GARAGE_DOOR: Final = "garage_door"
CONF_OPEN_ON: Final = "open_on"
CONF_CLOSE_IF_CANCELLED: Final = "close_if_cancelled"
CONF_AUTO_CLOSE: Final = "auto_close"
CONF_AUTO_CLOSE_DISTANCE: Final = "auto_close_distance"
CONF_OBSTRUCTION_SENSORS: Final = "obstruction_sensors"
CONF_NOTIFICATIONS: Final = "notifications"
CONF_MOBILE_APP: Final = "mobile_app"
CONF_EVENTS: Final = "events"

WHEN_ARRIVING: Final = "arriving"
WHEN_APPROACH_STARTED: Final = "approach_started"
WHEN_ARRIVED: Final = "arrived"
NOTIFY_GARAGE_DOOR: Final = "garage_door"
"""A notification event: each move (or refusal) of a garage door."""
NOTIFY_CLIMATE: Final = "climate"
"""A notification event: a thermostat started for the arrival."""
CONDITION_SUN: Final = "sun"
CONDITION_ILLUMINANCE: Final = "illuminance"
CONDITION_ALWAYS: Final = "always"
HVAC_KEEP: Final = "keep"
TIMING_PREHEAT: Final = "preheat"
TIMING_FIXED: Final = "fixed"
DEPARTURE_ECO: Final = "eco"
DEPARTURE_AWAY_PRESET: Final = "away_preset"

DEFAULT_COOLDOWN: Final = 15
DEFAULT_TARGET_TEMPERATURE: Final = 21.0
DEFAULT_RATE: Final = 2.0
DEFAULT_MAX_LEAD: Final = 120
DEFAULT_LEAD: Final = 30
DEFAULT_ECO_TEMPERATURE: Final = 17.0
DEFAULT_ILLUMINANCE_BELOW: Final = 50.0
HVAC_HEAT: Final = "heat"
DEPARTURE_SETTLE: Final = timedelta(minutes=2)
"""How long the departure routine waits for the people who were home to leave.

The usual phone is both the car's source and its owner's ``person`` tracker: the person
leaves the home zone seconds after (or before) the car's ``departed``. Two minutes covers
a phone's report interval while driving (Companion app: about one a minute) and a zone
exit's delay, and is short enough that the set-back still saves the heating."""
DEFAULT_CLOSE_IF_CANCELLED: Final = 5
DEFAULT_AUTO_CLOSE_DISTANCE: Final = 300.0

# Drivers (config subentries)
SUBENTRY_DRIVER: Final = "driver"
CONF_PERSON: Final = "person"
CONF_DRIVER_ID: Final = "driver_id"
CONF_TEMPERATURE: Final = "temperature"
CONF_SCENE: Final = "scene"

# Control
SERVICE_SNOOZE: Final = "snooze"
SERVICE_RUN_ROUTINE: Final = "run_routine"
ATTR_DURATION: Final = "duration"
ATTR_ROUTINE: Final = "routine"
ROUTINE_ARRIVAL: Final = "arrival"
ROUTINE_DEPARTURE: Final = "departure"
EVENT_ROUTINE: Final = "homecoming_routine"

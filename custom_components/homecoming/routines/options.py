"""A car's routine options, in one place: defaults, ranges, the typed model, the form.

The options are stored in ``entry.options`` as a section per routine
(``arrival_lights``, ``climate``, ``departure``) plus the ``cooldown`` (docs/routines.md).
:class:`RoutineOptions` reads them (a value that cannot be used is its default, with a
warning), :func:`routines_schema` / :func:`routines_options` are the options form, and
:func:`options_without` removes a target (the missing-target repair).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from homeassistant.components.climate.const import HVACMode
from homeassistant.components.cover import CoverDeviceClass
from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import LIGHT_LUX, UnitOfLength, UnitOfTemperature, UnitOfTime
from homeassistant.core import HomeAssistant, valid_entity_id
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util import slugify
from homeassistant.util.unit_conversion import (
    TemperatureConverter,
    TemperatureDeltaConverter,
)
import probatio

from ..const import (
    CONDITION_ALWAYS,
    CONDITION_ILLUMINANCE,
    CONDITION_SUN,
    CONF_ARRIVAL_LIGHTS,
    CONF_AUTO_CLOSE,
    CONF_AUTO_CLOSE_DISTANCE,
    CONF_CLIMATE,
    CONF_CLOSE_IF_CANCELLED,
    CONF_CONDITION,
    CONF_COOLDOWN,
    CONF_DEPARTURE,
    CONF_ECO_TEMPERATURE,
    CONF_ENABLED,
    CONF_EVENTS,
    CONF_GARAGE_DOOR,
    CONF_HVAC_MODE,
    CONF_ILLUMINANCE_BELOW,
    CONF_ILLUMINANCE_SENSOR,
    CONF_INDOOR_SENSOR,
    CONF_LEAD,
    CONF_LIGHTS_OFF,
    CONF_MAX_LEAD,
    CONF_MOBILE_APP,
    CONF_MODE,
    CONF_NOTIFICATIONS,
    CONF_OBSTRUCTION_SENSORS,
    CONF_OPEN_ON,
    CONF_RATE,
    CONF_TARGET_TEMPERATURE,
    CONF_TARGETS,
    CONF_TIMING,
    CONF_WHEN,
    DEFAULT_AUTO_CLOSE_DISTANCE,
    DEFAULT_CLOSE_IF_CANCELLED,
    DEFAULT_COOLDOWN,
    DEFAULT_ECO_TEMPERATURE,
    DEFAULT_ILLUMINANCE_BELOW,
    DEFAULT_LEAD,
    DEFAULT_MAX_LEAD,
    DEFAULT_RATE,
    DEFAULT_TARGET_TEMPERATURE,
    DEPARTURE_AWAY_PRESET,
    DEPARTURE_ECO,
    HVAC_HEAT,
    HVAC_KEEP,
    LOGGER,
    NOTIFY_CLIMATE,
    NOTIFY_GARAGE_DOOR,
    TIMING_FIXED,
    TIMING_PREHEAT,
    WHEN_APPROACH_STARTED,
    WHEN_ARRIVED,
    WHEN_ARRIVING,
)
from ..engine import EventType
from ..engine.values import read_number
from ..selectors import drop_down, entities, number_box, rate_box, temperature_box

CONF_LEARNED_RATE: Final = "learned_rate"
"""Climate option: time the pre-heat with the rate learned from each thermostat's history
(``routines/rates.py``) once it is learned, the set ``rate`` until then."""

ROUTINE_DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    CONF_ARRIVAL_LIGHTS: {
        CONF_TARGETS: [],
        CONF_WHEN: WHEN_ARRIVING,
        CONF_CONDITION: CONDITION_SUN,
        CONF_ILLUMINANCE_BELOW: DEFAULT_ILLUMINANCE_BELOW,
    },
    CONF_CLIMATE: {
        CONF_TARGETS: [],
        CONF_TARGET_TEMPERATURE: DEFAULT_TARGET_TEMPERATURE,
        CONF_HVAC_MODE: HVAC_HEAT,
        CONF_TIMING: TIMING_PREHEAT,
        CONF_RATE: DEFAULT_RATE,
        CONF_LEARNED_RATE: False,
        CONF_MAX_LEAD: DEFAULT_MAX_LEAD,
        CONF_LEAD: DEFAULT_LEAD,
    },
    CONF_DEPARTURE: {
        CONF_ENABLED: False,
        CONF_MODE: DEPARTURE_ECO,
        CONF_ECO_TEMPERATURE: DEFAULT_ECO_TEMPERATURE,
        CONF_LIGHTS_OFF: False,
    },
    CONF_GARAGE_DOOR: {
        CONF_TARGETS: [],
        CONF_OPEN_ON: WHEN_ARRIVING,
        CONF_CLOSE_IF_CANCELLED: DEFAULT_CLOSE_IF_CANCELLED,
        CONF_AUTO_CLOSE: False,
        CONF_AUTO_CLOSE_DISTANCE: DEFAULT_AUTO_CLOSE_DISTANCE,
    },
    CONF_NOTIFICATIONS: {
        CONF_TARGETS: [],
        CONF_MOBILE_APP: [],
        CONF_EVENTS: [EventType.APPROACH_STARTED.value, NOTIFY_GARAGE_DOOR],
    },
}
"""The defaults of each routine section's settings (optional sensors have none)."""

ROUTINE_RANGES: Final[dict[str, tuple[float, float]]] = {
    CONF_ILLUMINANCE_BELOW: (0.0, 100_000.0),
    CONF_TARGET_TEMPERATURE: (5.0, 95.0),
    CONF_ECO_TEMPERATURE: (5.0, 95.0),
    CONF_RATE: (0.1, 20.0),
    CONF_MAX_LEAD: (10.0, 480.0),
    CONF_LEAD: (0.0, 240.0),
    CONF_COOLDOWN: (0.0, 240.0),
    CONF_CLOSE_IF_CANCELLED: (0.0, 60.0),
    CONF_AUTO_CLOSE_DISTANCE: (50.0, 5_000.0),
}
"""The valid range of each number of the routine options (the form's boxes, and what is
read from saved options)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LightsOptions:
    """The arrival-lights section of a car's options."""

    targets: tuple[str, ...]
    when: str
    condition: str
    illuminance_sensor: str | None
    illuminance_below: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ClimateOptions:
    """The climate section of a car's options."""

    targets: tuple[str, ...]
    target_temperature: float
    hvac_mode: str
    timing: str
    rate: float
    learned_rate: bool
    """Use each thermostat's learned rate (heating or cooling) when it has one."""
    max_lead: float
    indoor_sensor: str | None
    lead: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DepartureOptions:
    """The departure section of a car's options."""

    enabled: bool
    mode: str
    eco_temperature: float
    lights_off: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class GarageDoorOptions:
    """The garage-door section of a car's options."""

    targets: tuple[str, ...]
    """``cover`` entities (garage doors, gates, doors)."""
    open_on: str
    """``arriving`` or ``arrived``; never on ``approach_started``."""
    close_if_cancelled: timedelta
    """Closed again when the approach is cancelled within this time of opening (zero:
    never)."""
    auto_close: bool
    auto_close_distance: float
    """Metres from home beyond which a departed car closes the door (auto-close)."""
    obstruction_sensors: tuple[str, ...]
    """``binary_sensor`` entities that are on while a door is obstructed."""


NOTIFY_EVENTS: Final = (
    *(event.value for event in EventType),
    NOTIFY_GARAGE_DOOR,
    NOTIFY_CLIMATE,
)
"""What a notification may be sent for: the transitions, garage-door moves, heating."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationOptions:
    """The notifications section of a car's options."""

    targets: tuple[str, ...]
    """``notify`` entities (``notify.send_message``)."""
    mobile_app: tuple[str, ...]
    """``notify`` actions of the Companion app (``mobile_app_<device>``), which get a
    "Skip this time" button."""
    events: frozenset[str]
    """Which of :data:`NOTIFY_EVENTS` are sent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutineOptions:
    """A car's routine options, with the defaults (``ROUTINE_DEFAULTS``) for the rest."""

    lights: LightsOptions
    climate: ClimateOptions
    departure: DepartureOptions
    garage_door: GarageDoorOptions
    notifications: NotificationOptions
    cooldown: timedelta

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        temperature_unit: str = UnitOfTemperature.CELSIUS,
    ) -> RoutineOptions:
        """Read the routine options of a config entry.

        A value that is missing, of the wrong kind or out of its range
        (:data:`ROUTINE_RANGES`) is read as its default (:func:`routine_defaults` in
        ``temperature_unit``, Home Assistant's unit system), with a warning: options
        written by hand or by an older version never stop a car from starting.
        """
        defaults = routine_defaults(temperature_unit)
        lights = _section(options, CONF_ARRIVAL_LIGHTS, defaults)
        climate = _section(options, CONF_CLIMATE, defaults)
        departure = _section(options, CONF_DEPARTURE, defaults)
        garage = _section(options, CONF_GARAGE_DOOR, defaults)
        notify = _section(options, CONF_NOTIFICATIONS, defaults)
        return cls(
            lights=LightsOptions(
                targets=_targets(lights),
                when=_choice(lights, CONF_WHEN, (WHEN_ARRIVING, WHEN_APPROACH_STARTED)),
                condition=_choice(
                    lights,
                    CONF_CONDITION,
                    (CONDITION_SUN, CONDITION_ILLUMINANCE, CONDITION_ALWAYS),
                ),
                illuminance_sensor=_entity(lights, CONF_ILLUMINANCE_SENSOR),
                illuminance_below=_value(lights, CONF_ILLUMINANCE_BELOW),
            ),
            climate=ClimateOptions(
                targets=_targets(climate),
                target_temperature=_value(climate, CONF_TARGET_TEMPERATURE),
                hvac_mode=_text(climate, CONF_HVAC_MODE),
                timing=_choice(climate, CONF_TIMING, (TIMING_PREHEAT, TIMING_FIXED)),
                rate=_value(climate, CONF_RATE),
                learned_rate=_flag(climate, CONF_LEARNED_RATE),
                max_lead=_value(climate, CONF_MAX_LEAD),
                indoor_sensor=_entity(climate, CONF_INDOOR_SENSOR),
                lead=_value(climate, CONF_LEAD),
            ),
            departure=DepartureOptions(
                enabled=_flag(departure, CONF_ENABLED),
                mode=_choice(
                    departure, CONF_MODE, (DEPARTURE_ECO, DEPARTURE_AWAY_PRESET)
                ),
                eco_temperature=_value(departure, CONF_ECO_TEMPERATURE),
                lights_off=_flag(departure, CONF_LIGHTS_OFF),
            ),
            garage_door=GarageDoorOptions(
                targets=_targets(garage),
                open_on=_choice(garage, CONF_OPEN_ON, (WHEN_ARRIVING, WHEN_ARRIVED)),
                close_if_cancelled=timedelta(
                    minutes=_value(garage, CONF_CLOSE_IF_CANCELLED)
                ),
                auto_close=_flag(garage, CONF_AUTO_CLOSE),
                auto_close_distance=_value(garage, CONF_AUTO_CLOSE_DISTANCE),
                obstruction_sensors=_targets(garage, CONF_OBSTRUCTION_SENSORS),
            ),
            notifications=NotificationOptions(
                targets=_targets(notify),
                mobile_app=_services(notify),
                events=_events(notify),
            ),
            cooldown=timedelta(
                minutes=_value(
                    {**options, _SECTION: CONF_COOLDOWN, _DEFAULTS: {}},
                    CONF_COOLDOWN,
                    default=DEFAULT_COOLDOWN,
                )
            ),
        )


_SECTION: Final = "__section__"
"""Key under which :func:`_section` notes which section a mapping is (for warnings)."""
_DEFAULTS: Final = "__defaults__"
"""Key under which :func:`_section` keeps the section's defaults (in the unit system)."""


def routine_defaults(temperature_unit: str) -> dict[str, dict[str, Any]]:
    """Return :data:`ROUTINE_DEFAULTS` with temperatures in ``temperature_unit``.

    The defaults are written in °C (21 °C comfort, 17 °C eco, 2 °C/h); climate actions
    take temperatures in Home Assistant's unit system, so with °F they are 70 °F, 62.5 °F
    and 3.6 °F/h (temperatures to the form's half degree, the rate to a tenth).
    """
    defaults = copy.deepcopy(ROUTINE_DEFAULTS)
    celsius = UnitOfTemperature.CELSIUS
    for key, field in (
        (CONF_CLIMATE, CONF_TARGET_TEMPERATURE),
        (CONF_DEPARTURE, CONF_ECO_TEMPERATURE),
    ):
        value = TemperatureConverter.convert(
            defaults[key][field], celsius, temperature_unit
        )
        defaults[key][field] = round(value * 2) / 2
    rate = TemperatureDeltaConverter.convert(
        defaults[CONF_CLIMATE][CONF_RATE], celsius, temperature_unit
    )
    defaults[CONF_CLIMATE][CONF_RATE] = round(rate, 1)
    return defaults


def _section(
    options: Mapping[str, Any],
    key: str,
    defaults: Mapping[str, dict[str, Any]] = ROUTINE_DEFAULTS,
) -> dict[str, Any]:
    """Return an options section with its defaults; a junk section is the defaults."""
    given = options.get(key)
    if given is not None and not isinstance(given, Mapping):
        _junk(key, given)
        given = None
    return {**defaults[key], **(given or {}), _SECTION: key, _DEFAULTS: defaults[key]}


def _junk(where: str, value: Any) -> None:
    LOGGER.warning(
        "Routine option %s has an unusable value %r; using its default",
        where,
        value,
    )


def _default(section: Mapping[str, Any], key: str) -> Any:
    return section[_DEFAULTS][key]


def _value(
    section: Mapping[str, Any], key: str, *, default: float | None = None
) -> float:
    """Read a number (or its text) within its range, else its default."""
    value = section.get(key)
    fallback = float(default if default is not None else _default(section, key))
    if value is None:
        return fallback
    low, high = ROUTINE_RANGES[key]
    try:
        number = read_number(value)
    except ValueError:
        number = None
    if number is not None and low <= number <= high:
        return number
    _junk(f"{section[_SECTION]}.{key}", value)
    return fallback


def _choice(section: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = section.get(key)
    if value in choices:
        return str(value)
    _junk(f"{section[_SECTION]}.{key}", value)
    return str(_default(section, key))


def _text(section: Mapping[str, Any], key: str) -> str:
    value = section.get(key)
    if isinstance(value, str) and value:
        return value
    _junk(f"{section[_SECTION]}.{key}", value)
    return str(_default(section, key))


def _flag(section: Mapping[str, Any], key: str) -> bool:
    value = section.get(key)
    if isinstance(value, bool):
        return value
    _junk(f"{section[_SECTION]}.{key}", value)
    return bool(_default(section, key))


def _entity(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str) and valid_entity_id(value):
        return value
    _junk(f"{section[_SECTION]}.{key}", value)
    return None


def _targets(section: Mapping[str, Any], key: str = CONF_TARGETS) -> tuple[str, ...]:
    """Read a list of entity ids; junk entries are dropped (with a warning)."""
    return _texts(section, key, valid_entity_id)


def _services(section: Mapping[str, Any]) -> tuple[str, ...]:
    """Read the Companion app notify actions (``mobile_app_<device>``)."""
    return _texts(section, CONF_MOBILE_APP, _mobile_app_action)


MOBILE_APP_PREFIX: Final = "mobile_app_"
"""The Companion app's notify actions are ``notify.mobile_app_<device>``."""
MOBILE_APP_DOMAIN: Final = "mobile_app"
"""The Companion app's integration: one config entry per phone."""
MOBILE_APP_DEVICE_NAME: Final = "device_name"
"""The phone's name in its ``mobile_app`` config entry's data."""


def mobile_app_actions(hass: HomeAssistant) -> list[SelectOptionDict]:
    """Return the Companion app notify actions Home Assistant has now, by phone name.

    Each is labelled with the name of its phone: the ``device_name`` of the
    ``mobile_app`` config entry whose action it is (``mobile_app`` registers
    ``notify.mobile_app_<slugified device_name>``); an action without such an entry
    keeps its own name as label. Sorted by label.
    """
    names: dict[str, str] = {}
    for entry in hass.config_entries.async_entries(MOBILE_APP_DOMAIN):
        name = entry.data.get(MOBILE_APP_DEVICE_NAME)
        if isinstance(name, str) and name.strip():
            names.setdefault(slugify(f"{MOBILE_APP_PREFIX}{name}"), name.strip())
    return _sorted_options(
        SelectOptionDict(value=service, label=names.get(service, service))
        for service in hass.services.async_services_for_domain(NOTIFY_DOMAIN)
        if _mobile_app_action(service)
    )


def _sorted_options(options: Iterable[SelectOptionDict]) -> list[SelectOptionDict]:
    """Return options sorted by label (case-insensitively), then value."""
    return sorted(
        options, key=lambda option: (option["label"].casefold(), option["value"])
    )


def _mobile_app_action(value: str) -> bool:
    return value.startswith(MOBILE_APP_PREFIX) and slugify(value) == value


def _events(section: Mapping[str, Any]) -> frozenset[str]:
    """Read the notification events; unknown ones are dropped (with a warning)."""
    return frozenset(_texts(section, CONF_EVENTS, NOTIFY_EVENTS.__contains__))


def _texts(
    section: Mapping[str, Any], key: str, valid: Callable[[str], bool]
) -> tuple[str, ...]:
    value = section.get(key) or ()
    if isinstance(value, (list, tuple)):
        good = tuple(v for v in value if isinstance(v, str) and valid(v))
        if len(good) == len(value):
            return good
        _junk(f"{section[_SECTION]}.{key}", value)
        return good
    _junk(f"{section[_SECTION]}.{key}", value)
    return ()


ROUTINE_MINUTES: Final = {
    CONF_CLIMATE: (CONF_MAX_LEAD, CONF_LEAD),
    CONF_GARAGE_DOOR: (CONF_CLOSE_IF_CANCELLED,),
}
"""The settings kept as whole minutes, by section."""


def routine_selectors(
    temperature_unit: str, mobile_apps: Sequence[SelectOptionDict] = ()
) -> dict[str, dict[str, Any]]:
    """Return each routine section's fields, in the order the form shows them.

    Temperatures and rates are in Home Assistant's unit system (``temperature_unit``);
    ``mobile_apps`` are the Companion app notify actions to offer (each labelled with
    its phone's name, :func:`mobile_app_actions`).
    """
    return {
        CONF_ARRIVAL_LIGHTS: {
            CONF_TARGETS: entities(
                ["light", "switch", "scene", "script"], multiple=True
            ),
            CONF_WHEN: drop_down(
                SelectSelectorConfig(
                    options=[WHEN_ARRIVING, WHEN_APPROACH_STARTED],
                    translation_key="arrival_when",
                )
            ),
            CONF_CONDITION: drop_down(
                SelectSelectorConfig(
                    options=[CONDITION_SUN, CONDITION_ILLUMINANCE, CONDITION_ALWAYS],
                    translation_key="arrival_condition",
                )
            ),
            CONF_ILLUMINANCE_SENSOR: entities(
                "sensor", device_class=SensorDeviceClass.ILLUMINANCE
            ),
            CONF_ILLUMINANCE_BELOW: number_box(0, 100_000, 1, LIGHT_LUX),
        },
        CONF_CLIMATE: {
            CONF_TARGETS: entities("climate", multiple=True),
            CONF_TARGET_TEMPERATURE: temperature_box(temperature_unit),
            CONF_HVAC_MODE: drop_down(
                SelectSelectorConfig(
                    options=[
                        HVACMode.HEAT.value,
                        HVACMode.COOL.value,
                        HVACMode.HEAT_COOL.value,
                        HVACMode.AUTO.value,
                        HVAC_KEEP,
                    ],
                    translation_key="climate_hvac_mode",
                )
            ),
            CONF_TIMING: drop_down(
                SelectSelectorConfig(
                    options=[TIMING_PREHEAT, TIMING_FIXED],
                    translation_key="climate_timing",
                )
            ),
            CONF_RATE: rate_box(temperature_unit),
            CONF_LEARNED_RATE: BooleanSelector(),
            CONF_MAX_LEAD: number_box(10, 480, 5, UnitOfTime.MINUTES),
            CONF_INDOOR_SENSOR: entities(
                "sensor", device_class=SensorDeviceClass.TEMPERATURE
            ),
            CONF_LEAD: number_box(0, 240, 1, UnitOfTime.MINUTES),
        },
        CONF_DEPARTURE: {
            CONF_ENABLED: BooleanSelector(),
            CONF_MODE: drop_down(
                SelectSelectorConfig(
                    options=[DEPARTURE_ECO, DEPARTURE_AWAY_PRESET],
                    translation_key="departure_mode",
                )
            ),
            CONF_ECO_TEMPERATURE: temperature_box(temperature_unit),
            CONF_LIGHTS_OFF: BooleanSelector(),
        },
        CONF_GARAGE_DOOR: {
            CONF_TARGETS: entities(
                "cover",
                device_class=[
                    CoverDeviceClass.GARAGE,
                    CoverDeviceClass.GATE,
                    CoverDeviceClass.DOOR,
                ],
                multiple=True,
            ),
            CONF_OPEN_ON: drop_down(
                SelectSelectorConfig(
                    options=[WHEN_ARRIVING, WHEN_ARRIVED],
                    translation_key="garage_open_on",
                )
            ),
            CONF_CLOSE_IF_CANCELLED: number_box(0, 60, 1, UnitOfTime.MINUTES),
            CONF_AUTO_CLOSE: BooleanSelector(),
            CONF_AUTO_CLOSE_DISTANCE: number_box(50, 5_000, 10, UnitOfLength.METERS),
            CONF_OBSTRUCTION_SENSORS: entities("binary_sensor", multiple=True),
        },
        CONF_NOTIFICATIONS: {
            CONF_TARGETS: entities("notify", multiple=True),
            CONF_MOBILE_APP: SelectSelector(
                SelectSelectorConfig(
                    options=list(mobile_apps),
                    multiple=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            CONF_EVENTS: SelectSelector(
                SelectSelectorConfig(
                    options=list(NOTIFY_EVENTS),
                    multiple=True,
                    mode=SelectSelectorMode.LIST,
                    translation_key="notify_events",
                )
            ),
        },
    }


COOLDOWN_SELECTOR = number_box(0, 240, 1, UnitOfTime.MINUTES)


def _routine_configured(key: str, settings: Any) -> bool:
    """Tell whether a routine section is in use (so its section opens)."""
    if not isinstance(settings, dict):
        return False
    if key == CONF_NOTIFICATIONS:
        return bool(settings.get(CONF_TARGETS) or settings.get(CONF_MOBILE_APP))
    return bool(settings.get(CONF_ENABLED if key == CONF_DEPARTURE else CONF_TARGETS))


def routines_schema(
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    temperature_unit: str,
    mobile_apps: Sequence[SelectOptionDict] = (),
) -> probatio.Schema:
    """Return the routines form: a section per routine, then the cooldown.

    The defaults are the documented ones (in ``temperature_unit``); ``values`` (the saved options or the
    input being corrected) are suggested over them. A section opens when its
    routine is in use or has an error. ``mobile_apps`` are the Companion app notify
    actions Home Assistant has now, labelled (:func:`mobile_app_actions`); those
    already chosen stay offered, labelled with their own name when Home Assistant no
    longer has them (a phone removed).
    """
    chosen = _services(_section(values, CONF_NOTIFICATIONS))
    known = {option["value"] for option in mobile_apps}
    offered = _sorted_options(
        [
            *mobile_apps,
            *(
                SelectOptionDict(value=service, label=service)
                for service in dict.fromkeys(chosen)
                if service not in known
            ),
        ]
    )
    defaults = routine_defaults(temperature_unit)
    fields: dict[Any, Any] = {}
    for key, selectors in routine_selectors(temperature_unit, offered).items():
        inner: dict[Any, Any] = {}
        for field, selector in selectors.items():
            default = defaults[key].get(field)
            if isinstance(default, list):
                # A list may be left empty (that routine is then off): not required.
                marker: Any = probatio.Optional(field, default=default)
            elif field in defaults[key]:
                marker = probatio.Required(field, default=default)
            else:
                marker = probatio.Optional(field)
            inner[marker] = selector
        collapsed = not _routine_configured(key, values.get(key)) and key not in errors
        fields[probatio.Required(key)] = section(
            probatio.Schema(inner), {"collapsed": collapsed}
        )
    fields[probatio.Required(CONF_COOLDOWN, default=DEFAULT_COOLDOWN)] = (
        COOLDOWN_SELECTOR
    )
    return probatio.Schema(fields)


def routines_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the routine options to store from the form's input.

    A deep copy: a default's target list must not be shared with the options.
    """
    options: dict[str, Any] = copy.deepcopy(
        {key: dict(user_input[key]) for key in ROUTINE_DEFAULTS}
    )
    for key, minutes in ROUTINE_MINUTES.items():
        for field in minutes:
            options[key][field] = int(options[key][field])
    options[CONF_COOLDOWN] = int(user_input[CONF_COOLDOWN])
    return options


ROUTINE_SECTIONS = (
    CONF_ARRIVAL_LIGHTS,
    CONF_CLIMATE,
    CONF_DEPARTURE,
    CONF_GARAGE_DOOR,
    CONF_NOTIFICATIONS,
)
"""The options sections of a car's routines."""
SENSOR_KEYS = (CONF_ILLUMINANCE_SENSOR, CONF_INDOOR_SENSOR)
"""Entity options of the routine sections that are read, not acted on."""


def options_without(options: Mapping[str, Any], entity_id: str) -> dict[str, Any]:
    """Return a car's options with ``entity_id`` removed from every routine section."""
    updated = dict(options)
    for key in ROUTINE_SECTIONS:
        section = options.get(key)
        if not isinstance(section, Mapping):
            continue
        changed = dict(section)
        for key_list in (CONF_TARGETS, CONF_OBSTRUCTION_SENSORS):
            if isinstance(targets := section.get(key_list), list):
                changed[key_list] = [t for t in targets if t != entity_id]
        for sensor in SENSOR_KEYS:
            if section.get(sensor) == entity_id:
                del changed[sensor]
        updated[key] = changed
    return updated

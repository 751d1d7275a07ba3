"""Options flow of a car's routines: arrival lights, climate, departure, cooldown."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONDITION_ILLUMINANCE,
    CONF_ARRIVAL_LIGHTS,
    CONF_CLIMATE,
    CONF_CONDITION,
    CONF_COOLDOWN,
    CONF_DEPARTURE,
    CONF_GARAGE_DOOR,
    CONF_ILLUMINANCE_SENSOR,
    CONF_NOTIFICATIONS,
    CONF_REACH_KM,
    CONF_TARGETS,
    DEFAULT_COOLDOWN,
    DEFAULT_ECO_TEMPERATURE,
    DEFAULT_ILLUMINANCE_BELOW,
    DEFAULT_LEAD,
    DEFAULT_MAX_LEAD,
    DEFAULT_RATE,
    DEFAULT_TARGET_TEMPERATURE,
)
from custom_components.homecoming.routines.options import (
    ROUTINE_DEFAULTS,
    RoutineOptions,
)

SECTIONS = (
    CONF_ARRIVAL_LIGHTS,
    CONF_CLIMATE,
    CONF_DEPARTURE,
    CONF_GARAGE_DOOR,
    CONF_NOTIFICATIONS,
)

DOCUMENTED: dict[str, Any] = {
    "arrival_lights": {
        "targets": ["light.porch", "switch.driveway", "scene.welcome", "script.garage"],
        "when": "arriving",
        "condition": "illuminance",
        "illuminance_sensor": "sensor.outdoor_lux",
        "illuminance_below": 50.0,
    },
    "climate": {
        "targets": ["climate.living_room"],
        "target_temperature": 21.0,
        "hvac_mode": "heat",
        "timing": "preheat",
        "rate": 2.0,
        "learned_rate": False,
        "max_lead": 120,
        "indoor_sensor": "sensor.living_room_temperature",
        "lead": 30,
    },
    "departure": {
        "enabled": True,
        "mode": "eco",
        "eco_temperature": 17.0,
        "lights_off": False,
    },
    "garage_door": {
        "targets": ["cover.garage_door"],
        "open_on": "arriving",
        "close_if_cancelled": 5,
        "auto_close": True,
        "auto_close_distance": 300.0,
        "obstruction_sensors": ["binary_sensor.garage_door_obstruction"],
    },
    "notifications": {
        "targets": ["notify.family"],
        "mobile_app": ["mobile_app_anna_phone"],
        "events": ["approach_started", "garage_door", "climate"],
    },
    "cooldown": 15,
}
"""The example of docs/routines.md (with the illuminance condition), as stored."""

EXISTING_OPTIONS = {CONF_REACH_KM: 12.0}
"""A detection option saved before: the routines step must keep it."""


@pytest.fixture
def home_entities(hass: HomeAssistant) -> None:
    """Create the lights, thermostat and sensors the routines refer to."""
    for entity_id, state, attributes in (
        ("light.porch", "off", {}),
        ("switch.driveway", "off", {}),
        ("scene.welcome", "unknown", {}),
        ("script.garage", "off", {}),
        ("climate.living_room", "off", {"current_temperature": 17.5}),
        ("climate.bedroom", "heat", {"current_temperature": 19.0}),
        (
            "sensor.outdoor_lux",
            "120",
            {"device_class": "illuminance", "unit_of_measurement": "lx"},
        ),
        (
            "sensor.living_room_temperature",
            "17.5",
            {"device_class": "temperature", "unit_of_measurement": "°C"},
        ),
        ("cover.garage_door", "closed", {"device_class": "garage"}),
        ("binary_sensor.garage_door_obstruction", "off", {}),
        ("notify.family", "unknown", {}),
    ):
        hass.states.async_set(entity_id, state, attributes)
    # The Companion app's notify action of Anna's phone (registered by mobile_app).
    hass.services.async_register("notify", "mobile_app_anna_phone", lambda _: None)


def _schema(result: ConfigFlowResult) -> probatio.Schema:
    """Return a form's schema."""
    schema = result["data_schema"]
    assert schema is not None
    return schema


def _sections(result: ConfigFlowResult) -> dict[str, section]:
    """Return the sections of the routines form, by name."""
    return {
        str(marker): value
        for marker, value in _schema(result).schema.items()
        if isinstance(value, section)
    }


def _suggested(schema: probatio.Schema) -> dict[str, Any]:
    """Return the suggested values of a form's (or a section's) fields that have one.

    A section is shown as a dict of its own suggested values.
    """
    suggested: dict[str, Any] = {}
    for marker, value in schema.schema.items():
        if isinstance(value, section):
            suggested[str(marker)] = _suggested(value.schema)
        elif "suggested_value" in (marker.description or {}):
            suggested[str(marker)] = marker.description["suggested_value"]
    return suggested


async def _open_routines(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ConfigFlowResult:
    """Open the options menu and choose the routines."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "routines" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "routines"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "routines"
    assert result["errors"] == {}
    return result


def _documented_input() -> dict[str, Any]:
    """Return the form input that stores the documented example."""
    return {
        key: dict(value) if isinstance(value, dict) else value
        for key, value in DOCUMENTED.items()
    }


async def test_routines_for_every_car(
    hass: HomeAssistant, init_push: MockConfigEntry, entity_entry: MockConfigEntry
) -> None:
    """Offer the routines to a car that pushes and to one that follows an entity."""
    hass.states.async_set(
        "device_tracker.family_car", "home", {"latitude": 52.37, "longitude": 4.89}
    )
    entity_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entity_entry.entry_id)
    for entry in (init_push, entity_entry):
        await _open_routines(hass, entry)


async def test_defaults_shown(hass: HomeAssistant, init_push: MockConfigEntry) -> None:
    """Show the documented defaults, nothing suggested and every section closed."""
    result = await _open_routines(hass, init_push)
    assert _schema(result)({key: {} for key in SECTIONS}) == {
        CONF_ARRIVAL_LIGHTS: {
            "targets": [],
            "when": "arriving",
            "condition": "sun",
            "illuminance_below": DEFAULT_ILLUMINANCE_BELOW,
        },
        CONF_CLIMATE: {
            "targets": [],
            "target_temperature": DEFAULT_TARGET_TEMPERATURE,
            "hvac_mode": "heat",
            "timing": "preheat",
            "rate": DEFAULT_RATE,
            "learned_rate": False,
            "max_lead": DEFAULT_MAX_LEAD,
            "lead": DEFAULT_LEAD,
        },
        CONF_DEPARTURE: {
            "enabled": False,
            "mode": "eco",
            "eco_temperature": DEFAULT_ECO_TEMPERATURE,
            "lights_off": False,
        },
        CONF_GARAGE_DOOR: {
            "targets": [],
            "open_on": "arriving",
            "close_if_cancelled": 5,
            "auto_close": False,
            "auto_close_distance": 300.0,
        },
        CONF_NOTIFICATIONS: {
            "targets": [],
            "mobile_app": [],
            "events": ["approach_started", "garage_door"],
        },
        CONF_COOLDOWN: DEFAULT_COOLDOWN,
    }
    assert _suggested(_schema(result)) == {key: {} for key in SECTIONS}
    assert {key: value.options for key, value in _sections(result).items()} == {
        key: {"collapsed": True} for key in SECTIONS
    }
    assert ROUTINE_DEFAULTS[CONF_CLIMATE]["hvac_mode"] == "heat"


@pytest.mark.usefixtures("home_entities")
async def test_values_saved_and_car_reloaded(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Store the documented options next to the others, reload, then show them."""
    hass.config_entries.async_update_entry(init_push, options=EXISTING_OPTIONS)
    await hass.async_block_till_done()
    before = init_push.runtime_data
    result = await _open_routines(hass, init_push)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _documented_input()
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_push.options) == {**EXISTING_OPTIONS, **DOCUMENTED}
    climate = init_push.options[CONF_CLIMATE]
    assert isinstance(climate["max_lead"], int)
    assert isinstance(climate["lead"], int)
    assert isinstance(init_push.options[CONF_COOLDOWN], int)

    assert init_push.state is ConfigEntryState.LOADED
    assert init_push.runtime_data is not before  # reloaded

    # Opened again: the saved values are suggested, and the sections in use open.
    result = await _open_routines(hass, init_push)
    assert _suggested(_schema(result)) == DOCUMENTED
    assert {key: value.options for key, value in _sections(result).items()} == {
        key: {"collapsed": False} for key in SECTIONS
    }


@pytest.mark.usefixtures("home_entities")
async def test_illuminance_needs_a_sensor(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Refuse the illuminance condition without a sensor; keep the input; recover."""
    result = await _open_routines(hass, init_push)
    user_input = _documented_input()
    del user_input[CONF_ARRIVAL_LIGHTS][CONF_ILLUMINANCE_SENSOR]
    user_input[CONF_ARRIVAL_LIGHTS][CONF_TARGETS] = []
    user_input[CONF_DEPARTURE]["enabled"] = False
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "routines"
    assert result["errors"] == {CONF_ARRIVAL_LIGHTS: "illuminance_sensor_required"}
    # The section with the error opens (though it has no targets); what was entered
    # is suggested again.
    assert {key: value.options for key, value in _sections(result).items()} == {
        CONF_ARRIVAL_LIGHTS: {"collapsed": False},
        CONF_CLIMATE: {"collapsed": False},
        CONF_DEPARTURE: {"collapsed": True},
        CONF_GARAGE_DOOR: {"collapsed": False},
        CONF_NOTIFICATIONS: {"collapsed": False},
    }
    suggested = _suggested(_schema(result))
    assert suggested[CONF_ARRIVAL_LIGHTS][CONF_CONDITION] == CONDITION_ILLUMINANCE
    assert suggested[CONF_CLIMATE] == DOCUMENTED[CONF_CLIMATE]
    assert init_push.options == {}

    user_input[CONF_ARRIVAL_LIGHTS][CONF_ILLUMINANCE_SENSOR] = "sensor.outdoor_lux"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_push.options[CONF_ARRIVAL_LIGHTS] == {
        **DOCUMENTED[CONF_ARRIVAL_LIGHTS],
        CONF_TARGETS: [],
    }
    assert init_push.options[CONF_DEPARTURE]["enabled"] is False


@pytest.mark.usefixtures("home_entities")
async def test_untouched_form_stores_the_defaults(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Save the sections untouched: routines off, defaults stored, no sensors."""
    result = await _open_routines(hass, init_push)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {key: {} for key in SECTIONS}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_push.options) == {
        **ROUTINE_DEFAULTS,
        CONF_COOLDOWN: DEFAULT_COOLDOWN,
    }
    # The stored lists are the entry's own, not the defaults' (never shared).
    for key in (CONF_ARRIVAL_LIGHTS, CONF_CLIMATE):
        stored = init_push.options[key][CONF_TARGETS]
        assert stored is not ROUTINE_DEFAULTS[key][CONF_TARGETS]


@pytest.mark.usefixtures("home_entities")
async def test_sun_condition_and_fixed_timing(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Store the other choices: approach started, sun, cool, fixed, away preset."""
    result = await _open_routines(hass, init_push)
    user_input = {
        CONF_ARRIVAL_LIGHTS: {
            "targets": ["light.porch"],
            "when": "approach_started",
            "condition": "sun",
        },
        CONF_CLIMATE: {
            "targets": ["climate.living_room", "climate.bedroom"],
            "target_temperature": 24.5,
            "hvac_mode": "keep",
            "timing": "fixed",
            "lead": 45.0,
        },
        CONF_DEPARTURE: {"enabled": True, "mode": "away_preset", "lights_off": True},
        CONF_GARAGE_DOOR: {
            "targets": ["cover.garage_door"],
            "open_on": "arrived",
            "close_if_cancelled": 0.0,
        },
        CONF_NOTIFICATIONS: {"events": []},
        CONF_COOLDOWN: 0,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_push.options) == {
        CONF_ARRIVAL_LIGHTS: {
            "targets": ["light.porch"],
            "when": "approach_started",
            "condition": "sun",
            "illuminance_below": DEFAULT_ILLUMINANCE_BELOW,
        },
        CONF_CLIMATE: {
            "targets": ["climate.living_room", "climate.bedroom"],
            "target_temperature": 24.5,
            "hvac_mode": "keep",
            "timing": "fixed",
            "rate": DEFAULT_RATE,
            "learned_rate": False,
            "max_lead": DEFAULT_MAX_LEAD,
            "lead": 45,
        },
        CONF_DEPARTURE: {
            "enabled": True,
            "mode": "away_preset",
            "eco_temperature": DEFAULT_ECO_TEMPERATURE,
            "lights_off": True,
        },
        CONF_GARAGE_DOOR: {
            "targets": ["cover.garage_door"],
            "open_on": "arrived",
            "close_if_cancelled": 0,
            "auto_close": False,
            "auto_close_distance": 300.0,
        },
        CONF_NOTIFICATIONS: {"targets": [], "mobile_app": [], "events": []},
        CONF_COOLDOWN: 0,
    }


@pytest.mark.parametrize(
    ("section_key", "field", "value"),
    [
        (CONF_ARRIVAL_LIGHTS, "targets", ["sensor.outdoor_lux"]),
        (CONF_ARRIVAL_LIGHTS, "targets", "light.porch"),
        (CONF_ARRIVAL_LIGHTS, "when", "arrived"),
        (CONF_ARRIVAL_LIGHTS, "condition", "night"),
        (CONF_ARRIVAL_LIGHTS, "illuminance_sensor", "light.porch"),
        (CONF_ARRIVAL_LIGHTS, "illuminance_below", -1),
        (CONF_CLIMATE, "targets", ["light.porch"]),
        (CONF_CLIMATE, "target_temperature", 100),
        (CONF_CLIMATE, "target_temperature", 2),
        (CONF_CLIMATE, "hvac_mode", "dry"),
        (CONF_CLIMATE, "timing", "asap"),
        (CONF_CLIMATE, "rate", 0),
        (CONF_CLIMATE, "max_lead", 5),
        (CONF_CLIMATE, "max_lead", 600),
        (CONF_CLIMATE, "indoor_sensor", "climate.bedroom"),
        (CONF_CLIMATE, "lead", -5),
        (CONF_DEPARTURE, "mode", "off"),
        (CONF_DEPARTURE, "eco_temperature", 2),
        (CONF_GARAGE_DOOR, "targets", ["light.porch"]),
        (CONF_GARAGE_DOOR, "open_on", "approach_started"),
        (CONF_GARAGE_DOOR, "close_if_cancelled", 61),
        (CONF_GARAGE_DOOR, "auto_close_distance", 10),
        (CONF_NOTIFICATIONS, "targets", ["light.porch"]),
        (CONF_NOTIFICATIONS, "mobile_app", ["mobile_app_stolen_phone"]),
        (CONF_NOTIFICATIONS, "events", ["lunch"]),
        (None, CONF_COOLDOWN, -1),
        (None, CONF_COOLDOWN, 1000),
    ],
)
@pytest.mark.usefixtures("home_entities")
async def test_out_of_range_refused(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    section_key: str | None,
    field: str,
    value: Any,
) -> None:
    """Refuse wrong domains, unknown choices and values out of range; store nothing."""
    result = await _open_routines(hass, init_push)
    user_input: dict[str, Any] = {key: {} for key in SECTIONS}
    if section_key is None:
        user_input[field] = value
    else:
        user_input[section_key][field] = value
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert init_push.options == {}


def _field(result: ConfigFlowResult, section_key: str, field: str) -> Any:
    """Return the selector of one field of a routines section."""
    inner = _sections(result)[section_key].schema
    return next(value for marker, value in inner.schema.items() if marker == field)


@pytest.mark.usefixtures("home_entities")
async def test_companion_apps_offered_and_kept(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Offer the phones' notify actions by phone name; a chosen one gone stays offered.

    The name is the ``device_name`` of the phone's ``mobile_app`` config entry (whose
    action is ``mobile_app_<slugified name>``); an action without an entry is labelled
    with its own name.
    """
    hass.services.async_register("notify", "send_sms", lambda _: None)  # not a phone
    hass.services.async_register("notify", "mobile_app_barbel_s_iphone", lambda _: None)
    hass.services.async_register("notify", "mobile_app_pixel_8", lambda _: None)
    for data in (
        {"device_name": "Anna phone"},
        {"device_name": "Bärbel's iPhone"},
        {"device_name": "Tablet"},  # no push: no notify action, not offered
        {"device_name": 8},  # junk: no name
        {},
    ):
        MockConfigEntry(domain="mobile_app", data=data).add_to_hass(hass)
    result = await _open_routines(hass, init_push)
    phones = _field(result, CONF_NOTIFICATIONS, "mobile_app").config["options"]
    assert phones == [
        {"value": "mobile_app_anna_phone", "label": "Anna phone"},
        {"value": "mobile_app_barbel_s_iphone", "label": "Bärbel's iPhone"},
        {"value": "mobile_app_pixel_8", "label": "mobile_app_pixel_8"},
    ]

    hass.config_entries.async_update_entry(
        init_push,
        options={
            CONF_NOTIFICATIONS: {
                "mobile_app": ["mobile_app_old_phone", "mobile_app_anna_phone"]
            }
        },
    )
    await hass.async_block_till_done()
    result = await _open_routines(hass, init_push)
    phones = _field(result, CONF_NOTIFICATIONS, "mobile_app").config["options"]
    assert phones == [
        {"value": "mobile_app_anna_phone", "label": "Anna phone"},
        {"value": "mobile_app_barbel_s_iphone", "label": "Bärbel's iPhone"},
        {"value": "mobile_app_old_phone", "label": "mobile_app_old_phone"},
        {"value": "mobile_app_pixel_8", "label": "mobile_app_pixel_8"},
    ]
    assert _sections(result)[CONF_NOTIFICATIONS].options == {"collapsed": False}

    # The phones are chosen by action; the labels are only shown.
    user_input = _documented_input()
    user_input[CONF_NOTIFICATIONS] = {
        **user_input[CONF_NOTIFICATIONS],
        "mobile_app": ["mobile_app_barbel_s_iphone"],
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_push.options[CONF_NOTIFICATIONS]["mobile_app"] == [
        "mobile_app_barbel_s_iphone"
    ]


@pytest.mark.parametrize(
    ("units", "temperature", "rate", "defaults"),
    [
        ("metric", "°C", "°C/h", (21.0, 2.0, 17.0)),
        ("us_customary", "°F", "°F/h", (70.0, 3.6, 62.5)),
    ],
)
async def test_temperatures_in_the_unit_system(
    hass: HomeAssistant,
    init_push: MockConfigEntry,
    units: str,
    temperature: str,
    rate: str,
    defaults: tuple[float, float, float],
) -> None:
    """Show temperatures, rates and their defaults in Home Assistant's unit system."""
    await hass.config.async_update(unit_system=units)
    result = await _open_routines(hass, init_push)
    for (section_key, field, unit), default in zip(
        (
            (CONF_CLIMATE, "target_temperature", temperature),
            (CONF_CLIMATE, "rate", rate),
            (CONF_DEPARTURE, "eco_temperature", temperature),
        ),
        defaults,
        strict=True,
    ):
        assert _field(result, section_key, field).config["unit_of_measurement"] == unit
        assert _default(result, section_key, field) == default
    # What a car reads when nothing was saved: the same defaults, in that unit.
    options = RoutineOptions.from_options({}, temperature)
    assert (
        options.climate.target_temperature,
        options.climate.rate,
        options.departure.eco_temperature,
    ) == defaults


def _default(result: ConfigFlowResult, section_key: str, field: str) -> Any:
    """Return the default of one field of a routines section."""
    inner = _sections(result)[section_key].schema
    marker = next(marker for marker in inner.schema if marker == field)
    return marker.default()


async def test_lists_may_be_left_empty(
    hass: HomeAssistant, init_push: MockConfigEntry
) -> None:
    """Target lists are optional fields (no "required" mark); empty turns a part off."""
    result = await _open_routines(hass, init_push)
    for section_key, value in _sections(result).items():
        for marker in value.schema.schema:
            if isinstance(ROUTINE_DEFAULTS[section_key].get(str(marker)), list):
                assert isinstance(marker, probatio.Optional), (section_key, marker)
                assert not isinstance(marker, probatio.Required)

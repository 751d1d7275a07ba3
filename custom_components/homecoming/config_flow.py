"""Config flow of the Homecoming integration: one entry per car."""

from __future__ import annotations

from collections.abc import Mapping
import secrets
from typing import Any, override
import uuid

from homeassistant.components import webhook
from homeassistant.components.zone.const import DOMAIN as ZONE_DOMAIN
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations
import probatio

from .const import (
    CONDITION_ILLUMINANCE,
    CONF_ARRIVAL_LIGHTS,
    CONF_CLOUDHOOK,
    CONF_CONDITION,
    CONF_DRIVER_ID,
    CONF_HOME_ZONE,
    CONF_ILLUMINANCE_SENSOR,
    CONF_MAKE,
    CONF_MODEL,
    CONF_OWNTRACKS_KEY,
    CONF_PERSON,
    CONF_SCENE,
    CONF_SECRET,
    CONF_SOURCE,
    CONF_TEMPERATURE,
    CONF_TRACKED_ENTITY,
    CONF_VIN,
    DEFAULT_HOME_ZONE,
    DOMAIN,
    MINOR_VERSION,
    SOURCE_ENTITY,
    SOURCE_PUSH,
    SUBENTRY_DRIVER,
)
from .detection import (
    detection_errors,
    detection_form_options,
    detection_schema,
    detection_suggestions,
)
from .history import async_preview
from .incar import (
    follows_phone,
    in_car_errors,
    in_car_form_options,
    in_car_schema,
    in_car_suggestions,
)
from .routines.options import mobile_app_actions, routines_options, routines_schema
from .selectors import entities, temperature_box
from .sources.entity import can_follow
from .sources.webhook import async_delete_cloudhook, async_webhook_url

CONF_ROTATE = "rotate"
ATTR_DEVICE_TRACKERS = "device_trackers"
"""A person's trackers (an attribute of ``person.*``)."""
SECRET_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
SECRET_BYTES = 32
"""Random bytes of a suggested secret (43 URL-safe characters)."""
PUSH_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Optional(CONF_MAKE): TextSelector(),
        probatio.Optional(CONF_MODEL): TextSelector(),
        probatio.Optional(CONF_VIN): TextSelector(),
        probatio.Optional(CONF_SECRET): SECRET_SELECTOR,
    }
)
"""A push car: its name, what identifies it, and its shared secret."""


ZONE_SELECTOR = EntitySelector(EntitySelectorConfig(domain=ZONE_DOMAIN))
SOURCE_SELECTOR = EntitySelector(EntitySelectorConfig())


def driver_schema(hass: HomeAssistant, values: Mapping[str, Any]) -> probatio.Schema:
    """Return the driver form: a name, and what identifies and personalises them.

    The comfort temperature is in Home Assistant's unit system. The driver's phone's
    in-car signals are the **In the car** form's fields (:func:`~.incar.in_car_schema`,
    offering the Bluetooth devices seen, for the sensor in ``values`` if one is chosen).
    """
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            probatio.Optional(CONF_PERSON): entities("person"),
            probatio.Optional(CONF_DRIVER_ID): TextSelector(),
            **in_car_schema(hass, values).schema,
            probatio.Optional(CONF_TEMPERATURE): temperature_box(
                hass.config.units.temperature_unit
            ),
            probatio.Optional(CONF_SCENE): entities("scene"),
        }
    )


def car_unique_id(hass: HomeAssistant, entity_id: str) -> str:
    """Return the identity of the car an entity reports for.

    The entity's device when it has one (a car integration's car: all its trackers are the
    same car), else the entity's registry id (stable across renames), else its entity id.
    """
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None:
        return entity_id
    return entry.device_id or entry.id


def _entity_error(hass: HomeAssistant, entity_id: str) -> str | None:
    """Return why an entity cannot be a car's position source, if it cannot."""
    state = hass.states.get(entity_id)
    if state is None:
        return "entity_not_found"
    registered = er.async_get(hass).async_get(entity_id)
    if registered is not None and registered.platform == DOMAIN:
        return "own_entity"
    return None if can_follow(state) else "no_position"


def _owner(hass: HomeAssistant, entity_id: str) -> str | None:
    """Return the name of the person an entity is, or whose tracker it is, if any."""
    if entity_id.startswith("person.") and (state := hass.states.get(entity_id)):
        return state.name
    for person in hass.states.async_all("person"):
        trackers = person.attributes.get(ATTR_DEVICE_TRACKERS)
        if isinstance(trackers, (list, tuple)) and entity_id in trackers:
            return person.name
    return None


async def async_suggest_car_name(
    hass: HomeAssistant, entity_id: str, titles: list[str]
) -> str:
    """Suggest a name for a car that follows an entity: never the entity's own name.

    "Anna's car" when the entity is a person or the tracker of one (a phone), else
    "Car" (both in Home Assistant's language), numbered ("Car 2") while it is the name
    of another car (``titles``), of the entity or of its device: a car named after the
    phone it follows would be a second "Pixel 8" in the device lists.
    """
    names = await async_get_translations(hass, hass.config.language, "device", [DOMAIN])
    prefix = f"component.{DOMAIN}.device"
    if owner := _owner(hass, entity_id):
        template = names.get(f"{prefix}.owned_car.name") or "{person}'s car"
        base = template.replace("{person}", owner)
    else:
        base = names.get(f"{prefix}.car.name") or "Car"
    state = hass.states.get(entity_id)
    taken = {title.casefold() for title in titles}
    taken |= {state.name.casefold()} if state else set()
    registered = er.async_get(hass).async_get(entity_id)
    device_id = registered.device_id if registered else None
    if device_id and (device := dr.async_get(hass).async_get(device_id)):
        taken |= {
            name.casefold() for name in (device.name_by_user, device.name) if name
        }
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        name = f"{base} {number}"
    return name


class HomecomingConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a car: where its position comes from, then its home zone."""

    VERSION = 1
    MINOR_VERSION = MINOR_VERSION

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._data: dict[str, Any] = {}
        self._title = ""

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> HomecomingOptionsFlow:
        """Return the options flow."""
        return HomecomingOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the children a car can have: its drivers."""
        return {SUBENTRY_DRIVER: DriverSubentryFlow}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where the position comes from."""
        return self.async_show_menu(
            step_id="user", menu_options=[SOURCE_ENTITY, SOURCE_PUSH]
        )

    async def async_step_entity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Follow an existing entity."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = user_input[CONF_TRACKED_ENTITY]
            if error := _entity_error(self.hass, entity_id):
                errors[CONF_TRACKED_ENTITY] = error
            else:
                await self.async_set_unique_id(car_unique_id(self.hass, entity_id))
                self._abort_if_unique_id_configured()
                self._async_abort_entries_match({CONF_TRACKED_ENTITY: entity_id})
                self._title = await async_suggest_car_name(
                    self.hass,
                    entity_id,
                    [entry.title for entry in self._async_current_entries()],
                )
                self._data = {
                    CONF_SOURCE: SOURCE_ENTITY,
                    CONF_TRACKED_ENTITY: entity_id,
                }
                return await self.async_step_zone()
        return self.async_show_form(
            step_id="entity",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {probatio.Required(CONF_TRACKED_ENTITY): SOURCE_SELECTOR}
                ),
                user_input,
            ),
            errors=errors,
        )

    async def async_step_push(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Receive pushes: name the car; its webhook is created with it."""
        errors: dict[str, str] = {}
        if user_input is not None and not user_input[CONF_NAME].strip():
            errors[CONF_NAME] = "name_required"
        elif user_input is not None:
            vin = "".join(user_input.get(CONF_VIN, "").split()).upper()
            await self.async_set_unique_id(vin or uuid.uuid4().hex)
            self._abort_if_unique_id_configured()
            self._title = user_input[CONF_NAME].strip()
            self._data = {
                CONF_SOURCE: SOURCE_PUSH,
                CONF_MAKE: user_input.get(CONF_MAKE, "").strip(),
                CONF_MODEL: user_input.get(CONF_MODEL, "").strip(),
                CONF_VIN: vin,
                CONF_WEBHOOK_ID: webhook.async_generate_id(),
                CONF_SECRET: user_input.get(CONF_SECRET, "").strip(),
            }
            return await self.async_step_zone()
        # A new secret is suggested (pre-filled): without one, anyone holding the URL
        # can move the car and run its routines. Clearing it is the user's choice.
        return self.async_show_form(
            step_id="push",
            data_schema=self.add_suggested_values_to_schema(
                PUSH_SCHEMA,
                user_input
                if user_input is not None
                else {CONF_SECRET: secrets.token_urlsafe(SECRET_BYTES)},
            ),
            errors=errors,
        )

    async def async_step_zone(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the home zone (and name a car that follows an entity), then create it.

        A followed car's name is suggested (:func:`async_suggest_car_name`); any other
        can be typed, and an empty one takes the suggestion. What is typed counts for its
        own submission only: after an error an empty name is the suggestion again, never
        a name typed before (``self._title`` stays the suggestion).
        """
        errors: dict[str, str] = {}
        follows_entity = self._data[CONF_SOURCE] == SOURCE_ENTITY
        title = self._title
        if user_input is not None:
            zone = user_input[CONF_HOME_ZONE]
            if follows_entity:
                title = (user_input.get(CONF_NAME) or "").strip() or self._title
            if self.hass.states.get(zone) is None:
                errors[CONF_HOME_ZONE] = "zone_not_found"
            elif self._data[CONF_SOURCE] == SOURCE_PUSH:
                url, cloudhook = await async_webhook_url(
                    self.hass, self._data[CONF_WEBHOOK_ID]
                )
                return self.async_create_entry(
                    title=title,
                    data={
                        **self._data,
                        CONF_CLOUDHOOK: cloudhook,
                        CONF_HOME_ZONE: zone,
                    },
                    description=(
                        "webhook"
                        if self._data[CONF_SECRET]
                        else "webhook_without_secret"
                    ),
                    description_placeholders={"webhook_url": url},
                )
            else:
                return self.async_create_entry(
                    title=title,
                    data={**self._data, CONF_HOME_ZONE: zone},
                )
        fields: dict[Any, Any] = {}
        if follows_entity:
            fields[probatio.Optional(CONF_NAME)] = TextSelector()
        fields[probatio.Required(CONF_HOME_ZONE, default=DEFAULT_HOME_ZONE)] = (
            ZONE_SELECTOR
        )
        return self.async_show_form(
            step_id="zone",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields), {CONF_NAME: title}
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the followed entity (of the same car) or the home zone."""
        entry = self._get_reconfigure_entry()
        follows_entity = entry.data[CONF_SOURCE] == SOURCE_ENTITY
        errors: dict[str, str] = {}
        if user_input is not None:
            zone = user_input[CONF_HOME_ZONE]
            if self.hass.states.get(zone) is None:
                errors[CONF_HOME_ZONE] = "zone_not_found"
            changes = {CONF_HOME_ZONE: zone}
            if follows_entity:
                entity_id = user_input[CONF_TRACKED_ENTITY]
                if error := _entity_error(self.hass, entity_id):
                    errors[CONF_TRACKED_ENTITY] = error
                else:
                    await self.async_set_unique_id(car_unique_id(self.hass, entity_id))
                    self._abort_if_unique_id_mismatch()
                    changes[CONF_TRACKED_ENTITY] = entity_id
            if not errors:
                return self.async_update_reload_and_abort(entry, data_updates=changes)
        fields: dict[Any, Any] = {}
        if follows_entity:
            fields[probatio.Required(CONF_TRACKED_ENTITY)] = SOURCE_SELECTOR
        fields[probatio.Required(CONF_HOME_ZONE)] = ZONE_SELECTOR
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields), user_input or dict(entry.data)
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )


class HomecomingOptionsFlow(OptionsFlowWithReload):
    """A car's options: a menu that grows with the features."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the menu."""
        options = ["detection", "routines"]
        entry = self.config_entry
        if entry.data[CONF_SOURCE] == SOURCE_PUSH:
            options.append("webhook")
        elif follows_phone(self.hass, entry.data[CONF_TRACKED_ENTITY], entry.options):
            options.append("in_car")
        return self.async_show_menu(step_id="init", menu_options=options)

    async def async_step_in_car(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the signals that say the followed phone is in the car (incar.py)."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = in_car_errors(self.hass, user_input)
            if not errors:
                return self.async_create_entry(
                    data=in_car_form_options(options, user_input)
                )
        values = user_input or in_car_suggestions(options)
        return self.async_show_form(
            step_id="in_car",
            data_schema=self.add_suggested_values_to_schema(
                in_car_schema(self.hass, values), values
            ),
            errors=errors,
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the car's URL; change its secret, its OwnTracks key or its URL."""
        entry = self.config_entry
        data = dict(entry.data)
        if user_input is not None:
            data[CONF_SECRET] = user_input.get(CONF_SECRET, "").strip()
            data[CONF_OWNTRACKS_KEY] = user_input.get(CONF_OWNTRACKS_KEY, "").strip()
            if user_input.get(CONF_ROTATE):
                if data.get(CONF_CLOUDHOOK):
                    await async_delete_cloudhook(self.hass, data[CONF_WEBHOOK_ID])
                data[CONF_WEBHOOK_ID] = webhook.async_generate_id()
            url, data[CONF_CLOUDHOOK] = await async_webhook_url(
                self.hass, data[CONF_WEBHOOK_ID]
            )
            self.hass.config_entries.async_update_entry(entry, data=data)
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_abort(
                reason="webhook_updated", description_placeholders={"webhook_url": url}
            )
        url, _ = await async_webhook_url(self.hass, data[CONF_WEBHOOK_ID])
        return self.async_show_form(
            step_id="webhook",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Optional(CONF_SECRET): SECRET_SELECTOR,
                        probatio.Optional(CONF_OWNTRACKS_KEY): SECRET_SELECTOR,
                        probatio.Optional(
                            CONF_ROTATE, default=False
                        ): BooleanSelector(),
                    }
                ),
                {
                    CONF_SECRET: data.get(CONF_SECRET, ""),
                    CONF_OWNTRACKS_KEY: data.get(CONF_OWNTRACKS_KEY, ""),
                },
            ),
            description_placeholders={"webhook_url": url},
        )

    async def async_step_detection(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the detection settings, in kilometres, minutes and metres.

        A car that follows an entity may also take its ETA from a travel-time sensor,
        and sees what the values shown would have given on its last 14 days
        (:func:`~.history.async_preview`, read and replayed in the recorder's executor).
        """
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = detection_errors(self.hass, user_input)
            if not errors:
                return self.async_create_entry(
                    data=detection_form_options(options, user_input)
                )
        preview = await async_preview(
            self.hass,
            self.config_entry,
            options if user_input is None else {**options, **user_input},
        )
        # Saved values out of range (by hand, or an older version) show as the
        # defaults the car uses instead.
        return self.async_show_form(
            step_id="detection",
            data_schema=self.add_suggested_values_to_schema(
                detection_schema(
                    options,
                    travel_time=self.config_entry.data[CONF_SOURCE] == SOURCE_ENTITY,
                ),
                user_input or detection_suggestions(options),
            ),
            description_placeholders={"preview": preview},
            errors=errors,
        )

    async def async_step_routines(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit what the home does when the car comes home and when it leaves."""
        errors: dict[str, str] = {}
        if user_input is not None:
            lights = user_input[CONF_ARRIVAL_LIGHTS]
            if lights[CONF_CONDITION] == CONDITION_ILLUMINANCE and not lights.get(
                CONF_ILLUMINANCE_SENSOR
            ):
                errors[CONF_ARRIVAL_LIGHTS] = "illuminance_sensor_required"
            else:
                return self.async_create_entry(
                    data={**self.config_entry.options, **routines_options(user_input)}
                )
        values = user_input or dict(self.config_entry.options)
        return self.async_show_form(
            step_id="routines",
            data_schema=self.add_suggested_values_to_schema(
                routines_schema(
                    values,
                    errors,
                    self.hass.config.units.temperature_unit,
                    mobile_app_actions(self.hass),
                ),
                values,
            ),
            errors=errors,
        )


class DriverSubentryFlow(ConfigSubentryFlow):
    """Add or change a driver of a car."""

    def _driver(
        self, user_input: Mapping[str, Any], own_id: str | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Return a driver's data from the form, and what is wrong with it.

        Names (ignoring case) and driver ids must be unique among the car's
        drivers other than ``own_id`` (the one being changed).
        """
        name = user_input[CONF_NAME].strip()
        driver_id = user_input.get(CONF_DRIVER_ID, "").strip()
        data: dict[str, Any] = {CONF_NAME: name}
        if driver_id:
            data[CONF_DRIVER_ID] = driver_id
        data |= {
            key: user_input[key]
            for key in (CONF_PERSON, CONF_TEMPERATURE, CONF_SCENE)
            if key in user_input
        }
        others = [
            subentry.data
            for subentry_id, subentry in self._get_entry().subentries.items()
            if subentry.subentry_type == SUBENTRY_DRIVER and subentry_id != own_id
        ]
        # The phone's in-car signals: checked, and stored as a car's options are.
        errors: dict[str, str] = in_car_errors(self.hass, user_input)
        if not errors:
            data |= in_car_form_options({}, user_input)
        if not name:
            errors[CONF_NAME] = "name_required"
        elif any(
            str(other.get(CONF_NAME, "")).casefold() == name.casefold()
            for other in others
        ):
            errors[CONF_NAME] = "name_taken"
        if driver_id and any(
            other.get(CONF_DRIVER_ID) == driver_id for other in others
        ):
            errors[CONF_DRIVER_ID] = "driver_id_taken"
        return data, errors

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a driver."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._driver(user_input, None)
            if not errors:
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                driver_schema(self.hass, user_input or {}), user_input
            ),
            description_placeholders={"car": self._get_entry().title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a driver: its name, person, id, phone's signals or preferences."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._driver(user_input, subentry.subentry_id)
            if not errors:
                return self.async_update_and_abort(
                    entry, subentry, title=data[CONF_NAME], data=data
                )
        values = user_input or dict(subentry.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                driver_schema(self.hass, values), values
            ),
            description_placeholders={"name": subentry.title, "car": entry.title},
            errors=errors,
        )

"""Config flow of the Homecoming integration: one entry per car."""

from __future__ import annotations

from typing import Any, override
import uuid

from homeassistant.components import webhook
from homeassistant.components.zone.const import DOMAIN as ZONE_DOMAIN
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID, UnitOfLength, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .const import (
    CONF_ARRIVAL_RADIUS,
    CONF_CLOUDHOOK,
    CONF_HOME_ZONE,
    CONF_MAKE,
    CONF_MAX_ACCURACY,
    CONF_MODEL,
    CONF_REACH_KM,
    CONF_REACH_MINUTES,
    CONF_SECRET,
    CONF_SOURCE,
    CONF_STALE_TIMEOUT,
    CONF_STOP_TOLERANCE,
    CONF_TRACKED_ENTITY,
    CONF_VIN,
    DEFAULT_HOME_ZONE,
    DOMAIN,
    SOURCE_ENTITY,
    SOURCE_PUSH,
)
from .engine import Settings
from .sources.entity import can_follow
from .sources.webhook import async_delete_cloudhook, async_webhook_url

CONF_ROTATE = "rotate"
SECRET_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

_DEFAULTS = Settings()

DETECTION_DEFAULTS: dict[str, float] = {
    CONF_REACH_KM: (_DEFAULTS.reach_m or 0) / 1000,
    CONF_REACH_MINUTES: (_DEFAULTS.reach_eta_s or 0) / 60,
    CONF_ARRIVAL_RADIUS: _DEFAULTS.arrival_radius_m,
    CONF_STOP_TOLERANCE: _DEFAULTS.stop_tolerance_s / 60,
    CONF_STALE_TIMEOUT: _DEFAULTS.stale_timeout_s / 60,
    CONF_MAX_ACCURACY: _DEFAULTS.max_accuracy_m,
}
"""The detection options' defaults, in the units the user sees (from the engine's)."""


def _number(low: float, high: float, step: float, unit: str) -> NumberSelector:
    """Return a number box from ``low`` to ``high`` in ``unit``."""
    return NumberSelector(
        NumberSelectorConfig(
            min=low,
            max=high,
            step=step,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


DETECTION_SELECTORS: dict[str, NumberSelector] = {
    CONF_REACH_KM: _number(0, 500, 1, UnitOfLength.KILOMETERS),
    CONF_REACH_MINUTES: _number(0, 240, 1, UnitOfTime.MINUTES),
    CONF_ARRIVAL_RADIUS: _number(50, 5_000, 10, UnitOfLength.METERS),
    CONF_STOP_TOLERANCE: _number(1, 60, 1, UnitOfTime.MINUTES),
    CONF_STALE_TIMEOUT: _number(2, 240, 1, UnitOfTime.MINUTES),
    CONF_MAX_ACCURACY: _number(20, 2_000, 10, UnitOfLength.METERS),
}

ZONE_SELECTOR = EntitySelector(EntitySelectorConfig(domain=ZONE_DOMAIN))
SOURCE_SELECTOR = EntitySelector(EntitySelectorConfig())


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


class HomecomingConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a car: where its position comes from, then its home zone."""

    VERSION = 1

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
                state = self.hass.states.get(entity_id)
                self._title = (user_input.get(CONF_NAME) or "").strip() or (
                    state.name if state else entity_id
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
                    {
                        probatio.Required(CONF_TRACKED_ENTITY): SOURCE_SELECTOR,
                        probatio.Optional(CONF_NAME): TextSelector(),
                    }
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
        return self.async_show_form(
            step_id="push",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_NAME): TextSelector(),
                    probatio.Optional(CONF_MAKE): TextSelector(),
                    probatio.Optional(CONF_MODEL): TextSelector(),
                    probatio.Optional(CONF_VIN): TextSelector(),
                    probatio.Optional(CONF_SECRET): SECRET_SELECTOR,
                }
            ),
            errors=errors,
        )

    async def async_step_zone(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the home zone, then create the car."""
        errors: dict[str, str] = {}
        if user_input is not None:
            zone = user_input[CONF_HOME_ZONE]
            if self.hass.states.get(zone) is None:
                errors[CONF_HOME_ZONE] = "zone_not_found"
            elif self._data[CONF_SOURCE] == SOURCE_PUSH:
                url, cloudhook = await async_webhook_url(
                    self.hass, self._data[CONF_WEBHOOK_ID]
                )
                return self.async_create_entry(
                    title=self._title,
                    data={
                        **self._data,
                        CONF_CLOUDHOOK: cloudhook,
                        CONF_HOME_ZONE: zone,
                    },
                    description="webhook",
                    description_placeholders={"webhook_url": url},
                )
            else:
                return self.async_create_entry(
                    title=self._title,
                    data={**self._data, CONF_HOME_ZONE: zone},
                )
        return self.async_show_form(
            step_id="zone",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_HOME_ZONE, default=DEFAULT_HOME_ZONE
                    ): ZONE_SELECTOR
                }
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
        options = ["detection"]
        if self.config_entry.data[CONF_SOURCE] == SOURCE_PUSH:
            options.append("webhook")
        return self.async_show_menu(step_id="init", menu_options=options)

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the car's URL; change its shared secret or give it a new URL."""
        entry = self.config_entry
        data = dict(entry.data)
        if user_input is not None:
            data[CONF_SECRET] = user_input.get(CONF_SECRET, "").strip()
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
                        probatio.Optional(
                            CONF_ROTATE, default=False
                        ): BooleanSelector(),
                    }
                ),
                {CONF_SECRET: data.get(CONF_SECRET, "")},
            ),
            description_placeholders={"webhook_url": url},
        )

    async def async_step_detection(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the detection settings, in kilometres, minutes and metres."""
        if user_input is not None:
            return self.async_create_entry(
                data={**self.config_entry.options, **user_input}
            )
        current = {**DETECTION_DEFAULTS, **self.config_entry.options}
        return self.async_show_form(
            step_id="detection",
            data_schema=probatio.Schema(
                {
                    probatio.Required(key, default=current[key]): selector
                    for key, selector in DETECTION_SELECTORS.items()
                }
            ),
        )

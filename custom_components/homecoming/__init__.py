"""Homecoming: the car as a device of the home."""

from __future__ import annotations

from homeassistant.const import CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_CLOUDHOOK,
    CONF_SECRET,
    CONF_SILENCE_TIMEOUT,
    CONF_SOURCE,
    CONF_STALE_TIMEOUT_V1,
    CONF_TRACKED_ENTITY,
    DOMAIN,
    MINOR_VERSION,
    SOURCE_ENTITY,
)
from .coordinator import (
    TICKER,
    HomecomingCoordinator,
    Ticker,
    car_store,
    state_issue_id,
)
from .routines import RoutineRunner, routine_store
from .routines.runner import routine_issue_id
from .runtime import HomecomingConfigEntry, HomecomingRuntimeData
from .services import async_setup_services
from .sources.entity import EntitySource, source_issue_id
from .sources.webhook import WebhookSource, async_delete_cloudhook, replay_store

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions and start the cars' common clock."""
    hass.data[TICKER] = Ticker(hass)
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HomecomingConfigEntry) -> bool:
    """Set up a car: its coordinator, its routines and its position source."""
    coordinator = HomecomingCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    routines = RoutineRunner(hass, coordinator)
    await routines.async_load()
    source: EntitySource | WebhookSource
    if entry.data[CONF_SOURCE] == SOURCE_ENTITY:
        source = EntitySource(hass, coordinator, entry.data[CONF_TRACKED_ENTITY])
    else:
        source = WebhookSource(
            hass,
            coordinator,
            entry.data[CONF_WEBHOOK_ID],
            entry.data.get(CONF_SECRET, ""),
        )
    if isinstance(source, WebhookSource):
        await source.async_load()
        entry.async_on_unload(source.async_save)
    entry.runtime_data = HomecomingRuntimeData(coordinator, routines, source)
    entry.async_on_unload(routines.async_start())
    entry.async_on_unload(source.async_start())
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_migrate_entry(
    hass: HomeAssistant, entry: HomecomingConfigEntry
) -> bool:
    """Bring a car's entry up to date.

    1.1 → 1.2: the option ``stale_timeout`` is now ``silence_timeout`` (one name for
    one concept: how long a car may stay silent).
    """
    # Home Assistant calls this only for an older entry of a version it can set up
    # (a newer major version fails with a migration error before): 1.1 here.
    options = dict(entry.options)
    if CONF_STALE_TIMEOUT_V1 in options:
        options[CONF_SILENCE_TIMEOUT] = options.pop(CONF_STALE_TIMEOUT_V1)
    hass.config_entries.async_update_entry(
        entry, options=options, minor_version=MINOR_VERSION
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HomecomingConfigEntry) -> bool:
    """Unload a car."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HomecomingConfigEntry) -> None:
    """Forget a removed car's saved state, cloudhook and repair issues."""
    await car_store(hass, entry.entry_id).async_remove()
    await routine_store(hass, entry.entry_id).async_remove()
    await replay_store(hass, entry.entry_id).async_remove()
    if entry.data.get(CONF_CLOUDHOOK):
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    ir.async_delete_issue(hass, DOMAIN, source_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, state_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, routine_issue_id(entry.entry_id))

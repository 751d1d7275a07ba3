"""Form fields shared by the config, options and subentry flows."""

from __future__ import annotations

from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)


def number_box(low: float, high: float, step: float, unit: str) -> NumberSelector:
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


def drop_down(config: SelectSelectorConfig) -> SelectSelector:
    """Return a drop-down; its options are translated under ``selector.<key>``."""
    return SelectSelector(
        SelectSelectorConfig(**config, mode=SelectSelectorMode.DROPDOWN)
    )


def entities(
    domain: str | list[str],
    *,
    device_class: str | None = None,
    multiple: bool = False,
) -> EntitySelector:
    """Return an entity picker for ``domain`` (one, or several when ``multiple``)."""
    config = EntitySelectorConfig(domain=domain, multiple=multiple)
    if device_class is not None:
        config["device_class"] = device_class
    return EntitySelector(config)


TEMPERATURE_SELECTOR = number_box(5, 95, 0.5, "°")
"""A comfort or eco temperature, in Home Assistant's unit system (°C or °F): climate
actions take temperatures in that unit and convert them for each thermostat."""

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
    device_class: str | list[str] | None = None,
    multiple: bool = False,
) -> EntitySelector:
    """Return an entity picker for ``domain`` (one, or several when ``multiple``)."""
    config = EntitySelectorConfig(domain=domain, multiple=multiple)
    if device_class is not None:
        config["device_class"] = device_class
    return EntitySelector(config)


def temperature_box(unit: str) -> NumberSelector:
    """Return a comfort or eco temperature box in ``unit`` (``hass.config.units``).

    Climate actions take temperatures in Home Assistant's unit system (°C or °F) and
    convert them for each thermostat, so the box shows that unit; 5 to 95 covers
    both (5–35 °C, 41–95 °F).
    """
    return number_box(5, 95, 0.5, unit)


def rate_box(unit: str) -> NumberSelector:
    """Return a heating or cooling rate box in ``unit`` per hour (e.g. ``°C/h``)."""
    return number_box(0.1, 20, 0.1, f"{unit}/h")

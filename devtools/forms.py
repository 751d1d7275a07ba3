"""Filling the routines' options forms for the demo home.

The single place where the demo and the end-to-end tests set a car's routines (lights
on arrival, thermostat pre-heat, departure set-back): :func:`configure_routines` opens
each routine step of the car's options menu and fills its form, sections included, with
the demo home's entities and values (:func:`fill_form`). It never guesses its way past a
form it cannot fill: a missing step, a required field without a demo value, an error
from the form or a flow that does not finish raise :class:`~devtools.HarnessError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import contextlib
from typing import Any

from devtools import HarnessError
from devtools.client import Car, HassClient
from devtools.home import LIGHTS, THERMOSTAT

OPTIONS_FLOW = "/api/config/config_entries/options/flow"

ROUTINE_STEPS = (
    "routines",
    "arrival_lights",
    "lights",
    "climate",
    "preheat",
    "departure",
)
"""Options-menu steps that configure routines (issue 5), in the order they are set."""

ROUTINE_NUMBERS = (
    (("setback", "away", "eco", "night"), 17.0),
    (("comfort", "target", "temperature"), 21.0),
)
"""Temperature fields by words in their name, for the demo thermostat."""

CONDITION_WORDS = ("sun", "dark", "night", "illuminance", "only")
"""Booleans that restrict a routine to some conditions: off, so the demo runs any time."""


def _selector_domains(selector: Mapping[str, Any]) -> set[str]:
    entity = selector.get("entity") or {}
    domains: set[str] = set()
    for flt in entity.get("filter") or []:
        domain = flt.get("domain")
        domains.update([domain] if isinstance(domain, str) else domain or [])
    domain = entity.get("domain")
    domains.update([domain] if isinstance(domain, str) else domain or [])
    return domains


def _entity_value(name: str, selector: Mapping[str, Any]) -> tuple[bool, Any]:
    domains = _selector_domains(selector)
    multiple = bool(selector["entity"].get("multiple"))
    for domain, values in (
        ("light", list(LIGHTS)),
        ("climate", [THERMOSTAT]),
        ("person", ["person.anna"]),
    ):
        if domain in domains or (not domains and domain in name):
            return True, values if multiple else values[0]
    return False, None


def routine_value(item: Mapping[str, Any]) -> tuple[bool, Any]:
    """Guess the demo home's value for one field of a routine form: (known, value).

    An entity picker for a domain the routines of the demo drive do not use (the garage
    door's covers, notify entities) keeps its default: an empty list, the routine off.
    """
    name = str(item["name"]).lower()
    selector = item.get("selector") or {}
    if item.get("type") == "expandable":
        data, unknown = fill_form(item.get("schema") or [])
        return not unknown, data
    if "entity" in selector:
        known, value = _entity_value(name, selector)
        if known:
            return True, value
    elif "boolean" in selector:
        # Conditions such as "only after sunset" would make the demo depend on the time
        # of day: the demo home runs its routines at any hour; everything else is on.
        return True, not any(word in name for word in CONDITION_WORDS)
    if "select" in selector:
        options = [
            o["value"] if isinstance(o, Mapping) else o
            for o in selector["select"].get("options") or []
        ]
        if "always" in options:
            return True, "always"
    if "number" in selector:
        for words, value in ROUTINE_NUMBERS:
            if any(word in name for word in words):
                return True, value
    if "default" in item:
        return True, item["default"]
    return False, None


def fill_form(schema: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Fill a form (sections included) for the demo home; also return unknown fields."""
    data: dict[str, Any] = {}
    unknown: list[str] = []
    for item in schema:
        known, value = routine_value(item)
        if known:
            data[item["name"]] = value
        elif item.get("required"):
            unknown.append(str(item["name"]))
    return data, unknown


async def configure_routines(client: HassClient, car: Car) -> list[str]:
    """Set the car's routines through its options flow; return the steps set.

    Reads the options menu; each routine step it offers (:data:`ROUTINE_STEPS`) is opened
    in an options flow of its own and its forms are filled from the demo home
    (:func:`fill_form`) until the flow saves the options. Then the car's "Routines"
    switch, if it has one, is turned on. Raises :class:`~devtools.HarnessError` when the
    menu offers no routine step or a step cannot be completed.
    """
    flow_id, menu = await client.options_menu(car.entry_id)
    offered = [str(option) for option in menu.get("menu_options") or []]
    await client.abort_options(flow_id)
    steps = [step for step in ROUTINE_STEPS if step in offered]
    if menu.get("type") != "menu" or not steps:
        msg = (
            "the options menu offers no routines step "
            f"(menu: {', '.join(offered) or 'none'})"
        )
        raise HarnessError(msg)
    for step in steps:
        flow_id, _ = await client.options_menu(car.entry_id)
        try:
            await _complete_step(client, flow_id, step)
        except HarnessError:
            with contextlib.suppress(HarnessError):
                await client.abort_options(flow_id)
            raise
    for key, entity_id in car.entities.items():
        if entity_id.startswith("switch.") and "routine" in key:
            await client.call("switch", "turn_on", entity_id=entity_id)
    return steps


async def _complete_step(client: HassClient, flow_id: str, step: str) -> None:
    """Open ``step`` in the options flow ``flow_id`` and fill its forms until saved."""
    result = await client.flow_step(OPTIONS_FLOW, flow_id, {"next_step_id": step})
    for _ in range(6):
        if result.get("type") == "menu":
            nested = [s for s in ROUTINE_STEPS if s in result["menu_options"]]
            if not nested:
                msg = f"{step}: a menu without a routine step: {result['menu_options']}"
                raise HarnessError(msg)
            result = await client.flow_step(
                OPTIONS_FLOW, flow_id, {"next_step_id": nested[0]}
            )
            continue
        if result.get("type") != "form":
            break
        data, unknown = fill_form(result.get("data_schema") or [])
        if unknown:
            msg = (
                f"{result['step_id']}: no demo value for the required fields {unknown}"
            )
            raise HarnessError(msg)
        result = await client.flow_step(OPTIONS_FLOW, flow_id, data)
        if result.get("errors"):
            msg = f"{result['step_id']}: the form answered {result['errors']} to {data}"
            raise HarnessError(msg)
    if result.get("type") != "create_entry":
        msg = f"{step}: the options flow did not save the routines: {result}"
        raise HarnessError(msg)

"""A pytest plugin: every string Homecoming shows while a test runs is in en.json.

Core's ``check_translations`` fixture is not shipped to custom integrations; this is
Homecoming's. It fails a test that made the integration show a string
``translations/en.json`` lacks, or one with a placeholder the code does not pass: the
results of its config, options, subentry and repair flows (form titles, descriptions,
field labels and descriptions, sections, drop-down options, errors, menu options,
aborts, entry notes), the repair issues it creates and the exceptions it constructs
with ``translation_domain="homecoming"``.

On for every test with ``pytest_plugins = ["tests.translation_check"]`` in
tests/conftest.py. A test that means to show a missing string asks for the
``check_translations`` fixture (the problems found) and empties it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from functools import cache
import json
from pathlib import Path
import string
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigFlow, ConfigSubentryFlow, OptionsFlow
from homeassistant.data_entry_flow import (
    FlowHandler,
    FlowManager,
    FlowResultType,
    section,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import SelectSelector
from homeassistant.helpers.translation import recursive_flatten
import pytest

from custom_components.homecoming.const import DOMAIN

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations"


@cache
def strings(language: str = "en") -> dict[str, Any]:
    """Return a language's strings by dotted key."""
    path = TRANSLATIONS / f"{language}.json"
    return recursive_flatten("", json.loads(path.read_text(encoding="utf-8")))


def placeholders(text: str) -> set[str]:
    """Return the ``{placeholder}`` names of a string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def lookup(
    key: str, given: Mapping[str, Any] | None, *, required: bool = True
) -> list[str]:
    """Return what is wrong with looking up ``key`` given these placeholders."""
    text = strings().get(key)
    if text is None:
        return [f"missing {key}"] if required else []
    if unknown := placeholders(text) - set(given or {}):
        return [f"{key}: no value for {sorted(unknown)}"]
    return []


def flow_prefix(flow: FlowHandler[Any, Any, Any]) -> str | None:
    """Return where the strings of one of the integration's flows live."""
    if not type(flow).__module__.startswith(f"custom_components.{DOMAIN}."):
        return None
    if isinstance(flow, ConfigSubentryFlow):
        return f"config_subentries.{flow.handler[1]}"
    if isinstance(flow, OptionsFlow):
        return "options"
    if isinstance(flow, ConfigFlow):
        return "config"
    if isinstance(flow, RepairsFlow):
        issue = ir.async_get(flow.hass).async_get_issue(DOMAIN, flow.issue_id)
        return None if issue is None else f"issues.{issue.translation_key}.fix_flow"
    return None


def field_keys(where: str, schema: Any) -> Iterator[str]:
    """Yield the keys a form's fields need: label, description, drop-down options."""
    for marker, value in schema.schema.items():
        name = str(getattr(marker, "schema", marker))
        if isinstance(value, section):
            yield f"{where}.sections.{name}.name"
            yield from field_keys(f"{where}.sections.{name}", value.schema)
            continue
        yield f"{where}.data.{name}"
        yield f"{where}.data_description.{name}"
        if isinstance(value, SelectSelector) and (
            key := value.config.get("translation_key")
        ):
            for option in value.config["options"]:
                value_of = option if isinstance(option, str) else option["value"]
                yield f"selector.{key}.options.{value_of}"


def flow_problems(flow: FlowHandler[Any, Any, Any], result: Any) -> list[str]:
    """Return the strings a flow result shows that en.json lacks."""
    if (prefix := flow_prefix(flow)) is None:
        return []
    given = result.get("description_placeholders")
    step = f"{prefix}.step.{result.get('step_id')}"
    problems: list[str] = []
    match result["type"]:
        case FlowResultType.FORM:
            for header in ("title", "description"):
                problems += lookup(f"{step}.{header}", given, required=False)
            if (schema := result.get("data_schema")) is not None:
                for key in field_keys(step, schema):
                    problems += lookup(key, given)
            for error in (result.get("errors") or {}).values():
                problems += lookup(f"{prefix}.error.{error}", given)
        case FlowResultType.MENU:
            problems += lookup(f"{step}.title", given, required=False)
            if isinstance(options := result["menu_options"], list):
                for option in options:
                    problems += lookup(f"{step}.menu_options.{option}", given)
        case FlowResultType.ABORT:
            problems += lookup(f"{prefix}.abort.{result['reason']}", given)
        case FlowResultType.CREATE_ENTRY if result.get("description"):
            problems += lookup(f"{prefix}.create_entry.{result['description']}", given)
    return problems


def issue_problems(issue: ir.IssueEntry) -> list[str]:
    """Return the strings a repair issue of the integration needs that en.json lacks."""
    if issue.domain != DOMAIN or issue.translation_key is None:
        return []
    key, given = f"issues.{issue.translation_key}", issue.translation_placeholders
    return lookup(f"{key}.title", given) + (
        [] if issue.is_fixable else lookup(f"{key}.description", given)
    )


@pytest.fixture(autouse=True)
def check_translations() -> Generator[list[str]]:
    """Fail the test if it made the integration show a string en.json lacks."""
    problems: list[str] = []
    handle_step = FlowManager._async_handle_step
    get_or_create = ir.IssueRegistry.async_get_or_create
    error_init = HomeAssistantError.__init__

    async def _handle_step(
        self: FlowManager[Any, Any, Any], flow: Any, *args: Any
    ) -> Any:
        result = await handle_step(self, flow, *args)
        problems.extend(flow_problems(flow, result))
        return result

    def _get_or_create(self: ir.IssueRegistry, *args: Any, **kwargs: Any) -> Any:
        issue = get_or_create(self, *args, **kwargs)
        problems.extend(issue_problems(issue))
        return issue

    def _error_init(
        self: HomeAssistantError,
        *args: object,
        translation_domain: str | None = None,
        translation_key: str | None = None,
        translation_placeholders: dict[str, str] | None = None,
    ) -> None:
        error_init(
            self,
            *args,
            translation_domain=translation_domain,
            translation_key=translation_key,
            translation_placeholders=translation_placeholders,
        )
        if translation_domain == DOMAIN and translation_key:
            key = f"exceptions.{translation_key}.message"
            problems.extend(lookup(key, translation_placeholders))

    with (
        patch.object(FlowManager, "_async_handle_step", _handle_step),
        patch.object(ir.IssueRegistry, "async_get_or_create", _get_or_create),
        patch.object(HomeAssistantError, "__init__", _error_init),
    ):
        yield problems
    if problems:
        pytest.fail("Untranslated:\n" + "\n".join(sorted(set(problems))))

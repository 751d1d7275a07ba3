"""Translations: what the code names is in en.json, and every language has its keys.

Core's translation checks are not shipped to custom integrations, so Homecoming has two:

* at runtime, ``tests/translation_check.py`` (a pytest plugin, on for every test): each
  flow result, repair issue and translated exception a test produces must resolve in
  en.json with the placeholders it is given, keys the code computes included;
* here, statically, so that a key is checked even if no test produces it: the entity
  names, states and event types of the platforms' descriptions, the device trigger
  types, the actions and their fields (services.yaml), every ``translation_key=`` the
  code spells out (exceptions, repair issues, drop-downs) and the steps, errors, aborts
  and menu options the flows spell out. Strings of entities, exceptions, issues,
  drop-downs, actions and triggers that nothing names are reported too.

And every language has exactly en.json's keys, with the same placeholders.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import importlib
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, OptionsFlow
from homeassistant.const import Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import DOMAIN
from tests import translation_check
from tests.translation_check import placeholders, strings

INTEGRATION = Path(__file__).parents[1] / "custom_components" / DOMAIN
PACKAGE = f"custom_components.{DOMAIN}"
LANGUAGES = ["de", "es", "fr", "it", "nl"]
"""The languages shipped next to English."""
NAMED_BY_CODE = ("entity.", "exceptions.", "issues.", "selector.")
"""Categories the code names (an entity, exception, issue or drop-down): stale if not."""
NAMED_EXACTLY = ("device_automation.", "services.")
"""Categories named key by key (triggers, actions and their fields)."""

check_translations = translation_check.check_translations
"""The runtime check, on in this module even without tests/conftest.py."""


def _import(path: Path) -> ModuleType:
    """Import a module of the integration from its file."""
    parts = path.relative_to(INTEGRATION).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return importlib.import_module(".".join((PACKAGE, *parts)))


def _strings(node: ast.expr | None, module: ModuleType) -> set[str]:
    """Return the strings an expression spells out (literals and module constants).

    A value computed at runtime gives none: the runtime check covers it.
    """
    match node:
        case ast.Constant(value=str() as value):
            return {value}
        case ast.Name(id=name) if isinstance(getattr(module, name, None), str):
            return {getattr(module, name)}
        case ast.Name(id=name) if isinstance(getattr(module, name, None), tuple):
            return {v for v in getattr(module, name) if isinstance(v, str)}
        case ast.Call(func=ast.Name(id="list"), args=[argument]):
            return _strings(argument, module)
        case ast.IfExp(body=body, orelse=orelse):
            return _strings(body, module) | _strings(orelse, module)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return set().union(*(_strings(elt, module) for elt in elts))
    return set()


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _call_name(call: ast.Call) -> str:
    func = call.func
    return getattr(func, "attr", getattr(func, "id", ""))


def _entity_keys() -> Iterator[str]:
    """Yield the keys of the platforms' entity descriptions: names, states, events."""
    for platform in Platform:
        if not (path := INTEGRATION / f"{platform}.py").exists():
            continue
        found = vars(_import(path)).values()
        candidates = [*found, *(i for v in found if isinstance(v, tuple) for i in v)]
        for description in candidates:
            if not any(
                c.__name__ == "EntityDescription" for c in type(description).__mro__
            ):
                continue
            if (key := description.translation_key) is None:
                continue
            base = f"entity.{platform}.{key}"
            yield f"{base}.name"
            if getattr(description, "device_class", None) == SensorDeviceClass.ENUM:
                yield from (f"{base}.state.{option}" for option in description.options)
            for kind in getattr(description, "event_types", None) or ():
                yield f"{base}.state_attributes.event_type.state.{kind}"
            for name, values in getattr(description, "attribute_options", {}).items():
                yield f"{base}.state_attributes.{name}.name"
                yield from (f"{base}.state_attributes.{name}.state.{v}" for v in values)


def _flow_keys() -> Iterator[str]:
    """Yield the steps, menu options, errors, aborts and notes the flows spell out."""
    module = _import(INTEGRATION / "config_flow.py")
    tree = ast.parse(inspect.getsource(module))
    kinds = module.HomecomingConfigFlow.async_get_supported_subentry_types(
        MockConfigEntry(domain=DOMAIN)
    )
    prefixes = {flow: f"config_subentries.{kind}" for kind, flow in kinds.items()}
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        flow = getattr(module, cls.name)
        prefix = prefixes.get(flow)  # an unsupported subentry flow is never shown
        if issubclass(flow, (ConfigFlow, OptionsFlow)):
            prefix = "config" if issubclass(flow, ConfigFlow) else "options"
        if prefix is None:
            continue
        for node in ast.walk(cls):
            if isinstance(node, ast.Assign) and "errors" in ast.unparse(
                node.targets[0]
            ):
                yield from (f"{prefix}.error.{e}" for e in _strings(node.value, module))
            if not isinstance(node, ast.Call):
                continue
            for step in _strings(_keyword(node, "step_id"), module):
                yield f"{prefix}.step.{step}"
                for option in _strings(_keyword(node, "menu_options"), module):
                    yield f"{prefix}.step.{step}.menu_options.{option}"
            if _call_name(node) == "async_abort":
                for reason in _strings(_keyword(node, "reason"), module):
                    yield f"{prefix}.abort.{reason}"
            for note in _strings(_keyword(node, "description"), module):
                yield f"{prefix}.create_entry.{note}"


def _code_keys() -> Iterator[str]:
    """Yield the exception, issue and drop-down keys the code spells out."""
    for path in sorted(INTEGRATION.rglob("*.py")):
        module = _import(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            for key in _strings(_keyword(node, "translation_key"), module):
                if name == "async_create_issue":
                    yield f"issues.{key}.title"
                elif name.endswith("SelectorConfig"):
                    for option in _strings(_keyword(node, "options"), module):
                        yield f"selector.{key}.options.{option}"
                elif _keyword(node, "translation_domain") is not None:
                    yield f"exceptions.{key}.message"


def _other_keys() -> Iterator[str]:
    """Yield the keys of the device triggers and the actions (services.yaml)."""
    triggers = _import(INTEGRATION / "device_trigger.py").TRIGGER_TYPES
    yield from (f"device_automation.trigger_type.{kind}" for kind in triggers)
    for service, spec in load_yaml_dict(str(INTEGRATION / "services.yaml")).items():
        yield from (f"services.{service}.name", f"services.{service}.description")
        for field, field_spec in (spec.get("fields") or {}).items():
            yield from (
                f"services.{service}.fields.{field}.{p}"
                for p in ("name", "description")
            )
            select = (field_spec.get("selector") or {}).get("select") or {}
            if key := select.get("translation_key"):
                yield from (f"selector.{key}.options.{o}" for o in select["options"])


def code_problems(english: dict[str, Any]) -> list[str]:
    """Return the keys the code names that ``english`` lacks, and those nothing names."""
    needed = {*_entity_keys(), *_flow_keys(), *_code_keys(), *_other_keys()}
    named = {".".join(key.split(".")[:depth]) for key in needed for depth in (2, 3)}
    nodes = {".".join(key.split(".")[:depth]) for key in english for depth in range(9)}
    problems = [f"missing {key}" for key in sorted(needed - english.keys() - nodes)]
    for key in sorted(english.keys() - needed):
        entity = key.startswith("entity.")
        prefix = ".".join(key.split(".")[: 3 if entity else 2])
        if (
            key.startswith(NAMED_EXACTLY)
            or (entity and ".state." in key)
            or (key.startswith(NAMED_BY_CODE) and prefix not in named)
        ):
            problems.append(f"nothing names {key}")
    return problems


def test_the_code_names_only_keys_of_english() -> None:
    """Every key the code names is in en.json, and en.json has no stale strings."""
    assert code_problems(strings()) == []
    # Core's [%key:...%] references are resolved by its build, never for a custom one.
    assert [key for key, text in strings().items() if "[%key:" in text] == []


def test_the_languages_shipped() -> None:
    """English, German, Spanish, French, Italian and Dutch; nothing else."""
    shipped = sorted(
        path.stem for path in (INTEGRATION / "translations").glob("*.json")
    )
    assert shipped == sorted(["en", *LANGUAGES])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_has_the_keys_and_placeholders_of_english(language: str) -> None:
    """Same keys as en.json; each string non-empty, with the placeholders of English."""
    english, other = strings(), strings(language)
    assert sorted(english.keys() - other.keys()) == [], "missing"
    assert sorted(other.keys() - english.keys()) == [], "not in en.json"
    assert [key for key, text in other.items() if not str(text).strip()] == []
    assert {
        key: sorted(placeholders(text))
        for key, text in other.items()
        if placeholders(text) != placeholders(english[key])
    } == {}


def test_a_missing_key_is_reported(check_translations: list[str]) -> None:
    """Both checks report a key en.json lacks (and a placeholder the code does not pass)."""
    english = dict(strings())
    del english["exceptions.car_not_found.message"]
    del english["config.error.zone_not_found"]
    assert set(code_problems(english)) - set(code_problems(strings())) == {
        "missing config.error.zone_not_found",
        "missing exceptions.car_not_found.message",
    }

    HomeAssistantError(translation_domain=DOMAIN, translation_key="no_such_key")
    HomeAssistantError(translation_domain=DOMAIN, translation_key="car_not_found")
    assert check_translations == [
        "missing exceptions.no_such_key.message",
        "exceptions.car_not_found.message: no value for ['car']",
    ]
    check_translations.clear()

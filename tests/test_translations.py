"""Check that translations and icons cover everything the integration uses.

Core's ``check_translations`` fixture is not shipped to custom integrations, so this
module does the same job for Homecoming:

* ``translations/en.json`` (the source of truth) has every key the code uses: entity
  names and states, config and options flow steps, menu options, fields, errors and
  aborts, exceptions, repair issues, device triggers and actions;
* every other language has exactly the keys of en.json, with the same placeholders,
  and Home Assistant loads each of its strings unchanged;
* ``icons.json`` only refers to existing translation keys, states and actions.

The checks are functions that return a list of problems, so the self-tests at the
end can show on altered copies (in memory) that a real gap makes them fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
import copy
from functools import partial
import importlib
import inspect
import json
from pathlib import Path
import re
import string
from types import ModuleType
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import SOURCE_USER, ConfigFlow, ConfigSubentryData
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming import event
from custom_components.homecoming.config_flow import HomecomingConfigFlow
from custom_components.homecoming.const import (
    CONF_HOME_ZONE,
    CONF_SOURCE,
    CONF_TRACKED_ENTITY,
    DOMAIN,
    SOURCE_ENTITY,
    SOURCE_PUSH,
    SUBENTRY_DRIVER,
)

INTEGRATION = Path(__file__).parent.parent / "custom_components" / DOMAIN
PACKAGE = f"custom_components.{DOMAIN}"
TRANSLATIONS = INTEGRATION / "translations"
REQUIRED_LANGUAGES = {"de", "es", "fr", "it", "nl"}
LANGUAGES = sorted(
    path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != "en"
)

MDI_ICON = re.compile(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")
ICON_ENTRY_KEYS = {"default", "state", "state_attributes", "range"}
BINARY_STATES = {"on", "off"}

# ---------------------------------------------------------------------- helpers


def _load_json(path: Path) -> dict[str, Any]:
    """Return the JSON object in a file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _english() -> dict[str, Any]:
    """Return en.json, the source of truth."""
    return _load_json(TRANSLATIONS / "en.json")


def _icons() -> dict[str, Any]:
    """Return icons.json."""
    return _load_json(INTEGRATION / "icons.json")


def _services() -> dict[str, Any]:
    """Return services.yaml."""
    return dict(load_yaml_dict(str(INTEGRATION / "services.yaml")))


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return a nested mapping as dotted keys, as Home Assistant flattens it."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _placeholders(text: str) -> set[str]:
    """Return the ``{placeholder}`` names in a translated string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _node(tree: Mapping[str, Any], dotted: str) -> Any:
    """Return the value at a dotted key, or None when any part is missing."""
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _strings_under(tree: Mapping[str, Any], dotted: str) -> Iterator[str]:
    """Yield every string below a dotted key."""
    node = _node(tree, dotted)
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        yield from (v for v in _flatten(node).values() if isinstance(v, str))


def _module(relative: Path) -> ModuleType:
    """Import a module of the integration from its path inside the package."""
    parts = relative.with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return importlib.import_module(".".join((PACKAGE, *parts)))


def _sources() -> Iterator[tuple[Path, ast.Module, ModuleType]]:
    """Yield each Python file of the integration with its syntax tree and module."""
    for path in sorted(INTEGRATION.rglob("*.py")):
        relative = path.relative_to(INTEGRATION)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        yield relative, tree, _module(relative)


def _platform_modules() -> Iterator[tuple[str, ModuleType]]:
    """Yield the entity platform modules the integration has."""
    for platform in Platform:
        if (INTEGRATION / f"{platform.value}.py").exists():
            yield platform.value, _module(Path(f"{platform.value}.py"))


def _is_description(value: object) -> bool:
    """Tell whether a value is an entity description.

    Not with isinstance: Home Assistant's frozen-or-thawed dataclasses make a
    description that is not a subclass instance of ``EntityDescription`` itself.
    """
    return any(
        cls.__name__ == EntityDescription.__name__ for cls in type(value).__mro__
    )


def _descriptions(module: ModuleType) -> Iterator[Any]:
    """Yield the entity descriptions a platform module defines at module level."""
    for value in vars(module).values():
        if _is_description(value):
            yield value
        elif isinstance(value, (tuple, list, frozenset, set)):
            yield from (item for item in value if _is_description(item))


def _call_name(call: ast.Call) -> str:
    """Return the name of the function a call calls (its last attribute)."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    """Return the value of a keyword argument of a call, if given."""
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


class _Resolver:
    """Find the string values an expression can take, within one module."""

    def __init__(self, tree: ast.Module, module: ModuleType) -> None:
        """Index the module's functions and constants."""
        self.module = module
        self.functions = {
            node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)
        }
        self.parents: dict[ast.AST, ast.AST] = {
            child: parent
            for parent in ast.walk(tree)
            for child in ast.iter_child_nodes(parent)
        }

    def scope(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """Return the function a node is in."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def strings(
        self, expr: ast.expr, seen: frozenset[str] = frozenset()
    ) -> set[str] | None:
        """Return the strings an expression evaluates to; None if it cannot tell."""
        match expr:
            case ast.Constant(value=str() as value):
                return {value}
            case ast.Constant(value=None):
                return set()
            case ast.IfExp(body=body, orelse=orelse):
                return self._union([body, orelse], seen)
            case ast.BoolOp(values=values):
                return self._union(values, seen)
            case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
                return self._union(elts, seen)
            case ast.Name(id=name):
                return self._name(expr, name, seen)
            case ast.Attribute(attr=attr):
                value = getattr(self.module, attr, None)
                return {value} if isinstance(value, str) else None
            case ast.Call(func=ast.Name(id=name)) if name in self.functions:
                if name in seen:
                    return set()
                returns = [
                    node.value
                    for node in ast.walk(self.functions[name])
                    if isinstance(node, ast.Return) and node.value is not None
                ]
                return self._union(returns, seen | {name})
        return None

    def _union(self, exprs: list[ast.expr], seen: frozenset[str]) -> set[str] | None:
        """Return the union of the strings of several expressions."""
        found: set[str] = set()
        for item in exprs:
            values = self.strings(item, seen)
            if values is None:
                return None
            found |= values
        return found

    def _name(self, expr: ast.expr, name: str, seen: frozenset[str]) -> set[str] | None:
        """Resolve a name: a local binding in its function, else a module constant."""
        if (function := self.scope(expr)) is not None:
            bound = [
                node.value
                for node in ast.walk(function)
                if (
                    (isinstance(node, ast.NamedExpr) and node.target.id == name)
                    or (
                        isinstance(node, ast.Assign)
                        and any(
                            isinstance(t, ast.Name) and t.id == name
                            for t in node.targets
                        )
                    )
                )
            ]
            # A list built up in steps: options = [...]; options.append(...).
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == name
                    and node.func.attr in {"append", "extend", "add", "update"}
                ):
                    bound.extend(node.args)
                elif (
                    isinstance(node, ast.AugAssign)
                    and isinstance(node.target, ast.Name)
                    and node.target.id == name
                ):
                    bound.append(node.value)
            if bound:
                return self._union(bound, seen)
        value = getattr(self.module, name, None)
        return {value} if isinstance(value, str) else None


# ------------------------------------------------------- what the code uses


def _entity_keys(english: Mapping[str, Any]) -> tuple[set[str], list[str]]:
    """Return the entity translation keys the platforms need, and their problems."""
    needed: set[str] = set()
    problems: list[str] = []
    for platform, module in _platform_modules():
        for description in _descriptions(module):
            key = description.translation_key
            if key is None:
                if description.name is not None:
                    problems.append(
                        f"{platform} description {description.key!r}"
                        " has no translation_key"
                    )
                continue
            base = f"entity.{platform}.{key}"
            needed.add(f"{base}.name")
            options = getattr(description, "options", None)
            if getattr(description, "device_class", None) == SensorDeviceClass.ENUM:
                needed.update(f"{base}.state.{option}" for option in options or ())
                problems.extend(
                    f"{base}.state.{state} is not an option of the sensor"
                    for state in _node(english, f"{base}.state") or {}
                    if state not in (options or ())
                )
            event_types = getattr(description, "event_types", None)
            if event_types is not None:
                attribute = f"{base}.state_attributes.event_type.state"
                needed.update(f"{attribute}.{kind}" for kind in event_types)
                problems.extend(
                    f"{attribute}.{kind} is not an event type of the entity"
                    for kind in _node(english, attribute) or {}
                    if kind not in event_types
                )
        for value in vars(module).values():
            key = getattr(value, "_attr_translation_key", None)
            if inspect.isclass(value) and isinstance(key, str):
                needed.add(f"entity.{platform}.{key}.name")
    return needed, problems


def _code_keys() -> tuple[set[str], dict[str, set[str]], list[str]]:
    """Return the exception and issue keys the code raises or creates.

    Also the placeholders each call passes (by key), and anything it cannot resolve.
    """
    needed: set[str] = set()
    passed: dict[str, set[str]] = {}
    problems: list[str] = []
    for relative, tree, module in _sources():
        resolver = _Resolver(tree, module)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            key_expr = _keyword(call, "translation_key")
            name = _call_name(call)
            if key_expr is None or name.endswith("EntityDescription"):
                continue
            domain_expr = _keyword(call, "translation_domain")
            domains = resolver.strings(domain_expr) if domain_expr else {DOMAIN}
            if domains != {DOMAIN} and name != "async_create_issue":
                continue
            where = f"{relative}:{call.lineno}"
            keys = resolver.strings(key_expr)
            if not keys:
                problems.append(f"{where}: cannot resolve translation_key")
                continue
            category = "issues" if name == "async_create_issue" else "exceptions"
            if name.endswith("SelectorConfig"):
                category = "selector"  # a selector's options, not an exception
            placeholders_expr = _keyword(call, "translation_placeholders")
            given = (
                {k.value for k in placeholders_expr.keys if isinstance(k, ast.Constant)}
                if isinstance(placeholders_expr, ast.Dict)
                else None
            )
            for key in keys:
                needed.add(f"{category}.{key}")
                if given is not None:
                    passed.setdefault(f"{category}.{key}", set()).update(given)
    return needed, passed, problems


_ABORT_DEFAULTS = {"_async_abort_entries_match": "already_configured"}
"""Abort helpers whose reason is not a parameter default."""


def _abort_default(method: str, step: str) -> str | None:
    """Return the reason a config flow abort helper uses when none is given."""
    if method in _ABORT_DEFAULTS:
        return _ABORT_DEFAULTS[method]
    if method in {"async_update_reload_and_abort", "async_update_and_abort"}:
        if step.startswith("async_step_reconfigure"):
            return "reconfigure_successful"
        return "reauth_successful"
    helper = getattr(ConfigFlow, method, None)
    if helper is None:
        return None
    parameters = inspect.signature(helper).parameters
    for parameter in ("reason", "error"):
        if parameter in parameters and isinstance(parameters[parameter].default, str):
            return str(parameters[parameter].default)
    return None


def _flow_section(cls: ast.ClassDef, subentry_types: Mapping[str, str]) -> str | None:
    """Return where a flow class's strings live: config, options or a subentry."""
    bases = {
        base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
        for base in cls.bases
    }
    if any("SubentryFlow" in base for base in bases):
        return (
            f"config_subentries.{subentry_types[cls.name]}"
            if cls.name in subentry_types
            else None
        )
    if any("OptionsFlow" in base for base in bases):
        return "options"
    if any(base.endswith("ConfigFlow") for base in bases):
        return "config"
    return None


def _subentry_types(tree: ast.Module, resolver: _Resolver) -> dict[str, str]:
    """Return the subentry type of each subentry flow class, by class name."""
    types: dict[str, str] = {}
    for function in ast.walk(tree):
        if (
            isinstance(function, ast.FunctionDef)
            and function.name == "async_get_supported_subentry_types"
        ):
            for node in ast.walk(function):
                if isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        names = resolver.strings(key) if key is not None else None
                        if names and isinstance(value, ast.Name):
                            types[value.id] = next(iter(names))
    return types


class _FlowScanner:
    """Collect the translation keys the flows in config_flow.py use."""

    def __init__(self) -> None:
        """Parse config_flow.py."""
        relative = Path("config_flow.py")
        self.tree = ast.parse((INTEGRATION / relative).read_text(encoding="utf-8"))
        self.resolver = _Resolver(self.tree, _module(relative))
        self.needed: set[str] = set()
        self.placeholders: dict[str, set[str] | None] = {}
        self.problems: list[str] = []

    def scan(self) -> None:
        """Scan every flow class: config, options and subentry flows."""
        subentry_types = _subentry_types(self.tree, self.resolver)
        for cls in (node for node in self.tree.body if isinstance(node, ast.ClassDef)):
            if (where := _flow_section(cls, subentry_types)) is not None:
                for node in ast.walk(cls):
                    self._node(node, where)
            elif any("SubentryFlow" in ast.unparse(base) for base in cls.bases):
                self.problems.append(f"{cls.name}: no subentry type maps to this flow")

    def _resolve(self, expr: ast.expr, what: str) -> set[str]:
        """Resolve an expression or record that it cannot be."""
        values = self.resolver.strings(expr)
        if not values:
            self.problems.append(
                f"config_flow.py:{getattr(expr, 'lineno', '?')}: cannot resolve {what}"
            )
        return values or set()

    def _use(self, key: str, call: ast.Call | None = None) -> None:
        """Record a key, and the placeholders a call showing it passes (None: any)."""
        self.needed.add(key)
        if call is None:
            return
        given_expr = _keyword(call, "description_placeholders")
        given: set[str] | None = set()
        if isinstance(given_expr, ast.Dict):
            given = {k.value for k in given_expr.keys if isinstance(k, ast.Constant)}
        elif given_expr is not None:
            given = None
        previous = self.placeholders.get(key, given)
        self.placeholders[key] = (
            None if given is None or previous is None else given & previous
        )

    def _node(self, node: ast.AST, where: str) -> None:
        """Record the keys one syntax node uses."""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and "error" in target.value.id
                ):
                    for error in self._resolve(node.value, "error"):
                        self._use(f"{where}.error.{error}")
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            if _call_name(node.exc) == "AbortFlow" and node.exc.args:
                for reason in self._resolve(node.exc.args[0], "abort"):
                    self._use(f"{where}.abort.{reason}")
        elif isinstance(node, ast.Call):
            self._call(node, where)

    def _call(self, call: ast.Call, where: str) -> None:
        """Record the keys a call shows: a step, a menu, an entry note, an abort."""
        name = _call_name(call)
        if step_expr := _keyword(call, "step_id"):
            for step in self._resolve(step_expr, "step_id"):
                self._use(f"{where}.step.{step}", call)
                menu = _keyword(call, "menu_options")
                if menu is not None and not isinstance(menu, ast.Dict):
                    for option in self._resolve(menu, "menu option"):
                        self._use(f"{where}.step.{step}.menu_options.{option}")
        if name == "async_create_entry" and (
            description := _keyword(call, "description")
        ):
            for key in self._resolve(description, "create_entry"):
                self._use(f"{where}.create_entry.{key}", call)
        if "abort" in name:
            reason_expr = (
                _keyword(call, "reason")
                or _keyword(call, "error")
                or (call.args[0] if name == "async_abort" and call.args else None)
            )
            step_function = self.resolver.scope(call)
            step = step_function.name if step_function else ""
            if reason_expr is not None:
                reasons = self._resolve(reason_expr, "abort reason")
            elif (default := _abort_default(name, step)) is not None:
                reasons = {default}
            else:
                self.problems.append(f"config_flow.py:{call.lineno}: unknown {name}")
                reasons = set()
            for reason in reasons:
                self._use(f"{where}.abort.{reason}", call)


def _flow_keys() -> tuple[set[str], dict[str, set[str] | None], list[str]]:
    """Return the flow keys config_flow.py uses (steps, menus, errors, aborts).

    Also the description placeholders each of them is shown with (None when not
    a literal), and anything that cannot be resolved.
    """
    scanner = _FlowScanner()
    scanner.scan()
    return scanner.needed, scanner.placeholders, scanner.problems


def _trigger_keys() -> set[str]:
    """Return the device automation keys the integration's device automations use."""
    needed: set[str] = set()
    for platform, constant, section_name in (
        ("device_trigger", "TRIGGER_TYPES", "trigger_type"),
        ("device_condition", "CONDITION_TYPES", "condition_type"),
        ("device_action", "ACTION_TYPES", "action_type"),
    ):
        if (INTEGRATION / f"{platform}.py").exists():
            module = _module(Path(f"{platform}.py"))
            kinds = getattr(module, constant)
            needed.update(f"device_automation.{section_name}.{kind}" for kind in kinds)
    return needed


def _service_keys() -> set[str]:
    """Return the service keys services.yaml needs: names, descriptions, fields."""
    needed: set[str] = set()
    for service, spec in _services().items():
        base = f"services.{service}"
        needed |= {f"{base}.name", f"{base}.description"}
        fields = dict((spec or {}).get("fields") or {})
        for field, field_spec in fields.items():
            if isinstance(field_spec, Mapping) and "fields" in field_spec:
                needed |= {f"{base}.sections.{field}.name"}
                for inner in field_spec["fields"]:
                    needed |= {
                        f"{base}.fields.{inner}.name",
                        f"{base}.fields.{inner}.description",
                    }
            else:
                needed |= {
                    f"{base}.fields.{field}.name",
                    f"{base}.fields.{field}.description",
                }
    return needed


# ------------------------------------------------------------------- checks


def language_problems(
    english: Mapping[str, Any], other: Mapping[str, Any]
) -> list[str]:
    """Return how a language differs from en.json in keys and placeholders."""
    source, target = _flatten(english), _flatten(other)
    problems = [f"missing {key}" for key in sorted(source.keys() - target.keys())]
    problems += [
        f"not in en.json: {key}" for key in sorted(target.keys() - source.keys())
    ]
    for key in sorted(source.keys() & target.keys()):
        value = target[key]
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} is not a non-empty string")
        elif _placeholders(value) != _placeholders(source[key]):
            problems.append(
                f"{key}: placeholders {sorted(_placeholders(value))}"
                f" != {sorted(_placeholders(source[key]))}"
            )
    return problems


def _flows(english: Mapping[str, Any]) -> list[str]:
    """Return where en.json has flow strings: config, options, each subentry type."""
    flows = [flow for flow in ("config", "options") if flow in english]
    flows += [
        f"config_subentries.{kind}" for kind in english.get("config_subentries", {})
    ]
    return flows


def english_problems(english: Mapping[str, Any]) -> list[str]:
    """Return what en.json lacks or has to spare for the code."""
    flat = _flatten(english)
    problems = [
        f"{key} is not a non-empty string"
        for key, value in flat.items()
        if not isinstance(value, str) or not value.strip()
    ]
    problems += [
        f"{key} uses a [%key:...%] reference"
        for key, value in flat.items()
        if "[%key:" in str(value)
    ]

    entity_needed, entity_problems = _entity_keys(english)
    code_needed, passed, code_problems = _code_keys()
    flow_needed, flow_placeholders, flow_problems = _flow_keys()
    problems += entity_problems + code_problems + flow_problems

    needed = entity_needed | _trigger_keys() | _service_keys()
    for key in sorted(needed):
        if key not in flat:
            problems.append(f"missing {key}")
    for key in sorted(code_needed | flow_needed):
        if _node(english, key) is None:
            problems.append(f"missing {key}")

    # Nothing to spare: every entity, trigger, action, exception, issue, step, menu
    # option, error and abort in en.json is used by the code (entity states are
    # checked against the sensors' options and the event types above).
    for key in flat:
        if key.startswith("entity."):
            entity = ".".join(key.split(".")[:3])
            if f"{entity}.name" not in needed:
                problems.append(f"unused {key}")
        elif key.startswith(("device_automation.", "services.")) and key not in needed:
            problems.append(f"unused {key}")
    for category in ("exceptions", "issues"):
        problems += [
            f"unused {category}.{key}"
            for key in english.get(category, {})
            if f"{category}.{key}" not in code_needed
        ]
    for flow in _flows(english):
        for part in ("step", "error", "abort", "create_entry"):
            problems += [
                f"unused {flow}.{part}.{key}"
                for key in _node(english, flow).get(part, {})
                if f"{flow}.{part}.{key}" not in flow_needed
            ]
        for step, spec in _node(english, flow).get("step", {}).items():
            problems += [
                f"unused {flow}.step.{step}.menu_options.{option}"
                for option in spec.get("menu_options", {})
                if f"{flow}.step.{step}.menu_options.{option}" not in flow_needed
            ]

    # Config fields: every field has a label and a description, and nothing else;
    # so do the fields of each section of a step, and of subentry flows.
    for flow in _flows(english):
        for step, spec in _node(english, flow).get("step", {}).items():
            forms = {f"{flow}.step.{step}": spec} | {
                f"{flow}.step.{step}.sections.{name}": inner
                for name, inner in spec.get("sections", {}).items()
            }
            for where, form in forms.items():
                data = set(form.get("data", {}))
                described = set(form.get("data_description", {}))
                problems += [
                    f"{where}.data_description.{f} missing"
                    for f in sorted(data - described)
                ]
                problems += [
                    f"{where}.data_description.{f} has no field"
                    for f in sorted(described - data)
                ]

    # Placeholders: the code passes every one a string uses.
    for key, given in sorted(passed.items()):
        used = set().union(
            *(_placeholders(text) for text in _strings_under(english, key))
        )
        if used - given:
            problems.append(
                f"{key} uses {sorted(used - given)}, the code passes {sorted(given)}"
            )
    for key, given_step in sorted(flow_placeholders.items()):
        if given_step is None:
            continue
        used = set().union(
            *(_placeholders(text) for text in _strings_under(english, key))
        )
        if used - given_step:
            problems.append(
                f"{key} uses {sorted(used - given_step)},"
                f" the flow passes {sorted(given_step)}"
            )
    return problems


def icon_problems(icons: Mapping[str, Any], english: Mapping[str, Any]) -> list[str]:
    """Return icons.json entries that refer to nothing or are not MDI icon names."""
    problems = [
        f"unexpected top-level key {key}"
        for key in icons
        if key not in {"entity", "services"}
    ]
    problems += [
        f"{key}: {value!r} is not an mdi: icon"
        for key, value in _flatten(icons).items()
        if not isinstance(value, str) or not MDI_ICON.match(value)
    ]
    for platform, entries in icons.get("entity", {}).items():
        for key, entry in entries.items():
            base = f"entity.{platform}.{key}"
            if _node(english, base) is None:
                problems.append(f"icon for {base}, which en.json does not have")
                continue
            problems += [
                f"{base}: unknown icon key {k}"
                for k in entry
                if k not in ICON_ENTRY_KEYS
            ]
            states = set(_node(english, f"{base}.state") or {})
            if platform == Platform.BINARY_SENSOR:
                states = BINARY_STATES
            problems += [
                f"{base}: state icon for unknown state {state}"
                for state in entry.get("state", {})
                if state not in states
            ]
            for attribute, attribute_icons in entry.get("state_attributes", {}).items():
                known = _node(english, f"{base}.state_attributes.{attribute}.state")
                if known is None:
                    problems.append(
                        f"{base}: icons for untranslated attribute {attribute}"
                    )
                    continue
                problems += [
                    f"{base}.{attribute}: icon for unknown state {state}"
                    for state in attribute_icons.get("state", {})
                    if state not in known
                ]
    services = _services()
    for service, entry in icons.get("services", {}).items():
        if service not in services:
            problems.append(f"icon for unknown action {service}")
        elif "service" not in entry:
            problems.append(f"action {service} has no service icon")
    problems += [
        f"action {s} has no icon"
        for s in services
        if s not in icons.get("services", {})
    ]
    return problems


# -------------------------------------------------------------------- tests


def test_languages_shipped() -> None:
    """Ship German, Spanish, French, Italian and Dutch next to English."""
    assert set(LANGUAGES) >= REQUIRED_LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_matches_english(language: str) -> None:
    """Give every language exactly en.json's keys, with the same placeholders."""
    other = _load_json(TRANSLATIONS / f"{language}.json")
    assert language_problems(_english(), other) == []


def test_english_covers_the_code() -> None:
    """Translate every key the code uses in en.json, and keep nothing unused."""
    assert english_problems(_english()) == []


def test_entity_descriptions_are_found() -> None:
    """Find the platforms' descriptions, so the entity check has something to check."""
    needed, _ = _entity_keys(_english())
    assert {
        "entity.sensor.phase.state.away",
        "entity.binary_sensor.approaching.name",
        "entity.event.trip.state_attributes.event_type.state."
        + event.TRIP.event_types[0],
    } <= needed


def test_flow_keys_are_found() -> None:
    """Find steps, menu options, errors and aborts in config_flow.py."""
    needed, placeholders, problems = _flow_keys()
    assert problems == []
    assert {
        "config.step.user.menu_options.entity",
        "config.error.entity_not_found",
        "config.error.no_position",
        "config.abort.already_configured",
        "config.abort.reconfigure_successful",
        "options.step.detection",
    } <= needed
    assert placeholders["config.step.reconfigure"] == {"name"}


def test_icons_refer_to_translations() -> None:
    """Give icons only to existing entities, states, attributes and actions."""
    assert icon_problems(_icons(), _english()) == []


# -------------------------------------------------- through Home Assistant


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
async def test_home_assistant_loads_every_string(
    hass: HomeAssistant, language: str
) -> None:
    """Load each language through Home Assistant and get every string unchanged.

    Home Assistant drops a translation whose placeholders differ from English and
    falls back to English, so an unchanged string is also a valid one.
    """
    strings = _flatten(_load_json(TRANSLATIONS / f"{language}.json"))
    loaded: dict[str, str] = {}
    for category in _english():
        loaded |= await async_get_translations(hass, language, category, [DOMAIN])
    prefix = f"component.{DOMAIN}."
    assert {key: loaded.get(prefix + key) for key in strings} == strings


async def test_home_assistant_loads_the_icons(hass: HomeAssistant) -> None:
    """Load icons.json through Home Assistant, entities and actions alike."""
    icons = _icons()
    for category, expected in icons.items():
        loaded = await async_get_icons(hass, category, [DOMAIN])
        assert loaded[DOMAIN] == expected


SAMPLE_INPUT: dict[str, dict[str, Any]] = {
    "entity": {CONF_TRACKED_ENTITY: "device_tracker.walk_car"},
    "push": {"name": "Walk car"},
}
"""Input that takes the walk past a form to the next step, by step id."""


def _form_fields(schema: Any) -> Iterator[tuple[str, str]]:
    """Yield each field of a form's schema as (where its strings live, key).

    A field of the form itself lives at ``""``, a field of a section at
    ``sections.<name>.``; the section itself is yielded with an empty key (its
    label is ``sections.<name>.name``).
    """
    for marker, value in schema.schema.items():
        key = str(getattr(marker, "schema", marker))
        if isinstance(value, section):
            yield f"sections.{key}.", ""
            for _, inner in _form_fields(value.schema):
                yield f"sections.{key}.", inner
        else:
            yield "", key


def _field_keys(step: str, fields: set[tuple[str, str]]) -> Iterator[str]:
    """Yield the en.json keys a form's fields need: a label and a description."""
    for where, field in sorted(fields):
        if not field:
            yield f"{step}.{where}name"
        else:
            yield from (
                f"{step}.{where}{part}.{field}" for part in ("data", "data_description")
            )


async def _walk(
    manager: Any, start: Any, where: str, seen: dict[str, set[tuple[str, str]]]
) -> None:
    """Walk a flow through every menu branch, recording each form's fields."""
    pending: list[list[str]] = [[]]
    menus: set[str] = set()
    while pending:
        path = pending.pop()
        result = await start()
        for choice in path:
            result = await manager.async_configure(
                result["flow_id"], {"next_step_id": choice}
            )
        while True:
            step = f"{where}.step.{result.get('step_id')}"
            if result["type"] == FlowResultType.MENU:
                seen.setdefault(step, set())
                if step not in menus:
                    menus.add(step)
                    pending.extend([*path, option] for option in result["menu_options"])
                break
            if result["type"] != FlowResultType.FORM:
                break
            seen.setdefault(step, set()).update(_form_fields(result["data_schema"]))
            if (sample := SAMPLE_INPUT.get(result["step_id"])) is None:
                break
            result = await manager.async_configure(result["flow_id"], sample)
        if result["type"] in (FlowResultType.FORM, FlowResultType.MENU):
            manager.async_abort(result["flow_id"])


async def test_every_flow_field_is_translated(hass: HomeAssistant) -> None:
    """Walk the config, reconfigure, options and subentry flows: label every field.

    Every step config_flow.py shows must be reached, so that no form goes unchecked;
    a new step may need input in SAMPLE_INPUT (or another car below) to be reached.
    """
    assert await async_setup_component(hass, "zone", {})
    hass.states.async_set(
        "device_tracker.walk_car", "not_home", {"latitude": 52.4, "longitude": 4.9}
    )
    cars = [
        MockConfigEntry(
            domain=DOMAIN,
            title="Followed car",
            unique_id="device_tracker.other_car",
            data={
                CONF_SOURCE: SOURCE_ENTITY,
                CONF_TRACKED_ENTITY: "device_tracker.other_car",
                CONF_HOME_ZONE: "zone.home",
            },
            subentries_data=[
                ConfigSubentryData(
                    data={CONF_NAME: "Alex"},
                    subentry_type=SUBENTRY_DRIVER,
                    title="Alex",
                    unique_id=None,
                )
            ],
        ),
        MockConfigEntry(
            domain=DOMAIN,
            title="Pushing car",
            unique_id="WALKCAR",
            data={
                CONF_SOURCE: SOURCE_PUSH,
                CONF_WEBHOOK_ID: "walk_webhook_id",
                CONF_HOME_ZONE: "zone.home",
            },
        ),
    ]
    seen: dict[str, set[tuple[str, str]]] = {}
    flows, options = hass.config_entries.flow, hass.config_entries.options
    await _walk(
        flows,
        lambda: flows.async_init(DOMAIN, context={"source": SOURCE_USER}),
        "config",
        seen,
    )
    subentries = hass.config_entries.subentries
    for car in cars:
        car.add_to_hass(hass)
        await _walk(flows, partial(car.start_reconfigure_flow, hass), "config", seen)
        await _walk(options, partial(options.async_init, car.entry_id), "options", seen)
        for kind in HomecomingConfigFlow.async_get_supported_subentry_types(car):
            await _walk(
                subentries,
                partial(
                    subentries.async_init,
                    (car.entry_id, kind),
                    context={"source": SOURCE_USER},
                ),
                f"config_subentries.{kind}",
                seen,
            )
        for subentry_id, subentry in car.subentries.items():
            await _walk(
                subentries,
                partial(car.start_subentry_reconfigure_flow, hass, subentry_id),
                f"config_subentries.{subentry.subentry_type}",
                seen,
            )

    shown, _, _ = _flow_keys()
    steps = {
        key
        for key in shown
        if re.fullmatch(r"(config|options|config_subentries\.\w+)\.step\.\w+", key)
    }
    assert steps - seen.keys() == set(), "steps the walk did not reach"
    english = _english()
    missing = [
        key
        for step, fields in sorted(seen.items())
        for key in _field_keys(step, fields)
        if not isinstance(_node(english, key), str)
    ]
    assert missing == []


# ------------------------------------------------------------- self-tests


def test_checks_catch_a_missing_translation() -> None:
    """Fail for a key missing in a language, a wrong placeholder or an extra key."""
    english = _english()
    other = _load_json(TRANSLATIONS / "de.json")
    assert language_problems(english, other) == []

    longer = copy.deepcopy(english)
    longer["entity"]["sensor"]["fake"] = {"name": "Fake"}
    assert language_problems(longer, other) == ["missing entity.sensor.fake.name"]

    wrong = copy.deepcopy(other)
    wrong["exceptions"]["car_not_found"]["message"] = "Kein Auto {auto}."
    assert language_problems(english, wrong) == [
        "exceptions.car_not_found.message: placeholders ['auto'] != ['car']"
    ]


def test_checks_catch_a_key_the_code_needs() -> None:
    """Fail when en.json lacks a state, error, exception or field description."""
    english = _english()
    broken = copy.deepcopy(english)
    del broken["entity"]["sensor"]["phase"]["state"]["arriving"]
    del broken["config"]["error"]["no_position"]
    del broken["exceptions"]["car_not_found"]
    del broken["config"]["step"]["push"]["data_description"]["vin"]
    problems = english_problems(broken)
    assert "missing entity.sensor.phase.state.arriving" in problems
    assert "missing config.error.no_position" in problems
    assert "missing exceptions.car_not_found" in problems
    assert "config.step.push.data_description.vin missing" in problems

    sections = copy.deepcopy(english)
    routines = sections["options"]["step"]["routines"]["sections"]
    del routines["climate"]["data_description"]["rate"]
    assert "options.step.routines.sections.climate.data_description.rate missing" in (
        english_problems(sections)
    )

    extra = copy.deepcopy(english)
    extra["entity"]["sensor"]["phase"]["state"]["parked"] = "Parked"
    assert "entity.sensor.phase.state.parked is not an option of the sensor" in (
        english_problems(extra)
    )


def test_checks_catch_a_stray_icon() -> None:
    """Fail for an icon of an unknown entity or state, or a non-MDI icon."""
    icons = copy.deepcopy(_icons())
    icons["entity"]["sensor"]["phase"]["state"]["parked"] = "mdi:car"
    icons["entity"]["sensor"]["fake"] = {"default": "fa:car"}
    problems = icon_problems(icons, _english())
    assert "entity.sensor.phase: state icon for unknown state parked" in problems
    assert "entity.sensor.fake.default: 'fa:car' is not an mdi: icon" in problems
    assert "icon for entity.sensor.fake, which en.json does not have" in problems

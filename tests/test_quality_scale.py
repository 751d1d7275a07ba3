"""The quality scale, checked: each claim of quality_scale.yaml is a test that can fail.

Hassfest checks the quality scale of core integrations; nothing checks a custom
integration's, so these tests do. Every ``done`` rule is checked here (each test names
its rules with ``@checks``) or listed in ``BY_REVIEW`` with what a reader has to judge;
exempt rules are checked where their reason can be. Where a comment states facts
(PARALLEL_UPDATES per platform, entity categories, device classes, repair issues, brand
images, requirements), the test reads them from the comment and compares them with the
code, so that neither can change without the other. Entities are named
``<platform>.<description key>`` (``sensor.last_fix``), as in the comments.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import importlib
import json
import logging
from pathlib import Path
import re
import struct
import tomllib
from types import ModuleType
from typing import Any
from urllib.parse import quote

from homeassistant import exceptions as ha_exceptions
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import (
    CONF_NAME,
    CONF_WEBHOOK_ID,
    STATE_UNAVAILABLE,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.selector import Selector
from homeassistant.helpers.translation import recursive_flatten
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
from homeassistant.util.yaml import load_yaml_dict
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.homecoming.const import (
    CONF_CLIMATE,
    CONF_HOME_ZONE,
    CONF_IN_CAR_SIGNALS,
    CONF_OWNTRACKS_KEY,
    CONF_PERSON,
    CONF_SECRET,
    CONF_SOURCE,
    CONF_TARGETS,
    CONF_TRACKED_ENTITY,
    CONF_VIN,
    DOMAIN,
    SOURCE_ENTITY,
    SUBENTRY_DRIVER,
    TICK_INTERVAL,
)
from custom_components.homecoming.engine import Fix
from tests.common import add_car, update_location
from tests.translation_check import strings

ROOT = Path(__file__).parents[1]
INTEGRATION = ROOT / "custom_components" / DOMAIN
PACKAGE = f"custom_components.{DOMAIN}"
SCALE: dict[str, Any] = yaml.safe_load(
    (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
)["rules"]
MANIFEST: dict[str, Any] = json.loads(
    (INTEGRATION / "manifest.json").read_text(encoding="utf-8")
)
SERVICES = load_yaml_dict(str(INTEGRATION / "services.yaml"))
ENGLISH = json.loads((INTEGRATION / "translations" / "en.json").read_text("utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
FOLLOWED = "device_tracker.family_phone"
"""The tracker the car of the ``car`` fixture follows."""
GPS = {"latitude": 52.4, "longitude": 4.9, "gps_accuracy": 10}
"""A position of the followed tracker, away from home."""
THERMOSTAT = "climate.living_room"
"""The thermostat of the ``car`` fixture's climate routine (it heats and cools)."""
PER_THERMOSTAT = ("heating_rate", "cooling_rate")
"""The keys of the sensors a car has per thermostat (unique id ``..._<thermostat>``)."""

BY_REVIEW = {
    "docs-high-level-description": "whether the README explains the integration",
    "docs-data-update": "whether the README explains how and when data arrives",
    "docs-supported-devices": "whether the README says which cars and trackers work",
    "docs-use-cases": "whether the README shows what the integration is good for",
}
"""Done rules that only a reader can judge, and what to judge."""
CHECKS: dict[str, str] = {}
"""The rules the tests below check: rule -> test."""


def checks[F: Callable[..., Any]](*rules: str) -> Callable[[F], F]:
    """Record that a test checks the claims of these rules."""

    def register(test: F) -> F:
        CHECKS.update(dict.fromkeys(rules, test.__name__))
        return test

    return register


def status(rule: str) -> str:
    """Return a rule's status."""
    value = SCALE[rule]
    return str(value["status"] if isinstance(value, dict) else value)


def comment(rule: str) -> str:
    """Return a rule's comment, on one line."""
    value = SCALE[rule]
    text = value.get("comment", "") if isinstance(value, dict) else ""
    return " ".join(str(text).split())


def named(rule: str, vocabulary: set[str]) -> set[str]:
    """Return the words of a rule's comment that are in ``vocabulary``."""
    return {w.strip(".,") for w in re.findall(r"[\w.@]+", comment(rule))} & vocabulary


def claimed(rule: str, vocabulary: set[str]) -> dict[str, set[str]]:
    """Read ``label: name, name; label: name`` from a rule's comment.

    Only names in ``vocabulary`` count; parts without a colon are prose.
    """
    groups: dict[str, set[str]] = {}
    for part in comment(rule).split(";"):
        label, colon, names = part.rpartition(":")
        if colon:
            words = {word.strip(".,") for word in re.findall(r"[\w.@]+", names)}
            groups[label.strip().lower()] = words & vocabulary
    return groups


def module(name: str = "") -> ModuleType:
    """Import a module of the integration."""
    return importlib.import_module(f"{PACKAGE}.{name}" if name else PACKAGE)


def sources() -> Iterator[tuple[str, ast.Module]]:
    """Yield each Python file of the integration (its path inside it), parsed."""
    for path in sorted(INTEGRATION.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield path.relative_to(INTEGRATION).as_posix(), ast.parse(text)


def parsed(name: str) -> ast.Module:
    """Parse a file of the integration."""
    return ast.parse((INTEGRATION / name).read_text(encoding="utf-8"))


def calls(node: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    """Yield every call below a node, with the name it calls."""
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            yield getattr(call.func, "attr", getattr(call.func, "id", "")), call


def function(tree: ast.AST, name: str) -> ast.AST:
    """Return the (async) function or method ``name`` below a node."""
    return next(
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name == name
    )


def keyword(call: ast.Call, name: str) -> Any:
    """Return a call's keyword argument: a literal, else its source (None if absent)."""
    value = next((kw.value for kw in call.keywords if kw.arg == name), None)
    if isinstance(value, ast.Constant):
        return value.value
    return None if value is None else ast.unparse(value)


PLATFORMS = sorted(str(platform) for platform in module().PLATFORMS)


def descriptions() -> dict[str, Any]:
    """Return the platforms' entity descriptions by name (``sensor.last_fix``)."""
    found: dict[str, Any] = {}
    for platform in PLATFORMS:
        values = list(vars(module(platform)).values())
        for value in [*values, *(i for v in values if isinstance(v, tuple) for i in v)]:
            if any(c.__name__ == "EntityDescription" for c in type(value).__mro__):
                found[f"{platform}.{value.key}"] = value
    return found


ENTITIES = set(descriptions())


@pytest.fixture
async def car(hass: HomeAssistant, home_zone: None) -> MockConfigEntry:
    """Set up a car named Family car (as in the README) that follows a tracker."""
    hass.states.async_set(FOLLOWED, "not_home", GPS)
    hass.states.async_set(
        THERMOSTAT,
        "heat",
        {"hvac_modes": ["off", "heat", "cool"], "friendly_name": "Living room"},
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Family car",
        unique_id=FOLLOWED,
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: FOLLOWED,
            CONF_HOME_ZONE: "zone.home",
        },
        # With an in-car signal and a thermostat that heats and cools, the car has
        # every entity (binary_sensor.in_car, both learned rates too).
        options={
            CONF_IN_CAR_SIGNALS: ["binary_sensor.android_auto"],
            CONF_CLIMATE: {CONF_TARGETS: [THERMOSTAT]},
        },
    )
    return await add_car(hass, entry)


def registered(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return a car's entity registry entries by name (``sensor.last_fix``)."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    prefix = f"{entry.unique_id}_"
    return {
        f"{e.domain}.{e.unique_id.removeprefix(prefix).removesuffix(f'_{THERMOSTAT}')}": e
        for e in entries
    }


def entity_objects(hass: HomeAssistant) -> list[Entity]:
    """Return the integration's entity objects (the enabled ones)."""
    platforms = async_get_platforms(hass, DOMAIN)
    return [entity for p in platforms for entity in p.entities.values()]


def test_every_done_rule_is_checked() -> None:
    """A rule is done only with a test here, or a reason a reader has to judge it."""
    done = {rule for rule in SCALE if status(rule) == "done"}
    assert sorted(done - CHECKS.keys() - BY_REVIEW.keys()) == []
    assert sorted((CHECKS.keys() | BY_REVIEW.keys()) - SCALE.keys()) == []
    assert sorted(rule for rule in BY_REVIEW if status(rule) != "done") == []


# -------------------------------------------------------------------- bronze


@checks("action-setup")
async def test_actions_are_set_up_with_the_integration(hass: HomeAssistant) -> None:
    """Every action of services.yaml is registered by async_setup, without a car."""
    init = parsed("__init__.py")
    assert "async_setup_services" in dict(calls(function(init, "async_setup")))
    per_entry = dict(calls(function(init, "async_setup_entry")))
    assert not {"async_setup_services", "async_register"} & per_entry.keys()
    assert (
        "CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)"
        in ast.unparse(init).splitlines()
    )
    assert await async_setup_component(hass, DOMAIN, {})
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(SERVICES)


@checks("appropriate-polling")
async def test_nothing_is_polled(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Push (local_push): no entity polls, the coordinator has no interval; 10 s clock."""
    assert MANIFEST["iot_class"] == "local_push"
    assert "local_push" in comment("appropriate-polling")
    assert TICK_INTERVAL.total_seconds() == 10
    assert "10 s clock" in comment("appropriate-polling")
    entities = entity_objects(hass)
    assert entities
    assert [e.entity_id for e in entities if e.should_poll] == []
    assert {getattr(e, "coordinator", None) is not None for e in entities} == {True}
    assert {e.coordinator.update_interval for e in entities} == {None}


@checks("brands")
def test_brand_images() -> None:
    """The images the comment names, and no others, in the sizes of the brands rules."""
    shipped = {path.name for path in (INTEGRATION / "brand").iterdir()}
    assert set(re.findall(r"[\w@]+\.png", comment("brands"))) == shipped
    assert {"icon.png", "icon@2x.png", "logo.png", "logo@2x.png"} <= shipped
    for name in shipped:
        data = (INTEGRATION / "brand" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        width, height = struct.unpack(">II", data[16:24])
        scale = 2 if "@2x" in name else 1
        if name.startswith("icon"):
            assert (width, height) == (256 * scale, 256 * scale), name
        else:
            assert 128 * scale <= min(width, height) <= 256 * scale, name


@checks("common-modules")
def test_common_modules() -> None:
    """The coordinator, and the base entity every entity class derives from."""
    assert issubclass(
        module("coordinator").HomecomingCoordinator, DataUpdateCoordinator
    )
    base = module("entity").HomecomingEntity
    assert issubclass(base, CoordinatorEntity)
    for platform in PLATFORMS:
        classes = [
            value
            for value in vars(module(platform)).values()
            if isinstance(value, type)
            and issubclass(value, Entity)
            and value.__module__ == f"{PACKAGE}.{platform}"
        ]
        assert classes, platform
        assert all(issubclass(cls, base) for cls in classes), platform
    for package in ("engine", "sources"):
        assert (INTEGRATION / package / "__init__.py").is_file()


@checks("config-flow-test-coverage", "test-coverage")
def test_coverage_is_enforced() -> None:
    """100 % of lines and branches, in CI; the tests the comment names start each flow."""
    coverage = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"][
        "coverage"
    ]
    assert coverage["run"]["branch"] is True
    assert coverage["run"]["source"] == [f"custom_components/{DOMAIN}"]
    assert coverage["report"]["fail_under"] == 100
    assert "exec bash scripts/test" in (ROOT / ".ci" / "run").read_text("utf-8")
    assert ".venv/bin/pytest --cov" in (ROOT / "scripts" / "test").read_text("utf-8")
    assert "100 %" in comment("test-coverage")
    files = re.findall(r"tests/[\w/]+\.py", comment("config-flow-test-coverage"))
    text = "".join((ROOT / name).read_text(encoding="utf-8") for name in files)
    for start in (
        "flow.async_init(",
        "start_reconfigure_flow(",
        "options.async_init(",
        "subentries.async_init(",
        "start_subentry_reconfigure_flow(",
    ):
        assert start in text, start


def _is_selector(value: Any) -> bool:
    """Tell whether a form field is a selector (a section: all of its fields)."""
    if isinstance(value, section):
        return all(_is_selector(inner) for inner in value.schema.schema.values())
    if isinstance(value, probatio.All):
        value = value.validators[0]
    return isinstance(value, Selector)


async def _walk(
    manager: Any, start: Callable[[], Any], samples: dict[str, Any]
) -> dict[str, Any]:
    """Open every branch of a flow's menu; return each step shown and its schema."""
    shown: dict[str, Any] = {}
    pending: list[list[str]] = [[]]
    while pending:
        path = pending.pop()
        result = await start()
        for choice in path:
            result = await manager.async_configure(
                result["flow_id"], {"next_step_id": choice}
            )
        while result["type"] is FlowResultType.FORM:
            shown[result["step_id"]] = result["data_schema"]
            if (sample := samples.get(result["step_id"])) is None:
                break
            result = await manager.async_configure(result["flow_id"], sample)
        if result["type"] is FlowResultType.MENU:
            shown[result["step_id"]] = None
            if not path:
                pending += [[option] for option in result["menu_options"]]
        if result["type"] in (FlowResultType.FORM, FlowResultType.MENU):
            manager.async_abort(result["flow_id"])
    return shown


@checks("config-flow", "reconfiguration-flow")
async def test_every_form_field_is_a_selector_with_a_description(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> None:
    """Walk every flow to each of its steps: every field a selector, described."""
    assert MANIFEST["config_flow"] is True
    flows = module("config_flow")
    hass.states.async_set(FOLLOWED, "not_home", GPS)
    driver = ConfigSubentryData(
        data={CONF_NAME: "Alex"},
        subentry_type=SUBENTRY_DRIVER,
        title="Alex",
        unique_id=None,
    )
    follower = MockConfigEntry(
        domain=DOMAIN,
        unique_id="device_tracker.other_car",
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: "device_tracker.other_car",
            CONF_HOME_ZONE: "zone.home",
        },
        # In-car signals: the car's options offer the In the car step too.
        options={CONF_IN_CAR_SIGNALS: ["binary_sensor.android_auto"]},
        subentries_data=[driver],
    )
    follower.add_to_hass(hass)
    push_entry.add_to_hass(hass)
    manager = hass.config_entries
    shown: dict[str, dict[str, Any]] = {"config": {}, "options": {}}
    shown["config"] = await _walk(
        manager.flow,
        lambda: manager.flow.async_init(DOMAIN, context={"source": SOURCE_USER}),
        {"entity": {CONF_TRACKED_ENTITY: FOLLOWED}, "push": {CONF_NAME: "Walk car"}},
    )
    for entry in (follower, push_entry):
        shown["config"] |= await _walk(
            manager.flow, lambda e=entry: e.start_reconfigure_flow(hass), {}
        )
        shown["options"] |= await _walk(
            manager.options, lambda e=entry: manager.options.async_init(e.entry_id), {}
        )
    shown["subentry"] = await _walk(
        manager.subentries,
        lambda: manager.subentries.async_init(
            (follower.entry_id, SUBENTRY_DRIVER), context={"source": SOURCE_USER}
        ),
        {},
    )
    for subentry_id in follower.subentries:
        shown["subentry"] |= await _walk(
            manager.subentries,
            lambda s=subentry_id: follower.start_subentry_reconfigure_flow(hass, s),
            {},
        )
    classes = {
        "config": flows.HomecomingConfigFlow,
        "options": flows.HomecomingOptionsFlow,
        "subentry": flows.DriverSubentryFlow,
    }
    for where, cls in classes.items():
        steps = {n.removeprefix("async_step_") for n in vars(cls) if "_step_" in n}
        assert steps == set(shown[where]), where
        for step, schema in shown[where].items():
            fields = {} if schema is None else schema.schema
            assert [str(k) for k, v in fields.items() if not _is_selector(v)] == [], (
                step
            )
    assert "reconfigure" in shown["config"]
    assert "reconfigure" in shown["subentry"]
    forms = [
        form
        for flow in (
            ENGLISH["config"],
            ENGLISH["options"],
            *ENGLISH["config_subentries"].values(),
        )
        for step in flow["step"].values()
        for form in (step, *step.get("sections", {}).values())
    ]
    undescribed = [
        form["data"]
        for form in forms
        if set(form.get("data", {})) != set(form.get("data_description", {}))
    ]
    assert undescribed == []


@checks("config-flow")
async def test_data_and_options(hass: HomeAssistant, home_zone: None) -> None:
    """The source, the entity and the zone are data; detection and routines options."""
    hass.states.async_set(FOLLOWED, "not_home", GPS)
    flows = hass.config_entries.flow
    result = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
    for user_input in (
        {"next_step_id": SOURCE_ENTITY},
        {CONF_TRACKED_ENTITY: FOLLOWED},
        {CONF_HOME_ZONE: "zone.home"},
    ):
        result = await flows.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    data = {CONF_SOURCE, CONF_TRACKED_ENTITY, CONF_HOME_ZONE}
    assert set(entry.data) == data
    assert entry.options == {}
    await hass.async_block_till_done()
    options = hass.config_entries.options
    fields: set[str] = set()
    for step in ("detection", "routines"):
        result = await options.async_init(entry.entry_id)
        result = await options.async_configure(
            result["flow_id"], {"next_step_id": step}
        )
        schema = result["data_schema"]
        fields |= {str(key) for key in schema.schema}
        sections = {k: {} for k, v in schema.schema.items() if isinstance(v, section)}
        result = await options.async_configure(result["flow_id"], schema(sections))
        assert result["type"] is FlowResultType.CREATE_ENTRY, step
        await hass.async_block_till_done()
    assert set(module("coordinator").DETECTION_RANGES) < fields
    # An optional field left empty is not stored (the travel-time sensor).
    assert set(entry.options) == fields - {"travel_time_sensor"}
    assert "travel_time_sensor" in fields
    assert set(entry.data) == data


@checks("dependency-transparency", "async-dependency")
def test_requirements_are_named() -> None:
    """The one requirement is named in both comments; a minimum, never a pin."""
    assert len(MANIFEST["requirements"]) == 1
    assert "One requirement" in comment("dependency-transparency")
    for requirement in MANIFEST["requirements"]:
        name = re.split(r"[<>=!~\[ ;]", requirement)[0]
        assert ">=" in requirement and "==" not in requirement, requirement
        assert name in comment("dependency-transparency"), name
        assert name in comment("async-dependency"), name


README_SECTIONS = (
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-known-limitations",
    "docs-troubleshooting",
    "docs-examples",
    "docs-supported-functions",
)


@checks(*README_SECTIONS)
def test_readme_sections() -> None:
    """The README has the section each docs rule names (``README, <section>``)."""
    headings = re.findall(r"^#+ (.+)$", README, re.MULTILINE)
    for rule in README_SECTIONS:
        found = re.match(r"README, ([^,.]+)", comment(rule))
        assert found, rule
        assert found[1] in headings, rule


@checks("docs-examples")
def test_readme_links_every_blueprint() -> None:
    """An import link (my.home-assistant.io) for every blueprint of the repository."""
    blueprints = sorted((ROOT / "blueprints" / "automation" / DOMAIN).glob("*.yaml"))
    assert blueprints
    for path in blueprints:
        url = f"{MANIFEST['documentation']}/blob/main/{path.relative_to(ROOT)}"
        assert f"blueprint_import/?blueprint_url={quote(url, safe='')}" in README, path


@checks("docs-actions", "docs-triggers")
def test_readme_names_actions_and_triggers() -> None:
    """Every action of services.yaml and every device trigger type is in the README."""
    assert [s for s in SERVICES if f"{DOMAIN}.{s}" not in README] == []
    triggers = module("device_trigger").TRIGGER_TYPES
    assert sorted(t for t in triggers if f"`{t}`" not in README) == []


@checks("docs-supported-functions")
async def test_readme_names_every_entity(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Every entity of a car named Family car is in the README, by its entity id."""
    entity_ids = [e.entity_id for e in registered(hass, car).values()]
    assert len(entity_ids) == len(ENTITIES)
    assert [e for e in entity_ids if f"`{e}`" not in README] == []


@checks("docs-configuration-parameters", "docs-installation-parameters")
def test_docs_describe_every_field() -> None:
    """Every field of the flows and the options is in the docs, by label or by key."""
    docs = [README, *(p.read_text("utf-8") for p in (ROOT / "docs").glob("*.md"))]
    text = " ".join(" ".join(docs).split())
    quoted = set(re.findall(r"[`\"](\w+)[`\"]", text))
    field = re.compile(
        r"(config|options|config_subentries\.\w+)\.step\.\w+\.(.*\.)?data\."
    )
    undocumented = [
        key
        for key, label in strings().items()
        if field.match(key)
        and label.lower() not in text.lower()
        and key.rsplit(".", 1)[1] not in quoted
    ]
    assert undocumented == []


@checks("entity-event-setup")
def test_entities_subscribe_when_added() -> None:
    """Subscriptions in async_added_to_hass through async_on_remove, none in __init__."""
    subscribe = re.compile(r"async_(listen|track_|dispatcher_connect|add_\w*listener)")
    for platform in [*PLATFORMS, "entity"]:
        for cls in ast.walk(parsed(f"{platform}.py")):
            if not isinstance(cls, ast.ClassDef):
                continue
            made = [call for name, call in calls(cls) if subscribe.match(name)]
            if not made:
                continue
            added = dict(calls(function(cls, "async_added_to_hass")))
            assert "async_on_remove" in added, cls.name
            init: list[str] = []
            for node in ast.walk(cls):
                if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                    init += [n for n, _ in calls(node) if subscribe.match(n)]
            assert init == [], cls.name
    event = function(parsed("event.py"), "async_added_to_hass")
    assert any(
        name == "async_on_remove"
        and any(subscribe.match(inner) for inner, _ in calls(call.args[0]))
        for name, call in calls(event)
    )


@checks("entity-unique-id")
async def test_unique_ids(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """``<car's unique id>_<description key>`` (``_<thermostat>`` per thermostat)."""
    entries = registered(hass, car)
    assert set(entries) == ENTITIES
    for name, entry in entries.items():
        key = name.split(".")[1]
        thermostat = f"_{THERMOSTAT}" if key in PER_THERMOSTAT else ""
        assert entry.unique_id == f"{car.unique_id}_{key}{thermostat}"
    assert "<unique id>_<key>" in comment("entity-unique-id")
    assert "<unique id>_<key>_<thermostat>" in comment("entity-unique-id")
    assert {f"sensor.{key}" for key in PER_THERMOSTAT} <= named(
        "entity-unique-id", ENTITIES
    )


@checks("has-entity-name", "entity-translations")
async def test_entity_names(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Names from translations; the entities the comment excepts are named the car."""
    entries = registered(hass, car)
    assert [name for name, e in entries.items() if not e.has_entity_name] == []
    assert all(e.has_entity_name for e in entity_objects(hass))
    assert "HomecomingEntity" in comment("has-entity-name")
    untranslated = {name for name, e in entries.items() if e.translation_key is None}
    assert untranslated == named("entity-translations", ENTITIES)
    assert {entries[name].original_name for name in untranslated} <= {None}
    for name, description in descriptions().items():
        assert entries[name].translation_key == description.translation_key


@checks("runtime-data")
async def test_runtime_data(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """A car's objects in entry.runtime_data; in hass.data only what the comment names."""
    setup = function(parsed("__init__.py"), "async_setup_entry")
    assert "entry.runtime_data" in {
        ast.unparse(target)
        for node in ast.walk(setup)
        if isinstance(node, ast.Assign)
        for target in node.targets
    }
    assert car.runtime_data is not None
    keys: set[str] = set()
    for _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript):
                owner, key = node.value, node.slice
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner, key = node.func.value, (node.args or [node.func])[0]
            else:
                continue
            if ast.unparse(owner).endswith("hass.data"):
                keys.add(ast.unparse(key))
    assert keys == set(re.findall(r"\b[A-Z][A-Z_]+\b", comment("runtime-data")))
    assert DOMAIN not in hass.data


@checks("test-before-configure")
async def test_flow_checks_before_it_creates(
    hass: HomeAssistant, home_zone: None
) -> None:
    """An unknown entity or one without a position is refused; so is a missing zone."""
    flows = hass.config_entries.flow
    hass.states.async_set("sensor.no_position", "3")
    hass.states.async_set("device_tracker.zone_only", "home")
    result = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await flows.async_configure(result["flow_id"], {"next_step_id": "entity"})
    for entity_id, error in (
        ("device_tracker.nowhere", "entity_not_found"),
        ("sensor.no_position", "no_position"),
    ):
        result = await flows.async_configure(
            result["flow_id"], {CONF_TRACKED_ENTITY: entity_id}
        )
        assert result["errors"] == {CONF_TRACKED_ENTITY: error}
    result = await flows.async_configure(
        result["flow_id"], {CONF_TRACKED_ENTITY: "device_tracker.zone_only"}
    )
    assert result["step_id"] == "zone"
    result = await flows.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.nowhere"}
    )
    assert result["errors"] == {CONF_HOME_ZONE: "zone_not_found"}
    flows.async_abort(result["flow_id"])


@checks("test-before-setup")
async def test_setup_fails_without_its_zone(hass: HomeAssistant) -> None:
    """A missing home zone: a translated ConfigEntryError, not a half-set-up car."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=FOLLOWED,
        data={
            CONF_SOURCE: SOURCE_ENTITY,
            CONF_TRACKED_ENTITY: FOLLOWED,
            CONF_HOME_ZONE: "zone.nowhere",
        },
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "home_zone_missing"
    assert "home_zone_missing" in comment("test-before-setup")


@checks("unique-config-entry")
async def test_a_car_is_added_once(
    hass: HomeAssistant,
    home_zone: None,
    entity_entry: MockConfigEntry,
    push_entry: MockConfigEntry,
) -> None:
    """The same followed entity, or the same VIN, aborts."""
    entity_entry.add_to_hass(hass)
    push_entry.add_to_hass(hass)
    hass.states.async_set(entity_entry.data[CONF_TRACKED_ENTITY], "not_home", GPS)
    flows = hass.config_entries.flow
    for step, user_input in (
        ("entity", {CONF_TRACKED_ENTITY: entity_entry.data[CONF_TRACKED_ENTITY]}),
        ("push", {CONF_NAME: "Again", CONF_VIN: push_entry.data[CONF_VIN].lower()}),
    ):
        result = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await flows.async_configure(result["flow_id"], {"next_step_id": step})
        result = await flows.async_configure(result["flow_id"], user_input)
        assert result["type"] is FlowResultType.ABORT, step
        assert result["reason"] == "already_configured"


@checks("docs-conditions")
def test_no_conditions() -> None:
    """No condition platform: the exemption holds."""
    files = {path.name for path in INTEGRATION.iterdir()}
    assert not {"condition.py", "device_condition.py", "conditions.yaml"} & files


# -------------------------------------------------------------------- silver


HA_ERRORS = {
    name
    for name, value in vars(ha_exceptions).items()
    if isinstance(value, type) and issubclass(value, HomeAssistantError)
} | {"UpdateFailed"}


def raised() -> Iterator[tuple[str, str, ast.Call | None]]:
    """Yield each Home Assistant exception the code makes: file, class, call."""
    for name, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in HA_ERRORS:
                yield name, node.func.id, node
            elif (
                isinstance(node, ast.Raise) and getattr(node.exc, "id", "") in HA_ERRORS
            ):
                yield name, node.exc.id, None


@checks("exception-translations")
def test_exceptions_are_translated() -> None:
    """Every Home Assistant exception: translation_domain homecoming, a key in en.json."""
    made = list(raised())
    assert made
    for name, cls, call in made:
        assert call is not None, f"{name}: {cls} raised without a translation"
        assert keyword(call, "translation_domain") == "DOMAIN", f"{name}:{call.lineno}"
        assert keyword(call, "translation_key") in ENGLISH["exceptions"], name


@checks("action-exceptions")
async def test_actions_raise_translated_errors(hass: HomeAssistant) -> None:
    """services.py refuses with ServiceValidationError; a routine that did nothing fails."""
    made = {(name, cls) for name, cls, _ in raised()}
    assert {cls for name, cls in made if name == "services.py"} == {
        "ServiceValidationError"
    }
    assert any(n.startswith("routines") and c == "HomeAssistantError" for n, c in made)
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "snooze", {"config_entry_id": "none", "duration": 60}, blocking=True
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "car_not_found"


def _timers(hass: HomeAssistant) -> set[Any]:
    """Return the timers set for the integration (its clock, its storage)."""
    return {
        handle
        for handle in get_scheduled_timer_handles(hass.loop)
        if not handle.cancelled()
        and (
            DOMAIN in repr((handle._callback, handle._args)).lower()
            or DOMAIN
            in str(getattr(getattr(handle._callback, "__self__", 0), "key", ""))
        )
    }


@pytest.mark.parametrize("source", ["push_entry", "entity_entry"])
@checks("config-entry-unloading")
async def test_unloading_leaves_nothing_behind(
    hass: HomeAssistant,
    home_zone: None,
    hass_storage: dict[str, Any],
    request: pytest.FixtureRequest,
    source: str,
) -> None:
    """After an unload: no listener, webhook or timer of the car; its state saved.

    Set up and unloaded once first, so that what Home Assistant keeps (the platforms'
    components, the registries' pending writes) is there before the counting starts.
    """
    entry: MockConfigEntry = request.getfixturevalue(source)
    hass.states.async_set(entry.data.get(CONF_TRACKED_ENTITY, FOLLOWED), "home", GPS)
    await add_car(hass, entry, webhook=True)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    listeners, timers = hass.bus.async_listeners(), _timers(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if source == "push_entry":  # a report: time matters to the car, its clock ticks
        fix = Fix(latitude=52.4, longitude=4.9, timestamp=dt_util.utcnow())
        await update_location(hass, entry, fix, stamped=False)
    assert _timers(hass) - timers, "the car's clock"
    webhooks = hass.data.get("webhook", {})
    assert entry.data.get(CONF_WEBHOOK_ID, "none") in {*webhooks, "none"}
    hass_storage.pop(f"{DOMAIN}.{entry.entry_id}", None)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.bus.async_listeners() == listeners
    assert _timers(hass) - timers == set()
    assert entry.data.get(CONF_WEBHOOK_ID) not in webhooks
    assert f"{DOMAIN}.{entry.entry_id}" in hass_storage


@checks("entity-unavailable")
async def test_entities_follow_the_source(
    hass: HomeAssistant, car: MockConfigEntry
) -> None:
    """Unavailable with the followed entity, but for the entities the comment excepts."""
    entries = registered(hass, car)

    def available() -> set[str]:
        return {
            name
            for name, e in entries.items()
            if (state := hass.states.get(e.entity_id))
            and state.state != STATE_UNAVAILABLE
        }

    enabled = {name for name, e in entries.items() if not e.disabled}
    assert available() == enabled
    hass.states.async_set(FOLLOWED, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert available() == named("entity-unavailable", ENTITIES)
    hass.states.async_set(FOLLOWED, "not_home", GPS)
    await hass.async_block_till_done()
    assert available() == enabled


@checks("log-when-unavailable")
async def test_lost_and_back_are_logged_once(
    hass: HomeAssistant, car: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """One info line when the source goes, however often it says so; one when back."""
    for state, attributes, lines in (
        (STATE_UNAVAILABLE, {}, 1),
        (STATE_UNAVAILABLE, {"restored": True}, 0),
        ("not_home", GPS, 1),
        ("not_home", {**GPS, "latitude": 52.41}, 0),
    ):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger=PACKAGE):
            hass.states.async_set(FOLLOWED, state, attributes)
            await hass.async_block_till_done()
        levels = [r.levelno for r in caplog.records if r.name.startswith(PACKAGE)]
        assert [level for level in levels if level >= logging.INFO] == [
            logging.INFO
        ] * lines


@checks("integration-owner")
def test_codeowners() -> None:
    """The manifest's code owners are those the comment names."""
    assert MANIFEST["codeowners"]
    assert MANIFEST["codeowners"] == re.findall(
        r"@[\w-]+", comment("integration-owner")
    )


@checks("parallel-updates")
def test_parallel_updates() -> None:
    """Each platform's PARALLEL_UPDATES is the value the comment gives it."""
    actual: dict[str, set[str]] = {}
    for platform in PLATFORMS:
        value = module(platform).PARALLEL_UPDATES
        assert isinstance(value, int), platform
        actual.setdefault(str(value), set()).add(platform)
    assert claimed("parallel-updates", set(PLATFORMS)) == actual


@checks("reauthentication-flow")
def test_no_credentials() -> None:
    """No reauth step; a push car's secret and URL are changed in the options."""
    flows = module("config_flow")
    assert not hasattr(flows.HomecomingConfigFlow, "async_step_reauth")
    assert hasattr(flows.HomecomingOptionsFlow, "async_step_webhook")
    webhook = ENGLISH["options"]["step"]["webhook"]["data"]
    assert {CONF_SECRET, "rotate"} <= set(webhook)


# ---------------------------------------------------------------------- gold


@checks("devices", "dynamic-devices", "stale-devices")
async def test_one_device_per_car(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """One device, identified by the car's unique id, with every entity; gone with it."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), car.entry_id)
    assert len(devices) == 1
    assert devices[0].identifiers == {(DOMAIN, car.unique_id)}
    assert {e.device_id for e in registered(hass, car).values()} == {devices[0].id}
    assert not hasattr(module(), "async_remove_config_entry_device")
    assert await hass.config_entries.async_remove(car.entry_id)
    await hass.async_block_till_done()
    assert dr.async_entries_for_config_entry(dr.async_get(hass), car.entry_id) == []


@checks("diagnostics")
async def test_diagnostics_keep_secrets(
    hass: HomeAssistant, home_zone: None, push_entry: MockConfigEntry
) -> None:
    """Entry and device diagnostics contain none of the things the comment lists."""
    secrets = {
        "coordinates": ("51.987654", "51.9876", "5.432198", "5.4321"),
        "VIN": (push_entry.data[CONF_VIN],),
        "drivers": ("Alexandra", "alex-7"),
        "persons": ("person.alexandra",),
        "routine targets": ("climate.secret_room",),
        "webhook id": (push_entry.data[CONF_WEBHOOK_ID],),
        "secret": ("s3cr3t-value",),
        "OwnTracks key": ("k3y-value-0123456789abcdef",),
    }
    assert [what for what in secrets if what not in comment("diagnostics")] == []
    driver = {
        CONF_NAME: "Alexandra",
        CONF_PERSON: "person.alexandra",
        "driver_id": "alex-7",
    }
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=push_entry.title,
        unique_id=push_entry.unique_id,
        data={
            **push_entry.data,
            CONF_SECRET: "s3cr3t-value",
            CONF_OWNTRACKS_KEY: "k3y-value-0123456789abcdef",
        },
        options={CONF_CLIMATE: {CONF_TARGETS: ["climate.secret_room"]}},
        subentries_data=[
            ConfigSubentryData(
                data=driver,
                subentry_type=SUBENTRY_DRIVER,
                title="Alexandra",
                unique_id=None,
            )
        ],
    )
    await add_car(hass, entry, webhook=True)
    fix = {"latitude": 51.987654, "longitude": 5.432198, "driver": "alex-7"}
    await hass.services.async_call(
        DOMAIN,
        "update_location",
        {"config_entry_id": entry.entry_id, **fix},
        blocking=True,
    )
    diagnostics = module("diagnostics")
    device = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)[0]
    found = [
        await diagnostics.async_get_config_entry_diagnostics(hass, entry),
        await diagnostics.async_get_device_diagnostics(hass, entry, device),
    ]
    text = json.dumps(found, default=str)
    assert '"drivers": 1' in text  # the driver is there, counted
    leaks = {what: [v for v in values if v in text] for what, values in secrets.items()}
    assert leaks == {what: [] for what in secrets}


@checks("discovery", "discovery-update-info")
def test_nothing_to_discover() -> None:
    """No discovery in the manifest, no discovery step in the config flow."""
    kinds = {"bluetooth", "dhcp", "homekit", "mqtt", "ssdp", "usb", "zeroconf"}
    assert not kinds & set(MANIFEST)
    flow = vars(module("config_flow").HomecomingConfigFlow)
    steps = {name.removeprefix("async_step_") for name in flow}
    assert not steps & (kinds | {"discovery", "hassio", "integration_discovery"})


@checks("entity-category")
async def test_entity_categories(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Diagnostic and config entities as the comment says; the others primary."""
    actual: dict[str, set[str]] = {}
    for name, e in registered(hass, car).items():
        if isinstance(e.entity_category, EntityCategory):
            actual.setdefault(e.entity_category.value, set()).add(name)
    assert claimed("entity-category", ENTITIES) == actual


@checks("entity-device-class")
async def test_device_classes(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """The device class of each entity is the one the comment gives it."""
    actual: dict[str, set[str]] = {}
    for name, e in registered(hass, car).items():
        actual.setdefault(str(e.original_device_class or "none fits"), set()).add(name)
    assert claimed("entity-device-class", ENTITIES) == actual


@checks("entity-disabled-by-default")
async def test_disabled_by_default(hass: HomeAssistant, car: MockConfigEntry) -> None:
    """Exactly the entities the comment names start disabled."""
    disabled = {
        name
        for name, e in registered(hass, car).items()
        if e.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert claimed("entity-disabled-by-default", ENTITIES) == {
        "disabled by default": disabled
    }


@checks("icon-translations")
def test_icons() -> None:
    """An mdi: icon for every translated entity (states, event types) and action."""
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    assert set(icons) == {"entity", "services"}
    flat = recursive_flatten("", icons)
    assert [k for k, v in flat.items() if not re.fullmatch(r"mdi:[a-z0-9-]+", v)] == []
    translated = {n: d for n, d in descriptions().items() if d.translation_key}
    entity_icons = {
        f"{platform}.{key}": entry
        for platform, entries in icons["entity"].items()
        for key, entry in entries.items()
    }
    assert set(entity_icons) == {
        f"{name.split('.')[0]}.{d.translation_key}" for name, d in translated.items()
    }
    for name, description in translated.items():
        entry = entity_icons[f"{name.split('.')[0]}.{description.translation_key}"]
        states = getattr(description, "options", None) or ()
        if name.startswith("binary_sensor."):
            states = ("on", "off")
        assert entry["default"], name
        assert set(entry.get("state", {})) == set(states), name
        if event_types := getattr(description, "event_types", None):
            event_icons = entry["state_attributes"]["event_type"]["state"]
            assert set(event_icons) == set(event_types), name
    assert set(icons["services"]) == set(SERVICES)
    assert all("service" in entry for entry in icons["services"].values())


@checks("repair-issues")
def test_repair_issues() -> None:
    """The issues the code raises are those the comment names (and which are fixable)."""
    raised_issues: dict[str, bool] = {}
    for _, tree in sources():
        for name, call in calls(tree):
            if name == "async_create_issue":
                value = next(
                    k.value for k in call.keywords if k.arg == "translation_key"
                )
                keys = [n.value for n in ast.walk(value) if isinstance(n, ast.Constant)]
                assert keys, ast.unparse(value)
                fixable = keyword(call, "is_fixable") is True
                raised_issues |= dict.fromkeys(keys, fixable)
    assert set(ENGLISH["issues"]) == set(raised_issues)
    assert named("repair-issues", set(raised_issues)) == set(raised_issues)
    fixable = set(re.findall(r"(\w+) \(fixable", comment("repair-issues")))
    assert fixable == {key for key, is_fixable in raised_issues.items() if is_fixable}
    assert not fixable or callable(module("repairs").async_create_fix_flow)


# ------------------------------------------------------------------ platinum


@checks("inject-websession")
def test_no_http_client() -> None:
    """No HTTP client library or session anywhere in the integration."""
    clients = {"requests", "httpx", "urllib.request", "http.client", "aiohttp.client"}
    sessions = {
        "ClientSession",
        "async_get_clientsession",
        "async_create_clientsession",
        "get_async_client",
        "create_async_httpx_client",
    }
    for name, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name for a in node.names} & clients, name
            elif isinstance(node, ast.ImportFrom):
                assert node.module not in clients, name
                assert not {a.name for a in node.names} & sessions, name
            elif isinstance(node, ast.Attribute):
                assert node.attr not in sessions, name


@checks("strict-typing")
def test_strict_typing() -> None:
    """Strict mypy over the integration, nothing relaxed, run by the CI script."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    mypy = pyproject["tool"]["mypy"]
    assert mypy["strict"] is True
    assert f"custom_components/{DOMAIN}" in mypy["files"]
    assert "overrides" not in mypy
    assert not mypy.get("ignore_errors", False)
    script = (ROOT / "scripts" / "test").read_text("utf-8")
    run = re.search(r"^\.venv/bin/mypy( .*)?$", script, re.MULTILINE)
    assert run, "scripts/test runs mypy"
    assert not run[1] or f"custom_components/{DOMAIN}" in run[1].split()

"""Packaging checks that hassfest and HACS would make, kept honest in CI."""

from __future__ import annotations

import ast
import graphlib
import json
from pathlib import Path

from homeassistant.components.blueprint import BLUEPRINT_SCHEMA, Blueprint
from homeassistant.util.yaml import load_yaml_dict
import yaml

ROOT = Path(__file__).parents[1]
INTEGRATION = ROOT / "custom_components" / "homecoming"
RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}


def test_manifest_is_what_hassfest_accepts() -> None:
    """Domain and name first, the rest sorted; the keys a custom integration needs."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "device"
    assert manifest["iot_class"] == "local_push"
    # PyNaCl opens encrypted OwnTracks messages (docs/formats.md); a minimum version,
    # never a pin, so that it cannot conflict with Home Assistant's own constraint.
    assert manifest["requirements"] == ["PyNaCl>=1.5.0"]
    assert "webhook" in manifest["dependencies"]
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert len(manifest["version"].split(".")) == 3
    assert "homeassistant" not in manifest
    allowed = {
        "domain",
        "name",
        "after_dependencies",
        "codeowners",
        "config_flow",
        "dependencies",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "requirements",
        "version",
    }
    assert set(keys) <= allowed


def test_hacs_json_has_only_schema_keys() -> None:
    """hacs.json: name and the minimum Home Assistant version the tests run on."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= {
        "name",
        "homeassistant",
        "hacs",
        "country",
        "zip_release",
        "filename",
    }
    assert hacs["homeassistant"] == "2026.10.4"


def test_quality_scale_names_every_rule_honestly() -> None:
    """Every rule of every tier is done, or exempt with a reason."""
    rules = yaml.safe_load(
        (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    )
    rules = rules["rules"]
    expected = {rule for tier in RULES.values() for rule in tier}
    assert expected <= set(rules), expected - set(rules)
    for name, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "exempt"}, name
        if status == "exempt":
            assert value["comment"].strip(), name


def test_brand_images_exist() -> None:
    """Local brand images (used by Home Assistant since 2026.3)."""
    for name in ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png"):
        data = (INTEGRATION / "brand" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name


def test_no_stray_manifest_outside_the_integration() -> None:
    """Hassfest would validate any manifest.json under the tests."""
    assert not list((ROOT / "tests").rglob("manifest.json"))


def test_blueprints_are_valid_automation_blueprints() -> None:
    """Home Assistant's blueprint schema accepts each; each uses our device trigger."""
    files = sorted((ROOT / "blueprints" / "automation" / "homecoming").glob("*.yaml"))
    assert files
    for path in files:
        data = load_yaml_dict(str(path))
        blueprint = Blueprint(
            data, expected_domain="automation", schema=BLUEPRINT_SCHEMA
        )
        assert blueprint.metadata["source_url"].endswith(
            f"blueprints/automation/homecoming/{path.name}"
        )
        assert set(blueprint.inputs) >= {"car"}
        trigger = data["triggers"][0]
        assert trigger["domain"] == "homecoming"
        assert trigger["type"] in {
            "arriving",
            "arrived",
            "departed",
            "approach_started",
        }


def _module_name(path: Path) -> str:
    """Return the dotted name of a module of the integration (``routines.runner``)."""
    parts = path.relative_to(INTEGRATION).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Return the integration's modules that ``path`` imports at run time.

    Imports under ``if TYPE_CHECKING:`` do not run and make no cycle.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in typing_only:
            continue
        if node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)]
        target = ".".join([*base, *(node.module or "").split(".")]).strip(".")
        candidates = [target] + [
            f"{target}.{alias.name}".strip(".") for alias in node.names
        ]
        found |= {name for name in candidates if name in modules}
    found.discard(_module_name(path))
    return found


def test_the_import_graph_has_no_cycle() -> None:
    """Data flows one way: no module of the integration imports itself back."""
    paths = sorted(INTEGRATION.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    graph = {_module_name(path): _imports(path, modules) for path in paths}
    assert graph["routines.runner"] >= {"coordinator", "routines.garage"}
    # A package's __init__ re-exporting its modules is not a cycle of the code.
    for name in list(graph):
        graph[name] = {m for m in graph[name] if not name.startswith(f"{m}.")}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle

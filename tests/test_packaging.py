"""Packaging checks that hassfest and HACS would make, kept honest in CI."""

from __future__ import annotations

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

"""The engine must stay free of Home Assistant."""

import ast
from pathlib import Path

ENGINE = Path(__file__).parents[2] / "custom_components" / "homecoming" / "engine"


def test_engine_never_imports_homeassistant() -> None:
    """No module under engine/ imports homeassistant or the integration around it."""
    files = sorted(ENGINE.rglob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not name.startswith("homeassistant"), f"{path}: imports {name}"
                assert not name.startswith("custom_components.homecoming.") or (
                    name.startswith("custom_components.homecoming.engine")
                ), f"{path}: imports {name}"

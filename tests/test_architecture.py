"""Imports go one way, downward (docs/architecture.md): a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "quickturn"

VOCABULARY = {"schema", "money", "errors", "validate", "i18n", "config"}
#: layer → the top-level packages/modules of quickturn it may import
ALLOWED: dict[str, set[str]] = {
    "schema": {"schema"},
    "money": {"money"},
    "errors": {"errors"},
    "i18n": {"i18n"},
    "validate": {"validate", "schema", "errors"},
    "config": {"config", "errors"},
    "core": {"core", "schema", "money", "errors", "validate", "i18n"},
    "store": {"store", "schema", "money", "errors", "validate"},
    "connectors": {"connectors", *VOCABULARY},
    "demo": {"demo", "core", *VOCABULARY},
    "services": {"services", "core", "store", "connectors", "demo", *VOCABULARY},
    "api": {"api", "services", "core", "store", "connectors", *VOCABULARY},
    "web": {"web", "services", "core", "store", "connectors", "api", *VOCABULARY},
    "cli": {"cli", "services", "core", "store", "connectors", "web", "api", *VOCABULARY},
    "__init__": {"store", "api"},
    "__main__": {"cli"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("quickturn."):
                    out.add(a.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "quickturn":
                out.update(a.name for a in node.names)
            elif node.module.startswith("quickturn."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            arg = node.args[0] if node.args else None
            if (
                isinstance(arg, ast.JoinedStr)
                and arg.values
                and isinstance(arg.values[0], ast.Constant)
            ):
                text = str(arg.values[0].value)
                if text.startswith("quickturn."):
                    out.add(text.split(".")[1])
    return out


def test_layers_import_downward_only() -> None:
    problems = []
    for path in sorted(PKG.rglob("*.py")):
        layer = _layer(path)
        allowed = ALLOWED.get(layer)
        assert allowed is not None, f"{path}: unknown layer {layer!r}; add it to ALLOWED"
        for target in _imports(path):
            if target == "__version__":
                continue
            if target not in allowed:
                problems.append(f"{path.relative_to(PKG)} ({layer}) imports quickturn.{target}")
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from quickturn.cli.app import app\n")
    assert _imports(bad) == {"cli"}
    assert "cli" not in ALLOWED["core"]

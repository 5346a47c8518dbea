"""Imports go one way, downward (docs/architecture.md): a lower layer never imports a higher one."""

from __future__ import annotations

import ast
import re
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


# ---------------------------------------------------------------------------------------------
# the floor plan (issue 15): SQL only in store/, no importlib strings, no import cycles

#: ``SELECT …``, ``INSERT INTO``, ``UPDATE t SET``, ``DELETE FROM``, ``CREATE TABLE`` in a string
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")

#: known remaining SQL strings outside store/ (module → how many string constants); to be
#: emptied (issue 15): the lead moves them to store.queries after merging the plan/ledger work
SQL_ALLOWLIST: dict[str, int] = {}

#: known remaining importlib.import_module calls (module → how many); to be emptied (issue 15)
IMPORT_MODULE_ALLOWLIST: dict[str, int] = {}

#: known import cycles (each a sorted tuple of module names); to be emptied (issue 15)
CYCLE_ALLOWLIST: set[tuple[str, ...]] = set()


def _modules() -> dict[str, Path]:
    """Dotted name → file of every quickturn module (a package is its ``__init__``)."""
    out: dict[str, Path] = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants of a module, its classes and functions."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def sql_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant that reads as SQL; an f-string is read whole
    (each ``{…}`` as ``x``); docstrings are prose and do not count."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    texts: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
            text = "".join(
                str(v.value) if isinstance(v, ast.Constant) else "x" for v in node.values
            )
            texts.append((node.lineno, text))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            texts.append((node.lineno, node.value))
    return sorted((line, text) for line, text in texts if SQL.search(text))


def import_module_calls(path: Path) -> list[int]:
    """Lines of every ``import_module(…)`` / ``importlib.import_module(…)`` / ``__import__(…)``
    call, whatever its argument (a string hides the import from static tools)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("import_module", "__import__"):
                out.append(node.lineno)
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (never executed: not an import edge)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            t = node.test
            name = t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "")
            if name == "TYPE_CHECKING":
                for child in node.body:
                    out.update(id(n) for n in ast.walk(child))
    return out


def import_graph() -> dict[str, set[str]]:
    """quickturn module → the quickturn modules it imports, at module level **and** inside
    functions (a function-level import still runs, just later); ``if TYPE_CHECKING:`` imports
    are left out.  ``from pkg import name`` is an edge to ``pkg.name`` when that is a module,
    else to ``pkg``; importing ``a.b.c`` is an edge to ``a.b.c`` only (not to its parents)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (node.level - 1)]
                    base = ".".join([*pkg, base] if base else pkg)
                for a in node.names:
                    full = f"{base}.{a.name}"
                    targets.append(full if full in mods else base)
            for t in targets:
                if t in mods and t != name:
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[tuple[str, ...]] = []
    counter = 0

    def visit(v: str) -> None:  # recursion depth = longest import chain (small)
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(tuple(sorted(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def _rel(path: Path) -> str:
    return path.relative_to(PKG).as_posix()


def test_sql_lives_in_store_only() -> None:
    """store/base.py says it: the store is the only place that speaks SQL.  Services, the
    web and the CLI call the named functions of ``quickturn.store.queries``."""
    found: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(PKG.rglob("*.py")):
        if _layer(path) == "store":
            continue
        hits = sql_strings(path)
        if hits:
            found[_rel(path)] = hits
    problems = [
        f"{rel}:{line}: {text.strip()[:70]!r}"
        for rel, hits in found.items()
        if len(hits) > SQL_ALLOWLIST.get(rel, 0)
        for line, text in hits
    ]
    assert not problems, (
        "SQL outside store/ (add a function to quickturn.store.queries and call it):\n"
        + "\n".join(problems)
    )
    stale = [
        f"{rel}: allows {n}, has {len(found.get(rel, []))}"
        for rel, n in SQL_ALLOWLIST.items()
        if len(found.get(rel, [])) < n
    ]
    assert not stale, "lower SQL_ALLOWLIST (fewer offenders now):\n" + "\n".join(stale)


def test_no_import_module_strings() -> None:
    """Plain import statements only: a string import hides the dependency from static tools
    (this test, mypy, ruff) and its ImportError fallback is dead code."""
    found = {_rel(p): import_module_calls(p) for p in sorted(PKG.rglob("*.py"))}
    problems = [
        f"{rel}:{line}"
        for rel, lines in found.items()
        if len(lines) > IMPORT_MODULE_ALLOWLIST.get(rel, 0)
        for line in lines
    ]
    assert not problems, "import_module outside the allowlist:\n" + "\n".join(problems)
    stale = [
        f"{rel}: allows {n}, has {len(found.get(rel, []))}"
        for rel, n in IMPORT_MODULE_ALLOWLIST.items()
        if len(found.get(rel, [])) < n
    ]
    assert not stale, "lower IMPORT_MODULE_ALLOWLIST:\n" + "\n".join(stale)


def test_no_import_cycles() -> None:
    """No two quickturn modules import each other, directly or through others (function-level
    imports included, ``TYPE_CHECKING`` ones not)."""
    found = cycles(import_graph())
    new = [" → ".join(c) for c in found if c not in CYCLE_ALLOWLIST]
    assert not new, "import cycles:\n" + "\n".join(new)
    stale = [c for c in CYCLE_ALLOWLIST if c not in found]
    assert not stale, f"remove from CYCLE_ALLOWLIST (fixed): {stale}"


def test_the_floor_checks_catch_offenders(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text(
        '"""Docstrings may SELECT words."""\n'
        "import importlib\n"
        'Q = "SELECT a FROM t"\n'
        'U = f"UPDATE {t} SET a = 1"\n'
        'm = importlib.import_module("quickturn.services.plan")\n'
    )
    assert [line for line, _ in sql_strings(bad)] == [3, 4]
    assert import_module_calls(bad) == [5]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [("a", "b", "c")]
    assert cycles({"a": {"b"}, "b": set()}) == []


# ---------------------------------------------------------------------------------------------
# read models (issue 15): each domain's ``read`` module and ``services.readbase`` only read

#: the ``Store`` methods that change the database
STORE_WRITES = frozenset(
    {"write", "write_many", "delete", "set_state", "transaction", "checkpoint", "migrate"}
)
#: service modules whose job is to write (a read module must not import them)
WRITING_MODULES = frozenset({"persist", "sync_writes"})


def read_modules() -> list[Path]:
    """``services/readbase.py`` and every ``services/<domain>/read.py``."""
    services = PKG / "services"
    return [services / "readbase.py", *sorted(services.glob("*/read.py"))]


def store_writes(path: Path) -> list[str]:
    """``line: call`` of every call of a Store write method (``x.write(…)``, ``x.delete(…)``,
    ``with x.transaction()``…) and every import of a writing module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in STORE_WRITES:
                out.append(f"{node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {*node.module.split("."), *(a.name for a in node.names)}
            if names & WRITING_MODULES:
                out.append(f"{node.lineno}: from {node.module} import …")
    return out


def test_read_modules_do_not_write() -> None:
    """The dashboard's and the report's read models run on a read-only connection: they
    call no write method of the store and import no module whose job is to write."""
    paths = read_modules()
    domains = {p.parent.name for p in paths[1:]}
    assert {"ledger", "sense", "plan", "health", "comply", "backtest"} <= domains
    problems = [f"{_rel(p)}:{hit}" for p in paths for hit in store_writes(p)]
    assert not problems, "a read module writes:\n" + "\n".join(problems)


def test_the_read_check_catches_a_write(tmp_path: Path) -> None:
    bad = tmp_path / "read.py"
    bad.write_text(
        "from quickturn.services.plan import persist\n"
        "def f(store):\n"
        "    store.table('skus')\n"
        "    store.write('skus', frame)\n"
        "    with store.transaction() as tx:\n"
        "        tx.delete('skus')\n"
    )
    assert store_writes(bad) == [
        "1: from quickturn.services.plan import …",
        "4: .write(…)",
        "5: .transaction(…)",
        "6: .delete(…)",
    ]

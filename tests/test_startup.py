"""Fast start (docs/architecture.md): the ``quickturn`` command imports what a command uses,
when it uses it, and Numba kernels load from the on-disk cache instead of compiling again.

Deterministic guards on ``sys.modules`` in fresh interpreters; no timing is asserted here
(benchmarks/startup_bench.py measures the wall-clock times).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from quickturn.core.jit import fallback_cache_dir

HEAVY = ("polars", "duckdb", "numpy", "numba", "scipy", "pandas", "pyarrow", "psycopg")


def _loaded_after(code: str, *, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; report which heavy packages it left imported."""
    probe = (
        "import contextlib, io, json, sys\n"
        f"{code}\n"
        f"print(json.dumps({{'loaded': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _run_cli(args: list[str]) -> str:
    """Python code that runs the command in-process, output swallowed, exit caught."""
    return (
        "from quickturn.cli.app import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        app({args!r})\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
    )


def test_importing_the_cli_imports_no_data_stack() -> None:
    out = _loaded_after("import quickturn.cli.app")
    assert out["loaded"] == []


def test_help_of_every_command_imports_no_data_stack() -> None:
    """``--help`` builds every command's options: registering them must not need services."""
    code = "\n".join(
        _run_cli([*cmd, "--help"]) for cmd in ([], ["sense"], ["plan"], ["health"], ["ledger"])
    )
    assert _loaded_after(code)["loaded"] == []


def test_import_quickturn_is_light_and_module_apis_are_lazy() -> None:
    assert _loaded_after("import quickturn")["loaded"] == []
    out = _loaded_after("import quickturn as qt\nassert qt.sense.__name__ == 'quickturn.api.sense'")
    assert "polars" in out["loaded"]
    with pytest.raises(AttributeError):
        import quickturn

        _ = quickturn.no_such_module  # type: ignore[attr-defined]


def test_db_info_needs_duckdb_only(tmp_path: Path) -> None:
    """``quickturn db info`` opens, migrates and counts without Polars, NumPy or PyArrow."""
    db = tmp_path / "info.duckdb"
    out = _loaded_after(_run_cli(["db", "info", "--db", str(db)]))
    assert out["loaded"] == ["duckdb"]
    out = _loaded_after(_run_cli(["db", "info", "--db", str(db), "--json"]))
    assert out["loaded"] == ["duckdb"]


#: what ``quickturn ledger`` on an unchanged shop must not import: it reads the journal
#: (summed in the database) and builds nothing — no kernels, no other module's packages
LEDGER_UNCHANGED_NEVER = (
    "numba",
    "scipy",
    "pandas",
    "psycopg",
    "quickturn.core.sense",
    "quickturn.core.plan",
    "quickturn.services.sense",
    "quickturn.services.plan",
    "quickturn.core.ledger.costing",
    "quickturn.core.ledger.kernels",
)


def test_ledger_on_an_unchanged_shop_imports_no_kernels_and_no_other_module(
    demo_db_file: Path, tmp_path: Path
) -> None:
    """``quickturn ledger --by sku --json`` on an unchanged shop: the journal is rolled up in
    the database, so Numba, SciPy and the sense / plan packages are never imported."""
    db = tmp_path / "ledger.duckdb"
    shutil.copyfile(demo_db_file, db)
    args = ["ledger", "--by", "sku", "--json", "--db", str(db)]
    first = subprocess.run(
        [sys.executable, "-m", "quickturn", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert first.returncode in (0, 1), first.stderr  # 1: findings
    assert json.loads(first.stdout)["mode"] == "full"
    probe = (
        "import contextlib, io, json, sys\n"
        "from quickturn.cli.app import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        app({args!r})\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, 1, None), exc.code\n"
        f"never = {LEDGER_UNCHANGED_NEVER!r}\n"
        "loaded = sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') "
        "for n in never))\n"
        "print(json.dumps({'loaded': loaded, 'mode': json.loads(out.getvalue())['mode']}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"loaded": [], "mode": "unchanged"}


KERNEL = (
    "from quickturn.core.sense.base import _mix\n"
    "assert _mix(3, 5) == _mix.py_func(3, 5)\n"
    "s = _mix.stats\n"
    "print(json.dumps({'hits': sum(s.cache_hits.values()), 'misses': sum(s.cache_misses.values()),"
    " 'path': s.cache_path}))\n"
)


def _kernel_run(cache: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", "import json\n" + KERNEL],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_numba_kernels_compile_once_then_load_from_the_disk_cache(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    first = _kernel_run(cache)
    assert first["misses"] == 1 and first["hits"] == 0
    assert str(first["path"]).startswith(str(cache))
    second = _kernel_run(cache)  # a fresh process: loaded from disk, not compiled
    assert second["hits"] == 1 and second["misses"] == 0


def test_cache_dir_fallback_when_nothing_is_writable(tmp_path: Path) -> None:
    pkg, user = tmp_path / "pkg", tmp_path / "home" / ".cache" / "numba"

    def nothing(_: Path) -> bool:
        return False

    chosen = fallback_cache_dir(configured="", package_dir=pkg, user_dir=user, writable=nothing)
    assert chosen is not None and "quickturn-numba" in chosen
    # Numba's own locations are used when one of them can be written, or when set explicitly
    assert fallback_cache_dir(configured="", package_dir=pkg, user_dir=user) is None
    assert (
        fallback_cache_dir(configured="/x", package_dir=pkg, user_dir=user, writable=nothing)
        is None
    )
    assert (
        fallback_cache_dir(
            configured="",
            package_dir=pkg,
            user_dir=user,
            writable=lambda p: p == user,
        )
        is None
    )

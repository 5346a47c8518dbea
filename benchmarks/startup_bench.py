"""Startup benchmark: wall-clock seconds of short ``quickturn`` commands, each in a fresh
subprocess, against the bare interpreter measured in the same run.

Prints one JSON document (also written to benchmarks/results/startup[_quick].json):

* ``commands``: for ``python -c pass`` (the baseline: interpreter and site start-up, which
  runs the environment's ``.pth`` files; ``python -S -c pass`` shows their share),
  ``quickturn --help``, ``quickturn db info`` (on a demo shop written to a temporary DuckDB
  file) and ``quickturn sense --help``: the median and every run's seconds, the ratio to the
  baseline and the seconds over it, with issue 16's targets (``--help`` ≤ 0.3 s,
  ``db info`` ≤ 1 s on 2 cores);
* ``bytecode_compiled``: whether the installed packages carry ``.pyc`` files (without them
  each start compiles every imported module again: ``scripts/bootstrap.sh`` writes them);
* ``os.getloadavg()`` before and after (the machine is shared: read the medians with it).

    uv run python benchmarks/startup_bench.py            # 5 runs each, demo 300 SKUs × 365 days
    uv run python benchmarks/startup_bench.py --quick    # 3 runs each, a tiny demo shop
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 3, 2)
TARGETS = {"help": 0.3, "db_info": 1.0}


def quickturn_command() -> list[str]:
    """The installed ``quickturn`` script beside this interpreter (what a user runs)."""
    script = Path(sys.executable).parent / "quickturn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "quickturn"]


def write_demo(path: Path, n_skus: int, days: int) -> dict[str, int]:
    from quickturn.services.demo import generate_demo, write_demo_database

    shop = generate_demo(n_skus=n_skus, days=days, today=AS_OF)
    store = write_demo_database(str(path), shop.tables, {"as_of": AS_OF.isoformat()})
    try:
        return {r["table"]: r["rows"] for r in store.info()}
    finally:
        store.close()


def timed(argv: list[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Median wall seconds of ``runs`` subprocess runs (after one untimed warm-up run)."""
    seconds: list[float] = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{argv} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
        if i:
            seconds.append(elapsed)
    return {"median_seconds": round(statistics.median(seconds), 4), "runs_seconds": seconds}


def bytecode_compiled() -> bool:
    import typer

    return any((Path(typer.__file__).parent / "__pycache__").glob("main.*.pyc"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 runs each and a tiny demo shop")
    ap.add_argument("--runs", type=int, default=None, help="timed runs per command (default 5)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results")
    args = ap.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    n_skus, days = (20, 60) if args.quick else (300, 365)
    load0 = os.getloadavg()
    qt = quickturn_command()
    env = {**os.environ, "QUICKTURN_LANG": "en", "COLUMNS": "100"}
    with tempfile.TemporaryDirectory(prefix="qt-startup-bench-") as tmp:
        db = Path(tmp) / "demo.duckdb"
        t0 = time.perf_counter()
        tables = write_demo(db, n_skus, days)
        demo_seconds = time.perf_counter() - t0
        cases = {
            "baseline_python_pass": [sys.executable, "-c", "pass"],
            # the interpreter without site (.pth files): what the environment adds to the baseline
            "python_no_site": [sys.executable, "-S", "-c", "pass"],
            "help": [*qt, "--help"],
            "db_info": [*qt, "db", "info", "--db", str(db)],
            "sense_help": [*qt, "sense", "--help"],
        }
        results = {name: timed(cmd, runs, env) for name, cmd in cases.items()}
    base = results["baseline_python_pass"]["median_seconds"]
    for name, row in results.items():
        med = row["median_seconds"]
        row["ratio_to_baseline"] = round(med / base, 2) if base > 0 else None
        row["seconds_over_baseline"] = round(med - base, 4)
        if name in TARGETS:
            row["target_seconds"] = TARGETS[name]
            row["meets_target"] = med <= TARGETS[name]
        row["argv"] = " ".join(
            Path(cases[name][0]).name if i == 0 else a for i, a in enumerate(cases[name])
        )
    doc: dict[str, Any] = {
        "benchmark": "startup",
        "quick": args.quick,
        "runs_per_command": runs,
        "statistic": "median wall seconds of fresh subprocesses (one untimed warm-up run each)",
        "demo_db": {
            "skus": n_skus,
            "days": days,
            "rows": sum(tables.values()),
            "tables": len(tables),
            "seconds_to_write": round(demo_seconds, 2),
        },
        "commands": results,
        "bytecode_compiled": bytecode_compiled(),
        "loadavg_start": [round(x, 2) for x in load0],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    text = json.dumps(doc, indent=2)
    if not args.no_write:
        name = "startup_quick.json" if args.quick else "startup.json"
        out = ROOT / "benchmarks" / "results" / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

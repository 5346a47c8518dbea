"""Benchmark ``quickturn run`` (the morning loop) end to end on a big generated shop.

Issue 16's target: ``quickturn run`` on a 5,000-SKU, 2M-line shop ≤ 120 s and ≤ 4 GB on 2 cores.

The shop (built once per size into ``--cache``, not timed): the demo story generator's
5,000-SKU year (every table the loop reads: catalog, inventory, purchase orders, shipments,
settlements, returns, ads, content, listings …), topped up to ``--lines`` order lines with
the bulk generator (:func:`quickturn.demo.bulk.bulk_order_lines`: orders with revenue,
referral-fee and commission settlement lines on the same SKUs and days).  Nothing is posted
or planned yet.

Each case copies the shop and runs ``quickturn run --json --as-of DAY`` as a child process:
wall seconds, CPU seconds (user + system) and peak RSS of that child (``os.wait4``), and the
seconds of every step from the run's ``--json`` summary.

* ``cold``: the first morning — the ledger posts the whole journal;
* ``warm``: the next morning on the same database with nothing new — the ledger reads its
  journal (``mode: unchanged``), sense, plan, health and comply run again.

    uv run --frozen python benchmarks/run_bench.py               # 5,000 SKUs, 2M lines
    uv run --frozen python benchmarks/run_bench.py --quick       # 60 SKUs, 40k lines, not written
    uv run --frozen python benchmarks/run_bench.py --scenarios 200 --cases cold
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
AS_OF = "2026-03-02"
BUILD = r"""
import json, sys, time
from datetime import date
import polars as pl
from quickturn.demo import DemoConfig, generate
from quickturn.demo.bulk import bulk_order_lines
from quickturn.services.demo import write_demo_database
n_skus, lines, url, as_of = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
t0 = time.perf_counter()
day = date.fromisoformat(as_of)
tables = dict(generate(DemoConfig(n_skus=n_skus, days=365, seed=7, as_of=day)).tables)
story_lines = tables["order_lines"].height
extra = {"orders": [], "order_lines": [], "settlement_lines": []}
if lines > story_lines:
    for ch in bulk_order_lines(lines - story_lines, skus=tables["skus"], seed=11, days=365,
                               as_of=day, with_settlement=True):
        extra["orders"].append(ch.orders)
        extra["order_lines"].append(ch.order_lines)
        if ch.settlement_lines is not None:
            extra["settlement_lines"].append(ch.settlement_lines)
for t, parts in extra.items():
    if parts:
        tables[t] = pl.concat([tables[t], *parts], how="diagonal_relaxed")
marker = {"n_skus": n_skus, "days": 365, "seed": 7, "as_of": as_of}
write_demo_database(url, tables, marker).close()
print(json.dumps({"seconds": round(time.perf_counter() - t0, 1), "story_lines": story_lines,
                  "order_lines": tables["order_lines"].height, "orders": tables["orders"].height}))
"""


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "quickturn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "quickturn"]


def _child(cmd: list[str]) -> tuple[float, float, float, int, str, str]:
    """Wall seconds, CPU seconds, peak RSS (GB), exit code, stdout and stderr of one child."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, text=True)
        # wait4: the rusage of this child alone (RUSAGE_CHILDREN would be the max so far)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024**2, code, out, err


def build_shop(n_skus: int, lines: int, cache: Path) -> tuple[Path, dict[str, Any] | None]:
    path = cache / f"run_shop_{n_skus}_{lines}.duckdb"
    if path.exists():
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"run_shop_{n_skus}_{lines}.tmp.duckdb"
    tmp.unlink(missing_ok=True)
    p = subprocess.run(
        [sys.executable, "-c", BUILD, str(n_skus), str(lines), str(tmp), AS_OF],
        check=True,
        capture_output=True,
        text=True,
    )
    tmp.rename(path)
    info: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    return path, info


def run_case(db: Path, scenarios: int | None) -> dict[str, Any]:
    cmd = [*_cli(), "run", "--json", "--as-of", AS_OF, "--db", str(db)]
    if scenarios:
        cmd += ["--scenarios", str(scenarios)]
    load0 = os.getloadavg()[0]
    wall, cpu, rss, code, out, err = _child(cmd)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        raise SystemExit(f"quickturn run failed ({code}):\n{err[-3000:]}") from None
    steps = {s["step"]: s for s in doc["steps"]}
    ledger = steps.get("ledger", {}).get("summary", {})
    plan = steps.get("plan", {}).get("summary", {})
    return {
        "exit_code": code,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_gb": round(rss, 2),
        "load_1min_start_end": [round(load0, 1), round(os.getloadavg()[0], 1)],
        "loop_s": doc["seconds"],
        "step_s": {k: v["seconds"] for k, v in steps.items()},
        "step_status": {k: v["status"] for k, v in steps.items()},
        "step_errors": {k: v["error"] for k, v in steps.items() if v.get("error")},
        "plan_share": round(steps["plan"]["seconds"] / wall, 3) if "plan" in steps else None,
        "ledger_mode": ledger.get("mode"),
        "ledger_order_lines": ledger.get("order_lines"),
        "ledger_posted": ledger.get("posted"),
        "skus_planned": plan.get("skus_planned"),
        "purchase_orders": plan.get("purchase_orders"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=5000)
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--scenarios", type=int, default=None, help="default: the plan's setting")
    ap.add_argument("--cases", nargs="*", default=["cold", "warm"], choices=["cold", "warm"])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "qt-bench")
    ap.add_argument("--out", type=Path, default=RESULTS / "run_bench.json")
    ap.add_argument("--quick", action="store_true", help="60 SKUs, 40,000 lines, not written")
    args = ap.parse_args(argv)
    out: Path | None = args.out
    if args.quick:
        args.skus, args.lines, out = 60, 40_000, None
    db, built = build_shop(args.skus, args.lines, args.cache)
    work = Path(tempfile.mkdtemp(prefix="qt-run-bench-")) / "shop.duckdb"
    shutil.copy(db, work)
    cases: dict[str, Any] = {}
    try:
        # warm runs on the database the cold run left (its journal, sense and plan runs)
        for name in ("cold", "warm"):
            if name in args.cases or (name == "cold" and "warm" in args.cases):
                cases[name] = run_case(work, args.scenarios)
                print(f"{name}: {json.dumps(cases[name])}", file=sys.stderr)
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
    cases = {k: v for k, v in cases.items() if k in args.cases}
    doc = {
        "benchmark": "run",
        "command": "quickturn run --json --as-of DAY (child process, shop copied)",
        "shop": {"skus": args.skus, "order_lines_target": args.lines, "build": built},
        "scenarios": args.scenarios or "plan default",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "cases": cases,
        "targets": {
            "wall_s_max": 120,
            "peak_rss_gb_max": 4.0,
            "met": {k: v["wall_s"] <= 120 and v["peak_rss_gb"] <= 4.0 for k, v in cases.items()},
        },
    }
    text = json.dumps(doc, indent=2, default=str)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

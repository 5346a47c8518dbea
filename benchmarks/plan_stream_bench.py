"""Benchmark ``quickturn plan`` end to end on a generated shop; prints (and writes) JSON.

The shop is the demo generator's (``run_demo`` with only the ledger step: every input table
and the ledger's journal — as the demo has it when its plan step starts — nothing planned
yet), built once per size into ``--cache`` and not timed.  Each case copies
it and runs ``quickturn plan --scenarios M --json`` as a child process: wall seconds and the
child's peak RSS (``wait4`` → ``ru_maxrss``).  The plan streams: one sense model fitted on
the whole shop, scenarios drawn, simulated and reduced ``plan.chunk_skus`` SKUs at a time,
so peak memory does not grow with the number of SKUs' paths.

    uv run --frozen python benchmarks/plan_stream_bench.py                 # 5,000 × 1,000
    uv run --frozen python benchmarks/plan_stream_bench.py --skus 300 --scenarios 200
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
import sys, time, json
from datetime import date
from quickturn.config import Settings
from quickturn.services.demo import run_demo
t0 = time.perf_counter()
out = run_demo(Settings(db=sys.argv[2]), n_skus=int(sys.argv[1]), days=365, seed=7,
               today=date(2026, 3, 2), steps=["ledger"])
print(json.dumps({"seconds": time.perf_counter() - t0, "tables": out["tables"]}))
"""


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "quickturn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "quickturn"]


def _run(cmd: list[str], **kw: Any) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS (GB), CPU seconds and stdout of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    # the child has been reaped by communicate(); its rusage is in RUSAGE_CHILDREN, which is
    # a maximum over every child so far: each case runs in a fresh interpreter (see main)
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = usage.ru_maxrss / 1e6  # kB → GB
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {err[-2000:]}")
    return wall, rss, usage.ru_utime + usage.ru_stime, out


def shop(n_skus: int, cache: Path) -> tuple[Path, float | None]:
    path = cache / f"plan_shop_ledger_{n_skus}.duckdb"
    if path.exists():
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"plan_shop_{n_skus}.tmp.duckdb"
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", BUILD, str(n_skus), str(tmp)], check=True)
    tmp.rename(path)
    return path, time.perf_counter() - t0


def case(n_skus: int, scenarios: int, cache: Path, chunk: int | None) -> dict[str, Any]:
    """One measured ``quickturn plan`` run (called in a fresh child: its own RUSAGE)."""
    db, built = shop(n_skus, cache)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "shop.duckdb"
        shutil.copyfile(db, work)
        cmd = [*_cli(), "plan", "--db", str(work), "--as-of", AS_OF, "--scenarios"]
        cmd += [str(scenarios), "--json"]
        if chunk is not None:
            cfg = Path(tmp) / "quickturn.yaml"
            cfg.write_text(f"plan:\n  chunk_skus: {chunk}\n")
            cmd += ["--config", str(cfg)]
        load = os.getloadavg()[0]
        wall, rss, cpu, out = _run(cmd)
    payload = json.loads(out)
    return {
        "skus": n_skus,
        "scenarios": scenarios,
        "chunk_skus": chunk or 64,
        "skus_planned": len(payload.get("skus", [])),
        "purchase_orders": len(payload.get("purchase_orders", [])),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_1min_start_end": [round(load, 1), round(os.getloadavg()[0], 1)],
        "peak_rss_gb": round(rss, 2),
        "shop_build_s_untimed": round(built, 1) if built is not None else None,
    }


SYNTHETIC = r"""
import json, os, resource, sys, time
from dataclasses import replace
from datetime import date
import numpy as np
sys.path.insert(0, sys.argv[3])
from plan_bench import chunk_inputs, synthetic_catalogue
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import PlanInputs
from quickturn.core.sense.synthetic import synthetic_panel
from quickturn.services import plan, sense
n, m = int(sys.argv[1]), int(sys.argv[2])
settings = PlanSettings(scenarios=m)
load0 = os.getloadavg()[0]
t0 = time.perf_counter()
panel = synthetic_panel(n, 365, seed=1).panel
cat = synthetic_catalogue(n)
parts = [chunk_inputs(cat, lo, min(lo + 5000, n), 1, 8, 1) for lo in range(0, n, 5000)]
cat_ = lambda f: np.concatenate([getattr(p, f) for p in parts])
inputs = PlanInputs(np.zeros((n, 0, settings.horizon_days)), cat_("economics"), cat_("routes"),
                    cat_("pipeline_qty"), cat_("pipeline_eta"), cat_("pipeline_sd"),
                    cat_("sku_key"), tuple(panel.sku_ids))
t1 = time.perf_counter()
model = sense._fit(panel)
sm = sense.ScenarioModel(model, panel, date(2025, 1, 1), settings.horizon_days, m, 0)
t2 = time.perf_counter()
prepared = plan.Prepared(inputs, None, [], {}, {}, sm)
outcome = plan.plan_outcome(prepared, settings)
t3 = time.perf_counter()
print(json.dumps({"skus": n, "scenarios": m, "chunk_skus": settings.chunk_skus,
    "setup_s": round(t1 - t0, 1), "sense_fit_s": round(t2 - t1, 1),
    "plan_outcome_s": round(t3 - t2, 1), "wall_s": round(t3 - t0, 1),
    "cpu_s": round(time.process_time(), 1),
    "load_1min_start_end": [round(load0, 1), round(os.getloadavg()[0], 1)],
    "expected_profit_usd": outcome.portfolio()["expected_profit_usd"],
    "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    "what": "synthetic panel (core.sense.synthetic) and synthetic plan inputs (plan_bench "
            "catalogue): sense fit once + services.plan.plan_outcome streaming chunks + "
            "decide; no store, no input assembly, no persistence"}))
"""


def synthetic(n_skus: int, scenarios: int) -> dict[str, Any]:
    """The streaming engine alone at a size the demo generator cannot build here."""
    cmd = [sys.executable, "-c", SYNTHETIC, str(n_skus), str(scenarios)]
    res = subprocess.run([*cmd, str(Path(__file__).parent)], capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    out: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, nargs="*", default=[5000])
    ap.add_argument("--scenarios", type=int, nargs="*", default=[1000])
    ap.add_argument("--chunk", type=int, default=None)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "qt-bench")
    ap.add_argument("--out", type=Path, default=RESULTS / "plan_stream_bench.json")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument(
        "--synthetic",
        action="store_true",
        help="measure the streaming engine on a synthetic panel instead (no shop, no CLI)",
    )
    ap.add_argument("--quick", action="store_true", help="60 SKUs × 50 scenarios, not written")
    args = ap.parse_args(argv)
    if args.quick:
        args.skus, args.scenarios, args.out = [60], [50], None
    if args.synthetic:
        cases = [synthetic(n, m) for n, m in zip(args.skus, args.scenarios, strict=True)]
        text = json.dumps({"benchmark": "plan_stream_synthetic", "cases": cases}, indent=2)
        print(text)
        _write(args.out, text)
        return 0
    if args.child:
        print(json.dumps(case(args.skus[0], args.scenarios[0], args.cache, args.chunk)))
        return 0
    cases = []
    for n, m in zip(args.skus, args.scenarios, strict=True):
        _, built = shop(n, args.cache)  # not timed, and not in the measured child's RUSAGE
        cmd = [sys.executable, __file__, "--child", "--skus", str(n), "--scenarios", str(m)]
        cmd += ["--cache", str(args.cache)] + (["--chunk", str(args.chunk)] if args.chunk else [])
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        cases.append(json.loads(res.stdout.strip().splitlines()[-1]))
        if built is not None:
            cases[-1]["shop_build_s_untimed"] = round(built, 1)
        print(json.dumps(cases[-1]), file=sys.stderr)
    doc = {
        "benchmark": "plan_stream",
        "command": "quickturn plan --scenarios M --json (child process, shop copied)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "cases": cases,
    }
    text = json.dumps(doc, indent=2)
    print(text)
    _write(args.out, text)
    return 0


def _write(out: Path | None, text: str) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

"""Smoke test of the plan benchmark (``--quick``): it runs and prints the expected JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_plan_bench_quick_prints_json() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "plan_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    doc = json.loads(out)
    assert set(doc) >= {"benchmark", "inputs", "full_run", "base_stock", "viral", "peak_rss_gb"}
    run = doc["full_run"]
    assert run["skus"] == 120 and run["families"] == ["heavy", "qr", "dual", "pod", "hybrid"]
    assert sum(run["chosen_policies"].values()) == 120
    assert {"seconds_total", "seconds_plan", "peak_rss_gb", "cpu_seconds_total"} <= set(run)
    bs = doc["base_stock"]
    assert {"ratio_vs_python", "ratio_vs_stockpyl"} <= set(bs)
    for side in ("ours", "python"):
        assert abs(bs[side]["cost_per_day_after_warmup"] - bs["formula_cost_per_day"]) < 1.5
    viral = doc["viral"]
    assert {"heavy", "qr", "dead_stock_ratio_qr_over_heavy", "met_profit_no_worse"} <= set(viral)
    assert viral["viral_skus_compared"] > 0

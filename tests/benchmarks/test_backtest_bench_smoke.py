"""Smoke test: the backtest benchmark runs with --quick and prints the documented JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_backtest_bench_quick() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "backtest_bench.py"), "--quick", "--no-write"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["quick"] is True
    assert {"demo", "viral", "diagnosis", "online_retail", "speed", "loadavg_start"} <= set(out)
    pol = out["demo"]["policies"]
    assert set(pol) == {"quickturn", "erp", "heavy", "qr", "oracle", "none"}
    for row in pol.values():
        assert pol["oracle"]["profit_usd"] >= row["profit_usd"] - 1e-6
        assert row["lost_sales_qty"] >= 0 and row["dead_stock_qty"] >= 0
    assert {"by_archetype", "forecast_bias", "quickturn_choices", "vs_erp"} <= set(out["diagnosis"])
    front = out["viral"]["frontier"]
    assert {"heavy", "qr", "quickturn", "none", "qr_safety_0"} <= set(front)
    for row in front.values():  # the no-order baseline bounds every policy's dead stock
        assert row["dead_stock_added_qty"] >= -1e-6
    assert out["speed"]["decisions"] == 4
    if "skipped" not in out["online_retail"]:
        assert set(out["online_retail"]["policies"]) == set(pol)

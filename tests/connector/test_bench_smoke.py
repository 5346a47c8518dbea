"""The sync benchmark runs with --quick and prints the documented JSON keys (no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sync_bench_quick() -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sync_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    for key in (
        "inputs",
        "sizes",
        "seconds",
        "orders_per_second",
        "baseline_orders_per_second",
        "ratio_vs_baseline",
        "peak_memory_mb",
    ):
        assert key in out
    assert out["sizes"]["orders_stored"] == out["inputs"]["orders"] == 1000
    assert out["rerun_changes"]["inserted"] == 0

"""Smoke test of the health benchmark (``--quick``): it runs and prints the expected JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_health_bench_quick_prints_json() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "health_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    doc = json.loads(out)
    assert set(doc) >= {
        "benchmark",
        "inputs",
        "seconds",
        "per_order_us",
        "ratio_baseline_vs_vectorised",
        "baseline_mismatches",
        "peak_rss_mb",
    }
    assert doc["inputs"]["orders"] == 2000
    # the per-order Python baseline computes the same deadlines
    assert doc["baseline_mismatches"] == 0

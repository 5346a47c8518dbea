"""Smoke test: the import benchmark runs with --quick and prints the documented JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_bench_quick() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "import_bench.py"), "--quick", "--sample", "40"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["quick"] is True
    assert {"source_rows", "rows_written", "vectorised", "reimport", "baseline_row_by_row"} <= set(
        out
    )
    assert {"seconds", "rows_per_second", "phases_seconds", "peak_rss_mb"} <= set(out["vectorised"])
    assert {"sample_rows", "seconds_per_row", "extrapolated_seconds", "method"} <= set(
        out["baseline_row_by_row"]
    )
    assert out["source_rows"] == 5_000
    assert set(out["rows_written"]) == {"skus", "orders", "order_lines", "returns"}
    assert all(v["inserted"] == 0 for v in out["reimport"]["tables"].values())
    assert out["speedup_vs_baseline"] > 0
    assert isinstance(out["meets_target"], bool)

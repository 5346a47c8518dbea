"""Smoke test: the ledger benchmark runs with --quick and prints the documented JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ledger_bench_quick() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ledger_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {
        "inputs",
        "sizes",
        "quickturn",
        "baseline_pandas",
        "speedup_vs_pandas",
        "comparison",
        "targets",
    } <= set(out)
    for impl in ("quickturn", "baseline_pandas"):
        assert {"seconds", "cpu_seconds", "peak_rss_mb"} <= set(out[impl])
    assert out["inputs"]["quick"] is True
    assert out["sizes"]["order_lines"] == 20_000
    # both implementations compute the same roll-up: every cell within a few cents
    # (the baseline works in float dollars)
    diffs = out["comparison"]["max_abs_diff_usd"]
    assert set(diffs) >= {"revenue", "platform_fees", "ads", "returns", "landed_cost", "margin"}
    assert max(diffs.values()) < 0.10

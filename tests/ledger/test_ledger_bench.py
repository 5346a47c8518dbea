"""Smoke test: the ledger benchmark runs with --quick and prints the documented JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick(name: str) -> dict[str, Any]:
    """The JSON a benchmark prints with ``--quick``."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


@pytest.mark.slow
def test_ledger_bench_quick() -> None:
    out = _quick("ledger_bench.py")
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


@pytest.mark.slow
def test_ledger_incremental_bench_quick() -> None:
    out = _quick("ledger_incremental_bench.py")
    assert {
        "inputs",
        "steps",
        "cli_unchanged_s",
        "cli_unchanged_cpu_s",
        "equal_to_full_rebuild",
        "targets",
    } <= set(out)
    assert len(out["cli_unchanged_runs"]) == 5 and out["check"]["equal_by"]["sku_in_db"] is True
    assert all({"seconds", "cpu_s", "load_avg"} <= set(s) for s in out["steps"].values())
    steps = out["steps"]
    assert [steps[s]["mode"] for s in ("full", "unchanged", "incremental", "unchanged_after")] == [
        "full",
        "unchanged",
        "incremental",
        "unchanged",
    ]
    assert steps["full_rebuild"]["posted"] == 0 and out["cli_unchanged_mode"] == "unchanged"
    assert out["equal_to_full_rebuild"] is True

"""Smoke test: the startup benchmark runs with --quick and prints the documented JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_startup_bench_quick() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "startup_bench.py"),
            "--quick",
            "--runs",
            "1",
            "--no-write",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["quick"] is True and out["runs_per_command"] == 1
    assert set(out["commands"]) == {
        "baseline_python_pass",
        "python_no_site",
        "help",
        "db_info",
        "sense_help",
    }
    for row in out["commands"].values():
        assert row["median_seconds"] > 0 and len(row["runs_seconds"]) == 1
        assert {"ratio_to_baseline", "seconds_over_baseline", "argv"} <= set(row)
    assert out["commands"]["help"]["target_seconds"] == 0.3
    assert isinstance(out["commands"]["db_info"]["meets_target"], bool)
    assert out["demo_db"]["rows"] > 0
    assert isinstance(out["bytecode_compiled"], bool) and "loadavg_start" in out

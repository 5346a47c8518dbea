"""The `quickturn run` benchmark runs (60 SKUs, 40k lines, small plan; timings not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_bench_quick(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run_bench.py"),
            "--quick",
            "--scenarios",
            "50",
            "--cache",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    doc = json.loads(res.stdout)
    assert doc["shop"]["skus"] == 60 and doc["shop"]["build"]["order_lines"] == 40_000
    cold, warm = doc["cases"]["cold"], doc["cases"]["warm"]
    assert cold["ledger_mode"] == "full" and warm["ledger_mode"] == "unchanged"
    assert set(cold["step_s"]) == {"ledger", "sense", "plan", "health", "comply"}
    assert cold["peak_rss_gb"] > 0 and not cold["step_errors"]

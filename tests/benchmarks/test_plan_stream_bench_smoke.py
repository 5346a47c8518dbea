"""The streaming-plan benchmark runs (synthetic engine case, tiny; timings not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_plan_stream_bench_quick_synthetic() -> None:
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "plan_stream_bench.py"),
            "--quick",
            "--synthetic",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    doc = json.loads(res.stdout)
    case = doc["cases"][0]
    assert case["skus"] == 60 and case["scenarios"] == 50
    assert case["peak_rss_gb"] > 0

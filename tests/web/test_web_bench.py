"""Smoke test of the web benchmark (``--quick``): it runs end to end and prints the JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from web_support import ROOT


@pytest.mark.slow
def test_web_bench_quick_prints_json() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "web_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        cwd=ROOT,
    ).stdout
    doc = json.loads(out)
    assert set(doc) >= {
        "benchmark",
        "inputs",
        "build",
        "server",
        "latency",
        "baseline_uncached",
        "ratio_uncached_vs_cached_p50",
        "p95_under_target",
        "bench_peak_rss_mb",
    }
    assert doc["inputs"]["skus"] == doc["skus_in_shop"] == 20
    assert doc["build"]["errors"] == {}
    for view in (
        "overview_page",
        "overview_api",
        "sku_list_page",
        "sku_list_api",
        "sku_detail_page",
        "sku_detail_api",
    ):
        assert doc["latency"][view]["n"] >= 5 and doc["latency"][view]["p95_ms"] > 0

"""Smoke test of the web benchmark (``--quick``): it runs end to end and prints the JSON.

It reuses the web tests' demo database (``--db``) instead of generating one, so it stays fast;
generating the shop is ``run_demo``, tested with the demo."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from web_support import ROOT


@pytest.mark.slow
def test_web_bench_quick_prints_json(web_demo_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "bench.duckdb"
    shutil.copyfile(web_demo_file, db)
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "web_bench.py"), "--quick", "--db", str(db)],
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
    assert doc["inputs"]["quick"] is True and doc["inputs"]["db_reused"] is True
    assert doc["skus_in_shop"] > 0
    for view in (
        "overview_page",
        "overview_api",
        "sku_list_page",
        "sku_list_api",
        "sku_detail_page",
        "sku_detail_api",
    ):
        assert doc["latency"][view]["n"] >= 5 and doc["latency"][view]["p95_ms"] > 0
    for view in ("overview_page", "sku_list_page", "sku_detail_page"):
        assert doc["baseline_uncached"][view]["n"] >= 2
    assert set(doc["latency"]["projection_api_first"]) >= {"n"}

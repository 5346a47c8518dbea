"""Smoke test of benchmarks/sense_bench.py --quick: it runs and prints the expected JSON keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick(name: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


@pytest.mark.slow
def test_sense_bench_quick_prints_json(shared_data: Path) -> None:
    doc = _quick("sense_bench.py")
    assert doc["benchmark"] == "sense" and doc["quick"] is True
    assert {"demo", "online_retail", "speed", "seconds_total", "peak_memory_mb"} <= set(doc)
    demo = doc["demo"]
    assert {"lifecycle_skus", "steady_skus", "first_week", "overall", "by_group"} <= set(demo)
    assert {"improvement", "best_baseline", "met"} <= set(demo["lifecycle_skus"])
    assert {"lifecycle", "lifecycle:median"} <= set(demo["first_week"]["results"])
    orr = doc["online_retail"]
    assert {"coverage80", "met_accuracy", "met_coverage"} <= set(orr["target"])
    speed = doc["speed"]
    assert speed["inputs"]["paths"] == 200 and speed["inputs"]["quantiles"] == 9
    assert "lifecycle_fit_forecast" in speed["seconds"]


@pytest.mark.slow
def test_sense_launch_bench_quick_prints_json(shared_data: Path) -> None:
    doc = _quick("sense_launch_bench.py")
    assert doc["benchmark"] == "sense_launch" and doc["quick"] is True
    orr = doc["online_retail"]
    assert orr["sizes"]["launches"] > 0
    assert {"lifecycle", "decay", "erp_velocity"} <= set(orr["models"])
    for m in orr["models"].values():
        assert {"pinball", "wape", "wape_median", "coverage_80", "bias"} <= set(m)
    assert {"pinball_vs_decay", "met"} <= set(orr["verdict"])

"""Smoke test of benchmarks/comply_bench.py --quick (keys only; timings are never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_comply_bench_quick() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "comply_bench.py"), "--quick", "--no-write"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    d = json.loads(out.stdout)
    assert d["benchmark"] == "comply" and d["quick"] is True
    for key in ("inputs", "sizes", "quality", "throughput", "seconds", "peak_memory_mb"):
        assert key in d
    q = d["quality"]
    assert set(q) >= {
        "per_rule",
        "overall",
        "blocking",
        "naive_baseline",
        "templated",
        "mismatches",
    }
    assert "CLAIM_MEDICAL" in q["per_rule"]
    assert set(q["per_rule"]["CLAIM_MEDICAL"]) == {
        "support",
        "tp",
        "fp",
        "fn",
        "precision",
        "recall",
    }
    assert {"precision", "recall"} <= set(q["blocking"])
    t = d["throughput"]
    assert {"texts_per_second", "baseline_texts_per_second", "ratio_vs_baseline"} <= set(t)
    assert d["inputs"]["texts"] >= 150
    blind = q["blind"]
    assert {"blocking", "areas_overall", "per_area", "naive_baseline", "mismatches"} <= set(blind)
    assert {"precision", "recall"} <= set(blind["blocking"])
    assert blind["texts"] == d["inputs"]["blind_texts"] >= 200
    independent = q["independent"]
    assert {"blocking", "areas_overall", "per_area", "naive_baseline", "mismatches"} <= set(
        independent
    )
    assert independent["texts"] == d["inputs"]["independent_texts"] >= 200
    ob = q["obfuscated"]
    assert ob["texts"] >= 200 and {"normalised", "without_normalisation"} <= set(ob)
    assert {"precision", "recall", "missed", "false_alarms"} <= set(ob["normalised"])
    assert set(q["summary_without_normalisation"]) >= {"corpus", "holdout", "independent"}
    m = d["matching"]
    assert {"normalised", "without_normalisation", "one_regex_per_rule"} <= set(m)
    assert "chars_per_second" in m["normalised"] and "ratio_vs_one_regex_per_rule" in m
    c = d["cli"]
    assert c["comply_module_file"]["output_lines"] == c["texts"] == 500
    assert c["comply_module_stdin"]["output_lines"] == 500
    assert c["comply_module_file"]["exit_code"] in (0, 1)
    s = q["summary"]
    assert s["honest_figure"] == "independent"
    assert set(s) >= {"corpus", "holdout", "blind", "independent"}
    for name in ("blind", "independent"):
        assert set(s[name]["per_area"]) >= {"medical_claim", "off_platform", "mystery_box"}
